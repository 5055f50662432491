import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  dma_pool_create,
  dma_pool_alloc,
  dma_pool_free,
  dma_pool_destroy,
  dma_alloc_coherent,
  dma_free_coherent,
  dma_addr,
  dmesg_mark,
  dmesg_since,
  device_unregister,
  dma_leak_report,
  dma_assert_clean,
  sanitizer_configure,
  fault_inject_stats,
  run_in_irq,
  run_atomic,
  in_interrupt,
  in_atomic,
  irqs_disabled,
  spinlock_t,
  spin_lock_irqsave,
  spin_unlock_irqrestore,
  writeb,
  DmashimError,
  GFP_KERNEL,
  GFP_ATOMIC,
  type dma_pool,
} from '../../src/index.ts';
import { small_machine, test_device } from '../helpers.ts';

const HERE = 'test/sanitizer/sanitizer.test.ts';
const site = new RegExp(`${HERE.replace(/[./]/g, '\\$&')}:\\d+`);

// Local, not test/helpers' pool_alloc: the reports' allocation sites must name this file.
function alloc(p: dma_pool, gfp = GFP_KERNEL) {
  const h = dma_addr();
  const v = dma_pool_alloc(p, gfp, h);
  return { v, d: h.value };
}

describe('allocation sites and leak reports', () => {
  it('a busy destroy says which blocks leaked, their sites and the bytes', () => {
    const m = small_machine();
    const dev = test_device(m, 'leaky');
    const p = dma_pool_create('ring', dev, 64, 0, 0)!;
    const a = alloc(p);
    const b = alloc(p);
    const mark = dmesg_mark();
    dma_pool_destroy(p);
    const log = dmesg_since(mark).split('\n');
    expect(log[0]).toBe('leaky: dma_pool_destroy ring busy');
    expect(log[1]).toBe('leaky: dma_pool_destroy ring: 2 blocks (128 bytes) still in use, 1 page leaked:');
    expect(log[2]).toMatch(
      new RegExp(
        `^  block ${a.v.toString(16).padStart(16, '0')}/0x${a.d.toString(16).padStart(16, '0')} allocated at ${site.source}$`,
      ),
    );
    expect(log[3]).toContain(b.v.toString(16));
    // The leak stays visible in the machine's report until the end.
    const r = dma_leak_report(m, false);
    expect(r.blocks).toBe(2);
    expect(r.pools).toBe(1);
    expect(r.bytes).toBe(128);
  });

  it('each call site is named by its own line, however often it runs (the sites are memoised per place)', () => {
    const m = small_machine();
    const dev = test_device(m, 'memo');
    const p = dma_pool_create('memo', dev, 32, 0, 0)!;
    const h = dma_addr();
    for (let i = 0; i < 3; i++) dma_pool_alloc(p, GFP_KERNEL, h); // SITE-A
    dma_pool_alloc(p, GFP_KERNEL, h); // SITE-B
    const src = readFileSync(HERE, 'utf8').split('\n');
    const line = (mark: string): number => src.findIndex((l) => l.endsWith(mark)) + 1;
    const lines = dma_leak_report(m, false).text.split('\n');
    expect(lines).toContain(`  3 blocks in pool memo (96 bytes) on memo, allocated at ${HERE}:${line('// SITE-A')}`);
    expect(lines).toContain(`  1 block in pool memo (32 bytes) on memo, allocated at ${HERE}:${line('// SITE-B')}`);
  });

  it('the end-of-run report groups by site; dma_assert_clean throws with it, and passes when clean', () => {
    const m = small_machine();
    const dev = test_device(m, 'rpt');
    const p = dma_pool_create('qh', dev, 96, 32, 4096)!;
    const blocks = [alloc(p), alloc(p), alloc(p)]; // one site, three blocks
    const h = dma_addr();
    const buf = dma_alloc_coherent(dev, 8192, h, GFP_KERNEL);
    const r = dma_leak_report(m, false);
    expect(r.clean).toBe(false);
    expect(r.blocks).toBe(3);
    expect(r.coherent).toBe(1); // the pool's page is not counted as a buffer of its own
    expect(r.bytes).toBe(3 * 96 + 8192);
    expect(r.text.split('\n')[0]).toBe('dmashim: leak report (sim): 3 blocks in 1 pool, 1 coherent buffer, 8480 bytes');
    expect(r.groups.find((g) => g.kind === 'pool')).toMatchObject({ count: 3, bytes: 288, what: 'qh', device: 'rpt' });
    expect(r.groups.find((g) => g.kind === 'pool')!.site).toMatch(site);
    expect(() => dma_assert_clean(m)).toThrow(DmashimError);
    expect(() => dma_assert_clean(m)).toThrow(/3 blocks in 1 pool/);
    for (const x of blocks) dma_pool_free(p, x.v, x.d);
    dma_free_coherent(dev, 8192, buf, h.value);
    dma_pool_destroy(p);
    expect(() => dma_assert_clean(m)).not.toThrow();
    const mark = dmesg_mark();
    expect(dma_leak_report(m).clean).toBe(true);
    expect(dmesg_since(mark)).toBe('dmashim: leak report (sim): clean\n');
  });

  it('device_unregister reports pools left behind, with their live blocks', () => {
    const m = small_machine();
    const dev = test_device(m, 'gone');
    const p = dma_pool_create('left', dev, 32, 0, 0)!;
    dma_pool_create('idle', dev, 32, 0, 0);
    alloc(p);
    const mark = dmesg_mark();
    device_unregister(dev);
    const log = dmesg_since(mark);
    expect(log).toContain('gone: leak: dma_pool idle was not destroyed before device_unregister (0 pages)');
    expect(log).toContain('gone: leak: dma_pool left has 1 block (32 bytes) in use at device_unregister:');
    expect(log).toMatch(site);
  });
});

describe('use after free', () => {
  it('a coherent buffer written after it was freed is reported when its page is handed out again', () => {
    const m = small_machine();
    const dev = test_device(m, 'uaf');
    const h = dma_addr();
    const v = dma_alloc_coherent(dev, 4096, h, GFP_KERNEL);
    dma_free_coherent(dev, 4096, v, h.value);
    writeb(0x42, v + 100);
    const mark = dmesg_mark();
    const again = dma_alloc_coherent(dev, 4096, h, GFP_KERNEL);
    expect(again).toBe(v);
    const log = dmesg_since(mark);
    expect(log.split('\n')[0]).toBe('pagealloc: memory corruption');
    expect(log).toContain(
      `use after free: page ${v.toString(16).padStart(16, '0')} written at offset 100 (1 bytes changed) after it was freed at`,
    );
    expect(log).toMatch(site);
  });
});

describe('atomic context', () => {
  it('tracks interrupt, spinlock and IRQ state', () => {
    expect(in_interrupt()).toBe(false);
    run_in_irq(() => {
      expect(in_interrupt()).toBe(true);
      expect(in_atomic()).toBe(true);
      expect(irqs_disabled()).toBe(true);
    });
    const lock = new spinlock_t();
    const flags = spin_lock_irqsave(lock);
    expect(in_atomic()).toBe(true);
    expect(irqs_disabled()).toBe(true);
    spin_unlock_irqrestore(lock, flags);
    expect(in_atomic()).toBe(false);
    expect(irqs_disabled()).toBe(false);
    expect(() =>
      run_in_irq(() => {
        throw new Error('handler');
      }),
    ).toThrow('handler');
    expect(in_interrupt()).toBe(false); // restored
  });

  it('GFP_KERNEL in an interrupt handler, pool create and destroy under a spinlock: the might_sleep report', () => {
    const m = small_machine();
    const dev = test_device(m, 'ctx');
    const p = dma_pool_create('irq', dev, 64, 0, 0)!;
    let mark = dmesg_mark();
    const ok = run_in_irq(() => alloc(p, GFP_ATOMIC));
    expect(ok.v).not.toBe(0);
    expect(dmesg_since(mark)).toBe('');
    mark = dmesg_mark();
    const bad = run_in_irq(() => alloc(p, GFP_KERNEL));
    expect(bad.v).not.toBe(0); // reported, and it still works, as in the kernel
    const log = dmesg_since(mark).split('\n');
    expect(log[0]).toBe('BUG: sleeping function called from invalid context at mm/dmapool.c dma_pool_alloc');
    expect(log[1]).toMatch(/^in_atomic\(\): 1, irqs_disabled\(\): 1, non_block: 0, pid: \d+, name: dmashim$/);
    expect(log[2]).toBe('preempt_count: 10000, expected: 0');
    expect(log[3]).toMatch(new RegExp(`^called at ${site.source}$`));
    mark = dmesg_mark();
    const q = run_atomic(() => dma_pool_create('locked', dev, 64, 0, 0));
    run_atomic(() => dma_pool_destroy(q));
    const log2 = dmesg_since(mark);
    expect(log2).toContain('BUG: sleeping function called from invalid context at mm/dmapool.c dma_pool_create');
    expect(log2).toContain('BUG: sleeping function called from invalid context at mm/dmapool.c dma_pool_destroy');
    expect(log2).toContain('in_atomic(): 1, irqs_disabled(): 0');
  });
});

describe('fault injection', () => {
  it('fails the Nth allocation once, logged as injected, pool unchanged', () => {
    const m = small_machine();
    const dev = test_device(m, 'fi');
    const p = dma_pool_create('fi-pool', dev, 64, 0, 0)!;
    sanitizer_configure(m, { fault: { nth: 3, kinds: ['pool'] } });
    const got = [alloc(p), alloc(p)];
    const before = { active: p.nr_active, blocks: p.nr_blocks, head: p.head };
    const mark = dmesg_mark();
    const third = alloc(p);
    expect(third.v).toBe(0);
    expect({ active: p.nr_active, blocks: p.nr_blocks, head: p.head }).toEqual(before);
    const log = dmesg_since(mark);
    expect(log).toContain('FAULT_INJECTION: forcing a failure.');
    expect(log).toMatch(
      new RegExp(`injected: dma_pool_alloc\\(fi-pool\\) on fi failed \\(call 3\\) at ${site.source}`),
    );
    expect(alloc(p).v).not.toBe(0); // only the third
    expect(fault_inject_stats(m)).toEqual({ calls: 4, injected: 1 });
    sanitizer_configure(m, { fault: null });
    expect(got.every((g) => g.v !== 0)).toBe(true);
  });

  it('every Nth, limited by times, and only for a named pool', () => {
    const m = small_machine();
    const dev = test_device(m, 'fi2');
    const a = dma_pool_create('a', dev, 64, 0, 0)!;
    const b = dma_pool_create('b', dev, 64, 0, 0)!;
    sanitizer_configure(m, { fault: { interval: 2, times: 2, pool: 'b', verbose: false } });
    const ra = Array.from({ length: 6 }, () => alloc(a).v !== 0);
    const rb = Array.from({ length: 6 }, () => alloc(b).v !== 0);
    expect(ra).toEqual([true, true, true, true, true, true]);
    expect(rb).toEqual([true, false, true, false, true, true]);
    sanitizer_configure(m, { fault: null });
  });

  it('probability is deterministic under a seed; atomic_only spares GFP_KERNEL', () => {
    const outcome = (seed: number) => {
      const m = small_machine();
      const dev = test_device(m, 'fi3');
      const p = dma_pool_create('p', dev, 64, 0, 0)!;
      sanitizer_configure(m, { fault: { probability: 0.3, seed, atomic_only: true, verbose: false } });
      const atomic = Array.from({ length: 40 }, () => (alloc(p, GFP_ATOMIC).v !== 0 ? 1 : 0)).join('');
      const kernel = Array.from({ length: 40 }, () => (alloc(p, GFP_KERNEL).v !== 0 ? 1 : 0)).join('');
      sanitizer_configure(m, { fault: null });
      return { atomic, kernel };
    };
    const r1 = outcome(42);
    expect(outcome(42)).toEqual(r1);
    expect(outcome(7).atomic).not.toBe(r1.atomic);
    expect(r1.atomic).toContain('0');
    expect(r1.kernel).toBe('1'.repeat(40));
  });

  it('a device filter, and bad options throw a typed error', () => {
    const m = small_machine();
    const d1 = test_device(m, 'one');
    const d2 = test_device(m, 'two');
    const p1 = dma_pool_create('p', d1, 64, 0, 0)!;
    const p2 = dma_pool_create('p', d2, 64, 0, 0)!;
    sanitizer_configure(m, { fault: { interval: 1, device: 'two', verbose: false } });
    expect(alloc(p1).v).not.toBe(0);
    expect(alloc(p2).v).toBe(0);
    sanitizer_configure(m, { fault: null });
    expect(() => sanitizer_configure(m, { fault: {} })).toThrow(DmashimError);
    expect(() => sanitizer_configure(m, { fault: { probability: 2 } })).toThrow(/probability/);
    expect(() => sanitizer_configure(m, { num_errors: -1 })).toThrow(DmashimError);
  });
});

describe('dma-debug switches', () => {
  it('checks off silences reports but a bad free still frees nothing; all_errors prints every error; driver filter', () => {
    const m = small_machine();
    const dev = test_device(m, 'sw');
    const h = dma_addr();
    const v = dma_alloc_coherent(dev, 4096, h, GFP_KERNEL);
    sanitizer_configure(m, { checks: false });
    let mark = dmesg_mark();
    dma_free_coherent(dev, 8192, v, h.value);
    expect(dmesg_since(mark)).toBe('');
    sanitizer_configure(m, { checks: true, all_errors: true });
    mark = dmesg_mark();
    dma_free_coherent(dev, 8192, v, h.value);
    dma_free_coherent(dev, 8192, v, h.value);
    expect(dmesg_since(mark).match(/different size/g)).toHaveLength(2);
    sanitizer_configure(m, { driver_filter: 'other-driver' });
    mark = dmesg_mark();
    dma_free_coherent(dev, 8192, v, h.value);
    expect(dmesg_since(mark)).toBe('');
    sanitizer_configure(m, { driver_filter: '', device_filter: 'another-device' });
    mark = dmesg_mark();
    dma_free_coherent(dev, 8192, v, h.value);
    expect(dmesg_since(mark)).toBe('');
    sanitizer_configure(m, { device_filter: 'sw' });
    dma_free_coherent(dev, 8192, v, h.value);
    expect(dmesg_since(mark)).toContain('different size');
    sanitizer_configure(m, { device_filter: '' });
    dma_free_coherent(dev, 4096, v, h.value); // the right free works: nothing was freed before
    expect(dma_leak_report(m, false).clean).toBe(true);
  });
});

/*
 * The pool's free state: one typed array holding a stack of free slots (the
 * kernel's pool-wide LIFO list) and a bitmap (the O(1) double-free test). These
 * tests pin what the representation must keep: LIFO order while the stack grows
 * past what any page allocation asked for, the switch to 32-bit entries past
 * 65536 slots, nr_active derived from the stack, and a stack that stays small
 * when most blocks are in use (the metadata claim in BENCHMARKS.md).
 */
import { describe, it, expect } from 'vitest';
import {
  dma_pool_create,
  dma_pool_free,
  dma_pool_destroy,
  dmapool_set_poison,
  dmapool_slow_hooks,
  pools_show,
  sanitizer_configure,
} from '../../src/index.ts';
import { small_machine, test_device, pool_alloc_ok as alloc, log_of, type Blk } from '../helpers.ts';

const m = small_machine();
const dev = test_device(m, 'freestate');

/* xorshift32, so the "random" frees are the same on every run. */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

describe('dma_pool free state (stack + bitmap)', () => {
  it('hands blocks back in exact reverse order of their frees while the stack grows', () => {
    const p = dma_pool_create('grow', dev, 64, 64, 0)!;
    const live: Blk[] = [];
    for (let i = 0; i < 3 * 64; i++) live.push(alloc(p));
    expect(p.nr_pages).toBe(3);
    expect(p.nr_active).toBe(192);
    // Free in a scrambled order: the stack must take 192 entries, three times what any page pushed.
    const r = rng(7);
    const order = live.slice();
    for (let i = order.length - 1; i > 0; i--) {
      const j = r() % (i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const b of order) dma_pool_free(p, b.v, b.d);
    expect(p.nr_active).toBe(0);
    expect(p.top).toBe(192);
    // Every block is now free: each second free is a double free, and frees nothing.
    for (const b of order.slice(0, 5)) {
      expect(log_of(() => dma_pool_free(p, b.v, b.d))).toContain('already free');
    }
    expect(p.nr_active).toBe(0);
    for (let i = order.length - 1; i >= 0; i--) expect(alloc(p)).toEqual(order[i]);
    expect(p.nr_pages).toBe(3);
    expect(p.nr_active).toBe(192);
    for (const b of live) dma_pool_free(p, b.v, b.d);
    dma_pool_destroy(p);
  });

  it('a page is carved only when no block is free, and handed out lowest address first', () => {
    const p = dma_pool_create('top', dev, 1024, 1024, 0)!;
    const a = [alloc(p), alloc(p), alloc(p), alloc(p)];
    expect(p.head).toBe(-1);
    dma_pool_free(p, a[1]!.v, a[1]!.d);
    // The stack holds one block; the next alloc takes it, the one after carves page 2.
    expect(alloc(p)).toEqual(a[1]);
    expect(p.nr_pages).toBe(1);
    const b = alloc(p);
    expect(p.nr_pages).toBe(2);
    // The new page's first block is at its start (the machine's vaddr base is page aligned).
    expect(b.v % 4096).toBe(0);
    expect(b.v).not.toBe(a[0]!.v);
    const c = alloc(p);
    expect(c.v - b.v).toBe(1024);
    for (const x of [...a, b, c]) dma_pool_free(p, x.v, x.d);
    dma_pool_destroy(p);
  });

  it('names slots past 65535 (32-bit entries) and keeps every check on them', () => {
    // 16-byte blocks: 256 a page, so page 256 holds slots 65536..65791. Allocation sites
    // off: a captured stack per block would make 131,000 calls take seconds.
    sanitizer_configure(m, { sites: false });
    const p = dma_pool_create('wide', dev, 16, 16, 0)!;
    const n = 257 * 256;
    const live: Blk[] = new Array(n);
    for (let i = 0; i < n; i++) live[i] = alloc(p);
    expect(p.nr_pages).toBe(257);
    expect(p.fl).toBeInstanceOf(Int32Array);
    const hi = live[n - 1]!;
    const lo = live[5]!;
    dma_pool_free(p, hi.v, hi.d);
    dma_pool_free(p, lo.v, lo.d);
    expect(log_of(() => dma_pool_free(p, hi.v, hi.d))).toContain('already free');
    expect(alloc(p)).toEqual(lo);
    expect(alloc(p)).toEqual(hi);
    expect(p.nr_active).toBe(n);
    for (const b of live) dma_pool_free(p, b.v, b.d);
    expect(p.nr_active).toBe(0);
    dma_pool_destroy(p);
    sanitizer_configure(m, { sites: true });
  });

  it('nr_active (blocks minus free stack) is what the pools file and a busy destroy see', () => {
    const d2 = test_device(m, 'freestate-sysfs');
    const p = dma_pool_create('cnt', d2, 256, 8, 0)!;
    const live = [alloc(p), alloc(p), alloc(p)];
    dma_pool_free(p, live[0]!.v, live[0]!.d);
    expect(log_of(() => dma_pool_free(p, live[0]!.v, live[0]!.d))).toContain('already free');
    expect(pools_show(d2)).toBe('poolinfo - 0.1\ncnt                 2   16  256  1\n');
    expect(log_of(() => dma_pool_destroy(p))).toContain('dma_pool_destroy cnt busy');
  });

  it('keeps the stack small while most blocks are in use (metadata per block)', () => {
    sanitizer_configure(m, { sites: false });
    const p = dma_pool_create('steady', dev, 64, 64, 0)!;
    const live: Blk[] = [];
    for (let i = 0; i < 1000; i++) live.push(alloc(p));
    const r = rng(99);
    for (let t = 0; t < 20000; t++) {
      const i = r() % live.length;
      dma_pool_free(p, live[i]!.v, live[i]!.d);
      live[i] = alloc(p);
    }
    expect(p.nr_pages).toBe(16);
    // At most 64 blocks were ever free at once (one page's worth): the stack never grew past that.
    expect(p.fbase).toBeLessThanOrEqual(64);
    // Stack + bitmap: well under a byte a block (the 16-bit link per slot it replaced cost 2).
    expect(p.fl.byteLength / p.nr_blocks).toBeLessThan(0.5);
    for (const b of live) dma_pool_free(p, b.v, b.d);
    dma_pool_destroy(p);
    sanitizer_configure(m, { sites: true });
  });

  it('a slow hook switched on reaches pools that already exist, and switched off leaves them fast', () => {
    sanitizer_configure(m, { sites: false });
    const p = dma_pool_create('hooks', dev, 64, 64, 0)!;
    dmapool_set_poison(p, false);
    expect(dmapool_slow_hooks.active).toBe(0);
    expect(p.slow).toBe(0);
    const fast = alloc(p);
    // Allocation sites are a slow hook: the pool made before it must record them from now on.
    sanitizer_configure(m, { sites: true });
    expect(dmapool_slow_hooks.active).toBe(1);
    expect(p.slow).toBe(1);
    const tracked = alloc(p);
    const report = log_of(() => dma_pool_destroy(p));
    expect(report).toContain('dma_pool_destroy hooks busy');
    // The block from before the switch has no site; the one after has the caller's (the alloc helper).
    expect(report).toContain(`allocated at (unknown)`);
    expect(report).toMatch(/allocated at test\/helpers\.ts:\d+/);
    expect(fast.v).not.toBe(tracked.v);
    sanitizer_configure(m, { sites: false });
    const q = dma_pool_create('hooks2', dev, 64, 64, 0)!;
    dmapool_set_poison(q, false);
    expect(q.slow).toBe(0);
    dma_pool_destroy(q);
    sanitizer_configure(m, { sites: true });
  });
});

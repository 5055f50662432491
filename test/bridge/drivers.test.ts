/*
 * Driver-style C, written the way kernel drivers use the DMA API, compiled
 * against our headers with no edits and run through `dmashim run`: NVMe PRP
 * pools, a managed (devres) PCI driver, a NIC's descriptor rings, a storage
 * scatter-gather path, USB HCD buffer pools with lists and locks, a 2.4/2.6-era
 * PCI driver, an everyday-helpers module, and a program of deliberate misuse
 * whose reports must name its lines.
 */
import { describe, test, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT, C_DIR, bridge_skip_reason, dmashim_run, has_compiler } from './helpers.ts';
import { cc_check } from '../cc-check.ts';

const skip = bridge_skip_reason();
const DIR = path.join(C_DIR, 'drivers');
const F = (name: string): string => path.join(DIR, name);

/** Reports a clean run must not contain. */
const UNEXPECTED = /BUG|WARNING|DMA-API|called from|already free|busy|leaked|bad (dma|vaddr)|killed by signal|refused/;

function okLines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.length > 0);
}

function runClean(name: string, options: string[] = []): { stdout: string; stderr: string } {
  const r = dmashim_run([F(name)], ['--all-errors', '--leaks', ...options]);
  expect(r.stderr, r.stderr).not.toMatch(UNEXPECTED);
  expect(r.stderr).toContain('leak report (bridge): clean');
  expect(r.status, r.stderr).toBe(0);
  const lines = okLines(r.stdout);
  expect(lines.length).toBeGreaterThan(0);
  for (const l of lines) expect(l, r.stdout).toMatch(/^ok /);
  return r;
}

/** The line of the comment `MARK name` in a program of this directory. */
function mark(file: string, name: string): number {
  const lines = readFileSync(path.join(ROOT, DIR, file), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(`/* MARK ${name} */`));
  if (i < 0) throw new Error(`no MARK ${name} in ${file}`);
  return i + 1;
}

describe('driver-style C programs run unmodified', () => {
  test('NVMe PRP list pools: small and page pools, chained list pages, GFP_ATOMIC', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = runClean('nvme_prp.c');
    expect(okLines(r.stdout)).toEqual([
      'ok prps 512 bytes: 1 pages, -1 list pages (none)',
      'ok prps 4096 bytes: 2 pages, -1 list pages (none)',
      'ok prps 8192 bytes: 3 pages, 0 list pages (prp list 256)',
      'ok prps 65536 bytes: 17 pages, 0 list pages (prp list 256)',
      'ok prps 131072 bytes: 33 pages, 0 list pages (prp list 256)',
      'ok prps 2097152 bytes: 513 pages, 1 list pages (prp list page)',
      'ok prps 4194304 bytes: 1025 pages, 3 list pages (prp list page)',
      'ok nvme',
    ]);
    expect(r.stderr).toContain('nvme 0000:01:00.0: pci function 0000:01:00.0');
  });

  test('managed driver: dmam pool and coherent ring released on detach, %pad/%pa/%zu, dev_err_probe', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = runClean('managed.c');
    expect(okLines(r.stdout)).toEqual([
      'ok cmd at 64-byte boundary, buf matches',
      'ok pool while bound',
      'ok released on detach',
      'ok cmd at 64-byte boundary, buf matches',
    ]);
    expect(r.stderr).toMatch(
      /mgd 0000:02:00\.0: ring 8192 bytes at 0x[0-9a-f]{16} \(phys 0x[0-9a-f]{16}\), 64-bit addressing, id 1af4:10f0\n/,
    );
    expect(r.stderr).toContain('mgd: done');
  });

  test('NIC descriptor rings: map/unmap, syncs, barriers, IRQ handler under the ring lock (harness plays the device, also --iommu)', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    // The harness plays the NIC with dmashim_device_*, so it works behind the IOMMU too.
    for (const opts of [[], ['--force-bounce'], ['--no-pool-cache'], ['--iommu'], ['--iommu', '--force-bounce']]) {
      const r = runClean('net_ring.c', opts);
      expect(okLines(r.stdout), opts.join(' ')).toEqual([
        'ok tx 30 packets, head 30 tail 30, doorbell 14',
        'ok rx 24 packets, 2424 bytes',
      ]);
    }
  });

  test('storage scatter-gather: dma_map_sg, sg_table, dma_map_sgtable, sg_copy (direct and behind the IOMMU)', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const direct = runClean('storage_sg.c');
    expect(okLines(direct.stdout)).toEqual([
      'ok map_sg: 4 entries -> 4 segments, 8768 bytes, last flag set, 32-bit yes',
      'ok sg_nents_for_len(4160) = 2',
      'ok sg_copy_to_buffer',
      'ok map_sgtable: 3 of 3 entries mapped, 12288 bytes',
    ]);
    const iommu = runClean('storage_sg.c', ['--iommu']);
    // Behind the IOMMU adjacent pages merge into fewer segments.
    expect(okLines(iommu.stdout)[0]).toMatch(/^ok map_sg: 4 entries -> [1-3] segments, 8768 bytes/);
    expect(okLines(iommu.stdout)[3]).toMatch(/^ok map_sgtable: 1 of 3 entries mapped, 12288 bytes/);
  });

  test('USB HCD: buffer-N pools, zalloc, list_head, spinlock/mutex/atomic, bitmaps (also --threads)', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const expected = [
      'ok hcd buffers from buffer-32..buffer-2048 and coherent',
      'ok 20 tds queued, chain linked, 20 in flight, 20 slots',
      'ok retired 10 even tds, 10 left, first slot free 0',
      'ok retired 10, list empty, in flight 0',
    ];
    expect(okLines(runClean('usb_hcd.c').stdout)).toEqual(expected);
    expect(okLines(runClean('usb_hcd.c', ['--threads']).stdout)).toEqual(expected);
  });

  test('2.4/2.6-era PCI driver: pci_pool SLAB_KERNEL, *_consistent, one-argument pci_dma_mapping_error, __devexit_p', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run([F('legacy24.c')], ['--all-errors', '--leaks']);
    expect(r.stderr).not.toMatch(UNEXPECTED);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/oldcard: ring at 0x[0-9a-f]{8}, 4 commands, bus==phys 1\n/);
    expect(r.stderr).toContain('oldcard: unloaded');
    expect(r.stderr).toContain('leak report (bridge): clean');
  });

  test('everyday helpers module: alignment, pages, bitfield, byte order, overflow, bitops, atomics', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = runClean('helpers.c');
    expect(okLines(r.stdout)).toHaveLength(13);
    expect(r.stderr).toContain('helpers: loaded, 16 checks');
    expect(r.stderr).toContain('helpers: unloaded');
    expect(r.stderr).not.toContain('not shown without --debug');
  });

  test('misuse: each bug is reported at its line, the same with and without the pool cache', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const file = `${DIR}/misuse.c`.split(path.sep).join('/');
    const at = (m: string): string => `${file}:${mark('misuse.c', m)}`;
    let first: string | null = null;
    // The pool cache is on by default.
    for (const opts of [[], ['--no-pool-cache']]) {
      const r = dmashim_run([F('misuse.c')], ['--all-errors', '--leaks', ...opts]);
      // Each planted bug is a finding: the run fails with status 3 (it exited 0 before findings counted).
      expect(r.status, r.stderr).toBe(3);
      expect(okLines(r.stdout)).toEqual([
        'ok context: atomic 0 irqs_disabled 0',
        'ok context under lock: atomic 1 irqs_disabled 1',
        'ok after irq: in_interrupt 0',
        'ok context at the end: atomic 0 irqs_disabled 0',
      ]);
      const e = r.stderr;
      // GFP_KERNEL from a pool under spin_lock_irqsave, and in an interrupt handler.
      expect(e).toContain(
        'BUG: sleeping function called from invalid context at mm/dmapool.c dma_pool_alloc\n' +
          `in_atomic(): 1, irqs_disabled(): 1`,
      );
      expect(e).toContain(`dma_pool_alloc() called from ${at('atomic-alloc')}\n`);
      expect(e).toContain(`dma_pool_alloc() called from ${at('irq-alloc')}\n`);
      // irq_enter() is the core's hardirq count: the report from the handler shows it.
      expect(e).toMatch(/preempt_count: 10000, expected: 0\n(?:.*\n)?dma_pool_alloc\(\) called from [^\n]*:\d+\n/);
      // mutex_lock under a plain spin_lock: the mutex's own line.
      expect(e).toContain(
        `BUG: sleeping function called from invalid context at ${at('atomic-mutex')}\nin_atomic(): 1, irqs_disabled(): 0`,
      );
      expect(e.match(/sleeping function called/g)).toHaveLength(3);
      expect(e).toMatch(
        new RegExp(
          `misuse0: dma_pool_free misuse, dma 0x[0-9a-f]+ already free\\ndma_pool_free\\(\\) called from ${at('double-free')}\\n`,
        ),
      );
      expect(e).toMatch(
        /DMA-API: misuse0: device driver frees DMA memory with different size .*\[map size=512 bytes\] \[unmap size=256 bytes\]/,
      );
      expect(e).toContain(`dma_unmap_single() called from ${at('unmap-size')}\n`);
      expect(e).toContain(`WARN_ON(irqs_disabled())\ndma_free_coherent() called from ${at('irqs-off-free')}\n`);
      expect(e).toMatch(
        new RegExp(
          `BUG: spinlock already unlocked on CPU#0, dmashim/\\d+\\n lock: sched_lock, .*\\nspinlock taken or released at ${at('double-unlock')}\\n`,
        ),
      );
      expect(e).toContain('leak report (bridge): clean');
      const reports = e.replace(/dmashim\/\d+|pid: \d+/g, 'PID');
      if (first === null) first = reports;
      else expect(reports).toBe(first);
    }
  });
});

describe.each(['gcc', 'clang'])('driver programs and every header compile with %s', (cc) => {
  test('-Wall -Wextra -Werror -std=gnu11', (ctx) => {
    ctx.skip(!has_compiler(cc), `${cc} is not installed`);
    for (const f of [
      'helpers.c',
      'nvme_prp.c',
      'managed.c',
      'net_ring.c',
      'storage_sg.c',
      'usb_hcd.c',
      'legacy24.c',
      'misuse.c',
    ]) {
      const r = cc_check(
        cc,
        [
          '-std=gnu11',
          '-Wall',
          '-Wextra',
          '-Werror',
          '-pthread',
          '-I',
          path.join(ROOT, 'include'),
          '-fsyntax-only',
          F(f),
        ],
        { cwd: ROOT },
      );
      expect(r.stdout + r.stderr, f).toBe('');
      expect(r.status, f).toBe(0);
    }
  });
});

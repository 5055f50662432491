/*
 * Playing the device from C: dmashim_device_read/write/fill/errors
 * (dmashim/bridge.h) go through the device side of the core (device_side.ts):
 * the IOMMU or the direct map, swiotlb slots, and the stray-DMA checks, with
 * reports naming the C line of the call.
 */
import { describe, test, expect } from 'vitest';
import { bridge_skip_reason, dmashim_run, mark_line } from './helpers.ts';

const skip = bridge_skip_reason();
const FILE = 'device_side.c';

function lines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.length > 0);
}

function run(options: string[]): { stdout: string; stderr: string } {
  // The program plants stray DMA on purpose: its reports are findings, which here must not fail the run.
  const r = dmashim_run([FILE], ['--all-errors', '--leaks', '--no-fail-on-findings', ...options]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toContain('leak report (bridge): clean');
  expect(r.stderr).not.toMatch(/killed by signal|refused|BUG|WARNING|failed in/);
  return r;
}

const called = (fn: string, name: string): string =>
  `${fn}() called from test/bridge/c/${FILE}:${mark_line(FILE, name)}\n`;
const re = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('dmashim_device_* (C plays the device)', () => {
  test('direct map: fresh data, >4 KiB transfers, overrun refused whole, after-unmap refused, TO_DEVICE write lands', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = run([]);
    expect(lines(r.stdout)).toEqual([
      'rx write: 0',
      'rx before sync: fresh',
      'rx after sync: fresh',
      'fill: 0 ok',
      'big write: 0 ok',
      'big read: 0 ok',
      'overrun: -14 not landed',
      'after unmap: -14 not landed',
      'read after unmap: -14 untouched',
      'to_device write: 0 landed',
      'device errors: 4',
    ]);
    expect(r.stderr).toMatch(/stray DMA write at 0x[0-9a-f]{16}\+4096: not inside any live mapping .*\n/);
    expect(r.stderr).toContain(called('dmashim_device_write', 'overrun'));
    expect(r.stderr).toMatch(
      new RegExp(
        `pci 0000:00:09\\.0: DMA write after unmap at 0x[0-9a-f]{16}\\+128: \\[mapped as single\\].*\\[mapped with DMA_FROM_DEVICE\\]; the access is dropped\\n${re(called('dmashim_device_write', 'late'))}`,
      ),
    );
    expect(r.stderr).toContain(called('dmashim_device_read', 'lateread'));
    expect(r.stderr).toMatch(/device writes into a DMA_TO_DEVICE mapping at 0x[0-9a-f]{16}: .*\[size=64 bytes\]/);
    expect(r.stderr).toContain(called('dmashim_device_write', 'ro'));
  });

  test('--force-bounce: the CPU sees stale data until dma_sync_single_for_cpu (also --threads)', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    for (const extra of [[], ['--threads']]) {
      const r = run(['--force-bounce', ...extra]);
      expect(lines(r.stdout), extra.join(' ')).toEqual([
        'rx write: 0',
        'rx before sync: stale',
        'rx after sync: fresh',
        'fill: 0 ok',
        'big write: 0 ok',
        'big read: 0 ok',
        'overrun: -14 not landed',
        'after unmap: -14 not landed',
        'read after unmap: -14 untouched',
        // The write lands in the bounce slot; a TO_DEVICE unmap does not copy it back.
        'to_device write: 0 not landed',
        'device errors: 4',
      ]);
      expect(r.stderr).toContain(called('dmashim_device_write', 'late'));
    }
  });

  test('--iommu: accesses go through the page table; unmapped and read-only IOVAs are DMAR faults', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = run(['--iommu']);
    expect(lines(r.stdout)).toEqual([
      'rx write: 0',
      'rx before sync: fresh',
      'rx after sync: fresh',
      'fill: 0 ok',
      'big write: 0 ok',
      'big read: 0 ok',
      'overrun: -14 not landed',
      'after unmap: -14 not landed',
      'read after unmap: -14 untouched',
      'to_device write: -14 not landed',
      'device errors: 4',
    ]);
    const dmar = (rw: 'Write' | 'Read'): RegExp =>
      new RegExp(
        `DMAR: \\[DMA ${rw} NO_PASID\\] Request device \\[0000:00:09\\.0\\] fault addr 0x[0-9a-f]+ \\[fault reason 0x0[56]\\] PTE ${rw} access is not set\\n`,
      );
    expect(r.stderr).toMatch(new RegExp(dmar('Write').source + re(called('dmashim_device_write', 'ro'))));
    expect(r.stderr).toMatch(new RegExp(dmar('Write').source + re(called('dmashim_device_write', 'late'))));
    expect(r.stderr).toMatch(new RegExp(dmar('Read').source + re(called('dmashim_device_read', 'lateread'))));
    expect(r.stderr).toContain(called('dmashim_device_write', 'overrun'));
  });
});

/* Each sanitizer report triggered from C names the C file and line of the call. */
import { describe, test, expect } from 'vitest';
import { bridge_skip_reason, dmashim_run, mark_line } from './helpers.ts';

const skip = bridge_skip_reason();
const F = 'test/bridge/c/sanitizer.c';

describe('sanitizer reports from C', () => {
  test('each report is followed by the C call site', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['sanitizer.c'], ['--poison', '--all-errors', '--sites']);
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('done\n');
    const log = r.stderr;
    const expectReport = (report: RegExp, fn: string, mark: string): void => {
      const line = mark_line('sanitizer.c', mark);
      const m = report.exec(log);
      expect(m, `report for ${mark}`).not.toBeNull();
      const after = log.slice(m!.index);
      expect(after).toContain(`${fn}() called from ${F}:${line}\n`);
    };
    expectReport(/dma_pool_free san-64, dma 0x[0-9a-f]+ already free/, 'dma_pool_free', 'double-free');
    expectReport(/dma_pool_free san-64, [0-9a-f]+\/[0-9a-f]+ \(bad dma\)/, 'dma_pool_free', 'bad-dma');
    expectReport(/dma_pool_free san-64, [0-9a-f]+ \(bad vaddr\)\/0x[0-9a-f]+/, 'dma_pool_free', 'bad-vaddr');
    expectReport(/dma_pool_alloc san-64, [0-9a-f]+ \(corrupted\)/, 'dma_pool_alloc', 'corrupted');
    expectReport(/dma_pool_destroy san-other busy/, 'dma_pool_destroy', 'destroy-busy');
    expectReport(
      /frees DMA memory with different size .*\[map size=8192 bytes\] \[unmap size=4096 bytes\]/,
      'dma_free_coherent',
      'coherent-size',
    );
    expectReport(/tries to free DMA memory it has not allocated/, 'dma_free_coherent', 'coherent-unknown');
    expect(log).toContain(`WARNING: at ${F}:${mark_line('sanitizer.c', 'warn')} main()`);
    // With sites on, the sanitizer's own details name C lines too.
    expect(log).toMatch(
      new RegExp(`block written after it was freed at ${F}:\\d+|written after it was freed at ${F}:\\d+`),
    );
    expect(log).toMatch(new RegExp(`allocated at ${F}:\\d+`));
    // The corrupted block is dumped with the byte C wrote into it.
    expect(log).toContain('00000000: a7 a7 a7 a7 a7 42 a7 a7');
  });
});

describe('streaming DMA from C', () => {
  test('map_single / map_page / map_sg work, and a wrong unmap names its C line', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['streaming.c'], ['--all-errors']);
    expect(r.stdout).toBe('single: 1\npage: 1\nsg: 1\n');
    expect(r.stderr).toMatch(
      /DMA-API: pci 0000:00:07\.0: device driver frees DMA memory with different size .*\[map size=64 bytes\] \[unmap size=32 bytes\]/,
    );
    expect(r.stderr).toContain(
      `dma_unmap_single() called from test/bridge/c/streaming.c:${mark_line('streaming.c', 'unmap-size')}\n`,
    );
    expect(r.status).toBe(3);
  });
});

describe('memory that is not DMA-able, from C', () => {
  test('the stack, static data and malloc memory are refused with dma-debug texts and their C lines', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['illegal_area.c'], ['--all-errors']);
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('1 1 1\n');
    const F2 = 'test/bridge/c/illegal_area.c';
    const log = r.stderr;
    const at = (mark: string) => `dma_map_single() called from ${F2}:${mark_line('illegal_area.c', mark)}\n`;
    expect(log).toMatch(
      /DMA-API: pci 0000:00:08\.0: device driver maps memory from stack \[probable addr=[0-9a-f]{16}\]\n/,
    );
    expect(log).toMatch(
      /DMA-API: pci 0000:00:08\.0: device driver maps memory from kernel text or rodata \[addr=[0-9a-f]{16}\] \[len=256\]\n/,
    );
    expect(log).toMatch(
      /DMA-API: pci 0000:00:08\.0: device driver maps memory from invalid area \[addr=[0-9a-f]{16}\] \[len=64\]\n/,
    );
    expect(log.indexOf(at('stack'))).toBeGreaterThan(log.indexOf('maps memory from stack'));
    expect(log.indexOf(at('static'))).toBeGreaterThan(log.indexOf('kernel text or rodata'));
    expect(log.indexOf(at('heap'))).toBeGreaterThan(log.indexOf('invalid area'));
  });
});

describe('fault injection from the command line', () => {
  test('--fail-interval with --fail-pool fails every third pool allocation, logged as injected with the C line', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['fault.c'], ['--fail-interval', '3', '--fail-pool', 'ring']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('fails=3\n');
    expect(r.stderr.match(/injected: dma_pool_alloc\(ring\) on 0000:00:09\.0 failed \(call \d+\)/g)).toHaveLength(3);
    expect(r.stderr).toContain(`dma_pool_alloc() called from test/bridge/c/fault.c:${mark_line('fault.c', 'alloc')}\n`);
    const bad = dmashim_run(['fault.c'], ['--fail-kinds', 'disk']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('--fail-kinds: unknown kind disk');
  });
});

describe('dma-debug filters from the command line', () => {
  test('--device-filter keeps reports of other devices out', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const other = dmashim_run(['illegal_area.c'], ['--all-errors', '--device-filter', '0000:00:99.0']);
    expect(other.status).toBe(0);
    expect(other.stderr).not.toContain('DMA-API:');
    const same = dmashim_run(['illegal_area.c'], ['--all-errors', '--device-filter', '0000:00:08.0']);
    expect(same.stderr.match(/DMA-API:/g)).toHaveLength(3);
  });
});

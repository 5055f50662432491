/*
 * Device memory from C and from the command line: --iomem windows, memremap /
 * ioremap, dma_declare_coherent_memory through <linux/dma-map-ops.h>, the
 * allocations, the device side, dma_mmap_coherent with user space's side, the
 * sanitizer's reports at the C line; and the two sram-ring examples.
 */
import { describe, test, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { bridge_skip_reason, dmashim_run, mark_line, ROOT } from './helpers.ts';

const skip = bridge_skip_reason();
const FILE = 'devmem.c';
const SRAM = ['--iomem', '1M@0x7f00000000:sram'];
const WINDOW = 'is in iomem window sram [mem 0x7f00000000-0x7f000fffff], which is not RAM and has no struct page';

const lines = (s: string): string[] => s.split('\n').filter((l) => l.length > 0);
const called = (fn: string, name: string): string =>
  `${fn}() called from test/bridge/c/${FILE}:${mark_line(FILE, name)}`;

/* The report of `fn` on device memory, then its "called from" line. */
function reported(stderr: string, fn: string, mark: string): void {
  const i = stderr.indexOf(`\n${called(fn, mark)}\n`);
  expect(i, `${fn} at MARK ${mark}`).toBeGreaterThan(0);
  const report = stderr.slice(stderr.lastIndexOf('\n', i - 1) + 1, i);
  expect(report).toMatch(new RegExp(`^dmashim: ${fn}\\(\\) of device memory: `));
  expect(report).toContain(WINDOW);
}

describe('device memory from C (--iomem)', () => {
  test('memremap/ioremap, declare, allocations, device side, mmap, and the reports', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run([FILE], [...SRAM, '--leaks', '--no-fail-on-findings']);
    expect(r.status, r.stderr).toBe(0);
    expect(lines(r.stdout)).toEqual([
      'memremap: ok, readl 0x12345678, byte 0x78, phys 0x7f0000f000',
      'ioremap of RAM: NULL',
      'declare size 0: -22',
      'declare outside: -22',
      'declare: 0',
      'declare again: -16',
      'alloc: bus 0x40000000 phys 0x7f00000000 zeroed 1; order 2: bus 0x40004000',
      'too big: NULL',
      'pool block: bus 0x40001000 phys 0x7f00001000; dmam: bus 0x40002000 phys 0x7f00002000',
      'poolinfo - 0.1',
      'snd-desc            1   64   64  1',
      'device write: 0, cpu sees 1 2 3',
      'device read: 0, cafef00d',
      'stray write: -14, lands 0',
      'mmap: 0, user sees 0x77',
      'mmap past: -6',
      'user still sees 0x77',
      'munmap: 0, again -22',
      'page_address: same; map_single error; map_page error',
      'ram page_address: ok',
    ]);
    expect(r.stderr).toContain(`ioremap on RAM at 0x10000 - 0x10fff\n${called('ioremap', 'ioremap_ram')}\n`);
    expect(r.stderr).toContain(`stray DMA write at 0x000000004000c000+3`);
    expect(r.stderr).toContain(called('dmashim_device_write', 'stray'));
    expect(r.stderr).toMatch(/dma_free_coherent\(\) of a buffer still mmap\(\)ed to user space .* big mistake/);
    expect(r.stderr).toContain(called('dma_free_coherent', 'free_mapped'));
    reported(r.stderr, 'virt_to_page', 'virt_to_page');
    reported(r.stderr, 'page_address', 'page_address');
    reported(r.stderr, 'sg_set_buf', 'sg_set_buf');
    reported(r.stderr, 'sg_set_page', 'sg_set_page');
    reported(r.stderr, 'dma_map_single', 'map_single');
    reported(r.stderr, 'dma_map_page', 'map_page');
    // One report each: RAM is never reported, dma_map_page's page_address is not a second one.
    expect(r.stderr.match(/of device memory: /g)).toHaveLength(6);
    expect(r.stderr).toContain('leak report (bridge): clean');
    expect(r.stderr).toMatch(/10 findings \(1 warn, 9 misuse\)/);
  });

  test('without the window, nothing is device memory: memremap and declare refuse, ioremap gives register memory', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['devmem_none.c'], ['--no-fail-on-findings']);
    expect(r.status, r.stderr).toBe(0);
    expect(lines(r.stdout)).toEqual(['memremap: NULL', 'ioremap: MAPPED', 'declare: -22']);
    expect(r.stderr).toMatch(/memremap\(0x7f00000000, 0x1000\): no device memory there/);
  });

  test('--iomem refusals: one line, exit 2', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const cases: Array<[string, RegExp]> = [
      ['1M', /^dmashim: --iomem: bad window "1M" \(SIZE@PHYS\[:NAME\]/],
      ['1M@zz', /^dmashim: --iomem: bad size "zz"/],
      ['1M@0x1000', /^dmashim: --iomem: iomem window at 0x1000: overlaps the RAM bank at 0x0/],
      ['1M@0x7f00000001', /^dmashim: --iomem: iomem window at 0x7f00000001: phys must be a multiple of 4096/],
      ['100@0x7f00000000', /^dmashim: --iomem: .*size must be a positive multiple of 4096/],
      ['1M@0x7f00000000:a b', /^dmashim: --iomem: .*name must be/],
    ];
    for (const [spec, re] of cases) {
      const r = dmashim_run([FILE], ['--iomem', spec]);
      expect(r.status, spec).toBe(2);
      expect(lines(r.stderr), spec).toHaveLength(1);
      expect(r.stderr, spec).toMatch(re);
    }
    const two = dmashim_run([FILE], [...SRAM, '--iomem', '4K@0x7f00080000:b']);
    expect(two.status).toBe(2);
    expect(two.stderr).toMatch(/^dmashim: --iomem: iomem window at 0x7f00080000: overlaps iomem window sram\n$/);
  });

  test('dmashim run --help documents --iomem', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'dmashim.js'), 'run', '--help'], {
      encoding: 'utf8',
    });
    expect(r.stdout + r.stderr).toMatch(/--iomem SPEC +device memory \(not RAM, no struct page\), SIZE@PHYS\[:NAME\]/);
  });
});

describe('the sram-ring examples (C and TypeScript)', () => {
  const expected = [
    'probe: 0',
    'ring: bus 0x40000000, phys 0x7f00000000',
    'desc0: bus 0x40010000, mailbox 0x40010000',
    'card writes period 1: 0, cpu sees 3 6',
    'mmap: 0, user sees 3 6',
    'mmap past the ring: -6',
    'dma_map_sg of it: 0',
    'munmap: 0',
  ];

  test('examples/sram-ring.c: ring in SRAM, mapped to user space, caught at virt_to_page', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['examples/sram-ring.c'], SRAM);
    expect(lines(r.stdout)).toEqual(expected);
    expect(r.stderr).toMatch(
      new RegExp(
        `dmashim: virt_to_page\\(\\) of device memory: .*${WINDOW.replace(/[[\]()]/g, '\\$&')}.*\\n` +
          'virt_to_page\\(\\) called from examples/sram-ring.c:\\d+\\n',
      ),
    );
    expect(r.stderr).toMatch(/sg_set_page\(\) called from examples\/sram-ring\.c:\d+/);
    expect(r.stderr).toMatch(/dma_free_coherent\(\) of a buffer still mmap\(\)ed to user space .* big mistake/);
    expect(r.status).toBe(3); /* findings fail the run */
  });

  test('examples/sram-ring.ts prints the same and is caught the same way', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env['VITEST'];
    delete env['DMASHIM_QUIET'];
    const ts = spawnSync(process.execPath, ['--import', 'tsx', path.join('examples', 'sram-ring.ts')], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
    });
    expect(ts.status, ts.stderr).toBe(0);
    expect(lines(ts.stdout)).toEqual(expected);
    expect(ts.stderr).toMatch(
      /virt_to_page\(\) of device memory: .*iomem window sram .*called from examples\/sram-ring\.ts:\d+/,
    );
    expect(ts.stderr).toMatch(/sg_set_page\(\) of device memory: /);
    expect(ts.stderr).toMatch(/dma_free_coherent\(\) of a buffer still mmap\(\)ed to user space .* big mistake/);
  });
});

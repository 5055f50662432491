/*
 * The DMA API's less common calls and a program's own dma_map_ops, from C
 * (test/bridge/c/dmaapi-*.c), on the default machine, with every mapping
 * bounced and behind the IOMMU: what each call returns, and the dma-debug
 * reports, each naming its C line.
 */
import { describe, test, expect } from 'vitest';
import { bridge_skip_reason, dmashim_run } from './helpers.ts';

const skip = bridge_skip_reason();

const CALLS = [
  'alloc_pages: ok zeroed=1',
  'noncoherent: ok',
  'mmap_wc: 0 user_sees_buffer=1 can_mmap=1',
  'mmap past the end: -6',
  'munmap: 0 again: -22 user after: (nil)',
  'get_sgtable: 0 nents=1 length=8192 page_ok=1',
  'noncontiguous: nents=1 dma_len=12288 vmap_ok=1',
  'opt=max:1 min_align=4095',
  'seg: 0 0 max=131072 boundary=0xffff',
  'pci_dma_sync_single: cpu_sees_device=1 device_sees_cpu=1',
  'ops: (nil)',
];

describe('the DMA API calls from C', () => {
  const MODES: Array<[string, string[], string, string]> = [
    ['the default machine', [], 'bus=phys:1', 'map_resource: 0xfe000000 need_sync=0'],
    ['--force-bounce', ['--force-bounce'], 'bus=phys:1', 'map_resource: 0xfe000000 need_sync=0'],
    ['--iommu', ['--iommu'], 'bus=phys:0', 'map_resource: 0xffff'],
  ];
  for (const [name, options, bus, resource] of MODES) {
    test(`return what the kernel returns on ${name}, with no report`, (ctx) => {
      ctx.skip(skip !== null, skip ?? '');
      const r = dmashim_run(['dmaapi-calls.c'], options);
      expect(r.stderr).not.toContain('DMA-API');
      expect(r.stderr).not.toContain('WARNING');
      for (const line of CALLS) expect(r.stdout).toContain(line);
      expect(r.stdout).toContain(bus);
      expect(r.stdout).toContain(resource);
      expect(r.status).toBe(0);
    });
  }

  test("dma-debug's reports name the C line", (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['dmaapi-calls.c'], ['--all-errors'], ['misuse']);
    const lines = r.stderr.split('\n');
    const after = (text: string): string => lines[lines.findIndex((l) => l.includes(text)) + 1] ?? '';
    expect(r.stderr).toContain('[map size=4096 bytes] [unmap size=8192 bytes]');
    expect(after('[unmap size=8192 bytes]')).toMatch(
      /^dma_free_pages\(\) called from test\/bridge\/c\/dmaapi-calls\.c:\d+$/,
    );
    expect(r.stderr).toContain('device driver syncs DMA memory outside allocated range');
    expect(r.stderr).toContain('[mapped as resource] [unmapped as page]');
    expect(r.stderr).toContain('WARN_ON_ONCE(pfn_valid(PHYS_PFN(phys_addr)))');
    expect(r.stdout).toContain('map_resource of RAM: DMA_MAPPING_ERROR');
    expect(r.status).toBe(3);
  });
});

describe("a program's own dma_map_ops", () => {
  test('set_dma_ops makes the API call them; dma-debug checks first; NULL is the direct mapping', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['dmaapi-ops.c'], ['--all-errors']);
    expect(r.stdout).toContain('default ops: (nil)');
    expect(r.stdout).toContain('get_dma_ops is mine: 1 can_mmap=0 opt=65536');
    expect(r.stdout).toContain('map_single: ops=1 offset=1');
    expect(r.stdout).toContain('after a wrong-size unmap: unmap calls=1 sync calls=1');
    expect(r.stdout).toContain('after a double unmap: unmap calls=1 sync calls=1');
    expect(r.stdout).toContain('alloc_coherent: ops=1 offset=1');
    expect(r.stdout).toContain('free_coherent: ops=1');
    expect(r.stdout).toContain('map_sg: 2 ops=1 offset=1');
    expect(r.stdout).toContain('unmap_sg: ops=1');
    expect(r.stdout).toContain('alloc_pages without alloc_pages_op: (nil)');
    expect(r.stdout).toContain('direct again: ops=1 phys=1 get=(nil)');
    expect(r.stderr).toMatch(
      /\[map size=256 bytes\] \[unmap size=128 bytes\]\ndma_unmap_single\(\) called from test\/bridge\/c\/dmaapi-ops\.c:\d+/,
    );
    expect(r.stderr).toContain('device driver tries to free DMA memory it has not allocated');
    expect(r.stderr).toMatch(/3 findings \(3 dma-debug\)/);
    expect(r.status).toBe(3);
  });

  test('set_dma_ops(dev, NULL) leaves the IOMMU for the direct mapping', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['dmaapi-ops.c'], ['--iommu']);
    expect(r.stdout).toContain('behind --iommu before set_dma_ops(NULL): 1');
    expect(r.stdout).toContain('direct again: ops=1 phys=1 get=(nil)');
  });
});

import { describe, it, expect } from 'vitest';
import {
  dma_pool_create,
  dma_pool_alloc,
  dma_pool_zalloc,
  dma_pool_free,
  dma_pool_destroy,
  dma_addr,
  GFP_KERNEL,
  memset,
  mem_bytes,
  type Machine,
  sanitizer_configure,
} from '../../src/index.ts';

function virt_to_phys_for_test(m: Machine, v: number): number {
  return m.offToPhys(m.virtToOff(v));
}
import { small_machine, test_device } from '../helpers.ts';

// The hot path: no poisoning, no sites, so alloc/free take the fast path (other files cover the slow one).
const m = small_machine({ poison: false });
sanitizer_configure(m, { sites: false });
const dev = test_device(m);

/* The dmapool_test table, and boundary cases of our own; expected blocks per page from the layout rule. */
const rows: Array<[size: number, align: number, boundary: number, perPage: number]> = [
  [16, 16, 0, 256],
  [64, 64, 0, 64],
  [256, 256, 0, 16],
  [1024, 1024, 0, 4],
  [4096, 4096, 0, 1],
  [68, 32, 4096, 42],
  [512, 512, 2048, 8],
  [96, 32, 256, 32], // two 96-byte blocks per 256-byte segment
  [100, 4, 128, 32],
  [3000, 8, 0, 1],
  [24, 8, 32, 128], // one per 32-byte segment
  [5000, 0, 0, 1], // allocation above a page
];

function fill(pool: NonNullable<ReturnType<typeof dma_pool_create>>, n: number) {
  const out: Array<{ v: number; d: number }> = [];
  for (let i = 0; i < n; i++) {
    const h = dma_addr();
    const v = dma_pool_alloc(pool, GFP_KERNEL, h);
    expect(v).not.toBe(0);
    out.push({ v, d: h.value });
  }
  return out;
}

describe.each(rows)('layout size %i align %i boundary %i', (size, align, boundary, perPage) => {
  it('carves the expected blocks per page, aligned, never crossing the boundary in bus space, no overlap', () => {
    const pool = dma_pool_create('layout', dev, size, align, boundary)!;
    const blocks = fill(pool, perPage * 3);
    expect(pool.nr_pages).toBe(3);
    expect(pool.nr_blocks).toBe(perPage * 3);
    expect(pool.blocks_per_page).toBe(perPage);
    const a = Math.max(align, 1);
    const b = pool.boundary;
    const sorted = [...blocks].sort((x, y) => x.d - y.d);
    for (let i = 0; i < sorted.length; i++) {
      const { v, d } = sorted[i]!;
      expect(d % a).toBe(0);
      // Same boundary window in bus space (a boundary is a power of two unless it is a >page allocation).
      if ((b & (b - 1)) === 0) expect(Math.floor(d / b)).toBe(Math.floor((d + pool.size - 1) / b));
      expect(v - m.vbase).toBe(m.physToOff(d)); // vaddr and dma are the same byte
      if (i > 0) expect(d).toBeGreaterThanOrEqual(sorted[i - 1]!.d + pool.size);
    }
    for (const x of blocks) dma_pool_free(pool, x.v, x.d);
    expect(pool.nr_active).toBe(0);
    dma_pool_destroy(pool);
  });

  it('hands out a fresh page in ascending address order, then reuses freed blocks LIFO', () => {
    const pool = dma_pool_create('order', dev, size, align, boundary)!;
    const first = fill(pool, perPage);
    for (let i = 1; i < first.length; i++) expect(first[i]!.d).toBeGreaterThan(first[i - 1]!.d);
    const pick = perPage >= 3 ? [0, perPage - 1, 1] : [0];
    for (const i of pick) dma_pool_free(pool, first[i]!.v, first[i]!.d);
    const again = fill(pool, pick.length);
    expect(again.map((x) => x.d)).toEqual([...pick].reverse().map((i) => first[i]!.d));
    expect(pool.nr_pages).toBe(1); // reuse, no new page
    for (const x of first) dma_pool_free(pool, x.v, x.d);
    dma_pool_destroy(pool);
  });
});

describe('reuse across pages and zeroing', () => {
  it('a freed block from an older page is reused before a new page is carved', () => {
    const pool = dma_pool_create('x', dev, 1024, 1024, 0)!;
    const blocks = fill(pool, 8); // two pages
    dma_pool_free(pool, blocks[1]!.v, blocks[1]!.d); // page 0
    dma_pool_free(pool, blocks[6]!.v, blocks[6]!.d); // page 1
    const h = dma_addr();
    expect(dma_pool_alloc(pool, GFP_KERNEL, h)).toBe(blocks[6]!.v);
    expect(dma_pool_alloc(pool, GFP_KERNEL, h)).toBe(blocks[1]!.v);
    const v = dma_pool_alloc(pool, GFP_KERNEL, h); // now a third page
    expect(pool.nr_pages).toBe(3);
    expect(v).not.toBe(0);
  });

  it('zalloc zeroes a block that was dirtied before it was freed', () => {
    const pool = dma_pool_create('z', dev, 64, 64, 0)!;
    const h = dma_addr();
    const v = dma_pool_alloc(pool, GFP_KERNEL, h);
    memset(v, 0x5a, 64);
    dma_pool_free(pool, v, h.value);
    const v2 = dma_pool_zalloc(pool, GFP_KERNEL, h);
    expect(v2).toBe(v);
    expect([...mem_bytes(v2, 64)].every((x) => x === 0)).toBe(true);
  });

  it('a pool on a 32-bit device gets pages below 4 GiB', () => {
    const d32 = test_device(m, 'dev32', 32);
    const pool = dma_pool_create('low', d32, 64, 0, 0)!;
    const blocks = fill(pool, 200);
    for (const b of blocks) expect(b.d).toBeLessThan(2 ** 32);
    expect(virt_to_phys_for_test(m, blocks[0]!.v)).toBe(blocks[0]!.d);
  });
});

describe('bus space', () => {
  it('alignment and boundaries hold in bus space for a device with a DMA offset', () => {
    const d = test_device(m, 'offset-dev', 64);
    d.dma_offset = 0x40000000;
    const pool = dma_pool_create('bus', d, 96, 32, 4096)!;
    const blocks = fill(pool, 200);
    for (const { v, d: dma } of blocks) {
      expect(dma % 32).toBe(0);
      expect(Math.floor(dma / 4096)).toBe(Math.floor((dma + 95) / 4096));
      expect(dma - 0x40000000).toBe(virt_to_phys_for_test(m, v));
    }
    expect(() => {
      d.dma_offset = 0x800;
    }).toThrow(/multiple of 4 MiB/);
  });
});

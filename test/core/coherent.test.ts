import { describe, it, expect } from 'vitest';
import {
  dma_alloc_coherent,
  dma_free_coherent,
  dmam_alloc_coherent,
  dmam_free_coherent,
  dma_addr,
  dmesg_mark,
  dmesg_since,
  mem_bytes,
  memset,
  device,
  dev_set_name,
  device_register,
  device_unregister,
  dma_set_mask_and_coherent,
  DMA_BIT_MASK,
  GFP_KERNEL,
  GFP_ATOMIC,
  __GFP_DMA,
  fmt_p,
  ZONE_DMA,
  ZONE_DMA32,
  ZONE_NORMAL,
  type Machine,
} from '../../src/index.ts';
import { small_machine, test_device, MiB } from '../helpers.ts';

function freePages(m: Machine): number[] {
  return [ZONE_DMA, ZONE_DMA32, ZONE_NORMAL].map((z) => m.buddy.zoneStats(z).free_pages);
}

describe('dma_alloc_coherent', () => {
  it('returns zeroed, page-aligned memory contiguous in phys and bus space, honouring the bus offset', () => {
    const m = small_machine();
    const dev = test_device(m);
    dev.dma_offset = 0x80000000;
    const h = dma_addr();
    const v = dma_alloc_coherent(dev, 3 * 4096 + 5, h, GFP_KERNEL);
    expect(v).not.toBe(0);
    expect(h.value % 4096).toBe(0);
    expect(h.value - dev.dma_offset).toBe(m.offToPhys(m.virtToOff(v)));
    expect([...mem_bytes(v, 4 * 4096)].every((x) => x === 0)).toBe(true);
    memset(v, 0xff, 4 * 4096);
    dma_free_coherent(dev, 3 * 4096 + 5, v, h.value);
    const v2 = dma_alloc_coherent(dev, 4 * 4096, h, GFP_KERNEL);
    expect(v2).toBe(v); // same block back (LIFO buddy), and zeroed again
    expect([...mem_bytes(v2, 4 * 4096)].every((x) => x === 0)).toBe(true);
  });

  it('a 32-bit device never gets memory above 4 GiB, and gets NULL when low memory is exhausted', () => {
    const m = small_machine();
    const d32 = test_device(m, 'd32', 32);
    const d64 = test_device(m, 'd64', 64);
    const got: Array<[number, number]> = [];
    const h = dma_addr();
    for (;;) {
      const v = dma_alloc_coherent(d32, 4 * MiB, h, GFP_KERNEL);
      if (!v) break;
      expect(h.value + 4 * MiB - 1).toBeLessThanOrEqual(0xffffffff);
      got.push([v, h.value]);
    }
    expect(got.length).toBeGreaterThan(10); // most of the 64 MiB below 4 GiB
    // Smaller pieces are still found below 4 GiB until those run out too.
    while (dma_alloc_coherent(d32, 4096, h, GFP_ATOMIC)) expect(h.value).toBeLessThan(2 ** 32);
    expect(dma_alloc_coherent(d32, 4096, h, GFP_KERNEL)).toBe(0);
    // High memory is untouched and still serves a 64-bit device.
    expect(freePages(m)[2]).toBe(64 * 256);
    expect(dma_alloc_coherent(d64, 4096, h, GFP_KERNEL)).not.toBe(0);
    expect(h.value).toBeGreaterThanOrEqual(2 ** 32);
  });

  it('a 24-bit device is served from ZONE_DMA only; __GFP_DMA is ignored for placement as in the kernel', () => {
    const m = small_machine();
    const d24 = test_device(m, 'isa', 24);
    const h = dma_addr();
    expect(dma_alloc_coherent(d24, 8192, h, GFP_KERNEL)).not.toBe(0);
    expect(h.value + 8191).toBeLessThan(16 * MiB);
    const d64 = test_device(m, 'wide', 64);
    dma_alloc_coherent(d64, 4096, h, GFP_KERNEL | __GFP_DMA);
    expect(h.value).toBeGreaterThanOrEqual(2 ** 32);
  });

  it('a device with no coherent mask gets NULL (and one WARN)', () => {
    const m = small_machine();
    const dev = new device(m);
    dev_set_name(dev, 'nomask');
    device_register(dev);
    const mark = dmesg_mark();
    expect(dma_alloc_coherent(dev, 4096, dma_addr(), GFP_KERNEL)).toBe(0);
    expect(dmesg_since(mark)).toContain('WARN_ON_ONCE(!dev->coherent_dma_mask)');
  });

  it('size 0 or larger than the largest block gives NULL', () => {
    const m = small_machine();
    const dev = test_device(m);
    expect(dma_alloc_coherent(dev, 0, dma_addr(), GFP_KERNEL)).toBe(0);
    const mark = dmesg_mark();
    expect(dma_alloc_coherent(dev, 8 * MiB, dma_addr(), GFP_KERNEL)).toBe(0);
    expect(dmesg_since(mark)).toContain('page allocation failure: order:11');
  });
});

describe('dma_free_coherent misuse is reported and frees nothing', () => {
  function setup() {
    const m = small_machine();
    const dev = test_device(m, 'coh');
    const h = dma_addr();
    const v = dma_alloc_coherent(dev, 8192, h, GFP_KERNEL);
    return { m, dev, v, d: h.value, before: freePages(m) };
  }

  it('wrong size', () => {
    const { m, dev, v, d, before } = setup();
    const mark = dmesg_mark();
    dma_free_coherent(dev, 4096, v, d);
    expect(dmesg_since(mark)).toBe(
      `DMA-API: coh: device driver frees DMA memory with different size [device address=0x${d.toString(16).padStart(16, '0')}] [map size=8192 bytes] [unmap size=4096 bytes]\n`,
    );
    expect(freePages(m)).toEqual(before);
    dma_free_coherent(dev, 8192, v, d); // the right free still works
    expect(freePages(m)[2]).toBe(before[2]! + 2);
  });

  it('wrong handle', () => {
    const { m, dev, v, d, before } = setup();
    const mark = dmesg_mark();
    dma_free_coherent(dev, 8192, v, d + 4096);
    expect(dmesg_since(mark)).toBe(
      `DMA-API: coh: device driver tries to free DMA memory it has not allocated [device address=0x${(d + 4096).toString(16).padStart(16, '0')}] [size=8192 bytes]\n`,
    );
    expect(freePages(m)).toEqual(before);
  });

  it('wrong CPU address', () => {
    const { m, dev, v, d, before } = setup();
    const mark = dmesg_mark();
    dma_free_coherent(dev, 8192, v + 4096, d);
    expect(dmesg_since(mark)).toBe(
      `DMA-API: coh: device driver frees DMA memory with different CPU address [device address=0x${d.toString(16).padStart(16, '0')}] [size=8192 bytes] [cpu alloc address=0x${fmt_p(v)}] [cpu free address=0x${fmt_p(v + 4096)}]\n`,
    );
    expect(freePages(m)).toEqual(before);
  });

  it('double free, and NULL is a no-op', () => {
    const { m, dev, v, d, before } = setup();
    dma_free_coherent(dev, 8192, v, d);
    const after = freePages(m);
    expect(after[2]).toBe(before[2]! + 2);
    const mark = dmesg_mark();
    dma_free_coherent(dev, 8192, v, d);
    expect(dmesg_since(mark)).toContain('device driver tries to free DMA memory it has not allocated');
    expect(freePages(m)).toEqual(after);
    dma_free_coherent(dev, 8192, 0, 0);
    expect(freePages(m)).toEqual(after);
  });

  it('all errors are counted; only the first is printed by default (dma-debug num_errors=1)', () => {
    const m = small_machine();
    const dev = test_device(m, 'quiet');
    const mark = dmesg_mark();
    dma_free_coherent(dev, 4096, 0x1234000 + m.vbase, 0x1234000);
    dma_free_coherent(dev, 4096, 0x1235000 + m.vbase, 0x1235000);
    expect(dmesg_since(mark).split('\n').filter(Boolean)).toHaveLength(1);
  });
});

describe('managed coherent memory', () => {
  it('dmam_alloc_coherent is freed at device_unregister; dmam_free_coherent frees now', () => {
    const m = small_machine();
    const dev = new device(m);
    dev_set_name(dev, 'managed');
    device_register(dev);
    dev.dma_mask = 0n;
    dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
    const before = freePages(m);
    const h1 = dma_addr();
    const a = dmam_alloc_coherent(dev, 4096, h1, GFP_KERNEL);
    const h2 = dma_addr();
    const b = dmam_alloc_coherent(dev, 4096, h2, GFP_KERNEL);
    dmam_free_coherent(dev, 4096, a, h1.value);
    expect(freePages(m)[2]).toBe(before[2]! - 1);
    const mark = dmesg_mark();
    dmam_free_coherent(dev, 4096, a, h1.value); // not managed any more
    expect(dmesg_since(mark)).toContain('WARNING: at kernel/dma/mapping.c dmam_free_coherent');
    expect(b).not.toBe(0);
    device_unregister(dev);
    expect(freePages(m)).toEqual(before);
  });
});

describe('the page allocator', () => {
  it('coalesces back to its initial state after everything is freed', () => {
    const m = small_machine();
    const initial = [0, 1, 2].map((z) => m.buddy.zoneStats(z).free_blocks.join(','));
    const dev = test_device(m);
    const live: Array<[number, number, number]> = [];
    const h = dma_addr();
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let i = 0; i < 400; i++) {
      if (live.length && rnd() < 0.4) {
        const [v, d, s] = live.splice(Math.floor(rnd() * live.length), 1)[0]!;
        dma_free_coherent(dev, s, v, d);
      } else {
        const s = 4096 << Math.floor(rnd() * 6);
        const v = dma_alloc_coherent(dev, s, h, GFP_KERNEL);
        if (v) live.push([v, h.value, s]);
      }
    }
    for (const [v, d, s] of live) dma_free_coherent(dev, s, v, d);
    expect([0, 1, 2].map((z) => m.buddy.zoneStats(z).free_blocks.join(','))).toEqual(initial);
  });

  it('falls back NORMAL -> DMA32 -> DMA and returns -1 on exhaustion, never throwing', () => {
    const m = small_machine();
    const b = m.buddy;
    const total = [0, 1, 2].map((z) => b.zoneStats(z).free_pages);
    const got: number[] = [];
    for (;;) {
      const p = b.alloc(GFP_KERNEL, 10);
      if (p < 0) break;
      got.push(p);
    }
    // NORMAL went first, then DMA32, then DMA.
    const zones = got.map((p) => b.zoneOf(p));
    expect(zones).toEqual([...zones].sort((x, y) => y - x));
    expect(b.alloc(GFP_KERNEL, 0)).toBeGreaterThanOrEqual(0); // smaller blocks remain (page 0 is reserved)
    for (let i = 0; i < 10000 && b.alloc(GFP_KERNEL, 0) >= 0; i++);
    expect(b.alloc(GFP_KERNEL, 0)).toBe(-1);
    expect(b.zoneStats(ZONE_NORMAL).failures + b.zoneStats(ZONE_DMA32).failures).toBeGreaterThan(0);
    expect(total[0]).toBe(16 * 256 - 1); // the first page is reserved: DMA address 0 is never handed out
    expect(b.free(123456789, 0)).toBe(false);
    expect(b.free(-1, 0)).toBe(false);
  });

  it('the high-first policy hands out descending pages, low-first ascending', () => {
    for (const policy of ['low-first', 'high-first'] as const) {
      const m = small_machine({ page_order: policy });
      const pages = Array.from({ length: 8 }, () => m.buddy.alloc(GFP_KERNEL, 0));
      const diffs = pages.slice(1).map((p, i) => p - pages[i]!);
      expect(diffs.every((d) => d === (policy === 'low-first' ? 1 : -1))).toBe(true);
    }
  });
});

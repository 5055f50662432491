/*
 * A 65,536-entry scatterlist through dma_map_sg / dma_unmap_sg, direct and
 * behind the IOMMU: every entry is mapped, tracked by dma-debug (one entry per
 * segment, findable by address and by containment), synced, and released again,
 * leaving nothing pending. Covers the batch paths (presized tracking, one site
 * per list, the lazily built page index) at a size where they matter.
 */
import { describe, it, expect } from 'vitest';
import { GFP_KERNEL, device_unregister, type Machine, type device } from '../../src/index.ts';
import { dma_map_sg, dma_unmap_sg, dma_sync_sg_for_cpu, dma_sync_sg_for_device } from '../../src/kernel/dma/mapping.ts';
import {
  sg_alloc_table,
  sg_free_table,
  sg_set_page,
  sg_next,
  sg_table,
  type scatterlist,
} from '../../src/lib/scatterlist.ts';
import { alloc_pages, STRUCT_PAGE_SIZE } from '../../src/mm/page.ts';
import { sim_iommu_attach } from '../../src/drivers/iommu/iommu.ts';
import {
  dma_debug_state,
  debug_count_of,
  debug_find_contain,
  debug_find_entry,
  debug_entries_of,
} from '../../src/kernel/dma/debug.ts';
import { device_dma_read } from '../../src/sim/device_side.ts';
import { DMA_BIDIRECTIONAL } from '../../src/include/linux/dma-direction.ts';
import { machine, dev_on, logged } from './helpers.ts';

const N = 65536;
/* 256-byte entries, 8 per page (512 bytes apart): 32 MiB of buffers, and no entry ends at its page's end, so nothing merges behind the IOMMU either. */
const LEN = 256;

function big_table(m: Machine): sg_table {
  const t = new sg_table();
  expect(sg_alloc_table(t, N, GFP_KERNEL)).toBe(0);
  let s: scatterlist | null = t.sgl;
  let page = 0;
  for (let i = 0; i < N && s; i++, s = sg_next(s)) {
    if (i % (8 * 1024) === 0) {
      page = alloc_pages(GFP_KERNEL, 10, m);
      expect(page).not.toBe(0);
    }
    const k = i % (8 * 1024);
    sg_set_page(s, page + Math.floor(k / 8) * STRUCT_PAGE_SIZE, LEN, (k % 8) * 512);
  }
  return t;
}

function check_list(m: Machine, dev: device, behind_iommu: boolean): void {
  const t = big_table(m);
  const first = t.sgl!;
  const s0 = dma_debug_state(m);
  const errors0 = s0.error_count;
  const entries0 = s0.nr_entries;

  let n = 0;
  expect(logged(() => (n = dma_map_sg(dev, first, N, DMA_BIDIRECTIONAL)))).toBe('');
  expect(n).toBe(N);
  expect(debug_count_of(dev)).toBe(N);
  expect(s0.nr_entries).toBe(entries0 + N);

  // Every segment has its own bus range, and dma-debug knows it by address and by containment.
  const seen = new Set<number>();
  let s: scatterlist | null = first;
  for (let i = 0; i < N && s; i++, s = sg_next(s)) {
    expect(s.dma_length).toBe(LEN);
    seen.add(s.dma_address);
    if (i % 4099 === 0 || i === N - 1) {
      const e = debug_find_entry(dev, s.dma_address)!;
      expect(e.type).toBe(2);
      expect(e.size).toBe(LEN);
      expect(e.sg_call_ents).toBe(N);
      expect(e.sg_mapped_ents).toBe(N);
      expect(debug_find_contain(dev, s.dma_address + LEN - 1)?.dev_addr).toBe(s.dma_address);
      expect(device_dma_read(dev, s.dma_address, LEN)).not.toBe(null);
    }
  }
  expect(seen.size).toBe(N);
  if (behind_iommu) expect(Math.min(...seen)).toBeGreaterThan(0);
  expect(debug_entries_of(dev)).toHaveLength(N);

  expect(
    logged(() => {
      dma_sync_sg_for_cpu(dev, first, N, DMA_BIDIRECTIONAL);
      dma_sync_sg_for_device(dev, first, N, DMA_BIDIRECTIONAL);
      dma_unmap_sg(dev, first, N, DMA_BIDIRECTIONAL);
    }),
  ).toBe('');
  expect(debug_count_of(dev)).toBe(0);
  expect(s0.nr_entries).toBe(entries0);
  expect(s0.cachelines.size).toBe(0);
  expect(s0.error_count).toBe(errors0);

  // A device access to an unmapped entry is dropped: the IOMMU faults, or dma-debug still remembers the entry.
  const last = first.arr[N - 1]!;
  expect(logged(() => expect(device_dma_read(dev, last.dma_address, LEN)).toBe(null))).toMatch(
    behind_iommu ? /^DMAR: .* fault addr / : /DMA read after unmap/,
  );

  // Mapped again, the tracking (and, behind the IOMMU, the IOVA space) is reused.
  expect(logged(() => (n = dma_map_sg(dev, first, N, DMA_BIDIRECTIONAL)))).toBe('');
  expect(n).toBe(N);
  expect(debug_count_of(dev)).toBe(N);
  expect(logged(() => dma_unmap_sg(dev, first, N, DMA_BIDIRECTIONAL))).toBe('');
  expect(debug_count_of(dev)).toBe(0);

  sg_free_table(t);
  expect(logged(() => device_unregister(dev))).toBe('');
}

describe('dma_map_sg of 65,536 entries', () => {
  it('direct: maps every entry, dma-debug tracks and releases each one, nothing pending', () => {
    const m = machine();
    check_list(m, dev_on(m), false);
  });

  it('behind the IOMMU: one IOVA range, no merging, every entry tracked and released, IOVAs and page table empty after', () => {
    const m = machine();
    const dev = dev_on(m);
    const dom = sim_iommu_attach(dev);
    check_list(m, dev, true);
    expect(dom.allocs.size).toBe(0);
    expect(dom.pt.size).toBe(0);
  });
});

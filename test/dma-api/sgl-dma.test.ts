/*
 * Scatterlist helpers over mapped lists: the DMA page iterators walk the bus
 * side (sg_dma_address/sg_dma_len, nents), also when an IOMMU merged entries
 * into one segment, and sg_split of a mapped list splits the bus ranges.
 */
import { describe, it, expect } from 'vitest';
import { GFP_KERNEL, device_unregister } from '../../src/index.ts';
import { dma_map_sgtable, dma_unmap_sgtable, dma_map_sg, dma_unmap_sg } from '../../src/kernel/dma/mapping.ts';
import {
  type scatterlist,
  sg_table,
  sg_init_table,
  sg_set_buf,
  sg_alloc_table_from_pages_segment,
  for_each_sgtable_dma_page,
  for_each_sg_dma_page,
  for_each_sgtable_dma_sg,
  sg_page_iter_dma_address,
  sg_dma_address,
  sg_dma_len,
  sg_split,
  sg_free_table,
} from '../../src/lib/scatterlist.ts';
import { alloc_pages, page_address, STRUCT_PAGE_SIZE } from '../../src/mm/page.ts';
import { sim_iommu_attach } from '../../src/drivers/iommu/iommu.ts';
import { DMA_BIDIRECTIONAL, DMA_TO_DEVICE } from '../../src/include/linux/dma-direction.ts';
import { machine, dev_on, logged } from './helpers.ts';

const PAGE = 4096;

function dma_pages(t: sg_table, pgoffset = 0): number[] {
  const got: number[] = [];
  for (const it of for_each_sgtable_dma_page(t, pgoffset)) got.push(sg_page_iter_dma_address(it));
  return got;
}

describe('DMA page iterators', () => {
  it('direct: each mapped segment page by page, from a page offset', () => {
    const m = machine();
    const dev = dev_on(m);
    const first = alloc_pages(GFP_KERNEL, 2, m);
    const pages = [0, 1, 2, 3].map((i) => first + i * STRUCT_PAGE_SIZE);
    const t = new sg_table();
    expect(sg_alloc_table_from_pages_segment(t, pages, 4, 0, 4 * PAGE, 2 * PAGE, GFP_KERNEL)).toBe(0);
    expect(t.orig_nents).toBe(2);
    const log = logged(() => expect(dma_map_sgtable(dev, t, DMA_BIDIRECTIONAL, 0)).toBe(0));
    expect(log).toBe('');
    const segs = [...for_each_sgtable_dma_sg(t)].map((s) => sg_dma_address(s));
    expect(dma_pages(t)).toEqual([segs[0]!, segs[0]! + PAGE, segs[1]!, segs[1]! + PAGE]);
    expect(dma_pages(t, 1)).toEqual([segs[0]! + PAGE, segs[1]!, segs[1]! + PAGE]);
    dma_unmap_sgtable(dev, t, DMA_BIDIRECTIONAL, 0);
    sg_free_table(t);
    device_unregister(dev);
  });

  it('behind an IOMMU: entries merged into one segment are walked as its pages, nents bounds the walk', () => {
    const m = machine();
    const dev = dev_on(m);
    sim_iommu_attach(dev);
    const a = alloc_pages(GFP_KERNEL, 0, m);
    const b = alloc_pages(GFP_KERNEL, 0, m);
    const sg: scatterlist[] = [];
    sg_init_table(sg, 2);
    sg_set_buf(sg[0]!, page_address(b), PAGE);
    sg_set_buf(sg[1]!, page_address(a), PAGE);
    const n = dma_map_sg(dev, sg, 2, DMA_TO_DEVICE);
    expect(n).toBe(1);
    expect(sg_dma_len(sg[0]!)).toBe(2 * PAGE);
    const got: number[] = [];
    for (const it of for_each_sg_dma_page(sg, n, 0)) got.push(sg_page_iter_dma_address(it));
    expect(got).toEqual([sg_dma_address(sg[0]!), sg_dma_address(sg[0]!) + PAGE]);
    dma_unmap_sg(dev, sg, 2, DMA_TO_DEVICE);
    device_unregister(dev);
  });
});

describe('sg_split of a mapped list', () => {
  it('each part carries its share of the bus ranges', () => {
    const m = machine();
    const dev = dev_on(m);
    const va = page_address(alloc_pages(GFP_KERNEL, 1, m));
    const inl: scatterlist[] = [];
    sg_init_table(inl, 3);
    sg_set_buf(inl[0]!, va, 1000);
    sg_set_buf(inl[1]!, va + 2000, 1000);
    sg_set_buf(inl[2]!, va + PAGE + 16, 1000);
    expect(dma_map_sg(dev, inl, 3, DMA_TO_DEVICE)).toBe(3);
    const out: scatterlist[][] = [];
    expect(sg_split(inl[0]!, 3, 500, 2, [700, 1200], out, null, GFP_KERNEL)).toBe(0);
    expect(out[0]!.map((s) => [sg_dma_address(s), sg_dma_len(s)])).toEqual([
      [sg_dma_address(inl[0]!) + 500, 500],
      [sg_dma_address(inl[1]!), 200],
    ]);
    expect(out[1]!.map((s) => [sg_dma_address(s), sg_dma_len(s)])).toEqual([
      [sg_dma_address(inl[1]!) + 200, 800],
      [sg_dma_address(inl[2]!), 400],
    ]);
    // Unmapped split: the parts carry no bus ranges.
    expect(sg_split(inl[0]!, 0, 500, 2, [700, 1200], out, null, GFP_KERNEL)).toBe(0);
    expect(sg_dma_len(out[0]![0]!)).toBe(0);
    dma_unmap_sg(dev, inl, 3, DMA_TO_DEVICE);
    device_unregister(dev);
  });
});

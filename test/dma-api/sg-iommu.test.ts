import { describe, it, expect } from 'vitest';
import {
  GFP_KERNEL,
  dma_addr,
  dma_alloc_coherent,
  dma_free_coherent,
  DmashimError,
  mem_bytes,
  DMA_BIT_MASK,
} from '../../src/index.ts';
import {
  dma_map_sg,
  dma_unmap_sg,
  dma_map_sgtable,
  dma_unmap_sgtable,
  dma_sync_sg_for_cpu,
  dma_map_single,
  dma_unmap_single,
  dma_mapping_error,
  dma_set_max_seg_size,
  dma_set_seg_boundary,
  dma_get_merge_boundary,
  dma_get_required_mask,
  DMA_MAPPING_ERROR,
} from '../../src/kernel/dma/mapping.ts';
import {
  scatterlist,
  sg_init_table,
  sg_set_page,
  sg_set_buf,
  sg_next,
  sg_dma_address,
  sg_dma_len,
  sg_alloc_table,
  sg_free_table,
  sg_mark_end,
  sg_nents,
  sg_table,
  sg_virt,
  for_each_sg,
} from '../../src/lib/scatterlist.ts';
import {
  sim_iommu_attach,
  sim_iommu_detach,
  iommu_set_fault_handler,
  iommu_iova_to_phys,
} from '../../src/drivers/iommu/iommu.ts';
import { swiotlb_configure } from '../../src/kernel/dma/swiotlb.ts';
import { kmalloc } from '../../src/mm/slab.ts';
import { alloc_page, alloc_pages, page_address, page_to_phys, virt_to_phys } from '../../src/mm/page.ts';
import { device_dma_read, device_dma_write } from '../../src/sim/device_side.ts';
import { DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_BIDIRECTIONAL } from '../../src/include/linux/dma-direction.ts';
import { machine, dev_on, logged } from './helpers.ts';
import type { Machine } from '../../src/index.ts';

const P = 'DMA-API: drv dev0: ';
const hex = (v: number): string => '0x' + v.toString(16).padStart(16, '0');

/** n whole pages, allocated one by one (consecutive pages are physically adjacent on a fresh low-first machine). */
function pages_sg(m: Machine, n: number, len = 4096, off = 0): scatterlist[] {
  const sg: scatterlist[] = [];
  sg_init_table(sg, n);
  for (let i = 0; i < n; i++) sg_set_page(sg[i]!, alloc_page(GFP_KERNEL, m), len, off);
  return sg;
}

describe('scatterlist API', () => {
  it('sg_init_table marks the end; sg_next walks and stops; sg_set_buf; sg_dma_len is its own field', () => {
    const m = machine();
    const sg: scatterlist[] = [];
    sg_init_table(sg, 3);
    expect(sg_nents(sg)).toBe(3);
    const b = kmalloc(100, GFP_KERNEL, m);
    sg_set_buf(sg[0]!, b, 100);
    expect(sg_virt(sg[0]!)).toBe(b);
    expect(sg[0]!.length).toBe(100);
    expect(sg_dma_len(sg[0]!)).toBe(0);
    expect(sg_next(sg[1]!)).toBe(sg[2]);
    expect(sg_next(sg[2]!)).toBe(null);
    sg_mark_end(sg[1]!);
    expect(sg_nents(sg)).toBe(2);
    expect([...for_each_sg(sg, 5)]).toHaveLength(2);
    const t = new sg_table();
    expect(sg_alloc_table(t, 0, GFP_KERNEL)).toBe(-22);
    expect(sg_alloc_table(t, 70000, GFP_KERNEL)).toBe(0);
    expect(t.orig_nents).toBe(70000);
    expect(sg_nents(t.sgl!)).toBe(70000);
    sg_free_table(t);
    expect(t.sgl).toBe(null);
  });

  it('sg_set_buf of a non-direct-map address is a BUG (CONFIG_DEBUG_SG)', () => {
    machine();
    const sg = new scatterlist();
    expect(() => sg_set_buf(sg, 0x1000, 10)).toThrow(DmashimError);
  });
});

describe('dma_map_sg, direct mapping', () => {
  it('never merges, even physically adjacent pages: returns nents, sg_dma_len = length', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    const sg = pages_sg(m, 8);
    expect(sg_virt(sg[1]!)).toBe(sg_virt(sg[0]!) + 4096); /* adjacent */
    expect(dma_map_sg(dev, sg, 8, DMA_TO_DEVICE)).toBe(8);
    for (const s of sg) {
      expect(sg_dma_len(s)).toBe(4096);
      expect(sg_dma_address(s)).toBe(page_to_phys(s.page_link));
    }
    expect(logged(() => dma_unmap_sg(dev, sg, 8, DMA_TO_DEVICE))).toBe('');
  });

  it('unmap with a different entry count is reported; sync checks each mapped entry', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    const sg = pages_sg(m, 4);
    dma_map_sg(dev, sg, 4, DMA_FROM_DEVICE);
    expect(logged(() => dma_sync_sg_for_cpu(dev, sg, 4, DMA_FROM_DEVICE))).toBe('');
    expect(logged(() => dma_unmap_sg(dev, sg, 3, DMA_FROM_DEVICE))).toContain(
      `${P}device driver frees DMA sg list with different entry count [map count=4] [unmap count=3]\n`,
    );
  });

  it('bounces high pages for a 32-bit device; fails with 0 (and unmaps the prefix) when it cannot', () => {
    const m = machine();
    const dev = dev_on(m, 32);
    const sg = pages_sg(m, 4);
    expect(page_to_phys(sg[0]!.page_link)).toBeGreaterThan(2 ** 32);
    expect(dma_map_sg(dev, sg, 4, DMA_BIDIRECTIONAL)).toBe(4);
    expect(sg_dma_address(sg[0]!)).toBeLessThan(2 ** 32);
    dma_unmap_sg(dev, sg, 4, DMA_BIDIRECTIONAL);
    const m2 = machine();
    swiotlb_configure(m2, { enabled: false });
    const dev2 = dev_on(m2, 32);
    const low = alloc_page(GFP_KERNEL | 0x04, m2); /* GFP_DMA32 */
    const sg2 = pages_sg(m2, 2);
    sg_set_page(sg2[0]!, low, 4096, 0);
    expect(dma_map_sg(dev2, sg2, 2, DMA_TO_DEVICE)).toBe(0);
    const t = new sg_table();
    sg_alloc_table(t, 2, GFP_KERNEL);
    sg_set_page(t.sgl!, low, 4096, 0);
    sg_set_page(sg_next(t.sgl!)!, sg2[1]!.page_link, 4096, 0);
    expect(dma_map_sgtable(dev2, t, DMA_TO_DEVICE, 0)).toBe(-5);
  });

  it('dma-debug (DEBUG_SG): a segment longer than max_seg_size, or across the segment boundary', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    const p = alloc_pages(GFP_KERNEL, 5, m);
    const sg: scatterlist[] = [];
    sg_init_table(sg, 1);
    sg_set_page(sg[0]!, p, 128 * 1024, 0);
    expect(logged(() => dma_map_sg(dev, sg, 1, DMA_TO_DEVICE))).toBe(
      `${P}mapping sg segment longer than device claims to support [len=131072] [max=65536]\n`,
    );
    dma_unmap_sg(dev, sg, 1, DMA_TO_DEVICE);
    dma_set_seg_boundary(dev, 0xfff);
    sg_init_table(sg, 1);
    sg_set_page(sg[0]!, p, 4096, 2048);
    const start = page_to_phys(p) + 2048;
    expect(logged(() => dma_map_sg(dev, sg, 1, DMA_TO_DEVICE))).toBe(
      `${P}mapping sg segment across boundary [start=${hex(start)}] [end=${hex(start + 4095)}] [boundary=0x0000000000000fff]\n`,
    );
  });
});

describe('IOMMU', () => {
  it('merges page-aligned entries into one IOVA segment, within max_seg_size; entries past the count get length 0', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    sim_iommu_attach(dev);
    expect(dma_get_merge_boundary(dev)).toBe(4095);
    const sg = pages_sg(m, 8);
    expect(dma_map_sg(dev, sg, 8, DMA_TO_DEVICE)).toBe(1);
    expect(sg_dma_len(sg[0]!)).toBe(8 * 4096);
    expect(sg_dma_len(sg[1]!)).toBe(0);
    expect(sg_dma_address(sg[1]!)).toBe(DMA_MAPPING_ERROR);
    expect(iommu_iova_to_phys(dev_dom(dev), sg_dma_address(sg[0]!) + 3 * 4096 + 5)).toBe(
      page_to_phys(sg[3]!.page_link) + 5,
    );
    expect(logged(() => dma_unmap_sg(dev, sg, 8, DMA_TO_DEVICE))).toBe('');
    const big = pages_sg(m, 32);
    expect(dma_map_sg(dev, big, 32, DMA_TO_DEVICE)).toBe(2); /* 128 KiB with max_seg_size 64 KiB */
    expect(sg_dma_len(big[0]!)).toBe(65536);
    dma_unmap_sg(dev, big, 32, DMA_TO_DEVICE);
    dma_set_max_seg_size(dev, 8192);
    expect(dma_map_sg(dev, big, 32, DMA_TO_DEVICE)).toBe(16);
    dma_unmap_sg(dev, big, 32, DMA_TO_DEVICE);
  });

  it('does not merge partial entries, nor across the segment boundary', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    sim_iommu_attach(dev);
    const part = pages_sg(m, 4, 100);
    expect(dma_map_sg(dev, part, 4, DMA_FROM_DEVICE)).toBe(4);
    dma_unmap_sg(dev, part, 4, DMA_FROM_DEVICE);
    dma_set_seg_boundary(dev, 0x3fff);
    const sg = pages_sg(m, 8);
    expect(dma_map_sg(dev, sg, 8, DMA_FROM_DEVICE)).toBe(2);
    expect(sg_dma_len(sg[0]!)).toBe(16384);
    expect(sg_dma_address(sg[1]!) % 16384).toBe(0);
    dma_unmap_sg(dev, sg, 8, DMA_FROM_DEVICE);
  });

  it('faults: an unmapped IOVA, a write through a TO_DEVICE mapping, DMA after unmap; nothing lands', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    const dom = sim_iommu_attach(dev);
    const b = kmalloc(256, GFP_KERNEL, m);
    mem_bytes(b, 256).fill(0x11);
    const d = dma_map_single(dev, b, 256, DMA_TO_DEVICE);
    dma_mapping_error(dev, d);
    expect(d).not.toBe(virt_to_phys(b));
    expect(device_dma_read(dev, d, 4)).toEqual(new Uint8Array([0x11, 0x11, 0x11, 0x11]));
    let rc = 0;
    expect(logged(() => (rc = device_dma_write(dev, d, [1, 2])))).toBe(
      `DMAR: [DMA Write NO_PASID] Request device [dev0] fault addr 0x${d.toString(16)} [fault reason 0x05] PTE Write access is not set\n`,
    );
    expect(rc).toBe(-14);
    expect(mem_bytes(b, 1)[0]).toBe(0x11);
    expect(logged(() => expect(device_dma_read(dev, 0x7000, 4)).toBe(null))).toBe(
      'DMAR: [DMA Read NO_PASID] Request device [dev0] fault addr 0x7000 [fault reason 0x06] PTE Read access is not set\n',
    );
    dma_unmap_single(dev, d, 256, DMA_TO_DEVICE);
    expect(logged(() => device_dma_read(dev, d, 4))).toContain(`fault addr 0x${d.toString(16)} [fault reason 0x06]`);
    expect(dom.faults.map((f) => f.reason)).toEqual(['permission', 'not-present', 'not-present']);
    let seen = 0;
    iommu_set_fault_handler(dom, () => {
      seen++;
      return 0;
    });
    expect(logged(() => device_dma_read(dev, 0x9000, 1))).toBe('');
    expect(seen).toBe(1);
  });

  it('coherent allocations get IOVAs; the device reaches them through the IOMMU; required mask is 32 bits', () => {
    const m = machine();
    const dev = dev_on(m, 32);
    sim_iommu_attach(dev);
    expect(dma_get_required_mask(dev)).toBe(DMA_BIT_MASK(32));
    const h = dma_addr();
    const v = dma_alloc_coherent(dev, 8192, h, GFP_KERNEL);
    expect(v).not.toBe(0);
    expect(h.value).not.toBe(virt_to_phys(v));
    expect(h.value + 8191).toBeLessThanOrEqual(0xffffffff);
    expect(device_dma_write(dev, h.value + 4096, [5, 6])).toBe(0);
    expect([...mem_bytes(v + 4096, 2)]).toEqual([5, 6]);
    expect(() => sim_iommu_detach(dev)).toThrow(DmashimError);
    dma_free_coherent(dev, 8192, v, h.value);
    expect(logged(() => device_dma_read(dev, h.value, 1))).toContain('DMAR: [DMA Read NO_PASID]');
    sim_iommu_detach(dev);
  });

  it('IOVA space exhaustion: dma_map_single gives DMA_MAPPING_ERROR, dma_map_sg 0, dma_map_sgtable -ENOMEM', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    sim_iommu_attach(dev, { aperture_start: 4096, aperture_end: 3 * 4096 - 1 });
    const sg = pages_sg(m, 8);
    expect(dma_map_sg(dev, sg, 8, DMA_TO_DEVICE)).toBe(0);
    const t = new sg_table();
    sg_alloc_table(t, 8, GFP_KERNEL);
    let s: scatterlist | null = t.sgl;
    for (let i = 0; s; i++, s = sg_next(s)) sg_set_page(s, sg[i]!.page_link, 4096, 0);
    expect(dma_map_sgtable(dev, t, DMA_TO_DEVICE, 0)).toBe(-12);
    const b = kmalloc(8192, GFP_KERNEL, m);
    const a1 = dma_map_single(dev, b, 4096, DMA_TO_DEVICE);
    const a2 = dma_map_single(dev, b + 4096, 4096, DMA_TO_DEVICE);
    expect(dma_mapping_error(dev, a1)).toBe(0);
    expect(dma_mapping_error(dev, a2)).toBe(0);
    expect(dma_map_single(dev, b, 4096, DMA_TO_DEVICE)).toBe(DMA_MAPPING_ERROR);
    dma_unmap_single(dev, a1, 4096, DMA_TO_DEVICE);
    expect(dma_mapping_error(dev, dma_map_single(dev, b, 4096, DMA_TO_DEVICE))).toBe(0); /* reused */
    expect(() => dma_unmap_sgtable(dev, t, DMA_TO_DEVICE)).not.toThrow();
  });
});

import { iommu_get_domain_for_dev, type iommu_domain } from '../../src/drivers/iommu/iommu.ts';
function dev_dom(dev: Parameters<typeof iommu_get_domain_for_dev>[0]): iommu_domain {
  return iommu_get_domain_for_dev(dev)!;
}
void page_address;

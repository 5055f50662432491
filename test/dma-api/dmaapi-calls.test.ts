/*
 * The DMA API's less common calls, from TypeScript: non-coherent pages,
 * write-combined and non-contiguous memory, MMIO resources, get_sgtable,
 * need_sync, opt_mapping_size, min_align_mask, dmam_alloc_attrs, and their
 * dma-debug reports.
 */
import { describe, it, expect } from 'vitest';
import {
  GFP_KERNEL,
  __GFP_DMA32,
  dma_addr,
  mem_bytes,
  device_unregister,
  dma_alloc_pages,
  dma_free_pages,
  dma_alloc_noncoherent,
  dma_free_noncoherent,
  dma_alloc_wc,
  dma_free_wc,
  dma_mmap_wc,
  dma_mmap_pages,
  dma_alloc_noncontiguous,
  dma_free_noncontiguous,
  dma_vmap_noncontiguous,
  dma_mmap_noncontiguous,
  dma_map_resource,
  dma_unmap_resource,
  dma_get_sgtable,
  dma_need_sync,
  dma_opt_mapping_size,
  dma_max_mapping_size,
  dma_set_min_align_mask,
  dma_get_min_align_mask,
  dmam_alloc_attrs,
  dma_map_single,
  dma_unmap_single,
  dma_unmap_page,
  dma_mapping_error,
  dma_sync_single_for_cpu,
  dma_debug_dump,
  set_dma_ops,
  get_dma_ops,
  DMA_ATTR_WRITE_COMBINE,
  DMA_ATTR_NO_WARN,
  DMA_MAPPING_ERROR,
  SIZE_MAX,
  vma_user_bytes,
  vma_munmap,
  type dma_map_ops,
  type vm_area_struct,
} from '../../src/index.ts';
import { sg_table, sg_dma_address, sg_dma_len, sg_page } from '../../src/lib/scatterlist.ts';
import { page_address, page_to_phys, virt_to_phys } from '../../src/mm/page.ts';
import { kmalloc } from '../../src/mm/slab.ts';
import { DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_BIDIRECTIONAL } from '../../src/include/linux/dma-direction.ts';
import { swiotlb_set_force_bounce, swiotlb_init } from '../../src/kernel/dma/swiotlb.ts';
import { sim_iommu_attach } from '../../src/drivers/iommu/iommu.ts';
import { machine, dev_on, logged, GiB } from './helpers.ts';

const PAGE = 4096;

describe('dma_alloc_pages / dma_alloc_noncoherent', () => {
  it('zeroed pages under the coherent mask; the handle is their bus address', () => {
    const m = machine();
    const dev = dev_on(m, 32);
    const h = dma_addr();
    const page = dma_alloc_pages(dev, 5000, h, DMA_BIDIRECTIONAL, GFP_KERNEL);
    expect(page).not.toBe(0);
    expect(h.value).toBe(page_to_phys(page));
    expect(h.value + 2 * PAGE - 1).toBeLessThanOrEqual(0xffffffff);
    expect([...mem_bytes(page_address(page), 2 * PAGE)].every((b) => b === 0)).toBe(true);
    expect(logged(() => dma_free_pages(dev, 5000, page, h.value, DMA_BIDIRECTIONAL))).toBe('');
    expect(dma_debug_dump(m, dev)).toBe('');
  });

  it('dma-debug: a free with another size or direction is reported, an unmap_page of it is the wrong function', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    // As the kernel's check_unmap: each mismatch is reported and the entry is gone, so one misuse per buffer.
    const one = (misuse: (v: number, h: number) => void): string => {
      const h = dma_addr();
      const v = dma_alloc_noncoherent(dev, PAGE, h, DMA_FROM_DEVICE, GFP_KERNEL);
      expect(v).not.toBe(0);
      expect(dma_debug_dump(m, dev)).toContain('noncoherent');
      return logged(() => misuse(v, h.value));
    };
    expect(one((_v, h) => dma_unmap_page(dev, h, PAGE, DMA_FROM_DEVICE))).toContain(
      '[mapped as noncoherent] [unmapped as page]',
    );
    expect(one((v, h) => dma_free_noncoherent(dev, 2 * PAGE, v, h, DMA_FROM_DEVICE))).toContain(
      'frees DMA memory with different size',
    );
    expect(one((v, h) => dma_free_noncoherent(dev, PAGE, v, h, DMA_TO_DEVICE))).toContain(
      'frees DMA memory with different direction',
    );
    // Another page than the one allocated: reported and nothing freed (the kernel would free that page).
    const h2 = dma_addr();
    const v2 = dma_alloc_noncoherent(dev, PAGE, h2, DMA_FROM_DEVICE, GFP_KERNEL);
    const other = kmalloc(PAGE, GFP_KERNEL, m);
    expect(logged(() => dma_free_noncoherent(dev, PAGE, other, h2.value, DMA_FROM_DEVICE))).toContain(
      'frees DMA memory with different CPU address',
    );
    expect(dma_debug_dump(m, dev)).toContain('noncoherent');
    expect(logged(() => dma_free_noncoherent(dev, PAGE, v2, h2.value, DMA_FROM_DEVICE))).toBe('');
    // The sync a driver does before reading what the device wrote is fine; then the right free, once.
    const log = one((v, h) => {
      dma_sync_single_for_cpu(dev, h, PAGE, DMA_FROM_DEVICE);
      dma_free_noncoherent(dev, PAGE, v, h, DMA_FROM_DEVICE);
    });
    expect(log).toBe('');
    expect(
      one((v, h) => {
        dma_free_noncoherent(dev, PAGE, v, h, DMA_FROM_DEVICE);
        dma_free_noncoherent(dev, PAGE, v, h, DMA_FROM_DEVICE);
      }),
    ).toContain('it has not allocated');
    expect(dma_debug_dump(m, dev)).toBe('');
  });

  it('the kernel WARNs and refuses zone flags and a device without a coherent mask', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    const h = dma_addr();
    let page = 1;
    expect(logged(() => (page = dma_alloc_pages(dev, PAGE, h, DMA_TO_DEVICE, GFP_KERNEL | __GFP_DMA32)))).toContain(
      'WARN_ON_ONCE(gfp & (__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM))',
    );
    expect(page).toBe(0);
    dev.coherent_dma_mask = 0n;
    expect(logged(() => (page = dma_alloc_pages(dev, PAGE, h, DMA_TO_DEVICE, GFP_KERNEL)))).toContain(
      'WARN_ON_ONCE(!dev->coherent_dma_mask)',
    );
    expect(page).toBe(0);
    expect(dma_alloc_pages(dev, 0, h, DMA_TO_DEVICE, GFP_KERNEL)).toBe(0);
  });

  it('behind the IOMMU: mapped through the IOMMU (an IOVA, not the physical address) and freed cleanly', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    sim_iommu_attach(dev);
    const h = dma_addr();
    const v = dma_alloc_noncoherent(dev, 3 * PAGE, h, DMA_BIDIRECTIONAL, GFP_KERNEL);
    expect(v).not.toBe(0);
    expect(h.value).not.toBe(virt_to_phys(v));
    expect(logged(() => dma_free_noncoherent(dev, 3 * PAGE, v, h.value, DMA_BIDIRECTIONAL))).toBe('');
    expect(dma_debug_dump(m, dev)).toBe('');
  });

  it('dma_mmap_pages: the user view is the memory; -ENXIO past the end', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    const h = dma_addr();
    const page = dma_alloc_pages(dev, 2 * PAGE, h, DMA_BIDIRECTIONAL, GFP_KERNEL);
    const big: vm_area_struct = { vm_start: 0x7000_0000, vm_end: 0x7000_0000 + 3 * PAGE, vm_pgoff: 0 };
    expect(dma_mmap_pages(dev, big, 2 * PAGE, page)).toBe(-6);
    const off: vm_area_struct = { vm_start: 0x7000_0000, vm_end: 0x7000_0000 + PAGE, vm_pgoff: 2 };
    expect(dma_mmap_pages(dev, off, 2 * PAGE, page)).toBe(-6);
    const vma: vm_area_struct = { vm_start: 0x7000_0000, vm_end: 0x7000_0000 + PAGE, vm_pgoff: 1 };
    expect(dma_mmap_pages(dev, vma, 2 * PAGE, page)).toBe(0);
    vma_user_bytes(vma)[5] = 0xab;
    expect(mem_bytes(page_address(page) + PAGE + 5, 1)[0]).toBe(0xab);
    expect(vma_munmap(vma)).toBe(0);
    dma_free_pages(dev, 2 * PAGE, page, h.value, DMA_BIDIRECTIONAL);
  });
});

describe('write-combined and non-contiguous memory', () => {
  it('dma_alloc_wc / dma_mmap_wc / dma_free_wc', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    const h = dma_addr();
    const v = dma_alloc_wc(dev, PAGE, h, GFP_KERNEL);
    expect(v).not.toBe(0);
    const vma: vm_area_struct = { vm_start: 0x1000_0000, vm_end: 0x1000_0000 + PAGE, vm_pgoff: 0 };
    expect(dma_mmap_wc(dev, vma, v, h.value, PAGE)).toBe(0);
    mem_bytes(v, 1)[0] = 7;
    expect(vma_user_bytes(vma)[0]).toBe(7);
    vma_munmap(vma);
    expect(logged(() => dma_free_wc(dev, PAGE, v, h.value))).toBe('');
    expect(dma_debug_dump(m, dev)).toBe('');
  });

  it('dma_alloc_noncontiguous: one segment in a one-entry table, vmap is its address', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    const sgt = dma_alloc_noncontiguous(dev, 3 * PAGE, DMA_FROM_DEVICE, GFP_KERNEL, 0);
    expect(sgt).not.toBeNull();
    expect(sgt!.nents).toBe(1);
    expect(sgt!.orig_nents).toBe(1);
    const sg = sgt!.sgl!;
    expect(sg_dma_len(sg)).toBe(3 * PAGE);
    expect(sg_dma_address(sg)).toBe(page_to_phys(sg_page(sg)));
    const v = dma_vmap_noncontiguous(dev, 3 * PAGE, sgt!);
    expect(v).toBe(page_address(sg_page(sg)));
    const vma: vm_area_struct = { vm_start: 0x2000_0000, vm_end: 0x2000_0000 + 3 * PAGE, vm_pgoff: 0 };
    expect(dma_mmap_noncontiguous(dev, vma, 3 * PAGE, sgt!)).toBe(0);
    vma_munmap(vma);
    expect(logged(() => dma_free_noncontiguous(dev, 3 * PAGE, sgt!, DMA_FROM_DEVICE))).toBe('');
    expect(sgt!.sgl).toBeNull();
    expect(dma_debug_dump(m, dev)).toBe('');
  });

  it('dma_alloc_noncontiguous refuses attributes other than DMA_ATTR_ALLOC_SINGLE_PAGES', () => {
    const dev = dev_on(machine(), 64);
    let r: sg_table | null = new sg_table();
    expect(
      logged(() => (r = dma_alloc_noncontiguous(dev, PAGE, DMA_TO_DEVICE, GFP_KERNEL, DMA_ATTR_NO_WARN))),
    ).toContain('WARN_ON_ONCE(attrs & ~DMA_ATTR_ALLOC_SINGLE_PAGES)');
    expect(r).toBeNull();
  });

  it('dmam_alloc_attrs is released with the device', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    const h = dma_addr();
    expect(dmam_alloc_attrs(dev, PAGE, h, GFP_KERNEL, DMA_ATTR_WRITE_COMBINE)).not.toBe(0);
    expect(dma_debug_dump(m, dev)).toContain('coherent');
    expect(logged(() => device_unregister(dev))).not.toContain('DMA-API');
    expect(dma_debug_dump(m, dev)).toBe('');
  });
});

describe('dma_map_resource', () => {
  it('MMIO maps 1:1; dma-debug tracks it and checks the unmap', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    const bar = 0xfe00_0000;
    const dma = dma_map_resource(dev, bar, PAGE, DMA_BIDIRECTIONAL, 0);
    expect(dma).toBe(bar);
    expect(dma_need_sync(dev, dma)).toBe(false);
    expect(dma_debug_dump(m, dev)).toContain('resource');
    expect(logged(() => dma_unmap_resource(dev, dma, PAGE, DMA_BIDIRECTIONAL, 0))).toBe('');
    expect(dma_debug_dump(m, dev)).toBe('');
    dma_map_resource(dev, bar, PAGE, DMA_BIDIRECTIONAL, 0);
    expect(logged(() => dma_unmap_resource(dev, dma, 2 * PAGE, DMA_BIDIRECTIONAL, 0))).toContain(
      'frees DMA memory with different size',
    );
    dma_map_resource(dev, bar, PAGE, DMA_BIDIRECTIONAL, 0);
    expect(logged(() => dma_unmap_single(dev, dma, PAGE, DMA_BIDIRECTIONAL))).toContain(
      '[mapped as resource] [unmapped as single]',
    );
    expect(logged(() => dma_unmap_resource(dev, dma, PAGE, DMA_BIDIRECTIONAL, 0))).toContain('it has not allocated');
  });

  it('RAM is refused with the kernel WARN; out of the mask, the overflow report', () => {
    const m = machine();
    const dev = dev_on(m, 32);
    let dma = 0;
    expect(logged(() => (dma = dma_map_resource(dev, 0x10_0000, PAGE, DMA_TO_DEVICE, 0)))).toContain(
      'WARN_ON_ONCE(pfn_valid(PHYS_PFN(phys_addr)))',
    );
    expect(dma).toBe(DMA_MAPPING_ERROR);
    expect(logged(() => (dma = dma_map_resource(dev, 8 * GiB, PAGE, DMA_TO_DEVICE, 0)))).toContain('overflow');
    expect(dma).toBe(DMA_MAPPING_ERROR);
    expect(dma_debug_dump(m, dev)).toBe('');
  });
});

describe('the small queries', () => {
  it('dma_need_sync: only a bounced mapping needs syncs on x86', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    const buf = kmalloc(256, GFP_KERNEL, m);
    const direct = dma_map_single(dev, buf, 256, DMA_TO_DEVICE);
    dma_mapping_error(dev, direct);
    expect(dma_need_sync(dev, direct)).toBe(false);
    dma_unmap_single(dev, direct, 256, DMA_TO_DEVICE);
    swiotlb_init(m);
    swiotlb_set_force_bounce(dev, true);
    const bounced = dma_map_single(dev, buf, 256, DMA_TO_DEVICE);
    dma_mapping_error(dev, bounced);
    expect(bounced).not.toBe(virt_to_phys(buf));
    expect(dma_need_sync(dev, bounced)).toBe(true);
    dma_unmap_single(dev, bounced, 256, DMA_TO_DEVICE);
  });

  it('dma_opt_mapping_size: dma_max_mapping_size, or the ops are smaller', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    expect(dma_opt_mapping_size(dev)).toBe(SIZE_MAX);
    swiotlb_init(m);
    swiotlb_set_force_bounce(dev, true);
    expect(dma_opt_mapping_size(dev)).toBe(dma_max_mapping_size(dev));
    expect(dma_opt_mapping_size(dev)).toBe(256 * 1024);
    swiotlb_set_force_bounce(dev, false);
    const dev2 = dev_on(m, 64, 'dev2');
    sim_iommu_attach(dev2);
    const iommu = get_dma_ops(dev2)!;
    const ops: dma_map_ops = { ...iommu, opt_mapping_size: () => 65536 };
    set_dma_ops(dev2, ops);
    expect(dma_opt_mapping_size(dev2)).toBe(65536);
    set_dma_ops(dev2, null);
    expect(get_dma_ops(dev2)).toBeNull();
  });

  it('dma_get_sgtable: one entry over the pages of a coherent buffer', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    const h = dma_addr();
    const v = dma_alloc_wc(dev, 5000, h, GFP_KERNEL);
    const sgt = new sg_table();
    expect(dma_get_sgtable(dev, sgt, v, h.value, 5000)).toBe(0);
    expect(sgt.orig_nents).toBe(1);
    expect(sgt.sgl!.length).toBe(2 * PAGE);
    expect(page_address(sg_page(sgt.sgl!))).toBe(v);
    expect(dma_get_sgtable(dev, new sg_table(), 12345, h.value, 5000)).toBe(-6);
    dma_free_wc(dev, 5000, v, h.value);
  });

  it('dma_set_min_align_mask is kept per device', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    expect(dma_get_min_align_mask(dev)).toBe(0);
    dma_set_min_align_mask(dev, 4095);
    expect(dma_get_min_align_mask(dev)).toBe(4095);
    expect(dma_get_min_align_mask(dev_on(m, 64, 'other'))).toBe(0);
  });
});

describe("a device's own TypeScript dma_map_ops", () => {
  it('alloc_pages_op / free_pages and map_resource / unmap_resource are called, dma-debug around them', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    const direct = dma_addr();
    const calls: string[] = [];
    const BUS = 0x4000_0000;
    set_dma_ops(dev, {
      alloc: () => 0,
      free: () => {},
      map_phys: (_d, phys) => phys + BUS,
      unmap_phys: () => {},
      map_sg: () => -5,
      unmap_sg: () => {},
      alloc_pages_op(_d, size, h) {
        calls.push(`alloc_pages_op ${size}`);
        const p = dma_alloc_pages(dev_on(m, 64, 'backing'), size, direct, DMA_BIDIRECTIONAL, GFP_KERNEL);
        h.value = page_to_phys(p) + BUS;
        return p;
      },
      free_pages: (_d, size) => void calls.push(`free_pages ${size}`),
      map_resource(_d, phys) {
        calls.push('map_resource');
        return phys + BUS;
      },
      unmap_resource: () => void calls.push('unmap_resource'),
    });
    const h = dma_addr();
    const page = dma_alloc_pages(dev, 100, h, DMA_TO_DEVICE, GFP_KERNEL);
    expect(h.value).toBe(page_to_phys(page) + BUS);
    expect(logged(() => dma_free_pages(dev, 100, page, h.value, DMA_TO_DEVICE))).toBe('');
    expect(dma_map_resource(dev, 0xfe00_0000, PAGE, DMA_TO_DEVICE, 0)).toBe(0xfe00_0000 + BUS);
    expect(logged(() => dma_unmap_resource(dev, 0xfe00_0000 + BUS, PAGE, DMA_TO_DEVICE, 0))).toBe('');
    // Not mapped: dma-debug reports it and the ops never see it.
    expect(logged(() => dma_unmap_resource(dev, 0xfe00_0000 + BUS, PAGE, DMA_TO_DEVICE, 0))).toContain(
      'it has not allocated',
    );
    expect(calls).toEqual([`alloc_pages_op ${PAGE}`, `free_pages ${PAGE}`, 'map_resource', 'unmap_resource']);
    expect(dma_debug_dump(m, dev)).toBe('');
  });
});

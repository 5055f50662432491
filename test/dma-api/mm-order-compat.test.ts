import { describe, it, expect } from 'vitest';
import { GFP_KERNEL, __GFP_DMA, mem_bytes, DmashimError, DMA_BIT_MASK } from '../../src/index.ts';
import { kmalloc, kzalloc, kfree, ksize, ZERO_SIZE_PTR } from '../../src/mm/slab.ts';
import {
  alloc_pages,
  __free_pages,
  __get_free_pages,
  free_pages,
  get_zeroed_page,
  page_address,
  virt_to_page,
  virt_to_phys,
  phys_to_virt,
  page_to_pfn,
  pfn_to_page,
} from '../../src/mm/page.ts';
import { vmalloc, vfree, vmalloc_to_page, is_vmalloc_addr, vmalloc_read, vmalloc_write } from '../../src/mm/vmalloc.ts';
import { page_order_experiment } from '../../examples/page_order.ts';
import {
  pci_map_single,
  pci_unmap_single,
  pci_map_page,
  pci_unmap_page,
  pci_map_sg,
  pci_unmap_sg,
  pci_dma_sync_single_for_cpu,
  pci_dma_sync_single_for_device,
  pci_dma_sync_sg_for_cpu,
  pci_dma_sync_sg_for_device,
  pci_dma_mapping_error,
  PCI_DMA_BIDIRECTIONAL,
  PCI_DMA_TODEVICE,
  PCI_DMA_FROMDEVICE,
  PCI_DMA_NONE,
} from '../../compat/index.ts';
import { type scatterlist, sg_init_table, sg_set_buf } from '../../src/lib/scatterlist.ts';
import { DMA_MAPPING_ERROR } from '../../src/kernel/dma/mapping.ts';
import { device_dma_write } from '../../src/sim/device_side.ts';
import { machine, pci_on, logged } from './helpers.ts';

describe('kmalloc / kzalloc / kfree', () => {
  it('power-of-two objects are naturally aligned, kzalloc zeroes, ZERO_SIZE_PTR for 0, large sizes come from pages', () => {
    const m = machine();
    const a = kmalloc(64, GFP_KERNEL, m);
    const b = kmalloc(64, GFP_KERNEL, m);
    expect(a % 64).toBe(0);
    expect(b).toBe(a + 64);
    expect(ksize(kmalloc(90, GFP_KERNEL, m))).toBe(96);
    mem_bytes(a, 64).fill(0xff);
    kfree(a);
    const z = kzalloc(64, GFP_KERNEL, m);
    expect(z).toBe(a); /* LIFO */
    expect([...mem_bytes(z, 64)].every((x) => x === 0)).toBe(true);
    expect(kmalloc(0, GFP_KERNEL, m)).toBe(ZERO_SIZE_PTR);
    kfree(ZERO_SIZE_PTR);
    kfree(0);
    const big = kmalloc(20000, GFP_KERNEL, m);
    expect(big % 4096).toBe(0);
    expect(ksize(big)).toBe(32768);
    kfree(big);
    const d = kmalloc(100, GFP_KERNEL | __GFP_DMA, m);
    expect(virt_to_phys(d)).toBeLessThan(16 * 1024 * 1024);
  });

  it('double free and bad pointers are reported and free nothing', () => {
    const m = machine();
    const a = kmalloc(32, GFP_KERNEL, m);
    kmalloc(32, GFP_KERNEL, m);
    kfree(a);
    expect(logged(() => kfree(a))).toBe('BUG kmalloc-32 (Not tainted): Object already free\n');
    const b = kmalloc(32, GFP_KERNEL, m);
    expect(logged(() => kfree(b + 4))).toBe(
      `BUG kmalloc-32 (Not tainted): Invalid object pointer 0x${(b + 4).toString(16).padStart(16, '0')}\n`,
    );
    expect(logged(() => kfree(0x1000))).toContain('object pointer: 0x0000000000001000');
  });
});

describe('pages and address conversions', () => {
  it('alloc_pages / page_address / virt_to_page / virt_to_phys / phys_to_virt round-trip; free_pages checks', () => {
    const m = machine();
    const p = alloc_pages(GFP_KERNEL, 2, m);
    const v = page_address(p);
    expect(virt_to_page(v)).toBe(p);
    expect(virt_to_page(v + 4096)).toBe(p + 64); /* struct page pointer arithmetic */
    expect(phys_to_virt(virt_to_phys(v), m)).toBe(v);
    expect(pfn_to_page(page_to_pfn(p), m)).toBe(p);
    __free_pages(p, 2);
    expect(logged(() => __free_pages(p, 2))).toContain('BUG: Bad page state');
    const z = get_zeroed_page(GFP_KERNEL, m);
    expect([...mem_bytes(z, 4096)].every((x) => x === 0)).toBe(true);
    const g = __get_free_pages(GFP_KERNEL, 1, m);
    expect(logged(() => free_pages(g, 0))).toContain('BUG: Bad page state');
    expect(logged(() => free_pages(g, 1))).toBe('');
  });

  it('vmalloc: virtually contiguous, physically scattered, outside the direct map; vfree checks', () => {
    const m = machine();
    const v = vmalloc(3 * 4096 + 10, m);
    expect(is_vmalloc_addr(v)).toBe(true);
    expect(virt_to_page(v)).toBe(0);
    expect(() => mem_bytes(v, 1)).toThrow(DmashimError);
    vmalloc_write(v + 4090, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
    expect([...vmalloc_read(v + 4090, 12)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const p0 = vmalloc_to_page(v);
    const p1 = vmalloc_to_page(v + 4096);
    expect(p0 && p1).toBeTruthy();
    expect(mem_bytes(page_address(p1), 6)[5]).toBe(12);
    vfree(v);
    expect(logged(() => vfree(v))).toContain(
      `Trying to vfree() nonexistent vm area (${v.toString(16).padStart(16, '0')})`,
    );
  });
});

describe('page order policy and sg merging', () => {
  it('high-first: pages come out descending, near 0% merge; low-first: well above 50%', () => {
    for (const scenario of ['fresh', 'busy'] as const) {
      const hi = page_order_experiment('high-first', scenario, 2048);
      const lo = page_order_experiment('low-first', scenario, 2048);
      expect(hi.merge_rate).toBeLessThan(0.02);
      expect(lo.merge_rate).toBeGreaterThan(0.5);
    }
    const busy = page_order_experiment('low-first', 'busy', 4096);
    expect(busy.merge_rate).toBeGreaterThan(0.5);
    expect(busy.merge_rate).toBeLessThan(0.7); /* the article's ~55%, not a fresh machine's ~100% */
  });
});

describe('pci-dma-compat', () => {
  it('the PCI_DMA_* constants and the pci_* wrappers act on &pdev->dev', () => {
    expect([PCI_DMA_BIDIRECTIONAL, PCI_DMA_TODEVICE, PCI_DMA_FROMDEVICE, PCI_DMA_NONE]).toEqual([0, 1, 2, 3]);
    const m = machine();
    const pdev = pci_on(m, 32);
    expect(pdev.dev.dma_mask).toBe(DMA_BIT_MASK(32));
    const b = kmalloc(256, GFP_KERNEL, m);
    mem_bytes(b, 4).fill(0);
    const d = pci_map_single(pdev, b, 256, PCI_DMA_FROMDEVICE);
    expect(pci_dma_mapping_error(pdev, d)).toBe(0);
    device_dma_write(pdev.dev, d, [4, 4]);
    pci_dma_sync_single_for_cpu(pdev, d, 256, PCI_DMA_FROMDEVICE);
    expect(mem_bytes(b, 1)[0]).toBe(4);
    pci_dma_sync_single_for_device(pdev, d, 256, PCI_DMA_FROMDEVICE);
    expect(logged(() => pci_unmap_single(pdev, d, 256, PCI_DMA_FROMDEVICE))).toBe('');
    const p = virt_to_page(b);
    const dp = pci_map_page(pdev, p, 0, 64, PCI_DMA_TODEVICE);
    pci_dma_mapping_error(pdev, dp);
    expect(logged(() => pci_unmap_page(pdev, dp, 64, PCI_DMA_TODEVICE))).toBe('');
    const sg: scatterlist[] = [];
    sg_init_table(sg, 2);
    sg_set_buf(sg[0]!, b, 100);
    sg_set_buf(sg[1]!, b + 128, 100);
    expect(pci_map_sg(pdev, sg, 2, PCI_DMA_BIDIRECTIONAL)).toBe(2);
    pci_dma_sync_sg_for_cpu(pdev, sg, 2, PCI_DMA_BIDIRECTIONAL);
    pci_dma_sync_sg_for_device(pdev, sg, 2, PCI_DMA_BIDIRECTIONAL);
    expect(logged(() => pci_unmap_sg(pdev, sg, 2, PCI_DMA_BIDIRECTIONAL))).toBe('');
    expect(pci_map_single(null, b, 1, PCI_DMA_TODEVICE)).toBe(DMA_MAPPING_ERROR);
    expect(pci_dma_mapping_error(pdev, DMA_MAPPING_ERROR)).toBe(-12);
  });
});

/*
 * The pci-dma-compat names added for the DMA groups, from TypeScript: 2.4's
 * one sync (for the device with TODEVICE, for the CPU otherwise, seen through
 * a bounced mapping), pci_dma_supported and the segment limits.
 */
import { describe, it, expect } from 'vitest';
import {
  pci_map_single,
  pci_unmap_single,
  pci_dma_mapping_error,
  pci_dma_sync_single,
  pci_dma_sync_sg,
  pci_map_sg,
  pci_unmap_sg,
  pci_dma_supported,
  pci_set_dma_max_seg_size,
  pci_set_dma_seg_boundary,
  PCI_DMA_TODEVICE,
  PCI_DMA_FROMDEVICE,
} from '../../compat/index.ts';
import { GFP_KERNEL, mem_bytes, dma_get_max_seg_size, dma_get_seg_boundary } from '../../src/index.ts';
import { kmalloc } from '../../src/mm/slab.ts';
import { scatterlist, sg_init_one, sg_dma_address } from '../../src/lib/scatterlist.ts';
import { swiotlb_init, swiotlb_set_force_bounce } from '../../src/kernel/dma/swiotlb.ts';
import { device_dma_read, device_dma_write } from '../../src/sim/device_side.ts';
import { machine, pci_on } from './helpers.ts';

describe('2.4 pci_dma_sync_single / pci_dma_sync_sg', () => {
  it('FROMDEVICE: the CPU sees what the device wrote into the bounce buffer', () => {
    const m = machine();
    const p = pci_on(m, 64);
    swiotlb_init(m);
    swiotlb_set_force_bounce(p.dev, true);
    const buf = kmalloc(64, GFP_KERNEL, m);
    mem_bytes(buf, 64).fill(0x11);
    const dma = pci_map_single(p, buf, 64, PCI_DMA_FROMDEVICE);
    expect(pci_dma_mapping_error(p, dma)).toBe(0);
    expect(device_dma_write(p.dev, dma, new Uint8Array(64).fill(0x22))).toBe(0);
    expect(mem_bytes(buf, 1)[0]).toBe(0x11);
    pci_dma_sync_single(p, dma, 64, PCI_DMA_FROMDEVICE);
    expect(mem_bytes(buf, 1)[0]).toBe(0x22);
    pci_unmap_single(p, dma, 64, PCI_DMA_FROMDEVICE);
  });

  it('TODEVICE: the device sees what the CPU wrote after the mapping', () => {
    const m = machine();
    const p = pci_on(m, 64);
    swiotlb_init(m);
    swiotlb_set_force_bounce(p.dev, true);
    const buf = kmalloc(64, GFP_KERNEL, m);
    const sg = new scatterlist();
    sg_init_one(sg, buf, 64);
    expect(pci_map_sg(p, sg, 1, PCI_DMA_TODEVICE)).toBe(1);
    mem_bytes(buf, 64).fill(0x33);
    expect(device_dma_read(p.dev, sg_dma_address(sg), 1)![0]).toBe(0);
    pci_dma_sync_sg(p, sg, 1, PCI_DMA_TODEVICE);
    expect(device_dma_read(p.dev, sg_dma_address(sg), 1)![0]).toBe(0x33);
    pci_unmap_sg(p, sg, 1, PCI_DMA_TODEVICE);
  });
});

describe('masks and segment limits', () => {
  it('pci_dma_supported, pci_set_dma_max_seg_size, pci_set_dma_seg_boundary', () => {
    const p = pci_on(machine(), 32);
    expect(pci_dma_supported(p, 0xffffffffn)).toBe(true);
    expect(pci_set_dma_max_seg_size(p, 1 << 20)).toBe(0);
    expect(dma_get_max_seg_size(p.dev)).toBe(1 << 20);
    expect(pci_set_dma_seg_boundary(p, 0xffff)).toBe(0);
    expect(dma_get_seg_boundary(p.dev)).toBe(0xffff);
  });
});

/*
 * include/linux/pci-dma-compat.h (removed in v5.18): the pci_* streaming DMA
 * names as thin wrappers over the dma_* API on &pdev->dev, with the direction
 * cast from the PCI_DMA_* constants (same values as enum dma_data_direction).
 * A NULL pdev is passed on as the kernel's wrappers do (`hwdev == NULL ? NULL :
 * &hwdev->dev`); here NULL gives the failure value (DMA_MAPPING_ERROR, 0) or
 * does nothing, since there is no device to map for.
 */
import {
  dma_map_single,
  dma_unmap_single,
  dma_map_page,
  dma_unmap_page,
  dma_map_sg,
  dma_unmap_sg,
  dma_sync_single_for_cpu,
  dma_sync_single_for_device,
  dma_sync_sg_for_cpu,
  dma_sync_sg_for_device,
  dma_mapping_error,
  dma_supported,
  DMA_MAPPING_ERROR,
} from '../src/kernel/dma/mapping.ts';
import { DMA_BIDIRECTIONAL, DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_NONE } from '../src/include/linux/dma-direction.ts';
import type { dma_addr_t } from '../src/include/linux/types.ts';
import type { pci_dev } from '../src/drivers/base/core.ts';
import type { sg_list } from '../src/lib/scatterlist.ts';
import { compat_gate } from './pci.ts';

export const PCI_DMA_BIDIRECTIONAL = DMA_BIDIRECTIONAL;
export const PCI_DMA_TODEVICE = DMA_TO_DEVICE;
export const PCI_DMA_FROMDEVICE = DMA_FROM_DEVICE;
export const PCI_DMA_NONE = DMA_NONE;

/** pci_map_single(): dma_map_single on &hwdev->dev. */
export function pci_map_single(hwdev: pci_dev | null, ptr: number, size: number, direction: number): dma_addr_t {
  compat_gate(hwdev, 'pci_map_single');
  return hwdev ? dma_map_single(hwdev.dev, ptr, size, direction) : DMA_MAPPING_ERROR;
}

/** pci_unmap_single() */
export function pci_unmap_single(hwdev: pci_dev | null, dma_addr: dma_addr_t, size: number, direction: number): void {
  compat_gate(hwdev, 'pci_unmap_single');
  if (hwdev) dma_unmap_single(hwdev.dev, dma_addr, size, direction);
}

/** pci_map_page(): `page` is a struct page number (see src/mm/page.ts). */
export function pci_map_page(
  hwdev: pci_dev | null,
  page: number,
  offset: number,
  size: number,
  direction: number,
): dma_addr_t {
  compat_gate(hwdev, 'pci_map_page');
  return hwdev ? dma_map_page(hwdev.dev, page, offset, size, direction) : DMA_MAPPING_ERROR;
}

/** pci_unmap_page() */
export function pci_unmap_page(hwdev: pci_dev | null, dma_address: dma_addr_t, size: number, direction: number): void {
  compat_gate(hwdev, 'pci_unmap_page');
  if (hwdev) dma_unmap_page(hwdev.dev, dma_address, size, direction);
}

/** pci_map_sg(): the number of DMA segments, 0 on failure. */
export function pci_map_sg(hwdev: pci_dev | null, sg: sg_list, nents: number, direction: number): number {
  compat_gate(hwdev, 'pci_map_sg');
  return hwdev ? dma_map_sg(hwdev.dev, sg, nents, direction) : 0;
}

/** pci_unmap_sg(): pass the nents given to pci_map_sg. */
export function pci_unmap_sg(hwdev: pci_dev | null, sg: sg_list, nents: number, direction: number): void {
  compat_gate(hwdev, 'pci_unmap_sg');
  if (hwdev) dma_unmap_sg(hwdev.dev, sg, nents, direction);
}

/** pci_dma_sync_single_for_cpu() */
export function pci_dma_sync_single_for_cpu(
  hwdev: pci_dev | null,
  dma_handle: dma_addr_t,
  size: number,
  direction: number,
): void {
  compat_gate(hwdev, 'pci_dma_sync_single_for_cpu');
  if (hwdev) dma_sync_single_for_cpu(hwdev.dev, dma_handle, size, direction);
}

/** pci_dma_sync_single_for_device() */
export function pci_dma_sync_single_for_device(
  hwdev: pci_dev | null,
  dma_handle: dma_addr_t,
  size: number,
  direction: number,
): void {
  compat_gate(hwdev, 'pci_dma_sync_single_for_device');
  if (hwdev) dma_sync_single_for_device(hwdev.dev, dma_handle, size, direction);
}

/** pci_dma_sync_sg_for_cpu() */
export function pci_dma_sync_sg_for_cpu(hwdev: pci_dev | null, sg: sg_list, nelems: number, direction: number): void {
  compat_gate(hwdev, 'pci_dma_sync_sg_for_cpu');
  if (hwdev) dma_sync_sg_for_cpu(hwdev.dev, sg, nelems, direction);
}

/** pci_dma_sync_sg_for_device() */
export function pci_dma_sync_sg_for_device(
  hwdev: pci_dev | null,
  sg: sg_list,
  nelems: number,
  direction: number,
): void {
  compat_gate(hwdev, 'pci_dma_sync_sg_for_device');
  if (hwdev) dma_sync_sg_for_device(hwdev.dev, sg, nelems, direction);
}

/** pci_dma_mapping_error(): -ENOMEM for DMA_MAPPING_ERROR, else 0. */
export function pci_dma_mapping_error(pdev: pci_dev, dma_addr: dma_addr_t): number {
  compat_gate(pdev, 'pci_dma_mapping_error');
  return dma_mapping_error(pdev.dev, dma_addr);
}

/**
 * pci_dma_sync_single(): 2.4's one sync, before the _for_cpu/_for_device split
 * (2.6.5): for the device with PCI_DMA_TODEVICE, for the CPU otherwise (its
 * documented use: after each transfer, before the CPU touches the data).
 */
export function pci_dma_sync_single(
  hwdev: pci_dev | null,
  dma_handle: dma_addr_t,
  size: number,
  direction: number,
): void {
  if (direction === DMA_TO_DEVICE) pci_dma_sync_single_for_device(hwdev, dma_handle, size, direction);
  else pci_dma_sync_single_for_cpu(hwdev, dma_handle, size, direction);
}

/** pci_dma_sync_sg(): 2.4's one scatterlist sync, as pci_dma_sync_single. */
export function pci_dma_sync_sg(hwdev: pci_dev | null, sg: sg_list, nelems: number, direction: number): void {
  if (direction === DMA_TO_DEVICE) pci_dma_sync_sg_for_device(hwdev, sg, nelems, direction);
  else pci_dma_sync_sg_for_cpu(hwdev, sg, nelems, direction);
}

/** pci_dma_supported(): dma_supported on &pdev->dev. */
export function pci_dma_supported(pdev: pci_dev, mask: bigint | number): boolean {
  return dma_supported(pdev.dev, mask);
}

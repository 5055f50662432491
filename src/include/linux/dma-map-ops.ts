/*
 * include/linux/dma-map-ops.h: struct dma_map_ops, the seam between the DMA API
 * (kernel/dma/mapping.ts) and whatever maps for a device. A device without ops
 * uses the direct mapping (kernel/dma/direct.ts); sim_iommu_attach installs the
 * dma-iommu ops (drivers/iommu/dma-iommu.ts); a test or a bus with quirks may
 * install its own with set_dma_ops().
 *
 * Beyond the kernel's contract, mapping.ts calls an ops member only for what
 * dma-debug matched: an unmap, free or sync of something that is not live never
 * reaches the ops, so ops may trust the addresses they are given.
 */
import type { device } from '../../drivers/base/core.ts';
import type { scatterlist } from '../../lib/scatterlist.ts';
import type { dma_addr_ref, dma_addr_t } from './types.ts';
import type { gfp_t } from './gfp.ts';

/**
 * struct dma_map_ops, with the members the DMA API dispatches to. Streaming
 * mappings enter at map_phys (the kernel's since 6.18; map_page before); the
 * optional members fall back as the kernel's do when they are NULL.
 */
export interface dma_map_ops {
  /** Coherent memory: the CPU address (0 on failure), the bus address stored in dma_handle. */
  alloc(dev: device, size: number, dma_handle: dma_addr_ref, gfp: gfp_t, attrs: number): number;
  free(dev: device, size: number, vaddr: number, dma_handle: dma_addr_t, attrs: number): void;
  /** The bus address of [phys, phys+size), or DMA_MAPPING_ERROR. */
  map_phys(dev: device, phys: number, size: number, dir: number, attrs: number): dma_addr_t;
  unmap_phys(dev: device, addr: dma_addr_t, size: number, dir: number, attrs: number): void;
  /** Map the first nents entries from sg: the DMA segment count, or -EINVAL / -ENOMEM / -EIO. */
  map_sg(dev: device, sg: scatterlist, nents: number, dir: number, attrs: number): number;
  unmap_sg(dev: device, sg: scatterlist, nents: number, dir: number, attrs: number): void;
  sync_single_for_cpu?(dev: device, addr: dma_addr_t, size: number, dir: number): void;
  sync_single_for_device?(dev: device, addr: dma_addr_t, size: number, dir: number): void;
  sync_sg_for_cpu?(dev: device, sg: scatterlist, nents: number, dir: number): void;
  sync_sg_for_device?(dev: device, sg: scatterlist, nents: number, dir: number): void;
  /** Absent: every mask is supported. The kernel's returns int; ours a boolean. */
  dma_supported?(dev: device, mask: bigint): boolean;
  /** Absent: 32 bits. */
  get_required_mask?(dev: device): bigint;
  /** Absent: SIZE_MAX. */
  max_mapping_size?(dev: device): number;
  /** Absent: 0 (no merging). */
  get_merge_boundary?(dev: device): number;
  /**
   * Non-coherent pages (dma_alloc_pages): the struct page (0 on failure), the bus
   * address in dma_handle. Absent: the kernel's dma_common_alloc_pages (pages
   * from the page allocator mapped with map_phys), what the IOMMU's ops use.
   */
  alloc_pages_op?(dev: device, size: number, dma_handle: dma_addr_ref, dir: number, gfp: gfp_t): number;
  /** Absent: unmap_phys, then the pages go back to the page allocator. */
  free_pages?(dev: device, size: number, page: number, dma_handle: dma_addr_t, dir: number): void;
  /** MMIO of another device (dma_map_resource). Absent: map_phys / unmap_phys. */
  map_resource?(dev: device, phys_addr: number, size: number, dir: number, attrs: number): dma_addr_t;
  unmap_resource?(dev: device, dma_handle: dma_addr_t, size: number, dir: number, attrs: number): void;
  /** Absent: SIZE_MAX (dma_opt_mapping_size is then dma_max_mapping_size). */
  opt_mapping_size?(): number;
}

/** get_dma_ops(): the device's ops, or null when it uses the direct mapping. */
export function get_dma_ops(dev: device): dma_map_ops | null {
  return dev.dma_ops;
}

/**
 * set_dma_ops(): make `ops` map for `dev` from now on; null returns it to the
 * direct mapping. As in the kernel, done before the device maps anything:
 * allocations and mappings made through the old ops are released through the new.
 */
export function set_dma_ops(dev: device, ops: dma_map_ops | null): void {
  dev.dma_ops = ops;
}

/**
 * dma_map_direct(): true when the device uses the direct mapping (kernel/dma/mapping.c;
 * ours has no dma_ops_bypass, so that is exactly "no ops").
 */
export function dma_map_direct(dev: device, ops: dma_map_ops | null): ops is null {
  void dev;
  return ops === null;
}

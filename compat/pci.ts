/*
 * include/linux/pci.h and pci-dma-compat.h: the PCI names as thin wrappers over
 * src/. pci_pool_* were macros over dma_pool_* from 2.6.4 until v5.16; the
 * pci_*_consistent and pci_map_* helpers were removed in v5.18. The 2.4 form of
 * pci_pool_create took a 6th SLAB_* flags argument: SLAB_POISON there turns on
 * poisoning for that pool, the other flags are accepted and ignored (as 2.4 did).
 */
import {
  dma_pool_create,
  dma_pool_alloc,
  dma_pool_zalloc,
  dma_pool_free,
  dma_pool_destroy,
  dmapool_set_poison,
  type dma_pool,
} from '../src/mm/dmapool.ts';
import {
  dma_alloc_coherent,
  dma_free_coherent,
  dma_set_mask,
  dma_set_coherent_mask,
  dma_set_max_seg_size,
  dma_set_seg_boundary,
} from '../src/kernel/dma/mapping.ts';
import { GFP_ATOMIC, GFP_KERNEL, __GFP_ZERO, type gfp_t } from '../src/include/linux/gfp.ts';
import type { dma_addr_ref, dma_addr_t } from '../src/include/linux/types.ts';
import type { pci_dev } from '../src/drivers/base/core.ts';
import {
  KERNEL_VERSION,
  kernel_require,
  kernel_shape_before,
  kernel_version_string,
  machine_kernel,
} from '../src/include/linux/version.ts';
import { invalidOption } from '../src/lib/errors.ts';

export type pci_pool = dma_pool;

/* The kernels that had these names: pci-dma-compat.h until 5.18, pci_pool_* until 5.16, 5-argument pci_pool_create from 2.6. */
const PCI_DMA_COMPAT_GONE = KERNEL_VERSION(5, 18, 0);
const PCI_POOL_GONE = KERNEL_VERSION(5, 16, 0);
const PCI_POOL_FIVE_ARGS = KERNEL_VERSION(2, 6, 0);

/** The pci_* DMA names exist on the device's machine's kernel (a machine without a kernel has them all), or a DmashimError. */
export function compat_gate(pdev: pci_dev | null, fn: string): void {
  if (pdev) kernel_require(pdev.dev.machine, fn, null, PCI_DMA_COMPAT_GONE);
}

/** 2.4's slab flags: SLAB_KERNEL and SLAB_ATOMIC were aliases of GFP_KERNEL and GFP_ATOMIC. */
export const SLAB_KERNEL = GFP_KERNEL;
export const SLAB_ATOMIC = GFP_ATOMIC;
/**
 * Slab cache flags of the 2.4 era (values of include/linux/slab.h then), except
 * SLAB_POISON. 2.4 drivers passed their kmalloc flags (SLAB_KERNEL, SLAB_ATOMIC)
 * in pci_pool_create's sixth argument, and then no GFP bit overlapped SLAB_POISON
 * (0x800). Today's GFP_KERNEL and GFP_ATOMIC both carry __GFP_KSWAPD_RECLAIM,
 * which is 0x800, so with the historic value every such driver would get a
 * poisoned pool. SLAB_POISON is therefore a bit no GFP flag uses (above
 * ___GFP_LAST_SHIFT), which keeps the 2.4 meaning: only SLAB_POISON poisons.
 */
export const SLAB_DEBUG_FREE = 0x00000100;
export const SLAB_DEBUG_INITIAL = 0x00000200;
export const SLAB_RED_ZONE = 0x00000400;
export const SLAB_POISON = 0x40000000;
export const SLAB_NO_REAP = 0x00001000;
export const SLAB_HWCACHE_ALIGN = 0x00002000;
export const SLAB_CACHE_DMA = 0x00004000;

/**
 * pci_pool_create(name, pdev, size, align, allocation[, flags]): dma_pool_create
 * on &pdev->dev. With the 2.4 sixth argument, SLAB_POISON turns on poisoning for
 * this pool. Returns the pool or null (a null pdev gives null). On a machine with
 * a kernel (MachineOptions.kernel) the form must be that kernel's: six arguments
 * before 2.6, five from 2.6, none from 5.16; another throws a DmashimError.
 */
export function pci_pool_create(
  name: string,
  pdev: pci_dev | null,
  size: number,
  align: number,
  allocation: number,
  flags?: number,
): pci_pool | null {
  if (pdev) {
    const m = pdev.dev.machine;
    kernel_require(m, 'pci_pool_create', null, PCI_POOL_GONE);
    const k = machine_kernel(m);
    if (flags !== undefined && k !== null && k >= PCI_POOL_FIVE_ARGS)
      invalidOption(
        `pci_pool_create: the sixth (SLAB_*) argument is 2.4's; Linux ${kernel_version_string(k)} takes five`,
      );
    if (flags === undefined && kernel_shape_before(m, PCI_POOL_FIVE_ARGS))
      invalidOption("pci_pool_create: 2.4's pci_pool_create takes the SLAB_* flags as a sixth argument");
  }
  const pool = dma_pool_create(name, pdev ? pdev.dev : null, size, align, allocation);
  if (pool && flags !== undefined && flags & SLAB_POISON) dmapool_set_poison(pool, true);
  return pool;
}

export function pci_pool_destroy(pool: pci_pool | null): void {
  dma_pool_destroy(pool);
}

export function pci_pool_alloc(pool: pci_pool, flags: gfp_t, handle: dma_addr_ref): number {
  return dma_pool_alloc(pool, flags, handle);
}

export function pci_pool_zalloc(pool: pci_pool, flags: gfp_t, handle: dma_addr_ref): number {
  return dma_pool_zalloc(pool, flags, handle);
}

export function pci_pool_free(pool: pci_pool, vaddr: number, addr: dma_addr_t): void {
  dma_pool_free(pool, vaddr, addr);
}

/** pci_alloc_consistent(): dma_alloc_coherent with GFP_ATOMIC, as the compat header did. NULL hwdev gives NULL. */
export function pci_alloc_consistent(hwdev: pci_dev | null, size: number, dma_handle: dma_addr_ref): number {
  compat_gate(hwdev, 'pci_alloc_consistent');
  return hwdev ? dma_alloc_coherent(hwdev.dev, size, dma_handle, GFP_ATOMIC) : 0;
}

/** pci_zalloc_consistent(): as pci_alloc_consistent (coherent memory is zeroed anyway). */
export function pci_zalloc_consistent(hwdev: pci_dev | null, size: number, dma_handle: dma_addr_ref): number {
  compat_gate(hwdev, 'pci_zalloc_consistent');
  return hwdev ? dma_alloc_coherent(hwdev.dev, size, dma_handle, GFP_ATOMIC | __GFP_ZERO) : 0;
}

export function pci_free_consistent(hwdev: pci_dev | null, size: number, vaddr: number, dma_handle: dma_addr_t): void {
  compat_gate(hwdev, 'pci_free_consistent');
  if (hwdev) dma_free_coherent(hwdev.dev, size, vaddr, dma_handle);
}

/** pci_set_dma_mask(): dma_set_mask on &pdev->dev; 0 or -EIO. */
export function pci_set_dma_mask(pdev: pci_dev, mask: bigint | number): number {
  compat_gate(pdev, 'pci_set_dma_mask');
  return dma_set_mask(pdev.dev, mask);
}

/** pci_set_consistent_dma_mask(): dma_set_coherent_mask on &pdev->dev; 0 or -EIO. */
export function pci_set_consistent_dma_mask(pdev: pci_dev, mask: bigint | number): number {
  compat_gate(pdev, 'pci_set_consistent_dma_mask');
  return dma_set_coherent_mask(pdev.dev, mask);
}

/** pci_set_dma_max_seg_size(): dma_set_max_seg_size on &pdev->dev; 0. */
export function pci_set_dma_max_seg_size(pdev: pci_dev, size: number): number {
  return dma_set_max_seg_size(pdev.dev, size);
}

/** pci_set_dma_seg_boundary(): dma_set_seg_boundary on &pdev->dev; 0. */
export function pci_set_dma_seg_boundary(pdev: pci_dev, mask: number): number {
  return dma_set_seg_boundary(pdev.dev, mask);
}

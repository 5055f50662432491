/*
 * kernel/dma/mapping.c: the driver-facing DMA API: masks, coherent allocations,
 * streaming mappings (single, page, scatterlist), syncs, mmap.
 *
 * Dispatch, as the kernel's: a device's declared coherent region first (coherent
 * allocations only, coherent.ts), then once per call on the device's dma_map_ops:
 * none is the direct mapping with swiotlb bouncing (direct.ts, swiotlb.ts), else
 * the ops (the IOMMU's, drivers/iommu/dma-iommu.ts, or a user's, set_dma_ops).
 * Every allocation and mapping goes through one dma-debug hook (debug.ts), which
 * tracks it and checks unmaps, frees and syncs with the kernel's texts.
 *
 * Misuse never throws except an invalid direction, which is the kernel's BUG().
 * An unmap, free or sync that dma-debug cannot match to a live mapping undoes
 * nothing: the kernel would act on whatever the driver passed, we never let a
 * driver bug corrupt the bounce pool, the IOMMU's IOVA space or the page
 * allocator. An unmap that matches with a different size or direction is
 * reported and then done the kernel's way (copy back with the size and direction
 * passed, clamped to the bounce buffer), releasing what was recorded.
 */
import { PAGE_SIZE, get_order } from '../../mm/page_alloc.ts';
import { __GFP_COMP, __GFP_DMA, __GFP_DMA32, __GFP_HIGHMEM, type gfp_t } from '../../include/linux/gfp.ts';
import { EIO } from '../../include/linux/errno.ts';
import { dma_addr_ref, type dma_addr_t } from '../../include/linux/types.ts';
import { dev_check, null_deref, type device } from '../../drivers/base/core.ts';
import { devres_add, devres_dev_alive, devres_find, devres_release } from '../../drivers/base/devres.ts';
import { WARN, WARN_ON, WARN_ON_ONCE } from '../panic.ts';
import {
  dma_direct_alloc,
  dma_direct_free,
  dma_direct_map_phys,
  dma_direct_unmap_phys,
  dma_direct_map_sg,
  dma_direct_unmap_sg,
  dma_direct_sync_single_for_cpu,
  dma_direct_sync_single_for_device,
  dma_direct_sync_sg_for_cpu,
  dma_direct_sync_sg_for_device,
  dma_direct_supported,
  dma_direct_get_required_mask,
  dma_direct_max_mapping_size,
  dma_direct_map_resource,
} from './direct.ts';
import {
  debug_dma_map_phys,
  debug_dma_unmap_phys,
  debug_dma_alloc_coherent,
  debug_dma_free_coherent,
  debug_dma_map_sg,
  debug_dma_unmap_sg,
  debug_dma_sync_single_for_cpu,
  debug_dma_sync_single_for_device,
  debug_dma_sync_sg_for_cpu,
  debug_dma_sync_sg_for_device,
  debug_dma_sg_matched,
  debug_dma_sg_call_ents,
  debug_dma_invalid_arg,
  debug_dma_mapping_error,
  debug_dma_map_single_invalid,
  dma_debug_single,
  dma_debug_page,
  dma_debug_noncoherent,
  dma_debug_resource,
  debug_find_entry,
} from './debug.ts';
import { fmt_pad, fmt_p } from '../../lib/vsprintf.ts';
import { dma_alloc_from_dev_coherent, dma_release_from_dev_coherent, dma_mmap_from_dev_coherent } from './coherent.ts';
import { devmem_check_phys } from '../../sim/devmem.ts';
import {
  DMA_MAPPING_ERROR,
  DMA_ATTR_WRITE_COMBINE,
  DMA_ATTR_SKIP_CPU_SYNC,
  DMA_ATTR_ALLOC_SINGLE_PAGES,
} from '../../include/linux/dma-mapping.ts';
import { dma_map_direct, type dma_map_ops } from '../../include/linux/dma-map-ops.ts';
import { valid_dma_direction } from '../../include/linux/dma-direction.ts';
import { ENOMEM, ENXIO, EINVAL } from '../../include/linux/errno.ts';
import { BUG } from '../panic.ts';
import { irqs_disabled, might_alloc } from '../sched/context.ts';
import { fault_inject_armed, should_fail } from '../../lib/fault-inject.ts';
import {
  page_base,
  STRUCT_PAGE_SIZE,
  VMEMMAP_WINDOW,
  alloc_pages,
  __free_pages,
  page_address,
  virt_to_page,
  virt_to_phys,
  PAGE_ALIGN,
} from '../../mm/page.ts';
import { is_vmalloc_addr } from '../../mm/vmalloc.ts';
import {
  sg_first,
  sg_alloc_table,
  sg_free_table,
  sg_set_page,
  sg_page,
  sg_table,
  type sg_list,
} from '../../lib/scatterlist.ts';
import { dev_WARN_ONCE, swiotlb_slot } from './swiotlb.ts';
import { user_mmap_insert, user_mmap_hold } from '../../sim/mmap.ts';

export * from '../../include/linux/dma-mapping.ts';

const U64 = (1n << 64n) - 1n;

/** DMA_BIT_MASK(n): a mask of the low n bits, as bigint (exact for n = 64). */
export function DMA_BIT_MASK(n: number): bigint {
  if (!Number.isInteger(n) || n < 0 || n > 64) return 0n;
  return n === 64 ? U64 : (1n << BigInt(n)) - 1n;
}

/*
 * A mask argument as the kernel's u64 parameter holds it: C converts a negative
 * value modulo 2^64 (so -1, a common spelling of "all bits", is ~0ULL) and drops
 * a fraction. NaN and infinities have no C value and give 0 (no mask).
 */
function toMask(mask: bigint | number): bigint {
  if (typeof mask === 'bigint') return mask & U64;
  if (!Number.isFinite(mask)) return 0n;
  return BigInt(Math.trunc(mask)) & U64;
}

/**
 * dma_supported(): can the device's DMA serve a mask? The direct mapping's rule
 * (dma_direct_supported); with ops, theirs (none: every mask).
 */
export function dma_supported(dev: device, mask: bigint | number): boolean {
  dev_check(dev, 'dma_supported');
  const ops = dev.dma_ops;
  if (dma_map_direct(dev, ops)) return dma_direct_supported(dev, toMask(mask));
  return ops.dma_supported === undefined || ops.dma_supported(dev, toMask(mask));
}

/**
 * dma_set_mask(): 0, or -EIO when the device has no mask (NULL dma_mask) or the
 * machine cannot serve the mask. Process context.
 */
export function dma_set_mask(dev: device, mask: bigint | number): number {
  dev_check(dev, 'dma_set_mask');
  const m = toMask(mask);
  if (dev.dma_mask === null || !dma_supported(dev, m)) return -EIO;
  dev.dma_mask = m;
  return 0;
}

/** dma_set_coherent_mask(): 0, or -EIO when the machine cannot serve the mask. */
export function dma_set_coherent_mask(dev: device, mask: bigint | number): number {
  dev_check(dev, 'dma_set_coherent_mask');
  const m = toMask(mask);
  if (!dma_supported(dev, m)) return -EIO;
  dev.coherent_dma_mask = m;
  return 0;
}

/**
 * dma_set_mask_and_coherent(): sets both; returns dma_set_mask's result (the
 * coherent mask is set only when that succeeded, its own result ignored, as in the kernel).
 */
export function dma_set_mask_and_coherent(dev: device, mask: bigint | number): number {
  const rc = dma_set_mask(dev, mask);
  if (rc === 0) dma_set_coherent_mask(dev, mask);
  return rc;
}

/** dma_get_mask(): the streaming mask, or DMA_BIT_MASK(32) when the device has none. */
export function dma_get_mask(dev: device): bigint {
  dev_check(dev, 'dma_get_mask');
  return dev.dma_mask ?? DMA_BIT_MASK(32);
}

/**
 * dma_get_required_mask(): the smallest mask covering all of the machine's RAM as
 * the device sees it, and never below 32 bits (a 32-bit mask is the cheap
 * default the API suggests). With ops, theirs, or 32 bits (the kernel's answer
 * behind an IOMMU). Changes no mask.
 */
export function dma_get_required_mask(dev: device): bigint {
  dev_check(dev, 'dma_get_required_mask');
  const ops = dev.dma_ops;
  if (dma_map_direct(dev, ops)) return dma_direct_get_required_mask(dev);
  return ops.get_required_mask ? ops.get_required_mask(dev) : DMA_BIT_MASK(32);
}

/* Give coherent memory back: the declared region's, else the direct mapping's or the ops'. */
function coherentFree(dev: device, size: number, vaddr: number, dma: number, attrs: number): void {
  if (dma_release_from_dev_coherent(dev, get_order(size), vaddr)) return;
  const ops = dev.dma_ops;
  if (dma_map_direct(dev, ops)) dma_direct_free(dev, size, vaddr, dma, attrs);
  else ops.free(dev, size, vaddr, dma, attrs);
}

/**
 * dma_alloc_attrs(): `size` bytes of zeroed coherent memory, contiguous in phys
 * and bus space, reachable under the coherent mask and the bus limit; the bus
 * address goes to `handle`. Returns the CPU address, or NULL (0). Like the kernel,
 * zone modifiers (__GFP_DMA, __GFP_DMA32) in `gfp` are ignored: the mask decides.
 * Differs: sizes above the largest buddy block (4 MiB) fail (no CMA here); a
 * NULL device gives NULL (older kernels' fallback device; ours has none); a
 * wrong-typed device or a NULL handle, which the kernel would oops on, throws
 * DmashimError EFAULT before anything is allocated.
 */
export function dma_alloc_attrs(dev: device, size: number, handle: dma_addr_ref, gfp: gfp_t, attrs = 0): number {
  if (!dev) return 0;
  dev_check(dev, 'dma_alloc_attrs');
  if (typeof handle !== 'object' || handle === null) null_deref('dma_alloc_attrs', 'dma_handle', handle);
  // The condition first: the message is a template string, built only when the mask is missing.
  if (dev.coherent_dma_mask === 0n)
    WARN_ON_ONCE(true, 'kernel/dma/mapping.c dma_alloc_attrs', `${dev.name}: WARN_ON_ONCE(!dev->coherent_dma_mask)`);
  /*
   * Since 6.2 the kernel refuses __GFP_COMP here, before any allocator is asked: a
   * coherent allocation can never be turned back into a page pointer. Its own
   * WARN_ON_ONCE, so it has its own once-flag (WARN_ON_ONCE keys on the place).
   */
  if (gfp & __GFP_COMP) {
    if (!warnedGfpComp) {
      warnedGfpComp = true;
      WARN('kernel/dma/mapping.c dma_alloc_attrs', 'WARN_ON_ONCE(flag & __GFP_COMP)');
    }
    return 0;
  }
  if (!Number.isSafeInteger(size) || size <= 0) return 0;
  might_alloc(gfp, 'kernel/dma/mapping.c dma_alloc_attrs');
  if (
    fault_inject_armed.count > 0 &&
    should_fail(dev.machine, 'coherent', dev.name, null, gfp, `dma_alloc_coherent(${size})`)
  )
    return 0;
  let vaddr: number;
  if (dev.dma_mem !== null) vaddr = dma_alloc_from_dev_coherent(dev, size, handle);
  else {
    const ops = dev.dma_ops;
    if (dma_map_direct(dev, ops)) vaddr = dma_direct_alloc(dev, size, handle, gfp, attrs);
    else vaddr = ops.alloc(dev, size, handle, gfp, attrs);
  }
  if (vaddr === 0) return 0;
  debug_dma_alloc_coherent(dev, size, handle.value, vaddr);
  return vaddr;
}

let warnedGfpComp = false;

/** dma_alloc_coherent(): dma_alloc_attrs with no attributes. Context: process, or atomic with GFP_ATOMIC. */
export function dma_alloc_coherent(dev: device, size: number, handle: dma_addr_ref, gfp: gfp_t): number {
  return dma_alloc_attrs(dev, size, handle, gfp, 0);
}

/**
 * dma_free_attrs(): free coherent memory. NULL cpu_addr is a no-op. Beyond the
 * kernel, a free that dma-debug finds wrong (unknown handle, different size, CPU
 * address or type) is reported with dma-debug's text and frees NOTHING, so a
 * driver bug never corrupts the page allocator.
 */
export function dma_free_attrs(dev: device, size: number, cpu_addr: number, dma_handle: dma_addr_t, attrs = 0): void {
  /*
   * The kernel: "may only be called with IRQs enabled" (WARN_ON(irqs_disabled())),
   * before the NULL check, but after dma_release_from_dev_coherent: memory of the
   * device's declared region is released first and never reaches the WARN.
   */
  const inRegion = cpu_addr !== 0 && dev?.dma_mem?.contains(cpu_addr) === true;
  if (!inRegion) WARN_ON(irqs_disabled(), 'kernel/dma/mapping.c dma_free_attrs', 'WARN_ON(irqs_disabled())');
  if (!dev || !cpu_addr) return;
  dev_check(dev, 'dma_free_attrs');
  if (typeof cpu_addr !== 'number' || typeof dma_handle !== 'number') {
    debug_dma_invalid_arg(
      dev,
      `device driver tries to free DMA memory it has not allocated [device address=${String(dma_handle)}] [cpu address=${String(cpu_addr)}]`,
    );
    return;
  }
  if (!debug_dma_free_coherent(dev, size, cpu_addr, dma_handle)) return;
  if (user_mmap_hold(dev, size, cpu_addr, () => coherentFree(dev, size, cpu_addr, dma_handle, attrs))) return;
  coherentFree(dev, size, cpu_addr, dma_handle, attrs);
}

/** dma_free_coherent(): dma_free_attrs with no attributes. Context: IRQs enabled. */
export function dma_free_coherent(dev: device, size: number, cpu_addr: number, dma_handle: dma_addr_t): void {
  dma_free_attrs(dev, size, cpu_addr, dma_handle, 0);
}

interface dmam_coherent {
  vaddr: number;
  dma: number;
  size: number;
}
const DMAM_RELEASE = 'dmam_release';

function dmam_alloc(dev: device, size: number, handle: dma_addr_ref, gfp: gfp_t, attrs: number, fn: string): number {
  if (dev) {
    dev_check(dev, fn);
    if (!devres_dev_alive(dev, fn)) return 0;
  }
  const vaddr = dma_alloc_attrs(dev, size, handle, gfp, attrs);
  if (!vaddr) return 0;
  const dr: dmam_coherent = { vaddr, dma: handle.value, size };
  devres_add(dev, {
    name: DMAM_RELEASE,
    data: dr,
    release: (d) => dma_free_attrs(d, dr.size, dr.vaddr, dr.dma, attrs),
  });
  return vaddr;
}

/**
 * dmam_alloc_attrs(): managed dma_alloc_attrs, freed when the driver detaches
 * (device_del) or, if added after that, at the last put_device. NULL (0) for a
 * device already released (reported, nothing allocated).
 */
export function dmam_alloc_attrs(dev: device, size: number, handle: dma_addr_ref, gfp: gfp_t, attrs: number): number {
  return dmam_alloc(dev, size, handle, gfp, attrs, 'dmam_alloc_attrs');
}

/** dmam_alloc_coherent(): dmam_alloc_attrs with no attributes. */
export function dmam_alloc_coherent(dev: device, size: number, handle: dma_addr_ref, gfp: gfp_t): number {
  return dmam_alloc(dev, size, handle, gfp, 0, 'dmam_alloc_coherent');
}

/** dmam_free_coherent(): free a managed buffer now; WARNs when it was not managed (and then frees nothing). */
export function dmam_free_coherent(dev: device, size: number, vaddr: number, dma_handle: dma_addr_t): void {
  dev_check(dev, 'dmam_free_coherent');
  let found: dmam_coherent | null = null;
  for (const r of dev.devres_head) {
    const d = r.data as dmam_coherent;
    if (r.name === DMAM_RELEASE && d.vaddr === vaddr && d.dma === dma_handle && d.size === size) found = d;
  }
  if (
    WARN_ON(
      found === null,
      'kernel/dma/mapping.c dmam_free_coherent',
      'WARN_ON(devres_destroy(dev, dmam_release, dmam_match, &match_data))',
    )
  )
    return;
  if (devres_find(dev, DMAM_RELEASE, found)) devres_release(dev, DMAM_RELEASE, found);
}

/* ------------------------------------------------------------------------- */
/* Streaming mappings                                                         */
/* ------------------------------------------------------------------------- */

function bad_dir(fn: string, dir: number): never {
  BUG(`kernel/dma/mapping.c ${fn}`, `BUG_ON(!valid_dma_direction(dir)) [dir=${dir}]`);
}

/* dma_map_phys: the direct mapping or the ops, then dma-debug. */
function map_phys(
  dev: device,
  phys: number,
  vaddr: number,
  size: number,
  dir: number,
  attrs: number,
  type: number,
): number {
  const ops = dev.dma_ops;
  const dma = dma_map_direct(dev, ops)
    ? dma_direct_map_phys(dev, phys, size, dir, attrs)
    : ops.map_phys(dev, phys, size, dir, attrs);
  debug_dma_map_phys(dev, phys, size, dir, dma, attrs, vaddr, type);
  return dma;
}

/* A bus address that is not a number (bigint, undefined) matches no mapping: dma-debug's report, nothing undone. */
function bad_dma_addr(dev: device, addr: unknown, size: number): void {
  debug_dma_invalid_arg(
    dev,
    `device driver tries to free DMA memory it has not allocated [device address=${String(addr)}] [size=${String(size)} bytes]`,
  );
}

/* dma_unmap_phys: dma-debug first, and only what it matched is undone. */
function unmap_phys(dev: device, addr: number, size: number, dir: number, attrs: number, type: number): void {
  if (typeof addr !== 'number') {
    bad_dma_addr(dev, addr, size);
    return;
  }
  if (!debug_dma_unmap_phys(dev, addr, size, dir, type)) return;
  const ops = dev.dma_ops;
  if (dma_map_direct(dev, ops)) dma_direct_unmap_phys(dev, addr, size, dir, attrs);
  else ops.unmap_phys(dev, addr, size, dir, attrs);
}

/**
 * dma_map_single_attrs(): map `size` bytes at CPU address `ptr` (kmalloc,
 * __get_free_pages: the direct map) for streaming DMA. Returns the bus address
 * or DMA_MAPPING_ERROR: check it with dma_mapping_error(). Context: any.
 * BUG (throws) for an invalid direction. A vmalloc address is refused with the
 * kernel's dev_WARN_ONCE "rejecting DMA map of vmalloc memory" (and dma-debug's
 * "device driver maps memory from vmalloc area"); any other address outside the
 * direct map gives "device driver maps memory from invalid area" and, unlike the
 * kernel (which maps whatever virt_to_page computes), DMA_MAPPING_ERROR. A size
 * that is no size_t (negative, fractional, NaN) or a pointer that is not a
 * number is reported and gives DMA_MAPPING_ERROR (the kernel's size_t would be
 * huge and overflow the mask). A NULL device throws DmashimError EFAULT.
 */
export function dma_map_single_attrs(dev: device, ptr: number, size: number, dir: number, attrs = 0): dma_addr_t {
  dev_check(dev, 'dma_map_single_attrs');
  if (!valid_dma_direction(dir)) bad_dir('dma_map_page_attrs', dir);
  // Two number compares on the hot path; the full test only for what fails them.
  if ((size >>> 0 !== size || typeof ptr !== 'number') && !valid_map_args(dev, ptr, size)) return DMA_MAPPING_ERROR;
  if (WARN_ON_ONCE(dev.dma_mask === null, 'kernel/dma/mapping.c dma_map_page_attrs', 'WARN_ON_ONCE(!dev->dma_mask)'))
    return DMA_MAPPING_ERROR;
  const m = dev.machine;
  const off = m.virtToOff(ptr);
  if (off < 0) {
    if (is_vmalloc_addr(ptr)) {
      dev_WARN_ONCE(dev, 'kernel/dma/mapping.c dma_map_single_attrs', 'rejecting DMA map of vmalloc memory');
      debug_dma_map_single_invalid(dev, ptr, size, true);
    } else {
      debug_dma_map_single_invalid(dev, ptr, size, false);
    }
    return DMA_MAPPING_ERROR;
  }
  const phys = m.offToPhys(off);
  if (!m.physIsRam(phys, Math.max(size, 1))) {
    if (devmem_check_phys(m, 'dma_map_single', `address ${fmt_p(ptr)}`, phys, NOT_MAPPED)) return DMA_MAPPING_ERROR;
    debug_dma_map_single_invalid(dev, ptr, size, false);
    return DMA_MAPPING_ERROR;
  }
  return map_phys(dev, phys, ptr, size, dir, attrs, dma_debug_single);
}

/* A CPU address and size a mapping can be made of; else report it (the size as the kernel's size_t shows it). */
function valid_map_args(dev: device, ptr: number, size: number): boolean {
  if (typeof ptr === 'number' && Number.isSafeInteger(size) && size >= 0) return true;
  debug_dma_invalid_arg(
    dev,
    `device driver maps memory with an invalid ${typeof ptr !== 'number' ? `address [address=${String(ptr)}]` : `size [size=${String(size)}]`}; not mapped`,
  );
  return false;
}

/* Device memory (an iomem window) has no struct page to map: the sanitizer's report says what happens instead. */
const NOT_MAPPED =
  'not mapped (DMA_MAPPING_ERROR); the device reaches it at the bus address dma_declare_coherent_memory gave';

/** dma_map_single(): dma_map_single_attrs with no attributes. */
export function dma_map_single(dev: device, ptr: number, size: number, dir: number): dma_addr_t {
  return dma_map_single_attrs(dev, ptr, size, dir, 0);
}

/**
 * dma_map_page_attrs(): map `size` bytes at `offset` into `page` (a struct page
 * number, see mm/page.ts). Returns the bus address or DMA_MAPPING_ERROR. BUG for
 * an invalid direction. A value that is not a struct page of the device's
 * machine is reported as "maps memory from invalid area" and refused.
 */
export function dma_map_page_attrs(
  dev: device,
  page: number,
  offset: number,
  size: number,
  dir: number,
  attrs = 0,
): dma_addr_t {
  dev_check(dev, 'dma_map_page_attrs');
  if (!valid_dma_direction(dir)) bad_dir('dma_map_page_attrs', dir);
  if (
    (size >>> 0 !== size || typeof page !== 'number' || offset >>> 0 !== offset) &&
    !(valid_map_args(dev, page, size) && valid_map_args(dev, page, offset))
  )
    return DMA_MAPPING_ERROR;
  if (WARN_ON_ONCE(dev.dma_mask === null, 'kernel/dma/mapping.c dma_map_page_attrs', 'WARN_ON_ONCE(!dev->dma_mask)'))
    return DMA_MAPPING_ERROR;
  const m = dev.machine;
  const rel = page - page_base(m);
  const phys = (rel / STRUCT_PAGE_SIZE) * PAGE_SIZE + offset;
  const off = rel >= 0 && rel < VMEMMAP_WINDOW && rel % STRUCT_PAGE_SIZE === 0 ? m.physToOff(phys) : -1;
  if (off < 0 || !m.physIsRam(phys, Math.max(size, 1))) {
    if (devmem_check_phys(m, 'dma_map_page', `struct page ${fmt_p(page)}`, phys, NOT_MAPPED)) return DMA_MAPPING_ERROR;
    debug_dma_map_single_invalid(dev, page + offset, size, false);
    return DMA_MAPPING_ERROR;
  }
  return map_phys(dev, phys, m.offToVirt(off), size, dir, attrs, dma_debug_page);
}

/** dma_map_page(): dma_map_page_attrs with no attributes. */
export function dma_map_page(dev: device, page: number, offset: number, size: number, dir: number): dma_addr_t {
  return dma_map_page_attrs(dev, page, offset, size, dir, 0);
}

/**
 * dma_unmap_single_attrs(): end a single mapping: bounce buffers are copied back
 * (FROM_DEVICE, BIDIRECTIONAL) and released, IOVAs unmapped. dma-debug checks
 * it (not mapped, different size / direction / function, map error not checked).
 */
export function dma_unmap_single_attrs(dev: device, addr: dma_addr_t, size: number, dir: number, attrs = 0): void {
  dev_check(dev, 'dma_unmap_single_attrs');
  if (!valid_dma_direction(dir)) bad_dir('dma_unmap_page_attrs', dir);
  unmap_phys(dev, addr, size, dir, attrs, dma_debug_single);
}

/** dma_unmap_single() */
export function dma_unmap_single(dev: device, addr: dma_addr_t, size: number, dir: number): void {
  dma_unmap_single_attrs(dev, addr, size, dir, 0);
}

/** dma_unmap_page_attrs(): as dma_unmap_single_attrs, for dma_map_page mappings. */
export function dma_unmap_page_attrs(dev: device, addr: dma_addr_t, size: number, dir: number, attrs = 0): void {
  dev_check(dev, 'dma_unmap_page_attrs');
  if (!valid_dma_direction(dir)) bad_dir('dma_unmap_page_attrs', dir);
  unmap_phys(dev, addr, size, dir, attrs, dma_debug_page);
}

/** dma_unmap_page() */
export function dma_unmap_page(dev: device, addr: dma_addr_t, size: number, dir: number): void {
  dma_unmap_page_attrs(dev, addr, size, dir, 0);
}

/** dma_mapping_error(): -ENOMEM when `dma_addr` is DMA_MAPPING_ERROR, else 0. Tells dma-debug the driver checked. */
export function dma_mapping_error(dev: device, dma_addr: dma_addr_t): number {
  dev_check(dev, 'dma_mapping_error');
  if (typeof dma_addr !== 'number') return -ENOMEM;
  debug_dma_mapping_error(dev, dma_addr);
  return dma_addr === DMA_MAPPING_ERROR ? -ENOMEM : 0;
}

/**
 * dma_sync_single_for_cpu(): give the buffer back to the CPU; with a bounce
 * buffer, copies it back for FROM_DEVICE / BIDIRECTIONAL (skip this and you read
 * stale data). A sync dma-debug cannot place in a live mapping is reported and
 * does nothing.
 */
export function dma_sync_single_for_cpu(dev: device, addr: dma_addr_t, size: number, dir: number): void {
  dev_check(dev, 'dma_sync_single_for_cpu');
  if (!valid_dma_direction(dir)) bad_dir('dma_sync_single_for_cpu', dir);
  if (typeof addr !== 'number') {
    bad_dma_addr(dev, addr, size);
    return;
  }
  if (!debug_dma_sync_single_for_cpu(dev, addr, size, dir)) return;
  const ops = dev.dma_ops;
  if (dma_map_direct(dev, ops)) dma_direct_sync_single_for_cpu(dev, addr, size, dir);
  else if (ops.sync_single_for_cpu) ops.sync_single_for_cpu(dev, addr, size, dir);
}

/** dma_sync_single_for_device(): give the buffer to the device; refreshes a bounce buffer for TO_DEVICE / BIDIRECTIONAL. */
export function dma_sync_single_for_device(dev: device, addr: dma_addr_t, size: number, dir: number): void {
  dev_check(dev, 'dma_sync_single_for_device');
  if (!valid_dma_direction(dir)) bad_dir('dma_sync_single_for_device', dir);
  if (typeof addr !== 'number') {
    bad_dma_addr(dev, addr, size);
    return;
  }
  if (!debug_dma_sync_single_for_device(dev, addr, size, dir)) return;
  const ops = dev.dma_ops;
  if (dma_map_direct(dev, ops)) dma_direct_sync_single_for_device(dev, addr, size, dir);
  else if (ops.sync_single_for_device) ops.sync_single_for_device(dev, addr, size, dir);
}

/** dma_sync_single_range_for_cpu(): sync `size` bytes at `offset` into a mapping. */
export function dma_sync_single_range_for_cpu(
  dev: device,
  addr: dma_addr_t,
  offset: number,
  size: number,
  dir: number,
): void {
  dma_sync_single_for_cpu(dev, addr + offset, size, dir);
}

/** dma_sync_single_range_for_device() */
export function dma_sync_single_range_for_device(
  dev: device,
  addr: dma_addr_t,
  offset: number,
  size: number,
  dir: number,
): void {
  dma_sync_single_for_device(dev, addr + offset, size, dir);
}

/* ---- scatterlists ---- */

function map_sg(dev: device, sgl: sg_list, nents: number, dir: number, attrs: number): number {
  dev_check(dev, 'dma_map_sg_attrs');
  if (!valid_dma_direction(dir)) bad_dir('__dma_map_sg_attrs', dir);
  if (WARN_ON_ONCE(dev.dma_mask === null, 'kernel/dma/mapping.c __dma_map_sg_attrs', 'WARN_ON_ONCE(!dev->dma_mask)'))
    return 0;
  const first = sg_first(sgl);
  let ents = 0;
  // An int nents: a fraction, NaN or a negative count maps nothing (the kernel's WARN below for 0 entries).
  if (first && nents > 0 && (nents | 0) === nents) {
    const ops = dev.dma_ops;
    ents = dma_map_direct(dev, ops)
      ? dma_direct_map_sg(dev, first, nents, dir, attrs)
      : ops.map_sg(dev, first, nents, dir, attrs);
  }
  if (ents > 0) {
    debug_dma_map_sg(dev, first!, nents, ents, dir, attrs);
  } else if (ents !== -EINVAL && ents !== -ENOMEM && ents !== -EIO) {
    WARN_ON_ONCE(
      true,
      'kernel/dma/mapping.c __dma_map_sg_attrs',
      `WARN_ON_ONCE(ents != -EINVAL && ents != -ENOMEM && ents != -EIO && ents != -EREMOTEIO) [ents=${ents}]`,
    );
    return -EIO;
  }
  return ents;
}

/**
 * dma_map_sg_attrs(): map the first `nents` entries of a list. Returns the number
 * of DMA segments (sg_dma_address / sg_dma_len of the first ones; behind an IOMMU
 * adjacent entries merge, so it can be fewer than nents), or 0 on any failure
 * (after undoing what was mapped). Direct mapping: one segment per entry, never
 * merged. BUG for an invalid direction. Cost is linear in nents.
 */
export function dma_map_sg_attrs(dev: device, sgl: sg_list, nents: number, dir: number, attrs = 0): number {
  const ents = map_sg(dev, sgl, nents, dir, attrs);
  return Math.max(ents, 0);
}

/** dma_map_sg(): dma_map_sg_attrs with no attributes. */
export function dma_map_sg(dev: device, sgl: sg_list, nents: number, dir: number): number {
  return dma_map_sg_attrs(dev, sgl, nents, dir, 0);
}

/**
 * dma_unmap_sg_attrs(): unmap a list; `nents` must be what was passed to
 * dma_map_sg (not its return value): dma-debug reports "different entry count"
 * otherwise, once per mapped entry as the kernel's check_unmap() does (shown
 * with --all-errors; the first only by default). As in the kernel, a list
 * dma-debug does not know (never mapped, already unmapped) is ignored silently.
 * Differs from the kernel: with a wrong count the kernel unmaps the entries it
 * was given and dma-debug forgets them, so the rest stay mapped for good (their
 * swiotlb slots too) and a later correct unmap is reported as a free of memory
 * never allocated. We release the whole list as it was mapped, once reported,
 * so the bug costs one report and no memory.
 */
export function dma_unmap_sg_attrs(dev: device, sgl: sg_list, nents: number, dir: number, attrs = 0): void {
  dev_check(dev, 'dma_unmap_sg_attrs');
  if (!valid_dma_direction(dir)) bad_dir('dma_unmap_sg_attrs', dir);
  const first = sg_first(sgl);
  if (!first) return;
  const n = debug_dma_unmap_sg(dev, first, nents, dir);
  const ops = dev.dma_ops;
  if (dma_map_direct(dev, ops)) dma_direct_unmap_sg(dev, first, n, dir, attrs, debug_dma_sg_matched());
  else if (n > 0 && debug_dma_sg_matched()[0] === 1) ops.unmap_sg(dev, first, debug_dma_sg_call_ents(), dir, attrs);
}

/** dma_unmap_sg() */
export function dma_unmap_sg(dev: device, sgl: sg_list, nents: number, dir: number): void {
  dma_unmap_sg_attrs(dev, sgl, nents, dir, 0);
}

function sync_sg(dev: device, sgl: sg_list, nelems: number, dir: number, to_cpu: boolean): void {
  dev_check(dev, to_cpu ? 'dma_sync_sg_for_cpu' : 'dma_sync_sg_for_device');
  const first = sg_first(sgl);
  if (!first) return;
  const n = to_cpu
    ? debug_dma_sync_sg_for_cpu(dev, first, nelems, dir)
    : debug_dma_sync_sg_for_device(dev, first, nelems, dir);
  const matched = debug_dma_sg_matched();
  const ops = dev.dma_ops;
  if (dma_map_direct(dev, ops)) {
    if (to_cpu) dma_direct_sync_sg_for_cpu(dev, first, n, dir, matched);
    else dma_direct_sync_sg_for_device(dev, first, n, dir, matched);
    return;
  }
  if (n === 0 || matched[0] !== 1) return;
  if (to_cpu) ops.sync_sg_for_cpu?.(dev, first, n, dir);
  else ops.sync_sg_for_device?.(dev, first, n, dir);
}

/**
 * dma_sync_sg_for_cpu(): dma_sync_single_for_cpu for each mapped entry (pass the
 * original nents); with ops, their sync_sg_for_cpu when dma-debug matched the list.
 */
export function dma_sync_sg_for_cpu(dev: device, sgl: sg_list, nelems: number, dir: number): void {
  if (!valid_dma_direction(dir)) bad_dir('dma_sync_sg_for_cpu', dir);
  sync_sg(dev, sgl, nelems, dir, true);
}

/** dma_sync_sg_for_device() */
export function dma_sync_sg_for_device(dev: device, sgl: sg_list, nelems: number, dir: number): void {
  if (!valid_dma_direction(dir)) bad_dir('dma_sync_sg_for_device', dir);
  sync_sg(dev, sgl, nelems, dir, false);
}

/**
 * dma_map_sgtable(): map sgt.orig_nents entries and store the segment count in
 * sgt.nents. Returns 0, or -EINVAL / -ENOMEM / -EIO (not 0 like dma_map_sg).
 */
export function dma_map_sgtable(dev: device, sgt: sg_table, dir: number, attrs = 0): number {
  dev_check(dev, 'dma_map_sgtable');
  if (typeof sgt !== 'object' || sgt === null) null_deref('dma_map_sgtable', 'sg_table', sgt);
  if (!sgt.sgl) return -EINVAL;
  const nents = map_sg(dev, sgt.sgl, sgt.orig_nents, dir, attrs);
  if (nents < 0) return nents;
  sgt.nents = nents;
  return 0;
}

/** dma_unmap_sgtable() */
export function dma_unmap_sgtable(dev: device, sgt: sg_table, dir: number, attrs = 0): void {
  if (sgt.sgl) dma_unmap_sg_attrs(dev, sgt.sgl, sgt.orig_nents, dir, attrs);
}

/** dma_sync_sgtable_for_cpu() */
export function dma_sync_sgtable_for_cpu(dev: device, sgt: sg_table, dir: number): void {
  if (sgt.sgl) dma_sync_sg_for_cpu(dev, sgt.sgl, sgt.orig_nents, dir);
}

/** dma_sync_sgtable_for_device() */
export function dma_sync_sgtable_for_device(dev: device, sgt: sg_table, dir: number): void {
  if (sgt.sgl) dma_sync_sg_for_device(dev, sgt.sgl, sgt.orig_nents, dir);
}

/* ---- device DMA parameters ---- */

/** dma_get_max_seg_size(): the device's max_segment_size (64 KiB by default). */
export function dma_get_max_seg_size(dev: device): number {
  dev_check(dev, 'dma_get_max_seg_size');
  return dev.dma_parms.max_segment_size;
}

/** dma_set_max_seg_size(): returns 0 (older kernels returned -EIO without dma_parms; ours always has them). */
export function dma_set_max_seg_size(dev: device, size: number): number {
  dev_check(dev, 'dma_set_max_seg_size');
  dev.dma_parms.max_segment_size = size;
  return 0;
}

/** dma_get_seg_boundary(): the segment boundary mask (0xffffffff by default). */
export function dma_get_seg_boundary(dev: device): number {
  dev_check(dev, 'dma_get_seg_boundary');
  return dev.dma_parms.segment_boundary_mask;
}

/** dma_set_seg_boundary(): set the boundary mask (a power of two minus one). */
export function dma_set_seg_boundary(dev: device, mask: number): number {
  dev_check(dev, 'dma_set_seg_boundary');
  dev.dma_parms.segment_boundary_mask = mask;
  return 0;
}

/** SIZE_MAX as a number (the double nearest 2^64 - 1). */
export const SIZE_MAX = 2 ** 64 - 1;

/**
 * dma_max_mapping_size(): the largest single mapping: for the direct mapping the
 * swiotlb limit (256 KiB) when the device may bounce (forced, or addressing
 * limited), else SIZE_MAX; with ops, theirs, or SIZE_MAX.
 */
export function dma_max_mapping_size(dev: device): number {
  dev_check(dev, 'dma_max_mapping_size');
  const ops = dev.dma_ops;
  if (dma_map_direct(dev, ops)) return dma_direct_max_mapping_size(dev);
  return ops.max_mapping_size ? ops.max_mapping_size(dev) : SIZE_MAX;
}

/** dma_get_merge_boundary(): what the ops merge at (PAGE_SIZE - 1 behind the IOMMU); 0 for the direct mapping. */
export function dma_get_merge_boundary(dev: device): number {
  dev_check(dev, 'dma_get_merge_boundary');
  const ops = dev.dma_ops;
  if (dma_map_direct(dev, ops) || !ops.get_merge_boundary) return 0;
  return ops.get_merge_boundary(dev);
}

/* ------------------------------------------------------------------------- */
/* mmap of coherent memory                                                    */
/* ------------------------------------------------------------------------- */

/**
 * The part of struct vm_area_struct dma_mmap_* uses: a user mapping of
 * [vm_start, vm_end) (page aligned), starting vm_pgoff pages into the buffer.
 */
export interface vm_area_struct {
  vm_start: number;
  vm_end: number;
  vm_pgoff: number;
}

/** dma_can_mmap(): coherent memory can always be mapped to user space here. */
export function dma_can_mmap(_dev: device): boolean {
  return true;
}

/**
 * dma_mmap_attrs(): map a coherent buffer (cpu_addr/dma_addr/size as returned by
 * dma_alloc_attrs) into a user vma. Returns 0, or -ENXIO when vm_pgoff is not
 * inside the buffer or the vma has more pages than remain after vm_pgoff (the
 * kernel's rules: its vm_pgoff and page counts are unsigned, so a negative
 * vm_pgoff or vm_end below vm_start is out of range too; NaN and fractions have
 * no C value and are refused alike), or when cpu_addr is not in the direct map;
 * -EINVAL for a vma already mapped. User space's side of the mapping (sim/mmap.ts) remembers it,
 * so that freeing the buffer before vma_munmap() is reported and the memory is
 * held until then.
 */
export function dma_mmap_attrs(
  dev: device,
  vma: vm_area_struct,
  cpu_addr: number,
  dma_addr: dma_addr_t,
  size: number,
  attrs = 0,
): number {
  void attrs;
  void dma_addr;
  dev_check(dev, 'dma_mmap_attrs');
  if (typeof vma !== 'object' || vma === null) null_deref('dma_mmap_attrs', 'vma', vma);
  const { vm_start, vm_end, vm_pgoff } = vma;
  if (
    !Number.isSafeInteger(vm_start) ||
    !Number.isSafeInteger(vm_end) ||
    !Number.isSafeInteger(vm_pgoff) ||
    vm_pgoff < 0 ||
    vm_end <= vm_start ||
    !Number.isSafeInteger(size) ||
    size <= 0
  )
    return -ENXIO;
  const m = dev.machine;
  const off = typeof cpu_addr === 'number' ? m.virtToOff(cpu_addr) : -1;
  if (off < 0) return -ENXIO;
  const fromRegion = dma_mmap_from_dev_coherent(dev, vma, cpu_addr, size);
  if (fromRegion !== null) return fromRegion;
  const count = Math.ceil(size / PAGE_SIZE);
  const user_count = Math.floor((vm_end - vm_start) / PAGE_SIZE);
  if (user_count === 0 || vma.vm_pgoff >= count || user_count > count - vma.vm_pgoff) return -ENXIO;
  return user_mmap_insert(dev, vma, cpu_addr, off + vma.vm_pgoff * PAGE_SIZE, user_count * PAGE_SIZE);
}

/** dma_mmap_coherent(): dma_mmap_attrs with no attributes. */
export function dma_mmap_coherent(
  dev: device,
  vma: vm_area_struct,
  cpu_addr: number,
  dma_addr: dma_addr_t,
  size: number,
): number {
  return dma_mmap_attrs(dev, vma, cpu_addr, dma_addr, size, 0);
}

/* ------------------------------------------------------------------------- */
/* Write-combined, non-coherent and non-contiguous memory, MMIO resources     */
/* ------------------------------------------------------------------------- */

/** dma_alloc_wc(): dma_alloc_attrs with DMA_ATTR_WRITE_COMBINE (x86's coherent memory is write-back either way). */
export function dma_alloc_wc(dev: device, size: number, handle: dma_addr_ref, gfp: gfp_t): number {
  return dma_alloc_attrs(dev, size, handle, gfp, DMA_ATTR_WRITE_COMBINE);
}

/** dma_free_wc(): free dma_alloc_wc memory. */
export function dma_free_wc(dev: device, size: number, cpu_addr: number, dma_handle: dma_addr_t): void {
  dma_free_attrs(dev, size, cpu_addr, dma_handle, DMA_ATTR_WRITE_COMBINE);
}

/** dma_mmap_wc(): dma_mmap_attrs with DMA_ATTR_WRITE_COMBINE. */
export function dma_mmap_wc(
  dev: device,
  vma: vm_area_struct,
  cpu_addr: number,
  dma_addr: dma_addr_t,
  size: number,
): number {
  return dma_mmap_attrs(dev, vma, cpu_addr, dma_addr, size, DMA_ATTR_WRITE_COMBINE);
}

/*
 * The kernel's dma_common_alloc_pages (kernel/dma/ops_helpers.c), for ops
 * without alloc_pages_op: pages from the page allocator, mapped with map_phys,
 * zeroed. Returns the CPU address or 0.
 */
function dma_common_alloc_pages(
  dev: device,
  ops: dma_map_ops,
  size: number,
  handle: dma_addr_ref,
  dir: number,
  gfp: gfp_t,
): number {
  const m = dev.machine;
  const order = get_order(size);
  const page = alloc_pages(gfp, order, m);
  if (!page) return 0;
  const vaddr = page_address(page);
  const dma = ops.map_phys(dev, virt_to_phys(vaddr), size, dir, DMA_ATTR_SKIP_CPU_SYNC);
  if (dma === DMA_MAPPING_ERROR) {
    __free_pages(page, order);
    return 0;
  }
  m.u8.fill(0, m.virtToOff(vaddr), m.virtToOff(vaddr) + size);
  handle.value = dma;
  return vaddr;
}

/**
 * dma_alloc_pages(): `size` bytes (rounded up to pages) of zeroed memory the
 * driver owns and hands to the device with dma_sync_single_for_device() and
 * back with dma_sync_single_for_cpu(); reachable under the coherent mask. The
 * bus address goes to `handle`. Returns the struct page, or 0. The kernel's
 * WARN_ON_ONCEs refuse a device without a coherent mask and zone or __GFP_COMP
 * flags in `gfp`. dma-debug tracks it ("noncoherent"), so a free with the wrong
 * size, direction or function is reported. Context: process, or atomic with
 * GFP_ATOMIC. Differs: ops without alloc_pages_op use the kernel's common
 * helper (the IOMMU's do) where the kernel returns NULL.
 */
export function dma_alloc_pages(dev: device, size: number, handle: dma_addr_ref, dir: number, gfp: gfp_t): number {
  dev_check(dev, 'dma_alloc_pages');
  if (typeof handle !== 'object' || handle === null) null_deref('dma_alloc_pages', 'dma_handle', handle);
  if (!valid_dma_direction(dir)) bad_dir('dma_alloc_pages', dir);
  const where = 'kernel/dma/mapping.c __dma_alloc_pages';
  // WARN_ON_ONCE keys on its place: one per check.
  if (WARN_ON_ONCE(dev.coherent_dma_mask === 0n, `${where} (mask)`, 'WARN_ON_ONCE(!dev->coherent_dma_mask)')) return 0;
  const zones = (gfp & (__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM)) !== 0;
  if (WARN_ON_ONCE(zones, `${where} (zone)`, 'WARN_ON_ONCE(gfp & (__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM))')) return 0;
  if (WARN_ON_ONCE((gfp & __GFP_COMP) !== 0, `${where} (comp)`, 'WARN_ON_ONCE(gfp & __GFP_COMP)')) return 0;
  if (!Number.isSafeInteger(size) || size <= 0) return 0;
  might_alloc(gfp, where);
  const ops = dev.dma_ops;
  let vaddr: number;
  if (dma_map_direct(dev, ops)) vaddr = dma_direct_alloc(dev, PAGE_ALIGN(size), handle, gfp, 0);
  else if (ops.alloc_pages_op) {
    const page = ops.alloc_pages_op(dev, PAGE_ALIGN(size), handle, dir, gfp);
    vaddr = page ? page_address(page) : 0;
  } else vaddr = dma_common_alloc_pages(dev, ops, PAGE_ALIGN(size), handle, dir, gfp);
  if (!vaddr) return 0;
  debug_dma_map_phys(dev, virt_to_phys(vaddr), size, dir, handle.value, 0, vaddr, dma_debug_noncoherent);
  return virt_to_page(vaddr);
}

/**
 * dma_free_pages(): give back dma_alloc_pages() memory (size, handle and
 * direction as allocated). A free dma-debug does not match is reported and frees
 * nothing; memory user space still maps (dma_mmap_pages) is held until munmap.
 */
export function dma_free_pages(dev: device, size: number, page: number, dma_handle: dma_addr_t, dir: number): void {
  dev_check(dev, 'dma_free_pages');
  if (typeof dma_handle !== 'number') {
    bad_dma_addr(dev, dma_handle, size);
    return;
  }
  /*
   * Beyond the kernel: a page that is not the one allocated at this handle would
   * free someone else's memory. Report it as a coherent free with another CPU
   * address is reported, and free nothing.
   */
  const vaddr = typeof page === 'number' ? page_address(page) : 0;
  const e = debug_find_entry(dev, dma_handle);
  if (e !== undefined && e.type === dma_debug_noncoherent && e.cpu !== vaddr) {
    debug_dma_invalid_arg(
      dev,
      `device driver frees DMA memory with different CPU address [device address=${fmt_pad(dma_handle)}] ` +
        `[size=${size} bytes] [cpu alloc address=0x${fmt_p(e.cpu)}] [cpu free address=0x${fmt_p(vaddr)}]`,
    );
    return;
  }
  if (!debug_dma_unmap_phys(dev, dma_handle, size, dir, dma_debug_noncoherent)) return;
  const release = (): void => {
    const ops = dev.dma_ops;
    if (dma_map_direct(dev, ops)) dma_direct_free(dev, PAGE_ALIGN(size), vaddr, dma_handle, 0);
    else if (ops.free_pages) ops.free_pages(dev, PAGE_ALIGN(size), page, dma_handle, dir);
    else {
      ops.unmap_phys(dev, dma_handle, PAGE_ALIGN(size), dir, DMA_ATTR_SKIP_CPU_SYNC);
      __free_pages(page, get_order(size));
    }
  };
  if (user_mmap_hold(dev, size, vaddr, release)) return;
  release();
}

/** dma_alloc_noncoherent(): page_address(dma_alloc_pages(...)): the CPU address, or 0. */
export function dma_alloc_noncoherent(
  dev: device,
  size: number,
  handle: dma_addr_ref,
  dir: number,
  gfp: gfp_t,
): number {
  const page = dma_alloc_pages(dev, size, handle, dir, gfp);
  return page ? page_address(page) : 0;
}

/** dma_free_noncoherent(): dma_free_pages() of dma_alloc_noncoherent() memory. */
export function dma_free_noncoherent(
  dev: device,
  size: number,
  vaddr: number,
  dma_handle: dma_addr_t,
  dir: number,
): void {
  if (!vaddr) return;
  dma_free_pages(dev, size, virt_to_page(vaddr), dma_handle, dir);
}

/**
 * dma_mmap_pages(): map dma_alloc_pages() memory into a user vma. 0, or -ENXIO
 * when vm_pgoff or the vma's length fall outside the (page rounded) buffer, or
 * -EINVAL for a vma already mapped; see dma_mmap_attrs.
 */
export function dma_mmap_pages(dev: device, vma: vm_area_struct, size: number, page: number): number {
  dev_check(dev, 'dma_mmap_pages');
  const vaddr = typeof page === 'number' && page ? page_address(page) : 0;
  if (!vaddr) return -ENXIO;
  return dma_mmap_attrs(dev, vma, vaddr, 0, size, 0);
}

/**
 * dma_alloc_noncontiguous(): memory the device sees through an sg_table.
 * Without an IOMMU allocator of its own (ours has none) the kernel gives one
 * contiguous segment in a one-entry table (alloc_single_sgt), and so do we:
 * sgt.nents = 1, the entry's DMA address and length filled in. Returns the
 * table, or null. Only DMA_ATTR_ALLOC_SINGLE_PAGES is allowed in attrs (the
 * kernel's WARN). Differs: dma-debug tracks the segment's pages as
 * dma_alloc_pages memory (the kernel as a one-entry scatter-gather mapping).
 */
export function dma_alloc_noncontiguous(
  dev: device,
  size: number,
  dir: number,
  gfp: gfp_t,
  attrs = 0,
): sg_table | null {
  dev_check(dev, 'dma_alloc_noncontiguous');
  if (
    WARN_ON_ONCE(
      (attrs & ~DMA_ATTR_ALLOC_SINGLE_PAGES) !== 0,
      'kernel/dma/mapping.c dma_alloc_noncontiguous',
      'WARN_ON_ONCE(attrs & ~DMA_ATTR_ALLOC_SINGLE_PAGES)',
    )
  )
    return null;
  const ref = new dma_addr_ref();
  const page = dma_alloc_pages(dev, size, ref, dir, gfp);
  if (!page) return null;
  const sgt = new sg_table();
  sg_alloc_table(sgt, 1, gfp);
  const sg = sgt.sgl!;
  sg_set_page(sg, page, PAGE_ALIGN(size), 0);
  sg.dma_address = ref.value;
  sg.dma_length = size;
  sgt.nents = 1;
  return sgt;
}

/** dma_free_noncontiguous(): free a dma_alloc_noncontiguous() table and its memory. */
export function dma_free_noncontiguous(dev: device, size: number, sgt: sg_table, dir: number): void {
  if (!sgt?.sgl) return;
  dma_free_pages(dev, size, sg_page(sgt.sgl), sgt.sgl.dma_address, dir);
  sg_free_table(sgt);
}

/** dma_vmap_noncontiguous(): the CPU address of the memory (one segment: page_address, as the kernel's). */
export function dma_vmap_noncontiguous(dev: device, size: number, sgt: sg_table): number {
  void dev;
  void size;
  return sgt?.sgl ? page_address(sg_page(sgt.sgl)) : 0;
}

/** dma_vunmap_noncontiguous(): nothing to undo for one segment, as in the kernel. */
export function dma_vunmap_noncontiguous(dev: device, vaddr: number): void {
  void dev;
  void vaddr;
}

/** dma_mmap_noncontiguous(): dma_mmap_pages() of the segment. */
export function dma_mmap_noncontiguous(dev: device, vma: vm_area_struct, size: number, sgt: sg_table): number {
  if (!sgt?.sgl) return -ENXIO;
  return dma_mmap_pages(dev, vma, size, sg_page(sgt.sgl));
}

/**
 * dma_map_resource(): a bus address for `size` bytes of another device's MMIO
 * at `phys_addr` (peer-to-peer). Returns it, or DMA_MAPPING_ERROR: for RAM (the
 * kernel's WARN_ON_ONCE(pfn_valid(...))), without a streaming mask, or when the
 * device cannot reach it ("DMA addr ... overflow", the direct mapping's
 * dev_err_once and WARN). With ops, their map_resource, else their map_phys
 * (what the kernel does since 6.18, with DMA_ATTR_MMIO): behind the IOMMU, an IOVA.
 * dma-debug tracks it ("resource"). BUG for an invalid direction. Any context.
 */
export function dma_map_resource(dev: device, phys_addr: number, size: number, dir: number, attrs = 0): dma_addr_t {
  dev_check(dev, 'dma_map_resource');
  if (!valid_dma_direction(dir)) bad_dir('dma_map_resource', dir);
  const where = 'kernel/dma/mapping.c dma_map_resource';
  if (!Number.isSafeInteger(phys_addr) || phys_addr < 0 || !Number.isSafeInteger(size) || size < 0) {
    debug_dma_invalid_arg(
      dev,
      `device driver maps a resource with an invalid address or size [address=${String(phys_addr)}] [size=${String(size)}]; not mapped`,
    );
    return DMA_MAPPING_ERROR;
  }
  if (WARN_ON_ONCE(dev.dma_mask === null, `${where} (mask)`, 'WARN_ON_ONCE(!dev->dma_mask)')) return DMA_MAPPING_ERROR;
  if (
    WARN_ON_ONCE(dev.machine.physIsRam(phys_addr, 1), `${where} (ram)`, 'WARN_ON_ONCE(pfn_valid(PHYS_PFN(phys_addr)))')
  )
    return DMA_MAPPING_ERROR;
  const ops = dev.dma_ops;
  let dma: number = DMA_MAPPING_ERROR;
  if (dma_map_direct(dev, ops)) dma = dma_direct_map_resource(dev, phys_addr, size, dir, attrs);
  else if (ops.map_resource) dma = ops.map_resource(dev, phys_addr, size, dir, attrs);
  else dma = ops.map_phys(dev, phys_addr, size, dir, attrs | DMA_ATTR_SKIP_CPU_SYNC);
  debug_dma_map_phys(dev, phys_addr, size, dir, dma, attrs, -1, dma_debug_resource);
  return dma;
}

/** dma_unmap_resource(): end a dma_map_resource() mapping; dma-debug checks it first, as an unmap. */
export function dma_unmap_resource(dev: device, addr: dma_addr_t, size: number, dir: number, attrs = 0): void {
  dev_check(dev, 'dma_unmap_resource');
  if (!valid_dma_direction(dir)) bad_dir('dma_unmap_resource', dir);
  if (typeof addr !== 'number') {
    bad_dma_addr(dev, addr, size);
    return;
  }
  if (!debug_dma_unmap_phys(dev, addr, size, dir, dma_debug_resource)) return;
  const ops = dev.dma_ops;
  if (dma_map_direct(dev, ops)) return;
  if (ops.unmap_resource) ops.unmap_resource(dev, addr, size, dir, attrs);
  else ops.unmap_phys(dev, addr, size, dir, attrs | DMA_ATTR_SKIP_CPU_SYNC);
}

/**
 * dma_get_sgtable_attrs(): a one-entry table over the pages of a coherent
 * buffer (the kernel's dma_common_get_sgtable), for sharing it (dma-buf).
 * Returns 0, -ENXIO when cpu_addr is not in the direct map (the kernel would
 * compute a bogus page), or sg_alloc_table's error.
 */
export function dma_get_sgtable_attrs(
  dev: device,
  sgt: sg_table,
  cpu_addr: number,
  dma_addr: dma_addr_t,
  size: number,
  attrs = 0,
): number {
  void dma_addr;
  void attrs;
  dev_check(dev, 'dma_get_sgtable_attrs');
  if (typeof sgt !== 'object' || sgt === null) null_deref('dma_get_sgtable_attrs', 'sgt', sgt);
  if (typeof cpu_addr !== 'number' || dev.machine.virtToOff(cpu_addr) < 0) return -ENXIO;
  if (!Number.isSafeInteger(size) || size <= 0) return -EINVAL;
  const ret = sg_alloc_table(sgt, 1, 0);
  if (ret) return ret;
  sg_set_page(sgt.sgl!, virt_to_page(cpu_addr), PAGE_ALIGN(size), 0);
  return 0;
}

/** dma_get_sgtable(): dma_get_sgtable_attrs with no attributes. */
export function dma_get_sgtable(
  dev: device,
  sgt: sg_table,
  cpu_addr: number,
  dma_addr: dma_addr_t,
  size: number,
): number {
  return dma_get_sgtable_attrs(dev, sgt, cpu_addr, dma_addr, size, 0);
}

/**
 * dma_need_sync(): must the driver call dma_sync_* around CPU accesses to the
 * mapping at dma_addr? The direct mapping on x86 (coherent): only when it is
 * bounced through swiotlb. With ops: when they have a sync_single member.
 */
export function dma_need_sync(dev: device, dma_addr: dma_addr_t): boolean {
  dev_check(dev, 'dma_need_sync');
  const ops = dev.dma_ops;
  if (dma_map_direct(dev, ops)) {
    return typeof dma_addr === 'number' && swiotlb_slot(dev.machine, dma_addr - dev.dma_offset) >= 0;
  }
  return ops.sync_single_for_cpu !== undefined || ops.sync_single_for_device !== undefined;
}

const minAlignMasks = new WeakMap<device, number>();

/**
 * dma_set_min_align_mask(): the low address bits bouncing must keep (NVMe's).
 * Differs: recorded (dma_get_min_align_mask) but not honoured by our swiotlb,
 * which aligns bounce buffers to its slots.
 */
export function dma_set_min_align_mask(dev: device, min_align_mask: number): void {
  dev_check(dev, 'dma_set_min_align_mask');
  minAlignMasks.set(dev, min_align_mask >>> 0);
}

/** dma_get_min_align_mask(): what dma_set_min_align_mask() set, 0 by default. */
export function dma_get_min_align_mask(dev: device): number {
  dev_check(dev, 'dma_get_min_align_mask');
  return minAlignMasks.get(dev) ?? 0;
}

/** dma_opt_mapping_size(): min(dma_max_mapping_size(), the ops' opt_mapping_size) (SIZE_MAX without ops). */
export function dma_opt_mapping_size(dev: device): number {
  dev_check(dev, 'dma_opt_mapping_size');
  const ops = dev.dma_ops;
  const opt = !dma_map_direct(dev, ops) && ops.opt_mapping_size ? ops.opt_mapping_size() : SIZE_MAX;
  return Math.min(dma_max_mapping_size(dev), opt);
}

/*
 * kernel/dma/mapping.c: the driver-facing DMA API: masks, coherent allocations,
 * streaming mappings (single, page, scatterlist), syncs, mmap.
 *
 * Dispatch, as the kernel's: a device's declared coherent region first (coherent
 * allocations only), then the device's IOMMU domain if it sits behind one
 * (kernel/dma/iommu.ts), else the direct mapping with swiotlb bouncing
 * (direct.ts, swiotlb.ts). Every allocation and mapping is tracked by dma-debug
 * (debug.ts), which also checks unmaps and syncs with the kernel's texts.
 *
 * Misuse never throws except an invalid direction, which is the kernel's BUG().
 * An unmap that dma-debug cannot match to a live mapping undoes nothing: the
 * kernel would act on whatever the driver passed, we never let a driver bug
 * corrupt the bounce pool or the IOMMU's IOVA space. An unmap that matches with a
 * different size or direction is reported and then done the kernel's way (copy
 * back with the size and direction passed, clamped to the bounce buffer),
 * releasing what was recorded.
 */
import { PAGE_SIZE, get_order, MAX_ORDER } from '../../mm/page_alloc.ts';
import { __GFP_COMP, __GFP_DMA, __GFP_DMA32, __GFP_HIGHMEM, __GFP_NOWARN, type gfp_t } from '../../include/linux/gfp.ts';
import { EIO } from '../../include/linux/errno.ts';
import type { dma_addr_ref, dma_addr_t } from '../../include/linux/types.ts';
import { type device } from '../../drivers/base/core.ts';
import { devres_add, devres_find, devres_release } from '../../drivers/base/devres.ts';
import { printk_level, KERN_WARNING } from '../printk.ts';
import { WARN, WARN_ON, WARN_ON_ONCE } from '../panic.ts';
import { fmt_0x016llx, fmt_p } from '../../lib/vsprintf.ts';
import {
  dma_direct_alloc_pages,
  dma_limit,
  phys_to_dma,
  dev_dma_limit,
  dma_direct_map_phys,
  dma_direct_unmap_phys,
  dma_direct_sync_single_for_cpu,
  dma_direct_sync_single_for_device,
  dma_capable_limit,
} from './direct.ts';
import { capture_site } from '../../lib/stackdepot.ts';
import {
  debug_find_slot,
  debug_dev_find,
  debug_remove,
  debug_check_area,
  debug_check_sg_segment,
  debug_dma_mapping_error,
  debug_dma_map_single_invalid,
  debug_dev,
  debug_add,
  debug_unmap_check,
  debug_sync_check,
  dma_debug_err,
  dma_debug_coherent,
  dma_debug_single,
  dma_debug_page,
  dma_debug_sg,
  type2name,
} from './debug.ts';
import { DMA_MAPPING_ERROR, DMA_ATTR_SKIP_CPU_SYNC } from '../../include/linux/dma-mapping.ts';
import { valid_dma_direction, DMA_BIDIRECTIONAL } from '../../include/linux/dma-direction.ts';
import { ENOMEM, ENXIO, EINVAL } from '../../include/linux/errno.ts';
import { BUG } from '../panic.ts';
import { irqs_disabled, might_alloc } from '../sched/context.ts';
import { fault_inject_armed, should_fail } from '../../lib/fault-inject.ts';
import { DmashimError } from '../../lib/errors.ts';
import { KERN_ERR } from '../printk.ts';
import { dev_prefix } from '../../drivers/base/core.ts';
import { page_base, STRUCT_PAGE_SIZE, VMEMMAP_WINDOW } from '../../mm/page.ts';
import { is_vmalloc_addr } from '../../mm/vmalloc.ts';
import { sg_first, sg_next, type scatterlist, type sg_list, type sg_table } from '../../lib/scatterlist.ts';
import {
  iommu_get_domain_for_dev,
  iommu_dma_map_phys,
  iommu_dma_unmap_phys,
  iommu_dma_map_sg,
  iommu_dma_unmap_sg,
  iommu_dma_alloc_pages,
  iommu_owns,
} from './iommu.ts';
import { dev_WARN_ONCE, is_swiotlb_active, is_swiotlb_force_bounce, swiotlb_max_mapping_size, swiotlb_in_use } from './swiotlb.ts';

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
 * dma_supported(): can the device's DMA reach what the machine needs for a mask?
 * Direct mapping rule (dma_direct_supported): a mask of 32 bits or more is always
 * supported (the kernel expects every platform to serve 32-bit masks, whatever
 * its bus offset); a narrower one must reach, as seen from the device, ZONE_DMA
 * (24 bits) or the start of the last page of RAM ((max_pfn - 1) << PAGE_SHIFT)
 * if RAM ends lower.
 */
export function dma_supported(dev: device, mask: bigint | number): boolean {
  if (iommu_get_domain_for_dev(dev)) return true; /* dma-iommu: any mask, the IOVA allocator honours it */
  const m = toMask(mask);
  if (m >= DMA_BIT_MASK(32)) return true;
  const lastPage = dev.machine.physEnd - PAGE_SIZE;
  const minMask = Math.min(0xffffff, lastPage);
  const need = BigInt(Math.max(0, phys_to_dma(dev, minMask)));
  return m >= need;
}

/**
 * dma_set_mask(): 0, or -EIO when the device has no mask (NULL dma_mask) or the
 * machine cannot serve the mask. Process context.
 */
export function dma_set_mask(dev: device, mask: bigint | number): number {
  const m = toMask(mask);
  if (dev.dma_mask === null || !dma_supported(dev, m)) return -EIO;
  dev.dma_mask = m;
  return 0;
}

/** dma_set_coherent_mask(): 0, or -EIO when the machine cannot serve the mask. */
export function dma_set_coherent_mask(dev: device, mask: bigint | number): number {
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
  return dev.dma_mask ?? DMA_BIT_MASK(32);
}

/**
 * dma_get_required_mask(): the smallest mask covering all of the machine's RAM as
 * the device sees it, and never below 32 bits (a 32-bit mask is the cheap
 * default the API suggests). Changes no mask.
 */
export function dma_get_required_mask(dev: device): bigint {
  if (iommu_get_domain_for_dev(dev)) return DMA_BIT_MASK(32); /* as the kernel for use_dma_iommu() */
  const top = phys_to_dma(dev, dev.machine.physEnd - 1);
  let bits = 32;
  while (bits < 64 && top > 2 ** bits - 1) bits++;
  return DMA_BIT_MASK(bits);
}

/** Per-device allocators that take precedence over the page allocator (dma_declare_coherent_memory). */
export interface DevCoherentOps {
  alloc(dev: device, size: number, handle: dma_addr_ref): number | null;
  release(dev: device, size: number, vaddr: number): boolean;
  /** True when the CPU address lies in the region (for mmap and the device side). */
  contains?(vaddr: number): boolean;
}
export const dev_coherent_key = 'dma_mem';

function coherentFree(dev: device, size: number, vaddr: number, dma: number): void {
  const region = dev.ext.get(dev_coherent_key) as DevCoherentOps | undefined;
  if (region && region.release(dev, size, vaddr)) return;
  const m = dev.machine;
  const off = m.virtToOff(vaddr);
  const dom = iommu_get_domain_for_dev(dev);
  if (dom && iommu_owns(dom, dma)) iommu_dma_unmap_phys(dom, dma);
  m.buddy.free(off / PAGE_SIZE, get_order(size));
}

/**
 * dma_alloc_attrs(): `size` bytes of zeroed coherent memory, contiguous in phys
 * and bus space, reachable under the coherent mask and the bus limit; the bus
 * address goes to `handle`. Returns the CPU address, or NULL (0). Like the kernel,
 * zone modifiers (__GFP_DMA, __GFP_DMA32) in `gfp` are ignored: the mask decides.
 * Differs: sizes above the largest buddy block (4 MiB) fail (no CMA here).
 */
export function dma_alloc_attrs(dev: device, size: number, handle: dma_addr_ref, gfp: gfp_t, attrs = 0): number {
  void attrs;
  if (!dev) return 0;
  // The condition first: the message is a template string, built only when the mask is missing.
  if (dev.coherent_dma_mask === 0n) WARN_ON_ONCE(true, 'kernel/dma/mapping.c dma_alloc_attrs', `${dev.name}: WARN_ON_ONCE(!dev->coherent_dma_mask)`);
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
  if (fault_inject_armed.count > 0 && should_fail(dev.machine, 'coherent', dev.name, null, gfp, `dma_alloc_coherent(${size})`)) return 0;
  const region = dev.ext.get(dev_coherent_key) as DevCoherentOps | undefined;
  let vaddr: number;
  // The direct path knows the buffer's physical address; the others look it up from the vaddr below.
  let phys = -2;
  const dom = region ? null : iommu_get_domain_for_dev(dev);
  if (region) {
    const r = region.alloc(dev, size, handle);
    if (r === null) return 0;
    vaddr = r;
  } else if (dom) {
    const out = { iova: 0 };
    const pg = iommu_dma_alloc_pages(dev, dom, size, gfp, out);
    if (pg < 0) return 0;
    handle.value = out.iova;
    vaddr = dev.machine.offToVirt(pg * PAGE_SIZE);
  } else {
    gfp &= ~(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM);
    const order = get_order(size);
    const m = dev.machine;
    const page = order > MAX_ORDER ? -1 : dma_direct_alloc_pages(dev, size, dma_limit(dev.coherent_dma_mask, dev.bus_dma_limit), gfp);
    if (page < 0) {
      if (!(gfp & __GFP_NOWARN)) {
        printk_level(KERN_WARNING, `dmashim: page allocation failure: order:${order}, mode:0x${gfp.toString(16)}`);
      }
      return 0;
    }
    const off = page * PAGE_SIZE;
    m.u8.fill(0, off, off + Math.ceil(size / PAGE_SIZE) * PAGE_SIZE);
    phys = m.offToPhys(off);
    handle.value = phys_to_dma(dev, phys);
    vaddr = m.offToVirt(off);
  }
  if (phys === -2) {
    const voff = dev.machine.virtToOff(vaddr);
    phys = voff >= 0 ? dev.machine.offToPhys(voff) : -1;
  }
  // Straight into the typed-array tracking: no entry object per allocation (each dma_pool page comes through here).
  debug_add(debug_dev(dev), dma_debug_coherent, handle.value, size, vaddr, phys, DMA_BIDIRECTIONAL, 0, capture_site(), 0, 0);
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
  void attrs;
  /*
   * The kernel: "may only be called with IRQs enabled" (WARN_ON(irqs_disabled())),
   * before the NULL check, but after dma_release_from_dev_coherent: memory of the
   * device's declared region is released first and never reaches the WARN.
   */
  const region = dev ? (dev.ext.get(dev_coherent_key) as DevCoherentOps | undefined) : undefined;
  const inRegion = cpu_addr !== 0 && region?.contains?.(cpu_addr) === true;
  if (!inRegion) WARN_ON(irqs_disabled(), 'kernel/dma/mapping.c dma_free_attrs', 'WARN_ON(irqs_disabled())');
  if (!dev || !cpu_addr) return;
  // The tracking's slot, read in place: no entry snapshot per free (each dma_pool page goes back through here).
  const d = debug_dev_find(dev);
  const i = d ? debug_find_slot(d, dma_handle) : -1;
  if (!d || i < 0) {
    dma_debug_err(dev, `device driver tries to free DMA memory it has not allocated [device address=${fmt_0x016llx(dma_handle)}] [size=${size} bytes]`);
    return;
  }
  if (d.size[i] !== size) {
    dma_debug_err(
      dev,
      `device driver frees DMA memory with different size [device address=${fmt_0x016llx(dma_handle)}] [map size=${d.size[i]} bytes] [unmap size=${size} bytes]`,
    );
    return;
  }
  if (d.type[i] !== dma_debug_coherent) {
    dma_debug_err(
      dev,
      `device driver frees DMA memory with wrong function [device address=${fmt_0x016llx(dma_handle)}] [size=${size} bytes] [mapped as ${type2name[d.type[i]!]}] [unmapped as coherent]`,
    );
    return;
  }
  if (d.cpu[i] !== cpu_addr) {
    dma_debug_err(
      dev,
      `device driver frees DMA memory with different CPU address [device address=${fmt_0x016llx(dma_handle)}] [size=${size} bytes] [cpu alloc address=0x${fmt_p(d.cpu[i]!)}] [cpu free address=0x${fmt_p(cpu_addr)}]`,
    );
    return;
  }
  debug_remove(d, i, 2);
  if (mmap_hold(dev, size, cpu_addr, dma_handle)) return;
  coherentFree(dev, size, cpu_addr, dma_handle);
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

/** dmam_alloc_coherent(): managed dma_alloc_coherent, freed at device_unregister. */
export function dmam_alloc_coherent(dev: device, size: number, handle: dma_addr_ref, gfp: gfp_t): number {
  const vaddr = dma_alloc_coherent(dev, size, handle, gfp);
  if (!vaddr) return 0;
  const dr: dmam_coherent = { vaddr, dma: handle.value, size };
  devres_add(dev, { name: DMAM_RELEASE, data: dr, release: (d) => dma_free_coherent(d, dr.size, dr.vaddr, dr.dma) });
  return vaddr;
}

/** dmam_free_coherent(): free a managed buffer now; WARNs when it was not managed (and then frees nothing). */
export function dmam_free_coherent(dev: device, size: number, vaddr: number, dma_handle: dma_addr_t): void {
  let found: dmam_coherent | null = null;
  for (const r of dev.devres_head) {
    const d = r.data as dmam_coherent;
    if (r.name === DMAM_RELEASE && d.vaddr === vaddr && d.dma === dma_handle && d.size === size) found = d;
  }
  if (WARN_ON(found === null, 'kernel/dma/mapping.c dmam_free_coherent', 'WARN_ON(devres_destroy(dev, dmam_release, dmam_match, &match_data))')) return;
  if (devres_find(dev, DMAM_RELEASE, found)) devres_release(dev, DMAM_RELEASE, found);
}

/* ------------------------------------------------------------------------- */
/* Streaming mappings                                                         */
/* ------------------------------------------------------------------------- */

function bad_dir(fn: string, dir: number): never {
  BUG(`kernel/dma/mapping.c ${fn}`, `BUG_ON(!valid_dma_direction(dir)) [dir=${dir}]`);
}

function map_tracked(dev: device, phys: number, vaddr: number, size: number, dir: number, attrs: number, type: number): number {
  const dom = iommu_get_domain_for_dev(dev);
  const dma = dom ? iommu_dma_map_phys(dev, dom, phys, size, dir) : dma_direct_map_phys(dev, phys, size, dir, attrs);
  if (dma === DMA_MAPPING_ERROR) return dma;
  debug_check_area(dev, vaddr, size);
  debug_add(debug_dev(dev), type, dma, size, vaddr, phys, dir, attrs, capture_site(), 0, 0);
  return dma;
}

function unmap_tracked(dev: device, addr: number, size: number, dir: number, attrs: number, type: number): void {
  const d = debug_dev(dev);
  const e = debug_unmap_check(d, addr, size, type, dir, 0);
  if (e < 0) return;
  const at = d.addr[e]!;
  const dom = iommu_get_domain_for_dev(dev);
  if (dom) iommu_dma_unmap_phys(dom, at);
  else dma_direct_unmap_phys(dev, at, size, dir, attrs);
}

/**
 * dma_map_single_attrs(): map `size` bytes at CPU address `ptr` (kmalloc,
 * __get_free_pages: the direct map) for streaming DMA. Returns the bus address
 * or DMA_MAPPING_ERROR: check it with dma_mapping_error(). Context: any.
 * BUG (throws) for an invalid direction. A vmalloc address is refused with the
 * kernel's dev_WARN_ONCE "rejecting DMA map of vmalloc memory" (and dma-debug's
 * "device driver maps memory from vmalloc area"); any other address outside the
 * direct map gives "device driver maps memory from invalid area" and, unlike the
 * kernel (which maps whatever virt_to_page computes), DMA_MAPPING_ERROR.
 */
export function dma_map_single_attrs(dev: device, ptr: number, size: number, dir: number, attrs = 0): dma_addr_t {
  if (!valid_dma_direction(dir)) bad_dir('dma_map_page_attrs', dir);
  if (WARN_ON_ONCE(dev.dma_mask === null, 'kernel/dma/mapping.c dma_map_page_attrs', 'WARN_ON_ONCE(!dev->dma_mask)')) return DMA_MAPPING_ERROR;
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
    debug_dma_map_single_invalid(dev, ptr, size, false);
    return DMA_MAPPING_ERROR;
  }
  return map_tracked(dev, phys, ptr, size, dir, attrs, dma_debug_single);
}

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
export function dma_map_page_attrs(dev: device, page: number, offset: number, size: number, dir: number, attrs = 0): dma_addr_t {
  if (!valid_dma_direction(dir)) bad_dir('dma_map_page_attrs', dir);
  if (WARN_ON_ONCE(dev.dma_mask === null, 'kernel/dma/mapping.c dma_map_page_attrs', 'WARN_ON_ONCE(!dev->dma_mask)')) return DMA_MAPPING_ERROR;
  const m = dev.machine;
  const rel = page - page_base(m);
  const phys = (rel / STRUCT_PAGE_SIZE) * PAGE_SIZE + offset;
  const off = rel >= 0 && rel < VMEMMAP_WINDOW && rel % STRUCT_PAGE_SIZE === 0 ? m.physToOff(phys) : -1;
  if (off < 0 || !m.physIsRam(phys, Math.max(size, 1))) {
    debug_dma_map_single_invalid(dev, page + offset, size, false);
    return DMA_MAPPING_ERROR;
  }
  return map_tracked(dev, phys, m.offToVirt(off), size, dir, attrs, dma_debug_page);
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
  if (!valid_dma_direction(dir)) bad_dir('dma_unmap_page_attrs', dir);
  unmap_tracked(dev, addr, size, dir, attrs, dma_debug_single);
}

/** dma_unmap_single() */
export function dma_unmap_single(dev: device, addr: dma_addr_t, size: number, dir: number): void {
  dma_unmap_single_attrs(dev, addr, size, dir, 0);
}

/** dma_unmap_page_attrs(): as dma_unmap_single_attrs, for dma_map_page mappings. */
export function dma_unmap_page_attrs(dev: device, addr: dma_addr_t, size: number, dir: number, attrs = 0): void {
  if (!valid_dma_direction(dir)) bad_dir('dma_unmap_page_attrs', dir);
  unmap_tracked(dev, addr, size, dir, attrs, dma_debug_page);
}

/** dma_unmap_page() */
export function dma_unmap_page(dev: device, addr: dma_addr_t, size: number, dir: number): void {
  dma_unmap_page_attrs(dev, addr, size, dir, 0);
}

/** dma_mapping_error(): -ENOMEM when `dma_addr` is DMA_MAPPING_ERROR, else 0. Tells dma-debug the driver checked. */
export function dma_mapping_error(dev: device, dma_addr: dma_addr_t): number {
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
  if (!valid_dma_direction(dir)) bad_dir('dma_sync_single_for_cpu', dir);
  const e = debug_sync_check(debug_dev(dev), addr, size, dir, true, 0);
  if (e >= 0 && !iommu_get_domain_for_dev(dev)) dma_direct_sync_single_for_cpu(dev, addr, size, dir);
}

/** dma_sync_single_for_device(): give the buffer to the device; refreshes a bounce buffer for TO_DEVICE / BIDIRECTIONAL. */
export function dma_sync_single_for_device(dev: device, addr: dma_addr_t, size: number, dir: number): void {
  if (!valid_dma_direction(dir)) bad_dir('dma_sync_single_for_device', dir);
  const e = debug_sync_check(debug_dev(dev), addr, size, dir, false, 0);
  if (e >= 0 && !iommu_get_domain_for_dev(dev)) dma_direct_sync_single_for_device(dev, addr, size, dir);
}

/** dma_sync_single_range_for_cpu(): sync `size` bytes at `offset` into a mapping. */
export function dma_sync_single_range_for_cpu(dev: device, addr: dma_addr_t, offset: number, size: number, dir: number): void {
  dma_sync_single_for_cpu(dev, addr + offset, size, dir);
}

/** dma_sync_single_range_for_device() */
export function dma_sync_single_range_for_device(dev: device, addr: dma_addr_t, offset: number, size: number, dir: number): void {
  dma_sync_single_for_device(dev, addr + offset, size, dir);
}

/* ---- scatterlists ---- */

/*
 * dma_direct_map_sg: one mapping per entry, never merged. nents or -EIO / -EINVAL.
 * The per-device facts dma_direct_map_phys looks up (forced bouncing, the DMA
 * limit, the offset) are read once per list; only entries that need bouncing or
 * are out of reach go through it.
 */
function direct_map_sg(dev: device, first: scatterlist, nents: number, dir: number, attrs: number): number {
  const m = dev.machine;
  const base = page_base(m);
  const force = is_swiotlb_force_bounce(dev);
  const limit = dev_dma_limit(dev);
  const offset = dev.dma_offset;
  let s: scatterlist | null = first;
  let i = 0;
  let err = 0;
  for (; i < nents && s; i++, s = sg_next(s)) {
    const rel = s.page_link - base;
    if (!(rel >= 0 && rel < VMEMMAP_WINDOW)) {
      debug_dma_map_single_invalid(dev, s.page_link + s.offset, s.length, false);
      err = -EINVAL;
      break;
    }
    const phys = (rel / STRUCT_PAGE_SIZE) * PAGE_SIZE + s.offset;
    let dma = phys + offset;
    if (force || !dma_capable_limit(dma, s.length, limit)) dma = dma_direct_map_phys(dev, phys, s.length, dir, attrs);
    if (dma === DMA_MAPPING_ERROR) {
      err = -EIO;
      break;
    }
    s.dma_address = dma;
    s.dma_length = s.length;
  }
  if (!err && i < nents) err = -EINVAL; /* the list ended before nents (the kernel would run off its end) */
  if (!err) return nents;
  let t: scatterlist | null = first;
  for (let j = 0; j < i && t; j++, t = sg_next(t)) dma_direct_unmap_phys(dev, t.dma_address, t.dma_length, dir, attrs | DMA_ATTR_SKIP_CPU_SYNC);
  return err;
}

/*
 * debug_dma_map_sg: one dma-debug entry per mapped segment. The site is captured
 * once for the whole list (every entry was mapped by the same call) and the
 * tracking is sized for the list up front, so the per-entry work is a few
 * typed-array stores and one hash insertion.
 */
function debug_map_sg(dev: device, first: scatterlist, nents: number, ents: number, dir: number, attrs: number): void {
  const m = dev.machine;
  const base = page_base(m);
  const d = debug_dev(dev);
  d.reserve(ents);
  const site = capture_site();
  const areas = d.s.areas.length > 0;
  const max = dev.dma_parms.max_segment_size;
  const bsize = dev.dma_parms.segment_boundary_mask + 1;
  let s: scatterlist | null = first;
  let out: scatterlist | null = first;
  for (let i = 0; i < nents && s; i++, s = sg_next(s)) {
    const phys = ((s.page_link - base) / STRUCT_PAGE_SIZE) * PAGE_SIZE + s.offset;
    const off = m.physToOff(phys);
    const vaddr = off >= 0 ? m.offToVirt(off) : 0;
    if (areas) debug_check_area(dev, vaddr, s.length);
    if (i < ents && out) {
      const a = out.dma_address;
      const len = out.dma_length;
      if (len > max || (len > 0 && Math.floor(a / bsize) !== Math.floor((a + len - 1) / bsize))) debug_check_sg_segment(dev, a, len);
      debug_add(d, dma_debug_sg, a, len, vaddr, phys, dir, attrs, site, nents, ents);
      out = sg_next(out);
    }
  }
}

function map_sg(dev: device, sgl: sg_list, nents: number, dir: number, attrs: number): number {
  if (!valid_dma_direction(dir)) bad_dir('__dma_map_sg_attrs', dir);
  if (WARN_ON_ONCE(dev.dma_mask === null, 'kernel/dma/mapping.c __dma_map_sg_attrs', 'WARN_ON_ONCE(!dev->dma_mask)')) return 0;
  const first = sg_first(sgl);
  const dom = iommu_get_domain_for_dev(dev);
  let ents = 0;
  if (first && nents > 0) ents = dom ? iommu_dma_map_sg(dev, dom, first, nents, dir) : direct_map_sg(dev, first, nents, dir, attrs);
  if (ents > 0) {
    debug_map_sg(dev, first!, nents, ents, dir, attrs);
  } else if (ents !== -EINVAL && ents !== -ENOMEM && ents !== -EIO) {
    WARN_ON_ONCE(true, 'kernel/dma/mapping.c __dma_map_sg_attrs', `WARN_ON_ONCE(ents != -EINVAL && ents != -ENOMEM && ents != -EIO && ents != -EREMOTEIO) [ents=${ents}]`);
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
  return ents < 0 ? 0 : ents;
}

/** dma_map_sg(): dma_map_sg_attrs with no attributes. */
export function dma_map_sg(dev: device, sgl: sg_list, nents: number, dir: number): number {
  return dma_map_sg_attrs(dev, sgl, nents, dir, 0);
}

/**
 * dma_unmap_sg_attrs(): unmap a list; `nents` must be what was passed to
 * dma_map_sg (not its return value): dma-debug reports "different entry count"
 * otherwise. As in the kernel, a list dma-debug does not know (never mapped,
 * already unmapped) is ignored silently.
 */
export function dma_unmap_sg_attrs(dev: device, sgl: sg_list, nents: number, dir: number, attrs = 0): void {
  if (!valid_dma_direction(dir)) bad_dir('dma_unmap_sg_attrs', dir);
  const first = sg_first(sgl);
  if (!first) return;
  const d = debug_dev(dev);
  const head = d.byAddr.get(first.dma_address);
  const mapped = head < 0 ? 0 : d.sgMapped[head]!;
  const dom = iommu_get_domain_for_dev(dev);
  // With no bounce slot taken on the machine, no entry can be bounced: skip the per-entry slot lookup.
  const bounced = !dom && swiotlb_in_use(dev.machine);
  let firstFound = false;
  let s: scatterlist | null = first;
  for (let i = 0; i < nents && i < mapped && s; i++, s = sg_next(s)) {
    const e = debug_unmap_check(d, s.dma_address, s.dma_length, dma_debug_sg, dir, nents);
    if (e < 0) continue;
    if (i === 0) firstFound = true;
    if (bounced) dma_direct_unmap_phys(dev, d.addr[e]!, s.dma_length, dir, attrs);
  }
  if (dom && firstFound) iommu_dma_unmap_sg(dom, first);
}

/** dma_unmap_sg() */
export function dma_unmap_sg(dev: device, sgl: sg_list, nents: number, dir: number): void {
  dma_unmap_sg_attrs(dev, sgl, nents, dir, 0);
}

function sync_sg(dev: device, sgl: sg_list, nelems: number, dir: number, to_cpu: boolean): void {
  const first = sg_first(sgl);
  if (!first) return;
  const d = debug_dev(dev);
  const head = d.byAddr.get(first.dma_address);
  const mapped = head < 0 ? 0 : d.sgMapped[head]!;
  const direct = !iommu_get_domain_for_dev(dev);
  let s: scatterlist | null = first;
  for (let i = 0; i < nelems && i < mapped && s; i++, s = sg_next(s)) {
    const e = debug_sync_check(d, s.dma_address, s.dma_length, dir, to_cpu, nelems);
    if (e < 0 || !direct) continue;
    if (to_cpu) dma_direct_sync_single_for_cpu(dev, s.dma_address, s.length, dir);
    else dma_direct_sync_single_for_device(dev, s.dma_address, s.length, dir);
  }
}

/** dma_sync_sg_for_cpu(): dma_sync_single_for_cpu for each mapped entry (pass the original nents). */
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
  return dev.dma_parms.max_segment_size;
}

/** dma_set_max_seg_size(): returns 0 (older kernels returned -EIO without dma_parms; ours always has them). */
export function dma_set_max_seg_size(dev: device, size: number): number {
  dev.dma_parms.max_segment_size = size;
  return 0;
}

/** dma_get_seg_boundary(): the segment boundary mask (0xffffffff by default). */
export function dma_get_seg_boundary(dev: device): number {
  return dev.dma_parms.segment_boundary_mask;
}

/** dma_set_seg_boundary(): set the boundary mask (a power of two minus one). */
export function dma_set_seg_boundary(dev: device, mask: number): number {
  dev.dma_parms.segment_boundary_mask = mask;
  return 0;
}

/** SIZE_MAX as a number (the double nearest 2^64 - 1). */
export const SIZE_MAX = 2 ** 64 - 1;

/**
 * dma_max_mapping_size(): the largest single mapping: the swiotlb limit (256
 * KiB) when the device may bounce (forced, or addressing limited), else SIZE_MAX.
 */
export function dma_max_mapping_size(dev: device): number {
  if (iommu_get_domain_for_dev(dev)) return SIZE_MAX;
  const limited = dev_dma_limit(dev) < phys_to_dma(dev, dev.machine.physEnd - 1);
  if (is_swiotlb_active(dev) && (limited || is_swiotlb_force_bounce(dev))) return swiotlb_max_mapping_size(dev);
  return SIZE_MAX;
}

/** dma_get_merge_boundary(): PAGE_SIZE - 1 behind an IOMMU (it can merge), 0 for the direct mapping. */
export function dma_get_merge_boundary(dev: device): number {
  return iommu_get_domain_for_dev(dev) ? PAGE_SIZE - 1 : 0;
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

interface MmapRec {
  dev: device;
  vmas: Set<vm_area_struct>;
  /** a free that came while mapped: done at the last munmap */
  pending: { size: number; dma: number } | null;
}
interface VmaRec {
  m: Map<number, MmapRec>;
  cpu: number;
  /** arena offset of the first mapped byte */
  off: number;
  len: number;
  machine: device['machine'];
}
const mmaps = new WeakMap<device['machine'], Map<number, MmapRec>>();
const vmaRecs = new WeakMap<vm_area_struct, VmaRec>();

/** dma_can_mmap(): coherent memory can always be mapped to user space here. */
export function dma_can_mmap(_dev: device): boolean {
  return true;
}

/**
 * dma_mmap_attrs(): map a coherent buffer (cpu_addr/dma_addr/size as returned by
 * dma_alloc_attrs) into a user vma. Returns 0, or -ENXIO when vm_pgoff is not
 * inside the buffer or the vma has more pages than remain after vm_pgoff (the
 * kernel's rules), or when cpu_addr is not in the direct map; -EINVAL for a vma
 * already mapped. The mapping is remembered so that freeing the buffer before
 * vma_munmap() is reported and the memory is held until then.
 */
export function dma_mmap_attrs(dev: device, vma: vm_area_struct, cpu_addr: number, dma_addr: dma_addr_t, size: number, attrs = 0): number {
  void attrs;
  void dma_addr;
  const m = dev.machine;
  const off = m.virtToOff(cpu_addr);
  if (off < 0) return -ENXIO;
  const count = Math.ceil(size / PAGE_SIZE);
  const user_count = Math.floor((vma.vm_end - vma.vm_start) / PAGE_SIZE);
  if (vma.vm_pgoff >= count || user_count > count - vma.vm_pgoff) return -ENXIO;
  if (vmaRecs.has(vma)) return -EINVAL;
  let map = mmaps.get(m);
  if (!map) {
    map = new Map();
    mmaps.set(m, map);
  }
  let rec = map.get(cpu_addr);
  if (!rec) {
    rec = { dev, vmas: new Set(), pending: null };
    map.set(cpu_addr, rec);
  }
  rec.vmas.add(vma);
  vmaRecs.set(vma, { m: map, cpu: cpu_addr, off: off + vma.vm_pgoff * PAGE_SIZE, len: user_count * PAGE_SIZE, machine: m });
  return 0;
}

/** dma_mmap_coherent(): dma_mmap_attrs with no attributes. */
export function dma_mmap_coherent(dev: device, vma: vm_area_struct, cpu_addr: number, dma_addr: dma_addr_t, size: number): number {
  return dma_mmap_attrs(dev, vma, cpu_addr, dma_addr, size, 0);
}

/**
 * User space's munmap() of a vma mapped by dma_mmap_* (our API). A buffer whose
 * free was held because of this mapping is freed now. Returns 0, or -EINVAL for a
 * vma that is not mapped.
 */
export function vma_munmap(vma: vm_area_struct): number {
  const r = vmaRecs.get(vma);
  if (!r) return -EINVAL;
  vmaRecs.delete(vma);
  const rec = r.m.get(r.cpu);
  if (!rec) return 0;
  rec.vmas.delete(vma);
  if (rec.vmas.size === 0) {
    r.m.delete(r.cpu);
    if (rec.pending) coherentFree(rec.dev, rec.pending.size, r.cpu, rec.pending.dma);
  }
  return 0;
}

/**
 * The user's view of a mapped vma (our API): a Uint8Array over the mapped pages,
 * index 0 = vm_start. Writes land in the DMA buffer, as through a real mapping.
 * Throws DmashimError EFAULT for a vma that is not mapped (a user access after munmap segfaults).
 */
export function vma_user_bytes(vma: vm_area_struct): Uint8Array {
  const r = vmaRecs.get(vma);
  if (!r) throw new DmashimError('EFAULT', `segfault: user access to an unmapped vma [${fmt_p(vma.vm_start)}-${fmt_p(vma.vm_end)}]`);
  return r.machine.u8.subarray(r.off, r.off + r.len);
}

/* dma_free_attrs while user space still maps the buffer: report, and hold the memory until munmap. */
function mmap_hold(dev: device, size: number, cpu_addr: number, dma: number): boolean {
  const rec = mmaps.get(dev.machine)?.get(cpu_addr);
  if (!rec || rec.vmas.size === 0) return false;
  const v = rec.vmas.values().next().value as vm_area_struct;
  printk_level(
    KERN_ERR,
    `dmashim: ${dev_prefix(dev)}dma_free_coherent() of a buffer still mmap()ed to user space [cpu address=${fmt_p(cpu_addr)}] [size=${size}] ` +
      `[vmas=${rec.vmas.size}, first 0x${v.vm_start.toString(16)}-0x${v.vm_end.toString(16)}]: freeing a DMA buffer before user space has unmapped it ` +
      `is a big mistake; the memory stays allocated until munmap`,
  );
  rec.pending = { size, dma };
  return true;
}

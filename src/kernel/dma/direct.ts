/*
 * kernel/dma/direct.c: the direct mapping, what a device without dma_map_ops
 * uses. Bus address = phys + the device's DMA offset; coherent memory comes from
 * the page allocator in the zone the coherent mask can reach, retried in lower
 * zones when the first pick is out of reach; streaming mappings the device cannot
 * reach (or all of them, with force-bounce) go through swiotlb.
 */
import {
  PAGE_SIZE,
  get_order,
  MAX_ORDER,
  ZONE_DMA,
  ZONE_DMA32,
  ZONE_NORMAL,
  ZONE_DMA_END,
  PG_OWNER_DMA_COHERENT,
} from '../../mm/page_alloc.ts';
import type { device } from '../../drivers/base/core.ts';
import { DMA_MAPPING_ERROR, DMA_ATTR_SKIP_CPU_SYNC } from '../../include/linux/dma-mapping.ts';
import type { dma_addr_ref, dma_addr_t } from '../../include/linux/types.ts';
import { __GFP_DMA, __GFP_DMA32, __GFP_HIGHMEM, __GFP_NOWARN, type gfp_t } from '../../include/linux/gfp.ts';
import { EINVAL, EIO } from '../../include/linux/errno.ts';
import { fmt_pad } from '../../lib/vsprintf.ts';
import { printk_level, KERN_WARNING, KERN_ERR } from '../printk.ts';
import { page_base, STRUCT_PAGE_SIZE, VMEMMAP_WINDOW } from '../../mm/page.ts';
import { sg_next, type scatterlist } from '../../lib/scatterlist.ts';
import { debug_dma_map_single_invalid } from './debug.ts';
import {
  dev_WARN_ONCE,
  is_swiotlb_active,
  is_swiotlb_force_bounce,
  swiotlb_in_use,
  swiotlb_max_mapping_size,
  swiotlb_slot,
  swiotlb_tbl_map_single,
  swiotlb_tbl_unmap_single,
  swiotlb_sync_single_for_cpu,
  swiotlb_sync_single_for_device,
} from './swiotlb.ts';

const DMA32_LIMIT = 0xffffffff;

/** Bus address of a physical address for this device (no IOMMU). */
export function phys_to_dma(dev: device, phys: number): number {
  return phys + dev.dma_offset;
}

export function dma_to_phys(dev: device, dma: number): number {
  return dma - dev.dma_offset;
}

const TWO_53 = 2n ** 53n;

/** min(mask, bus_dma_limit) as a number (exact below 2^53; larger limits reach all RAM anyway). */
export function dma_limit(mask: bigint, bus_limit: bigint): number {
  const lim = bus_limit !== 0n && bus_limit < mask ? bus_limit : mask;
  return lim >= TWO_53 ? Number.MAX_SAFE_INTEGER : Number(lim);
}

/** dma_capable(): the bus range [addr, addr+size) is under the limit. */
export function dma_capable_limit(addr: number, size: number, limit: number): boolean {
  return size === 0 ? addr <= limit : addr + size - 1 <= limit && addr >= 0;
}

/**
 * Allocate 2^order pages reachable under `limit` (a bus limit) for `dev`. Starts
 * in the zone the limit suggests (dma_direct_optimal_gfp_mask) and walks down the
 * zones when the block found is out of reach. Returns an arena page index or -1.
 */
export function dma_direct_alloc_pages(dev: device, size: number, limit: number, gfp: number): number {
  const m = dev.machine;
  const order = get_order(size);
  const physLimit = limit - dev.dma_offset;
  // dma_direct_optimal_gfp_mask: a phys limit up to and including zone_dma_limit (16 MiB - 1) means GFP_DMA.
  let zone = physLimit <= ZONE_DMA_END - 1 ? ZONE_DMA : physLimit <= DMA32_LIMIT ? ZONE_DMA32 : ZONE_NORMAL;
  if (gfp & 0x01) zone = ZONE_DMA;
  else if (gfp & 0x04 && zone > ZONE_DMA32) zone = ZONE_DMA32;
  for (let z = zone; z >= 0; z--) {
    const page = m.buddy.alloc(0, order, z, PG_OWNER_DMA_COHERENT);
    if (page < 0) return -1;
    const phys = m.offToPhys(page * PAGE_SIZE);
    if (dma_capable_limit(phys_to_dma(dev, phys), size, limit)) return page;
    const got = m.buddy.zoneOf(page);
    m.buddy.free(page, order, PG_OWNER_DMA_COHERENT);
    // Out of reach: retry below the zone the block came from (the kernel's GFP_DMA32 / GFP_DMA retries).
    if (got < z) z = got;
  }
  return -1;
}

/**
 * dma_direct_alloc(): `size` bytes of zeroed pages reachable under the coherent
 * mask and the bus limit. Returns the CPU address (bus address in dma_handle), or
 * 0 after the page allocator's failure warning (unless __GFP_NOWARN). Zone
 * modifiers in gfp are ignored, as the kernel's: the mask decides.
 */
export function dma_direct_alloc(
  dev: device,
  size: number,
  dma_handle: dma_addr_ref,
  gfp: gfp_t,
  _attrs: number,
): number {
  gfp &= ~(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM);
  const order = get_order(size);
  const m = dev.machine;
  const limit = dma_limit(dev.coherent_dma_mask, dev.bus_dma_limit);
  const page = order > MAX_ORDER ? -1 : dma_direct_alloc_pages(dev, size, limit, gfp);
  if (page < 0) {
    if (!(gfp & __GFP_NOWARN)) {
      printk_level(KERN_WARNING, `dmashim: page allocation failure: order:${order}, mode:0x${gfp.toString(16)}`);
    }
    return 0;
  }
  const off = page * PAGE_SIZE;
  m.u8.fill(0, off, off + Math.ceil(size / PAGE_SIZE) * PAGE_SIZE);
  dma_handle.value = phys_to_dma(dev, m.offToPhys(off));
  return m.offToVirt(off);
}

/** dma_direct_free(): give the pages of a dma_direct_alloc() back. */
export function dma_direct_free(
  dev: device,
  size: number,
  cpu_addr: number,
  _dma_addr: dma_addr_t,
  _attrs: number,
): void {
  const m = dev.machine;
  m.buddy.free(m.virtToOff(cpu_addr) / PAGE_SIZE, get_order(size), PG_OWNER_DMA_COHERENT);
}

/**
 * dma_direct_supported(): a mask of 32 bits or more is always supported (the
 * kernel expects every platform to serve 32-bit masks, whatever its bus offset);
 * a narrower one must reach, as seen from the device, ZONE_DMA (24 bits) or the
 * start of the last page of RAM ((max_pfn - 1) << PAGE_SHIFT) if RAM ends lower.
 */
export function dma_direct_supported(dev: device, mask: bigint): boolean {
  if (mask >= 0xffffffffn) return true;
  const lastPage = dev.machine.physEnd - PAGE_SIZE;
  const minMask = Math.min(0xffffff, lastPage);
  return mask >= BigInt(Math.max(0, phys_to_dma(dev, minMask)));
}

/**
 * dma_direct_get_required_mask(): the smallest mask covering all of the machine's
 * RAM as the device sees it. Differs: never below 32 bits (the cheap default the
 * API suggests).
 */
export function dma_direct_get_required_mask(dev: device): bigint {
  const top = phys_to_dma(dev, dev.machine.physEnd - 1);
  let bits = 32;
  while (bits < 64 && top > 2 ** bits - 1) bits++;
  return bits === 64 ? (1n << 64n) - 1n : (1n << BigInt(bits)) - 1n;
}

/**
 * dma_direct_max_mapping_size(): the swiotlb limit when the device may bounce
 * (forced, or addressing limited), else SIZE_MAX.
 */
export function dma_direct_max_mapping_size(dev: device): number {
  const limited = dev_dma_limit(dev) < phys_to_dma(dev, dev.machine.physEnd - 1);
  if (is_swiotlb_active(dev) && (limited || is_swiotlb_force_bounce(dev))) return swiotlb_max_mapping_size(dev);
  return 2 ** 64 - 1;
}

/* ---- streaming mappings (kernel/dma/direct.h dma_direct_map_phys & co) ---- */

/**
 * min(*dma_mask, bus_dma_limit) of a device as a number, cached in the device
 * until either changes (the hot path must not convert bigints on every call). 0
 * for a device without a mask.
 */
export function dev_dma_limit(dev: device): number {
  const c = dev.dma_direct_limit;
  if (c.mask !== dev.dma_mask || c.bus !== dev.bus_dma_limit) {
    c.mask = dev.dma_mask;
    c.bus = dev.bus_dma_limit;
    c.limit = dev.dma_mask === null ? 0 : dma_limit(dev.dma_mask, dev.bus_dma_limit);
  }
  return c.limit;
}

/** dma_capable(): [addr, addr+size) is reachable under the streaming mask and the bus limit. */
export function dma_capable(dev: device, addr: number, size: number): boolean {
  if (addr === DMA_MAPPING_ERROR) return false;
  return dma_capable_limit(addr, size, dev_dma_limit(dev));
}

function overflow(dev: device, where: string, what: string, dma: number, size: number): void {
  dev_WARN_ONCE(
    dev,
    where,
    `${what} ${fmt_pad(dma)}+${size} overflow (mask ${(dev.dma_mask ?? 0n).toString(16)}, bus limit ${dev.bus_dma_limit.toString(16)}).`,
  );
}

/**
 * swiotlb_map(): bounce [phys, phys+size) and check the bounce buffer is itself
 * reachable ("swiotlb addr %pad+%zu overflow ..." otherwise). DMA_MAPPING_ERROR on failure.
 */
export function swiotlb_map(dev: device, phys: number, size: number, dir: number, attrs: number): number {
  const tlb = swiotlb_tbl_map_single(dev, phys, size, dir, attrs);
  if (tlb === DMA_MAPPING_ERROR) return DMA_MAPPING_ERROR;
  const dma = phys_to_dma(dev, tlb);
  if (!dma_capable(dev, dma, size)) {
    swiotlb_tbl_unmap_single(dev, tlb, size, dir, attrs | DMA_ATTR_SKIP_CPU_SYNC);
    overflow(dev, 'kernel/dma/swiotlb.c swiotlb_map', 'swiotlb addr', dma, size);
    return DMA_MAPPING_ERROR;
  }
  return dma;
}

/**
 * dma_direct_map_phys(): the bus address of [phys, phys+size), bounced through
 * swiotlb when forced or when the device cannot reach it; without swiotlb an
 * unreachable buffer WARNs once ("DMA addr %pad+%zu overflow (mask %llx, bus
 * limit %llx).") and gives DMA_MAPPING_ERROR.
 */
export function dma_direct_map_phys(dev: device, phys: number, size: number, dir: number, attrs: number): number {
  if (is_swiotlb_force_bounce(dev))
    return is_swiotlb_active(dev) ? swiotlb_map(dev, phys, size, dir, attrs) : DMA_MAPPING_ERROR;
  const dma = phys + dev.dma_offset;
  if (!dma_capable_limit(dma, size, dev_dma_limit(dev))) {
    if (is_swiotlb_active(dev)) return swiotlb_map(dev, phys, size, dir, attrs);
    overflow(dev, 'kernel/dma/direct.h dma_direct_map_phys', 'DMA addr', dma, size);
    return DMA_MAPPING_ERROR;
  }
  return dma;
}

/** dma_direct_unmap_phys(): release a bounce buffer (copying back per direction); nothing to do otherwise. */
export function dma_direct_unmap_phys(dev: device, dma: number, size: number, dir: number, attrs: number): void {
  const phys = dma - dev.dma_offset;
  if (swiotlb_slot(dev.machine, phys) >= 0) swiotlb_tbl_unmap_single(dev, phys, size, dir, attrs);
}

/** dma_direct_sync_single_for_cpu(): copy a bounce buffer back (the simulated CPU caches are coherent). */
export function dma_direct_sync_single_for_cpu(dev: device, dma: number, size: number, dir: number): void {
  const phys = dma - dev.dma_offset;
  if (swiotlb_slot(dev.machine, phys) >= 0) swiotlb_sync_single_for_cpu(dev, phys, size, dir);
}

/** dma_direct_sync_single_for_device(): refresh a bounce buffer from the original. */
export function dma_direct_sync_single_for_device(dev: device, dma: number, size: number, dir: number): void {
  const phys = dma - dev.dma_offset;
  if (swiotlb_slot(dev.machine, phys) >= 0) swiotlb_sync_single_for_device(dev, phys, size, dir);
}

/*
 * dma_direct_map_sg(): one mapping per entry, never merged. Returns nents, or
 * -EIO / -EINVAL after undoing what was mapped. The per-device facts
 * dma_direct_map_phys looks up (forced bouncing, the DMA limit, the offset) are
 * read once per list; only entries that need bouncing or are out of reach go
 * through it. An entry whose page is not a struct page of the machine, or that
 * runs past the end of its RAM bank, is reported as dma-debug's "invalid area"
 * (the kernel would map whatever it points at).
 */
export function dma_direct_map_sg(dev: device, sgl: scatterlist, nents: number, dir: number, attrs: number): number {
  const m = dev.machine;
  const base = page_base(m);
  const force = is_swiotlb_force_bounce(dev);
  const limit = dev_dma_limit(dev);
  const offset = dev.dma_offset;
  let s: scatterlist | null = sgl;
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
    // As dma_map_page refuses it: an entry past the end of its RAM bank would bounce (or be read) into another owner's page.
    if (!m.physIsRam(phys, s.length > 0 ? s.length : 1)) {
      debug_dma_map_single_invalid(dev, s.page_link + s.offset, s.length, false);
      err = -EINVAL;
      break;
    }
    let dma = phys + offset;
    if (force || !dma_capable_limit(dma, s.length, limit)) dma = dma_direct_map_phys(dev, phys, s.length, dir, attrs);
    if (dma === DMA_MAPPING_ERROR) {
      err = -EIO;
      break;
    }
    s.dma_address = dma;
    s.dma_length = s.length;
  }
  if (!err && i < nents) {
    // The kernel would run off the list's end; reported as the C side reports it, nothing stays mapped.
    printk_level(KERN_ERR, `dmashim: dma_map_sg: nents ${nents} is larger than the scatterlist (${i} entries)`);
    err = -EINVAL;
  }
  if (!err) return nents;
  let t: scatterlist | null = sgl;
  for (let j = 0; j < i && t; j++, t = sg_next(t)) {
    dma_direct_unmap_phys(dev, t.dma_address, t.dma_length, dir, attrs | DMA_ATTR_SKIP_CPU_SYNC);
  }
  return err;
}

/**
 * dma_direct_unmap_sg(): release the bounce buffers of the first nents entries
 * whose flag in `matched` is 1 (what dma-debug matched; the kernel takes no such
 * argument and unmaps every entry). Nothing to do while no bounce slot is taken.
 */
export function dma_direct_unmap_sg(
  dev: device,
  sgl: scatterlist,
  nents: number,
  dir: number,
  attrs: number,
  matched: Uint8Array,
): void {
  if (!swiotlb_in_use(dev.machine)) return;
  let s: scatterlist | null = sgl;
  for (let i = 0; i < nents && s; i++, s = sg_next(s)) {
    if (matched[i] === 1) dma_direct_unmap_phys(dev, s.dma_address, s.dma_length, dir, attrs);
  }
}

/** dma_direct_sync_sg_for_cpu(): dma_direct_sync_single_for_cpu of each matched entry (see dma_direct_unmap_sg). */
export function dma_direct_sync_sg_for_cpu(
  dev: device,
  sgl: scatterlist,
  nents: number,
  dir: number,
  matched: Uint8Array,
): void {
  if (!swiotlb_in_use(dev.machine)) return;
  let s: scatterlist | null = sgl;
  for (let i = 0; i < nents && s; i++, s = sg_next(s)) {
    if (matched[i] === 1) dma_direct_sync_single_for_cpu(dev, s.dma_address, s.length, dir);
  }
}

/** dma_direct_sync_sg_for_device(): dma_direct_sync_single_for_device of each matched entry. */
export function dma_direct_sync_sg_for_device(
  dev: device,
  sgl: scatterlist,
  nents: number,
  dir: number,
  matched: Uint8Array,
): void {
  if (!swiotlb_in_use(dev.machine)) return;
  let s: scatterlist | null = sgl;
  for (let i = 0; i < nents && s; i++, s = sg_next(s)) {
    if (matched[i] === 1) dma_direct_sync_single_for_device(dev, s.dma_address, s.length, dir);
  }
}

/**
 * dma_direct_map_resource(): MMIO is not translated: the bus address is the
 * physical address. One the device cannot reach is the kernel's dev_err_once
 * "DMA addr %pad+%zu overflow (mask %llx, bus limit %llx)." and WARN_ON_ONCE,
 * and DMA_MAPPING_ERROR.
 */
export function dma_direct_map_resource(
  dev: device,
  paddr: number,
  size: number,
  _dir: number,
  _attrs: number,
): number {
  const dma = paddr;
  if (!dma_capable(dev, dma, size)) {
    overflow(dev, 'kernel/dma/direct.c dma_direct_map_resource', 'DMA addr', dma, size);
    return DMA_MAPPING_ERROR;
  }
  return dma;
}

/*
 * kernel/dma/direct.c: the direct mapping. Bus address = phys + the device's DMA
 * offset; coherent memory comes from the page allocator in the zone the coherent
 * mask can reach, retried in lower zones when the first pick is out of reach.
 */
import { PAGE_SIZE, get_order, ZONE_DMA, ZONE_DMA32, ZONE_NORMAL, ZONE_DMA_END } from '../../mm/page_alloc.ts';
import type { device } from '../../drivers/base/core.ts';
import { DMA_MAPPING_ERROR, DMA_ATTR_SKIP_CPU_SYNC } from '../../include/linux/dma-mapping.ts';
import { fmt_pad } from '../../lib/vsprintf.ts';
import {
  dev_WARN_ONCE,
  is_swiotlb_active,
  is_swiotlb_force_bounce,
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
    const page = m.buddy.alloc(0, order, z);
    if (page < 0) return -1;
    const phys = m.offToPhys(page * PAGE_SIZE);
    if (dma_capable_limit(phys_to_dma(dev, phys), size, limit)) return page;
    const got = m.buddy.zoneOf(page);
    m.buddy.free(page, order);
    // Out of reach: retry below the zone the block came from (the kernel's GFP_DMA32 / GFP_DMA retries).
    if (got < z) z = got;
  }
  return -1;
}

/* ---- streaming mappings (kernel/dma/direct.h dma_direct_map_phys & co) ---- */

interface LimitCache {
  mask: bigint | null;
  bus: bigint;
  limit: number;
}
const limits = new WeakMap<device, LimitCache>();

/**
 * min(*dma_mask, bus_dma_limit) of a device as a number, cached until either
 * changes (the hot path must not convert bigints on every call). 0 for a device
 * without a mask.
 */
export function dev_dma_limit(dev: device): number {
  let c = limits.get(dev);
  if (c === undefined || c.mask !== dev.dma_mask || c.bus !== dev.bus_dma_limit) {
    c = { mask: dev.dma_mask, bus: dev.bus_dma_limit, limit: dev.dma_mask === null ? 0 : dma_limit(dev.dma_mask, dev.bus_dma_limit) };
    limits.set(dev, c);
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
  if (is_swiotlb_force_bounce(dev)) return is_swiotlb_active(dev) ? swiotlb_map(dev, phys, size, dir, attrs) : DMA_MAPPING_ERROR;
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

/*
 * kernel/dma/direct.c: the direct mapping. Bus address = phys + the device's DMA
 * offset; coherent memory comes from the page allocator in the zone the coherent
 * mask can reach, retried in lower zones when the first pick is out of reach.
 */
import { PAGE_SIZE, get_order, ZONE_DMA, ZONE_DMA32, ZONE_NORMAL, ZONE_DMA_END } from '../../mm/page_alloc.ts';
import type { device } from '../../drivers/base/core.ts';

const DMA32_LIMIT = 0xffffffff;

/** Bus address of a physical address for this device (no IOMMU). */
export function phys_to_dma(dev: device, phys: number): number {
  return phys + dev.dma_offset;
}

export function dma_to_phys(dev: device, dma: number): number {
  return dma - dev.dma_offset;
}

/** min(mask, bus_dma_limit) as a number (exact below 2^53; larger limits reach all RAM anyway). */
export function dma_limit(mask: bigint, bus_limit: bigint): number {
  const lim = bus_limit !== 0n && bus_limit < mask ? bus_limit : mask;
  return lim >= 2n ** 53n ? Number.MAX_SAFE_INTEGER : Number(lim);
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
  let zone = physLimit < ZONE_DMA_END - 1 ? ZONE_DMA : physLimit <= DMA32_LIMIT ? ZONE_DMA32 : ZONE_NORMAL;
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

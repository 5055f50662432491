/*
 * drivers/iommu/dma-iommu.c, simulated: the DMA ops of a device behind an IOMMU
 * domain (installed by sim_iommu_attach, iommu.ts). Mappings are page-granular
 * with permissions from the direction (TO_DEVICE read-only for the device,
 * FROM_DEVICE write-only, BIDIRECTIONAL both); scatterlists are laid out in one
 * IOVA range and merged the way dma-iommu merges them.
 *
 * IOVA allocation follows the kernel's shape (iova.ts): sizes under 32 pages are
 * rounded up to a power of two, every range is aligned to its (rounded) size,
 * addresses are handed out top-down below the device's limit, PCI devices try
 * below 4 GiB first, and freed ranges are reused by size. Page 0 is never used.
 *
 * Differences, documented: no bounce buffering for untrusted devices (swiotlb
 * never applies behind our IOMMU, so there is nothing to sync); coherent
 * allocations are physically contiguous; the padding between sg segments is left
 * unmapped (the kernel maps it), so a device access there faults.
 */
import { PAGE_SIZE, get_order, MAX_ORDER, ZONE_NORMAL, PG_OWNER_IOMMU } from '../../mm/page_alloc.ts';
import type { device } from '../base/core.ts';
import { printk_level, KERN_WARNING } from '../../kernel/printk.ts';
import { DMA_MAPPING_ERROR } from '../../include/linux/dma-mapping.ts';
import type { dma_map_ops } from '../../include/linux/dma-map-ops.ts';
import type { dma_addr_ref, dma_addr_t } from '../../include/linux/types.ts';
import { DMA_BIDIRECTIONAL, DMA_TO_DEVICE, DMA_FROM_DEVICE } from '../../include/linux/dma-direction.ts';
import { EINVAL, ENOMEM } from '../../include/linux/errno.ts';
import { __GFP_NOWARN, type gfp_t } from '../../include/linux/gfp.ts';
import { IOMMU_READ, IOMMU_WRITE } from '../../include/linux/iommu.ts';
import { dma_limit } from '../../kernel/dma/direct.ts';
import { debug_dma_map_single_invalid } from '../../kernel/dma/debug.ts';
import { page_to_phys } from '../../mm/page.ts';
import { sg_next, type scatterlist } from '../../lib/scatterlist.ts';
import { alloc_iova, free_iova, roundup_pow_of_two } from './iova.ts';
import type { iommu_domain } from './iommu.ts';

const IOVA_RANGE_CACHE_MAX_PAGES = 1 << 5; /* 1 << (IOVA_RANGE_CACHE_MAX_SIZE - 1) */
const U32 = 0xffffffff;

/** dma_info_to_prot(): IOMMU permissions of a DMA direction. */
export function dma_info_to_prot(dir: number): number {
  if (dir === DMA_BIDIRECTIONAL) return IOMMU_READ | IOMMU_WRITE;
  if (dir === DMA_TO_DEVICE) return IOMMU_READ;
  if (dir === DMA_FROM_DEVICE) return IOMMU_WRITE;
  return 0;
}

/** IOVA limit (a pfn) for a device and mask: the mask, the bus limit and the aperture; PCI tries 32 bits first. */
function iova_limits(dev: device, dom: iommu_domain, mask: bigint): [number, number] {
  const lim = Math.min(dma_limit(mask, dev.bus_dma_limit), dom.aperture_end);
  const full = Math.floor((lim + 1) / PAGE_SIZE) - 1;
  const low = lim > U32 && dev.bus_name === 'pci' ? Math.floor((U32 + 1) / PAGE_SIZE) - 1 : full;
  return [low, full];
}

/** iommu_dma_alloc_iova(): a range of `bytes` (page multiple) for the device; start IOVA or -1. */
function dma_alloc_iova(dev: device, dom: iommu_domain, bytes: number, mask: bigint): number {
  let len = bytes / PAGE_SIZE;
  if (len < IOVA_RANGE_CACHE_MAX_PAGES) len = roundup_pow_of_two(len);
  const [low, full] = iova_limits(dev, dom, mask);
  let s = alloc_iova(dom, len, low);
  if (s < 0 && full !== low) s = alloc_iova(dom, len, full);
  return s < 0 ? -1 : s * PAGE_SIZE;
}

function map_range(dom: iommu_domain, iova: number, phys: number, bytes: number, prot: number): void {
  const ip = iova / PAGE_SIZE;
  const pp = phys / PAGE_SIZE;
  for (let i = 0; i < bytes / PAGE_SIZE; i++) dom.pt.set(ip + i, (pp + i) * 4 + prot);
}

/**
 * iommu_dma_map_phys(): map [phys, phys+size) with the direction's permissions.
 * Returns the IOVA (+ the offset in the page), or DMA_MAPPING_ERROR (also for a
 * device with no domain).
 */
export function iommu_dma_map_phys(dev: device, phys: number, size: number, dir: number, _attrs: number): dma_addr_t {
  const dom = dev.iommu_domain;
  if (dom === null) return DMA_MAPPING_ERROR;
  const off = phys % PAGE_SIZE;
  const bytes = Math.ceil((size + off) / PAGE_SIZE) * PAGE_SIZE || PAGE_SIZE;
  const iova = dma_alloc_iova(dev, dom, bytes, dev.dma_mask ?? 0n);
  if (iova < 0) return DMA_MAPPING_ERROR;
  map_range(dom, iova, phys - off, bytes, dma_info_to_prot(dir));
  return iova + off;
}

/** iommu_dma_unmap_phys(): unmap and free the IOVA range starting at this mapping's page (its recorded length). */
export function iommu_dma_unmap_phys(
  dev: device,
  dma_handle: dma_addr_t,
  _size: number,
  _dir: number,
  _attrs: number,
): void {
  const dom = dev.iommu_domain;
  if (dom !== null) free_iova(dom, Math.floor(dma_handle / PAGE_SIZE));
}

/* scratch for map_sg: per entry offset, length, padded IOVA length (grown as needed, never per call) */
let scratch = new Float64Array(3 * 1024);

/**
 * iommu_dma_map_sg(): lay all entries out in one IOVA range (each entry's page
 * offset kept, lengths rounded to pages, padding so no segment straddles the
 * segment boundary), map each entry's pages, then merge: an entry joins the
 * previous DMA segment when it starts at a page boundary, the previous one ended
 * at a page boundary, it does not start on a segment boundary and the merged
 * length stays within max_seg_size. Entries past the merged count get
 * DMA_MAPPING_ERROR / length 0. Returns the count, or -ENOMEM / -EINVAL.
 */
export function iommu_dma_map_sg(dev: device, first: scatterlist, nents: number, dir: number, _attrs: number): number {
  const dom = dev.iommu_domain;
  if (dom === null) return -EINVAL;
  if (scratch.length < 3 * nents) scratch = new Float64Array(3 * Math.max(nents, scratch.length));
  const sc = scratch;
  const bmask = dev.dma_parms.segment_boundary_mask;
  const bsize = bmask + 1;
  const maxLen = dev.dma_parms.max_segment_size;
  let iovaLen = 0;
  let s: scatterlist | null = first;
  let prev = -1;
  let n = 0;
  for (; n < nents && s; n++, s = sg_next(s)) {
    if (!s.page_link) return -EINVAL;
    const phys = page_to_phys(s.page_link) + s.offset;
    // As iommu_dma_map_phys would: an entry must be RAM of one bank, or the IOMMU would map what lies past it.
    if (!dev.machine.physIsRam(phys, Math.max(s.length, 1))) {
      debug_dma_map_single_invalid(dev, s.page_link + s.offset, s.length, false);
      return -EINVAL;
    }
    const off = phys % PAGE_SIZE;
    const padded = Math.ceil((s.length + off) / PAGE_SIZE) * PAGE_SIZE;
    const pad = (bsize - (iovaLen % bsize)) % bsize;
    if (pad && pad < padded - 1) {
      sc[3 * prev + 2]! += pad;
      iovaLen += pad;
    }
    sc[3 * n] = off;
    sc[3 * n + 1] = s.length;
    sc[3 * n + 2] = padded;
    iovaLen += padded;
    prev = n;
  }
  if (iovaLen === 0) return -EINVAL;
  const iova = dma_alloc_iova(dev, dom, Math.ceil(iovaLen / PAGE_SIZE) * PAGE_SIZE, dev.dma_mask ?? 0n);
  if (iova < 0) {
    for (let i = 0, t: scatterlist | null = first; i < n && t; i++, t = sg_next(t)) {
      t.dma_address = DMA_MAPPING_ERROR;
      t.dma_length = 0;
    }
    return -ENOMEM;
  }
  const prot = dma_info_to_prot(dir);
  let cursor = iova;
  s = first;
  for (let i = 0; i < n && s; i++, s = sg_next(s)) {
    const phys = page_to_phys(s.page_link) + s.offset - sc[3 * i]!;
    map_range(dom, cursor, phys, Math.ceil((sc[3 * i + 1]! + sc[3 * i]!) / PAGE_SIZE) * PAGE_SIZE, prot);
    cursor += sc[3 * i + 2]!;
  }
  /* __finalise_sg, in our words */
  let cur = first;
  let curLen = 0;
  let count = 0;
  cursor = iova;
  s = first;
  for (let i = 0; i < n && s; i++, s = sg_next(s)) {
    const sOff = sc[3 * i]!;
    const sLen = sc[3 * i + 1]!;
    const sIova = sc[3 * i + 2]!;
    s.dma_address = DMA_MAPPING_ERROR;
    s.dma_length = 0;
    if (curLen && sOff === 0 && cursor % bsize !== 0 && maxLen - curLen >= sLen) {
      curLen += sLen;
    } else {
      if (i > 0) cur = sg_next(cur)!;
      curLen = sLen;
      count++;
      cur.dma_address = cursor + sOff;
    }
    cur.dma_length = curLen;
    cursor += sIova;
    if (sLen + sOff < sIova) curLen = 0;
  }
  return count;
}

/** iommu_dma_unmap_sg(): unmap the whole IOVA range of a mapped list (found from its first segment). */
export function iommu_dma_unmap_sg(
  dev: device,
  first: scatterlist,
  _nents: number,
  _dir: number,
  _attrs: number,
): void {
  const dom = dev.iommu_domain;
  if (dom === null || first.dma_address === DMA_MAPPING_ERROR) return;
  free_iova(dom, Math.floor(first.dma_address / PAGE_SIZE));
}

/**
 * iommu_dma_alloc(): coherent memory behind the IOMMU: contiguous pages from any
 * zone (the IOMMU makes them reachable), zeroed, mapped read/write at an IOVA
 * under the coherent mask. Returns the CPU address and stores the IOVA in
 * dma_handle, or 0.
 */
export function iommu_dma_alloc(
  dev: device,
  size: number,
  dma_handle: dma_addr_ref,
  gfp: gfp_t,
  _attrs: number,
): number {
  const dom = dev.iommu_domain;
  if (dom === null) return 0;
  const m = dev.machine;
  const order = get_order(size);
  const pg = order > MAX_ORDER ? -1 : m.buddy.alloc(0, order, ZONE_NORMAL, PG_OWNER_IOMMU);
  if (pg < 0) {
    if (!(gfp & __GFP_NOWARN))
      printk_level(KERN_WARNING, `dmashim: page allocation failure: order:${order}, mode:0x${gfp.toString(16)}`);
    return 0;
  }
  const bytes = PAGE_SIZE << order;
  const iova = dma_alloc_iova(dev, dom, bytes, dev.coherent_dma_mask);
  if (iova < 0) {
    m.buddy.free(pg, order, PG_OWNER_IOMMU);
    return 0;
  }
  m.u8.fill(0, pg * PAGE_SIZE, pg * PAGE_SIZE + bytes);
  map_range(dom, iova, m.offToPhys(pg * PAGE_SIZE), bytes, IOMMU_READ | IOMMU_WRITE);
  dma_handle.value = iova;
  return m.offToVirt(pg * PAGE_SIZE);
}

/** iommu_dma_free(): unmap the buffer's IOVA range (when it holds one) and give its pages back. */
export function iommu_dma_free(
  dev: device,
  size: number,
  cpu_addr: number,
  dma_handle: dma_addr_t,
  _attrs: number,
): void {
  const dom = dev.iommu_domain;
  const m = dev.machine;
  if (dom !== null && iommu_owns(dom, dma_handle)) free_iova(dom, dma_handle / PAGE_SIZE);
  m.buddy.free(m.virtToOff(cpu_addr) / PAGE_SIZE, get_order(size), PG_OWNER_IOMMU);
}

/** True when `iova` starts a live IOVA allocation of the domain. */
export function iommu_owns(dom: iommu_domain, iova: number): boolean {
  return iova % PAGE_SIZE === 0 && dom.allocs.has(iova / PAGE_SIZE);
}

/** iommu_dma_get_merge_boundary(): the IOMMU page size less one (entries merge at page boundaries). */
function iommu_dma_get_merge_boundary(_dev: device): number {
  return PAGE_SIZE - 1;
}

/**
 * iommu_dma_ops: what sim_iommu_attach installs. No sync members (nothing
 * bounces), no dma_supported (any mask: the IOVA allocator honours it), no
 * get_required_mask (32 bits) and no max_mapping_size (SIZE_MAX), as the kernel
 * answers for use_dma_iommu().
 */
export const iommu_dma_ops: dma_map_ops = {
  alloc: iommu_dma_alloc,
  free: iommu_dma_free,
  map_phys: iommu_dma_map_phys,
  unmap_phys: iommu_dma_unmap_phys,
  map_sg: iommu_dma_map_sg,
  unmap_sg: iommu_dma_unmap_sg,
  get_merge_boundary: iommu_dma_get_merge_boundary,
};

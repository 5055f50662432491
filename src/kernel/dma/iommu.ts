/*
 * drivers/iommu/dma-iommu.c + iova.c, simulated: a device may sit behind an
 * IOMMU domain (attach it with sim_iommu_attach, our API). Its bus addresses are
 * then IOVAs: page-granular mappings with permissions from the direction
 * (TO_DEVICE read-only for the device, FROM_DEVICE write-only, BIDIRECTIONAL
 * both), scatterlists laid out in one IOVA range and merged the way dma-iommu
 * merges them, and device accesses the page table does not allow are IOMMU
 * faults, reported as Intel's DMAR does and never landing.
 *
 * IOVA allocation follows the kernel's shape: sizes under 32 pages are rounded
 * up to a power of two, every range is aligned to its (rounded) size, addresses
 * are handed out top-down below the device's limit, PCI devices try below 4 GiB
 * first, and freed ranges are reused by size (the rcache). Page 0 is never used.
 *
 * Differences, documented: no bounce buffering for untrusted devices (swiotlb
 * never applies behind our IOMMU); coherent allocations are physically
 * contiguous; the padding between sg segments is left unmapped (the kernel maps
 * it), so a device access there faults; a domain's IOVA space is reclaimed only
 * through the per-size cache, not by merging free ranges.
 */
import type { Machine } from '../../arch/sim/machine.ts';
import { PAGE_SIZE, get_order, MAX_ORDER } from '../../mm/page_alloc.ts';
import { type device } from '../../drivers/base/core.ts';
import { printk_level, KERN_ERR, KERN_WARNING } from '../printk.ts';
import { DmashimError, invalidOption } from '../../lib/errors.ts';
import { DMA_MAPPING_ERROR } from '../../include/linux/dma-mapping.ts';
import { DMA_BIDIRECTIONAL, DMA_TO_DEVICE, DMA_FROM_DEVICE } from '../../include/linux/dma-direction.ts';
import { EINVAL, ENOMEM } from '../../include/linux/errno.ts';
import { __GFP_NOWARN, type gfp_t } from '../../include/linux/gfp.ts';
import { dma_limit } from './direct.ts';
import { page_to_phys } from '../../mm/page.ts';
import { sg_next, type scatterlist } from '../../lib/scatterlist.ts';
import { debug_count_of } from './debug.ts';

export const IOMMU_READ = 1 << 0;
export const IOMMU_WRITE = 1 << 1;
export const IOMMU_FAULT_READ = 0x0;
export const IOMMU_FAULT_WRITE = 0x1;
const IOVA_RANGE_CACHE_MAX_PAGES = 1 << 5; /* 1 << (IOVA_RANGE_CACHE_MAX_SIZE - 1) */
const U32 = 0xffffffff;

export type iommu_fault_handler_t = (domain: iommu_domain, dev: device, iova: number, flags: number, token: unknown) => number;

export interface iommu_fault_record {
  dev: device;
  iova: number;
  /** IOMMU_FAULT_READ or IOMMU_FAULT_WRITE */
  flags: number;
  /** "not present" or "permission" */
  reason: 'not-present' | 'permission';
}

export interface IommuOptions {
  /** Lowest IOVA handed out (default PAGE_SIZE: IOVA 0 is never used). */
  aperture_start?: number;
  /** Highest IOVA (inclusive); default 2^48 - 1 (a 48-bit address width). */
  aperture_end?: number;
  name?: string;
}

export class iommu_domain {
  readonly name: string;
  readonly machine: Machine;
  readonly aperture_start: number;
  readonly aperture_end: number;
  /** Next allocation lies below this page frame number. */
  top: number;
  /** freed ranges by length in pages (rcache) */
  readonly rcache: Map<number, number[]> = new Map();
  /** live IOVA allocations: start pfn -> length in pages */
  readonly allocs: Map<number, number> = new Map();
  /** page table: IOVA pfn -> phys pfn * 4 + prot */
  readonly pt: Map<number, number> = new Map();
  readonly devices: Set<device> = new Set();
  handler: iommu_fault_handler_t | null = null;
  handler_token: unknown = null;
  /** Every fault seen (our API, for tests). */
  readonly faults: iommu_fault_record[] = [];
  constructor(machine: Machine, opts: IommuOptions) {
    this.machine = machine;
    this.name = opts.name ?? 'sim-iommu';
    this.aperture_start = opts.aperture_start ?? PAGE_SIZE;
    this.aperture_end = opts.aperture_end ?? 2 ** 48 - 1;
    this.top = Math.floor((this.aperture_end + 1) / PAGE_SIZE);
  }
}

const domains = new WeakMap<device, iommu_domain>();

/**
 * Put a device behind a simulated IOMMU (our API). Pass a domain to share one
 * between devices, or options for a new one. Throws DmashimError when the device
 * already has a domain, has live DMA allocations or mappings (their bus
 * addresses would change under them), or on bad options.
 */
export function sim_iommu_attach(dev: device, domOrOpts: iommu_domain | IommuOptions = {}): iommu_domain {
  if (domains.has(dev)) throw new DmashimError('EINVALOPT', `device ${dev.name}: already attached to an IOMMU domain`);
  const live = debug_count_of(dev);
  if (live > 0) throw new DmashimError('EINVALOPT', `device ${dev.name}: cannot attach an IOMMU with ${live} live DMA allocations/mappings`);
  let dom: iommu_domain;
  if (domOrOpts instanceof iommu_domain) {
    if (domOrOpts.machine !== dev.machine) invalidOption('an IOMMU domain can only hold devices of its machine');
    dom = domOrOpts;
  } else {
    if (domOrOpts === null || typeof domOrOpts !== 'object') invalidOption('IOMMU options must be an object');
    const s = domOrOpts.aperture_start ?? PAGE_SIZE;
    const e = domOrOpts.aperture_end ?? 2 ** 48 - 1;
    if (!Number.isSafeInteger(s) || !Number.isSafeInteger(e) || s < PAGE_SIZE || s % PAGE_SIZE !== 0 || e <= s || (e + 1) % PAGE_SIZE !== 0) {
      invalidOption(`IOMMU aperture must be page aligned, start >= ${PAGE_SIZE}, end + 1 a page multiple above start`);
    }
    dom = new iommu_domain(dev.machine, domOrOpts);
  }
  dom.devices.add(dev);
  domains.set(dev, dom);
  return dom;
}

/** Take a device off its IOMMU (our API). Throws when it still has live DMA allocations/mappings. */
export function sim_iommu_detach(dev: device): void {
  const dom = domains.get(dev);
  if (!dom) return;
  const live = debug_count_of(dev);
  if (live > 0) throw new DmashimError('EINVALOPT', `device ${dev.name}: cannot detach the IOMMU with ${live} live DMA allocations/mappings`);
  dom.devices.delete(dev);
  domains.delete(dev);
}

/** iommu_get_domain_for_dev(): the device's domain or null (direct mapping). */
export function iommu_get_domain_for_dev(dev: device): iommu_domain | null {
  return domains.get(dev) ?? null;
}

/** iommu_set_fault_handler(): a handler returning 0 marks a fault handled (no DMAR line is printed). */
export function iommu_set_fault_handler(domain: iommu_domain, handler: iommu_fault_handler_t | null, token: unknown = null): void {
  domain.handler = handler;
  domain.handler_token = token;
}

/** iommu_iova_to_phys(): the physical address an IOVA maps to, or 0 when unmapped. */
export function iommu_iova_to_phys(domain: iommu_domain, iova: number): number {
  const e = domain.pt.get(Math.floor(iova / PAGE_SIZE));
  return e === undefined ? 0 : Math.floor(e / 4) * PAGE_SIZE + (iova % PAGE_SIZE);
}

/** dma_info_to_prot(): IOMMU permissions of a DMA direction. */
export function dma_info_to_prot(dir: number): number {
  if (dir === DMA_BIDIRECTIONAL) return IOMMU_READ | IOMMU_WRITE;
  if (dir === DMA_TO_DEVICE) return IOMMU_READ;
  if (dir === DMA_FROM_DEVICE) return IOMMU_WRITE;
  return 0;
}

function roundup_pow_of_two(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** alloc_iova_fast(): `len` pages aligned to their power-of-two size, ending at or below limitPfn. Start pfn or -1. */
function alloc_iova(dom: iommu_domain, len: number, limitPfn: number): number {
  const cached = dom.rcache.get(len);
  if (cached && cached.length) {
    for (let i = cached.length - 1; i >= 0; i--) {
      const s = cached[i]!;
      if (s + len - 1 <= limitPfn) {
        cached[i] = cached[cached.length - 1]!;
        cached.pop();
        dom.allocs.set(s, len);
        return s;
      }
    }
  }
  const align = roundup_pow_of_two(len);
  const hi = Math.min(dom.top, limitPfn + 1);
  const start = Math.floor((hi - len) / align) * align;
  if (start < Math.ceil(dom.aperture_start / PAGE_SIZE)) return -1;
  dom.top = start;
  dom.allocs.set(start, len);
  return start;
}

function free_iova(dom: iommu_domain, start: number): number {
  const len = dom.allocs.get(start);
  if (len === undefined) return 0;
  dom.allocs.delete(start);
  for (let i = 0; i < len; i++) dom.pt.delete(start + i);
  let l = dom.rcache.get(len);
  if (!l) {
    l = [];
    dom.rcache.set(len, l);
  }
  l.push(start);
  return len;
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

/** iommu_dma_map_phys(): map [phys, phys+size) with the direction's permissions. IOVA (+ offset) or DMA_MAPPING_ERROR. */
export function iommu_dma_map_phys(dev: device, dom: iommu_domain, phys: number, size: number, dir: number): number {
  const off = phys % PAGE_SIZE;
  const bytes = Math.ceil((size + off) / PAGE_SIZE) * PAGE_SIZE || PAGE_SIZE;
  const iova = dma_alloc_iova(dev, dom, bytes, dev.dma_mask ?? 0n);
  if (iova < 0) return DMA_MAPPING_ERROR;
  map_range(dom, iova, phys - off, bytes, dma_info_to_prot(dir));
  return iova + off;
}

/** iommu_dma_unmap_phys(): unmap and free the IOVA range starting at this mapping's page (recorded length). */
export function iommu_dma_unmap_phys(dom: iommu_domain, dma: number): void {
  free_iova(dom, Math.floor(dma / PAGE_SIZE));
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
export function iommu_dma_map_sg(dev: device, dom: iommu_domain, first: scatterlist, nents: number, dir: number): number {
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
export function iommu_dma_unmap_sg(dom: iommu_domain, first: scatterlist): void {
  if (first.dma_address === DMA_MAPPING_ERROR) return;
  free_iova(dom, Math.floor(first.dma_address / PAGE_SIZE));
}

/**
 * iommu_dma_alloc(): coherent memory behind the IOMMU: contiguous pages from any
 * zone (the IOMMU makes them reachable), zeroed, mapped read/write at an IOVA
 * under the coherent mask. Returns the arena page index and stores the IOVA, or -1.
 */
export function iommu_dma_alloc_pages(dev: device, dom: iommu_domain, size: number, gfp: gfp_t, out: { iova: number }): number {
  const m = dev.machine;
  const order = get_order(size);
  const pg = order > MAX_ORDER ? -1 : m.buddy.alloc(0, order);
  if (pg < 0) {
    if (!(gfp & __GFP_NOWARN)) printk_level(KERN_WARNING, `dmashim: page allocation failure: order:${order}, mode:0x${gfp.toString(16)}`);
    return -1;
  }
  const bytes = PAGE_SIZE << order;
  const iova = dma_alloc_iova(dev, dom, bytes, dev.coherent_dma_mask);
  if (iova < 0) {
    m.buddy.free(pg, order);
    return -1;
  }
  m.u8.fill(0, pg * PAGE_SIZE, pg * PAGE_SIZE + bytes);
  map_range(dom, iova, m.offToPhys(pg * PAGE_SIZE), bytes, IOMMU_READ | IOMMU_WRITE);
  out.iova = iova;
  return pg;
}

/** True when `iova` starts a live IOVA allocation of the domain. */
export function iommu_owns(dom: iommu_domain, iova: number): boolean {
  return iova % PAGE_SIZE === 0 && dom.allocs.has(iova / PAGE_SIZE);
}

/**
 * report_iommu_fault(): run the domain's handler; unless it returns 0, log the
 * fault as Intel's DMAR driver does, naming the device, the address and the access.
 */
export function report_iommu_fault(dom: iommu_domain, dev: device, iova: number, flags: number, reason: 'not-present' | 'permission'): void {
  dom.faults.push({ dev, iova, flags, reason });
  const handled = dom.handler ? dom.handler(dom, dev, iova, flags, dom.handler_token) : -1;
  if (handled === 0) return;
  const write = flags & IOMMU_FAULT_WRITE;
  printk_level(
    KERN_ERR,
    `DMAR: [DMA ${write ? 'Write' : 'Read'} NO_PASID] Request device [${dev.name}] fault addr 0x${iova.toString(16)} [fault reason ${write ? '0x05] PTE Write' : '0x06] PTE Read'} access is not set`,
  );
}

/**
 * Translate a device access through the page table: the phys address of each
 * page of [iova, iova+len), or a fault (reported; returns null). Used by the
 * device side only.
 */
export function iommu_translate(dev: device, dom: iommu_domain, iova: number, len: number, write: boolean): number[] | null {
  const need = write ? IOMMU_WRITE : IOMMU_READ;
  const out: number[] = [];
  const lastPfn = Math.floor((iova + Math.max(len, 1) - 1) / PAGE_SIZE);
  for (let p = Math.floor(iova / PAGE_SIZE); p <= lastPfn; p++) {
    const e = dom.pt.get(p);
    if (e === undefined || !(e & need)) {
      const at = p === Math.floor(iova / PAGE_SIZE) ? iova : p * PAGE_SIZE;
      report_iommu_fault(dom, dev, at, write ? IOMMU_FAULT_WRITE : IOMMU_FAULT_READ, e === undefined ? 'not-present' : 'permission');
      return null;
    }
    out.push(Math.floor(e / 4) * PAGE_SIZE);
  }
  return out;
}


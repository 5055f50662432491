/*
 * kernel/dma/swiotlb.c: bounce buffering. A buffer the device cannot reach (or
 * every buffer, with force-bounce) is copied through a pool of 2 KiB slots in low
 * memory; segments of 128 slots bound one mapping (256 KiB at most).
 *
 * Copies are real copies between arena bytes, as the kernel's:
 *  - map: original -> bounce, unconditionally (current kernels: an unconditional
 *    copy keeps old swiotlb content, i.e. kernel memory, from leaking to the device);
 *  - unmap and sync_for_cpu: bounce -> original for FROM_DEVICE and BIDIRECTIONAL;
 *  - sync_for_device: original -> bounce for TO_DEVICE and BIDIRECTIONAL.
 * So a driver that skips dma_sync_single_for_cpu reads stale data, as on real
 * hardware with swiotlb.
 *
 * Differences from the kernel, documented:
 *  - the pool is per machine and defaults to 4 MiB (kernel: 64 MiB) so small
 *    test machines stay small; swiotlb_configure(m, { size }) changes it;
 *  - the pool is allocated from ZONE_DMA32 (falling back to ZONE_DMA) on first
 *    use, not at boot; swiotlb_init(m) allocates it eagerly;
 *  - swiotlb is on for every machine by default (x86 turns it on when RAM
 *    exceeds 4 GiB); swiotlb_configure(m, { enabled: false }) is "swiotlb=noforce";
 *  - min_align_mask is 0: bounce buffers are slot aligned (page aligned for
 *    mappings of a page or more), the original's offset is not preserved;
 *  - "swiotlb buffer is full" is not rate limited.
 */
import type { Machine } from '../../arch/sim/machine.ts';
import { PAGE_SIZE, MAX_ORDER, get_order, ZONE_NORMAL, PG_OWNER_SWIOTLB } from '../../mm/page_alloc.ts';
import { __GFP_DMA32 } from '../../include/linux/gfp.ts';
import { dev_prefix, dev_warn, type device } from '../../drivers/base/core.ts';
import { printk_level, KERN_WARNING, KERN_INFO } from '../printk.ts';
import { BUG } from '../panic.ts';
import { DMA_ATTR_NO_WARN, DMA_ATTR_SKIP_CPU_SYNC, DMA_MAPPING_ERROR } from '../../include/linux/dma-mapping.ts';
import { DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_TO_DEVICE } from '../../include/linux/dma-direction.ts';
import { invalidOption } from '../../lib/errors.ts';
import { fmt_pad } from '../../lib/vsprintf.ts';

export const IO_TLB_SHIFT = 11;
export const IO_TLB_SIZE = 1 << IO_TLB_SHIFT;
export const IO_TLB_SEGSIZE = 128;
/** The kernel's default pool (64 MiB); ours is SWIOTLB_DEFAULT_SIZE. */
export const IO_TLB_DEFAULT_SIZE = 64 << 20;
export const SWIOTLB_DEFAULT_SIZE = 4 << 20;
const MAX_BLOCK = PAGE_SIZE << MAX_ORDER;

export interface SwiotlbOptions {
  /** Bounce at all (default true). false is the kernel's swiotlb=noforce: no pool. */
  enabled?: boolean;
  /** Pool size in bytes: a multiple of 256 KiB (one segment); above 4 MiB a multiple of 4 MiB. Default 4 MiB. */
  size?: number;
  /** Bounce every streaming mapping of the machine (swiotlb=force). Default false. */
  force_bounce?: boolean;
}

/** struct io_tlb_mem: one per machine here; a device points at it from dev.dma_io_tlb_mem. */
export interface io_tlb_mem {
  enabled: boolean;
  force: boolean;
  size: number;
  initialized: boolean;
  nslabs: number;
  chunkBytes: number;
  slotsPerChunk: number;
  /** phys and arena offset of each chunk */
  chunkPhys: number[];
  chunkOff: number[];
  chunkByKey: Map<number, number>;
  /** per slot: original phys of the slot's first byte (-1 free) */
  orig: Float64Array;
  /** per slot: bytes of the mapping from this slot to its end */
  remaining: Float64Array;
  /** per head slot: number of slots of the mapping, 0 elsewhere */
  nslots: Int32Array;
  used: number;
  index: number;
  /** total number of bounce maps (statistics for tests) */
  total_bounced: number;
}

const pools = new WeakMap<Machine, io_tlb_mem>();

/**
 * dev_WARN_ONCE(dev, 1, msg): "cut here", the device-prefixed message, the WARNING
 * line. Once per device and site (the kernel: once per boot per site; per device
 * keeps each test's device independent).
 */
export function dev_WARN_ONCE(dev: device, where: string, msg: string): void {
  dev.dma_warned ??= new Set();
  const seen = dev.dma_warned;
  if (seen.has(where)) return;
  seen.add(where);
  printk_level(KERN_WARNING, '------------[ cut here ]------------');
  printk_level(KERN_WARNING, dev_prefix(dev) + msg);
  printk_level(KERN_WARNING, `WARNING: at ${where}`);
}

function checkSize(size: number): void {
  const seg = IO_TLB_SIZE * IO_TLB_SEGSIZE;
  if (!Number.isSafeInteger(size) || size < seg || size % seg !== 0 || (size > MAX_BLOCK && size % MAX_BLOCK !== 0)) {
    invalidOption(
      `swiotlb size must be a positive multiple of ${seg} bytes (and of ${MAX_BLOCK} above ${MAX_BLOCK}), got ${size}`,
    );
  }
}

function mem(m: Machine): io_tlb_mem {
  let p = pools.get(m);
  if (!p) {
    p = {
      enabled: true,
      force: false,
      size: SWIOTLB_DEFAULT_SIZE,
      initialized: false,
      nslabs: 0,
      chunkBytes: 0,
      slotsPerChunk: 0,
      chunkPhys: [],
      chunkOff: [],
      chunkByKey: new Map(),
      orig: new Float64Array(0),
      remaining: new Float64Array(0),
      nslots: new Int32Array(0),
      used: 0,
      index: 0,
      total_bounced: 0,
    };
    pools.set(m, p);
  }
  return p;
}

/* swiotlb_dev_init(): the device's pool pointer, set on first use (a lookup by machine otherwise). */
function dev_mem(dev: device): io_tlb_mem {
  dev.dma_io_tlb_mem ??= mem(dev.machine);
  return dev.dma_io_tlb_mem;
}

/**
 * Configure a machine's swiotlb (our API; the kernel's swiotlb= boot option).
 * Size and enable can change only before the pool exists (first bounce or
 * swiotlb_init); force_bounce can change at any time. Throws DmashimError on a
 * bad option.
 */
export function swiotlb_configure(m: Machine, opts: SwiotlbOptions): void {
  if (opts === null || typeof opts !== 'object') invalidOption('swiotlb options must be an object');
  const p = mem(m);
  if ((opts.size !== undefined || opts.enabled !== undefined) && p.initialized) {
    invalidOption('swiotlb size/enabled must be set before the pool is initialised (first bounce or swiotlb_init)');
  }
  if (opts.size !== undefined) {
    checkSize(opts.size);
    p.size = opts.size;
  }
  if (opts.enabled !== undefined) p.enabled = !!opts.enabled;
  if (opts.force_bounce !== undefined) p.force = !!opts.force_bounce;
}

/**
 * swiotlb_init(): allocate the pool now (from ZONE_DMA32, else ZONE_DMA) and log
 * the kernel's "software IO TLB: mapped [mem ...] (NMB)" line. Returns 0, or
 * -ENOMEM (-12) when low memory cannot hold it (swiotlb then stays off).
 */
export function swiotlb_init(m: Machine): number {
  const p = mem(m);
  if (p.initialized) return 0;
  p.initialized = true;
  if (!p.enabled) return 0;
  const chunkBytes = Math.min(p.size, MAX_BLOCK);
  const order = get_order(chunkBytes);
  const n = p.size / chunkBytes;
  const pages: number[] = [];
  for (let i = 0; i < n; i++) {
    const pg = m.buddy.alloc(__GFP_DMA32, order, ZONE_NORMAL, PG_OWNER_SWIOTLB);
    if (pg < 0) {
      for (const q of pages) m.buddy.free(q, order, PG_OWNER_SWIOTLB);
      p.enabled = false;
      printk_level(KERN_WARNING, `software IO TLB: Cannot allocate buffer`);
      return -12;
    }
    pages.push(pg);
  }
  p.chunkBytes = chunkBytes;
  p.slotsPerChunk = chunkBytes / IO_TLB_SIZE;
  p.nslabs = p.size / IO_TLB_SIZE;
  for (const pg of pages) {
    const off = pg * PAGE_SIZE;
    const phys = m.offToPhys(off);
    p.chunkByKey.set(Math.floor(phys / chunkBytes), p.chunkPhys.length);
    p.chunkPhys.push(phys);
    p.chunkOff.push(off);
  }
  p.orig = new Float64Array(p.nslabs).fill(-1);
  p.remaining = new Float64Array(p.nslabs);
  p.nslots = new Int32Array(p.nslabs);
  const lo = Math.min(...p.chunkPhys);
  const hi = Math.max(...p.chunkPhys) + chunkBytes - 1;
  printk_level(KERN_INFO, `software IO TLB: mapped [mem ${fmt_pad(lo)}-${fmt_pad(hi)}] (${p.size >> 20}MB)`);
  return 0;
}

/** is_swiotlb_active(): the device's machine has a usable bounce pool (allocating it on first call). */
export function is_swiotlb_active(dev: device): boolean {
  const p = dev_mem(dev);
  if (!p.initialized) swiotlb_init(dev.machine);
  return p.enabled && p.nslabs > 0;
}

/** Force bouncing of every streaming mapping of one device (our API; the kernel's restricted-DMA pools). */
export function swiotlb_set_force_bounce(dev: device, on: boolean): void {
  dev.dma_force_bounce = !!on;
}

/** is_swiotlb_force_bounce() */
export function is_swiotlb_force_bounce(dev: device): boolean {
  return dev.dma_force_bounce || dev_mem(dev).force;
}

/** True while any bounce slot of the machine is taken (a list unmap skips per-entry slot lookups otherwise). */
export function swiotlb_in_use(m: Machine): boolean {
  const p = pools.get(m);
  return p !== undefined && p.used > 0;
}

/** Slot index of a phys address inside the pool, or -1 (is_swiotlb_buffer when >= 0). O(1). */
export function swiotlb_slot(m: Machine, phys: number): number {
  const p = pools.get(m);
  if (!p || p.nslabs === 0) return -1;
  const c = p.chunkByKey.get(Math.floor(phys / p.chunkBytes));
  if (c === undefined) return -1;
  return c * p.slotsPerChunk + Math.floor((phys - p.chunkPhys[c]!) / IO_TLB_SIZE);
}

/** is_swiotlb_buffer() */
export function is_swiotlb_buffer(dev: device, phys: number): boolean {
  return swiotlb_slot(dev.machine, phys) >= 0;
}

function slotPhys(p: io_tlb_mem, i: number): number {
  const c = Math.floor(i / p.slotsPerChunk);
  return p.chunkPhys[c]! + (i - c * p.slotsPerChunk) * IO_TLB_SIZE;
}

function slotOff(p: io_tlb_mem, i: number): number {
  const c = Math.floor(i / p.slotsPerChunk);
  return p.chunkOff[c]! + (i - c * p.slotsPerChunk) * IO_TLB_SIZE;
}

/** swiotlb_max_mapping_size(): IO_TLB_SIZE * IO_TLB_SEGSIZE (min_align_mask is 0). */
export function swiotlb_max_mapping_size(_dev: device): number {
  return IO_TLB_SIZE * IO_TLB_SEGSIZE;
}

/** Find nslots free slots inside one segment, aligned to `stride`. Jumps past a used slot, so O(nslabs). */
function find_slots(p: io_tlb_mem, n: number, stride: number): number {
  const N = p.nslabs;
  if (n > IO_TLB_SEGSIZE || n > N) return -1;
  let i = Math.ceil(p.index / stride) * stride;
  if (i >= N) i = 0;
  let scanned = 0;
  while (scanned < N + IO_TLB_SEGSIZE) {
    if (i + n > N || Math.floor(i / IO_TLB_SEGSIZE) !== Math.floor((i + n - 1) / IO_TLB_SEGSIZE)) {
      /* does not fit before the segment (or pool) end: go to the next segment */
      const next = (Math.floor(i / IO_TLB_SEGSIZE) + 1) * IO_TLB_SEGSIZE;
      scanned += next - i;
      i = next >= N ? 0 : next;
      continue;
    }
    let j = i;
    while (j < i + n && p.orig[j]! < 0) j++;
    if (j === i + n) return i;
    const next = Math.ceil((j + 1) / stride) * stride;
    scanned += next - i;
    i = next >= N ? 0 : next;
  }
  return -1;
}

function bounce(m: Machine, p: io_tlb_mem, dev: device, tlb: number, size: number, to_device: boolean): void {
  const i = swiotlb_slot(m, tlb);
  const tlbOff = tlb - slotPhys(p, i);
  const orig = p.orig[i]!;
  if (orig < 0) return;
  const avail = p.remaining[i]! - tlbOff;
  if (size > avail) {
    dev_WARN_ONCE(
      dev,
      'kernel/dma/swiotlb.c swiotlb_bounce',
      `Buffer overflow detected. Allocation size: ${avail}. Mapping size: ${size}.`,
    );
    size = avail;
  }
  if (size <= 0) return;
  const origOff = m.physToOff(orig + tlbOff);
  const bOff = slotOff(p, i) + tlbOff;
  if (origOff < 0) return;
  if (to_device) m.u8.copyWithin(bOff, origOff, origOff + size);
  else m.u8.copyWithin(origOff, bOff, bOff + size);
}

/**
 * swiotlb_tbl_map_single(): take slots for [orig, orig+size) and copy the
 * original in. Returns the bounce buffer's phys, or DMA_MAPPING_ERROR after
 * "swiotlb buffer is full (sz: %zd bytes), total %lu (slots), used %lu (slots)".
 */
export function swiotlb_tbl_map_single(dev: device, orig: number, size: number, dir: number, attrs: number): number {
  const m = dev.machine;
  const p = dev_mem(dev);
  const n = Math.max(1, Math.ceil(size / IO_TLB_SIZE));
  const i = find_slots(p, n, size >= PAGE_SIZE ? PAGE_SIZE / IO_TLB_SIZE : 1);
  if (i < 0) {
    if (!(attrs & DMA_ATTR_NO_WARN)) {
      dev_warn(dev, `swiotlb buffer is full (sz: ${size} bytes), total ${p.nslabs} (slots), used ${p.used} (slots)`);
    }
    return DMA_MAPPING_ERROR;
  }
  for (let j = 0; j < n; j++) {
    p.orig[i + j] = orig + j * IO_TLB_SIZE;
    p.remaining[i + j] = size - j * IO_TLB_SIZE;
  }
  p.nslots[i] = n;
  p.used += n;
  p.index = i + n >= p.nslabs ? 0 : i + n;
  p.total_bounced++;
  const tlb = slotPhys(p, i);
  void dir;
  bounce(m, p, dev, tlb, size, true);
  return tlb;
}

/**
 * swiotlb_tbl_unmap_single(): copy back for FROM_DEVICE / BIDIRECTIONAL (unless
 * DMA_ATTR_SKIP_CPU_SYNC) and release the slots. `tlb` must be a mapping's start
 * (callers pass the recorded address); anything else releases nothing.
 */
export function swiotlb_tbl_unmap_single(dev: device, tlb: number, size: number, dir: number, attrs: number): void {
  const m = dev.machine;
  const p = dev_mem(dev);
  const i = swiotlb_slot(m, tlb);
  if (i < 0 || p.nslots[i] === 0 || p.orig[i]! < 0) return;
  if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC) && (dir === DMA_FROM_DEVICE || dir === DMA_BIDIRECTIONAL)) {
    bounce(m, p, dev, tlb, size, false);
  }
  const n = p.nslots[i]!;
  p.nslots[i] = 0;
  for (let j = 0; j < n; j++) {
    p.orig[i + j] = -1;
    p.remaining[i + j] = 0;
  }
  p.used -= n;
}

/** swiotlb_sync_single_for_cpu(): bounce -> original for FROM_DEVICE / BIDIRECTIONAL. */
export function swiotlb_sync_single_for_cpu(dev: device, tlb: number, size: number, dir: number): void {
  const p = dev_mem(dev);
  if (dir === DMA_FROM_DEVICE || dir === DMA_BIDIRECTIONAL) bounce(dev.machine, p, dev, tlb, size, false);
  else if (dir !== DMA_TO_DEVICE) BUG('kernel/dma/swiotlb.c swiotlb_sync_single_for_cpu');
}

/** swiotlb_sync_single_for_device(): original -> bounce for TO_DEVICE / BIDIRECTIONAL. */
export function swiotlb_sync_single_for_device(dev: device, tlb: number, size: number, dir: number): void {
  const p = dev_mem(dev);
  if (dir === DMA_TO_DEVICE || dir === DMA_BIDIRECTIONAL) bounce(dev.machine, p, dev, tlb, size, true);
  else if (dir !== DMA_FROM_DEVICE) BUG('kernel/dma/swiotlb.c swiotlb_sync_single_for_device');
}

/** The original phys behind a bounce address (for the device side and tests), or -1. */
export function swiotlb_orig_addr(m: Machine, tlb: number): number {
  const p = pools.get(m);
  const i = swiotlb_slot(m, tlb);
  if (!p || i < 0 || p.orig[i]! < 0) return -1;
  return p.orig[i]! + (tlb - slotPhys(p, i));
}

/** Pool statistics (our API; the kernel's debugfs io_tlb_nslabs / io_tlb_used). */
export function swiotlb_stats(m: Machine): {
  nslabs: number;
  used: number;
  total_bounced: number;
  enabled: boolean;
  force_bounce: boolean;
} {
  const p = mem(m);
  return { nslabs: p.nslabs, used: p.used, total_bounced: p.total_bounced, enabled: p.enabled, force_bounce: p.force };
}

/*
 * mm/slab_common.c + a small SLUB-like allocator: kmalloc / kzalloc / kfree over
 * the buddy allocator, so drivers get DMA-able buffers from the machine's RAM.
 *
 * Caches as the kernel's kmalloc-N: 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024,
 * 2048, 4096, 8192 bytes (kmalloc-96 and -192 included); __GFP_DMA uses a separate
 * set (dma-kmalloc-N) whose slabs come from ZONE_DMA. Objects of a power-of-two
 * cache are naturally aligned to their size, as kmalloc guarantees since 5.4.
 * Larger requests go to the page allocator (kmalloc_large). kmalloc(0) returns
 * ZERO_SIZE_PTR (16).
 *
 * Slab metadata is out of band (a per-page owner table, a free stack per slab),
 * so a device scribbling on a free object cannot corrupt the allocator, and
 * kfree's checks (double free, pointer not at an object start) are O(1).
 */
import { might_alloc } from '../kernel/sched/context.ts';
import { fault_inject_armed, should_fail } from '../lib/fault-inject.ts';
import { default_machine, machine_of, type Machine } from '../arch/sim/machine.ts';
import { PAGE_SIZE, get_order, MAX_ORDER, ZONE_NORMAL, PG_OWNER_SLAB, PG_OWNER_KMALLOC_LARGE } from './page_alloc.ts';
import { __GFP_DMA, __GFP_DMA32, __GFP_HIGHMEM, __GFP_ZERO, __GFP_NOWARN, type gfp_t } from '../include/linux/gfp.ts';
import { printk_level, KERN_ERR, KERN_WARNING } from '../kernel/printk.ts';
import { WARN } from '../kernel/panic.ts';
import { fmt_p } from '../lib/vsprintf.ts';

/** ZERO_SIZE_PTR: what kmalloc(0) returns; kfree accepts it. */
export const ZERO_SIZE_PTR = 16;
/** KMALLOC_MAX_CACHE_SIZE (SLUB: two pages). Bigger requests are page allocations. */
export const KMALLOC_MAX_CACHE_SIZE = 2 * PAGE_SIZE;
const SIZES = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192] as const;

interface kmem_cache {
  name: string;
  size: number;
  order: number;
  objs: number;
  dma: boolean;
  /* slabs with at least one free object */
  partial: slab[];
}

interface slab {
  id: number;
  cache: kmem_cache;
  page: number /* arena page index of the first page */;
  free: Int32Array /* stack of free object indices */;
  nfree: number;
  inuse: Uint8Array;
  pidx: number /* index in cache.partial, -1 when full */;
}

interface SlabState {
  /* per arena page: slab id + 1; -(order + 1) for the head of a kmalloc_large block; 0 otherwise */
  owner: Int32Array;
  slabs: Array<slab | undefined>;
  freeIds: number[];
  caches: kmem_cache[];
  dmaCaches: kmem_cache[];
}

const states = new WeakMap<Machine, SlabState>();

function makeCaches(dma: boolean): kmem_cache[] {
  return SIZES.map((size) => {
    const order = size > PAGE_SIZE ? get_order(size) : 0;
    return {
      name: (dma ? 'dma-kmalloc-' : 'kmalloc-') + (size >= 1024 ? `${size / 1024}k` : `${size}`),
      size,
      order,
      objs: Math.floor((PAGE_SIZE << order) / size),
      dma,
      partial: [],
    };
  });
}

function state(m: Machine): SlabState {
  let s = states.get(m);
  if (!s) {
    s = {
      owner: new Int32Array(m.nPages),
      slabs: [],
      freeIds: [],
      caches: makeCaches(false),
      dmaCaches: makeCaches(true),
    };
    states.set(m, s);
  }
  return s;
}

function cacheIndex(size: number): number {
  if (size <= 8) return 0;
  if (size <= 16) return 1;
  if (size <= 32) return 2;
  if (size <= 64) return 3;
  if (size <= 96) return 4;
  if (size <= 128) return 5;
  if (size <= 192) return 6;
  if (size <= 256) return 7;
  if (size <= 512) return 8;
  if (size <= 1024) return 9;
  if (size <= 2048) return 10;
  if (size <= 4096) return 11;
  return 12;
}

function newSlab(m: Machine, s: SlabState, c: kmem_cache, gfp: gfp_t): slab | null {
  const pg = m.buddy.alloc(
    c.dma ? __GFP_DMA : gfp & ~(__GFP_DMA32 | __GFP_HIGHMEM),
    c.order,
    ZONE_NORMAL,
    PG_OWNER_SLAB,
  );
  if (pg < 0) return null;
  const id = s.freeIds.length ? s.freeIds.pop()! : s.slabs.length;
  const free = new Int32Array(c.objs);
  for (let i = 0; i < c.objs; i++) free[i] = c.objs - 1 - i; /* pop gives ascending addresses */
  const sl: slab = {
    id,
    cache: c,
    page: pg,
    free,
    nfree: c.objs,
    inuse: new Uint8Array(c.objs),
    pidx: c.partial.length,
  };
  s.slabs[id] = sl;
  s.owner.fill(id + 1, pg, pg + (1 << c.order));
  c.partial.push(sl);
  return sl;
}

function removePartial(c: kmem_cache, sl: slab): void {
  const last = c.partial.pop()!;
  if (last !== sl) {
    c.partial[sl.pidx] = last;
    last.pidx = sl.pidx;
  }
  sl.pidx = -1;
}

/**
 * kmalloc(): `size` bytes of physically contiguous, DMA-able memory (content not
 * cleared unless __GFP_ZERO). Returns the CPU address, ZERO_SIZE_PTR for size 0,
 * or NULL (0). Context: any, with GFP_ATOMIC. Differs: the machine is an optional
 * last argument (default: the current machine); __GFP_DMA32/__GFP_HIGHMEM are
 * dropped silently (the kernel warns "Unexpected gfp").
 */
export function kmalloc(size: number, gfp: gfp_t, m: Machine = default_machine()): number {
  if (!Number.isSafeInteger(size) || size < 0) return 0;
  if (size === 0) return ZERO_SIZE_PTR;
  might_alloc(gfp, 'mm/slub.c kmalloc');
  if (fault_inject_armed.count > 0 && should_fail(m, 'slab', '', null, gfp, `kmalloc(${size})`)) return 0;
  if (size > KMALLOC_MAX_CACHE_SIZE) {
    const order = get_order(size);
    const pg =
      order > MAX_ORDER
        ? -1
        : m.buddy.alloc(gfp & ~(__GFP_DMA32 | __GFP_HIGHMEM), order, ZONE_NORMAL, PG_OWNER_KMALLOC_LARGE);
    if (pg < 0) {
      if (!(gfp & __GFP_NOWARN))
        printk_level(KERN_WARNING, `dmashim: page allocation failure: order:${order}, mode:0x${gfp.toString(16)}`);
      return 0;
    }
    state(m).owner[pg] = -(order + 1);
    const off = pg * PAGE_SIZE;
    if (gfp & __GFP_ZERO) m.u8.fill(0, off, off + size);
    return m.offToVirt(off);
  }
  const s = state(m);
  const c = (gfp & __GFP_DMA ? s.dmaCaches : s.caches)[cacheIndex(size)]!;
  const sl = c.partial.length ? c.partial[c.partial.length - 1]! : newSlab(m, s, c, gfp);
  if (!sl) {
    if (!(gfp & __GFP_NOWARN))
      printk_level(KERN_WARNING, `dmashim: page allocation failure: order:${c.order}, mode:0x${gfp.toString(16)}`);
    return 0;
  }
  const idx = sl.free[--sl.nfree]!;
  sl.inuse[idx] = 1;
  if (sl.nfree === 0) removePartial(c, sl);
  const off = sl.page * PAGE_SIZE + idx * c.size;
  if (gfp & __GFP_ZERO) m.u8.fill(0, off, off + size);
  return m.offToVirt(off);
}

/** kzalloc(): kmalloc with __GFP_ZERO. */
export function kzalloc(size: number, gfp: gfp_t, m: Machine = default_machine()): number {
  return kmalloc(size, gfp | __GFP_ZERO, m);
}

/** kmalloc_array(): n * size bytes, NULL (0) when the product overflows SIZE_MAX (here: 2^53). */
export function kmalloc_array(n: number, size: number, gfp: gfp_t, m: Machine = default_machine()): number {
  const t = n * size;
  return Number.isSafeInteger(t) ? kmalloc(t, gfp, m) : 0;
}

/** kcalloc(): zeroed kmalloc_array. */
export function kcalloc(n: number, size: number, gfp: gfp_t, m: Machine = default_machine()): number {
  return kmalloc_array(n, size, gfp | __GFP_ZERO, m);
}

function slabOf(objp: number): { m: Machine; s: SlabState; off: number; owner: number } | null {
  const m = machine_of(objp);
  if (!m) return null;
  const off = m.virtToOff(objp);
  const s = state(m);
  return { m, s, off, owner: s.owner[Math.floor(off / PAGE_SIZE)]! };
}

/**
 * kfree(): free a kmalloc'ed object; NULL and ZERO_SIZE_PTR are no-ops. Misuse is
 * reported with SLUB's texts (slub_debug) and frees nothing: "Object already
 * free", "Invalid object pointer"; a pointer that is no kmalloc memory at all
 * WARNs and prints "object pointer: 0x%p" as free_large_kmalloc does.
 */
export function kfree(objp: number): void {
  if (objp === 0 || objp === ZERO_SIZE_PTR) return;
  const r = typeof objp === 'number' ? slabOf(objp) : null;
  if (r && r.owner > 0) {
    const sl = r.s.slabs[r.owner - 1]!;
    const c = sl.cache;
    const rel = r.off - sl.page * PAGE_SIZE;
    const idx = Math.floor(rel / c.size);
    if (rel % c.size !== 0) {
      printk_level(KERN_ERR, `BUG ${c.name} (Not tainted): Invalid object pointer 0x${fmt_p(objp)}`);
      return;
    }
    if (!sl.inuse[idx]) {
      printk_level(KERN_ERR, `BUG ${c.name} (Not tainted): Object already free`);
      return;
    }
    sl.inuse[idx] = 0;
    sl.free[sl.nfree++] = idx;
    if (sl.nfree === 1) {
      sl.pidx = c.partial.length;
      c.partial.push(sl);
    }
    if (sl.nfree === c.objs && c.partial.length > 1) {
      removePartial(c, sl);
      r.s.owner.fill(0, sl.page, sl.page + (1 << c.order));
      r.s.slabs[sl.id] = undefined;
      r.s.freeIds.push(sl.id);
      r.m.buddy.free(sl.page, c.order, PG_OWNER_SLAB);
    }
    return;
  }
  if (r && r.owner < 0 && r.off % PAGE_SIZE === 0) {
    const pg = r.off / PAGE_SIZE;
    r.s.owner[pg] = 0;
    r.m.buddy.free(pg, -r.owner - 1, PG_OWNER_KMALLOC_LARGE);
    return;
  }
  WARN('mm/slub.c free_large_kmalloc', `object pointer: 0x${fmt_p(objp)}`);
}

/** ksize(): the usable size of a kmalloc'ed object (its cache's object size), 0 for anything else. */
export function ksize(objp: number): number {
  const r = typeof objp === 'number' && objp && objp !== ZERO_SIZE_PTR ? slabOf(objp) : null;
  if (!r) return 0;
  if (r.owner > 0) return r.s.slabs[r.owner - 1]!.cache.size;
  if (r.owner < 0) return PAGE_SIZE << (-r.owner - 1);
  return 0;
}

/*
 * kernel/dma/debug.c: dma-debug. Tracks every coherent allocation and every
 * streaming mapping by device and bus address, and reports misuse with the
 * kernel's texts after a "DMA-API: " prefix.
 *
 * The tracking is always on: it is what lets a bad free "free nothing" instead of
 * corrupting the allocator, and what the device side (drivers/dma/device_side.ts)
 * checks a device's accesses against. The switches (disabled, all_errors,
 * num_errors, driver_filter) only govern what is printed, as the kernel's debugfs
 * knobs do.
 *
 * Layout: per device, entries live in typed arrays (struct of arrays, a free
 * list of slots) with an open-addressing hash from bus address to the first
 * entry there, so a mapping costs no object and no Map insertion; exact lookups
 * are O(1) and "containing" lookups go through a page index built on first use
 * (see DevDebug). The exported lookups hand out snapshot objects; the mapping
 * paths use the slot-based calls directly.
 *
 * Differences from the kernel, on purpose:
 *  - dma_map_single and dma_map_page are told apart (types "single" and "page"),
 *    as kernels before 5.x did, so unmapping a single mapping with dma_unmap_page
 *    is reported as "wrong function" (v6 records both as "single").
 *  - the bucket search's "best match" among entries with one address is a score
 *    on size, direction and sg count (the kernel's heuristic in spirit).
 */
import type { Machine } from '../../arch/sim/machine.ts';
import { dev_driver_string, device_unregister_hooks, type device } from '../../drivers/base/core.ts';
import { printk_level, KERN_WARNING } from '../printk.ts';
import { fmt_p } from '../../lib/vsprintf.ts';
import { DMA_MAPPING_ERROR, DMA_ATTR_SKIP_CPU_SYNC, L1_CACHE_SHIFT } from '../../include/linux/dma-mapping.ts';
import { DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_BIDIRECTIONAL } from '../../include/linux/dma-direction.ts';

export const dma_debug_single = 0;
export const dma_debug_page = 1;
export const dma_debug_sg = 2;
export const dma_debug_coherent = 3;
export const dma_debug_resource = 4;
/** The kernel's type names, typo included ("scather-gather"), so grep finds them. */
export const type2name = ['single', 'page', 'scather-gather', 'coherent', 'resource'] as const;
export const dir2name = ['DMA_BIDIRECTIONAL', 'DMA_TO_DEVICE', 'DMA_FROM_DEVICE', 'DMA_NONE'] as const;

/** map_err_type values */
export const MAP_ERR_CHECK_NOT_APPLICABLE = 0;
export const MAP_ERR_NOT_CHECKED = 1;
export const MAP_ERR_CHECKED = 2;

const PAGE = 4096;
const TOMB_SIZE = 64;
const CACHELINE = 1 << L1_CACHE_SHIFT;
const ACTIVE_CACHELINE_MAX_OVERLAP = 7;

/*
 * An entry as handed out by the lookups below: a snapshot of the tracked entry
 * (the tracking itself lives in typed arrays, see DevDebug). `slot`/`gen` name the
 * tracked entry, so debug_remove_entry() of a snapshot removes exactly that one
 * and is a no-op once it is gone; `gone` is the state when the snapshot was taken
 * (debug_remove_entry() updates it on the object it is given).
 */
export interface dma_debug_entry {
  dev: device;
  type: number;
  dev_addr: number;
  size: number;
  /** CPU address (vaddr) of the buffer (0 when unknown). */
  cpu: number;
  direction: number;
  sg_call_ents: number;
  sg_mapped_ents: number;
  /** MAP_ERR_CHECK_NOT_APPLICABLE, MAP_ERR_NOT_CHECKED or MAP_ERR_CHECKED. */
  map_err_type: number;
  /** Where it was allocated or mapped, when sites are on (capture_site). */
  site: string;
  /** Physical address of the CPU-side buffer, -1 when unknown. */
  phys: number;
  /** Tracked cacheline number, -1 when not tracked. */
  cln: number;
  /** 0 live, 1 unmapped, 2 freed (for reports of DMA after unmap / free). */
  gone: number;
  /** The tracking slot. */
  slot: number;
  /** The slot's generation when this snapshot was taken. */
  gen: number;
}

export interface DmaDebugState {
  error_count: number;
  /** Errors printed so far against num_errors. */
  printed: number;
  num_errors: number;
  all_errors: boolean;
  disabled: boolean;
  /** Only report for this driver name (dma_debug_driver=); '' = all. */
  driver_filter: string;
  /** Only report for the device with this name ('' = all); beyond the kernel, which filters by driver only. */
  device_filter: string;
  /** Live entries on the machine. */
  nr_entries: number;
  /**
   * Active cachelines of non-TO_DEVICE mappings -> number of overlapping mappings,
   * keyed by the line's physical address (cln * 64: hashKey spreads page-strided
   * keys). A typed-array hash, not a Map: each coherent allocation (so each new
   * dma_pool page) inserts one, and V8's Map cost ~40 ns of a ~330 ns page.
   */
  cachelines: NumHash;
  /** Ranges of CPU addresses marked as stack or kernel text/rodata (dma_debug_mark_area). */
  areas: Array<{ start: number; end: number; kind: 'stack' | 'text' }>;
  overlap_warned: boolean;
}

/* ---- open-addressing hash: integer-valued double key -> int32 value ---- */

function hashKey(k: number, bits: number): number {
  /*
   * Keys are bus addresses. Fibonacci hashing of the 16-page group (high word and
   * offset in the page folded in) places consecutive groups in distinct 16-slot
   * blocks, and the page's place in its group picks the slot in the block: an sg
   * list or any run of page-strided mappings fills the table sequentially with
   * no collisions, instead of missing the cache on every entry at 64K entries,
   * while sparse keys still spread over the whole table.
   */
  const page = Math.floor(k / 4096);
  const lo = page | 0;
  const grp = (lo >>> 4) ^ Math.imul((page / 4294967296) | 0, 0x27d4eb2d) ^ Math.imul(k - page * 4096, 0x165667b1);
  return (Math.imul(grp, 0x9e3779b9) >>> (32 - bits)) ^ (lo & 15);
}

/*
 * Linear probing with backward-shift deletion (no tombstone slots, so probe
 * sequences never degrade under map/unmap churn), load kept at or below 1/2.
 * A Map of the same size costs an allocation per rehash step and per entry in
 * V8's OrderedHashMap, which is what made dma-debug superlinear at 64K entries.
 */
export class NumHash {
  keys: Float64Array;
  vals: Int32Array;
  mask: number;
  /** log2 of the capacity (at least 5, so the 16-slot blocks of hashKey fit). */
  bits: number;
  size = 0;
  constructor(cap = 32) {
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    this.bits = Math.log2(cap);
  }

  /** The slot holding `k`, or -1. */
  find(k: number): number {
    const r = this.probe(k);
    return r < 0 ? -1 : r;
  }

  get(k: number): number {
    const i = this.find(k);
    return i < 0 ? -1 : this.vals[i]!;
  }

  /**
   * The slot holding `k` (>= 0), or ~slot of the empty slot where it would go
   * (< 0): with insertAt, a lookup and an insert for one hash and one probe.
   */
  probe(k: number): number {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    for (let i = hashKey(k, this.bits) & mask; ; i = (i + 1) & mask) {
      if (vals[i] === -1) return ~i;
      if (keys[i] === k) return i;
    }
  }

  /**
   * Insert `k` (absent: `r` is what probe(k) returned, < 0) with value `v`: at
   * probe's empty slot, or, when the table must grow first, wherever the grown
   * table puts it.
   */
  insertAt(r: number, k: number, v: number): void {
    let i = ~r;
    if ((this.size + 1) * 2 > this.vals.length) {
      this.resize(this.vals.length * 2);
      i = ~this.probe(k);
    }
    this.keys[i] = k;
    this.vals[i] = v;
    this.size++;
  }

  /** Insert a key known to be absent. */
  add(k: number, v: number): void {
    this.insertAt(this.probe(k), k, v);
  }

  /** Make room for `n` more keys at once, so a large batch rehashes at most once. */
  reserve(n: number): void {
    let cap = this.vals.length;
    while ((this.size + n) * 2 > cap) cap *= 2;
    if (cap !== this.vals.length) this.resize(cap);
  }

  removeSlot(i: number): void {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    for (let j = (i + 1) & mask; vals[j] !== -1; j = (j + 1) & mask) {
      const h = hashKey(keys[j]!, this.bits) & mask;
      // Move j back into the hole unless its home lies cyclically in (i, j].
      if (i <= j ? h <= i || h > j : h <= i && h > j) {
        keys[i] = keys[j]!;
        vals[i] = vals[j]!;
        i = j;
      }
    }
    vals[i] = -1;
    this.size--;
  }

  private resize(cap: number): void {
    const ok = this.keys;
    const ov = this.vals;
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    this.bits = Math.log2(cap);
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    const bits = this.bits;
    for (let j = 0; j < ov.length; j++) {
      const v = ov[j]!;
      if (v === -1) continue;
      let i = hashKey(ok[j]!, bits) & mask;
      while (vals[i] !== -1) i = (i + 1) & mask;
      keys[i] = ok[j]!;
      vals[i] = v;
    }
  }
}

/* slot states */
const FREE = 0;
const LIVE = 1;
/* removed, remembered in the tomb ring: state = 1 + gone */

/*
 * One device's tracking. Entries are slots in parallel typed arrays (no object
 * per mapping); a slot is LIVE, a tombstone (removed, still in the ring of the
 * last TOMB_SIZE removals, for "DMA after unmap/free" reports) or FREE (on the
 * free list, linked through `next`). `byAddr` maps a bus address to the first live
 * entry there; entries with the same address chain through `next` in mapping
 * order. Addresses present in `byAddr` are also linked in first-insertion order
 * (`kprev`/`knext`), which is the order the Map this replaces iterated in, so
 * debug_entries_of() and the leak report keep their order.
 *
 * The page index (bus page -> entries touching it, in mapping order) is needed
 * only by "containing" lookups (syncs, the device side): it is built on the first
 * such lookup and kept up to date from then on, and dropped when the device has
 * no live entries, so plain map/unmap traffic never pays for it.
 */
export class DevDebug {
  readonly dev: device;
  /** The machine's dma-debug state (a WeakMap lookup per entry otherwise). */
  readonly s: DmaDebugState;
  cap = 0;
  state = new Uint8Array(0);
  type = new Uint8Array(0);
  dir = new Uint8Array(0);
  mapErr = new Uint8Array(0);
  addr = new Float64Array(0);
  size = new Float64Array(0);
  cpu = new Float64Array(0);
  phys = new Float64Array(0);
  cln = new Float64Array(0);
  seq = new Float64Array(0);
  sgCall = new Int32Array(0);
  sgMapped = new Int32Array(0);
  next = new Int32Array(0);
  kprev = new Int32Array(0);
  knext = new Int32Array(0);
  gen = new Uint32Array(0);
  site: string[] = [];
  freeHead = -1;
  count = 0;
  seqNo = 0;
  khead = -1;
  ktail = -1;
  readonly byAddr = new NumHash(32);
  readonly tomb = new Int32Array(TOMB_SIZE).fill(-1);
  tombPos = 0;
  pagesOn = false;
  /** bus page (as its address) -> first node of the page's entry list */
  pages = new NumHash(32);
  nodeEnt = new Int32Array(0);
  nodeNext = new Int32Array(0);
  nodeFree = -1;

  constructor(dev: device) {
    this.dev = dev;
    this.s = dma_debug_state(dev.machine);
    this.grow(32);
  }

  grow(cap: number): void {
    const old = this.cap;
    const g8 = (a: Uint8Array): Uint8Array<ArrayBuffer> => {
      const b = new Uint8Array(cap);
      b.set(a);
      return b;
    };
    const g64 = (a: Float64Array): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    const g32 = (a: Int32Array): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.state = g8(this.state);
    this.type = g8(this.type);
    this.dir = g8(this.dir);
    this.mapErr = g8(this.mapErr);
    this.addr = g64(this.addr);
    this.size = g64(this.size);
    this.cpu = g64(this.cpu);
    this.phys = g64(this.phys);
    this.cln = g64(this.cln);
    this.seq = g64(this.seq);
    this.sgCall = g32(this.sgCall);
    this.sgMapped = g32(this.sgMapped);
    this.next = g32(this.next);
    this.kprev = g32(this.kprev);
    this.knext = g32(this.knext);
    const gen = new Uint32Array(cap);
    gen.set(this.gen);
    this.gen = gen;
    for (let i = old; i < cap; i++) this.site.push('');
    // New slots go on the free list in ascending order.
    for (let i = cap - 1; i >= old; i--) {
      this.next[i] = this.freeHead;
      this.freeHead = i;
    }
    this.cap = cap;
  }

  /** Room for `n` more entries without growing in the middle of a batch. */
  reserve(n: number): void {
    let need = this.count + n + TOMB_SIZE;
    if (need > this.cap) {
      let cap = this.cap;
      while (cap < need) cap *= 2;
      this.grow(cap);
    }
    this.byAddr.reserve(n);
  }

  alloc(): number {
    if (this.freeHead < 0) this.grow(this.cap * 2);
    const i = this.freeHead;
    this.freeHead = this.next[i]!;
    this.gen[i] = (this.gen[i]! + 1) >>> 0;
    return i;
  }

  /* ---- page index ---- */

  nodeAlloc(): number {
    if (this.nodeFree < 0) {
      const old = this.nodeEnt.length;
      const cap = Math.max(64, old * 2);
      const e = new Int32Array(cap);
      e.set(this.nodeEnt);
      const n = new Int32Array(cap);
      n.set(this.nodeNext);
      for (let i = cap - 1; i >= old; i--) {
        n[i] = this.nodeFree;
        this.nodeFree = i;
      }
      this.nodeEnt = e;
      this.nodeNext = n;
    }
    const k = this.nodeFree;
    this.nodeFree = this.nodeNext[k]!;
    return k;
  }

  pagesAdd(e: number): void {
    const a = this.addr[e]!;
    const last = Math.floor((a + Math.max(this.size[e]!, 1) - 1) / PAGE);
    for (let p = Math.floor(a / PAGE); p <= last; p++) {
      const k = this.nodeAlloc();
      this.nodeEnt[k] = e;
      this.nodeNext[k] = -1;
      const s = this.pages.find(p * PAGE);
      if (s < 0) {
        this.pages.add(p * PAGE, k);
        continue;
      }
      let t = this.pages.vals[s]!;
      while (this.nodeNext[t]! >= 0) t = this.nodeNext[t]!;
      this.nodeNext[t] = k;
    }
  }

  pagesDel(e: number): void {
    const a = this.addr[e]!;
    const last = Math.floor((a + Math.max(this.size[e]!, 1) - 1) / PAGE);
    for (let p = Math.floor(a / PAGE); p <= last; p++) {
      const s = this.pages.find(p * PAGE);
      if (s < 0) continue;
      let prev = -1;
      for (let k = this.pages.vals[s]!; k >= 0; prev = k, k = this.nodeNext[k]!) {
        if (this.nodeEnt[k] !== e) continue;
        const nx = this.nodeNext[k]!;
        if (prev >= 0) this.nodeNext[prev] = nx;
        else if (nx >= 0) this.pages.vals[s] = nx;
        else this.pages.removeSlot(s);
        this.nodeNext[k] = this.nodeFree;
        this.nodeFree = k;
        break;
      }
    }
  }

  /** Build the page index from the live entries, in mapping order (what incremental upkeep would have produced). */
  pagesBuild(): void {
    this.pages = new NumHash(32);
    this.nodeEnt = new Int32Array(0);
    this.nodeNext = new Int32Array(0);
    this.nodeFree = -1;
    const live: number[] = [];
    for (let i = 0; i < this.cap; i++) if (this.state[i] === LIVE) live.push(i);
    live.sort((x, y) => this.seq[x]! - this.seq[y]!);
    this.pages.reserve(live.length);
    for (const i of live) this.pagesAdd(i);
    this.pagesOn = true;
  }

  /** The first live entry (mapping order) whose bus range contains `addr`, or -1. */
  findContain(addr: number): number {
    if (!this.pagesOn) this.pagesBuild();
    for (let k = this.pages.get(Math.floor(addr / PAGE) * PAGE); k >= 0; k = this.nodeNext[k]!) {
      const e = this.nodeEnt[k]!;
      const a = this.addr[e]!;
      if (addr >= a && addr < a + Math.max(this.size[e]!, 1)) return e;
    }
    return -1;
  }
}

const states = new WeakMap<Machine, DmaDebugState>();
const devStates = new WeakMap<device, DevDebug>();

export function dma_debug_state(m: Machine): DmaDebugState {
  let s = states.get(m);
  if (!s) {
    s = {
      error_count: 0,
      printed: 0,
      num_errors: 1,
      all_errors: false,
      disabled: false,
      driver_filter: '',
      device_filter: '',
      nr_entries: 0,
      cachelines: new NumHash(32),
      areas: [],
      overlap_warned: false,
    };
    states.set(m, s);
  }
  return s;
}

function devState(dev: device): DevDebug {
  let d = devStates.get(dev);
  if (!d) {
    d = new DevDebug(dev);
    devStates.set(dev, d);
  }
  return d;
}

/** `0x%016llx` of a dma_addr_t, DMA_MAPPING_ERROR printed as the kernel prints ~0. */
export function fmt_dma(v: number): string {
  return v === DMA_MAPPING_ERROR ? '0xffffffffffffffff' : '0x' + fmt_p(v);
}

/** "Mapped at:" lines for an entry's site (what the kernel prints from the entry's stack trace). */
export function mapped_at(e: dma_debug_entry | null | undefined): string[] {
  return e && e.site ? ['Mapped at:', ' ' + e.site] : [];
}

function mappedAt(d: DevDebug, i: number): string[] {
  const site = d.site[i]!;
  return site ? ['Mapped at:', ' ' + site] : [];
}

/**
 * Report one dma-debug error: counted always; printed when enabled, when it passes
 * the driver filter, and while under num_errors (or all_errors). The text is the
 * kernel's "DMA-API: <driver> <device>: <message>".
 */
export function dma_debug_err(dev: device, msg: string, extra: readonly string[] = []): void {
  const s = dma_debug_state(dev.machine);
  if (s.disabled) return;
  if (s.driver_filter && dev.driver_name !== s.driver_filter) return;
  if (s.device_filter && dev.name !== s.device_filter) return;
  s.error_count++;
  if (!s.all_errors && s.printed >= s.num_errors) return;
  s.printed++;
  const drv = dev_driver_string(dev);
  const prefix = 'DMA-API: ' + (drv ? drv + ' ' : '') + dev.name + ': ';
  printk_level(KERN_WARNING, prefix + msg + (extra.length ? '\n' + extra.join('\n') : ''));
}

function snapshot(d: DevDebug, i: number): dma_debug_entry {
  const st = d.state[i]!;
  return {
    dev: d.dev,
    type: d.type[i]!,
    dev_addr: d.addr[i]!,
    size: d.size[i]!,
    cpu: d.cpu[i]!,
    direction: d.dir[i]!,
    sg_call_ents: d.sgCall[i]!,
    sg_mapped_ents: d.sgMapped[i]!,
    map_err_type: d.mapErr[i]!,
    site: d.site[i]!,
    phys: d.phys[i]!,
    cln: d.cln[i]!,
    gone: st === LIVE ? 0 : st - 1,
    slot: i,
    gen: d.gen[i]!,
  };
}

/** The per-device tracking of `dev`, for the batch calls below (created on first use). */
export function debug_dev(dev: device): DevDebug {
  return devState(dev);
}

/** The per-device tracking of `dev` if it has any (never creates one). */
export function debug_dev_find(dev: device): DevDebug | undefined {
  return devStates.get(dev);
}

/** Make room for `n` more entries of `dev` (dma_map_sg: one table growth instead of many). */
export function debug_reserve(dev: device, n: number): void {
  devState(dev).reserve(n);
}

/**
 * add_dma_entry() on the typed-array tracking: track a mapping and return its
 * slot. Non-TO_DEVICE mappings also claim their first cacheline; a second such
 * mapping of the same cacheline is reported (EEXIST) unless DMA_ATTR_SKIP_CPU_SYNC.
 */
export function debug_add(
  d: DevDebug,
  type: number,
  dev_addr: number,
  size: number,
  cpu: number,
  phys: number,
  direction: number,
  attrs: number,
  site: string,
  sg_call_ents: number,
  sg_mapped_ents: number,
): number {
  const i = d.alloc();
  d.state[i] = LIVE;
  d.type[i] = type;
  d.dir[i] = direction;
  d.mapErr[i] = type === dma_debug_single || type === dma_debug_page ? MAP_ERR_NOT_CHECKED : MAP_ERR_CHECK_NOT_APPLICABLE;
  d.addr[i] = dev_addr;
  d.size[i] = size;
  d.cpu[i] = cpu;
  d.phys[i] = phys;
  d.cln[i] = -1;
  d.seq[i] = d.seqNo++;
  d.sgCall[i] = sg_call_ents;
  d.sgMapped[i] = sg_mapped_ents;
  d.site[i] = site;
  d.next[i] = -1;
  const ba = d.byAddr;
  const slot = ba.probe(dev_addr);
  if (slot < 0) {
    ba.insertAt(slot, dev_addr, i);
    d.kprev[i] = d.ktail;
    d.knext[i] = -1;
    if (d.ktail >= 0) d.knext[d.ktail] = i;
    else d.khead = i;
    d.ktail = i;
  } else {
    let t = ba.vals[slot]!;
    while (d.next[t]! >= 0) t = d.next[t]!;
    d.next[t] = i;
  }
  if (d.pagesOn) d.pagesAdd(i);
  d.count++;
  const dev = d.dev;
  const s = d.s;
  s.nr_entries++;
  if (direction !== DMA_TO_DEVICE && phys >= 0) {
    const cln = Math.floor(phys / CACHELINE);
    d.cln[i] = cln;
    const cl = s.cachelines;
    const slot = cl.probe(cln * CACHELINE);
    if (slot < 0) cl.insertAt(slot, cln * CACHELINE, 1);
    else {
      const n = cl.vals[slot]!;
      cl.vals[slot] = n + 1;
      if (n + 1 > ACTIVE_CACHELINE_MAX_OVERLAP + 1 && !s.overlap_warned) {
        s.overlap_warned = true;
        printk_level(KERN_WARNING, `DMA-API: exceeded ${ACTIVE_CACHELINE_MAX_OVERLAP} overlapping mappings of cacheline 0x${fmt_p(cln)}`);
      }
      if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC)) {
        dma_debug_err(dev, "cacheline tracking EEXIST, overlapping mappings aren't supported", mappedAt(d, i));
      }
    }
  }
  return i;
}

/** Slot of the first live entry at exactly this bus address, -1 if none. */
export function debug_find_slot(d: DevDebug, dev_addr: number): number {
  return d.byAddr.get(dev_addr);
}

/** The first live entry at exactly this bus address. */
export function debug_find_entry(dev: device, dev_addr: number): dma_debug_entry | undefined {
  const d = devStates.get(dev);
  if (!d) return undefined;
  const i = d.byAddr.get(dev_addr);
  return i < 0 ? undefined : snapshot(d, i);
}

/* Among the entries at one address, the one that best matches the caller's view (kernel: bucket_find_exact). */
function findBest(d: DevDebug, dev_addr: number, size: number, dir: number, sg_call_ents: number): number {
  let e = d.byAddr.get(dev_addr);
  if (e < 0 || d.next[e]! < 0) return e;
  let best = e;
  let bestScore = -1;
  for (; e >= 0; e = d.next[e]!) {
    const score = (d.size[e] === size ? 1 : 0) + (d.dir[e] === dir ? 1 : 0) + (d.sgCall[e] === sg_call_ents ? 1 : 0);
    if (score > bestScore) {
      best = e;
      bestScore = score;
    }
  }
  return best;
}

/** Among the entries at one address, the one that best matches the caller's view (kernel: bucket_find_exact). */
export function debug_find_best(dev: device, dev_addr: number, size: number, dir: number, sg_call_ents: number): dma_debug_entry | undefined {
  const d = devStates.get(dev);
  if (!d) return undefined;
  const i = findBest(d, dev_addr, size, dir, sg_call_ents);
  return i < 0 ? undefined : snapshot(d, i);
}

/** Untrack live slot `i`; `gone`: 1 after an unmap, 2 after a free. */
export function debug_remove(d: DevDebug, i: number, gone: number): void {
  const a = d.addr[i]!;
  const ba = d.byAddr;
  const slot = ba.find(a);
  const head = slot < 0 ? -1 : ba.vals[slot]!;
  const nx = d.next[i]!;
  if (head === i) {
    const kp = d.kprev[i]!;
    const kn = d.knext[i]!;
    if (nx >= 0) {
      // The next entry at this address takes the head's place, in the chain and in key order.
      ba.vals[slot] = nx;
      d.kprev[nx] = kp;
      d.knext[nx] = kn;
      if (kp >= 0) d.knext[kp] = nx;
      else d.khead = nx;
      if (kn >= 0) d.kprev[kn] = nx;
      else d.ktail = nx;
    } else {
      ba.removeSlot(slot);
      if (kp >= 0) d.knext[kp] = kn;
      else d.khead = kn;
      if (kn >= 0) d.kprev[kn] = kp;
      else d.ktail = kp;
    }
  } else {
    for (let t = head; t >= 0; t = d.next[t]!) {
      if (d.next[t] === i) {
        d.next[t] = nx;
        break;
      }
    }
  }
  d.next[i] = -1;
  if (d.pagesOn) {
    if (d.count === 1) d.pagesOn = false;
    else d.pagesDel(i);
  }
  d.count--;
  const s = d.s;
  s.nr_entries--;
  const cln = d.cln[i]!;
  if (cln >= 0) {
    const cl = s.cachelines;
    const slot = cl.find(cln * CACHELINE);
    if (slot >= 0) {
      const n = cl.vals[slot]!;
      if (n <= 1) cl.removeSlot(slot);
      else cl.vals[slot] = n - 1;
    }
  }
  d.state[i] = 1 + gone;
  // The slot stays readable as a tombstone until TOMB_SIZE later removals push it out.
  const old = d.tomb[d.tombPos]!;
  if (old >= 0) {
    d.state[old] = FREE;
    d.site[old] = '';
    d.next[old] = d.freeHead;
    d.freeHead = old;
  }
  d.tomb[d.tombPos] = i;
  d.tombPos = (d.tombPos + 1) % TOMB_SIZE;
}

/** Stop tracking an entry. `gone`: 1 after an unmap, 2 after a free (remembered for device-side reports). */
export function debug_remove_entry(e: dma_debug_entry, gone = 1): void {
  const d = devStates.get(e.dev);
  if (!d || e.gone || e.slot < 0) return;
  if (d.state[e.slot] !== LIVE || d.gen[e.slot] !== e.gen) return;
  debug_remove(d, e.slot, gone);
  e.gone = gone;
}

/** The live entry of `dev` whose bus range contains `addr` (kernel: bucket_find_contain). */
export function debug_find_contain(dev: device, addr: number): dma_debug_entry | undefined {
  const d = devStates.get(dev);
  if (!d || d.count === 0) return undefined;
  const i = d.findContain(addr);
  return i < 0 ? undefined : snapshot(d, i);
}

/** The most recently removed entry of `dev` overlapping [addr, addr+len), if still remembered. */
export function debug_recently_removed(dev: device, addr: number, len: number): dma_debug_entry | undefined {
  const d = devStates.get(dev);
  if (!d) return undefined;
  for (let k = 1; k <= TOMB_SIZE; k++) {
    const i = d.tomb[(d.tombPos - k + TOMB_SIZE) % TOMB_SIZE]!;
    if (i < 0) continue;
    const a = d.addr[i]!;
    if (addr < a + Math.max(d.size[i]!, 1) && addr + len > a) return snapshot(d, i);
  }
  return undefined;
}

/** The live entries of one device (by address in first-mapping order, then mapping order at one address). */
export function debug_entries_of(dev: device): dma_debug_entry[] {
  const d = devStates.get(dev);
  const out: dma_debug_entry[] = [];
  if (!d) return out;
  for (let h = d.khead; h >= 0; h = d.knext[h]!) for (let e = h; e >= 0; e = d.next[e]!) out.push(snapshot(d, e));
  return out;
}

/** How many live entries a device has (O(1)). */
export function debug_count_of(dev: device): number {
  return devStates.get(dev)?.count ?? 0;
}

/**
 * check_unmap() on the tracking: the kernel's checks when a streaming mapping
 * goes. Returns the slot (now a tombstone, readable until TOMB_SIZE more
 * removals) or -1 when none was found; the caller then unmaps using what was
 * recorded, never what the driver claimed.
 */
export function debug_unmap_check(d: DevDebug, dev_addr: number, size: number, type: number, dir: number, sg_call_ents: number): number {
  const dev = d.dev;
  const e = findBest(d, dev_addr, size, dir, sg_call_ents);
  if (e < 0) {
    if (dev_addr === DMA_MAPPING_ERROR) dma_debug_err(dev, 'device driver tries to free an invalid DMA memory address');
    else dma_debug_err(dev, `device driver tries to free DMA memory it has not allocated [device address=${fmt_dma(dev_addr)}] [size=${size} bytes]`);
    return -1;
  }
  const eType = d.type[e]!;
  const eSize = d.size[e]!;
  const eDir = d.dir[e]!;
  if (eType === dma_debug_coherent) {
    /* a streaming unmap of a coherent allocation: reported, and it stays allocated (our state is never corrupted) */
    dma_debug_err(
      dev,
      `device driver frees DMA memory with wrong function [device address=${fmt_dma(dev_addr)}] [size=${size} bytes] [mapped as ${type2name[eType]}] [unmapped as ${type2name[type]}]`,
      mappedAt(d, e),
    );
    return -1;
  }
  if (size !== eSize) {
    dma_debug_err(dev, `device driver frees DMA memory with different size [device address=${fmt_dma(dev_addr)}] [map size=${eSize} bytes] [unmap size=${size} bytes]`, mappedAt(d, e));
  }
  if (type !== eType) {
    dma_debug_err(
      dev,
      `device driver frees DMA memory with wrong function [device address=${fmt_dma(dev_addr)}] [size=${size} bytes] [mapped as ${type2name[eType]}] [unmapped as ${type2name[type]}]`,
      mappedAt(d, e),
    );
  }
  if (sg_call_ents && type === dma_debug_sg && sg_call_ents !== d.sgCall[e]) {
    dma_debug_err(dev, `device driver frees DMA sg list with different entry count [map count=${d.sgCall[e]}] [unmap count=${sg_call_ents}]`, mappedAt(d, e));
  }
  if (dir !== eDir) {
    dma_debug_err(
      dev,
      `device driver frees DMA memory with different direction [device address=${fmt_dma(dev_addr)}] [size=${size} bytes] [mapped with ${dir2name[eDir]}] [unmapped with ${dir2name[dir]}]`,
      mappedAt(d, e),
    );
  }
  if (d.mapErr[e] === MAP_ERR_NOT_CHECKED) {
    dma_debug_err(dev, `device driver failed to check map error [device address=${fmt_dma(dev_addr)}] [size=${size} bytes] [mapped as ${type2name[eType]}]`, mappedAt(d, e));
  }
  debug_remove(d, e, 1);
  return e;
}

/**
 * check_unmap(): the kernel's checks when a streaming mapping goes. Returns the
 * entry (now untracked) or null when none was found; the caller then unmaps
 * using what was recorded, never what the driver claimed.
 */
export function debug_check_unmap(dev: device, dev_addr: number, size: number, type: number, dir: number, sg_call_ents = 0): dma_debug_entry | null {
  const d = devState(dev);
  const i = debug_unmap_check(d, dev_addr, size, type, dir, sg_call_ents);
  return i < 0 ? null : snapshot(d, i);
}

/** debug_dma_mapping_error(): mark the first unchecked mapping at this address as checked. */
export function debug_dma_mapping_error(dev: device, dma_addr: number): void {
  const d = devStates.get(dev);
  if (!d) return;
  for (let e = d.byAddr.get(dma_addr); e >= 0; e = d.next[e]!) {
    if (d.mapErr[e] === MAP_ERR_NOT_CHECKED) {
      d.mapErr[e] = MAP_ERR_CHECKED;
      return;
    }
  }
}

/** Number of mapped segments recorded for an sg list starting at this address (get_nr_mapped_entries), 0 if unknown. */
export function debug_nr_mapped_entries(dev: device, dev_addr: number): number {
  const d = devStates.get(dev);
  if (!d) return 0;
  const e = d.byAddr.get(dev_addr);
  return e < 0 ? 0 : d.sgMapped[e]!;
}

/**
 * check_sync() on the tracking: a sync must fall inside a live mapping, in a
 * compatible direction. `to_cpu` is true for *_for_cpu. Reports only; returns the
 * slot or -1, and the sync itself proceeds (on what was recorded).
 */
export function debug_sync_check(d: DevDebug, dev_addr: number, size: number, dir: number, to_cpu: boolean, sg_call_ents: number): number {
  const dev = d.dev;
  const e = d.count === 0 ? -1 : d.findContain(dev_addr);
  if (e < 0) {
    dma_debug_err(dev, `device driver tries to sync DMA memory it has not allocated [device address=${fmt_dma(dev_addr)}] [size=${size} bytes]`);
    return -1;
  }
  const eSize = d.size[e]!;
  const eDir = d.dir[e]!;
  const end = dev_addr - d.addr[e]! + size;
  if (end > eSize) {
    dma_debug_err(
      dev,
      `device driver syncs DMA memory outside allocated range [device address=${fmt_dma(dev_addr)}] [allocation size=${eSize} bytes] [sync offset+size=${end}]`,
      mappedAt(d, e),
    );
  }
  if (eDir !== DMA_BIDIRECTIONAL) {
    if (dir !== eDir) {
      dma_debug_err(
        dev,
        `device driver syncs DMA memory with different direction [device address=${fmt_dma(dev_addr)}] [size=${size} bytes] [mapped with ${dir2name[eDir]}] [synced with ${dir2name[dir]}]`,
        mappedAt(d, e),
      );
    }
    if (to_cpu && eDir !== DMA_FROM_DEVICE && dir !== DMA_TO_DEVICE) {
      dma_debug_err(
        dev,
        `device driver syncs device read-only DMA memory for cpu [device address=${fmt_dma(dev_addr)}] [size=${size} bytes] [mapped with ${dir2name[eDir]}] [synced with ${dir2name[dir]}]`,
        mappedAt(d, e),
      );
    }
    if (!to_cpu && eDir !== DMA_TO_DEVICE && dir !== DMA_FROM_DEVICE) {
      dma_debug_err(
        dev,
        `device driver syncs device write-only DMA memory to device [device address=${fmt_dma(dev_addr)}] [size=${size} bytes] [mapped with ${dir2name[eDir]}] [synced with ${dir2name[dir]}]`,
        mappedAt(d, e),
      );
    }
  }
  if (sg_call_ents && d.type[e] === dma_debug_sg && sg_call_ents !== d.sgCall[e]) {
    dma_debug_err(dev, `device driver syncs DMA sg list with different entry count [map count=${d.sgCall[e]}] [sync count=${sg_call_ents}]`, mappedAt(d, e));
  }
  return e;
}

/**
 * check_sync(): a sync must fall inside a live mapping, in a compatible
 * direction. `to_cpu` is true for *_for_cpu. Reports only; the sync itself
 * proceeds (on what was recorded).
 */
export function debug_check_sync(dev: device, dev_addr: number, size: number, dir: number, to_cpu: boolean, sg_call_ents = 0): dma_debug_entry | undefined {
  const d = devState(dev);
  const i = debug_sync_check(d, dev_addr, size, dir, to_cpu, sg_call_ents);
  return i < 0 ? undefined : snapshot(d, i);
}

/** check_sg_segment(): a mapped segment longer than max_seg_size, or crossing the segment boundary. */
export function debug_check_sg_segment(dev: device, dma: number, len: number): void {
  const max = dev.dma_parms.max_segment_size;
  if (len > max) dma_debug_err(dev, `mapping sg segment longer than device claims to support [len=${len}] [max=${max}]`);
  const boundary = dev.dma_parms.segment_boundary_mask;
  const start = dma;
  const end = dma + len - 1;
  /* (start ^ end) & ~boundary, on numbers above 2^32: compare the boundary windows instead */
  if (len > 0 && Math.floor(start / (boundary + 1)) !== Math.floor(end / (boundary + 1))) {
    dma_debug_err(dev, `mapping sg segment across boundary [start=${fmt_dma(start)}] [end=${fmt_dma(end)}] [boundary=${fmt_dma(boundary)}]`);
  }
}

/**
 * Mark a range of CPU addresses as a stack or as kernel text/rodata (our API, for
 * the C bridge, which knows where C stacks and statics sit in the arena). Mapping
 * memory there is reported as the kernel's check_for_stack / check_for_illegal_area do.
 */
export function dma_debug_mark_area(m: Machine, vaddr: number, len: number, kind: 'stack' | 'text'): void {
  dma_debug_state(m).areas.push({ start: vaddr, end: vaddr + len, kind });
}

/** Forget a marked area (exact start and kind). */
export function dma_debug_unmark_area(m: Machine, vaddr: number, kind: 'stack' | 'text'): void {
  const a = dma_debug_state(m).areas;
  const i = a.findIndex((r) => r.start === vaddr && r.kind === kind);
  if (i >= 0) a.splice(i, 1);
}

/** check_for_stack + check_for_illegal_area on a CPU range about to be mapped. */
export function debug_check_area(dev: device, vaddr: number, len: number): void {
  const areas = dma_debug_state(dev.machine).areas;
  if (areas.length === 0) return;
  for (const a of areas) {
    if (vaddr < a.end && vaddr + len > a.start) {
      if (a.kind === 'stack') dma_debug_err(dev, `device driver maps memory from stack [addr=${fmt_p(vaddr)}]`);
      else dma_debug_err(dev, `device driver maps memory from kernel text or rodata [addr=${fmt_p(vaddr)}] [len=${len}]`);
    }
  }
}

/** debug_dma_map_single()'s area checks for an address outside the direct map. */
/**
 * A map of memory the caller must not hand to a device, found by the C bridge:
 * the calling thread's stack ("probable", as dma-debug says when it cannot be sure)
 * or the program image (its static data and text, the kernel image's equivalent).
 */
export function debug_dma_map_illegal_area(dev: device, vaddr: number, len: number, kind: 'stack' | 'text'): void {
  if (kind === 'stack') dma_debug_err(dev, `device driver maps memory from stack [probable addr=${fmt_p(vaddr)}]`);
  else dma_debug_err(dev, `device driver maps memory from kernel text or rodata [addr=${fmt_p(vaddr)}] [len=${len}]`);
}

export function debug_dma_map_single_invalid(dev: device, vaddr: number, len: number, vmalloc: boolean): void {
  if (vmalloc) dma_debug_err(dev, `device driver maps memory from vmalloc area [addr=${fmt_p(vaddr)}] [len=${len}]`);
  else dma_debug_err(dev, `device driver maps memory from invalid area [addr=${fmt_p(vaddr)}] [len=${len}]`);
}

/* dma_debug_device_change(BUS_NOTIFY_UNBOUND_DRIVER): pending allocations of a device going away. */
device_unregister_hooks.push((dev: device): void => {
  const d = devStates.get(dev);
  if (!d || d.count === 0 || d.khead < 0) return;
  const e = d.khead;
  dma_debug_err(
    dev,
    `device driver has pending DMA allocations while released from device [count=${d.count}]\n` +
      `One of leaked entries details: [device address=${fmt_dma(d.addr[e]!)}] [size=${d.size[e]!} bytes] [mapped with ${dir2name[d.dir[e]!]}] [mapped as ${type2name[d.type[e]!]}]`,
    mappedAt(d, e),
  );
});

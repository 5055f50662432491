/*
 * kernel/dma/debug.c: dma-debug. Tracks every coherent allocation and every
 * streaming mapping by device and bus address, and reports misuse with the
 * kernel's texts after a "DMA-API: " prefix.
 *
 * The tracking is always on: it is what lets a bad free "free nothing" instead of
 * corrupting the allocator, and what the device side (sim/device_side.ts)
 * checks a device's accesses against. The switches (disabled, all_errors,
 * num_errors, driver_filter) only govern what is printed, as the kernel's debugfs
 * knobs do.
 *
 * Layout: per device, entries live in typed arrays (struct of arrays, a free
 * list of slots) with an open-addressing hash from bus address to the first
 * entry there, so a mapping costs no object and no Map insertion; exact lookups
 * are O(1) and "containing" lookups go through a page index built on first use
 * (see DevDebug). The DMA API calls one hook per operation (debug_dma_*, at the
 * end); the exported lookups hand out snapshot objects for the device side and
 * reports.
 *
 * Differences from the kernel, on purpose:
 *  - dma_map_single and dma_map_page are told apart (types "single" and "page"),
 *    as kernels before 5.x did, so unmapping a single mapping with dma_unmap_page
 *    is reported as "wrong function" (v6 records both as "single").
 *  - the bucket search's "best match" among entries with one address is a score
 *    on size, direction and sg count (the kernel's heuristic in spirit).
 */
import type { Machine } from '../../arch/sim/machine.ts';
import { dev_driver_string, device_unregister_hooks, machine_devices, type device } from '../../drivers/base/core.ts';
import { printk_level, KERN_WARNING } from '../printk.ts';
import { fmt_p, fmt_pad } from '../../lib/vsprintf.ts';
import { NumHash } from '../../lib/numhash.ts';
import { capture_site } from '../../lib/stackdepot.ts';
import { sg_next, type scatterlist } from '../../lib/scatterlist.ts';
import { PAGE_SIZE } from '../../mm/page_alloc.ts';
import { page_base, STRUCT_PAGE_SIZE } from '../../mm/page.ts';
import { DMA_MAPPING_ERROR, DMA_ATTR_SKIP_CPU_SYNC, L1_CACHE_SHIFT } from '../../include/linux/dma-mapping.ts';
import { DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_BIDIRECTIONAL } from '../../include/linux/dma-direction.ts';

export const dma_debug_single = 0;
export const dma_debug_page = 1;
export const dma_debug_sg = 2;
export const dma_debug_coherent = 3;
export const dma_debug_resource = 4;
/** dma_alloc_pages() / dma_alloc_noncoherent() memory. */
export const dma_debug_noncoherent = 5;
/** The kernel's type names, typo included ("scather-gather"), so grep finds them. */
export const type2name = ['single', 'page', 'scather-gather', 'coherent', 'resource', 'noncoherent'] as const;
export const dir2name = ['DMA_BIDIRECTIONAL', 'DMA_TO_DEVICE', 'DMA_FROM_DEVICE', 'DMA_NONE'] as const;
const maperr2str = ['dma map error not applicable', 'dma map error not checked', 'dma map error checked'] as const;

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
 * (the tracking itself lives in typed arrays, see DevDebug); `gone` is its state
 * when the snapshot was taken.
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
    const need = this.count + n + TOMB_SIZE;
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

/* The device's tracking, made on first use. */
function devState(dev: device): DevDebug {
  dev.dma_debug ??= new DevDebug(dev);
  return dev.dma_debug;
}

/* "Mapped at:" lines for an entry's site (what the kernel prints from the entry's stack trace). */
function mappedAt(d: DevDebug, i: number): string[] {
  const site = d.site[i]!;
  return site ? ['Mapped at:', ' ' + site] : [];
}

/*
 * Report one dma-debug error: counted always; printed when enabled, when it passes
 * the driver filter, and while under num_errors (or all_errors). The text is the
 * kernel's "DMA-API: <driver> <device>: <message>".
 */
function dma_debug_err(dev: device, msg: string, extra: readonly string[] = []): void {
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
  };
}

/*
 * add_dma_entry() on the typed-array tracking: track a mapping and return its
 * slot. Non-TO_DEVICE mappings also claim their first cacheline; a second such
 * mapping of the same cacheline is reported (EEXIST) unless DMA_ATTR_SKIP_CPU_SYNC.
 */
function add_dma_entry(
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
  d.mapErr[i] =
    type === dma_debug_single || type === dma_debug_page ? MAP_ERR_NOT_CHECKED : MAP_ERR_CHECK_NOT_APPLICABLE;
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
        printk_level(
          KERN_WARNING,
          `DMA-API: exceeded ${ACTIVE_CACHELINE_MAX_OVERLAP} overlapping mappings of cacheline 0x${fmt_p(cln)}`,
        );
      }
      if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC)) {
        dma_debug_err(dev, "cacheline tracking EEXIST, overlapping mappings aren't supported", mappedAt(d, i));
      }
    }
  }
  return i;
}

/** The first live entry at exactly this bus address. */
export function debug_find_entry(dev: device, dev_addr: number): dma_debug_entry | undefined {
  const d = dev.dma_debug;
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

/* Untrack live slot `i`; `gone`: 1 after an unmap, 2 after a free. */
function remove_dma_entry(d: DevDebug, i: number, gone: number): void {
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

/** The live entry of `dev` whose bus range contains `addr` (kernel: bucket_find_contain). */
export function debug_find_contain(dev: device, addr: number): dma_debug_entry | undefined {
  const d = dev.dma_debug;
  if (!d || d.count === 0) return undefined;
  const i = d.findContain(addr);
  return i < 0 ? undefined : snapshot(d, i);
}

/** The most recently removed entry of `dev` overlapping [addr, addr+len), if still remembered. */
export function debug_recently_removed(dev: device, addr: number, len: number): dma_debug_entry | undefined {
  const d = dev.dma_debug;
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
  const d = dev.dma_debug;
  const out: dma_debug_entry[] = [];
  if (!d) return out;
  for (let h = d.khead; h >= 0; h = d.knext[h]!) for (let e = h; e >= 0; e = d.next[e]!) out.push(snapshot(d, e));
  return out;
}

/** How many live entries a device has (O(1)). */
export function debug_count_of(dev: device): number {
  return dev.dma_debug?.count ?? 0;
}

/*
 * check_unmap() on the tracking: the kernel's checks when a streaming mapping
 * goes. Returns the slot (now a tombstone, readable until TOMB_SIZE more
 * removals) or -1 when none was found, and then nothing may be undone.
 */
function check_unmap(
  d: DevDebug,
  dev_addr: number,
  size: number,
  type: number,
  dir: number,
  sg_call_ents: number,
): number {
  const dev = d.dev;
  const e = findBest(d, dev_addr, size, dir, sg_call_ents);
  if (e < 0) {
    if (dev_addr === DMA_MAPPING_ERROR) dma_debug_err(dev, 'device driver tries to free an invalid DMA memory address');
    else
      dma_debug_err(
        dev,
        `device driver tries to free DMA memory it has not allocated [device address=${fmt_pad(dev_addr)}] ` +
          `[size=${size} bytes]`,
      );
    return -1;
  }
  const eType = d.type[e]!;
  const eSize = d.size[e]!;
  const eDir = d.dir[e]!;
  if (eType === dma_debug_coherent) {
    /* a streaming unmap of a coherent allocation: reported, and it stays allocated (our state is never corrupted) */
    dma_debug_err(
      dev,
      `device driver frees DMA memory with wrong function [device address=${fmt_pad(dev_addr)}] ` +
        `[size=${size} bytes] [mapped as ${type2name[eType]}] ` +
        `[unmapped as ${type2name[type]}]`,
      mappedAt(d, e),
    );
    return -1;
  }
  if (size !== eSize) {
    dma_debug_err(
      dev,
      `device driver frees DMA memory with different size [device address=${fmt_pad(dev_addr)}] ` +
        `[map size=${eSize} bytes] [unmap size=${size} bytes]`,
      mappedAt(d, e),
    );
  }
  if (type !== eType) {
    dma_debug_err(
      dev,
      `device driver frees DMA memory with wrong function [device address=${fmt_pad(dev_addr)}] ` +
        `[size=${size} bytes] [mapped as ${type2name[eType]}] ` +
        `[unmapped as ${type2name[type]}]`,
      mappedAt(d, e),
    );
  }
  if (sg_call_ents && type === dma_debug_sg && sg_call_ents !== d.sgCall[e]) {
    dma_debug_err(
      dev,
      `device driver frees DMA sg list with different entry count [map count=${d.sgCall[e]}] ` +
        `[unmap count=${sg_call_ents}]`,
      mappedAt(d, e),
    );
  }
  if (dir !== eDir) {
    dma_debug_err(
      dev,
      `device driver frees DMA memory with different direction [device address=${fmt_pad(dev_addr)}] ` +
        `[size=${size} bytes] [mapped with ${dir2name[eDir]}] ` +
        `[unmapped with ${dir2name[dir]}]`,
      mappedAt(d, e),
    );
  }
  if (d.mapErr[e] === MAP_ERR_NOT_CHECKED) {
    dma_debug_err(
      dev,
      `device driver failed to check map error [device address=${fmt_pad(dev_addr)}] ` +
        `[size=${size} bytes] [mapped as ${type2name[eType]}]`,
      mappedAt(d, e),
    );
  }
  remove_dma_entry(d, e, 1);
  return e;
}

/** debug_dma_mapping_error(): mark the first unchecked mapping at this address as checked. */
export function debug_dma_mapping_error(dev: device, dma_addr: number): void {
  const d = dev.dma_debug;
  if (!d) return;
  for (let e = d.byAddr.get(dma_addr); e >= 0; e = d.next[e]!) {
    if (d.mapErr[e] === MAP_ERR_NOT_CHECKED) {
      d.mapErr[e] = MAP_ERR_CHECKED;
      return;
    }
  }
}

/*
 * check_sync() on the tracking: a sync must fall inside a live mapping, in a
 * compatible direction. `to_cpu` is true for *_for_cpu. Returns the slot, or -1
 * when no live mapping contains dev_addr (then nothing may be synced).
 */
function check_sync(
  d: DevDebug,
  dev_addr: number,
  size: number,
  dir: number,
  to_cpu: boolean,
  sg_call_ents: number,
): number {
  const dev = d.dev;
  const e = d.count === 0 ? -1 : d.findContain(dev_addr);
  if (e < 0) {
    dma_debug_err(
      dev,
      `device driver tries to sync DMA memory it has not allocated [device address=${fmt_pad(dev_addr)}] ` +
        `[size=${size} bytes]`,
    );
    return -1;
  }
  const eSize = d.size[e]!;
  const eDir = d.dir[e]!;
  const end = dev_addr - d.addr[e]! + size;
  if (end > eSize) {
    dma_debug_err(
      dev,
      `device driver syncs DMA memory outside allocated range [device address=${fmt_pad(dev_addr)}] ` +
        `[allocation size=${eSize} bytes] [sync offset+size=${end}]`,
      mappedAt(d, e),
    );
  }
  if (eDir !== DMA_BIDIRECTIONAL) {
    if (dir !== eDir) {
      dma_debug_err(
        dev,
        `device driver syncs DMA memory with different direction [device address=${fmt_pad(dev_addr)}] ` +
          `[size=${size} bytes] [mapped with ${dir2name[eDir]}] ` +
          `[synced with ${dir2name[dir]}]`,
        mappedAt(d, e),
      );
    }
    if (to_cpu && eDir !== DMA_FROM_DEVICE && dir !== DMA_TO_DEVICE) {
      dma_debug_err(
        dev,
        `device driver syncs device read-only DMA memory for cpu [device address=${fmt_pad(dev_addr)}] ` +
          `[size=${size} bytes] [mapped with ${dir2name[eDir]}] ` +
          `[synced with ${dir2name[dir]}]`,
        mappedAt(d, e),
      );
    }
    if (!to_cpu && eDir !== DMA_TO_DEVICE && dir !== DMA_FROM_DEVICE) {
      dma_debug_err(
        dev,
        `device driver syncs device write-only DMA memory to device [device address=${fmt_pad(dev_addr)}] ` +
          `[size=${size} bytes] [mapped with ${dir2name[eDir]}] ` +
          `[synced with ${dir2name[dir]}]`,
        mappedAt(d, e),
      );
    }
  }
  if (sg_call_ents && d.type[e] === dma_debug_sg && sg_call_ents !== d.sgCall[e]) {
    dma_debug_err(
      dev,
      `device driver syncs DMA sg list with different entry count [map count=${d.sgCall[e]}] ` +
        `[sync count=${sg_call_ents}]`,
      mappedAt(d, e),
    );
  }
  return e;
}

/* check_sg_segment(): a mapped segment longer than max_seg_size, or crossing the segment boundary. */
function check_sg_segment(dev: device, dma: number, len: number): void {
  const max = dev.dma_parms.max_segment_size;
  if (len > max)
    dma_debug_err(dev, `mapping sg segment longer than device claims to support [len=${len}] ` + `[max=${max}]`);
  const boundary = dev.dma_parms.segment_boundary_mask;
  const start = dma;
  const end = dma + len - 1;
  /* (start ^ end) & ~boundary, on numbers above 2^32: compare the boundary windows instead */
  if (len > 0 && Math.floor(start / (boundary + 1)) !== Math.floor(end / (boundary + 1))) {
    dma_debug_err(
      dev,
      `mapping sg segment across boundary [start=${fmt_pad(start)}] ` +
        `[end=${fmt_pad(end)}] [boundary=${fmt_pad(boundary)}]`,
    );
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

/* check_for_stack + check_for_illegal_area on a CPU range about to be mapped. */
function check_for_illegal_area(dev: device, areas: DmaDebugState['areas'], vaddr: number, len: number): void {
  for (const a of areas) {
    if (vaddr < a.end && vaddr + len > a.start) {
      if (a.kind === 'stack') dma_debug_err(dev, `device driver maps memory from stack [addr=${fmt_p(vaddr)}]`);
      else
        dma_debug_err(
          dev,
          `device driver maps memory from kernel text or rodata [addr=${fmt_p(vaddr)}] ` + `[len=${len}]`,
        );
    }
  }
}

/**
 * A map of memory the caller must not hand to a device, found by the C bridge:
 * the calling thread's stack ("probable", as dma-debug says when it cannot be sure)
 * or the program image (its static data and text, the kernel image's equivalent).
 */
export function debug_dma_map_illegal_area(dev: device, vaddr: number, len: number, kind: 'stack' | 'text'): void {
  if (kind === 'stack') dma_debug_err(dev, `device driver maps memory from stack [probable addr=${fmt_p(vaddr)}]`);
  else dma_debug_err(dev, `device driver maps memory from kernel text or rodata [addr=${fmt_p(vaddr)}] [len=${len}]`);
}

/**
 * An argument no mapping can be made or found from (a size that is no size_t, an
 * address that is not a number): dma-debug's report, counted with its errors.
 * Beyond the kernel, whose C types cannot carry such values.
 */
export function debug_dma_invalid_arg(dev: device, msg: string): void {
  dma_debug_err(dev, msg);
}

/**
 * debug_dma_map_single()'s checks for an address the DMA API refuses to map: a
 * vmalloc address, or one outside the direct map (and a struct page that is not one).
 */
export function debug_dma_map_single_invalid(dev: device, vaddr: number, len: number, vmalloc: boolean): void {
  if (vmalloc) dma_debug_err(dev, `device driver maps memory from vmalloc area [addr=${fmt_p(vaddr)}] [len=${len}]`);
  else dma_debug_err(dev, `device driver maps memory from invalid area [addr=${fmt_p(vaddr)}] [len=${len}]`);
}

/* ------------------------------------------------------------------------- */
/* The hooks: the DMA API (mapping.ts) calls one per operation.              */
/* ------------------------------------------------------------------------- */

/**
 * debug_dma_map_phys(): track a streaming mapping (dma_map_single, dma_map_page)
 * after checking its CPU range against the marked stack and text areas; a failed
 * mapping (DMA_MAPPING_ERROR) is not tracked. Beyond the kernel's arguments: the
 * CPU address and the entry type (dma_debug_single or dma_debug_page).
 */
export function debug_dma_map_phys(
  dev: device,
  phys: number,
  size: number,
  direction: number,
  dma_addr: number,
  attrs: number,
  vaddr: number,
  type: number,
): void {
  if (dma_addr === DMA_MAPPING_ERROR) return;
  const d = devState(dev);
  if (d.s.areas.length > 0) check_for_illegal_area(dev, d.s.areas, vaddr, size);
  add_dma_entry(d, type, dma_addr, size, vaddr, phys, direction, attrs, capture_site(), 0, 0);
}

/**
 * debug_dma_unmap_phys(): check_unmap() of a streaming unmap (`type`: the unmap
 * function's, dma_debug_single or dma_debug_page). Returns true when it matched a
 * live mapping, now untracked: only then may the caller undo the mapping.
 */
export function debug_dma_unmap_phys(
  dev: device,
  addr: number,
  size: number,
  direction: number,
  type: number,
): boolean {
  return check_unmap(devState(dev), addr, size, type, direction, 0) >= 0;
}

/**
 * debug_dma_alloc_coherent(): track a coherent allocation. Differs: no attrs, so
 * DMA_ATTR_SKIP_CPU_SYNC never silences the cacheline overlap check of one.
 */
export function debug_dma_alloc_coherent(dev: device, size: number, dma_addr: number, virt: number): void {
  const m = dev.machine;
  const off = m.virtToOff(virt);
  const phys = off >= 0 ? m.offToPhys(off) : -1;
  const d = devState(dev);
  add_dma_entry(d, dma_debug_coherent, dma_addr, size, virt, phys, DMA_BIDIRECTIONAL, 0, capture_site(), 0, 0);
}

/**
 * debug_dma_free_coherent(): check_unmap() of a coherent free. Returns true when
 * the free matches its allocation (now untracked). Beyond the kernel, the first
 * mismatch (unknown handle, different size, function or CPU address) is reported
 * and the allocation stays tracked: the caller then frees nothing.
 */
export function debug_dma_free_coherent(dev: device, size: number, virt: number, dma_addr: number): boolean {
  const d = dev.dma_debug;
  const i = d ? d.byAddr.get(dma_addr) : -1;
  if (!d || i < 0) {
    if (dma_addr === DMA_MAPPING_ERROR) dma_debug_err(dev, 'device driver tries to free an invalid DMA memory address');
    else
      dma_debug_err(
        dev,
        `device driver tries to free DMA memory it has not allocated [device address=${fmt_pad(dma_addr)}] ` +
          `[size=${size} bytes]`,
      );
    return false;
  }
  if (d.size[i] !== size) {
    dma_debug_err(
      dev,
      `device driver frees DMA memory with different size [device address=${fmt_pad(dma_addr)}] ` +
        `[map size=${d.size[i]} bytes] [unmap size=${size} bytes]`,
    );
    return false;
  }
  if (d.type[i] !== dma_debug_coherent) {
    dma_debug_err(
      dev,
      `device driver frees DMA memory with wrong function [device address=${fmt_pad(dma_addr)}] [size=${size} bytes] ` +
        `[mapped as ${type2name[d.type[i]!]}] [unmapped as coherent]`,
    );
    return false;
  }
  if (d.cpu[i] !== virt) {
    dma_debug_err(
      dev,
      `device driver frees DMA memory with different CPU address [device address=${fmt_pad(dma_addr)}] ` +
        `[size=${size} bytes] ` +
        `[cpu alloc address=0x${fmt_p(d.cpu[i]!)}] [cpu free address=0x${fmt_p(virt)}]`,
    );
    return false;
  }
  remove_dma_entry(d, i, 2);
  return true;
}

/**
 * Forget the coherent allocations of `dev` whose CPU address lies in [start,
 * start+len): the device's declared region is going (dma_release_coherent_memory).
 */
export function debug_dma_release_coherent_memory(dev: device, start: number, len: number): void {
  const d = dev.dma_debug;
  if (!d) return;
  const gone: number[] = [];
  for (let h = d.khead; h >= 0; h = d.knext[h]!) {
    for (let e = h; e >= 0; e = d.next[e]!) {
      if (d.type[e] === dma_debug_coherent && d.cpu[e]! >= start && d.cpu[e]! < start + len) gone.push(e);
    }
  }
  for (const e of gone) remove_dma_entry(d, e, 2);
}

/**
 * debug_dma_sync_single_for_cpu(): check_sync(). Returns true when a live mapping
 * contains dma_handle: only then may the caller sync (on what was recorded).
 */
export function debug_dma_sync_single_for_cpu(
  dev: device,
  dma_handle: number,
  size: number,
  direction: number,
): boolean {
  return check_sync(devState(dev), dma_handle, size, direction, true, 0) >= 0;
}

/** debug_dma_sync_single_for_device(): as debug_dma_sync_single_for_cpu, towards the device. */
export function debug_dma_sync_single_for_device(
  dev: device,
  dma_handle: number,
  size: number,
  direction: number,
): boolean {
  return check_sync(devState(dev), dma_handle, size, direction, false, 0) >= 0;
}

/**
 * debug_dma_map_sg(): one entry per mapped DMA segment (the first mapped_ents
 * entries carry them), each checked against max_seg_size and the segment
 * boundary; the CPU range of every one of the nents entries is checked against
 * the marked areas. The site is captured once for the list (every entry was mapped
 * by the same call) and the tracking sized for it up front, so the per-entry work
 * is a few typed-array stores and one hash insertion.
 */
export function debug_dma_map_sg(
  dev: device,
  sg: scatterlist,
  nents: number,
  mapped_ents: number,
  direction: number,
  attrs: number,
): void {
  const m = dev.machine;
  const base = page_base(m);
  const d = devState(dev);
  d.reserve(mapped_ents);
  const site = capture_site();
  const areas = d.s.areas;
  const max = dev.dma_parms.max_segment_size;
  const bsize = dev.dma_parms.segment_boundary_mask + 1;
  let s: scatterlist | null = sg;
  let out: scatterlist | null = sg;
  for (let i = 0; i < nents && s; i++, s = sg_next(s)) {
    const phys = ((s.page_link - base) / STRUCT_PAGE_SIZE) * PAGE_SIZE + s.offset;
    const off = m.physToOff(phys);
    const vaddr = off >= 0 ? m.offToVirt(off) : 0;
    if (areas.length > 0) check_for_illegal_area(dev, areas, vaddr, s.length);
    if (i < mapped_ents && out) {
      const a = out.dma_address;
      const len = out.dma_length;
      if (len > max || (len > 0 && Math.floor(a / bsize) !== Math.floor((a + len - 1) / bsize)))
        check_sg_segment(dev, a, len);
      add_dma_entry(d, dma_debug_sg, a, len, vaddr, phys, direction, attrs, site, nents, mapped_ents);
      out = sg_next(out);
    }
  }
}

/* Per list entry, what the last sg unmap or sync hook found: 1 = matched a live mapping. */
let sgMatched = new Uint8Array(64);

/**
 * The flags of the last debug_dma_unmap_sg / debug_dma_sync_sg_for_*: entry i
 * matched a live mapping when [i] is 1. Valid until the next such call; the
 * caller undoes or syncs only those entries.
 */
export function debug_dma_sg_matched(): Uint8Array {
  return sgMatched;
}

/* The nents the list found by the last sg unmap was mapped with (0 for an unknown list). */
let sgCallEnts = 0;

/** The nents dma_map_sg was given for the list the last debug_dma_unmap_sg matched (what the ops must unmap). */
export function debug_dma_sg_call_ents(): number {
  return sgCallEnts;
}

/*
 * The entries of the list at `sg` to check: nelems, at most the segments mapped
 * there (0 for an unknown list). An unmap checks every segment that was mapped,
 * whatever count it was given: a wrong count is reported (check_unmap) and the
 * whole list released, so no entry is left mapped with its bounce slot when the
 * driver calls again with the right count (the list is then unknown).
 */
function sg_checked(d: DevDebug, sg: scatterlist, nelems: number, unmap: boolean): number {
  const head = typeof sg.dma_address === 'number' ? d.byAddr.get(sg.dma_address) : -1;
  const mapped = head < 0 ? 0 : d.sgMapped[head]!;
  sgCallEnts = head < 0 ? 0 : d.sgCall[head]!;
  const n = unmap ? mapped : Math.min(nelems, mapped);
  if (sgMatched.length < n) sgMatched = new Uint8Array(Math.max(n, sgMatched.length * 2));
  return n;
}

/* Which check the sg hooks run on each entry. */
const SG_UNMAP = 0;
const SG_SYNC_FOR_CPU = 1;
const SG_SYNC_FOR_DEVICE = 2;

function check_sg(dev: device, sg: scatterlist, nelems: number, dir: number, op: number): number {
  const d = devState(dev);
  const n = sg_checked(d, sg, nelems, op === SG_UNMAP);
  let i = 0;
  for (let s: scatterlist | null = sg; i < n && s; i++, s = sg_next(s)) {
    const e =
      op === SG_UNMAP
        ? check_unmap(d, s.dma_address, s.dma_length, dma_debug_sg, dir, nelems)
        : check_sync(d, s.dma_address, s.dma_length, dir, op === SG_SYNC_FOR_CPU, nelems);
    sgMatched[i] = e >= 0 ? 1 : 0;
  }
  return i;
}

/**
 * debug_dma_unmap_sg(): check_unmap() of each mapped segment (nelems must be what
 * was passed to dma_map_sg). Returns the number of entries checked, their
 * outcome in debug_dma_sg_matched(); a list dma-debug does not know is ignored
 * silently, as in the kernel.
 */
export function debug_dma_unmap_sg(dev: device, sglist: scatterlist, nelems: number, dir: number): number {
  return check_sg(dev, sglist, nelems, dir, SG_UNMAP);
}

/** debug_dma_sync_sg_for_cpu(): check_sync() of each mapped segment; returns as debug_dma_unmap_sg. */
export function debug_dma_sync_sg_for_cpu(dev: device, sg: scatterlist, nelems: number, direction: number): number {
  return check_sg(dev, sg, nelems, direction, SG_SYNC_FOR_CPU);
}

/** debug_dma_sync_sg_for_device(): as debug_dma_sync_sg_for_cpu, towards the device. */
export function debug_dma_sync_sg_for_device(dev: device, sg: scatterlist, nelems: number, direction: number): number {
  return check_sg(dev, sg, nelems, direction, SG_SYNC_FOR_DEVICE);
}

/* dma_debug_device_change(BUS_NOTIFY_UNBOUND_DRIVER): pending allocations of a device going away. */
device_unregister_hooks.push((dev: device): void => {
  const d = dev.dma_debug;
  if (!d || d.count === 0 || d.khead < 0) return;
  const e = d.khead;
  dma_debug_err(
    dev,
    `device driver has pending DMA allocations while released from device [count=${d.count}]\n` +
      `One of leaked entries details: [device address=${fmt_pad(d.addr[e]!)}] ` +
      `[size=${d.size[e]!} bytes] [mapped with ${dir2name[d.dir[e]!]}] ` +
      `[mapped as ${type2name[d.type[e]!]}]`,
    mappedAt(d, e),
  );
});

/**
 * dma-debug's debugfs `dump`: one line per live entry (coherent allocations and
 * streaming mappings) in the kernel's format, `<driver> <device> <type> idx N
 * P=<phys> D=<bus> L=<len> cln=<cacheline> <direction> <map error state>`, plus
 * where it was made when sites are on (our addition). `dev` narrows it to one
 * device. Returns the text rather than writing a file.
 */
export function dma_debug_dump(m: Machine, dev: device | null = null): string {
  const devs = dev ? [dev] : machine_devices(m);
  let idx = 0;
  let out = '';
  for (const d of devs) {
    const drv = d.driver_name || d.bus_name;
    for (const e of debug_entries_of(d)) {
      const phys = Math.max(e.phys, 0);
      out +=
        `${drv} ${d.name} ${type2name[e.type] ?? '?'} idx ${idx++} P=${fmt_pad(phys)} D=${e.dev_addr.toString(16)} ` +
        `L=${e.size.toString(16)} cln=${fmt_pad(Math.floor(phys / 64))} ${dir2name[e.direction] ?? '?'} ` +
        `${maperr2str[e.map_err_type] ?? ''}` +
        (e.site ? ` allocated at ${e.site}` : '') +
        '\n';
    }
  }
  return out;
}

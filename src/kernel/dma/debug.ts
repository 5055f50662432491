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
 * Layout: per device, a Map from bus address to entry (entries with the same
 * address, the same buffer mapped twice, are chained through `next`) and a Map
 * from bus page to the entries touching that page, so exact and "containing"
 * lookups are O(1) instead of the kernel's hash-bucket walks.
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
import { capture_site } from '../../lib/stackdepot.ts';
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
  /** Next live entry with the same bus address. */
  next: dma_debug_entry | null;
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
  /** Live entries on the machine. */
  nr_entries: number;
  /** Active cachelines of non-TO_DEVICE mappings -> number of overlapping mappings. */
  cachelines: Map<number, number>;
  /** Ranges of CPU addresses marked as stack or kernel text/rodata (dma_debug_mark_area). */
  areas: Array<{ start: number; end: number; kind: 'stack' | 'text' }>;
  overlap_warned: boolean;
}

interface DevDebug {
  byAddr: Map<number, dma_debug_entry>;
  pages: Map<number, dma_debug_entry | dma_debug_entry[]>;
  count: number;
  tomb: Array<dma_debug_entry | undefined>;
  tombPos: number;
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
      nr_entries: 0,
      cachelines: new Map(),
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
    d = { byAddr: new Map(), pages: new Map(), count: 0, tomb: new Array<dma_debug_entry | undefined>(TOMB_SIZE), tombPos: 0 };
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

/**
 * Report one dma-debug error: counted always; printed when enabled, when it passes
 * the driver filter, and while under num_errors (or all_errors). The text is the
 * kernel's "DMA-API: <driver> <device>: <message>".
 */
export function dma_debug_err(dev: device, msg: string, extra: readonly string[] = []): void {
  const s = dma_debug_state(dev.machine);
  if (s.disabled) return;
  if (s.driver_filter && dev.driver_name !== s.driver_filter) return;
  s.error_count++;
  if (!s.all_errors && s.printed >= s.num_errors) return;
  s.printed++;
  const drv = dev_driver_string(dev);
  const prefix = 'DMA-API: ' + (drv ? drv + ' ' : '') + dev.name + ': ';
  printk_level(KERN_WARNING, prefix + msg + (extra.length ? '\n' + extra.join('\n') : ''));
}

/** A new entry (not yet tracked). `site` is captured here, at the driver's call. */
export function debug_entry_new(
  dev: device,
  type: number,
  dev_addr: number,
  size: number,
  cpu: number,
  phys: number,
  direction: number,
): dma_debug_entry {
  return {
    dev,
    type,
    dev_addr,
    size,
    cpu,
    direction,
    sg_call_ents: 0,
    sg_mapped_ents: 0,
    map_err_type: type === dma_debug_single || type === dma_debug_page ? MAP_ERR_NOT_CHECKED : MAP_ERR_CHECK_NOT_APPLICABLE,
    site: capture_site(),
    phys,
    next: null,
    cln: -1,
    gone: 0,
  };
}

function pageAdd(d: DevDebug, p: number, e: dma_debug_entry): void {
  const cur = d.pages.get(p);
  if (cur === undefined) d.pages.set(p, e);
  else if (Array.isArray(cur)) cur.push(e);
  else d.pages.set(p, [cur, e]);
}

function pageDel(d: DevDebug, p: number, e: dma_debug_entry): void {
  const cur = d.pages.get(p);
  if (cur === e) d.pages.delete(p);
  else if (Array.isArray(cur)) {
    const i = cur.indexOf(e);
    if (i >= 0) cur.splice(i, 1);
    if (cur.length === 1) d.pages.set(p, cur[0]!);
  }
}

/**
 * add_dma_entry(): track an entry. Non-TO_DEVICE mappings also claim their first
 * cacheline; a second such mapping of the same cacheline is reported (EEXIST)
 * unless DMA_ATTR_SKIP_CPU_SYNC.
 */
export function debug_add_entry(e: dma_debug_entry, attrs = 0): void {
  const dev = e.dev;
  const d = devState(dev);
  const head = d.byAddr.get(e.dev_addr);
  if (head === undefined) d.byAddr.set(e.dev_addr, e);
  else {
    let t = head;
    while (t.next) t = t.next;
    t.next = e;
  }
  const last = Math.floor((e.dev_addr + Math.max(e.size, 1) - 1) / PAGE);
  for (let p = Math.floor(e.dev_addr / PAGE); p <= last; p++) pageAdd(d, p, e);
  d.count++;
  const s = dma_debug_state(dev.machine);
  s.nr_entries++;
  if (e.direction !== DMA_TO_DEVICE && e.phys >= 0) {
    const cln = Math.floor(e.phys / CACHELINE);
    e.cln = cln;
    const n = s.cachelines.get(cln);
    if (n === undefined) s.cachelines.set(cln, 1);
    else {
      s.cachelines.set(cln, n + 1);
      if (n + 1 > ACTIVE_CACHELINE_MAX_OVERLAP + 1 && !s.overlap_warned) {
        s.overlap_warned = true;
        printk_level(KERN_WARNING, `DMA-API: exceeded ${ACTIVE_CACHELINE_MAX_OVERLAP} overlapping mappings of cacheline 0x${fmt_p(cln)}`);
      }
      if (!(attrs & DMA_ATTR_SKIP_CPU_SYNC)) {
        dma_debug_err(dev, "cacheline tracking EEXIST, overlapping mappings aren't supported", mapped_at(e));
      }
    }
  }
}

/** The first live entry at exactly this bus address. */
export function debug_find_entry(dev: device, dev_addr: number): dma_debug_entry | undefined {
  return devStates.get(dev)?.byAddr.get(dev_addr);
}

/** Among the entries at one address, the one that best matches the caller's view (kernel: bucket_find_exact). */
export function debug_find_best(dev: device, dev_addr: number, size: number, dir: number, sg_call_ents: number): dma_debug_entry | undefined {
  let e: dma_debug_entry | null | undefined = devStates.get(dev)?.byAddr.get(dev_addr);
  if (!e || !e.next) return e ?? undefined;
  let best: dma_debug_entry = e;
  let bestScore = -1;
  for (; e; e = e.next) {
    const score = (e.size === size ? 1 : 0) + (e.direction === dir ? 1 : 0) + (e.sg_call_ents === sg_call_ents ? 1 : 0);
    if (score > bestScore) {
      best = e;
      bestScore = score;
    }
  }
  return best;
}

/** Stop tracking an entry. `gone`: 1 after an unmap, 2 after a free (remembered for device-side reports). */
export function debug_remove_entry(e: dma_debug_entry, gone = 1): void {
  const d = devStates.get(e.dev);
  if (!d || e.gone) return;
  const head = d.byAddr.get(e.dev_addr);
  if (head === e) {
    if (e.next) d.byAddr.set(e.dev_addr, e.next);
    else d.byAddr.delete(e.dev_addr);
  } else {
    for (let t: dma_debug_entry | null | undefined = head; t; t = t.next) {
      if (t.next === e) {
        t.next = e.next;
        break;
      }
    }
  }
  e.next = null;
  const last = Math.floor((e.dev_addr + Math.max(e.size, 1) - 1) / PAGE);
  for (let p = Math.floor(e.dev_addr / PAGE); p <= last; p++) pageDel(d, p, e);
  d.count--;
  const s = dma_debug_state(e.dev.machine);
  s.nr_entries--;
  if (e.cln >= 0) {
    const n = s.cachelines.get(e.cln)!;
    if (n <= 1) s.cachelines.delete(e.cln);
    else s.cachelines.set(e.cln, n - 1);
  }
  e.gone = gone;
  d.tomb[d.tombPos] = e;
  d.tombPos = (d.tombPos + 1) % TOMB_SIZE;
}

/** The live entry of `dev` whose bus range contains `addr` (kernel: bucket_find_contain). */
export function debug_find_contain(dev: device, addr: number): dma_debug_entry | undefined {
  const cur = devStates.get(dev)?.pages.get(Math.floor(addr / PAGE));
  if (cur === undefined) return undefined;
  if (!Array.isArray(cur)) return addr >= cur.dev_addr && addr < cur.dev_addr + Math.max(cur.size, 1) ? cur : undefined;
  for (const e of cur) if (addr >= e.dev_addr && addr < e.dev_addr + Math.max(e.size, 1)) return e;
  return undefined;
}

/** The most recently removed entry of `dev` overlapping [addr, addr+len), if still remembered. */
export function debug_recently_removed(dev: device, addr: number, len: number): dma_debug_entry | undefined {
  const d = devStates.get(dev);
  if (!d) return undefined;
  for (let i = 1; i <= TOMB_SIZE; i++) {
    const e = d.tomb[(d.tombPos - i + TOMB_SIZE) % TOMB_SIZE];
    if (e && addr < e.dev_addr + Math.max(e.size, 1) && addr + len > e.dev_addr) return e;
  }
  return undefined;
}

/** The live entries of one device. */
export function debug_entries_of(dev: device): dma_debug_entry[] {
  const d = devStates.get(dev);
  const out: dma_debug_entry[] = [];
  if (!d) return out;
  for (const h of d.byAddr.values()) for (let e: dma_debug_entry | null = h; e; e = e.next) out.push(e);
  return out;
}

/** How many live entries a device has (O(1)). */
export function debug_count_of(dev: device): number {
  return devStates.get(dev)?.count ?? 0;
}

/**
 * check_unmap(): the kernel's checks when a streaming mapping goes. Returns the
 * entry (now untracked) or null when none was found; the caller then unmaps
 * using what was recorded, never what the driver claimed.
 */
export function debug_check_unmap(dev: device, dev_addr: number, size: number, type: number, dir: number, sg_call_ents = 0): dma_debug_entry | null {
  const e = debug_find_best(dev, dev_addr, size, dir, sg_call_ents);
  if (!e) {
    if (dev_addr === DMA_MAPPING_ERROR) dma_debug_err(dev, 'device driver tries to free an invalid DMA memory address');
    else dma_debug_err(dev, `device driver tries to free DMA memory it has not allocated [device address=${fmt_dma(dev_addr)}] [size=${size} bytes]`);
    return null;
  }
  const at = mapped_at(e);
  if (e.type === dma_debug_coherent) {
    /* a streaming unmap of a coherent allocation: reported, and it stays allocated (our state is never corrupted) */
    dma_debug_err(
      dev,
      `device driver frees DMA memory with wrong function [device address=${fmt_dma(dev_addr)}] [size=${size} bytes] [mapped as ${type2name[e.type]}] [unmapped as ${type2name[type]}]`,
      at,
    );
    return null;
  }
  if (size !== e.size) {
    dma_debug_err(dev, `device driver frees DMA memory with different size [device address=${fmt_dma(dev_addr)}] [map size=${e.size} bytes] [unmap size=${size} bytes]`, at);
  }
  if (type !== e.type) {
    dma_debug_err(
      dev,
      `device driver frees DMA memory with wrong function [device address=${fmt_dma(dev_addr)}] [size=${size} bytes] [mapped as ${type2name[e.type]}] [unmapped as ${type2name[type]}]`,
      at,
    );
  }
  if (sg_call_ents && type === dma_debug_sg && sg_call_ents !== e.sg_call_ents) {
    dma_debug_err(dev, `device driver frees DMA sg list with different entry count [map count=${e.sg_call_ents}] [unmap count=${sg_call_ents}]`, at);
  }
  if (dir !== e.direction) {
    dma_debug_err(
      dev,
      `device driver frees DMA memory with different direction [device address=${fmt_dma(dev_addr)}] [size=${size} bytes] [mapped with ${dir2name[e.direction]}] [unmapped with ${dir2name[dir]}]`,
      at,
    );
  }
  if (e.map_err_type === MAP_ERR_NOT_CHECKED) {
    dma_debug_err(dev, `device driver failed to check map error [device address=${fmt_dma(dev_addr)}] [size=${size} bytes] [mapped as ${type2name[e.type]}]`, at);
  }
  debug_remove_entry(e, 1);
  return e;
}

/** debug_dma_mapping_error(): mark the first unchecked mapping at this address as checked. */
export function debug_dma_mapping_error(dev: device, dma_addr: number): void {
  for (let e: dma_debug_entry | null | undefined = devStates.get(dev)?.byAddr.get(dma_addr); e; e = e.next) {
    if (e.map_err_type === MAP_ERR_NOT_CHECKED) {
      e.map_err_type = MAP_ERR_CHECKED;
      return;
    }
  }
}

/** Number of mapped segments recorded for an sg list starting at this address (get_nr_mapped_entries), 0 if unknown. */
export function debug_nr_mapped_entries(dev: device, dev_addr: number): number {
  const e = devStates.get(dev)?.byAddr.get(dev_addr);
  return e ? e.sg_mapped_ents : 0;
}

/**
 * check_sync(): a sync must fall inside a live mapping, in a compatible
 * direction. `to_cpu` is true for *_for_cpu. Reports only; the sync itself
 * proceeds (on what was recorded).
 */
export function debug_check_sync(dev: device, dev_addr: number, size: number, dir: number, to_cpu: boolean, sg_call_ents = 0): dma_debug_entry | undefined {
  const e = debug_find_contain(dev, dev_addr);
  if (!e) {
    dma_debug_err(dev, `device driver tries to sync DMA memory it has not allocated [device address=${fmt_dma(dev_addr)}] [size=${size} bytes]`);
    return undefined;
  }
  const at = mapped_at(e);
  const end = dev_addr - e.dev_addr + size;
  if (end > e.size) {
    dma_debug_err(
      dev,
      `device driver syncs DMA memory outside allocated range [device address=${fmt_dma(dev_addr)}] [allocation size=${e.size} bytes] [sync offset+size=${end}]`,
      at,
    );
  }
  if (e.direction !== DMA_BIDIRECTIONAL) {
    if (dir !== e.direction) {
      dma_debug_err(
        dev,
        `device driver syncs DMA memory with different direction [device address=${fmt_dma(dev_addr)}] [size=${size} bytes] [mapped with ${dir2name[e.direction]}] [synced with ${dir2name[dir]}]`,
        at,
      );
    }
    if (to_cpu && e.direction !== DMA_FROM_DEVICE && dir !== DMA_TO_DEVICE) {
      dma_debug_err(
        dev,
        `device driver syncs device read-only DMA memory for cpu [device address=${fmt_dma(dev_addr)}] [size=${size} bytes] [mapped with ${dir2name[e.direction]}] [synced with ${dir2name[dir]}]`,
        at,
      );
    }
    if (!to_cpu && e.direction !== DMA_TO_DEVICE && dir !== DMA_FROM_DEVICE) {
      dma_debug_err(
        dev,
        `device driver syncs device write-only DMA memory to device [device address=${fmt_dma(dev_addr)}] [size=${size} bytes] [mapped with ${dir2name[e.direction]}] [synced with ${dir2name[dir]}]`,
        at,
      );
    }
  }
  if (sg_call_ents && e.type === dma_debug_sg && sg_call_ents !== e.sg_call_ents) {
    dma_debug_err(dev, `device driver syncs DMA sg list with different entry count [map count=${e.sg_call_ents}] [sync count=${sg_call_ents}]`, at);
  }
  return e;
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
  if (!d || d.count === 0) return;
  let e: dma_debug_entry | undefined;
  for (const h of d.byAddr.values()) {
    e = h;
    break;
  }
  if (!e) return;
  dma_debug_err(
    dev,
    `device driver has pending DMA allocations while released from device [count=${d.count}]\n` +
      `One of leaked entries details: [device address=${fmt_dma(e.dev_addr)}] [size=${e.size} bytes] [mapped with ${dir2name[e.direction]}] [mapped as ${type2name[e.type]}]`,
    mapped_at(e),
  );
});

/*
 * mm/vmalloc.c: virtually contiguous, physically scattered memory in a virtual
 * range of its own. Each machine's CPU window (VWINDOW = 8 GiB above its vbase)
 * holds the direct map in its first 4 GiB (MAX_ARENA); the upper 4 GiB is the
 * machine's vmalloc range. A vmalloc address is therefore never in the direct map:
 * virt_to_page() gives NULL, dma_map_single() refuses it with the kernel's reason,
 * and io.ts accessors (readb, memcpy...) fault on it, as they only know the direct
 * map; use vmalloc_read / vmalloc_write (our API) for CPU access, or map the
 * underlying pages (vmalloc_to_page) as the kernel's DMA-mapping.txt describes.
 * In bridge mode the range is the same offset above the native arena and is not
 * backed by native memory: C code must not dereference vmalloc addresses.
 */
import { default_machine, MAX_ARENA, VBASE0, VWINDOW, type Machine } from '../arch/sim/machine.ts';
import { PAGE_SIZE, ZONE_NORMAL, PG_OWNER_VMALLOC } from './page_alloc.ts';
import { __GFP_ZERO, type gfp_t, GFP_KERNEL } from '../include/linux/gfp.ts';
import { WARN } from '../kernel/panic.ts';
import { printk_level, KERN_WARNING } from '../kernel/printk.ts';
import { pfn_to_page } from './page.ts';
import { fmt_p } from '../lib/vsprintf.ts';
import { DmashimError } from '../lib/errors.ts';

interface vm_struct {
  addr: number;
  size: number;
  nr_pages: number;
  /** arena page index of each virtual page */
  pages: Int32Array;
}

interface VmState {
  m: WeakRef<Machine>;
  start: number;
  end: number;
  /** next free offset in the range (areas are never re-used: stale pointers stay invalid) */
  next: number;
  areas: Map<number, vm_struct>;
  /** virtual page number -> area */
  byPage: Map<number, vm_struct>;
}

const states = new WeakMap<Machine, VmState>();
const all: VmState[] = [];

function state(m: Machine): VmState {
  let s = states.get(m);
  if (!s) {
    const start = m.vbase + MAX_ARENA;
    s = { m: new WeakRef(m), start, end: m.vbase + VWINDOW, next: start, areas: new Map(), byPage: new Map() };
    states.set(m, s);
    // A disposed machine's slot (and so this range) is reused: its state must not hide ours.
    for (let i = all.length - 1; i >= 0; i--) {
      const other = all[i]!.m.deref();
      if (other === undefined || other.disposed) all.splice(i, 1);
    }
    all.push(s);
  }
  return s;
}

/** VMALLOC_START of a machine. */
export function vmalloc_start(m: Machine = default_machine()): number {
  return m.vbase + MAX_ARENA;
}

/** is_vmalloc_addr(): the address lies in some machine's vmalloc range (allocated or not). */
export function is_vmalloc_addr(addr: number): boolean {
  if (addr >= VBASE0 && addr < 2 ** 53 && (addr - VBASE0) % VWINDOW >= MAX_ARENA) return true;
  for (const s of all) if (addr >= s.start && addr < s.end) return true;
  return false;
}

function areaOf(addr: number): { s: VmState; a: vm_struct } | null {
  for (const s of all) {
    if (addr < s.start || addr >= s.end) continue;
    const a = s.byPage.get(Math.floor(addr / PAGE_SIZE));
    return a ? { s, a } : null;
  }
  return null;
}

/**
 * vmalloc(): `size` bytes, virtually contiguous, built from single pages taken
 * one by one (so physically scattered), with a guard page after the area.
 * Returns the address or NULL (0). Differs: optional machine argument.
 */
export function vmalloc(size: number, m: Machine = default_machine(), gfp: gfp_t = GFP_KERNEL): number {
  if (!Number.isSafeInteger(size) || size <= 0) return 0;
  const s = state(m);
  const nr = Math.ceil(size / PAGE_SIZE);
  if (s.next + (nr + 1) * PAGE_SIZE > s.end) {
    printk_level(KERN_WARNING, `vmalloc error: size ${size}, vm_struct allocation failed`);
    return 0;
  }
  const pages = new Int32Array(nr);
  for (let i = 0; i < nr; i++) {
    const pg = m.buddy.alloc(0, 0, ZONE_NORMAL, PG_OWNER_VMALLOC);
    if (pg < 0) {
      for (let j = 0; j < i; j++) m.buddy.free(pages[j]!, 0, PG_OWNER_VMALLOC);
      printk_level(KERN_WARNING, `vmalloc error: size ${size}, failed to allocate pages`);
      return 0;
    }
    pages[i] = pg;
    if (gfp & __GFP_ZERO) m.u8.fill(0, pg * PAGE_SIZE, (pg + 1) * PAGE_SIZE);
  }
  const addr = s.next;
  s.next += (nr + 1) * PAGE_SIZE;
  const a: vm_struct = { addr, size, nr_pages: nr, pages };
  s.areas.set(addr, a);
  for (let i = 0; i < nr; i++) s.byPage.set(addr / PAGE_SIZE + i, a);
  return addr;
}

/** vzalloc(): zeroed vmalloc. */
export function vzalloc(size: number, m: Machine = default_machine()): number {
  return vmalloc(size, m, GFP_KERNEL | __GFP_ZERO);
}

/** vfree(): NULL is a no-op; an address that is not an area's start WARNs as the kernel does and frees nothing. */
export function vfree(addr: number): void {
  if (addr === 0) return;
  const r = typeof addr === 'number' ? areaOf(addr) : undefined;
  if (!r || r.a.addr !== addr) {
    WARN('mm/vmalloc.c vfree', `Trying to vfree() nonexistent vm area (${fmt_p(addr)})`);
    return;
  }
  const m = r.s.m.deref();
  r.s.areas.delete(addr);
  for (let i = 0; i < r.a.nr_pages; i++) {
    r.s.byPage.delete(addr / PAGE_SIZE + i);
    m?.buddy.free(r.a.pages[i]!, 0, PG_OWNER_VMALLOC);
  }
}

/** vmalloc_to_page(): the struct page behind a vmalloc address, or NULL (0). */
export function vmalloc_to_page(addr: number): number {
  const r = areaOf(addr);
  const m = r?.s.m.deref();
  if (!r || !m) return 0;
  const pg = r.a.pages[Math.floor((addr - r.a.addr) / PAGE_SIZE)]!;
  return pfn_to_page(Math.floor(m.offToPhys(pg * PAGE_SIZE) / PAGE_SIZE), m);
}

/** vmalloc_to_pfn() */
export function vmalloc_to_pfn(addr: number): number {
  const r = areaOf(addr);
  const m = r?.s.m.deref();
  if (!r || !m) return 0;
  return Math.floor(m.offToPhys(r.a.pages[Math.floor((addr - r.a.addr) / PAGE_SIZE)]! * PAGE_SIZE) / PAGE_SIZE);
}

function walk(addr: number, len: number, fn: (m: Machine, off: number, done: number, n: number) => void): void {
  let done = 0;
  while (done < len) {
    const r = areaOf(addr + done);
    const m = r?.s.m.deref();
    if (!r || !m || addr + done >= r.a.addr + r.a.nr_pages * PAGE_SIZE) {
      throw new DmashimError(
        'EFAULT',
        `BUG: unable to handle page fault for address: ${fmt_p(addr + done)} (vmalloc access outside any area)`,
      );
    }
    const va = addr + done - r.a.addr;
    const inPage = va % PAGE_SIZE;
    const n = Math.min(PAGE_SIZE - inPage, len - done);
    fn(m, r.a.pages[Math.floor(va / PAGE_SIZE)]! * PAGE_SIZE + inPage, done, n);
    done += n;
  }
}

/** CPU read of vmalloc memory (our API; C code would dereference). Throws EFAULT outside an area. */
export function vmalloc_read(addr: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  walk(addr, len, (m, off, done, n) => out.set(m.u8.subarray(off, off + n), done));
  return out;
}

/** CPU write of vmalloc memory (our API). Throws EFAULT outside an area. */
export function vmalloc_write(addr: number, bytes: Uint8Array): void {
  walk(addr, bytes.length, (m, off, done, n) => m.u8.set(bytes.subarray(done, done + n), off));
}

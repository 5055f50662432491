/*
 * mm/page_poison.c: page poisoning. A freed page is filled with PAGE_POISON
 * and checked when the buddy allocator hands it out again; a byte that changed
 * in between is a write after free, reported with the kernel's
 * "pagealloc: memory corruption" header, a dump of the bytes and, when sites
 * are on, where the page was freed (mm/page_owner).
 *
 * Differs: switched per machine at run time (the kernel's page_poison= is a
 * boot parameter), and the report names the page and the changed range.
 */
import { PAGE_SIZE } from './page_alloc.ts';
import { __reset_page_owner, page_owner_free_site } from './page_owner.ts';
import { stackdepot } from '../lib/stackdepot.ts';
import { printk_level, KERN_ERR } from '../kernel/printk.ts';
import { fmt_p, hex_dump_lines } from '../lib/vsprintf.ts';
import type { Machine } from '../arch/sim/machine.ts';

/** include/linux/poison.h PAGE_POISON */
export const PAGE_POISON = 0xaa;

interface PagePoison {
  /** page_poisoning_enabled(): freed pages are filled with PAGE_POISON. */
  enabled: boolean;
  /** Per arena page: 1 while it holds the poison pattern (only such pages are checked). */
  poisoned: Uint8Array;
}

const states = new WeakMap<Machine, PagePoison>();

/**
 * init_mem_debugging_and_hardening - boot-time setup of page poisoning for a
 * machine (mm/mm_init.c in the kernel): its switch from `options.poison`, and
 * the buddy allocator's free and alloc hooks, the two page poisoning steps of
 * free_pages_prepare and post_alloc_hook. The Machine constructor calls it.
 */
export function init_mem_debugging_and_hardening(m: Machine): void {
  const s: PagePoison = { enabled: m.options.poison, poisoned: new Uint8Array(m.nPages) };
  states.set(m, s);
  // The kernel's free_pages_prepare order: the page owner's record, then the poison.
  m.buddy.onFree = (page, order) => {
    if (!s.enabled) return;
    if (stackdepot.enabled) __reset_page_owner(m, page, order);
    kernel_poison_pages(m, s, page, 1 << order);
  };
  m.buddy.onAlloc = (page, order) => kernel_unpoison_pages(m, s, page, 1 << order);
}

/** page_poisoning_enabled - true while freed pages of `m` are poisoned. */
export function page_poisoning_enabled(m: Machine): boolean {
  return states.get(m)?.enabled ?? false;
}

/**
 * Switch page poisoning for a machine at run time (our API; the kernel's is the
 * page_poison= boot parameter). Pages freed while it was off are not checked.
 */
export function page_poisoning_set(m: Machine, on: boolean): void {
  const s = states.get(m);
  if (s) s.enabled = on;
}

/* kernel_poison_pages - fill n pages from arena page `page` with the poison. */
function kernel_poison_pages(m: Machine, s: PagePoison, page: number, n: number): void {
  m.u8.fill(PAGE_POISON, page * PAGE_SIZE, (page + n) * PAGE_SIZE);
  s.poisoned.fill(1, page, page + n);
}

/* kernel_unpoison_pages - check the poisoned pages of n from `page` as they are handed out. */
function kernel_unpoison_pages(m: Machine, s: PagePoison, page: number, n: number): void {
  const u8 = m.u8;
  for (let p = page; p < page + n; p++) {
    if (!s.poisoned[p]) continue;
    s.poisoned[p] = 0;
    const base = p * PAGE_SIZE;
    for (let i = 0; i < PAGE_SIZE; i++) {
      if (u8[base + i] !== PAGE_POISON) {
        let end = PAGE_SIZE - 1;
        while (end > i && u8[base + end] === PAGE_POISON) end--;
        check_poison_mem(m, p, i, end - i + 1);
        break;
      }
    }
  }
}

/* check_poison_mem's report: bytes [first, first + len) of arena page `page` changed after the free. */
function check_poison_mem(m: Machine, page: number, first: number, len: number): void {
  const base = page * PAGE_SIZE;
  const rowStart = first & ~15;
  const dumpLen = Math.min(PAGE_SIZE - rowStart, Math.max(16, ((first + len + 15) & ~15) - rowStart), 64);
  const lines = ['pagealloc: memory corruption'];
  const vaddr = m.offToVirt(base + rowStart);
  for (const l of hex_dump_lines(m.u8.subarray(base + rowStart, base + rowStart + dumpLen))) {
    const off = parseInt(l.slice(0, 8), 16);
    lines.push(fmt_p(vaddr + off) + l.slice(8));
  }
  const site = page_owner_free_site(m, page);
  lines.push(
    `use after free: page ${fmt_p(m.offToVirt(base))} written at offset ${first} (${len} bytes changed)` +
      ` after it was freed${site ? ` at ${site}` : ''}`,
  );
  printk_level(KERN_ERR, lines.join('\n'));
}

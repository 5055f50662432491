/*
 * lib/scatterlist.c + include/linux/scatterlist.h.
 *
 * A scatterlist entry is an object; an sg list is an array of them, and each
 * entry knows its array and index, so sg_next() is O(1) as the kernel's sg++.
 * The kernel keeps the end and chain markers in page_link's low bits; here the
 * page pointer (a struct page number, see mm/page.ts) is `page_link`, the end
 * marker and the chain link are fields of their own. sg_chain() links arrays as
 * the kernel's does, but the tables this file allocates never need it: an
 * sg_table of any size is one array (the kernel chains arrays of
 * SG_MAX_SINGLE_ALLOC entries only to keep each allocation within a page), with
 * the same nents and orig_nents.
 *
 * sg_dma_address / sg_dma_len are fields of their own (dma_address,
 * dma_length), never aliases of offset/length (CONFIG_NEED_SG_DMA_LENGTH), so a
 * driver that mixes them up sees wrong values, as on an IOMMU system.
 */
import { EINVAL } from '../include/linux/errno.ts';
import type { gfp_t } from '../include/linux/gfp.ts';
import { BUG, WARN_ON } from '../kernel/panic.ts';
import { might_alloc, preempt_disable, preempt_enable } from '../kernel/sched/context.ts';
import {
  page_address,
  page_to_phys,
  __virt_to_page,
  devmem_page_check,
  offset_in_page,
  page_to_pfn,
  pfn_to_page,
  page_machine,
  alloc_pages,
  __free_pages,
  STRUCT_PAGE_SIZE,
} from '../mm/page.ts';
import { PAGE_SIZE } from '../mm/page_alloc.ts';
import { default_machine, type Machine } from '../arch/sim/machine.ts';
import { mem_bytes } from '../arch/sim/io.ts';
import { fmt_p } from './vsprintf.ts';
import { DmashimError, invalidOption } from './errors.ts';
import { KERNEL_VERSION, kernel_require } from '../include/linux/version.ts';

export class scatterlist {
  /** The struct page (a number; 0 = none). */
  page_link = 0;
  offset = 0;
  length = 0;
  /** sg_dma_address(): set by dma_map_sg. */
  dma_address = 0;
  /** sg_dma_len(): set by dma_map_sg; 0 for entries past the mapped count. */
  dma_length = 0;
  /** sg_mark_end() marker (SG_END). */
  end = false;
  /** sg_chain(): set on the chain entry, the first entry of the next array (SG_CHAIN). */
  chain: scatterlist | null = null;
  /** The array this entry lives in, and its index (our sg++). */
  arr: scatterlist[];
  idx: number;
  constructor(arr?: scatterlist[], idx = 0) {
    this.arr = arr ?? [this];
    this.idx = arr ? idx : 0;
  }
}

/** A list given as its first entry or as the array itself. */
export type sg_list = scatterlist | scatterlist[];

/** The first entry of a list given either way (null for an empty array). */
export function sg_first(sgl: sg_list): scatterlist | null {
  return Array.isArray(sgl) ? (sgl[0] ?? null) : sgl;
}

/**
 * sg_init_table(): clear `nents` entries and mark the last as the end. `sgl` is
 * an array (missing entries are created, so `const sg: scatterlist[] = []` works,
 * the port of `struct scatterlist sg[N]`) or an entry of one.
 */
export function sg_init_table(sgl: sg_list, nents: number): void {
  // Our API's check before any entry is touched (the kernel's unsigned int has no fraction to lose).
  if (typeof sgl !== 'object' || sgl === null)
    throw new DmashimError('EFAULT', `sg_init_table: NULL scatterlist: BUG: kernel NULL pointer dereference`);
  if (!Number.isSafeInteger(nents) || nents < 0)
    invalidOption(`sg_init_table: nents must be a non-negative integer, got ${String(nents)}`);
  // 2.6.24's: before it a list was an array the driver filled member by member.
  kernel_require(default_machine(), 'sg_init_table', KERNEL_VERSION(2, 6, 24), null);
  const arr = Array.isArray(sgl) ? sgl : sgl.arr;
  const base = Array.isArray(sgl) ? 0 : sgl.idx;
  for (let i = 0; i < nents; i++) {
    let s = arr[base + i];
    if (s === undefined) {
      s = new scatterlist(arr, base + i);
      arr[base + i] = s;
    }
    s.arr = arr;
    s.idx = base + i;
    s.page_link = 0;
    s.offset = 0;
    s.length = 0;
    s.dma_address = 0;
    s.dma_length = 0;
    s.end = false;
    s.chain = null;
  }
  if (nents > 0) arr[base + nents - 1]!.end = true;
}

/** sg_set_page(): point an entry at `len` bytes at `offset` into `page`. */
export function sg_set_page(sg: scatterlist, page: number, len: number, offset: number): void {
  devmem_page_check(page, 'sg_set_page', SG_DEVMEM);
  sg.page_link = page;
  sg.offset = offset;
  sg.length = len;
}

/**
 * sg_set_buf(): point an entry at a direct-map buffer. As with CONFIG_DEBUG_SG, a
 * buffer outside the direct map (vmalloc, garbage) is a BUG (throws), since
 * there is no struct page behind it.
 */
export function sg_set_buf(sg: scatterlist, buf: number, buflen: number): void {
  const page = __virt_to_page(buf);
  if (!page) BUG('include/linux/scatterlist.h sg_set_buf', `BUG_ON(!virt_addr_valid(buf)) buf=${fmt_p(buf)}`);
  devmem_page_check(page, 'sg_set_buf', SG_DEVMEM);
  sg.page_link = page;
  sg.offset = offset_in_page(buf);
  sg.length = buflen;
}

/* What an entry of device memory does: a DMA mapping of the list refuses it (it is not RAM). */
const SG_DEVMEM = 'the entry is kept, and mapping the list refuses it';

/** sg_init_one(): a one-entry list for one buffer. */
export function sg_init_one(sg: scatterlist, buf: number, buflen: number): void {
  sg_init_table(sg, 1);
  sg_set_buf(sg, buf, buflen);
}

/** sg_page(): the entry's struct page. */
export function sg_page(sg: scatterlist): number {
  return sg.page_link;
}

/** sg_virt(): CPU address of the entry's data. */
export function sg_virt(sg: scatterlist): number {
  return page_address(sg.page_link) + sg.offset;
}

/** sg_phys(): physical address of the entry's data. */
export function sg_phys(sg: scatterlist): number {
  return page_to_phys(sg.page_link) + sg.offset;
}

/** sg_mark_end(): make this the last entry (a chain entry stops being one). */
export function sg_mark_end(sg: scatterlist): void {
  sg.end = true;
  sg.chain = null;
}

/** sg_unmark_end() */
export function sg_unmark_end(sg: scatterlist): void {
  sg.end = false;
}

/** sg_is_last() */
export function sg_is_last(sg: scatterlist): boolean {
  return sg.end;
}

/** sg_next(): the next entry, following a chain entry, or null after the last. O(1). */
export function sg_next(sg: scatterlist): scatterlist | null {
  if (sg.end) return null;
  const n = sg.arr[sg.idx + 1];
  if (n === undefined) return null;
  return n.chain ?? n;
}

/** sg_nents(): number of entries up to the end marker. */
export function sg_nents(sgl: sg_list): number {
  let n = 0;
  for (let s = sg_first(sgl); s; s = sg_next(s)) n++;
  return n;
}

/** sg_dma_address(): the bus address dma_map_sg stored. */
export function sg_dma_address(sg: scatterlist): number {
  return sg.dma_address;
}

/** sg_dma_len(): the bus length dma_map_sg stored (its own field, not `length`). */
export function sg_dma_len(sg: scatterlist): number {
  return sg.dma_length;
}

/**
 * for_each_sg(sglist, sg, nr, i) as an iterator: `for (const sg of for_each_sg(sgl, nents))`.
 * Yields at most `nents` entries, stopping at the end marker.
 */
export function* for_each_sg(sgl: sg_list, nents: number): Generator<scatterlist> {
  let s = sg_first(sgl);
  for (let i = 0; i < nents && s; i++, s = sg_next(s)) yield s;
}

/** struct sg_table */
export class sg_table {
  /** The first entry (null until sg_alloc_table). */
  sgl: scatterlist | null = null;
  /** Mapped segments (set by dma_map_sgtable), else the entry count. */
  nents = 0;
  /** Entries allocated. */
  orig_nents = 0;
}

/** sg_alloc_table(): a table of `nents` cleared entries, the last marked. 0, or -EINVAL for nents 0. */
export function sg_alloc_table(table: sg_table, nents: number, gfp: gfp_t): number {
  void gfp;
  kernel_require(default_machine(), 'sg_alloc_table', KERNEL_VERSION(2, 6, 25), null);
  if (!Number.isSafeInteger(nents) || nents <= 0) return -EINVAL;
  const arr: scatterlist[] = new Array<scatterlist>(nents);
  for (let i = 0; i < nents; i++) arr[i] = new scatterlist(arr, i);
  arr[nents - 1]!.end = true;
  table.sgl = arr[0]!;
  table.nents = nents;
  table.orig_nents = nents;
  return 0;
}

/** sg_free_table(): release the entries. */
export function sg_free_table(table: sg_table): void {
  table.sgl = null;
  table.nents = 0;
  table.orig_nents = 0;
}

/** for_each_sgtable_sg(): the CPU entries (orig_nents). */
export function* for_each_sgtable_sg(sgt: sg_table): Generator<scatterlist> {
  if (sgt.sgl) yield* for_each_sg(sgt.sgl, sgt.orig_nents);
}

/** for_each_sgtable_dma_sg(): the mapped DMA segments (nents). */
export function* for_each_sgtable_dma_sg(sgt: sg_table): Generator<scatterlist> {
  if (sgt.sgl) yield* for_each_sg(sgt.sgl, sgt.nents);
}

/* ---- markers and chaining ---- */

/** Entries per array in the kernel's tables (a page of 32-byte entries); SG_CHUNK_SIZE, SG_MAX_SEGMENTS as the kernel's. */
export const SG_MAX_SINGLE_ALLOC = PAGE_SIZE / 32;
export const SG_CHUNK_SIZE = 128;
export const SG_MAX_SEGMENTS = 2048;

/** The array an sg_list lives in, and the index of its first entry. */
function list_arr(sgl: sg_list): { arr: scatterlist[]; base: number } {
  return Array.isArray(sgl) ? { arr: sgl, base: 0 } : { arr: sgl.arr, base: sgl.idx };
}

/** sg_is_chain(): the entry links to another array instead of holding data. */
export function sg_is_chain(sg: scatterlist): boolean {
  return sg.chain !== null;
}

/** sg_chain_ptr(): the first entry of the array a chain entry links to (null if it is none). */
export function sg_chain_ptr(sg: scatterlist): scatterlist | null {
  return sg.chain;
}

/** sg_assign_page(): set the page, keeping the end marker. */
export function sg_assign_page(sg: scatterlist, page: number): void {
  sg.page_link = page;
}

/** sg_init_marker(): mark entry `nents - 1` of the list as its end. */
export function sg_init_marker(sgl: sg_list, nents: number): void {
  const { arr, base } = list_arr(sgl);
  const last = arr[base + nents - 1];
  if (!last) invalidOption(`sg_init_marker: the list has no entry ${nents - 1}`);
  sg_mark_end(last);
}

/**
 * sg_chain(): make entry `prv_nents - 1` of `prv` a chain entry linking to
 * `sgl` (its offset and length are cleared, its end marker dropped), so the
 * walk continues in `sgl`'s array. The chain entry is no data entry: a list of
 * 3 + 2 entries chained this way has 4 entries (sg_nents).
 */
export function sg_chain(prv: sg_list, prv_nents: number, sgl: sg_list): void {
  const { arr, base } = list_arr(prv);
  const c = arr[base + prv_nents - 1];
  const to = sg_first(sgl);
  if (!c || !to) invalidOption(`sg_chain: no entry ${prv_nents - 1} to chain, or an empty list to chain to`);
  c.offset = 0;
  c.length = 0;
  c.end = false;
  c.chain = to;
}

/** sg_last(): entry `nents - 1` of the walk; BUG when that is not the marked end, as the kernel's. */
export function sg_last(sgl: sg_list, nents: number): scatterlist {
  let ret: scatterlist | null = null;
  for (const s of for_each_sg(sgl, nents)) ret = s;
  if (!ret?.end) BUG('lib/scatterlist.c sg_last', 'BUG_ON(!sg_is_last(ret))');
  return ret;
}

/** sg_nents_for_len(): entries needed to cover `len` bytes; -EINVAL when the list is shorter, 0 for 0. */
export function sg_nents_for_len(sgl: sg_list, len: number): number {
  if (!len) return 0;
  let nents = 0;
  let total = 0;
  for (let s = sg_first(sgl); s; s = sg_next(s)) {
    nents++;
    total += s.length;
    if (total >= len) return nents;
  }
  return -EINVAL;
}

/* ---- tables from page arrays ---- */

/** struct sg_append_table: a table built by successive sg_alloc_append_table_from_pages calls. */
export class sg_append_table {
  sgt = new sg_table();
  /** The last entry filled so far. */
  prv: scatterlist | null = null;
  /** Entries allocated (no chain entries here: equals the entries filled once the table is ended). */
  total_nents = 0;
}

/** Pages merge when the second's frame follows the first's (struct pages 64 apart in one vmemmap window). */
function pages_follow(page: number, prev: number): boolean {
  return page === prev + STRUCT_PAGE_SIZE && page_machine(prev) !== undefined;
}

function check_pages(fn: string, pages: readonly number[], n_pages: number): void {
  if (!Array.isArray(pages)) invalidOption(`${fn}: pages must be an array of struct pages`);
  if (!Number.isSafeInteger(n_pages) || n_pages < 0 || n_pages > pages.length)
    invalidOption(`${fn}: n_pages ${String(n_pages)} is not a count of the ${pages.length} pages given`);
}

/** The entry to fill after `cur` (a new one at the end of its array), or the first one of a new table. */
function append_entry(t: sg_append_table, cur: scatterlist | null): scatterlist {
  if (!cur) {
    const arr: scatterlist[] = [];
    const s = new scatterlist(arr, 0);
    arr.push(s);
    t.sgt.sgl = s;
    t.total_nents = 1;
    return s;
  }
  const at = cur.idx + 1;
  let s = cur.arr[at];
  if (!s) {
    s = new scatterlist(cur.arr, at);
    cur.arr[at] = s;
    t.total_nents++;
  }
  return s.chain ?? s;
}

/**
 * sg_alloc_append_table_from_pages(): add `n_pages` pages (`size` bytes from
 * `offset` into the first) to the table. Pages whose frames follow each other
 * share an entry of at most `max_segment` bytes (rounded down to pages; below a
 * page it WARNs and returns -EINVAL); on a later call, pages continuing the
 * last entry grow it, and a nonzero `offset` WARNs and returns -EINVAL.
 * `left_pages` is how many pages later calls will add: with 0 the table is
 * ended (its last entry marked). Returns 0. Process context (allocates with
 * `gfp_mask`). Differs: n_pages 0 on a new table is -EINVAL (the kernel reads
 * pages[0]); an append to an ended table WARNs and returns -EINVAL (the kernel
 * dereferences NULL).
 */
export function sg_alloc_append_table_from_pages(
  sgt_append: sg_append_table,
  pages: readonly number[],
  n_pages: number,
  offset: number,
  size: number,
  max_segment: number,
  left_pages: number,
  gfp_mask: gfp_t,
): number {
  const fn = 'lib/scatterlist.c sg_alloc_append_table_from_pages';
  if (!(sgt_append instanceof sg_append_table))
    invalidOption('sg_alloc_append_table_from_pages: sgt_append must be an sg_append_table');
  check_pages('sg_alloc_append_table_from_pages', pages, n_pages);
  might_alloc(gfp_mask, fn);
  const seg_max = Math.floor(max_segment / PAGE_SIZE) * PAGE_SIZE;
  if (WARN_ON(seg_max < PAGE_SIZE, fn, 'WARN_ON(max_segment < PAGE_SIZE)')) return -EINVAL;
  let first = 0;
  const prv = sgt_append.prv;
  const prv_len = prv ? prv.length : 0;
  if (prv) {
    if (WARN_ON(offset !== 0, fn, 'WARN_ON(offset)')) return -EINVAL;
    const next_pfn = Math.floor((sg_phys(prv) + prv.length) / PAGE_SIZE);
    const p0 = pages[0];
    if (n_pages > 0 && p0 !== undefined && page_to_pfn(p0) === next_pfn) {
      const m = page_machine(prv.page_link);
      let last = m ? pfn_to_page(next_pfn - 1, m) : 0;
      while (first < n_pages && pages_follow(pages[first]!, last)) {
        if (prv.length + PAGE_SIZE > seg_max) break;
        prv.length += PAGE_SIZE;
        last = pages[first]!;
        first++;
      }
    }
    if (first === n_pages) {
      if (!left_pages) sg_mark_end(prv);
      return 0;
    }
  } else if (n_pages === 0) {
    return -EINVAL;
  }

  let s = prv;
  let added = 0;
  let off = offset;
  let left = size;
  for (let cur = first; cur < n_pages; ) {
    let j = cur + 1;
    let seg_len = 0;
    for (; j < n_pages; j++) {
      seg_len += PAGE_SIZE;
      if (seg_len >= seg_max || !pages_follow(pages[j]!, pages[j - 1]!)) break;
    }
    if (s?.end) {
      WARN_ON(true, fn, 'the table was already ended (left_pages was 0)');
      if (prv) prv.length = prv_len;
      return -EINVAL;
    }
    s = append_entry(sgt_append, s);
    const chunk = (j - cur) * PAGE_SIZE - off;
    sg_set_page(s, pages[cur]!, Math.min(left, chunk), off);
    added++;
    left -= chunk;
    off = 0;
    cur = j;
  }
  sgt_append.sgt.nents += added;
  sgt_append.sgt.orig_nents = sgt_append.sgt.nents;
  sgt_append.prv = s;
  if (!left_pages && s) sg_mark_end(s);
  return 0;
}

/** sg_free_append_table(): release the table's entries (sgt.sgl becomes null, as the kernel leaves the counts). */
export function sg_free_append_table(table: sg_append_table): void {
  table.sgt.sgl = null;
}

/**
 * sg_alloc_table_from_pages_segment(): a table for `n_pages` pages, `size`
 * bytes from `offset` into the first, contiguous pages merged into entries of
 * at most `max_segment` bytes. 0 or -EINVAL; released by sg_free_table.
 */
export function sg_alloc_table_from_pages_segment(
  sgt: sg_table,
  pages: readonly number[],
  n_pages: number,
  offset: number,
  size: number,
  max_segment: number,
  gfp_mask: gfp_t,
): number {
  const append = new sg_append_table();
  const err = sg_alloc_append_table_from_pages(append, pages, n_pages, offset, size, max_segment, 0, gfp_mask);
  if (err) return err;
  sgt.sgl = append.sgt.sgl;
  sgt.nents = append.sgt.nents;
  sgt.orig_nents = append.sgt.orig_nents;
  return 0;
}

/** sg_alloc_table_from_pages(): sg_alloc_table_from_pages_segment with no segment limit (UINT_MAX). */
export function sg_alloc_table_from_pages(
  sgt: sg_table,
  pages: readonly number[],
  n_pages: number,
  offset: number,
  size: number,
  gfp_mask: gfp_t,
): number {
  return sg_alloc_table_from_pages_segment(sgt, pages, n_pages, offset, size, 0xffffffff, gfp_mask);
}

/* ---- sgl_alloc ---- */

/** An out-box for `unsigned int *nent_p`. */
export interface nent_ref {
  value: number;
}

/**
 * sgl_alloc_order(): a list of ceil(length / (PAGE_SIZE << order)) entries,
 * each with its own 2^order pages (the last entry holds the remainder), plus
 * an unused last entry when `chainable`. Returns the first entry, or null when
 * a page allocation fails (everything taken is given back). Sets
 * `nent_p.value` to the entries with pages. Process context with GFP_KERNEL.
 * Differs: length 0 returns null (the kernel requires at least one byte);
 * takes the machine as an optional last argument.
 */
export function sgl_alloc_order(
  length: number,
  order: number,
  chainable: boolean,
  gfp: gfp_t,
  nent_p: nent_ref | null = null,
  m: Machine = default_machine(),
): scatterlist | null {
  if (!Number.isSafeInteger(length) || length < 0) invalidOption(`sgl_alloc_order: bad length ${String(length)}`);
  if (!Number.isSafeInteger(order) || order < 0) invalidOption(`sgl_alloc_order: bad order ${String(order)}`);
  if (!length || order > 30) return null;
  const elem = PAGE_SIZE * 2 ** order;
  const nent = Math.ceil(length / elem);
  if (nent + (chainable ? 1 : 0) > 0xffffffff) return null;
  const arr: scatterlist[] = [];
  sg_init_table(arr, nent + (chainable ? 1 : 0));
  let left = length;
  for (let i = 0; left > 0; i++) {
    const page = alloc_pages(gfp, order, m);
    if (!page) {
      sgl_free_n_order(arr[0]!, 0x7fffffff, order);
      return null;
    }
    const len = Math.min(left, elem);
    sg_set_page(arr[i]!, page, len, 0);
    left -= len;
  }
  if (nent_p) nent_p.value = nent;
  return arr[0]!;
}

/** sgl_alloc(): sgl_alloc_order with order 0, not chainable. */
export function sgl_alloc(
  length: number,
  gfp: gfp_t,
  nent_p: nent_ref | null = null,
  m: Machine = default_machine(),
): scatterlist | null {
  return sgl_alloc_order(length, 0, false, gfp, nent_p, m);
}

/** sgl_free_n_order(): free the pages (2^order each) of the first `nents` entries; null is a no-op. */
export function sgl_free_n_order(sgl: scatterlist | null, nents: number, order: number): void {
  if (!sgl) return;
  for (const s of for_each_sg(sgl, nents)) {
    if (s.page_link) __free_pages(s.page_link, order);
  }
}

/** sgl_free_order(): sgl_free_n_order over the whole list. */
export function sgl_free_order(sgl: scatterlist | null, order: number): void {
  sgl_free_n_order(sgl, 0x7fffffff, order);
}

/** sgl_free(): free a list from sgl_alloc. */
export function sgl_free(sgl: scatterlist | null): void {
  sgl_free_n_order(sgl, 0x7fffffff, 0);
}

/* ---- page iterators ---- */

/** struct sg_page_iter: `sg` holds the current page, `sg_pgoffset` is its index in that entry. */
export class sg_page_iter {
  sg: scatterlist | null = null;
  sg_pgoffset = 0;
  __nents = 0;
  __pg_advance = 0;
}

/** struct sg_dma_page_iter: the same walk over the DMA side (sg_dma_len). */
export class sg_dma_page_iter {
  base = new sg_page_iter();
}

/** __sg_page_iter_start(): start at page `pgoffset` of the list, over at most `nents` entries. */
export function __sg_page_iter_start(piter: sg_page_iter, sglist: sg_list, nents: number, pgoffset: number): void {
  piter.__pg_advance = 0;
  piter.__nents = nents;
  piter.sg = sg_first(sglist);
  piter.sg_pgoffset = pgoffset;
}

function page_iter_step(piter: sg_page_iter, dma: boolean): boolean {
  if (!piter.__nents || !piter.sg) return false;
  piter.sg_pgoffset += piter.__pg_advance;
  piter.__pg_advance = 1;
  for (;;) {
    const sg: scatterlist = piter.sg;
    // Pages an entry touches, counted from its struct page (the offset included).
    const count = Math.ceil((sg.offset + (dma ? sg.dma_length : sg.length)) / PAGE_SIZE);
    if (piter.sg_pgoffset < count) return true;
    piter.sg_pgoffset -= count;
    const next = sg_next(sg);
    if (!--piter.__nents || !next) {
      piter.sg = next;
      return false;
    }
    piter.sg = next;
  }
}

/** __sg_page_iter_next(): advance to the next page; false at the end. */
export function __sg_page_iter_next(piter: sg_page_iter): boolean {
  return page_iter_step(piter, false);
}

/** __sg_page_iter_dma_next(): advance to the next DMA page; false at the end. */
export function __sg_page_iter_dma_next(dma_iter: sg_dma_page_iter): boolean {
  return page_iter_step(dma_iter.base, true);
}

/** sg_page_iter_page(): the current page (the entry's pages are consecutive struct pages). */
export function sg_page_iter_page(piter: sg_page_iter): number {
  return piter.sg ? piter.sg.page_link + piter.sg_pgoffset * STRUCT_PAGE_SIZE : 0;
}

/** sg_page_iter_dma_address(): the bus address of the current DMA page. */
export function sg_page_iter_dma_address(dma_iter: sg_dma_page_iter): number {
  const b = dma_iter.base;
  return b.sg ? b.sg.dma_address + b.sg_pgoffset * PAGE_SIZE : 0;
}

/**
 * for_each_sg_page(sglist, piter, nents, pgoffset) as an iterator: yields the
 * same sg_page_iter at each page (`for (const it of for_each_sg_page(sgl, n, 0))
 * sg_page_iter_page(it)`).
 */
export function* for_each_sg_page(sglist: sg_list, nents: number, pgoffset = 0): Generator<sg_page_iter> {
  const it = new sg_page_iter();
  __sg_page_iter_start(it, sglist, nents, pgoffset);
  while (__sg_page_iter_next(it)) yield it;
}

/** for_each_sg_dma_page(): the DMA pages of the first `dma_nents` mapped entries. */
export function* for_each_sg_dma_page(sglist: sg_list, dma_nents: number, pgoffset = 0): Generator<sg_dma_page_iter> {
  const it = new sg_dma_page_iter();
  __sg_page_iter_start(it.base, sglist, dma_nents, pgoffset);
  while (__sg_page_iter_dma_next(it)) yield it;
}

/** for_each_sgtable_page(): the pages of the table's CPU entries (orig_nents). */
export function* for_each_sgtable_page(sgt: sg_table, pgoffset = 0): Generator<sg_page_iter> {
  if (sgt.sgl) yield* for_each_sg_page(sgt.sgl, sgt.orig_nents, pgoffset);
}

/** for_each_sgtable_dma_page(): the DMA pages of the table's mapped segments (nents). */
export function* for_each_sgtable_dma_page(sgt: sg_table, pgoffset = 0): Generator<sg_dma_page_iter> {
  if (sgt.sgl) yield* for_each_sg_dma_page(sgt.sgl, sgt.nents, pgoffset);
}

/* ---- mapping iterator ---- */

export const SG_MITER_ATOMIC = 1 << 0;
export const SG_MITER_TO_SG = 1 << 1;
export const SG_MITER_FROM_SG = 1 << 2;
export const SG_MITER_LOCAL = 1 << 3;

/** struct sg_mapping_iter: after sg_miter_next, `length` bytes at CPU address `addr` of `page`. */
export class sg_mapping_iter {
  page = 0;
  addr = 0;
  length = 0;
  /** Bytes taken; set it lower to leave the rest for the next sg_miter_next. */
  consumed = 0;
  piter = new sg_page_iter();
  __offset = 0;
  __remaining = 0;
  __flags = 0;
}

/** sg_miter_start(): start a mapping walk; `flags` must say SG_MITER_TO_SG or SG_MITER_FROM_SG (else WARN). */
export function sg_miter_start(miter: sg_mapping_iter, sgl: sg_list, nents: number, flags: number): void {
  miter.page = 0;
  miter.addr = 0;
  miter.length = 0;
  miter.consumed = 0;
  miter.__offset = 0;
  miter.__remaining = 0;
  __sg_page_iter_start(miter.piter, sgl, nents, 0);
  WARN_ON(
    !(flags & (SG_MITER_TO_SG | SG_MITER_FROM_SG)),
    'lib/scatterlist.c sg_miter_start',
    'WARN_ON(!(flags & (SG_MITER_TO_SG | SG_MITER_FROM_SG)))',
  );
  miter.__flags = flags;
}

function miter_get_next_page(miter: sg_mapping_iter): boolean {
  if (miter.__remaining) return true;
  if (!__sg_page_iter_next(miter.piter)) return false;
  const sg = miter.piter.sg!;
  // An entry's first page starts at its offset, which may lie pages past its struct page.
  const start = miter.piter.sg_pgoffset ? 0 : sg.offset;
  miter.piter.sg_pgoffset += Math.floor(start / PAGE_SIZE);
  miter.__offset = start % PAGE_SIZE;
  const left = sg.offset + sg.length - miter.piter.sg_pgoffset * PAGE_SIZE - miter.__offset;
  miter.__remaining = Math.min(left, PAGE_SIZE - miter.__offset);
  return true;
}

/** sg_miter_stop(): give up the current piece (advancing by `consumed`); the walk can go on with sg_miter_next. */
export function sg_miter_stop(miter: sg_mapping_iter): void {
  WARN_ON(miter.consumed > miter.length, 'lib/scatterlist.c sg_miter_stop', 'WARN_ON(miter->consumed > miter->length)');
  if (!miter.addr) return;
  miter.__offset += miter.consumed;
  miter.__remaining -= miter.consumed;
  if (miter.__flags & SG_MITER_ATOMIC) preempt_enable();
  miter.page = 0;
  miter.addr = 0;
  miter.length = 0;
  miter.consumed = 0;
}

/** sg_miter_skip(): skip `offset` bytes; false when the list ends first. Differs: a negative offset is false. */
export function sg_miter_skip(miter: sg_mapping_iter, offset: number): boolean {
  sg_miter_stop(miter);
  if (!(offset >= 0)) return false;
  let left = offset;
  while (left > 0) {
    if (!miter_get_next_page(miter)) return false;
    const step = Math.min(left, miter.__remaining);
    miter.__offset += step;
    miter.__remaining -= step;
    left -= step;
  }
  return true;
}

/**
 * sg_miter_next(): map the next piece (at most the rest of one page). With
 * SG_MITER_ATOMIC the context is atomic until sg_miter_stop or the next call,
 * as kmap_atomic makes it. False at the end.
 */
export function sg_miter_next(miter: sg_mapping_iter): boolean {
  sg_miter_stop(miter);
  if (!miter_get_next_page(miter)) return false;
  miter.page = sg_page_iter_page(miter.piter);
  miter.length = miter.__remaining;
  miter.consumed = miter.length;
  miter.addr = page_address(miter.page) + miter.__offset;
  if (miter.__flags & SG_MITER_ATOMIC) preempt_disable();
  return true;
}

/* ---- copies ---- */

/**
 * sg_copy_buffer(): copy up to `buflen` bytes between `buf` and the list,
 * skipping the list's first `skip` bytes; returns bytes copied. `to_buffer`:
 * from the list into `buf`. Any context (the kernel's SG_MITER_ATOMIC section
 * holds no sleeping call, so none is entered here).
 */
export function sg_copy_buffer(
  sgl: sg_list,
  nents: number,
  buf: Uint8Array,
  buflen: number,
  skip: number,
  to_buffer: boolean,
): number {
  if (!(buf instanceof Uint8Array)) invalidOption('sg_copy_buffer: buf must be a Uint8Array');
  const n = Math.min(buflen, buf.length);
  const miter = new sg_mapping_iter();
  sg_miter_start(miter, sgl, nents, to_buffer ? SG_MITER_FROM_SG : SG_MITER_TO_SG);
  if (!sg_miter_skip(miter, skip)) return 0;
  let done = 0;
  while (done < n && sg_miter_next(miter)) {
    const len = Math.min(miter.length, n - done);
    const mem = mem_bytes(miter.addr, len);
    if (to_buffer) buf.set(mem, done);
    else mem.set(buf.subarray(done, done + len));
    done += len;
  }
  sg_miter_stop(miter);
  return done;
}

/** sg_copy_from_buffer(): copy `buf` into the list; returns bytes copied. */
export function sg_copy_from_buffer(sgl: sg_list, nents: number, buf: Uint8Array, buflen: number): number {
  return sg_copy_buffer(sgl, nents, buf, buflen, 0, false);
}

/** sg_copy_to_buffer(): copy the list into `buf`; returns bytes copied. */
export function sg_copy_to_buffer(sgl: sg_list, nents: number, buf: Uint8Array, buflen: number): number {
  return sg_copy_buffer(sgl, nents, buf, buflen, 0, true);
}

/** sg_pcopy_from_buffer(): copy `buf` into the list from its byte `skip`. */
export function sg_pcopy_from_buffer(
  sgl: sg_list,
  nents: number,
  buf: Uint8Array,
  buflen: number,
  skip: number,
): number {
  return sg_copy_buffer(sgl, nents, buf, buflen, skip, false);
}

/** sg_pcopy_to_buffer(): copy the list from its byte `skip` into `buf`. */
export function sg_pcopy_to_buffer(sgl: sg_list, nents: number, buf: Uint8Array, buflen: number, skip: number): number {
  return sg_copy_buffer(sgl, nents, buf, buflen, skip, true);
}

/** sg_zero_buffer(): zero `buflen` bytes of the list from its byte `skip`; returns bytes zeroed. */
export function sg_zero_buffer(sgl: sg_list, nents: number, buflen: number, skip: number): number {
  const miter = new sg_mapping_iter();
  sg_miter_start(miter, sgl, nents, SG_MITER_TO_SG);
  if (!sg_miter_skip(miter, skip)) return 0;
  let done = 0;
  while (done < buflen && sg_miter_next(miter)) {
    const len = Math.min(miter.length, buflen - done);
    mem_bytes(miter.addr, len).fill(0);
    done += len;
  }
  sg_miter_stop(miter);
  return done;
}

/* ---- sg_split ---- */

interface split_part {
  first: scatterlist | null;
  nents: number;
  skip_first: number;
  last_len: number;
}

/* Where each part starts and ends, over the CPU lengths or (mapped) the DMA lengths. */
function split_plan(
  in_sg: scatterlist,
  nents: number,
  skip0: number,
  sizes: readonly number[],
  parts: split_part[],
  mapped: boolean,
): number {
  let nb = parts.length;
  let k = 0;
  let want = sizes[0]!;
  let skip = skip0;
  for (const p of parts) {
    p.first = null;
    p.nents = 0;
  }
  for (const sg of for_each_sg(in_sg, nents)) {
    const sglen = mapped ? sg.dma_length : sg.length;
    if (skip > sglen) {
      skip -= sglen;
      continue;
    }
    let part = parts[k]!;
    let len = Math.min(want, sglen - skip);
    if (!part.first) {
      part.first = sg;
      part.skip_first = skip;
    }
    want -= len;
    part.nents++;
    part.last_len = len;
    // Several parts may end inside this one entry.
    while (!want && skip + len < sglen && --nb > 0) {
      part = parts[++k]!;
      want = sizes[k]!;
      skip += len;
      len = Math.min(want, sglen - skip);
      part.first = sg;
      part.skip_first = skip;
      part.nents = 1;
      part.last_len = len;
      want -= len;
    }
    skip = 0;
    if (!want && --nb > 0) want = sizes[++k]!;
    if (!nb) break;
  }
  return want || !parts[0]!.first ? -EINVAL : 0;
}

/**
 * sg_split(): split the bytes [skip, skip + sum(split_sizes)) of `in_sg` into
 * `nb_splits` new lists, stored in `out` (each an array; `out[i][0]` is its
 * first entry), and their entry counts in `out_mapped_nents`. With
 * `in_mapped_nents` (the count dma_map_sg returned), the parts also carry their
 * share of the bus ranges; otherwise their sg_dma fields are 0. Returns 0, or
 * -EINVAL when the sizes run past the list. Differs: each entry after a part's
 * first keeps its offset (the kernel sets it to 0, losing data of entries that
 * start inside their page).
 */
export function sg_split(
  in_sg: scatterlist,
  in_mapped_nents: number,
  skip: number,
  nb_splits: number,
  split_sizes: readonly number[],
  out: scatterlist[][],
  out_mapped_nents: number[] | null,
  gfp_mask: gfp_t,
): number {
  if (!(in_sg instanceof scatterlist)) invalidOption('sg_split: in must be a scatterlist entry');
  if (
    !Number.isSafeInteger(nb_splits) ||
    nb_splits <= 0 ||
    !Array.isArray(split_sizes) ||
    split_sizes.length < nb_splits
  )
    invalidOption(`sg_split: nb_splits ${String(nb_splits)} needs as many split sizes`);
  if (!Array.isArray(out)) invalidOption('sg_split: out must be an array');
  might_alloc(gfp_mask, 'lib/sg_split.c sg_split');
  const parts: split_part[] = [];
  for (let i = 0; i < nb_splits; i++) parts.push({ first: null, nents: 0, skip_first: 0, last_len: 0 });
  let ret = split_plan(in_sg, sg_nents(in_sg), skip, split_sizes, parts, false);
  if (ret < 0 || parts.some((p) => p.nents === 0)) return -EINVAL;
  const lists: scatterlist[][] = parts.map((p) => {
    const arr: scatterlist[] = [];
    sg_init_table(arr, p.nents);
    let src = p.first;
    for (let j = 0; j < p.nents && src; j++, src = sg_next(src)) {
      const d = arr[j]!;
      d.page_link = src.page_link;
      d.offset = src.offset + (j === 0 ? p.skip_first : 0);
      d.length = src.length - (j === 0 ? p.skip_first : 0);
    }
    arr[p.nents - 1]!.length = p.last_len;
    return arr;
  });
  const cpu_nents = parts.map((p) => p.nents);
  if (in_mapped_nents) {
    ret = split_plan(in_sg, in_mapped_nents, skip, split_sizes, parts, true);
    if (ret < 0 || parts.some((p, i) => p.nents === 0 || p.nents > cpu_nents[i]!)) return -EINVAL;
    parts.forEach((p, i) => {
      const arr = lists[i]!;
      let src = p.first;
      for (let j = 0; j < p.nents && src; j++, src = sg_next(src)) {
        arr[j]!.dma_address = src.dma_address + (j === 0 ? p.skip_first : 0);
        arr[j]!.dma_length = src.dma_length - (j === 0 ? p.skip_first : 0);
      }
      arr[p.nents - 1]!.dma_length = p.last_len;
    });
  }
  for (let i = 0; i < nb_splits; i++) {
    out[i] = lists[i]!;
    if (out_mapped_nents) out_mapped_nents[i] = parts[i]!.nents;
  }
  return 0;
}

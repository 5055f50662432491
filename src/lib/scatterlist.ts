/*
 * lib/scatterlist.c + include/linux/scatterlist.h.
 *
 * A scatterlist entry is an object; an sg list is an array of them, and each
 * entry knows its array and index, so sg_next() is O(1) as the kernel's sg++.
 * The kernel keeps the end (and chain) marker in page_link's low bits; here the
 * page pointer (a struct page number, see mm/page.ts) is `page_link` and the end
 * marker is a field of its own. Chaining (sg_chain) is not needed: an sg_table
 * of any size is one array.
 *
 * sg_dma_address / sg_dma_len are fields of their own (dma_address,
 * dma_length), never aliases of offset/length (CONFIG_NEED_SG_DMA_LENGTH), so a
 * driver that mixes them up sees wrong values, as on an IOMMU system.
 */
import { EINVAL } from '../include/linux/errno.ts';
import type { gfp_t } from '../include/linux/gfp.ts';
import { BUG } from '../kernel/panic.ts';
import { page_address, page_to_phys, offset_in_page, __virt_to_page, devmem_page_check } from '../mm/page.ts';
import { fmt_p } from './vsprintf.ts';
import { DmashimError, invalidOption } from './errors.ts';

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

/** sg_mark_end(): make this the last entry. */
export function sg_mark_end(sg: scatterlist): void {
  sg.end = true;
}

/** sg_unmark_end() */
export function sg_unmark_end(sg: scatterlist): void {
  sg.end = false;
}

/** sg_is_last() */
export function sg_is_last(sg: scatterlist): boolean {
  return sg.end;
}

/** sg_next(): the next entry, or null after the last. O(1). */
export function sg_next(sg: scatterlist): scatterlist | null {
  if (sg.end) return null;
  return sg.arr[sg.idx + 1] ?? null;
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

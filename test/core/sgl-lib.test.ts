/*
 * The scatterlist library of the TypeScript core (src/lib/scatterlist.ts) with
 * the kernel's behaviour: chained lists, tables from page arrays with
 * contiguous pages merged and append tables growing their last entry, sgl_alloc
 * sizes, copies and zeroing over a chained multi-page list, the page and
 * mapping iterators, and sg_split.
 */
import { describe, it, expect } from 'vitest';
import { GFP_KERNEL, type Machine } from '../../src/index.ts';
import {
  type scatterlist,
  sg_table,
  sg_append_table,
  sg_init_table,
  sg_set_buf,
  sg_set_page,
  sg_chain,
  sg_is_chain,
  sg_chain_ptr,
  sg_next,
  sg_nents,
  sg_nents_for_len,
  sg_last,
  sg_mark_end,
  sg_is_last,
  sg_page,
  sg_virt,
  sg_alloc_table_from_pages,
  sg_alloc_table_from_pages_segment,
  sg_alloc_append_table_from_pages,
  sg_free_append_table,
  sgl_alloc,
  sgl_alloc_order,
  sgl_free,
  sgl_free_order,
  sg_copy_from_buffer,
  sg_copy_to_buffer,
  sg_pcopy_to_buffer,
  sg_pcopy_from_buffer,
  sg_zero_buffer,
  for_each_sg,
  for_each_sg_page,
  for_each_sgtable_page,
  sg_page_iter_page,
  sg_mapping_iter,
  sg_miter_start,
  sg_miter_next,
  sg_miter_skip,
  sg_miter_stop,
  SG_MITER_ATOMIC,
  SG_MITER_FROM_SG,
  SG_MITER_TO_SG,
  SG_MAX_SINGLE_ALLOC,
  sg_split,
  type sg_page_iter,
  type nent_ref,
} from '../../src/lib/scatterlist.ts';
import { alloc_pages, page_address, STRUCT_PAGE_SIZE, virt_to_page } from '../../src/mm/page.ts';
import { mem_bytes } from '../../src/arch/sim/io.ts';
import { in_atomic, context_reset } from '../../src/kernel/sched/context.ts';
import { machine, logged } from '../dma-api/helpers.ts';

const PAGE = 4096;

/** 2^order contiguous pages of `m`: their CPU address and struct pages. */
function run_of(m: Machine, order: number): { va: number; pages: number[] } {
  const first = alloc_pages(GFP_KERNEL, order, m);
  expect(first).not.toBe(0);
  const pages: number[] = [];
  for (let i = 0; i < 2 ** order; i++) pages.push(first + i * STRUCT_PAGE_SIZE);
  return { va: page_address(first), pages };
}

/** The page of each step (the iterator is one object, advanced in place: read it inside the loop). */
function pages_of(it: Iterable<sg_page_iter>): number[] {
  const got: number[] = [];
  for (const p of it) got.push(sg_page_iter_page(p));
  return got;
}

/** Five data entries over two chained arrays, two of them crossing a page; their CPU starts. */
function chained(va: number): { a: scatterlist[]; b: scatterlist[]; starts: number[] } {
  const a: scatterlist[] = [];
  const b: scatterlist[] = [];
  sg_init_table(a, 3);
  sg_init_table(b, 3);
  const starts = [va + 10, va + PAGE - 300, va + 3 * PAGE + 3500, va + 5 * PAGE, va + 6 * PAGE + 7];
  sg_set_buf(a[0]!, starts[0]!, 1000);
  sg_set_buf(a[1]!, starts[1]!, 1000);
  sg_chain(a, 3, b);
  sg_set_page(b[0]!, virt_to_page(va + 3 * PAGE), 1000, 3500);
  sg_set_buf(b[1]!, starts[3]!, 1000);
  sg_set_buf(b[2]!, starts[4]!, 1000);
  return { a, b, starts };
}

describe('chained lists', () => {
  it('sg_chain links two arrays; the chain entry is no data entry', () => {
    const m = machine();
    const { va } = run_of(m, 3);
    const { a, b } = chained(va);
    expect(sg_is_chain(a[2]!)).toBe(true);
    expect(sg_chain_ptr(a[2]!)).toBe(b[0]);
    expect(a[2]!.length).toBe(0);
    expect(sg_next(a[1]!)).toBe(b[0]);
    expect(sg_nents(a)).toBe(5);
    expect([...for_each_sg(a, 5)].map((s) => s.length)).toEqual([1000, 1000, 1000, 1000, 1000]);
    expect(sg_last(a, 5)).toBe(b[2]);
    expect(sg_nents_for_len(a, 2001)).toBe(3);
    expect(sg_nents_for_len(a, 5001)).toBe(-22);
    expect(sg_nents_for_len(a, 0)).toBe(0);
    // sg_mark_end on the chain entry ends the list there (it stops being a chain entry).
    sg_mark_end(a[1]!);
    expect(sg_nents(a)).toBe(2);
  });

  it('sg_last BUGs when entry nents-1 is not the end', () => {
    const a: scatterlist[] = [];
    sg_init_table(a, 4);
    expect(() => sg_last(a, 3)).toThrow(/BUG_ON\(!sg_is_last\(ret\)\)/);
    expect(SG_MAX_SINGLE_ALLOC).toBe(128);
  });
});

describe('tables from page arrays', () => {
  it('contiguous pages merge; offset and size trim the first and last entry', () => {
    const m = machine();
    const run = run_of(m, 3).pages;
    const lone = alloc_pages(GFP_KERNEL, 0, m);
    const t = new sg_table();
    const pages = [run[0]!, run[1]!, run[2]!, lone, run[3]!];
    expect(sg_alloc_table_from_pages(t, pages, 5, 100, 5 * PAGE - 300, GFP_KERNEL)).toBe(0);
    expect(t.orig_nents).toBe(3);
    expect(t.nents).toBe(3);
    const got = [...for_each_sg(t.sgl!, 3)].map((s) => [sg_page(s), s.offset, s.length]);
    expect(got).toEqual([
      [run[0], 100, 3 * PAGE - 100],
      [lone, 0, PAGE],
      [run[3], 0, PAGE - 200],
    ]);
    expect(sg_is_last(sg_last(t.sgl!, 3))).toBe(true);
  });

  it('max_segment splits runs, rounded down to pages; below a page it WARNs -EINVAL', () => {
    const m = machine();
    const run = run_of(m, 3).pages;
    const t = new sg_table();
    expect(sg_alloc_table_from_pages_segment(t, run, 8, 0, 8 * PAGE, 2 * PAGE + 100, GFP_KERNEL)).toBe(0);
    expect([...for_each_sg(t.sgl!, t.orig_nents)].map((s) => s.length)).toEqual([
      2 * PAGE,
      2 * PAGE,
      2 * PAGE,
      2 * PAGE,
    ]);
    expect(sg_alloc_table_from_pages(t, run, 8, 0, 8 * PAGE, GFP_KERNEL)).toBe(0);
    expect(t.orig_nents).toBe(1);
    let rc = 0;
    const log = logged(() => {
      rc = sg_alloc_table_from_pages_segment(t, run, 8, 0, 8 * PAGE, 100, GFP_KERNEL);
    });
    expect(rc).toBe(-22);
    expect(log).toContain('WARN_ON(max_segment < PAGE_SIZE)');
  });

  it('append: contiguous pages grow the last entry, others start one, the last call ends it', () => {
    const m = machine();
    const run = run_of(m, 3).pages;
    const lone = alloc_pages(GFP_KERNEL, 0, m);
    const app = new sg_append_table();
    expect(sg_alloc_append_table_from_pages(app, run.slice(0, 2), 2, 0, 2 * PAGE, 0xffffffff, 6, GFP_KERNEL)).toBe(0);
    expect(app.sgt.nents).toBe(1);
    expect(sg_is_last(app.prv!)).toBe(false);
    expect(sg_alloc_append_table_from_pages(app, run.slice(2, 4), 2, 0, 2 * PAGE, 0xffffffff, 4, GFP_KERNEL)).toBe(0);
    expect(app.sgt.nents).toBe(1);
    expect(app.sgt.sgl!.length).toBe(4 * PAGE);
    expect(sg_alloc_append_table_from_pages(app, [lone], 1, 0, PAGE, 0xffffffff, 3, GFP_KERNEL)).toBe(0);
    expect(app.sgt.nents).toBe(2);
    let rc = 0;
    const log = logged(() => {
      rc = sg_alloc_append_table_from_pages(app, [run[4]!], 1, 8, PAGE, 0xffffffff, 2, GFP_KERNEL);
    });
    expect(rc).toBe(-22);
    expect(log).toContain('WARN_ON(offset)');
    expect(sg_alloc_append_table_from_pages(app, run.slice(4, 6), 2, 0, 2 * PAGE, 0xffffffff, 0, GFP_KERNEL)).toBe(0);
    expect(app.sgt.orig_nents).toBe(3);
    expect(sg_is_last(app.prv!)).toBe(true);
    expect(sg_nents(app.sgt.sgl!)).toBe(3);
    // The merge respects max_segment too.
    const capped = new sg_append_table();
    sg_alloc_append_table_from_pages(capped, run.slice(0, 2), 2, 0, 2 * PAGE, 3 * PAGE, 2, GFP_KERNEL);
    sg_alloc_append_table_from_pages(capped, run.slice(2, 4), 2, 0, 2 * PAGE, 3 * PAGE, 0, GFP_KERNEL);
    expect([...for_each_sg(capped.sgt.sgl!, capped.sgt.nents)].map((s) => s.length)).toEqual([3 * PAGE, PAGE]);
    sg_free_append_table(app);
    expect(app.sgt.sgl).toBeNull();
  });
});

describe('sgl_alloc', () => {
  it('one page per entry, the last holds the remainder', () => {
    const m = machine();
    const n: nent_ref = { value: 0 };
    const sgl = sgl_alloc(3 * PAGE + 100, GFP_KERNEL, n, m);
    expect(n.value).toBe(4);
    expect(sg_nents(sgl!)).toBe(4);
    expect([...for_each_sg(sgl!, 4)].map((s) => s.length)).toEqual([PAGE, PAGE, PAGE, 100]);
    expect(new Set([...for_each_sg(sgl!, 4)].map((s) => sg_page(s))).size).toBe(4);
    sgl_free(sgl);
    // Freed: freeing again is a double free of each page.
    expect(logged(() => sgl_free(sgl)).match(/BUG: Bad page state/g)?.length).toBe(4);
    expect(sgl_alloc(0, GFP_KERNEL, n, m)).toBeNull();
  });

  it('order 1, chainable: 2-page entries and a spare entry carrying the end marker', () => {
    const m = machine();
    const n: nent_ref = { value: 0 };
    const sgl = sgl_alloc_order(5 * PAGE, 1, true, GFP_KERNEL, n, m)!;
    expect(n.value).toBe(3);
    const all = sgl.arr;
    expect(all.length).toBe(4);
    expect(all.map((s) => s.length)).toEqual([2 * PAGE, 2 * PAGE, PAGE, 0]);
    expect(sg_page(all[3]!)).toBe(0);
    expect(sg_is_last(all[3]!)).toBe(true);
    expect(sg_is_last(all[2]!)).toBe(false);
    sgl_free_order(sgl, 1);
  });
});

describe('copies over a chained multi-page list', () => {
  it('copy in, copy out with skips, zero a range', () => {
    const m = machine();
    const { va } = run_of(m, 3);
    mem_bytes(va, 8 * PAGE).fill(0);
    const { a, starts } = chained(va);
    const lin = new Uint8Array(5000).map((_, i) => (i * 7 + 1) & 0xff);
    expect(sg_copy_from_buffer(a, 5, lin, lin.length)).toBe(5000);
    for (let e = 0; e < 5; e++) expect(mem_bytes(starts[e]!, 1000)).toEqual(lin.subarray(e * 1000, e * 1000 + 1000));
    expect(mem_bytes(va + 9, 1)[0]).toBe(0);
    expect(mem_bytes(va + 1010, 1)[0]).toBe(0);

    const out = new Uint8Array(2000);
    expect(sg_pcopy_to_buffer(a, 5, out, 2000, 1500)).toBe(2000);
    expect(out).toEqual(lin.subarray(1500, 3500));
    expect(sg_pcopy_to_buffer(a, 5, out, 2000, 4500)).toBe(500);
    expect(sg_pcopy_to_buffer(a, 5, out, 10, 6000)).toBe(0);
    expect(sg_copy_to_buffer(a, 2, new Uint8Array(5000), 5000)).toBe(2000);
    expect(sg_pcopy_from_buffer(a, 5, new Uint8Array([0xee, 0xee, 0xee]), 3, 999)).toBe(3);
    expect(mem_bytes(starts[1]!, 2)).toEqual(new Uint8Array([0xee, 0xee]));

    expect(sg_zero_buffer(a, 5, 1200, 1900)).toBe(1200);
    const back = new Uint8Array(5000);
    sg_copy_to_buffer(a, 5, back, 5000);
    const want = lin.map((v, i) => (i >= 1900 && i < 3100 ? 0 : v));
    expect(back.subarray(1002)).toEqual(want.subarray(1002));
  });
});

describe('iterators', () => {
  it('for_each_sg_page yields each page an entry touches, from a page offset', () => {
    const m = machine();
    const { va, pages } = run_of(m, 3);
    const sg: scatterlist[] = [];
    sg_init_table(sg, 2);
    sg_set_page(sg[0]!, pages[0]!, 3 * PAGE, 100);
    sg_set_buf(sg[1]!, va + 6 * PAGE + 5, 10);
    expect(pages_of(for_each_sg_page(sg, 2, 0))).toEqual([pages[0], pages[1], pages[2], pages[3], pages[6]]);
    expect([...for_each_sg_page(sg, 2, 2)].length).toBe(3);
    expect([...for_each_sg_page(sg, 1, 0)].length).toBe(4);
    const { a } = chained(va);
    expect([...for_each_sg_page(a, 5, 0)].length).toBe(7);
    const t = new sg_table();
    sg_alloc_table_from_pages(t, pages, 8, 0, 8 * PAGE, GFP_KERNEL);
    expect(pages_of(for_each_sgtable_page(t, 0))).toEqual(pages);
  });

  it('sg_miter: pieces within pages, consumed, skip, and the atomic section', () => {
    const m = machine();
    const { va, pages } = run_of(m, 3);
    const sg: scatterlist[] = [];
    sg_init_table(sg, 2);
    sg_set_page(sg[0]!, pages[0]!, 3 * PAGE, 100);
    sg_set_buf(sg[1]!, va + 6 * PAGE + 5, 10);
    const mi = new sg_mapping_iter();
    const pieces: Array<[number, number]> = [];
    sg_miter_start(mi, sg, 2, SG_MITER_FROM_SG);
    while (sg_miter_next(mi)) pieces.push([mi.addr - va, mi.length]);
    sg_miter_stop(mi);
    expect(pieces).toEqual([
      [100, PAGE - 100],
      [PAGE, PAGE],
      [2 * PAGE, PAGE],
      [3 * PAGE, 100],
      [6 * PAGE + 5, 10],
    ]);

    sg_miter_start(mi, sg, 2, SG_MITER_TO_SG);
    sg_miter_next(mi);
    mi.consumed = 50;
    sg_miter_next(mi);
    expect([mi.addr - va, mi.length]).toEqual([150, PAGE - 150]);
    expect(sg_miter_skip(mi, 1000)).toBe(true);
    sg_miter_next(mi);
    expect([mi.addr - va, mi.length]).toEqual([PAGE + 1000, PAGE - 1000]);
    expect(sg_miter_skip(mi, 4 * PAGE)).toBe(false);
    sg_miter_stop(mi);

    context_reset();
    sg_miter_start(mi, sg, 2, SG_MITER_ATOMIC | SG_MITER_FROM_SG);
    sg_miter_next(mi);
    expect(in_atomic()).toBe(true);
    expect(logged(() => alloc_pages(GFP_KERNEL, 0, m))).toContain('BUG: sleeping function called from invalid context');
    sg_miter_stop(mi);
    expect(in_atomic()).toBe(false);
    const { a } = chained(va);
    let total = 0;
    sg_miter_start(mi, a, 5, SG_MITER_FROM_SG);
    while (sg_miter_next(mi)) total += mi.length;
    expect(total).toBe(5000);
    expect(logged(() => sg_miter_start(mi, a, 5, 0))).toContain(
      'WARN_ON(!(flags & (SG_MITER_TO_SG | SG_MITER_FROM_SG)))',
    );
  });
});

describe('sg_split', () => {
  it('splits bytes [skip, skip + sizes) into new lists', () => {
    const m = machine();
    const { va } = run_of(m, 1);
    const inl: scatterlist[] = [];
    sg_init_table(inl, 3);
    sg_set_buf(inl[0]!, va, 1000);
    sg_set_buf(inl[1]!, va + 2000, 1000);
    sg_set_buf(inl[2]!, va + PAGE + 16, 1000);
    const out: scatterlist[][] = [];
    const counts: number[] = [];
    expect(sg_split(inl[0]!, 0, 500, 2, [700, 1200], out, counts, GFP_KERNEL)).toBe(0);
    expect(counts).toEqual([2, 2]);
    expect(out[0]!.map((s) => [sg_virt(s) - va, s.length])).toEqual([
      [500, 500],
      [2000, 200],
    ]);
    expect(out[1]!.map((s) => [sg_virt(s) - va, s.length])).toEqual([
      [2200, 800],
      [PAGE + 16, 400],
    ]);
    expect(sg_is_last(out[0]![1]!)).toBe(true);
    expect(sg_nents(out[1]!)).toBe(2);
    expect(sg_split(inl[0]!, 0, 500, 2, [700, 5000], out, null, GFP_KERNEL)).toBe(-22);
  });
});

/*
 * mm/page_owner.c, the part we keep: where each page was last freed (the
 * kernel's free_handle), so a page-poisoning report can say where the page
 * was freed. Recorded only while sites are on and page poisoning is (nothing
 * else reads it); the kernel records every allocation and free under
 * page_owner=on.
 */
import { capture_site } from '../lib/stackdepot.ts';
import type { Machine } from '../arch/sim/machine.ts';

/* Per machine: arena page -> where it was last freed. */
const freeSites = new WeakMap<Machine, Map<number, string>>();

/**
 * __reset_page_owner - record where 2^order pages from arena page `page` were
 * freed. Differs: takes the machine and an arena page index, not a struct page.
 */
export function __reset_page_owner(m: Machine, page: number, order: number): void {
  let sites = freeSites.get(m);
  if (!sites) {
    sites = new Map();
    freeSites.set(m, sites);
  }
  const site = capture_site();
  for (let p = page; p < page + (1 << order); p++) sites.set(p, site);
}

/** Where arena page `page` of `m` was last freed, or undefined (our API, for reports). */
export function page_owner_free_site(m: Machine, page: number): string | undefined {
  return freeSites.get(m)?.get(page);
}

/*
 * drivers/iommu/iova.c, simulated: the IOVA allocator of an IOMMU domain. Ranges
 * are aligned to their (power-of-two rounded) size and handed out top-down below
 * a limit; a freed range goes to a per-size cache (the rcache) and is reused from
 * there. Differs: a domain's IOVA space is reclaimed only through that cache, never
 * by merging free ranges.
 */
import { PAGE_SIZE } from '../../mm/page_alloc.ts';
import type { iommu_domain } from './iommu.ts';

/** roundup_pow_of_two() */
export function roundup_pow_of_two(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** alloc_iova_fast(): `len` pages aligned to their power-of-two size, ending at or below limitPfn. Start pfn or -1. */
export function alloc_iova(dom: iommu_domain, len: number, limitPfn: number): number {
  const cached = dom.rcache.get(len);
  if (cached?.length) {
    for (let i = cached.length - 1; i >= 0; i--) {
      const s = cached[i]!;
      if (s + len - 1 <= limitPfn) {
        cached[i] = cached[cached.length - 1]!;
        cached.pop();
        dom.allocs.set(s, len);
        return s;
      }
    }
  }
  const align = roundup_pow_of_two(len);
  const hi = Math.min(dom.top, limitPfn + 1);
  const start = Math.floor((hi - len) / align) * align;
  if (start < Math.ceil(dom.aperture_start / PAGE_SIZE)) return -1;
  dom.top = start;
  dom.allocs.set(start, len);
  return start;
}

/**
 * free_iova_fast(): release the range starting at pfn `start` (its page-table
 * entries with it) into the rcache. Returns its length in pages, 0 when no range starts there.
 */
export function free_iova(dom: iommu_domain, start: number): number {
  const len = dom.allocs.get(start);
  if (len === undefined) return 0;
  dom.allocs.delete(start);
  for (let i = 0; i < len; i++) dom.pt.delete(start + i);
  let l = dom.rcache.get(len);
  if (!l) {
    l = [];
    dom.rcache.set(len, l);
  }
  l.push(start);
  return len;
}

/*
 * mm/page_alloc.c: a buddy allocator per zone, orders 0..MAX_ORDER (10), with the
 * kernel's zone fallback (NORMAL -> DMA32 -> DMA). Everything is indexed by arena
 * page number in typed arrays; exhaustion returns -1 (NULL), never throws.
 *
 * The split policy: the kernel's expand() keeps the lower half of a split block
 * and frees the upper half ("low-first"); the older behaviour handed out the
 * upper half first ("high-first"), which made consecutive allocations
 * physically descending and defeated sg merging.
 */
import { __GFP_DMA, __GFP_DMA32, type gfp_t } from '../include/linux/gfp.ts';

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;
export const MAX_ORDER = 10;
export const NR_ORDERS = MAX_ORDER + 1;

export const ZONE_DMA = 0;
export const ZONE_DMA32 = 1;
export const ZONE_NORMAL = 2;
export const MAX_NR_ZONES = 3;
export const ZONE_NAMES = ['DMA', 'DMA32', 'Normal'] as const;
/** Zone limits in physical address space: DMA below 16 MiB, DMA32 below 4 GiB. */
export const ZONE_DMA_END = 16 * 1024 * 1024;
export const ZONE_DMA32_END = 4 * 1024 * 1024 * 1024;

export type PageOrderPolicy = 'low-first' | 'high-first';

/*
 * Who took a block from the buddy allocator. The kernel tells the same apart by
 * page flags and compound heads (PageSlab, a large kmalloc's folio, ...) and
 * reports a free_pages() of someone else's page as "Bad page state"; here the
 * owner is one byte per block head, checked by every free.
 */
export const PG_OWNER_PAGES = 0; /* alloc_pages / __get_free_pages */
export const PG_OWNER_SLAB = 1; /* a kmalloc slab */
export const PG_OWNER_KMALLOC_LARGE = 2; /* a kmalloc above KMALLOC_MAX_CACHE_SIZE */
export const PG_OWNER_VMALLOC = 3;
export const PG_OWNER_DMA_COHERENT = 4; /* dma_alloc_coherent's direct allocation (dma_pool pages too) */
export const PG_OWNER_SWIOTLB = 5;
export const PG_OWNER_IOMMU = 6; /* dma_alloc_coherent behind the IOMMU */
/** What owns a block, and how it is freed, by PG_OWNER_* (for reports). */
export const PG_OWNER_NAMES = [
  'alloc_pages (free it with __free_pages / free_pages)',
  'a kmalloc slab (free its objects with kfree)',
  'a large kmalloc buffer (free it with kfree)',
  'vmalloc (free it with vfree)',
  'dma_alloc_coherent, or a dma_pool page (free it with dma_free_coherent / dma_pool_free)',
  'the swiotlb bounce pool',
  'dma_alloc_coherent behind an IOMMU (free it with dma_free_coherent)',
] as const;

/** A run of arena pages with contiguous physical frames inside one zone. */
export interface PageSegment {
  zone: number;
  first: number /* first arena page index */;
  end: number /* one past the last */;
  pfn0: number /* physical frame number of `first` */;
}

export interface ZoneStats {
  name: string;
  present_pages: number;
  free_pages: number;
  /** Free blocks per order (like /proc/buddyinfo). */
  free_blocks: number[];
  allocs: number;
  frees: number;
  failures: number;
}

/** Order of the smallest block that holds `size` bytes (kernel get_order). */
export function get_order(size: number): number {
  let order = 0;
  let span = PAGE_SIZE;
  while (span < size) {
    span *= 2;
    order++;
  }
  return order;
}

export class BuddyAllocator {
  readonly nPages: number;
  policy: PageOrderPolicy;
  readonly segments: PageSegment[];
  /* Free-list links per page (arena page index, -1 = none). */
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  /* order+1 of a free block head, 0 otherwise. */
  private readonly freeOrder: Int8Array;
  /* order+1 of an allocated block head, 0 otherwise (to check frees). */
  readonly allocOrder: Int8Array;
  /* PG_OWNER_* of an allocated block head. */
  private readonly owner: Uint8Array;
  /* heads[zone * NR_ORDERS + order] */
  private readonly heads: Int32Array;
  /*
   * The boot-time MAX_ORDER blocks of each zone that no one has taken yet, in the
   * order boot freed them: they sit behind the linked part of their free list
   * (later frees go in front), the last one first. Linking 512 blocks of a
   * 2 GiB machine would touch a page of each per-page array per block, which
   * costs a small program's start more than everything it runs; a MAX_ORDER
   * block never merges, so nothing needs to find one of these by its page.
   */
  private readonly boot: Int32Array[] = [];
  private readonly bootTop: Int32Array;
  private readonly nrFree: Float64Array;
  private readonly present: Float64Array;
  private readonly freeBlocks: Int32Array;
  private readonly stat = { allocs: [0, 0, 0], frees: [0, 0, 0], failures: [0, 0, 0] };
  /**
   * Called after a block is handed out / before it goes back: post_alloc_hook's
   * and free_pages_prepare's debug steps. One slot each, set once at boot by
   * mm/page_poison's init_mem_debugging_and_hardening (which states their order).
   */
  onAlloc: ((page: number, order: number) => void) | null = null;
  onFree: ((page: number, order: number) => void) | null = null;
  /**
   * Called when a boot-time MAX_ORDER block is handed out for the first time,
   * before its pages are split or touched. No kernel counterpart: a pure-TS
   * machine tells the JavaScript GC how much of its arena may be in use
   * (arch/sim/machine.ts).
   */
  onFirstUse: (() => void) | null = null;

  constructor(nPages: number, segments: PageSegment[], policy: PageOrderPolicy) {
    this.nPages = nPages;
    this.policy = policy;
    this.segments = segments;
    this.next = new Int32Array(nPages);
    this.prev = new Int32Array(nPages);
    this.freeOrder = new Int8Array(nPages);
    this.allocOrder = new Int8Array(nPages);
    this.owner = new Uint8Array(nPages);
    this.heads = new Int32Array(MAX_NR_ZONES * NR_ORDERS).fill(-1);
    this.nrFree = new Float64Array(MAX_NR_ZONES);
    this.present = new Float64Array(MAX_NR_ZONES);
    this.freeBlocks = new Int32Array(MAX_NR_ZONES * NR_ORDERS);
    this.bootTop = new Int32Array(MAX_NR_ZONES);
    const boot: number[][] = [[], [], []];
    for (const s of segments) {
      this.present[s.zone]! += s.end - s.first;
      // Free the segment as the largest naturally aligned blocks that fit.
      let p = s.first;
      while (p < s.end) {
        const pfn = s.pfn0 + (p - s.first);
        let o = MAX_ORDER;
        while (o > 0 && ((pfn & ((1 << o) - 1)) !== 0 || p + (1 << o) > s.end)) o--;
        if (o === MAX_ORDER) {
          boot[s.zone]!.push(p);
          this.nrFree[s.zone]! += 1 << o;
          this.freeBlocks[s.zone * NR_ORDERS + o]!++;
        } else this.pushFree(s.zone, p, o);
        p += 1 << o;
      }
    }
    for (let z = 0; z < MAX_NR_ZONES; z++) {
      this.boot.push(Int32Array.from(boot[z]!));
      this.bootTop[z] = boot[z]!.length;
    }
  }

  /** Pages in boot-time MAX_ORDER blocks that no one has taken yet (never touched since boot). */
  bootPagesLeft(): number {
    let n = 0;
    for (let z = 0; z < MAX_NR_ZONES; z++) n += this.bootTop[z]!;
    return n << MAX_ORDER;
  }

  /* Index+1 of the segment holding `page`, 0 for pages that are not RAM or are reserved (a machine has a few). */
  private segOf(page: number): number {
    const segs = this.segments;
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      if (page >= s.first && page < s.end) return i + 1;
    }
    return 0;
  }

  private pushFree(zone: number, page: number, order: number): void {
    const h = zone * NR_ORDERS + order;
    const head = this.heads[h]!;
    this.next[page] = head;
    this.prev[page] = -1;
    if (head >= 0) this.prev[head] = page;
    this.heads[h] = page;
    this.freeOrder[page] = order + 1;
    this.nrFree[zone]! += 1 << order;
    this.freeBlocks[h]!++;
  }

  private unlinkFree(zone: number, page: number, order: number): void {
    const h = zone * NR_ORDERS + order;
    const n = this.next[page]!;
    const p = this.prev[page]!;
    if (p >= 0) this.next[p] = n;
    else this.heads[h] = n;
    if (n >= 0) this.prev[n] = p;
    this.freeOrder[page] = 0;
    this.nrFree[zone]! -= 1 << order;
    this.freeBlocks[h]!--;
  }

  /** Allocate 2^order pages from exactly this zone; arena page index or -1. */
  allocFromZone(zone: number, order: number, owner = PG_OWNER_PAGES): number {
    if (!(order <= MAX_ORDER)) return -1;
    let o = order;
    while (o < MAX_ORDER && this.heads[zone * NR_ORDERS + o]! < 0) o++;
    let page = this.heads[zone * NR_ORDERS + o]!;
    if (page >= 0) this.unlinkFree(zone, page, o);
    else {
      // Only MAX_ORDER can be empty here: its list goes on with the blocks boot freed.
      const top = this.bootTop[zone]!;
      if (top === 0) return -1;
      this.bootTop[zone] = top - 1;
      page = this.boot[zone]![top - 1]!;
      this.nrFree[zone]! -= 1 << o;
      this.freeBlocks[zone * NR_ORDERS + o]!--;
      if (this.onFirstUse) this.onFirstUse();
    }
    while (o > order) {
      o--;
      const upper = page + (1 << o);
      if (this.policy === 'low-first') {
        this.pushFree(zone, upper, o);
      } else {
        this.pushFree(zone, page, o);
        page = upper;
      }
    }
    this.allocOrder[page] = order + 1;
    this.owner[page] = owner;
    this.stat.allocs[zone]!++;
    if (this.onAlloc) this.onAlloc(page, order);
    return page;
  }

  /**
   * Allocate with the kernel's zone choice and fallback: __GFP_DMA -> DMA only;
   * __GFP_DMA32 -> DMA32 then DMA; otherwise NORMAL, DMA32, DMA. `maxZone` can
   * narrow it further (a mask that only reaches a lower zone).
   */
  alloc(gfp: gfp_t, order: number, maxZone = ZONE_NORMAL, owner = PG_OWNER_PAGES): number {
    // A fractional or NaN order would split blocks into pieces no free can merge back.
    if (!Number.isInteger(order) || order < 0 || order > MAX_ORDER) return -1;
    let top = gfp & __GFP_DMA ? ZONE_DMA : gfp & __GFP_DMA32 ? ZONE_DMA32 : ZONE_NORMAL;
    if (maxZone < top) top = maxZone;
    for (let z = top; z >= 0; z--) {
      const p = this.allocFromZone(z, order, owner);
      if (p >= 0) return p;
    }
    this.stat.failures[top]!++;
    return -1;
  }

  /**
   * Free a block allocated with `order` by `owner`. Returns false (and frees
   * nothing) when `page` is not the head of a live allocation of that order and
   * owner: the caller reports it.
   */
  free(page: number, order: number, owner = PG_OWNER_PAGES): boolean {
    if (!Number.isInteger(page) || page < 0 || page >= this.nPages) return false;
    if (this.allocOrder[page] !== order + 1 || this.owner[page] !== owner) return false;
    if (this.onFree) this.onFree(page, order);
    this.allocOrder[page] = 0;
    const s = this.segments[this.segOf(page) - 1]!;
    this.stat.frees[s.zone]!++;
    let pfn = s.pfn0 + (page - s.first);
    let o = order;
    while (o < MAX_ORDER) {
      const buddyPfn = pfn ^ (1 << o);
      const buddy = page + (buddyPfn - pfn);
      if (buddy < s.first || buddy + (1 << o) > s.end) break;
      if (this.freeOrder[buddy] !== o + 1) break;
      this.unlinkFree(s.zone, buddy, o);
      if (buddy < page) {
        page = buddy;
        pfn = buddyPfn;
      }
      o++;
    }
    this.pushFree(s.zone, page, o);
    return true;
  }

  /** PG_OWNER_* of the live allocation whose head is `page`, or -1 when none starts there. */
  ownerOf(page: number): number {
    return page >= 0 && page < this.nPages && this.allocOrder[page]! > 0 ? this.owner[page]! : -1;
  }

  /** Order of the live allocation whose head is `page`, or -1. */
  orderOf(page: number): number {
    return page >= 0 && page < this.nPages ? this.allocOrder[page]! - 1 : -1;
  }

  zoneOf(page: number): number {
    const si = this.segOf(page);
    return si ? this.segments[si - 1]!.zone : -1;
  }

  zoneStats(zone: number): ZoneStats {
    const free_blocks: number[] = [];
    for (let o = 0; o <= MAX_ORDER; o++) free_blocks.push(this.freeBlocks[zone * NR_ORDERS + o]!);
    return {
      name: ZONE_NAMES[zone]!,
      present_pages: this.present[zone]!,
      free_pages: this.nrFree[zone]!,
      free_blocks,
      allocs: this.stat.allocs[zone]!,
      frees: this.stat.frees[zone]!,
      failures: this.stat.failures[zone]!,
    };
  }

  /** /proc/buddyinfo-style text. */
  buddyinfo(): string {
    let out = '';
    for (let z = 0; z < MAX_NR_ZONES; z++) {
      if (!this.present[z]) continue;
      const st = this.zoneStats(z);
      out += `Node 0, zone ${st.name.padStart(8)} ` + st.free_blocks.map((n) => String(n).padStart(6)).join(' ') + '\n';
    }
    return out;
  }
}

/*
 * struct page and the page-level allocator entry points (include/linux/mm.h,
 * gfp.h, mm/page_alloc.c's alloc_pages / __get_free_pages / free_pages), and
 * the address conversions (virt_to_phys, phys_to_virt, virt_to_page, page_address).
 *
 * A `struct page *` is a number, as in C, in a vmemmap window of its own:
 *   page = VMEMMAP_START + machine_slot * 2^42 + pfn * 64   (64 = sizeof(struct page))
 * so it is never a valid phys, bus or CPU virtual address (phys and bus stay below
 * 2^48 + offset, vaddrs start at 2^52), it crosses the C bridge as a plain number,
 * page + 64 is the next page's struct page as pointer arithmetic in C would give,
 * and NULL (0) is "no page". The struct has no fields to read: use page_to_pfn,
 * page_address, page_to_phys.
 */
import { might_alloc } from '../kernel/sched/context.ts';
import { fault_inject_armed, should_fail } from '../lib/fault-inject.ts';
import { machine_of, default_machine, type Machine } from '../arch/sim/machine.ts';
import { PAGE_SIZE, MAX_ORDER, PG_OWNER_PAGES, PG_OWNER_NAMES } from './page_alloc.ts';
import { report_site } from '../lib/stackdepot.ts';
import { __GFP_ZERO, __GFP_NOWARN, type gfp_t } from '../include/linux/gfp.ts';
import { printk_level, KERN_WARNING, KERN_ALERT } from '../kernel/printk.ts';
import { WARN } from '../kernel/panic.ts';
import { DmashimError } from '../lib/errors.ts';
import { fmt_p } from '../lib/vsprintf.ts';
import { devmem_check_phys, devmem_check_virt } from '../sim/devmem.ts';

export const VMEMMAP_START = 2 ** 51;
export const STRUCT_PAGE_SIZE = 64;
export const VMEMMAP_WINDOW = 2 ** 42; /* pfn < 2^36 (phys < 2^48) times 64 */
const MAX_SLOTS = 512; /* windows between 2^51 and 2^52 */

const slots: Array<WeakRef<Machine> | undefined> = [];
const slotOf = new WeakMap<Machine, number>();

/** The machine's vmemmap slot, assigned on first use (slots of collected machines are reused). */
function machine_slot(m: Machine): number {
  const s = slotOf.get(m);
  if (s !== undefined) return s;
  // A disposed machine gives its slot back at once, as it gives back its arena slot.
  let i = slots.findIndex((w) => w === undefined || (w.deref()?.disposed ?? true));
  if (i < 0) i = slots.length;
  if (i >= MAX_SLOTS) throw new DmashimError('EINVALOPT', 'too many machines with struct pages in use');
  slots[i] = new WeakRef(m);
  slotOf.set(m, i);
  return i;
}

/** The machine a struct page pointer belongs to, or undefined for a value that is not one. */
export function page_machine(page: number): Machine | undefined {
  const rel = page - VMEMMAP_START;
  if (!(rel >= 0) || rel >= MAX_SLOTS * VMEMMAP_WINDOW || rel % STRUCT_PAGE_SIZE !== 0) return undefined;
  return slots[Math.floor(rel / VMEMMAP_WINDOW)]?.deref();
}

/** pfn_to_page(): the struct page of a frame of `m` (default: the current machine). */
export function pfn_to_page(pfn: number, m: Machine = default_machine()): number {
  return VMEMMAP_START + machine_slot(m) * VMEMMAP_WINDOW + pfn * STRUCT_PAGE_SIZE;
}

/** pfn_to_page(0, m): the base of a machine's vmemmap window (page = base + pfn * 64). */
export function page_base(m: Machine): number {
  return VMEMMAP_START + machine_slot(m) * VMEMMAP_WINDOW;
}

/** page_to_pfn(): the frame number of a struct page. */
export function page_to_pfn(page: number): number {
  return ((page - VMEMMAP_START) % VMEMMAP_WINDOW) / STRUCT_PAGE_SIZE;
}

/** page_to_phys(): physical address of the page's first byte. */
export function page_to_phys(page: number): number {
  return page_to_pfn(page) * PAGE_SIZE;
}

/** Arena page index of a struct page in `m`, or -1 when its frame is not RAM of `m`. */
export function page_to_arena(m: Machine, page: number): number {
  const off = m.physToOff(page_to_phys(page));
  return off < 0 ? -1 : off / PAGE_SIZE;
}

/**
 * page_address(): the direct-map CPU address of the page, or NULL (0) for a
 * frame that is not RAM. Differs: a "page" of device memory (virt_to_page of an
 * iomem window) is reported by the sanitizer and gives the window's CPU address,
 * which is what the driver meant (the kernel gives an unmapped address).
 */
export function page_address(page: number): number {
  const m = page_machine(page);
  if (!m) return 0;
  const phys = page_to_phys(page);
  const off = m.physToOff(phys);
  if (off >= 0) return m.offToVirt(off);
  const w = devmem_check_phys(m, 'page_address', `struct page ${fmt_p(page)}`, phys, 'returning its CPU address');
  return w ? m.iomemVirt(phys) : 0;
}

/** virt_addr_valid(): the address is in some machine's direct map (RAM; device memory is not). */
export function virt_addr_valid(vaddr: number): boolean {
  const m = machine_of(vaddr);
  return m !== undefined && vaddr - m.vbase < m.ramSize;
}

/**
 * The sanitizer's check for a struct page that stands for device memory (one
 * that virt_to_page of an iomem window computed): reported as a call of `fn`,
 * naming the window; true when it is one (the caller then refuses it).
 */
export function devmem_page_check(page: number, fn: string, result: string): boolean {
  const m = typeof page === 'number' ? page_machine(page) : undefined;
  if (!m || m.iomem.length === 0) return false;
  return devmem_check_phys(m, fn, `struct page ${fmt_p(page)}`, page_to_phys(page), result) !== undefined;
}

/**
 * The struct page number of a CPU address of RAM or device memory, without any
 * check (the bridge's dma_map_page, whose own checks report); 0 elsewhere.
 */
export function __virt_to_page(vaddr: number): number {
  const m = machine_of(vaddr);
  if (!m) return 0;
  const off = m.virtToOff(vaddr);
  if (off < 0) return 0;
  return pfn_to_page(Math.floor(m.offToPhys(off) / PAGE_SIZE), m);
}

/**
 * virt_to_page(): the struct page of a direct-map address. Differs: for an
 * address outside the direct map (vmalloc, garbage) the kernel computes a
 * meaningless pointer; we return NULL (0). An address of device memory (an
 * iomem window) has no struct page: the sanitizer reports it, naming the window,
 * and the result is the pointer the kernel would compute, which every user
 * (page_address, dma_map_page, sg lists, __free_pages) recognises and refuses.
 */
export function virt_to_page(vaddr: number): number {
  const m = machine_of(vaddr);
  if (m && vaddr - m.vbase >= m.ramSize)
    devmem_check_virt(m, 'virt_to_page', vaddr, 'the struct page it returns is not one');
  return __virt_to_page(vaddr);
}

/**
 * virt_to_phys(): physical address of a direct-map address, or of device memory
 * mapped with memremap/ioremap (an iomem window). Outside both
 * it WARNs with CONFIG_DEBUG_VIRTUAL's text and returns -1 (the kernel returns garbage).
 */
export function virt_to_phys(vaddr: number): number {
  const m = machine_of(vaddr);
  const off = m ? m.virtToOff(vaddr) : -1;
  if (!m || off < 0) {
    WARN('arch/sim/mm/physaddr.c __virt_to_phys', `virt_to_phys used for non-linear address: ${fmt_p(vaddr)}`);
    return -1;
  }
  return m.offToPhys(off);
}

/** phys_to_virt(): the direct-map address of a physical address of `m`, or NULL (0) when it is not RAM. */
export function phys_to_virt(phys: number, m: Machine = default_machine()): number {
  const off = m.physToOff(phys);
  return off < 0 ? 0 : m.offToVirt(off);
}

/** offset_in_page() */
export function offset_in_page(addr: number): number {
  return addr % PAGE_SIZE;
}

/** PAGE_ALIGN() */
export function PAGE_ALIGN(addr: number): number {
  return Math.ceil(addr / PAGE_SIZE) * PAGE_SIZE;
}

function alloc_failure(gfp: gfp_t, order: number): void {
  if (!(gfp & __GFP_NOWARN)) {
    printk_level(KERN_WARNING, `dmashim: page allocation failure: order:${order}, mode:0x${gfp.toString(16)}`);
  }
}

/**
 * alloc_pages(): 2^order pages, zone chosen by gfp (__GFP_DMA, __GFP_DMA32) with
 * the kernel's fallback; zeroed with __GFP_ZERO. Returns a struct page or NULL
 * (0). Differs: takes the machine as an optional last argument (the kernel has one).
 */
export function alloc_pages(gfp: gfp_t, order: number, m: Machine = default_machine()): number {
  might_alloc(gfp, 'mm/page_alloc.c __alloc_pages');
  if (fault_inject_armed.count > 0 && should_fail(m, 'pages', '', null, gfp, `alloc_pages(order ${order})`)) return 0;
  const pg = Number.isInteger(order) && order >= 0 && order <= MAX_ORDER ? m.buddy.alloc(gfp, order) : -1;
  if (pg < 0) {
    alloc_failure(gfp, order);
    return 0;
  }
  const off = pg * PAGE_SIZE;
  if (gfp & __GFP_ZERO) m.u8.fill(0, off, off + (PAGE_SIZE << order));
  return pfn_to_page(Math.floor(m.offToPhys(off) / PAGE_SIZE), m);
}

/** alloc_page(): alloc_pages(gfp, 0). */
export function alloc_page(gfp: gfp_t, m: Machine = default_machine()): number {
  return alloc_pages(gfp, 0, m);
}

/** __get_free_pages(): like alloc_pages but returns the direct-map address, or 0. */
export function __get_free_pages(gfp: gfp_t, order: number, m: Machine = default_machine()): number {
  const page = alloc_pages(gfp, order, m);
  return page ? page_address(page) : 0;
}

/** __get_free_page(): one page's address, or 0. */
export function __get_free_page(gfp: gfp_t, m: Machine = default_machine()): number {
  return __get_free_pages(gfp, 0, m);
}

/** get_zeroed_page(): one zeroed page's address, or 0. */
export function get_zeroed_page(gfp: gfp_t, m: Machine = default_machine()): number {
  return __get_free_pages(gfp | __GFP_ZERO, 0, m);
}

/*
 * mm/page_alloc.c bad_page()'s report, then where the free came from (the
 * kernel's dump_stack); C callers get the bridge's "called from" line instead.
 */
function bad_page(fn: string, pfn: number, why: string): void {
  printk_level(KERN_ALERT, `BUG: Bad page state in process dmashim  pfn:${pfn.toString(16).padStart(5, '0')}`);
  printk_level(KERN_ALERT, `page dumped because: ${why}`);
  const site = report_site();
  if (site) printk_level(KERN_ALERT, `${fn}() called from ${site}`);
}

/* An order the buddy allocator can have handed out (checked before anything is looked up). */
function valid_order(order: number): boolean {
  return typeof order === 'number' && Number.isInteger(order) && order >= 0 && order <= MAX_ORDER;
}

function free_block(fn: string, page: number, order: number): void {
  const m = page_machine(page);
  const pg = m ? page_to_arena(m, page) : -1;
  if (!m || pg < 0) {
    bad_page(fn, m ? page_to_pfn(page) : 0, `${fn} of a value that is not a struct page: ${fmt_p(page)}`);
    return;
  }
  if (!valid_order(order)) {
    bad_page(fn, page_to_pfn(page), `${fn} with an invalid order ${String(order)}`);
    return;
  }
  const owner = m.buddy.ownerOf(pg);
  if (owner > PG_OWNER_PAGES) {
    bad_page(fn, page_to_pfn(page), `page owned by ${PG_OWNER_NAMES[owner]}; nothing freed`);
    return;
  }
  if (!m.buddy.free(pg, order))
    bad_page(
      fn,
      page_to_pfn(page),
      `not the head of an allocated block of order ${order} (double free or wrong order)`,
    );
}

/**
 * __free_pages(): give back 2^order pages of alloc_pages(). A page that is not
 * the head of a live block of that order, or that another allocator owns (a
 * slab, a large kmalloc, vmalloc, dma_alloc_coherent and so dma_pool pages, the
 * swiotlb pool), is reported ("BUG: Bad page state", with the call site) and
 * nothing is freed: the kernel would hand the live memory out again.
 */
export function __free_pages(page: number, order: number): void {
  if (!page) return;
  if (typeof page !== 'number') {
    bad_page('__free_pages', 0, `__free_pages of a value that is not a struct page: ${String(page)}`);
    return;
  }
  free_block('__free_pages', page, order);
}

/** __free_page(): __free_pages(page, 0). */
export function __free_page(page: number): void {
  __free_pages(page, 0);
}

/** free_pages(): free by address; 0 is a no-op. Checked as __free_pages. */
export function free_pages(addr: number, order: number): void {
  if (addr === 0) return;
  const page = typeof addr === 'number' ? __virt_to_page(addr) : 0;
  if (!page || offset_in_page(addr) !== 0) {
    bad_page('free_pages', 0, `free_pages of an address that is not an allocated page: ${fmt_p(addr)}`);
    return;
  }
  free_block('free_pages', page, order);
}

/** free_page(): free_pages(addr, 0). */
export function free_page(addr: number): void {
  free_pages(addr, 0);
}

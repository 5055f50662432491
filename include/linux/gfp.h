/* SPDX-License-Identifier: MIT */
/*
 * linux/gfp.h for dmashim: GFP flags with the values of the v6.4+ kernel (the
 * TypeScript core compares them bit for bit), and the page allocator's entry
 * points, served by the simulated machine's buddy allocator: the memory is
 * machine RAM, so it can be mapped for DMA.
 */
#ifndef __LINUX_GFP_H
#define __LINUX_GFP_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <asm/page.h>

#define __GFP_DMA ((gfp_t)0x01u)
#define __GFP_HIGHMEM ((gfp_t)0x02u)
#define __GFP_DMA32 ((gfp_t)0x04u)
#define __GFP_MOVABLE ((gfp_t)0x08u)
#define __GFP_RECLAIMABLE ((gfp_t)0x10u)
#define __GFP_HIGH ((gfp_t)0x20u)
#define __GFP_IO ((gfp_t)0x40u)
#define __GFP_FS ((gfp_t)0x80u)
#define __GFP_ZERO ((gfp_t)0x100u)
#define __GFP_DIRECT_RECLAIM ((gfp_t)0x400u)
#define __GFP_KSWAPD_RECLAIM ((gfp_t)0x800u)
#define __GFP_RECLAIM ((gfp_t)(__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM))
#define __GFP_WRITE ((gfp_t)0x1000u)
#define __GFP_NOWARN ((gfp_t)0x2000u)
#define __GFP_RETRY_MAYFAIL ((gfp_t)0x4000u)
#define __GFP_NOFAIL ((gfp_t)0x8000u)
#define __GFP_NORETRY ((gfp_t)0x10000u)
#define __GFP_MEMALLOC ((gfp_t)0x20000u)
#define __GFP_COMP ((gfp_t)0x40000u)
#define __GFP_NOMEMALLOC ((gfp_t)0x80000u)
#define __GFP_HARDWALL ((gfp_t)0x100000u)
#define __GFP_THISNODE ((gfp_t)0x200000u)
#define __GFP_ACCOUNT ((gfp_t)0x400000u)

#define GFP_ATOMIC (__GFP_HIGH | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL (__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_KERNEL_ACCOUNT (GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_NOWAIT (__GFP_KSWAPD_RECLAIM)
#define GFP_NOIO (__GFP_RECLAIM)
#define GFP_NOFS (__GFP_RECLAIM | __GFP_IO)
#define GFP_USER (__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL)
#define GFP_DMA __GFP_DMA
#define GFP_DMA32 __GFP_DMA32
#define GFP_HIGHUSER (GFP_USER | __GFP_HIGHMEM)

static inline bool gfpflags_allow_blocking(const gfp_t gfp_flags)
{
	return !!(gfp_flags & __GFP_DIRECT_RECLAIM);
}

/*
 * A struct page is opaque here: a struct page * is the page's CPU address
 * (page_address() is a cast), which is enough for drivers that allocate,
 * address and free pages, and map them for DMA.
 */
struct page;

unsigned long __dmashim_get_free_pages(gfp_t gfp_mask, unsigned int order, const char *site);
void __dmashim_free_pages(unsigned long addr, unsigned int order, const char *site);

unsigned long __get_free_pages(gfp_t gfp_mask, unsigned int order);
unsigned long get_zeroed_page(gfp_t gfp_mask);
void free_pages(unsigned long addr, unsigned int order);

#define __get_free_pages(gfp_mask, order) __dmashim_get_free_pages(gfp_mask, order, DMASHIM_SITE)
#define __get_free_page(gfp_mask) __get_free_pages((gfp_mask), 0)
#define get_zeroed_page(gfp_mask) __get_free_pages((gfp_mask) | __GFP_ZERO, 0)
#define free_pages(addr, order) __dmashim_free_pages((unsigned long)(addr), order, DMASHIM_SITE)
#define free_page(addr) free_pages((addr), 0)

#define alloc_pages(gfp_mask, order) ((struct page *)__get_free_pages(gfp_mask, order))
#define alloc_page(gfp_mask) alloc_pages(gfp_mask, 0)
/* One node here: the node is checked by nothing and the pages come from the machine's RAM. */
#define alloc_pages_node(nid, gfp_mask, order) ((void)(nid), alloc_pages(gfp_mask, order))
#define __alloc_pages_node(nid, gfp_mask, order) alloc_pages_node(nid, gfp_mask, order)
#define alloc_pages_exact(size, gfp_mask) ((void *)__get_free_pages(gfp_mask, get_order(size)))
#define free_pages_exact(virt, size) free_pages((unsigned long)(virt), get_order(size))
#define __free_pages(page, order) free_pages((unsigned long)(page), order)
#define __free_page(page) __free_pages((page), 0)

#endif /* __LINUX_GFP_H */

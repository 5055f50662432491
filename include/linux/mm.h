/* SPDX-License-Identifier: MIT */
/*
 * linux/mm.h for dmashim: page helpers. A struct page * is the page's CPU
 * address (see linux/gfp.h), so these are casts and masks; they hold for
 * machine RAM (what kmalloc, __get_free_pages and the DMA API hand out).
 */
#ifndef _LINUX_MM_H
#define _LINUX_MM_H

#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <asm/page.h>

#define PAGE_ALIGN(addr) (((addr) + PAGE_SIZE - 1) & PAGE_MASK)
#define PAGE_ALIGNED(addr) (((unsigned long)(addr) & (PAGE_SIZE - 1)) == 0)
#define offset_in_page(p) ((unsigned long)(p) & ~PAGE_MASK)

static inline void *page_address(const struct page *page) { return (void *)page; }
static inline struct page *virt_to_page(const volatile void *addr)
{
	return (struct page *)((unsigned long)addr & PAGE_MASK);
}
static inline phys_addr_t page_to_phys(const struct page *page) { return virt_to_phys((void *)page); }
static inline struct page *phys_to_page(phys_addr_t phys) { return (struct page *)phys_to_virt(phys & PAGE_MASK); }
#define lowmem_page_address page_address
/* Device memory (linux/io.h's iomem windows) has no struct page: reported at the caller's line. */
#define virt_to_page(addr) \
	((struct page *)__dmashim_devmem_check(virt_to_page(addr), DMASHIM_NOPAGE_VIRT_TO_PAGE, DMASHIM_SITE))
#define page_address(page) __dmashim_devmem_check(page_address(page), DMASHIM_NOPAGE_PAGE_ADDRESS, DMASHIM_SITE)

static inline int get_order(unsigned long size)
{
	int order = 0;
	size = (size - 1) >> PAGE_SHIFT;
	while (size) {
		order++;
		size >>= 1;
	}
	return order;
}

#endif /* _LINUX_MM_H */

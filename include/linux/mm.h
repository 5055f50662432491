/* SPDX-License-Identifier: MIT */
/*
 * linux/mm.h for dmashim: page helpers. A struct page * is the page's CPU
 * address (see linux/gfp.h), so these are casts and masks; they hold for
 * machine RAM (what kmalloc, __get_free_pages and the DMA API hand out).
 */
#ifndef _LINUX_MM_H
#define _LINUX_MM_H

#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm_types.h>
#include <linux/overflow.h>
#include <linux/sizes.h>
#include <linux/sched.h>
#include <linux/slab.h>
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
static inline unsigned long page_to_pfn(const struct page *page)
{
	return (unsigned long)(page_to_phys(page) >> PAGE_SHIFT);
}
static inline struct page *pfn_to_page(unsigned long pfn) { return phys_to_page((phys_addr_t)pfn << PAGE_SHIFT); }
#define virt_to_pfn(kaddr) (virt_to_phys(kaddr) >> PAGE_SHIFT)
#define pfn_to_virt(pfn) phys_to_virt((phys_addr_t)(pfn) << PAGE_SHIFT)
#define page_to_virt(page) page_address(page)
#define virt_addr_valid(kaddr) (virt_to_phys((void *)(kaddr)) != ~(phys_addr_t)0)
#define nth_page(page, n) ((struct page *)((char *)(page) + ((unsigned long)(n) << PAGE_SHIFT)))

/* Device memory (linux/io.h's iomem windows) has no struct page: reported at the caller's line. */
#define virt_to_page(addr) \
	((struct page *)__dmashim_devmem_check(virt_to_page(addr), DMASHIM_NOPAGE_VIRT_TO_PAGE, DMASHIM_SITE))
#define page_address(page) __dmashim_devmem_check(page_address(page), DMASHIM_NOPAGE_PAGE_ADDRESS, DMASHIM_SITE)

#endif /* _LINUX_MM_H */

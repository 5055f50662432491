/* SPDX-License-Identifier: MIT */
/*
 * linux/vmalloc.h for dmashim, from C: vmalloc memory is machine RAM the
 * program can use (read, write, take vmalloc_to_page() of and map those pages
 * for DMA), made of whole pages taken from the buddy allocator with the
 * caller's line (a missing vfree() is reported as a leak there). Where we
 * differ from the kernel (and from the TypeScript core's vmalloc, which has
 * its own address range): the area is physically contiguous and lies in the
 * direct map, because C cannot see one set of pages at a second address; so
 * virt_to_page() and dma_map_single() on it are not refused here as they
 * would be in the kernel. An area of more than 4 MiB (one buddy block of
 * MAX_ORDER) is host memory outside machine RAM: usable by the CPU only, and
 * vmalloc_to_page() on it says so and returns NULL.
 */
#ifndef _LINUX_VMALLOC_H
#define _LINUX_VMALLOC_H

#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/compiler.h>
#include <linux/overflow.h>

struct page;

void *__dmashim_vmalloc(unsigned long size, gfp_t gfp, const char *site);
void __dmashim_vfree(const void *addr, const char *site);
struct page *vmalloc_to_page(const void *addr);
unsigned long vmalloc_to_pfn(const void *addr);
bool is_vmalloc_addr(const void *addr);

#define vmalloc(size) __dmashim_vmalloc(size, GFP_KERNEL, DMASHIM_SITE)
#define vzalloc(size) __dmashim_vmalloc(size, GFP_KERNEL | __GFP_ZERO, DMASHIM_SITE)
#define vmalloc_noprof(size) vmalloc(size)
#define vmalloc_node(size, node) ((void)(node), vmalloc(size))
#define vzalloc_node(size, node) ((void)(node), vzalloc(size))
/* vmalloc_user(): zeroed, as the kernel's (it goes to user space). */
#define vmalloc_user(size) vzalloc(size)
/* Pages a 32-bit DMA engine can reach (ZONE_DMA32), as the kernel's. */
#define vmalloc_32(size) __dmashim_vmalloc(size, GFP_KERNEL | GFP_DMA32, DMASHIM_SITE)
#define vmalloc_32_user(size) __dmashim_vmalloc(size, GFP_KERNEL | GFP_DMA32 | __GFP_ZERO, DMASHIM_SITE)
#define __vmalloc(size, gfp) __dmashim_vmalloc(size, gfp, DMASHIM_SITE)
#define vmalloc_array(n, size) vmalloc(size_mul(n, size))
#define vcalloc(n, size) vzalloc(size_mul(n, size))
#define vfree(addr) __dmashim_vfree(addr, DMASHIM_SITE)
#define vfree_atomic(addr) vfree(addr)

#endif /* _LINUX_VMALLOC_H */

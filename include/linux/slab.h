/* SPDX-License-Identifier: MIT */
/*
 * linux/slab.h for dmashim: kmalloc and friends allocate machine RAM (so the
 * memory can be mapped for DMA and virt_to_phys works on it), through the
 * TypeScript core. SLAB_* cache flags keep their historic values; SLAB_KERNEL
 * and SLAB_ATOMIC are the 2.4-2.6.19 aliases of GFP_KERNEL and GFP_ATOMIC that
 * old drivers pass to pci_pool_alloc and kmalloc.
 */
#ifndef _LINUX_SLAB_H
#define _LINUX_SLAB_H

#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/compiler.h>

#define SLAB_DEBUG_FREE 0x00000100U
#define SLAB_CONSISTENCY_CHECKS SLAB_DEBUG_FREE
#define SLAB_DEBUG_INITIAL 0x00000200U
#define SLAB_RED_ZONE 0x00000400U
/*
 * Not 2.4's 0x800: pci_pool_create's sixth argument is where 2.4 drivers pass
 * SLAB_KERNEL, and today's GFP_KERNEL (0xcc0) contains 0x800, so the historic
 * value would poison every such pool. A bit no gfp flag uses (as in compat/pci.ts).
 */
#define SLAB_POISON 0x40000000U
#define SLAB_NO_REAP 0x00001000U
#define SLAB_HWCACHE_ALIGN 0x00002000U
#define SLAB_CACHE_DMA 0x00004000U
#define SLAB_CACHE_DMA32 0x00008000U
#define SLAB_PANIC 0x00040000U

/* 2.4-era gfp aliases. */
#define SLAB_KERNEL GFP_KERNEL
#define SLAB_ATOMIC GFP_ATOMIC
#define SLAB_NOFS GFP_NOFS
#define SLAB_NOIO GFP_NOIO
#define SLAB_DMA GFP_DMA

#define ZERO_SIZE_PTR ((void *)16)
#define ZERO_OR_NULL_PTR(x) ((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)

void *__dmashim_kmalloc(size_t size, gfp_t flags, const char *site);
void __dmashim_kfree(const void *objp, const char *site);
size_t ksize(const void *objp);

void *kmalloc(size_t size, gfp_t flags);
void *kzalloc(size_t size, gfp_t flags);
void kfree(const void *objp);

#define kmalloc(size, flags) __dmashim_kmalloc(size, flags, DMASHIM_SITE)
#define kzalloc(size, flags) kmalloc(size, (flags) | __GFP_ZERO)
#define kfree(objp) __dmashim_kfree(objp, DMASHIM_SITE)
#define kfree_sensitive kfree
#define kzfree kfree

static inline size_t __dmashim_array_bytes(size_t n, size_t size)
{
	size_t bytes;
	return __builtin_mul_overflow(n, size, &bytes) ? SIZE_MAX : bytes;
}

/* Overflowing n * size fails the allocation, as the kernel's kmalloc_array does. */
#define kmalloc_array(n, size, flags) kmalloc(__dmashim_array_bytes(n, size), flags)
#define kcalloc(n, size, flags) kmalloc_array(n, size, (flags) | __GFP_ZERO)

#endif /* _LINUX_SLAB_H */

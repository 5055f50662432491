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

#include <string.h>
#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/compiler.h>
#include <linux/cache.h>
#include <linux/overflow.h>

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

#define kmalloc_node(size, flags, node) ((void)(node), kmalloc(size, flags))
#define kzalloc_node(size, flags, node) ((void)(node), kzalloc(size, flags))
#define kcalloc_node(n, size, flags, node) ((void)(node), kcalloc(n, size, flags))
#define kmalloc_array_node(n, size, flags, node) ((void)(node), kmalloc_array(n, size, flags))
#define kmalloc_track_caller(size, flags) kmalloc(size, flags)

/*
 * krealloc(): the block itself when it is big enough (ksize), else a new one
 * with the old bytes copied and the old one freed; new_size 0 frees and gives
 * ZERO_SIZE_PTR; on failure the old block is untouched. With __GFP_ZERO the
 * bytes past the old size are zero, as in the kernel when every call for the
 * block passes __GFP_ZERO.
 */
void *__dmashim_krealloc(const void *p, size_t new_size, gfp_t flags, const char *site);
#define krealloc(p, new_size, flags) __dmashim_krealloc(p, new_size, flags, DMASHIM_SITE)
#define krealloc_array(p, n, size, flags) krealloc(p, __dmashim_array_bytes(n, size), flags)

static inline void *__dmashim_kmemdup(const void *src, size_t len, gfp_t gfp, const char *site)
{
	void *p = __dmashim_kmalloc(len, gfp, site);
	if (p && !ZERO_OR_NULL_PTR(p))
		memcpy(p, src, len);
	return p;
}
static inline char *__dmashim_kmemdup_nul(const char *s, size_t len, gfp_t gfp, const char *site)
{
	if (!s)
		return NULL;
	char *p = (char *)__dmashim_kmalloc(len + 1, gfp, site);
	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}
#define kmemdup(src, len, gfp) __dmashim_kmemdup(src, len, gfp, DMASHIM_SITE)
#define kmemdup_array(src, n, size, gfp) kmemdup(src, __dmashim_array_bytes(n, size), gfp)
#define kmemdup_nul(s, len, gfp) __dmashim_kmemdup_nul(s, len, gfp, DMASHIM_SITE)
/* kstrdup(NULL) is NULL, as in the kernel. */
#define kstrdup(s, gfp) ({								\
	const char *__s = (s);								\
	__s ? __dmashim_kmemdup_nul(__s, strlen(__s), gfp, DMASHIM_SITE) : NULL;	\
})
#define kstrndup(s, max, gfp) ({							\
	const char *__s = (s);								\
	__s ? __dmashim_kmemdup_nul(__s, strnlen(__s, max), gfp, DMASHIM_SITE) : NULL;	\
})
/* No .rodata sharing here: always a copy, and kfree_const() frees it. */
#define kstrdup_const(s, gfp) kstrdup(s, gfp)
#define kfree_const(p) kfree(p)

/*
 * kvmalloc(): kmalloc when it can (without retrying or warning for more than
 * a page), else vmalloc (linux/vmalloc.h) when the flags allow sleeping;
 * kvfree() frees either.
 */
void *__dmashim_kvmalloc(size_t size, gfp_t flags, const char *site);
void __dmashim_kvfree(const void *addr, const char *site);
#define kvmalloc(size, flags) __dmashim_kvmalloc(size, flags, DMASHIM_SITE)
#define kvzalloc(size, flags) kvmalloc(size, (flags) | __GFP_ZERO)
#define kvmalloc_node(size, flags, node) ((void)(node), kvmalloc(size, flags))
#define kvzalloc_node(size, flags, node) ((void)(node), kvzalloc(size, flags))
#define kvmalloc_array(n, size, flags) kvmalloc(__dmashim_array_bytes(n, size), flags)
#define kvcalloc(n, size, flags) kvmalloc_array(n, size, (flags) | __GFP_ZERO)
#define kvfree(addr) __dmashim_kvfree(addr, DMASHIM_SITE)
#define kvfree_sensitive(addr, len) ((void)(len), kvfree(addr))

#endif /* _LINUX_SLAB_H */

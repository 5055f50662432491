/* SPDX-License-Identifier: MIT */
/*
 * linux/dmapool.h for dmashim: DMA pools, served by the TypeScript core
 * (mm/dmapool.ts). struct dma_pool is opaque, as in the kernel. Each call
 * passes its C call site (file:line) so reports can name it.
 */
#ifndef LINUX_DMAPOOL_H
#define LINUX_DMAPOOL_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <dmashim/abi.h>
#include <linux/device.h>
#include <linux/gfp.h>
#include <dmashim/era.h>

struct dma_pool;

struct dma_pool *__dmashim_dma_pool_create(const char *name, struct device *dev, size_t size, size_t align,
					   size_t boundary, int node, unsigned int flags, const char *site);
void *__dmashim_dma_pool_alloc(struct dma_pool *pool, gfp_t mem_flags, dma_addr_t *handle, const char *site);
void __dmashim_dma_pool_free(struct dma_pool *pool, void *vaddr, dma_addr_t dma, const char *site);
void __dmashim_dma_pool_destroy(struct dma_pool *pool, int managed, const char *site);

/* The functions exist under their own names too (for function pointers); the macros add the call site. */
#if DMASHIM_HAS_SINCE(2, 6, 3)
struct dma_pool *dma_pool_create(const char *name, struct device *dev, size_t size, size_t align, size_t boundary);
struct dma_pool *dma_pool_create_node(const char *name, struct device *dev, size_t size, size_t align,
				      size_t boundary, int node);
void *dma_pool_alloc(struct dma_pool *pool, gfp_t mem_flags, dma_addr_t *handle);
#endif
#if DMASHIM_HAS_SINCE(4, 3, 0)
void *dma_pool_zalloc(struct dma_pool *pool, gfp_t mem_flags, dma_addr_t *handle);
#endif
#if DMASHIM_HAS_SINCE(2, 6, 3)
void dma_pool_free(struct dma_pool *pool, void *vaddr, dma_addr_t dma);
void dma_pool_destroy(struct dma_pool *pool);
#endif
#if DMASHIM_HAS_SINCE(2, 6, 21)
struct dma_pool *dmam_pool_create(const char *name, struct device *dev, size_t size, size_t align, size_t allocation);
void dmam_pool_destroy(struct dma_pool *pool);
#endif

#define dma_pool_create_node(name, dev, size, align, boundary, node) \
	__dmashim_dma_pool_create(name, dev, size, align, boundary, node, 0, DMASHIM_SITE)
#if DMASHIM_HAS_SINCE(2, 6, 3)
#define dma_pool_create(name, dev, size, align, boundary) \
	__dmashim_dma_pool_create(name, dev, size, align, boundary, -1, 0, DMASHIM_SITE)
#endif
#if DMASHIM_HAS_SINCE(2, 6, 21)
#define dmam_pool_create(name, dev, size, align, allocation) \
	__dmashim_dma_pool_create(name, dev, size, align, allocation, -1, __DMASHIM_POOL_MANAGED, DMASHIM_SITE)
#endif
#if DMASHIM_HAS_SINCE(2, 6, 3)
#define dma_pool_alloc(pool, mem_flags, handle) __dmashim_dma_pool_alloc(pool, mem_flags, handle, DMASHIM_SITE)
#endif
#if DMASHIM_HAS_SINCE(4, 3, 0)
#define dma_pool_zalloc(pool, mem_flags, handle) \
	__dmashim_dma_pool_alloc(pool, (mem_flags) | __GFP_ZERO, handle, DMASHIM_SITE)
#endif
#if DMASHIM_HAS_SINCE(2, 6, 3)
#define dma_pool_free(pool, vaddr, dma) __dmashim_dma_pool_free(pool, vaddr, dma, DMASHIM_SITE)
#define dma_pool_destroy(pool) __dmashim_dma_pool_destroy(pool, 0, DMASHIM_SITE)
#endif
#if DMASHIM_HAS_SINCE(2, 6, 21)
#define dmam_pool_destroy(pool) __dmashim_dma_pool_destroy(pool, 1, DMASHIM_SITE)
#endif

#endif /* LINUX_DMAPOOL_H */

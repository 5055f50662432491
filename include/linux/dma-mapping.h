/* SPDX-License-Identifier: MIT */
/*
 * linux/dma-mapping.h for dmashim: the driver-facing DMA API, served by the
 * TypeScript core (kernel/dma/mapping.ts). Every call that allocates, frees or
 * maps passes its call site (file:line), so reports name the C line.
 *
 * Masks: dma_set_mask() stores through dev->dma_mask and fails with -EIO when it
 * is NULL, as the kernel; dma_coerce_mask_and_coherent() points it at
 * coherent_dma_mask first (the platform-device idiom).
 */
#ifndef _LINUX_DMA_MAPPING_H
#define _LINUX_DMA_MAPPING_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <dmashim/abi.h>
#include <dmashim/call.h>
#include <linux/device.h>
#include <linux/dma-direction.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>

#define DMA_ATTR_WEAK_ORDERING (1UL << 1)
#define DMA_ATTR_WRITE_COMBINE (1UL << 2)
#define DMA_ATTR_NO_KERNEL_MAPPING (1UL << 4)
#define DMA_ATTR_SKIP_CPU_SYNC (1UL << 5)
#define DMA_ATTR_FORCE_CONTIGUOUS (1UL << 6)
#define DMA_ATTR_ALLOC_SINGLE_PAGES (1UL << 7)
#define DMA_ATTR_NO_WARN (1UL << 8)
#define DMA_ATTR_PRIVILEGED (1UL << 9)

/* A bus address that no mapping returns: the error value of dma_map_*(). */
#define DMA_MAPPING_ERROR (~(dma_addr_t)0)

#define DMA_BIT_MASK(n) (((n) == 64) ? ~0ULL : ((1ULL << (n)) - 1))

int dma_set_mask(struct device *dev, u64 mask);
int dma_set_coherent_mask(struct device *dev, u64 mask);
int dma_supported(struct device *dev, u64 mask);
u64 dma_get_required_mask(struct device *dev);

/* Sets both; the coherent mask only when the streaming one was accepted (its result ignored), as the kernel. */
static inline int dma_set_mask_and_coherent(struct device *dev, u64 mask)
{
	int rc = dma_set_mask(dev, mask);
	if (rc == 0)
		dma_set_coherent_mask(dev, mask);
	return rc;
}

/* For devices whose dma_mask pointer nobody set up: point it at coherent_dma_mask, then set both. */
static inline int dma_coerce_mask_and_coherent(struct device *dev, u64 mask)
{
	dev->dma_mask = &dev->coherent_dma_mask;
	return dma_set_mask_and_coherent(dev, mask);
}

static inline u64 dma_get_mask(struct device *dev)
{
	if (dev->dma_mask && *dev->dma_mask)
		return *dev->dma_mask;
	return DMA_BIT_MASK(32);
}

/**
 * dma_max_mapping_size() - the largest single mapping the device's DMA ops take
 * Returns SIZE_MAX when nothing limits it, the swiotlb slot limit when the
 * device must bounce. Any context.
 */
static inline size_t dma_max_mapping_size(struct device *dev)
{
	if (!dmashim_enter("dma_max_mapping_size"))
		return 0;
	return dmashim_size(dmashim_ts.max_mapping_size(dmashim_devid(dev)));
}

/**
 * dma_get_merge_boundary() - the boundary mask segments can be merged at
 * Returns 0 when the DMA ops cannot merge (the direct mapping), PAGE_SIZE - 1
 * behind an IOMMU. Any context.
 */
static inline unsigned long dma_get_merge_boundary(struct device *dev)
{
	if (!dmashim_enter("dma_get_merge_boundary"))
		return 0;
	return (unsigned long)dmashim_size(dmashim_ts.merge_boundary(dmashim_devid(dev)));
}

/* ---- coherent memory ---- */
void *__dmashim_dma_alloc_attrs(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t flag,
				unsigned long attrs, int managed, const char *site);
void __dmashim_dma_free_attrs(struct device *dev, size_t size, void *cpu_addr, dma_addr_t dma_handle,
			      unsigned long attrs, int managed, const char *site);

void *dma_alloc_attrs(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t flag, unsigned long attrs);
void dma_free_attrs(struct device *dev, size_t size, void *cpu_addr, dma_addr_t dma_handle, unsigned long attrs);
void *dma_alloc_coherent(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t gfp);
void dma_free_coherent(struct device *dev, size_t size, void *cpu_addr, dma_addr_t dma_handle);
void *dmam_alloc_coherent(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t gfp);
void dmam_free_coherent(struct device *dev, size_t size, void *vaddr, dma_addr_t dma_handle);

#define dma_alloc_attrs(dev, size, handle, gfp, attrs) \
	__dmashim_dma_alloc_attrs(dev, size, handle, gfp, attrs, 0, DMASHIM_SITE)
#define dma_free_attrs(dev, size, cpu, handle, attrs) \
	__dmashim_dma_free_attrs(dev, size, cpu, handle, attrs, 0, DMASHIM_SITE)
#define dma_alloc_coherent(dev, size, handle, gfp) __dmashim_dma_alloc_attrs(dev, size, handle, gfp, 0, 0, DMASHIM_SITE)
#define dma_free_coherent(dev, size, cpu, handle) __dmashim_dma_free_attrs(dev, size, cpu, handle, 0, 0, DMASHIM_SITE)
#define dmam_alloc_coherent(dev, size, handle, gfp) \
	__dmashim_dma_alloc_attrs(dev, size, handle, gfp, 0, 1, DMASHIM_SITE)
#define dmam_free_coherent(dev, size, cpu, handle) __dmashim_dma_free_attrs(dev, size, cpu, handle, 0, 1, DMASHIM_SITE)
/* Removed in v5.0 (coherent memory is always zeroed); kept for older drivers. */
#define dma_zalloc_coherent(dev, size, handle, gfp) dma_alloc_coherent(dev, size, handle, (gfp) | __GFP_ZERO)

/* ---- streaming mappings ---- */
dma_addr_t __dmashim_dma_map(struct device *dev, void *ptr, size_t size, enum dma_data_direction dir,
			     unsigned long attrs, int kind, const char *site);
void __dmashim_dma_unmap(struct device *dev, dma_addr_t addr, size_t size, enum dma_data_direction dir,
			 unsigned long attrs, int kind, const char *site);
void __dmashim_dma_sync(struct device *dev, dma_addr_t addr, size_t size, enum dma_data_direction dir,
			int for_device, const char *site);
int __dmashim_dma_map_sg(struct device *dev, struct scatterlist *sg, int nents, enum dma_data_direction dir,
			 unsigned long attrs, const char *site);
void __dmashim_dma_unmap_sg(struct device *dev, struct scatterlist *sg, int nents, enum dma_data_direction dir,
			    unsigned long attrs, const char *site);
void __dmashim_dma_sync_sg(struct device *dev, struct scatterlist *sg, int nelems, enum dma_data_direction dir,
			   int for_device, const char *site);
int __dmashim_dma_mapping_error(struct device *dev, dma_addr_t dma_addr, const char *site);

#define dma_map_single_attrs(dev, ptr, size, dir, attrs) \
	__dmashim_dma_map(dev, ptr, size, dir, attrs, __DMASHIM_MAP_SINGLE, DMASHIM_SITE)
#define dma_unmap_single_attrs(dev, addr, size, dir, attrs) \
	__dmashim_dma_unmap(dev, addr, size, dir, attrs, __DMASHIM_MAP_SINGLE, DMASHIM_SITE)
#define dma_map_single(dev, ptr, size, dir) dma_map_single_attrs(dev, ptr, size, dir, 0)
#define dma_unmap_single(dev, addr, size, dir) dma_unmap_single_attrs(dev, addr, size, dir, 0)
#define dma_map_page_attrs(dev, page, offset, size, dir, attrs) \
	__dmashim_dma_map(dev, (char *)(page_address)(page) + (offset), size, dir, attrs, \
			  __DMASHIM_MAP_PAGE, DMASHIM_SITE)
#define dma_unmap_page_attrs(dev, addr, size, dir, attrs) \
	__dmashim_dma_unmap(dev, addr, size, dir, attrs, __DMASHIM_MAP_PAGE, DMASHIM_SITE)
#define dma_map_page(dev, page, offset, size, dir) dma_map_page_attrs(dev, page, offset, size, dir, 0)
#define dma_unmap_page(dev, addr, size, dir) dma_unmap_page_attrs(dev, addr, size, dir, 0)
#define dma_map_sg_attrs(dev, sg, nents, dir, attrs) __dmashim_dma_map_sg(dev, sg, nents, dir, attrs, DMASHIM_SITE)
#define dma_unmap_sg_attrs(dev, sg, nents, dir, attrs) __dmashim_dma_unmap_sg(dev, sg, nents, dir, attrs, DMASHIM_SITE)
#define dma_map_sg(dev, sg, nents, dir) dma_map_sg_attrs(dev, sg, nents, dir, 0)
#define dma_unmap_sg(dev, sg, nents, dir) dma_unmap_sg_attrs(dev, sg, nents, dir, 0)
#define dma_sync_single_for_cpu(dev, addr, size, dir) __dmashim_dma_sync(dev, addr, size, dir, 0, DMASHIM_SITE)
#define dma_sync_single_for_device(dev, addr, size, dir) __dmashim_dma_sync(dev, addr, size, dir, 1, DMASHIM_SITE)
#define dma_sync_sg_for_cpu(dev, sg, nelems, dir) __dmashim_dma_sync_sg(dev, sg, nelems, dir, 0, DMASHIM_SITE)
#define dma_sync_sg_for_device(dev, sg, nelems, dir) __dmashim_dma_sync_sg(dev, sg, nelems, dir, 1, DMASHIM_SITE)
/*
 * dma_mapping_error(dev, addr); before 2.6.27 it took the address alone,
 * dma_mapping_error(addr), and old drivers still call it so: both forms work
 * (chosen by the number of arguments).
 */
#define __DMASHIM_MAPERR_NARGS_(_1, _2, N, ...) N
#define __DMASHIM_MAPERR_CAT_(a, b) a##b
#define __DMASHIM_MAPERR_CAT(a, b) __DMASHIM_MAPERR_CAT_(a, b)
#define dma_mapping_error(...) \
	__DMASHIM_MAPERR_CAT(__dmashim_dma_mapping_error_, __DMASHIM_MAPERR_NARGS_(__VA_ARGS__, 2, 1, 0))(__VA_ARGS__)
#define __dmashim_dma_mapping_error_2(dev, dma_addr) __dmashim_dma_mapping_error(dev, dma_addr, DMASHIM_SITE)
#define __dmashim_dma_mapping_error_1(dma_addr) __dmashim_dma_mapping_error(NULL, dma_addr, DMASHIM_SITE)

/* ---- sg_table forms (v5.8+): the whole CPU list is mapped, sgt->nents becomes the mapped count ---- */
static inline int __dmashim_dma_map_sgtable(struct device *dev, struct sg_table *sgt, enum dma_data_direction dir,
					    unsigned long attrs, const char *site)
{
	int nents = __dmashim_dma_map_sg(dev, sgt->sgl, (int)sgt->orig_nents, dir, attrs, site);

	if (nents < 0)
		return nents;
	if (nents == 0)
		return -EIO;
	sgt->nents = (unsigned int)nents;
	return 0;
}

#define dma_map_sgtable(dev, sgt, dir, attrs) __dmashim_dma_map_sgtable(dev, sgt, dir, attrs, DMASHIM_SITE)
#define dma_unmap_sgtable(dev, sgt, dir, attrs) \
	__dmashim_dma_unmap_sg(dev, (sgt)->sgl, (int)(sgt)->orig_nents, dir, attrs, DMASHIM_SITE)
#define dma_sync_sgtable_for_cpu(dev, sgt, dir) \
	__dmashim_dma_sync_sg(dev, (sgt)->sgl, (int)(sgt)->orig_nents, dir, 0, DMASHIM_SITE)
#define dma_sync_sgtable_for_device(dev, sgt, dir) \
	__dmashim_dma_sync_sg(dev, (sgt)->sgl, (int)(sgt)->orig_nents, dir, 1, DMASHIM_SITE)

/* ---- device DMA parameters ---- */

/* x86 is cache-coherent for DMA: the minimum alignment a streaming buffer needs is one byte. */
static inline int dma_get_cache_alignment(void) { return 1; }

static inline unsigned int dma_get_max_seg_size(struct device *dev)
{
	if (dev->dma_parms && dev->dma_parms->max_segment_size)
		return dev->dma_parms->max_segment_size;
	return 0x10000; /* SZ_64K */
}

/* Fails with -EIO when the device has no dma_parms to hold it, as the kernel before v6.8 (a WARN after). */
static inline int dma_set_max_seg_size(struct device *dev, unsigned int size)
{
	if (!dev->dma_parms)
		return -EIO;
	dev->dma_parms->max_segment_size = size;
	return 0;
}

static inline unsigned long dma_get_seg_boundary(struct device *dev)
{
	if (dev->dma_parms && dev->dma_parms->segment_boundary_mask)
		return dev->dma_parms->segment_boundary_mask;
	return ~0UL;
}

static inline int dma_set_seg_boundary(struct device *dev, unsigned long mask)
{
	if (!dev->dma_parms)
		return -EIO;
	dev->dma_parms->segment_boundary_mask = mask;
	return 0;
}

/* The streaming mask is narrower than what the machine's memory needs: some buffers may bounce. */
static inline bool dma_addressing_limited(struct device *dev)
{
	return dma_get_mask(dev) < dma_get_required_mask(dev);
}

/*
 * dma_mmap_*: map a dma_alloc_coherent() buffer (RAM or device memory) to user
 * space from a driver's mmap handler: 0, or -ENXIO when the vma's offset and
 * length do not fit the buffer (native/devmem.c; user space: dmashim/user.h).
 */
#include <linux/mm_types.h>
int __dmashim_dma_mmap_attrs(struct device *dev, struct vm_area_struct *vma, void *cpu_addr, dma_addr_t dma_addr,
			     size_t size, unsigned long attrs, const char *site);
#define dma_mmap_attrs(dev, vma, cpu_addr, dma_addr, size, attrs) \
	__dmashim_dma_mmap_attrs(dev, vma, cpu_addr, dma_addr, size, attrs, DMASHIM_SITE)
#define dma_mmap_coherent(dev, vma, cpu_addr, dma_addr, size) \
	__dmashim_dma_mmap_attrs(dev, vma, cpu_addr, dma_addr, size, 0, DMASHIM_SITE)
#define dma_mmap_wc(dev, vma, cpu_addr, dma_addr, size) \
	__dmashim_dma_mmap_attrs(dev, vma, cpu_addr, dma_addr, size, DMA_ATTR_WRITE_COMBINE, DMASHIM_SITE)

#endif /* _LINUX_DMA_MAPPING_H */

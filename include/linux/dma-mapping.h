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
#include <dmashim/era.h>
#include <linux/device.h>
#include <linux/dma-direction.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
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

#if DMASHIM_HAS_SINCE(2, 6, 0)
int dma_set_mask(struct device *dev, u64 mask);
#endif
#if DMASHIM_HAS_SINCE(2, 6, 34)
int dma_set_coherent_mask(struct device *dev, u64 mask);
#endif
#if DMASHIM_HAS_SINCE(2, 6, 0)
int dma_supported(struct device *dev, u64 mask);
u64 dma_get_required_mask(struct device *dev);
#endif

#if DMASHIM_HAS_SINCE(3, 13, 0)
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
#endif

#if DMASHIM_HAS_SINCE(2, 6, 0)
static inline u64 dma_get_mask(struct device *dev)
{
	if (dev->dma_mask && *dev->dma_mask)
		return *dev->dma_mask;
	return DMA_BIT_MASK(32);
}
#endif

#if DMASHIM_HAS_SINCE(5, 1, 0)
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
#endif

#if DMASHIM_HAS_SINCE(5, 4, 0)
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
#endif

/* ---- coherent memory ---- */
void *__dmashim_dma_alloc_attrs(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t flag,
				unsigned long attrs, int managed, const char *site);
void __dmashim_dma_free_attrs(struct device *dev, size_t size, void *cpu_addr, dma_addr_t dma_handle,
			      unsigned long attrs, int managed, const char *site);

#if DMASHIM_HAS_SINCE(3, 4, 0)
void *dma_alloc_attrs(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t flag, unsigned long attrs);
void dma_free_attrs(struct device *dev, size_t size, void *cpu_addr, dma_addr_t dma_handle, unsigned long attrs);
#endif
#if DMASHIM_HAS_SINCE(2, 6, 0)
void *dma_alloc_coherent(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t gfp);
void dma_free_coherent(struct device *dev, size_t size, void *cpu_addr, dma_addr_t dma_handle);
#endif
#if DMASHIM_HAS_SINCE(2, 6, 21)
void *dmam_alloc_coherent(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t gfp);
void dmam_free_coherent(struct device *dev, size_t size, void *vaddr, dma_addr_t dma_handle);
#endif

#if DMASHIM_HAS_SINCE(3, 4, 0)
#define dma_alloc_attrs(dev, size, handle, gfp, attrs) \
	__dmashim_dma_alloc_attrs(dev, size, handle, gfp, attrs, 0, DMASHIM_SITE)
#define dma_free_attrs(dev, size, cpu, handle, attrs) \
	__dmashim_dma_free_attrs(dev, size, cpu, handle, attrs, 0, DMASHIM_SITE)
#endif
#if DMASHIM_HAS_SINCE(2, 6, 0)
#define dma_alloc_coherent(dev, size, handle, gfp) __dmashim_dma_alloc_attrs(dev, size, handle, gfp, 0, 0, DMASHIM_SITE)
#define dma_free_coherent(dev, size, cpu, handle) __dmashim_dma_free_attrs(dev, size, cpu, handle, 0, 0, DMASHIM_SITE)
#endif
#if DMASHIM_HAS_SINCE(2, 6, 21)
#define dmam_alloc_coherent(dev, size, handle, gfp) \
	__dmashim_dma_alloc_attrs(dev, size, handle, gfp, 0, 1, DMASHIM_SITE)
#define dmam_free_coherent(dev, size, cpu, handle) __dmashim_dma_free_attrs(dev, size, cpu, handle, 0, 1, DMASHIM_SITE)
void *dmam_alloc_attrs(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t gfp, unsigned long attrs);
#define dmam_alloc_attrs(dev, size, handle, gfp, attrs) \
	__dmashim_dma_alloc_attrs(dev, size, handle, gfp, attrs, 1, DMASHIM_SITE)
#endif
/* Write-combined coherent memory: DMA_ATTR_WRITE_COMBINE (x86's coherent memory is write-back either way). */
#if DMASHIM_HAS_SINCE(4, 5, 0)
#define dma_alloc_wc(dev, size, handle, gfp) \
	__dmashim_dma_alloc_attrs(dev, size, handle, gfp, DMA_ATTR_WRITE_COMBINE, 0, DMASHIM_SITE)
#define dma_free_wc(dev, size, cpu, handle) \
	__dmashim_dma_free_attrs(dev, size, cpu, handle, DMA_ATTR_WRITE_COMBINE, 0, DMASHIM_SITE)
#endif
/* Removed in v5.0 (coherent memory is always zeroed); kept for older drivers. */
#if DMASHIM_HAS_SINCE(2, 6, 0) && DMASHIM_HAS_UNTIL(5, 0, 0)
#define dma_zalloc_coherent(dev, size, handle, gfp) dma_alloc_coherent(dev, size, handle, (gfp) | __GFP_ZERO)
#endif

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

#if DMASHIM_HAS_SINCE(2, 6, 0)
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
#if DMASHIM_HAS_SINCE(2, 6, 5)
#define dma_sync_single_for_cpu(dev, addr, size, dir) __dmashim_dma_sync(dev, addr, size, dir, 0, DMASHIM_SITE)
#define dma_sync_single_for_device(dev, addr, size, dir) __dmashim_dma_sync(dev, addr, size, dir, 1, DMASHIM_SITE)
#endif
#endif
/* A part of a mapping: offset bytes into it, size bytes long (dma-debug checks it lies inside). */
#if DMASHIM_HAS_SINCE(2, 6, 5)
#define dma_sync_single_range_for_cpu(dev, addr, offset, size, dir) \
	__dmashim_dma_sync(dev, (addr) + (offset), size, dir, 0, DMASHIM_SITE)
#define dma_sync_single_range_for_device(dev, addr, offset, size, dir) \
	__dmashim_dma_sync(dev, (addr) + (offset), size, dir, 1, DMASHIM_SITE)
#define dma_sync_sg_for_cpu(dev, sg, nelems, dir) __dmashim_dma_sync_sg(dev, sg, nelems, dir, 0, DMASHIM_SITE)
#define dma_sync_sg_for_device(dev, sg, nelems, dir) __dmashim_dma_sync_sg(dev, sg, nelems, dir, 1, DMASHIM_SITE)
#endif
/*
 * dma_mapping_error(dev, addr); before 2.6.27 it took the address alone,
 * dma_mapping_error(addr), and old drivers still call it so: both forms work
 * (chosen by the number of arguments).
 */
#define __DMASHIM_MAPERR_NARGS_(_1, _2, N, ...) N
#define __DMASHIM_MAPERR_CAT_(a, b) a##b
#define __DMASHIM_MAPERR_CAT(a, b) __DMASHIM_MAPERR_CAT_(a, b)
#if !defined(DMASHIM_KERNEL)
#define dma_mapping_error(...) \
	__DMASHIM_MAPERR_CAT(__dmashim_dma_mapping_error_, __DMASHIM_MAPERR_NARGS_(__VA_ARGS__, 2, 1, 0))(__VA_ARGS__)
#elif DMASHIM_SHAPE_BEFORE(2, 6, 27) && DMASHIM_HAS_SINCE(2, 6, 0)
#define dma_mapping_error(dma_addr) __dmashim_dma_mapping_error_1(dma_addr)
#elif DMASHIM_HAS_SINCE(2, 6, 27)
#define dma_mapping_error(dev, dma_addr) __dmashim_dma_mapping_error_2(dev, dma_addr)
#endif
#define __dmashim_dma_mapping_error_2(dev, dma_addr) __dmashim_dma_mapping_error(dev, dma_addr, DMASHIM_SITE)
#define __dmashim_dma_mapping_error_1(dma_addr) __dmashim_dma_mapping_error(NULL, dma_addr, DMASHIM_SITE)

/* ---- sg_table forms (v5.8+): the whole CPU list is mapped, sgt->nents becomes the mapped count ---- */
#if DMASHIM_HAS_SINCE(5, 8, 0)
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
#endif

/* ---- device DMA parameters ---- */

/* x86 is cache-coherent for DMA: the minimum alignment a streaming buffer needs is one byte. */
#if DMASHIM_HAS_SINCE(2, 6, 0)
static inline int dma_get_cache_alignment(void) { return 1; }
#endif

#if DMASHIM_HAS_SINCE(2, 6, 24)
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
#endif

/* The streaming mask is narrower than what the machine's memory needs: some buffers may bounce. */
#if DMASHIM_HAS_SINCE(5, 3, 0)
static inline bool dma_addressing_limited(struct device *dev)
{
	return dma_get_mask(dev) < dma_get_required_mask(dev);
}
#endif

/* ---- the state an unmap needs, kept in the driver's own structs ----
 * x86-64 keeps it (CONFIG_NEED_DMA_MAP_STATE), so these are real members.
 */
#if DMASHIM_HAS_SINCE(2, 6, 34)
#define DEFINE_DMA_UNMAP_ADDR(ADDR_NAME) dma_addr_t ADDR_NAME
#define DEFINE_DMA_UNMAP_LEN(LEN_NAME) __u32 LEN_NAME
#define dma_unmap_addr(PTR, ADDR_NAME) ((PTR)->ADDR_NAME)
#define dma_unmap_addr_set(PTR, ADDR_NAME, VAL) (((PTR)->ADDR_NAME) = (VAL))
#define dma_unmap_len(PTR, LEN_NAME) ((PTR)->LEN_NAME)
#define dma_unmap_len_set(PTR, LEN_NAME, VAL) (((PTR)->LEN_NAME) = (VAL))
#endif

/* ---- non-coherent memory: pages the driver owns, handed over with dma_sync_single_for_*() ---- */
struct page *__dmashim_dma_alloc_pages(struct device *dev, size_t size, dma_addr_t *dma_handle,
				       enum dma_data_direction dir, gfp_t gfp, const char *site);
void __dmashim_dma_free_pages(struct device *dev, size_t size, struct page *page, dma_addr_t dma_handle,
			      enum dma_data_direction dir, const char *site);
#if DMASHIM_HAS_SINCE(5, 10, 0)
struct page *dma_alloc_pages(struct device *dev, size_t size, dma_addr_t *dma_handle, enum dma_data_direction dir,
			     gfp_t gfp);
void dma_free_pages(struct device *dev, size_t size, struct page *page, dma_addr_t dma_handle,
		    enum dma_data_direction dir);
#define dma_alloc_pages(dev, size, handle, dir, gfp) \
	__dmashim_dma_alloc_pages(dev, size, handle, dir, gfp, DMASHIM_SITE)
#define dma_free_pages(dev, size, page, handle, dir) \
	__dmashim_dma_free_pages(dev, size, page, handle, dir, DMASHIM_SITE)
#endif

static inline void *__dmashim_dma_alloc_noncoherent(struct device *dev, size_t size, dma_addr_t *dma_handle,
						     enum dma_data_direction dir, gfp_t gfp, const char *site)
{
	struct page *page = __dmashim_dma_alloc_pages(dev, size, dma_handle, dir, gfp, site);

	return page ? page_address(page) : NULL;
}
#if DMASHIM_HAS_SINCE(2, 6, 0) && DMASHIM_SHAPE_BEFORE(5, 10, 0)
/* Before 5.10: no direction (the memory was the platform's noncoherent kind). */
#define dma_alloc_noncoherent(dev, size, handle, gfp) \
	__dmashim_dma_alloc_noncoherent(dev, size, handle, DMA_BIDIRECTIONAL, gfp, DMASHIM_SITE)
#define dma_free_noncoherent(dev, size, vaddr, handle) \
	__dmashim_dma_free_pages(dev, size, virt_to_page(vaddr), handle, DMA_BIDIRECTIONAL, DMASHIM_SITE)
#elif DMASHIM_HAS_SINCE(5, 10, 0)
#define dma_alloc_noncoherent(dev, size, handle, dir, gfp) \
	__dmashim_dma_alloc_noncoherent(dev, size, handle, dir, gfp, DMASHIM_SITE)
#define dma_free_noncoherent(dev, size, vaddr, handle, dir) \
	__dmashim_dma_free_pages(dev, size, virt_to_page(vaddr), handle, dir, DMASHIM_SITE)
#endif

/*
 * Non-contiguous memory: without an IOMMU's own allocator (ours has none) the
 * kernel gives one contiguous segment in a one-entry table, and so do we.
 */
struct sg_table *__dmashim_dma_alloc_noncontiguous(struct device *dev, size_t size, enum dma_data_direction dir,
						   gfp_t gfp, unsigned long attrs, const char *site);
void __dmashim_dma_free_noncontiguous(struct device *dev, size_t size, struct sg_table *sgt,
				      enum dma_data_direction dir, const char *site);
#if DMASHIM_HAS_SINCE(5, 15, 0)
#define dma_alloc_noncontiguous(dev, size, dir, gfp, attrs) \
	__dmashim_dma_alloc_noncontiguous(dev, size, dir, gfp, attrs, DMASHIM_SITE)
#define dma_free_noncontiguous(dev, size, sgt, dir) __dmashim_dma_free_noncontiguous(dev, size, sgt, dir, DMASHIM_SITE)
void *dma_vmap_noncontiguous(struct device *dev, size_t size, struct sg_table *sgt);
void dma_vunmap_noncontiguous(struct device *dev, void *vaddr);
int dma_mmap_noncontiguous(struct device *dev, struct vm_area_struct *vma, size_t size, struct sg_table *sgt);
#endif

/* ---- MMIO of another device (peer-to-peer): a bus address for a physical address that is not RAM ---- */
dma_addr_t __dmashim_dma_map_resource(struct device *dev, phys_addr_t phys_addr, size_t size,
				      enum dma_data_direction dir, unsigned long attrs, const char *site);
void __dmashim_dma_unmap_resource(struct device *dev, dma_addr_t addr, size_t size, enum dma_data_direction dir,
				  unsigned long attrs, const char *site);
#if DMASHIM_HAS_SINCE(4, 9, 0)
#define dma_map_resource(dev, phys, size, dir, attrs) \
	__dmashim_dma_map_resource(dev, phys, size, dir, attrs, DMASHIM_SITE)
#define dma_unmap_resource(dev, addr, size, dir, attrs) \
	__dmashim_dma_unmap_resource(dev, addr, size, dir, attrs, DMASHIM_SITE)
#endif

/* ---- coherent memory seen elsewhere: a table of its pages, a user mapping ---- */
int dma_get_sgtable_attrs(struct device *dev, struct sg_table *sgt, void *cpu_addr, dma_addr_t dma_addr, size_t size,
			  unsigned long attrs);
#define dma_get_sgtable(dev, sgt, cpu, handle, size) dma_get_sgtable_attrs(dev, sgt, cpu, handle, size, 0)
int dma_mmap_attrs(struct device *dev, struct vm_area_struct *vma, void *cpu_addr, dma_addr_t dma_addr, size_t size,
		   unsigned long attrs);
#define dma_mmap_coherent(dev, vma, cpu, handle, size) dma_mmap_attrs(dev, vma, cpu, handle, size, 0)
#define dma_mmap_wc(dev, vma, cpu, handle, size) dma_mmap_attrs(dev, vma, cpu, handle, size, DMA_ATTR_WRITE_COMBINE)
#if DMASHIM_HAS_SINCE(5, 10, 0)
int dma_mmap_pages(struct device *dev, struct vm_area_struct *vma, size_t size, struct page *page);
#endif
#if DMASHIM_HAS_SINCE(5, 8, 0)
bool dma_can_mmap(struct device *dev);
#endif

/* True when the CPU and the device must sync around accesses to dma_addr: here, only a bounced mapping. */
bool dma_need_sync(struct device *dev, dma_addr_t dma_addr);

/*
 * The low bits of a buffer's address that bouncing must keep (NVMe's). The
 * kernel's WARN when the device has no dma_parms. Differs: our swiotlb does
 * not honour it (it aligns bounce buffers to its slots).
 */
#if DMASHIM_HAS_SINCE(5, 12, 0)
static inline void dma_set_min_align_mask(struct device *dev, unsigned int min_align_mask)
{
	if (WARN_ON_ONCE(!dev->dma_parms))
		return;
	dev->dma_parms->min_align_mask = min_align_mask;
}
#endif

/* The largest mapping size that keeps the mapping fast: dma_max_mapping_size(), or less when the ops say so. */
#if DMASHIM_HAS_SINCE(6, 0, 0)
size_t dma_opt_mapping_size(struct device *dev);
#endif

#endif /* _LINUX_DMA_MAPPING_H */

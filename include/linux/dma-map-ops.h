/* SPDX-License-Identifier: MIT */
/*
 * linux/dma-map-ops.h for dmashim: struct dma_map_ops with the kernel's member
 * names, and get_dma_ops()/set_dma_ops(). As in the kernel, this header is for
 * code that implements DMA ops (or tests, like mm/dmapool_test.c, that pick the
 * direct mapping); drivers use linux/dma-mapping.h.
 *
 * Dispatch, as the kernel's dma_map_* do: a device whose C-side ops were set
 * with set_dma_ops(dev, ops) has these members called from C (alloc, free,
 * map_page, unmap_page, map_sg, unmap_sg, sync_*, map_resource,
 * unmap_resource, alloc_pages_op, free_pages, mmap, get_sgtable), and
 * dma-debug checks each call first and records it after, so a driver bug is
 * reported whoever maps. A device without C ops takes the default path: one
 * load of a count and a branch, no crossing into TypeScript. Masks,
 * dma_max_mapping_size(), dma_get_merge_boundary() and the managed dmam_*
 * allocations do not go through C ops: they keep TypeScript's view of the
 * device (the direct mapping, or the IOMMU's ops under --iommu).
 *
 * set_dma_ops(dev, NULL) is the direct mapping, also under --iommu (what the
 * kernel's mm/dmapool_test.c does). get_dma_ops() returns the C-side ops or
 * NULL; the IOMMU's ops live in TypeScript, so it returns NULL for them too.
 */
#ifndef _LINUX_DMA_MAP_OPS_H
#define _LINUX_DMA_MAP_OPS_H

#include <linux/dma-mapping.h>
#include <linux/slab.h>

/* The ops support PCI peer-to-peer DMA (dma_map_ops.flags). */
#define DMA_F_PCI_P2PDMA_SUPPORTED (1 << 0)

struct dma_map_ops {
	void *(*alloc)(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t gfp, unsigned long attrs);
	void (*free)(struct device *dev, size_t size, void *vaddr, dma_addr_t dma_handle, unsigned long attrs);
	struct page *(*alloc_pages_op)(struct device *dev, size_t size, dma_addr_t *dma_handle,
				       enum dma_data_direction dir, gfp_t gfp);
	void (*free_pages)(struct device *dev, size_t size, struct page *vaddr, dma_addr_t dma_handle,
			   enum dma_data_direction dir);
	int (*mmap)(struct device *, struct vm_area_struct *, void *, dma_addr_t, size_t, unsigned long attrs);
	int (*get_sgtable)(struct device *dev, struct sg_table *sgt, void *cpu_addr, dma_addr_t dma_addr, size_t size,
			   unsigned long attrs);
	dma_addr_t (*map_page)(struct device *dev, struct page *page, unsigned long offset, size_t size,
			       enum dma_data_direction dir, unsigned long attrs);
	void (*unmap_page)(struct device *dev, dma_addr_t dma_handle, size_t size, enum dma_data_direction dir,
			   unsigned long attrs);
	/* A negative errno on failure (-EINVAL, -ENOMEM, -EIO, -EREMOTEIO), as dma_map_sgtable() returns. */
	int (*map_sg)(struct device *dev, struct scatterlist *sg, int nents, enum dma_data_direction dir,
		      unsigned long attrs);
	void (*unmap_sg)(struct device *dev, struct scatterlist *sg, int nents, enum dma_data_direction dir,
			 unsigned long attrs);
	dma_addr_t (*map_resource)(struct device *dev, phys_addr_t phys_addr, size_t size,
				   enum dma_data_direction dir, unsigned long attrs);
	void (*unmap_resource)(struct device *dev, dma_addr_t dma_handle, size_t size, enum dma_data_direction dir,
			       unsigned long attrs);
	void (*sync_single_for_cpu)(struct device *dev, dma_addr_t dma_handle, size_t size,
				    enum dma_data_direction dir);
	void (*sync_single_for_device)(struct device *dev, dma_addr_t dma_handle, size_t size,
				       enum dma_data_direction dir);
	void (*sync_sg_for_cpu)(struct device *dev, struct scatterlist *sg, int nents, enum dma_data_direction dir);
	void (*sync_sg_for_device)(struct device *dev, struct scatterlist *sg, int nents,
				   enum dma_data_direction dir);
	void (*cache_sync)(struct device *dev, void *vaddr, size_t size, enum dma_data_direction direction);
	int (*dma_supported)(struct device *dev, u64 mask);
	u64 (*get_required_mask)(struct device *dev);
	size_t (*max_mapping_size)(struct device *dev);
	size_t (*opt_mapping_size)(void);
	unsigned long (*get_merge_boundary)(struct device *dev);
	unsigned int flags;
};

/**
 * get_dma_ops() - the device's C-side DMA ops
 * Returns what set_dma_ops() installed, or NULL for the direct mapping. Any
 * context. Differs: NULL also behind --iommu (the IOMMU's ops are TypeScript's).
 */
const struct dma_map_ops *get_dma_ops(struct device *dev);

/**
 * set_dma_ops() - make @dma_ops map for @dev from now on
 * NULL returns the device to the direct mapping (also under --iommu). As in the
 * kernel, done before the device allocates or maps anything: what was made
 * through the old ops is released through the new ones.
 */
void set_dma_ops(struct device *dev, const struct dma_map_ops *dma_ops);

/* ---- per-device coherent memory (kernel/dma/coherent.c, src/kernel/dma/coherent.ts) ----
 * Device memory of an iomem window (dmashim run --iomem) or RAM, from which
 * every dma_alloc_coherent() and dma_pool page of the device then comes.
 * dma_declare_coherent_memory() returns 0, or -EINVAL (size 0, a range that is
 * neither RAM nor a window), -EBUSY (the device has a region already),
 * -ENOMEM; dma_release_coherent_memory() gives the region back.
 */
int dma_declare_coherent_memory(struct device *dev, phys_addr_t phys_addr, dma_addr_t device_addr, size_t size);
void dma_release_coherent_memory(struct device *dev);

#endif /* _LINUX_DMA_MAP_OPS_H */

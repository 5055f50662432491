/* SPDX-License-Identifier: MIT */
/*
 * The DMA mapping API from C: coherent allocations, streaming maps of single
 * buffers and pages, scatterlists (flattened for the sg op) and the sync and
 * mapping_error calls.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include <linux/kernel.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/scatterlist.h>
#include <linux/dma-map-ops.h>
#include <dmashim/mmap.h>

#include "internal.h"
#include "dma_ops.h"

static void cops_missing(const char *fn, const char *member);
static void *cops_alloc(struct device *dev, const struct dma_map_ops *ops, size_t size, dma_addr_t *dma_handle,
			gfp_t flag, unsigned long attrs, const char *site);
static void cops_free(struct device *dev, const struct dma_map_ops *ops, size_t size, void *cpu_addr,
		      dma_addr_t dma_handle, unsigned long attrs, const char *site);
static dma_addr_t cops_map(struct device *dev, const struct dma_map_ops *ops, void *ptr, size_t size,
			   enum dma_data_direction dir, unsigned long attrs, int kind, const char *site);
static void cops_unmap(struct device *dev, const struct dma_map_ops *ops, dma_addr_t addr, size_t size,
		       enum dma_data_direction dir, unsigned long attrs, int kind, const char *site);
static void cops_sync(struct device *dev, const struct dma_map_ops *ops, dma_addr_t addr, size_t size,
		      enum dma_data_direction dir, int for_device, const char *site);

/* -------------------------------------------------------------- coherent */

void *__dmashim_dma_alloc_attrs(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t flag,
				unsigned long attrs, int managed, const char *site)
{
	if (!enter("dma_alloc_coherent"))
		return NULL;
	const struct dma_map_ops *ops = managed ? NULL : C_DMA_OPS(dev);
	if (ops)
		return cops_alloc(dev, ops, size, dma_handle, flag, attrs, site);
	int slot = my_slot();
	double off = dmashim_ts.alloc_coherent(dmashim_devid(dev), (double)size, flag, (double)attrs, managed, slot,
					       site_arg(site));
	if (off < 0)
		return NULL;
	if (likely(dma_handle != NULL))
		*dma_handle = scratch_get(slot, 0);
	return arena_ptr(off);
}

void __dmashim_dma_free_attrs(struct device *dev, size_t size, void *cpu_addr, dma_addr_t dma_handle,
			      unsigned long attrs, int managed, const char *site)
{
	if (!enter("dma_free_coherent"))
		return;
	const struct dma_map_ops *ops = managed ? NULL : C_DMA_OPS(dev);
	if (ops) {
		cops_free(dev, ops, size, cpu_addr, dma_handle, attrs, site);
		return;
	}
	dmashim_ts.free_coherent(dmashim_devid(dev), (double)size, addr_arg(cpu_addr), (double)dma_handle,
				 (double)attrs, managed, site_arg(site));
}

void *(dma_alloc_attrs)(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t flag, unsigned long attrs)
{
	return __dmashim_dma_alloc_attrs(dev, size, dma_handle, flag, attrs, 0, NULL);
}
void (dma_free_attrs)(struct device *dev, size_t size, void *cpu_addr, dma_addr_t dma_handle, unsigned long attrs)
{
	__dmashim_dma_free_attrs(dev, size, cpu_addr, dma_handle, attrs, 0, NULL);
}
void *(dma_alloc_coherent)(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t gfp)
{
	return __dmashim_dma_alloc_attrs(dev, size, dma_handle, gfp, 0, 0, NULL);
}
void (dma_free_coherent)(struct device *dev, size_t size, void *cpu_addr, dma_addr_t dma_handle)
{
	__dmashim_dma_free_attrs(dev, size, cpu_addr, dma_handle, 0, 0, NULL);
}
void *(dmam_alloc_coherent)(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t gfp)
{
	return __dmashim_dma_alloc_attrs(dev, size, dma_handle, gfp, 0, 1, NULL);
}
void (dmam_free_coherent)(struct device *dev, size_t size, void *vaddr, dma_addr_t dma_handle)
{
	__dmashim_dma_free_attrs(dev, size, vaddr, dma_handle, 0, 1, NULL);
}

/* ------------------------------------------------------------- streaming */

/*
 * Memory that must not be mapped (DMA-mapping.txt: "you may not use kernel image
 * addresses ... nor may you use kernel stack addresses"), seen from C: a buffer
 * outside the arena that lies just above our own stack frame is on the calling
 * thread's stack (koffi's stack, or a pthread's: at most 16 MiB, so "probable",
 * as dma-debug says for vmap stacks); one that dladdr() places inside a loaded
 * object is the program's static data or text. The TypeScript side reports it
 * with dma-debug's text; flags ride in the high bits of `kind`.
 */
#define DMASHIM_STACK_WINDOW (16u << 20)

static noinline int classify_area(const void *p)
{
	volatile char probe = 0;
	uintptr_t sp = (uintptr_t)&probe, a = (uintptr_t)p;
	Dl_info info;

	if (a - (uintptr_t)dmashim_arena < dmashim_arena_size)
		return 0;
	if (a + 4096 >= sp && a < sp + DMASHIM_STACK_WINDOW)
		return DMASHIM_MAP_AREA_STACK;
	if (dladdr(p, &info) && info.dli_fname)
		return DMASHIM_MAP_AREA_IMAGE;
	return 0;
}

/* The device of this thread's last streaming map: what the pre-2.6.27 dma_mapping_error(addr) refers to. */
static __thread struct device *last_map_dev;

dma_addr_t __dmashim_dma_map(struct device *dev, void *ptr, size_t size, enum dma_data_direction dir,
			     unsigned long attrs, int kind, const char *site)
{
	if (!enter("dma_map_single"))
		return DMA_MAPPING_ERROR;
	last_map_dev = dev;
	const struct dma_map_ops *ops = C_DMA_OPS(dev);
	if (ops)
		return cops_map(dev, ops, ptr, size, dir, attrs, kind, site);
	double dma = dmashim_ts.map(dmashim_devid(dev), addr_arg(ptr), (double)size, (int32_t)dir, (double)attrs,
			     kind | classify_area(ptr), site_arg(site));
	return dma < 0 ? DMA_MAPPING_ERROR : (dma_addr_t)dma;
}

void __dmashim_dma_unmap(struct device *dev, dma_addr_t addr, size_t size, enum dma_data_direction dir,
			 unsigned long attrs, int kind, const char *site)
{
	if (!enter("dma_unmap_single"))
		return;
	const struct dma_map_ops *ops = C_DMA_OPS(dev);
	if (ops) {
		cops_unmap(dev, ops, addr, size, dir, attrs, kind, site);
		return;
	}
	dmashim_ts.unmap(dmashim_devid(dev), (double)addr, (double)size, (int32_t)dir, (double)attrs, kind,
			 site_arg(site));
}

void __dmashim_dma_sync(struct device *dev, dma_addr_t addr, size_t size, enum dma_data_direction dir,
			int for_device, const char *site)
{
	if (!enter("dma_sync_single"))
		return;
	const struct dma_map_ops *ops = C_DMA_OPS(dev);
	if (ops) {
		cops_sync(dev, ops, addr, size, dir, for_device, site);
		return;
	}
	dmashim_ts.sync(dmashim_devid(dev), (double)addr, (double)size, (int32_t)dir, for_device, site_arg(site));
}

int __dmashim_dma_mapping_error(struct device *dev, dma_addr_t dma_addr, const char *site)
{
	if (!enter("dma_mapping_error"))
		return 1;
	if (!dev) {
		/*
		 * The one-argument form of old kernels (dma_mapping_error(addr),
		 * pci_dma_mapping_error(addr)) names no device: drivers call it right
		 * after the map, so dma-debug marks the check on that map's device.
		 */
		dev = last_map_dev;
		if (!dev)
			return dma_addr == DMA_MAPPING_ERROR;
	}
	return dmashim_ts.mapping_error(dmashim_devid(dev), (double)dma_addr, site_arg(site));
}

/* Flatten a C scatterlist into records of 4 doubles, call TypeScript, copy the results back. */
/*
 * With C-side ops (`ops`), they map, unmap and sync the C list themselves and
 * TypeScript only runs dma-debug's hooks (op | DMASHIM_SG_DEBUG): a map is
 * recorded after the ops made it (its segment count in the op's high bits), an
 * unmap or sync is checked first and reaches the ops only when it matched.
 */
static int sg_call(int op, struct device *dev, struct scatterlist *sgl, int nents, enum dma_data_direction dir,
		   unsigned long attrs, const char *site)
{
	const struct dma_map_ops *ops = C_DMA_OPS(dev);
	int ents = 0;
	if (!sgl)
		return 0;
	/* No entries: only a map crosses, for the kernel's WARN in __dma_map_sg_attrs; the rest do nothing. */
	if (nents <= 0) {
		if (op != DMASHIM_SG_MAP)
			return 0;
		return dmashim_ts.sg(op, dmashim_devid(dev), 0, nents, (int32_t)dir, (double)attrs, site_arg(site));
	}
	/* A count past the table's end would walk off it (sg_next returns NULL there): refuse, as the TS API does. */
	int have = 0;
	for (struct scatterlist *s = sgl; s && have < nents; s = sg_next(s))
		have++;
	if (have < nents) {
		char msg[160];
		const char *fn = op == DMASHIM_SG_MAP	  ? "dma_map_sg"
				 : op == DMASHIM_SG_UNMAP ? "dma_unmap_sg"
							  : "dma_sync_sg";
		snprintf(msg, sizeof(msg), "dmashim: %s: nents %d is larger than the scatterlist (%d entries)%s%s\n",
			 fn, nents, have, site ? ", called from " : "", site ? site : "");
		dmashim_emit(3, DMASHIM_PRINTK_NO_DEV, msg, 0);
		return 0;
	}
	if (ops && op == DMASHIM_SG_MAP) {
		if (!ops->map_sg)
			return cops_missing("dma_map_sg", "map_sg"), 0;
		ents = ops->map_sg(dev, sgl, nents, dir, attrs);
		if (ents <= 0)
			return 0;
	}
	double *buf = malloc(sizeof(double) * 4 * (size_t)nents);
	if (!buf)
		return 0;
	struct scatterlist *sg;
	int i;
	for_each_sg(sgl, sg, nents, i) {
		buf[i * 4 + 0] = addr_arg(sg_virt(sg));
		buf[i * 4 + 1] = sg->length;
		buf[i * 4 + 2] = sg->dma_address == DMA_MAPPING_ERROR ? -1 : (double)sg->dma_address;
		buf[i * 4 + 3] = sg->dma_length;
	}
	int tsop = ops ? op | DMASHIM_SG_DEBUG | (ents << DMASHIM_SG_ENTS_SHIFT) : op;
	int rc = dmashim_ts.sg(tsop, dmashim_devid(dev), addr_arg(buf), nents, (int32_t)dir, (double)attrs,
			       site_arg(site));
	if (ops) {
		free(buf);
		if (op == DMASHIM_SG_MAP)
			return ents;
		if (rc != 1)
			return 0;
		if (op == DMASHIM_SG_UNMAP && ops->unmap_sg)
			ops->unmap_sg(dev, sgl, nents, dir, attrs);
		else if (op == DMASHIM_SG_SYNC_FOR_CPU && ops->sync_sg_for_cpu)
			ops->sync_sg_for_cpu(dev, sgl, nents, dir);
		else if (op == DMASHIM_SG_SYNC_FOR_DEVICE && ops->sync_sg_for_device)
			ops->sync_sg_for_device(dev, sgl, nents, dir);
		return 0;
	}
	if (op == DMASHIM_SG_MAP) {
		for_each_sg(sgl, sg, nents, i) {
			double d = buf[i * 4 + 2];
			sg->dma_address = d < 0 ? DMA_MAPPING_ERROR : (dma_addr_t)d;
			sg->dma_length = (unsigned int)buf[i * 4 + 3];
		}
	}
	free(buf);
	return rc;
}

int __dmashim_dma_map_sg(struct device *dev, struct scatterlist *sg, int nents, enum dma_data_direction dir,
			 unsigned long attrs, const char *site)
{
	if (!enter("dma_map_sg"))
		return 0;
	return sg_call(DMASHIM_SG_MAP, dev, sg, nents, dir, attrs, site);
}

void __dmashim_dma_unmap_sg(struct device *dev, struct scatterlist *sg, int nents, enum dma_data_direction dir,
			    unsigned long attrs, const char *site)
{
	if (!enter("dma_unmap_sg"))
		return;
	sg_call(DMASHIM_SG_UNMAP, dev, sg, nents, dir, attrs, site);
}

void __dmashim_dma_sync_sg(struct device *dev, struct scatterlist *sg, int nelems, enum dma_data_direction dir,
			   int for_device, const char *site)
{
	if (!enter("dma_sync_sg"))
		return;
	sg_call(for_device ? DMASHIM_SG_SYNC_FOR_DEVICE : DMASHIM_SG_SYNC_FOR_CPU, dev, sg, nelems, dir, 0, site);
}

/* ------------------------------------------------- C-side dma_map_ops */

/*
 * A device with ops from set_dma_ops(): the ops do the work, as in the
 * kernel; dma-debug (TypeScript) records what they made and checks every
 * unmap, free and sync first, and the ops see only what it matched (so, as
 * with TypeScript's ops, they may trust what they are given).
 */
static void cops_missing(const char *fn, const char *member)
{
	char msg[160];
	snprintf(msg, sizeof(msg), "dmashim: %s: the device's dma_map_ops has no %s (the kernel would oops)\n", fn,
		 member);
	dmashim_emit(3, DMASHIM_PRINTK_NO_DEV, msg, 0);
}

static double cops_debug(int op, struct device *dev, double a, double b, double c, double d, unsigned long attrs,
			 const char *site)
{
	return dmashim_ts.dma_api(op, dmashim_devid(dev), a, b, c, d, (double)attrs, my_slot(), site_arg(site));
}

static void *cops_alloc(struct device *dev, const struct dma_map_ops *ops, size_t size, dma_addr_t *dma_handle,
			gfp_t flag, unsigned long attrs, const char *site)
{
	dma_addr_t h = 0;
	if (!ops->alloc) {
		cops_missing("dma_alloc_attrs", "alloc");
		return NULL;
	}
	void *p = ops->alloc(dev, size, &h, flag, attrs);
	if (!p)
		return NULL;
	cops_debug(DMASHIM_DMAAPI_DEBUG_ALLOC, dev, addr_arg(p), (double)size, (double)h, 0, attrs, site);
	if (dma_handle)
		*dma_handle = h;
	return p;
}

static void cops_free(struct device *dev, const struct dma_map_ops *ops, size_t size, void *cpu_addr,
		      dma_addr_t dma_handle, unsigned long attrs, const char *site)
{
	if (!cpu_addr)
		return;
	if (cops_debug(DMASHIM_DMAAPI_DEBUG_FREE, dev, addr_arg(cpu_addr), (double)size, (double)dma_handle, 0, attrs,
		       site) != 1)
		return;
	if (ops->free)
		ops->free(dev, size, cpu_addr, dma_handle, attrs);
}

static dma_addr_t cops_map(struct device *dev, const struct dma_map_ops *ops, void *ptr, size_t size,
			   enum dma_data_direction dir, unsigned long attrs, int kind, const char *site)
{
	if (!ops->map_page) {
		cops_missing(kind == __DMASHIM_MAP_PAGE ? "dma_map_page" : "dma_map_single", "map_page");
		return DMA_MAPPING_ERROR;
	}
	dma_addr_t dma = ops->map_page(dev, virt_to_page(ptr), offset_in_page(ptr), size, dir, attrs);
	if (dma != DMA_MAPPING_ERROR)
		cops_debug(DMASHIM_DMAAPI_DEBUG_MAP, dev, addr_arg(ptr), (double)size,
			   (double)((int)dir | ((kind | classify_area(ptr)) << 8)), (double)dma, attrs, site);
	return dma;
}

static void cops_unmap(struct device *dev, const struct dma_map_ops *ops, dma_addr_t addr, size_t size,
		       enum dma_data_direction dir, unsigned long attrs, int kind, const char *site)
{
	if (cops_debug(DMASHIM_DMAAPI_DEBUG_UNMAP, dev, (double)addr, (double)size, (double)dir, kind, attrs,
		       site) != 1)
		return;
	if (ops->unmap_page)
		ops->unmap_page(dev, addr, size, dir, attrs);
}

static void cops_sync(struct device *dev, const struct dma_map_ops *ops, dma_addr_t addr, size_t size,
		      enum dma_data_direction dir, int for_device, const char *site)
{
	if (cops_debug(DMASHIM_DMAAPI_DEBUG_SYNC, dev, (double)addr, (double)size, (double)dir, for_device, 0,
		       site) != 1)
		return;
	if (for_device && ops->sync_single_for_device)
		ops->sync_single_for_device(dev, addr, size, dir);
	else if (!for_device && ops->sync_single_for_cpu)
		ops->sync_single_for_cpu(dev, addr, size, dir);
}

/* ------------------------------------------ the DMA API's other calls */

void *(dmam_alloc_attrs)(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t gfp, unsigned long attrs)
{
	return __dmashim_dma_alloc_attrs(dev, size, dma_handle, gfp, attrs, 1, NULL);
}

static double dma_api(int op, struct device *dev, double a, double b, double c, double d, unsigned long attrs,
		      int slot, const char *site)
{
	return dmashim_ts.dma_api(op, dmashim_devid(dev), a, b, c, d, (double)attrs, slot, site_arg(site));
}

struct page *__dmashim_dma_alloc_pages(struct device *dev, size_t size, dma_addr_t *dma_handle,
				       enum dma_data_direction dir, gfp_t gfp, const char *site)
{
	if (!enter("dma_alloc_pages"))
		return NULL;
	const struct dma_map_ops *ops = C_DMA_OPS(dev);
	if (ops) {
		dma_addr_t h = 0;
		/* The kernel: ops without alloc_pages_op give NULL. */
		if (!ops->alloc_pages_op)
			return NULL;
		struct page *page = ops->alloc_pages_op(dev, PAGE_ALIGN(size), &h, dir, gfp);
		if (!page)
			return NULL;
		cops_debug(DMASHIM_DMAAPI_DEBUG_MAP, dev, addr_arg(page_address(page)), (double)size,
			   (double)((int)dir | (__DMASHIM_MAP_NONCOHERENT << 8)), (double)h, 0, site);
		if (dma_handle)
			*dma_handle = h;
		return page;
	}
	int slot = my_slot();
	double off = dma_api(DMASHIM_DMAAPI_ALLOC_PAGES, dev, (double)size, (double)dir, (double)gfp, 0, 0, slot, site);
	if (off < 0)
		return NULL;
	if (dma_handle)
		*dma_handle = scratch_get(slot, 0);
	return (struct page *)arena_ptr(off);
}

void __dmashim_dma_free_pages(struct device *dev, size_t size, struct page *page, dma_addr_t dma_handle,
			      enum dma_data_direction dir, const char *site)
{
	if (!enter("dma_free_pages"))
		return;
	const struct dma_map_ops *ops = C_DMA_OPS(dev);
	if (ops) {
		if (cops_debug(DMASHIM_DMAAPI_DEBUG_UNMAP, dev, (double)dma_handle, (double)size, (double)dir,
			       __DMASHIM_MAP_NONCOHERENT, 0, site) == 1 &&
		    ops->free_pages)
			(ops->free_pages)(dev, PAGE_ALIGN(size), page, dma_handle, dir);
		return;
	}
	dma_api(DMASHIM_DMAAPI_FREE_PAGES, dev, (double)size, addr_arg(page), (double)dma_handle, (double)dir, 0,
		my_slot(), site);
}

struct page *(dma_alloc_pages)(struct device *dev, size_t size, dma_addr_t *dma_handle, enum dma_data_direction dir,
			       gfp_t gfp)
{
	return __dmashim_dma_alloc_pages(dev, size, dma_handle, dir, gfp, NULL);
}

void (dma_free_pages)(struct device *dev, size_t size, struct page *page, dma_addr_t dma_handle,
		      enum dma_data_direction dir)
{
	__dmashim_dma_free_pages(dev, size, page, dma_handle, dir, NULL);
}

/*
 * The kernel's single-segment table (alloc_single_sgt): the pages of
 * dma_alloc_pages() in a one-entry sg_table whose DMA address and length are
 * filled in. dma-debug tracks the allocation of its pages.
 */
struct sg_table *__dmashim_dma_alloc_noncontiguous(struct device *dev, size_t size, enum dma_data_direction dir,
						   gfp_t gfp, unsigned long attrs, const char *site)
{
	/* The kernel: DMA_ATTR_ALLOC_SINGLE_PAGES is the only attribute it takes (WARN_ON_ONCE otherwise). */
	if (WARN_ON_ONCE(attrs & ~DMA_ATTR_ALLOC_SINGLE_PAGES))
		return NULL;
	struct sg_table *sgt = kmalloc(sizeof(*sgt), gfp);
	if (!sgt)
		return NULL;
	if (sg_alloc_table(sgt, 1, gfp)) {
		kfree(sgt);
		return NULL;
	}
	dma_addr_t dma = 0;
	struct page *page = __dmashim_dma_alloc_pages(dev, size, &dma, dir, gfp, site);
	if (!page) {
		sg_free_table(sgt);
		kfree(sgt);
		return NULL;
	}
	sg_set_page(sgt->sgl, page, (unsigned int)PAGE_ALIGN(size), 0);
	sg_dma_address(sgt->sgl) = dma;
	sg_dma_len(sgt->sgl) = (unsigned int)size;
	return sgt;
}

void __dmashim_dma_free_noncontiguous(struct device *dev, size_t size, struct sg_table *sgt,
				      enum dma_data_direction dir, const char *site)
{
	if (!sgt || !sgt->sgl)
		return;
	__dmashim_dma_free_pages(dev, size, sg_page(sgt->sgl), sg_dma_address(sgt->sgl), dir, site);
	sg_free_table(sgt);
	kfree(sgt);
}

/* One segment: its pages are contiguous in the direct map already, as the kernel's page_address(). */
void *dma_vmap_noncontiguous(struct device *dev, size_t size, struct sg_table *sgt)
{
	(void)dev;
	(void)size;
	return sgt && sgt->sgl ? page_address(sg_page(sgt->sgl)) : NULL;
}

/* Nothing was mapped by dma_vmap_noncontiguous(), as in the kernel's single-segment case. */
void dma_vunmap_noncontiguous(struct device *dev, void *vaddr)
{
	(void)dev;
	(void)vaddr;
}

int dma_mmap_noncontiguous(struct device *dev, struct vm_area_struct *vma, size_t size, struct sg_table *sgt)
{
	if (!sgt || !sgt->sgl)
		return -ENXIO;
	return dma_mmap_pages(dev, vma, size, sg_page(sgt->sgl));
}

dma_addr_t __dmashim_dma_map_resource(struct device *dev, phys_addr_t phys_addr, size_t size,
				      enum dma_data_direction dir, unsigned long attrs, const char *site)
{
	if (!enter("dma_map_resource"))
		return DMA_MAPPING_ERROR;
	const struct dma_map_ops *ops = C_DMA_OPS(dev);
	if (ops) {
		/* The kernel: ops without map_resource give DMA_MAPPING_ERROR. */
		if (!ops->map_resource)
			return DMA_MAPPING_ERROR;
		dma_addr_t dma = ops->map_resource(dev, phys_addr, size, dir, attrs);
		if (dma != DMA_MAPPING_ERROR)
			cops_debug(DMASHIM_DMAAPI_DEBUG_MAP, dev, -1, (double)size,
				   (double)((int)dir | (__DMASHIM_MAP_RESOURCE << 8)), (double)dma, attrs, site);
		return dma;
	}
	double dma = dma_api(DMASHIM_DMAAPI_MAP_RESOURCE, dev, (double)phys_addr, (double)size, (double)dir, 0, attrs,
			     my_slot(), site);
	return dma < 0 ? DMA_MAPPING_ERROR : (dma_addr_t)dma;
}

void __dmashim_dma_unmap_resource(struct device *dev, dma_addr_t addr, size_t size, enum dma_data_direction dir,
				  unsigned long attrs, const char *site)
{
	if (!enter("dma_unmap_resource"))
		return;
	const struct dma_map_ops *ops = C_DMA_OPS(dev);
	if (ops) {
		if (cops_debug(DMASHIM_DMAAPI_DEBUG_UNMAP, dev, (double)addr, (double)size, (double)dir,
			       __DMASHIM_MAP_RESOURCE, attrs, site) == 1 &&
		    ops->unmap_resource)
			ops->unmap_resource(dev, addr, size, dir, attrs);
		return;
	}
	dma_api(DMASHIM_DMAAPI_UNMAP_RESOURCE, dev, (double)addr, (double)size, (double)dir, 0, attrs, my_slot(), site);
}

/*
 * The kernel's dma_common_get_sgtable() for the direct mapping: one entry over
 * the buffer's pages. 0, -ENOMEM; with C ops, theirs, or -ENXIO without.
 */
int dma_get_sgtable_attrs(struct device *dev, struct sg_table *sgt, void *cpu_addr, dma_addr_t dma_addr, size_t size,
			  unsigned long attrs)
{
	const struct dma_map_ops *ops = C_DMA_OPS(dev);
	if (ops)
		return ops->get_sgtable ? ops->get_sgtable(dev, sgt, cpu_addr, dma_addr, size, attrs) : -ENXIO;
	int ret = sg_alloc_table(sgt, 1, GFP_KERNEL);
	if (ret)
		return ret;
	sg_set_page(sgt->sgl, virt_to_page(cpu_addr), (unsigned int)PAGE_ALIGN(size), 0);
	return 0;
}

/* The vma's placement, for TypeScript, in the slot's words 0-2. */
static int vma_to_slot(const struct vm_area_struct *vma)
{
	int slot = my_slot();
	dmashim_scratch[slot * DMASHIM_SCRATCH_WORDS + 0] = vma->vm_start;
	dmashim_scratch[slot * DMASHIM_SCRATCH_WORDS + 1] = vma->vm_end;
	dmashim_scratch[slot * DMASHIM_SCRATCH_WORDS + 2] = vma->vm_pgoff;
	return slot;
}

int dma_mmap_attrs(struct device *dev, struct vm_area_struct *vma, void *cpu_addr, dma_addr_t dma_addr, size_t size,
		   unsigned long attrs)
{
	if (!enter("dma_mmap_attrs"))
		return -ENXIO;
	const struct dma_map_ops *ops = C_DMA_OPS(dev);
	if (ops)
		return ops->mmap ? ops->mmap(dev, vma, cpu_addr, dma_addr, size, attrs) : -ENXIO;
	if (!vma)
		return -ENXIO;
	int slot = vma_to_slot(vma);
	return (int)dma_api(DMASHIM_DMAAPI_MMAP, dev, addr_arg(vma), addr_arg(cpu_addr), (double)dma_addr, (double)size,
			    attrs, slot, NULL);
}

int dma_mmap_pages(struct device *dev, struct vm_area_struct *vma, size_t size, struct page *page)
{
	if (!enter("dma_mmap_pages"))
		return -ENXIO;
	if (!vma)
		return -ENXIO;
	int slot = vma_to_slot(vma);
	return (int)dma_api(DMASHIM_DMAAPI_MMAP_PAGES, dev, addr_arg(vma), addr_arg(page_address(page)), 0,
			    (double)size, 0, slot, NULL);
}

/* The kernel's: the direct mapping can always mmap here (x86 is coherent); C ops only with their mmap member. */
bool dma_can_mmap(struct device *dev)
{
	const struct dma_map_ops *ops = C_DMA_OPS(dev);
	return ops ? ops->mmap != NULL : true;
}

bool dma_need_sync(struct device *dev, dma_addr_t dma_addr)
{
	if (!enter("dma_need_sync"))
		return true;
	const struct dma_map_ops *ops = C_DMA_OPS(dev);
	if (ops)
		return ops->sync_single_for_cpu || ops->sync_single_for_device;
	return dma_api(DMASHIM_DMAAPI_NEED_SYNC, dev, (double)dma_addr, 0, 0, 0, 0, my_slot(), NULL) != 0;
}

size_t dma_opt_mapping_size(struct device *dev)
{
	const struct dma_map_ops *ops = C_DMA_OPS(dev);
	size_t size = SIZE_MAX;

	if (ops && ops->opt_mapping_size)
		size = ops->opt_mapping_size();
	size_t max = dma_max_mapping_size(dev);
	return max < size ? max : size;
}

void *dmashim_vma_user(struct vm_area_struct *vma)
{
	if (!enter("dmashim_vma_user") || !vma)
		return NULL;
	double off = dma_api(DMASHIM_DMAAPI_VMA_USER, NULL, addr_arg(vma), 0, 0, 0, 0, my_slot(), NULL);
	return off < 0 ? NULL : arena_ptr(off);
}

int dmashim_vma_munmap(struct vm_area_struct *vma)
{
	if (!enter("dmashim_vma_munmap"))
		return -EINVAL;
	if (!vma)
		return -EINVAL;
	return (int)dma_api(DMASHIM_DMAAPI_VMA_MUNMAP, NULL, addr_arg(vma), 0, 0, 0, 0, my_slot(), NULL);
}

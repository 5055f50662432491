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

#include "internal.h"

/* -------------------------------------------------------------- coherent */

void *__dmashim_dma_alloc_attrs(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t flag,
				unsigned long attrs, int managed, const char *site)
{
	if (!enter("dma_alloc_coherent"))
		return NULL;
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
	double dma = dmashim_ts.map(dmashim_devid(dev), addr_arg(ptr), (double)size, (int32_t)dir, (double)attrs,
			     kind | classify_area(ptr), site_arg(site));
	return dma < 0 ? DMA_MAPPING_ERROR : (dma_addr_t)dma;
}

void __dmashim_dma_unmap(struct device *dev, dma_addr_t addr, size_t size, enum dma_data_direction dir,
			 unsigned long attrs, int kind, const char *site)
{
	if (!enter("dma_unmap_single"))
		return;
	dmashim_ts.unmap(dmashim_devid(dev), (double)addr, (double)size, (int32_t)dir, (double)attrs, kind,
			 site_arg(site));
}

void __dmashim_dma_sync(struct device *dev, dma_addr_t addr, size_t size, enum dma_data_direction dir,
			int for_device, const char *site)
{
	if (!enter("dma_sync_single"))
		return;
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
static int sg_call(int op, struct device *dev, struct scatterlist *sgl, int nents, enum dma_data_direction dir,
		   unsigned long attrs, const char *site)
{
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
	int rc = dmashim_ts.sg(op, dmashim_devid(dev), addr_arg(buf), nents, (int32_t)dir, (double)attrs,
			       site_arg(site));
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

/* SPDX-License-Identifier: MIT */
/*
 * linux/dma-map-ops.h for dmashim.
 */
#ifndef _LINUX_DMA_MAP_OPS_H
#define _LINUX_DMA_MAP_OPS_H

/*
 * Per-device coherent memory (kernel/dma/coherent.c, src/kernel/dma/coherent.ts):
 * device memory of an iomem window (dmashim run --iomem) or RAM, from which every
 * dma_alloc_coherent() and dma_pool page of the device then comes.
 */
#include <linux/types.h>
#include <linux/device.h>

int dma_declare_coherent_memory(struct device *dev, phys_addr_t phys_addr, dma_addr_t device_addr, size_t size);
void dma_release_coherent_memory(struct device *dev);

#endif /* _LINUX_DMA_MAP_OPS_H */

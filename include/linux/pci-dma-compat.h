/* SPDX-License-Identifier: MIT */
/*
 * linux/pci-dma-compat.h for dmashim: the pci_* DMA names (removed in v5.18)
 * as macros over the DMA API, so the call site recorded is the driver's line.
 * pci_alloc_consistent() allocates with GFP_ATOMIC, as the compat header did.
 */
#ifndef _ASM_GENERIC_PCI_DMA_COMPAT_H
#define _ASM_GENERIC_PCI_DMA_COMPAT_H

#include <linux/dma-mapping.h>
#include <linux/pci.h>	/* struct pci_dev, __dmashim_pci_devp(); the guard makes the cycle harmless */

#define PCI_DMA_BIDIRECTIONAL DMA_BIDIRECTIONAL
#define PCI_DMA_TODEVICE DMA_TO_DEVICE
#define PCI_DMA_FROMDEVICE DMA_FROM_DEVICE
#define PCI_DMA_NONE DMA_NONE

#define pci_alloc_consistent(hwdev, size, dma_handle) \
	dma_alloc_coherent(__dmashim_pci_devp(hwdev), size, dma_handle, GFP_ATOMIC)
#define pci_zalloc_consistent(hwdev, size, dma_handle) \
	dma_alloc_coherent(__dmashim_pci_devp(hwdev), size, dma_handle, GFP_ATOMIC | __GFP_ZERO)
#define pci_free_consistent(hwdev, size, vaddr, dma_handle) \
	dma_free_coherent(__dmashim_pci_devp(hwdev), size, vaddr, dma_handle)
#define pci_map_single(hwdev, ptr, size, direction) \
	dma_map_single(__dmashim_pci_devp(hwdev), ptr, size, (enum dma_data_direction)(direction))
#define pci_unmap_single(hwdev, dma_addr, size, direction) \
	dma_unmap_single(__dmashim_pci_devp(hwdev), dma_addr, size, (enum dma_data_direction)(direction))
#define pci_map_page(hwdev, page, offset, size, direction) \
	dma_map_page(__dmashim_pci_devp(hwdev), page, offset, size, (enum dma_data_direction)(direction))
#define pci_unmap_page(hwdev, dma_address, size, direction) \
	dma_unmap_page(__dmashim_pci_devp(hwdev), dma_address, size, (enum dma_data_direction)(direction))
#define pci_map_sg(hwdev, sg, nents, direction) \
	dma_map_sg(__dmashim_pci_devp(hwdev), sg, nents, (enum dma_data_direction)(direction))
#define pci_unmap_sg(hwdev, sg, nents, direction) \
	dma_unmap_sg(__dmashim_pci_devp(hwdev), sg, nents, (enum dma_data_direction)(direction))
#define pci_dma_sync_single_for_cpu(hwdev, dma_handle, size, direction) \
	dma_sync_single_for_cpu(__dmashim_pci_devp(hwdev), dma_handle, size, (enum dma_data_direction)(direction))
#define pci_dma_sync_single_for_device(hwdev, dma_handle, size, direction) \
	dma_sync_single_for_device(__dmashim_pci_devp(hwdev), dma_handle, size, (enum dma_data_direction)(direction))
/* pci_dma_mapping_error(pdev, addr), or pci_dma_mapping_error(addr) before 2.6.27. */
#define pci_dma_mapping_error(...) \
	__DMASHIM_MAPERR_CAT(__dmashim_pci_dma_mapping_error_, \
			     __DMASHIM_MAPERR_NARGS_(__VA_ARGS__, 2, 1, 0))(__VA_ARGS__)
#define __dmashim_pci_dma_mapping_error_2(pdev, dma_addr) dma_mapping_error(__dmashim_pci_devp(pdev), dma_addr)
#define __dmashim_pci_dma_mapping_error_1(dma_addr) dma_mapping_error(dma_addr)
/* 2.4-2.6.x: the driver registration call before pci_register_driver returned the probe count. */
#define pci_module_init pci_register_driver
#define pci_dma_supported(pdev, mask) dma_supported(__dmashim_pci_devp(pdev), mask)
#define pci_dma_sync_sg_for_cpu(hwdev, sg, nelems, direction) \
	dma_sync_sg_for_cpu(__dmashim_pci_devp(hwdev), sg, nelems, (enum dma_data_direction)(direction))
#define pci_dma_sync_sg_for_device(hwdev, sg, nelems, direction) \
	dma_sync_sg_for_device(__dmashim_pci_devp(hwdev), sg, nelems, (enum dma_data_direction)(direction))
/*
 * 2.4's one sync, before the _for_cpu/_for_device split (2.6.5), made the
 * buffer consistent for the direction passed: TO_DEVICE syncs for the device,
 * FROM_DEVICE and BIDIRECTIONAL for the CPU (its documented use: after each
 * transfer, before the CPU touches the data).
 */
#define pci_dma_sync_single(hwdev, dma_handle, size, direction) \
	__dmashim_pci_dma_sync_single(__dmashim_pci_devp(hwdev), dma_handle, size, \
				      (enum dma_data_direction)(direction), DMASHIM_SITE)
#define pci_dma_sync_sg(hwdev, sg, nelems, direction) \
	__dmashim_pci_dma_sync_sg(__dmashim_pci_devp(hwdev), sg, nelems, (enum dma_data_direction)(direction), \
				  DMASHIM_SITE)

static inline void __dmashim_pci_dma_sync_single(struct device *dev, dma_addr_t addr, size_t size,
						 enum dma_data_direction dir, const char *site)
{
	__dmashim_dma_sync(dev, addr, size, dir, dir == DMA_TO_DEVICE, site);
}

static inline void __dmashim_pci_dma_sync_sg(struct device *dev, struct scatterlist *sg, int nelems,
					     enum dma_data_direction dir, const char *site)
{
	__dmashim_dma_sync_sg(dev, sg, nelems, dir, dir == DMA_TO_DEVICE, site);
}

/* The unmap state in the driver's structs, under its 2.6 names (dma_unmap_* since 2.6.33). */
#define DECLARE_PCI_UNMAP_ADDR(ADDR_NAME) DEFINE_DMA_UNMAP_ADDR(ADDR_NAME);
#define DECLARE_PCI_UNMAP_LEN(LEN_NAME) DEFINE_DMA_UNMAP_LEN(LEN_NAME);
#define pci_unmap_addr(PTR, ADDR_NAME) dma_unmap_addr(PTR, ADDR_NAME)
#define pci_unmap_addr_set(PTR, ADDR_NAME, VAL) dma_unmap_addr_set(PTR, ADDR_NAME, VAL)
#define pci_unmap_len(PTR, LEN_NAME) dma_unmap_len(PTR, LEN_NAME)
#define pci_unmap_len_set(PTR, LEN_NAME, VAL) dma_unmap_len_set(PTR, LEN_NAME, VAL)

#define pci_set_dma_mask(pdev, mask) dma_set_mask(__dmashim_pci_devp(pdev), mask)
#define pci_set_consistent_dma_mask(pdev, mask) dma_set_coherent_mask(__dmashim_pci_devp(pdev), mask)

#endif /* _ASM_GENERIC_PCI_DMA_COMPAT_H */

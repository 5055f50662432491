/* SPDX-License-Identifier: MIT */
/*
 * linux/pci-dma-compat.h for dmashim: the pci_* DMA names (removed in v5.18)
 * as macros over the DMA API, so the call site recorded is the driver's line.
 * pci_alloc_consistent() allocates with GFP_ATOMIC, as the compat header did.
 */
#ifndef _ASM_GENERIC_PCI_DMA_COMPAT_H
#define _ASM_GENERIC_PCI_DMA_COMPAT_H

#include <linux/dma-mapping.h>
#include <dmashim/era.h>
#include <linux/pci.h>	/* struct pci_dev, __dmashim_pci_devp(); the guard makes the cycle harmless */

/*
 * The names of this header are 2.4's to 5.17's (--kernel). They call the DMA
 * API's inner functions, not its dma_* names, which 2.4 did not have; the mask
 * calls reach the same functions under names of their own.
 */
#if DMASHIM_HAS_UNTIL(5, 18, 0)
int __dmashim_compat_dma_set_mask(struct device *dev, u64 mask) __asm__("dma_set_mask");
int __dmashim_compat_dma_set_coherent_mask(struct device *dev, u64 mask) __asm__("dma_set_coherent_mask");
int __dmashim_compat_dma_supported(struct device *dev, u64 mask) __asm__("dma_supported");

#define PCI_DMA_BIDIRECTIONAL DMA_BIDIRECTIONAL
#define PCI_DMA_TODEVICE DMA_TO_DEVICE
#define PCI_DMA_FROMDEVICE DMA_FROM_DEVICE
#define PCI_DMA_NONE DMA_NONE

#define pci_alloc_consistent(hwdev, size, dma_handle) \
	__dmashim_dma_alloc_attrs(__dmashim_pci_devp(hwdev), size, dma_handle, GFP_ATOMIC, 0, 0, DMASHIM_SITE)
#if DMASHIM_HAS_SINCE(3, 17, 0)
#define pci_zalloc_consistent(hwdev, size, dma_handle) \
	__dmashim_dma_alloc_attrs(__dmashim_pci_devp(hwdev), size, dma_handle, GFP_ATOMIC | __GFP_ZERO, 0, 0, \
				  DMASHIM_SITE)
#endif
#define pci_free_consistent(hwdev, size, vaddr, dma_handle) \
	__dmashim_dma_free_attrs(__dmashim_pci_devp(hwdev), size, vaddr, dma_handle, 0, 0, DMASHIM_SITE)
#if DMASHIM_SHAPE_BEFORE(2, 6, 0)
/* 2.4 had no way to check a mapping (pci_dma_mapping_error came in 2.6): dma-debug takes it as checked. */
static inline dma_addr_t __dmashim_pci_map_24(struct device *dev, dma_addr_t addr)
{
	(void)__dmashim_dma_mapping_error(dev, addr, NULL);
	return addr;
}
#define pci_map_single(hwdev, ptr, size, direction) \
	__dmashim_pci_map_24(__dmashim_pci_devp(hwdev), \
			     __dmashim_dma_map(__dmashim_pci_devp(hwdev), ptr, size, \
					       (enum dma_data_direction)(direction), 0, __DMASHIM_MAP_SINGLE, \
					       DMASHIM_SITE))
#define pci_map_page(hwdev, page, offset, size, direction) \
	__dmashim_pci_map_24(__dmashim_pci_devp(hwdev), \
			     __dmashim_dma_map(__dmashim_pci_devp(hwdev), (char *)page_address(page) + (offset), \
					       size, (enum dma_data_direction)(direction), 0, __DMASHIM_MAP_PAGE, \
					       DMASHIM_SITE))
#define pci_unmap_single(hwdev, dma_addr, size, direction) \
	__dmashim_dma_unmap(__dmashim_pci_devp(hwdev), dma_addr, size, (enum dma_data_direction)(direction), 0, \
			    __DMASHIM_MAP_SINGLE, DMASHIM_SITE)
#else
#define pci_map_single(hwdev, ptr, size, direction) \
	__dmashim_dma_map(__dmashim_pci_devp(hwdev), ptr, size, (enum dma_data_direction)(direction), 0, \
			  __DMASHIM_MAP_SINGLE, DMASHIM_SITE)
#define pci_unmap_single(hwdev, dma_addr, size, direction) \
	__dmashim_dma_unmap(__dmashim_pci_devp(hwdev), dma_addr, size, (enum dma_data_direction)(direction), 0, \
			    __DMASHIM_MAP_SINGLE, DMASHIM_SITE)
#define pci_map_page(hwdev, page, offset, size, direction) \
	__dmashim_dma_map(__dmashim_pci_devp(hwdev), (char *)page_address(page) + (offset), size, \
			  (enum dma_data_direction)(direction), 0, __DMASHIM_MAP_PAGE, DMASHIM_SITE)
#endif
#define pci_unmap_page(hwdev, dma_address, size, direction) \
	__dmashim_dma_unmap(__dmashim_pci_devp(hwdev), dma_address, size, (enum dma_data_direction)(direction), 0, \
			    __DMASHIM_MAP_PAGE, DMASHIM_SITE)
#if DMASHIM_SHAPE_BEFORE(2, 6, 0)
/*
 * 2.4's entries are larger than the bridge's (->address) and may name their
 * memory by address: the bridge gets a copy in today's layout, and the mapped
 * addresses and lengths come back. op: 0 map, 1 unmap, 2 sync (for the CPU
 * unless TO_DEVICE, as 2.4's one sync).
 */
struct __dmashim_sg_bridge {
	unsigned long page_link;
	unsigned int offset, length;
	dma_addr_t dma_address;
	unsigned int dma_length, dma_flags;
};

static inline int __dmashim_pci_sg_24(struct device *dev, struct scatterlist *sg, int nents, int dir, int op,
				      const char *site)
{
	struct __dmashim_sg_bridge *b;
	int i, n = 0;

	if (nents <= 0)
		return op == 0 ? __dmashim_dma_map_sg(dev, (struct scatterlist *)sg, nents, dir, 0, site) : 0;
	b = (struct __dmashim_sg_bridge *)__builtin_malloc(sizeof(*b) * (size_t)nents);
	if (!b)
		return 0;
	for (i = 0; i < nents; i++) {
		void *va = sg[i].address ? (void *)sg[i].address : (char *)page_address(sg[i].page) + sg[i].offset;

		b[i].page_link = (unsigned long)virt_to_page(va);
		b[i].offset = (unsigned int)offset_in_page(va);
		b[i].length = sg[i].length;
		b[i].dma_address = sg[i].dma_address;
		b[i].dma_length = sg[i].dma_length;
		b[i].dma_flags = 0;
	}
	b[nents - 1].page_link |= 0x02UL; /* SG_END */
	if (op == 0)
		n = __dmashim_dma_map_sg(dev, (struct scatterlist *)b, nents, (enum dma_data_direction)dir, 0, site);
	else if (op == 1)
		__dmashim_dma_unmap_sg(dev, (struct scatterlist *)b, nents, (enum dma_data_direction)dir, 0, site);
	else
		__dmashim_dma_sync_sg(dev, (struct scatterlist *)b, nents, (enum dma_data_direction)dir,
				      dir == DMA_TO_DEVICE, site);
	for (i = 0; op == 0 && i < nents; i++) {
		sg[i].dma_address = b[i].dma_address;
		sg[i].dma_length = b[i].dma_length;
	}
	__builtin_free(b);
	return n;
}
#define pci_map_sg(hwdev, sg, nents, direction) \
	__dmashim_pci_sg_24(__dmashim_pci_devp(hwdev), sg, nents, direction, 0, DMASHIM_SITE)
#define pci_unmap_sg(hwdev, sg, nents, direction) \
	((void)__dmashim_pci_sg_24(__dmashim_pci_devp(hwdev), sg, nents, direction, 1, DMASHIM_SITE))
#define pci_dma_sync_sg(hwdev, sg, nelems, direction) \
	((void)__dmashim_pci_sg_24(__dmashim_pci_devp(hwdev), sg, nelems, direction, 2, DMASHIM_SITE))
#else
#define pci_map_sg(hwdev, sg, nents, direction) \
	__dmashim_dma_map_sg(__dmashim_pci_devp(hwdev), sg, nents, (enum dma_data_direction)(direction), 0, \
			     DMASHIM_SITE)
#define pci_unmap_sg(hwdev, sg, nents, direction) \
	__dmashim_dma_unmap_sg(__dmashim_pci_devp(hwdev), sg, nents, (enum dma_data_direction)(direction), 0, \
			       DMASHIM_SITE)
#endif
#if DMASHIM_HAS_SINCE(2, 6, 5)
#define pci_dma_sync_single_for_cpu(hwdev, dma_handle, size, direction) \
	__dmashim_dma_sync(__dmashim_pci_devp(hwdev), dma_handle, size, (enum dma_data_direction)(direction), 0, \
			   DMASHIM_SITE)
#define pci_dma_sync_single_for_device(hwdev, dma_handle, size, direction) \
	__dmashim_dma_sync(__dmashim_pci_devp(hwdev), dma_handle, size, (enum dma_data_direction)(direction), 1, \
			   DMASHIM_SITE)
#define pci_dma_sync_sg_for_cpu(hwdev, sg, nelems, direction) \
	__dmashim_dma_sync_sg(__dmashim_pci_devp(hwdev), sg, nelems, (enum dma_data_direction)(direction), 0, \
			      DMASHIM_SITE)
#define pci_dma_sync_sg_for_device(hwdev, sg, nelems, direction) \
	__dmashim_dma_sync_sg(__dmashim_pci_devp(hwdev), sg, nelems, (enum dma_data_direction)(direction), 1, \
			      DMASHIM_SITE)
/* pci_dma_mapping_error(pdev, addr), or pci_dma_mapping_error(addr) before 2.6.27. */
#if !defined(DMASHIM_KERNEL)
#define pci_dma_mapping_error(...) \
	__DMASHIM_MAPERR_CAT(__dmashim_pci_dma_mapping_error_, \
			     __DMASHIM_MAPERR_NARGS_(__VA_ARGS__, 2, 1, 0))(__VA_ARGS__)
#elif DMASHIM_SHAPE_BEFORE(2, 6, 27)
#define pci_dma_mapping_error(dma_addr) __dmashim_pci_dma_mapping_error_1(dma_addr)
#else
#define pci_dma_mapping_error(pdev, dma_addr) __dmashim_pci_dma_mapping_error_2(pdev, dma_addr)
#endif
#define __dmashim_pci_dma_mapping_error_2(pdev, dma_addr) \
	__dmashim_dma_mapping_error(__dmashim_pci_devp(pdev), dma_addr, DMASHIM_SITE)
#define __dmashim_pci_dma_mapping_error_1(dma_addr) __dmashim_dma_mapping_error(NULL, dma_addr, DMASHIM_SITE)
#endif /* 2.6.5 */
/* 2.4-2.6.x: the driver registration call before pci_register_driver returned the probe count. */
#define pci_module_init pci_register_driver
#define pci_dma_supported(pdev, mask) __dmashim_compat_dma_supported(__dmashim_pci_devp(pdev), mask)
/*
 * 2.4's one sync, before the _for_cpu/_for_device split (2.6.5; the old names
 * went in 2.6.11), made the buffer consistent for the direction passed:
 * TO_DEVICE syncs for the device, FROM_DEVICE and BIDIRECTIONAL for the CPU
 * (its documented use: after each transfer, before the CPU touches the data).
 */
#if DMASHIM_HAS_UNTIL(2, 6, 11)
#define pci_dma_sync_single(hwdev, dma_handle, size, direction) \
	__dmashim_pci_dma_sync_single(__dmashim_pci_devp(hwdev), dma_handle, size, \
				      (enum dma_data_direction)(direction), DMASHIM_SITE)
#endif
#if DMASHIM_HAS_UNTIL(2, 6, 11) && !DMASHIM_SHAPE_BEFORE(2, 6, 0)
#define pci_dma_sync_sg(hwdev, sg, nelems, direction) \
	__dmashim_pci_dma_sync_sg(__dmashim_pci_devp(hwdev), sg, nelems, (enum dma_data_direction)(direction), \
				  DMASHIM_SITE)
#endif

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

/* The unmap state in the driver's structs, under its 2.4-5.17 names (dma_unmap_* from 2.6.34). */
#define DECLARE_PCI_UNMAP_ADDR(ADDR_NAME) dma_addr_t ADDR_NAME;
#define DECLARE_PCI_UNMAP_LEN(LEN_NAME) __u32 LEN_NAME;
#define pci_unmap_addr(PTR, ADDR_NAME) ((PTR)->ADDR_NAME)
#define pci_unmap_addr_set(PTR, ADDR_NAME, VAL) (((PTR)->ADDR_NAME) = (VAL))
#define pci_unmap_len(PTR, LEN_NAME) ((PTR)->LEN_NAME)
#define pci_unmap_len_set(PTR, LEN_NAME, VAL) (((PTR)->LEN_NAME) = (VAL))

#define pci_set_dma_mask(pdev, mask) __dmashim_compat_dma_set_mask(__dmashim_pci_devp(pdev), mask)
#define pci_set_consistent_dma_mask(pdev, mask) \
	__dmashim_compat_dma_set_coherent_mask(__dmashim_pci_devp(pdev), mask)
#endif /* until 5.18 */

#endif /* _ASM_GENERIC_PCI_DMA_COMPAT_H */

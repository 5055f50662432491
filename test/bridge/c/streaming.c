/*
 * Streaming DMA from C: map a kmalloc'd buffer, a page and a scatterlist; an
 * unchecked mapping and a wrong unmap are reported.
 */
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/dma-mapping.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <stdio.h>

static struct pci_dev pdev;

int main(void)
{
	struct scatterlist sg[3];
	pci_setup_device(&pdev);
	dev_set_name(&pdev.dev, "0000:00:07.0");
	if (device_register(&pdev.dev))
		return 1;
	/* 64-bit DMA: kmalloc memory above 4 GiB is mapped directly (a 32-bit device would bounce). */
	if (dma_set_mask_and_coherent(&pdev.dev, DMA_BIT_MASK(64)))
		return 1;
	char *buf = kmalloc(512, GFP_KERNEL);
	dma_addr_t d = dma_map_single(&pdev.dev, buf, 512, DMA_TO_DEVICE);
	if (dma_mapping_error(&pdev.dev, d))
		return 1;
	printf("single: %d\n", d == virt_to_phys(buf));
	dma_unmap_single(&pdev.dev, d, 512, DMA_TO_DEVICE);

	struct page *pg = alloc_page(GFP_KERNEL);
	dma_addr_t p = dma_map_page(&pdev.dev, pg, 128, 256, DMA_FROM_DEVICE);
	printf("page: %d\n", !dma_mapping_error(&pdev.dev, p) && p == virt_to_phys(page_address(pg)) + 128);
	dma_unmap_page(&pdev.dev, p, 256, DMA_FROM_DEVICE);

	sg_init_table(sg, 3);
	for (int i = 0; i < 3; i++)
		sg_set_buf(&sg[i], kmalloc(1024, GFP_KERNEL), 1024);
	int n = dma_map_sg(&pdev.dev, sg, 3, DMA_BIDIRECTIONAL);
	int ok = n > 0;
	struct scatterlist *s;
	int i;
	for_each_sg(sg, s, n, i)
		ok &= sg_dma_len(s) > 0 && sg_dma_address(s) != DMA_MAPPING_ERROR;
	printf("sg: %d\n", ok);
	dma_sync_sg_for_cpu(&pdev.dev, sg, 3, DMA_BIDIRECTIONAL);
	dma_unmap_sg(&pdev.dev, sg, 3, DMA_BIDIRECTIONAL);

	d = dma_map_single(&pdev.dev, buf, 64, DMA_TO_DEVICE);
	dma_unmap_single(&pdev.dev, d, 32, DMA_TO_DEVICE); /* MARK unmap-size */
	return 0;
}

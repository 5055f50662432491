/*
 * A program's own struct dma_map_ops (linux/dma-map-ops.h): set_dma_ops()
 * makes the DMA API call them, as the kernel's dispatch does, and dma-debug
 * still checks every call: an unmap with the wrong size is reported with this
 * file's line and then done (as the kernel does), one of an address that is
 * not mapped is reported and never reaches the ops. set_dma_ops(dev, NULL) then gives
 * the direct mapping (under --iommu too), as the kernel's mm/dmapool_test.c
 * relies on. The ops translate bus addresses by OFFSET so the test can tell
 * whose address a call returned.
 */
#include <linux/kernel.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/dma-map-ops.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <stdio.h>

#define OFFSET 0x100000000ULL

static struct device dev;
static u64 mask;
static int calls[8];
enum { ALLOC, FREE, MAP, UNMAP, MAP_SG, UNMAP_SG, SYNC, PAGES };

static void *my_alloc(struct device *d, size_t size, dma_addr_t *handle, gfp_t gfp, unsigned long attrs)
{
	(void)d;
	(void)attrs;
	void *p = (void *)__get_free_pages(gfp | __GFP_ZERO, get_order(size));
	calls[ALLOC]++;
	if (p)
		*handle = virt_to_phys(p) + OFFSET;
	return p;
}

static void my_free(struct device *d, size_t size, void *vaddr, dma_addr_t handle, unsigned long attrs)
{
	(void)d;
	(void)handle;
	(void)attrs;
	calls[FREE]++;
	free_pages((unsigned long)vaddr, get_order(size));
}

static dma_addr_t my_map_page(struct device *d, struct page *page, unsigned long offset, size_t size,
			      enum dma_data_direction dir, unsigned long attrs)
{
	(void)d;
	(void)size;
	(void)dir;
	(void)attrs;
	calls[MAP]++;
	return page_to_phys(page) + offset + OFFSET;
}

static void my_unmap_page(struct device *d, dma_addr_t handle, size_t size, enum dma_data_direction dir,
			  unsigned long attrs)
{
	(void)d;
	(void)handle;
	(void)size;
	(void)dir;
	(void)attrs;
	calls[UNMAP]++;
}

static int my_map_sg(struct device *d, struct scatterlist *sgl, int nents, enum dma_data_direction dir,
		     unsigned long attrs)
{
	struct scatterlist *sg;
	int i;
	(void)d;
	(void)dir;
	(void)attrs;
	calls[MAP_SG]++;
	for_each_sg(sgl, sg, nents, i) {
		sg_dma_address(sg) = sg_phys(sg) + OFFSET;
		sg_dma_len(sg) = sg->length;
	}
	return nents;
}

static void my_unmap_sg(struct device *d, struct scatterlist *sg, int nents, enum dma_data_direction dir,
			unsigned long attrs)
{
	(void)d;
	(void)sg;
	(void)nents;
	(void)dir;
	(void)attrs;
	calls[UNMAP_SG]++;
}

static void my_sync(struct device *d, dma_addr_t handle, size_t size, enum dma_data_direction dir)
{
	(void)d;
	(void)handle;
	(void)size;
	(void)dir;
	calls[SYNC]++;
}

static size_t my_opt(void)
{
	return 65536;
}

static const struct dma_map_ops my_ops = {
	.alloc = my_alloc,
	.free = my_free,
	.map_page = my_map_page,
	.unmap_page = my_unmap_page,
	.map_sg = my_map_sg,
	.unmap_sg = my_unmap_sg,
	.sync_single_for_cpu = my_sync,
	.opt_mapping_size = my_opt,
};

int main(void)
{
	dma_addr_t h;

	dev_set_name(&dev, "opsdev");
	dev.dma_mask = &mask;
	if (device_register(&dev) || dma_set_mask_and_coherent(&dev, DMA_BIT_MASK(64)))
		return 1;
	u8 *buf = kmalloc(256, GFP_KERNEL);
	dma_addr_t before = dma_map_single(&dev, buf, 256, DMA_TO_DEVICE);
	if (dma_mapping_error(&dev, before))
		return 1;
	dma_unmap_single(&dev, before, 256, DMA_TO_DEVICE);
	printf("default ops: %p\n", (const void *)get_dma_ops(&dev));

	set_dma_ops(&dev, &my_ops);
	printf("get_dma_ops is mine: %d can_mmap=%d opt=%zu\n", get_dma_ops(&dev) == &my_ops, dma_can_mmap(&dev),
	       dma_opt_mapping_size(&dev));
	dma_addr_t d = dma_map_single(&dev, buf, 256, DMA_TO_DEVICE);
	printf("map_single: ops=%d offset=%d\n", calls[MAP], d == virt_to_phys(buf) + OFFSET);
	if (dma_mapping_error(&dev, d))
		return 1;
	dma_sync_single_for_cpu(&dev, d, 256, DMA_TO_DEVICE);
	dma_unmap_single(&dev, d, 128, DMA_TO_DEVICE); /* wrong size: reported, then unmapped */
	printf("after a wrong-size unmap: unmap calls=%d sync calls=%d\n", calls[UNMAP], calls[SYNC]);
	dma_unmap_single(&dev, d, 256, DMA_TO_DEVICE); /* not mapped any more: reported, the ops never see it */
	dma_sync_single_for_cpu(&dev, d, 256, DMA_TO_DEVICE);
	printf("after a double unmap: unmap calls=%d sync calls=%d\n", calls[UNMAP], calls[SYNC]);

	void *c = dma_alloc_coherent(&dev, 4096, &h, GFP_KERNEL);
	printf("alloc_coherent: ops=%d offset=%d\n", calls[ALLOC], c && h == virt_to_phys(c) + OFFSET);
	dma_free_coherent(&dev, 4096, c, h);
	printf("free_coherent: ops=%d\n", calls[FREE]);

	struct scatterlist sgl[2];
	sg_init_table(sgl, 2);
	sg_set_buf(&sgl[0], kmalloc(512, GFP_KERNEL), 512);
	sg_set_buf(&sgl[1], kmalloc(512, GFP_KERNEL), 512);
	int n = dma_map_sg(&dev, sgl, 2, DMA_FROM_DEVICE);
	printf("map_sg: %d ops=%d offset=%d\n", n, calls[MAP_SG], sg_dma_address(&sgl[1]) == sg_phys(&sgl[1]) + OFFSET);
	dma_unmap_sg(&dev, sgl, 2, DMA_FROM_DEVICE);
	printf("unmap_sg: ops=%d\n", calls[UNMAP_SG]);
	printf("alloc_pages without alloc_pages_op: %p\n", (void *)dma_alloc_pages(&dev, 4096, &h, DMA_TO_DEVICE,
										 GFP_KERNEL));

	set_dma_ops(&dev, NULL);
	d = dma_map_single(&dev, buf, 256, DMA_TO_DEVICE);
	printf("direct again: ops=%d phys=%d get=%p\n", calls[MAP], d == virt_to_phys(buf),
	       (const void *)get_dma_ops(&dev));
	dma_mapping_error(&dev, d);
	dma_unmap_single(&dev, d, 256, DMA_TO_DEVICE);
	printf("behind --iommu before set_dma_ops(NULL): %d\n", before != virt_to_phys(buf));
	return 0;
}

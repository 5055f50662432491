/*
 * Issue 13's misuse suite, C path: every scenario in sequence, each preceded by a
 * log line "misuse: <id>" (so its part of the kernel log can be told apart) and
 * followed by "<id> <value>" on stdout (pointers as 0 for NULL, 1 otherwise).
 * test/misuse/c-path.test.ts holds the expectations. argv[1] = "bug" ends with a
 * BUG the core stops the program on (an invalid DMA direction); "loop" prints
 * its pid and never ends (for the CLI's signal scenarios).
 */
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/dmapool.h>
#include <linux/dma-mapping.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/gfp.h>
#include <dmashim/bridge.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>

static struct pci_dev pdev, pdev2;
static const char *cur;

static void begin(const char *id)
{
	cur = id;
	printk(KERN_INFO "misuse: %s\n", id);
}

static void val(long long v)
{
	printf("%s %lld\n", cur, v);
	fflush(stdout);
}

static void ptr(const void *p)
{
	val(p != NULL);
}

static int setup(struct pci_dev *p, const char *name)
{
	pci_setup_device(p);
	dev_set_name(&p->dev, name);
	return device_register(&p->dev) || dma_set_mask_and_coherent(&p->dev, DMA_BIT_MASK(64));
}

int main(int argc, char **argv)
{
	struct device *dev = &pdev.dev, *dev2 = &pdev2.dev;
	if (setup(&pdev, "0000:00:0a.0") || setup(&pdev2, "0000:00:0b.0"))
		return 1;
	char *buf = kmalloc(256, GFP_KERNEL);
	dma_addr_t d, m;
	struct dma_pool *pool = dma_pool_create("mp", dev, 64, 8, 0);
	void *blk = dma_pool_alloc(pool, GFP_KERNEL, &d);

	if (argc > 1 && !strcmp(argv[1], "loop")) {
		printf("looping pid=%d\n", (int)getpid());
		fflush(stdout);
		for (;;)
			;
	}
	if (argc > 1 && !strcmp(argv[1], "bug")) {
		begin("c-bug-dir");
		dma_map_single(dev, buf, 64, (enum dma_data_direction)7);
		val(-1); /* not reached */
		return 0;
	}

	begin("c-pool-size-0");
	ptr(dma_pool_create("bad", dev, 0, 8, 0));
	begin("c-pool-align-3");
	ptr(dma_pool_create("bad", dev, 64, 3, 0));
	begin("c-pool-boundary-small");
	ptr(dma_pool_create("bad", dev, 128, 8, 64));
	begin("c-pool-size-huge");
	ptr(dma_pool_create("bad", dev, (size_t)1 << 31, 8, 0));
	begin("c-pool-null-dev");
	ptr(dma_pool_create("bad", NULL, 64, 8, 0));
	begin("c-pool-destroy-null");
	dma_pool_destroy(NULL);
	val(0);
	begin("c-pool-free-null");
	dma_pool_free(pool, NULL, 0);
	val(pool ? 0 : 1);
	begin("c-pool-free-inside");
	dma_pool_free(pool, (char *)blk + 8, d + 8);
	val(0);
	begin("c-pool-double-free");
	dma_pool_free(pool, blk, d);
	dma_pool_free(pool, blk, d);
	val(0);
	begin("c-pool-free-other");
	{
		struct dma_pool *p2 = dma_pool_create("mp2", dev2, 64, 8, 0);
		void *b = dma_pool_alloc(pool, GFP_KERNEL, &d);
		dma_pool_free(p2, b, d);
		dma_pool_free(pool, b, d);
		dma_pool_destroy(p2);
		val(0);
	}
	begin("c-pool-busy-destroy");
	{
		struct dma_pool *p3 = dma_pool_create("mp3", dev2, 32, 8, 0);
		void *b = dma_pool_alloc(p3, GFP_KERNEL, &d);
		dma_pool_destroy(p3);
		val(b != NULL);
	}
	begin("c-coherent-huge");
	ptr(dma_alloc_coherent(dev, (size_t)1 << 40, &m, GFP_KERNEL));
	begin("c-coherent-free-null");
	dma_free_coherent(dev, 4096, NULL, 0);
	val(0);
	begin("c-coherent-double-free");
	{
		void *c = dma_alloc_coherent(dev, 4096, &m, GFP_KERNEL);
		dma_free_coherent(dev, 4096, c, m);
		dma_free_coherent(dev, 4096, c, m);
		val(0);
	}
	begin("c-coherent-free-wrong-size");
	{
		void *c = dma_alloc_coherent(dev, 8192, &m, GFP_KERNEL);
		dma_free_coherent(dev, 4096, c, m);
		dma_free_coherent(dev, 8192, c, m);
		val(0);
	}
	begin("c-coherent-free-other-dev");
	{
		void *c = dma_alloc_coherent(dev, 4096, &m, GFP_KERNEL);
		dma_free_coherent(dev2, 4096, c, m);
		dma_free_coherent(dev, 4096, c, m);
		val(0);
	}
	begin("c-unmap-never-mapped");
	dma_unmap_single(dev, 0x2000000, 64, DMA_TO_DEVICE);
	val(0);
	begin("c-unmap-mapping-error");
	dma_unmap_single(dev, DMA_MAPPING_ERROR, 64, DMA_TO_DEVICE);
	val(0);
	m = dma_map_single(dev, buf, 256, DMA_TO_DEVICE);
	begin("c-unmap-wrong-size");
	dma_unmap_single(dev, m, 128, DMA_TO_DEVICE);
	val(0);
	m = dma_map_single(dev, buf, 256, DMA_TO_DEVICE);
	begin("c-unmap-wrong-dir");
	dma_unmap_single(dev, m, 256, DMA_FROM_DEVICE);
	val(0);
	m = dma_map_single(dev, buf, 256, DMA_TO_DEVICE);
	begin("c-sync-wrong-dir");
	dma_sync_single_for_cpu(dev, m, 256, DMA_FROM_DEVICE);
	val(0);
	begin("c-sync-outside");
	dma_sync_single_for_cpu(dev, m, 4096, DMA_TO_DEVICE);
	val(0);
	begin("c-device-write-to-device");
	val(dmashim_device_write(dev, m, "x", 1));
	dma_unmap_single(dev, m, 256, DMA_TO_DEVICE);
	begin("c-sync-after-unmap");
	dma_sync_single_for_device(dev, m, 256, DMA_TO_DEVICE);
	val(0);
	begin("c-device-write-after-unmap");
	val(dmashim_device_write(dev, m, "x", 1));
	begin("c-device-read-stray");
	{
		char tmp[4];
		val(dmashim_device_read(dev, 0x2000000, tmp, sizeof(tmp)));
	}
	begin("c-sg-nents-0");
	{
		struct scatterlist sg[2];
		sg_init_table(sg, 2);
		sg_set_buf(&sg[0], buf, 64);
		sg_set_buf(&sg[1], buf + 64, 64);
		val(dma_map_sg(dev, sg, 0, DMA_TO_DEVICE));
		begin("c-sg-past-table");
		val(dma_map_sg(dev, sg, 3, DMA_TO_DEVICE));
		begin("c-sg-unmap-wrong-count");
		int n = dma_map_sg(dev, sg, 2, DMA_TO_DEVICE);
		dma_unmap_sg(dev, sg, 1, DMA_TO_DEVICE);
		val(n);
	}
	begin("c-mask-zero");
	val(dma_set_mask(dev2, 0));
	begin("c-kmalloc-zero");
	val((long long)(uintptr_t)kmalloc(0, GFP_KERNEL));
	begin("c-kfree-null");
	kfree(NULL);
	free_pages(0, 0);
	val(0);
	begin("c-kfree-twice");
	{
		void *p = kmalloc(64, GFP_KERNEL);
		kfree(p);
		kfree(p);
		val(0);
	}
	begin("c-pages-order-11");
	val(__get_free_pages(GFP_KERNEL, 11) != 0);
	begin("c-free-pages-twice");
	{
		unsigned long pg = __get_free_pages(GFP_KERNEL, 0);
		free_pages(pg, 0);
		free_pages(pg, 0);
		val(0);
	}
	begin("c-end");
	val(0);
	return 0;
}

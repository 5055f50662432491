/*
 * One finding of each kind, for the exit status and --report (argv[1] = "all"), the
 * end of a run reached by exit() (argv[1] = "exit"), a program that never ends
 * (argv[1] = "loop"), and one whose only fault is a block it keeps (argv[1] = "keep").
 */
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/dmapool.h>
#include <linux/dma-mapping.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct pci_dev pdev;
static DEFINE_SPINLOCK(lock);

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	struct device *dev = &pdev.dev;
	pci_setup_device(&pdev);
	dev_set_name(dev, "0000:00:0f.0");
	if (device_register(dev) || dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)))
		return 1;
	struct dma_pool *pool = dma_pool_create("findings", dev, 64, 8, 0);
	dma_addr_t d;
	void *v = dma_pool_alloc(pool, GFP_KERNEL, &d);

	if (!strcmp(what, "loop")) {
		printf("looping pid=%d\n", (int)getpid());
		fflush(stdout);
		for (;;)
			;
	}
	if (!strcmp(what, "keep"))
		return 0; /* MARK keep */
	if (!strcmp(what, "exit")) {
		dma_pool_free(pool, v, d);
		/* Held by the C side until a newline or the end of the run. */
		printk(KERN_WARNING "last words without a newline");
		exit(5);
	}

	dma_pool_free(pool, v, d);
	dma_pool_free(pool, v, d); /* MARK double_free */
	WARN_ON(argc > 1); /* MARK warn */
	char *buf = kmalloc(256, GFP_KERNEL);
	dma_unmap_single(dev, virt_to_phys(buf) + 4096, 256, DMA_TO_DEVICE); /* MARK unmap */
	spin_lock(&lock);
	void *atomic_alloc = kmalloc(32, GFP_KERNEL); /* MARK might_sleep */
	spin_unlock(&lock);
	kfree(atomic_alloc);
	struct scatterlist sg[2];
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], buf, 128);
	sg_set_buf(&sg[1], buf + 128, 128);
	int n = dma_map_sg(dev, sg, 5, DMA_TO_DEVICE); /* MARK sg */
	printf("sg=%d\n", n);
	void *leaked = dma_pool_alloc(pool, GFP_KERNEL, &d); /* MARK leak */
	(void)leaked;
	dma_pool_destroy(pool); /* MARK busy */
	return 0;
}

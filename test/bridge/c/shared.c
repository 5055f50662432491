/*
 * A block is one set of bytes: C writes through plain pointers and TypeScript
 * reads the same bytes through its view of the arena, and the other way round.
 */
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/dmapool.h>
#include <linux/io.h>
#include <dmashim/bridge.h>
#include <stdio.h>

static struct pci_dev pdev;

int main(void)
{
	dma_addr_t h;
	int ok = 1;
	pci_setup_device(&pdev);
	dev_set_name(&pdev.dev, "0000:00:05.0");
	device_register(&pdev.dev);
	struct dma_pool *pool = dma_pool_create("shared-256", &pdev.dev, 256, 64, 0);
	u8 *blk = dma_pool_zalloc(pool, GFP_KERNEL, &h);
	u32 *words = (u32 *)blk;

	/* C writes, TypeScript reads. */
	for (int i = 0; i < 256; i++)
		blk[i] = (u8)(i * 7 + 3);
	ok &= dmashim_ts_fnv1a(blk, 256) == dmashim_fnv1a(blk, 256);
	ok &= dmashim_ts_readb(blk + 10) == blk[10];
	ok &= dmashim_ts_readl(&words[3]) == words[3];
	/* TypeScript writes, C reads. */
	dmashim_ts_writel(0xdeadbeef, &words[5]);
	ok &= words[5] == 0xdeadbeef;
	dmashim_ts_writeb(0x5a, blk + 200);
	ok &= blk[200] == 0x5a;
	/* The direct map: virt_to_phys of the block is its bus address (no offset, no IOMMU). */
	ok &= virt_to_phys(blk) == h;
	ok &= phys_to_virt(h) == (void *)blk;
	/* kmalloc memory is machine RAM too. */
	char *k = kmalloc(100, GFP_KERNEL);
	strcpy(k, "kmalloc'd");
	ok &= dmashim_ts_readb(k) == 'k' && virt_to_phys(k) != ~(phys_addr_t)0;
	kfree(k);
	printf("shared=%d fnv=%08x\n", ok, dmashim_fnv1a(blk, 256));
	dma_pool_free(pool, blk, h);
	dma_pool_destroy(pool);
	return ok ? 0 : 1;
}

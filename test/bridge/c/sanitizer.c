/*
 * One program, every report the sanitizer makes about pools and coherent
 * memory, each from a known line (the MARK comments), so the test can check
 * that each report names this file and that line.
 */
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/dmapool.h>
#include <linux/dma-mapping.h>
#include <stdio.h>

static struct pci_dev pdev;
static struct device_driver drv = { .name = "sanitizer-test" };

int main(void)
{
	dma_addr_t a, b, c;
	pci_setup_device(&pdev);
	pdev.dev.driver = &drv;
	dev_set_name(&pdev.dev, "0000:00:03.0");
	if (device_register(&pdev.dev))
		return 1;
	struct dma_pool *pool = dma_pool_create("san-64", &pdev.dev, 64, 64, 0);
	struct dma_pool *other = dma_pool_create("san-other", &pdev.dev, 64, 64, 0);
	u8 *x = dma_pool_alloc(pool, GFP_KERNEL, &a);
	u8 *y = dma_pool_alloc(pool, GFP_KERNEL, &b);
	u8 *z = dma_pool_alloc(other, GFP_KERNEL, &c);

	dma_pool_free(pool, x, a);
	dma_pool_free(pool, x, a); /* MARK double-free */
	dma_pool_free(pool, z, c); /* MARK bad-dma */
	dma_pool_free(pool, y + 64, b); /* MARK bad-vaddr */

	/* Use after free: write into a freed block; the next allocation finds the poison broken. */
	dma_pool_free(pool, y, b);
	y[5] = 0x42;
	u8 *again = dma_pool_alloc(pool, GFP_KERNEL, &b); /* MARK corrupted */
	(void)again;

	dma_pool_destroy(other); /* MARK destroy-busy */

	void *buf = dma_alloc_coherent(&pdev.dev, 8192, &a, GFP_KERNEL);
	if (!buf)
		return 1;
	dma_free_coherent(&pdev.dev, 4096, buf, a); /* MARK coherent-size */
	dma_free_coherent(&pdev.dev, 8192, buf, a + 4096); /* MARK coherent-unknown */
	dma_free_coherent(&pdev.dev, 8192, buf, a);

	WARN_ON(pool == NULL || 1); /* MARK warn */
	printf("done\n");
	return 0;
}

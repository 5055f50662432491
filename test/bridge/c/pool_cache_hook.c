/*
 * The pool cache and a log hook: once a hook is set, no pool keeps blocks in C
 * (a hook could reach a pool from inside its own refill), including pools
 * created afterwards. Prints how many blocks each pool holds in C.
 */
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/dmapool.h>
#include <dmashim/bridge.h>
#include <stdio.h>

static struct pci_dev pdev;

static void hook(int level, const char *line)
{
	(void)level;
	(void)line;
}

static void churn(struct dma_pool *pool)
{
	void *v[4];
	dma_addr_t h[4];
	for (int i = 0; i < 4; i++)
		v[i] = dma_pool_alloc(pool, GFP_KERNEL, &h[i]);
	for (int i = 0; i < 4; i++)
		dma_pool_free(pool, v[i], h[i]);
}

int main(void)
{
	pci_setup_device(&pdev);
	dev_set_name(&pdev.dev, "0000:00:05.0");
	device_register(&pdev.dev);
	struct dma_pool *before = dma_pool_create("before", &pdev.dev, 64, 64, 0);
	churn(before);
	printf("before-hook=%d\n", dmashim_pool_cached(before));
	dmashim_set_log_hook(hook);
	printf("hook-set=%d\n", dmashim_pool_cached(before));
	churn(before);
	struct dma_pool *after = dma_pool_create("after", &pdev.dev, 64, 64, 0);
	churn(after);
	printf("after-hook=%d,%d\n", dmashim_pool_cached(before), dmashim_pool_cached(after));
	dmashim_set_log_hook(NULL);
	dma_pool_destroy(before);
	dma_pool_destroy(after);
	device_unregister(&pdev.dev);
	return 0;
}

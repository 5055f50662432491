/* dmashim_bench_noop(), the benchmarks' bare-callback probe: it crosses and returns, and leaves the bridge usable. */
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <dmashim/bridge.h>
#include <stdio.h>
#include <stdlib.h>

static struct device dev;

/* A static device needs a release, even an empty one (the kernel WARNs at the last put without). */
static void dev_release(struct device *d)
{
	(void)d;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3;
	dma_addr_t dma;
	for (int i = 0; i < n; i++)
		dmashim_bench_noop();
	printf("bench_noop x%d abi=%d\n", n, DMASHIM_ABI_VERSION);
	/* Interleaved with the fast ops, as the benchmark does: neither may disturb the other's fast area. */
	dev.release = dev_release;
	dev_set_name(&dev, "noop-test");
	dev.dma_mask = &dev.coherent_dma_mask;
	if (device_register(&dev) || dma_set_mask_and_coherent(&dev, DMA_BIT_MASK(64)))
		return 1;
	struct dma_pool *pool = dma_pool_create("noop", &dev, 64, 64, 0);
	void *v = pool ? dma_pool_alloc(pool, GFP_KERNEL, &dma) : NULL;
	dmashim_bench_noop();
	if (!v)
		return 1;
	dma_pool_free(pool, v, dma);
	dmashim_bench_noop();
	dma_pool_destroy(pool);
	device_unregister(&dev);
	printf("pool ok\n");
	return 0;
}

/* Not a test: ns per dma_pool_alloc + dma_pool_free pair through the bridge (`dmashim run test/bridge/c/perf.c`). */
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/dmapool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static struct pci_dev pdev;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	static void *v[64];
	static dma_addr_t h[64];
	pci_setup_device(&pdev);
	dev_set_name(&pdev.dev, "0000:00:06.0");
	device_register(&pdev.dev);
	struct dma_pool *pool = dma_pool_create("perf-64", &pdev.dev, 64, 64, 0);
	for (int rep = 0; rep < 5; rep++) {
		double t0 = now();
		for (long i = 0; i < n; i++) {
			void *p = dma_pool_alloc(pool, GFP_ATOMIC, &h[0]);
			dma_pool_free(pool, p, h[0]);
		}
		double t1 = now();
		for (long i = 0; i < n / 64; i++) {
			for (int j = 0; j < 64; j++)
				v[j] = dma_pool_alloc(pool, GFP_ATOMIC, &h[j]);
			for (int j = 0; j < 64; j++)
				dma_pool_free(pool, v[j], h[j]);
		}
		double t2 = now();
		printf("pair %.1f ns   batch-64 pair %.1f ns\n", (t1 - t0) / n, (t2 - t1) / (n / 64 * 64));
	}
	dma_pool_destroy(pool);
	return 0;
}

/*
 * The C-side pool block cache (dmashim run --pool-cache) must not change what
 * a program or a test can observe. Run with and without it, the output (blocks
 * handed out, pools files, reports with their C lines) is the same; only
 * "cached=" (dmashim_pool_cached) tells the runs apart.
 */
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/dmapool.h>
#include <dmashim/bridge.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 600
#define RING 1000

static struct pci_dev pdev;
static void *v[N];
static dma_addr_t d[N];
static unsigned int seed = 12345;

static unsigned int rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 16;
}

static void pools(const char *when)
{
	char text[1024];
	dmashim_sysfs_read(&pdev.dev, "pools", text, sizeof(text));
	printf("-- pools %s\n%s", when, text);
}

int main(void)
{
	pci_setup_device(&pdev);
	dev_set_name(&pdev.dev, "0000:00:07.0");
	if (device_register(&pdev.dev))
		return 1;
	struct dma_pool *small = dma_pool_create("cache-64", &pdev.dev, 64, 64, 0);
	struct dma_pool *big = dma_pool_create("cache-4k", &pdev.dev, 4096, 4096, 0);
	if (!small || !big)
		return 1;

	/* A random mix of allocs and frees: the bus addresses handed out, in order, hashed. */
	unsigned long long h = 1469598103934665603ull;
	int live = 0, dup = 0;
	for (int step = 0; step < 20000; step++) {
		int i = (int)(rnd() % N);
		struct dma_pool *p = i & 1 ? big : small;
		if (v[i]) {
			dma_pool_free(p, v[i], d[i]);
			v[i] = NULL;
			live--;
		} else {
			v[i] = dma_pool_alloc(p, GFP_KERNEL, &d[i]);
			if (!v[i])
				return 2;
			live++;
			h = (h ^ d[i]) * 1099511628211ull;
			for (int j = 0; j < N; j++)
				if (j != i && v[j] == v[i])
					dup++;
		}
		if (step == 7777)
			pools("mid-run");
	}
	printf("order %016llx live %d duplicates %d\n", h, live, dup);
	printf("cached-nonzero=%d\n", dmashim_pool_cached(small) + dmashim_pool_cached(big) > 0);
	pools("after the mix");

	/* zalloc of a block that went through the cache comes back zeroed. */
	dma_addr_t zd;
	u8 *z = dma_pool_alloc(small, GFP_KERNEL, &zd);
	memset(z, 0x5a, 64);
	dma_pool_free(small, z, zd);
	u8 *z2 = dma_pool_zalloc(small, GFP_KERNEL, &zd);
	int nonzero = 0;
	for (int i = 0; i < 64; i++)
		nonzero += z2[i] != 0;
	printf("zalloc same=%d nonzero=%d\n", z2 == z, nonzero);
	dma_pool_free(small, z2, zd);

	/* Double free of a block the cache holds, then of one already back in the core. */
	dma_addr_t a;
	void *x = dma_pool_alloc(small, GFP_KERNEL, &a);
	dma_pool_free(small, x, a);
	dma_pool_free(small, x, a); /* MARK cached-double-free */
	void *y = dma_pool_alloc(small, GFP_KERNEL, &a);
	printf("reuse same=%d\n", y == x);
	dma_pool_free(small, y, a);
	for (int i = 0; i < N; i += 2)
		if (v[i]) {
			dma_pool_free(small, v[i], d[i]);
			v[i] = NULL;
		}
	dma_pool_free(small, y, a); /* MARK drained-double-free */

	/* Bad frees: a block of the other pool, and a vaddr that is not a block start. */
	dma_addr_t b;
	void *w = dma_pool_alloc(big, GFP_KERNEL, &b);
	dma_pool_free(small, w, b); /* MARK wrong-pool */
	void *u = dma_pool_alloc(small, GFP_KERNEL, &a);
	dma_pool_free(small, (char *)u + 8, a); /* MARK bad-vaddr */
	dma_pool_free(small, u, a + 64); /* MARK bad-dma */
	dma_pool_free(small, u, a);
	dma_pool_free(big, w, b);
	pools("after the bad frees");

	/*
	 * A ring of RING blocks in rounds, more than one batch: freed in order, the
	 * pools file read with all of them cached (drained a batch at a time), then
	 * taken again. The order handed out is the same with the cache as without.
	 */
	struct dma_pool *ring = dma_pool_create("cache-ring", &pdev.dev, 16, 16, 0);
	static void *rv[RING];
	static dma_addr_t rd[RING];
	unsigned long long rh = 1469598103934665603ull;
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < RING; i++) {
			rv[i] = dma_pool_alloc(ring, GFP_KERNEL, &rd[i]);
			rh = (rh ^ rd[i]) * 1099511628211ull;
		}
		for (int i = 0; i < RING; i++)
			dma_pool_free(ring, rv[i], rd[i]);
		if (round == 1)
			pools("ring freed");
	}
	printf("ring %016llx\n", rh);
	dma_pool_destroy(ring);

	/* Destroy with two blocks in use and one in the cache: busy, and the report counts two. */
	void *k1 = dma_pool_alloc(small, GFP_KERNEL, &a);
	void *k2 = dma_pool_alloc(small, GFP_KERNEL, &b);
	dma_addr_t c;
	void *k3 = dma_pool_alloc(small, GFP_KERNEL, &c);
	(void)k1;
	(void)k2;
	dma_pool_free(small, k3, c);
	for (int i = 0; i < N; i++)
		if (v[i] && !(i & 1))
			return 3;
	dma_pool_destroy(small); /* MARK destroy-busy */
	pools("after destroy");
	/* The big pool still has blocks in use (and maybe cached ones) at device_unregister. */
	device_unregister(&pdev.dev); /* MARK unregister */
	return 0;
}

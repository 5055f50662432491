/*
 * A module shaped like the kernel's dma_pool self-test: the same seven headers,
 * a struct device of its own registered by hand, set_dma_ops(dev, NULL) to ask
 * for direct mapping, a 64-bit mask, then timed rounds of allocating a batch
 * of blocks from a pool and freeing them, one line per pool, and
 * device_del() + put_device() at the end (which must call ->release).
 * module_init/module_exit, no main(). Written for dmashim.
 */
#include <linux/device.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>

#define ROUNDS 4

struct geometry {
	size_t size, align, boundary;
};

static const struct geometry shapes[] = {
	{ 32, 32, 0 }, { 128, 8, 0 }, { 512, 512, 0 }, { 200, 64, 1024 }, { 3000, 16, 0 },
};

static struct device bench_dev;
static u64 bench_mask;
static int released;

static void *blocks_v[4096];
static dma_addr_t blocks_d[4096];

static int batch_of(size_t size)
{
	return clamp_t(int, (PAGE_SIZE / size) * 64, 256, 4096);
}

static int one_pool(const struct geometry *g)
{
	struct dma_pool *pool;
	int n = batch_of(g->size), r, i, bad = 0;
	ktime_t t0;

	pool = dma_pool_create("bench", &bench_dev, g->size, g->align, g->boundary);
	if (!pool)
		return -ENOMEM;
	t0 = ktime_get();
	for (r = 0; r < ROUNDS; r++) {
		for (i = 0; i < n; i++) {
			blocks_v[i] = dma_pool_alloc(pool, GFP_KERNEL, &blocks_d[i]);
			if (!blocks_v[i]) {
				while (--i >= 0)
					dma_pool_free(pool, blocks_v[i], blocks_d[i]);
				dma_pool_destroy(pool);
				return -ENOMEM;
			}
			if (blocks_d[i] & (g->align - 1))
				bad++;
			if (g->boundary &&
			    (blocks_d[i] / g->boundary) != ((blocks_d[i] + g->size - 1) / g->boundary))
				bad++;
		}
		for (i = n - 1; i >= 0; i--)
			dma_pool_free(pool, blocks_v[i], blocks_d[i]);
		if (need_resched())
			cond_resched();
	}
	pr_info("pool bench: %zu/%zu/%zu x%d misplaced:%d us:%lld\n", g->size, g->align, g->boundary, n, bad,
		(long long)ktime_us_delta(ktime_get(), t0));
	dma_pool_destroy(pool);
	return bad ? -EINVAL : 0;
}

static void bench_release(struct device *dev)
{
	released++;
	pr_info("pool bench: %s released\n", dev_name(dev));
}

static int pool_bench_init(void)
{
	int i, ret;

	ret = dev_set_name(&bench_dev, "pool-bench");
	if (ret)
		return ret;
	ret = device_register(&bench_dev);
	if (ret)
		goto put;
	bench_dev.release = bench_release;
	set_dma_ops(&bench_dev, NULL);
	bench_dev.dma_mask = &bench_mask;
	ret = dma_set_mask_and_coherent(&bench_dev, DMA_BIT_MASK(64));
	if (ret)
		goto del;
	pr_info("pool bench: direct=%d\n", get_dma_ops(&bench_dev) == NULL);
	for (i = 0; i < ARRAY_SIZE(shapes); i++) {
		ret = one_pool(&shapes[i]);
		if (ret)
			break;
	}
del:
	device_del(&bench_dev);
put:
	put_device(&bench_dev);
	pr_info("pool bench: release calls %d\n", released);
	return ret;
}

static void pool_bench_exit(void)
{
}

module_init(pool_bench_init);
module_exit(pool_bench_exit);
MODULE_DESCRIPTION("dma_pool batch timing, dmapool_test-shaped");
MODULE_LICENSE("GPL");

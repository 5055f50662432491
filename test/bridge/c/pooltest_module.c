/*
 * A dma_pool timing test module in the style of mm/dmapool_test.c, written from
 * its description: compiled and run unmodified.
 */
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/ktime.h>
#include <linux/sched.h>

struct pair { void *v; dma_addr_t dma; };
static struct device test_dev;

/* A static device needs a release, even an empty one (the kernel WARNs at the last put without). */
static void test_dev_release(struct device *d)
{
	(void)d;
}
static u64 dma_mask;

static int run_one(size_t size, size_t align, size_t boundary)
{
	int blocks = clamp((int)((PAGE_SIZE / size) * 512), 1024, 8192);
	struct pair *p = kcalloc(blocks, sizeof(*p), GFP_KERNEL);
	struct dma_pool *pool;
	int i, j;
	ktime_t start = ktime_get();
	if (!p) return -ENOMEM;
	pool = dma_pool_create("test pool", &test_dev, size, align, boundary);
	if (!pool) { kfree(p); return -ENOMEM; }
	for (i = 0; i < 2; i++) {
		cond_resched();
		for (j = 0; j < blocks; j++) {
			p[j].v = dma_pool_alloc(pool, GFP_KERNEL, &p[j].dma);
			if (!p[j].v) goto fail;
		}
		for (j = 0; j < blocks; j++)
			dma_pool_free(pool, p[j].v, p[j].dma);
	}
	printk(KERN_INFO "dmapool test: size:%-4zu align:%-4zu blocks:%-4d time:%llu\n", size, align, blocks,
	       (unsigned long long)ktime_us_delta(ktime_get(), start));
	dma_pool_destroy(pool);
	kfree(p);
	return 0;
fail:
	while (--j >= 0) dma_pool_free(pool, p[j].v, p[j].dma);
	dma_pool_destroy(pool);
	kfree(p);
	return -ENOMEM;
}

static int __init dmapool_checks(void)
{
	int ret;
	test_dev.release = test_dev_release;
	dev_set_name(&test_dev, "dmapool-test");
	ret = device_register(&test_dev);
	if (ret) { printk(KERN_ERR "%s: register failed:%d\n", __func__, ret); return ret; }
	test_dev.dma_mask = &dma_mask;
	ret = dma_set_mask_and_coherent(&test_dev, DMA_BIT_MASK(64));
	if (ret) { printk(KERN_ERR "%s: mask failed:%d\n", __func__, ret); goto out; }
	ret = run_one(16, 16, 0) ?: run_one(64, 64, 0) ?: run_one(68, 32, 4096);
out:
	device_unregister(&test_dev);
	return ret;
}

static void __exit dmapool_exit(void) { }
module_init(dmapool_checks);
module_exit(dmapool_exit);
MODULE_DESCRIPTION("dma_pool timing test");
MODULE_LICENSE("GPL");

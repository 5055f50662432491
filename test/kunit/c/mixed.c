// SPDX-License-Identifier: MIT
/*
 * A KUnit file with every kind of result, for test/kunit/: passing cases,
 * failed expectations and assertions, skips, parameters, deferred actions,
 * and cases the sanitizer fails (a double free, a leaked block, a WARN, a
 * sleep in atomic context, a dma-debug error).
 */
#include <kunit/test.h>
#include <linux/pci.h>
#include <linux/dmapool.h>
#include <linux/dma-mapping.h>
#include <linux/spinlock.h>
#include <linux/bug.h>

static struct pci_dev pdev;
static struct device *dev;

static int mixed_suite_init(struct kunit_suite *suite)
{
	pci_setup_device(&pdev);
	dev_set_name(&pdev.dev, "0000:00:06.0");
	if (device_register(&pdev.dev))
		return -ENODEV;
	dev = &pdev.dev;
	return dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
}

static void mixed_suite_exit(struct kunit_suite *suite)
{
	device_unregister(&pdev.dev);
}

static void passes(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 1 + 1, 2);
	KUNIT_EXPECT_STREQ(test, "abc", "abc");
	KUNIT_ASSERT_NOT_NULL(test, dev);
}

static void expect_fails(struct kunit *test)
{
	int x = 3;
	KUNIT_EXPECT_EQ(test, x, 4);
	KUNIT_EXPECT_STREQ_MSG(test, "a", "b", "note %d", 7);
	kunit_info(test, "still running after the expectations");
}

static int reached;

static void assert_ends(struct kunit *test)
{
	KUNIT_ASSERT_TRUE(test, reached > 0);
	reached = -1; /* never */
}

static void skipped(struct kunit *test)
{
	kunit_skip(test, "no hardware %s", "here");
	KUNIT_FAIL(test, "not reached");
}

static int freed;
static void count_free(void *p)
{
	freed++;
	kfree(p);
}

static void actions_run(struct kunit *test)
{
	char *buf = kunit_kzalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_EXPECT_EQ(test, buf[0], 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, count_free, kmalloc(8, GFP_KERNEL)), 0);
	KUNIT_ASSERT_FAILURE(test, "ends here; the action still runs");
}

static void actions_ran(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, freed, 1);
}

static void pool_double_free(struct kunit *test)
{
	dma_addr_t dma;
	struct dma_pool *pool = dma_pool_create("dbl", dev, 64, 64, 0);
	void *p = dma_pool_alloc(pool, GFP_KERNEL, &dma);
	KUNIT_ASSERT_NOT_NULL(test, p);
	dma_pool_free(pool, p, dma);
	dma_pool_free(pool, p, dma);
	dma_pool_destroy(pool);
}

static struct dma_pool *leaky;

static void pool_leak(struct kunit *test)
{
	dma_addr_t dma;
	leaky = dma_pool_create("leaky", dev, 32, 32, 0);
	KUNIT_ASSERT_NOT_NULL(test, leaky);
	KUNIT_EXPECT_NOT_NULL(test, dma_pool_alloc(leaky, GFP_KERNEL, &dma));
}

static void pool_managed(struct kunit *test)
{
	dma_addr_t dma;
	struct dma_pool *pool = dma_pool_create("managed", dev, 32, 32, 0);
	KUNIT_ASSERT_NOT_NULL(test, pool);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, (kunit_action_t *)dma_pool_destroy, pool), 0);
	void *p = dma_pool_alloc(pool, GFP_KERNEL, &dma);
	KUNIT_ASSERT_NOT_NULL(test, p);
	dma_pool_free(pool, p, dma);
}

static void warns(struct kunit *test)
{
	WARN_ON(1);
}

static DEFINE_SPINLOCK(lock);

static void sleeps_in_atomic(struct kunit *test)
{
	dma_addr_t dma;
	struct dma_pool *pool = dma_pool_create("atomic", dev, 32, 32, 0);
	void *p;
	spin_lock(&lock);
	p = dma_pool_alloc(pool, GFP_KERNEL, &dma);
	spin_unlock(&lock);
	dma_pool_free(pool, p, dma);
	dma_pool_destroy(pool);
}

static void dma_debug_error(struct kunit *test)
{
	char *buf = kunit_kmalloc(test, 128, GFP_KERNEL);
	dma_addr_t h = dma_map_single(dev, buf, 128, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(dev, h));
	dma_unmap_single(dev, h, 64, DMA_TO_DEVICE);
}

struct sizes {
	size_t size;
	const char *name;
};
static const struct sizes sizes[] = { { 16, "sixteen" }, { 48, "forty-eight" }, { 4096, "page" } };
KUNIT_ARRAY_PARAM_DESC(sizes, sizes, name);

static void param_sizes(struct kunit *test)
{
	const struct sizes *s = test->param_value;
	if (s->size == 4096)
		kunit_skip(test, "too big");
	KUNIT_EXPECT_LT(test, s->size, (size_t)32);
}

static struct kunit_case mixed_cases[] = {
	KUNIT_CASE(passes),
	KUNIT_CASE(expect_fails),
	KUNIT_CASE(assert_ends),
	KUNIT_CASE(skipped),
	KUNIT_CASE(actions_run),
	KUNIT_CASE(actions_ran),
	KUNIT_CASE(pool_double_free),
	KUNIT_CASE(pool_leak),
	KUNIT_CASE(pool_managed),
	KUNIT_CASE(warns),
	KUNIT_CASE(sleeps_in_atomic),
	KUNIT_CASE(dma_debug_error),
	KUNIT_CASE_PARAM(param_sizes, sizes_gen_params),
	{}
};

static struct kunit_suite mixed_suite = {
	.name = "mixed",
	.suite_init = mixed_suite_init,
	.suite_exit = mixed_suite_exit,
	.test_cases = mixed_cases,
};

static void trivially(struct kunit *test)
{
	KUNIT_SUCCEED(test);
}

static struct kunit_case clean_cases[] = { KUNIT_CASE(trivially), {} };
static struct kunit_suite clean_suite = { .name = "clean", .test_cases = clean_cases };

kunit_test_suites(&mixed_suite, &clean_suite);

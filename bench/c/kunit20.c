// SPDX-License-Identifier: MIT
/*
 * The bench's KUnit file of 20 cases (`npm run bench -- --only startup`): each
 * case creates a pool, takes and frees a few blocks, checks them; what a small
 * suite of a driver's tests costs end to end is the start-up and the compile.
 */
#include <kunit/test.h>
#include <linux/dmapool.h>
#include <linux/pci.h>

static struct pci_dev pdev;

static int suite_init(struct kunit_suite *suite)
{
	pci_setup_device(&pdev);
	dev_set_name(&pdev.dev, "0000:00:0e.0");
	return device_register(&pdev.dev);
}

static void suite_exit(struct kunit_suite *suite)
{
	device_unregister(&pdev.dev);
}

static void pool_case(struct kunit *test, size_t size)
{
	struct dma_pool *pool = dma_pool_create("kunit20", &pdev.dev, size, 8, 0);
	void *v[8];
	dma_addr_t d[8];

	KUNIT_ASSERT_NOT_NULL(test, pool);
	for (int i = 0; i < 8; i++) {
		v[i] = dma_pool_alloc(pool, GFP_KERNEL, &d[i]);
		KUNIT_EXPECT_NOT_NULL(test, v[i]);
		KUNIT_EXPECT_EQ(test, d[i] % 8, 0);
	}
	for (int i = 0; i < 8; i++)
		dma_pool_free(pool, v[i], d[i]);
	dma_pool_destroy(pool);
}

#define CASE(n)                                              \
	static void case_##n(struct kunit *test)             \
	{                                                    \
		pool_case(test, 16 * (n));                   \
	}
CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6) CASE(7) CASE(8) CASE(9) CASE(10)
CASE(11) CASE(12) CASE(13) CASE(14) CASE(15) CASE(16) CASE(17) CASE(18) CASE(19) CASE(20)

static struct kunit_case cases[] = {
	KUNIT_CASE(case_1),  KUNIT_CASE(case_2),  KUNIT_CASE(case_3),  KUNIT_CASE(case_4),  KUNIT_CASE(case_5),
	KUNIT_CASE(case_6),  KUNIT_CASE(case_7),  KUNIT_CASE(case_8),  KUNIT_CASE(case_9),  KUNIT_CASE(case_10),
	KUNIT_CASE(case_11), KUNIT_CASE(case_12), KUNIT_CASE(case_13), KUNIT_CASE(case_14), KUNIT_CASE(case_15),
	KUNIT_CASE(case_16), KUNIT_CASE(case_17), KUNIT_CASE(case_18), KUNIT_CASE(case_19), KUNIT_CASE(case_20),
	{}
};

static struct kunit_suite suite = {
	.name = "kunit20",
	.suite_init = suite_init,
	.suite_exit = suite_exit,
	.test_cases = cases,
};
kunit_test_suite(suite);

// SPDX-License-Identifier: MIT
/*
 * The kernel's dmapool_test workload as a KUnit suite, with real assertions:
 * for each pool geometry, fill the pool with blocks, check every block's
 * alignment and that none crosses its boundary, free them all; then LIFO
 * reuse (a freed block is the next one handed out) and dma_pool_zalloc().
 *
 *   dmashim test examples/kunit-dmapool.c
 */
#include <kunit/test.h>
#include <linux/dmapool.h>
#include <linux/dma-mapping.h>
#include <linux/pci.h>

#define NR_BLOCKS 4096

struct geometry {
	size_t size, align, boundary;
	const char *desc;
};

/* Sizes, alignments and boundaries as the kernel's dmapool_test runs them. */
static const struct geometry geometries[] = {
	{ 16, 1, 0, "size 16, align 1" },
	{ 64, 64, 0, "size 64, align 64" },
	{ 256, 8, 0, "size 256, align 8" },
	{ 1024, 32, 0, "size 1024, align 32" },
	{ 4096, 4096, 0, "size 4096, page aligned" },
	{ 68, 32, 4096, "size 68, align 32, boundary 4096" },
	{ 1000, 8, 4096, "size 1000, align 8, boundary 4096" },
};
KUNIT_ARRAY_PARAM_DESC(geometry, geometries, desc);

static struct pci_dev pdev;

static int dmapool_suite_init(struct kunit_suite *suite)
{
	pci_setup_device(&pdev);
	dev_set_name(&pdev.dev, "0000:00:0d.0");
	if (device_register(&pdev.dev))
		return -ENODEV;
	return dma_set_mask_and_coherent(&pdev.dev, DMA_BIT_MASK(64));
}

static void dmapool_suite_exit(struct kunit_suite *suite)
{
	device_unregister(&pdev.dev);
}

KUNIT_DEFINE_ACTION_WRAPPER(pool_destroy_action, dma_pool_destroy, struct dma_pool *);

/* A pool destroyed when the case ends, however it ends. */
static struct dma_pool *test_pool(struct kunit *test, size_t size, size_t align, size_t boundary)
{
	struct dma_pool *pool = dma_pool_create("dmapool_test", &pdev.dev, size, align, boundary);
	KUNIT_ASSERT_NOT_NULL(test, pool);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, pool_destroy_action, pool), 0);
	return pool;
}

static void dmapool_test_blocks(struct kunit *test)
{
	const struct geometry *g = test->param_value;
	struct dma_pool *pool = test_pool(test, g->size, g->align, g->boundary);
	void **vaddr = kunit_kcalloc(test, NR_BLOCKS, sizeof(*vaddr), GFP_KERNEL);
	dma_addr_t *dma = kunit_kcalloc(test, NR_BLOCKS, sizeof(*dma), GFP_KERNEL);
	size_t align = g->align < 1 ? 1 : g->align;

	KUNIT_ASSERT_NOT_NULL(test, vaddr);
	KUNIT_ASSERT_NOT_NULL(test, dma);
	for (int i = 0; i < NR_BLOCKS; i++) {
		vaddr[i] = dma_pool_alloc(pool, GFP_KERNEL, &dma[i]);
		KUNIT_ASSERT_NOT_NULL_MSG(test, vaddr[i], "block %d of %d", i, NR_BLOCKS);
		KUNIT_EXPECT_EQ_MSG(test, dma[i] % align, 0, "block %d at %pad", i, &dma[i]);
		KUNIT_EXPECT_EQ(test, (uintptr_t)vaddr[i] % align, 0);
		if (g->boundary) {
			dma_addr_t first = dma[i] & ~(dma_addr_t)(g->boundary - 1);
			dma_addr_t last = (dma[i] + g->size - 1) & ~(dma_addr_t)(g->boundary - 1);
			KUNIT_EXPECT_EQ_MSG(test, first, last, "block %d at %pad crosses a %zu boundary", i, &dma[i],
					    g->boundary);
		}
	}
	for (int i = 0; i < NR_BLOCKS; i++)
		dma_pool_free(pool, vaddr[i], dma[i]);
}

static void dmapool_lifo_reuse(struct kunit *test)
{
	struct dma_pool *pool = test_pool(test, 64, 64, 0);
	dma_addr_t a_dma, b_dma, c_dma, d_dma;
	void *a = dma_pool_alloc(pool, GFP_KERNEL, &a_dma);
	void *b = dma_pool_alloc(pool, GFP_KERNEL, &b_dma);

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_PTR_NE(test, a, b);
	dma_pool_free(pool, a, a_dma);
	dma_pool_free(pool, b, b_dma);
	/* The free list is a stack: the last block freed comes back first. */
	void *c = dma_pool_alloc(pool, GFP_KERNEL, &c_dma);
	void *d = dma_pool_alloc(pool, GFP_KERNEL, &d_dma);
	KUNIT_EXPECT_PTR_EQ(test, c, b);
	KUNIT_EXPECT_EQ(test, c_dma, b_dma);
	KUNIT_EXPECT_PTR_EQ(test, d, a);
	KUNIT_EXPECT_EQ(test, d_dma, a_dma);
	dma_pool_free(pool, c, c_dma);
	dma_pool_free(pool, d, d_dma);
}

static void dmapool_zalloc(struct kunit *test)
{
	static const u8 zeros[128];
	struct dma_pool *pool = test_pool(test, 128, 8, 0);
	dma_addr_t dma, dma2;
	u8 *p = dma_pool_alloc(pool, GFP_KERNEL, &dma);

	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0xa5, 128);
	dma_pool_free(pool, p, dma);
	/* The same block again (LIFO), dirty from its last use: zalloc must clear it. */
	u8 *z = dma_pool_zalloc(pool, GFP_KERNEL, &dma2);
	KUNIT_ASSERT_PTR_EQ(test, z, p);
	KUNIT_EXPECT_MEMEQ(test, z, zeros, sizeof(zeros));
	dma_pool_free(pool, z, dma2);
}

static struct kunit_case dmapool_cases[] = {
	KUNIT_CASE_PARAM(dmapool_test_blocks, geometry_gen_params),
	KUNIT_CASE(dmapool_lifo_reuse),
	KUNIT_CASE(dmapool_zalloc),
	{}
};

static struct kunit_suite dmapool_suite = {
	.name = "dmapool",
	.suite_init = dmapool_suite_init,
	.suite_exit = dmapool_suite_exit,
	.test_cases = dmapool_cases,
};

kunit_test_suite(dmapool_suite);

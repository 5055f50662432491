// SPDX-License-Identifier: MIT
/*
 * A KUnit suite for a descriptor-ring driver fragment: the ring's descriptors
 * live in coherent memory, each posted buffer is a streaming mapping the
 * device writes into, and completion hands it back to the CPU. The "device"
 * is played by the test (dmashim/bridge.h's dmashim_device_* calls go through
 * the simulated bus, so a write outside a mapping or in the wrong direction
 * is reported). Every case must leave the ring empty: the sanitizer fails a
 * case that leaks a mapping or the ring.
 *
 *   dmashim test examples/kunit-ring.c
 */
#include <kunit/test.h>
#include <linux/dma-mapping.h>
#include <linux/pci.h>
#include <dmashim/bridge.h>

/* ---- the driver fragment under test ---- */

#define RING_SIZE 8
#define BUF_LEN 256
#define DESC_OWN_DEVICE 0x1u

struct rx_desc {
	__le64 addr;
	__le32 len;
	__le32 flags;
};

struct rx_ring {
	struct device *dev;
	struct rx_desc *desc;
	dma_addr_t desc_dma;
	void *buf[RING_SIZE];
	dma_addr_t buf_dma[RING_SIZE];
	unsigned int head, tail, count;
};

static int ring_init(struct rx_ring *r, struct device *dev)
{
	memset(r, 0, sizeof(*r));
	r->dev = dev;
	r->desc = dma_alloc_coherent(dev, RING_SIZE * sizeof(*r->desc), &r->desc_dma, GFP_KERNEL);
	return r->desc ? 0 : -ENOMEM;
}

/* Give the device one receive buffer. */
static int ring_post(struct rx_ring *r, void *buf)
{
	unsigned int i = r->head;
	dma_addr_t dma;

	if (r->count == RING_SIZE)
		return -EBUSY;
	dma = dma_map_single(r->dev, buf, BUF_LEN, DMA_FROM_DEVICE);
	if (dma_mapping_error(r->dev, dma))
		return -ENOMEM;
	r->buf[i] = buf;
	r->buf_dma[i] = dma;
	r->desc[i].addr = cpu_to_le64(dma);
	r->desc[i].len = cpu_to_le32(BUF_LEN);
	r->desc[i].flags = cpu_to_le32(DESC_OWN_DEVICE);
	r->head = (i + 1) % RING_SIZE;
	r->count++;
	return 0;
}

/* Take back the oldest buffer once the device has released it: its length, or -EAGAIN. */
static int ring_complete(struct rx_ring *r, void **buf)
{
	unsigned int i = r->tail;

	if (!r->count || (le32_to_cpu(r->desc[i].flags) & DESC_OWN_DEVICE))
		return -EAGAIN;
	dma_unmap_single(r->dev, r->buf_dma[i], BUF_LEN, DMA_FROM_DEVICE);
	*buf = r->buf[i];
	r->tail = (i + 1) % RING_SIZE;
	r->count--;
	return le32_to_cpu(r->desc[i].len);
}

static void ring_free(struct rx_ring *r)
{
	void *buf;
	/* Buffers the device still owns are unmapped too: the ring is going away. */
	while (r->count) {
		r->desc[r->tail].flags = 0;
		ring_complete(r, &buf);
	}
	dma_free_coherent(r->dev, RING_SIZE * sizeof(*r->desc), r->desc, r->desc_dma);
}

/* ---- the device side, played by the test ---- */

/* The device fills descriptor i's buffer with `len` bytes of `byte` and hands the descriptor back. */
static int device_receive(struct rx_ring *r, unsigned int i, u8 byte, u32 len)
{
	struct rx_desc d;
	int ret = dmashim_device_read(r->dev, r->desc_dma + i * sizeof(d), &d, sizeof(d));
	if (ret)
		return ret;
	ret = dmashim_device_fill(r->dev, le64_to_cpu(d.addr), byte, len);
	if (ret)
		return ret;
	d.len = cpu_to_le32(len);
	d.flags = 0;
	return dmashim_device_write(r->dev, r->desc_dma + i * sizeof(d), &d, sizeof(d));
}

/* ---- the tests ---- */

static struct pci_dev pdev;

static int ring_suite_init(struct kunit_suite *suite)
{
	pci_setup_device(&pdev);
	dev_set_name(&pdev.dev, "0000:00:0e.0");
	if (device_register(&pdev.dev))
		return -ENODEV;
	return dma_set_mask_and_coherent(&pdev.dev, DMA_BIT_MASK(32));
}

static void ring_suite_exit(struct kunit_suite *suite)
{
	device_unregister(&pdev.dev);
}

KUNIT_DEFINE_ACTION_WRAPPER(ring_free_action, ring_free, struct rx_ring *);

/* Each case gets a fresh ring in test->priv, freed after the case however it ends. */
static int ring_test_init(struct kunit *test)
{
	struct rx_ring *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	if (!r || ring_init(r, &pdev.dev))
		return -ENOMEM;
	test->priv = r;
	return kunit_add_action_or_reset(test, ring_free_action, r);
}

static void ring_starts_empty(struct kunit *test)
{
	struct rx_ring *r = test->priv;
	void *buf;

	KUNIT_EXPECT_EQ(test, r->count, 0u);
	KUNIT_EXPECT_EQ(test, r->desc_dma % 16, 0);
	KUNIT_EXPECT_LE(test, r->desc_dma + RING_SIZE * sizeof(*r->desc), DMA_BIT_MASK(32));
	KUNIT_EXPECT_EQ(test, ring_complete(r, &buf), -EAGAIN);
}

static void ring_receives(struct kunit *test)
{
	struct rx_ring *r = test->priv;
	u8 *buf = kunit_kzalloc(test, BUF_LEN, GFP_KERNEL);
	u8 expect[64];
	void *got;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, ring_post(r, buf), 0);
	KUNIT_EXPECT_EQ(test, ring_complete(r, &got), -EAGAIN);
	KUNIT_ASSERT_EQ(test, device_receive(r, 0, 0x5a, 64), 0);
	KUNIT_ASSERT_EQ(test, ring_complete(r, &got), 64);
	KUNIT_EXPECT_PTR_EQ(test, got, (void *)buf);
	memset(expect, 0x5a, sizeof(expect));
	KUNIT_EXPECT_MEMEQ(test, buf, expect, sizeof(expect));
}

static void ring_fills_and_wraps(struct kunit *test)
{
	struct rx_ring *r = test->priv;
	u8 *bufs = kunit_kcalloc(test, 2 * RING_SIZE, BUF_LEN, GFP_KERNEL);
	void *got;

	KUNIT_ASSERT_NOT_NULL(test, bufs);
	for (int i = 0; i < RING_SIZE; i++)
		KUNIT_ASSERT_EQ(test, ring_post(r, bufs + i * BUF_LEN), 0);
	KUNIT_EXPECT_EQ(test, ring_post(r, bufs), -EBUSY);
	/* Complete half, post as many again: the head wraps past the end. */
	for (int i = 0; i < RING_SIZE / 2; i++) {
		KUNIT_ASSERT_EQ(test, device_receive(r, i, i, 16), 0);
		KUNIT_ASSERT_EQ(test, ring_complete(r, &got), 16);
		KUNIT_EXPECT_PTR_EQ(test, got, (void *)(bufs + i * BUF_LEN));
	}
	for (int i = 0; i < RING_SIZE / 2; i++)
		KUNIT_ASSERT_EQ(test, ring_post(r, bufs + (RING_SIZE + i) * BUF_LEN), 0);
	KUNIT_EXPECT_EQ(test, r->head, (unsigned int)RING_SIZE / 2);
	KUNIT_EXPECT_EQ(test, r->count, (unsigned int)RING_SIZE);
}

static struct kunit_case ring_cases[] = {
	KUNIT_CASE(ring_starts_empty),
	KUNIT_CASE(ring_receives),
	KUNIT_CASE(ring_fills_and_wraps),
	{}
};

static struct kunit_suite ring_suite = {
	.name = "rx_ring",
	.suite_init = ring_suite_init,
	.suite_exit = ring_suite_exit,
	.init = ring_test_init,
	.test_cases = ring_cases,
};

kunit_test_suite(ring_suite);

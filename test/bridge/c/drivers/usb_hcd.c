/*
 * A USB host controller driver's memory: the HCD core's "buffer-N" pools
 * (names made with snprintf, one per size class), transfer descriptors from
 * a zeroed pool kept on lists (list_head, container_of, list_*_safe), a
 * spinlock around the schedule, a mutex around configuration, atomic
 * counters of URBs in flight.
 */
#include <linux/module.h>
#include <linux/device.h>
#include <linux/dmapool.h>
#include <linux/dma-mapping.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/atomic.h>
#include <linux/slab.h>
#include <linux/bitops.h>

#define HCD_BUFFER_POOLS 4
static const size_t pool_max[HCD_BUFFER_POOLS] = { 32, 128, 512, 2048 };

struct hc_td {
	__le32 hw_next;
	__le32 hw_token;
	__le32 hw_buf[5];
	/* software part */
	dma_addr_t td_dma;
	struct list_head td_list;
	int id;
};

struct hcd {
	struct device *self;
	struct dma_pool *pool[HCD_BUFFER_POOLS];
	struct dma_pool *td_pool;
	spinlock_t lock;
	struct mutex config_mutex;
	struct list_head td_list;
	atomic_t urbs_in_flight;
	DECLARE_BITMAP(slots, 64);
};

static DEFINE_SPINLOCK(hcd_list_lock);
static LIST_HEAD(hcd_list);
static DEFINE_MUTEX(usb_bus_idr_lock);

struct hcd_node {
	struct list_head node;
	struct hcd *hcd;
};

static int hcd_buffer_create(struct hcd *hcd)
{
	char name[32];
	int i;
	size_t size;

	for (i = 0; i < HCD_BUFFER_POOLS; i++) {
		size = pool_max[i];
		if (!size)
			continue;
		snprintf(name, sizeof(name), "buffer-%zu", size);
		hcd->pool[i] = dma_pool_create(name, hcd->self, size, size, 0);
		if (!hcd->pool[i])
			return -ENOMEM;
	}
	return 0;
}

static void hcd_buffer_destroy(struct hcd *hcd)
{
	int i;

	for (i = 0; i < HCD_BUFFER_POOLS; i++) {
		dma_pool_destroy(hcd->pool[i]);
		hcd->pool[i] = NULL;
	}
}

static void *hcd_buffer_alloc(struct hcd *hcd, size_t size, gfp_t mem_flags, dma_addr_t *dma)
{
	int i;

	for (i = 0; i < HCD_BUFFER_POOLS; i++)
		if (size <= pool_max[i])
			return dma_pool_alloc(hcd->pool[i], mem_flags, dma);
	return dma_alloc_coherent(hcd->self, size, dma, mem_flags);
}

static void hcd_buffer_free(struct hcd *hcd, size_t size, void *addr, dma_addr_t dma)
{
	int i;

	if (!addr)
		return;
	for (i = 0; i < HCD_BUFFER_POOLS; i++) {
		if (size <= pool_max[i]) {
			dma_pool_free(hcd->pool[i], addr, dma);
			return;
		}
	}
	dma_free_coherent(hcd->self, size, addr, dma);
}

static struct hc_td *td_alloc(struct hcd *hcd, gfp_t flags)
{
	dma_addr_t dma;
	struct hc_td *td;

	td = dma_pool_zalloc(hcd->td_pool, flags, &dma);
	if (!td)
		return NULL;
	td->td_dma = dma;
	INIT_LIST_HEAD(&td->td_list);
	return td;
}

static int queue_tds(struct hcd *hcd, int n)
{
	unsigned long flags;
	struct hc_td *td, *prev = NULL;
	int i;

	spin_lock_irqsave(&hcd->lock, flags);
	for (i = 0; i < n; i++) {
		td = td_alloc(hcd, GFP_ATOMIC);
		if (!td) {
			spin_unlock_irqrestore(&hcd->lock, flags);
			return -ENOMEM;
		}
		td->id = i;
		td->hw_token = cpu_to_le32(BIT(7) | (i << 16));
		if (prev)
			prev->hw_next = cpu_to_le32(lower_32_bits(td->td_dma));
		list_add_tail(&td->td_list, &hcd->td_list);
		prev = td;
		set_bit(i, hcd->slots);
	}
	atomic_add(n, &hcd->urbs_in_flight);
	spin_unlock_irqrestore(&hcd->lock, flags);
	return 0;
}

/* Retire the TDs with even ids, then all of them. */
static int retire_tds(struct hcd *hcd, bool all)
{
	struct hc_td *td, *tmp;
	unsigned long flags;
	int n = 0;

	spin_lock_irqsave(&hcd->lock, flags);
	list_for_each_entry_safe(td, tmp, &hcd->td_list, td_list) {
		if (!all && (td->id & 1))
			continue;
		list_del(&td->td_list);
		clear_bit(td->id, hcd->slots);
		dma_pool_free(hcd->td_pool, td, td->td_dma);
		n++;
		if (atomic_dec_and_test(&hcd->urbs_in_flight))
			break;
	}
	spin_unlock_irqrestore(&hcd->lock, flags);
	return n;
}

static struct device ctrl;

/* A static device needs a release, even an empty one (the kernel WARNs at the last put without). */
static void ctrl_release(struct device *d)
{
	(void)d;
}

int main(void)
{
	struct hcd *hcd;
	struct hcd_node *node, *tmp;
	static const size_t sizes[] = { 8, 32, 100, 512, 1500, 4096 };
	void *buf[ARRAY_SIZE(sizes)];
	dma_addr_t dma[ARRAY_SIZE(sizes)];
	struct hc_td *td;
	unsigned int i, n, chain_ok = 1;

	ctrl.release = ctrl_release;
	dev_set_name(&ctrl, "usb1");
	if (device_register(&ctrl) || dma_coerce_mask_and_coherent(&ctrl, DMA_BIT_MASK(32)))
		return 1;
	hcd = kzalloc(sizeof(*hcd), GFP_KERNEL);
	if (!hcd)
		return 1;
	hcd->self = &ctrl;
	spin_lock_init(&hcd->lock);
	mutex_init(&hcd->config_mutex);
	INIT_LIST_HEAD(&hcd->td_list);
	atomic_set(&hcd->urbs_in_flight, 0);

	mutex_lock(&usb_bus_idr_lock);
	node = kzalloc(sizeof(*node), GFP_KERNEL);
	node->hcd = hcd;
	spin_lock(&hcd_list_lock);
	list_add(&node->node, &hcd_list);
	spin_unlock(&hcd_list_lock);
	mutex_unlock(&usb_bus_idr_lock);

	mutex_lock(&hcd->config_mutex);
	if (hcd_buffer_create(hcd))
		return 1;
	hcd->td_pool = dma_pool_create("hc_td", hcd->self, sizeof(struct hc_td), 32, 4096);
	mutex_unlock(&hcd->config_mutex);
	if (!hcd->td_pool)
		return 1;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		buf[i] = hcd_buffer_alloc(hcd, sizes[i], GFP_KERNEL, &dma[i]);
		if (!buf[i] || !IS_ALIGNED(dma[i], min_t(size_t, roundup_pow_of_two(sizes[i]), 2048)))
			printf("BAD buffer %zu\n", sizes[i]);
	}
	printf("ok hcd buffers from buffer-32..buffer-2048 and coherent\n");

	if (queue_tds(hcd, 20))
		return 1;
	n = 0;
	list_for_each_entry(td, &hcd->td_list, td_list) {
		struct hc_td *next = list_is_last(&td->td_list, &hcd->td_list) ? NULL : list_next_entry(td, td_list);
		if (next && le32_to_cpu(td->hw_next) != lower_32_bits(next->td_dma))
			chain_ok = 0;
		n++;
	}
	printf("%s %u tds queued, chain %s, %d in flight, %u slots\n", n == 20 && chain_ok ? "ok" : "BAD", n,
	       chain_ok ? "linked" : "broken", atomic_read(&hcd->urbs_in_flight), bitmap_weight(hcd->slots, 64));
	n = retire_tds(hcd, false);
	printf("%s retired %u even tds, %zu left, first slot free %lu\n", n == 10 ? "ok" : "BAD", n,
	       list_count_nodes(&hcd->td_list), find_first_zero_bit(hcd->slots, 64));
	n = retire_tds(hcd, true);
	printf("%s retired %u, list %s, in flight %d\n", n == 10 && list_empty(&hcd->td_list) ? "ok" : "BAD", n,
	       list_empty(&hcd->td_list) ? "empty" : "not empty", atomic_read(&hcd->urbs_in_flight));

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		hcd_buffer_free(hcd, sizes[i], buf[i], dma[i]);
	dma_pool_destroy(hcd->td_pool);
	hcd_buffer_destroy(hcd);

	spin_lock(&hcd_list_lock);
	list_for_each_entry_safe(node, tmp, &hcd_list, node) {
		list_del(&node->node);
		kfree(node->hcd);
		kfree(node);
	}
	spin_unlock(&hcd_list_lock);
	device_unregister(&ctrl);
	return 0;
}

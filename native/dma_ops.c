/* SPDX-License-Identifier: MIT */
/*
 * set_dma_ops()/get_dma_ops() from C (linux/dma-map-ops.h): which devices have
 * C-side dma_map_ops. The kernel keeps the pointer in struct device; ours has
 * no such member, so a small table keyed by the struct's address holds it,
 * and native/mapping.c looks a device up only while the table is not empty.
 */
#include <stdlib.h>

#include <linux/kernel.h>
#include <linux/device.h>
#include <linux/dma-map-ops.h>

#include "internal.h"
#include "dma_ops.h"

struct c_ops_entry {
	const struct device *dev;
	const struct dma_map_ops *ops;
};

int dmashim_c_dma_ops_nr;
static struct c_ops_entry *c_ops;
static int c_ops_cap;

const struct dma_map_ops *dmashim_c_dma_ops(const struct device *dev)
{
	for (int i = 0; i < dmashim_c_dma_ops_nr; i++)
		if (c_ops[i].dev == dev)
			return c_ops[i].ops;
	return NULL;
}

const struct dma_map_ops *get_dma_ops(struct device *dev)
{
	return dev ? dmashim_c_dma_ops(dev) : NULL;
}

/* Keep the table; 0, or -ENOMEM when it cannot grow (the ops are then not installed). */
static int c_ops_store(const struct device *dev, const struct dma_map_ops *ops)
{
	int i;

	for (i = 0; i < dmashim_c_dma_ops_nr && c_ops[i].dev != dev; i++)
		;
	if (i < dmashim_c_dma_ops_nr) {
		if (ops) {
			c_ops[i].ops = ops;
		} else {
			c_ops[i] = c_ops[dmashim_c_dma_ops_nr - 1];
			dmashim_c_dma_ops_nr--;
		}
		return 0;
	}
	if (!ops)
		return 0;
	if (dmashim_c_dma_ops_nr == c_ops_cap) {
		int cap = c_ops_cap ? 2 * c_ops_cap : 8;
		struct c_ops_entry *n = realloc(c_ops, sizeof(*n) * (size_t)cap);
		if (!n)
			return -ENOMEM;
		c_ops = n;
		c_ops_cap = cap;
	}
	c_ops[dmashim_c_dma_ops_nr].dev = dev;
	c_ops[dmashim_c_dma_ops_nr].ops = ops;
	dmashim_c_dma_ops_nr++;
	return 0;
}

void set_dma_ops(struct device *dev, const struct dma_map_ops *dma_ops)
{
	if (!dev) {
		dmashim_emit(3, DMASHIM_PRINTK_NO_DEV, "dmashim: set_dma_ops: NULL device (the kernel would oops)\n",
			     0);
		return;
	}
	if (!enter("set_dma_ops"))
		return;
	pthread_mutex_lock(&dmashim_state_lock);
	int rc = c_ops_store(dev, dma_ops);
	pthread_mutex_unlock(&dmashim_state_lock);
	if (rc) {
		dmashim_emit(3, DMASHIM_PRINTK_NO_DEV, "dmashim: set_dma_ops: out of memory, ops not installed\n", 0);
		return;
	}
	/* NULL is the direct mapping for TypeScript too (it drops the IOMMU's ops of --iommu). */
	dmashim_ts.dma_api(DMASHIM_DMAAPI_SET_OPS, dmashim_devid(dev), dma_ops ? 1 : 0, 0, 0, 0, 0, my_slot(), 0);
}

/* Every header, in an order a driver might use, with the C library's headers mixed in. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/init.h>
#include <linux/errno.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/io.h>
#include <linux/printk.h>
#include <linux/device.h>
#include <linux/dma-direction.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <linux/scatterlist.h>
#include <linux/pci.h>
#include <linux/pci-dma-compat.h>
#include <linux/string.h>
#include <linux/log2.h>
#include <linux/bits.h>
#include <asm/io.h>
#include <asm/page.h>
#include <dmashim/bridge.h>

struct wrapper {
	int x;
	struct device dev;
};

static int use_everything(struct pci_dev *pdev, struct wrapper *w)
{
	static const int arr[5] = { 1, 2, 3, 4, 5 };
	struct scatterlist sg[2];
	dma_addr_t h = 0;
	u64 m = DMA_BIT_MASK(64) & DMA_BIT_MASK(32);
	struct device *d = &w->dev;
	struct wrapper *back = container_of(d, struct wrapper, dev);
	size_t n = ARRAY_SIZE(arr);
	int lo = min(3, 4), hi = max(n, (size_t)2);
	u32 c = clamp_t(u32, 7, 1, 5);
	struct dma_pool *p = pci_pool_create("p5", pdev, 32, 32, 0);
	struct pci_pool *q = pci_pool_create("p6", pdev, 32, 32, 0, SLAB_POISON);
	void *v = pci_pool_alloc(q, SLAB_ATOMIC, &h);
	void *k = kzalloc(64, GFP_KERNEL);
	unsigned long pg = __get_free_pages(GFP_KERNEL, 1);

	BUILD_BUG_ON(sizeof(dma_addr_t) != 8);
	if (WARN_ON(back != w) || WARN_ON_ONCE(lo > hi))
		return -EINVAL;
	BUG_ON(n != 5);
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], k, 64);
	dev_err(d, "%s %pad %px %*ph %d\n", dev_name(d), &h, v, 4, k, (int)c);
	pr_info("mask %llx phys %llx\n", (unsigned long long)m, (unsigned long long)virt_to_phys(k));
	if (dma_mapping_error(d, dma_map_single(d, k, 64, DMA_TO_DEVICE)))
		return -ENOMEM;
	if (dmashim_device_write(d, h, arr, sizeof(arr)) || dmashim_device_read(d, h, k, 8) ||
	    dmashim_device_fill(d, h, 0, 8) || (dmashim_device_read)(d, h, k, 8) || dmashim_device_errors(d))
		return -EFAULT;
	pci_pool_free(q, v, h);
	pci_pool_destroy(q);
	dma_pool_destroy(p);
	free_pages(pg, 1);
	kfree(k);
	return is_power_of_2(n) + ilog2(64) + (int)lower_32_bits(m) + (int)BIT(3) + (int)GENMASK(3, 0);
}

int main(void)
{
	static struct pci_dev pdev;
	static struct wrapper w;
	return use_everything(&pdev, &w) + errno + EPROBE_DEFER;
}

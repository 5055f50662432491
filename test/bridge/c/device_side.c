/*
 * Playing the device from C (dmashim/bridge.h: dmashim_device_*): the device
 * writes into a FROM_DEVICE mapping (the CPU sees it after
 * dma_sync_single_for_cpu; before it, with --force-bounce, the stale buffer),
 * a transfer larger than the 4 KiB staging buffer round-trips, a write after
 * unmap is refused and reported with this file's line, and a write through a
 * TO_DEVICE mapping is reported (behind --iommu a DMAR fault that does not
 * land; without one it lands).
 */
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/dma-mapping.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <dmashim/bridge.h>
#include <stdio.h>

static struct pci_dev pdev;

static int all(const u8 *p, size_t n, u8 v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

int main(void)
{
	struct device *dev = &pdev.dev;
	u8 fresh[256];
	int rc;

	pci_setup_device(&pdev);
	dev_set_name(dev, "0000:00:09.0");
	if (device_register(dev) || dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)))
		return 1;

	/* 1. The device fills a receive buffer; the CPU reads it after the sync. */
	u8 *rx = kmalloc(256, GFP_KERNEL);
	memset(rx, 0xaa, 256);
	dma_addr_t d = dma_map_single(dev, rx, 256, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, d))
		return 1;
	memset(fresh, 0x5c, sizeof(fresh));
	rc = dmashim_device_write(dev, d, fresh, sizeof(fresh));
	printf("rx write: %d\n", rc);
	printf("rx before sync: %s\n", all(rx, 256, 0x5c) ? "fresh" : all(rx, 256, 0xaa) ? "stale" : "mixed");
	dma_sync_single_for_cpu(dev, d, 256, DMA_FROM_DEVICE);
	printf("rx after sync: %s\n", all(rx, 256, 0x5c) ? "fresh" : "BAD");
	dma_unmap_single(dev, d, 256, DMA_FROM_DEVICE);

	/* 2. A transfer longer than the staging buffer: fill, write, read back. */
	size_t big = 3 * 4096 + 100;
	u8 *buf = kmalloc(big, GFP_KERNEL);
	u8 *pat = kmalloc(big, GFP_KERNEL);
	u8 *back = kmalloc(big, GFP_KERNEL);
	for (size_t i = 0; i < big; i++)
		pat[i] = (u8)(i * 7 + i / 4096);
	memset(buf, 0, big);
	d = dma_map_single(dev, buf, big, DMA_BIDIRECTIONAL);
	if (dma_mapping_error(dev, d))
		return 1;
	rc = dmashim_device_fill(dev, d, 0x1ee, big);
	dma_sync_single_for_cpu(dev, d, big, DMA_BIDIRECTIONAL);
	printf("fill: %d %s\n", rc, all(buf, big, 0xee) ? "ok" : "BAD");
	rc = dmashim_device_write(dev, d, pat, big);
	dma_sync_single_for_cpu(dev, d, big, DMA_BIDIRECTIONAL);
	printf("big write: %d %s\n", rc, memcmp(buf, pat, big) ? "BAD" : "ok");
	for (size_t i = 0; i < big; i++)
		buf[i] = (u8)(pat[i] ^ 0xff);
	dma_sync_single_for_device(dev, d, big, DMA_BIDIRECTIONAL);
	memset(back, 0, big);
	rc = dmashim_device_read(dev, d + 1, back, big - 1);
	int same = 1;
	for (size_t i = 0; i + 1 < big; i++)
		if ((unsigned int)back[i] + pat[i + 1] != 0xff)
			same = 0;
	printf("big read: %d %s\n", rc, same ? "ok" : "BAD");
	/* A long write that runs past the mapping is refused whole: no piece of it lands. */
	u8 *over = kmalloc(big + 4096, GFP_KERNEL);
	memset(over, 0x99, big + 4096);
	rc = dmashim_device_write(dev, d, over, big + 4096); /* MARK overrun */
	dma_sync_single_for_cpu(dev, d, big, DMA_BIDIRECTIONAL);
	same = 1;
	for (size_t i = 0; i < big; i++)
		if ((unsigned int)buf[i] + pat[i] != 0xff)
			same = 0;
	printf("overrun: %d %s\n", rc, same ? "not landed" : "LANDED");
	kfree(over);
	dma_unmap_single(dev, d, big, DMA_BIDIRECTIONAL);
	kfree(buf);
	kfree(pat);
	kfree(back);

	/* 3. DMA after unmap: refused, reported with this line, nothing lands. */
	u8 *late = kmalloc(128, GFP_KERNEL);
	memset(late, 0x33, 128);
	d = dma_map_single(dev, late, 128, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, d))
		return 1;
	dma_unmap_single(dev, d, 128, DMA_FROM_DEVICE);
	rc = dmashim_device_write(dev, d, fresh, 128); /* MARK late */
	printf("after unmap: %d %s\n", rc, all(late, 128, 0x33) ? "not landed" : "LANDED");
	u8 peek[16];
	memset(peek, 0x77, sizeof(peek));
	rc = dmashim_device_read(dev, d, peek, sizeof(peek)); /* MARK lateread */
	printf("read after unmap: %d %s\n", rc, all(peek, sizeof(peek), 0x77) ? "untouched" : "BAD");
	kfree(late);

	/* 4. The device writes through a TO_DEVICE mapping. */
	u8 *tx = kmalloc(64, GFP_KERNEL);
	memset(tx, 0x44, 64);
	d = dma_map_single(dev, tx, 64, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, d))
		return 1;
	rc = dmashim_device_write(dev, d, fresh, 64); /* MARK ro */
	dma_unmap_single(dev, d, 64, DMA_TO_DEVICE);
	printf("to_device write: %d %s\n", rc, all(tx, 64, 0x44) ? "not landed" : "landed");
	kfree(tx);

	printf("device errors: %u\n", dmashim_device_errors(dev));
	device_unregister(dev);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * dmashim_device_* (dmashim/bridge.h): the program plays the device
 * (device_side.ts). Only numbers cross (the device_io op); the bytes go through this thread's staging buffer, one
 * per scratch slot, which TypeScript sees through one koffi.view of the whole
 * area. TypeScript checks and performs a transfer whole (one report, all or
 * nothing); C moves it in pieces of DMASHIM_STAGE_SIZE. A log hook that plays
 * the device during the call reuses the buffer: TypeScript copies a staged
 * write out before anything can log and stages read data last, and C copies
 * right before and after each crossing, so that is safe.
 */
#include <string.h>

#include <linux/kernel.h>
#include <linux/device.h>
#include <dmashim/bridge.h>

#include "internal.h"

static unsigned char device_stage[DMASHIM_SCRATCH_SLOTS][DMASHIM_STAGE_SIZE] __attribute__((aligned(64)));

static inline int32_t devio_op(int op, int slot) { return op | (slot << DMASHIM_DEVIO_SLOT_SHIFT); }
static inline double stage_arg(void) { return addr_arg(device_stage); }

int __dmashim_device_read(struct device *dev, dma_addr_t dma, void *buf, size_t len, const char *site)
{
	if (!enter("dmashim_device_read"))
		return -EFAULT;
	if (!dev)
		return -ENODEV;
	if (len == 0)
		return 0;
	int slot = my_slot();
	unsigned char *stage = device_stage[slot];
	int rc = dmashim_ts.device_io(dmashim_devid(dev), devio_op(DMASHIM_DEVIO_READ, slot), (double)dma, (double)len,
				      stage_arg(), site_arg(site));
	if (rc)
		return rc;
	for (size_t off = 0; off < len; off += DMASHIM_STAGE_SIZE) {
		size_t n = len - off < DMASHIM_STAGE_SIZE ? len - off : DMASHIM_STAGE_SIZE;
		if (off)
			dmashim_ts.device_io(0, devio_op(DMASHIM_DEVIO_READ_PIECE, slot), (double)off, (double)len,
					     stage_arg(), 0);
		memcpy((unsigned char *)buf + off, stage, n);
	}
	return 0;
}

int __dmashim_device_write(struct device *dev, dma_addr_t dma, const void *buf, size_t len, const char *site)
{
	if (!enter("dmashim_device_write"))
		return -EFAULT;
	if (!dev)
		return -ENODEV;
	if (len == 0)
		return 0;
	int32_t id = dmashim_devid(dev);
	int slot = my_slot();
	unsigned char *stage = device_stage[slot];
	size_t off = 0;
	for (; len - off > DMASHIM_STAGE_SIZE; off += DMASHIM_STAGE_SIZE) {
		memcpy(stage, (const unsigned char *)buf + off, DMASHIM_STAGE_SIZE);
		dmashim_ts.device_io(id, devio_op(DMASHIM_DEVIO_WRITE_PIECE, slot), (double)off, (double)len,
				     stage_arg(), 0);
	}
	memcpy(stage, (const unsigned char *)buf + off, len - off);
	return dmashim_ts.device_io(id, devio_op(DMASHIM_DEVIO_WRITE, slot), (double)dma, (double)len, stage_arg(),
				    site_arg(site));
}

int __dmashim_device_fill(struct device *dev, dma_addr_t dma, int value, size_t len, const char *site)
{
	if (!enter("dmashim_device_fill"))
		return -EFAULT;
	if (!dev)
		return -ENODEV;
	if (len == 0)
		return 0;
	return dmashim_ts.device_io(dmashim_devid(dev), DMASHIM_DEVIO_FILL, (double)dma, (double)len,
				    (double)(value & 0xff), site_arg(site));
}

unsigned int dmashim_device_errors(struct device *dev)
{
	if (!enter("dmashim_device_errors") || !dev)
		return 0;
	int rc = dmashim_ts.device_io(dmashim_devid(dev), DMASHIM_DEVIO_ERRORS, 0, 0, 0, 0);
	return rc < 0 ? 0 : (unsigned int)rc;
}

int (dmashim_device_read)(struct device *dev, dma_addr_t dma, void *buf, size_t len)
{
	return __dmashim_device_read(dev, dma, buf, len, NULL);
}
int (dmashim_device_write)(struct device *dev, dma_addr_t dma, const void *buf, size_t len)
{
	return __dmashim_device_write(dev, dma, buf, len, NULL);
}
int (dmashim_device_fill)(struct device *dev, dma_addr_t dma, int value, size_t len)
{
	return __dmashim_device_fill(dev, dma, value, len, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * The dmashim extras of dmashim/bridge.h for test programs: the log hook,
 * sysfs files, and memory as TypeScript sees it.
 */
#include <pthread.h>
#include <string.h>

#include <linux/kernel.h>
#include <linux/device.h>
#include <dmashim/bridge.h>

#include "internal.h"

static char strbuf[DMASHIM_STRBUF_SIZE];
static pthread_mutex_t strbuf_lock = PTHREAD_MUTEX_INITIALIZER;

EXPORT void *dmashim_strbuf_area(void) { return strbuf; }

static void (*log_hook)(int level, const char *line);

void dmashim_set_log_hook(void (*hook)(int level, const char *line))
{
	if (!enter("dmashim_set_log_hook"))
		return;
	if (hook)
		dmashim_pool_cache_off_all();
	log_hook = hook;
	dmashim_ts.log_hook(hook != NULL);
}

/* TypeScript calls this (C -> TS -> C) for each log record while a hook is set. */
EXPORT void dmashim_log_deliver(int32_t level, const char *line)
{
	if (log_hook)
		log_hook(level, line);
}

/* native/device.c */
__attribute__((visibility("hidden"))) int dmashim_dev_attr_read(struct device *dev, const char *name, char *buf,
							    size_t size);

int dmashim_sysfs_read(struct device *dev, const char *attr, char *buf, size_t size)
{
	if (!enter("dmashim_sysfs_read") || !dev)
		return -ENOENT;
	/* A file of the program's own (device_create_file), else one of the core's. */
	int own = dmashim_dev_attr_read(dev, attr, buf, size);
	if (own != -1)
		return own;
	dmashim_pool_cache_drain_all();
	pthread_mutex_lock(&strbuf_lock);
	int n = dmashim_ts.sysfs_read(dmashim_devid(dev), attr);
	if (n >= 0 && size) {
		size_t take = (size_t)n < size - 1 ? (size_t)n : size - 1;
		memcpy(buf, strbuf, take);
		buf[take] = 0;
	}
	pthread_mutex_unlock(&strbuf_lock);
	return n < 0 ? -ENOENT : n;
}

u8 dmashim_ts_readb(const volatile void *addr)
{
	return enter("dmashim_ts_readb") ? (u8)dmashim_ts.ts_mem(DMASHIM_TS_READB, addr_arg(addr), 1, 0) : 0;
}
u32 dmashim_ts_readl(const volatile void *addr)
{
	return enter("dmashim_ts_readl") ? (u32)dmashim_ts.ts_mem(DMASHIM_TS_READL, addr_arg(addr), 4, 0) : 0;
}
void dmashim_ts_writeb(u8 val, volatile void *addr)
{
	if (enter("dmashim_ts_writeb"))
		dmashim_ts.ts_mem(DMASHIM_TS_WRITEB, addr_arg(addr), 1, val);
}
void dmashim_ts_writel(u32 val, volatile void *addr)
{
	if (enter("dmashim_ts_writel"))
		dmashim_ts.ts_mem(DMASHIM_TS_WRITEL, addr_arg(addr), 4, val);
}
u32 dmashim_ts_fnv1a(const volatile void *addr, size_t len)
{
	return enter("dmashim_ts_fnv1a") ? (u32)dmashim_ts.ts_mem(DMASHIM_TS_FNV1A, addr_arg(addr), (double)len, 0) : 0;
}

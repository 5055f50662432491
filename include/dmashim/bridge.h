/* SPDX-License-Identifier: MIT */
/*
 * dmashim/bridge.h: what a C program can ask of dmashim beyond the kernel API.
 * Test programs use it to look at the TypeScript side: read a sysfs file, see
 * the kernel log as it is written, and read/write memory through TypeScript's
 * view of the same bytes.
 */
#ifndef _DMASHIM_BRIDGE_H
#define _DMASHIM_BRIDGE_H

#include <linux/types.h>

/* Bump on any change to the ops table or the meaning of a bridge call; the TypeScript runner checks it. */
#define DMASHIM_ABI_VERSION 3

struct device;
struct dma_pool;

/* Called (on the JS thread) for every kernel log record, while set. NULL removes it. */
void dmashim_set_log_hook(void (*hook)(int level, const char *line));

/* A device's sysfs attribute ("pools"): its length, copied NUL-terminated into buf; -ENOENT if none. */
int dmashim_sysfs_read(struct device *dev, const char *attr, char *buf, size_t size);

/* Memory as TypeScript sees it (io.ts accessors on the machine's arena view). */
u8 dmashim_ts_readb(const volatile void *addr);
u32 dmashim_ts_readl(const volatile void *addr);
void dmashim_ts_writeb(u8 val, volatile void *addr);
void dmashim_ts_writel(u32 val, volatile void *addr);
/* FNV-1a 32 of [addr, addr+len), computed by TypeScript. */
u32 dmashim_ts_fnv1a(const volatile void *addr, size_t len);
/* The same hash computed in C, to compare with. */
static inline u32 dmashim_fnv1a(const volatile void *addr, size_t len)
{
	const volatile u8 *p = (const volatile u8 *)addr;
	u32 h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

/* Pool poisoning for one pool: 1 on, 0 off, -1 follow the machine (dmapool_set_poison). */
void dmashim_pool_set_poison(struct dma_pool *pool, int on);

/* Blocks of this pool waiting in the C-side block cache (dmashim run --pool-cache); 0 when the cache is off. */
int dmashim_pool_cached(struct dma_pool *pool);

/* 1 when running with --threads (calls from any thread are relayed to TypeScript). */
int dmashim_threaded(void);

#endif /* _DMASHIM_BRIDGE_H */

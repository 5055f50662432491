/* SPDX-License-Identifier: MIT */
/*
 * dma_pool from C: the hot path (pool_alloc_fast/pool_free_fast through the
 * fast area), the per-pool block cache of --pool-cache, and the plain
 * functions behind the site macros.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/kernel.h>
#include <linux/device.h>
#include <linux/dmapool.h>
#include <linux/gfp.h>
#include <dmashim/bridge.h>

#include "internal.h"

/*
 * The fast area: the call block of pool_alloc_fast/pool_free_fast and the
 * records of pool_batch, as doubles (TypeScript reads them through a view).
 * Used only on the JS thread in synchronous mode, so one area serves all.
 * Reentrancy (a log hook that allocates while TypeScript is inside a call) is
 * safe because TypeScript reads every argument before it does anything that
 * can log, and writes the results last; C reads them right after the call.
 */
static double fast_area[DMASHIM_FAST_AREA_WORDS] __attribute__((aligned(64)));
static double *const batch_rec = fast_area + DMASHIM_FAST_WORDS;

EXPORT void *dmashim_fast_area(void) { return fast_area; }
EXPORT int32_t dmashim_fast_area_size(void) { return (int32_t)sizeof(fast_area); }

/*
 * The per-pool block cache (dmashim run --pool-cache[=N], synchronous mode
 * only). Free blocks of a pool wait in a C-side LIFO, and TypeScript is asked
 * once per batch (refill: take up to N/2 blocks; drain: give back the oldest
 * N/2), DMASHIM_BATCH_MAX blocks a crossing at most. The capacity may be far
 * larger than a batch (the default holds a ring of 8192 descriptors): a pool
 * whose blocks come and go in rounds then stops crossing after its first, and
 * the array grows with what it holds, not with the capacity. The cache is
 * the top of the pool's free list as TypeScript would have it: a refill
 * moves the top of TypeScript's list into C in pop order, a drain
 * pushes the bottom of the cache back bottom first, so the blocks a program
 * gets are exactly those it would get without the cache, in the same order,
 * and pages are allocated at the same calls (a refill never takes a new page
 * after its first block).
 *
 * With poisoning or sites the cache does at each hand-out and free what the
 * core would: the might_alloc check, POOL_POISON_FREED on free and the check
 * then POOL_POISON_ALLOCATED on alloc (a block found corrupted is not handed
 * out from here: the pool is drained and the core's alloc takes it, reporting
 * as it does), and the sites, which reach the core in batches (SITES, and the
 * free sites with the drain) before anything can read them. Refills take
 * blocks as they are and drains give them back as they are, unchecked and not
 * poisoned again: what the device wrote to a free block meanwhile is still
 * there for the check. Fault injection keeps one count (and seed) for every
 * kind of allocation: a pool it may fail lets a cached alloc pass while the
 * injector's budget says it would pass too, counting it for the injector, and
 * asks the injector otherwise (a pool with a failure probability, where each
 * call draws, has no cache).
 *
 * Frees are accepted in C only when C can prove TypeScript would accept them:
 * `block_meta` (one entry per 16 arena bytes, the minimum block size, so two
 * block starts never share one) records every block C handed out: pool, dma
 * and the low bits of the vaddr. Anything else (a double free of a cached or
 * returned block, a bad dma or vaddr, a block of another pool) first drains
 * the pool, so TypeScript's state is exact, and is then forwarded: the report
 * is the core's own, at the same call, with the C line.
 */
struct dma_pool {
	int32_t id;
	struct device *dev;
	/* Cache capacity (0 = no cache for this pool), fill, and the room blk has now (it grows up to cap). */
	int32_t cap;
	int32_t n;
	int32_t room;
	/* A refill or drain of this pool is in flight (a nested call from a log hook bypasses the cache). */
	int32_t busy;
	/* DMASHIM_PCACHE_* bits: poisoning and sites, as the core has them for this pool. */
	int32_t mode;
	/* Block size as the core rounded it: zalloc from the cache zeroes it here. */
	size_t size;
	struct dma_pool *next_cached;
	struct cached_block {
		void *v;
		dma_addr_t dma;
		const char *fsite; /* where the program freed it, or FSITE_CORE: the core's free list gave it */
	} *blk;
	/* With sites: blocks handed out from the cache that the core has not been told of, (vaddr, site) each. */
	double *hlog;
	int32_t nlog;
	int32_t hcap; /* hlog's entries: one batch */
};

#define FSITE_CORE ((const char *)1)

struct block_meta {
	int32_t pool;
	uint32_t tag; /* (vaddr & 15) | META_LIVE or META_CACHED; 0 = not handed out by C */
	uint64_t dma;
};
/* include/linux/poison.h */
#define POOL_POISON_FREED 0xa7
#define POOL_POISON_ALLOCATED 0xa9

#define META_LIVE 0x10u
#define META_CACHED 0x20u

static int pool_cache_cap;		 /* --pool-cache: capacity per pool, 0 = off */
static struct block_meta *block_meta;	 /* arena_size / 16 entries, reserved on first use */
static struct dma_pool *cached_pools;	 /* every pool with a cache (never freed, like all pools) */
static long cached_total;		 /* blocks in all caches and sites not told: the drain-all check is one load */

/* Called by the runner after dmashim_bridge_init: 0 = off. The runner already refused it with --threads. */
EXPORT int32_t dmashim_pool_cache_config(int32_t cap)
{
	if (cap < 0 || cap > DMASHIM_POOL_CACHE_MAX || dmashim_threads_on)
		return -1;
	pool_cache_cap = cap >= 2 ? cap : 0;
	return 0;
}

static inline struct block_meta *meta_of(const void *v)
{
	uintptr_t off = (uintptr_t)v - (uintptr_t)dmashim_arena;
	return off < dmashim_arena_size ? &block_meta[off >> 4] : NULL;
}

static inline uint32_t meta_tag(const void *v, uint32_t state) { return ((uint32_t)(uintptr_t)v & 15u) | state; }

/* With sites: tell the core where the blocks handed out since the last time went, in order. */
static noinline void cache_tell_sites(struct dma_pool *pool)
{
	int k = pool->nlog;
	if (k == 0)
		return;
	memcpy(batch_rec, pool->hlog, sizeof(double) * 2 * (size_t)k);
	pool->nlog = 0;
	cached_total -= k;
	pool->busy = 1;
	dmashim_ts.pool_batch(DMASHIM_CACHE_SITES, pool->id, k, 0, 0);
	pool->busy = 0;
}

/* A drain's records with their free sites after them: 3 doubles each. */
#define DRAIN_SITES_MAX (2 * DMASHIM_BATCH_MAX / 3)

/*
 * Give the oldest k cached blocks back to TypeScript, oldest first (the bottom
 * of the stack goes back on top of TypeScript's list). The sites of the
 * hand-outs go first: a block handed out and freed since must be allocated
 * there before it is freed.
 */
static noinline void cache_drain(struct dma_pool *pool, int k)
{
	cache_tell_sites(pool);
	int sites = (pool->mode & DMASHIM_PCACHE_SITES) != 0;
	for (int done = 0; done < k;) {
		int c = k - done;
		if (c > DMASHIM_BATCH_MAX)
			c = DMASHIM_BATCH_MAX;
		if (sites && c > DRAIN_SITES_MAX)
			c = DRAIN_SITES_MAX;
		for (int i = 0; i < c; i++) {
			struct cached_block *b = &pool->blk[done + i];
			struct block_meta *m = meta_of(b->v);
			m->pool = 0;
			m->tag = 0;
			batch_rec[2 * i] = addr_arg(b->v);
			batch_rec[2 * i + 1] = (double)b->dma;
			if (sites)
				batch_rec[2 * c + i] = b->fsite == FSITE_CORE ? -1 : site_arg(b->fsite);
		}
		pool->busy = 1;
		dmashim_ts.pool_batch(DMASHIM_CACHE_DRAIN, pool->id, c, sites, 0);
		pool->busy = 0;
		done += c;
	}
	if (k <= 0)
		return;
	pool->n -= k;
	cached_total -= k;
	memmove(pool->blk, pool->blk + k, sizeof(*pool->blk) * (size_t)pool->n);
}

void dmashim_pool_cache_drain_all(void)
{
	if (likely(cached_total == 0))
		return;
	for (struct dma_pool *p = cached_pools; p; p = p->next_cached)
		if (!p->busy && (p->n || p->nlog))
			cache_drain(p, p->n);
}

/*
 * Drain and switch the cache off for good (destroy, poisoning, the device going
 * away). While the pool is busy (only a refill can be: a drain frees valid
 * blocks, which logs nothing, so no log hook runs inside it) the cache is empty.
 */
static void cache_off(struct dma_pool *pool)
{
	if (!pool->cap && !pool->nlog)
		return;
	if (!pool->busy)
		cache_drain(pool, pool->n);
	pool->cap = 0;
}

/* The device's pools may be destroyed by TypeScript (devres): their caches go first. */
void dmashim_pool_cache_forget_dev(const struct device *dev)
{
	for (struct dma_pool *p = cached_pools; p; p = p->next_cached)
		if (p->dev == dev)
			cache_off(p);
}

/*
 * A log hook may allocate from or free to a pool from inside that pool's own
 * refill, where the cache would have to be bypassed and the block order could
 * differ from an uncached run: with a hook set, no pool caches, now or later.
 */
void dmashim_pool_cache_off_all(void)
{
	pool_cache_cap = 0;
	for (struct dma_pool *p = cached_pools; p; p = p->next_cached)
		cache_off(p);
}

/* Everything the runner prints after main (--pools, --leaks) sees the core's exact state. */
EXPORT void dmashim_pool_cache_drain(void)
{
	if (dmashim_ready)
		dmashim_pool_cache_drain_all();
}

static void cache_setup(struct dma_pool *pool)
{
	if (!pool_cache_cap)
		return;
	pool->mode = dmashim_ts.pool_batch(DMASHIM_CACHE_MODE, pool->id, 0, 0, 0);
	if (pool->mode & DMASHIM_PCACHE_OFF)
		return;
	if (!block_meta) {
		void *m = mmap(NULL, dmashim_arena_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED)
			return; /* no cache then: every call goes to TypeScript */
		block_meta = m;
	}
	pool->room = pool_cache_cap < DMASHIM_BATCH_MAX ? pool_cache_cap : DMASHIM_BATCH_MAX;
	pool->hcap = pool->room;
	pool->blk = calloc((size_t)pool->room, sizeof(*pool->blk));
	/* The sites of one batch of hand-outs, then they are told. */
	pool->hlog = calloc((size_t)pool->hcap, 2 * sizeof(double));
	if (!pool->blk || !pool->hlog) {
		free(pool->blk);
		free(pool->hlog);
		pool->blk = NULL;
		pool->hlog = NULL;
		return;
	}
	pool->size = (size_t)dmashim_ts.pool_batch(DMASHIM_CACHE_BLOCK_SIZE, pool->id, 0, 0, 0);
	pool->cap = pool_cache_cap;
	pool->next_cached = cached_pools;
	cached_pools = pool;
}

struct dma_pool *__dmashim_dma_pool_create(const char *name, struct device *dev, size_t size, size_t align,
					   size_t boundary, int node, unsigned int flags, const char *site)
{
	if (!enter("dma_pool_create"))
		return NULL;
	int32_t id = dmashim_ts.pool_create(name ? name : "(null)", dmashim_devid(dev), (double)size, (double)align,
				     (double)boundary, node, flags, site_arg(site));
	if (id <= 0)
		return NULL;
	struct dma_pool *pool = calloc(1, sizeof(*pool));
	if (!pool)
		return NULL;
	pool->id = id;
	pool->dev = dev;
	cache_setup(pool);
	return pool;
}

/*
 * Fault injection on a block about to be handed out from the cache. Returns 1
 * to fail the alloc, 2 when it asked the injector (which did might_alloc
 * first, as the core does), 0 when it passed within the injector's budget.
 */
static noinline int cache_fault(struct dma_pool *pool, gfp_t gfp, const char *site)
{
	if ((pool->mode & DMASHIM_PCACHE_FAULT_ATOMIC) && gfpflags_allow_blocking(gfp))
		return 0;
	double *budget = &fast_area[DMASHIM_FAULT_BUDGET_WORD];
	if (*budget < 0)
		return 0;
	if (*budget > 0) {
		*budget -= 1;
		fast_area[DMASHIM_FAULT_PENDING_WORD] += 1;
		return 0;
	}
	int atomic = ctx_atomic() && gfpflags_allow_blocking(gfp);
	return dmashim_ts.pool_batch(DMASHIM_CACHE_FAULT, pool->id, atomic, gfp, site_arg(site)) ? 1 : 2;
}

/* The core's check of a block it hands out: every byte still POOL_POISON_FREED. */
static int poison_intact(const unsigned char *p, size_t n)
{
	return p[0] == POOL_POISON_FREED && memcmp(p, p + 1, n - 1) == 0;
}

/* What the core's alloc does with poisoning or sites to a block it hands out (bar the check, done before). */
static void cache_handout(struct dma_pool *pool, void *v, gfp_t gfp, const char *site)
{
	if ((pool->mode & DMASHIM_PCACHE_POISON) && !(gfp & __GFP_ZERO))
		memset(v, POOL_POISON_ALLOCATED, pool->size);
	if (pool->mode & DMASHIM_PCACHE_SITES) {
		pool->hlog[2 * pool->nlog] = addr_arg(v);
		pool->hlog[2 * pool->nlog + 1] = site_arg(site);
		cached_total++;
		if (++pool->nlog == pool->hcap)
			cache_tell_sites(pool);
	}
}

/* The cache is empty: take a batch from TypeScript, hand out the first block, keep the rest in pop order. */
static noinline void *cache_refill(struct dma_pool *pool, gfp_t gfp, dma_addr_t *handle, const char *site)
{
	dmashim_devid(pool->dev);
	cache_tell_sites(pool);
	pool->busy = 1;
	int want = pool->cap / 2 < DMASHIM_BATCH_MAX ? pool->cap / 2 : DMASHIM_BATCH_MAX;
	int k = dmashim_ts.pool_batch(DMASHIM_CACHE_REFILL, pool->id, want, gfp & ~__GFP_ZERO, site_arg(site));
	pool->busy = 0;
	if (k <= 0)
		return NULL;
	void *v = dmashim_arena + (size_t)batch_rec[0];
	dma_addr_t dma = (dma_addr_t)batch_rec[1];
	/*
	 * A log hook destroyed (or poisoned) the pool during the refill: only the
	 * first block is the caller's; the others stay allocated in the core, as a
	 * pool destroyed from inside its own allocation deserves.
	 */
	if (unlikely(!pool->cap))
		k = 1;
	for (int i = k - 1, j = pool->n; i >= 1; i--, j++) {
		void *bv = dmashim_arena + (size_t)batch_rec[2 * i];
		struct block_meta *m = meta_of(bv);
		pool->blk[j].v = bv;
		pool->blk[j].dma = (dma_addr_t)batch_rec[2 * i + 1];
		pool->blk[j].fsite = FSITE_CORE;
		m->pool = pool->id;
		m->tag = meta_tag(bv, META_CACHED);
		m->dma = pool->blk[j].dma;
	}
	pool->n += k - 1;
	cached_total += k - 1;
	struct block_meta *m = meta_of(v);
	m->pool = pool->id;
	m->tag = meta_tag(v, META_LIVE);
	m->dma = dma;
	if (gfp & __GFP_ZERO)
		memset(v, 0, pool->size);
	if (likely(handle != NULL))
		*handle = dma;
	return v;
}

void *__dmashim_dma_pool_alloc(struct dma_pool *pool, gfp_t mem_flags, dma_addr_t *handle, const char *site)
{
	if (!enter("dma_pool_alloc"))
		return NULL;
	if (unlikely(!pool)) {
		pr_err("dma_pool_alloc: NULL pool (called at %s)\n", site ? site : "?");
		return NULL;
	}
	if (pool->cap && !pool->busy) {
		if (likely(pool->n > 0)) {
			struct cached_block *b = &pool->blk[pool->n - 1];
			/* A corrupted block: the core takes it from its own list, and reports as it does. */
			if (unlikely(pool->mode & DMASHIM_PCACHE_POISON) && !poison_intact(b->v, pool->size)) {
				cache_drain(pool, pool->n);
				goto core;
			}
			int fault = unlikely(pool->mode & DMASHIM_PCACHE_FAULT) ?
					    cache_fault(pool, mem_flags, site) : 0;
			if (fault == 1)
				return NULL;
			/* The core's might_alloc() check, which a block from the cache would skip. */
			if (unlikely(ctx_atomic()) && gfpflags_allow_blocking(mem_flags) && fault == 0)
				dmashim_ts.context(__DMASHIM_CTX_MIGHT_ALLOC, (int32_t)mem_flags, site_arg(site));
			pool->n--;
			cached_total--;
			meta_of(b->v)->tag = meta_tag(b->v, META_LIVE);
			if (unlikely(pool->mode))
				cache_handout(pool, b->v, mem_flags, site);
			if (mem_flags & __GFP_ZERO)
				memset(b->v, 0, pool->size);
			if (likely(handle != NULL))
				*handle = b->dma;
			return b->v;
		}
		return cache_refill(pool, mem_flags, handle, site);
	}
core:
	dmashim_devid(pool->dev);
	if (likely(!dmashim_threads_on)) {
		fast_area[0] = pool->id;
		fast_area[1] = mem_flags;
		fast_area[2] = site_arg(site);
		dmashim_ts.pool_alloc_fast();
		double off = fast_area[0];
		if (off < 0)
			return NULL;
		if (likely(handle != NULL))
			*handle = (dma_addr_t)fast_area[1];
		return arena_ptr(off);
	}
	int slot = my_slot();
	double off = dmashim_ts.pool_alloc(pool->id, mem_flags, slot, site_arg(site));
	if (off < 0)
		return NULL;
	if (likely(handle != NULL))
		*handle = scratch_get(slot, 0);
	return arena_ptr(off);
}

/* The cache is full for its array: double the array, up to the capacity. 0 when it cannot grow. */
static noinline int cache_grow(struct dma_pool *pool)
{
	if (pool->room >= pool->cap)
		return 0;
	int room = pool->room > pool->cap / 2 ? pool->cap : 2 * pool->room;
	struct cached_block *blk = realloc(pool->blk, sizeof(*blk) * (size_t)room);
	if (!blk)
		return 0;
	pool->blk = blk;
	pool->room = room;
	return 1;
}

/* A free the cache cannot prove valid: TypeScript decides on its exact state, and reports with the C line. */
static noinline void cache_forward_free(struct dma_pool *pool, void *vaddr, dma_addr_t dma, struct block_meta *m,
					const char *site)
{
	if (!pool->busy)
		cache_drain(pool, pool->n);
	/* A live block freed while the cache is bypassed: TypeScript takes it, C must forget it. */
	if (m && m->pool == pool->id && m->tag == meta_tag(vaddr, META_LIVE) && m->dma == dma) {
		m->pool = 0;
		m->tag = 0;
	}
	fast_area[0] = pool->id;
	fast_area[1] = addr_arg(vaddr);
	fast_area[2] = (double)dma;
	fast_area[3] = site_arg(site);
	dmashim_ts.pool_free_fast();
}

void __dmashim_dma_pool_free(struct dma_pool *pool, void *vaddr, dma_addr_t dma, const char *site)
{
	if (!enter("dma_pool_free"))
		return;
	if (unlikely(!pool)) {
		pr_err("dma_pool_free: NULL pool (called at %s)\n", site ? site : "?");
		return;
	}
	if (pool->cap) {
		struct block_meta *m = meta_of(vaddr);
		if (likely(m && m->pool == pool->id && m->tag == meta_tag(vaddr, META_LIVE) && m->dma == dma &&
			   !pool->busy)) {
			if (unlikely(pool->n == pool->room) && !cache_grow(pool))
				cache_drain(pool, pool->n / 2);
			m->tag = meta_tag(vaddr, META_CACHED);
			if (unlikely(pool->mode & DMASHIM_PCACHE_POISON))
				memset(vaddr, POOL_POISON_FREED, pool->size);
			pool->blk[pool->n].v = vaddr;
			pool->blk[pool->n].dma = dma;
			pool->blk[pool->n].fsite = site;
			pool->n++;
			cached_total++;
			return;
		}
		cache_forward_free(pool, vaddr, dma, m, site);
		return;
	}
	if (likely(!dmashim_threads_on)) {
		fast_area[0] = pool->id;
		fast_area[1] = addr_arg(vaddr);
		fast_area[2] = (double)dma;
		fast_area[3] = site_arg(site);
		dmashim_ts.pool_free_fast();
		return;
	}
	dmashim_ts.pool_free(pool->id, addr_arg(vaddr), (double)dma, site_arg(site));
}

void __dmashim_dma_pool_destroy(struct dma_pool *pool, int managed, const char *site)
{
	if (!enter("dma_pool_destroy") || !pool)
		return;
	/* The busy check and the leak lines count blocks: cached ones must be back in the core first. */
	cache_off(pool);
	dmashim_ts.pool_destroy(pool->id, managed, site_arg(site));
}

void dmashim_pool_set_poison(struct dma_pool *pool, int on)
{
	if (!enter("dmashim_pool_set_poison") || !pool)
		return;
	/* The core poisons its free blocks when poisoning comes on: the cached ones go back first. */
	if (pool->cap && !pool->busy)
		cache_drain(pool, pool->n);
	dmashim_ts.pool_set_poison(pool->id, on);
	if (pool->cap)
		pool->mode = dmashim_ts.pool_batch(DMASHIM_CACHE_MODE, pool->id, 0, 0, 0);
}

int dmashim_pool_cached(struct dma_pool *pool)
{
	return pool ? pool->n : 0;
}

/* The plain functions, for callers that take their address (no call site known). */
struct dma_pool *(dma_pool_create)(const char *name, struct device *dev, size_t size, size_t align, size_t boundary)
{
	return __dmashim_dma_pool_create(name, dev, size, align, boundary, -1, 0, NULL);
}
struct dma_pool *(dma_pool_create_node)(const char *name, struct device *dev, size_t size, size_t align,
					size_t boundary, int node)
{
	return __dmashim_dma_pool_create(name, dev, size, align, boundary, node, 0, NULL);
}
struct dma_pool *(dmam_pool_create)(const char *name, struct device *dev, size_t size, size_t align, size_t allocation)
{
	return __dmashim_dma_pool_create(name, dev, size, align, allocation, -1, __DMASHIM_POOL_MANAGED, NULL);
}
void *(dma_pool_alloc)(struct dma_pool *pool, gfp_t mem_flags, dma_addr_t *handle)
{
	return __dmashim_dma_pool_alloc(pool, mem_flags, handle, NULL);
}
void *(dma_pool_zalloc)(struct dma_pool *pool, gfp_t mem_flags, dma_addr_t *handle)
{
	return __dmashim_dma_pool_alloc(pool, mem_flags | __GFP_ZERO, handle, NULL);
}
void (dma_pool_free)(struct dma_pool *pool, void *vaddr, dma_addr_t dma)
{
	__dmashim_dma_pool_free(pool, vaddr, dma, NULL);
}
void (dma_pool_destroy)(struct dma_pool *pool)
{
	__dmashim_dma_pool_destroy(pool, 0, NULL);
}
void (dmam_pool_destroy)(struct dma_pool *pool)
{
	__dmashim_dma_pool_destroy(pool, 1, NULL);
}

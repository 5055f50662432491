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
 * The call block is used only on the JS thread in synchronous mode, so one
 * serves all; the records are per scratch slot, so that with --threads each
 * thread's batches have their own (slot 0, batch_rec, in synchronous mode).
 * Reentrancy (a log hook that allocates while TypeScript is inside a call) is
 * safe because TypeScript reads every argument before it does anything that
 * can log, and writes the results last; C reads them right after the call.
 */
static double fast_area[DMASHIM_FAST_AREA_WORDS] __attribute__((aligned(64)));
static double *const batch_rec = fast_area + DMASHIM_FAST_WORDS;

EXPORT void *dmashim_fast_area(void) { return fast_area; }
EXPORT int32_t dmashim_fast_area_size(void) { return (int32_t)sizeof(fast_area); }

/*
 * The per-pool block cache (dmashim run --pool-cache[=N]). Free blocks of a
 * pool wait in a C-side LIFO, and TypeScript is asked once per batch (refill:
 * take up to N/2 blocks; drain: give back the oldest N/2), DMASHIM_BATCH_MAX
 * blocks a crossing at most. The capacity may be far
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
 *
 * With --threads every crossing is relayed to the JS thread and waits until
 * that thread serves it, and the JS thread itself drains the caches at the end
 * of the run (which may come while other threads still run). So no crossing is
 * ever made with the lock of a cache held: `lock` guards the cache, its sites
 * and the block_meta entries of the pool, only for C work; `xlock` serialises
 * the pool's crossings (refill, drain, sites, a free forwarded or an alloc
 * taken by the core while the cache is on) and is never waited for by the JS
 * thread. A refill takes the batch with no lock held and puts it below what
 * other threads cached meanwhile (the refill came first); a drain takes the
 * oldest blocks out under the lock and gives them back after, as a relayed
 * free not yet served would be. A caller that must forward a free or an alloc
 * does so under xlock, after draining, so no refill moves blocks in between
 * and the core's report is the one it would make without the cache. A pool
 * the injector may fail has no cache with threads: the budget words are shared
 * by all threads, and the injector also spends them for other calls.
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
	/* --threads (see above). hold: an xlock holder empties the cache or changes its mode; calls wait for xlock. */
	pthread_mutex_t lock;
	pthread_mutex_t xlock;
	int32_t hold;
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
/* --threads: pool_cache_cap and the cached_pools list change under it (pools are read from the list without it). */
static pthread_mutex_t setup_lock = PTHREAD_MUTEX_INITIALIZER;

/* Called by the runner after dmashim_bridge_init: 0 = off. */
EXPORT int32_t dmashim_pool_cache_config(int32_t cap)
{
	if (cap < 0 || cap > DMASHIM_POOL_CACHE_MAX)
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

static void t_drain_all(void);
static void t_cache_off(struct dma_pool *pool);

void dmashim_pool_cache_drain_all(void)
{
	if (dmashim_threads_on) {
		t_drain_all();
		return;
	}
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
	if (dmashim_threads_on) {
		t_cache_off(pool);
		return;
	}
	if (!pool->cap && !pool->nlog)
		return;
	if (!pool->busy)
		cache_drain(pool, pool->n);
	pool->cap = 0;
}

/* The device's pools may be destroyed by TypeScript (devres): their caches go first. */
void dmashim_pool_cache_forget_dev(const struct device *dev)
{
	for (struct dma_pool *p = __atomic_load_n(&cached_pools, __ATOMIC_ACQUIRE); p; p = p->next_cached)
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
	pthread_mutex_lock(&setup_lock);
	pool_cache_cap = 0;
	pthread_mutex_unlock(&setup_lock);
	for (struct dma_pool *p = __atomic_load_n(&cached_pools, __ATOMIC_ACQUIRE); p; p = p->next_cached)
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
	if (!__atomic_load_n(&pool_cache_cap, __ATOMIC_RELAXED))
		return;
	pool->mode = dmashim_ts.pool_batch(DMASHIM_CACHE_MODE, pool->id, 0, 0, 0);
	if (pool->mode & DMASHIM_PCACHE_OFF)
		return;
	/* With threads the injector's budget cannot be spent exactly from C (see above). */
	if (dmashim_threads_on && (pool->mode & DMASHIM_PCACHE_FAULT))
		return;
	size_t size = (size_t)dmashim_ts.pool_batch(DMASHIM_CACHE_BLOCK_SIZE, pool->id, 0, 0, 0);
	/* No crossing from here: a log hook set meanwhile (pool_cache_cap 0) must find this pool listed or uncached. */
	pthread_mutex_lock(&setup_lock);
	if (!block_meta && pool_cache_cap) {
		void *m = mmap(NULL, dmashim_arena_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m != MAP_FAILED)
			block_meta = m; /* else no cache: every call goes to TypeScript */
	}
	if (!block_meta || !pool_cache_cap) {
		pthread_mutex_unlock(&setup_lock);
		return;
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
		pthread_mutex_unlock(&setup_lock);
		return;
	}
	pool->size = size;
	pool->cap = pool_cache_cap;
	pool->next_cached = cached_pools;
	__atomic_store_n(&cached_pools, pool, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&setup_lock);
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
	pthread_mutex_init(&pool->lock, NULL);
	pthread_mutex_init(&pool->xlock, NULL);
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

/* ------------------------------------------------------------ --threads */

static inline int js_thread(void) { return pthread_equal(pthread_self(), dmashim_js_thread); }
static inline void t_lock(struct dma_pool *pool) { pthread_mutex_lock(&pool->lock); }
static inline void t_unlock(struct dma_pool *pool) { pthread_mutex_unlock(&pool->lock); }
static inline int t_cap(struct dma_pool *pool) { return __atomic_load_n(&pool->cap, __ATOMIC_RELAXED); }
static inline void t_total(long d) { __atomic_add_fetch(&cached_total, d, __ATOMIC_RELAXED); }

static inline int t_batch(int op, int slot, struct dma_pool *pool, int n, gfp_t gfp, const char *site)
{
	return dmashim_ts.pool_batch(op | slot << DMASHIM_CACHE_SLOT_SHIFT, pool->id, n, gfp, site_arg(site));
}

/*
 * The entry of a block this pool handed out and that is live, as C recorded it.
 * Another pool's thread may write an entry meanwhile, but only one whose pool
 * is its own: the pool word is read atomically, the rest only once it is ours.
 */
static inline int t_live(struct dma_pool *pool, struct block_meta *m, const void *v, dma_addr_t dma)
{
	return m && __atomic_load_n(&m->pool, __ATOMIC_RELAXED) == pool->id && m->tag == meta_tag(v, META_LIVE) &&
	       m->dma == dma;
}

static inline void t_forget(struct block_meta *m)
{
	__atomic_store_n(&m->pool, 0, __ATOMIC_RELAXED);
	m->tag = 0;
}

/* A drain's records, from the oldest block: the vaddr, the dma, and the free sites after them. */
static void t_drain_records(struct dma_pool *pool, int slot, const struct cached_block *b, int k, int sites)
{
	double *rec = fast_area + DMASHIM_FAST_WORDS + (size_t)slot * DMASHIM_BATCH_WORDS;
	for (int done = 0; done < k;) {
		int c = k - done;
		if (c > (sites ? DRAIN_SITES_MAX : DMASHIM_BATCH_MAX))
			c = sites ? DRAIN_SITES_MAX : DMASHIM_BATCH_MAX;
		for (int i = 0; i < c; i++) {
			rec[2 * i] = addr_arg(b[done + i].v);
			rec[2 * i + 1] = (double)b[done + i].dma;
			if (sites)
				rec[2 * c + i] = b[done + i].fsite == FSITE_CORE ? -1 : site_arg(b[done + i].fsite);
		}
		t_batch(DMASHIM_CACHE_DRAIN, slot, pool, c, sites, NULL);
		done += c;
	}
}

/*
 * Tell the core the untold hand-out sites, then give back the oldest k cached
 * blocks (k < 0: all), oldest first. The blocks leave the cache under the lock
 * and cross after it; the sites leave the log only once told, by a caller that
 * holds xlock (`owner`). Only the JS thread at the end of the run flushes
 * without it: it must not wait for xlock, whose holder may be waiting for the
 * JS thread. It then tells the whole log (some sites perhaps a second time, to
 * no effect) and leaves it, and the blocks of a drain in flight are as a
 * relayed free not yet served.
 */
static noinline void t_flush(struct dma_pool *pool, int k, int owner)
{
	int slot = my_slot();
	double *rec = fast_area + DMASHIM_FAST_WORDS + (size_t)slot * DMASHIM_BATCH_WORDS;
	struct cached_block few[64];
	for (;;) {
		t_lock(pool);
		int nlog = pool->nlog;
		memcpy(rec, pool->hlog, sizeof(double) * 2 * (size_t)nlog);
		int want = k < 0 || k > pool->n ? pool->n : k, c = want;
		struct cached_block *out = c > (int)ARRAY_SIZE(few) ? malloc(sizeof(*out) * (size_t)c) : few;
		if (!out) {
			out = few;
			c = ARRAY_SIZE(few);
		}
		for (int i = 0; i < c; i++) {
			out[i] = pool->blk[i];
			t_forget(meta_of(out[i].v));
		}
		pool->n -= c;
		/* A flush of the sites log alone (c == 0) moves nothing. */
		if (c)
			memmove(pool->blk, pool->blk + c, sizeof(*pool->blk) * (size_t)pool->n);
		int sites = (pool->mode & DMASHIM_PCACHE_SITES) != 0;
		/* Only a buffer too small leaves blocks wanted: what others cached since came after. */
		int more = c < want;
		t_unlock(pool);
		t_total(-(long)c);
		if (nlog) {
			t_batch(DMASHIM_CACHE_SITES, slot, pool, nlog, 0, NULL);
			/* Others only append meanwhile: the first nlog entries are the ones told. */
			if (owner) {
				t_lock(pool);
				pool->nlog -= nlog;
				memmove(pool->hlog, pool->hlog + 2 * nlog, sizeof(double) * 2 * (size_t)pool->nlog);
				t_unlock(pool);
				t_total(-(long)nlog);
			}
		}
		t_drain_records(pool, slot, out, c, sites);
		if (out != few)
			free(out);
		if (k > 0)
			k -= c;
		if (!more)
			break;
	}
}

static void *t_core_alloc(struct dma_pool *pool, gfp_t mem_flags, dma_addr_t *handle, const char *site)
{
	dmashim_devid(pool->dev);
	int slot = my_slot();
	double off = dmashim_ts.pool_alloc(pool->id, mem_flags, slot, site_arg(site));
	if (off < 0)
		return NULL;
	if (likely(handle != NULL))
		*handle = scratch_get(slot, 0);
	return arena_ptr(off);
}

static void t_core_free(struct dma_pool *pool, void *vaddr, dma_addr_t dma, const char *site)
{
	dmashim_ts.pool_free(pool->id, addr_arg(vaddr), (double)dma, site_arg(site));
}

/*
 * Take the top block under the lock, as the synchronous alloc does. 0 when the
 * caller must go the slow way: empty, held, its sites log full, or the top
 * block corrupted.
 */
static inline int t_pop(struct dma_pool *pool, gfp_t gfp, const char *site, struct cached_block *got)
{
	if (pool->n == 0 || pool->hold)
		return 0;
	struct cached_block *b = &pool->blk[pool->n - 1];
	if (unlikely(pool->mode)) {
		if ((pool->mode & DMASHIM_PCACHE_SITES) && pool->nlog == pool->hcap)
			return 0;
		if ((pool->mode & DMASHIM_PCACHE_POISON) && !poison_intact(b->v, pool->size))
			return 0;
	}
	*got = *b;
	pool->n--;
	meta_of(b->v)->tag = meta_tag(got->v, META_LIVE);
	if (unlikely(pool->mode)) {
		if ((pool->mode & DMASHIM_PCACHE_POISON) && !(gfp & __GFP_ZERO))
			memset(got->v, POOL_POISON_ALLOCATED, pool->size);
		if (pool->mode & DMASHIM_PCACHE_SITES) {
			pool->hlog[2 * pool->nlog] = addr_arg(got->v);
			pool->hlog[2 * pool->nlog + 1] = site_arg(site);
			pool->nlog++;
			t_total(1);
		}
	}
	t_total(-1);
	return 1;
}

/*
 * A block popped, with no lock held. No might_alloc check: with threads the
 * core's context is not the calling thread's (context.c), so the core's own
 * alloc reports nothing there either.
 */
static void *t_handout(struct dma_pool *pool, const struct cached_block *b, gfp_t gfp, dma_addr_t *handle)
{
	if (gfp & __GFP_ZERO)
		memset(b->v, 0, pool->size);
	if (likely(handle != NULL))
		*handle = b->dma;
	return b->v;
}

/* The cache is empty (caller holds xlock): take a batch, hand out the first block, keep the rest below the others. */
static noinline void *t_refill(struct dma_pool *pool, gfp_t gfp, dma_addr_t *handle, const char *site)
{
	dmashim_devid(pool->dev);
	t_flush(pool, 0, 1);
	int slot = my_slot();
	double *rec = fast_area + DMASHIM_FAST_WORDS + (size_t)slot * DMASHIM_BATCH_WORDS;
	int want = pool->cap / 2 < DMASHIM_BATCH_MAX ? pool->cap / 2 : DMASHIM_BATCH_MAX;
	int k = t_batch(DMASHIM_CACHE_REFILL, slot, pool, want, gfp & ~__GFP_ZERO, site);
	if (k <= 0)
		return NULL;
	struct cached_block first = { dmashim_arena + (size_t)rec[0], (dma_addr_t)rec[1], FSITE_CORE };
	t_lock(pool);
	int keep = k - 1;
	while (pool->n + keep > pool->room && cache_grow(pool))
		;
	if (pool->n + keep > pool->room)
		keep = pool->room - pool->n;
	memmove(pool->blk + keep, pool->blk, sizeof(*pool->blk) * (size_t)pool->n);
	/* Pop order: the last record is the deepest; the blocks that do not fit go back below the cache. */
	for (int j = 0; j < keep; j++) {
		struct cached_block *b = &pool->blk[j];
		b->v = dmashim_arena + (size_t)rec[2 * (keep - j)];
		b->dma = (dma_addr_t)rec[2 * (keep - j) + 1];
		b->fsite = FSITE_CORE;
		struct block_meta *m = meta_of(b->v);
		m->tag = meta_tag(b->v, META_CACHED);
		m->dma = b->dma;
		__atomic_store_n(&m->pool, pool->id, __ATOMIC_RELAXED);
	}
	pool->n += keep;
	struct block_meta *m = meta_of(first.v);
	m->tag = meta_tag(first.v, META_LIVE);
	m->dma = first.dma;
	__atomic_store_n(&m->pool, pool->id, __ATOMIC_RELAXED);
	t_unlock(pool);
	t_total(keep);
	int extra = k - 1 - keep;
	if (unlikely(extra > 0)) {
		struct cached_block back[DMASHIM_BATCH_MAX];
		for (int i = 0; i < extra; i++) {
			back[i].v = dmashim_arena + (size_t)rec[2 * (k - 1 - i)];
			back[i].dma = (dma_addr_t)rec[2 * (k - 1 - i) + 1];
			back[i].fsite = FSITE_CORE;
		}
		t_drain_records(pool, slot, back, extra, 0);
	}
	if (gfp & __GFP_ZERO)
		memset(first.v, 0, pool->size);
	if (likely(handle != NULL))
		*handle = first.dma;
	return first.v;
}

static noinline void *t_alloc(struct dma_pool *pool, gfp_t gfp, dma_addr_t *handle, const char *site)
{
	struct cached_block b;
	/* The JS thread serves the crossings it would wait for: it bypasses the cache (only a log hook gets here). */
	if (unlikely(js_thread()))
		return t_core_alloc(pool, gfp, handle, site);
	t_lock(pool);
	int ok = pool->cap && t_pop(pool, gfp, site, &b);
	t_unlock(pool);
	if (likely(ok))
		return t_handout(pool, &b, gfp, handle);
	void *v;
	pthread_mutex_lock(&pool->xlock);
	for (;;) {
		t_lock(pool);
		if (!pool->cap) {
			t_unlock(pool);
			v = t_core_alloc(pool, gfp, handle, site);
			break;
		}
		if (t_pop(pool, gfp, site, &b)) {
			t_unlock(pool);
			v = t_handout(pool, &b, gfp, handle);
			break;
		}
		int n = pool->n, full = pool->nlog == pool->hcap;
		t_unlock(pool);
		if (n == 0) {
			v = t_refill(pool, gfp, handle, site);
			break;
		}
		if (!full) {
			/* A corrupted block: the core takes it from its own list, and reports as it does. */
			t_flush(pool, -1, 1);
			v = t_core_alloc(pool, gfp, handle, site);
			break;
		}
		t_flush(pool, 0, 1);
	}
	pthread_mutex_unlock(&pool->xlock);
	return v;
}

/* A live block of this pool onto the cache, which has room (with threads: under the lock). */
static inline void cache_push(struct dma_pool *pool, struct block_meta *m, void *vaddr, dma_addr_t dma,
			      const char *site)
{
	m->tag = meta_tag(vaddr, META_CACHED);
	if (unlikely(pool->mode & DMASHIM_PCACHE_POISON))
		memset(vaddr, POOL_POISON_FREED, pool->size);
	pool->blk[pool->n].v = vaddr;
	pool->blk[pool->n].dma = dma;
	pool->blk[pool->n].fsite = site;
	pool->n++;
}

static inline void t_push(struct dma_pool *pool, struct block_meta *m, void *vaddr, dma_addr_t dma, const char *site)
{
	cache_push(pool, m, vaddr, dma, site);
	t_total(1);
}

static noinline void t_free(struct dma_pool *pool, void *vaddr, dma_addr_t dma, const char *site)
{
	struct block_meta *m = meta_of(vaddr);
	t_lock(pool);
	int live = t_live(pool, m, vaddr, dma);
	if (live && pool->cap && !pool->hold && (pool->n < pool->room || cache_grow(pool))) {
		t_push(pool, m, vaddr, dma, site);
		t_unlock(pool);
		return;
	}
	if (unlikely(js_thread())) {
		if (live)
			t_forget(m);
		t_unlock(pool);
		t_core_free(pool, vaddr, dma, site);
		return;
	}
	t_unlock(pool);
	pthread_mutex_lock(&pool->xlock);
	for (;;) {
		t_lock(pool);
		live = t_live(pool, m, vaddr, dma);
		if (!pool->cap) {
			if (live)
				t_forget(m);
			t_unlock(pool);
			t_core_free(pool, vaddr, dma, site);
			break;
		}
		if (live && (pool->n < pool->room || cache_grow(pool))) {
			t_push(pool, m, vaddr, dma, site);
			t_unlock(pool);
			break;
		}
		int half = pool->n / 2;
		t_unlock(pool);
		if (live) {
			t_flush(pool, half, 1);
			continue;
		}
		/* Not provably valid: the core decides on its exact state, and reports with the C line. */
		t_flush(pool, -1, 1);
		t_core_free(pool, vaddr, dma, site);
		break;
	}
	pthread_mutex_unlock(&pool->xlock);
}

/* Empty the cache for good or while its mode changes (caller holds xlock): calls wait until `hold` drops. */
static void t_hold_flush(struct dma_pool *pool, int owner)
{
	if (owner) {
		t_lock(pool);
		pool->hold = 1;
		t_unlock(pool);
	}
	t_flush(pool, -1, owner);
}

static void t_release(struct dma_pool *pool, int off, int xlocked)
{
	t_lock(pool);
	if (off)
		__atomic_store_n(&pool->cap, 0, __ATOMIC_RELAXED);
	if (xlocked)
		pool->hold = 0;
	t_unlock(pool);
	if (xlocked)
		pthread_mutex_unlock(&pool->xlock);
}

/* xlock, waited for except on the JS thread (see t_drain_all): 1 when taken. */
static int t_xlock(struct dma_pool *pool)
{
	if (unlikely(js_thread()))
		return pthread_mutex_trylock(&pool->xlock) == 0;
	pthread_mutex_lock(&pool->xlock);
	return 1;
}

static void t_cache_off(struct dma_pool *pool)
{
	if (!t_cap(pool))
		return;
	int x = t_xlock(pool);
	t_hold_flush(pool, x);
	t_release(pool, 1, x);
}

static struct dma_pool *t_first(void) { return __atomic_load_n(&cached_pools, __ATOMIC_ACQUIRE); }

/*
 * Every cache back to the core. On the JS thread (the end of the run) xlock is
 * only tried: its holder may be waiting for the JS thread. Another thread
 * (a sysfs read, device_unregister, exit) takes every pool's xlock even when
 * nothing is cached: a drain or refill in flight has already left the count,
 * and what the caller reads next must come after it.
 */
static void t_drain_all(void)
{
	if (js_thread() && __atomic_load_n(&cached_total, __ATOMIC_RELAXED) == 0)
		return;
	for (struct dma_pool *p = t_first(); p; p = p->next_cached) {
		int x = t_xlock(p);
		t_flush(p, -1, x);
		if (x)
			pthread_mutex_unlock(&p->xlock);
	}
}

void *__dmashim_dma_pool_alloc(struct dma_pool *pool, gfp_t mem_flags, dma_addr_t *handle, const char *site)
{
	if (!enter("dma_pool_alloc"))
		return NULL;
	if (unlikely(!pool)) {
		pr_err("dma_pool_alloc: NULL pool (called at %s)\n", site ? site : "?");
		return NULL;
	}
	if (unlikely(dmashim_threads_on)) {
		if (t_cap(pool))
			return t_alloc(pool, mem_flags, handle, site);
	} else if (pool->cap && !pool->busy) {
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
	if (unlikely(dmashim_threads_on))
		return t_core_alloc(pool, mem_flags, handle, site);
	dmashim_devid(pool->dev);
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
	if (unlikely(dmashim_threads_on)) {
		if (t_cap(pool))
			t_free(pool, vaddr, dma, site);
		else
			t_core_free(pool, vaddr, dma, site);
		return;
	}
	if (pool->cap) {
		struct block_meta *m = meta_of(vaddr);
		if (likely(m && m->pool == pool->id && m->tag == meta_tag(vaddr, META_LIVE) && m->dma == dma &&
			   !pool->busy)) {
			if (unlikely(pool->n == pool->room) && !cache_grow(pool))
				cache_drain(pool, pool->n / 2);
			cache_push(pool, m, vaddr, dma, site);
			cached_total++;
			return;
		}
		cache_forward_free(pool, vaddr, dma, m, site);
		return;
	}
	fast_area[0] = pool->id;
	fast_area[1] = addr_arg(vaddr);
	fast_area[2] = (double)dma;
	fast_area[3] = site_arg(site);
	dmashim_ts.pool_free_fast();
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
	if (dmashim_threads_on && t_cap(pool)) {
		int x = t_xlock(pool);
		t_hold_flush(pool, x);
		dmashim_ts.pool_set_poison(pool->id, on);
		int mode = dmashim_ts.pool_batch(DMASHIM_CACHE_MODE, pool->id, 0, 0, 0);
		t_lock(pool);
		pool->mode = mode;
		t_unlock(pool);
		t_release(pool, 0, x);
		return;
	}
	if (pool->cap && !pool->busy)
		cache_drain(pool, pool->n);
	dmashim_ts.pool_set_poison(pool->id, on);
	if (pool->cap)
		pool->mode = dmashim_ts.pool_batch(DMASHIM_CACHE_MODE, pool->id, 0, 0, 0);
}

int dmashim_pool_cached(struct dma_pool *pool)
{
	if (!pool)
		return 0;
	if (!dmashim_threads_on)
		return pool->n;
	t_lock(pool);
	int n = pool->n;
	t_unlock(pool);
	return n;
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

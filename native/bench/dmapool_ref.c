/*
 * dmapool_ref.c: the C references of `npm run bench` (rows "C reference" and
 * "glibc malloc/free"), built with -O2 at bench time.
 *
 * "C reference" is the v6.4+ kernel dma_pool algorithm, written here from its
 * described behaviour (no kernel source is copied): free blocks form ONE
 * intrusive LIFO list threaded through the blocks themselves (struct dma_block {next; dma} at the start of each free
 * block), a new page is carved front to back honouring the boundary, its blocks
 * linked in ascending address order and the chain prepended to the list; alloc
 * pops, free pushes (storing the caller's dma), pages live until destroy. It is
 * the non-DMAPOOL_DEBUG build: free checks nothing. The pool lock is left out on
 * purpose: the TypeScript core is single-threaded and takes no lock either, so
 * the comparison is algorithm against algorithm (an uncontended spin_lock_irqsave
 * pair would add a few ns per call to the kernel's figure).
 *
 * alloc/free are noinline: in the kernel they are exported functions called from
 * a module, never inlined into the caller's loop.
 *
 * The workload is mm/dmapool_test's: per (size, align, boundary) a pool is
 * created, 100 rounds of "allocate `blocks` blocks, then free them in the same
 * order" are timed, the pool destroyed. Output: one JSON object per line.
 *
 * usage: dmapool_ref [reps] [rounds]   (reps timed passes after one warm-up pass)
 *        dmapool_ref scale PER_POOL OPS [reps [queue|random]]
 *            1,000 pools of 64-byte blocks with PER_POOL live blocks each; OPS
 *            free+alloc pairs (queue: a random pool's oldest block; random: a random
 *            live block); ns per op, and the same loop without the allocator (the
 *            harness's own loads and stores of the pair), as the TypeScript scale row does.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE_SIZE 4096u
#define NOINLINE __attribute__((noinline))

typedef uint64_t dma_addr_t;

/* Arbitrary distance between CPU and bus addresses of the fake direct map. */
#define FAKE_DMA_OFFSET 0x100000000ull

struct dma_block {
	struct dma_block *next_block;
	dma_addr_t dma;
};

struct dma_page {
	struct dma_page *next;
	void *vaddr;
	dma_addr_t dma;
};

struct dma_pool {
	int lock; /* spinlock_t: 0 free, 1 held */
	struct dma_block *next_block;
	struct dma_page *pages;
	size_t nr_blocks;
	size_t nr_active;
	size_t nr_pages;
	unsigned int size;
	unsigned int allocation;
	unsigned int boundary;
};

static int is_pow2(size_t n) { return n && !(n & (n - 1)); }

NOINLINE static struct dma_pool *ref_pool_create(size_t size, size_t align, size_t boundary)
{
	if (align == 0)
		align = 1;
	else if (!is_pow2(align))
		return NULL;
	if (size == 0 || size > 0x7fffffff)
		return NULL;
	if (size < sizeof(struct dma_block))
		size = sizeof(struct dma_block);
	size = (size + align - 1) & ~(align - 1);
	size_t allocation = size > PAGE_SIZE ? size : PAGE_SIZE;
	if (boundary == 0)
		boundary = allocation;
	else if (boundary < size || !is_pow2(boundary))
		return NULL;
	if (boundary > allocation)
		boundary = allocation;
	struct dma_pool *pool = calloc(1, sizeof(*pool));
	if (!pool)
		return NULL;
	pool->size = (unsigned int)size;
	pool->allocation = (unsigned int)allocation;
	pool->boundary = (unsigned int)boundary;
	return pool;
}

/* Carve a page (semantics §1.4) and prepend its ascending chain to the free list. */
static void ref_pool_initialise_page(struct dma_pool *pool, struct dma_page *page)
{
	unsigned int next_boundary = pool->boundary, offset = 0;
	struct dma_block *block, *first = NULL, *last = NULL;

	while (offset + pool->size <= pool->allocation) {
		if (offset + pool->size > next_boundary) {
			offset = next_boundary;
			next_boundary += pool->boundary;
			continue;
		}
		block = (struct dma_block *)((char *)page->vaddr + offset);
		block->dma = page->dma + offset;
		block->next_block = NULL;
		if (last)
			last->next_block = block;
		else
			first = block;
		last = block;
		offset += pool->size;
		pool->nr_blocks++;
	}
	last->next_block = pool->next_block;
	pool->next_block = first;
	page->next = pool->pages;
	pool->pages = page;
	pool->nr_pages++;
}

static struct dma_page *ref_pool_alloc_page(struct dma_pool *pool)
{
	struct dma_page *page = malloc(sizeof(*page));
	void *vaddr;
	if (!page)
		return NULL;
	/* dma_alloc_coherent: page aligned and zeroed. */
	if (posix_memalign(&vaddr, PAGE_SIZE, pool->allocation)) {
		free(page);
		return NULL;
	}
	memset(vaddr, 0, pool->allocation);
	page->vaddr = vaddr;
	page->dma = (dma_addr_t)(uintptr_t)vaddr + FAKE_DMA_OFFSET;
	return page;
}

NOINLINE static void *ref_pool_alloc(struct dma_pool *pool, dma_addr_t *handle)
{
	struct dma_block *block = pool->next_block;
	if (__builtin_expect(!block, 0)) {
		struct dma_page *page = ref_pool_alloc_page(pool);
		if (!page)
			return NULL;
		ref_pool_initialise_page(pool, page);
		block = pool->next_block;
	}
	pool->next_block = block->next_block;
	pool->nr_active++;
	*handle = block->dma;
	return block;
}

NOINLINE static void ref_pool_free(struct dma_pool *pool, void *vaddr, dma_addr_t dma)
{
	struct dma_block *block = vaddr;
	block->dma = dma;
	block->next_block = pool->next_block;
	pool->next_block = block;
	pool->nr_active--;
}

/*
 * The kernel's dma_pool_alloc/free take the pool's spinlock with
 * spin_lock_irqsave around the list operation, and that is what the kernel's
 * figure (and so our reference of record) includes. User space cannot mask
 * interrupts, so the irqsave half is left out; the lock is a test-and-set
 * acquire (lock cmpxchg, as the queued spinlock's fast path) and a release
 * store, uncontended, as in a single-threaded driver test.
 */
static inline void ref_spin_lock(int *l)
{
	int expected = 0;
	while (!__atomic_compare_exchange_n(l, &expected, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		expected = 0;
}

static inline void ref_spin_unlock(int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

NOINLINE static void *ref_pool_alloc_locked(struct dma_pool *pool, dma_addr_t *handle)
{
	ref_spin_lock(&pool->lock);
	struct dma_block *block = pool->next_block;
	if (__builtin_expect(!block, 0)) {
		/* The kernel drops the lock around the page allocation (it may sleep). */
		ref_spin_unlock(&pool->lock);
		struct dma_page *page = ref_pool_alloc_page(pool);
		if (!page)
			return NULL;
		ref_spin_lock(&pool->lock);
		ref_pool_initialise_page(pool, page);
		block = pool->next_block;
	}
	pool->next_block = block->next_block;
	pool->nr_active++;
	ref_spin_unlock(&pool->lock);
	*handle = block->dma;
	return block;
}

NOINLINE static void ref_pool_free_locked(struct dma_pool *pool, void *vaddr, dma_addr_t dma)
{
	struct dma_block *block = vaddr;
	ref_spin_lock(&pool->lock);
	block->dma = dma;
	block->next_block = pool->next_block;
	pool->next_block = block;
	pool->nr_active--;
	ref_spin_unlock(&pool->lock);
}

static void ref_pool_destroy(struct dma_pool *pool)
{
	struct dma_page *page = pool->pages, *next;
	for (; page; page = next) {
		next = page->next;
		free(page->vaddr);
		free(page);
	}
	free(pool);
}

/*
 * "C, out-of-band": dmashim's own algorithm (src/mm/dmapool.ts) in C, as a
 * diagnostic row. The free state lives outside the blocks in one uint16_t array
 * `fl`: a stack of free slots (slot = page << sh | k; fl[top - 1] is handed out
 * next; capacity fbase) followed by a bitmap, 16 slots a word (1 = free), and
 * EVERY free is checked in O(1) exactly as the TypeScript fast path does (arena
 * page -> pool page table, block start, vaddr/dma pair, double free). Set
 * against the C reference it prices the algorithm; set against the TypeScript
 * core it prices the language.
 */
#define OOB_ARENA (64u << 20)
static char *oob_arena;
static int32_t *oob_page_idx;  /* arena page -> pool page + 1 (one pool at a time here) */
static uint32_t oob_bump;
static uint32_t *oob_free_pages;
static uint32_t oob_nfree;

struct oob_pool {
	uint32_t top, fbase, fl_len;
	uint16_t *fl;
	char **page_vaddr;
	dma_addr_t *page_dma;
	int32_t *offs;
	uint32_t nr_pages, cap;
	size_t nr_blocks;
	unsigned int size, allocation, boundary, bpp, sh, kmask, linear;
	int size_shift;
};

static int oob_init(void)
{
	oob_arena = aligned_alloc(PAGE_SIZE, OOB_ARENA);
	oob_page_idx = calloc(OOB_ARENA / PAGE_SIZE, sizeof(*oob_page_idx));
	oob_free_pages = calloc(OOB_ARENA / PAGE_SIZE, sizeof(*oob_free_pages));
	return oob_arena && oob_page_idx && oob_free_pages ? 0 : -1;
}

/* One page of the arena (every row's allocation is one page, or 4096 bytes for the 4096 row). */
static char *oob_page_get(void)
{
	uint32_t off;
	if (oob_nfree)
		off = oob_free_pages[--oob_nfree];
	else if (oob_bump + PAGE_SIZE <= OOB_ARENA)
		off = oob_bump, oob_bump += PAGE_SIZE;
	else
		return NULL;
	memset(oob_arena + off, 0, PAGE_SIZE);
	return oob_arena + off;
}

NOINLINE static struct oob_pool *oob_pool_create(size_t size, size_t align, size_t boundary)
{
	if (align == 0)
		align = 1;
	if (size < 16)
		size = 16;
	size = (size + align - 1) & ~(align - 1);
	size_t allocation = size > PAGE_SIZE ? size : PAGE_SIZE;
	if (allocation != PAGE_SIZE)
		return NULL; /* the benchmark's rows all fit one page */
	if (boundary == 0 || boundary > allocation)
		boundary = allocation;
	struct oob_pool *p = calloc(1, sizeof(*p));
	unsigned int n = 0, offset = 0, next_boundary = (unsigned int)boundary;
	int32_t offs[PAGE_SIZE / 16];
	while (offset + size <= allocation) {
		if (offset + size > next_boundary) {
			offset = next_boundary;
			next_boundary += (unsigned int)boundary;
			continue;
		}
		offs[n++] = (int32_t)offset;
		offset += (unsigned int)size;
	}
	p->offs = malloc(n * sizeof(int32_t));
	memcpy(p->offs, offs, n * sizeof(int32_t));
	p->linear = 1;
	for (unsigned int k = 0; k < n; k++)
		if ((unsigned int)offs[k] != k * size)
			p->linear = 0;
	p->size = (unsigned int)size;
	p->allocation = (unsigned int)allocation;
	p->boundary = (unsigned int)boundary;
	p->bpp = n;
	while ((1u << p->sh) < n)
		p->sh++;
	p->kmask = (1u << p->sh) - 1;
	p->size_shift = (size & (size - 1)) == 0 ? __builtin_ctz((unsigned int)size) : -1;
	return p;
}

/* Room for a stack of `need` entries and the bitmap of `slots` slots; both double (as growFl in dmapool.ts). */
static int oob_grow(struct oob_pool *p, uint32_t need, uint32_t slots)
{
	uint32_t words = p->fl_len - p->fbase, cap = p->fbase, w = words ? words : 1;
	if (need > cap) {
		cap = cap > 8 ? cap : 8;
		while (cap < need)
			cap *= 2;
	}
	while (w < (slots + 15) / 16)
		w *= 2;
	if (cap == p->fbase && w == words)
		return 0;
	uint16_t *n = calloc(cap + w, sizeof(uint16_t));
	if (!n)
		return -1;
	if (p->fl) {
		memcpy(n, p->fl, p->top * sizeof(uint16_t));
		memcpy(n + cap, p->fl + p->fbase, words * sizeof(uint16_t));
		free(p->fl);
	}
	p->fl = n;
	p->fbase = cap;
	p->fl_len = cap + w;
	return 0;
}

static int oob_alloc_page(struct oob_pool *p)
{
	char *v = oob_page_get();
	if (!v)
		return -1;
	uint32_t pg = p->nr_pages;
	if (pg == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 4;
		p->page_vaddr = realloc(p->page_vaddr, p->cap * sizeof(char *));
		p->page_dma = realloc(p->page_dma, p->cap * sizeof(dma_addr_t));
	}
	if (oob_grow(p, p->top + p->bpp, (pg + 1) << p->sh))
		return -1;
	p->page_vaddr[pg] = v;
	p->page_dma[pg] = (dma_addr_t)(uintptr_t)v + FAKE_DMA_OFFSET;
	oob_page_idx[(v - oob_arena) / PAGE_SIZE] = (int32_t)pg + 1;
	uint32_t base = pg << p->sh, t = p->top;
	for (int k = (int)p->bpp - 1; k >= 0; k--) {
		uint32_t b = base + (uint32_t)k;
		p->fl[t++] = (uint16_t)b;
		p->fl[p->fbase + (b >> 4)] |= (uint16_t)(1u << (b & 15));
	}
	p->top = t;
	p->nr_blocks += p->bpp;
	p->nr_pages = pg + 1;
	return 0;
}

NOINLINE static void *oob_pool_alloc(struct oob_pool *p, dma_addr_t *handle)
{
	if (__builtin_expect(p->top == 0, 0) && oob_alloc_page(p))
		return NULL;
	uint32_t b = p->fl[--p->top];
	p->fl[p->fbase + (b >> 4)] &= (uint16_t)~(1u << (b & 15));
	uint32_t page = (uint32_t)b >> p->sh, k = (uint32_t)b & p->kmask;
	uint32_t off = p->linear ? k * p->size : (uint32_t)p->offs[k];
	*handle = p->page_dma[page] + off;
	return p->page_vaddr[page] + off;
}

static unsigned long oob_errors;

NOINLINE static void oob_pool_free(struct oob_pool *p, void *vaddr, dma_addr_t dma)
{
	uintptr_t off = (uintptr_t)vaddr - (uintptr_t)oob_arena;
	if (off < OOB_ARENA) {
		int32_t page = oob_page_idx[off / PAGE_SIZE] - 1;
		if (page >= 0 && (uint32_t)page < p->nr_pages) {
			uintptr_t o = (uintptr_t)vaddr - (uintptr_t)p->page_vaddr[page];
			uintptr_t k;
			int ok;
			if (p->linear) {
				k = p->size_shift >= 0 ? o >> p->size_shift : o / p->size;
				ok = k < p->bpp && k * p->size == o;
			} else {
				k = 0;
				while (k < p->bpp && (uintptr_t)p->offs[k] < o)
					k++; /* never taken by the benchmark's rows, which are all linear */
				ok = k < p->bpp && (uintptr_t)p->offs[k] == o;
			}
			if (ok && dma == p->page_dma[page] + o) {
				uint32_t b = ((uint32_t)page << p->sh) | (uint32_t)k;
				uint16_t *w = &p->fl[p->fbase + (b >> 4)];
				uint16_t bit = (uint16_t)(1u << (b & 15));
				if (!(*w & bit)) {
					*w |= bit;
					if (__builtin_expect(p->top == p->fbase, 0) &&
					    oob_grow(p, p->top + 1, p->nr_pages << p->sh))
						goto err;
					p->fl[p->top++] = (uint16_t)b;
					return;
				}
			}
		}
	}
err:
	oob_errors++; /* the report path; never taken here */
}

static void oob_pool_destroy(struct oob_pool *p)
{
	for (uint32_t i = 0; i < p->nr_pages; i++) {
		uint32_t off = (uint32_t)(p->page_vaddr[i] - oob_arena);
		oob_page_idx[off / PAGE_SIZE] = 0;
		oob_free_pages[oob_nfree++] = off;
	}
	free(p->fl);
	free(p->page_vaddr);
	free(p->page_dma);
	free(p->offs);
	free(p);
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

struct param {
	unsigned int size, align, boundary;
};

static const struct param params[] = {
	{ 16, 16, 0 }, { 64, 64, 0 }, { 256, 256, 0 }, { 1024, 1024, 0 }, { 4096, 4096, 0 }, { 68, 32, 4096 },
};
#define NPARAMS (sizeof(params) / sizeof(params[0]))

static unsigned int nr_blocks(unsigned int size)
{
	unsigned int b = (PAGE_SIZE / size) * 512;
	return b < 1024 ? 1024 : b > 8192 ? 8192 : b;
}

struct pair {
	dma_addr_t dma;
	void *v;
};

/*
 * One dmapool_test row timed on the reference: pool created, 100 rounds of
 * alloc-all then free-all in the same order, pool destroyed; ns per op. The
 * macro stamps out the lock-elided and the locked (reference of record) loops,
 * so both call their alloc/free directly, as a module calls the kernel.
 */
#define DEFINE_RUN_REF(name, alloc, release)								\
	static double name(const struct param *p, unsigned int blocks, unsigned int rounds, struct pair *pairs) \
	{												\
		struct dma_pool *pool = ref_pool_create(p->size, p->align, p->boundary);		\
		if (!pool)										\
			return -1;									\
		double t0 = now_ns();									\
		for (unsigned int r = 0; r < rounds; r++) {						\
			for (unsigned int i = 0; i < blocks; i++) {					\
				pairs[i].v = alloc(pool, &pairs[i].dma);				\
				if (!pairs[i].v) {							\
					ref_pool_destroy(pool);						\
					return -1;							\
				}									\
			}										\
			for (unsigned int i = 0; i < blocks; i++)					\
				release(pool, pairs[i].v, pairs[i].dma);				\
		}											\
		double t1 = now_ns();									\
		ref_pool_destroy(pool);									\
		return (t1 - t0) / ((double)rounds * blocks * 2);					\
	}

DEFINE_RUN_REF(run_ref, ref_pool_alloc, ref_pool_free)
DEFINE_RUN_REF(run_ref_locked, ref_pool_alloc_locked, ref_pool_free_locked)

/* The same row on the out-of-band, always-checked variant. */
static double run_oob(const struct param *p, unsigned int blocks, unsigned int rounds, struct pair *pairs)
{
	struct oob_pool *pool = oob_pool_create(p->size, p->align, p->boundary);
	if (!pool)
		return -1;
	double t0 = now_ns();
	for (unsigned int r = 0; r < rounds; r++) {
		for (unsigned int i = 0; i < blocks; i++) {
			pairs[i].v = oob_pool_alloc(pool, &pairs[i].dma);
			if (!pairs[i].v) {
				oob_pool_destroy(pool);
				return -1;
			}
		}
		for (unsigned int i = 0; i < blocks; i++)
			oob_pool_free(pool, pairs[i].v, pairs[i].dma);
	}
	double t1 = now_ns();
	int bad = pool->nr_blocks != pool->top || oob_errors != 0;
	oob_pool_destroy(pool);
	return bad ? -1 : (t1 - t0) / ((double)rounds * blocks * 2);
}

/* The same row on glibc malloc/free (requested size; malloc knows no alignment or boundary). */
static double run_malloc(const struct param *p, unsigned int blocks, unsigned int rounds, struct pair *pairs)
{
	double t0 = now_ns();
	for (unsigned int r = 0; r < rounds; r++) {
		for (unsigned int i = 0; i < blocks; i++) {
			void *v = malloc(p->size);
			/* Keep gcc from pairing malloc with free and dropping both. */
			__asm__ volatile("" : : "r"(v) : "memory");
			if (!v)
				return -1;
			pairs[i].v = v;
		}
		for (unsigned int i = 0; i < blocks; i++)
			free(pairs[i].v);
	}
	double t1 = now_ns();
	return (t1 - t0) / ((double)rounds * blocks * 2);
}

#define SCALE_POOLS 1000u

/*
 * The scale experiment on the reference (bench/lib/scale.ts runs the same on the
 * core): 1,000 pools of 64-byte blocks, per_pool live in each, `ops` free+alloc
 * pairs. queue: a random pool frees its oldest block (ring position) and puts
 * the new one there; random: a uniformly random live block is freed and
 * reallocated.
 */
static int run_scale(unsigned int per_pool, unsigned int ops, int reps, int queue)
{
	size_t live = (size_t)SCALE_POOLS * per_pool;
	struct dma_pool **pools = calloc(SCALE_POOLS, sizeof(*pools));
	struct pair *pairs = calloc(live, sizeof(*pairs));
	unsigned int *sel = calloc(ops, sizeof(*sel));
	unsigned int *pos = calloc(SCALE_POOLS, sizeof(*pos));
	if (!pools || !pairs || !sel || !pos)
		return 2;
	for (unsigned int i = 0; i < SCALE_POOLS; i++) {
		pools[i] = ref_pool_create(64, 64, 0);
		if (!pools[i])
			return 1;
		for (unsigned int j = 0; j < per_pool; j++) {
			struct pair *q = &pairs[(size_t)i * per_pool + j];
			q->v = ref_pool_alloc(pools[i], &q->dma);
			if (!q->v)
				return 1;
		}
	}
	uint32_t x = 0x9e3779b9u ^ per_pool;
	for (unsigned int t = 0; t < ops; t++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		sel[t] = (unsigned int)(x % (queue ? SCALE_POOLS : live));
	}
	for (int rep = -1; rep < reps; rep++) {
		double t0 = now_ns(), t1, t2;
		size_t sink = 0;
		if (queue) {
			for (unsigned int t = 0; t < ops; t++) {
				unsigned int i = sel[t], j = pos[i];
				struct pair *q = &pairs[(size_t)i * per_pool + j];
				ref_pool_free(pools[i], q->v, q->dma);
				q->v = ref_pool_alloc(pools[i], &q->dma);
				pos[i] = j + 1 == per_pool ? 0 : j + 1;
			}
			t1 = now_ns();
			for (unsigned int t = 0; t < ops; t++) {
				unsigned int i = sel[t], j = pos[i];
				struct pair *q = &pairs[(size_t)i * per_pool + j];
				sink += pools[i]->nr_active;
				dma_addr_t x = q->dma;
				/* a real load and store of the pair, as the TS harness does */
				__asm__ volatile("" : "+r"(x));
				q->dma = x;
				pos[i] = j + 1 == per_pool ? 0 : j + 1;
			}
		} else {
			for (unsigned int t = 0; t < ops; t++) {
				struct pair *q = &pairs[sel[t]];
				struct dma_pool *pool = pools[sel[t] / per_pool];
				ref_pool_free(pool, q->v, q->dma);
				q->v = ref_pool_alloc(pool, &q->dma);
			}
			t1 = now_ns();
			for (unsigned int t = 0; t < ops; t++) {
				struct pair *q = &pairs[sel[t]];
				struct dma_pool *pool = pools[sel[t] / per_pool];
				sink += pool->nr_active;
				dma_addr_t x = q->dma;
				__asm__ volatile("" : "+r"(x));
				q->dma = x;
			}
		}
		t2 = now_ns();
		if (rep >= 0)
			printf("{\"scale\":%u,\"rep\":%d,\"ref_ns\":%.4f,\"harness_ns\":%.4f,\"sink\":%zu}\n",
			       per_pool, rep, (t1 - t0) / (2.0 * ops), (t2 - t1) / (2.0 * ops), sink & 1);
	}
	for (unsigned int i = 0; i < SCALE_POOLS; i++)
		ref_pool_destroy(pools[i]);
	free(pools);
	free(pairs);
	free(sel);
	free(pos);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 3 && strcmp(argv[1], "scale") == 0)
		return run_scale((unsigned int)atoi(argv[2]), (unsigned int)atoi(argv[3]), argc > 4 ? atoi(argv[4]) : 3,
				 argc > 5 && strcmp(argv[5], "queue") == 0);
	int reps = argc > 1 ? atoi(argv[1]) : 1;
	unsigned int rounds = argc > 2 ? (unsigned int)atoi(argv[2]) : 100;
	/* argv[3]: one row only (bench/run.ts brackets each row's process with its phase yardstick). */
	int only = argc > 3 ? atoi(argv[3]) : -1;
	struct pair *pairs = calloc(8192, sizeof(*pairs));
	if (!pairs || reps < 0 || rounds == 0 || only >= (int)NPARAMS || oob_init())
		return 2;
	for (int rep = -1; rep < reps; rep++) {
		for (size_t k = 0; k < NPARAMS; k++) {
			if (only >= 0 && k != (size_t)only)
				continue;
			const struct param *p = &params[k];
			unsigned int blocks = nr_blocks(p->size);
			double ref = run_ref(p, blocks, rounds, pairs);
			double locked = run_ref_locked(p, blocks, rounds, pairs);
			double mal = run_malloc(p, blocks, rounds, pairs);
			double oob = run_oob(p, blocks, rounds, pairs);
			if (ref < 0 || locked < 0 || mal < 0 || oob < 0) {
				fprintf(stderr, "dmapool_ref: allocation failed (size %u)\n", p->size);
				return 1;
			}
			if (rep < 0)
				continue; /* warm-up pass: caches, page faults, malloc arenas */
			printf("{\"row\":%zu,\"size\":%u,\"align\":%u,\"boundary\":%u,\"blocks\":%u,\"rep\":%d,"
			       "\"ref_ns\":%.4f,\"ref_locked_ns\":%.4f,\"malloc_ns\":%.4f,\"oob_ns\":%.4f}\n",
			       k, p->size, p->align, p->boundary, blocks, rep, ref, locked, mal, oob);
		}
	}
	free(pairs);
	return 0;
}

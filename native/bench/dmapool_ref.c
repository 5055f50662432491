/*
 * dmapool_ref.c: the C references of `npm run bench` (rows "C reference" and
 * "glibc malloc/free"), built with -O2 at bench time.
 *
 * "C reference" is the v6.4+ kernel dma_pool algorithm, written here from the
 * description in shared/reference/linux-dma-semantics.md §1.2-§1.6 (no kernel
 * source is copied): free blocks form ONE intrusive LIFO list threaded through
 * the blocks themselves (struct dma_block {next; dma} at the start of each free
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

/* One timed dmapool_test row on the reference pool: ns per alloc-or-free, or -1. */
static double run_ref(const struct param *p, unsigned int blocks, unsigned int rounds, struct pair *pairs)
{
	struct dma_pool *pool = ref_pool_create(p->size, p->align, p->boundary);
	if (!pool)
		return -1;
	double t0 = now_ns();
	for (unsigned int r = 0; r < rounds; r++) {
		for (unsigned int i = 0; i < blocks; i++) {
			pairs[i].v = ref_pool_alloc(pool, &pairs[i].dma);
			if (!pairs[i].v) {
				ref_pool_destroy(pool);
				return -1;
			}
		}
		for (unsigned int i = 0; i < blocks; i++)
			ref_pool_free(pool, pairs[i].v, pairs[i].dma);
	}
	double t1 = now_ns();
	ref_pool_destroy(pool);
	return (t1 - t0) / ((double)rounds * blocks * 2);
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

int main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) : 1;
	unsigned int rounds = argc > 2 ? (unsigned int)atoi(argv[2]) : 100;
	struct pair *pairs = calloc(8192, sizeof(*pairs));
	if (!pairs || reps < 0 || rounds == 0)
		return 2;
	for (int rep = -1; rep < reps; rep++) {
		for (size_t k = 0; k < NPARAMS; k++) {
			const struct param *p = &params[k];
			unsigned int blocks = nr_blocks(p->size);
			double ref = run_ref(p, blocks, rounds, pairs);
			double mal = run_malloc(p, blocks, rounds, pairs);
			if (ref < 0 || mal < 0) {
				fprintf(stderr, "dmapool_ref: allocation failed (size %u)\n", p->size);
				return 1;
			}
			if (rep < 0)
				continue; /* warm-up pass: caches, page faults, malloc arenas */
			printf("{\"row\":%zu,\"size\":%u,\"align\":%u,\"boundary\":%u,\"blocks\":%u,\"rep\":%d,\"ref_ns\":%.4f,\"malloc_ns\":%.4f}\n",
			       k, p->size, p->align, p->boundary, blocks, rep, ref, mal);
		}
	}
	free(pairs);
	return 0;
}

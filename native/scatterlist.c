/* SPDX-License-Identifier: MIT */
/*
 * The scatterlist library (the kernel's lib/scatterlist.c and lib/sg_split.c)
 * in pure C: tables chained in arrays of SG_MAX_SINGLE_ALLOC entries, tables
 * built from page arrays (contiguous pages merged), sgl_alloc, the page and
 * mapping iterators, copies and sg_split. Nothing here needs TypeScript state;
 * the arrays and pages come from kmalloc and the page allocator with the
 * caller's site, so the sanitizer sees them as the caller's allocations.
 */
#include <stdlib.h>

#include <linux/kernel.h>
#include <linux/errno.h>
#include <linux/preempt.h>
#include <linux/scatterlist.h>

#include "internal.h"

/* The real functions are defined below under their own names: the call forms are macros. */
#undef sg_alloc_table
#undef sg_free_table
#undef sg_free_append_table
#undef sg_alloc_append_table_from_pages
#undef sg_alloc_table_from_pages_segment
#undef sgl_alloc_order
#undef sgl_alloc
#undef sgl_free_n_order
#undef sgl_free_order
#undef sgl_free
#undef sg_split

/*
 * WARN_ON in the kernel's file and function, with the caller's line: the
 * report should point at the driver, not at this file.
 */
#define SG_WARN_ON(cond, fn, site) ({									\
	int __c = !!(cond);										\
	if (unlikely(__c))										\
		__dmashim_warn("lib/scatterlist.c", __LINE__, fn, "WARN_ON(%s)%s%s\n", #cond,	\
			       (site) ? ", called from " : "", (site) ? (site) : "");			\
	unlikely(__c);											\
})

/* ------------------------------------------------------------ sg tables */

/* One array of a table: a whole page when it holds SG_MAX_SINGLE_ALLOC entries, as the kernel's. */
static struct scatterlist *sg_kmalloc(unsigned int nents, gfp_t gfp, const char *site)
{
	if (nents == SG_MAX_SINGLE_ALLOC)
		return (struct scatterlist *)__dmashim_get_free_pages(gfp, 0, site);
	return (struct scatterlist *)__dmashim_kmalloc(__dmashim_array_bytes(nents, sizeof(struct scatterlist)), gfp,
						       site);
}

static void sg_kfree(struct scatterlist *sg, unsigned int nents, const char *site)
{
	if (nents == SG_MAX_SINGLE_ALLOC)
		__dmashim_free_pages((unsigned long)sg, 0, site);
	else
		__dmashim_kfree(sg, site);
}

/* Caller-supplied allocators (__sg_alloc_table) know nothing of sites: with NULL, ours is used. */
static void free_chunks(struct sg_table *table, unsigned int max_ents, unsigned int nents_first_chunk,
			sg_free_fn *free_fn, unsigned int num_ents, const char *site)
{
	struct scatterlist *sgl = table->sgl;
	unsigned int cap = nents_first_chunk ? nents_first_chunk : max_ents;

	if (!sgl)
		return;
	while (num_ents) {
		struct scatterlist *next = NULL;
		unsigned int chunk = num_ents, data = num_ents;

		/* A full array ends in a chain entry, which is no data entry of the table. */
		if (num_ents > cap) {
			chunk = cap;
			data = cap - 1;
			next = sg_chain_ptr(&sgl[cap - 1]);
		}
		num_ents -= data;
		/* The first chunk is the caller's own (sg_alloc_table_chained's inline array). */
		if (nents_first_chunk)
			nents_first_chunk = 0;
		else if (free_fn)
			free_fn(sgl, chunk);
		else
			sg_kfree(sgl, chunk, site);
		sgl = next;
		cap = max_ents;
	}
	table->sgl = NULL;
}

static int alloc_chunks(struct sg_table *table, unsigned int nents, unsigned int max_ents,
			struct scatterlist *first_chunk, unsigned int nents_first_chunk, gfp_t gfp,
			sg_alloc_fn *alloc_fn, const char *site)
{
	struct scatterlist *prv = NULL;
	unsigned int left = nents, cap = nents_first_chunk ? nents_first_chunk : max_ents, prv_cap = 0;

	memset(table, 0, sizeof(*table));
	if (nents == 0)
		return -EINVAL;
	/* An array of one entry would hold only its chain entry: the walk could never end. */
	if (SG_WARN_ON(max_ents < 2 && nents > max_ents, "__sg_alloc_table", site))
		return -EINVAL;
	while (left) {
		unsigned int chunk = left, data = left;
		struct scatterlist *sg;

		if (left > cap) {
			chunk = cap;
			data = cap - 1;
		}
		if (first_chunk) {
			sg = first_chunk;
			first_chunk = NULL;
		} else {
			sg = alloc_fn ? alloc_fn(chunk, gfp) : sg_kmalloc(chunk, gfp, site);
		}
		if (unlikely(!sg)) {
			/* Count the previous array's chain entry, so that freeing walks every array allocated. */
			if (prv)
				table->nents = ++table->orig_nents;
			return -ENOMEM;
		}
		left -= data;
		sg_init_table(sg, chunk);
		table->orig_nents += data;
		table->nents = table->orig_nents;
		if (prv)
			sg_chain(prv, prv_cap, sg);
		else
			table->sgl = sg;
		if (!left)
			sg_mark_end(&sg[data - 1]);
		prv = sg;
		prv_cap = cap;
		cap = max_ents;
	}
	return 0;
}

void __sg_free_table(struct sg_table *table, unsigned int max_ents, unsigned int nents_first_chunk,
		     sg_free_fn *free_fn, unsigned int num_ents)
{
	free_chunks(table, max_ents, nents_first_chunk, free_fn, num_ents, NULL);
}

int __sg_alloc_table(struct sg_table *table, unsigned int nents, unsigned int max_ents,
		     struct scatterlist *first_chunk, unsigned int nents_first_chunk, gfp_t gfp_mask,
		     sg_alloc_fn *alloc_fn)
{
	return alloc_chunks(table, nents, max_ents, first_chunk, nents_first_chunk, gfp_mask, alloc_fn, NULL);
}

void __dmashim_sg_free_table(struct sg_table *table, const char *site)
{
	free_chunks(table, SG_MAX_SINGLE_ALLOC, 0, NULL, table->orig_nents, site);
}

int __dmashim_sg_alloc_table(struct sg_table *table, unsigned int nents, gfp_t gfp_mask, const char *site)
{
	int ret = alloc_chunks(table, nents, SG_MAX_SINGLE_ALLOC, NULL, 0, gfp_mask, NULL, site);

	if (unlikely(ret))
		__dmashim_sg_free_table(table, site);
	return ret;
}

void __dmashim_sg_free_append_table(struct sg_append_table *table, const char *site)
{
	free_chunks(&table->sgt, SG_MAX_SINGLE_ALLOC, 0, NULL, table->total_nents, site);
}

int sg_alloc_table(struct sg_table *table, unsigned int nents, gfp_t gfp_mask)
{
	return __dmashim_sg_alloc_table(table, nents, gfp_mask, NULL);
}
void sg_free_table(struct sg_table *table) { __dmashim_sg_free_table(table, NULL); }
void sg_free_append_table(struct sg_append_table *table) { __dmashim_sg_free_append_table(table, NULL); }

/* ------------------------------------------------- tables from page arrays */

/*
 * Page frame numbers, for merging: a struct page * is a CPU address here, and
 * CPU-adjacent pages may still lie in different RAM banks (the arena holds the
 * banks back to back), so adjacency is checked in physical addresses as well.
 * A "page" outside machine RAM merges with nothing.
 */
static int page_pfn(const struct page *page, uint64_t *pfn)
{
	uintptr_t a = (uintptr_t)page;

	if (a - (uintptr_t)dmashim_arena >= dmashim_arena_size)
		return 0;
	double phys = dmashim_ts.addr(DMASHIM_ADDR_VIRT_TO_PHYS, (double)a);
	if (phys < 0)
		return 0;
	*pfn = (uint64_t)phys >> PAGE_SHIFT;
	return 1;
}

/* `page` directly follows `prev`, in CPU and in physical addresses. */
static bool pages_follow(const struct page *page, const struct page *prev)
{
	uint64_t a, b;

	if ((uintptr_t)page != (uintptr_t)prev + PAGE_SIZE)
		return false;
	return page_pfn(page, &a) && page_pfn(prev, &b) && a == b + 1;
}

/*
 * The entry to fill next: the one after `cur`, unless that is the last of its
 * array and more are needed, in which case a new array (of at most
 * SG_MAX_SINGLE_ALLOC entries) is chained in its place.
 */
static struct scatterlist *next_append_sg(struct sg_append_table *table, struct scatterlist *cur,
					  unsigned long needed, gfp_t gfp, const char *site, int *err)
{
	struct scatterlist *next = NULL, *fresh;
	unsigned int size;

	if (cur) {
		next = sg_next(cur);
		/* The kernel dereferences NULL here: an append after the call that ended the table (left_pages 0). */
		if (SG_WARN_ON(!next, "sg_alloc_append_table_from_pages", site)) {
			*err = -EINVAL;
			return NULL;
		}
		if (!sg_is_last(next) || needed == 1)
			return next;
	}
	size = needed < SG_MAX_SINGLE_ALLOC ? (unsigned int)needed : (unsigned int)SG_MAX_SINGLE_ALLOC;
	fresh = sg_kmalloc(size, gfp, site);
	if (!fresh) {
		*err = -ENOMEM;
		return NULL;
	}
	sg_init_table(fresh, size);
	if (cur) {
		table->total_nents += size - 1;
		__sg_chain(next, fresh);
	} else {
		table->sgt.sgl = fresh;
		table->total_nents = size;
	}
	return fresh;
}

int __dmashim_sg_alloc_append_table_from_pages(struct sg_append_table *sgt_append, struct page **pages,
					       unsigned int n_pages, unsigned int offset, unsigned long size,
					       unsigned int max_segment, unsigned int left_pages, gfp_t gfp_mask,
					       const char *site)
{
	struct scatterlist *s = sgt_append->prv;
	unsigned int chunks, cur, i, seg_len, prv_len = 0, added = 0;
	bool *follows;

	/* Merging asks the core for physical addresses: only from a thread that may call it. */
	if (!enter("sg_alloc_append_table_from_pages"))
		return -ENOMEM;
	/* Segments grow a page at a time: a limit below a page could never be met. */
	max_segment &= (unsigned int)PAGE_MASK;
	if (SG_WARN_ON(max_segment < PAGE_SIZE, "sg_alloc_append_table_from_pages", site))
		return -EINVAL;

	if (sgt_append->prv) {
		struct scatterlist *prv = sgt_append->prv;
		uint64_t first_pfn;

		if (SG_WARN_ON(offset, "sg_alloc_append_table_from_pages", site))
			return -EINVAL;
		prv_len = prv->length;
		/* Pages that continue the last entry grow it, up to max_segment. */
		if (n_pages && page_pfn(pages[0], &first_pfn) && first_pfn == (sg_phys(prv) + prv_len) >> PAGE_SHIFT) {
			uintptr_t end = ((uintptr_t)sg_virt(prv) + prv_len) & PAGE_MASK;
			struct page *last = (struct page *)(end - PAGE_SIZE);

			while (n_pages && pages_follow(pages[0], last)) {
				if (prv->length + PAGE_SIZE > max_segment)
					break;
				prv->length += PAGE_SIZE;
				last = pages[0];
				pages++;
				n_pages--;
			}
		}
		if (!n_pages)
			goto out;
	} else if (!n_pages) {
		/* The kernel reads pages[0] regardless. */
		return -EINVAL;
	}

	/* Whether each page continues the one before it, asked once per page. */
	follows = malloc(n_pages * sizeof(*follows));
	if (!follows)
		return -ENOMEM;
	follows[0] = false;
	for (i = 1; i < n_pages; i++)
		follows[i] = pages_follow(pages[i], pages[i - 1]);

	chunks = 1;
	seg_len = 0;
	for (i = 1; i < n_pages; i++) {
		seg_len += PAGE_SIZE;
		if (seg_len >= max_segment || !follows[i]) {
			chunks++;
			seg_len = 0;
		}
	}

	for (cur = 0, i = 0; i < chunks; i++) {
		unsigned int j, chunk_size;
		int err = 0;

		seg_len = 0;
		for (j = cur + 1; j < n_pages; j++) {
			seg_len += PAGE_SIZE;
			if (seg_len >= max_segment || !follows[j])
				break;
		}
		/* Ask for room for every chunk left and the pages the caller will still add. */
		s = next_append_sg(sgt_append, s, (unsigned long)(chunks - i) + left_pages, gfp_mask, site, &err);
		if (!s) {
			/* The table keeps what it had; the last entry loses what this call merged into it. */
			if (sgt_append->prv)
				sgt_append->prv->length = prv_len;
			free(follows);
			return err;
		}
		chunk_size = ((j - cur) << PAGE_SHIFT) - offset;
		sg_set_page(s, pages[cur], size < chunk_size ? (unsigned int)size : chunk_size, offset);
		added++;
		size -= chunk_size;
		offset = 0;
		cur = j;
	}
	free(follows);
	sgt_append->sgt.nents += added;
	sgt_append->sgt.orig_nents = sgt_append->sgt.nents;
	sgt_append->prv = s;
out:
	if (!left_pages)
		sg_mark_end(s);
	return 0;
}

int __dmashim_sg_alloc_table_from_pages_segment(struct sg_table *sgt, struct page **pages, unsigned int n_pages,
						unsigned int offset, unsigned long size, unsigned int max_segment,
						gfp_t gfp_mask, const char *site)
{
	struct sg_append_table append;
	int err;

	memset(&append, 0, sizeof(append));
	err = __dmashim_sg_alloc_append_table_from_pages(&append, pages, n_pages, offset, size, max_segment, 0,
							 gfp_mask, site);
	if (err) {
		__dmashim_sg_free_append_table(&append, site);
		return err;
	}
	*sgt = append.sgt;
	SG_WARN_ON(append.total_nents != sgt->orig_nents, "sg_alloc_table_from_pages_segment", site);
	return 0;
}

int sg_alloc_append_table_from_pages(struct sg_append_table *sgt_append, struct page **pages, unsigned int n_pages,
				     unsigned int offset, unsigned long size, unsigned int max_segment,
				     unsigned int left_pages, gfp_t gfp_mask)
{
	return __dmashim_sg_alloc_append_table_from_pages(sgt_append, pages, n_pages, offset, size, max_segment,
							  left_pages, gfp_mask, NULL);
}

int sg_alloc_table_from_pages_segment(struct sg_table *sgt, struct page **pages, unsigned int n_pages,
				      unsigned int offset, unsigned long size, unsigned int max_segment,
				      gfp_t gfp_mask)
{
	return __dmashim_sg_alloc_table_from_pages_segment(sgt, pages, n_pages, offset, size, max_segment, gfp_mask,
							   NULL);
}

/* ------------------------------------------------------------ sgl_alloc */

void __dmashim_sgl_free_n_order(struct scatterlist *sgl, int nents, int order, const char *site)
{
	struct scatterlist *sg;
	int i;

	for_each_sg(sgl, sg, nents, i) {
		if (!sg)
			break;
		if (sg_page(sg))
			__dmashim_free_pages((unsigned long)sg_page(sg), (unsigned int)order, site);
	}
	__dmashim_kfree(sgl, site);
}

/*
 * Differs: a length of 0 returns NULL (the kernel requires at least one byte
 * and writes before the array it allocated).
 */
struct scatterlist *__dmashim_sgl_alloc_order(unsigned long long length, unsigned int order, bool chainable,
					      gfp_t gfp, unsigned int *nent_p, const char *site)
{
	struct scatterlist *sgl, *sg;
	unsigned long long elem, nent;
	unsigned int nalloc;

	if (!length || order > 30 || (length >> (PAGE_SHIFT + order)) >= 0xffffffffULL)
		return NULL;
	elem = (unsigned long long)PAGE_SIZE << order;
	nent = (length + elem - 1) / elem;
	if (chainable && nent + 1 > 0xffffffffULL)
		return NULL;
	nalloc = (unsigned int)nent + (chainable ? 1 : 0);
	/* The array itself needs no DMA zone. */
	sgl = __dmashim_kmalloc(__dmashim_array_bytes(nalloc, sizeof(*sgl)), gfp & ~__GFP_DMA, site);
	if (!sgl)
		return NULL;
	sg_init_table(sgl, nalloc);
	for (sg = sgl; length; sg = sg_next(sg)) {
		unsigned int len = (unsigned int)(length < elem ? length : elem);
		unsigned long page = __dmashim_get_free_pages(gfp, order, site);

		if (!page) {
			__dmashim_sgl_free_n_order(sgl, 0x7fffffff, (int)order, site);
			return NULL;
		}
		sg_set_page(sg, (struct page *)page, len, 0);
		length -= len;
	}
	if (nent_p)
		*nent_p = (unsigned int)nent;
	return sgl;
}

struct scatterlist *sgl_alloc_order(unsigned long long length, unsigned int order, bool chainable, gfp_t gfp,
				    unsigned int *nent_p)
{
	return __dmashim_sgl_alloc_order(length, order, chainable, gfp, nent_p, NULL);
}
struct scatterlist *sgl_alloc(unsigned long long length, gfp_t gfp, unsigned int *nent_p)
{
	return __dmashim_sgl_alloc_order(length, 0, false, gfp, nent_p, NULL);
}
void sgl_free_n_order(struct scatterlist *sgl, int nents, int order)
{
	__dmashim_sgl_free_n_order(sgl, nents, order, NULL);
}
void sgl_free_order(struct scatterlist *sgl, int order) { __dmashim_sgl_free_n_order(sgl, 0x7fffffff, order, NULL); }
void sgl_free(struct scatterlist *sgl) { __dmashim_sgl_free_n_order(sgl, 0x7fffffff, 0, NULL); }

/* ------------------------------------------------------ page iterators */

void __sg_page_iter_start(struct sg_page_iter *piter, struct scatterlist *sglist, unsigned int nents,
			  unsigned long pgoffset)
{
	piter->__pg_advance = 0;
	piter->__nents = nents;
	piter->sg = sglist;
	piter->sg_pgoffset = (unsigned int)pgoffset;
}

/* Pages an entry touches, counted from its struct page (offset included). */
static unsigned int cpu_pages(const struct scatterlist *sg)
{
	return (unsigned int)(PAGE_ALIGN((unsigned long)sg->offset + sg->length) >> PAGE_SHIFT);
}
static unsigned int dma_pages(const struct scatterlist *sg)
{
	return (unsigned int)(PAGE_ALIGN((unsigned long)sg->offset + sg_dma_len(sg)) >> PAGE_SHIFT);
}

static bool page_iter_step(struct sg_page_iter *piter, unsigned int (*count)(const struct scatterlist *))
{
	if (!piter->__nents || !piter->sg)
		return false;
	piter->sg_pgoffset += piter->__pg_advance;
	piter->__pg_advance = 1;
	while (piter->sg_pgoffset >= count(piter->sg)) {
		piter->sg_pgoffset -= count(piter->sg);
		piter->sg = sg_next(piter->sg);
		if (!--piter->__nents || !piter->sg)
			return false;
	}
	return true;
}

bool __sg_page_iter_next(struct sg_page_iter *piter) { return page_iter_step(piter, cpu_pages); }
bool __sg_page_iter_dma_next(struct sg_dma_page_iter *dma_iter) { return page_iter_step(&dma_iter->base, dma_pages); }

/* ---------------------------------------------------- mapping iterator */

void sg_miter_start(struct sg_mapping_iter *miter, struct scatterlist *sgl, unsigned int nents, unsigned int flags)
{
	memset(miter, 0, sizeof(*miter));
	__sg_page_iter_start(&miter->piter, sgl, nents, 0);
	SG_WARN_ON(!(flags & (SG_MITER_TO_SG | SG_MITER_FROM_SG)), "sg_miter_start", NULL);
	miter->__flags = flags;
}

/* Move to the next page with bytes left, setting __offset and __remaining for it. */
static bool miter_get_next_page(struct sg_mapping_iter *miter)
{
	struct scatterlist *sg;
	unsigned long start;

	if (miter->__remaining)
		return true;
	if (!__sg_page_iter_next(&miter->piter))
		return false;
	sg = miter->piter.sg;
	/* The entry's first page starts at its offset (which may lie pages past its struct page). */
	start = miter->piter.sg_pgoffset ? 0 : sg->offset;
	miter->piter.sg_pgoffset += (unsigned int)(start >> PAGE_SHIFT);
	miter->__offset = (unsigned int)(start & (PAGE_SIZE - 1));
	unsigned long left = (unsigned long)sg->offset + sg->length -
			     ((unsigned long)miter->piter.sg_pgoffset << PAGE_SHIFT) - miter->__offset;
	miter->__remaining = (unsigned int)(left < PAGE_SIZE - miter->__offset ? left : PAGE_SIZE - miter->__offset);
	return true;
}

void sg_miter_stop(struct sg_mapping_iter *miter)
{
	SG_WARN_ON(miter->consumed > miter->length, "sg_miter_stop", NULL);
	if (!miter->addr)
		return;
	miter->__offset += (unsigned int)miter->consumed;
	miter->__remaining -= (unsigned int)miter->consumed;
	if (miter->__flags & SG_MITER_ATOMIC)
		preempt_enable();
	miter->page = NULL;
	miter->addr = NULL;
	miter->length = 0;
	miter->consumed = 0;
}

/* Differs: a negative offset returns false (the kernel would loop on it). */
bool sg_miter_skip(struct sg_mapping_iter *miter, off_t offset)
{
	sg_miter_stop(miter);
	if (offset < 0)
		return false;
	while (offset) {
		off_t step;

		if (!miter_get_next_page(miter))
			return false;
		step = offset < (off_t)miter->__remaining ? offset : (off_t)miter->__remaining;
		miter->__offset += (unsigned int)step;
		miter->__remaining -= (unsigned int)step;
		offset -= step;
	}
	return true;
}

bool sg_miter_next(struct sg_mapping_iter *miter)
{
	sg_miter_stop(miter);
	if (!miter_get_next_page(miter))
		return false;
	miter->page = sg_page_iter_page(&miter->piter);
	miter->consumed = miter->length = miter->__remaining;
	/* RAM is always mapped (no highmem): the piece's address is its page's plus the offset. */
	miter->addr = (char *)page_address(miter->page) + miter->__offset;
	if (miter->__flags & SG_MITER_ATOMIC)
		preempt_disable();
	return true;
}

/* ---------------------------------------------------------------- copies */

/*
 * The kernel maps with SG_MITER_ATOMIC here; nothing between our map and unmap
 * can sleep, so the iterator runs without the atomic section (no crossing per page).
 */
size_t sg_copy_buffer(struct scatterlist *sgl, unsigned int nents, void *buf, size_t buflen, off_t skip,
		      bool to_buffer)
{
	struct sg_mapping_iter miter;
	size_t done = 0;

	sg_miter_start(&miter, sgl, nents, to_buffer ? SG_MITER_FROM_SG : SG_MITER_TO_SG);
	if (!sg_miter_skip(&miter, skip))
		return 0;
	while (done < buflen && sg_miter_next(&miter)) {
		size_t len = miter.length < buflen - done ? miter.length : buflen - done;

		if (to_buffer)
			memcpy((char *)buf + done, miter.addr, len);
		else
			memcpy(miter.addr, (const char *)buf + done, len);
		done += len;
	}
	sg_miter_stop(&miter);
	return done;
}

size_t sg_copy_from_buffer(struct scatterlist *sgl, unsigned int nents, const void *buf, size_t buflen)
{
	return sg_copy_buffer(sgl, nents, (void *)buf, buflen, 0, false);
}
size_t sg_copy_to_buffer(struct scatterlist *sgl, unsigned int nents, void *buf, size_t buflen)
{
	return sg_copy_buffer(sgl, nents, buf, buflen, 0, true);
}
size_t sg_pcopy_from_buffer(struct scatterlist *sgl, unsigned int nents, const void *buf, size_t buflen, off_t skip)
{
	return sg_copy_buffer(sgl, nents, (void *)buf, buflen, skip, false);
}
size_t sg_pcopy_to_buffer(struct scatterlist *sgl, unsigned int nents, void *buf, size_t buflen, off_t skip)
{
	return sg_copy_buffer(sgl, nents, buf, buflen, skip, true);
}

size_t sg_zero_buffer(struct scatterlist *sgl, unsigned int nents, size_t buflen, off_t skip)
{
	struct sg_mapping_iter miter;
	size_t done = 0;

	sg_miter_start(&miter, sgl, nents, SG_MITER_TO_SG);
	if (!sg_miter_skip(&miter, skip))
		return 0;
	while (done < buflen && sg_miter_next(&miter)) {
		size_t len = miter.length < buflen - done ? miter.length : buflen - done;

		memset(miter.addr, 0, len);
		done += len;
	}
	sg_miter_stop(&miter);
	return done;
}

/* ---------------------------------------------------------------- sg_split */

struct split_part {
	struct scatterlist *first;	/* the input entry it starts in */
	int nents;
	int cpu_nents;			/* entries of its output array */
	off_t skip_first;		/* bytes of that entry before it */
	unsigned int last_len;		/* bytes it takes of its last entry */
	struct scatterlist *out;
};

/* Where each part starts and ends, over the CPU lengths or (mapped) the DMA lengths. */
static int split_plan(struct scatterlist *in, int nents, int nb_splits, off_t skip, const size_t *sizes,
		      struct split_part *parts, bool mapped)
{
	struct split_part *part = parts;
	size_t want = sizes[0];
	struct scatterlist *sg;
	int i;

	for (i = 0; i < nb_splits; i++) {
		parts[i].first = NULL;
		parts[i].nents = 0;
	}
	for_each_sg(in, sg, nents, i) {
		unsigned int sglen = mapped ? sg_dma_len(sg) : sg->length;
		size_t len;

		if (skip > (off_t)sglen) {
			skip -= sglen;
			continue;
		}
		len = want < sglen - (size_t)skip ? want : sglen - (size_t)skip;
		if (!part->first) {
			part->first = sg;
			part->skip_first = skip;
		}
		want -= len;
		part->nents++;
		part->last_len = (unsigned int)len;

		/* Several parts may end inside this one entry. */
		while (!want && (size_t)skip + len < sglen && --nb_splits > 0) {
			part++;
			want = *(++sizes);
			skip += (off_t)len;
			len = want < sglen - (size_t)skip ? want : sglen - (size_t)skip;
			part->first = sg;
			part->skip_first = skip;
			part->nents = 1;
			part->last_len = (unsigned int)len;
			want -= len;
		}
		skip = 0;
		if (!want && --nb_splits > 0) {
			part++;
			want = *(++sizes);
		}
		if (!nb_splits)
			break;
	}
	return (want || !parts[0].first) ? -EINVAL : 0;
}

int __dmashim_sg_split(struct scatterlist *in, const int in_mapped_nents, const off_t skip, const int nb_splits,
		       const size_t *split_sizes, struct scatterlist **out, int *out_mapped_nents, gfp_t gfp_mask,
		       const char *site)
{
	struct split_part *parts;
	int i, j, ret;

	if (nb_splits <= 0 || !split_sizes || !out)
		return -EINVAL;
	parts = __dmashim_kmalloc(__dmashim_array_bytes((size_t)nb_splits, sizeof(*parts)), gfp_mask | __GFP_ZERO,
				  site);
	if (!parts)
		return -ENOMEM;
	ret = split_plan(in, sg_nents(in), nb_splits, skip, split_sizes, parts, false);
	if (ret < 0)
		goto err;
	/* A part the list ran out before (a trailing size of 0) would have no entry to end. */
	ret = -EINVAL;
	for (i = 0; i < nb_splits; i++)
		if (parts[i].nents == 0)
			goto err;
	ret = -ENOMEM;
	for (i = 0; i < nb_splits; i++) {
		parts[i].cpu_nents = parts[i].nents;
		parts[i].out = __dmashim_kmalloc(
			__dmashim_array_bytes((size_t)parts[i].nents, sizeof(struct scatterlist)), gfp_mask, site);
		if (!parts[i].out)
			goto err;
	}

	/* The CPU side: copies of the input entries, trimmed to each part. */
	for (i = 0; i < nb_splits; i++) {
		struct scatterlist *src = parts[i].first, *dst = parts[i].out;

		for (j = 0; j < parts[i].nents; j++, dst++, src = sg_next(src)) {
			*dst = *src;
			dst->page_link &= ~SG_PAGE_LINK_MASK;
			/*
			 * Differs: the kernel sets the offset of every entry after
			 * the first to 0, which loses data for entries that start
			 * inside their page; each keeps its own here.
			 */
			if (!j) {
				dst->offset += (unsigned int)parts[i].skip_first;
				dst->length -= (unsigned int)parts[i].skip_first;
			}
			sg_dma_address(dst) = 0;
			sg_dma_len(dst) = 0;
		}
		dst[-1].length = parts[i].last_len;
		sg_mark_end(dst - 1);
	}

	/* The DMA side, after the CPU side (whose plan it replaces): bus ranges of a mapped input. */
	if (in_mapped_nents) {
		ret = split_plan(in, in_mapped_nents, nb_splits, skip, split_sizes, parts, true);
		if (ret < 0)
			goto err;
		/* The arrays were sized by the CPU side: a part the bus side spreads wider does not fit. */
		ret = -EINVAL;
		for (i = 0; i < nb_splits; i++)
			if (parts[i].nents == 0 || parts[i].nents > parts[i].cpu_nents)
				goto err;
		for (i = 0; i < nb_splits; i++) {
			struct scatterlist *src = parts[i].first, *dst = parts[i].out;

			for (j = 0; j < parts[i].nents; j++, dst++, src = sg_next(src)) {
				sg_dma_address(dst) = sg_dma_address(src);
				sg_dma_len(dst) = sg_dma_len(src);
				if (!j) {
					sg_dma_address(dst) += (dma_addr_t)parts[i].skip_first;
					sg_dma_len(dst) -= (unsigned int)parts[i].skip_first;
				}
			}
			sg_dma_len(dst - 1) = parts[i].last_len;
		}
	}

	for (i = 0; i < nb_splits; i++) {
		out[i] = parts[i].out;
		if (out_mapped_nents)
			out_mapped_nents[i] = parts[i].nents;
	}
	__dmashim_kfree(parts, site);
	return 0;

err:
	for (i = 0; i < nb_splits; i++)
		__dmashim_kfree(parts[i].out, site);
	__dmashim_kfree(parts, site);
	return ret;
}

int sg_split(struct scatterlist *in, const int in_mapped_nents, const off_t skip, const int nb_splits,
	     const size_t *split_sizes, struct scatterlist **out, int *out_mapped_nents, gfp_t gfp_mask)
{
	return __dmashim_sg_split(in, in_mapped_nents, skip, nb_splits, split_sizes, out, out_mapped_nents,
				  gfp_mask, NULL);
}

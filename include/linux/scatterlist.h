/* SPDX-License-Identifier: MIT */
/*
 * linux/scatterlist.h for dmashim, with the kernel's layout and names: page_link
 * holds the page pointer (a struct page * is the page's CPU address here, see
 * linux/gfp.h) with two low bits, SG_CHAIN (the entry points at the next array)
 * and SG_END (the last entry). The small helpers are inline here; what the
 * kernel keeps in lib/scatterlist.c and lib/sg_split.c (tables, chaining, the
 * page and mapping iterators, copies, sg_split) is native/scatterlist.c, pure C
 * whose allocations go through kmalloc and the page allocator, so the
 * sanitizer tracks them and names the caller's line.
 *
 * dma_map_sgtable/dma_unmap_sgtable/dma_sync_sgtable_for_{cpu,device} live in
 * linux/dma-mapping.h, as in the kernel.
 */
#ifndef _LINUX_SCATTERLIST_H
#define _LINUX_SCATTERLIST_H

#include <string.h>
#include <sys/types.h>
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/bug.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/io.h>
#include <dmashim/era.h>

/*
 * Before 2.6.24 (--kernel) the entry names its page in `page`, where page_link
 * is since: the same place and size, so the bridge reads either. 2.4's entries
 * also have `address`, a lowmem address that wins over page + offset when set;
 * pci_map_sg() and its partners hand the bridge a copy in today's layout.
 */
struct scatterlist {
#if DMASHIM_SHAPE_BEFORE(2, 6, 24)
	struct page *page;
#else
	unsigned long page_link;
#endif
	unsigned int offset;
	unsigned int length;
	dma_addr_t dma_address;
	unsigned int dma_length;
	unsigned int dma_flags;
#if DMASHIM_SHAPE_BEFORE(2, 6, 0)
	char *address;
#endif
};

/* Types named before the era that defines them stay incomplete there. */
struct sg_table;
struct sg_append_table;

/* x86-64 has CONFIG_NEED_SG_DMA_LENGTH: the bus length is a field of its own. */
#define sg_dma_address(sg) ((sg)->dma_address)
#define sg_dma_len(sg) ((sg)->dma_length)

#if DMASHIM_HAS_SINCE(2, 6, 25)
struct sg_table {
	struct scatterlist *sgl;	/* the list */
	unsigned int nents;		/* mapped entries */
	unsigned int orig_nents;	/* entries of the CPU list */
};
#endif

#if DMASHIM_HAS_SINCE(5, 15, 0)
struct sg_append_table {
	struct sg_table sgt;		/* the table being built */
	struct scatterlist *prv;	/* the last entry filled so far */
	unsigned int total_nents;	/* entries allocated, chain entries included */
};
#endif

#if DMASHIM_HAS_SINCE(2, 6, 24)
#define SG_CHAIN 0x01UL
#define SG_END 0x02UL
#define SG_PAGE_LINK_MASK (SG_CHAIN | SG_END)

static inline unsigned int __sg_flags(const struct scatterlist *sg) { return sg->page_link & SG_PAGE_LINK_MASK; }
static inline bool sg_is_chain(const struct scatterlist *sg) { return (sg->page_link & SG_CHAIN) != 0; }
static inline bool sg_is_last(const struct scatterlist *sg) { return (sg->page_link & SG_END) != 0; }
static inline struct scatterlist *sg_chain_ptr(const struct scatterlist *sg)
{
	return (struct scatterlist *)(sg->page_link & ~SG_PAGE_LINK_MASK);
}

/* The page pointer's low bits carry the markers, so a misaligned "page" is a BUG, as in the kernel. */
static inline void sg_assign_page(struct scatterlist *sg, struct page *page)
{
	BUG_ON((unsigned long)page & SG_PAGE_LINK_MASK);
	sg->page_link = (sg->page_link & SG_PAGE_LINK_MASK) | (unsigned long)page;
}
static inline void sg_set_page(struct scatterlist *sg, struct page *page, unsigned int len, unsigned int offset)
{
	sg_assign_page(sg, page);
	sg->offset = offset;
	sg->length = len;
}

/* A folio is its head page here (both are the CPU address of the first byte). */
struct folio;
static inline void sg_set_folio(struct scatterlist *sg, struct folio *folio, size_t len, size_t offset)
{
	WARN_ON_ONCE(len > 0xffffffffUL);
	WARN_ON_ONCE(offset > 0xffffffffUL);
	sg_assign_page(sg, (struct page *)folio);
	sg->offset = (unsigned int)offset;
	sg->length = (unsigned int)len;
}

static inline struct page *sg_page(const struct scatterlist *sg)
{
	return (struct page *)(sg->page_link & ~SG_PAGE_LINK_MASK);
}
static inline void sg_set_buf(struct scatterlist *sg, const void *buf, unsigned int buflen)
{
	sg_set_page(sg, (virt_to_page)(buf), buflen, (unsigned int)offset_in_page(buf));
}
static inline void *sg_virt(const struct scatterlist *sg) { return (char *)(page_address)(sg_page(sg)) + sg->offset; }
static inline dma_addr_t sg_phys(const struct scatterlist *sg) { return page_to_phys(sg_page(sg)) + sg->offset; }

/* The end marker replaces a chain marker: the entry ends the list. */
static inline void sg_mark_end(struct scatterlist *sg) { sg->page_link = (sg->page_link | SG_END) & ~SG_CHAIN; }
static inline void sg_unmark_end(struct scatterlist *sg) { sg->page_link &= ~SG_END; }
static inline void sg_init_marker(struct scatterlist *sgl, unsigned int nents) { sg_mark_end(&sgl[nents - 1]); }

/* A chain entry carries no data: its offset and length are cleared, its end marker dropped. */
static inline void __sg_chain(struct scatterlist *chain_sg, struct scatterlist *sgl)
{
	chain_sg->offset = 0;
	chain_sg->length = 0;
	chain_sg->page_link = ((unsigned long)sgl | SG_CHAIN) & ~SG_END;
}
static inline void sg_chain(struct scatterlist *prv, unsigned int prv_nents, struct scatterlist *sgl)
{
	__sg_chain(&prv[prv_nents - 1], sgl);
}

/* Dma flags (CONFIG_NEED_SG_DMA_FLAGS): P2PDMA bus addresses and swiotlb-bounced lists. */
#define SG_DMA_BUS_ADDRESS (1 << 0)
#define SG_DMA_SWIOTLB (1 << 1)
static inline bool sg_dma_is_bus_address(const struct scatterlist *sg) { return sg->dma_flags & SG_DMA_BUS_ADDRESS; }
static inline void sg_dma_mark_bus_address(struct scatterlist *sg) { sg->dma_flags |= SG_DMA_BUS_ADDRESS; }
static inline void sg_dma_unmark_bus_address(struct scatterlist *sg) { sg->dma_flags &= ~SG_DMA_BUS_ADDRESS; }
static inline bool sg_dma_is_swiotlb(const struct scatterlist *sg) { return sg->dma_flags & SG_DMA_SWIOTLB; }
static inline void sg_dma_mark_swiotlb(struct scatterlist *sg) { sg->dma_flags |= SG_DMA_SWIOTLB; }

/* sg_next(): the next entry, following a chain entry; NULL after the last. */
static inline struct scatterlist *sg_next(struct scatterlist *sg)
{
	if (sg_is_last(sg))
		return NULL;
	sg++;
	if (unlikely(sg_is_chain(sg)))
		sg = sg_chain_ptr(sg);
	return sg;
}

/* Entries up to the end marker (chain entries not counted). */
static inline int sg_nents(struct scatterlist *sg)
{
	int nents;

	for (nents = 0; sg; sg = sg_next(sg))
		nents++;
	return nents;
}

/* The number of entries needed to cover `len` bytes, or -EINVAL if the list is shorter. */
static inline int sg_nents_for_len(struct scatterlist *sg, u64 len)
{
	int nents;
	u64 total;

	if (!len)
		return 0;
	for (nents = 0, total = 0; sg; sg = sg_next(sg)) {
		nents++;
		total += sg->length;
		if (total >= len)
			return nents;
	}
	return -EINVAL;
}

#define for_each_sg(sglist, sg, nr, __i) \
	for (__i = 0, sg = (sglist); __i < (nr); __i++, sg = sg_next(sg))
/* The counts are unsigned; the index is often an int: compare in the index's type. */
#if DMASHIM_HAS_SINCE(5, 8, 0)
#define for_each_sgtable_sg(sgt, sg, i) for_each_sg((sgt)->sgl, sg, (__typeof__(i))(sgt)->orig_nents, i)
#define for_each_sgtable_dma_sg(sgt, sg, i) for_each_sg((sgt)->sgl, sg, (__typeof__(i))(sgt)->nents, i)
#endif

/* The `nents`-th entry; BUG when it is not the marked end, as with the kernel's (CONFIG_DEBUG_SG-free) check. */
static inline struct scatterlist *sg_last(struct scatterlist *sgl, unsigned int nents)
{
	struct scatterlist *sg, *ret = NULL;
	unsigned int i;

	for_each_sg(sgl, sg, nents, i)
		ret = sg;
	BUG_ON(!ret || !sg_is_last(ret));
	return ret;
}

static inline void sg_init_table(struct scatterlist *sgl, unsigned int nents)
{
	memset(sgl, 0, sizeof(*sgl) * nents);
	if (nents)
		sg_init_marker(sgl, nents);
}

static inline void sg_init_one(struct scatterlist *sg, const void *buf, unsigned int buflen)
{
	sg_init_table(sg, 1);
	sg_set_buf(sg, buf, buflen);
}

#elif DMASHIM_HAS_SINCE(2, 6, 0)
/* 2.6 before chaining: the page is a member of its own. */
static inline void sg_set_buf(struct scatterlist *sg, const void *buf, unsigned int buflen)
{
	sg->page = virt_to_page(buf);
	sg->offset = (unsigned int)offset_in_page(buf);
	sg->length = buflen;
}

static inline void sg_init_one(struct scatterlist *sg, const void *buf, unsigned int buflen)
{
	memset(sg, 0, sizeof(*sg));
	sg_set_buf(sg, buf, buflen);
}
#endif

#if DMASHIM_HAS_SINCE(2, 6, 25)
/* Entries in one array (one page of them); longer tables chain arrays of this size. */
#define SG_MAX_SINGLE_ALLOC (PAGE_SIZE / sizeof(struct scatterlist))
#define SG_CHUNK_SIZE 128
#define SG_MAX_SEGMENTS 2048

typedef struct scatterlist *(sg_alloc_fn)(unsigned int, gfp_t);
typedef void(sg_free_fn)(struct scatterlist *, unsigned int);

/*
 * The table functions. Each name is also a real function (for a function
 * pointer); the call form passes the caller's file:line, which the sanitizer
 * shows for a leaked or double-freed table.
 */
void __sg_free_table(struct sg_table *table, unsigned int max_ents, unsigned int nents_first_chunk,
		     sg_free_fn *free_fn, unsigned int num_ents);
int __sg_alloc_table(struct sg_table *table, unsigned int nents, unsigned int max_ents,
		     struct scatterlist *first_chunk, unsigned int nents_first_chunk, gfp_t gfp_mask,
		     sg_alloc_fn *alloc_fn);
int sg_alloc_table(struct sg_table *table, unsigned int nents, gfp_t gfp_mask);
void sg_free_table(struct sg_table *table);
void sg_free_append_table(struct sg_append_table *table);
int sg_alloc_append_table_from_pages(struct sg_append_table *sgt_append, struct page **pages, unsigned int n_pages,
				     unsigned int offset, unsigned long size, unsigned int max_segment,
				     unsigned int left_pages, gfp_t gfp_mask);
int sg_alloc_table_from_pages_segment(struct sg_table *sgt, struct page **pages, unsigned int n_pages,
				      unsigned int offset, unsigned long size, unsigned int max_segment,
				      gfp_t gfp_mask);
struct scatterlist *sgl_alloc_order(unsigned long long length, unsigned int order, bool chainable, gfp_t gfp,
				    unsigned int *nent_p);
struct scatterlist *sgl_alloc(unsigned long long length, gfp_t gfp, unsigned int *nent_p);
void sgl_free_n_order(struct scatterlist *sgl, int nents, int order);
void sgl_free_order(struct scatterlist *sgl, int order);
void sgl_free(struct scatterlist *sgl);
int sg_split(struct scatterlist *in, const int in_mapped_nents, const off_t skip, const int nb_splits,
	     const size_t *split_sizes, struct scatterlist **out, int *out_mapped_nents, gfp_t gfp_mask);

int __dmashim_sg_alloc_table(struct sg_table *table, unsigned int nents, gfp_t gfp_mask, const char *site);
void __dmashim_sg_free_table(struct sg_table *table, const char *site);
void __dmashim_sg_free_append_table(struct sg_append_table *table, const char *site);
int __dmashim_sg_alloc_append_table_from_pages(struct sg_append_table *sgt_append, struct page **pages,
					       unsigned int n_pages, unsigned int offset, unsigned long size,
					       unsigned int max_segment, unsigned int left_pages, gfp_t gfp_mask,
					       const char *site);
int __dmashim_sg_alloc_table_from_pages_segment(struct sg_table *sgt, struct page **pages, unsigned int n_pages,
						unsigned int offset, unsigned long size, unsigned int max_segment,
						gfp_t gfp_mask, const char *site);
struct scatterlist *__dmashim_sgl_alloc_order(unsigned long long length, unsigned int order, bool chainable,
					      gfp_t gfp, unsigned int *nent_p, const char *site);
void __dmashim_sgl_free_n_order(struct scatterlist *sgl, int nents, int order, const char *site);
int __dmashim_sg_split(struct scatterlist *in, const int in_mapped_nents, const off_t skip, const int nb_splits,
		       const size_t *split_sizes, struct scatterlist **out, int *out_mapped_nents, gfp_t gfp_mask,
		       const char *site);

#define sg_alloc_table(table, nents, gfp) __dmashim_sg_alloc_table(table, nents, gfp, DMASHIM_SITE)
#define sg_free_table(table) __dmashim_sg_free_table(table, DMASHIM_SITE)
#define sg_free_append_table(table) __dmashim_sg_free_append_table(table, DMASHIM_SITE)
#define sg_alloc_append_table_from_pages(sgt, pages, n, off, size, maxseg, left, gfp) \
	__dmashim_sg_alloc_append_table_from_pages(sgt, pages, n, off, size, maxseg, left, gfp, DMASHIM_SITE)
#define sg_alloc_table_from_pages_segment(sgt, pages, n, off, size, maxseg, gfp) \
	__dmashim_sg_alloc_table_from_pages_segment(sgt, pages, n, off, size, maxseg, gfp, DMASHIM_SITE)
#define sgl_alloc_order(length, order, chainable, gfp, nent_p) \
	__dmashim_sgl_alloc_order(length, order, chainable, gfp, nent_p, DMASHIM_SITE)
#define sgl_alloc(length, gfp, nent_p) __dmashim_sgl_alloc_order(length, 0, false, gfp, nent_p, DMASHIM_SITE)
#define sgl_free_n_order(sgl, nents, order) __dmashim_sgl_free_n_order(sgl, nents, order, DMASHIM_SITE)
#define sgl_free_order(sgl, order) __dmashim_sgl_free_n_order(sgl, 0x7fffffff, order, DMASHIM_SITE)
#define sgl_free(sgl) __dmashim_sgl_free_n_order(sgl, 0x7fffffff, 0, DMASHIM_SITE)
#define sg_split(in, in_mapped, skip, nb, sizes, out, out_mapped, gfp) \
	__dmashim_sg_split(in, in_mapped, skip, nb, sizes, out, out_mapped, gfp, DMASHIM_SITE)

/* Contiguous pages merge into one entry (of at most UINT_MAX bytes); released by sg_free_table. */
static inline int __dmashim_sg_alloc_table_from_pages(struct sg_table *sgt, struct page **pages, unsigned int n_pages,
						      unsigned int offset, unsigned long size, gfp_t gfp_mask,
						      const char *site)
{
	return __dmashim_sg_alloc_table_from_pages_segment(sgt, pages, n_pages, offset, size, 0xffffffffU, gfp_mask,
							   site);
}
#define sg_alloc_table_from_pages(sgt, pages, n, off, size, gfp) \
	__dmashim_sg_alloc_table_from_pages(sgt, pages, n, off, size, gfp, DMASHIM_SITE)
static inline int(sg_alloc_table_from_pages)(struct sg_table *sgt, struct page **pages, unsigned int n_pages,
					      unsigned int offset, unsigned long size, gfp_t gfp_mask)
{
	return __dmashim_sg_alloc_table_from_pages(sgt, pages, n_pages, offset, size, gfp_mask, NULL);
}

/* Copies between a linear buffer and the list (skipping `skip` bytes of the list); they return bytes copied. */
size_t sg_copy_buffer(struct scatterlist *sgl, unsigned int nents, void *buf, size_t buflen, off_t skip,
		      bool to_buffer);
size_t sg_copy_from_buffer(struct scatterlist *sgl, unsigned int nents, const void *buf, size_t buflen);
size_t sg_copy_to_buffer(struct scatterlist *sgl, unsigned int nents, void *buf, size_t buflen);
size_t sg_pcopy_from_buffer(struct scatterlist *sgl, unsigned int nents, const void *buf, size_t buflen,
			    off_t skip);
size_t sg_pcopy_to_buffer(struct scatterlist *sgl, unsigned int nents, void *buf, size_t buflen, off_t skip);
size_t sg_zero_buffer(struct scatterlist *sgl, unsigned int nents, size_t buflen, off_t skip);

#endif /* 2.6.25 */

#if DMASHIM_HAS_SINCE(2, 6, 27)
/*
 * The page iterator: one step per page of each entry (an entry whose offset
 * and length cross pages yields each page it touches).
 */
struct sg_page_iter {
	struct scatterlist *sg;		/* the entry holding the page */
	unsigned int sg_pgoffset;	/* the page's index within the entry */
	unsigned int __nents;		/* entries left */
	int __pg_advance;		/* pages to advance at the next step */
};

/* The same walk over the DMA side (sg_dma_len); only sg_page_iter_dma_address() applies to it. */
struct sg_dma_page_iter {
	struct sg_page_iter base;
};

#if DMASHIM_HAS_SINCE(3, 9, 0)
void __sg_page_iter_start(struct sg_page_iter *piter, struct scatterlist *sglist, unsigned int nents,
			  unsigned long pgoffset);
bool __sg_page_iter_next(struct sg_page_iter *piter);
bool __sg_page_iter_dma_next(struct sg_dma_page_iter *dma_iter);

/* nth_page(): the pages of one entry are contiguous, and a struct page * is its page's address. */
static inline struct page *__dmashim_sg_nth_page(struct page *page, unsigned long n)
{
	return (struct page *)((char *)page + (n << PAGE_SHIFT));
}
static inline struct page *sg_page_iter_page(struct sg_page_iter *piter)
{
	return __dmashim_sg_nth_page(sg_page(piter->sg), piter->sg_pgoffset);
}
static inline dma_addr_t sg_page_iter_dma_address(struct sg_dma_page_iter *dma_iter)
{
	return sg_dma_address(dma_iter->base.sg) + ((dma_addr_t)dma_iter->base.sg_pgoffset << PAGE_SHIFT);
}

#define for_each_sg_page(sglist, piter, nents, pgoffset) \
	for (__sg_page_iter_start((piter), (sglist), (nents), (pgoffset)); __sg_page_iter_next(piter);)
#define for_each_sg_dma_page(sglist, dma_iter, dma_nents, pgoffset) \
	for (__sg_page_iter_start(&(dma_iter)->base, sglist, dma_nents, pgoffset); __sg_page_iter_dma_next(dma_iter);)
#define for_each_sgtable_page(sgt, piter, pgoffset) for_each_sg_page((sgt)->sgl, piter, (sgt)->orig_nents, pgoffset)
#define for_each_sgtable_dma_page(sgt, dma_iter, pgoffset) \
	for_each_sg_dma_page((sgt)->sgl, dma_iter, (sgt)->nents, pgoffset)

#endif /* 3.9 */

/*
 * The mapping iterator: each sg_miter_next() maps the next piece (at most one
 * page) at miter->addr for miter->length bytes; set miter->consumed lower to
 * take less. With SG_MITER_ATOMIC the context is atomic from sg_miter_next()
 * to sg_miter_stop() (kmap_atomic disables preemption), so a sleeping call
 * there is reported.
 */
#define SG_MITER_ATOMIC (1 << 0)	/* the kernel maps with kmap_atomic */
#define SG_MITER_TO_SG (1 << 1)		/* the caller writes to the list */
#define SG_MITER_FROM_SG (1 << 2)	/* the caller reads from the list */
#define SG_MITER_LOCAL (1 << 3)		/* the kernel maps with kmap_local_page */

struct sg_mapping_iter {
	struct page *page;		/* the page mapped now */
	void *addr;			/* where its piece is */
	size_t length;			/* the piece's length */
	size_t consumed;		/* bytes taken (sg_miter_stop advances by this) */
	struct sg_page_iter piter;
	unsigned int __offset;		/* offset within the page */
	unsigned int __remaining;	/* bytes left on the page */
	unsigned int __flags;
};

void sg_miter_start(struct sg_mapping_iter *miter, struct scatterlist *sgl, unsigned int nents, unsigned int flags);
bool sg_miter_skip(struct sg_mapping_iter *miter, off_t offset);
bool sg_miter_next(struct sg_mapping_iter *miter);
void sg_miter_stop(struct sg_mapping_iter *miter);
#endif /* 2.6.27 */

/* Device memory (linux/io.h's iomem windows) has no struct page: reported at the caller's line. */
#define sg_set_buf(sg, buf, buflen) \
	sg_set_buf(sg, __dmashim_devmem_check(buf, DMASHIM_NOPAGE_SG_SET_BUF, DMASHIM_SITE), buflen)
#define sg_set_page(sg, pg_, len, off_) \
	sg_set_page(sg, (struct page *)__dmashim_devmem_check(pg_, DMASHIM_NOPAGE_SG_SET_PAGE, DMASHIM_SITE), len, off_)

#endif /* _LINUX_SCATTERLIST_H */

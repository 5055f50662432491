/* SPDX-License-Identifier: MIT */
/*
 * linux/scatterlist.h for dmashim. page_link holds the page's CPU address (a
 * struct page * is its address here, see linux/gfp.h) with the kernel's two low
 * bits: SG_CHAIN (the entry points at another table) and SG_END.
 */
#ifndef _LINUX_SCATTERLIST_H
#define _LINUX_SCATTERLIST_H

#include <string.h>
#include <linux/types.h>
#include <linux/bug.h>
#include <linux/mm.h>
#include <linux/slab.h>

struct scatterlist {
	unsigned long page_link;
	unsigned int offset;
	unsigned int length;
	dma_addr_t dma_address;
	unsigned int dma_length;
	unsigned int dma_flags;
};

struct sg_table {
	struct scatterlist *sgl;
	unsigned int nents;		/* mapped entries */
	unsigned int orig_nents;	/* entries of the CPU list */
};

#define SG_CHAIN 0x01UL
#define SG_END 0x02UL
#define SG_PAGE_LINK_MASK (SG_CHAIN | SG_END)

#define sg_dma_address(sg) ((sg)->dma_address)
#define sg_dma_len(sg) ((sg)->dma_length)

static inline bool sg_is_chain(const struct scatterlist *sg) { return (sg->page_link & SG_CHAIN) != 0; }
static inline bool sg_is_last(const struct scatterlist *sg) { return (sg->page_link & SG_END) != 0; }
static inline struct scatterlist *sg_chain_ptr(const struct scatterlist *sg)
{
	return (struct scatterlist *)(sg->page_link & ~SG_PAGE_LINK_MASK);
}
static inline struct page *sg_page(const struct scatterlist *sg)
{
	return (struct page *)(sg->page_link & ~SG_PAGE_LINK_MASK);
}
static inline void sg_assign_page(struct scatterlist *sg, struct page *page)
{
	sg->page_link = (sg->page_link & SG_END) | (unsigned long)page;
}
static inline void sg_set_page(struct scatterlist *sg, struct page *page, unsigned int len, unsigned int offset)
{
	sg_assign_page(sg, page);
	sg->offset = offset;
	sg->length = len;
}
static inline void sg_set_buf(struct scatterlist *sg, const void *buf, unsigned int buflen)
{
	sg_set_page(sg, (virt_to_page)(buf), buflen, (unsigned int)offset_in_page(buf));
}
static inline void *sg_virt(const struct scatterlist *sg) { return (char *)(page_address)(sg_page(sg)) + sg->offset; }
static inline phys_addr_t sg_phys(const struct scatterlist *sg) { return page_to_phys(sg_page(sg)) + sg->offset; }
static inline void sg_mark_end(struct scatterlist *sg) { sg->page_link = (sg->page_link | SG_END) & ~SG_CHAIN; }
static inline void sg_unmark_end(struct scatterlist *sg) { sg->page_link &= ~SG_END; }

static inline void sg_init_table(struct scatterlist *sgl, unsigned int nents)
{
	memset(sgl, 0, sizeof(*sgl) * nents);
	if (nents)
		sg_mark_end(&sgl[nents - 1]);
}

static inline void sg_init_one(struct scatterlist *sg, const void *buf, unsigned int buflen)
{
	sg_init_table(sg, 1);
	sg_set_buf(sg, buf, buflen);
}

static inline void sg_chain(struct scatterlist *prv, unsigned int prv_nents, struct scatterlist *sgl)
{
	prv[prv_nents - 1].offset = 0;
	prv[prv_nents - 1].length = 0;
	prv[prv_nents - 1].page_link = ((unsigned long)sgl | SG_CHAIN) & ~SG_END;
}

static inline struct scatterlist *sg_next(struct scatterlist *sg)
{
	if (sg_is_last(sg))
		return NULL;
	sg++;
	if (sg_is_chain(sg))
		sg = sg_chain_ptr(sg);
	return sg;
}

static inline int sg_nents(struct scatterlist *sg)
{
	int nents;
	for (nents = 0; sg; sg = sg_next(sg))
		nents++;
	return nents;
}

#define for_each_sg(sglist, sg, nr, __i) \
	for (__i = 0, sg = (sglist); __i < (nr); __i++, sg = sg_next(sg))
/* The counts are unsigned; the index is often an int: compare in the index's type. */
#define for_each_sgtable_sg(sgt, sg, i) for_each_sg((sgt)->sgl, sg, (__typeof__(i))(sgt)->orig_nents, i)
#define for_each_sgtable_dma_sg(sgt, sg, i) for_each_sg((sgt)->sgl, sg, (__typeof__(i))(sgt)->nents, i)

/* One flat table from kcalloc (no chaining needed: there is no page-size limit on it here). */
static inline int sg_alloc_table(struct sg_table *table, unsigned int nents, gfp_t gfp_mask)
{
	memset(table, 0, sizeof(*table));
	if (nents == 0)
		return -22; /* -EINVAL */
	table->sgl = (struct scatterlist *)kcalloc(nents, sizeof(struct scatterlist), gfp_mask);
	if (!table->sgl)
		return -12; /* -ENOMEM */
	sg_init_table(table->sgl, nents);
	table->nents = table->orig_nents = nents;
	return 0;
}

static inline void sg_free_table(struct sg_table *table)
{
	kfree(table->sgl);
	table->sgl = NULL;
	table->nents = table->orig_nents = 0;
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
	return -22; /* -EINVAL */
}

/*
 * Copy between a linear buffer and the list's CPU addresses, skipping `skip`
 * bytes of the list; returns bytes copied.
 */
static inline size_t __dmashim_sg_copy(struct scatterlist *sgl, unsigned int nents, void *buf, size_t buflen,
				       size_t skip, bool to_buffer)
{
	struct scatterlist *sg;
	size_t done = 0;
	unsigned int i;

	for (i = 0, sg = sgl; sg && i < nents && done < buflen; i++, sg = sg_next(sg)) {
		size_t len = sg->length;
		char *p = (char *)sg_virt(sg);

		if (skip >= len) {
			skip -= len;
			continue;
		}
		p += skip;
		len -= skip;
		skip = 0;
		if (len > buflen - done)
			len = buflen - done;
		if (to_buffer)
			memcpy((char *)buf + done, p, len);
		else
			memcpy(p, (const char *)buf + done, len);
		done += len;
	}
	return done;
}

static inline size_t sg_copy_from_buffer(struct scatterlist *sgl, unsigned int nents, const void *buf, size_t buflen)
{
	return __dmashim_sg_copy(sgl, nents, (void *)buf, buflen, 0, false);
}
static inline size_t sg_copy_to_buffer(struct scatterlist *sgl, unsigned int nents, void *buf, size_t buflen)
{
	return __dmashim_sg_copy(sgl, nents, buf, buflen, 0, true);
}
static inline size_t sg_pcopy_from_buffer(struct scatterlist *sgl, unsigned int nents, const void *buf, size_t buflen,
					  off_t skip)
{
	return __dmashim_sg_copy(sgl, nents, (void *)buf, buflen, (size_t)skip, false);
}
static inline size_t sg_pcopy_to_buffer(struct scatterlist *sgl, unsigned int nents, void *buf, size_t buflen,
					off_t skip)
{
	return __dmashim_sg_copy(sgl, nents, buf, buflen, (size_t)skip, true);
}

/* Device memory (linux/io.h's iomem windows) has no struct page: reported at the caller's line. */
#define sg_set_buf(sg, buf, buflen) \
	sg_set_buf(sg, __dmashim_devmem_check(buf, DMASHIM_NOPAGE_SG_SET_BUF, DMASHIM_SITE), buflen)
#define sg_set_page(sg, pg_, len, off_) \
	sg_set_page(sg, (struct page *)__dmashim_devmem_check(pg_, DMASHIM_NOPAGE_SG_SET_PAGE, DMASHIM_SITE), len, off_)

#endif /* _LINUX_SCATTERLIST_H */

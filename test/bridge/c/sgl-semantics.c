/*
 * The scatterlist library from C, checked against the kernel's behaviour:
 * chained tables, tables from page arrays (contiguous pages merged, segment
 * limits, appends that grow the last entry), sgl_alloc sizes, copies and
 * zeroing over a chained list with entries that cross pages, the page and
 * mapping iterators (with SG_MITER_ATOMIC's atomic section), sg_split, and
 * the DMA page iterator over a mapped table. Each line starts "ok" or "BAD".
 */
#include <linux/kernel.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/gfp.h>
#include <linux/preempt.h>

#define PG(base, n) ((struct page *)((char *)(base) + (n) * PAGE_SIZE))

static struct device dev;

static void check(bool ok, const char *what)
{
	printf("%s %s\n", ok ? "ok" : "BAD", what);
}

static void tables(void)
{
	struct sg_table t;
	struct scatterlist *sg, *prev = NULL, *second;
	unsigned int i, n = 0;
	bool in_arrays = true;

	check(sg_alloc_table(&t, 0, GFP_KERNEL) == -EINVAL, "sg_alloc_table(0) is -EINVAL");

	/* 300 entries: arrays of 128 chained (127 + 127 + 46 entries of data). */
	check(sg_alloc_table(&t, 300, GFP_KERNEL) == 0 && t.orig_nents == 300 && t.nents == 300,
	      "sg_alloc_table(300): orig_nents 300");
	check(sg_is_chain(&t.sgl[SG_MAX_SINGLE_ALLOC - 1]) && SG_MAX_SINGLE_ALLOC == 128,
	      "entry 127 chains the next array");
	check(PAGE_ALIGNED(t.sgl), "a full array is a whole page");
	second = sg_chain_ptr(&t.sgl[127]);
	for_each_sgtable_sg(&t, sg, i) {
		if (i < 127)
			in_arrays = in_arrays && sg == &t.sgl[i];
		else if (i < 254)
			in_arrays = in_arrays && sg == &second[i - 127];
		prev = sg;
		n++;
	}
	check(n == 300 && in_arrays && sg_nents(t.sgl) == 300 && sg_is_chain(&second[127]),
	      "300 entries walk through two chain entries");
	check(sg_last(t.sgl, 300) == prev && sg_is_last(prev), "sg_last is the end-marked 300th");
	check(sg_nents_for_len(t.sgl, 1) == -EINVAL, "sg_nents_for_len over empty entries is -EINVAL");
	sg_free_table(&t);
	check(t.sgl == NULL, "sg_free_table clears sgl");

	check(sg_alloc_table(&t, 127, GFP_KERNEL) == 0 && !sg_is_chain(&t.sgl[126]) && sg_is_last(&t.sgl[126]),
	      "127 entries fit one array");
	sg_free_table(&t);
}

static void from_pages(void)
{
	struct page *run = alloc_pages(GFP_KERNEL, 3); /* 8 contiguous pages */
	struct page *lone = alloc_page(GFP_KERNEL);
	struct page *pages[8];
	struct sg_table t;
	struct sg_append_table app;
	struct scatterlist *sg;
	unsigned int i;
	char line[160];

	/* p0 p1 p2 lone p3: three runs; 100 bytes in and 200 short of the end. */
	pages[0] = PG(run, 0);
	pages[1] = PG(run, 1);
	pages[2] = PG(run, 2);
	pages[3] = lone;
	pages[4] = PG(run, 3);
	check(sg_alloc_table_from_pages(&t, pages, 5, 100, 5 * PAGE_SIZE - 300, GFP_KERNEL) == 0,
	      "from_pages returns 0");
	snprintf(line, sizeof(line), "from_pages: %u entries: %u@%u %u@%u %u@%u", t.orig_nents, t.sgl[0].length,
		 t.sgl[0].offset, t.sgl[1].length, t.sgl[1].offset, t.sgl[2].length, t.sgl[2].offset);
	check(t.orig_nents == 3 && t.nents == 3 && sg_page(&t.sgl[0]) == pages[0] && t.sgl[0].offset == 100 &&
		      t.sgl[0].length == 3 * PAGE_SIZE - 100 && sg_page(&t.sgl[1]) == lone &&
		      t.sgl[1].length == PAGE_SIZE && sg_page(&t.sgl[2]) == pages[4] &&
		      t.sgl[2].length == PAGE_SIZE - 200 && sg_is_last(&t.sgl[2]),
	      line);
	sg_free_table(&t);

	/* Eight contiguous pages, segments of at most two pages. */
	for (i = 0; i < 8; i++)
		pages[i] = PG(run, i);
	check(sg_alloc_table_from_pages_segment(&t, pages, 8, 0, 8 * PAGE_SIZE, 2 * PAGE_SIZE + 100, GFP_KERNEL) == 0 &&
		      t.orig_nents == 4 && t.sgl[0].length == 2 * PAGE_SIZE && t.sgl[3].length == 2 * PAGE_SIZE,
	      "from_pages_segment: max_segment rounds down to pages, 4 segments of 2 pages");
	sg_free_table(&t);
	check(sg_alloc_table_from_pages_segment(&t, pages, 8, 0, 8 * PAGE_SIZE, 100, GFP_KERNEL) == -EINVAL,
	      "from_pages_segment: a segment limit under a page is -EINVAL");
	check(sg_alloc_table_from_pages(&t, pages, 8, 0, 8 * PAGE_SIZE, GFP_KERNEL) == 0 && t.orig_nents == 1 &&
		      t.sgl[0].length == 8 * PAGE_SIZE,
	      "from_pages: 8 contiguous pages are one entry");
	sg_free_table(&t);

	/* Appending: the second call's pages continue the first call's last entry. */
	memset(&app, 0, sizeof(app));
	check(sg_alloc_append_table_from_pages(&app, pages, 2, 0, 2 * PAGE_SIZE, UINT_MAX, 6, GFP_KERNEL) == 0 &&
		      app.sgt.nents == 1 && !sg_is_last(app.prv),
	      "append: first call, 1 entry, not ended");
	check(sg_alloc_append_table_from_pages(&app, pages + 2, 2, 0, 2 * PAGE_SIZE, UINT_MAX, 4, GFP_KERNEL) == 0 &&
		      app.sgt.nents == 1 && app.sgt.sgl[0].length == 4 * PAGE_SIZE,
	      "append: contiguous pages grow the last entry");
	check(sg_alloc_append_table_from_pages(&app, &lone, 1, 0, PAGE_SIZE, UINT_MAX, 3, GFP_KERNEL) == 0 &&
		      app.sgt.nents == 2 && sg_page(app.prv) == lone,
	      "append: a page elsewhere starts a new entry");
	check(sg_alloc_append_table_from_pages(&app, pages + 4, 1, 8, PAGE_SIZE, UINT_MAX, 2, GFP_KERNEL) == -EINVAL,
	      "append: an offset after the first call is -EINVAL");
	check(sg_alloc_append_table_from_pages(&app, pages + 4, 2, 0, 2 * PAGE_SIZE, UINT_MAX, 0, GFP_KERNEL) == 0 &&
		      app.sgt.nents == 3 && app.sgt.orig_nents == 3 && sg_is_last(app.prv) &&
		      sg_nents(app.sgt.sgl) == 3,
	      "append: the last call ends the table");
	sg_free_append_table(&app);

	/* An append table longer than one array chains arrays; every page alternates with the lone one. */
	memset(&app, 0, sizeof(app));
	{
		struct page *alt[2] = { PG(run, 0), PG(run, 2) };
		int err = 0;

		for (i = 0; i < 200 && !err; i++)
			err = sg_alloc_append_table_from_pages(&app, &alt[i & 1], 1, 0, PAGE_SIZE, UINT_MAX, 199 - i,
								GFP_KERNEL);
		check(!err && app.sgt.orig_nents == 200 && sg_nents(app.sgt.sgl) == 200 && app.total_nents == 200,
		      "append: 200 entries over two chained arrays");
		for_each_sgtable_sg(&app.sgt, sg, i)
			if (sg_page(sg) != alt[i & 1])
				break;
		check(i == 200, "append: the entries hold the pages in order");
	}
	sg_free_append_table(&app);

	__free_page(lone);
	__free_pages(run, 3);
}

static void sgl_alloc_sizes(void)
{
	unsigned int n = 0, i;
	struct scatterlist *sgl, *sg;
	bool ok = true;

	sgl = sgl_alloc(3 * PAGE_SIZE + 100, GFP_KERNEL, &n);
	check(sgl && n == 4 && sg_nents(sgl) == 4 && sgl[0].length == PAGE_SIZE && sgl[3].length == 100,
	      "sgl_alloc(3 pages + 100): 4 entries, the last 100 bytes");
	for_each_sg(sgl, sg, n, i)
		ok = ok && sg_page(sg) && PAGE_ALIGNED(sg_virt(sg));
	check(ok, "sgl_alloc: every entry has its own page");
	sgl_free(sgl);

	sgl = sgl_alloc_order(5 * PAGE_SIZE, 1, true, GFP_KERNEL, &n);
	check(sgl && n == 3 && sgl[0].length == 2 * PAGE_SIZE && sgl[2].length == PAGE_SIZE && !sg_page(&sgl[3]) &&
		      sg_is_last(&sgl[3]) && !sg_is_last(&sgl[2]),
	      "sgl_alloc_order(5 pages, order 1, chainable): 3 entries and a spare for chaining");
	sgl_free_order(sgl, 1);
	check(sgl_alloc(0, GFP_KERNEL, &n) == NULL, "sgl_alloc(0) is NULL");
}

/* Five data entries in two chained arrays; two cross a page boundary. */
static void build_chained(struct scatterlist *a, struct scatterlist *b, char *buf)
{
	sg_init_table(a, 3);
	sg_init_table(b, 3);
	sg_set_buf(&a[0], buf + 10, 1000);
	sg_set_buf(&a[1], buf + PAGE_SIZE - 300, 1000); /* crosses into the next page */
	sg_chain(a, 3, b);
	sg_set_page(&b[0], virt_to_page(buf + 3 * PAGE_SIZE), 1000, 3500); /* crosses too */
	sg_set_buf(&b[1], buf + 5 * PAGE_SIZE, 1000);
	sg_set_buf(&b[2], buf + 6 * PAGE_SIZE + 7, 1000);
}

static void copies(void)
{
	char *buf = (char *)__get_free_pages(GFP_KERNEL | __GFP_ZERO, 3);
	static const unsigned int start[5] = { 10, PAGE_SIZE - 300, 3 * PAGE_SIZE + 3500, 5 * PAGE_SIZE,
					       6 * PAGE_SIZE + 7 };
	struct scatterlist a[3], b[3];
	u8 lin[5000], out[5000];
	unsigned int i, j;
	size_t n;
	bool ok = true;

	build_chained(a, b, buf);
	check(sg_nents(a) == 5 && sg_next(&a[1]) == &b[0] && sg_is_chain(&a[2]) && sg_chain_ptr(&a[2]) == b &&
		      a[2].length == 0,
	      "sg_chain: 5 entries, a[1] -> b[0]");
	check(sg_nents_for_len(a, 2001) == 3 && sg_nents_for_len(a, 5001) == -EINVAL && sg_nents_for_len(a, 0) == 0,
	      "sg_nents_for_len across the chain");

	for (i = 0; i < sizeof(lin); i++)
		lin[i] = (u8)(i * 7 + 1);
	n = sg_copy_from_buffer(a, 5, lin, sizeof(lin));
	for (i = 0; i < 5; i++)
		for (j = 0; j < 1000; j++)
			ok = ok && (u8)buf[start[i] + j] == lin[i * 1000 + j];
	check(n == 5000 && ok, "sg_copy_from_buffer fills each entry in order");
	check(buf[9] == 0 && buf[1010] == 0, "sg_copy_from_buffer writes nothing around the entries");

	memset(out, 0, sizeof(out));
	n = sg_pcopy_to_buffer(a, 5, out, 2000, 1500);
	check(n == 2000 && memcmp(out, lin + 1500, 2000) == 0, "sg_pcopy_to_buffer(skip 1500, 2000)");
	n = sg_pcopy_to_buffer(a, 5, out, 2000, 4500);
	check(n == 500 && memcmp(out, lin + 4500, 500) == 0, "sg_pcopy_to_buffer stops at the end: 500 of 2000");
	check(sg_pcopy_to_buffer(a, 5, out, 10, 6000) == 0, "sg_pcopy_to_buffer past the end copies 0");
	check(sg_copy_to_buffer(a, 2, out, sizeof(out)) == 2000, "nents bounds the copy: 2 entries, 2000 bytes");

	n = sg_pcopy_from_buffer(a, 5, "\xee\xee\xee", 3, 999);
	check(n == 3 && (u8)buf[10 + 999] == 0xee && (u8)buf[PAGE_SIZE - 300] == 0xee &&
		      (u8)buf[PAGE_SIZE - 299] == 0xee,
	      "sg_pcopy_from_buffer spans two entries");

	n = sg_zero_buffer(a, 5, 1200, 1900);
	ok = true;
	for (i = 0; i < 5000; i++) {
		unsigned int e = i / 1000, off = i % 1000;
		u8 v = (u8)buf[start[e] + off];
		bool zeroed = i >= 1900 && i < 3100;

		if (i >= 999 && i < 1002)
			continue;
		ok = ok && (zeroed ? v == 0 : v == lin[i]);
	}
	check(n == 1200 && ok, "sg_zero_buffer(skip 1900, 1200) zeroes exactly those bytes");
	free_pages((unsigned long)buf, 3);
}

static void iterators(void)
{
	char *buf = (char *)__get_free_pages(GFP_KERNEL | __GFP_ZERO, 3);
	struct scatterlist sg[2], a[3], b[3];
	struct sg_page_iter piter;
	struct sg_mapping_iter miter;
	struct page *seen[8];
	unsigned int n = 0;
	size_t total = 0;
	char line[200];
	bool atomic_inside, atomic_after;

	/* 3 pages from offset 100 touch 4 pages; then 10 bytes in a fifth. */
	sg_init_table(sg, 2);
	sg_set_page(&sg[0], virt_to_page(buf), 3 * PAGE_SIZE, 100);
	sg_set_buf(&sg[1], buf + 6 * PAGE_SIZE + 5, 10);
	for_each_sg_page(sg, &piter, 2, 0)
		if (n < 8)
			seen[n++] = sg_page_iter_page(&piter);
	check(n == 5 && seen[0] == PG(buf, 0) && seen[3] == PG(buf, 3) && seen[4] == PG(buf, 6),
	      "for_each_sg_page: 4 pages of the first entry, 1 of the second");
	n = 0;
	for_each_sg_page(sg, &piter, 2, 2)
		n++;
	check(n == 3, "for_each_sg_page from page offset 2: 3 pages");
	n = 0;
	for_each_sg_page(sg, &piter, 1, 0)
		n++;
	check(n == 4, "for_each_sg_page with nents 1: the first entry's 4 pages");

	/* The mapping iterator: pieces never cross a page. */
	n = 0;
	sg_miter_start(&miter, sg, 2, SG_MITER_FROM_SG);
	while (sg_miter_next(&miter)) {
		if (n == 0 && (miter.addr != buf + 100 || miter.length != PAGE_SIZE - 100))
			break;
		total += miter.length;
		n++;
	}
	sg_miter_stop(&miter);
	snprintf(line, sizeof(line), "sg_miter: %u pieces, %zu bytes (want 5, %lu)", n, total, 3 * PAGE_SIZE + 10);
	check(n == 5 && total == 3 * PAGE_SIZE + 10, line);

	/* consumed lower than length: the next piece resumes after what was taken. */
	sg_miter_start(&miter, sg, 2, SG_MITER_TO_SG);
	sg_miter_next(&miter);
	miter.consumed = 50;
	sg_miter_next(&miter);
	check(miter.addr == buf + 150 && miter.length == PAGE_SIZE - 150, "sg_miter: consumed 50 resumes at +50");
	check(sg_miter_skip(&miter, 1000) && sg_miter_next(&miter) && miter.addr == buf + PAGE_SIZE + 1000 &&
		      miter.length == PAGE_SIZE - 1000,
	      "sg_miter_skip moves by bytes (after the piece in use)");
	check(!sg_miter_skip(&miter, 4 * PAGE_SIZE), "sg_miter_skip past the end is false");
	sg_miter_stop(&miter);

	sg_miter_start(&miter, sg, 2, SG_MITER_ATOMIC | SG_MITER_FROM_SG);
	sg_miter_next(&miter);
	atomic_inside = in_atomic();
	sg_miter_stop(&miter);
	atomic_after = in_atomic();
	check(atomic_inside && !atomic_after, "SG_MITER_ATOMIC: atomic from sg_miter_next to sg_miter_stop");

	/* Over a chained list: every byte once. */
	build_chained(a, b, buf);
	total = 0;
	n = 0;
	sg_miter_start(&miter, a, 5, SG_MITER_FROM_SG);
	while (sg_miter_next(&miter)) {
		total += miter.length;
		n++;
	}
	sg_miter_stop(&miter);
	check(total == 5000 && n == 7, "sg_miter over a chained list: 7 pieces, 5000 bytes");
	n = 0;
	for_each_sg_page(a, &piter, 5, 0)
		n++;
	check(n == 7, "for_each_sg_page over a chained list: 7 pages");
	free_pages((unsigned long)buf, 3);
}

static void split(void)
{
	char *buf = (char *)__get_free_pages(GFP_KERNEL, 1);
	struct scatterlist in[3], *out[2] = { NULL, NULL };
	size_t sizes[2] = { 700, 1200 };
	int mapped[2] = { 0, 0 };
	size_t sizes_bad[2] = { 700, 5000 };

	sg_init_table(in, 3);
	sg_set_buf(&in[0], buf, 1000);
	sg_set_buf(&in[1], buf + 2000, 1000);
	sg_set_buf(&in[2], buf + PAGE_SIZE + 16, 1000);
	check(sg_split(in, 0, 500, 2, sizes, out, mapped, GFP_KERNEL) == 0, "sg_split returns 0");
	check(out[0] && mapped[0] == 2 && out[0][0].offset == 500 && out[0][0].length == 500 &&
		      out[0][1].offset == 2000 && out[0][1].length == 200 && sg_is_last(&out[0][1]),
	      "sg_split: part 0 is in[0][500..1000) + in[1][0..200)");
	check(out[1] && mapped[1] == 2 && out[1][0].offset == 2200 && out[1][0].length == 800 &&
		      out[1][1].offset == 16 && out[1][1].length == 400 && sg_is_last(&out[1][1]) &&
		      sg_dma_len(&out[1][0]) == 0,
	      "sg_split: part 1 is in[1][200..1000) + in[2][0..400)");
	kfree(out[0]);
	kfree(out[1]);
	check(sg_split(in, 0, 500, 2, sizes_bad, out, NULL, GFP_KERNEL) == -EINVAL,
	      "sg_split: sizes past the list's end are -EINVAL");

	/* A mapped list: the parts carry their bus ranges. */
	if (dma_map_sg(&dev, in, 3, DMA_TO_DEVICE) == 3) {
		check(sg_split(in, 3, 500, 2, sizes, out, mapped, GFP_KERNEL) == 0 &&
			      sg_dma_address(&out[0][0]) == sg_dma_address(&in[0]) + 500 &&
			      sg_dma_len(&out[0][0]) == 500 && sg_dma_len(&out[0][1]) == 200 &&
			      sg_dma_address(&out[1][0]) == sg_dma_address(&in[1]) + 200 &&
			      sg_dma_len(&out[1][1]) == 400,
		      "sg_split of a mapped list splits the bus ranges");
		kfree(out[0]);
		kfree(out[1]);
		dma_unmap_sg(&dev, in, 3, DMA_TO_DEVICE);
	} else {
		check(false, "dma_map_sg for sg_split");
	}
	free_pages((unsigned long)buf, 1);
}

static void dma_pages(void)
{
	struct page *run = alloc_pages(GFP_KERNEL, 2);
	struct page *pages[4] = { PG(run, 0), PG(run, 1), PG(run, 2), PG(run, 3) };
	struct sg_table t;
	struct sg_dma_page_iter di;
	struct sg_page_iter piter;
	unsigned int n = 0, cpu = 0;
	bool ok = true;

	/* Two entries of two pages (a segment limit), mapped: 4 DMA pages. */
	if (sg_alloc_table_from_pages_segment(&t, pages, 4, 0, 4 * PAGE_SIZE, 2 * PAGE_SIZE, GFP_KERNEL) ||
	    dma_map_sgtable(&dev, &t, DMA_BIDIRECTIONAL, 0)) {
		check(false, "dma_map_sgtable");
		return;
	}
	for_each_sgtable_page(&t, &piter, 0)
		ok = ok && sg_page_iter_page(&piter) == pages[cpu++];
	check(ok && cpu == 4, "for_each_sgtable_page: the 4 pages in order");
	ok = true;
	for_each_sgtable_dma_page(&t, &di, 0) {
		ok = ok && sg_page_iter_dma_address(&di) ==
				   sg_dma_address(di.base.sg) + ((dma_addr_t)di.base.sg_pgoffset << PAGE_SHIFT);
		n++;
	}
	check(ok && n == 4, "for_each_sgtable_dma_page: 4 pages at segment address + page offset");
	n = 0;
	for_each_sg_dma_page(t.sgl, &di, t.nents, 1)
		n++;
	check(n == 3, "for_each_sg_dma_page from page offset 1: 3 pages");
	dma_unmap_sgtable(&dev, &t, DMA_BIDIRECTIONAL, 0);
	sg_free_table(&t);
	__free_pages(run, 2);
}

int main(void)
{
	dev_set_name(&dev, "sgl0");
	if (device_register(&dev) || dma_coerce_mask_and_coherent(&dev, DMA_BIT_MASK(64)))
		return 1;
	tables();
	from_pages();
	sgl_alloc_sizes();
	copies();
	iterators();
	split();
	dma_pages();
	device_unregister(&dev);
	return 0;
}

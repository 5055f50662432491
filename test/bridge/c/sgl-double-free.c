/*
 * A table freed by two owners: the sanitizer reports the second free of the
 * table's array at the caller's line (the table functions pass their call
 * site to kmalloc/kfree). Also a SG_MITER_ATOMIC section with a sleeping
 * allocation inside, which the kernel reports as sleeping in atomic context.
 */
#include <linux/kernel.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/gfp.h>

int main(void)
{
	struct sg_append_table app, copy;
	struct sg_mapping_iter miter;
	struct page *pg = alloc_page(GFP_KERNEL);
	void *p;

	memset(&app, 0, sizeof(app));
	if (sg_alloc_append_table_from_pages(&app, &pg, 1, 0, PAGE_SIZE, UINT_MAX, 0, GFP_KERNEL))
		return 1;
	copy = app;
	sg_free_append_table(&app);
	sg_free_append_table(&copy); /* MARK double */

	{
		struct scatterlist one;

		sg_init_one(&one, page_address(pg), 64);
		sg_miter_start(&miter, &one, 1, SG_MITER_ATOMIC | SG_MITER_TO_SG);
		if (sg_miter_next(&miter)) {
			p = kmalloc(32, GFP_KERNEL); /* MARK sleep */
			kfree(p);
		}
		sg_miter_stop(&miter);
	}
	p = kmalloc(32, GFP_KERNEL); /* MARK after */
	kfree(p);
	__free_page(pg);
	return 0;
}

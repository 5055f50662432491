/*
 * A storage driver's scatter-gather path: a request's buffers (a kmalloc'd
 * header, whole pages, a page at an offset) described by a scatterlist,
 * mapped with dma_map_sg and turned into the controller's SG descriptors
 * with sg_dma_address/sg_dma_len; then the same with an sg_table and
 * dma_map_sgtable / for_each_sgtable_dma_sg; sg_copy_* for the PIO fallback.
 */
#include <linux/kernel.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/gfp.h>

struct hw_sge {
	__le64 addr;
	__le32 len;
	__le32 flags;
#define SGE_LAST BIT(0)
};

static int build_sges(struct scatterlist *sgl, int count, struct hw_sge *sge, int max)
{
	struct scatterlist *sg;
	int i;

	if (WARN_ON_ONCE(count > max))
		return -EINVAL;
	for_each_sg(sgl, sg, count, i) {
		sge[i].addr = cpu_to_le64(sg_dma_address(sg));
		sge[i].len = cpu_to_le32(sg_dma_len(sg));
		sge[i].flags = 0;
	}
	sge[count - 1].flags = cpu_to_le32(SGE_LAST);
	return count;
}

static struct device host;

/* A static device needs a release, even an empty one (the kernel WARNs at the last put without). */
static void host_release(struct device *d)
{
	(void)d;
}

int main(void)
{
	struct scatterlist sgl[4], *sg;
	struct sg_table table;
	struct hw_sge sge[8];
	struct page *pages;
	void *hdr;
	u8 pio[96];
	unsigned int total = 0;
	int nents, count, i, err;

	host.release = host_release;
	dev_set_name(&host, "host0");
	if (device_register(&host) || dma_coerce_mask_and_coherent(&host, DMA_BIT_MASK(32)))
		return 1;

	hdr = kzalloc(64, GFP_KERNEL);
	pages = alloc_pages(GFP_KERNEL, get_order(3 * PAGE_SIZE));
	if (!hdr || !pages)
		return 1;
	memset(page_address(pages), 0x5a, 4 * PAGE_SIZE);

	/* A request: a header, two whole pages, 512 bytes at an offset in the fourth. */
	sg_init_table(sgl, ARRAY_SIZE(sgl));
	sg_set_buf(&sgl[0], hdr, 64);
	sg_set_page(&sgl[1], pages, PAGE_SIZE, 0);
	sg_set_page(&sgl[2], (struct page *)((char *)page_address(pages) + PAGE_SIZE), PAGE_SIZE, 0);
	sg_set_page(&sgl[3], virt_to_page((char *)page_address(pages) + 3 * PAGE_SIZE), 512, 1024);
	nents = sg_nents(sgl);
	count = dma_map_sg(&host, sgl, nents, DMA_TO_DEVICE);
	if (!count) {
		dev_err(&host, "dma_map_sg failed\n");
		return 1;
	}
	count = build_sges(sgl, count, sge, ARRAY_SIZE(sge));
	for (i = 0; i < count; i++)
		total += le32_to_cpu(sge[i].len);
	printf("%s map_sg: %d entries -> %d segments, %u bytes, last flag %s, 32-bit %s\n",
	       total == 64 + 2 * PAGE_SIZE + 512 ? "ok" : "BAD", nents, count, total,
	       le32_to_cpu(sge[count - 1].flags) & SGE_LAST ? "set" : "missing",
	       upper_32_bits(le64_to_cpu(sge[0].addr)) == 0 ? "yes" : "no");
	printf("%s sg_nents_for_len(4160) = %d\n", sg_nents_for_len(sgl, 4160) == 2 ? "ok" : "BAD",
	       sg_nents_for_len(sgl, 4160));
	dma_unmap_sg(&host, sgl, nents, DMA_TO_DEVICE);

	/* PIO fallback: copy out of the list by CPU. */
	if (sg_copy_to_buffer(sgl, nents, pio, sizeof(pio)) != sizeof(pio) || pio[0] != 0 || pio[64] != 0x5a)
		printf("BAD sg_copy_to_buffer\n");
	else
		printf("ok sg_copy_to_buffer\n");

	/* The sg_table form. */
	err = sg_alloc_table(&table, 3, GFP_KERNEL);
	if (err)
		return 1;
	for_each_sgtable_sg(&table, sg, i)
		sg_set_page(sg, (struct page *)((char *)page_address(pages) + i * PAGE_SIZE), PAGE_SIZE, 0);
	err = dma_map_sgtable(&host, &table, DMA_FROM_DEVICE, 0);
	if (err) {
		dev_err(&host, "dma_map_sgtable: %d\n", err);
		return 1;
	}
	total = 0;
	for_each_sgtable_dma_sg(&table, sg, i)
		total += sg_dma_len(sg);
	printf("%s map_sgtable: %u of %u entries mapped, %u bytes\n", total == 3 * PAGE_SIZE ? "ok" : "BAD",
	       table.nents, table.orig_nents, total);
	dma_sync_sgtable_for_cpu(&host, &table, DMA_FROM_DEVICE);
	dma_unmap_sgtable(&host, &table, DMA_FROM_DEVICE, 0);
	sg_free_table(&table);

	__free_pages(pages, get_order(3 * PAGE_SIZE));
	kfree(hdr);
	device_unregister(&host);
	return 0;
}

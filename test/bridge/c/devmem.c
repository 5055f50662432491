/*
 * Device memory from C (run with --iomem 1M@0x7f00000000:sram): memremap and
 * ioremap of the window, dma_declare_coherent_memory's return values, every
 * allocation for the device drawn from the window, the device side at the bus
 * address, dma_mmap_coherent with user space's side, and the sanitizer's
 * reports for virt_to_page, page_address, sg_set_buf, sg_set_page,
 * dma_map_single and dma_map_page on it.
 */
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/dma-mapping.h>
#include <linux/dma-map-ops.h>
#include <linux/dmapool.h>
#include <linux/slab.h>
#include <dmashim/bridge.h>
#include <dmashim/mmap.h>
#include <stdio.h>

#define SRAM 0x7f00000000ULL
#define BUS 0x40000000ULL
#define PG 4096

static struct pci_dev pdev;

int main(void)
{
	struct device *dev = &pdev.dev;
	char text[512];
	int rc;

	pci_setup_device(&pdev);
	dev_set_name(dev, "0000:00:1b.0");
	if (device_register(dev) || dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32)))
		return 1;

	/* CPU access through memremap/ioremap: both name the same bytes. */
	u8 *sram = memremap(SRAM, 1 << 20, MEMREMAP_WC);
	void __iomem *regs = ioremap(SRAM + 0xf000, PG);
	writel(0x12345678, regs + 4);
	printf("memremap: %s, readl %#x, byte %#x, phys %#llx\n", sram ? "ok" : "NULL", readl(regs + 4),
	       sram ? sram[0xf004] : 0, (unsigned long long)virt_to_phys(regs));
	printf("ioremap of RAM: %s\n", ioremap(0x10000, PG) ? "MAPPED" : "NULL"); /* MARK ioremap_ram */
	memset(sram, 0xee, 1 << 20);

	/* dma_declare_coherent_memory: the kernel's return values. */
	printf("declare size 0: %d\n", dma_declare_coherent_memory(dev, SRAM, BUS, 0));
	printf("declare outside: %d\n", dma_declare_coherent_memory(dev, SRAM + (1 << 20), BUS, PG));
	printf("declare: %d\n", dma_declare_coherent_memory(dev, SRAM, BUS, 16 * PG));
	printf("declare again: %d\n", dma_declare_coherent_memory(dev, SRAM, BUS, 16 * PG));

	/* Allocations: from the window, zeroed, naturally aligned, NULL when full. */
	dma_addr_t h1, h2, h3, hp, hm;
	u8 *a = dma_alloc_coherent(dev, 100, &h1, GFP_KERNEL);
	u8 *b = dma_alloc_coherent(dev, 3 * PG, &h2, GFP_KERNEL);
	int zero = 1;
	for (int i = 0; i < 100; i++)
		zero &= a[i] == 0;
	printf("alloc: bus %#llx phys %#llx zeroed %d; order 2: bus %#llx\n", (unsigned long long)h1,
	       (unsigned long long)virt_to_phys(a), zero, (unsigned long long)h2);
	printf("too big: %s\n", dma_alloc_coherent(dev, 16 * PG, &h3, GFP_KERNEL) ? "ALLOCATED" : "NULL");
	struct dma_pool *pool = dma_pool_create("snd-desc", dev, 64, 64, 0);
	void *blk = dma_pool_alloc(pool, GFP_KERNEL, &hp);
	u8 *mv = dmam_alloc_coherent(dev, 2 * PG, &hm, GFP_KERNEL);
	printf("pool block: bus %#llx phys %#llx; dmam: bus %#llx phys %#llx\n", (unsigned long long)hp,
	       (unsigned long long)virt_to_phys(blk), (unsigned long long)hm, (unsigned long long)virt_to_phys(mv));
	dmashim_sysfs_read(dev, "pools", text, sizeof(text));
	printf("%s", text);

	/* The device side at the bus address; a stray access past the allocation is refused. */
	u8 pat[3] = { 1, 2, 3 }, back[4];
	rc = dmashim_device_write(dev, h1 + 10, pat, 3);
	printf("device write: %d, cpu sees %u %u %u\n", rc, a[10], a[11], a[12]);
	writel(0xcafef00d, a + 20);
	rc = dmashim_device_read(dev, h1 + 20, back, 4);
	printf("device read: %d, %02x%02x%02x%02x\n", rc, back[3], back[2], back[1], back[0]);
	rc = dmashim_device_write(dev, BUS + 12 * PG, pat, 3); /* MARK stray */
	printf("stray write: %d, lands %d\n", rc, sram[12 * PG] == 1);

	/* User space maps b (pages 1..2 of 3) through dma_mmap_coherent. */
	struct vm_area_struct vma = { .vm_start = 0x7f1200000000UL, .vm_end = 0x7f1200002000UL, .vm_pgoff = 1 };
	struct vm_area_struct far = { .vm_start = 0x7f1300000000UL, .vm_end = 0x7f1300000000UL + PG, .vm_pgoff = 3 };
	b[PG + 7] = 0x77;
	rc = dma_mmap_coherent(dev, &vma, b, h2, 3 * PG);
	u8 *user = dmashim_vma_user(&vma);
	printf("mmap: %d, user sees %#x\n", rc, user ? user[7] : 0);
	printf("mmap past: %d\n", dma_mmap_coherent(dev, &far, b, h2, 3 * PG));
	dma_free_coherent(dev, 3 * PG, b, h2); /* MARK free_mapped */
	printf("user still sees %#x\n", user ? user[7] : 0);
	rc = dmashim_vma_munmap(&vma);
	printf("munmap: %d, again %d\n", rc, dmashim_vma_munmap(&vma));

	/* The broken assumption: each reported at its line, nothing harmful done. */
	struct page *p = virt_to_page(a); /* MARK virt_to_page */
	void *pa = page_address(p);	  /* MARK page_address */
	struct scatterlist sg[2];
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], a, 64);    /* MARK sg_set_buf */
	sg_set_page(&sg[1], p, 64, 0); /* MARK sg_set_page */
	dma_addr_t m1 = dma_map_single(dev, a, 64, DMA_TO_DEVICE); /* MARK map_single */
	dma_addr_t m2 = dma_map_page(dev, p, 0, 64, DMA_TO_DEVICE); /* MARK map_page */
	printf("page_address: %s; map_single %s; map_page %s\n", pa == (void *)a ? "same" : "OTHER",
	       dma_mapping_error(dev, m1) ? "error" : "MAPPED", dma_mapping_error(dev, m2) ? "error" : "MAPPED");

	/* RAM: none of this is reported. */
	void *k = kmalloc(64, GFP_KERNEL);
	sg_set_buf(&sg[0], k, 64);
	void *kp = page_address(virt_to_page(k));
	printf("ram page_address: %s\n", kp == (void *)((unsigned long)k & PAGE_MASK) ? "ok" : "BAD");
	kfree(k);

	dma_pool_free(pool, blk, hp);
	dma_pool_destroy(pool);
	dma_free_coherent(dev, 100, a, h1);
	iounmap(regs);
	memunmap(sram);
	device_unregister(dev);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * A sound card whose DMA ring lives in its own on-board SRAM, not in system
 * RAM: the case of device memory that is usable for DMA, sits at one address
 * for the CPU (physical 0x7f00000000) and another for the device (bus
 * 0x40000000), and has no struct page behind it. The SRAM is the card's PCI
 * BAR 0; run it with that range as an iomem window of the machine:
 *
 *     npx dmashim run examples/sram-ring.c --iomem 1M@0x7f00000000:sram
 *
 * The driver finds the SRAM through its BAR (pci_resource_start, pci_iomap)
 * and declares it as the card's coherent memory, so its ring and
 * its descriptor pool come from there; the card (played by main()) fills the
 * ring; user space maps the ring through dma_mmap_coherent() and reads the
 * samples. Then the driver does what such drivers must not: it asks for the
 * ring's struct page (virt_to_page) to build a scatterlist, and frees the ring
 * while user space still has it mapped. Both are reported, with this file's
 * line. examples/sram-ring.ts is the same driver in TypeScript.
 */
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/dma-mapping.h>
#include <linux/dma-map-ops.h>
#include <linux/dmapool.h>
#include <dmashim/bridge.h>
#include <dmashim/mmap.h>
#include <stdio.h>

#define SRAM_PHYS 0x7f00000000ULL /* where the CPU sees the card's SRAM */
#define SRAM_BUS 0x40000000ULL	  /* where the card's DMA engine sees it */
#define SRAM_SIZE (1024 * 1024)
#define RING_BYTES (64 * 1024)
#define PERIOD_BYTES 4096
#define CARD_REGS 0xf000 /* offset of the card's mailbox in SRAM */

struct snd_desc {
	__le32 addr;
	__le32 len;
	__le32 flags;
	__le32 next;
};

struct snd_card {
	struct device *dev;
	void *ring;
	dma_addr_t ring_dma;
	struct dma_pool *desc_pool;
	struct snd_desc *desc[4];
	dma_addr_t desc_dma[4];
	void __iomem *regs;
};

static struct pci_dev pdev;
static struct snd_card card;

static int snd_probe(struct snd_card *c, struct pci_dev *pci)
{
	struct device *dev = &pci->dev;
	int rc;

	c->dev = dev;
	rc = pci_enable_device(pci);
	if (rc)
		return rc;
	rc = pci_request_regions(pci, "snd-sram");
	if (rc)
		return rc;
	pci_set_master(pci);
	if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32)))
		return -EIO;
	/* The SRAM is BAR 0: the CPU's address from the resource, the card's from its datasheet. */
	rc = dma_declare_coherent_memory(dev, pci_resource_start(pci, 0), SRAM_BUS, pci_resource_len(pci, 0));
	if (rc)
		return rc;
	c->regs = pci_iomap_range(pci, 0, CARD_REGS, 4096);
	if (!c->regs)
		return -ENOMEM;
	c->ring = dma_alloc_coherent(dev, RING_BYTES, &c->ring_dma, GFP_KERNEL);
	if (!c->ring)
		return -ENOMEM;
	c->desc_pool = dma_pool_create("snd-desc", dev, sizeof(struct snd_desc), 16, 0);
	if (!c->desc_pool)
		return -ENOMEM;
	for (int i = 0; i < 4; i++) {
		c->desc[i] = dma_pool_zalloc(c->desc_pool, GFP_KERNEL, &c->desc_dma[i]);
		if (!c->desc[i])
			return -ENOMEM;
		c->desc[i]->addr = (u32)(c->ring_dma + (dma_addr_t)i * PERIOD_BYTES);
		c->desc[i]->len = PERIOD_BYTES;
	}
	for (int i = 0; i < 4; i++)
		c->desc[i]->next = (u32)c->desc_dma[(i + 1) % 4];
	iowrite32((u32)c->desc_dma[0], c->regs);
	return 0;
}

/* The driver's mmap handler: user space gets the ring itself. */
static int snd_pcm_mmap(struct snd_card *c, struct vm_area_struct *vma)
{
	return dma_mmap_coherent(c->dev, vma, c->ring, c->ring_dma, RING_BYTES);
}

/* The broken assumption: a DMA buffer has a struct page. */
static void snd_pcm_build_sg(struct snd_card *c, struct scatterlist *sg)
{
	struct page *pg = virt_to_page(c->ring);

	sg_init_table(sg, 1);
	sg_set_page(sg, pg, PERIOD_BYTES, 0);
}

int main(void)
{
	struct device *dev = &pdev.dev;
	struct vm_area_struct vma = { .vm_start = 0x7f1200000000UL, .vm_end = 0x7f1200000000UL + RING_BYTES };
	struct vm_area_struct bad = { .vm_start = 0x7f1300000000UL, .vm_end = 0x7f1300000000UL + 2 * PERIOD_BYTES,
				      .vm_pgoff = 15 };
	struct scatterlist sg[1];
	u8 period[PERIOD_BYTES];
	int rc;

	/* The firmware's part: BAR 0 is the card's 1 MiB of SRAM, device memory (an iomem window). */
	pci_setup_device(&pdev);
	if (dmashim_pci_set_resource_iomem(&pdev, 0, SRAM_PHYS, SRAM_SIZE, IORESOURCE_MEM | IORESOURCE_PREFETCH))
		return 1;
	dev_set_name(dev, "0000:00:1b.0");
	if (device_register(dev))
		return 1;
	rc = snd_probe(&card, &pdev);
	printf("probe: %d\n", rc);
	if (rc)
		return 1;
	printf("ring: bus %#llx, phys %#llx\n", (unsigned long long)card.ring_dma,
	       (unsigned long long)virt_to_phys(card.ring));
	printf("desc0: bus %#llx, mailbox %#x\n", (unsigned long long)card.desc_dma[0], ioread32(card.regs));

	/* The card plays period 1 into the ring at its bus address. */
	for (int i = 0; i < PERIOD_BYTES; i++)
		period[i] = (u8)(i * 3);
	rc = dmashim_device_write(dev, card.ring_dma + PERIOD_BYTES, period, PERIOD_BYTES);
	printf("card writes period 1: %d, cpu sees %u %u\n", rc, ((u8 *)card.ring)[PERIOD_BYTES + 1],
	       ((u8 *)card.ring)[PERIOD_BYTES + 2]);

	/* User space maps the ring and reads the same samples. */
	rc = snd_pcm_mmap(&card, &vma);
	const u8 *user = dmashim_vma_user(&vma);
	printf("mmap: %d, user sees %u %u\n", rc, user ? user[PERIOD_BYTES + 1] : 0, user ? user[PERIOD_BYTES + 2] : 0);
	printf("mmap past the ring: %d\n", snd_pcm_mmap(&card, &bad));

	/* The bug: reported at virt_to_page's line, and the entry is refused when mapped. */
	snd_pcm_build_sg(&card, sg);
	printf("dma_map_sg of it: %d\n", dma_map_sg(dev, sg, 1, DMA_TO_DEVICE));

	/* Teardown in the wrong order: the ring is freed while user space maps it. */
	for (int i = 0; i < 4; i++)
		dma_pool_free(card.desc_pool, card.desc[i], card.desc_dma[i]);
	dma_pool_destroy(card.desc_pool);
	dma_free_coherent(dev, RING_BYTES, card.ring, card.ring_dma);
	printf("munmap: %d\n", dmashim_vma_munmap(&vma));
	pci_iounmap(&pdev, card.regs);
	dma_release_coherent_memory(dev);
	pci_release_regions(&pdev);
	pci_disable_device(&pdev);
	device_unregister(dev);
	return 0;
}

/*
 * A 2.4 PCI driver, shaped as 2.4's Documentation/DMA-mapping.txt teaches:
 * <linux/config.h> first, pci_set_dma_mask() with a literal mask, a
 * pci_alloc_consistent() descriptor ring, a pci_pool with the sixth SLAB_*
 * argument, pci_map_single() of a kmalloc()ed buffer remembered with
 * DECLARE_PCI_UNMAP_ADDR, a scatterlist filled through ->address (lowmem) and
 * ->page/->offset (highmem style), pci_map_sg() read back with sg_dma_address()
 * and sg_dma_len(), and the one pci_dma_sync_single() of that era.
 * Run with --kernel 2.4.31.
 */
#include <linux/config.h>
#include <linux/version.h>
#include <linux/module.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <asm/scatterlist.h>
#include <asm/io.h>


#define DRV_NAME "era24"
#define RING_ENTRIES 8

struct era24_td {
	u32 link;
	u32 status;
	u32 buffer;
	u32 pad;
};

struct era24_tx {
	char *buf;
	DECLARE_PCI_UNMAP_ADDR(mapping)
	DECLARE_PCI_UNMAP_LEN(len)
};

struct era24 {
	struct pci_dev *pdev;
	u32 *ring;
	dma_addr_t ring_dma;
	struct pci_pool *td_pool;
	struct era24_tx tx[2];
};

static struct era24 card;

static int __devinit era24_probe(struct pci_dev *pdev, const struct pci_device_id *ent)
{
	struct scatterlist sg[2];
	struct era24_td *td;
	dma_addr_t td_dma;
	char *a, *b;
	int i, n;

	(void)ent;
	if (pci_enable_device(pdev))
		return -EIO;
	if (!pci_dma_supported(pdev, 0xffffffff) || pci_set_dma_mask(pdev, 0xffffffff)) {
		printk(KERN_WARNING DRV_NAME ": No suitable DMA available.\n");
		return -EIO;
	}
	pci_set_master(pdev);
	card.pdev = pdev;

	card.ring = pci_alloc_consistent(pdev, RING_ENTRIES * sizeof(u32), &card.ring_dma);
	if (!card.ring)
		return -ENOMEM;
	card.td_pool = pci_pool_create(DRV_NAME "_td", pdev, sizeof(struct era24_td), 16, 0, SLAB_KERNEL);
	if (!card.td_pool)
		return -ENOMEM;
	td = pci_pool_alloc(card.td_pool, SLAB_ATOMIC, &td_dma);
	if (!td)
		return -ENOMEM;
	td->status = cpu_to_le32(0x800000);
	card.ring[0] = cpu_to_le32((u32)td_dma);
	printk(KERN_INFO DRV_NAME ": ring %s, td %s\n", card.ring_dma ? "mapped" : "unmapped",
	       (td_dma & 15) == 0 ? "aligned" : "misaligned");
	pci_pool_free(card.td_pool, td, td_dma);

	/* Streaming: map, remember the mapping in the driver's own struct, sync, unmap. */
	for (i = 0; i < 2; i++) {
		dma_addr_t m;

		card.tx[i].buf = kmalloc(256, GFP_KERNEL);
		if (!card.tx[i].buf)
			return -ENOMEM;
		memset(card.tx[i].buf, 0x40 + i, 256);
		m = pci_map_single(pdev, card.tx[i].buf, 256, PCI_DMA_TODEVICE);
		pci_unmap_addr_set(&card.tx[i], mapping, m);
		pci_unmap_len_set(&card.tx[i], len, 256);
		pci_dma_sync_single(pdev, m, 256, PCI_DMA_TODEVICE);
	}

	/* Scatter-gather: one entry by address, one by page and offset. */
	a = kmalloc(512, GFP_KERNEL);
	b = kmalloc(512, GFP_KERNEL);
	if (!a || !b)
		return -ENOMEM;
	memset(sg, 0, sizeof(sg));
	sg[0].address = a;
	sg[0].length = 512;
	sg[1].address = NULL;
	sg[1].page = virt_to_page(b);
	sg[1].offset = ((unsigned long)b) & ~PAGE_MASK;
	sg[1].length = 300;
	n = pci_map_sg(pdev, sg, 2, PCI_DMA_FROMDEVICE);
	for (i = 0; i < n; i++)
		printk(KERN_INFO DRV_NAME ": sg %d: %u bytes at bus %s\n", i, sg_dma_len(&sg[i]),
		       sg_dma_address(&sg[i]) ? "address" : "zero");
	pci_dma_sync_sg(pdev, sg, 2, PCI_DMA_FROMDEVICE);
	pci_unmap_sg(pdev, sg, 2, PCI_DMA_FROMDEVICE);
	kfree(a);
	kfree(b);
	return 0;
}

static void __devexit era24_remove(struct pci_dev *pdev)
{
	int i;

	for (i = 0; i < 2; i++) {
		pci_unmap_single(pdev, pci_unmap_addr(&card.tx[i], mapping), pci_unmap_len(&card.tx[i], len),
				 PCI_DMA_TODEVICE);
		kfree(card.tx[i].buf);
	}
	pci_pool_destroy(card.td_pool);
	pci_free_consistent(pdev, RING_ENTRIES * sizeof(u32), card.ring, card.ring_dma);
	pci_disable_device(pdev);
	printk(KERN_INFO DRV_NAME ": removed\n");
}

static struct pci_device_id era24_tbl[] __devinitdata = {
	{ 0x8086, 0x7112, PCI_ANY_ID, PCI_ANY_ID, 0, 0, 0 },
	{ 0, }
};
MODULE_DEVICE_TABLE(pci, era24_tbl);

static struct pci_driver era24_driver = {
	.name = DRV_NAME,
	.id_table = era24_tbl,
	.probe = era24_probe,
	.remove = __devexit_p(era24_remove),
};

static struct pci_dev the_card = { .vendor = 0x8086, .device = 0x7112 };

static int __init era24_init(void)
{
	/* harness: the PCI core found the card */
	pci_setup_device(&the_card);
	dev_set_name(&the_card.dev, "00:07.2");
	if (device_register(&the_card.dev))
		return -ENODEV;
	return pci_module_init(&era24_driver);
}

static void __exit era24_exit(void)
{
	pci_unregister_driver(&era24_driver);
	device_unregister(&the_card.dev);
}

module_init(era24_init);
module_exit(era24_exit);
MODULE_LICENSE("GPL");

/*
 * A 2.6.12 PCI driver, shaped as 2.6's Documentation/DMA-mapping.txt and
 * DMA-API.txt teach: <linux/config.h> first, pci_set_dma_mask() and
 * pci_set_consistent_dma_mask() with literal masks, a pci_pool of five
 * arguments next to a dma_pool on &pdev->dev (2.6.3+), pci_map_single()
 * checked with the one-argument pci_dma_mapping_error(), the split syncs of
 * 2.6.5 (pci_dma_sync_single_for_cpu/_for_device), and a scatterlist filled
 * through ->page, ->offset and ->length (before 2.6.24's sg_set_page).
 * Run with --kernel 2.6.12.
 */
#include <linux/config.h>
#include <linux/version.h>
#include <linux/module.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <linux/slab.h>
#include <asm/scatterlist.h>


#define DRV_NAME "era26"

struct era26_cmd {
	__le32 opcode;
	__le32 len;
	__le64 addr;
};

struct era26 {
	struct pci_dev *pdev;
	struct pci_pool *cmd_pool;	/* the PCI name ... */
	struct dma_pool *sense_pool;	/* ... and the generic one */
	void *ring;
	dma_addr_t ring_dma;
	char *data;
	dma_addr_t data_dma;
};

static struct era26 card;

static int __devinit era26_probe(struct pci_dev *pdev, const struct pci_device_id *ent)
{
	struct scatterlist sg[3];
	struct era26_cmd *cmd;
	dma_addr_t cmd_dma;
	void *sense;
	dma_addr_t sense_dma;
	struct page *pg;
	int i, n;

	(void)ent;
	if (pci_enable_device(pdev))
		return -ENODEV;
	if (pci_set_dma_mask(pdev, 0xffffffffULL) || pci_set_consistent_dma_mask(pdev, 0xffffffffULL)) {
		dev_err(&pdev->dev, "no usable DMA configuration\n");
		return -EIO;
	}
	pci_set_master(pdev);
	card.pdev = pdev;

	card.ring = pci_alloc_consistent(pdev, PAGE_SIZE, &card.ring_dma);
	card.cmd_pool = pci_pool_create(DRV_NAME "_cmd", pdev, sizeof(struct era26_cmd), 16, 0);
	card.sense_pool = dma_pool_create(DRV_NAME "_sense", &pdev->dev, 96, 8, 4096);
	if (!card.ring || !card.cmd_pool || !card.sense_pool)
		return -ENOMEM;

	cmd = pci_pool_alloc(card.cmd_pool, GFP_KERNEL, &cmd_dma);
	sense = dma_pool_alloc(card.sense_pool, GFP_ATOMIC, &sense_dma);
	if (!cmd || !sense)
		return -ENOMEM;
	cmd->opcode = cpu_to_le32(0x28);
	cmd->addr = cpu_to_le64(sense_dma);
	dev_info(&pdev->dev, "cmd %s, sense %s\n", (cmd_dma & 15) ? "misaligned" : "aligned",
		 (sense_dma & 7) ? "misaligned" : "aligned");
	dma_pool_free(card.sense_pool, sense, sense_dma);
	pci_pool_free(card.cmd_pool, cmd, cmd_dma);

	/* Streaming, checked the 2.6.5-2.6.26 way, and synced both ways. */
	card.data = kmalloc(2048, GFP_KERNEL);
	if (!card.data)
		return -ENOMEM;
	card.data_dma = pci_map_single(pdev, card.data, 2048, PCI_DMA_BIDIRECTIONAL);
	if (pci_dma_mapping_error(card.data_dma))
		return -EIO;
	pci_dma_sync_single_for_cpu(pdev, card.data_dma, 2048, PCI_DMA_BIDIRECTIONAL);
	card.data[0] = 1;
	pci_dma_sync_single_for_device(pdev, card.data_dma, 2048, PCI_DMA_BIDIRECTIONAL);

	/* A scatterlist by hand: page, offset and length. */
	pg = alloc_page(GFP_KERNEL);
	if (!pg)
		return -ENOMEM;
	memset(sg, 0, sizeof(sg));
	for (i = 0; i < 3; i++) {
		sg[i].page = pg;
		sg[i].offset = i * 1024;
		sg[i].length = 512;
	}
	n = dma_map_sg(&pdev->dev, sg, 3, DMA_TO_DEVICE);
	dev_info(&pdev->dev, "mapped %d of 3 entries, first %u bytes\n", n, sg_dma_len(&sg[0]));
	dma_unmap_sg(&pdev->dev, sg, 3, DMA_TO_DEVICE);
	__free_page(pg);
	pci_set_drvdata(pdev, &card);
	return 0;
}

static void __devexit era26_remove(struct pci_dev *pdev)
{
	struct era26 *c = pci_get_drvdata(pdev);

	pci_unmap_single(pdev, c->data_dma, 2048, PCI_DMA_BIDIRECTIONAL);
	kfree(c->data);
	dma_pool_destroy(c->sense_pool);
	pci_pool_destroy(c->cmd_pool);
	pci_free_consistent(pdev, PAGE_SIZE, c->ring, c->ring_dma);
	pci_set_drvdata(pdev, NULL);
	pci_disable_device(pdev);
	printk(KERN_INFO DRV_NAME ": removed\n");
}

static struct pci_device_id era26_tbl[] = {
	{ PCI_DEVICE(0x1000, 0x0030) },
	{ 0, }
};
MODULE_DEVICE_TABLE(pci, era26_tbl);

static struct pci_driver era26_driver = {
	.name = DRV_NAME,
	.id_table = era26_tbl,
	.probe = era26_probe,
	.remove = __devexit_p(era26_remove),
};

static struct pci_dev the_card = { .vendor = 0x1000, .device = 0x0030 };

static int __init era26_init(void)
{
	/* harness: the PCI core found the card */
	pci_setup_device(&the_card);
	dev_set_name(&the_card.dev, "0000:02:01.0");
	if (device_register(&the_card.dev))
		return -ENODEV;
	return pci_module_init(&era26_driver);
}

static void __exit era26_exit(void)
{
	pci_unregister_driver(&era26_driver);
	device_unregister(&the_card.dev);
}

module_init(era26_init);
module_exit(era26_exit);
MODULE_LICENSE("GPL");

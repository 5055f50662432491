/*
 * A 2.4/2.6-era PCI driver fragment, as such drivers were written: __devinit
 * probe, pci_module_init, pci_set_dma_mask with a literal mask,
 * pci_pool_create with SLAB_KERNEL, pci_alloc_consistent for a ring,
 * pci_map_single of a command buffer checked with the one-argument
 * pci_dma_mapping_error() of 2.6.5-2.6.26, then everything torn down in
 * __devexit remove.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <asm/io.h>

#define DRV_NAME "oldcard"
#define RING_BYTES 4096
#define CMD_BYTES 256

struct oldcard {
	struct pci_dev *pdev;
	struct pci_pool *cmd_pool;
	u32 *ring;
	dma_addr_t ring_dma;
	char *cmd_buf;
	dma_addr_t cmd_buf_dma;
};

static int __devinit oldcard_probe(struct pci_dev *pdev, const struct pci_device_id *ent)
{
	struct oldcard *card;
	u32 *cmd;
	dma_addr_t cmd_dma;
	int i;

	(void)ent;
	if (pci_enable_device(pdev))
		return -EIO;
	if (pci_set_dma_mask(pdev, 0xffffffff)) {
		printk(KERN_ERR DRV_NAME ": no suitable DMA available\n");
		return -EIO;
	}
	pci_set_master(pdev);

	card = kmalloc(sizeof(*card), SLAB_KERNEL);
	if (card == NULL)
		return -ENOMEM;
	memset(card, 0, sizeof(*card));
	card->pdev = pdev;

	card->cmd_pool = pci_pool_create(DRV_NAME "_cmd", pdev, 64, 16, 0, SLAB_KERNEL);
	if (!card->cmd_pool)
		goto fail_free;
	card->ring = pci_alloc_consistent(pdev, RING_BYTES, &card->ring_dma);
	if (!card->ring)
		goto fail_pool;

	card->cmd_buf = kmalloc(CMD_BYTES, SLAB_KERNEL);
	if (!card->cmd_buf)
		goto fail_ring;
	card->cmd_buf_dma = pci_map_single(pdev, card->cmd_buf, CMD_BYTES, PCI_DMA_TODEVICE);
	if (pci_dma_mapping_error(card->cmd_buf_dma))
		goto fail_buf;

	/* Fill the ring with command blocks from the pool. */
	for (i = 0; i < 4; i++) {
		cmd = pci_pool_alloc(card->cmd_pool, SLAB_ATOMIC, &cmd_dma);
		if (!cmd)
			break;
		cmd[0] = cpu_to_le32(i);
		card->ring[2 * i] = cpu_to_le32((u32)cmd_dma);
		card->ring[2 * i + 1] = cpu_to_le32(virt_to_bus(cmd) == cmd_dma);
		pci_pool_free(card->cmd_pool, cmd, cmd_dma);
	}
	printk(KERN_INFO DRV_NAME ": ring at 0x%08lx, %d commands, bus==phys %u\n", (unsigned long)card->ring_dma, i,
	       le32_to_cpu(card->ring[1]));
	pci_set_drvdata(pdev, card);
	return 0;

fail_buf:
	kfree(card->cmd_buf);
fail_ring:
	pci_free_consistent(pdev, RING_BYTES, card->ring, card->ring_dma);
fail_pool:
	pci_pool_destroy(card->cmd_pool);
fail_free:
	kfree(card);
	return -ENOMEM;
}

static void __devexit oldcard_remove(struct pci_dev *pdev)
{
	struct oldcard *card = pci_get_drvdata(pdev);

	pci_unmap_single(pdev, card->cmd_buf_dma, CMD_BYTES, PCI_DMA_TODEVICE);
	kfree(card->cmd_buf);
	pci_free_consistent(pdev, RING_BYTES, card->ring, card->ring_dma);
	pci_pool_destroy(card->cmd_pool);
	kfree(card);
	pci_set_drvdata(pdev, NULL);
	pci_disable_device(pdev);
}

static struct pci_device_id oldcard_pci_tbl[] __devinitdata = {
	{ 0x10b7, 0x9200, PCI_ANY_ID, PCI_ANY_ID, 0, 0, 0 },
	{ 0, }
};
MODULE_DEVICE_TABLE(pci, oldcard_pci_tbl);

static struct pci_driver oldcard_driver = {
	.name = DRV_NAME,
	.id_table = oldcard_pci_tbl,
	.probe = oldcard_probe,
	.remove = __devexit_p(oldcard_remove),
};

static struct pci_dev the_card = { .vendor = 0x10b7, .device = 0x9200 };

static int __init oldcard_init(void)
{
	/* harness: the PCI core found the card */
	pci_setup_device(&the_card);
	dev_set_name(&the_card.dev, "0000:00:0b.0");
	if (device_register(&the_card.dev))
		return -ENODEV;
	return pci_module_init(&oldcard_driver);
}

static void __exit oldcard_exit(void)
{
	pci_unregister_driver(&oldcard_driver);
	device_unregister(&the_card.dev);
	printk(KERN_INFO DRV_NAME ": unloaded\n");
}

module_init(oldcard_init);
module_exit(oldcard_exit);
MODULE_LICENSE("GPL");

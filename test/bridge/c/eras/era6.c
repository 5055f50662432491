/*
 * A 6.x PCI driver, shaped as today's Documentation/core-api/dma-api-howto.rst
 * teaches: dma_set_mask_and_coherent() with DMA_BIT_MASK(), managed memory
 * (devm_kzalloc, dmam_alloc_coherent, dmam_pool_create), dma_map_single()
 * checked with the two-argument dma_mapping_error(), the unmap state kept with
 * DEFINE_DMA_UNMAP_ADDR/LEN, and an sg_table built with sg_set_buf() and
 * mapped with dma_map_sgtable(). Run with --kernel 6.16 (or no --kernel).
 */
#include <linux/version.h>
#include <linux/module.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>


#define DRV_NAME "era6"

struct era6_buf {
	void *cpu;
	DEFINE_DMA_UNMAP_ADDR(addr);
	DEFINE_DMA_UNMAP_LEN(len);
};

struct era6 {
	struct device *dev;
	__le64 *ring;
	dma_addr_t ring_dma;
	struct dma_pool *desc_pool;
	struct era6_buf tx;
	struct sg_table sgt;
	char *chunks[3];
};

static int era6_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct scatterlist *sg;
	struct era6 *e;
	dma_addr_t d, desc_dma;
	void *desc;
	int i, ret;

	(void)id;
	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	pci_set_master(pdev);
	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (ret)
		return dev_err_probe(dev, ret, "no usable DMA configuration\n");

	e = devm_kzalloc(dev, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->dev = dev;
	e->ring = dmam_alloc_coherent(dev, PAGE_SIZE, &e->ring_dma, GFP_KERNEL);
	e->desc_pool = dmam_pool_create(DRV_NAME "_desc", dev, 64, 64, 0);
	if (!e->ring || !e->desc_pool)
		return -ENOMEM;
	desc = dma_pool_zalloc(e->desc_pool, GFP_KERNEL, &desc_dma);
	if (!desc)
		return -ENOMEM;
	e->ring[0] = cpu_to_le64(desc_dma);
	dev_info(dev, "desc %s\n", (desc_dma & 63) ? "misaligned" : "aligned");
	dma_pool_free(e->desc_pool, desc, desc_dma);

	e->tx.cpu = kmalloc(1500, GFP_KERNEL);
	if (!e->tx.cpu)
		return -ENOMEM;
	d = dma_map_single(dev, e->tx.cpu, 1500, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, d)) {
		kfree(e->tx.cpu);
		return -ENOMEM;
	}
	dma_unmap_addr_set(&e->tx, addr, d);
	dma_unmap_len_set(&e->tx, len, 1500);

	ret = sg_alloc_table(&e->sgt, 3, GFP_KERNEL);
	if (ret)
		return ret;
	for_each_sgtable_sg(&e->sgt, sg, i) {
		e->chunks[i] = kmalloc(700, GFP_KERNEL);
		if (!e->chunks[i])
			return -ENOMEM;
		sg_set_buf(sg, e->chunks[i], 700);
	}
	ret = dma_map_sgtable(dev, &e->sgt, DMA_FROM_DEVICE, 0);
	if (ret)
		return ret;
	for_each_sgtable_dma_sg(&e->sgt, sg, i)
		dev_info(dev, "sg %d: %u bytes\n", i, sg_dma_len(sg));
	pci_set_drvdata(pdev, e);
	return 0;
}

static void era6_remove(struct pci_dev *pdev)
{
	struct era6 *e = pci_get_drvdata(pdev);
	int i;

	dma_unmap_sgtable(e->dev, &e->sgt, DMA_FROM_DEVICE, 0);
	for (i = 0; i < 3; i++)
		kfree(e->chunks[i]);
	sg_free_table(&e->sgt);
	dma_unmap_single(e->dev, dma_unmap_addr(&e->tx, addr), dma_unmap_len(&e->tx, len), DMA_TO_DEVICE);
	kfree(e->tx.cpu);
	dev_info(&pdev->dev, "removed\n");
}

static const struct pci_device_id era6_tbl[] = {
	{ PCI_DEVICE(0x1af4, 0x1041) },
	{ }
};
MODULE_DEVICE_TABLE(pci, era6_tbl);

static struct pci_driver era6_driver = {
	.name = DRV_NAME,
	.id_table = era6_tbl,
	.probe = era6_probe,
	.remove = era6_remove,
};

static struct pci_dev the_card = { .vendor = 0x1af4, .device = 0x1041 };

static int __init era6_init(void)
{
	/* harness: the PCI core found the card */
	pci_setup_device(&the_card);
	dev_set_name(&the_card.dev, "0000:00:04.0");
	if (device_register(&the_card.dev))
		return -ENODEV;
	return pci_register_driver(&era6_driver);
}

static void __exit era6_exit(void)
{
	pci_unregister_driver(&era6_driver);
	device_unregister(&the_card.dev);
}

module_init(era6_init);
module_exit(era6_exit);
MODULE_DESCRIPTION("a 6.x-shaped DMA driver");
MODULE_LICENSE("GPL");

/*
 * A PCI driver's probe written the managed way (pcim_enable_device,
 * devm_kzalloc, pci_request_regions, dmam_alloc_coherent), bound and unbound
 * through pci_register_driver; then a static device with no release, which the
 * kernel WARNs about at its last put (test/bridge/devmodel-c.test.ts).
 */
#include <linux/module.h>
#include <linux/device.h>
#include <linux/pci.h>
#include <linux/dma-mapping.h>
#include <dmashim/bridge.h>
#include <stdio.h>

struct mydev {
	void __iomem *regs_unused;
	void *ring;
	dma_addr_t ring_dma;
	int bars;
};

static int my_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	(void)id;
	int rc = pcim_enable_device(pdev);
	if (rc)
		return rc;
	rc = pci_request_regions(pdev, "mydrv");
	if (rc)
		return rc;
	pci_set_master(pdev);
	struct mydev *m = devm_kzalloc(&pdev->dev, sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	if (dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64)))
		return -EIO;
	m->ring = dmam_alloc_coherent(&pdev->dev, 8192, &m->ring_dma, GFP_KERNEL);
	if (!m->ring)
		return -ENOMEM;
	m->bars = (int)pci_resource_len(pdev, 0);
	pci_set_drvdata(pdev, m);
	u16 vendor;
	pci_read_config_word(pdev, PCI_VENDOR_ID, &vendor);
	dev_info(&pdev->dev, "probed %04x, bar0 %d bytes, enabled %d\n", vendor, m->bars, pci_is_enabled(pdev));
	return 0;
}

static void my_remove(struct pci_dev *pdev)
{
	struct mydev *m = pci_get_drvdata(pdev);
	printf("remove: ring %s\n", m && m->ring ? "ok" : "BAD");
	pci_release_regions(pdev);
}

static const struct pci_device_id my_ids[] = { { PCI_DEVICE(0x1af4, 0x1041) }, { 0 } };
static struct pci_driver my_driver = { .name = "mydrv", .id_table = my_ids, .probe = my_probe, .remove = my_remove };

static struct pci_dev pdev = { .vendor = 0x1af4, .device = 0x1041 };
static struct device norelease;

int main(void)
{
	pci_setup_device(&pdev);
	dmashim_pci_set_resource(&pdev, 0, 0xfe000000, 0x4000, IORESOURCE_MEM);
	dev_set_name(&pdev.dev, "0000:00:04.0");
	if (device_register(&pdev.dev) || pci_register_driver(&my_driver))
		return 1;
	printf("bound %s enabled %d master %d\n", pdev.driver == &my_driver ? "yes" : "no", pci_is_enabled(&pdev),
	       pdev.is_busmaster);
	pci_unregister_driver(&my_driver);
	printf("unbound: enabled %d master %d\n", pci_is_enabled(&pdev), pdev.is_busmaster);
	device_unregister(&pdev.dev);

	dev_set_name(&norelease, "norelease0");
	device_register(&norelease);
	device_unregister(&norelease);
	printf("end\n");
	return 0;
}

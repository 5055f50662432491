/*
 * pci_iomap() on a PCI device whose firmware (the test) placed its BARs:
 * BAR 0 is 4K of registers, BAR 2 an I/O port range, BAR 4 empty. The driver
 * writes a register through one mapping and reads it through another (two
 * mappings of one range share it), maxlen limits the mapping, and the I/O and
 * empty BARs give NULL.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/io.h>
#include <dmashim/bridge.h>
#include <stdio.h>

static struct pci_dev card = { .vendor = 0x8086, .device = 0x100e };

int main(void)
{
	void __iomem *regs, *again, *part;

	pci_setup_device(&card);
	dev_set_name(&card.dev, "0000:00:03.0");
	if (dmashim_pci_set_resource(&card, 0, 0xfebc0000, 4096, IORESOURCE_MEM) ||
	    dmashim_pci_set_resource(&card, 2, 0xc000, 64, IORESOURCE_IO) || device_register(&card.dev))
		return 1;
	if (pci_enable_device(&card))
		return 2;
	regs = pci_iomap(&card, 0, 0);
	again = pci_iomap(&card, 0, 0);
	part = pci_iomap(&card, 0, 256);
	printf("bar0 mapped=%d len=%llu\n", regs != NULL, (unsigned long long)pci_resource_len(&card, 0));
	writel(0xdeadbeef, regs + 0x10);
	printf("shared=%d part=%d\n", readl(again + 0x10) == 0xdeadbeef, readl(part + 0x10) == 0xdeadbeef);
	printf("io=%p empty=%p\n", pci_iomap(&card, 2, 0), pci_iomap(&card, 4, 0));
	pci_iounmap(&card, part);
	pci_iounmap(&card, again);
	pci_iounmap(&card, regs);
	pci_disable_device(&card);
	device_unregister(&card.dev);
	return 0;
}

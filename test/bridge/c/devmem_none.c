/*
 * Device memory without --iomem: nothing backs the SRAM's address, so memremap and
 * dma_declare_coherent_memory refuse it; ioremap of it is a register range (plain memory).
 */
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/io.h>
#include <linux/dma-map-ops.h>
#include <stdio.h>

static struct pci_dev pdev;

int main(void)
{
	pci_setup_device(&pdev);
	dev_set_name(&pdev.dev, "0000:00:1b.0");
	if (device_register(&pdev.dev))
		return 1;
	printf("memremap: %s\n", memremap(0x7f00000000ULL, 4096, MEMREMAP_WC) ? "MAPPED" : "NULL");
	printf("ioremap: %s\n", ioremap(0x7f00000000ULL, 4096) ? "MAPPED" : "NULL");
	printf("declare: %d\n", dma_declare_coherent_memory(&pdev.dev, 0x7f00000000ULL, 0x40000000, 4096));
	device_unregister(&pdev.dev);
	return 0;
}

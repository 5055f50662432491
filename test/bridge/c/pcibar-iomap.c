/*
 * A PCI BAR as device memory, and pci_iomap (run with --iomem 1M@0x7f00000000:sram):
 * BAR 0 is the card's SRAM window (dmashim_pci_set_resource_iomem), BAR 2 a
 * register BAR no window backs, BAR 4 an I/O BAR. pci_iomap of each, the
 * kernel's NULLs, ioread/iowrite on every kind of cookie,
 * dma_declare_coherent_memory on the BAR, and the sanitizer's report when the
 * driver takes the BAR's memory for RAM.
 */
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/dma-mapping.h>
#include <linux/dma-map-ops.h>
#include <dmashim/bridge.h>
#include <stdio.h>

#define SRAM 0x7f00000000ULL
#define BUS 0x40000000ULL
#define REGS 0xfe000000ULL
#define PORT 0xc000UL
#define PG 4096

static struct pci_dev pdev;

int main(void)
{
	struct device *dev = &pdev.dev;

	pci_setup_device(&pdev);
	dev_set_name(dev, "0000:00:1b.0");
	if (device_register(dev) || dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32)))
		return 1;

	/* The firmware's part: a BAR outside every window is refused, and left as it was. */
	printf("iomem BAR outside the window: %d, len %llu\n",
	       dmashim_pci_set_resource_iomem(&pdev, 1, SRAM + (1 << 20), PG, IORESOURCE_MEM),
	       (unsigned long long)pci_resource_len(&pdev, 1));
	printf("iomem BAR of RAM: %d\n", dmashim_pci_set_resource_iomem(&pdev, 1, 0x100000, PG, IORESOURCE_MEM));
	printf("iomem I/O BAR: %d, size 0: %d\n", dmashim_pci_set_resource_iomem(&pdev, 1, PORT, 64, IORESOURCE_IO),
	       dmashim_pci_set_resource_iomem(&pdev, 1, SRAM, 0, IORESOURCE_MEM));
	printf("iomem BAR 0: %d\n",
	       dmashim_pci_set_resource_iomem(&pdev, 0, SRAM, 1 << 20,
					      IORESOURCE_MEM | IORESOURCE_MEM_64 | IORESOURCE_PREFETCH));
	dmashim_pci_set_resource(&pdev, 2, REGS, PG, IORESOURCE_MEM);
	dmashim_pci_set_resource(&pdev, 4, PORT, 64, IORESOURCE_IO);
	u32 bar0, bar1;
	pci_read_config_dword(&pdev, PCI_BASE_ADDRESS_0, &bar0);
	pci_read_config_dword(&pdev, PCI_BASE_ADDRESS_1, &bar1);
	printf("BAR 0: start %#llx len %#llx flags %#lx, config %#x %#x\n",
	       (unsigned long long)pci_resource_start(&pdev, 0), (unsigned long long)pci_resource_len(&pdev, 0),
	       pci_resource_flags(&pdev, 0), bar0, bar1);

	/* The driver's part. */
	if (pci_enable_device(&pdev) || pci_request_regions(&pdev, "pcibar"))
		return 1;
	void __iomem *sram = pci_iomap(&pdev, 0, 0);
	void __iomem *sram_wc = pci_iomap_wc(&pdev, 0, 0);
	void __iomem *tail = pci_iomap_range(&pdev, 0, 0xff000, 0);
	u8 *window = memremap(SRAM, 1 << 20, MEMREMAP_WC);
	printf("pci_iomap BAR 0: %s, wc same %d, range at +0xff000 %d, phys %#llx\n",
	       sram && sram == (void __iomem *)window ? "the window" : "NOT THE WINDOW", sram_wc == sram,
	       tail == (u8 __iomem *)sram + 0xff000, (unsigned long long)virt_to_phys(sram));
	iowrite32(0x12345678, (u8 __iomem *)sram + 0x10);
	printf("iowrite32 then readl: %#x, byte in the window %#x\n", readl((u8 __iomem *)sram + 0x10), window[0x10]);

	/* A register BAR with no window: plain memory the test writes as the device would. */
	void __iomem *regs = pci_iomap(&pdev, 2, 0);
	void __iomem *regs2 = ioremap(REGS, PG);
	writel(0xfeedf00d, regs2);
	printf("pci_iomap BAR 2: %s, ioread32 %#x\n", regs && regs == regs2 ? "registers" : "WRONG",
	       ioread32(regs));

	/* An I/O BAR: the port cookie; ioread/iowrite are port I/O. */
	void __iomem *io = pci_iomap(&pdev, 4, 0);
	outl(0xabcd0123, PORT + 4);
	iowrite8(0x5a, (u8 __iomem *)io + 1);
	printf("pci_iomap BAR 4: %#lx, ioread32 +4 %#x, inb +1 %#x, ioread16 +4 %#x\n", (unsigned long)io,
	       ioread32((u8 __iomem *)io + 4), inb(PORT + 1), ioread16((u8 __iomem *)io + 4));
	printf("pci_iomap_wc BAR 4: %p\n", pci_iomap_wc(&pdev, 4, 0));

	/* The kernel's NULLs. */
	printf("empty BAR: %p, BAR 11: %p, BAR -1: %p, offset past the end: %p, maxlen 16 ok %d\n",
	       pci_iomap(&pdev, 3, 0), pci_iomap(&pdev, 11, 0), pci_iomap(&pdev, -1, 0),
	       pci_iomap_range(&pdev, 0, 1 << 20, 0), pci_iomap(&pdev, 0, 16) == sram);
	printf("ioread32(NULL): %#x\n", ioread32(NULL)); /* MARK bad_io */
	/* Drivers keep accessors in tables: the kernel's prototypes, the same behaviour. */
	unsigned int (*rd)(const void __iomem *) = ioread32;
	void (*wr)(u32, void __iomem *) = iowrite32;
	wr(0x600dcafe, (u8 __iomem *)io + 12);
	printf("through pointers: %#x %#x\n", rd((u8 __iomem *)io + 12), rd((u8 __iomem *)sram + 0x10));

	/* dma_declare_coherent_memory on the BAR, found through its resource. */
	int rc = dma_declare_coherent_memory(dev, pci_resource_start(&pdev, 0), BUS, pci_resource_len(&pdev, 0));
	dma_addr_t h;
	void *ring = dma_alloc_coherent(dev, 2 * PG, &h, GFP_KERNEL);
	printf("declare: %d, alloc bus %#llx phys %#llx, in the BAR mapping %d\n", rc, (unsigned long long)h,
	       (unsigned long long)virt_to_phys(ring), ring == (void *)sram);

	/* The broken assumption on BAR memory. */
	struct page *pg = virt_to_page(sram); /* MARK virt_to_page */
	(void)pg;

	dma_free_coherent(dev, 2 * PG, ring, h);
	dma_release_coherent_memory(dev);
	pci_iounmap(&pdev, io);
	pci_iounmap(&pdev, regs);
	iounmap(regs2);
	pci_iounmap(&pdev, tail);
	pci_iounmap(&pdev, sram_wc);
	pci_iounmap(&pdev, sram);
	pci_iounmap(&pdev, NULL);
	memunmap(window);
	pci_release_regions(&pdev);
	pci_disable_device(&pdev);
	device_unregister(dev);
	printf("done\n");
	return 0;
}

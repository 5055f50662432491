/* Fault injection from the command line: the driver sees NULL on the calls the flags pick. */
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/dmapool.h>
#include <stdio.h>
static struct pci_dev pdev;
int main(void)
{
	dma_addr_t h;
	pci_setup_device(&pdev);
	dev_set_name(&pdev.dev, "0000:00:09.0");
	device_register(&pdev.dev);
	struct dma_pool *p = dma_pool_create("ring", &pdev.dev, 64, 0, 0);
	int fails = 0;
	for (int i = 0; i < 10; i++) {
		void *v = dma_pool_alloc(p, GFP_ATOMIC, &h); /* MARK alloc */
		if (!v) fails++;
	}
	printf("fails=%d\n", fails);
	return 0;
}

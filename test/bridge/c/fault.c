/* Fault injection from the command line: the driver sees NULL on the calls the flags pick. */
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/dmapool.h>
#include <stdio.h>
static struct pci_dev pdev;
int main(void)
{
	pci_setup_device(&pdev);
	dev_set_name(&pdev.dev, "0000:00:09.0");
	device_register(&pdev.dev);
	struct dma_pool *p = dma_pool_create("ring", &pdev.dev, 64, 0, 0);
	int fails = 0;
	void *v[10];
	dma_addr_t d[10];
	for (int i = 0; i < 10; i++) {
		v[i] = dma_pool_alloc(p, GFP_ATOMIC, &d[i]); /* MARK alloc */
		if (!v[i]) fails++;
	}
	printf("fails=%d\n", fails);
	/* A driver's error path gives back what it got: nothing is left for the leak check. */
	for (int i = 0; i < 10; i++)
		if (v[i])
			dma_pool_free(p, v[i], d[i]);
	dma_pool_destroy(p);
	return 0;
}

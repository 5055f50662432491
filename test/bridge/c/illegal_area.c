/* Mapping memory that is not DMA-able (DMA-mapping.txt): the stack, the program's static data, malloc memory. */
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/dma-mapping.h>
#include <stdio.h>
#include <stdlib.h>

static struct pci_dev pdev;
static char static_buf[256];

int main(void)
{
	char stack_buf[128];
	pci_setup_device(&pdev);
	dev_set_name(&pdev.dev, "0000:00:08.0");
	if (device_register(&pdev.dev))
		return 1;
	memset(stack_buf, 0, sizeof(stack_buf));
	dma_addr_t a = dma_map_single(&pdev.dev, stack_buf, sizeof(stack_buf), DMA_TO_DEVICE); /* MARK stack */
	dma_addr_t b = dma_map_single(&pdev.dev, static_buf, sizeof(static_buf), DMA_TO_DEVICE); /* MARK static */
	char *heap = malloc(4096);
	dma_addr_t c = dma_map_single(&pdev.dev, heap, 64, DMA_TO_DEVICE); /* MARK heap */
	printf("%d %d %d\n", dma_mapping_error(&pdev.dev, a) != 0, dma_mapping_error(&pdev.dev, b) != 0,
	       dma_mapping_error(&pdev.dev, c) != 0);
	free(heap);
	return 0;
}

/* dma_max_mapping_size() and dma_get_merge_boundary() from C: the TypeScript ops' answers, as size_t. */
#include <linux/kernel.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/printk.h>

static struct device dev;
static u64 mask;

int main(void)
{
	dev_set_name(&dev, "limits");
	dev.dma_mask = &mask;
	if (dma_set_mask_and_coherent(&dev, DMA_BIT_MASK(64)))
		return 1;
	printk("max=%zu boundary=%lu is_max=%d\n", dma_max_mapping_size(&dev), dma_get_merge_boundary(&dev),
	       dma_max_mapping_size(&dev) == SIZE_MAX);
	return 0;
}

/*
 * C -> TypeScript -> C -> TypeScript: a log hook (called by TypeScript for each
 * kernel log record) allocates from a pool, i.e. calls back into TypeScript
 * while TypeScript is inside a call from C.
 */
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/dmapool.h>
#include <dmashim/bridge.h>
#include <stdio.h>

static struct pci_dev pdev;
static struct dma_pool *pool;
static int hooked, allocated;
static void *blocks[8];
static dma_addr_t handles[8];

static void hook(int level, const char *line)
{
	hooked++;
	if (strstr(line, "already free") && allocated < 8) {
		blocks[allocated] = dma_pool_alloc(pool, GFP_ATOMIC, &handles[allocated]);
		if (blocks[allocated])
			allocated++;
	}
	printf("hook: level %d: %s\n", level, line);
}

int main(void)
{
	dma_addr_t h;
	pci_setup_device(&pdev);
	dev_set_name(&pdev.dev, "0000:00:04.0");
	device_register(&pdev.dev);
	pool = dma_pool_create("reenter", &pdev.dev, 32, 32, 0);
	void *v = dma_pool_alloc(pool, GFP_KERNEL, &h);
	dmashim_set_log_hook(hook);
	dma_pool_free(pool, v, h);
	dma_pool_free(pool, v, h); /* the report runs the hook, which allocates */
	dmashim_set_log_hook(NULL);
	char text[256];
	dmashim_sysfs_read(&pdev.dev, "pools", text, sizeof(text));
	printf("hooked=%d allocated=%d same=%d\n%s", hooked, allocated, allocated == 1 && blocks[0] == v, text);
	return allocated == 1 ? 0 : 1;
}

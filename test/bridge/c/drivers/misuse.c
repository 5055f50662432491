/*
 * Bugs drivers really make, each on its own line (MARK comments, which the
 * test finds): sleeping allocations and a mutex under a spinlock, a double
 * free to a pool, an unmap with the wrong size, a coherent free with IRQs
 * off, a spinlock released twice. (Taking a spinlock twice is not here: the
 * kernel would hang, and dmashim stops the program at that point.)
 */
#include <linux/kernel.h>
#include <linux/device.h>
#include <linux/dmapool.h>
#include <linux/dma-mapping.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/slab.h>

static struct device dev;
static DEFINE_SPINLOCK(sched_lock);
static DEFINE_MUTEX(cfg_lock);

struct ctx {
	struct dma_pool *pool;
	void *blk[4];
	dma_addr_t dma[4];
};

static irqreturn_t handler(int irq, void *data)
{
	struct ctx *c = data;

	(void)irq;
	c->blk[3] = dma_pool_alloc(c->pool, GFP_KERNEL, &c->dma[3]); /* MARK irq-alloc */
	return IRQ_HANDLED;
}

int main(void)
{
	struct ctx c = { 0 };
	unsigned long flags;
	void *buf, *coh;
	dma_addr_t h, ch;
	int i;

	dev_set_name(&dev, "misuse0");
	if (device_register(&dev) || dma_coerce_mask_and_coherent(&dev, DMA_BIT_MASK(64)))
		return 1;
	c.pool = dma_pool_create("misuse", &dev, 64, 64, 0);
	if (!c.pool)
		return 1;
	/* Warm the pool so the blocks below come from its free list (and from the C cache with --pool-cache). */
	for (i = 0; i < 3; i++)
		c.blk[i] = dma_pool_alloc(c.pool, GFP_KERNEL, &c.dma[i]);
	for (i = 0; i < 3; i++)
		dma_pool_free(c.pool, c.blk[i], c.dma[i]);

	printf("ok context: atomic %d irqs_disabled %d\n", in_atomic(), irqs_disabled());
	spin_lock_irqsave(&sched_lock, flags);
	printf("ok context under lock: atomic %d irqs_disabled %d\n", in_atomic(), irqs_disabled());
	c.blk[0] = dma_pool_alloc(c.pool, GFP_KERNEL, &c.dma[0]); /* MARK atomic-alloc */
	c.blk[1] = dma_pool_alloc(c.pool, GFP_ATOMIC, &c.dma[1]);
	spin_unlock_irqrestore(&sched_lock, flags);

	spin_lock(&sched_lock);
	mutex_lock(&cfg_lock); /* MARK atomic-mutex */
	mutex_unlock(&cfg_lock);
	spin_unlock(&sched_lock);

	/* Outside any lock: no report. */
	mutex_lock(&cfg_lock);
	msleep(1);
	mutex_unlock(&cfg_lock);
	c.blk[2] = dma_pool_alloc(c.pool, GFP_KERNEL, &c.dma[2]);

	irq_enter();
	handler(5, &c);
	irq_exit();
	printf("ok after irq: in_interrupt %d\n", in_interrupt());

	for (i = 0; i < 4; i++)
		dma_pool_free(c.pool, c.blk[i], c.dma[i]);
	dma_pool_free(c.pool, c.blk[1], c.dma[1]); /* MARK double-free */

	buf = kmalloc(512, GFP_KERNEL);
	h = dma_map_single(&dev, buf, 512, DMA_TO_DEVICE);
	if (dma_mapping_error(&dev, h))
		return 1;
	dma_unmap_single(&dev, h, 256, DMA_TO_DEVICE); /* MARK unmap-size */
	kfree(buf);

	coh = dma_alloc_coherent(&dev, 4096, &ch, GFP_KERNEL);
	local_irq_save(flags);
	dma_free_coherent(&dev, 4096, coh, ch); /* MARK irqs-off-free */
	local_irq_restore(flags);

	spin_lock(&sched_lock);
	spin_unlock(&sched_lock);
	spin_unlock(&sched_lock); /* MARK double-unlock */
	printf("ok context at the end: atomic %d irqs_disabled %d\n", in_atomic(), irqs_disabled());

	dma_pool_destroy(c.pool);
	device_unregister(&dev);
	return 0;
}

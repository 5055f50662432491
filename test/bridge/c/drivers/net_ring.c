/*
 * A network driver's descriptor rings: a coherent TX ring and RX ring of
 * little-endian descriptors, kmalloc'd packet buffers mapped with
 * dma_map_single (checked with dma_mapping_error), the doorbell ordering
 * (dma_wmb before handing a descriptor to the device), an interrupt handler
 * that reaps completions under the ring lock, RX buffers synced for the CPU
 * and recycled to the device. The harness plays the NIC: it reads the
 * descriptors the driver posted and writes completions and packet bytes
 * at the bus addresses it was given, as the device does
 * (dmashim_device_read/write/fill from dmashim/bridge.h): through the IOMMU
 * with --iommu, into the swiotlb slots with --force-bounce, and checked
 * against the driver's live mappings.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/spinlock.h>
#include <linux/bitfield.h>
#include <linux/slab.h>
#include <linux/io.h>
#include <linux/string.h>
#include <dmashim/bridge.h>

#define RING_SIZE 16
#define RX_BUF_LEN 2048

#define DESC_OWN BIT(31)	/* the device owns it */
#define DESC_EOP BIT(30)
#define DESC_DONE BIT(29)	/* written back by the device */
#define DESC_LEN_MASK GENMASK(15, 0)
#define DESC_QUEUE_MASK GENMASK(19, 16)

struct tx_desc {
	__le64 addr;
	__le32 len;
	__le32 flags;
};

struct rx_desc {
	__le32 addr_lo;
	__le32 addr_hi;
	__le32 status;	/* DESC_* | received length */
	__le32 rsvd;
};

struct ring_buf {
	void *data;
	dma_addr_t dma;
	unsigned int len;
};

struct nic {
	struct pci_dev *pdev;
	spinlock_t lock;
	struct tx_desc *tx;
	dma_addr_t tx_dma;
	struct rx_desc *rx;
	dma_addr_t rx_dma;
	struct ring_buf tx_buf[RING_SIZE];
	struct ring_buf rx_buf[RING_SIZE];
	unsigned int tx_head, tx_tail, rx_next;
	unsigned long tx_packets, rx_packets, rx_bytes;
	u32 doorbell;	/* stands in for the tail register */
};

static int nic_alloc_rings(struct nic *nic)
{
	struct device *dev = &nic->pdev->dev;
	int i;

	BUILD_BUG_ON(sizeof(struct tx_desc) != 16);
	nic->tx = dma_alloc_coherent(dev, RING_SIZE * sizeof(*nic->tx), &nic->tx_dma, GFP_KERNEL);
	if (!nic->tx)
		return -ENOMEM;
	nic->rx = dma_alloc_coherent(dev, RING_SIZE * sizeof(*nic->rx), &nic->rx_dma, GFP_KERNEL);
	if (!nic->rx)
		goto free_tx;
	for (i = 0; i < RING_SIZE; i++) {
		struct ring_buf *b = &nic->rx_buf[i];

		b->data = kmalloc(RX_BUF_LEN, GFP_KERNEL);
		if (!b->data)
			goto free_rx;
		b->dma = dma_map_single(dev, b->data, RX_BUF_LEN, DMA_FROM_DEVICE);
		if (dma_mapping_error(dev, b->dma)) {
			kfree(b->data);
			b->data = NULL;
			goto free_rx;
		}
		b->len = RX_BUF_LEN;
		nic->rx[i].addr_lo = cpu_to_le32(lower_32_bits(b->dma));
		nic->rx[i].addr_hi = cpu_to_le32(upper_32_bits(b->dma));
		dma_wmb();
		WRITE_ONCE(nic->rx[i].status, cpu_to_le32(DESC_OWN));
	}
	return 0;

free_rx:
	while (--i >= 0) {
		dma_unmap_single(dev, nic->rx_buf[i].dma, RX_BUF_LEN, DMA_FROM_DEVICE);
		kfree(nic->rx_buf[i].data);
	}
	dma_free_coherent(dev, RING_SIZE * sizeof(*nic->rx), nic->rx, nic->rx_dma);
free_tx:
	dma_free_coherent(dev, RING_SIZE * sizeof(*nic->tx), nic->tx, nic->tx_dma);
	return -ENOMEM;
}

static void nic_free_rings(struct nic *nic)
{
	struct device *dev = &nic->pdev->dev;
	int i;

	for (i = 0; i < RING_SIZE; i++) {
		dma_unmap_single(dev, nic->rx_buf[i].dma, RX_BUF_LEN, DMA_FROM_DEVICE);
		kfree(nic->rx_buf[i].data);
	}
	dma_free_coherent(dev, RING_SIZE * sizeof(*nic->rx), nic->rx, nic->rx_dma);
	dma_free_coherent(dev, RING_SIZE * sizeof(*nic->tx), nic->tx, nic->tx_dma);
}

static int nic_xmit(struct nic *nic, const void *pkt, unsigned int len)
{
	struct device *dev = &nic->pdev->dev;
	unsigned long flags;
	struct ring_buf *b;
	struct tx_desc *d;
	void *data;
	dma_addr_t dma;

	data = kmalloc(len, GFP_ATOMIC);
	if (!data)
		return -ENOMEM;
	memcpy(data, pkt, len);
	dma = dma_map_single(dev, data, len, DMA_TO_DEVICE);
	if (unlikely(dma_mapping_error(dev, dma))) {
		kfree(data);
		return -ENOMEM;
	}

	spin_lock_irqsave(&nic->lock, flags);
	if (nic->tx_head - nic->tx_tail >= RING_SIZE) {
		spin_unlock_irqrestore(&nic->lock, flags);
		dma_unmap_single(dev, dma, len, DMA_TO_DEVICE);
		kfree(data);
		return -EBUSY;
	}
	b = &nic->tx_buf[nic->tx_head % RING_SIZE];
	d = &nic->tx[nic->tx_head % RING_SIZE];
	b->data = data;
	b->dma = dma;
	b->len = len;
	d->addr = cpu_to_le64(dma);
	d->len = cpu_to_le32(len);
	/* The descriptor body must be visible before the device may own it. */
	dma_wmb();
	WRITE_ONCE(d->flags, cpu_to_le32(DESC_OWN | DESC_EOP | FIELD_PREP(DESC_QUEUE_MASK, 2)));
	nic->tx_head++;
	wmb();
	WRITE_ONCE(nic->doorbell, nic->tx_head % RING_SIZE);
	spin_unlock_irqrestore(&nic->lock, flags);
	return 0;
}

static unsigned int nic_clean_tx(struct nic *nic)
{
	struct device *dev = &nic->pdev->dev;
	unsigned int done = 0;

	while (nic->tx_tail != nic->tx_head) {
		struct tx_desc *d = &nic->tx[nic->tx_tail % RING_SIZE];
		struct ring_buf *b = &nic->tx_buf[nic->tx_tail % RING_SIZE];
		u32 flags = le32_to_cpu(READ_ONCE(d->flags));

		if (!(flags & DESC_DONE))
			break;
		dma_rmb();
		dma_unmap_single(dev, b->dma, b->len, DMA_TO_DEVICE);
		kfree(b->data);
		b->data = NULL;
		d->flags = 0;
		nic->tx_tail++;
		nic->tx_packets++;
		done++;
	}
	return done;
}

static u32 rx_sum;

static unsigned int nic_clean_rx(struct nic *nic)
{
	struct device *dev = &nic->pdev->dev;
	unsigned int done = 0;

	for (;;) {
		struct rx_desc *d = &nic->rx[nic->rx_next];
		struct ring_buf *b = &nic->rx_buf[nic->rx_next];
		u32 status = le32_to_cpu(READ_ONCE(d->status));
		unsigned int len, i;
		const u8 *p;

		if (status & DESC_OWN || !(status & DESC_DONE))
			break;
		dma_rmb();
		len = FIELD_GET(DESC_LEN_MASK, status);
		dma_sync_single_for_cpu(dev, b->dma, len, DMA_FROM_DEVICE);
		p = b->data;
		for (i = 0; i < len; i++)
			rx_sum += p[i];
		nic->rx_bytes += len;
		nic->rx_packets++;
		/* Recycle the buffer: back to the device. */
		dma_sync_single_for_device(dev, b->dma, len, DMA_FROM_DEVICE);
		dma_wmb();
		WRITE_ONCE(d->status, cpu_to_le32(DESC_OWN));
		nic->rx_next = (nic->rx_next + 1) % RING_SIZE;
		done++;
	}
	return done;
}

static irqreturn_t nic_interrupt(int irq, void *dev_id)
{
	struct nic *nic = dev_id;
	unsigned int n;

	(void)irq;
	WARN_ON_ONCE(!in_interrupt());
	spin_lock(&nic->lock);
	n = nic_clean_tx(nic);
	n += nic_clean_rx(nic);
	spin_unlock(&nic->lock);
	return IRQ_RETVAL(n);
}

/* ---- the hardware (harness) ---- */

/* Transmit everything the driver owns-marked, then complete it; receive `npkts` packets of `len` bytes. */
static int hw_run(struct nic *nic, unsigned int from, unsigned int to, int npkts, unsigned int len, u32 *tx_sum)
{
	struct device *dev = &nic->pdev->dev;
	unsigned int i;
	int k;

	for (i = from; i != to; i++) {
		dma_addr_t at = nic->tx_dma + (i % RING_SIZE) * sizeof(struct tx_desc);
		struct tx_desc d;
		u8 pkt[512];
		u32 flags, plen, j;
		__le32 wb;

		if (dmashim_device_read(dev, at, &d, sizeof(d)))
			return -EFAULT;
		flags = le32_to_cpu(d.flags);
		plen = le32_to_cpu(d.len);
		if (!(flags & DESC_OWN) || FIELD_GET(DESC_QUEUE_MASK, flags) != 2 || plen > sizeof(pkt))
			continue;
		if (dmashim_device_read(dev, le64_to_cpu(d.addr), pkt, plen))
			return -EFAULT;
		for (j = 0; j < plen; j++)
			*tx_sum += pkt[j];
		wb = cpu_to_le32((flags & ~DESC_OWN) | DESC_DONE);
		if (dmashim_device_write(dev, at + offsetof(struct tx_desc, flags), &wb, sizeof(wb)))
			return -EFAULT;
	}
	for (k = 0; k < npkts; k++) {
		static unsigned int slot;
		dma_addr_t at = nic->rx_dma + slot * sizeof(struct rx_desc);
		struct rx_desc d;
		u64 dma;
		__le32 status;

		if (dmashim_device_read(dev, at, &d, sizeof(d)))
			return -EFAULT;
		if (!(le32_to_cpu(d.status) & DESC_OWN))
			break;
		dma = ((u64)le32_to_cpu(d.addr_hi) << 32) | le32_to_cpu(d.addr_lo);
		if (dmashim_device_fill(dev, dma, 0x11 + k, len))
			return -EFAULT;
		status = cpu_to_le32(DESC_DONE | DESC_EOP | FIELD_PREP(DESC_LEN_MASK, len));
		if (dmashim_device_write(dev, at + offsetof(struct rx_desc, status), &status, sizeof(status)))
			return -EFAULT;
		slot = (slot + 1) % RING_SIZE;
	}
	return 0;
}

static int nic_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct nic *nic;
	int err;

	(void)id;
	nic = kzalloc(sizeof(*nic), GFP_KERNEL);
	if (!nic)
		return -ENOMEM;
	nic->pdev = pdev;
	spin_lock_init(&nic->lock);
	err = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (err)
		err = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(32));
	if (err)
		goto free;
	err = nic_alloc_rings(nic);
	if (err)
		goto free;
	pci_set_drvdata(pdev, nic);
	return 0;
free:
	kfree(nic);
	return err;
}

static void nic_remove(struct pci_dev *pdev)
{
	struct nic *nic = pci_get_drvdata(pdev);

	nic_free_rings(nic);
	kfree(nic);
}

static const struct pci_device_id nic_ids[] = {
	{ PCI_VDEVICE(INTEL, 0x10d3), 0 },
	{ }
};
MODULE_DEVICE_TABLE(pci, nic_ids);

static struct pci_driver nic_driver = {
	.name = "simnic",
	.id_table = nic_ids,
	.probe = nic_probe,
	.remove = nic_remove,
};

int main(void)
{
	static struct pci_dev pdev = { .vendor = 0x8086, .device = 0x10d3 };
	u8 pkt[256];
	u32 tx_sum = 0, want_tx = 0, want_rx = 0;
	struct nic *nic;
	unsigned int i, round, head0;
	irqreturn_t ret;

	pci_setup_device(&pdev);
	dev_set_name(&pdev.dev, "0000:03:00.0");
	if (device_register(&pdev.dev) || pci_register_driver(&nic_driver) || !pdev.driver)
		return 1;
	nic = pci_get_drvdata(&pdev);

	for (i = 0; i < sizeof(pkt); i++)
		pkt[i] = (u8)i;
	for (round = 0; round < 3; round++) {
		head0 = nic->tx_head;
		for (i = 0; i < 10; i++) {
			if (nic_xmit(nic, pkt, 60 + 19 * i))
				return 1;
		}
		if (hw_run(nic, head0, nic->tx_head, 8, 100 + round, &tx_sum))
			return 1;
		for (i = 0; i < 8; i++)
			want_rx += (u32)(0x11 + i) * (100 + round);
		irq_enter();
		ret = nic_interrupt(11, nic);
		irq_exit();
		if (ret != IRQ_HANDLED)
			return 1;
	}
	for (round = 0; round < 3; round++)
		for (i = 0; i < 10; i++) {
			unsigned int len = 60 + 19 * i, j;
			for (j = 0; j < len; j++)
				want_tx += pkt[j];
		}
	printf("%s tx %lu packets, head %u tail %u, doorbell %u\n",
	       nic->tx_packets == 30 && tx_sum == want_tx ? "ok" : "BAD",
	       nic->tx_packets, nic->tx_head, nic->tx_tail, nic->doorbell);
	printf("%s rx %lu packets, %lu bytes\n", nic->rx_packets == 24 && rx_sum == want_rx ? "ok" : "BAD",
	       nic->rx_packets, nic->rx_bytes);
	pci_unregister_driver(&nic_driver);
	device_unregister(&pdev.dev);
	return 0;
}

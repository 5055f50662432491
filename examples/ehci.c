/* SPDX-License-Identifier: MIT */
/*
 * An EHCI host controller's DMA memory, the way drivers/usb/host/ehci-mem.c
 * and drivers/usb/core/buffer.c set it up, written against dmashim's
 * include/linux headers and run on the TypeScript core:
 *
 *     npx dmashim run examples/ehci.c
 *
 * The driver part (probe, pools, qh/qtd allocation, remove) is plain kernel C;
 * main() plays the PCI core and user space: it sets up the controller's
 * pci_dev, registers it, loads the driver, links three queue heads into the
 * async ring, prints the device's pools file (the one examples/ehci.ts prints)
 * and unloads the driver. Everything is given back, so the run exits 0: a
 * block or buffer left behind would be a leak finding (exit status 3).
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/dmapool.h>
#include <linux/dma-mapping.h>
#include <linux/slab.h>
#include <dmashim/bridge.h>

/* ---- hardware structures (EHCI spec 1.0, 64-bit variants), as in ehci.h ---- */

struct ehci_qtd {
	__le32 hw_next;
	__le32 hw_alt_next;
	__le32 hw_token;
	__le32 hw_buf[5];
	__le32 hw_buf_hi[5];
	/* the rest is HCD-private */
	dma_addr_t qtd_dma;
	struct list_head qtd_list;
	void *urb;
	size_t length;
} __aligned(32);

struct ehci_qh_hw {
	__le32 hw_next;
	__le32 hw_info1;
	__le32 hw_info2;
	__le32 hw_current;
	__le32 hw_qtd_next;
	__le32 hw_alt_next;
	__le32 hw_token;
	__le32 hw_buf[5];
	__le32 hw_buf_hi[5];
} __aligned(32);

struct ehci_itd {
	__le32 hw_next;
	__le32 hw_transaction[8];
	__le32 hw_bufp[7];
	__le32 hw_bufp_hi[7];
	dma_addr_t itd_dma;
	struct list_head itd_list;
	void *urb;
	void *stream;
	struct list_head itd_sitd_list;
	unsigned int index[8];
	unsigned int frame;
	unsigned int pg;
} __aligned(32);

struct ehci_sitd {
	__le32 hw_next;
	__le32 hw_fullspeed_ep;
	__le32 hw_uframe;
	__le32 hw_results;
	__le32 hw_buf[2];
	__le32 hw_backpointer;
	__le32 hw_buf_hi[2];
	dma_addr_t sitd_dma;
	struct list_head sitd_list;
	void *urb;
	void *stream;
	unsigned int frame;
	unsigned int index;
} __aligned(32);

/* The sizes the pools are created with: qtd/qh/sitd 96, itd 192 bytes. */
_Static_assert(sizeof(struct ehci_qtd) == 96, "ehci_qtd is 96 bytes");
_Static_assert(sizeof(struct ehci_qh_hw) == 96, "ehci_qh_hw is 96 bytes");
_Static_assert(sizeof(struct ehci_itd) == 192, "ehci_itd is 192 bytes");
_Static_assert(sizeof(struct ehci_sitd) == 96, "ehci_sitd is 96 bytes");

struct ehci_qh {
	struct ehci_qh_hw *hw;
	dma_addr_t qh_dma;
	struct ehci_qtd *dummy;
};

#define DEFAULT_I_TDPS 1024
#define QTD_NEXT(dma) ((__le32)(dma))
#define EHCI_LIST_END ((__le32)1)

struct ehci_hcd {
	struct device *dev;
	struct dma_pool *pool[4];	/* usb/core/buffer.c's hcd->pool[] */
	struct dma_pool *qtd_pool;
	struct dma_pool *qh_pool;
	struct dma_pool *itd_pool;
	struct dma_pool *sitd_pool;
	__le32 *periodic;
	dma_addr_t periodic_dma;
	void **pshadow;
	struct ehci_qh *async;
};

/* ---- drivers/usb/core/buffer.c ---- */

static const size_t pool_max[4] = { 32, 128, 512, 2048 };

static int hcd_buffer_create(struct ehci_hcd *hcd)
{
	char name[16];
	for (int i = 0; i < 4; i++) {
		size_t size = pool_max[i];
		snprintf(name, sizeof(name), "buffer-%zu", size);
		hcd->pool[i] = dma_pool_create(name, hcd->dev, size, size, 0);
		if (!hcd->pool[i])
			return -ENOMEM;
	}
	return 0;
}

/* ---- drivers/usb/host/ehci-mem.c ---- */

static struct ehci_qtd *ehci_qtd_alloc(struct ehci_hcd *ehci, gfp_t flags)
{
	dma_addr_t dma;
	struct ehci_qtd *qtd = dma_pool_zalloc(ehci->qtd_pool, flags, &dma);
	if (qtd) {
		qtd->qtd_dma = dma;
		qtd->hw_token = 1u << 6; /* QTD_STS_HALT */
		qtd->hw_next = EHCI_LIST_END;
		qtd->hw_alt_next = EHCI_LIST_END;
	}
	return qtd;
}

static void ehci_qtd_free(struct ehci_hcd *ehci, struct ehci_qtd *qtd)
{
	dma_pool_free(ehci->qtd_pool, qtd, qtd->qtd_dma);
}

static struct ehci_qh *ehci_qh_alloc(struct ehci_hcd *ehci, gfp_t flags)
{
	struct ehci_qh *qh = kzalloc(sizeof(*qh), flags);
	if (!qh)
		return NULL;
	qh->hw = dma_pool_zalloc(ehci->qh_pool, flags, &qh->qh_dma);
	if (!qh->hw)
		goto fail;
	qh->dummy = ehci_qtd_alloc(ehci, flags);
	if (!qh->dummy) {
		dev_dbg(ehci->dev, "no dummy td\n");
		dma_pool_free(ehci->qh_pool, qh->hw, qh->qh_dma);
		goto fail;
	}
	return qh;
fail:
	kfree(qh);
	return NULL;
}

static void qh_destroy(struct ehci_hcd *ehci, struct ehci_qh *qh)
{
	if (qh->dummy)
		ehci_qtd_free(ehci, qh->dummy);
	dma_pool_free(ehci->qh_pool, qh->hw, qh->qh_dma);
	kfree(qh);
}

static void ehci_mem_cleanup(struct ehci_hcd *ehci)
{
	if (ehci->async)
		qh_destroy(ehci, ehci->async);
	ehci->async = NULL;
	dma_pool_destroy(ehci->qtd_pool);
	dma_pool_destroy(ehci->qh_pool);
	dma_pool_destroy(ehci->itd_pool);
	dma_pool_destroy(ehci->sitd_pool);
	if (ehci->periodic)
		dma_free_coherent(ehci->dev, DEFAULT_I_TDPS * sizeof(__le32), ehci->periodic, ehci->periodic_dma);
	ehci->periodic = NULL;
	kfree(ehci->pshadow);
	ehci->pshadow = NULL;
}

static int ehci_mem_init(struct ehci_hcd *ehci, gfp_t flags)
{
	ehci->qtd_pool = dma_pool_create("ehci_qtd", ehci->dev, sizeof(struct ehci_qtd), 32, 4096);
	if (!ehci->qtd_pool)
		goto fail;
	ehci->qh_pool = dma_pool_create("ehci_qh", ehci->dev, sizeof(struct ehci_qh_hw), 32, 4096);
	if (!ehci->qh_pool)
		goto fail;
	ehci->async = ehci_qh_alloc(ehci, flags);
	if (!ehci->async)
		goto fail;
	ehci->itd_pool = dma_pool_create("ehci_itd", ehci->dev, sizeof(struct ehci_itd), 32, 4096);
	if (!ehci->itd_pool)
		goto fail;
	ehci->sitd_pool = dma_pool_create("ehci_sitd", ehci->dev, sizeof(struct ehci_sitd), 32, 4096);
	if (!ehci->sitd_pool)
		goto fail;
	ehci->periodic = dma_alloc_coherent(ehci->dev, DEFAULT_I_TDPS * sizeof(__le32), &ehci->periodic_dma, flags);
	if (!ehci->periodic)
		goto fail;
	for (int i = 0; i < DEFAULT_I_TDPS; i++)
		ehci->periodic[i] = EHCI_LIST_END;
	ehci->pshadow = kcalloc(DEFAULT_I_TDPS, sizeof(void *), flags);
	if (!ehci->pshadow)
		goto fail;
	return 0;
fail:
	dev_dbg(ehci->dev, "couldn't init memory\n");
	ehci_mem_cleanup(ehci);
	return -ENOMEM;
}

/* ---- the PCI glue (ehci-pci.c) ---- */

static struct ehci_hcd the_ehci;

static int ehci_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct ehci_hcd *ehci = &the_ehci;
	int rc;

	(void)id;
	rc = pci_enable_device(pdev);
	if (rc)
		return rc;
	pci_set_master(pdev);
	ehci->dev = &pdev->dev;
	rc = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(32));
	if (rc)
		return rc;
	rc = hcd_buffer_create(ehci);
	if (rc)
		return rc;
	rc = ehci_mem_init(ehci, GFP_KERNEL);
	if (rc)
		return rc;
	pci_set_drvdata(pdev, ehci);
	dev_info(&pdev->dev, "EHCI Host Controller, periodic table at %pad\n", &ehci->periodic_dma);
	return 0;
}

static void ehci_pci_remove(struct pci_dev *pdev)
{
	struct ehci_hcd *ehci = pci_get_drvdata(pdev);
	ehci_mem_cleanup(ehci);
	for (int i = 0; i < 4; i++)
		dma_pool_destroy(ehci->pool[i]);
}

static const struct pci_device_id pci_ids[] = {
	{ PCI_DEVICE_CLASS(PCI_CLASS_SERIAL_USB_EHCI, ~0u) },
	{ 0 }
};

static struct pci_driver ehci_pci_driver = {
	.name = "ehci-pci",
	.id_table = pci_ids,
	.probe = ehci_pci_probe,
	.remove = ehci_pci_remove,
};

/* ---- the async schedule: queue heads in a ring, as ehci_run() and qh_link_async() leave it ---- */

#define QH_HEAD (1u << 15)
#define Q_TYPE_QH (1u << 1)
#define NR_QH 3

static struct ehci_qh *ring[NR_QH];

static int link_async_ring(struct ehci_hcd *ehci)
{
	ring[0] = ehci->async;
	ring[0]->hw->hw_info1 = QH_HEAD;
	for (int i = 1; i < NR_QH; i++) {
		ring[i] = ehci_qh_alloc(ehci, GFP_ATOMIC);
		if (!ring[i])
			return -ENOMEM;
	}
	for (int i = 0; i < NR_QH; i++) {
		struct ehci_qh_hw *hw = ring[i]->hw;
		hw->hw_qtd_next = QTD_NEXT(ring[i]->dummy->qtd_dma);
		hw->hw_alt_next = EHCI_LIST_END;
		hw->hw_next = (__le32)ring[(i + 1) % NR_QH]->qh_dma | Q_TYPE_QH;
	}
	return 0;
}

static struct pci_dev ehci_pdev = {
	.vendor = PCI_VENDOR_ID_INTEL,
	.device = 0x293a,	/* 82801I (ICH9) USB2 EHCI */
	.class = PCI_CLASS_SERIAL_USB_EHCI,
};

int main(void)
{
	/* What the PCI core does when it finds the controller. */
	pci_setup_device(&ehci_pdev);
	dev_set_name(&ehci_pdev.dev, "0000:00:1a.0");
	if (device_register(&ehci_pdev.dev))
		return 1;
	if (pci_register_driver(&ehci_pci_driver))
		return 1;
	if (!pci_get_drvdata(&ehci_pdev)) {
		pr_err("ehci-pci: probe failed\n");
		return 1;
	}
	if (link_async_ring(&the_ehci)) {
		pr_err("ehci-pci: out of DMA memory\n");
		return 1;
	}
	dev_info(&ehci_pdev.dev, "async ring: qh %#llx -> %#llx -> %#llx, periodic at %#llx\n",
		 (unsigned long long)ring[0]->qh_dma, (unsigned long long)ring[1]->qh_dma,
		 (unsigned long long)ring[2]->qh_dma, (unsigned long long)the_ehci.periodic_dma);
	/* What `cat /sys/bus/pci/devices/0000:00:1a.0/pools` shows while the driver runs. */
	static char pools[4096];
	if (dmashim_sysfs_read(&ehci_pdev.dev, "pools", pools, sizeof(pools)) < 0)
		return 1;
	printf("$ cat /sys/bus/pci/devices/%s/pools\n%s", pci_name(&ehci_pdev), pools);

	/* Unload: the ring's extra queue heads, then the driver's remove() and the device. */
	for (int i = 1; i < NR_QH; i++)
		qh_destroy(&the_ehci, ring[i]);
	pci_unregister_driver(&ehci_pci_driver);
	device_unregister(&ehci_pdev.dev);
	return 0;
}

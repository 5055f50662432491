/*
 * NVMe-style PRP lists: a page-sized "prp list page" pool and a small
 * "prp list 256" pool, PRP lists built for transfers of several sizes
 * (chaining list pages when one is not enough), walked back as the
 * controller would, then freed. The driver part is written the way PCIe
 * storage drivers write it; main() is the harness that plays the PCI core.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/dmapool.h>
#include <linux/dma-mapping.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/kernel.h>

#define NVME_CTRL_PAGE_SHIFT 12
#define NVME_CTRL_PAGE_SIZE (1 << NVME_CTRL_PAGE_SHIFT)
#define NVME_SMALL_POOL_SIZE 256
#define PRPS_PER_PAGE (NVME_CTRL_PAGE_SIZE / sizeof(__le64))
#define MAX_LIST_PAGES 8

struct nvme_dev {
	struct device *dev;
	struct dma_pool *prp_page_pool;
	struct dma_pool *prp_small_pool;
};

struct nvme_iod {
	int npages;		/* -1: no list; 0: one small list; >0: list pages */
	dma_addr_t first_dma;
	__le64 *list[MAX_LIST_PAGES];
	dma_addr_t list_dma[MAX_LIST_PAGES];
	__le64 prp1, prp2;
};

static int nvme_setup_prp_pools(struct nvme_dev *dev)
{
	dev->prp_page_pool = dma_pool_create("prp list page", dev->dev, NVME_CTRL_PAGE_SIZE, NVME_CTRL_PAGE_SIZE, 0);
	if (!dev->prp_page_pool)
		return -ENOMEM;
	/* Optimisation for I/Os between 4k and 128k */
	dev->prp_small_pool = dma_pool_create("prp list 256", dev->dev, NVME_SMALL_POOL_SIZE, NVME_SMALL_POOL_SIZE, 0);
	if (!dev->prp_small_pool) {
		dma_pool_destroy(dev->prp_page_pool);
		return -ENOMEM;
	}
	return 0;
}

static void nvme_release_prp_pools(struct nvme_dev *dev)
{
	dma_pool_destroy(dev->prp_page_pool);
	dma_pool_destroy(dev->prp_small_pool);
}

/* Build the PRPs for a buffer of `length` bytes that starts at bus address `dma_addr`. */
static int nvme_setup_prps(struct nvme_dev *dev, struct nvme_iod *iod, dma_addr_t dma_addr, int length)
{
	int offset = dma_addr & (NVME_CTRL_PAGE_SIZE - 1);
	struct dma_pool *pool;
	__le64 *prp_list;
	dma_addr_t prp_dma;
	int nprps, i;

	iod->prp1 = cpu_to_le64(dma_addr);
	length -= (NVME_CTRL_PAGE_SIZE - offset);
	if (length <= 0) {
		iod->npages = -1;
		iod->prp2 = 0;
		return 0;
	}
	dma_addr += (NVME_CTRL_PAGE_SIZE - offset);
	if (length <= NVME_CTRL_PAGE_SIZE) {
		iod->npages = -1;
		iod->prp2 = cpu_to_le64(dma_addr);
		return 0;
	}

	nprps = DIV_ROUND_UP(length, NVME_CTRL_PAGE_SIZE);
	if (nprps <= (NVME_SMALL_POOL_SIZE / 8)) {
		pool = dev->prp_small_pool;
		iod->npages = 0;
	} else {
		pool = dev->prp_page_pool;
		iod->npages = 1;
	}

	prp_list = dma_pool_alloc(pool, GFP_ATOMIC, &prp_dma);
	if (!prp_list) {
		iod->npages = -1;
		return -ENOMEM;
	}
	iod->list[0] = prp_list;
	iod->list_dma[0] = prp_dma;
	iod->first_dma = prp_dma;
	i = 0;
	for (;;) {
		if (i == NVME_CTRL_PAGE_SIZE >> 3) {
			/* The last slot of a full page points at the next list page. */
			__le64 *old_prp_list = prp_list;

			if (WARN_ON_ONCE(iod->npages >= MAX_LIST_PAGES))
				return -EINVAL;
			prp_list = dma_pool_alloc(pool, GFP_ATOMIC, &prp_dma);
			if (!prp_list)
				return -ENOMEM;
			iod->list[iod->npages] = prp_list;
			iod->list_dma[iod->npages++] = prp_dma;
			prp_list[0] = old_prp_list[i - 1];
			old_prp_list[i - 1] = cpu_to_le64(prp_dma);
			i = 1;
		}
		prp_list[i++] = cpu_to_le64(dma_addr);
		dma_addr += NVME_CTRL_PAGE_SIZE;
		length -= NVME_CTRL_PAGE_SIZE;
		if (length <= 0)
			break;
	}
	iod->prp2 = cpu_to_le64(iod->first_dma);
	return 0;
}

static void nvme_free_prps(struct nvme_dev *dev, struct nvme_iod *iod)
{
	int i;

	if (iod->npages == 0)
		dma_pool_free(dev->prp_small_pool, iod->list[0], iod->list_dma[0]);
	for (i = 0; i < iod->npages; i++)
		dma_pool_free(dev->prp_page_pool, iod->list[i], iod->list_dma[i]);
}

/* The controller's side: follow PRP1, PRP2 and the list chain; count the pages and check they are consecutive. */
static int walk_prps(struct nvme_iod *iod, dma_addr_t start, int length)
{
	int offset = start & (NVME_CTRL_PAGE_SIZE - 1);
	int pages = DIV_ROUND_UP(offset + length, NVME_CTRL_PAGE_SIZE);
	dma_addr_t expect = ALIGN_DOWN(start, NVME_CTRL_PAGE_SIZE);
	__le64 *list;
	int n = 0, slot = 0, page = 0;

	if (le64_to_cpu(iod->prp1) != start)
		return -1;
	n++;
	expect += NVME_CTRL_PAGE_SIZE;
	if (pages == 1)
		return n;
	if (pages == 2)
		return le64_to_cpu(iod->prp2) == expect ? 2 : -2;
	/* PRP2 is a list pointer: find the list in our table by its bus address, as a DMA read would. */
	list = NULL;
	for (page = 0; page < max(iod->npages, 1); page++)
		if (iod->list_dma[page] == le64_to_cpu(iod->prp2))
			list = iod->list[page];
	if (!list)
		return -3;
	while (n < pages) {
		u64 e = le64_to_cpu(list[slot]);
		if (slot == (int)PRPS_PER_PAGE - 1 && n < pages - 1) {
			/* a chain pointer */
			list = NULL;
			for (page = 0; page < iod->npages; page++)
				if (iod->list_dma[page] == e)
					list = iod->list[page];
			if (!list)
				return -4;
			slot = 0;
			continue;
		}
		if (e != expect)
			return -5;
		expect += NVME_CTRL_PAGE_SIZE;
		n++;
		slot++;
	}
	return n;
}

static int nvme_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct nvme_dev *ndev;
	static const int lengths[] = { 512, SZ_4K, SZ_8K, SZ_64K, SZ_128K, SZ_2M, SZ_4M };
	unsigned int i;
	int rc;

	(void)id;
	ndev = kzalloc(sizeof(*ndev), GFP_KERNEL);
	if (!ndev)
		return -ENOMEM;
	ndev->dev = &pdev->dev;
	pci_set_drvdata(pdev, ndev);
	if (dma_set_mask_and_coherent(ndev->dev, DMA_BIT_MASK(64)))
		goto disable;
	rc = nvme_setup_prp_pools(ndev);
	if (rc)
		goto disable;

	for (i = 0; i < ARRAY_SIZE(lengths); i++) {
		struct nvme_iod iod = { 0 };
		/* A buffer at an odd offset in a page, in a 64-bit bus range. */
		dma_addr_t start = 0x1234500000ULL + 0x200;
		int pages = DIV_ROUND_UP(0x200 + lengths[i], NVME_CTRL_PAGE_SIZE);
		int got;

		rc = nvme_setup_prps(ndev, &iod, start, lengths[i]);
		if (rc) {
			dev_err(ndev->dev, "prp setup failed for %d bytes: %d\n", lengths[i], rc);
			nvme_free_prps(ndev, &iod);
			break;
		}
		got = walk_prps(&iod, start, lengths[i]);
		printf("%s prps %d bytes: %d pages, %d list pages (%s)\n", got == pages ? "ok" : "BAD", lengths[i],
		       got, iod.npages, iod.npages == 0 ? "prp list 256" : iod.npages > 0 ? "prp list page" : "none");
		nvme_free_prps(ndev, &iod);
	}
	dev_info(ndev->dev, "pci function %s\n", dev_name(&pdev->dev));
	return 0;
disable:
	kfree(ndev);
	return -ENODEV;
}

static void nvme_remove(struct pci_dev *pdev)
{
	struct nvme_dev *ndev = pci_get_drvdata(pdev);

	nvme_release_prp_pools(ndev);
	kfree(ndev);
}

static const struct pci_device_id nvme_id_table[] = {
	{ PCI_DEVICE(0x144d, 0xa808) },
	{ PCI_DEVICE_CLASS(0x010802, 0xffffff) },
	{ 0, }
};
MODULE_DEVICE_TABLE(pci, nvme_id_table);

static struct pci_driver nvme_driver = {
	.name = "nvme",
	.id_table = nvme_id_table,
	.probe = nvme_probe,
	.remove = nvme_remove,
};

MODULE_AUTHOR("dmashim tests");
MODULE_LICENSE("GPL");
MODULE_VERSION("1.0");

/* ---- harness: the PCI core finds one NVMe controller ---- */
int main(void)
{
	static struct pci_dev pdev = { .vendor = 0x144d, .device = 0xa808, .class = 0x010802 };

	pci_setup_device(&pdev);
	dev_set_name(&pdev.dev, "0000:01:00.0");
	if (device_register(&pdev.dev))
		return 1;
	if (pci_register_driver(&nvme_driver))
		return 1;
	if (!pdev.driver) {
		printf("BAD probe\n");
		return 1;
	}
	pci_unregister_driver(&nvme_driver);
	device_unregister(&pdev.dev);
	printf("ok nvme\n");
	return 0;
}

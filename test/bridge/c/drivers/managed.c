/*
 * A managed (devres) driver: dmam_pool_create and dmam_alloc_coherent in
 * probe, the 64-then-32-bit mask fallback, dev_err_probe on a failing
 * step, ERR_PTR/IS_ERR/PTR_ERR for a helper that returns an object or an
 * error, printing with %pad, %pa, %zu. Nothing is freed by hand: driver
 * detach releases the pool and the ring (the harness checks the pools file);
 * remove() gives the pool's blocks back first, as devres expects.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt
#define KBUILD_MODNAME "mgd"

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/dmapool.h>
#include <linux/dma-mapping.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/slab.h>
#include <dmashim/bridge.h>

#define MGD_CMD_SIZE 64
#define MGD_RING_ENTRIES 128

struct mgd_cmd {
	__le64 buf;
	__le32 len;
	__le32 ctrl;
	u8 pad[48];
};

struct mgd_priv {
	struct device *dev;
	struct dma_pool *cmd_pool;
	struct mgd_cmd *ring;
	dma_addr_t ring_dma;
	size_t ring_size;
	bool dac;
	struct mgd_cmd *cmd;
	dma_addr_t cmd_dma;
};

static struct mgd_cmd *mgd_get_cmd(struct mgd_priv *priv, dma_addr_t *dma)
{
	struct mgd_cmd *cmd = dma_pool_zalloc(priv->cmd_pool, GFP_KERNEL, dma);

	if (!cmd)
		return ERR_PTR(-ENOMEM);
	if (!IS_ALIGNED(*dma, MGD_CMD_SIZE))
		return ERR_PTR(-EFAULT);
	return cmd;
}

static int mgd_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct mgd_priv *priv;
	struct mgd_cmd *cmd;
	dma_addr_t cmd_dma;
	phys_addr_t ring_phys;
	int err;

	err = pci_enable_device(pdev);
	if (err)
		return dev_err_probe(dev, err, "cannot enable device\n");
	pci_set_master(pdev);

	priv = kzalloc(sizeof(*priv), GFP_KERNEL);
	if (!priv)
		return -ENOMEM;
	priv->dev = dev;

	if (!dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64))) {
		priv->dac = true;
	} else {
		err = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32));
		if (err) {
			dev_err(dev, "No usable DMA configuration, aborting\n");
			goto err_free;
		}
	}

	priv->cmd_pool = dmam_pool_create("mgd_cmd", dev, sizeof(struct mgd_cmd), MGD_CMD_SIZE, 0);
	if (!priv->cmd_pool) {
		err = -ENOMEM;
		goto err_free;
	}
	priv->ring_size = MGD_RING_ENTRIES * sizeof(*priv->ring);
	priv->ring = dmam_alloc_coherent(dev, priv->ring_size, &priv->ring_dma, GFP_KERNEL);
	if (!priv->ring) {
		err = dev_err_probe(dev, -ENOMEM, "ring of %zu bytes\n", priv->ring_size);
		goto err_free;
	}
	ring_phys = virt_to_phys(priv->ring);
	dev_info(dev, "ring %zu bytes at %pad (phys %pa), %s addressing, id %04x:%04x\n", priv->ring_size,
		 &priv->ring_dma, &ring_phys, priv->dac ? "64-bit" : "32-bit", id->vendor, id->device);

	cmd = mgd_get_cmd(priv, &cmd_dma);
	if (IS_ERR(cmd)) {
		err = PTR_ERR(cmd);
		goto err_free;
	}
	cmd->buf = cpu_to_le64(priv->ring_dma);
	cmd->len = cpu_to_le32(priv->ring_size);
	printf("ok cmd at %s boundary, buf %s\n", IS_ALIGNED(cmd_dma, MGD_CMD_SIZE) ? "64-byte" : "no",
	       le64_to_cpu(cmd->buf) == priv->ring_dma ? "matches" : "differs");
	/* Blocks must be back before devres destroys the pool, or it reports "busy" and leaks its pages. */
	priv->cmd = cmd;
	priv->cmd_dma = cmd_dma;

	pci_set_drvdata(pdev, priv);
	return 0;

err_free:
	kfree(priv);
	return err;
}

static void mgd_remove(struct pci_dev *pdev)
{
	struct mgd_priv *priv = pci_get_drvdata(pdev);

	dma_pool_free(priv->cmd_pool, priv->cmd, priv->cmd_dma);
	kfree(priv);
}

static const struct pci_device_id mgd_ids[] = {
	{ PCI_DEVICE(0x1af4, 0x10f0) },
	{ }
};
MODULE_DEVICE_TABLE(pci, mgd_ids);

static struct pci_driver mgd_driver = {
	.name = KBUILD_MODNAME,
	.id_table = mgd_ids,
	.probe = mgd_probe,
	.remove = mgd_remove,
};

MODULE_LICENSE("GPL");

/* ---- harness ---- */
static char buf[4096];

int main(void)
{
	static struct pci_dev pdev = { .vendor = 0x1af4, .device = 0x10f0 };

	pci_setup_device(&pdev);
	dev_set_name(&pdev.dev, "0000:02:00.0");
	if (device_register(&pdev.dev) || pci_register_driver(&mgd_driver))
		return 1;
	if (dmashim_sysfs_read(&pdev.dev, "pools", buf, sizeof(buf)) < 0)
		return 1;
	printf("%s pool while bound\n", strstr(buf, "mgd_cmd             1") ? "ok" : "BAD");
	pci_unregister_driver(&mgd_driver);
	buf[0] = 0;
	dmashim_sysfs_read(&pdev.dev, "pools", buf, sizeof(buf));
	printf("%s released on detach\n", strstr(buf, "mgd_cmd") ? "BAD" : "ok");
	/* Probe once more: the device binds again with fresh managed resources. */
	if (pci_register_driver(&mgd_driver) || !pdev.driver)
		return 1;
	pci_unregister_driver(&mgd_driver);
	device_unregister(&pdev.dev);
	pr_info("done\n");
	return 0;
}

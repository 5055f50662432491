/*
 * The driver model from C (test/bridge/devmodel-c.test.ts): reference counts
 * and release, devres order across devm_ and dmam_ resources, a device that is
 * deleted but still held, one already released, sysfs files, and a PCI
 * device's config space, resources, enabling and regions. Prints one line per
 * fact; the test compares them.
 */
#include <linux/module.h>
#include <linux/device.h>
#include <linux/pci.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <dmashim/bridge.h>
#include <stdio.h>
#include <string.h>

static int released;
static char order[128];

static void note(const char *what)
{
	strncat(order, what, sizeof(order) - strlen(order) - 1);
}

static int kref_read_hack(struct device *dev);

static void plain_release(struct device *dev)
{
	released++;
	printf("release %s refcount %d\n", dev_name(dev), kref_read_hack(dev));
}

static int kref_read_hack(struct device *dev)
{
	return atomic_read(&dev->kobj.kref.refcount.refs);
}

static void action_a(void *data) { (void)data; note("A"); }
static void action_b(void *data) { note((const char *)data); }
static void res_release(struct device *dev, void *res)
{
	(void)dev;
	note(*(int *)res == 42 ? "R" : "r?");
}

/* Whether the managed pool is still there when the action runs: the list interleaves C and core resources. */
static struct device child;
static void pool_probe(void *data)
{
	char buf[512] = "";
	dmashim_sysfs_read(&child, "pools", buf, sizeof(buf));
	note((const char *)data);
	note(strstr(buf, "dm ") ? "+" : "-");
}

static ssize_t hello_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	(void)attr;
	return sprintf(buf, "hello from %s\n", dev_name(dev));
}
static DEVICE_ATTR_RO(hello);

static struct device parent;

int main(void)
{
	/* References: initialize gives 1, get/put count, the last put releases once. */
	parent.release = plain_release;
	dev_set_name(&parent, "parent0");
	printf("register %d\n", device_register(&parent));
	printf("parent name %s\n", dev_name(&parent));
	printf("kobj %s init %d sysfs %d refcount %d node %d\n", parent.kobj.name, parent.kobj.state_initialized,
	       parent.kobj.state_in_sysfs, kref_read_hack(&parent), dev_to_node(&parent));
	set_dev_node(&parent, 0);
	printf("node %d\n", dev_to_node(&parent));
	child.release = plain_release;
	child.parent = &parent;
	dev_set_name(&child, "child0");
	int rc = device_register(&child);
	printf("child register %d parent refcount %d kobj.parent %s\n", rc, kref_read_hack(&parent),
	       child.kobj.parent == &parent.kobj ? "ok" : "BAD");
	printf("get %s\n", get_device(&child) == &child ? "ok" : "BAD");
	printf("refcount %d\n", kref_read_hack(&child));
	dev_set_drvdata(&child, &released);
	printf("drvdata %s\n", dev_get_drvdata(&child) == &released ? "ok" : "BAD");

	/* devres: one list, newest first, C and core resources mixed. */
	child.dma_mask = &child.coherent_dma_mask;
	dma_set_mask_and_coherent(&child, DMA_BIT_MASK(64));
	char *p = devm_kzalloc(&child, 100, GFP_KERNEL);
	printf("devm_kzalloc %s zero %d\n", p ? "ok" : "NULL", p ? p[99] : -1);
	devm_add_action(&child, action_a, NULL);
	dma_addr_t h;
	void *co = dmam_alloc_coherent(&child, 4096, &h, GFP_KERNEL);
	printf("dmam_alloc_coherent %s\n", co ? "ok" : "NULL");
	int *r = devres_alloc(res_release, sizeof(int), GFP_KERNEL);
	*r = 42;
	devres_add(&child, r);
	devm_add_action_or_reset(&child, action_b, "B");
	devm_add_action(&child, action_b, "X");
	devm_remove_action(&child, action_b, "X");
	devm_add_action(&child, action_b, "Y");
	devm_release_action(&child, action_b, "Y");
	printf("released early %s\n", order);
	int *q = devm_kcalloc(&child, 4, sizeof(int), GFP_KERNEL);
	devm_kfree(&child, q);
	devm_add_action(&child, pool_probe, "P");
	struct dma_pool *pool = dmam_pool_create("dm", &child, 64, 64, 0);
	printf("dmam_pool_create %s\n", pool ? "ok" : "NULL");
	devm_add_action(&child, pool_probe, "Q");

	/* sysfs */
	printf("create_file %d\n", device_create_file(&child, &dev_attr_hello));
	char buf[128];
	dmashim_sysfs_read(&child, "hello", buf, sizeof(buf));
	printf("sysfs %s", buf);
	printf("create_file again %d\n", device_create_file(&child, &dev_attr_hello));
	device_remove_file(&child, &dev_attr_hello);

	/* device_unregister releases the resources (detach); the extra reference keeps the device. */
	order[0] = 0;
	device_unregister(&child);
	printf("after unregister order %s released %d\n", order, released);
	/* Deleted but held: managed memory taken now goes at the last put. */
	void *late_co = dmam_alloc_coherent(&child, 4096, &h, GFP_KERNEL);
	printf("dmam after del %s\n", late_co ? "ok" : "NULL");
	put_device(&child);
	printf("after put released %d parent refcount %d\n", released, kref_read_hack(&parent));
	/* Released: every managed allocator refuses. */
	printf("dmam after release %s\n", dmam_alloc_coherent(&child, 4096, &h, GFP_KERNEL) ? "BAD" : "NULL");
	printf("devm after release %s\n", devm_kzalloc(&child, 16, GFP_KERNEL) ? "BAD" : "NULL");
	printf("pool after release %s\n", dmam_pool_create("x", &child, 64, 8, 0) ? "BAD" : "NULL");
	put_device(&child); /* one put too many */
	device_unregister(&parent);
	printf("parent released %d\n", released);

	/* PCI */
	static struct pci_dev pdev = { .vendor = 0x8086, .device = 0x10d3, .revision = 3, .class = 0x020000,
				       .subsystem_vendor = 0x1af4, .subsystem_device = 0x1100 };
	pci_setup_device(&pdev);
	dmashim_pci_set_resource(&pdev, 0, 0xfebc0000, 0x20000, IORESOURCE_MEM);
	dmashim_pci_set_resource(&pdev, 2, 0xe0000000, 0x100000,
				 IORESOURCE_MEM | IORESOURCE_MEM_64 | IORESOURCE_PREFETCH);
	dmashim_pci_set_resource(&pdev, 4, 0xe000, 0x20, IORESOURCE_IO);
	u8 cap = 0x40;
	dmashim_pci_config_set(&pdev, PCI_CAPABILITY_LIST, &cap, 1);
	dev_set_name(&pdev.dev, "0000:03:00.0");
	device_register(&pdev.dev);
	printf("bar0 %llx len %llx end %llx flags %lx\n", (unsigned long long)pci_resource_start(&pdev, 0),
	       (unsigned long long)pci_resource_len(&pdev, 0), (unsigned long long)pci_resource_end(&pdev, 0),
	       pci_resource_flags(&pdev, 0));
	printf("bar1 len %llx bar2 len %llx bar4 %llx io %d\n", (unsigned long long)pci_resource_len(&pdev, 1),
	       (unsigned long long)pci_resource_len(&pdev, 2), (unsigned long long)pci_resource_start(&pdev, 4),
	       !!(pci_resource_flags(&pdev, 4) & IORESOURCE_IO));
	u16 w;
	u32 d;
	u8 b;
	pci_read_config_word(&pdev, PCI_VENDOR_ID, &w);
	printf("vendor %04x", w);
	pci_read_config_word(&pdev, PCI_DEVICE_ID, &w);
	printf(" device %04x", w);
	pci_read_config_dword(&pdev, PCI_CLASS_REVISION, &d);
	printf(" class_rev %08x", d);
	pci_read_config_dword(&pdev, PCI_SUBSYSTEM_VENDOR_ID, &d);
	printf(" subsys %08x", d);
	pci_read_config_byte(&pdev, PCI_CAPABILITY_LIST, &b);
	printf(" cap %02x", b);
	pci_read_config_dword(&pdev, PCI_BASE_ADDRESS_2, &d);
	printf(" bar2reg %08x", d);
	pci_read_config_dword(&pdev, PCI_BASE_ADDRESS_4, &d);
	printf(" bar4reg %08x\n", d);
	rc = pci_read_config_word(&pdev, 1, &w);
	printf("misaligned %x val %04x\n", rc, w);
	rc = pci_read_config_dword(&pdev, 256, &d);
	printf("beyond %d val %08x\n", rc, d);
	pci_write_config_word(&pdev, PCI_VENDOR_ID, 0x1234);
	pci_write_config_byte(&pdev, 0x40, 0x5a);
	pci_read_config_word(&pdev, PCI_VENDOR_ID, &w);
	pci_read_config_byte(&pdev, 0x40, &b);
	printf("after write vendor %04x 0x40 %02x\n", w, b);
	rc = pci_enable_device(&pdev);
	printf("enable %d", rc);
	pci_read_config_word(&pdev, PCI_COMMAND, &w);
	printf(" cmd %04x", w);
	pci_set_master(&pdev);
	pci_read_config_word(&pdev, PCI_COMMAND, &w);
	printf(" master %04x busmaster %d\n", w, pdev.is_busmaster);
	rc = pci_request_regions(&pdev, "nic");
	printf("request %d", rc);
	rc = pci_request_regions(&pdev, "other");
	printf(" again %d\n", rc);
	pci_release_regions(&pdev);
	pci_release_regions(&pdev);
	pci_disable_device(&pdev);
	pci_read_config_word(&pdev, PCI_COMMAND, &w);
	printf("disabled cmd %04x busmaster %d enabled %d\n", w, pdev.is_busmaster, pci_is_enabled(&pdev));
	pci_set_drvdata(&pdev, &pdev);
	printf("pci drvdata %s name %s to_pci_dev %s\n", pci_get_drvdata(&pdev) == &pdev ? "ok" : "BAD",
	       pci_name(&pdev),
	       to_pci_dev(&pdev.dev) == &pdev ? "ok" : "BAD");
	device_unregister(&pdev.dev);
	return 0;
}

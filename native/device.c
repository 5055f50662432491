/* SPDX-License-Identifier: MIT */
/*
 * Devices: each C struct device is paired with a TypeScript one on first
 * sight, and C's field changes (masks, driver, bus) are sent before the call
 * that needs them. Reference counts live in dev->kobj, as in the kernel; the
 * last put releases what devres holds (TypeScript keeps the list, C calls the
 * C functions on it: native/devres.c) and calls the release. The PCI bus
 * (driver matching, probe and remove), sysfs files and the DMA masks.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <linux/kernel.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/pci.h>

#include "internal.h"

#pragma GCC visibility push(hidden)
/* native/devres.c: release every managed resource of dev, newest first. */
void dmashim_devres_drain(struct device *dev);
/* For native/extras.c's dmashim_sysfs_read: a file of device_create_file(), or -1. */
int dmashim_dev_attr_read(struct device *dev, const char *name, char *buf, size_t size);
#pragma GCC visibility pop

static const struct kobj_type device_ktype;

/*
 * One TypeScript device per C device, even when two threads see it first at
 * once. Held across the dev_new crossing, so it is not dmashim_state_lock:
 * with --threads the JS thread takes that one (the log flush at the end of the
 * run) and must never wait for a thread that waits for it.
 */
static pthread_mutex_t pairing_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

/* The TypeScript device paired with a C struct device, created on first sight; C field changes are sent first. */
int32_t dmashim_devid(const struct device *cdev)
{
	struct device *dev = (struct device *)cdev;
	if (!dev)
		return 0;
	struct dmashim_device_state *s = &dev->__dmashim;
	int fresh = 0;
	if (unlikely(s->id == 0)) {
		pthread_mutex_lock(&pairing_lock);
		if (s->id == 0) {
			s->id = dmashim_ts.dev_new(addr_arg(dev), dev->bus == &pci_bus_type);
			fresh = 1;
		}
		pthread_mutex_unlock(&pairing_lock);
	}
	if (unlikely(fresh || s->bus != dev->bus || s->driver != dev->driver || s->dma_mask_ptr != dev->dma_mask ||
		     (dev->dma_mask && *dev->dma_mask != s->dma_mask) ||
		     s->coherent_dma_mask != dev->coherent_dma_mask || s->bus_dma_limit != dev->bus_dma_limit)) {
		u64 m = dev->dma_mask ? *dev->dma_mask : 0;
		dmashim_ts.dev_sync(s->id, dev->dma_mask != NULL, upper_32_bits(m), lower_32_bits(m),
			     upper_32_bits(dev->coherent_dma_mask), lower_32_bits(dev->coherent_dma_mask),
			     upper_32_bits(dev->bus_dma_limit), lower_32_bits(dev->bus_dma_limit),
			     dev->driver ? dev->driver->name : NULL, dev->bus ? dev->bus->name : NULL);
		s->bus = dev->bus;
		s->driver = dev->driver;
		s->dma_mask_ptr = dev->dma_mask;
		s->dma_mask = m;
		s->coherent_dma_mask = dev->coherent_dma_mask;
		s->bus_dma_limit = dev->bus_dma_limit;
	}
	return s->id;
}

int dev_set_name(struct device *dev, const char *fmt, ...)
{
	if (!enter("dev_set_name"))
		return -ENOMEM;
	char buf[256];
	struct outbuf o = { buf, sizeof(buf), 0 };
	va_list ap;
	va_start(ap, fmt);
	dmashim_format(&o, fmt, ap);
	va_end(ap);
	char *name = strdup(buf);
	if (!name)
		return -ENOMEM;
	/* The name is the kobject's, as kobject_set_name(); the old one is freed. */
	free((char *)dev->kobj.name);
	dev->kobj.name = name;
	return dmashim_ts.dev_set_name(dmashim_devid(dev), name);
}

/* The PCI bus's device list, for pci_register_driver's matching. */
static struct pci_dev *pci_devices;
const struct bus_type pci_bus_type = { .name = "pci" };

static void kobj_complain(struct device *dev, int kind)
{
	dmashim_ts.devmodel(DMASHIM_DM_KOBJ, dmashim_devid(dev), kind, 0, 0, my_slot(), 0);
}

/* The complaints' numbers: KOBJ_* of src/drivers/base/core.ts. */
enum { KOBJ_NOT_INIT_GET, KOBJ_NOT_INIT_PUT, KOBJ_ADD_ON_ZERO, KOBJ_UNDERFLOW, KOBJ_REINIT, KOBJ_ADD_UNINIT };

void device_initialize(struct device *dev)
{
	if (!enter("device_initialize") || !dev)
		return;
	if (dev->kobj.state_initialized)
		kobj_complain(dev, KOBJ_REINIT);
	__atomic_store_n(&dev->kobj.kref.refcount.refs.counter, 1, __ATOMIC_SEQ_CST);
	dev->kobj.state_initialized = 1;
	dev->kobj.state_in_sysfs = 0;
	dev->kobj.ktype = &device_ktype;
	INIT_LIST_HEAD(&dev->kobj.entry);
	INIT_LIST_HEAD(&dev->dma_pools);
	dev->numa_node = NUMA_NO_NODE;
	dev->__dmashim.released = 0;
}

int device_add(struct device *dev)
{
	if (!enter("device_add"))
		return -EBUSY;
	if (!dev)
		return -EINVAL;
	if (!dev->kobj.state_initialized) {
		kobj_complain(dev, KOBJ_ADD_UNINIT);
		return -EINVAL;
	}
	/* The init name becomes the name, as device_add() does in the kernel. */
	if (dev->init_name) {
		const char *n = dev->init_name;
		dev->init_name = NULL;
		int rc = dev_set_name(dev, "%s", n);
		if (rc)
			return rc;
	}
	int rc = dmashim_ts.dev_register(dmashim_devid(dev));
	if (rc == 0 && !dev->__dmashim.registered) {
		dev->__dmashim.registered = 1;
		dev->__dmashim.released = 0;
		dev->kobj.state_in_sysfs = 1;
		if (dev->parent) {
			get_device(dev->parent);
			dev->kobj.parent = &dev->parent->kobj;
		}
		if (dev->bus == &pci_bus_type) {
			struct pci_dev *pdev = to_pci_dev(dev);
			pthread_mutex_lock(&dmashim_state_lock);
			pdev->__dmashim_next = pci_devices;
			pci_devices = pdev;
			pthread_mutex_unlock(&dmashim_state_lock);
		}
	}
	return rc;
}

int device_register(struct device *dev)
{
	device_initialize(dev);
	return device_add(dev);
}

void device_del(struct device *dev)
{
	if (!enter("device_del") || !dev)
		return;
	int was = dev->__dmashim.registered;
	if (was && dev->bus == &pci_bus_type) {
		pthread_mutex_lock(&dmashim_state_lock);
		for (struct pci_dev **pp = &pci_devices; *pp; pp = &(*pp)->__dmashim_next) {
			if (&(*pp)->dev == dev) {
				*pp = (*pp)->__dmashim_next;
				break;
			}
		}
		pthread_mutex_unlock(&dmashim_state_lock);
	}
	dev->__dmashim.registered = 0;
	dev->kobj.state_in_sysfs = 0;
	/* Unregistering releases managed resources (the detach), then reports the pools left behind. */
	dmashim_pool_cache_forget_dev(dev);
	dmashim_pool_cache_drain_all();
	if (was)
		dmashim_devres_drain(dev);
	dmashim_ts.dev_unregister(dmashim_devid(dev));
	if (was && dev->parent) {
		dev->kobj.parent = NULL;
		put_device(dev->parent);
	}
}

void device_unregister(struct device *dev)
{
	device_del(dev);
	put_device(dev);
}

struct device *get_device(struct device *dev)
{
	if (!dev || !enter("get_device"))
		return dev;
	int *count = &dev->kobj.kref.refcount.refs.counter;
	if (!dev->kobj.state_initialized) {
		kobj_complain(dev, KOBJ_NOT_INIT_GET);
		return dev;
	}
	int old = __atomic_load_n(count, __ATOMIC_SEQ_CST);
	do {
		if (old == 0) {
			kobj_complain(dev, KOBJ_ADD_ON_ZERO);
			return dev;
		}
	} while (!__atomic_compare_exchange_n(count, &old, old + 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	return dev;
}

/* The last reference is gone (device_release): devres, then the release, exactly once. */
static void device_release(struct device *dev)
{
	void (*release)(struct device *) = dev->release;
	if (!release && dev->type)
		release = dev->type->release;
	if (!release && dev->class)
		release = dev->class->dev_release;
	dmashim_pool_cache_forget_dev(dev);
	dmashim_pool_cache_drain_all();
	dmashim_devres_drain(dev);
	dev->__dmashim.released = 1;
	dmashim_ts.devmodel(DMASHIM_DM_RELEASE, dmashim_devid(dev), release != NULL, 0, 0, my_slot(), 0);
	/* The release may free the struct: nothing of dev is touched after it. */
	if (release)
		release(dev);
}

void put_device(struct device *dev)
{
	if (!dev || !enter("put_device"))
		return;
	int *count = &dev->kobj.kref.refcount.refs.counter;
	if (!dev->kobj.state_initialized) {
		kobj_complain(dev, KOBJ_NOT_INIT_PUT);
		return;
	}
	int old = __atomic_load_n(count, __ATOMIC_SEQ_CST);
	do {
		if (old <= 0) {
			kobj_complain(dev, KOBJ_UNDERFLOW);
			return;
		}
	} while (!__atomic_compare_exchange_n(count, &old, old - 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	if (old == 1)
		device_release(dev);
}

static void device_ktype_release(struct kobject *kobj)
{
	(void)kobj;
}
static const struct kobj_type device_ktype = { .release = device_ktype_release };

struct kobject *kobject_get(struct kobject *kobj)
{
	if (!kobj)
		return NULL;
	if (kobj->ktype == &device_ktype)
		return &get_device(kobj_to_dev(kobj))->kobj;
	__atomic_add_fetch(&kobj->kref.refcount.refs.counter, 1, __ATOMIC_SEQ_CST);
	return kobj;
}

void kobject_put(struct kobject *kobj)
{
	if (!kobj)
		return;
	if (kobj->ktype == &device_ktype) {
		put_device(kobj_to_dev(kobj));
		return;
	}
	if (__atomic_sub_fetch(&kobj->kref.refcount.refs.counter, 1, __ATOMIC_SEQ_CST) == 0 && kobj->ktype &&
	    kobj->ktype->release)
		kobj->ktype->release(kobj);
}

/* ------------------------------------------------------------- sysfs files */

struct dev_attr_node {
	const struct device_attribute *attr;
	struct dev_attr_node *next;
};

int device_create_file(struct device *dev, const struct device_attribute *attr)
{
	if (!enter("device_create_file") || !dev || !attr || !attr->attr.name)
		return -EINVAL;
	if ((attr->attr.mode & 0222) && !attr->store)
		WARN(1, "Attribute %s: write permission without 'store'\n", attr->attr.name);
	if ((attr->attr.mode & 0444) && !attr->show)
		WARN(1, "Attribute %s: read permission without 'show'\n", attr->attr.name);
	pthread_mutex_lock(&dmashim_state_lock);
	for (struct dev_attr_node *n = dev->__dmashim.attrs; n; n = n->next) {
		if (!strcmp(n->attr->attr.name, attr->attr.name)) {
			pthread_mutex_unlock(&dmashim_state_lock);
			printk(KERN_ERR "sysfs: cannot create duplicate filename '/devices/%s/%s'\n", dev_name(dev),
			       attr->attr.name);
			return -EEXIST;
		}
	}
	struct dev_attr_node *n = malloc(sizeof(*n));
	if (n) {
		n->attr = attr;
		n->next = dev->__dmashim.attrs;
		dev->__dmashim.attrs = n;
	}
	pthread_mutex_unlock(&dmashim_state_lock);
	return n ? 0 : -ENOMEM;
}

void device_remove_file(struct device *dev, const struct device_attribute *attr)
{
	if (!enter("device_remove_file") || !dev || !attr)
		return;
	pthread_mutex_lock(&dmashim_state_lock);
	for (struct dev_attr_node **pp = (struct dev_attr_node **)&dev->__dmashim.attrs; *pp; pp = &(*pp)->next) {
		if ((*pp)->attr == attr) {
			struct dev_attr_node *n = *pp;
			*pp = n->next;
			free(n);
			break;
		}
	}
	pthread_mutex_unlock(&dmashim_state_lock);
}

int dmashim_dev_attr_read(struct device *dev, const char *name, char *buf, size_t size)
{
	const struct device_attribute *attr = NULL;
	pthread_mutex_lock(&dmashim_state_lock);
	for (struct dev_attr_node *n = dev->__dmashim.attrs; n; n = n->next)
		if (!strcmp(n->attr->attr.name, name))
			attr = n->attr;
	pthread_mutex_unlock(&dmashim_state_lock);
	if (!attr)
		return -1;
	if (!attr->show) {
		if (size)
			buf[0] = 0;
		return -EIO;
	}
	/* show() writes up to a page, as sysfs gives it. */
	char page[4096];
	page[0] = 0;
	ssize_t n = attr->show(dev, (struct device_attribute *)attr, page);
	if (n < 0)
		return (int)n;
	if (n > 4095)
		n = 4095;
	size_t take = size ? ((size_t)n < size - 1 ? (size_t)n : size - 1) : 0;
	if (size) {
		memcpy(buf, page, take);
		buf[take] = 0;
	}
	return (int)n;
}

const struct pci_device_id *pci_match_id(const struct pci_device_id *ids, struct pci_dev *dev)
{
	for (; ids && (ids->vendor || ids->subvendor || ids->class_mask); ids++) {
		if ((ids->vendor == (__u32)PCI_ANY_ID || ids->vendor == dev->vendor) &&
		    (ids->device == (__u32)PCI_ANY_ID || ids->device == dev->device) &&
		    (ids->subvendor == (__u32)PCI_ANY_ID || ids->subvendor == dev->subsystem_vendor) &&
		    (ids->subdevice == (__u32)PCI_ANY_ID || ids->subdevice == dev->subsystem_device) &&
		    !((ids->class ^ dev->class) & ids->class_mask))
			return ids;
	}
	return NULL;
}

static void pci_unbind(struct pci_dev *pdev)
{
	/*
	 * Driver detach releases the device's managed resources (dmam_*), as
	 * devres_release_all(), while the driver is still bound (its reports carry
	 * the driver's prefix), and only then clears the driver, as the kernel does.
	 */
	dmashim_pool_cache_forget_dev(&pdev->dev);
	dmashim_pool_cache_drain_all();
	dmashim_devres_drain(&pdev->dev);
	dmashim_ts.dev_release_driver(dmashim_devid(&pdev->dev));
	pdev->driver = NULL;
	pdev->dev.driver = NULL;
	dmashim_devid(&pdev->dev);
}

int pci_register_driver(struct pci_driver *drv)
{
	if (!enter("pci_register_driver"))
		return -EBUSY;
	drv->driver.name = drv->name;
	drv->driver.bus = &pci_bus_type;
	/* Newest device first on the list; probe oldest first, as devices were found. */
	struct pci_dev *list[256];
	int n = 0;
	pthread_mutex_lock(&dmashim_state_lock);
	for (struct pci_dev *p = pci_devices; p && n < 256; p = p->__dmashim_next)
		list[n++] = p;
	pthread_mutex_unlock(&dmashim_state_lock);
	while (n-- > 0) {
		struct pci_dev *pdev = list[n];
		if (pdev->driver)
			continue;
		const struct pci_device_id *id = pci_match_id(drv->id_table, pdev);
		if (!id)
			continue;
		pdev->driver = drv;
		pdev->dev.driver = &drv->driver;
		int rc = drv->probe ? drv->probe(pdev, id) : 0;
		if (rc) {
			/* A failed probe is logged and the device stays unbound, as really_probe(). */
			dev_warn(&pdev->dev, "probe with driver %s failed with error %d\n", drv->name, rc);
			pci_unbind(pdev);
		}
	}
	return 0;
}

void pci_unregister_driver(struct pci_driver *drv)
{
	if (!enter("pci_unregister_driver"))
		return;
	struct pci_dev *list[256];
	int n = 0;
	pthread_mutex_lock(&dmashim_state_lock);
	for (struct pci_dev *p = pci_devices; p && n < 256; p = p->__dmashim_next)
		if (p->driver == drv)
			list[n++] = p;
	pthread_mutex_unlock(&dmashim_state_lock);
	for (int i = 0; i < n; i++) {
		if (drv->remove)
			drv->remove(list[i]);
		pci_unbind(list[i]);
	}
}

/* ----------------------------------------------------------------- masks */

static int mask_op(struct device *dev, int op, u64 mask)
{
	return dmashim_ts.dev_mask(dmashim_devid(dev), op, upper_32_bits(mask), lower_32_bits(mask), my_slot());
}

int dma_set_mask(struct device *dev, u64 mask)
{
	if (!enter("dma_set_mask") || !dev)
		return -EIO;
	int rc = mask_op(dev, DMASHIM_MASK_SET, mask);
	if (rc == 0 && dev->dma_mask) {
		/* TypeScript accepted it; store it where the kernel does, and remember we sent it. */
		*dev->dma_mask = mask;
		dev->__dmashim.dma_mask = mask;
	}
	return rc;
}

int dma_set_coherent_mask(struct device *dev, u64 mask)
{
	if (!enter("dma_set_coherent_mask") || !dev)
		return -EIO;
	int rc = mask_op(dev, DMASHIM_MASK_SET_COHERENT, mask);
	if (rc == 0) {
		dev->coherent_dma_mask = mask;
		dev->__dmashim.coherent_dma_mask = mask;
	}
	return rc;
}

int dma_supported(struct device *dev, u64 mask)
{
	if (!enter("dma_supported") || !dev)
		return 0;
	return mask_op(dev, DMASHIM_MASK_SUPPORTED, mask);
}

u64 dma_get_required_mask(struct device *dev)
{
	if (!enter("dma_get_required_mask") || !dev)
		return DMA_BIT_MASK(32);
	int slot = my_slot();
	dmashim_ts.dev_mask(dmashim_devid(dev), DMASHIM_MASK_REQUIRED, 0, 0, slot);
	return scratch_get(slot, 0);
}

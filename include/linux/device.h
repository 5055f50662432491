/* SPDX-License-Identifier: MIT */
/*
 * linux/device.h for dmashim. C owns struct device (a static, or the .dev of a
 * struct pci_dev); the bridge pairs it with a TypeScript device the first time
 * it sees it (dev_set_name, device_register, or any DMA call) and remembers the
 * pairing in the struct's bridge-private tail.
 *
 * The C fields stay meaningful: dma_mask (a pointer, NULL until someone points
 * it at storage, so dma_set_mask() returns -EIO as in the kernel),
 * coherent_dma_mask, bus, driver. Whenever the bridge reads them (every call
 * that passes the device, and dma_pool_alloc), it compares them with what it
 * last sent to TypeScript and sends them again if they changed: a driver may
 * assign dev->coherent_dma_mask directly, as kernel code does.
 *
 * A device is obtained the kernel way: give it a name with dev_set_name(), then
 * device_register(). Set dev->driver to a struct device_driver for the
 * "<driver> <device>: " prefix of dev_err() and friends.
 *
 * Reference counts are the kernel's, in dev->kobj.kref: device_initialize()
 * (and so device_register()) starts at 1, get_device()/put_device() count,
 * device_unregister() is device_del() + put_device(), and the last put
 * releases what devres still holds and then calls dev->release (or the type's
 * or class's release) exactly once; a device without one gets the kernel's
 * WARN "Device '...' does not have a release() function". A static device
 * needs an empty release function, as in the kernel.
 */
#ifndef _DEVICE_H_
#define _DEVICE_H_

#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/printk.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/atomic.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/kobject.h>

struct device;
struct dma_pool;
struct dma_map_ops;
struct attribute;

/* As linux/types.h has it (a repeated identical typedef is valid C11). */
typedef unsigned short umode_t;

struct bus_type {
	const char *name;
};

struct device_driver {
	const char *name;
	const struct bus_type *bus;
};

/* A release for every device of a type, used when dev->release is NULL. */
struct device_type {
	const char *name;
	void (*release)(struct device *dev);
};

/* A class's release of its devices, used when neither the device nor its type has one. */
struct class {
	const char *name;
	void (*dev_release)(struct device *dev);
};

struct attribute {
	const char *name;
	umode_t mode;
};

/* A sysfs file of a device: show() fills buf (a page), dmashim_sysfs_read() reads it. */
struct device_attribute {
	struct attribute attr;
	ssize_t (*show)(struct device *dev, struct device_attribute *attr, char *buf);
	ssize_t (*store)(struct device *dev, struct device_attribute *attr, const char *buf, size_t count);
};

#define __ATTR(_name, _mode, _show, _store) \
	{ .attr = { .name = #_name, .mode = (_mode) }, .show = _show, .store = _store }
#define __ATTR_RO(_name) __ATTR(_name, 0444, _name##_show, NULL)
#define __ATTR_WO(_name) __ATTR(_name, 0200, NULL, _name##_store)
#define __ATTR_RW(_name) __ATTR(_name, 0644, _name##_show, _name##_store)
#define DEVICE_ATTR(_name, _mode, _show, _store) \
	struct device_attribute dev_attr_##_name = __ATTR(_name, _mode, _show, _store)
#define DEVICE_ATTR_RO(_name) struct device_attribute dev_attr_##_name = __ATTR_RO(_name)
#define DEVICE_ATTR_WO(_name) struct device_attribute dev_attr_##_name = __ATTR_WO(_name)
#define DEVICE_ATTR_RW(_name) struct device_attribute dev_attr_##_name = __ATTR_RW(_name)

struct device_dma_parameters {
	unsigned int max_segment_size;
	unsigned int min_align_mask;
	unsigned long segment_boundary_mask;
};

/* Bridge-private state; do not touch. */
struct dmashim_device_state {
	int id;			/* TypeScript device id, 0 = not seen yet */
	int registered;
	int released;		/* the last reference was dropped */
	const void *bus;	/* the C fields as last sent to TypeScript */
	const void *driver;
	const u64 *dma_mask_ptr;
	u64 dma_mask;
	u64 coherent_dma_mask;
	u64 bus_dma_limit;
	void *attrs;		/* device_create_file()'s files */
};

struct device {
	struct kobject kobj;
	struct device *parent;
	const char *init_name;
	const struct device_type *type;
	const struct bus_type *bus;
	struct device_driver *driver;
	void *platform_data;
	void *driver_data;
	u64 *dma_mask;
	u64 coherent_dma_mask;
	u64 bus_dma_limit;
	struct device_dma_parameters *dma_parms;
	/* The DMA layer's: set_dma_ops (linux/dma-map-ops.h). */
	const struct dma_map_ops *dma_ops;
	/* The kernel's list of the device's pools; dmashim keeps them in the core (the "pools" file lists them). */
	struct list_head dma_pools;
	int numa_node;		/* NUMA_NO_NODE (-1) from device_initialize() */
	const struct class *class;
	void (*release)(struct device *dev);
	struct dmashim_device_state __dmashim;
};

__printf(2, 3) int dev_set_name(struct device *dev, const char *name, ...);
int device_register(struct device *dev);
void device_unregister(struct device *dev);
void device_initialize(struct device *dev);
int device_add(struct device *dev);
void device_del(struct device *dev);
struct device *get_device(struct device *dev);
void put_device(struct device *dev);
int device_create_file(struct device *dev, const struct device_attribute *attr);
void device_remove_file(struct device *dev, const struct device_attribute *attr);

#define kobj_to_dev(__kobj) container_of(__kobj, struct device, kobj)

static inline const char *dev_name(const struct device *dev)
{
	/* The init name until device_add() turns it into the real name, as the kernel. */
	if (dev->init_name)
		return dev->init_name;
	return kobject_name(&dev->kobj);
}

#ifndef NUMA_NO_NODE
#define NUMA_NO_NODE (-1)
#endif
static inline int dev_to_node(struct device *dev) { return dev->numa_node; }
static inline void set_dev_node(struct device *dev, int node) { dev->numa_node = node; }

static inline const char *dev_driver_string(const struct device *dev)
{
	if (dev->driver && dev->driver->name)
		return dev->driver->name;
	return dev->bus && dev->bus->name ? dev->bus->name : "";
}

static inline void *dev_get_drvdata(const struct device *dev) { return dev->driver_data; }
static inline void dev_set_drvdata(struct device *dev, void *data) { dev->driver_data = data; }
static inline void *dev_get_platdata(const struct device *dev) { return dev->platform_data; }

#include <linux/device/devres.h>

/* dev_printk: "<driver> <device>: message" into the kernel log. */
__printf(3, 4) void __dmashim_dev_printk(int level, const struct device *dev, const char *fmt, ...);

#ifndef dev_fmt
#define dev_fmt(fmt) fmt
#endif

#define dev_printk(level, dev, fmt, ...) \
	__dmashim_dev_printk(__dmashim_level(level), dev, fmt, ##__VA_ARGS__)
#define dev_emerg(dev, fmt, ...) __dmashim_dev_printk(LOGLEVEL_EMERG, dev, dev_fmt(fmt), ##__VA_ARGS__)
#define dev_alert(dev, fmt, ...) __dmashim_dev_printk(LOGLEVEL_ALERT, dev, dev_fmt(fmt), ##__VA_ARGS__)
#define dev_crit(dev, fmt, ...) __dmashim_dev_printk(LOGLEVEL_CRIT, dev, dev_fmt(fmt), ##__VA_ARGS__)
#define dev_err(dev, fmt, ...) __dmashim_dev_printk(LOGLEVEL_ERR, dev, dev_fmt(fmt), ##__VA_ARGS__)
#define dev_warn(dev, fmt, ...) __dmashim_dev_printk(LOGLEVEL_WARNING, dev, dev_fmt(fmt), ##__VA_ARGS__)
#define dev_notice(dev, fmt, ...) __dmashim_dev_printk(LOGLEVEL_NOTICE, dev, dev_fmt(fmt), ##__VA_ARGS__)
#define dev_info(dev, fmt, ...) __dmashim_dev_printk(LOGLEVEL_INFO, dev, dev_fmt(fmt), ##__VA_ARGS__)
/* Logged at KERN_DEBUG; kept only when asked (dmashim run --debug), like dynamic debug. */
#define dev_dbg(dev, fmt, ...) __dmashim_dev_printk(LOGLEVEL_DEBUG, dev, dev_fmt(fmt), ##__VA_ARGS__)
#define dev_vdbg dev_dbg
#define dev_err_ratelimited dev_err
#define dev_warn_ratelimited dev_warn
#define dev_info_ratelimited dev_info
#define dev_err_once(dev, fmt, ...) ({							\
	static bool __print_once;							\
	if (!__print_once) {								\
		__print_once = true;							\
		dev_err(dev, fmt, ##__VA_ARGS__);					\
	}										\
})
#define dev_warn_once(dev, fmt, ...) ({							\
	static bool __print_once;							\
	if (!__print_once) {								\
		__print_once = true;							\
		dev_warn(dev, fmt, ##__VA_ARGS__);					\
	}										\
})
#define dev_info_once(dev, fmt, ...) ({							\
	static bool __print_once;							\
	if (!__print_once) {								\
		__print_once = true;							\
		dev_info(dev, fmt, ##__VA_ARGS__);					\
	}										\
})

/* dev_err_probe(): logs unless err is -EPROBE_DEFER (517), returns err. */
#define dev_err_probe(dev, err, fmt, ...) ({						\
	int __err = (err);								\
	if (__err != -517)								\
		__dmashim_dev_printk(LOGLEVEL_ERR, dev, "error %d: " fmt, __err, ##__VA_ARGS__); \
	__err;										\
})

/* The level of a KERN_* string (KERN_SOH digit), or the default (warning). */
static inline int __dmashim_level(const char *level)
{
	return level && level[0] == '\001' && level[1] >= '0' && level[1] <= '7' ? level[1] - '0' : 4;
}

#endif /* _DEVICE_H_ */

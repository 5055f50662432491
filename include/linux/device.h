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

struct device;
struct dma_pool;

struct bus_type {
	const char *name;
};

struct device_driver {
	const char *name;
	const struct bus_type *bus;
};

struct device_dma_parameters {
	unsigned int max_segment_size;
	unsigned int min_align_mask;
	unsigned long segment_boundary_mask;
};

/* Bridge-private state; do not touch. */
struct dmashim_device_state {
	int id;			/* TypeScript device id, 0 = not seen yet */
	int registered;
	const void *bus;	/* the C fields as last sent to TypeScript */
	const void *driver;
	const u64 *dma_mask_ptr;
	u64 dma_mask;
	u64 coherent_dma_mask;
	u64 bus_dma_limit;
	char *name;		/* dev_set_name()'s string (malloc'd) */
};

struct device {
	struct device *parent;
	const char *init_name;
	const struct bus_type *bus;
	struct device_driver *driver;
	void *platform_data;
	void *driver_data;
	u64 *dma_mask;
	u64 coherent_dma_mask;
	u64 bus_dma_limit;
	struct device_dma_parameters *dma_parms;
	void (*release)(struct device *dev);
	struct dmashim_device_state __dmashim;
};

__printf(2, 3) int dev_set_name(struct device *dev, const char *name, ...);
int device_register(struct device *dev);
void device_unregister(struct device *dev);
void device_initialize(struct device *dev);
int device_add(struct device *dev);
void device_del(struct device *dev);

/* Reference counts: the C program owns its struct device; these are no-ops. */
static inline struct device *get_device(struct device *dev) { return dev; }
static inline void put_device(struct device *dev) { (void)dev; }

static inline const char *dev_name(const struct device *dev)
{
	/* The init name until device_add() turns it into the real name, as the kernel. */
	if (dev->init_name)
		return dev->init_name;
	return dev->__dmashim.name;
}

static inline const char *dev_driver_string(const struct device *dev)
{
	if (dev->driver && dev->driver->name)
		return dev->driver->name;
	return dev->bus && dev->bus->name ? dev->bus->name : "";
}

static inline void *dev_get_drvdata(const struct device *dev) { return dev->driver_data; }
static inline void dev_set_drvdata(struct device *dev, void *data) { dev->driver_data = data; }
static inline void *dev_get_platdata(const struct device *dev) { return dev->platform_data; }

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

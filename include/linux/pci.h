/* SPDX-License-Identifier: MIT */
/*
 * linux/pci.h for dmashim: struct pci_dev with its embedded struct device, the
 * driver model pieces a driver's probe/remove use, and the pci_pool_* names
 * (macros over dma_pool_*, as from 2.6.4 to v5.15). pci_pool_create takes five
 * arguments (2.6+) or six (2.4, with SLAB_* flags: SLAB_POISON turns on pool
 * poisoning for that pool, the others are accepted and ignored), chosen by count.
 *
 * A pci_dev is set up the way the kernel's PCI core does it (pci_setup_device()
 * and pci_device_add() in drivers/pci/probe.c): bus "pci", dev.dma_mask
 * pointing at pdev->dma_mask, 32-bit streaming and coherent masks, the PCI
 * core's release (pci_release_dev, unless the harness set one), and a config
 * space (256 bytes, or 4096 when the harness set cfg_size to
 * PCI_CFG_SPACE_EXP_SIZE) whose header holds the struct's vendor, device,
 * revision, class and subsystem ids at their standard offsets. Call
 * pci_setup_device(&pdev) on a static struct pci_dev, then dev_set_name() and
 * device_register() its .dev.
 *
 * The test plays the firmware and the hardware: dmashim_pci_set_resource()
 * gives a BAR its address, size and flags (pdev->resource[], read by
 * pci_resource_start() and friends), dmashim_pci_config_set() sets config
 * bytes (dmashim/bridge.h). pci_read_config_*() and pci_write_config_*() read
 * and write the config space (the identification registers ignore writes, as
 * in hardware); pci_enable_device() turns on decoding for the BARs present,
 * pci_set_master() bus mastering, pci_request_regions() reserves the BARs,
 * pci_iomap() maps one (device memory when an iomem window backs it:
 * dmashim_pci_set_resource_iomem()).
 * No interrupt is ever delivered: pci_alloc_irq_vectors() says so in the log.
 */
#ifndef LINUX_PCI_H
#define LINUX_PCI_H

/* Declared by the kernel's pci.h through its includes; old drivers declare hooks with them (kenv block). */
struct file;
struct inode;
struct vm_area_struct;
struct poll_table_struct;
struct seq_file;
struct kobject;
struct module;
struct resource;
struct irq_affinity;
struct msix_entry;
struct pci_bus;
struct pci_slot;
struct pci_ops;

#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/dmapool.h>
#include <dmashim/era.h>
#include <linux/errno.h>
#include <linux/slab.h>
#include <linux/ioport.h>
#include <linux/io.h>
#include <linux/pci_regs.h>

/* The old code's forward declarations: prototypes that name them must not see new types. */
struct file;
struct vm_area_struct;

#define PCI_ANY_ID (~0)

struct pci_device_id {
	__u32 vendor, device;
	__u32 subvendor, subdevice;
	__u32 class, class_mask;
	unsigned long driver_data;
};

#define PCI_DEVICE(vend, dev) \
	.vendor = (vend), .device = (dev), .subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID
#define PCI_DEVICE_CLASS(dev_class, dev_class_mask) \
	.vendor = PCI_ANY_ID, .device = PCI_ANY_ID, .subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID, \
	.class = (dev_class), .class_mask = (dev_class_mask)
#define PCI_VDEVICE(vend, dev) \
	.vendor = PCI_VENDOR_ID_##vend, .device = (dev), .subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID, 0, 0
#define MODULE_DEVICE_TABLE(type, name) extern int __dmashim_modinfo_unused

#define PCI_VENDOR_ID_INTEL 0x8086
#define PCI_CLASS_SERIAL_USB_EHCI 0x0c0320

struct pci_driver;

/* Six BARs, the ROM and four bridge windows (no SR-IOV). */
#define PCI_ROM_RESOURCE 6
#define PCI_BRIDGE_RESOURCES 7
#define PCI_NUM_RESOURCES 11
#define DEVICE_COUNT_RESOURCE PCI_NUM_RESOURCES

/* The config accessors' return values (positive, not errnos). */
#define PCIBIOS_SUCCESSFUL		0x00
#define PCIBIOS_FUNC_NOT_SUPPORTED	0x81
#define PCIBIOS_BAD_VENDOR_ID		0x83
#define PCIBIOS_DEVICE_NOT_FOUND	0x86
#define PCIBIOS_BAD_REGISTER_NUMBER	0x87
#define PCIBIOS_SET_FAILED		0x88
#define PCIBIOS_BUFFER_TOO_SMALL	0x89

/* pci_alloc_irq_vectors() flags. */
#define PCI_IRQ_INTX		(1 << 0)
#define PCI_IRQ_LEGACY		PCI_IRQ_INTX
#define PCI_IRQ_MSI		(1 << 1)
#define PCI_IRQ_MSIX		(1 << 2)
#define PCI_IRQ_AFFINITY	(1 << 3)
#define PCI_IRQ_ALL_TYPES	(PCI_IRQ_INTX | PCI_IRQ_MSI | PCI_IRQ_MSIX)

/* Bridge-private PCI state; do not touch. */
struct dmashim_pci_state {
	u32 regions;		/* BARs reserved by pci_request_region(s) */
	int nvecs;		/* pci_alloc_irq_vectors()'s count */
	u8 config[PCI_CFG_SPACE_EXP_SIZE];
};

struct pci_dev {
	struct device dev;
	unsigned int devfn;
	unsigned short vendor;
	unsigned short device;
	unsigned short subsystem_vendor;
	unsigned short subsystem_device;
	unsigned int class;
	u8 revision;
	u8 hdr_type;
	u8 pin;
	int irq;
	int cfg_size;		/* PCI_CFG_SPACE_SIZE, or PCI_CFG_SPACE_EXP_SIZE for PCIe */
	u64 dma_mask;		/* what dev.dma_mask points at (pci_setup_device) */
	struct device_dma_parameters dma_parms;
	struct pci_driver *driver;
	struct resource resource[DEVICE_COUNT_RESOURCE];
	atomic_t enable_cnt;
	unsigned int is_busmaster:1;
	unsigned int is_managed:1;
	unsigned int msi_enabled:1;
	unsigned int msix_enabled:1;
	struct pci_dev *__dmashim_next;	/* bridge-private: the bus's device list */
	struct dmashim_pci_state __dmashim_pci;
};

struct pci_driver {
	const char *name;
	const struct pci_device_id *id_table;
	int (*probe)(struct pci_dev *dev, const struct pci_device_id *id);
	void (*remove)(struct pci_dev *dev);
	void (*shutdown)(struct pci_dev *dev);
	struct device_driver driver;
};

extern const struct bus_type pci_bus_type;

#define to_pci_dev(n) container_of(n, struct pci_dev, dev)
#define to_pci_driver(drv) container_of(drv, struct pci_driver, driver)

void pci_release_dev(struct device *dev);
/* Fills the config header from the struct's ids (pci_setup_device). */
void __dmashim_pci_config_init(struct pci_dev *pdev);

/*
 * The PCI core's device setup: bus, mask storage, the 32-bit default masks,
 * the PCI core's release and the config space header. Returns 0.
 */
static inline int pci_setup_device(struct pci_dev *pdev)
{
	pdev->dev.bus = &pci_bus_type;
	pdev->dma_mask = 0xffffffffULL;
	pdev->dev.dma_mask = &pdev->dma_mask;
	pdev->dev.coherent_dma_mask = 0xffffffffULL;
	if (!pdev->dev.release)
		pdev->dev.release = pci_release_dev;
	__dmashim_pci_config_init(pdev);
	return 0;
}

/*
 * Binds the driver to every registered PCI device its id_table matches and
 * calls probe(); pci_unregister_driver() calls remove() and releases the
 * device's managed resources (dmam_* pools and buffers), as driver detach does.
 */
int pci_register_driver(struct pci_driver *drv);
void pci_unregister_driver(struct pci_driver *drv);
const struct pci_device_id *pci_match_id(const struct pci_device_id *ids, struct pci_dev *dev);

static inline const char *pci_name(const struct pci_dev *pdev) { return dev_name(&pdev->dev); }
static inline void *pci_get_drvdata(struct pci_dev *pdev) { return dev_get_drvdata(&pdev->dev); }
static inline void pci_set_drvdata(struct pci_dev *pdev, void *data) { dev_set_drvdata(&pdev->dev, data); }
static inline struct pci_dev *pci_dev_get(struct pci_dev *pdev)
{
	if (pdev)
		get_device(&pdev->dev);
	return pdev;
}
static inline void pci_dev_put(struct pci_dev *pdev)
{
	if (pdev)
		put_device(&pdev->dev);
}

/* BAR resources, as the firmware (the test: dmashim_pci_set_resource) left them. */
#define pci_resource_n(dev, bar) (&(dev)->resource[(bar)])
#define pci_resource_start(dev, bar) ((dev)->resource[(bar)].start)
#define pci_resource_end(dev, bar) ((dev)->resource[(bar)].end)
#define pci_resource_flags(dev, bar) ((dev)->resource[(bar)].flags)
#define pci_resource_len(dev, bar) \
	((pci_resource_end((dev), (bar)) == 0) ? 0 : \
	 (pci_resource_end((dev), (bar)) - pci_resource_start((dev), (bar)) + 1))

/*
 * Mapping a BAR (lib/pci_iomap.c, x86's lib/iomap.c). A memory BAR maps as
 * ioremap() maps its range: the window's CPU address when an iomem window
 * backs it (dmashim_pci_set_resource_iomem, dmashim run --iomem), else plain
 * memory standing for the device's registers. An I/O BAR gives the port cookie
 * (port + 0x10000) that ioread*()/iowrite*() turn into port I/O; the _wc
 * variants give NULL for it, as the kernel. NULL too for a BAR number out of
 * range, an empty BAR, start 0 or an offset at or past its end. maxlen 0 maps
 * the whole BAR (from offset). pci_iounmap() ends either kind; these are never
 * managed, even after pcim_enable_device(), as in the kernel.
 */
void __iomem *__dmashim_pci_iomap(struct pci_dev *dev, int bar, unsigned long offset, unsigned long maxlen, int wc,
				  const char *site);
void __dmashim_pci_iounmap(struct pci_dev *dev, void __iomem *addr, const char *site);
#define pci_iomap(dev, bar, maxlen) __dmashim_pci_iomap(dev, bar, 0, maxlen, 0, DMASHIM_SITE)
#define pci_iomap_wc(dev, bar, maxlen) __dmashim_pci_iomap(dev, bar, 0, maxlen, 1, DMASHIM_SITE)
#define pci_iomap_range(dev, bar, offset, maxlen) __dmashim_pci_iomap(dev, bar, offset, maxlen, 0, DMASHIM_SITE)
#define pci_iomap_wc_range(dev, bar, offset, maxlen) __dmashim_pci_iomap(dev, bar, offset, maxlen, 1, DMASHIM_SITE)
#define pci_iounmap(dev, addr) __dmashim_pci_iounmap(dev, addr, DMASHIM_SITE)

/* Config space: PCIBIOS_SUCCESSFUL, PCIBIOS_BAD_REGISTER_NUMBER (misaligned) or -EINVAL (beyond it; *val all ones). */
int pci_read_config_byte(const struct pci_dev *dev, int where, u8 *val);
int pci_read_config_word(const struct pci_dev *dev, int where, u16 *val);
int pci_read_config_dword(const struct pci_dev *dev, int where, u32 *val);
int pci_write_config_byte(const struct pci_dev *dev, int where, u8 val);
int pci_write_config_word(const struct pci_dev *dev, int where, u16 val);
int pci_write_config_dword(const struct pci_dev *dev, int where, u32 val);

/* Enabling counts; the first enables decoding for the BARs present, the last disable turns bus mastering off. */
int pci_enable_device(struct pci_dev *dev);
int pci_enable_device_mem(struct pci_dev *dev);
/* Managed pci_enable_device: disabled again when the driver detaches. */
int pcim_enable_device(struct pci_dev *dev);
void pci_disable_device(struct pci_dev *dev);
static inline int pci_is_enabled(struct pci_dev *pdev) { return atomic_read(&pdev->enable_cnt) > 0; }
void pci_set_master(struct pci_dev *dev);
void pci_clear_master(struct pci_dev *dev);
int pci_request_region(struct pci_dev *dev, int bar, const char *name);
void pci_release_region(struct pci_dev *dev, int bar);
int pci_request_regions(struct pci_dev *dev, const char *name);
void pci_release_regions(struct pci_dev *dev);

/* Interrupt vectors are numbered but never delivered (no interrupts are simulated); said in the log. */
int pci_alloc_irq_vectors(struct pci_dev *dev, unsigned int min_vecs, unsigned int max_vecs, unsigned int flags);
void pci_free_irq_vectors(struct pci_dev *dev);
int pci_irq_vector(struct pci_dev *dev, unsigned int nr);

/* &pdev->dev, with NULL for NULL (the compat macros accepted a NULL pci_dev). */
static inline struct device *__dmashim_pci_devp(struct pci_dev *pdev) { return pdev ? &pdev->dev : NULL; }

/* ---- pci_pool: the dma_pool API under its PCI names (until 5.16) ---- */
#if DMASHIM_HAS_UNTIL(5, 16, 0)
#define pci_pool dma_pool

#define __DMASHIM_NARGS_(_1, _2, _3, _4, _5, _6, _7, _8, N, ...) N
#define __DMASHIM_NARGS(...) __DMASHIM_NARGS_(__VA_ARGS__, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define __DMASHIM_CAT_(a, b) a##b
#define __DMASHIM_CAT(a, b) __DMASHIM_CAT_(a, b)

/* 2.4 takes the SLAB_* flags, 2.6 on five arguments; with no --kernel both (chosen by count). */
#if DMASHIM_SHAPE_BEFORE(2, 6, 0)
#define pci_pool_create(name, pdev, size, align, allocation, flags) \
	__dmashim_pci_pool_create_6(name, pdev, size, align, allocation, flags)
#elif defined(DMASHIM_KERNEL)
#define pci_pool_create(name, pdev, size, align, allocation) \
	__dmashim_pci_pool_create_5(name, pdev, size, align, allocation)
#else
#define pci_pool_create(...) __DMASHIM_CAT(__dmashim_pci_pool_create_, __DMASHIM_NARGS(__VA_ARGS__))(__VA_ARGS__)
#endif
#define __dmashim_pci_pool_create_5(name, pdev, size, align, allocation) \
	__dmashim_dma_pool_create(name, __dmashim_pci_devp(pdev), size, align, allocation, -1, 0, DMASHIM_SITE)
#define __dmashim_pci_pool_create_6(name, pdev, size, align, allocation, flags) \
	__dmashim_dma_pool_create(name, __dmashim_pci_devp(pdev), size, align, allocation, -1, \
				  ((unsigned int)(flags) & SLAB_POISON) ? __DMASHIM_POOL_POISON : 0u, DMASHIM_SITE)
#define pci_pool_destroy(pool) __dmashim_dma_pool_destroy(pool, 0, DMASHIM_SITE)
#define pci_pool_alloc(pool, flags, handle) __dmashim_dma_pool_alloc(pool, flags, handle, DMASHIM_SITE)
#if DMASHIM_HAS_SINCE(4, 3, 0)
#define pci_pool_zalloc(pool, flags, handle) __dmashim_dma_pool_alloc(pool, (flags) | __GFP_ZERO, handle, DMASHIM_SITE)
#endif
#define pci_pool_free(pool, vaddr, addr) __dmashim_dma_pool_free(pool, vaddr, addr, DMASHIM_SITE)
#endif /* pci_pool */

/* The device's DMA segment limits (pci_dev->dev.dma_parms): 0, or -EIO without dma_parms. */
#if DMASHIM_HAS_SINCE(2, 6, 24)
static inline int pci_set_dma_max_seg_size(struct pci_dev *dev, unsigned int size)
{
	return dma_set_max_seg_size(&dev->dev, size);
}
static inline int pci_set_dma_seg_boundary(struct pci_dev *dev, unsigned long mask)
{
	return dma_set_seg_boundary(&dev->dev, mask);
}
#endif

#include <linux/pci-dma-compat.h>

#endif /* LINUX_PCI_H */

/* SPDX-License-Identifier: MIT */
/*
 * The driver-model side of a C struct pci_dev, all in C (no TypeScript state):
 * the config space (in the struct's bridge-private tail), enabling, bus
 * mastering, BAR reservation, interrupt vector numbers, and the test's
 * dmashim_pci_* helpers (dmashim/bridge.h). src/drivers/pci/pci.ts is the
 * same for the TypeScript API.
 */
#include <string.h>

#include <linux/kernel.h>
#include <linux/device.h>
#include <linux/pci.h>
#include <dmashim/bridge.h>

#include "internal.h"

/* The PCI core's release: the kernel frees the pci_dev here; the harness owns its memory. */
void pci_release_dev(struct device *dev)
{
	(void)dev;
}

static void cfg_put(struct pci_dev *pdev, int where, u32 v, int size)
{
	for (int i = 0; i < size; i++)
		pdev->__dmashim_pci.config[where + i] = (u8)(v >> (8 * i));
}

static u32 cfg_get(const struct pci_dev *pdev, int where, int size)
{
	u32 v = 0;
	for (int i = size - 1; i >= 0; i--)
		v = (v << 8) | pdev->__dmashim_pci.config[where + i];
	return v;
}

static int cfg_size(const struct pci_dev *pdev)
{
	return pdev->cfg_size == PCI_CFG_SPACE_EXP_SIZE ? PCI_CFG_SPACE_EXP_SIZE : PCI_CFG_SPACE_SIZE;
}

void __dmashim_pci_config_init(struct pci_dev *pdev)
{
	if (pdev->cfg_size != PCI_CFG_SPACE_EXP_SIZE)
		pdev->cfg_size = PCI_CFG_SPACE_SIZE;
	cfg_put(pdev, PCI_VENDOR_ID, pdev->vendor, 2);
	cfg_put(pdev, PCI_DEVICE_ID, pdev->device, 2);
	cfg_put(pdev, PCI_REVISION_ID, pdev->revision, 1);
	cfg_put(pdev, PCI_CLASS_PROG, pdev->class, 3);
	cfg_put(pdev, PCI_HEADER_TYPE, pdev->hdr_type, 1);
	cfg_put(pdev, PCI_SUBSYSTEM_VENDOR_ID, pdev->subsystem_vendor, 2);
	cfg_put(pdev, PCI_SUBSYSTEM_ID, pdev->subsystem_device, 2);
	cfg_put(pdev, PCI_INTERRUPT_LINE, (u32)pdev->irq, 1);
	cfg_put(pdev, PCI_INTERRUPT_PIN, pdev->pin, 1);
}

/* The identification registers ignore the driver's writes, as in hardware. */
static int read_only(int where)
{
	return where < 4 || (where >= 0x08 && where < 0x0c) || where == PCI_HEADER_TYPE ||
	       (where >= PCI_SUBSYSTEM_VENDOR_ID && where < 0x30);
}

/* PCIBIOS_SUCCESSFUL, -EINVAL beyond the config space, PCIBIOS_BAD_REGISTER_NUMBER misaligned. */
static int cfg_check(const struct pci_dev *pdev, int where, int size)
{
	if (where < 0 || where + size > cfg_size(pdev))
		return -EINVAL;
	if (where & (size - 1))
		return PCIBIOS_BAD_REGISTER_NUMBER;
	return PCIBIOS_SUCCESSFUL;
}

#define PCI_READ(name, type, size)							\
int name(const struct pci_dev *dev, int where, type *val)				\
{											\
	int rc = cfg_check(dev, where, size);						\
	*val = rc ? (type)~0u : (type)cfg_get(dev, where, size);			\
	return rc;									\
}
#define PCI_WRITE(name, type, size)							\
int name(const struct pci_dev *dev, int where, type val)				\
{											\
	int rc = cfg_check(dev, where, size);						\
	if (rc)										\
		return rc;								\
	for (int i = 0; i < size; i++)							\
		if (!read_only(where + i))						\
			((struct pci_dev *)dev)->__dmashim_pci.config[where + i] = (u8)((u32)val >> (8 * i)); \
	return rc;									\
}
PCI_READ(pci_read_config_byte, u8, 1)
PCI_READ(pci_read_config_word, u16, 2)
PCI_READ(pci_read_config_dword, u32, 4)
PCI_WRITE(pci_write_config_byte, u8, 1)
PCI_WRITE(pci_write_config_word, u16, 2)
PCI_WRITE(pci_write_config_dword, u32, 4)

int pci_enable_device(struct pci_dev *dev)
{
	if (atomic_inc_return(&dev->enable_cnt) > 1)
		return 0;
	u16 old = (u16)cfg_get(dev, PCI_COMMAND, 2), cmd = old;
	for (int i = 0; i < PCI_STD_NUM_BARS; i++) {
		if (!dev->resource[i].end)
			continue;
		if (dev->resource[i].flags & IORESOURCE_IO)
			cmd |= PCI_COMMAND_IO;
		if (dev->resource[i].flags & IORESOURCE_MEM)
			cmd |= PCI_COMMAND_MEMORY;
	}
	if (cmd != old) {
		dev_info(&dev->dev, "enabling device (%04x -> %04x)\n", old, cmd);
		cfg_put(dev, PCI_COMMAND, cmd, 2);
	}
	return 0;
}

int pci_enable_device_mem(struct pci_dev *dev)
{
	return pci_enable_device(dev);
}

void pci_disable_device(struct pci_dev *dev)
{
	if (atomic_read(&dev->enable_cnt) <= 0) {
		static int once;
		if (!once) {
			once = 1;
			WARN(1, "%s %s: disabling already-disabled device\n", dev_driver_string(&dev->dev),
			     dev_name(&dev->dev));
		}
	}
	if (atomic_dec_return(&dev->enable_cnt) != 0)
		return;
	u16 cmd = (u16)cfg_get(dev, PCI_COMMAND, 2);
	if (cmd & PCI_COMMAND_MASTER)
		cfg_put(dev, PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER, 2);
	dev->is_busmaster = 0;
}

static void pcim_disable(void *data)
{
	struct pci_dev *pdev = data;
	if (atomic_read(&pdev->enable_cnt) > 0)
		pci_disable_device(pdev);
}

int pcim_enable_device(struct pci_dev *pdev)
{
	int rc = devm_add_action(&pdev->dev, pcim_disable, pdev);
	if (rc)
		return rc;
	pdev->is_managed = 1;
	return pci_enable_device(pdev);
}

void pci_set_master(struct pci_dev *dev)
{
	u16 cmd = (u16)cfg_get(dev, PCI_COMMAND, 2);
	if (!(cmd & PCI_COMMAND_MASTER)) {
		dev_dbg(&dev->dev, "enabling bus-master\n");
		cfg_put(dev, PCI_COMMAND, cmd | PCI_COMMAND_MASTER, 2);
	}
	dev->is_busmaster = 1;
}

void pci_clear_master(struct pci_dev *dev)
{
	u16 cmd = (u16)cfg_get(dev, PCI_COMMAND, 2);
	if (cmd & PCI_COMMAND_MASTER) {
		dev_dbg(&dev->dev, "disabling bus-master\n");
		cfg_put(dev, PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER, 2);
	}
	dev->is_busmaster = 0;
}

/* The kernel's %pR of a BAR. */
static void fmt_res(char *buf, size_t n, const struct resource *r)
{
	int io = (r->flags & IORESOURCE_IO) != 0;
	snprintf(buf, n, io ? "[io  0x%04llx-0x%04llx%s%s]" : "[mem 0x%08llx-0x%08llx%s%s]",
		 (unsigned long long)r->start, (unsigned long long)r->end,
		 (r->flags & IORESOURCE_MEM_64) ? " 64bit" : "", (r->flags & IORESOURCE_PREFETCH) ? " pref" : "");
}

int pci_request_region(struct pci_dev *dev, int bar, const char *name)
{
	if (bar < 0 || bar >= PCI_NUM_RESOURCES)
		return -EINVAL;
	struct resource *r = &dev->resource[bar];
	if (!r->end)
		return 0;
	if (dev->__dmashim_pci.regions & (1u << bar)) {
		char b[80];
		fmt_res(b, sizeof(b), r);
		dev_warn(&dev->dev, "BAR %d: can't reserve %s\n", bar, b);
		return -EBUSY;
	}
	dev->__dmashim_pci.regions |= 1u << bar;
	r->name = name;
	return 0;
}

void pci_release_region(struct pci_dev *dev, int bar)
{
	if (bar < 0 || bar >= PCI_NUM_RESOURCES || !dev->resource[bar].end)
		return;
	if (!(dev->__dmashim_pci.regions & (1u << bar))) {
		printk(KERN_WARNING "Trying to free nonexistent resource <0x%016llx-0x%016llx>\n",
		       (unsigned long long)dev->resource[bar].start, (unsigned long long)dev->resource[bar].end);
		return;
	}
	dev->__dmashim_pci.regions &= ~(1u << bar);
}

int pci_request_regions(struct pci_dev *dev, const char *name)
{
	for (int bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		if (pci_request_region(dev, bar, name)) {
			while (--bar >= 0)
				if (dev->resource[bar].end)
					pci_release_region(dev, bar);
			return -EBUSY;
		}
	}
	return 0;
}

void pci_release_regions(struct pci_dev *dev)
{
	for (int bar = 0; bar < PCI_STD_NUM_BARS; bar++)
		pci_release_region(dev, bar);
}

int pci_alloc_irq_vectors(struct pci_dev *dev, unsigned int min_vecs, unsigned int max_vecs, unsigned int flags)
{
	if (!max_vecs || min_vecs > max_vecs || !(flags & PCI_IRQ_ALL_TYPES))
		return -EINVAL;
	/* Only MSI-X gives more than one vector with distinct numbers; the count is what the driver asked for. */
	unsigned int n = (flags & (PCI_IRQ_MSIX | PCI_IRQ_MSI)) ? max_vecs : 1;
	if (n < min_vecs)
		return -ENOSPC;
	dev->__dmashim_pci.nvecs = (int)n;
	dev->msix_enabled = (flags & PCI_IRQ_MSIX) && n > 1;
	dev->msi_enabled = !dev->msix_enabled && (flags & PCI_IRQ_MSI);
	printk(KERN_WARNING "dmashim: %s: pci_alloc_irq_vectors(): %u interrupt vector%s numbered, but dmashim "
			    "simulates no interrupts: none will ever fire (call the handler from the test)\n",
	       dev_name(&dev->dev), n, n == 1 ? "" : "s");
	return (int)n;
}

void pci_free_irq_vectors(struct pci_dev *dev)
{
	dev->__dmashim_pci.nvecs = 0;
	dev->msi_enabled = dev->msix_enabled = 0;
}

int pci_irq_vector(struct pci_dev *dev, unsigned int nr)
{
	if ((int)nr >= (dev->__dmashim_pci.nvecs ? dev->__dmashim_pci.nvecs : 1))
		return -EINVAL;
	return dev->irq + (int)nr;
}

/* ---- the test's side (dmashim/bridge.h) ---- */

int dmashim_pci_set_resource(struct pci_dev *pdev, int bar, u64 start, u64 size, unsigned long flags)
{
	if (!pdev || bar < 0 || bar >= PCI_NUM_RESOURCES || (size && start + size - 1 < start))
		return -EINVAL;
	struct resource *r = &pdev->resource[bar];
	if (!size) {
		r->start = r->end = 0;
		r->flags = 0;
		return 0;
	}
	if (!(flags & (IORESOURCE_IO | IORESOURCE_MEM)))
		flags |= IORESOURCE_MEM;
	r->start = start;
	r->end = start + size - 1;
	r->flags = flags;
	if (bar < PCI_STD_NUM_BARS) {
		int io = (flags & IORESOURCE_IO) != 0;
		u32 low = io ? ((u32)start | PCI_BASE_ADDRESS_SPACE_IO)
			     : ((u32)start | ((flags & IORESOURCE_MEM_64) ? PCI_BASE_ADDRESS_MEM_TYPE_64 : 0) |
				((flags & IORESOURCE_PREFETCH) ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0));
		cfg_put(pdev, PCI_BASE_ADDRESS_0 + 4 * bar, low, 4);
		if (!io && (flags & IORESOURCE_MEM_64) && bar + 1 < PCI_STD_NUM_BARS)
			cfg_put(pdev, PCI_BASE_ADDRESS_0 + 4 * (bar + 1), (u32)(start >> 32), 4);
	}
	return 0;
}

int dmashim_pci_config_set(struct pci_dev *pdev, int where, const void *buf, size_t len)
{
	if (!pdev || !buf || where < 0 || (size_t)where + len > (size_t)cfg_size(pdev))
		return -EINVAL;
	memcpy(pdev->__dmashim_pci.config + where, buf, len);
	return 0;
}

/*
 * 1 when one iomem window holds all of [start, start+size): RAM at neither end
 * (windows never overlap RAM), and ioremap finds a window.
 */
static int iomem_backs(u64 start, u64 size)
{
	if (dmashim_ts.addr(DMASHIM_ADDR_PHYS_TO_VIRT, (double)start) >= 0 ||
	    dmashim_ts.addr(DMASHIM_ADDR_PHYS_TO_VIRT, (double)(start + size - 1)) >= 0)
		return 0;
	return dmashim_ts.devmem(DMASHIM_DEVMEM_IOREMAP, dmashim_devid(NULL), (double)start, (double)size, 0, 0) >= 0;
}

int dmashim_pci_set_resource_iomem(struct pci_dev *pdev, int bar, u64 start, u64 size, unsigned long flags)
{
	if (!pdev || bar < 0 || bar >= PCI_NUM_RESOURCES || !size || start + size - 1 < start ||
	    (flags & IORESOURCE_IO))
		return -EINVAL;
	if (!enter("dmashim_pci_set_resource_iomem"))
		return -EINVAL;
	if (!iomem_backs(start, size)) {
		pr_err("dmashim: dmashim_pci_set_resource_iomem(): BAR %d [mem %#llx-%#llx] of %s: no iomem window of "
		       "the machine holds it (dmashim run --iomem SIZE@PHYS[:NAME]); the BAR is left as it was\n",
		       bar, (unsigned long long)start, (unsigned long long)(start + size - 1), dev_name(&pdev->dev));
		return -ENODEV;
	}
	return dmashim_pci_set_resource(pdev, bar, start, size, flags);
}

/* ---- BAR mappings (linux/pci.h's pci_iomap family) ---- */

void __iomem *__dmashim_pci_iomap(struct pci_dev *dev, int bar, unsigned long offset, unsigned long maxlen, int wc,
				  const char *site)
{
	if (!dev || bar < 0 || bar >= PCI_NUM_RESOURCES)
		return NULL;
	resource_size_t start = pci_resource_start(dev, bar), len = pci_resource_len(dev, bar);
	unsigned long flags = pci_resource_flags(dev, bar);
	if (len <= offset || !start)
		return NULL;
	if (wc && (flags & IORESOURCE_IO))
		return NULL;
	len -= offset;
	start += offset;
	if (maxlen && len > maxlen)
		len = maxlen;
	if (flags & IORESOURCE_IO)
		return ioport_map(start, (unsigned int)len);
	if (flags & IORESOURCE_MEM)
		return __dmashim_ioremap(start, len, wc, site);
	return NULL;
}

void __dmashim_pci_iounmap(struct pci_dev *dev, void __iomem *addr, const char *site)
{
	(void)dev;
	unsigned long port = (unsigned long)addr;
	/* A port cookie: ioport_unmap() has nothing to undo. */
	if (port > __DMASHIM_PIO_OFFSET && port < __DMASHIM_PIO_RESERVED)
		return;
	__dmashim_iounmap(addr, site);
}

/* SPDX-License-Identifier: MIT */
/*
 * dmashim/bridge.h: what a C program can ask of dmashim beyond the kernel API.
 * Test programs use it to look at the TypeScript side: read a sysfs file, see
 * the kernel log as it is written, and read/write memory through TypeScript's
 * view of the same bytes.
 */
#ifndef _DMASHIM_BRIDGE_H
#define _DMASHIM_BRIDGE_H

#include <linux/types.h>
/* DMASHIM_ABI_VERSION */
#include <dmashim/abi.h>

struct device;
struct dma_pool;

/* Called (on the JS thread) for every kernel log record, while set. NULL removes it. */
void dmashim_set_log_hook(void (*hook)(int level, const char *line));

/* A device's sysfs attribute ("pools"): its length, copied NUL-terminated into buf; -ENOENT if none. */
int dmashim_sysfs_read(struct device *dev, const char *attr, char *buf, size_t size);

/* Memory as TypeScript sees it (io.ts accessors on the machine's arena view). */
u8 dmashim_ts_readb(const volatile void *addr);
u32 dmashim_ts_readl(const volatile void *addr);
void dmashim_ts_writeb(u8 val, volatile void *addr);
void dmashim_ts_writel(u32 val, volatile void *addr);
/* FNV-1a 32 of [addr, addr+len), computed by TypeScript. */
u32 dmashim_ts_fnv1a(const volatile void *addr, size_t len);
/* The same hash computed in C, to compare with. */
static inline u32 dmashim_fnv1a(const volatile void *addr, size_t len)
{
	const volatile u8 *p = (const volatile u8 *)addr;
	u32 h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

/* Pool poisoning for one pool: 1 on, 0 off, -1 follow the machine (dmapool_set_poison). */
void dmashim_pool_set_poison(struct dma_pool *pool, int on);

/* Blocks of this pool waiting in the C-side block cache (dmashim run --pool-cache); 0 when the cache is off. */
int dmashim_pool_cached(struct dma_pool *pool);

/*
 * Playing the device from C (src/sim/device_side.ts): the program acts
 * as the hardware's bus master and reads or writes bytes at a bus address, as
 * the device would. The access goes through the IOMMU (--iommu) or the direct
 * map, lands in the swiotlb slot of a bounced mapping (so the CPU sees it only
 * after dma_sync_*_for_cpu or the unmap), and is checked against what the
 * driver made live for `dev`: stray DMA, DMA after unmap or free, beyond the
 * device's mask, or an IOMMU fault is reported by the core (with the C line of
 * the call) and does not happen. A transfer is all or nothing: it is checked
 * whole, then copied (in 4 KiB pieces through a staging buffer in C).
 * Use these instead of phys_to_virt(bus address), which is wrong behind an
 * IOMMU and bypasses bounce buffers and the checks. A NULL dev gives -ENODEV.
 */
/* The device reads len bytes at dma into buf: 0, or -EFAULT (the access was refused and reported; buf untouched). */
int __dmashim_device_read(struct device *dev, dma_addr_t dma, void *buf, size_t len, const char *site);
/*
 * The device writes len bytes from buf at dma: 0, -EFAULT when the write was
 * refused and reported (it did not land), -EIO for a bus error (no RAM there).
 * A write into a DMA_TO_DEVICE mapping is reported and, without an IOMMU, lands.
 */
int __dmashim_device_write(struct device *dev, dma_addr_t dma, const void *buf, size_t len, const char *site);
/* The device writes len bytes of (u8)value at dma (a memset by the device): as dmashim_device_write. */
int __dmashim_device_fill(struct device *dev, dma_addr_t dma, int value, size_t len, const char *site);
int (dmashim_device_read)(struct device *dev, dma_addr_t dma, void *buf, size_t len);
int (dmashim_device_write)(struct device *dev, dma_addr_t dma, const void *buf, size_t len);
int (dmashim_device_fill)(struct device *dev, dma_addr_t dma, int value, size_t len);
#define dmashim_device_read(dev, dma, buf, len) __dmashim_device_read(dev, dma, buf, len, DMASHIM_SITE)
#define dmashim_device_write(dev, dma, buf, len) __dmashim_device_write(dev, dma, buf, len, DMASHIM_SITE)
#define dmashim_device_fill(dev, dma, value, len) __dmashim_device_fill(dev, dma, value, len, DMASHIM_SITE)
/* How many device-side accesses of dev were reported so far (device_dma_error_count). */
unsigned int dmashim_device_errors(struct device *dev);

/* 1 when running with --threads (calls from any thread are relayed to TypeScript). */
int dmashim_threaded(void);

/*
 * For benchmarks: one call of a JS callback that does nothing, of the same
 * shape as the one dma_pool_alloc/dma_pool_free make (void(void), arguments in
 * the fast area), so a benchmark can divide by the bare crossing measured in
 * its own process. Nothing else happens on either side (no thread check, no
 * call site, no log): call it only from the JS thread (main() without
 * --threads), and only after the bridge is up (not from a constructor).
 */
void dmashim_bench_noop(void);

/*
 * The kernel environment (docs/kernel-env.md): the simulated clock moves only
 * when the program sleeps or delays, or when a test calls these. Advancing
 * runs each timer whose tick is passed, at that tick, in softirq context, and
 * the work queued by then, in process context (when called outside atomic
 * context).
 */
void dmashim_advance_ms(unsigned int ms);
void dmashim_advance_ns(u64 ns);
/* Timers armed and not yet run. */
unsigned int dmashim_timers_pending(void);
/*
 * Raise interrupt line irq: each handler request_irq() put there runs in
 * interrupt context (irq_enter, IRQs off). Returns how many handled it,
 * -ENOENT when the line has no handler.
 */
int dmashim_raise_irq(unsigned int irq);

/*
 * Playing the PCI firmware and hardware (native/pci.c). Call after
 * pci_setup_device(). dmashim_pci_set_resource() gives BAR `bar` (0..
 * PCI_NUM_RESOURCES-1) `size` bytes at `start` with IORESOURCE_* `flags`
 * (IORESOURCE_MEM when none of IO/MEM is given), writes the BAR register of the
 * config space as the firmware would, and size 0 empties it; it backs the BAR
 * with nothing (pci_iomap() of it gives plain register memory; see
 * dmashim_pci_set_resource_iomem() for device memory). dmashim_pci_config_set() writes config bytes, read-only
 * registers included. Both return 0 or -EINVAL (bad BAR, range or pointer).
 */
struct pci_dev;
int dmashim_pci_set_resource(struct pci_dev *pdev, int bar, u64 start, u64 size, unsigned long flags);
int dmashim_pci_config_set(struct pci_dev *pdev, int where, const void *buf, size_t len);

/*
 * A memory BAR that is device memory (a sound card's SRAM, a frame buffer):
 * dmashim_pci_set_resource() after checking that one iomem window of the
 * machine holds all of [start, start+size), so pci_iomap() gives the window's
 * CPU address and dma_declare_coherent_memory() accepts the BAR. Windows exist
 * from the start of the run (the arena is reserved before main()): give one
 * with dmashim run --iomem SIZE@PHYS[:NAME]. Returns 0; -ENODEV (logged) when
 * no window holds the range; -EINVAL for a bad BAR, size 0, a wrapping range
 * or IORESOURCE_IO in flags.
 */
int dmashim_pci_set_resource_iomem(struct pci_dev *pdev, int bar, u64 start, u64 size, unsigned long flags);

#endif /* _DMASHIM_BRIDGE_H */

/* SPDX-License-Identifier: MIT */
/*
 * Device memory from C: memremap/ioremap of the machine's iomem windows,
 * dma_declare_coherent_memory (linux/dma-map-ops.h), and the sanitizer's report when
 * virt_to_page and friends take device memory for RAM (linux/io.h's
 * __dmashim_devmem_check). The windows lie in the arena right after RAM, so
 * their CPU addresses are arena addresses as RAM's are; TypeScript
 * (src/arch/sim/io.ts, src/kernel/dma/coherent.ts) decides and reports.
 */
#include <linux/kernel.h>
#include <linux/device.h>
#include <linux/errno.h>
#include <linux/io.h>
#include <linux/dma-mapping.h>
#include <linux/dma-map-ops.h>

#include "internal.h"

uintptr_t __dmashim_devmem_start, __dmashim_devmem_len;

/* Called once by the runner when the machine has iomem windows: their arena offset and total size. */
EXPORT void dmashim_devmem_init(double start, double len)
{
	__dmashim_devmem_start = (uintptr_t)dmashim_arena + (uintptr_t)start;
	__dmashim_devmem_len = (uintptr_t)len;
}

static double devmem(int op, const struct device *dev, double a, double b, double c, const char *site)
{
	return dmashim_ts.devmem(op, dmashim_devid(dev), a, b, c, site_arg(site));
}

void __dmashim_devmem_nopage(const volatile void *addr, int call, const char *site)
{
	if (enter("virt_to_page"))
		devmem(DMASHIM_DEVMEM_NOPAGE, NULL, addr_arg(addr), call, 0, site);
}

void *__dmashim_memremap(resource_size_t offset, size_t size, unsigned long flags, const char *site)
{
	if (!enter("memremap"))
		return NULL;
	double off = devmem(DMASHIM_DEVMEM_MEMREMAP, NULL, (double)offset, (double)size, (double)flags, site);
	return off < 0 ? NULL : arena_ptr(off);
}

void __dmashim_memunmap(void *addr, const char *site)
{
	if (enter("memunmap") && addr)
		devmem(DMASHIM_DEVMEM_MEMUNMAP, NULL, addr_arg(addr), 0, 0, site);
}

void __iomem *__dmashim_ioremap(resource_size_t offset, size_t size, int wc, const char *site)
{
	if (!enter(wc ? "ioremap_wc" : "ioremap"))
		return NULL;
	double off = devmem(wc ? DMASHIM_DEVMEM_IOREMAP_WC : DMASHIM_DEVMEM_IOREMAP, NULL, (double)offset,
			    (double)size, 0, site);
	/* No window and not RAM: a register range, plain memory (native/io.c). */
	if (off == DMASHIM_DEVMEM_NO_WINDOW)
		return __dmashim_ioremap_plain(offset, size, site);
	return off < 0 ? NULL : arena_ptr(off);
}

void __dmashim_iounmap(volatile void __iomem *addr, const char *site)
{
	if (!enter("iounmap") || !addr)
		return;
	if ((uintptr_t)addr - __dmashim_devmem_start < __dmashim_devmem_len)
		devmem(DMASHIM_DEVMEM_IOUNMAP, NULL, addr_arg(addr), 0, 0, site);
	else
		__dmashim_iounmap_plain(addr, site);
}

int dma_declare_coherent_memory(struct device *dev, phys_addr_t phys_addr, dma_addr_t device_addr, size_t size)
{
	if (!enter("dma_declare_coherent_memory"))
		return -EINVAL;
	return (int)devmem(DMASHIM_DEVMEM_DECLARE, dev, (double)phys_addr, (double)device_addr, (double)size, NULL);
}

void dma_release_coherent_memory(struct device *dev)
{
	if (enter("dma_release_coherent_memory") && dev)
		devmem(DMASHIM_DEVMEM_RELEASE, dev, 0, 0, 0, NULL);
}

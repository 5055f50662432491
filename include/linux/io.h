/* SPDX-License-Identifier: MIT */
/*
 * linux/io.h for dmashim: address conversions of the simulated machine's direct
 * map, and MMIO-style accessors (plain volatile accesses: "registers" here are
 * memory). virt_to_phys() of an address outside machine RAM (a C stack or
 * malloc address) logs a report and returns ~0.
 */
#ifndef _LINUX_IO_H
#define _LINUX_IO_H

#include <string.h>
#include <linux/types.h>
#include <linux/compiler.h>
#include <dmashim/abi.h>

phys_addr_t virt_to_phys(volatile void *address);
void *phys_to_virt(phys_addr_t address);

/* 2.4-era names: bus and physical addresses were the same on x86 without an IOMMU. */
static inline unsigned long virt_to_bus(volatile void *address) { return (unsigned long)virt_to_phys(address); }
static inline void *bus_to_virt(unsigned long address) { return phys_to_virt(address); }

static inline u8 readb(const volatile void __iomem *addr) { return *(const volatile u8 *)addr; }
static inline u16 readw(const volatile void __iomem *addr) { return *(const volatile u16 *)addr; }
static inline u32 readl(const volatile void __iomem *addr) { return *(const volatile u32 *)addr; }
static inline u64 readq(const volatile void __iomem *addr) { return *(const volatile u64 *)addr; }
static inline void writeb(u8 val, volatile void __iomem *addr) { *(volatile u8 *)addr = val; }
static inline void writew(u16 val, volatile void __iomem *addr) { *(volatile u16 *)addr = val; }
static inline void writel(u32 val, volatile void __iomem *addr) { *(volatile u32 *)addr = val; }
static inline void writeq(u64 val, volatile void __iomem *addr) { *(volatile u64 *)addr = val; }

/*
 * Port I/O and the iomap cookies, as x86 (lib/iomap.c): ioport_map() and
 * pci_iomap() of an I/O BAR give port + 0x10000, and ioread*()/iowrite*()
 * turn an address below 0x40000 into port I/O. The 64 KiB port space is plain
 * memory (native/io.c), so a test plays the device with outl()/inl(). Any
 * other low address (NULL) gets the kernel's "Bad IO access" WARN (ten times
 * at most) and reads as all ones.
 */
#define __DMASHIM_PIO_OFFSET 0x10000UL
#define __DMASHIM_PIO_MASK 0x0ffffUL
#define __DMASHIM_PIO_RESERVED 0x40000UL
#pragma GCC visibility push(hidden)
extern u8 __dmashim_ioport_space[];
void __dmashim_bad_io_access(unsigned long port, const char *access, const char *fn, const char *site);
#pragma GCC visibility pop

static inline u8 inb(unsigned long port) { return __dmashim_ioport_space[port & __DMASHIM_PIO_MASK]; }
static inline u16 inw(unsigned long port)
{
	u16 v;
	memcpy(&v, __dmashim_ioport_space + (port & __DMASHIM_PIO_MASK), sizeof(v));
	return v;
}
static inline u32 inl(unsigned long port)
{
	u32 v;
	memcpy(&v, __dmashim_ioport_space + (port & __DMASHIM_PIO_MASK), sizeof(v));
	return v;
}
static inline void outb(u8 val, unsigned long port) { __dmashim_ioport_space[port & __DMASHIM_PIO_MASK] = val; }
static inline void outw(u16 val, unsigned long port)
{
	memcpy(__dmashim_ioport_space + (port & __DMASHIM_PIO_MASK), &val, sizeof(val));
}
static inline void outl(u32 val, unsigned long port)
{
	memcpy(__dmashim_ioport_space + (port & __DMASHIM_PIO_MASK), &val, sizeof(val));
}

/*
 * lib/iomap.c's IO_COND: MMIO at or above PIO_RESERVED, a port cookie above
 * PIO_OFFSET, else a bad access, reported at the caller's line (the macros
 * below pass it; the functions, for a driver that takes their address, cannot).
 */
#define __DMASHIM_IO_COND(addr, is_pio, is_mmio, what, fn, site)	\
	do {								\
		unsigned long port = (unsigned long)(addr);		\
		if (__builtin_expect(port >= __DMASHIM_PIO_RESERVED, 1)) { \
			is_mmio;					\
		} else if (port > __DMASHIM_PIO_OFFSET) {		\
			port &= __DMASHIM_PIO_MASK;			\
			is_pio;						\
		} else							\
			__dmashim_bad_io_access(port, what, fn, site);	\
	} while (0)

static inline u8 __dmashim_ioread8(const volatile void __iomem *addr, const char *site)
{
	__DMASHIM_IO_COND(addr, return inb(port), return readb(addr), "return inb(port)", "ioread8", site);
	return 0xff;
}
static inline u16 __dmashim_ioread16(const volatile void __iomem *addr, const char *site)
{
	__DMASHIM_IO_COND(addr, return inw(port), return readw(addr), "return inw(port)", "ioread16", site);
	return 0xffff;
}
static inline u32 __dmashim_ioread32(const volatile void __iomem *addr, const char *site)
{
	__DMASHIM_IO_COND(addr, return inl(port), return readl(addr), "return inl(port)", "ioread32", site);
	return 0xffffffff;
}
static inline void __dmashim_iowrite8(u8 val, volatile void __iomem *addr, const char *site)
{
	__DMASHIM_IO_COND(addr, outb(val, port), writeb(val, addr), "outb(val,port)", "iowrite8", site);
}
static inline void __dmashim_iowrite16(u16 val, volatile void __iomem *addr, const char *site)
{
	__DMASHIM_IO_COND(addr, outw(val, port), writew(val, addr), "outw(val,port)", "iowrite16", site);
}
static inline void __dmashim_iowrite32(u32 val, volatile void __iomem *addr, const char *site)
{
	__DMASHIM_IO_COND(addr, outl(val, port), writel(val, addr), "outl(val,port)", "iowrite32", site);
}
/* The functions have the kernel's prototypes (asm-generic/iomap.h), for a driver that stores their address. */
static inline unsigned int ioread8(const void __iomem *addr) { return __dmashim_ioread8(addr, NULL); }
static inline unsigned int ioread16(const void __iomem *addr) { return __dmashim_ioread16(addr, NULL); }
static inline unsigned int ioread32(const void __iomem *addr) { return __dmashim_ioread32(addr, NULL); }
static inline void iowrite8(u8 val, void __iomem *addr) { __dmashim_iowrite8(val, addr, NULL); }
static inline void iowrite16(u16 val, void __iomem *addr) { __dmashim_iowrite16(val, addr, NULL); }
static inline void iowrite32(u32 val, void __iomem *addr) { __dmashim_iowrite32(val, addr, NULL); }
#define ioread8(addr) __dmashim_ioread8(addr, DMASHIM_SITE)
#define ioread16(addr) __dmashim_ioread16(addr, DMASHIM_SITE)
#define ioread32(addr) __dmashim_ioread32(addr, DMASHIM_SITE)
#define iowrite8(val, addr) __dmashim_iowrite8(val, addr, DMASHIM_SITE)
#define iowrite16(val, addr) __dmashim_iowrite16(val, addr, DMASHIM_SITE)
#define iowrite32(val, addr) __dmashim_iowrite32(val, addr, DMASHIM_SITE)

/* A cookie for ports [port, port+nr): NULL beyond the 64 KiB port space. */
static inline void __iomem *ioport_map(unsigned long port, unsigned int nr)
{
	(void)nr;
	return port > __DMASHIM_PIO_MASK ? NULL : (void __iomem *)(port + __DMASHIM_PIO_OFFSET);
}
static inline void ioport_unmap(void __iomem *addr) { (void)addr; }
#define readl_relaxed readl
#define writel_relaxed writel
#define wmb() __asm__ __volatile__("" : : : "memory")
#define rmb() __asm__ __volatile__("" : : : "memory")
#define mb() __asm__ __volatile__("mfence" : : : "memory")
#define dma_wmb() wmb()
#define dma_rmb() rmb()

/*
 * Device memory: the machine's iomem windows (dmashim run --iomem SIZE@PHYS),
 * CPU-reachable memory that is not RAM and has no struct page. memremap() and
 * ioremap() give their CPU address; ioremap of RAM is refused with the
 * kernel's WARN. ioremap() of a range no window backs (a device's register
 * BAR) gives plain memory instead, zeroed when first mapped and shared by
 * every mapping of the same physical range, so a test plays the device by
 * writing it (native/io.c); memremap() of such a range is NULL, logged.
 * virt_to_phys() works on window memory;
 * virt_to_page(), page_address(), sg_set_buf() and sg_set_page() on it are
 * reported by the sanitizer at the caller's line (native/devmem.c).
 */
#include <stdint.h>
#include <string.h>

enum {
	MEMREMAP_WB = 1 << 0,
	MEMREMAP_WT = 1 << 1,
	MEMREMAP_WC = 1 << 2,
	MEMREMAP_ENC = 1 << 3,
	MEMREMAP_DEC = 1 << 4,
};

void *__dmashim_memremap(resource_size_t offset, size_t size, unsigned long flags, const char *site);
void __dmashim_memunmap(void *addr, const char *site);
void __iomem *__dmashim_ioremap(resource_size_t offset, size_t size, int wc, const char *site);
void __dmashim_iounmap(volatile void __iomem *addr, const char *site);
#define memremap(offset, size, flags) __dmashim_memremap(offset, size, flags, DMASHIM_SITE)
#define memunmap(addr) __dmashim_memunmap(addr, DMASHIM_SITE)
#define ioremap(offset, size) __dmashim_ioremap(offset, size, 0, DMASHIM_SITE)
#define ioremap_wc(offset, size) __dmashim_ioremap(offset, size, 1, DMASHIM_SITE)
#define ioremap_uc(offset, size) __dmashim_ioremap(offset, size, 0, DMASHIM_SITE)
#define ioremap_cache(offset, size) __dmashim_ioremap(offset, size, 0, DMASHIM_SITE)
#define ioremap_nocache(offset, size) __dmashim_ioremap(offset, size, 0, DMASHIM_SITE)
#define ioremap_wt(offset, size) __dmashim_ioremap(offset, size, 0, DMASHIM_SITE)
#define iounmap(addr) __dmashim_iounmap(addr, DMASHIM_SITE)

static inline void memcpy_toio(volatile void __iomem *dst, const void *src, size_t n)
{
	memcpy((void *)dst, src, n);
}
static inline void memcpy_fromio(void *dst, const volatile void __iomem *src, size_t n)
{
	memcpy(dst, (const void *)src, n);
}
static inline void memset_io(volatile void __iomem *dst, int c, size_t n) { memset((void *)dst, c, n); }

#pragma GCC visibility push(hidden)
/* CPU address range of the iomem windows (0, 0 when the machine has none), set before main(). */
extern uintptr_t __dmashim_devmem_start, __dmashim_devmem_len;
void __dmashim_devmem_nopage(const volatile void *addr, int call, const char *site);
#pragma GCC visibility pop

/* `addr` unchanged; first a report when it is device memory given to `call` (DMASHIM_NOPAGE_*), which wants RAM. */
static inline void *__dmashim_devmem_check(const volatile void *addr, int call, const char *site)
{
	if (__builtin_expect((uintptr_t)addr - __dmashim_devmem_start < __dmashim_devmem_len, 0))
		__dmashim_devmem_nopage(addr, call, site);
	return (void *)addr;
}

#endif /* _LINUX_IO_H */

/* SPDX-License-Identifier: MIT */
/*
 * linux/io.h for dmashim: address conversions of the simulated machine's direct
 * map, and MMIO-style accessors (plain volatile accesses: "registers" here are
 * memory). virt_to_phys() of an address outside machine RAM (a C stack or
 * malloc address) logs a report and returns ~0.
 */
#ifndef _LINUX_IO_H
#define _LINUX_IO_H

#include <linux/types.h>
#include <linux/compiler.h>

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
#define readl_relaxed readl
#define writel_relaxed writel
#define wmb() __asm__ __volatile__("" : : : "memory")
#define rmb() __asm__ __volatile__("" : : : "memory")
#define mb() __asm__ __volatile__("mfence" : : : "memory")
#define dma_wmb() wmb()
#define dma_rmb() rmb()

#endif /* _LINUX_IO_H */

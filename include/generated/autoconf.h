/* SPDX-License-Identifier: MIT */
/*
 * generated/autoconf.h for dmashim: the configuration of dmashim's simulated
 * machine, in the shape the kernel's build generates (=y is 1, =m is
 * CONFIG_*_MODULE 1, a value is its value). It describes what the simulation
 * does: an x86-64 SMP machine with PCI, swiotlb and an optional IOMMU, with
 * dma-debug and the allocator checks on. Driver code that asks
 * IS_ENABLED(CONFIG_...) takes the branch that matches the simulation.
 * Included through linux/kconfig.h (the kernel passes -include
 * linux/kconfig.h; here every header reaches it through linux/compiler.h).
 */
#ifndef __DMASHIM_GENERATED_AUTOCONF_H
#define __DMASHIM_GENERATED_AUTOCONF_H

#define CONFIG_X86 1
#define CONFIG_X86_64 1
#define CONFIG_64BIT 1
#define CONFIG_MMU 1
#define CONFIG_SMP 1
#define CONFIG_NR_CPUS 1
#define CONFIG_HZ 250
#define CONFIG_HZ_250 1
#define CONFIG_PAGE_SHIFT 12
#define CONFIG_HAS_DMA 1
#define CONFIG_HAS_IOMEM 1
#define CONFIG_NEED_DMA_MAP_STATE 1
#define CONFIG_ARCH_DMA_ADDR_T_64BIT 1
#define CONFIG_DMA_OPS 1
#define CONFIG_DMA_OPS_HELPERS 1
#define CONFIG_DMA_DECLARE_COHERENT 1
#define CONFIG_DMA_API_DEBUG 1
#define CONFIG_DMA_API_DEBUG_SG 1
#define CONFIG_SWIOTLB 1
#define CONFIG_IOMMU_SUPPORT 1
#define CONFIG_IOMMU_API 1
#define CONFIG_IOMMU_DMA 1
#define CONFIG_ZONE_DMA 1
#define CONFIG_ZONE_DMA32 1
#define CONFIG_PCI 1
#define CONFIG_PCI_MSI 1
#define CONFIG_SLUB 1
#define CONFIG_SLUB_DEBUG 1
#define CONFIG_DEBUG_KERNEL 1
#define CONFIG_DEBUG_ATOMIC_SLEEP 1
#define CONFIG_DEBUG_SPINLOCK 1
#define CONFIG_DEBUG_MUTEXES 1
#define CONFIG_PAGE_POISONING 1
#define CONFIG_PAGE_OWNER 1
#define CONFIG_STACKDEPOT 1
#define CONFIG_FAULT_INJECTION 1
#define CONFIG_FAILSLAB 1
#define CONFIG_FAIL_PAGE_ALLOC 1
#define CONFIG_GENERIC_ALLOCATOR 1
#define CONFIG_HAS_IOPORT 1
#define CONFIG_MODULES 1
#define CONFIG_PRINTK 1
#define CONFIG_BUG 1
#define CONFIG_SYSFS 1
#define CONFIG_DEBUG_FS 1

#endif /* __DMASHIM_GENERATED_AUTOCONF_H */

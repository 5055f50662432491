/* SPDX-License-Identifier: MIT */
/*
 * linux/cache.h for dmashim: x86's 64-byte cache lines. x86-64 is DMA-coherent
 * and does not define ARCH_HAS_DMA_MINALIGN, so ARCH_DMA_MINALIGN stays at the
 * kernel's generic default, __alignof__(unsigned long long) = 8, as does
 * ARCH_KMALLOC_MINALIGN (and dma_get_cache_alignment() returns 1). Code that
 * sizes buffers from it (usbcore's pool sizes) gets what it gets on x86-64.
 */
#ifndef __LINUX_CACHE_H
#define __LINUX_CACHE_H

#include <linux/kernel.h>

#define L1_CACHE_SHIFT 6
#define L1_CACHE_BYTES (1 << L1_CACHE_SHIFT)
#define SMP_CACHE_BYTES L1_CACHE_BYTES
#define L1_CACHE_ALIGN(x) ALIGN(x, L1_CACHE_BYTES)
#ifndef ARCH_DMA_MINALIGN
#define ARCH_DMA_MINALIGN __alignof__(unsigned long long)
#endif
#ifndef ARCH_KMALLOC_MINALIGN
#define ARCH_KMALLOC_MINALIGN __alignof__(unsigned long long)
#endif
#define ____cacheline_aligned __attribute__((__aligned__(SMP_CACHE_BYTES)))
#define ____cacheline_aligned_in_smp ____cacheline_aligned
#define __cacheline_aligned ____cacheline_aligned
#define __cacheline_aligned_in_smp ____cacheline_aligned
#ifndef __read_mostly
#define __read_mostly
#endif

#endif /* __LINUX_CACHE_H */

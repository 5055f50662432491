/* SPDX-License-Identifier: MIT */
/*
 * asm/scatterlist.h for dmashim: where struct scatterlist lived, per
 * architecture, until the 4.x kernels folded it into linux/scatterlist.h (2.4
 * drivers included only this one). Here it is linux/scatterlist.h, whose
 * struct has the era's members (page, offset, length before 2.6.24; 2.4 also
 * address). Under --kernel 4.3 or later it does not exist.
 */
#ifndef _DMASHIM_ASM_SCATTERLIST_H
#define _DMASHIM_ASM_SCATTERLIST_H

#include <dmashim/era.h>

#if !DMASHIM_HAS_UNTIL(4, 3, 0)
#error "<asm/scatterlist.h> is not in Linux 4.3 and later (the kernel chosen with --kernel)"
#endif

#include <linux/scatterlist.h>

/* The 24-bit ISA DMA limit x86 defined here. */
#ifndef ISA_DMA_THRESHOLD
#define ISA_DMA_THRESHOLD (0x00ffffff)
#endif

#endif /* _DMASHIM_ASM_SCATTERLIST_H */

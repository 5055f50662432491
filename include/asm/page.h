/* SPDX-License-Identifier: MIT */
/* asm/page.h: the simulated machine has 4 KiB pages, as x86. */
#ifndef _ASM_X86_PAGE_H
#define _ASM_X86_PAGE_H

#ifndef PAGE_SHIFT
#define PAGE_SHIFT 12
#endif
#ifndef PAGE_SIZE
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#endif
#ifndef PAGE_MASK
#define PAGE_MASK (~(PAGE_SIZE - 1))
#endif

/* The order of the smallest block of pages holding size bytes. */
static inline int get_order(unsigned long size)
{
	int order = 0;
	size = (size - 1) >> PAGE_SHIFT;
	while (size) {
		order++;
		size >>= 1;
	}
	return order;
}

#endif /* _ASM_X86_PAGE_H */

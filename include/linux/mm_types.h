/* SPDX-License-Identifier: MIT */
/*
 * linux/mm_types.h for dmashim: the part of struct vm_area_struct that a
 * driver's mmap handler hands to dma_mmap_coherent() (the user range and the
 * offset into the buffer, in pages).
 */
#ifndef _LINUX_MM_TYPES_H
#define _LINUX_MM_TYPES_H

struct vm_area_struct {
	unsigned long vm_start;
	unsigned long vm_end;
	unsigned long vm_pgoff;
	unsigned long vm_flags;
	void *vm_private_data;
};

static inline unsigned long vma_pages(const struct vm_area_struct *vma)
{
	return (vma->vm_end - vma->vm_start) >> 12;
}

#endif /* _LINUX_MM_TYPES_H */

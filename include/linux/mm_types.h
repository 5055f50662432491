/* SPDX-License-Identifier: MIT */
/*
 * linux/mm_types.h for dmashim: struct vm_area_struct, the user mapping a
 * driver's mmap() file operation receives and hands to dma_mmap_*(). Outside a
 * kernel no process calls mmap(), so a test plays user space: it fills in
 * vm_start, vm_end (page aligned) and vm_pgoff, calls the driver, reads and
 * writes the mapped pages through dmashim_vma_user() and unmaps with
 * dmashim_vma_munmap() (dmashim/mmap.h).
 */
#ifndef _LINUX_MM_TYPES_H
#define _LINUX_MM_TYPES_H

#include <linux/types.h>
#include <asm/page.h>

struct file;
struct mm_struct;
struct vm_operations_struct;

struct vm_area_struct {
	unsigned long vm_start;		/* first address of the mapping */
	unsigned long vm_end;		/* first address after it */
	struct mm_struct *vm_mm;
	unsigned long vm_flags;
	unsigned long vm_page_prot;
	unsigned long vm_pgoff;		/* offset into the buffer, in pages */
	struct file *vm_file;
	const struct vm_operations_struct *vm_ops;
	void *vm_private_data;
};

/* The number of pages the vma spans. */
static inline unsigned long vma_pages(const struct vm_area_struct *vma)
{
	return (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
}

#endif /* _LINUX_MM_TYPES_H */

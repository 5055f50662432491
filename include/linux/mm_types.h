/* SPDX-License-Identifier: MIT */
/*
 * linux/mm_types.h for dmashim: struct vm_area_struct, the user mapping a
 * driver's mmap() hook gets (dma_mmap_coherent() and remap_pfn_range() fill
 * it), with the members drivers read and set. Memory-management internals
 * (struct mm_struct, struct file) stay opaque. Outside a kernel no process
 * calls mmap(), so a test plays user space: it fills in vm_start, vm_end (page
 * aligned) and vm_pgoff, calls the driver, reads and writes the mapped pages
 * through dmashim_vma_user() and unmaps with dmashim_vma_munmap()
 * (dmashim/mmap.h).
 */
#ifndef _LINUX_MM_TYPES_H
#define _LINUX_MM_TYPES_H

#include <linux/types.h>

struct mm_struct;
struct file;
struct vm_operations_struct;

typedef unsigned long vm_flags_t;
typedef struct {
	unsigned long pgprot;
} pgprot_t;
#define pgprot_val(x) ((x).pgprot)
#define __pgprot(x) ((pgprot_t){ (x) })

struct vm_area_struct {
	unsigned long vm_start;
	unsigned long vm_end;
	struct mm_struct *vm_mm;
	pgprot_t vm_page_prot;
	vm_flags_t vm_flags;
	unsigned long vm_pgoff;
	struct file *vm_file;
	void *vm_private_data;
	const struct vm_operations_struct *vm_ops;
};

#define VM_NONE 0x00000000UL
#define VM_READ 0x00000001UL
#define VM_WRITE 0x00000002UL
#define VM_EXEC 0x00000004UL
#define VM_SHARED 0x00000008UL
#define VM_MAYREAD 0x00000010UL
#define VM_MAYWRITE 0x00000020UL
#define VM_IO 0x00004000UL
#define VM_DONTCOPY 0x00020000UL
#define VM_DONTEXPAND 0x00040000UL
#define VM_DONTDUMP 0x04000000UL
#define VM_PFNMAP 0x00000400UL
#define VM_MIXEDMAP 0x10000000UL

/* The number of pages the vma spans. */
static inline unsigned long vma_pages(const struct vm_area_struct *vma)
{
	return (vma->vm_end - vma->vm_start) >> 12;
}

#endif /* _LINUX_MM_TYPES_H */

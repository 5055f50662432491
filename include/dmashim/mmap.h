/* SPDX-License-Identifier: MIT */
/*
 * dmashim/mmap.h: user space's side of a dma_mmap_*() mapping, for test
 * programs (not kernel API). A test builds a struct vm_area_struct (vm_start,
 * vm_end page aligned, vm_pgoff), has the driver map a buffer into it, then:
 *
 *   dmashim_vma_user(vma)   - the bytes user space sees at vm_start (a pointer
 *                             into the mapped DMA buffer: stores land in it),
 *                             or NULL when the vma is not mapped
 *   dmashim_vma_munmap(vma) - user space's munmap(): 0, or -EINVAL when the vma
 *                             is not mapped; a buffer the driver freed while
 *                             mapped is freed now
 *
 * They are vma_user_bytes() and vma_munmap() of the TypeScript API
 * (src/sim/mmap.ts).
 */
#ifndef _DMASHIM_MMAP_H
#define _DMASHIM_MMAP_H

#include <linux/mm_types.h>

void *dmashim_vma_user(struct vm_area_struct *vma);
int dmashim_vma_munmap(struct vm_area_struct *vma);

#endif /* _DMASHIM_MMAP_H */

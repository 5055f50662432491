/* SPDX-License-Identifier: MIT */
/*
 * dmashim/user.h: user space's side of a dma_mmap_coherent() mapping, for test
 * programs (src/sim/mmap.ts): where user space sees the mapped bytes, and its
 * munmap(). A driver freeing the buffer while a mapping exists is reported; the
 * memory stays allocated until dmashim_vma_munmap().
 */
#ifndef _DMASHIM_USER_H
#define _DMASHIM_USER_H

#include <linux/mm_types.h>

/* The mapped bytes as user space sees them (index 0 = vm_start), or NULL when the vma is not mapped. */
void *dmashim_vma_user_ptr(const struct vm_area_struct *vma);
/* User space's munmap() of the whole vma: 0, or -EINVAL when it is not mapped. */
int dmashim_vma_munmap(const struct vm_area_struct *vma);

#endif /* _DMASHIM_USER_H */

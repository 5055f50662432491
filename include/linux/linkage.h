/* SPDX-License-Identifier: MIT */
/*
 * linux/linkage.h for dmashim: calling-convention markers (nothing on x86-64
 * user space); exports, as the kernel's includes them.
 */
#ifndef _LINUX_LINKAGE_H
#define _LINUX_LINKAGE_H

#include <linux/compiler.h>
#include <linux/export.h>

#ifndef asmlinkage
#define asmlinkage
#endif
#ifndef __visible
#define __visible
#endif

#endif /* _LINUX_LINKAGE_H */

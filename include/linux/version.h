/* SPDX-License-Identifier: MIT */
/*
 * linux/version.h for dmashim: the kernel dmashim follows. Without a choice it
 * is the newest one (6.16); `-DLINUX_VERSION_CODE=...` (what a kernel-era
 * setting passes) takes precedence, so `#if LINUX_VERSION_CODE <
 * KERNEL_VERSION(2,6,24)` branches as on that kernel.
 */
#ifndef _LINUX_VERSION_H
#define _LINUX_VERSION_H

#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))
#ifndef LINUX_VERSION_CODE
#define LINUX_VERSION_CODE KERNEL_VERSION(6, 16, 0)
#endif
#define LINUX_VERSION_MAJOR (LINUX_VERSION_CODE >> 16)
#define LINUX_VERSION_PATCHLEVEL ((LINUX_VERSION_CODE >> 8) & 0xff)
#define LINUX_VERSION_SUBLEVEL (LINUX_VERSION_CODE & 0xff)

#endif /* _LINUX_VERSION_H */

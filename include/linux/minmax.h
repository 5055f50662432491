/* SPDX-License-Identifier: MIT */
/* linux/minmax.h: min/max/clamp live in linux/kernel.h here. */
#ifndef _LINUX_MINMAX_H
#define _LINUX_MINMAX_H
#include <linux/kernel.h>
#endif /* _LINUX_MINMAX_H */

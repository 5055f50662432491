/* SPDX-License-Identifier: MIT */
/*
 * linux/config.h for dmashim: what every 2.4 and early 2.6 driver included
 * first, for the CONFIG_* options. The kernel removed it in 2.6.19 (the options
 * come from the command line since); under --kernel 2.6.19 or later including
 * it is an error, as there. Here it gives dmashim's CONFIG_* options
 * (generated/autoconf.h), as it gave the kernel's.
 */
#ifndef _LINUX_CONFIG_H
#define _LINUX_CONFIG_H

#include <dmashim/era.h>

#if !DMASHIM_HAS_UNTIL(2, 6, 19)
#error "<linux/config.h> was removed in Linux 2.6.19: the kernel chosen with --kernel (2.6.19 or later)"
#endif

#include <generated/autoconf.h>

#endif /* _LINUX_CONFIG_H */

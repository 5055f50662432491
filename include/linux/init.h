/* SPDX-License-Identifier: MIT */
/* linux/init.h for dmashim: module_init()/module_exit() name the entry points `dmashim run` calls. */
#ifndef _LINUX_INIT_H
#define _LINUX_INIT_H

#include <linux/compiler.h>

#define module_init(fn) int __dmashim_module_init(void); int __dmashim_module_init(void) { return fn(); } \
	extern int __dmashim_modinfo_unused
#define module_exit(fn) void __dmashim_module_exit(void); void __dmashim_module_exit(void) { fn(); } \
	extern int __dmashim_modinfo_unused

#endif /* _LINUX_INIT_H */

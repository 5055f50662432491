/* SPDX-License-Identifier: MIT */
/* linux/moduleparam.h for dmashim: parameters keep their initial values (no command line to set them). */
#ifndef _LINUX_MODULE_PARAMS_H
#define _LINUX_MODULE_PARAMS_H

#ifndef module_param
#define module_param(name, type, perm) extern int __dmashim_modinfo_unused
#define module_param_named(name, value, type, perm) extern int __dmashim_modinfo_unused
#define module_param_array(name, type, nump, perm) extern int __dmashim_modinfo_unused
#define MODULE_PARM_DESC(x, y) extern int __dmashim_modinfo_unused
#endif

#endif /* _LINUX_MODULE_PARAMS_H */

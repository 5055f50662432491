/* SPDX-License-Identifier: MIT */
/*
 * linux/module.h for dmashim. A program without main() but with module_init()
 * is run by `dmashim run` as a module: init, then exit (when init returned 0).
 */
#ifndef _LINUX_MODULE_H
#define _LINUX_MODULE_H

#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/jiffies.h>
#include <linux/init.h>
#include <linux/export.h>
#include <linux/moduleparam.h>

#define MODULE_LICENSE(x) extern int __dmashim_modinfo_unused
#define MODULE_AUTHOR(x) extern int __dmashim_modinfo_unused
#define MODULE_DESCRIPTION(x) extern int __dmashim_modinfo_unused
#define MODULE_VERSION(x) extern int __dmashim_modinfo_unused
#define MODULE_ALIAS(x) extern int __dmashim_modinfo_unused
#define MODULE_SOFTDEP(x) extern int __dmashim_modinfo_unused
#define MODULE_FIRMWARE(x) extern int __dmashim_modinfo_unused
#define MODULE_INFO(tag, info) extern int __dmashim_modinfo_unused
#define MODULE_IMPORT_NS(ns) extern int __dmashim_modinfo_unused
#define THIS_MODULE ((void *)0)

#define module_pci_driver(__pci_driver)						\
	static int __init __pci_driver##_init(void) { return pci_register_driver(&(__pci_driver)); } \
	module_init(__pci_driver##_init);					\
	static void __exit __pci_driver##_exit(void) { pci_unregister_driver(&(__pci_driver)); } \
	module_exit(__pci_driver##_exit)

#endif /* _LINUX_MODULE_H */

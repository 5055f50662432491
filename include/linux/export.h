/* SPDX-License-Identifier: MIT */
/* linux/export.h for dmashim: one program, no symbol table: exports are declarations that do nothing. */
#ifndef _LINUX_EXPORT_H
#define _LINUX_EXPORT_H

#ifndef EXPORT_SYMBOL
#define EXPORT_SYMBOL(sym) extern int __dmashim_modinfo_unused
#define EXPORT_SYMBOL_GPL(sym) extern int __dmashim_modinfo_unused
#define EXPORT_SYMBOL_NS(sym, ns) extern int __dmashim_modinfo_unused
#define EXPORT_SYMBOL_NS_GPL(sym, ns) extern int __dmashim_modinfo_unused
#endif

#endif /* _LINUX_EXPORT_H */

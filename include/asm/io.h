/* SPDX-License-Identifier: MIT */
/* asm/io.h: see linux/io.h. */
#ifndef _ASM_X86_IO_H
#define _ASM_X86_IO_H
#include <linux/io.h>
#endif /* _ASM_X86_IO_H */

/* SPDX-License-Identifier: MIT */
/*
 * dmashim/era.h: which kernel's names and shapes the headers give.
 *
 * `dmashim run --kernel 2.6.12` (and `dmashim cflags --kernel 2.6.12`) compiles
 * the program with -DDMASHIM_KERNEL=<code> -DLINUX_VERSION_CODE=<code>, where
 * code is the kernel's KERNEL_VERSION(a,b,c) encoding. Without --kernel,
 * DMASHIM_KERNEL is not defined: the headers give the newest kernel's shapes
 * plus every legacy name that does not conflict with them.
 *
 * A header makes a name era-specific with one of three tests, nothing else:
 *
 *   #if DMASHIM_HAS_SINCE(3, 13, 0)     the name appeared in 3.13
 *   #if DMASHIM_HAS_UNTIL(5, 18, 0)     the name's last kernel is before 5.18
 *   #if DMASHIM_SHAPE_BEFORE(2, 6, 24)  the old shape, which conflicts with today's
 *
 * Without --kernel the first two are true and the third false. Combine them for
 * a name that came and went: DMASHIM_HAS_SINCE(2,6,4) && DMASHIM_HAS_UNTIL(5,16,0).
 * A header that a kernel did not have yet, or no longer had, tests the same way
 * at its top and stops with an #error naming the kernels without it
 * (include/linux/config.h, include/asm/scatterlist.h).
 */
#ifndef _DMASHIM_ERA_H
#define _DMASHIM_ERA_H

/* KERNEL_VERSION's encoding, under our own name: linux/version.h defines the kernel's. */
#define __DMASHIM_KV(a, b, c) (((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))

#ifdef DMASHIM_KERNEL
#if defined(LINUX_VERSION_CODE) && LINUX_VERSION_CODE != DMASHIM_KERNEL
#error "LINUX_VERSION_CODE and DMASHIM_KERNEL disagree: choose the kernel with --kernel only"
#endif
#if DMASHIM_KERNEL < __DMASHIM_KV(2, 4, 0)
#error "dmashim imitates kernels from 2.4.0 on (--kernel)"
#endif
#define DMASHIM_KERNEL_AT_LEAST(a, b, c) (DMASHIM_KERNEL >= __DMASHIM_KV(a, b, c))
#define DMASHIM_HAS_SINCE(a, b, c) DMASHIM_KERNEL_AT_LEAST(a, b, c)
#define DMASHIM_HAS_UNTIL(a, b, c) (!DMASHIM_KERNEL_AT_LEAST(a, b, c))
#define DMASHIM_SHAPE_BEFORE(a, b, c) (!DMASHIM_KERNEL_AT_LEAST(a, b, c))
#else
#define DMASHIM_KERNEL_AT_LEAST(a, b, c) 1
#define DMASHIM_HAS_SINCE(a, b, c) 1
#define DMASHIM_HAS_UNTIL(a, b, c) 1
#define DMASHIM_SHAPE_BEFORE(a, b, c) 0
#endif

/* The 2.4 and 2.6 series, by name: their drivers differ most (docs/porting.md). */
#define DMASHIM_ERA_2_4 DMASHIM_SHAPE_BEFORE(2, 6, 0)
#define DMASHIM_ERA_2_6 (DMASHIM_KERNEL_AT_LEAST(2, 6, 0) && DMASHIM_SHAPE_BEFORE(3, 0, 0))

#endif /* _DMASHIM_ERA_H */

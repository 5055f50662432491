/* SPDX-License-Identifier: MIT */
/*
 * linux/kernel.h for dmashim: the basics driver code takes for granted.
 * min()/max() evaluate each argument once (GNU statement expressions, as the
 * kernel's); mixing signed and unsigned types draws -Wsign-compare, as the
 * kernel's type check would complain.
 */
#ifndef _LINUX_KERNEL_H
#define _LINUX_KERNEL_H

#include <limits.h>
#include <stdio.h>
#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/linkage.h>
#include <linux/errno.h>
#include <linux/bits.h>
#include <linux/bug.h>
#include <linux/err.h>
#include <linux/log2.h>
#include <linux/printk.h>
#include <linux/string.h>
#include <linux/preempt.h>
#include <asm/byteorder.h>

#ifndef U8_MAX
#define U8_MAX ((u8)~0U)
#define S8_MAX ((s8)(U8_MAX >> 1))
#define S8_MIN ((s8)(-S8_MAX - 1))
#define U16_MAX ((u16)~0U)
#define S16_MAX ((s16)(U16_MAX >> 1))
#define S16_MIN ((s16)(-S16_MAX - 1))
#define U32_MAX ((u32)~0U)
#define S32_MAX ((s32)(U32_MAX >> 1))
#define S32_MIN ((s32)(-S32_MAX - 1))
#define U64_MAX ((u64)~0ULL)
#define S64_MAX ((s64)(U64_MAX >> 1))
#define S64_MIN ((s64)(-S64_MAX - 1))
#endif

/* Fails to compile when given a pointer rather than an array. */
#define __must_be_array(a) BUILD_BUG_ON_ZERO(__builtin_types_compatible_p(__typeof__(a), __typeof__(&(a)[0])))
#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]) + __must_be_array(arr))

#ifndef offsetof
#define offsetof(TYPE, MEMBER) __builtin_offsetof(TYPE, MEMBER)
#endif
#define sizeof_field(TYPE, MEMBER) sizeof((((TYPE *)0)->MEMBER))

#define container_of(ptr, type, member) ({				\
	void *__mptr = (void *)(ptr);					\
	((type *)((char *)__mptr - offsetof(type, member)));		\
})

#define min(x, y) ({ __typeof__(x) __min1 = (x); __typeof__(y) __min2 = (y); __min1 < __min2 ? __min1 : __min2; })
#define max(x, y) ({ __typeof__(x) __max1 = (x); __typeof__(y) __max2 = (y); __max1 > __max2 ? __max1 : __max2; })
#define min3(x, y, z) min((__typeof__(x))min(x, y), z)
#define max3(x, y, z) max((__typeof__(x))max(x, y), z)
#define min_t(type, x, y) ({ type __min1 = (x); type __min2 = (y); __min1 < __min2 ? __min1 : __min2; })
#define max_t(type, x, y) ({ type __max1 = (x); type __max2 = (y); __max1 > __max2 ? __max1 : __max2; })
#define clamp(val, lo, hi) min((__typeof__(val))max(val, lo), hi)
#define clamp_t(type, val, lo, hi) min_t(type, max_t(type, val, lo), hi)
#define clamp_val(val, lo, hi) clamp_t(__typeof__(val), val, lo, hi)
#define swap(a, b) do { __typeof__(a) __tmp = (a); (a) = (b); (b) = __tmp; } while (0)

#define __ALIGN_MASK(x, mask) (((x) + (mask)) & ~(mask))
#define ALIGN(x, a) __ALIGN_MASK(x, (__typeof__(x))(a) - 1)
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define PTR_ALIGN(p, a) ((__typeof__(p))ALIGN((unsigned long)(p), (a)))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define DIV_ROUND_UP_ULL(ll, d) DIV_ROUND_UP((unsigned long long)(ll), (d))
#define roundup(x, y) ((((x) + ((y) - 1)) / (y)) * (y))
#define rounddown(x, y) ((x) - ((x) % (y)))
#define round_up(x, y) ((((x) - 1) | ((__typeof__(x))((y) - 1))) + 1)
#define round_down(x, y) ((x) & ~((__typeof__(x))((y) - 1)))

#define upper_32_bits(n) ((u32)(((n) >> 16) >> 16))
#define lower_32_bits(n) ((u32)((n) & 0xffffffff))

/* Reported in atomic context (a spinlock held, IRQs off, an interrupt handler): see linux/preempt.h. */
#define might_sleep() ((void)__dmashim_context(__DMASHIM_CTX_MIGHT_SLEEP, 0, DMASHIM_SITE))
#define might_sleep_if(cond) do { if (cond) might_sleep(); } while (0)
/* A PAUSE on the simulated clock: 50 ns pass, so polling until a jiffies deadline ends (native/time.c). */
void __dmashim_cpu_relax(void);
#define cpu_relax() __dmashim_cpu_relax()

#endif /* _LINUX_KERNEL_H */

/* SPDX-License-Identifier: MIT */
/*
 * linux/refcount.h for dmashim: refcount_t with the kernel's saturation
 * semantics (CONFIG_REFCOUNT_FULL's behaviour, the only one since 5.5): an
 * increment from 0 (use after free), an overflow, or a decrement below 1 pins
 * the count at REFCOUNT_SATURATED and WARNs once per site with the kernel's
 * text ("refcount_t: addition on 0; use-after-free." ...), so the object
 * leaks rather than being freed twice.
 */
#ifndef _LINUX_REFCOUNT_H
#define _LINUX_REFCOUNT_H

#include <limits.h>
#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/compiler.h>

typedef struct refcount_struct {
	atomic_t refs;
} refcount_t;

#define REFCOUNT_INIT(n) { .refs = ATOMIC_INIT(n), }
#define REFCOUNT_MAX INT_MAX
#define REFCOUNT_SATURATED (INT_MIN / 2)

enum refcount_saturation_type {
	REFCOUNT_ADD_NOT_ZERO_OVF,
	REFCOUNT_ADD_OVF,
	REFCOUNT_ADD_UAF,
	REFCOUNT_SUB_UAF,
	REFCOUNT_DEC_LEAK,
};

static inline void refcount_set(refcount_t *r, int n) { atomic_set(&r->refs, n); }
static inline void refcount_set_release(refcount_t *r, int n) { atomic_set_release(&r->refs, n); }
static inline unsigned int refcount_read(const refcount_t *r) { return (unsigned int)atomic_read(&r->refs); }

/* The kernel builds with -fno-strict-overflow: the sum wraps, and a wrap past INT_MAX is what is checked. */
static inline int __dmashim_rc_add(int a, int b) { return (int)((unsigned int)a + (unsigned int)b); }

#define __REFCOUNT_WARN(str) WARN_ONCE(1, "refcount_t: " str ".\n")
/* Pins the count and warns once per call site, as the kernel's (one WARN_ONCE per text there). */
#define refcount_warn_saturate(r, t) do {						\
	refcount_set(r, REFCOUNT_SATURATED);						\
	switch (t) {									\
	case REFCOUNT_ADD_NOT_ZERO_OVF:							\
	case REFCOUNT_ADD_OVF: __REFCOUNT_WARN("saturated; leaking memory"); break;	\
	case REFCOUNT_ADD_UAF: __REFCOUNT_WARN("addition on 0; use-after-free"); break; \
	case REFCOUNT_SUB_UAF: __REFCOUNT_WARN("underflow; use-after-free"); break;	\
	case REFCOUNT_DEC_LEAK: __REFCOUNT_WARN("decrement hit 0; leaking memory"); break; \
	default: __REFCOUNT_WARN("unknown saturation event!?");				\
	}										\
} while (0)

#define refcount_add_not_zero(i, r) ({							\
	refcount_t *__r = (r);								\
	int __i = (i);									\
	int __old = refcount_read(__r);							\
	do {										\
		if (!__old)								\
			break;								\
	} while (!atomic_try_cmpxchg(&__r->refs, &__old, __old + __i));			\
	if (unlikely(__old < 0 || __dmashim_rc_add(__old, __i) < 0))			\
		refcount_warn_saturate(__r, REFCOUNT_ADD_NOT_ZERO_OVF);			\
	__old != 0;									\
})
#define refcount_inc_not_zero(r) refcount_add_not_zero(1, r)

#define refcount_add(i, r) do {								\
	refcount_t *__r = (r);								\
	int __i = (i);									\
	int __old = atomic_fetch_add(__i, &__r->refs);					\
	if (unlikely(!__old))								\
		refcount_warn_saturate(__r, REFCOUNT_ADD_UAF);				\
	else if (unlikely(__old < 0 || __dmashim_rc_add(__old, __i) < 0))		\
		refcount_warn_saturate(__r, REFCOUNT_ADD_OVF);				\
} while (0)
#define refcount_inc(r) refcount_add(1, r)

#define refcount_sub_and_test(i, r) ({							\
	refcount_t *__r = (r);								\
	int __i = (i);									\
	int __old = atomic_fetch_sub(__i, &__r->refs);					\
	bool __zero = __old == __i;							\
	if (!__zero && unlikely(__old < 0 || __dmashim_rc_add(__old, -__i) < 0))	\
		refcount_warn_saturate(__r, REFCOUNT_SUB_UAF);				\
	__zero;										\
})
#define refcount_dec_and_test(r) refcount_sub_and_test(1, r)

#define refcount_dec(r) do {								\
	refcount_t *__r = (r);								\
	if (unlikely(atomic_fetch_sub(1, &__r->refs) <= 1))				\
		refcount_warn_saturate(__r, REFCOUNT_DEC_LEAK);				\
} while (0)

static inline bool refcount_dec_if_one(refcount_t *r)
{
	int val = 1;
	return atomic_try_cmpxchg(&r->refs, &val, 0);
}

static inline bool refcount_dec_not_one(refcount_t *r)
{
	int val = atomic_read(&r->refs);
	do {
		if (unlikely(val == REFCOUNT_SATURATED))
			return true;
		if (val == 1)
			return false;
		if (unlikely(val < 0)) {
			refcount_warn_saturate(r, REFCOUNT_SUB_UAF);
			return true;
		}
	} while (!atomic_try_cmpxchg(&r->refs, &val, val - 1));
	return true;
}

#endif /* _LINUX_REFCOUNT_H */

/* SPDX-License-Identifier: MIT */
/*
 * linux/atomic.h for dmashim: atomic_t (linux/types.h), atomic64_t and
 * atomic_long_t with the kernel's operations, as sequentially consistent
 * compiler atomics (the *_return and test forms are fully ordered in the
 * kernel too), so they hold with `dmashim run --threads`.
 *
 * The kernel's atomic_fetch_add(i, v) and C11's <stdatomic.h> macro of the
 * same name clash: the functions are defined with parenthesised names so
 * either header may come first; a call then means what the last one says.
 */
#ifndef _LINUX_ATOMIC_H
#define _LINUX_ATOMIC_H

#include <linux/types.h>
#include <linux/compiler.h>

#define ATOMIC_INIT(i) { (i) }
#define ATOMIC64_INIT(i) { (i) }
#define ATOMIC_LONG_INIT(i) { (i) }

#define __DMASHIM_ATOMIC_OPS(pfx, atype, vtype)						\
static inline vtype pfx##_read(const atype *v) { return __atomic_load_n(&v->counter, __ATOMIC_RELAXED); } \
static inline void pfx##_set(atype *v, vtype i) { __atomic_store_n(&v->counter, i, __ATOMIC_RELAXED); } \
static inline vtype pfx##_read_acquire(const atype *v) { return __atomic_load_n(&v->counter, __ATOMIC_ACQUIRE); } \
static inline void pfx##_set_release(atype *v, vtype i) { __atomic_store_n(&v->counter, i, __ATOMIC_RELEASE); } \
static inline void pfx##_add(vtype i, atype *v) { __atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED); } \
static inline void pfx##_sub(vtype i, atype *v) { __atomic_fetch_sub(&v->counter, i, __ATOMIC_RELAXED); } \
static inline void pfx##_inc(atype *v) { pfx##_add(1, v); }					\
static inline void pfx##_dec(atype *v) { pfx##_sub(1, v); }					\
static inline void pfx##_and(vtype i, atype *v) { __atomic_fetch_and(&v->counter, i, __ATOMIC_RELAXED); } \
static inline void pfx##_or(vtype i, atype *v) { __atomic_fetch_or(&v->counter, i, __ATOMIC_RELAXED); } \
static inline void pfx##_xor(vtype i, atype *v) { __atomic_fetch_xor(&v->counter, i, __ATOMIC_RELAXED); } \
static inline vtype pfx##_add_return(vtype i, atype *v)						\
{												\
	return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST);				\
}												\
static inline vtype pfx##_sub_return(vtype i, atype *v)						\
{												\
	return __atomic_sub_fetch(&v->counter, i, __ATOMIC_SEQ_CST);				\
}												\
static inline vtype pfx##_inc_return(atype *v) { return pfx##_add_return(1, v); }		\
static inline vtype pfx##_dec_return(atype *v) { return pfx##_sub_return(1, v); }		\
static inline vtype (pfx##_fetch_add)(vtype i, atype *v)					\
{												\
	return __atomic_fetch_add(&v->counter, i, __ATOMIC_SEQ_CST);				\
}												\
static inline vtype (pfx##_fetch_sub)(vtype i, atype *v)					\
{												\
	return __atomic_fetch_sub(&v->counter, i, __ATOMIC_SEQ_CST);				\
}												\
static inline vtype (pfx##_fetch_inc)(atype *v) { return (pfx##_fetch_add)(1, v); }		\
static inline vtype (pfx##_fetch_dec)(atype *v) { return (pfx##_fetch_sub)(1, v); }		\
static inline vtype (pfx##_fetch_or)(vtype i, atype *v)						\
{												\
	return __atomic_fetch_or(&v->counter, i, __ATOMIC_SEQ_CST);				\
}												\
static inline vtype (pfx##_fetch_and)(vtype i, atype *v)					\
{												\
	return __atomic_fetch_and(&v->counter, i, __ATOMIC_SEQ_CST);				\
}												\
static inline bool pfx##_sub_and_test(vtype i, atype *v) { return pfx##_sub_return(i, v) == 0; } \
static inline bool pfx##_dec_and_test(atype *v) { return pfx##_dec_return(v) == 0; }		\
static inline bool pfx##_inc_and_test(atype *v) { return pfx##_inc_return(v) == 0; }		\
static inline bool pfx##_add_negative(vtype i, atype *v) { return pfx##_add_return(i, v) < 0; } \
static inline vtype pfx##_xchg(atype *v, vtype n) { return __atomic_exchange_n(&v->counter, n, __ATOMIC_SEQ_CST); } \
static inline vtype pfx##_cmpxchg(atype *v, vtype old, vtype n)					\
{												\
	__atomic_compare_exchange_n(&v->counter, &old, n, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
	return old;										\
}												\
static inline bool pfx##_try_cmpxchg(atype *v, vtype *old, vtype n)				\
{												\
	return __atomic_compare_exchange_n(&v->counter, old, n, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
}												\
static inline vtype pfx##_fetch_add_unless(atype *v, vtype a, vtype u)				\
{												\
	vtype c = pfx##_read(v);								\
	do {											\
		if (unlikely(c == u))								\
			break;									\
	} while (!pfx##_try_cmpxchg(v, &c, c + a));						\
	return c;										\
}												\
static inline bool pfx##_add_unless(atype *v, vtype a, vtype u) { return pfx##_fetch_add_unless(v, a, u) != u; } \
static inline bool pfx##_inc_not_zero(atype *v) { return pfx##_add_unless(v, 1, 0); }

__DMASHIM_ATOMIC_OPS(atomic, atomic_t, int)
__DMASHIM_ATOMIC_OPS(atomic64, atomic64_t, s64)
__DMASHIM_ATOMIC_OPS(atomic_long, atomic_long_t, long)

/* The generic xchg()/cmpxchg() on plain variables. */
#define xchg(ptr, v) __atomic_exchange_n((ptr), (v), __ATOMIC_SEQ_CST)
#define cmpxchg(ptr, o, n) ({								\
	__typeof__(*(ptr)) __old = (o);							\
	__atomic_compare_exchange_n((ptr), &__old, (n), false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
	__old;										\
})

#define smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define smp_mb__before_atomic() smp_mb()
#define smp_mb__after_atomic() smp_mb()
#define smp_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

#endif /* _LINUX_ATOMIC_H */

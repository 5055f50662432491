/* SPDX-License-Identifier: MIT */
/*
 * linux/ktime.h for dmashim: ktime_t in nanoseconds of the simulated clock
 * (linux/jiffies.h): ktime_get() is the time since the simulated boot, and it
 * moves only when the program sleeps or delays, or a test advances it, so
 * timing code from kernel tests (ktime_get, ktime_us_delta) runs unchanged and
 * prints the same numbers on every run. The wall clock (ktime_get_real) is the
 * boot time 2026-01-01 00:00:00 UTC plus the same clock.
 */
#ifndef _LINUX_KTIME_H
#define _LINUX_KTIME_H

#include <linux/types.h>
#include <linux/jiffies.h>

typedef s64 ktime_t;

#define KTIME_MAX ((s64)~((u64)1 << 63))
#define KTIME_SEC_MAX (KTIME_MAX / NSEC_PER_SEC)
/* The simulated wall clock at boot, in seconds since the epoch. */
#define __DMASHIM_BOOT_REALTIME 1767225600LL

/* The simulated monotonic clock, ns since boot (native/time.c). */
u64 __dmashim_clock_ns(void);

static inline ktime_t ktime_set(const s64 secs, const unsigned long nsecs)
{
	if (secs >= KTIME_SEC_MAX)
		return KTIME_MAX;
	return secs * NSEC_PER_SEC + (s64)nsecs;
}

static inline ktime_t ktime_get(void) { return (ktime_t)__dmashim_clock_ns(); }
static inline ktime_t ktime_get_raw(void) { return ktime_get(); }
static inline ktime_t ktime_get_boottime(void) { return ktime_get(); }
static inline ktime_t ktime_get_coarse(void) { return ktime_get(); }
static inline ktime_t ktime_get_real(void) { return ktime_get() + __DMASHIM_BOOT_REALTIME * NSEC_PER_SEC; }
static inline ktime_t ktime_get_clocktai(void) { return ktime_get_real() + 37 * NSEC_PER_SEC; }
static inline u64 ktime_get_ns(void) { return (u64)ktime_get(); }
static inline u64 ktime_get_raw_ns(void) { return (u64)ktime_get(); }
static inline u64 ktime_get_boottime_ns(void) { return (u64)ktime_get(); }
static inline u64 ktime_get_mono_fast_ns(void) { return (u64)ktime_get(); }
static inline u64 ktime_get_real_ns(void) { return (u64)ktime_get_real(); }
static inline s64 ktime_get_seconds(void) { return ktime_get() / NSEC_PER_SEC; }
static inline s64 ktime_get_real_seconds(void) { return ktime_get_real() / NSEC_PER_SEC; }
static inline s64 ktime_get_boottime_seconds(void) { return ktime_get_seconds(); }
static inline u64 local_clock(void) { return (u64)ktime_get(); }
static inline u64 sched_clock(void) { return (u64)ktime_get(); }

static inline ktime_t ktime_sub(ktime_t a, ktime_t b) { return a - b; }
static inline ktime_t ktime_add(ktime_t a, ktime_t b) { return a + b; }
static inline ktime_t ktime_add_ns(ktime_t kt, u64 ns) { return kt + (s64)ns; }
static inline ktime_t ktime_sub_ns(ktime_t kt, u64 ns) { return kt - (s64)ns; }
static inline ktime_t ktime_add_us(ktime_t kt, u64 us) { return kt + (s64)(us * NSEC_PER_USEC); }
static inline ktime_t ktime_sub_us(ktime_t kt, u64 us) { return kt - (s64)(us * NSEC_PER_USEC); }
static inline ktime_t ktime_add_ms(ktime_t kt, u64 ms) { return kt + (s64)(ms * NSEC_PER_MSEC); }
static inline ktime_t ktime_sub_ms(ktime_t kt, u64 ms) { return kt - (s64)(ms * NSEC_PER_MSEC); }
static inline ktime_t ktime_add_safe(ktime_t a, ktime_t b)
{
	ktime_t r;
	return __builtin_add_overflow(a, b, &r) ? KTIME_MAX : r;
}
static inline int ktime_compare(const ktime_t a, const ktime_t b) { return a < b ? -1 : a > b ? 1 : 0; }
static inline bool ktime_after(const ktime_t a, const ktime_t b) { return ktime_compare(a, b) > 0; }
static inline bool ktime_before(const ktime_t a, const ktime_t b) { return ktime_compare(a, b) < 0; }
static inline s64 ktime_to_ns(ktime_t kt) { return kt; }
static inline s64 ktime_to_us(ktime_t kt) { return kt / NSEC_PER_USEC; }
static inline s64 ktime_to_ms(ktime_t kt) { return kt / NSEC_PER_MSEC; }
static inline s64 ktime_divns(const ktime_t kt, s64 div) { return kt / div; }
static inline ktime_t ns_to_ktime(u64 ns) { return (ktime_t)ns; }
static inline ktime_t us_to_ktime(u64 us) { return (ktime_t)(us * NSEC_PER_USEC); }
static inline ktime_t ms_to_ktime(u64 ms) { return (ktime_t)(ms * NSEC_PER_MSEC); }
static inline s64 ktime_us_delta(ktime_t later, ktime_t earlier) { return ktime_to_us(later - earlier); }
static inline s64 ktime_ms_delta(ktime_t later, ktime_t earlier) { return ktime_to_ms(later - earlier); }

#endif /* _LINUX_KTIME_H */

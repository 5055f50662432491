/* SPDX-License-Identifier: MIT */
/*
 * linux/jiffies.h for dmashim: the tick count of dmashim's simulated clock
 * (native/time.c, docs/kernel-env.md). HZ is 250, the kernel's default; jiffies
 * starts at INITIAL_JIFFIES, five minutes before its 32-bit wrap, as the
 * kernel's does, so code that compares jiffies with < instead of time_after()
 * misbehaves here too. Time is simulated and deterministic: it advances only
 * when the program sleeps or delays (msleep, udelay, cpu_relax, ...) or a test
 * advances it (dmashim_advance_ms() in dmashim/bridge.h), and due timers and
 * queued work run then.
 */
#ifndef _LINUX_JIFFIES_H
#define _LINUX_JIFFIES_H

#include <limits.h>
#include <linux/types.h>
#include <linux/compiler.h>

#define HZ CONFIG_HZ
#define USER_HZ 100

#ifndef MSEC_PER_SEC
#define MSEC_PER_SEC 1000L
#define USEC_PER_MSEC 1000L
#define NSEC_PER_USEC 1000L
#define NSEC_PER_MSEC 1000000L
#define USEC_PER_SEC 1000000L
#define NSEC_PER_SEC 1000000000L
#endif

#define TICK_NSEC ((NSEC_PER_SEC + HZ / 2) / HZ)
#define TICK_USEC ((USEC_PER_SEC + HZ / 2) / HZ)
#define INITIAL_JIFFIES ((unsigned long)(unsigned int)(-300 * HZ))
#define MAX_JIFFY_OFFSET ((LONG_MAX >> 1) - 1)

/* The tick count; written by the simulated clock only. */
extern unsigned long volatile jiffies;
#define jiffies_64 ((u64)jiffies)
static inline u64 get_jiffies_64(void) { return (u64)jiffies; }

#define typecheck_jiffies(x) (void)(sizeof(x) == sizeof(unsigned long))
#define time_after(a, b) ((long)((b) - (a)) < 0)
#define time_before(a, b) time_after(b, a)
#define time_after_eq(a, b) ((long)((a) - (b)) >= 0)
#define time_before_eq(a, b) time_after_eq(b, a)
#define time_in_range(a, b, c) (time_after_eq(a, b) && time_before_eq(a, c))
#define time_in_range_open(a, b, c) (time_after_eq(a, b) && time_before(a, c))
#define time_after64(a, b) ((s64)((b) - (a)) < 0)
#define time_before64(a, b) time_after64(b, a)
#define time_after_eq64(a, b) ((s64)((a) - (b)) >= 0)
#define time_before_eq64(a, b) time_after_eq64(b, a)
#define time_in_range64(a, b, c) (time_after_eq64(a, b) && time_before_eq64(a, c))
#define time_is_before_jiffies(a) time_after(jiffies, a)
#define time_is_before_jiffies64(a) time_after64(get_jiffies_64(), a)
#define time_is_after_jiffies(a) time_before(jiffies, a)
#define time_is_after_jiffies64(a) time_before64(get_jiffies_64(), a)
#define time_is_before_eq_jiffies(a) time_after_eq(jiffies, a)
#define time_is_after_eq_jiffies(a) time_before_eq(jiffies, a)

static inline unsigned int jiffies_to_msecs(const unsigned long j) { return (unsigned int)((MSEC_PER_SEC / HZ) * j); }
static inline unsigned int jiffies_to_usecs(const unsigned long j) { return (unsigned int)((USEC_PER_SEC / HZ) * j); }
static inline u64 jiffies_to_nsecs(const unsigned long j) { return (u64)j * TICK_NSEC; }
static inline u64 jiffies64_to_nsecs(u64 j) { return j * TICK_NSEC; }
static inline u64 jiffies64_to_msecs(u64 j) { return j * (MSEC_PER_SEC / HZ); }
static inline clock_t jiffies_to_clock_t(unsigned long x) { return (clock_t)(x / (HZ / USER_HZ)); }
static inline unsigned long clock_t_to_jiffies(unsigned long x) { return x * (HZ / USER_HZ); }

/* Rounded up, as the kernel's: a timeout of m ms never ends early. A negative value is a huge one. */
static inline unsigned long msecs_to_jiffies(const unsigned int m)
{
	if ((int)m < 0)
		return MAX_JIFFY_OFFSET;
	return (m + (MSEC_PER_SEC / HZ) - 1) / (MSEC_PER_SEC / HZ);
}

static inline unsigned long usecs_to_jiffies(const unsigned int u)
{
	if (u > jiffies_to_usecs(MAX_JIFFY_OFFSET))
		return MAX_JIFFY_OFFSET;
	return (u + (USEC_PER_SEC / HZ) - 1) / (USEC_PER_SEC / HZ);
}

static inline unsigned long nsecs_to_jiffies(u64 n) { return (unsigned long)(n / TICK_NSEC); }
static inline u64 nsecs_to_jiffies64(u64 n) { return n / TICK_NSEC; }
#define secs_to_jiffies(s) ((unsigned long)(s) * HZ)

/* round_jiffies*: to a whole second, as the kernel's does on CPU 0 (no per-CPU skew here). */
static inline unsigned long round_jiffies(unsigned long j)
{
	unsigned long rem = (j - INITIAL_JIFFIES) % HZ;
	unsigned long r = rem < HZ / 4 ? j - rem : j - rem + HZ;
	return time_is_after_jiffies(r) ? r : j;
}
static inline unsigned long round_jiffies_relative(unsigned long j) { return round_jiffies(j + jiffies) - jiffies; }
static inline unsigned long round_jiffies_up(unsigned long j)
{
	unsigned long rem = (j - INITIAL_JIFFIES) % HZ;
	return rem ? j - rem + HZ : j;
}
static inline unsigned long round_jiffies_up_relative(unsigned long j)
{
	return round_jiffies_up(j + jiffies) - jiffies;
}

#endif /* _LINUX_JIFFIES_H */

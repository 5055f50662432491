/* SPDX-License-Identifier: MIT */
/*
 * linux/delay.h for dmashim: delays and sleeps on the simulated clock
 * (linux/jiffies.h). They take no real time: each moves the clock by what it
 * waits for, and due timers and queued work run on the way, in order
 * (docs/kernel-env.md). udelay/ndelay/mdelay busy-wait and may be used in
 * atomic context (there timers wait until interrupts are on again); msleep,
 * usleep_range and fsleep sleep, so they are might_sleep() points (reported in
 * atomic context). msleep(m) sleeps msecs_to_jiffies(m) + 1 ticks, to a tick,
 * as the kernel's; usleep_range(min, max) sleeps min (the kernel may take any
 * time up to max).
 */
#ifndef _LINUX_DELAY_H
#define _LINUX_DELAY_H

#include <linux/types.h>
#include <linux/preempt.h>
#include <linux/jiffies.h>

/* native/time.c: move the clock by ns (busy), or sleep `ticks` ticks (to a tick boundary). */
void __dmashim_delay_ns(u64 ns);
void __dmashim_sleep_ticks(unsigned long ticks);

#define ndelay(n) __dmashim_delay_ns((u64)(n))
#define udelay(n) __dmashim_delay_ns((u64)(n) * 1000ULL)
#define mdelay(n) __dmashim_delay_ns((u64)(n) * 1000000ULL)
#define msleep(ms) do {									\
	__dmashim_context(__DMASHIM_CTX_MIGHT_SLEEP, 0, DMASHIM_SITE);			\
	__dmashim_sleep_ticks(msecs_to_jiffies(ms) + 1);				\
} while (0)
/* Nothing sends signals here: the full sleep, and 0 ms left. */
#define msleep_interruptible(ms) ({ msleep(ms); 0UL; })
#define ssleep(s) msleep((s) * 1000U)
#define usleep_range(min, max) do {							\
	__dmashim_context(__DMASHIM_CTX_MIGHT_SLEEP, 0, DMASHIM_SITE);			\
	__dmashim_delay_ns((u64)(min) * 1000ULL);					\
	(void)(max);									\
} while (0)
#define usleep_range_idle(min, max) usleep_range(min, max)
#define fsleep(us) usleep_range(us, us)

#endif /* _LINUX_DELAY_H */

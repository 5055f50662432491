/* SPDX-License-Identifier: MIT */
/*
 * linux/delay.h for dmashim: real delays on the host clock. udelay/ndelay/mdelay
 * busy-wait and may be used in atomic context; msleep and usleep_range sleep,
 * so they are might_sleep() points (reported in atomic context).
 */
#ifndef _LINUX_DELAY_H
#define _LINUX_DELAY_H

#include <time.h>
#include <linux/types.h>
#include <linux/preempt.h>

static inline void __dmashim_delay_ns(u64 ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL) };
	while (nanosleep(&ts, &ts) != 0)
		;
}

#define ndelay(n) __dmashim_delay_ns((u64)(n))
#define udelay(n) __dmashim_delay_ns((u64)(n) * 1000ULL)
#define mdelay(n) __dmashim_delay_ns((u64)(n) * 1000000ULL)
#define msleep(ms) do { __dmashim_context(__DMASHIM_CTX_MIGHT_SLEEP, 0, DMASHIM_SITE); mdelay(ms); } while (0)
#define msleep_interruptible(ms) ({ msleep(ms); 0UL; })
#define ssleep(s) msleep((s) * 1000U)
#define usleep_range(min, max) do {						\
	__dmashim_context(__DMASHIM_CTX_MIGHT_SLEEP, 0, DMASHIM_SITE);		\
	udelay(min);								\
	(void)(max);								\
} while (0)
#define fsleep(us) usleep_range(us, us)

#endif /* _LINUX_DELAY_H */

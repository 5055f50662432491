/* SPDX-License-Identifier: MIT */
/*
 * linux/completion.h for dmashim: completions on the simulated machine's wait
 * (linux/wait.h): a waiter moves the clock event by event (timers, work,
 * tasklets) until complete() was called. wait_for_completion() with nothing
 * left that could complete it gets the kernel's hung-task report and stops the
 * program (the kernel would hang); the _timeout forms return 0 at the
 * deadline, else the ticks left (at least 1). Nothing sends signals here, so
 * the _interruptible and _killable forms never return -ERESTARTSYS.
 */
#ifndef __LINUX_COMPLETION_H
#define __LINUX_COMPLETION_H

#include <limits.h>
#include <linux/wait.h>

struct completion {
	unsigned int done;
	struct wait_queue_head wait;
};

#define COMPLETION_INITIALIZER(work) { 0, __WAIT_QUEUE_HEAD_INITIALIZER((work).wait) }
#define COMPLETION_INITIALIZER_ONSTACK(work) (*({ init_completion(&work); &work; }))
#define DECLARE_COMPLETION(work) struct completion work = COMPLETION_INITIALIZER(work)
#define DECLARE_COMPLETION_ONSTACK(work) DECLARE_COMPLETION(work)

static inline void init_completion(struct completion *x)
{
	x->done = 0;
	init_waitqueue_head(&x->wait);
}
static inline void reinit_completion(struct completion *x) { x->done = 0; }

static inline void complete(struct completion *x)
{
	unsigned int d = __atomic_load_n(&x->done, __ATOMIC_RELAXED);
	if (d != UINT_MAX)
		__atomic_store_n(&x->done, d + 1, __ATOMIC_RELEASE);
}
static inline void complete_all(struct completion *x) { __atomic_store_n(&x->done, UINT_MAX, __ATOMIC_RELEASE); }

static inline bool try_wait_for_completion(struct completion *x)
{
	unsigned int d = __atomic_load_n(&x->done, __ATOMIC_ACQUIRE);
	if (!d)
		return false;
	if (d != UINT_MAX)
		__atomic_store_n(&x->done, d - 1, __ATOMIC_RELAXED);
	return true;
}
static inline bool completion_done(struct completion *x) { return __atomic_load_n(&x->done, __ATOMIC_ACQUIRE) != 0; }

#define wait_for_completion(x) do {							\
	struct completion *__x = (x);							\
	might_sleep();									\
	while (!try_wait_for_completion(__x))						\
		__dmashim_wait_step(0, 1, "wait_for_completion", DMASHIM_SITE);	\
} while (0)
#define wait_for_completion_timeout(x, timeout) ({					\
	struct completion *__x = (x);							\
	unsigned long __end = jiffies + (unsigned long)(timeout);			\
	unsigned long __ret = 0;							\
	might_sleep();									\
	for (;;) {									\
		if (try_wait_for_completion(__x)) {					\
			__ret = time_after(__end, jiffies) ? __end - jiffies : 1;	\
			break;								\
		}									\
		if (!time_before(jiffies, __end) ||					\
		    !__dmashim_wait_step(__end, 0, "wait_for_completion_timeout", DMASHIM_SITE)) { \
			if (try_wait_for_completion(__x))				\
				__ret = 1;						\
			break;								\
		}									\
	}										\
	__ret;										\
})
#define wait_for_completion_io(x) wait_for_completion(x)
#define wait_for_completion_io_timeout(x, timeout) wait_for_completion_timeout(x, timeout)
#define wait_for_completion_interruptible(x) ({ wait_for_completion(x); 0; })
#define wait_for_completion_killable(x) ({ wait_for_completion(x); 0; })
#define wait_for_completion_interruptible_timeout(x, timeout) ((long)wait_for_completion_timeout(x, timeout))
#define wait_for_completion_killable_timeout(x, timeout) ((long)wait_for_completion_timeout(x, timeout))

#endif /* __LINUX_COMPLETION_H */

/* SPDX-License-Identifier: MIT */
/*
 * linux/sched.h for dmashim: the scheduling calls DMA code makes in loops.
 * There is one simulated CPU and the only other "tasks" are the workqueue's
 * workers (linux/workqueue.h): need_resched() says whether work is waiting,
 * and cond_resched()/schedule() run it. cond_resched() is a might_sleep()
 * point, as with CONFIG_DEBUG_ATOMIC_SLEEP. schedule_timeout() sleeps on the
 * simulated clock; nothing else can wake a task here, so a task that waits
 * with MAX_SCHEDULE_TIMEOUT is told so and the call returns at once.
 */
#ifndef _LINUX_SCHED_H
#define _LINUX_SCHED_H

#include <linux/kernel.h>
#include <linux/jiffies.h>

#define MAX_SCHEDULE_TIMEOUT LONG_MAX
#define TASK_RUNNING 0x00000000
#define TASK_INTERRUPTIBLE 0x00000001
#define TASK_UNINTERRUPTIBLE 0x00000002
#define TASK_KILLABLE (0x00000100 | TASK_UNINTERRUPTIBLE)
#define TASK_IDLE (0x00000402)

/* native/workqueue.c: queued work items not yet run. */
extern int __dmashim_work_waiting;
void __dmashim_schedule(const char *site);
long __dmashim_schedule_timeout(long timeout, const char *site);

static inline int need_resched(void) { return __atomic_load_n(&__dmashim_work_waiting, __ATOMIC_RELAXED) != 0; }
#define cond_resched() ({								\
	__dmashim_context(__DMASHIM_CTX_MIGHT_SLEEP, 0, DMASHIM_SITE);			\
	int __resched = need_resched();							\
	if (__resched)									\
		__dmashim_schedule(DMASHIM_SITE);					\
	__resched;									\
})
#define schedule() __dmashim_schedule(DMASHIM_SITE)
#define yield() __dmashim_schedule(DMASHIM_SITE)
#define schedule_timeout(t) __dmashim_schedule_timeout((long)(t), DMASHIM_SITE)
#define schedule_timeout_interruptible(t) schedule_timeout(t)
#define schedule_timeout_uninterruptible(t) schedule_timeout(t)
#define schedule_timeout_killable(t) schedule_timeout(t)
#define schedule_timeout_idle(t) schedule_timeout(t)
/* The task state only matters to a scheduler with other tasks to pick; nothing is lost here. */
#define set_current_state(state) ((void)(state))
#define __set_current_state(state) ((void)(state))
#define signal_pending(p) 0
#define fatal_signal_pending(p) 0

#endif /* _LINUX_SCHED_H */

/* SPDX-License-Identifier: MIT */
/*
 * linux/wait.h for dmashim: wait queues on the simulated machine. A waiter
 * re-checks its condition at each event that could change it: it moves the
 * simulated clock to the next timer tick, runs queued work and tasklets, and
 * looks again (native/time.c), so a condition set by a timer, work or a
 * tasklet is seen at the right time. wake_up() needs to do nothing more. When
 * nothing is left that could make the condition true (no timer armed, no work
 * queued, no other thread), a wait without timeout would hang in the kernel:
 * here it prints the kernel's hung-task report and stops the program; a wait
 * with a timeout returns as timed out, with the clock at the deadline.
 */
#ifndef _LINUX_WAIT_H
#define _LINUX_WAIT_H

#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/jiffies.h>
#include <linux/sched.h>

struct wait_queue_head {
	spinlock_t lock;
	struct list_head head;
};
typedef struct wait_queue_head wait_queue_head_t;

#define __WAIT_QUEUE_HEAD_INITIALIZER(name) \
	{ .lock = __SPIN_LOCK_UNLOCKED(name.lock), .head = { &(name).head, &(name).head } }
#define DECLARE_WAIT_QUEUE_HEAD(name) struct wait_queue_head name = __WAIT_QUEUE_HEAD_INITIALIZER(name)
#define DECLARE_WAIT_QUEUE_HEAD_ONSTACK(name) DECLARE_WAIT_QUEUE_HEAD(name)
static inline void __dmashim_init_waitqueue_head(struct wait_queue_head *wq, const char *name)
{
	__dmashim_spin_lock_init(&wq->lock, name);
	wq->head.next = &wq->head;
	wq->head.prev = &wq->head;
}
#define init_waitqueue_head(wq) __dmashim_init_waitqueue_head(wq, #wq)

/*
 * native/time.c: one step of a wait: run what can run next (work, tasklets,
 * the next timer tick up to deadline_tick). 1 if something ran, 0 if nothing
 * is left (the clock then stands at the deadline); `forever` waits get the
 * hung-task report and the program stops.
 */
int __dmashim_wait_step(unsigned long deadline_tick, int forever, const char *what, const char *site);

/* Waking is what the waiter's next look at its condition does. */
#define wake_up(wq) ((void)(wq))
#define wake_up_all(wq) ((void)(wq))
#define wake_up_nr(wq, nr) ((void)(wq), (void)(nr))
#define wake_up_interruptible(wq) ((void)(wq))
#define wake_up_interruptible_all(wq) ((void)(wq))
#define wake_up_interruptible_sync(wq) ((void)(wq))
#define wake_up_locked(wq) ((void)(wq))
static inline int waitqueue_active(struct wait_queue_head *wq) { (void)wq; return 0; }
static inline bool wq_has_sleeper(struct wait_queue_head *wq) { (void)wq; return false; }

#define wait_event(wq, condition) do {							\
	might_sleep();									\
	(void)(wq);									\
	while (!(condition))								\
		__dmashim_wait_step(0, 1, "wait_event", DMASHIM_SITE);			\
} while (0)
#define wait_event_interruptible(wq, condition) ({ wait_event(wq, condition); 0; })
#define wait_event_killable(wq, condition) ({ wait_event(wq, condition); 0; })
#define wait_event_idle(wq, condition) wait_event(wq, condition)
#define wait_event_freezable(wq, condition) ({ wait_event(wq, condition); 0; })

/* 0 when the condition is still false at the timeout, else the ticks left (at least 1), as the kernel's. */
#define wait_event_timeout(wq, condition, timeout) ({					\
	long __left = (long)(timeout);							\
	unsigned long __end = jiffies + (unsigned long)__left;				\
	int __ok;									\
	might_sleep();									\
	(void)(wq);									\
	while (!(__ok = !!(condition)) && time_before(jiffies, __end) &&		\
	       __dmashim_wait_step(__end, 0, "wait_event_timeout", DMASHIM_SITE))	\
		;									\
	if (!__ok)									\
		__ok = !!(condition);							\
	__left = (long)(__end - jiffies);						\
	__ok ? (__left > 0 ? __left : 1) : 0;						\
})
#define wait_event_interruptible_timeout(wq, condition, timeout) wait_event_timeout(wq, condition, timeout)
#define wait_event_killable_timeout(wq, condition, timeout) wait_event_timeout(wq, condition, timeout)
#define wait_event_idle_timeout(wq, condition, timeout) wait_event_timeout(wq, condition, timeout)
#define wait_event_freezable_timeout(wq, condition, timeout) wait_event_timeout(wq, condition, timeout)

#endif /* _LINUX_WAIT_H */

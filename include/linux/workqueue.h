/* SPDX-License-Identifier: MIT */
/*
 * linux/workqueue.h for dmashim: work items and workqueues on the simulated
 * machine (native/workqueue.c). Queued work runs in process context (it may
 * sleep) on the thread that gives the CPU away: when the program sleeps or
 * delays outside atomic context (msleep, udelay, cond_resched, schedule), when
 * it flushes (flush_work, flush_workqueue, cancel_*_sync ...), or when a test
 * advances time (dmashim_advance_ms()); at each point, in the order it was
 * queued, across all workqueues. Delayed work is a timer (linux/timer.h) that
 * queues the work when it fires. One simulated CPU: a work item never runs
 * twice at once, and *_sync never waits for another CPU. A work function runs
 * on the stack of the sleeping caller: if it takes a mutex the caller holds,
 * that is reported as a recursive lock (the kernel's worker would wait for it).
 */
#ifndef _LINUX_WORKQUEUE_H
#define _LINUX_WORKQUEUE_H

#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/atomic.h>
#include <linux/timer.h>

struct work_struct;
struct workqueue_struct;
typedef void (*work_func_t)(struct work_struct *work);

struct work_struct {
	atomic_long_t data;
	struct list_head entry;
	work_func_t func;
	/* dmashim: the queue it is on and its place in the run order */
	struct workqueue_struct *__dmashim_wq;
	u64 __dmashim_seq;
};

struct delayed_work {
	struct work_struct work;
	struct timer_list timer;
	struct workqueue_struct *wq;
	int cpu;
};

struct rcu_work {
	struct work_struct work;
	struct workqueue_struct *wq;
};

#define WORK_STRUCT_PENDING_BIT 0
#define WORK_STRUCT_PENDING (1UL << WORK_STRUCT_PENDING_BIT)
#define WORK_CPU_UNBOUND 64
#define WORK_BUSY_PENDING (1 << 0)
#define WORK_BUSY_RUNNING (1 << 1)

enum wq_flags {
	WQ_BH = 1 << 0,
	WQ_UNBOUND = 1 << 1,
	WQ_FREEZABLE = 1 << 2,
	WQ_MEM_RECLAIM = 1 << 3,
	WQ_HIGHPRI = 1 << 4,
	WQ_CPU_INTENSIVE = 1 << 5,
	WQ_SYSFS = 1 << 6,
	WQ_POWER_EFFICIENT = 1 << 7,
	WQ_PERCPU = 1 << 8,
	__WQ_DESTROYING = 1 << 15,
	__WQ_DRAINING = 1 << 16,
	__WQ_ORDERED = 1 << 17,
	__WQ_LEGACY = 1 << 18,
	WQ_MAX_ACTIVE = 512,
	WQ_UNBOUND_MAX_ACTIVE = WQ_MAX_ACTIVE,
	WQ_DFL_ACTIVE = WQ_MAX_ACTIVE / 2,
};

extern struct workqueue_struct *system_wq;
extern struct workqueue_struct *system_percpu_wq;
extern struct workqueue_struct *system_highpri_wq;
extern struct workqueue_struct *system_long_wq;
extern struct workqueue_struct *system_unbound_wq;
extern struct workqueue_struct *system_dfl_wq;
extern struct workqueue_struct *system_freezable_wq;
extern struct workqueue_struct *system_power_efficient_wq;
extern struct workqueue_struct *system_freezable_power_efficient_wq;
extern struct workqueue_struct *system_bh_wq;
extern struct workqueue_struct *system_bh_highpri_wq;

#define __WORK_INITIALIZER(n, f) {							\
	.data = ATOMIC_LONG_INIT(0),							\
	.entry = { &(n).entry, &(n).entry },						\
	.func = (f),									\
}
void delayed_work_timer_fn(struct timer_list *t);
#define __DELAYED_WORK_INITIALIZER(n, f, tflags) {					\
	.work = __WORK_INITIALIZER((n).work, (f)),					\
	.timer = __TIMER_INITIALIZER(delayed_work_timer_fn, (tflags) | TIMER_IRQSAFE),	\
}
#define DECLARE_WORK(n, f) struct work_struct n = __WORK_INITIALIZER(n, f)
#define DECLARE_DELAYED_WORK(n, f) struct delayed_work n = __DELAYED_WORK_INITIALIZER(n, f, 0)
#define DECLARE_DEFERRABLE_WORK(n, f) struct delayed_work n = __DELAYED_WORK_INITIALIZER(n, f, TIMER_DEFERRABLE)

static inline void __dmashim_init_work(struct work_struct *work, work_func_t func)
{
	atomic_long_set(&work->data, 0);
	work->entry.next = &work->entry;
	work->entry.prev = &work->entry;
	work->func = func;
	work->__dmashim_wq = NULL;
	work->__dmashim_seq = 0;
}
#define INIT_WORK(_work, _func) __dmashim_init_work((_work), (_func))
#define INIT_WORK_ONSTACK(_work, _func) INIT_WORK(_work, _func)
#define PREPARE_WORK(_work, _func) ((_work)->func = (_func))
#define __INIT_DELAYED_WORK(_work, _func, _tflags) do {					\
	INIT_WORK(&(_work)->work, (_func));						\
	timer_setup(&(_work)->timer, delayed_work_timer_fn, (_tflags) | TIMER_IRQSAFE);	\
	(_work)->wq = NULL;								\
	(_work)->cpu = WORK_CPU_UNBOUND;						\
} while (0)
#define INIT_DELAYED_WORK(_work, _func) __INIT_DELAYED_WORK(_work, _func, 0)
#define INIT_DELAYED_WORK_ONSTACK(_work, _func) INIT_DELAYED_WORK(_work, _func)
#define INIT_DEFERRABLE_WORK(_work, _func) __INIT_DELAYED_WORK(_work, _func, TIMER_DEFERRABLE)
static inline void destroy_work_on_stack(struct work_struct *work) { (void)work; }
static inline void destroy_delayed_work_on_stack(struct delayed_work *work) { (void)work; }

static inline struct delayed_work *to_delayed_work(struct work_struct *work)
{
	return container_of(work, struct delayed_work, work);
}
#define work_pending(work) ((atomic_long_read(&(work)->data) & WORK_STRUCT_PENDING) != 0)
#define delayed_work_pending(w) work_pending(&(w)->work)

/* native/workqueue.c */
__printf(4, 5) struct workqueue_struct *__dmashim_alloc_workqueue(const char *site, unsigned int flags,
								  int max_active, const char *fmt, ...);
void __dmashim_destroy_workqueue(struct workqueue_struct *wq, const char *site);
void __dmashim_flush_workqueue(struct workqueue_struct *wq, const char *site);
bool __dmashim_queue_work(struct workqueue_struct *wq, struct work_struct *work, const char *site);
bool __dmashim_queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork, unsigned long delay,
				  int mod, const char *site);
bool __dmashim_flush_work(struct work_struct *work, const char *site);
bool __dmashim_cancel_work(struct work_struct *work, int sync, const char *site);
bool __dmashim_cancel_delayed_work(struct delayed_work *dwork, int sync, const char *site);
bool __dmashim_flush_delayed_work(struct delayed_work *dwork, const char *site);
unsigned int work_busy(struct work_struct *work);
struct work_struct *current_work(void);

#define alloc_workqueue(fmt, flags, max_active, ...)					\
	__dmashim_alloc_workqueue(DMASHIM_SITE, (flags), (max_active), fmt, ##__VA_ARGS__)
#define alloc_ordered_workqueue(fmt, flags, ...)					\
	alloc_workqueue(fmt, WQ_UNBOUND | __WQ_ORDERED | (flags), 1, ##__VA_ARGS__)
#define create_workqueue(name) alloc_workqueue("%s", __WQ_LEGACY | WQ_MEM_RECLAIM, 1, (name))
#define create_freezable_workqueue(name)						\
	alloc_workqueue("%s", __WQ_LEGACY | WQ_FREEZABLE | WQ_UNBOUND | WQ_MEM_RECLAIM, 1, (name))
#define create_singlethread_workqueue(name) alloc_ordered_workqueue("%s", __WQ_LEGACY | WQ_MEM_RECLAIM, name)
#define destroy_workqueue(wq) __dmashim_destroy_workqueue(wq, DMASHIM_SITE)
#define flush_workqueue(wq) __dmashim_flush_workqueue(wq, DMASHIM_SITE)
#define drain_workqueue(wq) __dmashim_flush_workqueue(wq, DMASHIM_SITE)

#define queue_work(wq, work) __dmashim_queue_work(wq, work, DMASHIM_SITE)
#define queue_work_on(cpu, wq, work) ((void)(cpu), queue_work(wq, work))
#define queue_delayed_work(wq, dwork, delay) __dmashim_queue_delayed_work(wq, dwork, delay, 0, DMASHIM_SITE)
#define queue_delayed_work_on(cpu, wq, dwork, delay) ((void)(cpu), queue_delayed_work(wq, dwork, delay))
#define mod_delayed_work(wq, dwork, delay) __dmashim_queue_delayed_work(wq, dwork, delay, 1, DMASHIM_SITE)
#define mod_delayed_work_on(cpu, wq, dwork, delay) ((void)(cpu), mod_delayed_work(wq, dwork, delay))
#define schedule_work(work) queue_work(system_wq, work)
#define schedule_work_on(cpu, work) queue_work_on(cpu, system_wq, work)
#define schedule_delayed_work(dwork, delay) queue_delayed_work(system_wq, dwork, delay)
#define schedule_delayed_work_on(cpu, dwork, delay) queue_delayed_work_on(cpu, system_wq, dwork, delay)
#define flush_scheduled_work() flush_workqueue(system_wq)

#define flush_work(work) __dmashim_flush_work(work, DMASHIM_SITE)
#define cancel_work(work) __dmashim_cancel_work(work, 0, DMASHIM_SITE)
#define cancel_work_sync(work) __dmashim_cancel_work(work, 1, DMASHIM_SITE)
#define cancel_delayed_work(dwork) __dmashim_cancel_delayed_work(dwork, 0, DMASHIM_SITE)
#define cancel_delayed_work_sync(dwork) __dmashim_cancel_delayed_work(dwork, 1, DMASHIM_SITE)
#define disable_work_sync(work) cancel_work_sync(work)
#define flush_delayed_work(dwork) __dmashim_flush_delayed_work(dwork, DMASHIM_SITE)

#endif /* _LINUX_WORKQUEUE_H */

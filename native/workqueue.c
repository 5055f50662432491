/* SPDX-License-Identifier: MIT */
/*
 * Workqueues (linux/workqueue.h): one run queue in queueing order across all
 * workqueues, run in process context by whoever gives the CPU away (a sleep,
 * a delay outside atomic context, cond_resched, a flush, a test advancing
 * time: native/time.c). An item runs only up to the queue position current
 * when the run began, so work that queues itself again runs at the next point,
 * not in an endless loop.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/delay.h>
#include <linux/workqueue.h>

#include "internal.h"
#include "kenv.h"

struct workqueue_struct {
	char name[32];
	unsigned int flags;
	int max_active;
	int destroying;
};

static struct workqueue_struct wq_events = { "events", WQ_PERCPU, 0, 0 };
static struct workqueue_struct wq_highpri = { "events_highpri", WQ_HIGHPRI | WQ_PERCPU, 0, 0 };
static struct workqueue_struct wq_long = { "events_long", WQ_PERCPU, 0, 0 };
static struct workqueue_struct wq_unbound = { "events_unbound", WQ_UNBOUND, WQ_MAX_ACTIVE, 0 };
static struct workqueue_struct wq_freezable = { "events_freezable", WQ_FREEZABLE | WQ_PERCPU, 0, 0 };
static struct workqueue_struct wq_pe = { "events_power_efficient", WQ_POWER_EFFICIENT, 0, 0 };
static struct workqueue_struct wq_fpe = { "events_freezable_pwr_efficient", WQ_FREEZABLE | WQ_POWER_EFFICIENT, 0, 0 };
static struct workqueue_struct wq_bh = { "events_bh", WQ_BH | WQ_PERCPU, 0, 0 };
static struct workqueue_struct wq_bh_hi = { "events_bh_highpri", WQ_BH | WQ_HIGHPRI | WQ_PERCPU, 0, 0 };

struct workqueue_struct *system_wq = &wq_events;
struct workqueue_struct *system_percpu_wq = &wq_events;
struct workqueue_struct *system_highpri_wq = &wq_highpri;
struct workqueue_struct *system_long_wq = &wq_long;
struct workqueue_struct *system_unbound_wq = &wq_unbound;
struct workqueue_struct *system_dfl_wq = &wq_unbound;
struct workqueue_struct *system_freezable_wq = &wq_freezable;
struct workqueue_struct *system_power_efficient_wq = &wq_pe;
struct workqueue_struct *system_freezable_power_efficient_wq = &wq_fpe;
struct workqueue_struct *system_bh_wq = &wq_bh;
struct workqueue_struct *system_bh_highpri_wq = &wq_bh_hi;

int __dmashim_work_waiting;

static struct list_head queue = { &queue, &queue };
static u64 queue_seq;
static pthread_mutex_t wq_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread struct work_struct *running_work;
/* The items running now, on any thread (a work item never runs twice at once). */
static struct work_struct *running[64];

static inline void lock(void) { pthread_mutex_lock(&wq_lock); }
static inline void unlock(void) { pthread_mutex_unlock(&wq_lock); }

static int is_running(const struct work_struct *w)
{
	for (size_t i = 0; i < ARRAY_SIZE(running); i++)
		if (running[i] == w)
			return 1;
	return 0;
}

static int set_running(struct work_struct *w, struct work_struct *v)
{
	for (size_t i = 0; i < ARRAY_SIZE(running); i++)
		if (running[i] == w) {
			running[i] = v;
			return 1;
		}
	return 0;
}

static inline int queued(const struct work_struct *w) { return w->entry.next != &w->entry && w->entry.next; }

static void unqueue(struct work_struct *w)
{
	w->entry.prev->next = w->entry.next;
	w->entry.next->prev = w->entry.prev;
	w->entry.next = &w->entry;
	w->entry.prev = &w->entry;
	__atomic_sub_fetch(&__dmashim_work_waiting, 1, __ATOMIC_RELAXED);
}

/* With the lock held: put a pending item at the end of the queue. */
static void enqueue(struct workqueue_struct *wq, struct work_struct *w)
{
	w->__dmashim_wq = wq;
	w->__dmashim_seq = ++queue_seq;
	w->entry.prev = queue.prev;
	w->entry.next = &queue;
	queue.prev->next = &w->entry;
	queue.prev = &w->entry;
	__atomic_add_fetch(&__dmashim_work_waiting, 1, __ATOMIC_RELAXED);
}

/* process_one_work(): the item leaves the queue and stops being pending before its function runs. */
static void run_one(struct work_struct *w)
{
	unqueue(w);
	atomic_long_and(~(long)WORK_STRUCT_PENDING, &w->data);
	if (!set_running(NULL, w)) {
		unlock();
		pr_err("dmashim: more than %zu work items running at once (nested sleeps in work)\n",
		       ARRAY_SIZE(running));
		w->func(w);
		lock();
		return;
	}
	work_func_t fn = w->func;
	unlock();
	struct work_struct *outer = running_work;
	running_work = w;
	fn(w);
	running_work = outer;
	if (unlikely(ctx_atomic()))
		pr_err("BUG: workqueue leaked atomic, lock or RCU: dmashim[%d]\n     preempt=0x%08x lock=0->0 RCU=0->0 "
		       "workfn=%ps\n", (int)getpid(), (unsigned int)dmashim_cctx.preempt, (void *)fn);
	lock();
	set_running(w, NULL);
}

/*
 * Run queued items, oldest first, up to position `upto` (0: up to the newest
 * now); `wq` limits the run to one workqueue's items. An item already running
 * (this is a sleep inside it) stays queued. Returns how many ran.
 */
static int run_queue(u64 upto, const struct workqueue_struct *wq)
{
	int n = 0;
	lock();
	if (!upto)
		upto = queue_seq;
	for (;;) {
		struct work_struct *pick = NULL;
		for (struct list_head *p = queue.next; p != &queue; p = p->next) {
			struct work_struct *w = container_of(p, struct work_struct, entry);
			if (w->__dmashim_seq > upto)
				break;
			if ((wq && w->__dmashim_wq != wq) || is_running(w))
				continue;
			pick = w;
			break;
		}
		if (!pick)
			break;
		run_one(pick);
		n++;
	}
	unlock();
	return n;
}

void dmashim_work_run_queued(void)
{
	if (__atomic_load_n(&__dmashim_work_waiting, __ATOMIC_RELAXED))
		run_queue(0, NULL);
}

void __dmashim_schedule(const char *site)
{
	if (kenv_may_run_work())
		dmashim_work_run_queued();
	(void)site;
}

long __dmashim_schedule_timeout(long timeout, const char *site)
{
	__dmashim_context(__DMASHIM_CTX_MIGHT_SLEEP, 0, site);
	if (timeout == MAX_SCHEDULE_TIMEOUT) {
		static int told;
		if (!told++)
			pr_warn("dmashim: schedule_timeout(MAX_SCHEDULE_TIMEOUT) at %s: nothing wakes a task here "
				"(no other tasks, no wait queues); returning at once, as after a wake-up\n",
				site ? site : "?");
		__dmashim_schedule(site);
		return timeout;
	}
	if (timeout < 0) {
		pr_err("schedule_timeout: wrong timeout value %lx\n", (unsigned long)timeout);
		return 0;
	}
	__dmashim_sleep_ticks((unsigned long)timeout);
	return 0;
}

struct workqueue_struct *__dmashim_alloc_workqueue(const char *site, unsigned int flags, int max_active,
						   const char *fmt, ...)
{
	struct workqueue_struct *wq = __dmashim_kmalloc(sizeof(*wq), GFP_KERNEL | __GFP_ZERO, site);
	if (!wq)
		return NULL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(wq->name, sizeof(wq->name), fmt, ap);
	va_end(ap);
	wq->flags = flags;
	wq->max_active = max_active ? max_active : WQ_DFL_ACTIVE;
	return wq;
}

void __dmashim_flush_workqueue(struct workqueue_struct *wq, const char *site)
{
	if (WARN_ON(!wq))
		return;
	__dmashim_context(__DMASHIM_CTX_MIGHT_SLEEP, 0, site);
	if (!kenv_may_run_work())
		return;
	lock();
	u64 upto = queue_seq;
	unlock();
	run_queue(upto, wq);
}

void __dmashim_destroy_workqueue(struct workqueue_struct *wq, const char *site)
{
	if (!wq || wq == &wq_events || wq == &wq_highpri || wq == &wq_long || wq == &wq_unbound ||
	    wq == &wq_freezable || wq == &wq_pe || wq == &wq_fpe || wq == &wq_bh || wq == &wq_bh_hi) {
		WARN(1, "destroy_workqueue(%s) at %s: not a workqueue alloc_workqueue() made\n", wq ? wq->name : "NULL",
		     site ? site : "?");
		return;
	}
	/* drain_workqueue(): until nothing of it is queued, work it queues on itself included. */
	wq->destroying = 1;
	__dmashim_context(__DMASHIM_CTX_MIGHT_SLEEP, 0, site);
	for (int rounds = 0; kenv_may_run_work() && run_queue(0, wq) > 0; rounds++)
		if (rounds == 10)
			pr_warn("workqueue %s: %s() isn't complete after %u tries\n", wq->name, "drain_workqueue",
				rounds);
	lock();
	int left = 0;
	for (struct list_head *p = queue.next; p != &queue; p = p->next)
		left += container_of(p, struct work_struct, entry)->__dmashim_wq == wq;
	unlock();
	if (left) {
		pr_warn("destroy_workqueue: %s has the following busy pwq\n", wq->name);
		return;
	}
	__dmashim_kfree(wq, site);
}

bool __dmashim_queue_work(struct workqueue_struct *wq, struct work_struct *work, const char *site)
{
	if (WARN_ON(!wq || !work))
		return false;
	if (atomic_long_fetch_or(WORK_STRUCT_PENDING, &work->data) & WORK_STRUCT_PENDING)
		return false;
	/* While a workqueue drains, only its own work may queue more on it (chained work). */
	if (wq->destroying && !(running_work && running_work->__dmashim_wq == wq)) {
		WARN_ONCE(1, "workqueue: cannot queue %ps on wq %s (at %s)\n", (void *)work->func, wq->name,
			  site ? site : "?");
		atomic_long_and(~(long)WORK_STRUCT_PENDING, &work->data);
		return false;
	}
	lock();
	enqueue(wq, work);
	unlock();
	return true;
}

void delayed_work_timer_fn(struct timer_list *t)
{
	struct delayed_work *dwork = from_timer(dwork, t, timer);
	lock();
	enqueue(dwork->wq ? dwork->wq : system_wq, &dwork->work);
	unlock();
}

bool __dmashim_queue_delayed_work(struct workqueue_struct *wq, struct delayed_work *dwork, unsigned long delay,
				  int mod, const char *site)
{
	if (WARN_ON(!wq || !dwork))
		return false;
	bool was = false;
	if (mod)
		was = __dmashim_cancel_delayed_work(dwork, 0, site);
	if (atomic_long_fetch_or(WORK_STRUCT_PENDING, &dwork->work.data) & WORK_STRUCT_PENDING)
		return false;
	/* The kernel's __queue_delayed_work() checks. */
	WARN_ON_ONCE(dwork->timer.function != delayed_work_timer_fn);
	WARN_ON_ONCE(timer_pending(&dwork->timer));
	dwork->wq = wq;
	if (!delay) {
		lock();
		enqueue(wq, &dwork->work);
		unlock();
		return mod ? was : true;
	}
	__dmashim_mod_timer(&dwork->timer, jiffies + delay, __DMASHIM_TIMER_MOD, site);
	return mod ? was : true;
}

bool __dmashim_cancel_work(struct work_struct *work, int sync, const char *site)
{
	if (WARN_ON(!work))
		return false;
	if (sync && work == running_work) {
		WARN(1, "cancel_work_sync() of a work item from its own function at %s: the kernel would wait for "
			"itself, forever\n", site ? site : "?");
		return false;
	}
	if (sync)
		__dmashim_context(__DMASHIM_CTX_MIGHT_SLEEP, 0, site);
	lock();
	bool was = (atomic_long_read(&work->data) & WORK_STRUCT_PENDING) != 0;
	if (queued(work))
		unqueue(work);
	atomic_long_and(~(long)WORK_STRUCT_PENDING, &work->data);
	unlock();
	return was;
}

bool __dmashim_cancel_delayed_work(struct delayed_work *dwork, int sync, const char *site)
{
	if (WARN_ON(!dwork))
		return false;
	__dmashim_del_timer(&dwork->timer, __DMASHIM_TIMER_DEL, site);
	return __dmashim_cancel_work(&dwork->work, sync, site);
}

bool __dmashim_flush_work(struct work_struct *work, const char *site)
{
	if (WARN_ON(!work))
		return false;
	if (work == running_work) {
		WARN(1, "flush_work() of a work item from its own function at %s: the kernel would wait for itself, "
			"forever\n", site ? site : "?");
		return false;
	}
	__dmashim_context(__DMASHIM_CTX_MIGHT_SLEEP, 0, site);
	lock();
	int q = queued(work);
	u64 upto = work->__dmashim_seq;
	unlock();
	if (!q)
		return false;
	if (kenv_may_run_work())
		run_queue(upto, NULL);
	return true;
}

bool __dmashim_flush_delayed_work(struct delayed_work *dwork, const char *site)
{
	if (WARN_ON(!dwork))
		return false;
	if (__dmashim_del_timer(&dwork->timer, __DMASHIM_TIMER_DEL, site)) {
		lock();
		enqueue(dwork->wq ? dwork->wq : system_wq, &dwork->work);
		unlock();
	}
	return __dmashim_flush_work(&dwork->work, site);
}

unsigned int work_busy(struct work_struct *work)
{
	unsigned int r = 0;
	lock();
	if (atomic_long_read(&work->data) & WORK_STRUCT_PENDING)
		r |= WORK_BUSY_PENDING;
	if (is_running(work))
		r |= WORK_BUSY_RUNNING;
	unlock();
	return r;
}

struct work_struct *current_work(void)
{
	return running_work;
}

/* SPDX-License-Identifier: MIT */
/*
 * The simulated clock (linux/jiffies.h, ktime.h, delay.h) and timers
 * (linux/timer.h). Time is a count of nanoseconds since the simulated boot; it
 * moves only when the program delays or sleeps, spins with cpu_relax(), or a
 * test advances it, so every run sees the same times. While it moves, each
 * pending timer whose tick is reached runs at that tick (jiffies reads that
 * tick inside the callback), and queued work runs after it, so a chain of
 * timers and work unfolds in order within one msleep().
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <linux/kernel.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/delay.h>
#include <linux/timer.h>
#include <linux/sched.h>
#include <linux/workqueue.h>
#include <linux/interrupt.h>
#include <linux/wait.h>
#include <dmashim/bridge.h>

#include "internal.h"
#include "kenv.h"

unsigned long volatile jiffies = INITIAL_JIFFIES;

static u64 clock_ns;
/* The time of the earliest pending timer's tick (U64_MAX: none), read without the lock by cpu_relax(). */
static u64 next_due_ns = U64_MAX;
static struct hlist_head timers;
static u64 arm_seq;
static pthread_mutex_t time_lock = PTHREAD_MUTEX_INITIALIZER;

/* Timers and the clock are shared by all threads; the lock is never held while a callback runs. */
static inline void lock(void) { pthread_mutex_lock(&time_lock); }
static inline void unlock(void) { pthread_mutex_unlock(&time_lock); }

static inline u64 tick_ns(unsigned long tick) { return (u64)(tick - INITIAL_JIFFIES) * TICK_NSEC; }

static void set_clock(u64 ns)
{
	__atomic_store_n(&clock_ns, ns, __ATOMIC_RELAXED);
	jiffies = INITIAL_JIFFIES + (unsigned long)(ns / TICK_NSEC);
}

static void update_next_due(void)
{
	struct hlist_node *first = timers.first;
	u64 due = U64_MAX;
	if (first)
		due = tick_ns(container_of(first, struct timer_list, entry)->__dmashim_tick);
	__atomic_store_n(&next_due_ns, due, __ATOMIC_RELAXED);
}

u64 __dmashim_clock_ns(void)
{
	return __atomic_load_n(&clock_ns, __ATOMIC_RELAXED);
}

/* Ordered by tick, then by arming order. */
static void timer_insert(struct timer_list *t)
{
	struct hlist_node **pp = &timers.first;
	while (*pp) {
		struct timer_list *o = container_of(*pp, struct timer_list, entry);
		if (time_after(o->__dmashim_tick, t->__dmashim_tick))
			break;
		pp = &(*pp)->next;
	}
	t->entry.next = *pp;
	t->entry.pprev = pp;
	if (*pp)
		(*pp)->pprev = &t->entry.next;
	*pp = &t->entry;
	update_next_due();
}

static void timer_detach(struct timer_list *t)
{
	*t->entry.pprev = t->entry.next;
	if (t->entry.next)
		t->entry.next->pprev = t->entry.pprev;
	t->entry.next = NULL;
	t->entry.pprev = NULL;
	update_next_due();
}

void __dmashim_timer_legacy_fn(struct timer_list *t)
{
	t->__dmashim_legacy(t->data);
}

/* call_timer_fn(): as a softirq, and the kernel's check that the callback left preempt_count as it found it. */
static __thread struct timer_list *running_timer;

static void run_timer(struct timer_list *t, void (*fn)(struct timer_list *))
{
	dmashim_softirq_enter();
	int count = dmashim_cctx.preempt;
	struct timer_list *outer = running_timer;
	running_timer = t;
	fn(t);
	running_timer = outer;
	if (dmashim_cctx.preempt != count) {
		int now = dmashim_cctx.preempt;
		WARN_ONCE(1, "timer: %pS preempt leak: %08x -> %08x\n", (void *)fn,
			  (unsigned int)(count - 1 + (1 << 8)), (unsigned int)(now - 1 + (1 << 8)));
		while (dmashim_cctx.preempt > count)
			__dmashim_context(__DMASHIM_CTX_PREEMPT_ENABLE, 0, NULL);
		while (dmashim_cctx.preempt < count)
			__dmashim_context(__DMASHIM_CTX_PREEMPT_DISABLE, 0, NULL);
	}
	dmashim_softirq_exit();
}

/* Scheduled tasklets, in scheduling order (a singly linked list through ->next). */
static struct tasklet_struct *tasklets, **tasklets_tail = &tasklets;
static int tasklets_waiting;

void __dmashim_tasklet_schedule(struct tasklet_struct *t)
{
	if (__atomic_fetch_or(&t->state, 1UL << TASKLET_STATE_SCHED, __ATOMIC_ACQ_REL) & (1UL << TASKLET_STATE_SCHED))
		return;
	lock();
	t->next = NULL;
	*tasklets_tail = t;
	tasklets_tail = &t->next;
	tasklets_waiting++;
	unlock();
}

static void tasklet_call(struct tasklet_struct *t)
{
	if (t->use_callback)
		t->callback(t);
	else
		t->func(t->data);
}

/* tasklet_action(): each tasklet scheduled by now runs once, in softirq context; a disabled one waits. */
void dmashim_run_tasklets(void)
{
	if (!__atomic_load_n(&tasklets_waiting, __ATOMIC_RELAXED) || !kenv_may_run_timers())
		return;
	lock();
	struct tasklet_struct *list = tasklets;
	tasklets = NULL;
	tasklets_tail = &tasklets;
	tasklets_waiting = 0;
	unlock();
	while (list) {
		struct tasklet_struct *t = list;
		list = t->next;
		t->next = NULL;
		unsigned long run = 1UL << TASKLET_STATE_RUN;
		if (atomic_read(&t->count) == 0 && !(__atomic_fetch_or(&t->state, run, __ATOMIC_ACQUIRE) & run)) {
			__atomic_fetch_and(&t->state, ~(1UL << TASKLET_STATE_SCHED), __ATOMIC_RELEASE);
			dmashim_softirq_enter();
			tasklet_call(t);
			dmashim_softirq_exit();
			__atomic_fetch_and(&t->state, ~(1UL << TASKLET_STATE_RUN), __ATOMIC_RELEASE);
			continue;
		}
		lock();
		*tasklets_tail = t;
		tasklets_tail = &t->next;
		tasklets_waiting++;
		unlock();
	}
}

/* tasklet_kill(): a scheduled tasklet runs before this returns, as the kernel's waits for it; then it is idle. */
void __dmashim_tasklet_kill(struct tasklet_struct *t, const char *site)
{
	if (in_interrupt())
		pr_notice("Attempt to kill tasklet from interrupt\n");
	if (!(__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) & (1UL << TASKLET_STATE_SCHED)))
		return;
	if (atomic_read(&t->count) != 0) {
		WARN(1, "tasklet_kill() at %s of a disabled, scheduled tasklet: the kernel would wait for it forever\n",
		     site ? site : "?");
		return;
	}
	lock();
	struct tasklet_struct **pp = &tasklets;
	while (*pp && *pp != t)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = t->next;
		if (tasklets_tail == &t->next)
			tasklets_tail = pp;
		tasklets_waiting--;
	}
	unlock();
	t->next = NULL;
	__atomic_fetch_and(&t->state, ~(1UL << TASKLET_STATE_SCHED), __ATOMIC_RELEASE);
	dmashim_softirq_enter();
	tasklet_call(t);
	dmashim_softirq_exit();
}

/*
 * Move the clock to `target`, running each timer whose tick comes on the way
 * (when this context lets softirqs run) and the work queued by then (when it
 * lets work run).
 */
static void advance_to(u64 target)
{
	int timers_ok = kenv_may_run_timers();
	int work_ok = kenv_may_run_work();
	if (timers_ok)
		dmashim_run_tasklets();
	if (work_ok)
		dmashim_work_run_queued();
	lock();
	for (;;) {
		struct hlist_node *first = timers.first;
		if (!timers_ok || !first)
			break;
		struct timer_list *t = container_of(first, struct timer_list, entry);
		u64 at = tick_ns(t->__dmashim_tick);
		if (at > target)
			break;
		if (at > clock_ns)
			set_clock(at);
		timer_detach(t);
		void (*fn)(struct timer_list *) = t->function;
		unlock();
		if (fn)
			run_timer(t, fn);
		dmashim_run_tasklets();
		if (work_ok)
			dmashim_work_run_queued();
		lock();
	}
	if (target > clock_ns)
		set_clock(target);
	unlock();
}

void __dmashim_delay_ns(u64 ns)
{
	u64 now = __dmashim_clock_ns();
	advance_to(now + ns < now ? U64_MAX : now + ns);
}

void __dmashim_sleep_ticks(unsigned long ticks)
{
	lock();
	u64 target = tick_ns(jiffies + ticks);
	unlock();
	advance_to(target);
}

/* A PAUSE: a few tens of nanoseconds, so a loop that polls until a jiffies timeout ends. */
#define CPU_RELAX_NS 50

void __dmashim_cpu_relax(void)
{
	u64 now = __atomic_add_fetch(&clock_ns, CPU_RELAX_NS, __ATOMIC_RELAXED);
	unsigned long j = INITIAL_JIFFIES + (unsigned long)(now / TICK_NSEC);
	if (j != jiffies)
		jiffies = j;
	if (unlikely(now >= __atomic_load_n(&next_due_ns, __ATOMIC_RELAXED) ||
		     __atomic_load_n(&__dmashim_work_waiting, __ATOMIC_RELAXED) ||
		     __atomic_load_n(&tasklets_waiting, __ATOMIC_RELAXED)))
		advance_to(now);
}

void dmashim_advance_ns(u64 ns)
{
	__dmashim_delay_ns(ns);
}

void dmashim_advance_ms(unsigned int ms)
{
	__dmashim_delay_ns((u64)ms * NSEC_PER_MSEC);
}

unsigned int dmashim_timers_pending(void)
{
	unsigned int n = 0;
	lock();
	for (struct hlist_node *p = timers.first; p; p = p->next)
		n++;
	unlock();
	return n;
}

/* A timer never set up: the kernel's debugobjects report (CONFIG_DEBUG_OBJECTS_TIMERS), then it is left alone. */
static int timer_unset(struct timer_list *t, const char *what, const char *site)
{
	if (likely(t && t->__dmashim_magic == __DMASHIM_TIMER_MAGIC))
		return 0;
	WARN(1, "ODEBUG: %s not available (active state 0) object: %p object type: timer_list hint: 0x0\n"
		"(a timer_list used before timer_setup() at %s)\n", what, (void *)t, site ? site : "?");
	return 1;
}

int __dmashim_mod_timer(struct timer_list *timer, unsigned long expires, int how, const char *site)
{
	if (timer_unset(timer, "activate", site))
		return 0;
	if (how == __DMASHIM_TIMER_ADD && WARN_ON_ONCE(timer_pending(timer)))
		return 0;
	lock();
	int was = timer_pending(timer);
	/* A shut-down timer (no function) is not armed again, silently, as in the kernel since 6.2. */
	if ((how == __DMASHIM_TIMER_MOD_PENDING && !was) || !timer->function) {
		unlock();
		return was && how != __DMASHIM_TIMER_ADD;
	}
	if (how == __DMASHIM_TIMER_REDUCE && was && !time_before(expires, timer->expires)) {
		unlock();
		return 1;
	}
	if (was)
		timer_detach(timer);
	timer->expires = expires;
	timer->__dmashim_tick = time_after(expires, jiffies) ? expires : jiffies + 1;
	timer->__dmashim_seq = ++arm_seq;
	timer_insert(timer);
	unlock();
	return was;
}

int __dmashim_del_timer(struct timer_list *timer, int how, const char *site)
{
	if (timer_unset(timer, "assert_init", site))
		return 0;
	int sync = how != __DMASHIM_TIMER_DEL && how != __DMASHIM_TIMER_SHUTDOWN;
	/* The kernel's check: from an interrupt, it could wait for the callback it interrupted. */
	if (sync)
		WARN_ON(in_hardirq() && !(timer->flags & TIMER_IRQSAFE));
	if (sync && how != __DMASHIM_TIMER_TRY_SYNC && timer == running_timer) {
		WARN(1, "%s() of a timer from its own callback at %s: the kernel would wait for the callback to "
			"end, forever\n", how == __DMASHIM_TIMER_DEL_SYNC ? "del_timer_sync" : "timer_shutdown_sync",
		     site ? site : "?");
		return 0;
	}
	if (how == __DMASHIM_TIMER_TRY_SYNC && timer == running_timer)
		return -1;
	lock();
	int was = timer_pending(timer);
	if (was)
		timer_detach(timer);
	if (how == __DMASHIM_TIMER_SHUTDOWN || how == __DMASHIM_TIMER_SHUTDOWN_SYNC)
		timer->function = NULL;
	unlock();
	return was;
}

/*
 * One step of a wait (linux/wait.h, completion.h): run what comes next (queued
 * work, tasklets, the next timer's tick up to the deadline) and say whether
 * anything ran; a waiter then looks at its condition again.
 */
int __dmashim_wait_step(unsigned long deadline_tick, int forever, const char *what, const char *site)
{
	if (kenv_may_run_work() && __atomic_load_n(&__dmashim_work_waiting, __ATOMIC_RELAXED)) {
		dmashim_work_run_queued();
		return 1;
	}
	if (kenv_may_run_timers() && __atomic_load_n(&tasklets_waiting, __ATOMIC_RELAXED)) {
		dmashim_run_tasklets();
		return 1;
	}
	lock();
	struct hlist_node *first = timers.first;
	unsigned long tick = first ? container_of(first, struct timer_list, entry)->__dmashim_tick : 0;
	u64 now = clock_ns;
	unlock();
	if (first && kenv_may_run_timers() && (forever || !time_after(tick, deadline_tick))) {
		u64 at = tick_ns(tick);
		advance_to(at > now ? at : now);
		return 1;
	}
	/* Another thread may still do it: let it run, and let simulated time pass a tick. */
	if (dmashim_threads_on) {
		usleep(100);
		if (forever || time_before(jiffies, deadline_tick)) {
			__dmashim_delay_ns(TICK_NSEC);
			return 1;
		}
		return 0;
	}
	if (!forever) {
		u64 end = tick_ns(deadline_tick);
		if (end > now)
			advance_to(end);
		return 0;
	}
	advance_to(now + 120 * (u64)NSEC_PER_SEC);
	printk(KERN_ERR "INFO: task dmashim:%d blocked for more than 120 seconds.\n", (int)getpid());
	printk(KERN_ERR "dmashim: %s() at %s waits for something nothing left can do (no timer armed, no work or "
			"tasklet queued, no other thread): the kernel would wait forever; stopping the program\n",
	       what, site ? site : "?");
	dmashim_log_flush();
	fflush(NULL);
	abort();
}

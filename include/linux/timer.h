/* SPDX-License-Identifier: MIT */
/*
 * linux/timer.h for dmashim: timer_list on the simulated clock
 * (linux/jiffies.h, native/time.c). A timer armed for `expires` runs at the
 * first tick at or after expires, and never in the tick it was armed in (one
 * armed for a time already past runs at the next tick), as the kernel's
 * timer wheel does. Callbacks run in softirq context (in_softirq(), atomic: a
 * sleeping call there is reported) when the clock passes their tick: in a
 * sleep or delay of the program made with interrupts on, or when a test
 * advances time. Timers due at the same tick run in the order they were armed.
 * One simulated CPU: a callback is never running on another CPU, so
 * del_timer_sync() is del_timer() plus the kernel's checks.
 * From 2.6 to 4.14 timers took an unsigned long: setup_timer(t, fn, data)
 * still works (fn gets data).
 */
#ifndef _LINUX_TIMER_H
#define _LINUX_TIMER_H

#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>

struct timer_list {
	struct hlist_node entry;
	unsigned long expires;
	void (*function)(struct timer_list *);
	u32 flags;
	/* the 2.6-4.14 argument, given to the function set with setup_timer() */
	unsigned long data;
	/* dmashim: the tick it runs at, its arming order, and whether it was set up */
	unsigned long __dmashim_tick;
	u64 __dmashim_seq;
	void (*__dmashim_legacy)(unsigned long);
	unsigned long __dmashim_magic;
};

#define TIMER_CPUMASK 0x0003FFFF
#define TIMER_MIGRATING 0x00040000
#define TIMER_BASEMASK (TIMER_CPUMASK | TIMER_MIGRATING)
#define TIMER_DEFERRABLE 0x00080000
#define TIMER_PINNED 0x00100000
#define TIMER_IRQSAFE 0x00200000
#define TIMER_INIT_FLAGS (TIMER_DEFERRABLE | TIMER_PINNED | TIMER_IRQSAFE)

#define __DMASHIM_TIMER_MAGIC 0x74696d72UL
#define __TIMER_INITIALIZER(_function, _flags) {					\
	.entry = { .next = NULL, .pprev = NULL },					\
	.function = (_function),							\
	.flags = (_flags),								\
	.__dmashim_magic = __DMASHIM_TIMER_MAGIC,					\
}
#define DEFINE_TIMER(_name, _function) struct timer_list _name = __TIMER_INITIALIZER(_function, 0)

static inline void timer_setup(struct timer_list *timer, void (*func)(struct timer_list *), unsigned int flags)
{
	timer->entry.next = NULL;
	timer->entry.pprev = NULL;
	timer->expires = 0;
	timer->function = func;
	timer->flags = flags & TIMER_INIT_FLAGS;
	timer->data = 0;
	timer->__dmashim_legacy = NULL;
	timer->__dmashim_magic = __DMASHIM_TIMER_MAGIC;
}
#define timer_setup_on_stack(timer, func, flags) timer_setup(timer, func, flags)
static inline void destroy_timer_on_stack(struct timer_list *timer) { (void)timer; }

/* The legacy callback's trampoline (native/time.c). */
void __dmashim_timer_legacy_fn(struct timer_list *t);
static inline void __dmashim_setup_timer(struct timer_list *timer, void (*fn)(unsigned long), unsigned long data,
					 unsigned int flags)
{
	timer_setup(timer, __dmashim_timer_legacy_fn, flags);
	timer->__dmashim_legacy = fn;
	timer->data = data;
}
#define setup_timer(timer, fn, data) __dmashim_setup_timer(timer, fn, data, 0)
#define setup_timer_on_stack(timer, fn, data) setup_timer(timer, fn, data)
#define setup_deferrable_timer(timer, fn, data) __dmashim_setup_timer(timer, fn, data, TIMER_DEFERRABLE)
/* 2.6's init_timer(): the caller sets ->function and ->data next. */
#define init_timer(timer) timer_setup(timer, NULL, 0)

#define from_timer(var, callback_timer, timer_fieldname) container_of(callback_timer, __typeof__(*var), timer_fieldname)
#define timer_container_of(var, callback_timer, timer_fieldname) from_timer(var, callback_timer, timer_fieldname)

/* Pending: armed and not yet run, as the kernel's (->entry.pprev set). */
static inline int timer_pending(const struct timer_list *timer) { return timer->entry.pprev != NULL; }

/* native/time.c */
int __dmashim_mod_timer(struct timer_list *timer, unsigned long expires, int how, const char *site);
int __dmashim_del_timer(struct timer_list *timer, int how, const char *site);
#define __DMASHIM_TIMER_MOD 0
#define __DMASHIM_TIMER_ADD 1
#define __DMASHIM_TIMER_MOD_PENDING 2
#define __DMASHIM_TIMER_REDUCE 3
#define __DMASHIM_TIMER_DEL 0
#define __DMASHIM_TIMER_DEL_SYNC 1
#define __DMASHIM_TIMER_SHUTDOWN 2
#define __DMASHIM_TIMER_SHUTDOWN_SYNC 3
#define __DMASHIM_TIMER_TRY_SYNC 4

#define mod_timer(timer, expires) __dmashim_mod_timer(timer, expires, __DMASHIM_TIMER_MOD, DMASHIM_SITE)
#define mod_timer_pending(timer, expires) __dmashim_mod_timer(timer, expires, __DMASHIM_TIMER_MOD_PENDING, DMASHIM_SITE)
#define timer_reduce(timer, expires) __dmashim_mod_timer(timer, expires, __DMASHIM_TIMER_REDUCE, DMASHIM_SITE)
#define add_timer(timer) ((void)__dmashim_mod_timer(timer, (timer)->expires, __DMASHIM_TIMER_ADD, DMASHIM_SITE))
#define add_timer_on(timer, cpu) ((void)(cpu), add_timer(timer))
#define add_timer_global(timer) add_timer(timer)
#define add_timer_local(timer) add_timer(timer)
#define timer_delete(timer) __dmashim_del_timer(timer, __DMASHIM_TIMER_DEL, DMASHIM_SITE)
#define timer_delete_sync(timer) __dmashim_del_timer(timer, __DMASHIM_TIMER_DEL_SYNC, DMASHIM_SITE)
#define timer_shutdown(timer) __dmashim_del_timer(timer, __DMASHIM_TIMER_SHUTDOWN, DMASHIM_SITE)
#define timer_shutdown_sync(timer) __dmashim_del_timer(timer, __DMASHIM_TIMER_SHUTDOWN_SYNC, DMASHIM_SITE)
#define try_to_del_timer_sync(timer) __dmashim_del_timer(timer, __DMASHIM_TIMER_TRY_SYNC, DMASHIM_SITE)
#define del_timer(timer) timer_delete(timer)
#define del_timer_sync(timer) timer_delete_sync(timer)
#define del_singleshot_timer_sync(timer) timer_delete_sync(timer)

#endif /* _LINUX_TIMER_H */

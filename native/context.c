/* SPDX-License-Identifier: MIT */
/*
 * The simulated execution context (linux/preempt.h, irqflags.h, hardirq.h)
 * and the lock checks of spinlock_t and struct mutex.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <linux/kernel.h>
#include <linux/preempt.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/delay.h>

#include "internal.h"
#include "kenv.h"

/*
 * The simulated context (linux/preempt.h), per thread in C. In synchronous
 * mode every change is mirrored into the core (the context op), so the core's
 * might_sleep()/might_alloc() checks see it; C asks the core about a sleeping
 * call only when the context is atomic, so a mutex_lock() or msleep() outside
 * locks costs no crossing. With --threads the state stays in C (the core's is
 * one per process, and threads take locks independently).
 */
__thread struct ctx_state dmashim_cctx __attribute__((tls_model("local-dynamic")));

static inline int ctx_forward(void) { return !dmashim_threads_on && pthread_equal(pthread_self(), dmashim_js_thread); }

/*
 * A timer callback runs as a softirq: atomic (it counts as a preempt_disable()
 * here and in the core, so a sleeping call is reported), in_softirq() and
 * in_interrupt() true, SOFTIRQ_OFFSET in preempt_count().
 */
__thread int dmashim_softirq_depth;

void dmashim_softirq_enter(void)
{
	dmashim_softirq_depth++;
	__dmashim_context(__DMASHIM_CTX_PREEMPT_DISABLE, 0, NULL);
}

__thread int dmashim_bh_depth;

/*
 * local_bh_disable()/local_bh_enable(): a preempt_disable() that also holds
 * softirqs back; enabling runs those now due (tasklets, timers), as the kernel's.
 */
void __dmashim_local_bh(int disable)
{
	if (disable) {
		dmashim_bh_depth++;
		__dmashim_context(__DMASHIM_CTX_PREEMPT_DISABLE, 0, NULL);
		return;
	}
	__dmashim_context(__DMASHIM_CTX_PREEMPT_ENABLE, 0, NULL);
	if (dmashim_bh_depth > 0 && --dmashim_bh_depth == 0)
		__dmashim_delay_ns(0);
}

void dmashim_softirq_exit(void)
{
	__dmashim_context(__DMASHIM_CTX_PREEMPT_ENABLE, 0, NULL);
	dmashim_softirq_depth--;
}

int __dmashim_context(int op, int arg, const char *site)
{
	if (unlikely(!dmashim_ready))
		dmashim_not_ready("preempt_disable/local_irq_save/might_sleep");
	int fwd = ctx_forward();
	struct ctx_state *c = &dmashim_cctx;
	switch (op) {
	case __DMASHIM_CTX_PREEMPT_DISABLE:
		c->preempt++;
		break;
	case __DMASHIM_CTX_PREEMPT_ENABLE:
		if (c->preempt > 0)
			c->preempt--;
		break;
	case __DMASHIM_CTX_IRQ_SAVE: {
		int flags = c->irqs_off;
		c->irqs_off++;
		if (fwd)
			dmashim_ts.context(op, 0, 0);
		return flags;
	}
	case __DMASHIM_CTX_IRQ_RESTORE:
		c->irqs_off = arg;
		break;
	case __DMASHIM_CTX_IRQ_DISABLE:
		c->irqs_off++;
		break;
	case __DMASHIM_CTX_IRQ_ENABLE:
		c->irqs_off = 0;
		break;
	case __DMASHIM_CTX_MIGHT_SLEEP:
		if (!ctx_atomic() || !fwd)
			return 0;
		return dmashim_ts.context(op, 0, site_arg(site));
	case __DMASHIM_CTX_IRQ_ENTER:
		if (c->hardirq < (int)ARRAY_SIZE(c->irq_flags))
			c->irq_flags[c->hardirq] = c->irqs_off;
		c->hardirq++;
		break;
	case __DMASHIM_CTX_IRQ_EXIT:
		if (c->hardirq == 0)
			return 0;
		c->hardirq--;
		arg = c->hardirq < (int)ARRAY_SIZE(c->irq_flags) ? c->irq_flags[c->hardirq] : 0;
		break;
	case __DMASHIM_CTX_QUERY:
		return (ctx_atomic() && (c->preempt > 0 || c->hardirq > 0) ? 1 : 0) |
		       (c->irqs_off > 0 || c->hardirq > 0 ? 2 : 0) | (c->hardirq > 0 ? 4 : 0) |
		       (dmashim_softirq_depth > 0 ? 8 : 0) |
		       ((c->preempt - dmashim_softirq_depth + (dmashim_softirq_depth << 8) + (c->hardirq << 16)) << 8);
	default:
		return -EINVAL;
	}
	if (fwd)
		dmashim_ts.context(op, arg, 0);
	return 0;
}

unsigned long __dmashim_current_thread(void)
{
	return (unsigned long)pthread_self();
}

static const char *lock_bug_text[] = { "recursion", "already unlocked", "wrong owner" };

/* CONFIG_DEBUG_SPINLOCK's spin_bug(): the report, then (recursion) stop, as the kernel would hang there. */
void __dmashim_spin_bug(const spinlock_t *lock, int kind, const char *site)
{
	printk(KERN_EMERG "BUG: spinlock %s on CPU#0, dmashim/%d\n", lock_bug_text[kind], (int)getpid());
	printk(KERN_EMERG " lock: %s, .magic: dead4ead, .owner: %s/%d, .owner_cpu: %d\n",
	       lock->name ? lock->name : "?", lock->owner ? "dmashim" : "<none>", lock->owner ? (int)getpid() : -1,
	       lock->owner ? 0 : -1);
	printk(KERN_EMERG "spinlock taken or released at %s\n", site ? site : "?");
	if (kind == 0) {
		printk(KERN_EMERG "the kernel would spin here forever (a self-deadlock); stopping the program\n");
		dmashim_log_flush();
		fflush(NULL);
		abort();
	}
}

/* A contended mutex: yield until it is free (the holder is another thread). Recursion is a self-deadlock. */
void __dmashim_mutex_wait(struct mutex *lock, const char *site)
{
	if (lock->owner == __dmashim_current_thread()) {
		__dmashim_mutex_bug(lock, 0, site);
		return;
	}
	while (!mutex_trylock(lock))
		sched_yield();
}

/* CONFIG_DEBUG_MUTEXES-style reports. kind 0: recursive lock (stops the program); 1: bad unlock (warns). */
void __dmashim_mutex_bug(const struct mutex *lock, int kind, const char *site)
{
	if (kind == 0) {
		printk(KERN_EMERG "BUG: mutex %s locked again by its owner at %s: the kernel would deadlock here; "
				  "stopping the program\n", lock->name ? lock->name : "?", site ? site : "?");
		dmashim_log_flush();
		fflush(NULL);
		abort();
	}
	if (!enter("mutex_unlock"))
		return;
	char msg[512];
	snprintf(msg, sizeof(msg), "DEBUG_LOCKS_WARN_ON(%s)\n",
		 lock->locked ? "__owner_task(owner) != current" : "!mutex_is_locked(lock)");
	dmashim_emit(4, DMASHIM_PRINTK_NO_DEV, "------------[ cut here ]------------\n", 0);
	dmashim_emit(4, DMASHIM_PRINTK_NO_DEV, msg, 0);
	snprintf(msg, sizeof(msg), "WARNING: at %s mutex_unlock() (mutex %s)\n", site ? site : "?",
		 lock->name ? lock->name : "?");
	dmashim_emit(4, DMASHIM_PRINTK_NO_DEV, msg, 0);
}

/* SPDX-License-Identifier: MIT */
/*
 * linux/preempt.h for dmashim: the simulated execution context. Spinlocks,
 * preempt_disable() and interrupt handlers (irq_enter/irq_exit) make the
 * context atomic in the TypeScript core, so a sleeping call made there
 * (dma_pool_alloc/kmalloc/dma_alloc_coherent with GFP_KERNEL, mutex_lock,
 * msleep, might_sleep()) gets the kernel's report:
 *   BUG: sleeping function called from invalid context at file.c:LINE
 * The state is per thread here (the kernel's is per CPU); with
 * `dmashim run --threads` it is kept in C only, and no sleeping check is made.
 */
#ifndef __LINUX_PREEMPT_H
#define __LINUX_PREEMPT_H

#include <linux/compiler.h>
#include <dmashim/abi.h>

/* op: __DMASHIM_CTX_* (dmashim/abi.h). */
int __dmashim_context(int op, int arg, const char *site);

#define preempt_disable() ((void)__dmashim_context(__DMASHIM_CTX_PREEMPT_DISABLE, 0, NULL))
#define preempt_enable() ((void)__dmashim_context(__DMASHIM_CTX_PREEMPT_ENABLE, 0, NULL))
#define preempt_enable_no_resched() preempt_enable()
#define preempt_count() (__dmashim_context(__DMASHIM_CTX_QUERY, 0, NULL) >> 8)
#define in_atomic() ((__dmashim_context(__DMASHIM_CTX_QUERY, 0, NULL) & 1) != 0)
/* A timer callback runs as a softirq (linux/timer.h): in_softirq(), in_interrupt(), SOFTIRQ_OFFSET counted. */
#define in_interrupt() ((__dmashim_context(__DMASHIM_CTX_QUERY, 0, NULL) & 12) != 0)
#define in_irq() ((__dmashim_context(__DMASHIM_CTX_QUERY, 0, NULL) & 4) != 0)
#define in_hardirq() in_irq()
#define in_softirq() ((__dmashim_context(__DMASHIM_CTX_QUERY, 0, NULL) & 8) != 0)
#define in_serving_softirq() in_softirq()
#define in_nmi() 0
#define in_task() (!in_interrupt())
/* Softirqs off: atomic, and timers and tasklets wait for local_bh_enable() (native/context.c). */
void __dmashim_local_bh(int disable);
#define local_bh_disable() __dmashim_local_bh(1)
#define local_bh_enable() __dmashim_local_bh(0)

#endif /* __LINUX_PREEMPT_H */

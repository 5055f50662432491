/* SPDX-License-Identifier: MIT */
/* What native/time.c, workqueue.c and context.c share: the softirq state and who may run callbacks. */
#ifndef DMASHIM_KENV_H
#define DMASHIM_KENV_H

#include "internal.h"

#pragma GCC visibility push(hidden)

/* Timer callbacks running on this thread (each also counts in dmashim_cctx.preempt). */
extern __thread int dmashim_softirq_depth;
/* local_bh_disable() depth on this thread (each also counts in dmashim_cctx.preempt). */
extern __thread int dmashim_bh_depth;
void dmashim_softirq_enter(void);
void dmashim_softirq_exit(void);

/* Callbacks may cross into TypeScript from this thread (the bridge is up; the JS thread, or --threads). */
static inline int kenv_may_call(void)
{
	return dmashim_ready && (dmashim_threads_on || pthread_equal(pthread_self(), dmashim_js_thread));
}
/* Softirqs (timers, tasklets) may run here: IRQs and softirqs on, not in an interrupt or a callback. */
static inline int kenv_may_run_timers(void)
{
	return kenv_may_call() && dmashim_cctx.irqs_off == 0 && dmashim_cctx.hardirq == 0 &&
	       dmashim_softirq_depth == 0 && dmashim_bh_depth == 0;
}
/* Work (process context) may run here: not atomic. */
static inline int kenv_may_run_work(void)
{
	return kenv_may_call() && !ctx_atomic() && dmashim_softirq_depth == 0;
}

/* time.c: run the scheduled tasklets (softirq), when this context lets softirqs run. */
void dmashim_run_tasklets(void);

/* workqueue.c: run queued work up to now (process context); time.c calls it between timers. */
void dmashim_work_run_queued(void);

#pragma GCC visibility pop

#endif /* DMASHIM_KENV_H */

/* SPDX-License-Identifier: MIT */
/*
 * linux/sched.h for dmashim: the scheduling calls DMA code makes in loops.
 * There is one simulated CPU and no other task, so yielding is a no-op.
 */
#ifndef _LINUX_SCHED_H
#define _LINUX_SCHED_H

#include <linux/kernel.h>

static inline int cond_resched(void) { return 0; }
static inline void schedule(void) { }

#endif /* _LINUX_SCHED_H */

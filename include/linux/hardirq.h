/* SPDX-License-Identifier: MIT */
/*
 * linux/hardirq.h for dmashim: irq_enter()/irq_exit() bracket code that runs
 * as an interrupt handler (in_interrupt() true, IRQs off), so a test harness
 * can call a driver's handler the way the IRQ core would.
 */
#ifndef LINUX_HARDIRQ_H
#define LINUX_HARDIRQ_H

#include <linux/preempt.h>

#define irq_enter() ((void)__dmashim_context(__DMASHIM_CTX_IRQ_ENTER, 0, NULL))
#define irq_exit() ((void)__dmashim_context(__DMASHIM_CTX_IRQ_EXIT, 0, NULL))

#endif /* LINUX_HARDIRQ_H */

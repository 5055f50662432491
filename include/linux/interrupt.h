/* SPDX-License-Identifier: MIT */
/*
 * linux/interrupt.h for dmashim: handler types and return values, and the
 * context calls (local_irq_*, in_interrupt, irq_enter/irq_exit). There is no
 * interrupt controller: a test harness calls the handler itself, between
 * irq_enter() and irq_exit(), so it runs in (simulated) interrupt context.
 */
#ifndef _LINUX_INTERRUPT_H
#define _LINUX_INTERRUPT_H

#include <linux/kernel.h>
#include <linux/preempt.h>
#include <linux/irqflags.h>
#include <linux/hardirq.h>

enum irqreturn {
	IRQ_NONE = (0 << 0),
	IRQ_HANDLED = (1 << 0),
	IRQ_WAKE_THREAD = (1 << 1),
};
typedef enum irqreturn irqreturn_t;
#define IRQ_RETVAL(x) ((x) ? IRQ_HANDLED : IRQ_NONE)

typedef irqreturn_t (*irq_handler_t)(int, void *);

#define IRQF_SHARED 0x00000080

#endif /* _LINUX_INTERRUPT_H */

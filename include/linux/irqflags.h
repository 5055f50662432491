/* SPDX-License-Identifier: MIT */
/* linux/irqflags.h for dmashim: the simulated IRQ flag (see linux/preempt.h). */
#ifndef _LINUX_TRACE_IRQFLAGS_H
#define _LINUX_TRACE_IRQFLAGS_H

#include <linux/preempt.h>

#define local_irq_save(flags) ((flags) = (unsigned long)__dmashim_context(__DMASHIM_CTX_IRQ_SAVE, 0, NULL))
#define local_irq_restore(flags) ((void)__dmashim_context(__DMASHIM_CTX_IRQ_RESTORE, (int)(flags), NULL))
#define local_irq_disable() ((void)__dmashim_context(__DMASHIM_CTX_IRQ_DISABLE, 0, NULL))
#define local_irq_enable() ((void)__dmashim_context(__DMASHIM_CTX_IRQ_ENABLE, 0, NULL))
#define irqs_disabled() ((__dmashim_context(__DMASHIM_CTX_QUERY, 0, NULL) & 2) != 0)

#endif /* _LINUX_TRACE_IRQFLAGS_H */

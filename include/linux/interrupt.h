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
#include <linux/atomic.h>
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

#define IRQF_TRIGGER_NONE 0x00000000
#define IRQF_TRIGGER_RISING 0x00000001
#define IRQF_TRIGGER_FALLING 0x00000002
#define IRQF_TRIGGER_HIGH 0x00000004
#define IRQF_TRIGGER_LOW 0x00000008
#define IRQF_SHARED 0x00000080
#define IRQF_ONESHOT 0x00002000
#define IRQF_NO_SUSPEND 0x00004000
#define IRQF_NO_THREAD 0x00010000
/* 2.6-era names. */
#define SA_SHIRQ IRQF_SHARED
#define SA_INTERRUPT 0x20000000

/*
 * request_irq() records the handler; nothing raises the line by itself: a
 * test raises it with dmashim_raise_irq(irq) (dmashim/bridge.h), which runs
 * each handler of the line in interrupt context, as the IRQ core would.
 * Sharing follows the kernel's rules (IRQF_SHARED on every handler, a non-NULL
 * dev_id); free_irq() of a handler never requested warns as the kernel does.
 */
int request_irq(unsigned int irq, irq_handler_t handler, unsigned long flags, const char *name, void *dev);
int request_threaded_irq(unsigned int irq, irq_handler_t handler, irq_handler_t thread_fn, unsigned long flags,
			 const char *name, void *dev);
const void *free_irq(unsigned int irq, void *dev_id);
void disable_irq(unsigned int irq);
void disable_irq_nosync(unsigned int irq);
void enable_irq(unsigned int irq);
void synchronize_irq(unsigned int irq);

/*
 * Tasklets: softirq work. A scheduled tasklet runs in softirq context
 * (atomic, in_softirq()) at the next point where softirqs run: after an
 * interrupt handler returns (dmashim_raise_irq), and whenever the simulated
 * clock moves with interrupts on (linux/delay.h); once per scheduling, never
 * twice at once, and not while disabled.
 */
struct tasklet_struct {
	struct tasklet_struct *next;
	unsigned long state;
	atomic_t count;
	bool use_callback;
	union {
		void (*func)(unsigned long data);
		void (*callback)(struct tasklet_struct *t);
	};
	unsigned long data;
};

enum {
	TASKLET_STATE_SCHED,
	TASKLET_STATE_RUN,
};

#define DECLARE_TASKLET(name, _callback) \
	struct tasklet_struct name = { .count = ATOMIC_INIT(0), .use_callback = true, .callback = _callback }
#define DECLARE_TASKLET_DISABLED(name, _callback) \
	struct tasklet_struct name = { .count = ATOMIC_INIT(1), .use_callback = true, .callback = _callback }
#define DECLARE_TASKLET_OLD(name, _func) \
	struct tasklet_struct name = { .count = ATOMIC_INIT(0), .func = _func }
#define from_tasklet(var, callback_tasklet, tasklet_fieldname) \
	container_of(callback_tasklet, __typeof__(*var), tasklet_fieldname)

static inline void tasklet_init(struct tasklet_struct *t, void (*func)(unsigned long), unsigned long data)
{
	t->next = NULL;
	t->state = 0;
	atomic_set(&t->count, 0);
	t->use_callback = false;
	t->func = func;
	t->data = data;
}
static inline void tasklet_setup(struct tasklet_struct *t, void (*callback)(struct tasklet_struct *))
{
	t->next = NULL;
	t->state = 0;
	atomic_set(&t->count, 0);
	t->use_callback = true;
	t->callback = callback;
	t->data = 0;
}

/* native/time.c */
void __dmashim_tasklet_schedule(struct tasklet_struct *t);
void __dmashim_tasklet_kill(struct tasklet_struct *t, const char *site);
#define tasklet_schedule(t) __dmashim_tasklet_schedule(t)
#define tasklet_hi_schedule(t) __dmashim_tasklet_schedule(t)
#define tasklet_kill(t) __dmashim_tasklet_kill(t, DMASHIM_SITE)
static inline void tasklet_disable_nosync(struct tasklet_struct *t) { atomic_inc(&t->count); }
static inline void tasklet_disable(struct tasklet_struct *t) { atomic_inc(&t->count); }
static inline void tasklet_disable_in_atomic(struct tasklet_struct *t) { atomic_inc(&t->count); }
static inline void tasklet_enable(struct tasklet_struct *t) { atomic_dec(&t->count); }

#endif /* _LINUX_INTERRUPT_H */

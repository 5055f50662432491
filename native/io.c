/* SPDX-License-Identifier: MIT */
/*
 * ioremap() of what no iomem window backs, port I/O, and interrupt lines
 * (linux/io.h, linux/interrupt.h): device registers are plain memory, one
 * window per physical range; the port space is 64 KiB of plain memory; an IRQ
 * line is a list of handlers a test raises with dmashim_raise_irq().
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <linux/kernel.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/interrupt.h>
#include <linux/irqflags.h>
#include <dmashim/bridge.h>

#include "internal.h"
#include "kenv.h"

struct iowin {
	phys_addr_t phys;
	size_t size;
	void *mem;
	int users;
	struct iowin *next;
};

static struct iowin *windows;
static pthread_mutex_t io_lock = PTHREAD_MUTEX_INITIALIZER;

/* ioremap() of a range no iomem window backs (native/devmem.c asks TypeScript first). */
void __iomem *__dmashim_ioremap_plain(phys_addr_t offset, size_t size, const char *site)
{
	if (size == 0)
		return NULL;
	phys_addr_t base = offset & PAGE_MASK, last = PAGE_ALIGN(offset + size);
	/* x86 refuses RAM: a driver must not map memory the allocator owns. */
	for (phys_addr_t p = base; p < last; p += PAGE_SIZE)
		if (dmashim_ts.addr(DMASHIM_ADDR_PHYS_TO_VIRT, (double)p) >= 0) {
			phys_addr_t end = last - 1;
			WARN_ONCE(1, "ioremap on RAM at %pa - %pa (at %s)\n", &base, &end, site ? site : "?");
			return NULL;
		}
	pthread_mutex_lock(&io_lock);
	struct iowin *w = windows;
	for (; w; w = w->next)
		if (base >= w->phys && last <= w->phys + w->size)
			break;
	if (!w && (w = calloc(1, sizeof(*w))) != NULL) {
		w->mem = aligned_alloc(PAGE_SIZE, last - base);
		if (!w->mem) {
			free(w);
			w = NULL;
		} else {
			memset(w->mem, 0, last - base);
			w->phys = base;
			w->size = last - base;
			w->next = windows;
			windows = w;
		}
	}
	if (w)
		w->users++;
	pthread_mutex_unlock(&io_lock);
	return w ? (char *)w->mem + (offset - w->phys) : NULL;
}

void __dmashim_iounmap_plain(volatile void __iomem *addr, const char *site)
{
	if (!addr)
		return;
	pthread_mutex_lock(&io_lock);
	struct iowin *w = windows;
	for (; w; w = w->next)
		if ((char *)addr >= (char *)w->mem && (char *)addr < (char *)w->mem + w->size)
			break;
	if (w && w->users > 0)
		w->users--;
	pthread_mutex_unlock(&io_lock);
	if (!w)
		WARN(1, "iounmap: bad address %p (at %s)\n", (void *)addr, site ? site : "?");
	/* The window stays: the device's registers outlive a mapping of them. */
}

/* The port space behind inb()..outl() and port cookies; 3 spare bytes let inl(0xffff) stay inside it. */
u8 __dmashim_ioport_space[0x10000 + 3];

/* The kernel's WARN of lib/iomap.c, placed at the driver's line when the macro gave it ("file:line"). */
void __dmashim_bad_io_access(unsigned long port, const char *access, const char *fn, const char *site)
{
	static int count = 10;
	if (count <= 0)
		return;
	count--;
	char file[400] = "lib/iomap.c";
	int line = 0;
	const char *colon = site ? strrchr(site, ':') : NULL;
	if (colon && (size_t)(colon - site) < sizeof(file)) {
		memcpy(file, site, (size_t)(colon - site));
		file[colon - site] = 0;
		line = atoi(colon + 1);
	}
	__dmashim_warn(file, line, fn, "Bad IO access at port 0x%lx (%s)\n", port, access);
}

struct irqaction {
	irq_handler_t handler;
	unsigned long flags;
	const char *name;
	void *dev_id;
	int disabled;
	struct irqaction *next;
	unsigned int irq;
};

static struct irqaction *actions;

int request_threaded_irq(unsigned int irq, irq_handler_t handler, irq_handler_t thread_fn, unsigned long flags,
			 const char *name, void *dev)
{
	if (!handler && !thread_fn)
		return -EINVAL;
	if ((flags & IRQF_SHARED) && !dev)
		return -EINVAL;
	pthread_mutex_lock(&io_lock);
	for (struct irqaction *a = actions; a; a = a->next)
		if (a->irq == irq && (!(a->flags & IRQF_SHARED) || !(flags & IRQF_SHARED))) {
			pthread_mutex_unlock(&io_lock);
			pr_err("genirq: Flags mismatch irq %u. %08lx (%s) vs. %08lx (%s)\n", irq, flags, name,
			       a->flags, a->name);
			return -EBUSY;
		}
	struct irqaction *a = calloc(1, sizeof(*a));
	if (!a) {
		pthread_mutex_unlock(&io_lock);
		return -ENOMEM;
	}
	*a = (struct irqaction){ handler ? handler : thread_fn, flags, name, dev, 0, NULL, irq };
	struct irqaction **pp = &actions;
	while (*pp)
		pp = &(*pp)->next;
	*pp = a;
	pthread_mutex_unlock(&io_lock);
	return 0;
}

int request_irq(unsigned int irq, irq_handler_t handler, unsigned long flags, const char *name, void *dev)
{
	return request_threaded_irq(irq, handler, NULL, flags, name, dev);
}

const void *free_irq(unsigned int irq, void *dev_id)
{
	pthread_mutex_lock(&io_lock);
	for (struct irqaction **pp = &actions; *pp; pp = &(*pp)->next) {
		struct irqaction *a = *pp;
		if (a->irq == irq && a->dev_id == dev_id) {
			*pp = a->next;
			pthread_mutex_unlock(&io_lock);
			const void *name = a->name;
			free(a);
			return name;
		}
	}
	pthread_mutex_unlock(&io_lock);
	WARN(1, "Trying to free already-free IRQ %u\n", irq);
	return NULL;
}

static void set_disabled(unsigned int irq, int delta)
{
	pthread_mutex_lock(&io_lock);
	for (struct irqaction *a = actions; a; a = a->next)
		if (a->irq == irq)
			a->disabled += delta;
	pthread_mutex_unlock(&io_lock);
}

void disable_irq(unsigned int irq) { set_disabled(irq, 1); }
void disable_irq_nosync(unsigned int irq) { set_disabled(irq, 1); }
void enable_irq(unsigned int irq) { set_disabled(irq, -1); }
/* One CPU, handlers run only inside dmashim_raise_irq(): none is running elsewhere. */
void synchronize_irq(unsigned int irq) { (void)irq; }

int dmashim_raise_irq(unsigned int irq)
{
	if (!enter("dmashim_raise_irq"))
		return -1;
	int handled = 0, found = 0;
	unsigned long flags;
	local_irq_save(flags);
	irq_enter();
	for (struct irqaction *a = actions, *next; a; a = next) {
		next = a->next;
		if (a->irq != irq || a->disabled > 0)
			continue;
		found++;
		if (a->handler(irq, a->dev_id) != IRQ_NONE)
			handled++;
	}
	irq_exit();
	local_irq_restore(flags);
	/* irq_exit() runs the softirqs the handlers raised. */
	dmashim_run_tasklets();
	if (!found)
		return -ENOENT;
	if (!handled)
		pr_err("irq %u: nobody cared (try booting with the \"irqpoll\" option)\n", irq);
	return handled;
}

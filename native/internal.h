/* SPDX-License-Identifier: MIT */
/*
 * What the C half of the bridge shares between its files (the .c files here, one
 * object each, linked with the program into one shared object): the ops
 * table, built from DMASHIM_OPS (dmashim/abi.h), the bridge's state, and the
 * small helpers every entry point inlines.
 *
 * The program is linked into the same object, so a shared name must not be
 * one a driver could define: everything here is dmashim_-prefixed (or static
 * inline) and hidden, so none of it is exported either.
 */
#ifndef DMASHIM_INTERNAL_H
#define DMASHIM_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/compiler.h>
#include <linux/types.h>
#include <dmashim/abi.h>
#include <dmashim/call.h>

#define EXPORT __attribute__((visibility("default")))

#define DMASHIM_NR_OPS ((int)(sizeof(struct dmashim_ops) / sizeof(void (*)(void))))

struct device;
struct dma_pool;

#pragma GCC visibility push(hidden)

/* bridge.c: the state dmashim_bridge_init sets (the table dmashim_ts is declared in dmashim/call.h). */
extern int dmashim_ready;
extern int dmashim_threads_on;
extern pthread_t dmashim_js_thread;
extern char *dmashim_arena;
extern uint64_t dmashim_arena_size;
/* Out-values from TypeScript: slot s is words [s*8, s*8+8). */
extern uint64_t dmashim_scratch[DMASHIM_SCRATCH_SLOTS * DMASHIM_SCRATCH_WORDS];
/* Serialises the bridge's own C-side state (device pairing, the PCI device list, printk continuation). */
extern pthread_mutex_t dmashim_state_lock;

void dmashim_not_ready(const char *fn) __attribute__((noreturn));
void dmashim_refuse(const char *fn);
int dmashim_thread_slot(void);

/* printk.c: the kernel's vsnprintf into a bounded buffer, and the log with its continuation lines. */
struct outbuf {
	char *buf;
	size_t size;
	size_t len;
};
void dmashim_format(struct outbuf *o, const char *fmt, va_list ap);
void dmashim_emit(int level, int dev, const char *text, int is_cont);

/* dmapool.c: the block cache; calls that read pool state empty it first. */
void dmashim_pool_cache_drain_all(void);
void dmashim_pool_cache_forget_dev(const struct device *dev);
void dmashim_pool_cache_off_all(void);

/* context.c: the simulated execution context, per thread (linux/preempt.h). */
struct ctx_state {
	int preempt;
	int irqs_off;
	int hardirq;
	int irq_flags[16]; /* irqs_off at each irq_enter, for irq_exit */
};
/* local-dynamic, as a static would get: the symbol never leaves this object. */
extern __thread struct ctx_state dmashim_cctx __attribute__((tls_model("local-dynamic")));

/* io.c: ioremap() of a range no iomem window backs (plain memory), and its iounmap(). */
void __iomem *__dmashim_ioremap_plain(phys_addr_t offset, size_t size, const char *site);
void __dmashim_iounmap_plain(volatile void __iomem *addr, const char *site);

#pragma GCC visibility pop

/* Exported for the runner, and called from C when a report stops the program. */
EXPORT void dmashim_log_flush(void);

static inline double site_arg(const char *site) { return (double)(uintptr_t)site; }
static inline double addr_arg(const volatile void *p) { return (double)(uintptr_t)p; }
static inline void *arena_ptr(double off) { return dmashim_arena + (size_t)off; }

/* Every bridge function starts here: the bridge must be up, and the caller on the JS thread unless --threads. */
static inline int enter(const char *fn)
{
	if (unlikely(!dmashim_ready))
		dmashim_not_ready(fn);
	if (likely(dmashim_threads_on || pthread_equal(pthread_self(), dmashim_js_thread)))
		return 1;
	dmashim_refuse(fn);
	return 0;
}

/* This thread's scratch slot: 0 in synchronous mode; in threaded mode one per live thread. */
static inline int my_slot(void)
{
	if (likely(!dmashim_threads_on))
		return 0;
	return dmashim_thread_slot();
}

static inline uint64_t scratch_get(int slot, int word)
{
	return dmashim_scratch[slot * DMASHIM_SCRATCH_WORDS + word];
}

/* The simulated context is atomic on this thread. */
static inline int ctx_atomic(void)
{
	return dmashim_cctx.preempt > 0 || dmashim_cctx.irqs_off > 0 || dmashim_cctx.hardirq > 0;
}

#endif /* DMASHIM_INTERNAL_H */

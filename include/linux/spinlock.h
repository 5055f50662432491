/* SPDX-License-Identifier: MIT */
/*
 * linux/spinlock.h for dmashim: real spinlocks (an atomic flag, so they hold
 * with `dmashim run --threads`) that also make the simulated context atomic
 * (linux/preempt.h): a GFP_KERNEL allocation under spin_lock_irqsave() is
 * reported as in the kernel. With CONFIG_DEBUG_SPINLOCK's checks: taking a
 * lock this thread already holds logs "BUG: spinlock recursion" and stops the
 * program (the kernel would hang); unlocking a lock that is not held, or held
 * by another thread, logs "BUG: spinlock already unlocked" / "wrong owner".
 */
#ifndef __LINUX_SPINLOCK_H
#define __LINUX_SPINLOCK_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/preempt.h>
#include <linux/irqflags.h>
#include <linux/bug.h>

typedef struct spinlock {
	int locked;
	unsigned long owner;	/* the holding thread, 0 when free */
	const char *name;
} spinlock_t;

typedef spinlock_t raw_spinlock_t;

#define __SPIN_LOCK_UNLOCKED(lockname) { 0, 0, #lockname }
#define __RAW_SPIN_LOCK_UNLOCKED(lockname) __SPIN_LOCK_UNLOCKED(lockname)
#define DEFINE_SPINLOCK(x) spinlock_t x = __SPIN_LOCK_UNLOCKED(x)
#define DEFINE_RAW_SPINLOCK(x) raw_spinlock_t x = __RAW_SPIN_LOCK_UNLOCKED(x)

unsigned long __dmashim_current_thread(void);
/* kind: 0 recursion (does not return), 1 already unlocked, 2 wrong owner. */
void __dmashim_spin_bug(const spinlock_t *lock, int kind, const char *site);

static inline void __dmashim_spin_lock_init(spinlock_t *lock, const char *name)
{
	lock->locked = 0;
	lock->owner = 0;
	lock->name = name;
}
#define spin_lock_init(lock) __dmashim_spin_lock_init(lock, #lock)
#define raw_spin_lock_init(lock) spin_lock_init(lock)

static inline int __dmashim_spin_trylock(spinlock_t *lock)
{
	if (__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE))
		return 0;
	lock->owner = __dmashim_current_thread();
	return 1;
}

static inline void __dmashim_spin_acquire(spinlock_t *lock, const char *site)
{
	if (likely(__dmashim_spin_trylock(lock)))
		return;
	if (lock->owner == __dmashim_current_thread())
		__dmashim_spin_bug(lock, 0, site);
	do {
		while (__atomic_load_n(&lock->locked, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
	} while (!__dmashim_spin_trylock(lock));
}

static inline void __dmashim_spin_release(spinlock_t *lock, const char *site)
{
	if (unlikely(!__atomic_load_n(&lock->locked, __ATOMIC_RELAXED))) {
		__dmashim_spin_bug(lock, 1, site);
		return;
	}
	if (unlikely(lock->owner != __dmashim_current_thread()))
		__dmashim_spin_bug(lock, 2, site);
	lock->owner = 0;
	__atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
}

#define spin_lock(lock) do { preempt_disable(); __dmashim_spin_acquire(lock, DMASHIM_SITE); } while (0)
#define spin_unlock(lock) do { __dmashim_spin_release(lock, DMASHIM_SITE); preempt_enable(); } while (0)
#define spin_lock_bh(lock) do { local_bh_disable(); __dmashim_spin_acquire(lock, DMASHIM_SITE); } while (0)
#define spin_unlock_bh(lock) do { __dmashim_spin_release(lock, DMASHIM_SITE); local_bh_enable(); } while (0)
#define spin_lock_irq(lock) do {							\
	local_irq_disable();								\
	preempt_disable();								\
	__dmashim_spin_acquire(lock, DMASHIM_SITE);					\
} while (0)
#define spin_unlock_irq(lock) do {							\
	__dmashim_spin_release(lock, DMASHIM_SITE);					\
	preempt_enable();								\
	local_irq_enable();								\
} while (0)
#define spin_lock_irqsave(lock, flags) do {						\
	local_irq_save(flags);								\
	preempt_disable();								\
	__dmashim_spin_acquire(lock, DMASHIM_SITE);					\
} while (0)
#define spin_unlock_irqrestore(lock, flags) do {					\
	__dmashim_spin_release(lock, DMASHIM_SITE);					\
	preempt_enable();								\
	local_irq_restore(flags);							\
} while (0)
#define spin_trylock(lock) ({								\
	int __locked;									\
	preempt_disable();								\
	__locked = __dmashim_spin_trylock(lock);					\
	if (!__locked)									\
		preempt_enable();							\
	__locked;									\
})
#define spin_is_locked(lock) (__atomic_load_n(&(lock)->locked, __ATOMIC_RELAXED) != 0)
#define assert_spin_locked(lock) BUG_ON(!spin_is_locked(lock))

#define raw_spin_lock spin_lock
#define raw_spin_unlock spin_unlock
#define raw_spin_lock_irqsave spin_lock_irqsave
#define raw_spin_unlock_irqrestore spin_unlock_irqrestore
#define raw_spin_lock_irq spin_lock_irq
#define raw_spin_unlock_irq spin_unlock_irq
#define raw_spin_trylock spin_trylock

/* lockdep's assertion, for any lock with a `locked` state (spinlock_t, struct mutex). */
#define lockdep_assert_held(l) WARN_ON(!__atomic_load_n(&(l)->locked, __ATOMIC_RELAXED))

#endif /* __LINUX_SPINLOCK_H */

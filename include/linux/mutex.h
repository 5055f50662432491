/* SPDX-License-Identifier: MIT */
/*
 * linux/mutex.h for dmashim: sleeping locks. mutex_lock() is a might_sleep()
 * point (reported in atomic context, see linux/preempt.h); a contended lock
 * yields the CPU while it waits. Locking a mutex this thread already holds,
 * or unlocking one it does not, is reported as CONFIG_DEBUG_MUTEXES would.
 */
#ifndef __LINUX_MUTEX_H
#define __LINUX_MUTEX_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/preempt.h>
#include <linux/bug.h>

struct mutex {
	int locked;
	unsigned long owner;
	const char *name;
};

#define __MUTEX_INITIALIZER(lockname) { 0, 0, #lockname }
#define DEFINE_MUTEX(mutexname) struct mutex mutexname = __MUTEX_INITIALIZER(mutexname)

unsigned long __dmashim_current_thread(void);
void __dmashim_mutex_wait(struct mutex *lock, const char *site);
void __dmashim_mutex_bug(const struct mutex *lock, int kind, const char *site);

static inline void __dmashim_mutex_init(struct mutex *lock, const char *name)
{
	lock->locked = 0;
	lock->owner = 0;
	lock->name = name;
}
#define mutex_init(lock) __dmashim_mutex_init(lock, #lock)
static inline void mutex_destroy(struct mutex *lock) { (void)lock; }

static inline int mutex_trylock(struct mutex *lock)
{
	if (__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE))
		return 0;
	lock->owner = __dmashim_current_thread();
	return 1;
}

static inline void __dmashim_mutex_lock(struct mutex *lock, const char *site)
{
	__dmashim_context(__DMASHIM_CTX_MIGHT_SLEEP, 0, site);
	if (likely(mutex_trylock(lock)))
		return;
	__dmashim_mutex_wait(lock, site);
}

static inline void __dmashim_mutex_unlock(struct mutex *lock, const char *site)
{
	if (unlikely(!__atomic_load_n(&lock->locked, __ATOMIC_RELAXED) ||
		     lock->owner != __dmashim_current_thread())) {
		__dmashim_mutex_bug(lock, 1, site);
		if (!__atomic_load_n(&lock->locked, __ATOMIC_RELAXED))
			return;
	}
	lock->owner = 0;
	__atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
}

#define mutex_lock(lock) __dmashim_mutex_lock(lock, DMASHIM_SITE)
#define mutex_lock_nested(lock, subclass) mutex_lock(lock)
#define mutex_lock_interruptible(lock) (mutex_lock(lock), 0)
#define mutex_lock_killable(lock) (mutex_lock(lock), 0)
#define mutex_unlock(lock) __dmashim_mutex_unlock(lock, DMASHIM_SITE)
#define mutex_is_locked(lock) (__atomic_load_n(&(lock)->locked, __ATOMIC_RELAXED) != 0)

#endif /* __LINUX_MUTEX_H */

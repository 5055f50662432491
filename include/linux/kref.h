/* SPDX-License-Identifier: MIT */
/*
 * linux/kref.h for dmashim: reference counts with a release function, on
 * refcount_t (linux/refcount.h): the release runs once, when the last
 * reference goes; a kref_get() after that, or one kref_put() too many, gets
 * the refcount_t warning and the object leaks instead of being freed twice.
 */
#ifndef _KREF_H_
#define _KREF_H_

#include <linux/refcount.h>
#include <linux/kernel.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>

struct kref {
	refcount_t refcount;
};

#define KREF_INIT(n) { .refcount = REFCOUNT_INIT(n), }

static inline void kref_init(struct kref *kref) { refcount_set(&kref->refcount, 1); }
static inline unsigned int kref_read(const struct kref *kref) { return refcount_read(&kref->refcount); }
static inline void kref_get(struct kref *kref) { refcount_inc(&kref->refcount); }

/* Returns 1 when this put released the object. */
static inline int kref_put(struct kref *kref, void (*release)(struct kref *kref))
{
	if (refcount_dec_and_test(&kref->refcount)) {
		release(kref);
		return 1;
	}
	return 0;
}

/* The release runs with the lock held and must drop it; otherwise the lock is dropped here. */
#define kref_put_mutex(_kref, _release, _lock) ({					\
	struct kref *__k = (_kref);							\
	int __released = 0;								\
	mutex_lock(_lock);								\
	if (refcount_dec_and_test(&__k->refcount)) {					\
		_release(__k);								\
		__released = 1;								\
	} else {									\
		mutex_unlock(_lock);							\
	}										\
	__released;									\
})
#define kref_put_lock(_kref, _release, _lock) ({					\
	struct kref *__k = (_kref);							\
	int __released = 0;								\
	spin_lock(_lock);								\
	if (refcount_dec_and_test(&__k->refcount)) {					\
		_release(__k);								\
		__released = 1;								\
	} else {									\
		spin_unlock(_lock);							\
	}										\
	__released;									\
})
static inline int kref_get_unless_zero(struct kref *kref) { return refcount_inc_not_zero(&kref->refcount); }

#endif /* _KREF_H_ */

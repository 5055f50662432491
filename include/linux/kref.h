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
#define kref_get(kref) refcount_inc(&(kref)->refcount)

/* Returns 1 when this put released the object. */
#define kref_put(kref, release) ({							\
	struct kref *__k = (kref);							\
	int __released = 0;								\
	if (refcount_dec_and_test(&__k->refcount)) {					\
		release(__k);								\
		__released = 1;								\
	}										\
	__released;									\
})
#define kref_put_mutex(kref, release, lock) ({						\
	struct kref *__k = (kref);							\
	int __released = 0;								\
	mutex_lock(lock);								\
	if (refcount_dec_and_test(&__k->refcount)) {					\
		release(__k);								\
		__released = 1;								\
	} else {									\
		mutex_unlock(lock);							\
	}										\
	__released;									\
})
#define kref_put_lock(kref, release, lock) ({						\
	struct kref *__k = (kref);							\
	int __released = 0;								\
	spin_lock(lock);								\
	if (refcount_dec_and_test(&__k->refcount)) {					\
		release(__k);								\
		__released = 1;								\
	} else {									\
		spin_unlock(lock);							\
	}										\
	__released;									\
})
#define kref_get_unless_zero(kref) refcount_inc_not_zero(&(kref)->refcount)

#endif /* _KREF_H_ */

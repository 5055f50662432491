/* SPDX-License-Identifier: MIT */
/*
 * linux/kobject.h for dmashim: struct kobject with the kernel's basic fields,
 * as embedded in struct device (dev->kobj). The driver core keeps them as the
 * kernel does: name (dev_set_name), parent (device_add), the reference count
 * (get_device/put_device count in kobj.kref) and the state bits. kobject_get
 * and kobject_put on a device's kobject are get_device and put_device; other
 * kobjects are counted and released through their ktype.
 */
#ifndef _KOBJECT_H_
#define _KOBJECT_H_

#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/list.h>
#include <linux/atomic.h>

#if __has_include(<linux/kref.h>)
#include <linux/kref.h>
#else
#if __has_include(<linux/refcount.h>)
#include <linux/refcount.h>
#else
typedef struct refcount_struct {
	atomic_t refs;
} refcount_t;
#endif
struct kref {
	refcount_t refcount;
};
#endif

struct kobject;
struct kset;
struct kernfs_node;

struct kobj_type {
	void (*release)(struct kobject *kobj);
};

struct kobject {
	const char *name;
	struct list_head entry;
	struct kobject *parent;
	struct kset *kset;
	const struct kobj_type *ktype;
	struct kernfs_node *sd;
	struct kref kref;
	unsigned int state_initialized:1;
	unsigned int state_in_sysfs:1;
	unsigned int state_add_uevent_sent:1;
	unsigned int state_remove_uevent_sent:1;
	unsigned int uevent_suppress:1;
};

static inline const char *kobject_name(const struct kobject *kobj)
{
	return kobj->name;
}

/* One more reference (NULL for NULL); see put_device for the device case. */
struct kobject *kobject_get(struct kobject *kobj);
/* Drops a reference; at zero the ktype's release runs (put_device for a device's kobject). */
void kobject_put(struct kobject *kobj);

#endif /* _KOBJECT_H_ */

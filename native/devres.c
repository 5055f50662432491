/* SPDX-License-Identifier: MIT */
/*
 * devres from C: devm_kmalloc & co., devm_add_action, devres_alloc/add/free.
 * TypeScript keeps every managed resource of a device in one list (the dmam_*
 * pools and buffers too), so all are released newest first; a C resource on it
 * names a C function, which C calls when dmashim_devres_drain() takes it off.
 */
#include <linux/kernel.h>
#include <linux/device.h>
#include <linux/slab.h>
#include <linux/dma-mapping.h>

#include "internal.h"

#pragma GCC visibility push(hidden)
void dmashim_devres_drain(struct device *dev);
#pragma GCC visibility pop

static double dm(int op, struct device *dev, double a, double b, double c, const char *site)
{
	return dmashim_ts.devmodel(op, dev ? dmashim_devid(dev) : 0, a, b, c, my_slot(), site_arg(site));
}

/* Takes the newest resource off dev's list until none is left, calling the C ones. */
void dmashim_devres_drain(struct device *dev)
{
	int id = dmashim_devid(dev);
	int slot = my_slot();
	for (;;) {
		double k = dmashim_ts.devmodel(DMASHIM_DM_DEVRES_POP, id, 0, 0, 0, slot, 0);
		if (k < 0)
			break;
		if (k == 0)
			continue;
		uintptr_t fn = (uintptr_t)scratch_get(slot, 0);
		void *data = (void *)(uintptr_t)scratch_get(slot, 1);
		if (k == 1) {
			((void (*)(void *))fn)(data);
		} else {
			((dr_release_t)fn)(dev, data);
			dmashim_ts.devmodel(DMASHIM_DM_DEVRES_FREE, 0, addr_arg(data), 0, 0, slot, 0);
		}
	}
}

void *__dmashim_devm_kmalloc(struct device *dev, size_t size, gfp_t gfp, const char *site)
{
	if (!enter("devm_kmalloc") || !dev || size == 0)
		return NULL;
	double off = dm(DMASHIM_DM_KMALLOC, dev, (double)size, gfp, 0, site);
	return off < 0 ? NULL : arena_ptr(off);
}

void *__dmashim_devm_kmalloc_array(struct device *dev, size_t n, size_t size, gfp_t flags, const char *site)
{
	size_t bytes;
	if (check_mul_overflow(n, size, &bytes))
		return NULL;
	return __dmashim_devm_kmalloc(dev, bytes, flags, site);
}

void __dmashim_devm_kfree(struct device *dev, const void *p, const char *site)
{
	if (!enter("devm_kfree") || !dev || ZERO_OR_NULL_PTR(p))
		return;
	dm(DMASHIM_DM_KFREE, dev, addr_arg(p), 0, 0, site);
}

int __dmashim_devm_add_action(struct device *dev, void (*action)(void *), void *data, int reset, const char *site)
{
	int rc = -ENOMEM;
	if (enter("devm_add_action") && dev && action)
		rc = (int)dm(DMASHIM_DM_ADD_ACTION, dev, (double)(uintptr_t)action, addr_arg(data), 0, site);
	if (rc && reset && action)
		action(data);
	return rc;
}

void __dmashim_devm_remove_action(struct device *dev, void (*action)(void *), void *data, int release,
				  const char *site)
{
	if (!enter(release ? "devm_release_action" : "devm_remove_action") || !dev)
		return;
	double r = dm(release ? DMASHIM_DM_RELEASE_ACTION : DMASHIM_DM_REMOVE_ACTION, dev, (double)(uintptr_t)action,
		      addr_arg(data), 0, site);
	if (release && r == 1)
		action(data);
}

void *__dmashim_devres_alloc(dr_release_t release, size_t size, gfp_t gfp, const char *site)
{
	if (!enter("devres_alloc"))
		return NULL;
	double off = dm(DMASHIM_DM_DEVRES_ALLOC, NULL, (double)(uintptr_t)release, (double)size, gfp, site);
	return off < 0 ? NULL : arena_ptr(off);
}

void __dmashim_devres_add(struct device *dev, void *res, const char *site)
{
	if (!enter("devres_add") || !dev || !res)
		return;
	dm(DMASHIM_DM_DEVRES_ADD, dev, addr_arg(res), 0, 0, site);
}

void __dmashim_devres_free(void *res, const char *site)
{
	if (!enter("devres_free") || !res)
		return;
	dm(DMASHIM_DM_DEVRES_FREE, NULL, addr_arg(res), 0, 0, site);
}

/* The real functions, for code that takes their address. */
void *(devm_kmalloc)(struct device *dev, size_t size, gfp_t gfp)
{
	return __dmashim_devm_kmalloc(dev, size, gfp, NULL);
}
void *(devm_kzalloc)(struct device *dev, size_t size, gfp_t gfp)
{
	return __dmashim_devm_kmalloc(dev, size, gfp | __GFP_ZERO, NULL);
}
void *(devm_kmalloc_array)(struct device *dev, size_t n, size_t size, gfp_t flags)
{
	return __dmashim_devm_kmalloc_array(dev, n, size, flags, NULL);
}
void *(devm_kcalloc)(struct device *dev, size_t n, size_t size, gfp_t flags)
{
	return __dmashim_devm_kmalloc_array(dev, n, size, flags | __GFP_ZERO, NULL);
}
void (devm_kfree)(struct device *dev, const void *p)
{
	__dmashim_devm_kfree(dev, p, NULL);
}
int (devm_add_action)(struct device *dev, void (*action)(void *), void *data)
{
	return __dmashim_devm_add_action(dev, action, data, 0, NULL);
}
int (devm_add_action_or_reset)(struct device *dev, void (*action)(void *), void *data)
{
	return __dmashim_devm_add_action(dev, action, data, 1, NULL);
}
void (devm_remove_action)(struct device *dev, void (*action)(void *), void *data)
{
	__dmashim_devm_remove_action(dev, action, data, 0, NULL);
}
void (devm_release_action)(struct device *dev, void (*action)(void *), void *data)
{
	__dmashim_devm_remove_action(dev, action, data, 1, NULL);
}
void *(devres_alloc)(dr_release_t release, size_t size, gfp_t gfp)
{
	return __dmashim_devres_alloc(release, size, gfp, NULL);
}
void (devres_add)(struct device *dev, void *res)
{
	__dmashim_devres_add(dev, res, NULL);
}
void (devres_free)(void *res)
{
	__dmashim_devres_free(res, NULL);
}

/* dmam_alloc_attrs()'s out-of-line form is native/mapping.c's, with the DMA API. */

/* SPDX-License-Identifier: MIT */
/*
 * linux/device/devres.h for dmashim: managed resources. Everything here is
 * released when the driver detaches (pci_unregister_driver, a failed probe,
 * device_del: dmashim treats a device as bound) or, for what was added after
 * device_del, at the last put_device; always newest first, interleaved with
 * the dmam_* pools and buffers of the same device, as the kernel's devres.
 * On a device whose last reference is gone, every devm_ and dmam_ allocator
 * is refused with a report ("... on a device that was already released") and
 * returns NULL / -ENOMEM: in the kernel that memory is freed.
 */
#ifndef _DEVICE_DEVRES_H_
#define _DEVICE_DEVRES_H_

#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/overflow.h>
#include <linux/compiler.h>

struct device;

typedef void (*dr_release_t)(struct device *dev, void *res);
typedef int (*dr_match_t)(struct device *dev, void *res, void *match_data);

/*
 * Each allocating or freeing call passes its C line (DMASHIM_SITE), so a
 * report names it ("devm_kmalloc() called from prog.c:LINE"); the real
 * functions exist too, so their address can be taken.
 */

/*
 * devres_alloc(): a resource of `size` zeroed bytes whose release(dev, data)
 * runs when it is released; add it with devres_add(), or devres_free() it.
 */
void *devres_alloc(dr_release_t release, size_t size, gfp_t gfp);
void devres_add(struct device *dev, void *res);
void devres_free(void *res);
void *__dmashim_devres_alloc(dr_release_t release, size_t size, gfp_t gfp, const char *site);
void __dmashim_devres_add(struct device *dev, void *res, const char *site);
void __dmashim_devres_free(void *res, const char *site);
#define devres_alloc(release, size, gfp) __dmashim_devres_alloc(release, size, gfp, DMASHIM_SITE)
#define devres_alloc_node(release, size, gfp, nid) __dmashim_devres_alloc(release, size, gfp, DMASHIM_SITE)
#define devres_add(dev, res) __dmashim_devres_add(dev, res, DMASHIM_SITE)
#define devres_free(res) __dmashim_devres_free(res, DMASHIM_SITE)

/* devm_kmalloc(): kmalloc'ed memory freed when the driver detaches. NULL for size 0. */
void *devm_kmalloc(struct device *dev, size_t size, gfp_t gfp);
void *devm_kzalloc(struct device *dev, size_t size, gfp_t gfp);
void *devm_kmalloc_array(struct device *dev, size_t n, size_t size, gfp_t flags);
void *devm_kcalloc(struct device *dev, size_t n, size_t size, gfp_t flags);
void devm_kfree(struct device *dev, const void *p);
void *__dmashim_devm_kmalloc(struct device *dev, size_t size, gfp_t gfp, const char *site);
void *__dmashim_devm_kmalloc_array(struct device *dev, size_t n, size_t size, gfp_t flags, const char *site);
void __dmashim_devm_kfree(struct device *dev, const void *p, const char *site);
#define devm_kmalloc(dev, size, gfp) __dmashim_devm_kmalloc(dev, size, gfp, DMASHIM_SITE)
#define devm_kzalloc(dev, size, gfp) __dmashim_devm_kmalloc(dev, size, (gfp) | __GFP_ZERO, DMASHIM_SITE)
#define devm_kmalloc_array(dev, n, size, gfp) __dmashim_devm_kmalloc_array(dev, n, size, gfp, DMASHIM_SITE)
#define devm_kcalloc(dev, n, size, gfp) \
	__dmashim_devm_kmalloc_array(dev, n, size, (gfp) | __GFP_ZERO, DMASHIM_SITE)
#define devm_kfree(dev, p) __dmashim_devm_kfree(dev, p, DMASHIM_SITE)

/* devm_add_action(): action(data) runs when the driver detaches. 0 or -ENOMEM. */
int devm_add_action(struct device *dev, void (*action)(void *), void *data);
/* devm_add_action_or_reset(): as devm_add_action, running action(data) at once when that fails. */
int devm_add_action_or_reset(struct device *dev, void (*action)(void *), void *data);
/* devm_remove_action(): forget it without running it (WARNs when it was never added). */
void devm_remove_action(struct device *dev, void (*action)(void *), void *data);
/* devm_release_action(): forget it and run it now (WARNs when it was never added). */
void devm_release_action(struct device *dev, void (*action)(void *), void *data);
int __dmashim_devm_add_action(struct device *dev, void (*action)(void *), void *data, int reset, const char *site);
void __dmashim_devm_remove_action(struct device *dev, void (*action)(void *), void *data, int release,
				  const char *site);
#define devm_add_action(dev, action, data) __dmashim_devm_add_action(dev, action, data, 0, DMASHIM_SITE)
#define devm_add_action_or_reset(dev, action, data) __dmashim_devm_add_action(dev, action, data, 1, DMASHIM_SITE)
#define devm_remove_action(dev, action, data) __dmashim_devm_remove_action(dev, action, data, 0, DMASHIM_SITE)
#define devm_release_action(dev, action, data) __dmashim_devm_remove_action(dev, action, data, 1, DMASHIM_SITE)

/*
 * dmam_alloc_attrs(): managed dma_alloc_attrs (linux/dma-mapping.h has the
 * other dmam_* names). The name is parenthesised so that a macro of the same
 * name stays a macro.
 */
void *(dmam_alloc_attrs)(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t gfp, unsigned long attrs);

#endif /* _DEVICE_DEVRES_H_ */

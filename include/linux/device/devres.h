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

struct device;

typedef void (*dr_release_t)(struct device *dev, void *res);
typedef int (*dr_match_t)(struct device *dev, void *res, void *match_data);

/*
 * devres_alloc(): a resource of `size` zeroed bytes whose release(dev, data)
 * runs when it is released; add it with devres_add(), or devres_free() it.
 */
void *devres_alloc(dr_release_t release, size_t size, gfp_t gfp);
#define devres_alloc_node(release, size, gfp, nid) devres_alloc(release, size, gfp)
void devres_add(struct device *dev, void *res);
void devres_free(void *res);

void *devm_kmalloc(struct device *dev, size_t size, gfp_t gfp);
void devm_kfree(struct device *dev, const void *p);

static inline void *devm_kzalloc(struct device *dev, size_t size, gfp_t gfp)
{
	return devm_kmalloc(dev, size, gfp | __GFP_ZERO);
}

static inline void *devm_kmalloc_array(struct device *dev, size_t n, size_t size, gfp_t flags)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return devm_kmalloc(dev, bytes, flags);
}

static inline void *devm_kcalloc(struct device *dev, size_t n, size_t size, gfp_t flags)
{
	return devm_kmalloc_array(dev, n, size, flags | __GFP_ZERO);
}

/* devm_add_action(): action(data) runs when the driver detaches. 0 or -ENOMEM. */
int devm_add_action(struct device *dev, void (*action)(void *), void *data);
/* devm_remove_action(): forget it without running it (WARNs when it was never added). */
void devm_remove_action(struct device *dev, void (*action)(void *), void *data);
/* devm_release_action(): forget it and run it now (WARNs when it was never added). */
void devm_release_action(struct device *dev, void (*action)(void *), void *data);

static inline int devm_add_action_or_reset(struct device *dev, void (*action)(void *), void *data)
{
	int ret = devm_add_action(dev, action, data);

	if (ret)
		action(data);
	return ret;
}

/*
 * dmam_alloc_attrs(): managed dma_alloc_attrs (linux/dma-mapping.h has the
 * other dmam_* names). The name is parenthesised so that a macro of the same
 * name stays a macro.
 */
void *(dmam_alloc_attrs)(struct device *dev, size_t size, dma_addr_t *dma_handle, gfp_t gfp, unsigned long attrs);

#endif /* _DEVICE_DEVRES_H_ */

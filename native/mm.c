/* SPDX-License-Identifier: MIT */
/*
 * Pages and kmalloc from C, and the address conversions (virt_to_phys,
 * phys_to_virt, ksize) the core answers.
 */
#include <linux/kernel.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "internal.h"

unsigned long __dmashim_get_free_pages(gfp_t gfp_mask, unsigned int order, const char *site)
{
	if (!enter("__get_free_pages"))
		return 0;
	double off = dmashim_ts.get_free_pages(gfp_mask, (int32_t)order, site_arg(site));
	return off < 0 ? 0 : (unsigned long)arena_ptr(off);
}

void __dmashim_free_pages(unsigned long addr, unsigned int order, const char *site)
{
	if (!enter("free_pages") || addr == 0)
		return;
	(dmashim_ts.free_pages)((double)addr, (int32_t)order, site_arg(site));
}

unsigned long (__get_free_pages)(gfp_t gfp_mask, unsigned int order)
{
	return __dmashim_get_free_pages(gfp_mask, order, NULL);
}
unsigned long (get_zeroed_page)(gfp_t gfp_mask)
{
	return __dmashim_get_free_pages(gfp_mask | __GFP_ZERO, 0, NULL);
}
void (free_pages)(unsigned long addr, unsigned int order)
{
	__dmashim_free_pages(addr, order, NULL);
}

void *__dmashim_kmalloc(size_t size, gfp_t flags, const char *site)
{
	if (!enter("kmalloc"))
		return NULL;
	if (size == 0)
		return ZERO_SIZE_PTR;
	double off = (dmashim_ts.kmalloc)((double)size, flags, site_arg(site));
	return off < 0 ? NULL : arena_ptr(off);
}

void __dmashim_kfree(const void *objp, const char *site)
{
	if (!enter("kfree") || ZERO_OR_NULL_PTR(objp))
		return;
	(dmashim_ts.kfree)(addr_arg(objp), site_arg(site));
}

size_t ksize(const void *objp)
{
	if (!enter("ksize") || ZERO_OR_NULL_PTR(objp))
		return 0;
	double n = dmashim_ts.addr(DMASHIM_ADDR_KSIZE, addr_arg(objp));
	return n > 0 ? (size_t)n : 0;
}

void *(kmalloc)(size_t size, gfp_t flags)
{
	return __dmashim_kmalloc(size, flags, NULL);
}
void *(kzalloc)(size_t size, gfp_t flags)
{
	return __dmashim_kmalloc(size, flags | __GFP_ZERO, NULL);
}
void (kfree)(const void *objp)
{
	__dmashim_kfree(objp, NULL);
}

phys_addr_t virt_to_phys(volatile void *address)
{
	if (!enter("virt_to_phys"))
		return ~(phys_addr_t)0;
	double phys = dmashim_ts.addr(DMASHIM_ADDR_VIRT_TO_PHYS, addr_arg(address));
	return phys < 0 ? ~(phys_addr_t)0 : (phys_addr_t)phys;
}

void *phys_to_virt(phys_addr_t address)
{
	if (!enter("phys_to_virt"))
		return NULL;
	double off = dmashim_ts.addr(DMASHIM_ADDR_PHYS_TO_VIRT, (double)address);
	return off < 0 ? NULL : arena_ptr(off);
}

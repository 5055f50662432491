/* SPDX-License-Identifier: MIT */
/*
 * Pages and kmalloc from C, and the address conversions (virt_to_phys,
 * phys_to_virt, ksize) the core answers; vmalloc, kvmalloc and krealloc on
 * top of them.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/kernel.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

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

/*
 * vmalloc from C (linux/vmalloc.h): one buddy block per area, so the memory is
 * machine RAM C can dereference; the table says which addresses are vmalloc
 * areas (vfree, kvfree, is_vmalloc_addr). Larger than a buddy block: host
 * memory, CPU use only.
 */

#define VMALLOC_MAX_ORDER 10

struct varea {
	unsigned long addr;
	size_t size;
	int order; /* -1: host memory */
	struct varea *next;
};

static struct varea *vareas;
static pthread_mutex_t varea_lock = PTHREAD_MUTEX_INITIALIZER;

static struct varea *varea_find(unsigned long addr, int unlink)
{
	pthread_mutex_lock(&varea_lock);
	struct varea **pp = &vareas, *a = NULL;
	for (; *pp; pp = &(*pp)->next) {
		size_t span = (*pp)->order < 0 ? PAGE_ALIGN((*pp)->size) : (PAGE_SIZE << (*pp)->order);
		if (addr >= (*pp)->addr && addr < (*pp)->addr + span) {
			a = *pp;
			if (unlink && addr == a->addr)
				*pp = a->next;
			break;
		}
	}
	pthread_mutex_unlock(&varea_lock);
	return a;
}

void *__dmashim_vmalloc(unsigned long size, gfp_t gfp, const char *site)
{
	if (!enter("vmalloc"))
		return NULL;
	__dmashim_context(__DMASHIM_CTX_MIGHT_SLEEP, 0, site);
	if (size == 0 || size > (1UL << 40)) {
		pr_warn("vmalloc error: size %lu, vm_struct allocation failed\n", size);
		return NULL;
	}
	struct varea *a = malloc(sizeof(*a));
	if (!a)
		return NULL;
	int order = get_order(size);
	unsigned long addr;
	if (order <= VMALLOC_MAX_ORDER) {
		addr = __dmashim_get_free_pages(gfp | __GFP_NOWARN, (unsigned int)order, site);
	} else {
		void *p = mmap(NULL, PAGE_ALIGN(size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		addr = p == MAP_FAILED ? 0 : (unsigned long)p;
		order = -1;
	}
	if (!addr) {
		free(a);
		if (!(gfp & __GFP_NOWARN))
			pr_warn("vmalloc error: size %lu, failed to allocate pages\n", size);
		return NULL;
	}
	a->addr = addr;
	a->size = size;
	a->order = order;
	pthread_mutex_lock(&varea_lock);
	a->next = vareas;
	vareas = a;
	pthread_mutex_unlock(&varea_lock);
	return (void *)addr;
}

void __dmashim_vfree(const void *addr, const char *site)
{
	if (!addr)
		return;
	struct varea *a = varea_find((unsigned long)addr, 1);
	if (!a || a->addr != (unsigned long)addr) {
		WARN(1, "Trying to vfree() nonexistent vm area (%p)\n", addr);
		return;
	}
	if (a->order < 0)
		munmap((void *)a->addr, PAGE_ALIGN(a->size));
	else
		__dmashim_free_pages(a->addr, (unsigned int)a->order, site);
	free(a);
}

bool is_vmalloc_addr(const void *addr)
{
	return varea_find((unsigned long)addr, 0) != NULL;
}

struct page *vmalloc_to_page(const void *addr)
{
	struct varea *a = varea_find((unsigned long)addr, 0);
	if (!a)
		return NULL;
	if (a->order < 0) {
		pr_err("dmashim: vmalloc_to_page(%p): this %zu-byte vmalloc area is larger than 4 MiB, the most the "
		       "simulated machine gives in one piece, so it is host memory outside machine RAM: usable by "
		       "the CPU, not mappable for DMA\n", addr, a->size);
		return NULL;
	}
	return (struct page *)((unsigned long)addr & PAGE_MASK);
}

unsigned long vmalloc_to_pfn(const void *addr)
{
	struct page *pg = vmalloc_to_page(addr);
	return pg ? (unsigned long)(virt_to_phys(pg) >> PAGE_SHIFT) : 0;
}

void *__dmashim_kvmalloc(size_t size, gfp_t flags, const char *site)
{
	gfp_t kflags = flags;
	if (size > PAGE_SIZE)
		kflags |= __GFP_NOWARN | __GFP_NORETRY;
	void *p = __dmashim_kmalloc(size, kflags, site);
	if (p || !gfpflags_allow_blocking(flags) || size > INT_MAX)
		return p;
	return __dmashim_vmalloc(size, flags, site);
}

void __dmashim_kvfree(const void *addr, const char *site)
{
	if (is_vmalloc_addr(addr))
		__dmashim_vfree(addr, site);
	else
		__dmashim_kfree(addr, site);
}

void *__dmashim_krealloc(const void *p, size_t new_size, gfp_t flags, const char *site)
{
	if (!new_size) {
		__dmashim_kfree(p, site);
		return ZERO_SIZE_PTR;
	}
	size_t ks = ZERO_OR_NULL_PTR(p) ? 0 : ksize(p);
	if (ks >= new_size)
		return (void *)p;
	void *n = __dmashim_kmalloc(new_size, flags & ~__GFP_ZERO, site);
	if (!n)
		return NULL;
	if (ks)
		memcpy(n, p, ks);
	if (flags & __GFP_ZERO)
		memset((char *)n + ks, 0, new_size - ks);
	__dmashim_kfree(p, site);
	return n;
}

/*
 * A 2.4-era driver fragment (usb-uhci / ohci style), unmodified: pci_pool_create
 * with the sixth SLAB_* argument, SLAB_KERNEL / SLAB_ATOMIC as allocation flags,
 * pci_alloc_consistent / pci_free_consistent, struct pci_pool.
 */
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/errno.h>
#include <stdio.h>

typedef struct {
	__u32 link;
	__u32 status;
	__u32 info;
	__u32 buffer;
	dma_addr_t dma_addr;
} uhci_desc_t;

struct uhci {
	struct pci_dev *uhci_pci;
	struct pci_pool *desc_pool;
	__u32 *framelist;
	dma_addr_t framelist_dma;
};

static int alloc_uhci(struct uhci *s)
{
	s->desc_pool = pci_pool_create("uhci_desc", s->uhci_pci, sizeof(uhci_desc_t), 16, 0,
				       SLAB_POISON | SLAB_HWCACHE_ALIGN);
	if (!s->desc_pool)
		return -ENOMEM;
	s->framelist = pci_alloc_consistent(s->uhci_pci, 4096, &s->framelist_dma);
	if (!s->framelist)
		return -ENOMEM;
	return 0;
}

static int alloc_td(struct uhci *s, uhci_desc_t **new, int flags)
{
	dma_addr_t dma_handle;
	*new = pci_pool_alloc(s->desc_pool, flags, &dma_handle);
	if (!*new)
		return -ENOMEM;
	memset(*new, 0, sizeof(uhci_desc_t));
	(*new)->dma_addr = dma_handle;
	return 0;
}

static int delete_desc(struct uhci *s, uhci_desc_t *element)
{
	pci_pool_free(s->desc_pool, element, element->dma_addr);
	return 0;
}

static struct pci_dev dev24 = { .vendor = 0x8086, .device = 0x7112 };

int main(void)
{
	struct uhci s = { .uhci_pci = &dev24 };
	uhci_desc_t *td[3];
	dma_addr_t h;
	u8 *raw;

	pci_setup_device(&dev24);
	dev_set_name(&dev24.dev, "00:07.2");
	if (device_register(&dev24.dev) || alloc_uhci(&s))
		return 1;
	/* SLAB_POISON asked for poisoning: a fresh block is 0xa9 before the driver writes it. */
	raw = pci_pool_alloc(s.desc_pool, SLAB_KERNEL, &h);
	printf("poisoned=%d\n", raw[0] == 0xa9 && raw[sizeof(uhci_desc_t) - 1] == 0xa9);
	pci_pool_free(s.desc_pool, raw, h);
	/* SLAB_KERNEL alone (what most 2.4 drivers passed) asks for no poisoning: the fresh page is zeroed. */
	struct pci_pool *plain = pci_pool_create("uhci_plain", &dev24, 32, 16, 0, SLAB_KERNEL);
	raw = pci_pool_alloc(plain, SLAB_KERNEL, &h);
	printf("plain_poisoned=%d\n", raw[0] == 0xa9);
	pci_pool_free(plain, raw, h);
	pci_pool_destroy(plain);
	for (int i = 0; i < 3; i++)
		if (alloc_td(&s, &td[i], i ? SLAB_ATOMIC : SLAB_KERNEL))
			return 1;
	printf("framelist %s, tds at %#llx %#llx %#llx\n", s.framelist_dma ? "ok" : "missing",
	       (unsigned long long)td[0]->dma_addr, (unsigned long long)td[1]->dma_addr,
	       (unsigned long long)td[2]->dma_addr);
	delete_desc(&s, td[1]);
	pci_free_consistent(s.uhci_pci, 4096, s.framelist, s.framelist_dma);
	return 0;
}

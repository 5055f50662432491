/*
 * The DMA API's less common calls from C, each printing what it returned:
 * non-coherent pages, write-combined memory and its user mapping (this program
 * plays user space through dmashim/mmap.h), a non-contiguous table, an MMIO
 * resource, get_sgtable, the small queries, the unmap-state macros and 2.4's
 * pci_dma_sync_single (both ways under --force-bounce). With "misuse", the
 * mistakes dma-debug must report, each naming this file's line.
 */
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/dma-mapping.h>
#include <linux/dma-map-ops.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <dmashim/bridge.h>
#include <dmashim/mmap.h>
#include <stdio.h>
#include <string.h>

static struct pci_dev pdev;
static struct device_dma_parameters parms;

struct rx_slot {
	void *buf;
	DEFINE_DMA_UNMAP_ADDR(addr);
	DEFINE_DMA_UNMAP_LEN(len);
};

struct old_slot {
	void *buf;
	DECLARE_PCI_UNMAP_ADDR(mapping)
	DECLARE_PCI_UNMAP_LEN(len)
};

static int zeroed(const u8 *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static int misuse(struct device *dev)
{
	dma_addr_t h;
	void *v = dma_alloc_noncoherent(dev, 4096, &h, DMA_FROM_DEVICE, GFP_KERNEL);
	dma_free_noncoherent(dev, 8192, v, h, DMA_FROM_DEVICE); /* wrong size */

	u8 *buf = kmalloc(512, GFP_KERNEL);
	dma_addr_t d = dma_map_single(dev, buf, 512, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, d))
		return 1;
	dma_sync_single_range_for_cpu(dev, d, 256, 512, DMA_TO_DEVICE); /* runs past the mapping */
	dma_unmap_single(dev, d, 512, DMA_TO_DEVICE);

	dma_addr_t r = dma_map_resource(dev, 0xfe000000, 4096, DMA_BIDIRECTIONAL, 0);
	dma_unmap_page(dev, r, 4096, DMA_BIDIRECTIONAL); /* wrong function */
	r = dma_map_resource(dev, virt_to_phys(kmalloc(64, GFP_KERNEL)), 64, DMA_TO_DEVICE, 0); /* RAM */
	printf("map_resource of RAM: %s\n", r == DMA_MAPPING_ERROR ? "DMA_MAPPING_ERROR" : "mapped");
	return 0;
}

int main(int argc, char **argv)
{
	struct device *dev = &pdev.dev;
	dma_addr_t h;

	pci_setup_device(&pdev);
	pdev.dev.dma_parms = &parms;
	dev_set_name(dev, "0000:00:0a.0");
	if (device_register(dev) || dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)))
		return 1;
	if (argc > 1 && !strcmp(argv[1], "misuse"))
		return misuse(dev);

	/* Non-coherent pages. */
	struct page *page = dma_alloc_pages(dev, 5000, &h, DMA_BIDIRECTIONAL, GFP_KERNEL);
	printf("alloc_pages: %s zeroed=%d bus=phys:%d\n", page ? "ok" : "NULL",
	       page && zeroed(page_address(page), 8192), page && h == virt_to_phys(page_address(page)));
	dma_free_pages(dev, 5000, page, h, DMA_BIDIRECTIONAL);
	void *nc = dma_alloc_noncoherent(dev, 4096, &h, DMA_FROM_DEVICE, GFP_KERNEL);
	dma_sync_single_for_cpu(dev, h, 4096, DMA_FROM_DEVICE);
	dma_free_noncoherent(dev, 4096, nc, h, DMA_FROM_DEVICE);
	printf("noncoherent: %s\n", nc ? "ok" : "NULL");

	/* Write-combined memory mapped to user space. */
	u8 *wc = dma_alloc_wc(dev, 2 * 4096, &h, GFP_KERNEL);
	struct vm_area_struct vma = { .vm_start = 0x70000000, .vm_end = 0x70000000 + 4096, .vm_pgoff = 1 };
	int rc = dma_mmap_wc(dev, &vma, wc, h, 2 * 4096);
	u8 *user = dmashim_vma_user(&vma);
	if (user)
		user[3] = 0x5a;
	printf("mmap_wc: %d user_sees_buffer=%d can_mmap=%d\n", rc, user && wc[4096 + 3] == 0x5a, dma_can_mmap(dev));
	struct vm_area_struct past = { .vm_start = 0x71000000, .vm_end = 0x71000000 + 2 * 4096, .vm_pgoff = 1 };
	printf("mmap past the end: %d\n", dma_mmap_coherent(dev, &past, wc, h, 2 * 4096));
	rc = dmashim_vma_munmap(&vma);
	printf("munmap: %d", rc);
	rc = dmashim_vma_munmap(&vma);
	printf(" again: %d user after: %p\n", rc, dmashim_vma_user(&vma));

	/* A coherent buffer's pages as a table. */
	struct sg_table sgt;
	rc = dma_get_sgtable(dev, &sgt, wc, h, 5000);
	printf("get_sgtable: %d nents=%u length=%u page_ok=%d\n", rc, sgt.orig_nents, sgt.sgl->length,
	       page_address(sg_page(sgt.sgl)) == (void *)wc);
	sg_free_table(&sgt);
	dma_free_wc(dev, 2 * 4096, wc, h);

	/* Non-contiguous: one segment. */
	struct sg_table *nt = dma_alloc_noncontiguous(dev, 3 * 4096, DMA_FROM_DEVICE, GFP_KERNEL, 0);
	void *nv = nt ? dma_vmap_noncontiguous(dev, 3 * 4096, nt) : NULL;
	printf("noncontiguous: nents=%u dma_len=%u vmap_ok=%d\n", nt ? nt->nents : 0, nt ? sg_dma_len(nt->sgl) : 0,
	       nt && nv == page_address(sg_page(nt->sgl)));
	dma_vunmap_noncontiguous(dev, nv);
	dma_free_noncontiguous(dev, 3 * 4096, nt, DMA_FROM_DEVICE);

	/* MMIO of a peer. */
	dma_addr_t r = dma_map_resource(dev, 0xfe000000, 4096, DMA_BIDIRECTIONAL, 0);
	printf("map_resource: %#llx need_sync=%d\n", (unsigned long long)r, dma_need_sync(dev, r));
	dma_unmap_resource(dev, r, 4096, DMA_BIDIRECTIONAL, 0);

	/* The small queries. */
	dma_set_min_align_mask(dev, 4095);
	printf("opt=max:%d min_align=%u\n", dma_opt_mapping_size(dev) == dma_max_mapping_size(dev),
	       parms.min_align_mask);
	rc = pci_set_dma_max_seg_size(&pdev, 65536 * 2);
	int rc2 = pci_set_dma_seg_boundary(&pdev, 0xffff);
	printf("seg: %d %d max=%u boundary=%#lx\n", rc, rc2, dma_get_max_seg_size(dev), dma_get_seg_boundary(dev));

	/* The unmap state, new and 2.6 names; and 2.4's one sync, both ways when bounced. */
	struct rx_slot s = { .buf = kmalloc(256, GFP_KERNEL) };
	struct old_slot o = { .buf = s.buf };
	memset(s.buf, 0x11, 256);
	dma_unmap_addr_set(&s, addr, pci_map_single(&pdev, s.buf, 256, PCI_DMA_BIDIRECTIONAL));
	dma_unmap_len_set(&s, len, 256);
	pci_unmap_addr_set(&o, mapping, dma_unmap_addr(&s, addr));
	pci_unmap_len_set(&o, len, dma_unmap_len(&s, len));
	if (pci_dma_mapping_error(&pdev, pci_unmap_addr(&o, mapping)))
		return 1;
	u8 dev_data[16], seen[16];
	memset(dev_data, 0x22, sizeof(dev_data));
	dmashim_device_write(dev, pci_unmap_addr(&o, mapping), dev_data, sizeof(dev_data));
	pci_dma_sync_single(&pdev, pci_unmap_addr(&o, mapping), pci_unmap_len(&o, len), PCI_DMA_FROMDEVICE);
	int cpu_sees = ((u8 *)s.buf)[0] == 0x22;
	memset(s.buf, 0x33, 16);
	pci_dma_sync_single(&pdev, pci_unmap_addr(&o, mapping), pci_unmap_len(&o, len), PCI_DMA_TODEVICE);
	dmashim_device_read(dev, pci_unmap_addr(&o, mapping), seen, sizeof(seen));
	printf("pci_dma_sync_single: cpu_sees_device=%d device_sees_cpu=%d\n", cpu_sees, seen[0] == 0x33);
	dma_sync_single_range_for_cpu(dev, dma_unmap_addr(&s, addr), 128, 64, DMA_BIDIRECTIONAL);
	dma_sync_single_range_for_device(dev, dma_unmap_addr(&s, addr), 128, 64, DMA_BIDIRECTIONAL);
	pci_unmap_single(&pdev, pci_unmap_addr(&o, mapping), pci_unmap_len(&o, len), PCI_DMA_BIDIRECTIONAL);
	printf("ops: %p\n", (const void *)get_dma_ops(dev));
	return 0;
}

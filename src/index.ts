/* dmashim's public face: re-exports only. Layout mirrors the kernel tree; src/sim/ has no kernel counterpart. */
export * from './include/linux/gfp.ts';
export * from './include/linux/errno.ts';
export * from './include/linux/dma-direction.ts';
export {
  KERNEL_VERSION,
  parse_kernel_version,
  kernel_version_string,
  machine_kernel,
} from './include/linux/version.ts';
export * from './include/linux/types.ts';
export * from './lib/errors.ts';
export * from './lib/cstruct.ts';
export { hex_dump_lines, fmt_p, fmt_pad } from './lib/vsprintf.ts';
export * from './kernel/printk.ts';
export * from './kernel/panic.ts';
export * from './arch/sim/machine.ts';
export * from './arch/sim/io.ts';
export * from './mm/page_alloc.ts';
export { PAGE_POISON, page_poisoning_enabled, page_poisoning_set } from './mm/page_poison.ts';
export * from './mm/dmapool.ts';
export * from './drivers/base/core.ts';
export * from './drivers/base/devres.ts';
export * from './drivers/pci/pci.ts';
export * from './kernel/dma/mapping.ts';
export * from './include/linux/dma-map-ops.ts';
export { phys_to_dma, dma_to_phys } from './kernel/dma/direct.ts';
export * from './kernel/dma/debug.ts';
export * from './sim/sanitizer.ts';
export * from './kernel/sched/context.ts';
export * from './lib/fault-inject.ts';
export { stackdepot, set_c_site, capture_site } from './lib/stackdepot.ts';
export * from './mm/page.ts';
export * from './mm/slab.ts';
export * from './mm/vmalloc.ts';
export * from './lib/scatterlist.ts';
export * from './kernel/dma/coherent.ts';
export * from './kernel/dma/swiotlb.ts';
export * from './drivers/iommu/iommu.ts';
export * from './drivers/iommu/dma-iommu.ts';
export * from './sim/device_side.ts';
export { vma_munmap, vma_user_bytes } from './sim/mmap.ts';

/*
 * include/linux/dma-mapping.h: the constants of the DMA API that several files
 * share (kept here, a leaf module, so kernel/dma/* can import them without cycles).
 */

/**
 * DMA_MAPPING_ERROR: the kernel's ~(dma_addr_t)0. 2^64-1 has no exact JS number;
 * we use the double nearest to it, 2^64 (the literal `2 ** 64 - 1` evaluates to
 * it, and it is what a C uint64 ~0 becomes when converted to a number, e.g. by
 * koffi). It can never be a real address: every dmashim address is below 2^53.
 * Compare with dma_mapping_error(), or `=== DMA_MAPPING_ERROR`.
 */
export const DMA_MAPPING_ERROR: number = 2 ** 64 - 1;

/* DMA attributes (include/linux/dma-mapping.h values). */
export const DMA_ATTR_WEAK_ORDERING = 1 << 1;
export const DMA_ATTR_WRITE_COMBINE = 1 << 2;
export const DMA_ATTR_NO_KERNEL_MAPPING = 1 << 4;
export const DMA_ATTR_SKIP_CPU_SYNC = 1 << 5;
export const DMA_ATTR_FORCE_CONTIGUOUS = 1 << 6;
export const DMA_ATTR_ALLOC_SINGLE_PAGES = 1 << 7;
export const DMA_ATTR_NO_WARN = 1 << 8;
export const DMA_ATTR_PRIVILEGED = 1 << 9;

/** L1 cache line (x86): dma-debug's cacheline tracking granule. */
export const L1_CACHE_SHIFT = 6;

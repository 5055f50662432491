/* dmashim's public face: re-exports only. Layout mirrors the kernel tree. */
export * from './include/linux/gfp.ts';
export * from './include/linux/errno.ts';
export * from './include/linux/dma-direction.ts';
export * from './include/linux/types.ts';
export * from './lib/errors.ts';
export * from './lib/cstruct.ts';
export { hex_dump_lines, fmt_p, fmt_pad } from './lib/vsprintf.ts';
export * from './kernel/printk.ts';
export * from './kernel/panic.ts';
export * from './arch/sim/machine.ts';
export * from './arch/sim/io.ts';
export * from './mm/page_alloc.ts';
export * from './mm/dmapool.ts';
export * from './drivers/base/core.ts';
export * from './drivers/base/devres.ts';
export * from './kernel/dma/mapping.ts';
export { phys_to_dma, dma_to_phys } from './kernel/dma/direct.ts';
export * from './kernel/dma/debug.ts';

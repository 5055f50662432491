/*
 * Kernel scalar types as TypeScript sees them. Addresses are numbers (exact below
 * 2^53; our bus and virtual addresses stay below that); 64-bit masks are bigint.
 */
export type dma_addr_t = number;
export type phys_addr_t = number;
export type size_t = number;
export type u64 = bigint;

/**
 * An out-box for a `dma_addr_t *handle` argument: the port of
 *   dma_addr_t dma; qh = dma_pool_alloc(pool, GFP_ATOMIC, &dma);
 * is
 *   const dma = dma_addr(); const qh = dma_pool_alloc(pool, GFP_ATOMIC, dma); ... dma.value
 */
export class dma_addr_ref {
  value: dma_addr_t = 0;
  constructor(v: dma_addr_t = 0) {
    this.value = v;
  }
}

/** A fresh `dma_addr_t` out-box (see dma_addr_ref). */
export function dma_addr(v: dma_addr_t = 0): dma_addr_ref {
  return new dma_addr_ref(v);
}

/** NULL for addresses: kernel functions that return a pointer return 0 on failure; objects use null. */
export const NULL = 0;

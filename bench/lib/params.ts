/*
 * The workload of record: the table of the kernel's mm/dmapool_test.c.
 * Every row of every implementation runs exactly this, so ratios compare like with like.
 */
export interface PoolParam {
  readonly size: number;
  readonly align: number;
  readonly boundary: number;
}

export const PARAMS: readonly PoolParam[] = [
  { size: 16, align: 16, boundary: 0 },
  { size: 64, align: 64, boundary: 0 },
  { size: 256, align: 256, boundary: 0 },
  { size: 1024, align: 1024, boundary: 0 },
  { size: 4096, align: 4096, boundary: 0 },
  { size: 68, align: 32, boundary: 4096 },
];

/** Timed rounds per row (NR_TESTS in dmapool_test.c). */
export const ROUNDS = 100;

const PAGE_SIZE = 4096;

/** nr_blocks(size) = clamp((PAGE_SIZE / size) * 512, 1024, 8192), integer division as in C. */
export function nrBlocks(size: number): number {
  return Math.min(8192, Math.max(1024, Math.floor(PAGE_SIZE / size) * 512));
}

/** "16/16/0" */
export function paramLabel(p: PoolParam): string {
  return `${p.size}/${p.align}/${p.boundary}`;
}

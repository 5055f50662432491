/*
 * Row (e): @thi.ng/malloc's MemPool, the TypeScript peer, on the same workload
 * (one MemPool per row, aligned like the pool; addresses are plain offsets).
 *
 * MemPool keeps its used blocks in a list that free() searches from the most
 * recent allocation, and its free list sorted by address, so freeing in
 * allocation order costs O(live blocks) per call: 100 rounds of 8192 blocks
 * would take minutes. Rounds are therefore cut down so that a row takes about
 * `budgetMs`; every round is identical, so ns/op is unaffected by the cut (the
 * row reports how many rounds ran).
 */
import { MemPool } from '@thi.ng/malloc';
import { nrBlocks, type PoolParam } from './params.ts';
import { nowNs } from './stats.ts';

export interface ThingSample {
  ns: number;
  rounds: number;
}

type Pow2 = ConstructorParameters<typeof MemPool>[0] extends infer O
  ? O extends { align?: infer A }
    ? A
    : never
  : never;

function newPool(p: PoolParam, blocks: number): MemPool {
  const align = Math.max(8, p.align);
  // Room for every block with its 8-byte header, padded to the alignment, plus state.
  const per = Math.ceil((p.size + 8) / align) * align;
  return new MemPool({ size: per * blocks + 4 * align + 4096, align: align as Pow2 });
}

function rounds(pool: MemPool, blocks: number, size: number, n: number, addrs: Float64Array): void {
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < blocks; i++) {
      const a = pool.malloc(size);
      if (a === 0) throw new Error(`bench: MemPool.malloc(${size}) failed at block ${i}`);
      addrs[i] = a;
    }
    for (let i = 0; i < blocks; i++) pool.free(addrs[i]!);
  }
}

/** One timed row; the first round of a fresh pool is timed alone to pick the round count. */
export function runThingRow(p: PoolParam, maxRounds: number, budgetMs: number, addrs: Float64Array): ThingSample {
  const blocks = nrBlocks(p.size);
  const pool = newPool(p, blocks);
  let t0 = nowNs();
  rounds(pool, blocks, p.size, 1, addrs);
  const first = nowNs() - t0;
  const n = Math.max(1, Math.min(maxRounds, Math.floor((budgetMs * 1e6) / Math.max(first, 1))));
  t0 = nowNs();
  rounds(pool, blocks, p.size, n, addrs);
  const t = nowNs() - t0;
  return { ns: t / (n * blocks * 2), rounds: n };
}

/*
 * Scale, memory and destroy checks of the TypeScript core (issue targets):
 *  - per-op cost with 1,000 pools of 64-byte blocks holding 1K vs 1M live blocks,
 *    on random free+alloc pairs (the same pattern at both scales);
 *  - allocator metadata per block (pool typed arrays + per-page records);
 *  - dma_pool_destroy cost per page for pools of different sizes.
 */
import {
  dma_pool_create,
  dma_pool_alloc,
  dma_pool_free,
  dma_pool_destroy,
  dma_addr,
  GFP_KERNEL,
  device,
  dev_set_name,
  dma_set_mask_and_coherent,
  DMA_BIT_MASK,
  type dma_pool,
} from '../../src/index.ts';
import { makeCoreEnv, disposeCoreEnv, type CoreEnv } from './core.ts';
import { nowNs } from './stats.ts';

export const SCALE_POOLS = 1000;
const BLOCK = 64;

/** xorshift32: a fixed, cheap random sequence, identical on every run. */
function randomIndices(n: number, range: number, seed: number): Int32Array {
  const out = new Int32Array(n);
  let x = seed | 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) % range;
  }
  return out;
}

export interface ScaleSetup {
  env: CoreEnv;
  pools: dma_pool[];
  live: number;
  v: Float64Array;
  d: Float64Array;
  /** Random live-block indices (pool = index / perPool) and their pools. */
  sel: Int32Array;
  poolOf: Int32Array;
}

/** 1,000 pools of 64-byte blocks, `perPool` blocks live in each. */
export function setupScale(perPool: number, ops: number): ScaleSetup {
  const env = makeCoreEnv({ poison: false, name: 'bench-scale' });
  const pools: dma_pool[] = [];
  for (let i = 0; i < SCALE_POOLS; i++) {
    const p = dma_pool_create(`scale${i}`, env.dev, BLOCK, BLOCK, 0);
    if (!p) throw new Error('bench: scale pool create failed');
    pools.push(p);
  }
  const live = SCALE_POOLS * perPool;
  const v = new Float64Array(live);
  const d = new Float64Array(live);
  const h = dma_addr();
  for (let i = 0; i < SCALE_POOLS; i++) {
    for (let j = 0; j < perPool; j++) {
      const x = dma_pool_alloc(pools[i]!, GFP_KERNEL, h);
      if (x === 0) throw new Error('bench: scale alloc failed');
      v[i * perPool + j] = x;
      d[i * perPool + j] = h.value;
    }
  }
  const sel = randomIndices(ops, live, 0x9e3779b9 ^ perPool);
  const poolOf = new Int32Array(ops);
  for (let t = 0; t < ops; t++) poolOf[t] = Math.floor(sel[t]! / perPool);
  return { env, pools, live, v, d, sel, poolOf };
}

/** ns per operation (a free or an alloc) over the random pairs. */
export function runScaleOps(s: ScaleSetup): number {
  const { pools, v, d, sel, poolOf } = s;
  const h = dma_addr();
  const n = sel.length;
  const t0 = nowNs();
  for (let t = 0; t < n; t++) {
    const k = sel[t]!;
    const pool = pools[poolOf[t]!]!;
    dma_pool_free(pool, v[k]!, d[k]!);
    v[k] = dma_pool_alloc(pool, GFP_KERNEL, h);
    d[k] = h.value;
  }
  return (nowNs() - t0) / (2 * n);
}

/*
 * The same loop with the allocator calls replaced by what the harness itself
 * touches (index arrays, the pool object, the two pair arrays), so the harness's
 * own cache misses at 1M live can be subtracted.
 */
export function runScaleHarness(s: ScaleSetup): number {
  const { pools, v, d, sel, poolOf } = s;
  const n = sel.length;
  let sink = 0;
  const t0 = nowNs();
  for (let t = 0; t < n; t++) {
    const k = sel[t]!;
    const pool = pools[poolOf[t]!]!;
    sink += pool.nr_active;
    const x = v[k]! + d[k]!;
    v[k] = x - d[k]!;
    d[k] = x - v[k]!;
  }
  const ns = (nowNs() - t0) / (2 * n);
  return sink === -1 ? -ns : ns;
}

export function teardownScale(s: ScaleSetup): void {
  for (let i = 0; i < SCALE_POOLS; i++) {
    const pool = s.pools[i]!;
    const per = s.live / SCALE_POOLS;
    for (let j = 0; j < per; j++) dma_pool_free(pool, s.v[i * per + j]!, s.d[i * per + j]!);
    dma_pool_destroy(pool);
  }
  disposeCoreEnv(s.env);
}

export interface MetadataReport {
  blocks: number;
  pages: number;
  /** Bytes of the pools' typed arrays (next, pageVaddr, pageDma, offs), capacity included. */
  typedArrayBytes: number;
  /** dmaPages Map entries (one per page), estimated at V8's OrderedHashMap cost. */
  mapEntries: number;
  mapBytesEstimate: number;
  /** The machine's per-arena-page owner/index words for these pages (machine-wide tables, not the pool's). */
  machinePageTableBytes: number;
  bytesPerBlock: number;
  bytesPerBlockWithMachine: number;
}

/*
 * A V8 OrderedHashMap entry is key + value + chain (3 tagged words) plus half a
 * bucket word on average: 28 bytes with 8-byte tagged values (Node's default build).
 */
const MAP_ENTRY_BYTES = 28;

interface PoolMemoryView {
  next: { byteLength: number };
  pageVaddr: { byteLength: number };
  pageDma: { byteLength: number };
  offs: { byteLength: number };
  dmaPages?: { size: number };
  nr_blocks: number;
  nr_pages: number;
}

/** Count the allocator's own bytes over live pools (fields that exist are counted; see MetadataReport). */
export function countMetadata(pools: readonly dma_pool[]): MetadataReport {
  let blocks = 0;
  let pages = 0;
  let typed = 0;
  let mapEntries = 0;
  for (const p of pools as readonly PoolMemoryView[]) {
    blocks += p.nr_blocks;
    pages += p.nr_pages;
    typed += p.next.byteLength + p.pageVaddr.byteLength + p.pageDma.byteLength + p.offs.byteLength;
    mapEntries += p.dmaPages?.size ?? 0;
  }
  const mapBytes = mapEntries * MAP_ENTRY_BYTES;
  const machine = pages * 8;
  return {
    blocks,
    pages,
    typedArrayBytes: typed,
    mapEntries,
    mapBytesEstimate: mapBytes,
    machinePageTableBytes: machine,
    bytesPerBlock: (typed + mapBytes) / blocks,
    bytesPerBlockWithMachine: (typed + mapBytes + machine) / blocks,
  };
}

/** ns per page to destroy an idle pool of `pages` pages of 64-byte blocks (its own device, one pool). */
export function measureDestroy(env: CoreEnv, pages: number, scratch: Float64Array): number {
  const dev = new device(env.machine);
  dev_set_name(dev, 'bench-destroy');
  dev.dma_mask = 0n;
  dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
  const pool = dma_pool_create('destroy', dev, BLOCK, BLOCK, 0);
  if (!pool) throw new Error('bench: destroy pool create failed');
  const per = 4096 / BLOCK;
  const n = pages * per;
  const h = dma_addr();
  for (let i = 0; i < n; i++) {
    scratch[2 * i] = dma_pool_alloc(pool, GFP_KERNEL, h);
    scratch[2 * i + 1] = h.value;
  }
  for (let i = 0; i < n; i++) dma_pool_free(pool, scratch[2 * i]!, scratch[2 * i + 1]!);
  if (pool.nr_pages !== pages) throw new Error(`bench: expected ${pages} pages, got ${pool.nr_pages}`);
  const t0 = nowNs();
  dma_pool_destroy(pool);
  return (nowNs() - t0) / pages;
}

export { makeCoreEnv, disposeCoreEnv };

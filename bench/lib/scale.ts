/*
 * Scale, memory and destroy checks of the TypeScript core (targets in BENCHMARKS.md):
 *  - per-op cost with 1,000 pools of 64-byte blocks holding 1K vs 1M live blocks,
 *    in two patterns (each the same at both scales):
 *      queue:  each pool is a FIFO of in-flight blocks, as a driver's descriptor
 *              ring uses its pool: a random pool frees its oldest block and
 *              allocates a new one (the workload of record for the target);
 *      random: a uniformly random live block is freed and reallocated (a stress
 *              pattern: its working set is every live block's address pair);
 *  - allocator metadata per block: every typed array a pool keeps (capacity), the
 *    shared offs arrays once, and the measured JS cost of the pool objects;
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
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

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

export type ScalePattern = 'queue' | 'random';

export interface ScaleSetup {
  env: CoreEnv;
  pools: dma_pool[];
  pattern: ScalePattern;
  perPool: number;
  live: number;
  /**
   * Address pairs, interleaved like the C reference's struct pair (one line per
   * pair, not two): block k's CPU address at [2k], bus address at [2k + 1]; pool
   * i's blocks are k in [i * perPool, (i + 1) * perPool).
   */
  pr: Float64Array;
  /** random: live-block indices (pool = index / perPool); queue: pool indices. */
  sel: Int32Array;
  poolOf: Int32Array;
  /** queue: each pool's oldest block (ring position). */
  pos: Int32Array;
  /** The control allocator's pools (controlPools). */
  control: ControlPool[] | null;
}

/** 1,000 pools of 64-byte blocks, `perPool` blocks live in each. */
export function setupScale(perPool: number, ops: number, pattern: ScalePattern = 'random'): ScaleSetup {
  const env = makeCoreEnv({ poison: false, name: 'bench-scale' });
  const pools: dma_pool[] = [];
  for (let i = 0; i < SCALE_POOLS; i++) {
    const p = dma_pool_create(`scale${i}`, env.dev, BLOCK, BLOCK, 0);
    if (!p) throw new Error('bench: scale pool create failed');
    pools.push(p);
  }
  const live = SCALE_POOLS * perPool;
  const pr = new Float64Array(2 * live);
  const h = dma_addr();
  for (let i = 0; i < SCALE_POOLS; i++) {
    for (let j = 0; j < perPool; j++) {
      const x = dma_pool_alloc(pools[i]!, GFP_KERNEL, h);
      if (x === 0) throw new Error('bench: scale alloc failed');
      pr[2 * (i * perPool + j)] = x;
      pr[2 * (i * perPool + j) + 1] = h.value;
    }
  }
  const sel = randomIndices(ops, pattern === 'queue' ? SCALE_POOLS : live, 0x9e3779b9 ^ perPool);
  const poolOf = new Int32Array(ops);
  for (let t = 0; t < ops; t++) poolOf[t] = pattern === 'queue' ? sel[t]! : Math.floor(sel[t]! / perPool);
  return { env, pools, pattern, perPool, live, pr, sel, poolOf, pos: new Int32Array(SCALE_POOLS), control: null };
}

/*
 * queue pattern, ns per operation: pool i frees the block at its ring position
 * (its oldest) and puts the new block there (now its newest).
 */
export function runScaleQueueOps(s: ScaleSetup, from = 0, n = s.sel.length - from): number {
  const { pools, pr, sel, pos, perPool } = s;
  const h = dma_addr();
  const t0 = nowNs();
  for (let t = from; t < from + n; t++) {
    const i = sel[t]!;
    const pool = pools[i]!;
    const j = pos[i]!;
    const k = i * perPool + j;
    dma_pool_free(pool, pr[2 * k]!, pr[2 * k + 1]!);
    pr[2 * k] = dma_pool_alloc(pool, GFP_KERNEL, h);
    pr[2 * k + 1] = h.value;
    pos[i] = j + 1 === perPool ? 0 : j + 1;
  }
  return (nowNs() - t0) / (2 * n);
}

/* The queue loop with the allocator calls replaced by the harness's own memory traffic (as runScaleHarness). */
export function runScaleQueueHarness(s: ScaleSetup, from = 0, n = s.sel.length - from): number {
  const { pools, pr, sel, pos, perPool } = s;
  let sink = 0;
  const t0 = nowNs();
  for (let t = from; t < from + n; t++) {
    const i = sel[t]!;
    const pool = pools[i]!;
    sink += pool.nr_active;
    const j = pos[i]!;
    const k = i * perPool + j;
    const x = pr[2 * k]! + pr[2 * k + 1]!;
    pr[2 * k] = x - pr[2 * k + 1]!;
    pr[2 * k + 1] = x - pr[2 * k]!;
    pos[i] = j + 1 === perPool ? 0 : j + 1;
  }
  const ns = (nowNs() - t0) / (2 * n);
  return sink === -1 ? -ns : ns;
}

/** ns per operation (a free or an alloc) over the random pairs. */
export function runScaleOps(s: ScaleSetup, from = 0, n = s.sel.length - from): number {
  const { pools, pr, sel, poolOf } = s;
  const h = dma_addr();
  const t0 = nowNs();
  for (let t = from; t < from + n; t++) {
    const k = sel[t]!;
    const pool = pools[poolOf[t]!]!;
    dma_pool_free(pool, pr[2 * k]!, pr[2 * k + 1]!);
    pr[2 * k] = dma_pool_alloc(pool, GFP_KERNEL, h);
    pr[2 * k + 1] = h.value;
  }
  return (nowNs() - t0) / (2 * n);
}

/*
 * The same loop with the allocator calls replaced by what the harness itself
 * touches (index arrays, the pool object, the two pair arrays), so the harness's
 * own cache misses at 1M live can be subtracted.
 */
export function runScaleHarness(s: ScaleSetup, from = 0, n = s.sel.length - from): number {
  const { pools, pr, sel, poolOf } = s;
  let sink = 0;
  const t0 = nowNs();
  for (let t = from; t < from + n; t++) {
    const k = sel[t]!;
    const pool = pools[poolOf[t]!]!;
    sink += pool.nr_active;
    const x = pr[2 * k]! + pr[2 * k + 1]!;
    pr[2 * k] = x - pr[2 * k + 1]!;
    pr[2 * k + 1] = x - pr[2 * k]!;
  }
  const ns = (nowNs() - t0) / (2 * n);
  return sink === -1 ? -ns : ns;
}

/*
 * The control: a minimal allocator, per pool a LIFO of (CPU, bus) address pairs
 * and nothing else, whose state does not grow with the live count (a pool
 * object, a typed-array object and the stack's top line at both scales), plus a
 * chain of CONTROL_WORK dependent integer steps on the freed address, a stand-in
 * for the core's checks (no memory). With 16 steps its op at 1K live takes
 * about as long as the core's (the bench prints both nets). Run in the bench's
 * loops on the same pair ring, its ratio says what the LOOP costs an allocator
 * of that duration at 1M live: the ring's cache misses, which the short
 * harness-only loop overlaps with each other and a longer body cannot. It is
 * reported, not subtracted: how much a body exposes depends on its instruction
 * mix, not only its length (8 steps grew less than the core, 16 more).
 * Past ~20 steps the chain stops being unrolled and costs ~3x as much a step.
 * Both patterns free a block and then allocate, so LIFO hands back the pair just
 * freed and the ring is left as the core leaves it.

 *
 * Its loops are written out like the core's rather than shared through a loop
 * taking the allocator as a parameter: a call through a parameter would be a
 * polymorphic call in the timed loop, which the core's loops do not pay.
 */
export const CONTROL_WORK = 16;

export class ControlPool {
  /** Pairs on the stack. */
  declare top: number;
  declare st: Float64Array;
  constructor() {
    this.top = 0;
    this.st = new Float64Array(8);
  }
}

/* Free: the stand-in work on the address, then the push. Returns the work's result (a sink). */
function controlFree(p: ControlPool, vaddr: number, dma: number): number {
  // ToInt32 already reduces modulo 2^32; an explicit `vaddr % 2 ** 32` compiled to an x87 fprem loop (~10 ns).
  let x = vaddr | 0;
  for (let r = 0; r < CONTROL_WORK; r++) x = Math.imul(x ^ (x >>> 7), 0x9e3779b1) + r;
  let st = p.st;
  const t = p.top;
  if (2 * t === st.length) {
    const grown = new Float64Array(2 * st.length);
    grown.set(st);
    p.st = st = grown;
  }
  st[2 * t] = vaddr;
  st[2 * t + 1] = dma;
  p.top = t + 1;
  return x;
}

function controlAlloc(p: ControlPool, h: { value: number }): number {
  const t = p.top - 1;
  if (t < 0) return 0;
  p.top = t;
  h.value = p.st[2 * t + 1]!;
  return p.st[2 * t]!;
}

/** One control pool per scale pool (created on first use). */
export function controlPools(s: ScaleSetup): ControlPool[] {
  if (!s.control) s.control = s.pools.map(() => new ControlPool());
  return s.control;
}

/** The queue loop (runScaleQueueOps) on the control allocator. */
export function runScaleQueueControl(s: ScaleSetup, from = 0, n = s.sel.length - from): number {
  const { pr, sel, pos, perPool } = s;
  const pools = controlPools(s);
  const h = { value: 0 };
  let sink = 0;
  const t0 = nowNs();
  for (let t = from; t < from + n; t++) {
    const i = sel[t]!;
    const pool = pools[i]!;
    const j = pos[i]!;
    const k = i * perPool + j;
    sink += controlFree(pool, pr[2 * k]!, pr[2 * k + 1]!);
    pr[2 * k] = controlAlloc(pool, h);
    pr[2 * k + 1] = h.value;
    pos[i] = j + 1 === perPool ? 0 : j + 1;
  }
  const ns = (nowNs() - t0) / (2 * n);
  return sink === 0.5 ? -ns : ns;
}

/** The random loop (runScaleOps) on the control allocator. */
export function runScaleControl(s: ScaleSetup, from = 0, n = s.sel.length - from): number {
  const { pr, sel, poolOf } = s;
  const pools = controlPools(s);
  const h = { value: 0 };
  let sink = 0;
  const t0 = nowNs();
  for (let t = from; t < from + n; t++) {
    const k = sel[t]!;
    const pool = pools[poolOf[t]!]!;
    sink += controlFree(pool, pr[2 * k]!, pr[2 * k + 1]!);
    pr[2 * k] = controlAlloc(pool, h);
    pr[2 * k + 1] = h.value;
  }
  const ns = (nowNs() - t0) / (2 * n);
  return sink === 0.5 ? -ns : ns;
}

export function teardownScale(s: ScaleSetup): void {
  for (let i = 0; i < SCALE_POOLS; i++) {
    const pool = s.pools[i]!;
    const per = s.live / SCALE_POOLS;
    for (let j = 0; j < per; j++) dma_pool_free(pool, s.pr[2 * (i * per + j)]!, s.pr[2 * (i * per + j) + 1]!);
    dma_pool_destroy(pool);
  }
  disposeCoreEnv(s.env);
}

export interface MetadataReport {
  blocks: number;
  pages: number;
  pools: number;
  /**
   * Payload bytes of the pools' typed arrays at capacity (slack included):
   * `fl` (free-slot stack + bitmap), `pages` (CPU and bus address per page, interleaved), `htab`;
   * `offs` once per distinct array (pools of one shape share it).
   */
  typedArrayBytes: number;
  /** Of which: free bitmap, free-slot stack, page addresses, lookup hash, offs. */
  freeBytes: number;
  stackBytes: number;
  pageBytes: number;
  htabBytes: number;
  offsBytes: number;
  /** Per-pool JS cost: the dma_pool object, its typed arrays' headers and buffers, its registrations; measured (see poolFixedBytes). */
  poolObjectBytes: number;
  perPoolFixedBytes: number;
  /** Legacy rows (the dmaPages Map is gone): always 0. */
  mapEntries: number;
  mapBytesEstimate: number;
  /** The machine's arena page -> pool page table (4 B per arena page, the whole table: it exists only for pools). */
  machinePageTableBytes: number;
  /** The entries of that table that cover these pools' pages (4 B per arena page of theirs). */
  pageTableEntryBytes: number;
  /** Pool-owned bytes above (typed arrays + JS objects) plus the table entries of their pages, per carved block. */
  bytesPerBlock: number;
  /** The same plus the whole machine-wide table. */
  bytesPerBlockWithMachine: number;
  /** Typed-array payload only, per block (what the earlier runs reported, minus the Map). */
  payloadBytesPerBlock: number;
}

interface PoolMemoryView {
  fl: { byteLength: number; length: number };
  fbase: number;
  pages: { byteLength: number };
  htab?: { byteLength: number };
  offs: Int32Array;
  /** The machine's arena-page table, shared by every pool of the machine (mm/dmapool.ts). */
  pageIdxOf: { byteLength: number };
  nr_blocks: number;
  nr_pages: number;
}

let fixedCache = -1;

/*
 * Heap bytes per empty pool (no pages), net of nothing: the dma_pool object with
 * its fields and boxed doubles, its initial typed arrays (headers, ArrayBuffer
 * objects, on-heap payloads), the device list and machine set entries. Measured
 * as the used-heap + ArrayBuffer delta of 2,000 pools between forced GCs. The
 * off-heap C++ BackingStore of an external buffer is visible to neither counter,
 * so large typed arrays are undercounted by that much (~100 B each).
 */
export function poolFixedBytes(): number {
  if (fixedCache >= 0) return fixedCache;
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const env = makeCoreEnv({ poison: false, name: 'bench-meta' });
  const n = 2000;
  const pools: dma_pool[] = [];
  const used = (): number => {
    gc();
    gc();
    return v8.getHeapStatistics().used_heap_size + process.memoryUsage().arrayBuffers;
  };
  pools.length = n;
  // dmapool's per-machine state (its arena-page table) is made with the machine's first pool: not per pool.
  const first = dma_pool_create('scale-first', env.dev, BLOCK, BLOCK, 0);
  const before = used();
  for (let i = 0; i < n; i++) {
    const p = dma_pool_create(`scale${i}`, env.dev, BLOCK, BLOCK, 0);
    if (!p) throw new Error('bench: pool create failed');
    pools[i] = p;
  }
  const after = used();
  // The empty pool's typed-array payloads are counted with the pool's arrays in countMetadata.
  const p0 = pools[0] as unknown as PoolMemoryView;
  const payload = p0.fl.byteLength + p0.pages.byteLength + (p0.htab?.byteLength ?? 0);
  fixedCache = Math.max(0, (after - before) / n - payload);
  for (const p of pools) dma_pool_destroy(p);
  dma_pool_destroy(first);
  disposeCoreEnv(env);
  return fixedCache;
}

/** Count the allocator's bytes over live pools (every field that exists; see MetadataReport). */
export function countMetadata(pools: readonly dma_pool[]): MetadataReport {
  let blocks = 0;
  let pages = 0;
  let freeBytes = 0;
  let stackBytes = 0;
  let pageBytes = 0;
  let htabBytes = 0;
  const offs = new Set<Int32Array>();
  for (const p of pools as unknown as readonly PoolMemoryView[]) {
    blocks += p.nr_blocks;
    pages += p.nr_pages;
    const el = p.fl.byteLength / p.fl.length;
    stackBytes += p.fbase * el;
    freeBytes += p.fl.byteLength - p.fbase * el;
    pageBytes += p.pages.byteLength;
    htabBytes += p.htab?.byteLength ?? 0;
    offs.add(p.offs);
  }
  let offsBytes = 0;
  for (const o of offs) offsBytes += o.byteLength;
  const typed = freeBytes + stackBytes + pageBytes + htabBytes + offsBytes;
  const fixed = poolFixedBytes();
  const poolObject = fixed * pools.length;
  const first = pools[0] as unknown as (PoolMemoryView & { allocation: number }) | undefined;
  const entries = first ? pages * Math.ceil(first.allocation / 4096) * 4 : 0;
  const total = typed + poolObject + entries;
  const machine = first?.pageIdxOf.byteLength ?? 0;
  return {
    blocks,
    pages,
    pools: pools.length,
    typedArrayBytes: typed,
    freeBytes,
    stackBytes,
    pageBytes,
    htabBytes,
    offsBytes,
    poolObjectBytes: poolObject,
    perPoolFixedBytes: fixed,
    mapEntries: 0,
    mapBytesEstimate: 0,
    machinePageTableBytes: machine,
    pageTableEntryBytes: entries,
    bytesPerBlock: total / blocks,
    bytesPerBlockWithMachine: (total - entries + machine) / blocks,
    payloadBytesPerBlock: typed / blocks,
  };
}

/** One line for the bench table: the total and what it is made of. */
export function describeMetadata(m: MetadataReport): string {
  const b = (x: number): string => (x / m.blocks).toFixed(3);
  return (
    `metadata at 1M live: ${m.blocks} blocks, ${m.pages} pages, ${m.pools} pools: ${m.bytesPerBlock.toFixed(2)} B/block = ` +
    `free bitmap ${b(m.freeBytes)} + free-slot stack ${b(m.stackBytes)} + page addresses ${b(m.pageBytes)} + lookup hash ${b(m.htabBytes)} + offs ${b(m.offsBytes)} ` +
    `+ per-pool JS objects ${b(m.poolObjectBytes)} (${Math.round(m.perPoolFixedBytes)} B/pool measured) ` +
    `+ their pages' entries in the machine's arena-page table ${b(m.pageTableEntryBytes)}; ` +
    `charging the whole table instead (${m.machinePageTableBytes} B, 4 B per RAM page, shared by every pool of the machine): ${m.bytesPerBlockWithMachine.toFixed(2)} B/block`
  );
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

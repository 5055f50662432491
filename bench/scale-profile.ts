/*
 * Profile driver for the scale benchmark (bench/lib/scale.ts), small enough to
 * run under valgrind --tool=cachegrind. One process = one setup + one loop:
 *
 *   node --import tsx bench/scale-profile.ts PER_POOL MODE PAIRS [MAX_PAIRS]
 *   valgrind --tool=cachegrind --cache-sim=yes --smc-check=all-non-file \
 *     node --import tsx bench/scale-profile.ts 1000 alloc 250000
 *
 * PER_POOL: live 64-byte blocks in each of the 1,000 pools (1 = 1K live,
 * 1000 = 1M live). PAIRS: random free+alloc pairs run (the first PAIRS of one
 * fixed sequence of MAX_PAIRS, default 400,000, so the setup is identical
 * whatever PAIRS is). Per-pair counts are (total(N2) - total(N1)) / (N2 - N1)
 * over two processes, which cancels setup, JIT compilation and exit.
 *
 * MODE:
 *   alloc    the bench's own loop (runScaleOps): dma_pool_free + dma_pool_alloc
 *   harness  the bench's "harness only" loop (runScaleHarness)
 *   none     setup only (PAIRS ignored)
 *   Cumulative read-only replicas of dma_pool_free's loads, on top of the harness
 *   (same addresses as the allocator; nothing is written, state is unchanged):
 *   pool     + the pool-object fields free/alloc read (incl. the boxed vbase)
 *   pgidx    + the machine's arena page -> pool page table entry (pageIdxOf[pg])
 *   pages    + pages[2*page] and pages[2*page+1] (CPU and bus address, interleaved)
 *   next     + the free-bitmap word of the slot (= every metadata load of free; alloc re-reads the same lines)
 *   slab     the harness plus the loads of a compact layout that does not exist in
 *            src/ (a what-if): one 64-byte Int32 header row per pool, one machine-wide
 *            16-byte record per arena page (owner pool, pool page, page dma) and one
 *            machine-wide Uint16 `next`; same checks as dma_pool_free, read only.
 *
 * PATTERN (env SCALE_PROFILE_PATTERN, default random): queue runs the bench's
 * queue pattern (runScaleQueueOps / runScaleQueueHarness) for modes alloc and
 * harness; the replicas and slab exist for the random pattern only.
 *
 * REPS (env SCALE_PROFILE_REPS, default 1): run the loop that many times and print
 * the best ns per pair (for native timing; keep 1 under valgrind).
 *
 * Prints one JSON line (ns per pair is meaningful only outside valgrind).
 */
import {
  setupScale,
  runScaleOps,
  runScaleHarness,
  runScaleQueueOps,
  runScaleQueueHarness,
  type ScaleSetup,
} from './lib/scale.ts';
import { nowNs } from './lib/stats.ts';

type Replica = (s: ScaleSetup, n: number) => number;

/* The harness's loads (as runScaleHarness) plus the first `level` groups of dma_pool_free's loads. */
function replica(level: number): Replica {
  return (s, n) => {
    const { pools, pr, sel, poolOf } = s;
    let sink = 0;
    for (let t = 0; t < n; t++) {
      const k = sel[t]!;
      const pool = pools[poolOf[t]!]!;
      sink += pool.nr_active;
      const vaddr = pr[2 * k]!;
      const dma = pr[2 * k + 1]!;
      const x = vaddr + dma;
      pr[2 * k] = x - dma;
      pr[2 * k + 1] = x - pr[2 * k]!;
      if (level >= 1) {
        // Fields dma_pool_free / dma_pool_alloc read (their lines of the object), the boxed double vbase.
        sink += pool.slow + pool.head + pool.nr_pages + pool.sh + pool.kmask + pool.linear + pool.size;
        sink += pool.sizeShift + pool.blocks_per_page + pool.arenaPages + pool.vbasePg;
        const pg = ((vaddr >>> 12) - pool.vbasePg) & 0xfffff;
        if (level >= 2) {
          const page = pool.pageIdxOf[pg]! - 1;
          if (level >= 3) {
            const o = vaddr - pool.pages[2 * page]!;
            sink += pool.pages[2 * page + 1]! + o === dma ? 1 : 0;
            if (level >= 4) {
              const b = (page << pool.sh) | (o >>> pool.sizeShift);
              sink += pool.fl[pool.fbase + (b >>> 4)]! & (1 << (b & 15));
            }
          } else sink += page;
        } else sink += pg;
      }
    }
    return sink;
  };
}

/* Derived tables of the what-if layout (built from the live pools; not part of the allocator). */
function slab(s: ScaleSetup): Replica {
  const np = s.pools.length;
  const hdr = new Int32Array(np * 16);
  const m = s.pools[0]!;
  const rec = new Float64Array(m.arenaPages * 2);
  const recI = new Int32Array(rec.buffer);
  // 1,024 slots a pool plus a 32-slot pad: a power-of-two stride would map every pool's first line to the same few cache sets.
  const slots = (1 << 10) + 32;
  const next = new Uint16Array(np * slots);
  for (let i = 0; i < np; i++) {
    const p = s.pools[i]!;
    hdr[i * 16] = p.head;
    hdr[i * 16 + 1] = p.nr_active;
    hdr[i * 16 + 2] = p.nr_pages;
    hdr[i * 16 + 3] = p.sh;
    hdr[i * 16 + 4] = p.sizeShift;
    for (let pg = 0; pg < p.nr_pages; pg++) {
      const a = (p.pages[2 * pg]! - p.machine.vbase) / 4096;
      recI[a * 4] = i + 1;
      recI[a * 4 + 1] = pg;
      rec[a * 2 + 1] = p.pages[2 * pg + 1]!;
      for (let k = 0; k < 1 << p.sh; k++) next[i * slots + ((pg << p.sh) | k)] = p.slotFree((pg << p.sh) | k) ? 1 : 0;
    }
  }
  const vbase = m.machine.vbase;
  return (st, n) => {
    const { pools, pr, sel, poolOf } = st;
    let sink = 0;
    for (let t = 0; t < n; t++) {
      const k = sel[t]!;
      const pi = poolOf[t]!;
      sink += pools[pi]!.nr_active;
      const vaddr = pr[2 * k]!;
      const dma = pr[2 * k + 1]!;
      const x = vaddr + dma;
      pr[2 * k] = x - dma;
      pr[2 * k + 1] = x - pr[2 * k]!;
      const h = pi << 4;
      const pg = (vaddr - vbase) >>> 12;
      if (recI[pg << 2] === pi + 1) {
        const o = (vaddr - vbase) & 4095;
        const b = (recI[(pg << 2) + 1]! << hdr[h + 3]!) | (o >>> hdr[h + 4]!);
        sink += (rec[(pg << 1) + 1]! + o === dma ? 1 : 0) + next[pi * slots + b]! + hdr[h]! + hdr[h + 1]! + hdr[h + 2]!;
      }
    }
    return sink;
  };
}

const MODES: Record<string, Replica | null> = {
  slab: null,
  pool: replica(1),
  pgidx: replica(2),
  pages: replica(3),
  next: replica(4),
};

function main(): void {
  const perPool = Number(process.argv[2] ?? '1000');
  const mode = process.argv[3] ?? 'alloc';
  const pairs = Number(process.argv[4] ?? '200000');
  const max = Number(process.argv[5] ?? '400000');
  if (
    !(perPool >= 1) ||
    !(pairs >= 0) ||
    pairs > max ||
    !(mode in MODES || mode === 'alloc' || mode === 'harness' || mode === 'none')
  ) {
    process.stderr.write(
      'usage: scale-profile.ts PER_POOL alloc|harness|none|pool|pgidx|pages|next|slab PAIRS [MAX_PAIRS]\n',
    );
    process.exit(2);
  }
  const queue = process.env['SCALE_PROFILE_PATTERN'] === 'queue';
  if (queue && mode !== 'alloc' && mode !== 'harness' && mode !== 'none') {
    process.stderr.write('scale-profile: the queue pattern has modes alloc, harness and none only\n');
    process.exit(2);
  }
  const s = setupScale(perPool, max, queue ? 'queue' : 'random');
  const n = mode === 'none' ? 0 : pairs;
  const part: ScaleSetup = { ...s, sel: s.sel.subarray(0, n), poolOf: s.poolOf.subarray(0, n) };
  const fn = mode === 'slab' ? slab(s) : MODES[mode];
  const reps = Math.max(1, Number(process.env['SCALE_PROFILE_REPS'] ?? '1'));
  let sink = 0;
  let ns = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = nowNs();
    if (mode === 'alloc') (queue ? runScaleQueueOps : runScaleOps)(part);
    else if (mode === 'harness') (queue ? runScaleQueueHarness : runScaleHarness)(part);
    else if (mode !== 'none') sink += fn!(part, n);
    ns = Math.min(ns, n > 0 ? (nowNs() - t0) / n : 0);
  }
  // No teardown: the process exits (keeps the counted tail identical for every PAIRS).
  process.stdout.write(
    `${JSON.stringify({ perPool, mode, pattern: queue ? 'queue' : 'random', pairs: n, nsPerPair: +ns.toFixed(2), sink: sink % 2 })}\n`,
  );
}

main();

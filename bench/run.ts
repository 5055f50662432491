/*
 * `npm run bench`: the dma_pool benchmark of record (BENCHMARKS.md).
 *
 * Every reference runs in this same invocation and every ratio is taken between
 * medians of this run: the C reference (the kernel's algorithm, built now with cc
 * -O2), glibc malloc, @thi.ng/malloc, one bare koffi callback. Repetitions of the
 * different implementations are interleaved, so slow drift on a noisy VM hits
 * them alike. Results: a table on stdout, bench/results/<timestamp>.json and
 * bench/results/latest.json (git-ignored), a progress line on stderr.
 *
 * usage: npm run bench [-- --reps N] [--quick] [--only core,thing,poison,koffi,bridge,scale,destroy,sg]
 */
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { log_configure } from '../src/index.ts';
import { PARAMS, ROUNDS, nrBlocks, paramLabel } from './lib/params.ts';
import { summarize, geomean, fmt, fmtSpread, median, round4, pairedScale, type Summary, type ScaleLoops, type ScaleSlice, type ScalePaired } from './lib/stats.ts';
import { buildC, ccVersion, runRef, ROOT, type RefSample } from './lib/native.ts';
import { makeCoreEnv, disposeCoreEnv, optionalOff, runCoreRow, type CoreEnv } from './lib/core.ts';
import { runThingRow } from './lib/thing.ts';
import { measureKoffiCallback, type KoffiResult } from './lib/koffi.ts';
import { runBridge, pairedRatio, roundsPerOp, roundQuiet, MIN_QUIET_ROUNDS, type BridgeResult } from './lib/bridge.ts';
import { bracketed, warmYardstick, quietMask, lowFloor, previousFloors, QUIET_TOLERANCE, MIN_QUIET } from './lib/phase.ts';
import {
  setupScale,
  runScaleOps,
  runScaleHarness,
  runScaleQueueOps,
  runScaleQueueHarness,
  runScaleControl,
  runScaleQueueControl,
  CONTROL_WORK,
  teardownScale,
  type ScalePattern,
  type ScaleSetup,
  countMetadata,
  describeMetadata,
  measureDestroy,
  type MetadataReport,
} from './lib/scale.ts';
import { measureMapSg, type SgResult } from './lib/sg.ts';
import { progress, progressDone, elapsedSeconds } from './lib/progress.ts';

// ---------------------------------------------------------------- options

const SECTIONS = ['core', 'thing', 'poison', 'koffi', 'bridge', 'scale', 'destroy', 'sg'] as const;
type Section = (typeof SECTIONS)[number];

function parseArgs(argv: readonly string[]): { reps: number; quick: boolean; only: Set<Section> } {
  let reps = 21; // enough for >= 3 undisturbed samples per row when the VM is quiet only a fifth of the time (Method)
  let quick = false;
  let only = new Set<Section>(SECTIONS);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const eq = a.indexOf('=');
      if (eq >= 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`bench: ${a} needs a value`);
      return v;
    };
    if (a === '--quick') quick = true;
    else if (a.startsWith('--reps')) reps = Number(val());
    else if (a.startsWith('--only')) {
      const names = val().split(',').map((s) => s.trim());
      for (const n of names) if (!(SECTIONS as readonly string[]).includes(n)) throw new Error(`bench: unknown section ${n} (${SECTIONS.join(',')})`);
      only = new Set(names as Section[]);
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(`usage: npm run bench [-- --reps N] [--quick] [--only ${SECTIONS.join(',')}]\n`);
      process.exit(0);
    } else throw new Error(`bench: unknown argument ${a}`);
  }
  if (!Number.isInteger(reps) || reps < 1) throw new Error('bench: --reps must be a positive integer');
  if (quick) reps = Math.min(reps, 3);
  return { reps, quick, only };
}

const opts = parseArgs(process.argv.slice(2));
const resultsDir = join(ROOT, 'bench', 'results');
const latestPath = join(resultsDir, 'latest.json');
// The previous run's yardstick floor on this machine (bench/lib/phase.ts).
const prevFloors = previousFloors(latestPath);
// Bad frees are not part of the workload; keep any log line off the table.
log_configure({ console: false });

// ---------------------------------------------------------------- the dmapool_test rows

interface RowResult {
  label: string;
  size: number;
  align: number;
  boundary: number;
  blocks: number;
  /** C reference of record: the kernel's algorithm with its pool lock. */
  ref: Summary;
  /** The same without the lock (diagnostic). */
  refNoLock: Summary;
  malloc: Summary;
  oob: Summary;
  coreDefault: Summary;
  coreOff: Summary;
  corePoison: Summary | null;
  thing: Summary | null;
  thingRounds: number;
  bridge: Summary | null;
  bridgeAlloc: Summary | null;
  bridgeFree: Summary | null;
  /** The bridge target's yardstick: one bare koffi callback timed in the bridge's own process, with this row. */
  bridgeCb: Summary | null;
  /* (c') bridge + pool cache (dmashim run --pool-cache) */
  bridgeCache: Summary | null;
  bridgeCacheAlloc: Summary | null;
  bridgeCacheFree: Summary | null;
}

const NROWS = PARAMS.length;
const refS: number[][] = PARAMS.map(() => []);
const refNoLockS: number[][] = PARAMS.map(() => []);
const mallocS: number[][] = PARAMS.map(() => []);
const oobS: number[][] = PARAMS.map(() => []);
const defS: number[][] = PARAMS.map(() => []);
const offS: number[][] = PARAMS.map(() => []);
const poisonS: number[][] = PARAMS.map(() => []);
const thingS: number[][] = PARAMS.map(() => []);
const thingRounds: number[] = PARAMS.map(() => 0);
/*
 * The JS yardstick (bench/lib/phase.ts) right before and after each sample: the
 * slower of the two, per sample (C reference: around one process per row, which
 * runs its own warm-up pass and then the row; core: around each row). The VM's
 * slow phases are often shorter than a repetition.
 */
const refYard: number[][] = PARAMS.map(() => []);
const defYard: number[][] = PARAMS.map(() => []);
const offYard: number[][] = PARAMS.map(() => []);
/* The yardstick floor known so far: the core section's readings, `more`, and the previous run's. */
const floorSoFar = (more: number[] = []): number =>
  Math.min(prevFloors.jsYardstickNs, lowFloor([...refYard.flat(), ...defYard.flat(), ...offYard.flat(), ...more]));

const ref = buildC('dmapool_ref.c', false);
if (!ref.ok) {
  process.stderr.write(`bench: cannot build the C reference (native/bench/dmapool_ref.c): ${ref.error}\n`);
  process.exit(1);
}

function coreReps(env: CoreEnv, into: number[][], yard: number[][] | null, tag: string, rep: number, reps: number, rounds = ROUNDS): void {
  for (let k = 0; k < NROWS; k++) {
    progress(tag, `rep ${rep + 1}/${reps} ${paramLabel(PARAMS[k]!)}`);
    if (!yard) {
      into[k]!.push(runCoreRow(env, PARAMS[k]!, rounds));
      continue;
    }
    const [ns, y] = bracketed(() => runCoreRow(env, PARAMS[k]!, rounds));
    into[k]!.push(ns);
    yard[k]!.push(y);
  }
}

function addRef(samples: RefSample[]): void {
  for (const s of samples) {
    refS[s.row]!.push(s.ref_locked_ns);
    refNoLockS[s.row]!.push(s.ref_ns);
    mallocS[s.row]!.push(s.malloc_ns);
    oobS[s.row]!.push(s.oob_ns);
  }
}

let koffi: KoffiResult = { ok: false, reason: 'not run (--only)' };
let bridge: BridgeResult = { ok: false, reason: 'not run (--only)' };
let bridgeCache: BridgeResult = { ok: false, reason: 'not run (--only)' };

if (opts.only.has('core')) {
  // "default": a machine as `new Machine()` makes it outside vitest (poisoning off,
  // the O(1) free checks always on). "optional off": poisoning explicitly off and
  // no slow-path hooks. Outside vitest both run the same code path; the second row
  // pins the configuration so it cannot drift with defaults.
  const envDef = makeCoreEnv(undefined);
  const envOff = makeCoreEnv({ poison: false });
  const restore = optionalOff(envOff);
  // Warm-up until the JIT has settled: the first optimized versions of the loop
  // (OSR, then a re-optimization with full feedback) run measurably slower.
  progress('warm-up', 'core');
  for (let w = 0; w < 4; w++) for (const p of PARAMS) runCoreRow(envDef, p, ROUNDS), runCoreRow(envOff, p, ROUNDS);
  warmYardstick();
  for (let rep = 0; rep < opts.reps; rep++) {
    progress('C reference', `rep ${rep + 1}/${opts.reps}`);
    for (let k = 0; k < NROWS; k++) {
      const [samples, y] = bracketed(() => runRef(ref.path, 1, ROUNDS, k));
      addRef(samples);
      refYard[k]!.push(y);
    }
    // Alternate the order of the two core configurations between repetitions.
    if (rep % 2 === 0) {
      coreReps(envDef, defS, defYard, 'core (default)', rep, opts.reps);
      coreReps(envOff, offS, offYard, 'core (optional off)', rep, opts.reps);
    } else {
      coreReps(envOff, offS, offYard, 'core (optional off)', rep, opts.reps);
      coreReps(envDef, defS, defYard, 'core (default)', rep, opts.reps);
    }
  }
  restore();
  disposeCoreEnv(envDef);
  disposeCoreEnv(envOff);
} else {
  progress('C reference', `${opts.reps} reps`);
  addRef(runRef(ref.path, opts.reps, ROUNDS));
}

if (opts.only.has('poison')) {
  // Informational: the configuration vitest runs with (poison + corruption check on every op).
  const env = makeCoreEnv({ poison: true });
  const reps = Math.min(3, opts.reps);
  for (const p of PARAMS) runCoreRow(env, p, 5);
  // 20 rounds, not 100: every round costs the same, and poisoning makes 100 slow.
  for (let rep = 0; rep < reps; rep++) coreReps(env, poisonS, null, 'core (poisoning on)', rep, reps, 20);
  disposeCoreEnv(env);
}

if (opts.only.has('thing')) {
  const addrs = new Float64Array(8192);
  const reps = Math.min(3, opts.reps);
  for (const p of PARAMS) runThingRow(p, 1, 1, addrs);
  for (let rep = 0; rep < reps; rep++) {
    for (let k = 0; k < NROWS; k++) {
      progress('@thi.ng/malloc', `rep ${rep + 1}/${reps} ${paramLabel(PARAMS[k]!)}`);
      const r = runThingRow(PARAMS[k]!, ROUNDS, opts.quick ? 100 : 250, addrs);
      thingS[k]!.push(r.ns);
      thingRounds[k] = r.rounds;
    }
  }
}

if (opts.only.has('koffi') || opts.only.has('bridge')) {
  progress('koffi', 'one bare C->JS callback');
  koffi = await measureKoffiCallback(opts.quick ? 3 : 7, 1_000_000);
}

if (opts.only.has('bridge')) {
  progress('bridge', 'dmashim run native/bench/dmapool_bridge_bench.c');
  // 5 repetitions: a row is judged on its undisturbed ones when there are 2 or more (Method).
  bridge = runBridge(opts.quick ? 1 : 5, ROUNDS, 300_000);
  progress('bridge', 'the same with --pool-cache');
  bridgeCache = runBridge(opts.quick ? 1 : 5, ROUNDS, 300_000, { poolCache: true });
}

const rows: RowResult[] = PARAMS.map((p, k) => {
  const bs = bridge.ok ? bridge.samples.filter((s) => s.row === k) : [];
  const bcs = bridgeCache.ok ? bridgeCache.samples.filter((s) => s.row === k) : [];
  return {
    label: paramLabel(p),
    size: p.size,
    align: p.align,
    boundary: p.boundary,
    blocks: nrBlocks(p.size),
    ref: summarize(refS[k]!),
    refNoLock: summarize(refNoLockS[k]!),
    malloc: summarize(mallocS[k]!),
    oob: summarize(oobS[k]!),
    coreDefault: summarize(defS[k]!),
    coreOff: summarize(offS[k]!),
    corePoison: poisonS[k]!.length ? summarize(poisonS[k]!) : null,
    thing: thingS[k]!.length ? summarize(thingS[k]!) : null,
    thingRounds: thingRounds[k]!,
    bridge: bs.length ? summarize(bs.map((s) => s.ns)) : null,
    bridgeAlloc: bs.length ? summarize(bs.map((s) => s.alloc_ns)) : null,
    bridgeFree: bs.length ? summarize(bs.map((s) => s.free_ns)) : null,
    bridgeCb: bs.some((s) => Number.isFinite(s.noop_ns)) ? summarize(bs.flatMap((s) => (Number.isFinite(s.noop_ns) ? [s.noop_ns!] : []))) : null,
    bridgeCache: bcs.length ? summarize(bcs.map((s) => s.ns)) : null,
    bridgeCacheAlloc: bcs.length ? summarize(bcs.map((s) => s.alloc_ns)) : null,
    bridgeCacheFree: bcs.length ? summarize(bcs.map((s) => s.free_ns)) : null,
  };
});

// ---------------------------------------------------------------- scale, memory, destroy, sg

interface ScaleResult {
  pattern: ScalePattern;
  perPool: number;
  live: number;
  ops: number;
  /** ns per op over the slices (each sample one slice's timed part). */
  core: Summary;
  harness: Summary;
  /** The control allocator (bench/lib/scale.ts ControlPool) in the same loop. */
  control: Summary;
  /** Median over slices of core - harness, and of control - harness. */
  net: number;
  controlNet: number;
  cRef: Summary | null;
  cHarness: Summary | null;
}

interface ScalePairResult extends ScalePaired {
  pattern: ScalePattern;
  sliceOps: number;
  warmOps: number;
  /** Slices with the yardstick before and after within QUIET_TOLERANCE of the floor. */
  quietSlices: number;
  /** The figures above are from the undisturbed slices, or from all when too few. */
  judgedOn: 'undisturbed' | 'all';
  /** The same figures over every slice. */
  all: ScalePaired;
  samples: ScaleSlice[];
  /** The yardstick around each slice (the slower of before and after). */
  yard: number[];
}

/* Undisturbed slices needed to judge on them alone (40 slices are taken, 10 with --quick). */
const MIN_QUIET_SLICES = 8;

const roundLoops = (l: ScaleLoops): ScaleLoops => ({ core: round4(l.core), harness: round4(l.harness), control: round4(l.control) });
const roundSlice = (x: ScaleSlice): ScaleSlice => ({ lo: roundLoops(x.lo), hi: roundLoops(x.hi) });

const scale: ScaleResult[] = [];
const scalePaired: ScalePairResult[] = [];
let metadata: MetadataReport | null = null;
const destroy: Array<{ pages: number; nsPerPage: Summary }> = [];
let sg: SgResult = { ok: false, reason: 'not run (--only)' };

if (opts.only.has('scale')) {
  const ops = opts.quick ? 200_000 : 1_000_000;
  // Paired slices (stats.ts pairedScale): both scales set up at once, read back to back in every slice.
  const sliceOps = opts.quick ? 40_000 : 100_000;
  const warmOps = sliceOps / 5;
  const slices = opts.quick ? 10 : 40;
  const cReps = opts.quick ? 3 : 9;
  for (const pattern of ['queue', 'random'] as const) {
    progress('scale', `${pattern}: setting up 1,000 pools x 1 and 1,000 pools x 1,000 live`);
    const lo = setupScale(1, ops, pattern);
    const hi = setupScale(1000, ops, pattern);
    if (pattern === 'queue') metadata = countMetadata(hi.pools);
    const loops =
      pattern === 'queue' ? [runScaleQueueOps, runScaleQueueHarness, runScaleQueueControl] : [runScaleOps, runScaleHarness, runScaleControl];
    for (const s of [lo, hi]) for (const f of loops) f(s);
    /*
     * Each loop is warmed on the slice's first warmOps operations, then timed on
     * the next sliceOps: the other scale's loops ran just before and evicted
     * this one's lines, and the verdict is about the steady state at each scale.
     */
    const read = (s: ScaleSetup, off: number): ScaleLoops => {
      const [core, harness, control] = loops.map((f) => {
        f(s, off, warmOps);
        return f(s, off + warmOps, sliceOps);
      });
      return { core: core!, harness: harness!, control: control! };
    };
    const samples: ScaleSlice[] = [];
    const yard: number[] = [];
    let off = 0;
    warmYardstick();
    for (let r = 0; r < slices; r++) {
      progress('scale', `${pattern}: slice ${r + 1}/${slices}`);
      if (off + warmOps + sliceOps > ops) off = 0;
      // Alternate which scale goes first, so neither always runs right after the other's footprint.
      const [x, y] = bracketed((): ScaleSlice => {
        if (r % 2 === 0) {
          const a = read(lo, off);
          return { lo: a, hi: read(hi, off) };
        }
        const b = read(hi, off);
        return { lo: read(lo, off), hi: b };
      });
      samples.push(x);
      yard.push(y);
      off += warmOps + sliceOps;
    }
    teardownScale(lo);
    teardownScale(hi);
    /*
     * A slow phase slows the compute-bound 1K loops and the memory-bound 1M ones
     * by different factors, so it does not cancel within a slice: the verdict
     * uses the undisturbed slices when there are MIN_QUIET_SLICES of them.
     */
    const q = quietMask(yard, QUIET_TOLERANCE, floorSoFar(yard));
    const nq = q.filter(Boolean).length;
    const used = nq >= MIN_QUIET_SLICES ? samples.filter((_, i) => q[i]) : samples;
    scalePaired.push({
      pattern,
      sliceOps,
      warmOps,
      quietSlices: nq,
      judgedOn: nq >= MIN_QUIET_SLICES ? 'undisturbed' : 'all',
      ...pairedScale(used),
      all: pairedScale(samples),
      samples: samples.map(roundSlice),
      yard: yard.map(round4),
    });
    for (const perPool of [1, 1000]) {
      const c = spawnSync(ref.path, ['scale', String(perPool), String(ops), String(cReps), pattern], { encoding: 'utf8' });
      const cl = c.status === 0 ? c.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { ref_ns: number; harness_ns: number }) : [];
      const side = (x: ScaleSlice): ScaleLoops => (perPool === 1 ? x.lo : x.hi);
      const core = summarize(samples.map((x) => side(x).core));
      const harness = summarize(samples.map((x) => side(x).harness));
      const control = summarize(samples.map((x) => side(x).control));
      scale.push({
        pattern,
        perPool,
        live: 1000 * perPool,
        ops: sliceOps,
        core,
        harness,
        control,
        net: median(samples.map((x) => side(x).core - side(x).harness)),
        controlNet: median(samples.map((x) => side(x).control - side(x).harness)),
        cRef: cl.length ? summarize(cl.map((x) => x.ref_ns)) : null,
        cHarness: cl.length ? summarize(cl.map((x) => x.harness_ns)) : null,
      });
    }
  }
}

if (opts.only.has('destroy')) {
  const env = makeCoreEnv({ poison: false, name: 'bench-destroy' });
  const sizes = opts.quick ? [1, 16, 256, 1024] : [1, 16, 256, 4096];
  const scratch = new Float64Array(2 * 64 * sizes[sizes.length - 1]!);
  const reps = opts.quick ? 3 : 7;
  for (const pages of sizes) measureDestroy(env, pages, scratch);
  for (const pages of sizes) {
    const xs: number[] = [];
    for (let r = 0; r < reps; r++) {
      progress('destroy', `${pages} pages, rep ${r + 1}/${reps}`);
      xs.push(measureDestroy(env, pages, scratch));
    }
    destroy.push({ pages, nsPerPage: summarize(xs) });
  }
  disposeCoreEnv(env);
}

if (opts.only.has('sg')) {
  progress('dma_map_sg', '16 / 1024 / 65536 entries');
  sg = await measureMapSg(opts.quick ? 3 : 9, floorSoFar());
}

progressDone();

// ---------------------------------------------------------------- targets

interface Target {
  name: string;
  value: string;
  pass: boolean | null;
}

const ratio = (a: Summary | null, b: Summary): number => (a && a.n ? a.median / b.median : NaN);
/*
 * The core targets are judged per row on the samples the VM ran undisturbed (the
 * JS yardstick around each sample within QUIET_TOLERANCE of the floor: the
 * 5th-percentile reading of this run, or of the previous run on this machine if lower),
 * when the core row and the C reference row both have MIN_QUIET of them; else on
 * all samples of both. The all-sample medians are printed beside them.
 */
const allYard = [...refYard.flat(), ...defYard.flat(), ...offYard.flat()];
// The scale slices' readings count toward this run's floor too (an --only scale run then stores its own).
const runYardFloor = lowFloor([...allYard, ...scalePaired.flatMap((p) => p.yard)]);
const yardFloor = Math.min(runYardFloor, prevFloors.jsYardstickNs);
const quietOf = (yard: number[]): boolean[] => quietMask(yard, QUIET_TOLERANCE, yardFloor);
const refQ = refYard.map(quietOf);
const defQ = defYard.map(quietOf);
const offQ = offYard.map(quietOf);
const count = (m: boolean[]): number => m.filter(Boolean).length;
const countAll = (ms: boolean[][]): number => ms.reduce((a, m) => a + count(m), 0);
const nQuietSamples = countAll(refQ) + countAll(defQ) + countAll(offQ);
const nSamples = allYard.length;
const enoughQ = (q: boolean[]): boolean => count(q) >= MIN_QUIET;
const quietOnly = (xs: number[], q: boolean[]): Summary => summarize(xs.filter((_, i) => q[i]));
const judgeQuiet = nSamples > 0 && nQuietSamples > 0;
const ratiosOffAll = rows.map((r) => ratio(r.coreOff, r.ref));
const ratiosDefAll = rows.map((r) => ratio(r.coreDefault, r.ref));
// A ratio's two sides from undisturbed samples, or both from all of them: never one of each.
const judgedRatio = (xs: number[], q: boolean[], k: number): number =>
  !xs.length
    ? NaN
    : enoughQ(q) && enoughQ(refQ[k]!)
      ? ratio(quietOnly(xs, q), quietOnly(refS[k]!, refQ[k]!))
      : ratio(summarize(xs), summarize(refS[k]!));
const ratiosOff = rows.map((_, k) => judgedRatio(offS[k]!, offQ[k]!, k));
const ratiosDef = rows.map((_, k) => judgedRatio(defS[k]!, defQ[k]!, k));
const rowsOnAll = rows.filter((_, k) => !(enoughQ(refQ[k]!) && enoughQ(offQ[k]!) && enoughQ(defQ[k]!))).map((r) => r.label);
const gmOff = geomean(ratiosOff);
const gmDef = geomean(ratiosDef);
const gmOffAll = geomean(ratiosOffAll);
const gmDefAll = geomean(ratiosDefAll);
const judgedOn = judgeQuiet
  ? `undisturbed samples (${nQuietSamples} of ${nSamples}; ${rowsOnAll.length ? `on all samples, too few undisturbed: ${rowsOnAll.join(', ')}` : 'every row'})`
  : `all samples`;
const gmOob = geomean(rows.map((r) => ratio(r.oob, r.ref)));
// Against the lock-elided C: what the language costs, algorithm for algorithm.
const gmOffNoLock = geomean(rows.map((r) => ratio(r.coreOff, r.refNoLock)));
const gmDefNoLock = geomean(rows.map((r) => ratio(r.coreDefault, r.refNoLock)));
// Best-of-N view (min over min): on a noisy VM it shows what the code does when nothing interferes.
const bestRatio = (a: Summary | null, b: Summary): number => (a && a.n ? a.min / b.min : NaN);
const gmOffBest = geomean(rows.map((r) => bestRatio(r.coreOff, r.ref)));
const gmDefBest = geomean(rows.map((r) => bestRatio(r.coreDefault, r.ref)));
const cbNoop = koffi.ok ? median(koffi.value.noop) : NaN;
const cbArgs = koffi.ok ? median(koffi.value.args) : NaN;
/*
 * The bridge target divides by the callback timed in the same child process
 * with that row (r.bridgeCb): koffi's callback cost moves by ~5 ns between
 * processes, as much as the margin being judged, and by up to 1.9x between
 * phases of one process. The ratio of the row medians ("unpaired") and the
 * bench-process callback (cbNoop) are kept as cross-checks.
 */
const unpairedAllocVsCb = rows.map((r) => (r.bridgeAlloc && r.bridgeCb ? r.bridgeAlloc.median / r.bridgeCb.median : NaN));
const unpairedFreeVsCb = rows.map((r) => (r.bridgeFree && r.bridgeCb ? r.bridgeFree.median / r.bridgeCb.median : NaN));
/*
 * The verdict pairs each round's alloc (free) with the callback timed around that
 * round (pairedRatio, bench/lib/bridge.ts), then takes the median over reps; a
 * program without per-round data falls back to the ratio of the row medians.
 * Each child process has its own floor (the 5th percentile of its callback readings): koffi's
 * callback cost moves by ~5 ns between processes, so no floor is carried over.
 */
const maxFinite = (xs: number[]): number => (xs.some(Number.isFinite) ? Math.max(...xs.filter(Number.isFinite)) : NaN);
const finiteMedian = (xs: number[]): number => median(xs.filter(Number.isFinite));
const noopFloorOf = (r: BridgeResult): number => {
  const rounds = r.ok ? r.samples.flatMap((x) => x.per_round ?? []) : [];
  const floor = lowFloor(rounds.flatMap((x) => (x.length > 3 ? [x[0]!, x[3]!] : [x[0]!])));
  return Number.isFinite(floor) ? floor : NaN;
};
const noopFloor = noopFloorOf(bridge);
const noopCeil = Number.isFinite(noopFloor) ? noopFloor * QUIET_TOLERANCE : Infinity;
const bridgeRounds = bridge.ok ? bridge.samples.flatMap((x) => x.per_round ?? []) : [];
const quietRoundShare = bridgeRounds.length ? bridgeRounds.filter((x) => roundQuiet(x, noopCeil)).length / bridgeRounds.length : NaN;
/* A rep of a row is undisturbed when its first round and at least MIN_QUIET_ROUNDS of its steady rounds are. */
const repQuiet = (per: number[][], ceil: number): boolean =>
  per.length > 0 && roundQuiet(per[0]!, ceil) && per.slice(1).filter((x) => roundQuiet(x, ceil)).length >= MIN_QUIET_ROUNDS;
/* With 2 or more undisturbed reps a row is judged on their undisturbed rounds; else on every round of every rep. */
const bridgeRowOnQuiet = (r: BridgeResult, k: number, ceil: number): boolean =>
  Number.isFinite(ceil) && r.ok && r.samples.filter((x) => x.row === k && x.per_round?.length && repQuiet(x.per_round, ceil)).length >= 2;
const pairedVsCb = (col: 1 | 2, fallback: number[], ceil: number): number[] =>
  PARAMS.map((_, k) => {
    const reps = bridge.ok ? bridge.samples.filter((x) => x.row === k && x.per_round?.length) : [];
    if (!reps.length) return fallback[k]!;
    if (bridgeRowOnQuiet(bridge, k, ceil)) return finiteMedian(reps.filter((x) => repQuiet(x.per_round!, ceil)).map((x) => pairedRatio(x.per_round!, col, ceil)));
    return finiteMedian(reps.map((x) => pairedRatio(x.per_round!, col, Infinity)));
  });
const bridgeAllocVsCb = pairedVsCb(1, unpairedAllocVsCb, noopCeil);
const bridgeFreeVsCb = pairedVsCb(2, unpairedFreeVsCb, noopCeil);
const bridgeAllVsCb = maxFinite([...pairedVsCb(1, unpairedAllocVsCb, Infinity), ...pairedVsCb(2, unpairedFreeVsCb, Infinity)]);
const bridgeRowsOnAll = rows.filter((_, k) => bridge.ok && !bridgeRowOnQuiet(bridge, k, noopCeil)).map((r) => r.label);
const bridgeVsCb = rows.map((_, k) => Math.max(bridgeAllocVsCb[k]!, bridgeFreeVsCb[k]!));
const maxBridgeVsCb = maxFinite(bridgeVsCb);
const worstBridgeRow = bridgeVsCb.indexOf(maxBridgeVsCb);
const worstBridgeOp = worstBridgeRow < 0 ? '' : bridgeAllocVsCb[worstBridgeRow]! >= bridgeFreeVsCb[worstBridgeRow]! ? 'alloc' : 'free';
const bridgeCbAll = rows.flatMap((r) => (r.bridgeCb ? r.bridgeCb.samples : []));
const bridgeCbMedian = median(bridgeCbAll);
const maxBridgeVsBenchCb = maxFinite(rows.map((r) => (r.bridgeAlloc && r.bridgeFree ? Math.max(r.bridgeAlloc.median, r.bridgeFree.median) / cbNoop : NaN)));
/*
 * Row (c') against the C reference: both sides from undisturbed samples (the
 * cache's undisturbed rounds of its undisturbed reps, floor of its own process;
 * the C reference row's undisturbed runs), or both from all samples.
 */
const cacheFloor = noopFloorOf(bridgeCache);
const cacheCeil = Number.isFinite(cacheFloor) ? cacheFloor * QUIET_TOLERANCE : Infinity;
const bridgeCacheVsRefAll = rows.map((r) => ratio(r.bridgeCache, r.ref));
const bridgeCacheVsRef = PARAMS.map((_, k) => {
  if (!bridgeCacheVsRefAll[k] || !bridgeRowOnQuiet(bridgeCache, k, cacheCeil) || !enoughQ(refQ[k]!)) return bridgeCacheVsRefAll[k]!;
  const quiet = bridgeCache.ok ? bridgeCache.samples.filter((x) => x.row === k && x.per_round?.length && repQuiet(x.per_round, cacheCeil)) : [];
  return finiteMedian(quiet.map((x) => roundsPerOp(x.per_round!, cacheCeil))) / quietOnly(refS[k]!, refQ[k]!).median;
});
const maxBridgeCacheVsRef = maxFinite(bridgeCacheVsRef);
const coreRan = ratiosOff.every(Number.isFinite);

const targets: Target[] = [];
if (coreRan) {
  const on = judgeQuiet ? ` over ${judgedOn}` : '';
  const all = (x: number): string => (judgeQuiet ? ` (all samples: ${fmt(x)})` : '');
  targets.push({ name: 'core, optional off: geomean of core/C-ref <= 1.0', value: `${fmt(gmOff)}${on}${all(gmOffAll)}`, pass: gmOff <= 1.0 });
  const worst = Math.max(...ratiosOff);
  targets.push({
    name: 'core, optional off: no row above 1.5x C-ref',
    value: `max ${fmt(worst)} (${rows[ratiosOff.indexOf(worst)]!.label})${on}${all(Math.max(...ratiosOffAll))}`,
    pass: worst <= 1.5,
  });
  targets.push({ name: 'core, default O(1) checks: geomean <= 1.3x C-ref', value: `${fmt(gmDef)}${on}${all(gmDefAll)}`, pass: gmDef <= 1.3 });
}
targets.push({
  name: 'bridge: each alloc or free <= 1.25x one bare koffi callback',
  value: Number.isFinite(maxBridgeVsCb)
    ? `max ${fmt(maxBridgeVsCb)} (${worstBridgeOp}, ${rows[worstBridgeRow]!.label}) of the callback timed in the same child process, paired round by round ` +
      `over undisturbed rounds (${fmt(quietRoundShare * 100, 2)}% of rounds: callback before and after <= ${QUIET_TOLERANCE}x this process's floor (5th percentile), ${fmt(noopFloor)} ns` +
      `${bridgeRowsOnAll.length ? `; on all rounds, too few undisturbed reps: ${bridgeRowsOnAll.join(', ')}` : ''}); all rounds: max ${fmt(bridgeAllVsCb)}; ` +
      `(${fmt(Math.min(...bridgeCbAll))}–${fmt(Math.max(...bridgeCbAll))} ns)` +
      `; unpaired, row medians: max ${fmt(maxFinite(rows.map((_, k) => Math.max(unpairedAllocVsCb[k]!, unpairedFreeVsCb[k]!))))}` +
      (Number.isFinite(maxBridgeVsBenchCb) ? `; of the bench process's ${fmt(cbNoop)} ns: max ${fmt(maxBridgeVsBenchCb)}` : '')
    : bridge.ok
      ? 'no same-process callback yardstick (noop_ns) in the BENCH lines'
      : 'skipped',
  pass: Number.isFinite(maxBridgeVsCb) ? maxBridgeVsCb <= 1.25 : null,
});
targets.push({
  name: "bridge + pool cache (c'): per op <= 3x C ref, every row",
  value: Number.isFinite(maxBridgeCacheVsRef)
    ? `max ${fmt(maxBridgeCacheVsRef)} (undisturbed rounds and C runs; row medians, all samples: max ${fmt(maxFinite(bridgeCacheVsRefAll))})`
    : bridgeCache.ok
      ? 'no C reference'
      : 'skipped',
  pass: Number.isFinite(maxBridgeCacheVsRef) ? maxBridgeCacheVsRef <= 3 : null,
});
for (const p of scalePaired) {
  const hi = scale.find((s) => s.pattern === p.pattern && s.perPool === 1000);
  const lo = scale.find((s) => s.pattern === p.pattern && s.perPool === 1);
  const cRaw = hi?.cRef && lo?.cRef ? `; C reference ${fmt(hi.cRef.median / lo.cRef.median)}x raw` : '';
  const pad = '\n         ';
  const over =
    p.judgedOn === 'undisturbed'
      ? `median of the ${p.slices} undisturbed paired slices (all ${p.all.slices}: ${fmt(p.all.ratio)})`
      : `median of all ${p.slices} paired slices (too few undisturbed: ${p.quietSlices}, this verdict is the loaded machine's)`;
  const value =
    `${fmt(p.ratio)}` +
    `${pad}${over}, quartiles ${fmt(p.q1)}–${fmt(p.q3)}; net ${fmt(p.loNet)} -> ${fmt(p.hiNet)} ns/op; raw ${fmt(p.rawRatio)}${cRaw}` +
    `${pad}control, an allocator whose state does not grow (${CONTROL_WORK} integer steps a free), same loop: ${fmt(p.controlRatio)} ` +
    `(net ${fmt(p.controlLoNet)} -> ${fmt(p.controlHiNet)} ns/op): what the loop alone costs an allocator of about the core's duration`;
  if (p.pattern === 'queue') {
    // Judged net of the harness: its own loads of the pair ring miss at 1M live for any allocator (the control row shows how much more the loop costs one).
    targets.push({ name: 'scale (queue, workload of record): allocator cost per op at 1M live <= 1.3x at 1K live, net of the harness loop', value, pass: p.ratio <= 1.3 });
  } else {
    // The stress pattern is reported, not judged: BENCHMARKS.md "Scale" shows what bounds it.
    targets.push({ name: 'scale (random, stress; not a target): the same figures', value, pass: null });
  }
}
if (metadata) {
  targets.push({
    // Judged on what the pools own plus the entries of the machine-wide arena-page table that cover
    // their pages; the whole table (4 B per RAM page, shared by every pool of the machine) is shown beside it.
    name: 'metadata <= 2 bytes per block (1M live 64-byte blocks: pool-owned + their page-table entries)',
    value: `${fmt(metadata.bytesPerBlock)} B/block (${fmt(metadata.bytesPerBlockWithMachine)} with the whole machine page table)`,
    pass: metadata.bytesPerBlock <= 2,
  });
}
if (destroy.length >= 2) {
  // O(pages): ns/page of the largest pool within 2x of the 16-page pool (the 1-page pool carries the fixed cost).
  const mid = destroy.find((d) => d.pages === 16) ?? destroy[1]!;
  const big = destroy[destroy.length - 1]!;
  const r = big.nsPerPage.median / mid.nsPerPage.median;
  targets.push({ name: `destroy O(pages): ns/page at ${big.pages} pages vs ${mid.pages} pages <= 2x`, value: fmt(r), pass: r <= 2 });
}
if (sg.ok) {
  const a = sg.points[0]!.ns_per_entry;
  const c = sg.points[sg.points.length - 1]!.ns_per_entry;
  const allRatio = sg.points[sg.points.length - 1]!.ns_per_entry_all / sg.points[0]!.ns_per_entry_all;
  const counts = sg.points.map((p) => p.quiet).join('/');
  targets.push({
    name: 'dma_map_sg linear: ns/entry at 65536 vs 16 entries <= 2x',
    value: `${fmt(c / a)} (undisturbed reps per point ${counts}; all reps: ${fmt(allRatio)})`,
    pass: c / a <= 2,
  });
} else {
  targets.push({ name: 'dma_map_sg linear in entries', value: `skipped: ${sg.reason}`, pass: null });
}

// ---------------------------------------------------------------- output

function table(head: string[], body: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n');
}

const out: string[] = [];
const cpu = cpus()[0]?.model ?? 'unknown';
const git = (args: string[]): string => {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
};
const commit = git(['rev-parse', '--short', 'HEAD']) || 'unknown';
const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';

out.push(
  `dmashim bench  commit ${commit}${dirty ? '+dirty' : ''}  node ${process.version}  ${ccVersion()}  ${cpus().length} x ${cpu}`,
  ...(coreRan || bridge.ok
    ? [`dmapool_test workload: ${ROUNDS} rounds of alloc-all/free-all; ns per alloc-or-free, median of ${opts.reps} reps [min–max]; ratios are medians of this run`]
    : []),
  '',
);
if (coreRan) {
  out.push(
    table(
      ['size/align/bdry', 'blocks', 'C ref', 'core default', 'x ref', 'core opt. off', 'x ref', 'C ref no lock', 'C out-of-band', 'x ref', 'glibc malloc', '@thi.ng MemPool', 'core poison on'],
      rows.map((r) => [
        r.label,
        String(r.blocks),
        fmtSpread(r.ref),
        fmtSpread(r.coreDefault),
        fmt(ratio(r.coreDefault, r.ref)),
        fmtSpread(r.coreOff),
        fmt(ratio(r.coreOff, r.ref)),
        fmt(r.refNoLock.median),
        fmt(r.oob.median),
        fmt(ratio(r.oob, r.ref)),
        fmt(r.malloc.median),
        r.thing ? `${fmt(r.thing.median)}${r.thingRounds < ROUNDS ? ` (${r.thingRounds} rd)` : ''}` : '-',
        r.corePoison ? fmt(r.corePoison.median) : '-',
      ]),
    ),
    `${'geomean of ratios'.padEnd(15)}  core default x ref ${fmt(gmDefAll)}   core optional off x ref ${fmt(gmOffAll)}   C out-of-band x ref ${fmt(gmOob)}   (all ${opts.reps} reps)`,
    `${''.padEnd(15)}  undisturbed samples (a JS yardstick right before and after each sample <= ${QUIET_TOLERANCE}x the floor; bench/lib/phase.ts): ` +
      `${nQuietSamples} of ${nSamples} (C ref ${countAll(refQ)}/${refYard.flat().length}); judged (per row, both sides from undisturbed samples when each has ${MIN_QUIET} or more, else from all): core default ${fmt(gmDef)}, core optional off ${fmt(gmOff)}; ` +
      `yardstick ${fmt(Math.min(...allYard), 2)}–${fmt(Math.max(...allYard), 2)} ns, floor ${fmt(yardFloor, 2)}${Number.isFinite(prevFloors.jsYardstickNs) ? ' (with earlier runs on this machine)' : ''}`,
    ...(nSamples && nQuietSamples === 0
      ? [`${''.padEnd(15)}  THIS RUN NEVER SAW THE MACHINE UNDISTURBED: its core ratios measure the VM's slow phase (judged on all samples)`]
      : []),
    `${''.padEnd(15)}  best-of-${opts.reps} (min/min): core default ${fmt(gmDefBest)}, core optional off ${fmt(gmOffBest)}; per row (opt. off): ` +
      rows.map((r) => `${r.label} ${fmt(bestRatio(r.coreOff, r.ref))}`).join(', '),
    `${''.padEnd(15)}  against the C reference with its lock elided (language vs language): core default ${fmt(gmDefNoLock)}, core optional off ${fmt(gmOffNoLock)}`,
    `${''.padEnd(15)}  C ref = the kernel's algorithm with its pool spinlock taken and released per call, as dma_pool_alloc/free do (reference of record)`,
    '',
  );
}
out.push(
  koffi.ok
    ? `one bare koffi callback (koffi ${koffi.value.version}, C loop -> registered JS noop): ${fmt(cbNoop)} ns [${fmt(Math.min(...koffi.value.noop))}–${fmt(Math.max(...koffi.value.noop))}]; with (int32, uint32) -> int64: ${fmt(cbArgs)} ns`
    : `one bare koffi callback: skipped: ${koffi.reason}`,
);
if (bridge.ok) {
  out.push(
    '',
    `bridge (core driven from C, ${bridge.command}):`,
    table(
      ['size/align/bdry', 'alloc ns', 'free ns', 'per op', 'x C ref', 'cb (same proc)', 'alloc x cb', 'free x cb', 'unpaired a/f'],
      rows.map((r, k) => [
        r.label,
        r.bridgeAlloc ? fmt(r.bridgeAlloc.median) : '-',
        r.bridgeFree ? fmt(r.bridgeFree.median) : '-',
        r.bridge ? fmt(r.bridge.median) : '-',
        fmt(ratio(r.bridge, r.ref)),
        r.bridgeCb ? fmtSpread(r.bridgeCb) : '-',
        Number.isFinite(bridgeAllocVsCb[k]!) ? fmt(bridgeAllocVsCb[k]!) : '-',
        Number.isFinite(bridgeFreeVsCb[k]!) ? fmt(bridgeFreeVsCb[k]!) : '-',
        `${fmt(unpairedAllocVsCb[k]!)} / ${fmt(unpairedFreeVsCb[k]!)}`,
      ]),
    ),
    `${''.padEnd(15)}  cb = dmashim_bench_noop(), one bare koffi callback timed in the bridge's process right before and right after each round of the row`,
    `${''.padEnd(15)}  x cb = each round's op / that round's cb, first round (page allocation) at full weight, steady rounds by their mean; median of reps;`,
    `${''.padEnd(15)}         rounds inside a slow phase of the VM (cb before or after > ${QUIET_TOLERANCE}x this process's floor, ${fmt((1 - quietRoundShare) * 100, 2)}% of rounds) left out,` +
      ` on rows with 2+ undisturbed reps (first round and 10+ steady rounds undisturbed); all rounds: max ${fmt(bridgeAllVsCb)}`,
    `${''.padEnd(15)}  unpaired = row median / row's median cb (a phase of slow JS calls in the VM skews it either way)`,
  );
  if (Number.isFinite(cbNoop)) {
    out.push(
      `${''.padEnd(15)}  cross-check, over the bench process's callback (${fmt(cbNoop)} ns, above): alloc x cb max ${fmt(maxFinite(rows.map((r) => (r.bridgeAlloc ? r.bridgeAlloc.median / cbNoop : NaN))))}, ` +
        `free x cb max ${fmt(maxFinite(rows.map((r) => (r.bridgeFree ? r.bridgeFree.median / cbNoop : NaN))))}; same-process cb, all rows: ${fmt(bridgeCbMedian)} ns`,
    );
  }
} else {
  out.push(`bridge row: skipped: ${bridge.reason}`);
}
if (bridgeCache.ok) {
  out.push(
    '',
    `bridge + pool cache (c'), same blocks in the same order (${bridgeCache.command}):`,
    table(
      ['size/align/bdry', 'alloc ns', 'free ns', 'per op', 'x C ref', 'x bridge'],
      rows.map((r) => [
        r.label,
        r.bridgeCacheAlloc ? fmt(r.bridgeCacheAlloc.median) : '-',
        r.bridgeCacheFree ? fmt(r.bridgeCacheFree.median) : '-',
        r.bridgeCache ? fmt(r.bridgeCache.median) : '-',
        fmt(ratio(r.bridgeCache, r.ref)),
        r.bridge && r.bridgeCache ? fmt(r.bridgeCache.median / r.bridge.median) : '-',
      ]),
    ),
  );
} else if (opts.only.has('bridge')) {
  out.push(`bridge + pool cache row: skipped: ${bridgeCache.reason}`);
}
if (scale.length) {
  out.push(
    '',
    'scale: 1,000 pools of 64-byte blocks, free+alloc pairs; ns per op, median over paired slices [min–max]',
    '  queue: a random pool frees its oldest block and allocates one (each pool a FIFO of in-flight blocks, as a descriptor ring)',
    '  random: a uniformly random live block is freed and reallocated (stress: the harness itself misses on every pair at 1M)',
    `  control: a minimal allocator (a LIFO of address pairs per pool, state constant in the live count, ${CONTROL_WORK} integer steps a free) in the same loop`,
    table(
      ['pattern', 'live blocks', 'core', 'harness only', 'core net', 'control net', 'C ref', 'C harness', 'C net'],
      scale.map((s) => [
        s.pattern,
        s.live.toLocaleString('en-US'),
        fmtSpread(s.core),
        fmt(s.harness.median),
        fmt(s.net),
        fmt(s.controlNet),
        s.cRef ? fmt(s.cRef.median) : '-',
        s.cHarness ? fmt(s.cHarness.median) : '-',
        s.cRef && s.cHarness ? fmt(s.cRef.median - s.cHarness.median) : '-',
      ]),
    ),
  );
}
if (metadata) {
  out.push('', describeMetadata(metadata));
}
if (destroy.length) {
  out.push('', 'dma_pool_destroy of an idle pool, ns per page: ' + destroy.map((d) => `${d.pages} pages ${fmtSpread(d.nsPerPage)}`).join(';  '));
}
out.push(
  '',
  sg.ok
    ? 'dma_map_sg + dma_unmap_sg, ns per entry: ' + sg.points.map((p) => `${p.entries} entries ${fmt(p.ns_per_entry)}`).join(';  ')
    : `dma_map_sg: skipped: ${sg.reason}`,
);
out.push('', 'targets:');
for (const t of targets) out.push(`  [${t.pass === null ? 'n/a ' : t.pass ? 'PASS' : 'FAIL'}] ${t.name}: ${t.value}`);

// Compare with the previous run, when there is one.
interface PrevRow {
  label: string;
  coreOff: { median: number };
  ref: { median: number };
}
if (coreRan && existsSync(latestPath)) {
  try {
    const prev = JSON.parse(readFileSync(latestPath, 'utf8')) as { commit?: string; timestamp?: string; rows?: PrevRow[] };
    const pr = prev.rows ?? [];
    if (pr.length === rows.length && pr.every((r) => r.coreOff && r.coreOff.median > 0)) {
      out.push(
        '',
        `vs previous latest.json (commit ${prev.commit ?? '?'}, ${prev.timestamp ?? '?'}): core optional off ` +
          rows.map((r, i) => `${r.label} ${fmt(r.coreOff.median)} (was ${fmt(pr[i]!.coreOff.median)})`).join(', '),
      );
    }
  } catch {
    /* an unreadable previous file only loses the comparison */
  }
}
out.push('', `total bench time ${elapsedSeconds().toFixed(0)} s`);
process.stdout.write(out.join('\n') + '\n');

// ---------------------------------------------------------------- JSON

const stamp = new Date().toISOString();
const json = {
  schema: 1,
  timestamp: stamp,
  commit,
  dirty,
  node: process.version,
  v8: process.versions.v8,
  cc: ccVersion(),
  cpu: { model: cpu, count: cpus().length, memBytes: totalmem() },
  reps: opts.reps,
  quick: opts.quick,
  rounds: ROUNDS,
  rows: rows.map((r, k) => ({
    ...r,
    ratioCoreDefault: round4(ratio(r.coreDefault, r.ref)),
    ratioCoreOff: round4(ratio(r.coreOff, r.ref)),
    ratioCOutOfBand: round4(ratio(r.oob, r.ref)),
    ratioCoreOffVsNoLock: round4(ratio(r.coreOff, r.refNoLock)),
    ratioBridge: r.bridge ? round4(ratio(r.bridge, r.ref)) : null,
    ratioBridgeCache: r.bridgeCache ? round4(ratio(r.bridgeCache, r.ref)) : null,
    ratioBridgeAllocVsCb: Number.isFinite(bridgeAllocVsCb[k]!) ? round4(bridgeAllocVsCb[k]!) : null,
    ratioBridgeFreeVsCb: Number.isFinite(bridgeFreeVsCb[k]!) ? round4(bridgeFreeVsCb[k]!) : null,
    ratioBridgeAllocVsCbUnpaired: Number.isFinite(unpairedAllocVsCb[k]!) ? round4(unpairedAllocVsCb[k]!) : null,
    ratioBridgeFreeVsCbUnpaired: Number.isFinite(unpairedFreeVsCb[k]!) ? round4(unpairedFreeVsCb[k]!) : null,
  })),
  geomean: {
    coreDefault: round4(gmDef),
    coreOff: round4(gmOff),
    coreDefaultAllReps: round4(gmDefAll),
    coreOffAllReps: round4(gmOffAll),
    judgedOn,
    yardstickNs: { ref: refYard.map((a) => a.map(round4)), coreDefault: defYard.map((a) => a.map(round4)), coreOff: offYard.map((a) => a.map(round4)) },
    cOutOfBand: round4(gmOob),
    coreDefaultBest: round4(gmDefBest),
    coreOffBest: round4(gmOffBest),
    coreDefaultVsNoLock: round4(gmDefNoLock),
    coreOffVsNoLock: round4(gmOffNoLock),
  },
  koffi: koffi.ok ? { ...koffi.value, noopMedian: cbNoop, argsMedian: cbArgs } : { skipped: koffi.reason },
  bridge: bridge.ok
    ? {
        command: bridge.command,
        maxOpVsCallback: round4(maxBridgeVsCb),
        maxOpVsCallbackAllRounds: round4(bridgeAllVsCb),
        // Every BENCH line, with every round's [noop, alloc, free]: the verdict can be recomputed.
        samples: bridge.samples,
        quietRoundShare: round4(quietRoundShare),
        callbackYardstick: 'same child process, paired round by round (rows[].ratioBridge*VsCb); unpaired ratios of row medians in rows[].ratioBridge*VsCbUnpaired',
        sameProcessCallbackMedian: round4(bridgeCbMedian),
        maxOpVsBenchProcessCallback: round4(maxBridgeVsBenchCb),
      }
    : { skipped: bridge.reason },
  bridgeCache: bridgeCache.ok
    ? { command: bridgeCache.command, maxOpVsRef: round4(maxBridgeCacheVsRef), maxOpVsRefAllSamples: round4(maxFinite(bridgeCacheVsRefAll)), samples: bridgeCache.samples }
    : { skipped: bridgeCache.reason },
  scale,
  scalePaired,
  metadata,
  destroy,
  sg: sg.ok ? sg.points : { skipped: sg.reason },
  targets,
  floors: {
    // This run's own floor (5th percentile; not a running minimum, so the floor cannot ratchet down over runs).
    jsYardstickNs: Number.isFinite(runYardFloor) ? round4(runYardFloor) : Number.isFinite(prevFloors.jsYardstickNs) ? prevFloors.jsYardstickNs : null,
    // For information: the bridge judges each process against its own floor.
    bridgeNoopNs: Number.isFinite(noopFloor) ? round4(noopFloor) : null,
  },
  seconds: Math.round(elapsedSeconds()),
};
mkdirSync(resultsDir, { recursive: true });
const file = join(resultsDir, stamp.replace(/[:.]/g, '-') + '.json');
writeFileSync(file, JSON.stringify(json, null, 1) + '\n');
writeFileSync(latestPath, JSON.stringify(json, null, 1) + '\n');
process.stdout.write(`results: ${file.slice(ROOT.length)} (and bench/results/latest.json)\n`);

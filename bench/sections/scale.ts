/*
 * Scale: 1,000 pools at 1 and at 1,000 live blocks each, both set up at once and
 * read in paired slices (bench/lib/stats.ts pairedScale), plus the C reference's
 * same experiment and the metadata count at 1M live.
 */
import { spawnSync } from 'node:child_process';
import { summarize, median, round4, pairedScale } from '../lib/stats.ts';
import type { Summary, ScaleLoops, ScaleSlice, ScalePaired } from '../lib/stats.ts';
import { bracketed, warmYardstick, quietMask, lowFloor, QUIET_TOLERANCE } from '../lib/phase.ts';
import {
  setupScale,
  runScaleOps,
  runScaleHarness,
  runScaleQueueOps,
  runScaleQueueHarness,
  runScaleControl,
  runScaleQueueControl,
  teardownScale,
  countMetadata,
  type ScalePattern,
  type ScaleSetup,
  type MetadataReport,
} from '../lib/scale.ts';
import { progress } from '../lib/progress.ts';

export interface ScaleResult {
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

export interface ScalePairResult extends ScalePaired {
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

export interface ScaleRuns {
  scale: ScaleResult[];
  scalePaired: ScalePairResult[];
  /** Counted on the queue pattern's 1M-live setup. */
  metadata: MetadataReport | null;
}

/* Undisturbed slices needed to judge on them alone (40 slices are taken, 10 with --quick). */
const MIN_QUIET_SLICES = 8;

const roundLoops = (l: ScaleLoops): ScaleLoops => ({
  core: round4(l.core),
  harness: round4(l.harness),
  control: round4(l.control),
});
const roundSlice = (x: ScaleSlice): ScaleSlice => ({ lo: roundLoops(x.lo), hi: roundLoops(x.hi) });

/**
 * `refExe`: the C reference (its `scale` mode). `floorHint` and `earlierYard`: the
 * previous run's yardstick floor and this run's readings so far, which together
 * with the slices' own readings set the floor the slices are judged against.
 */
export function runScaleSection(refExe: string, quick: boolean, floorHint: number, earlierYard: number[]): ScaleRuns {
  const out: ScaleRuns = { scale: [], scalePaired: [], metadata: null };
  const ops = quick ? 200_000 : 1_000_000;
  // Paired slices (stats.ts pairedScale): both scales set up at once, read back to back in every slice.
  const sliceOps = quick ? 40_000 : 100_000;
  const warmOps = sliceOps / 5;
  const slices = quick ? 10 : 40;
  const cReps = quick ? 3 : 9;
  for (const pattern of ['queue', 'random'] as const) {
    progress('scale', `${pattern}: setting up 1,000 pools x 1 and 1,000 pools x 1,000 live`);
    const lo = setupScale(1, ops, pattern);
    const hi = setupScale(1000, ops, pattern);
    if (pattern === 'queue') out.metadata = countMetadata(hi.pools);
    const loops =
      pattern === 'queue'
        ? [runScaleQueueOps, runScaleQueueHarness, runScaleQueueControl]
        : [runScaleOps, runScaleHarness, runScaleControl];
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
    const q = quietMask(yard, QUIET_TOLERANCE, Math.min(floorHint, lowFloor([...earlierYard, ...yard])));
    const nq = q.filter(Boolean).length;
    const used = nq >= MIN_QUIET_SLICES ? samples.filter((_, i) => q[i]) : samples;
    out.scalePaired.push({
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
      const c = spawnSync(refExe, ['scale', String(perPool), String(ops), String(cReps), pattern], {
        encoding: 'utf8',
      });
      const cl =
        c.status === 0
          ? c.stdout
              .split('\n')
              .filter((l) => l.startsWith('{'))
              .map((l) => JSON.parse(l) as { ref_ns: number; harness_ns: number })
          : [];
      const side = (x: ScaleSlice): ScaleLoops => (perPool === 1 ? x.lo : x.hi);
      out.scale.push({
        pattern,
        perPool,
        live: 1000 * perPool,
        ops: sliceOps,
        core: summarize(samples.map((x) => side(x).core)),
        harness: summarize(samples.map((x) => side(x).harness)),
        control: summarize(samples.map((x) => side(x).control)),
        net: median(samples.map((x) => side(x).core - side(x).harness)),
        controlNet: median(samples.map((x) => side(x).control - side(x).harness)),
        cRef: cl.length ? summarize(cl.map((x) => x.ref_ns)) : null,
        cHarness: cl.length ? summarize(cl.map((x) => x.harness_ns)) : null,
      });
    }
  }
  return out;
}

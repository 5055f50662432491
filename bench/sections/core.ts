/*
 * The dmapool_test rows in process: the C reference (one process per row and
 * repetition) interleaved with the TypeScript core in its two configurations, each
 * sample bracketed by the JS yardstick (bench/lib/phase.ts); and the informational
 * "poisoning on" row. Returns raw samples; bench/judge.ts decides what counts.
 */
import { PARAMS, ROUNDS, paramLabel } from '../lib/params.ts';
import { runRef, type RefSample } from '../lib/native.ts';
import { makeCoreEnv, disposeCoreEnv, optionalOff, runCoreRow, type CoreEnv } from '../lib/core.ts';
import { bracketed, warmYardstick } from '../lib/phase.ts';
import { progress } from '../lib/progress.ts';

/** ns per alloc-or-free, one array of samples per PARAMS row. */
export type RowSamples = number[][];

export interface CoreSamples {
  /** C reference of record: the kernel's algorithm with its pool lock. */
  ref: RowSamples;
  /** The same without the lock (diagnostic). */
  refNoLock: RowSamples;
  malloc: RowSamples;
  oob: RowSamples;
  /** Empty rows when the core section did not run. */
  coreDefault: RowSamples;
  coreOff: RowSamples;
  /*
   * The JS yardstick right before and after each sample: the slower of the two,
   * per sample (C reference: around one process per row, which runs its own
   * warm-up pass and then the row; core: around each row). The VM's slow phases
   * are often shorter than a repetition. Empty when the core section did not run.
   */
  refYard: RowSamples;
  defYard: RowSamples;
  offYard: RowSamples;
}

const perRow = (): RowSamples => PARAMS.map(() => []);

/** Every yardstick reading of the core section, in one array. */
export function coreYardReadings(s: CoreSamples): number[] {
  return [...s.refYard.flat(), ...s.defYard.flat(), ...s.offYard.flat()];
}

function coreReps(
  env: CoreEnv,
  into: RowSamples,
  yard: RowSamples | null,
  tag: string,
  rep: number,
  reps: number,
  rounds = ROUNDS,
): void {
  for (let k = 0; k < PARAMS.length; k++) {
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

function addRef(s: CoreSamples, samples: RefSample[]): void {
  for (const x of samples) {
    s.ref[x.row]!.push(x.ref_locked_ns);
    s.refNoLock[x.row]!.push(x.ref_ns);
    s.malloc[x.row]!.push(x.malloc_ns);
    s.oob[x.row]!.push(x.oob_ns);
  }
}

/**
 * The C reference rows, and with `withCore` the core's two configurations
 * interleaved with them repetition by repetition. Without `withCore` the C
 * reference alone runs all its repetitions in one process (the bridge rows still
 * divide by it).
 */
export function runCoreSection(refExe: string, reps: number, withCore: boolean): CoreSamples {
  const s: CoreSamples = {
    ref: perRow(),
    refNoLock: perRow(),
    malloc: perRow(),
    oob: perRow(),
    coreDefault: perRow(),
    coreOff: perRow(),
    refYard: perRow(),
    defYard: perRow(),
    offYard: perRow(),
  };
  if (!withCore) {
    progress('C reference', `${reps} reps`);
    addRef(s, runRef(refExe, reps, ROUNDS));
    return s;
  }
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
  for (let w = 0; w < 4; w++)
    for (const p of PARAMS) {
      runCoreRow(envDef, p, ROUNDS);
      runCoreRow(envOff, p, ROUNDS);
    }
  warmYardstick();
  for (let rep = 0; rep < reps; rep++) {
    progress('C reference', `rep ${rep + 1}/${reps}`);
    for (let k = 0; k < PARAMS.length; k++) {
      const [samples, y] = bracketed(() => runRef(refExe, 1, ROUNDS, k));
      addRef(s, samples);
      s.refYard[k]!.push(y);
    }
    // Alternate the order of the two core configurations between repetitions.
    if (rep % 2 === 0) {
      coreReps(envDef, s.coreDefault, s.defYard, 'core (default)', rep, reps);
      coreReps(envOff, s.coreOff, s.offYard, 'core (optional off)', rep, reps);
    } else {
      coreReps(envOff, s.coreOff, s.offYard, 'core (optional off)', rep, reps);
      coreReps(envDef, s.coreDefault, s.defYard, 'core (default)', rep, reps);
    }
  }
  restore();
  disposeCoreEnv(envDef);
  disposeCoreEnv(envOff);
  return s;
}

/** Informational: the configuration vitest runs with (poison + corruption check on every op). */
export function runPoisonSection(reps: number): RowSamples {
  const out = perRow();
  const env = makeCoreEnv({ poison: true });
  const n = Math.min(3, reps);
  for (const p of PARAMS) runCoreRow(env, p, 5);
  // 20 rounds, not 100: every round costs the same, and poisoning makes 100 slow.
  for (let rep = 0; rep < n; rep++) coreReps(env, out, null, 'core (poisoning on)', rep, n, 20);
  disposeCoreEnv(env);
  return out;
}

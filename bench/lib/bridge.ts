/*
 * Row (c): the TypeScript core driven from C through the koffi bridge (native/,
 * src/bridge/, include/, bin/dmashim.js). This row runs the C program
 * native/bench/dmapool_bridge_bench.c with the project's own runner,
 * `dmashim run FILE.c`, in a child process (as every C program is run under
 * dmashim), and reads the "BENCH {json}" lines it prints. When the runner, the
 * headers or koffi are missing the row is skipped with the reason.
 *
 * Row (c) runs with `--no-pool-cache`. Row (c'): the same program as a user
 * runs it, with the C-side per-pool block cache that batches crossings (on by
 * default, docs/bridge.md); same blocks in the same order.
 *
 * Each line also carries the row's yardstick, `noop_ns`: one bare koffi
 * callback (dmashim_bench_noop) timed in the same child process, round by round
 * with the row. koffi's callback cost moves by several ns between processes,
 * which alone flipped the bridge target when it was divided by a callback timed
 * in the bench process. Within one process, too, this VM has phases (0.1-4 s,
 * sometimes flickering within a millisecond) in which every JS call, the bare
 * callback included, runs up to 1.9x slower while C code barely moves. So each
 * line also carries every round's [noop before, alloc, free, noop after], and
 * the target pairs them round by round (pairedRatio).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, NATIVE_BENCH } from './native.ts';

export interface BridgeSample {
  row: number;
  rep: number;
  alloc_ns: number;
  free_ns: number;
  ns: number;
  /** 1 when the C-side pool block cache was in use for the row (--pool-cache), else 0. */
  cached?: number;
  /** ns per dmashim_bench_noop() (one bare `void (void)` koffi callback), timed in this rep of this row; absent from a program that predates it. */
  noop_ns?: number;
  /**
   * Each round's [noop before, alloc, free, noop after] ns per call, in round order
   * (the first round allocates the pages); older versions of the C program printed
   * no "noop after".
   */
  per_round?: number[][];
}

export const MIN_QUIET_ROUNDS = 10;

/** The callback timing a round is paired with: the mean of the readings before and after it (before only, if that is all). */
export function roundNoop(x: readonly number[]): number {
  return x.length > 3 ? (x[0]! + x[3]!) / 2 : x[0]!;
}

/**
 * A round is undisturbed when the callback was fast both before and after it:
 * selecting on one reading alone would favour rounds whose one reading happened
 * to fall in a fast moment, and inflate op / callback when phases flicker.
 */
export function roundQuiet(x: readonly number[], noopCeil: number): boolean {
  return Math.max(x[0]!, x.length > 3 ? x[3]! : x[0]!) <= noopCeil;
}

/**
 * The row's cost in bare callbacks, paired round by round: r_i = op_i / noop_i
 * (noop_i: the mean of the callback readings right before and right after the
 * round, roundNoop), and the workload's ratio is the mean over its rounds with
 * the first round at full weight (it allocates every page, as in dmapool_test):
 * (r_0 + (R - 1) * mean(steady r_i)) / R. `col`: 1 alloc, 2 free.
 *
 * `noopCeil`: steady rounds whose callback readings were not both within it ran
 * inside one of the VM's slow phases (bench/lib/phase.ts); they are left out
 * when at least MIN_QUIET_ROUNDS remain. Rounds are never left out by their own
 * time (hence the mean, not a median).
 */
export function pairedRatio(per: readonly (readonly number[])[], col: 1 | 2, noopCeil = Infinity): number {
  const r = per.map((x) => x[col]! / roundNoop(x));
  return r.some((x) => !Number.isFinite(x)) ? NaN : workloadMean(r, per, noopCeil);
}

/*
 * The workload's mean of one value per round: the first round at full weight, the
 * steady rounds by the mean of those undisturbed under `noopCeil` when at least
 * MIN_QUIET_ROUNDS are, else of all. The mean, not the median: a round may be left
 * out only by the callback readings around it, never by its own time.
 */
function workloadMean(v: readonly number[], per: readonly (readonly number[])[], noopCeil: number): number {
  if (v.length <= 1) return v.length ? v[0]! : NaN;
  const quiet = v.slice(1).filter((_, i) => roundQuiet(per[i + 1]!, noopCeil));
  const steady = quiet.length >= MIN_QUIET_ROUNDS ? quiet : v.slice(1);
  return (v[0]! + (v.length - 1) * (steady.reduce((a, x) => a + x, 0) / steady.length)) / v.length;
}

export interface BridgeOptions {
  /**
   * false: row (c), `--no-pool-cache`. Absent or true: row (c'), the default
   * (the cache on); a number: `--pool-cache=N`. The C program checks whether
   * the cache was really used and says so in `cached`.
   */
  poolCache?: boolean | number;
}

export type BridgeResult = { ok: true; samples: BridgeSample[]; command: string } | { ok: false; reason: string };

/** The runner's entry, when the bridge exists: bin/dmashim.js plus a non-empty src/bridge/. */
export function bridgeRunner(): string | null {
  const bin = join(ROOT, 'bin', 'dmashim.js');
  const dir = join(ROOT, 'src', 'bridge');
  if (!existsSync(bin) || !existsSync(dir) || readdirSync(dir).length === 0) return null;
  return bin;
}

export function runBridge(reps: number, rounds: number, timeoutMs: number, opts: BridgeOptions = {}): BridgeResult {
  const bin = bridgeRunner();
  if (!bin) return { ok: false, reason: 'bridge not available (no bin/dmashim.js or src/bridge/)' };
  const src = join(NATIVE_BENCH, 'dmapool_bridge_bench.c');
  // The cache is on by default: row (c) asks for it off, row (c') runs as a user's program does.
  const cache =
    opts.poolCache === false
      ? ['--no-pool-cache']
      : opts.poolCache === undefined || opts.poolCache === true
        ? []
        : [`--pool-cache=${opts.poolCache}`];
  const args = [bin, 'run', src, '--quiet', '--cflags=-O2', ...cache];
  const r = spawnSync(process.execPath, args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, BENCH_REPS: String(reps), BENCH_ROUNDS: String(rounds), DMASHIM_QUIET: '1' },
    maxBuffer: 16 << 20,
  });
  const command = ['node bin/dmashim.js run native/bench/dmapool_bridge_bench.c --quiet --cflags=-O2', ...cache].join(
    ' ',
  );
  if (r.error) return { ok: false, reason: `bridge not available (${command}: ${r.error.message})` };
  const samples = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('BENCH {'))
    .map((l) => JSON.parse(l.slice(6)) as BridgeSample);
  if (r.status !== 0 || samples.length === 0) {
    const why = (r.stderr || r.stdout || '').trim().split('\n').slice(0, 6).join(' | ');
    return {
      ok: false,
      reason: `bridge not available (${command} exited ${r.status ?? r.signal}: ${why.slice(0, 400)})`,
    };
  }
  // A cache row that did not use the cache (refused, or an old bridge) would silently measure the uncached path,
  // and an uncached row that did would measure the cache.
  const wantCache = opts.poolCache !== false;
  if (samples.some((s) => (s.cached === 1) !== wantCache)) {
    if (!wantCache) return { ok: false, reason: `pool cache in use despite --no-pool-cache (${command})` };
    return { ok: false, reason: `pool cache not in use (${command}: ${(r.stderr || '').trim().split('\n')[0] ?? ''})` };
  }
  return { ok: true, samples, command };
}

/**
 * ns per op (alloc and free alike) of one row, from its rounds: the first round
 * at full weight, the mean of the steady rounds whose callback readings were
 * both at most `noopCeil` when at least MIN_QUIET_ROUNDS are (as pairedRatio).
 * For row (c'), whose target is against the C reference, not the callback.
 */
export function roundsPerOp(per: readonly (readonly number[])[], noopCeil = Infinity): number {
  return workloadMean(
    per.map((x) => (x[1]! + x[2]!) / 2),
    per,
    noopCeil,
  );
}

/*
 * The VM's phases. On this kind of 2-vCPU VM, for stretches of 0.1-4 s, JIT-compiled
 * JavaScript runs 1.5-2x slower (a koffi callback up to 1.9x) while a small C loop
 * slows by 10-25%: no steal time and an idle second vCPU in the guest's own counters,
 * so it comes from outside the guest (most likely another tenant on the same
 * physical core: code with more calls and branches suffers most). A ratio of JS to
 * C measured across such a phase measures the neighbour.
 *
 * The yardstick here is a bare Int32Array free stack in JavaScript (the simplest
 * possible free list): ~0.5 ns per push or pop undisturbed, 0.6-1.4 inside a slow
 * phase, and it moves together with the core's own rows (measured: 0.48 ns <-> 7.8
 * ns/op on the 16-byte row, 0.6-1.4 <-> 11-13). Timed right before and after each
 * sample (bracketed), it says which samples ran undisturbed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { nowNs } from './stats.ts';

const stack = new Int32Array(8192);

/** ns per push or pop of a bare Int32Array stack: 8192 slots, `rounds` rounds of pop-all/push-all (8: ~70 µs). */
export function jsYardstick(rounds = 8): number {
  // A local, not the module binding, in the loops: code TurboFan compiles on its background thread reloads a module binding on every access (the core's old "slow mode").
  const st = stack;
  let top = 0;
  for (let i = 0; i < 8192; i++) st[top++] = i;
  let sum = 0;
  const t0 = nowNs();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < 8192; i++) sum += st[--top]!;
    for (let i = 0; i < 8192; i++) st[top++] = i;
  }
  const ns = (nowNs() - t0) / (rounds * 8192 * 2);
  // Keep the pops observable so the loop cannot be dropped.
  return sum === -1 ? NaN : ns;
}

/** Run `measure` between two yardstick readings: its result and the slower reading. */
export function bracketed<T>(measure: () => T): [T, number] {
  const before = jsYardstick();
  const x = measure();
  return [x, Math.max(before, jsYardstick())];
}

/** Enough calls for TurboFan to have compiled the yardstick before its readings count. */
export function warmYardstick(): void {
  for (let w = 0; w < 200; w++) jsYardstick();
}

/** How far from undisturbed a yardstick reading may be and still count as quiet. */
export const QUIET_TOLERANCE = 1.25;

/**
 * Which readings are quiet: at most QUIET_TOLERANCE x the floor, the run's low
 * reading (lowFloor) or `floorHint` (the previous run's on this machine) if
 * lower. With the hint, a run that spent all its time inside a slow phase has
 * no quiet readings instead of calling its slow floor quiet.
 */
export function quietMask(readings: readonly number[], tolerance = QUIET_TOLERANCE, floorHint = Infinity): boolean[] {
  const floor = Math.min(lowFloor(readings), floorHint);
  if (!Number.isFinite(floor)) return readings.map(() => false);
  return readings.map((x) => Number.isFinite(x) && x <= floor * tolerance);
}

/**
 * The floor of a set of readings: their 5th percentile, not their minimum, so a
 * single outlier (a reading 15% below every other, seen once in 6,000 bridge
 * rounds) cannot disqualify every ordinary undisturbed reading. Infinity if none.
 */
export function lowFloor(readings: readonly number[]): number {
  const xs = readings.filter(Number.isFinite).sort((a, b) => a - b);
  return xs.length ? xs[Math.floor((xs.length - 1) * 0.05)]! : Infinity;
}

/** The previous run's yardstick floor (lowFloor of its readings), carried to the next run in the results JSON. */
export interface Floors {
  /** jsYardstick(), ns per op. */
  jsYardstickNs: number;
}

/**
 * The floor of the previous run (`latestPath`, its "floors": that run's own
 * floor, not a running minimum, so floors do not ratchet down over runs), if it ran on the
 * same machine kind and node: same CPU model and count, same node version.
 * Infinity where there is none.
 */
export function previousFloors(latestPath: string): Floors {
  const none: Floors = { jsYardstickNs: Infinity };
  if (!existsSync(latestPath)) return none;
  try {
    const prev = JSON.parse(readFileSync(latestPath, 'utf8')) as {
      node?: string;
      cpu?: { model?: string; count?: number };
      floors?: Partial<Floors>;
    };
    if (
      prev.node !== process.version ||
      prev.cpu?.model !== (cpus()[0]?.model ?? 'unknown') ||
      prev.cpu?.count !== cpus().length
    )
      return none;
    const f = prev.floors ?? {};
    const ok = (x: unknown): number => (typeof x === 'number' && x > 0 ? x : Infinity);
    return { jsYardstickNs: ok(f.jsYardstickNs) };
  } catch {
    return none;
  }
}

/** Fewest quiet repetitions (or rounds) a verdict is taken from; with fewer, all of them are used. */
export const MIN_QUIET = 3;

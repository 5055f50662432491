/*
 * The VM's phases. On this kind of 2-vCPU VM, for stretches of 0.1-4 s, JIT-compiled
 * JavaScript runs 1.5-2x slower (a koffi callback up to 1.9x) while a small C loop
 * slows by 10-25%: no steal time and an idle second vCPU in the guest's own counters,
 * so it comes from outside the guest (most likely another tenant on the same
 * physical core: code with more calls and branches suffers most). A ratio of JS to
 * C measured across such a phase measures the neighbour.
 *
 * The yardstick here is a bare Int32Array free stack in JavaScript (the "about
 * 4 ns" reference shape): ~0.6 ns per push or pop undisturbed, ~1 ns inside a slow
 * phase, and it moves together with the core's own rows (measured: 8.5 vs 12.7 ns on
 * the 16-byte row, 80 alternations). Timed around each repetition, it says which
 * repetitions ran undisturbed.
 */
import { nowNs } from './stats.ts';

const stack = new Int32Array(8192);

/** ns per push or pop of a bare Int32Array stack: 8192 slots, `rounds` rounds of pop-all/push-all. */
export function jsYardstick(rounds = 40): number {
  let top = 0;
  for (let i = 0; i < 8192; i++) stack[top++] = i;
  let sum = 0;
  const t0 = nowNs();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < 8192; i++) sum += stack[--top]!;
    for (let i = 0; i < 8192; i++) stack[top++] = i;
  }
  const ns = (nowNs() - t0) / (rounds * 8192 * 2);
  // Keep the pops observable so the loop cannot be dropped.
  return sum === -1 ? NaN : ns;
}

/** How far from undisturbed a yardstick reading may be and still count as quiet. */
export const QUIET_TOLERANCE = 1.25;

/** Which readings are quiet: at most QUIET_TOLERANCE x the fastest reading of the run. */
export function quietMask(readings: readonly number[], tolerance = QUIET_TOLERANCE): boolean[] {
  const finite = readings.filter(Number.isFinite);
  if (finite.length === 0) return readings.map(() => false);
  const floor = Math.min(...finite);
  return readings.map((x) => Number.isFinite(x) && x <= floor * tolerance);
}

/** Fewest quiet repetitions (or rounds) a verdict is taken from; with fewer, all of them are used. */
export const MIN_QUIET = 3;

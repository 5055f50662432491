/* The bench's estimators: the bridge target's pairedRatio (rounds paired with their own callback timing), the yardstick's quietMask, the scale target's pairedScale. */
import { describe, it, expect } from 'vitest';
import { pairedRatio, roundsPerOp, roundQuiet, MIN_QUIET_ROUNDS } from '../bench/lib/bridge.ts';
import { quietMask, lowFloor } from '../bench/lib/phase.ts';
import { pairedScale, quantile, median, type ScaleSlice } from '../bench/lib/stats.ts';

describe('pairedRatio', () => {
  it('charges the first round (page allocation) at full weight and the steady rounds at their mean', () => {
    // r = [10, 1.1, 1.1, 1.1] for alloc: (10 + 3 * 1.1) / 4
    const per: [number, number, number][] = [
      [100, 1000, 100],
      [100, 110, 120],
      [200, 220, 240],
      [100, 110, 120],
    ];
    expect(pairedRatio(per, 1)).toBeCloseTo(3.325, 10);
    expect(pairedRatio(per, 2)).toBeCloseTo((1 + 3 * 1.2) / 4, 10);
  });

  it('a round is left out by the callback readings around it only, never by its own time', () => {
    const quiet = Array.from({ length: MIN_QUIET_ROUNDS }, (): number[] => [100, 110, 110, 100]);
    const slowOp = [100, 210, 110, 100]; // callback quiet both sides, op slow: kept, and it counts
    const slowCb = [190, 110, 110, 180]; // callback slow: left out
    const per = [[100, 110, 110, 100], ...quiet, slowOp, slowCb];
    const R = per.length;
    const steadyMean = (MIN_QUIET_ROUNDS * 1.1 + 2.1) / (MIN_QUIET_ROUNDS + 1);
    expect(pairedRatio(per, 1, 125)).toBeCloseTo((1.1 + (R - 1) * steadyMean) / R, 10);
  });

  it('one round is its own ratio; no rounds or a zero timing give NaN', () => {
    expect(pairedRatio([[80, 100, 90]], 1)).toBeCloseTo(1.25, 10);
    expect(pairedRatio([], 1)).toBeNaN();
    expect(
      pairedRatio(
        [
          [0, 100, 90],
          [80, 100, 90],
        ],
        2,
      ),
    ).toBeNaN();
  });

  it('with a callback ceiling, steady rounds timed in a slow phase are left out, if enough quiet ones remain', () => {
    const quiet = Array.from({ length: MIN_QUIET_ROUNDS }, (): [number, number, number] => [100, 114, 115]);
    const slow = Array.from({ length: MIN_QUIET_ROUNDS + 5 }, (): [number, number, number] => [180, 225, 225]);
    const per: [number, number, number][] = [[100, 500, 120], ...quiet, ...slow];
    const R = per.length;
    expect(pairedRatio(per, 1, 125)).toBeCloseTo((5 + (R - 1) * 1.14) / R, 10);
    // No ceiling: every steady round, by the mean.
    expect(pairedRatio(per, 1)).toBeCloseTo(
      (5 + (R - 1) * ((MIN_QUIET_ROUNDS * 1.14 + (MIN_QUIET_ROUNDS + 5) * 1.25) / (R - 1))) / R,
      10,
    );
    // Too few quiet rounds: all are used.
    const few: [number, number, number][] = [[100, 500, 120], ...quiet.slice(1), ...slow];
    expect(pairedRatio(few, 1, 125)).toBeCloseTo(pairedRatio(few, 1), 10);
  });
});

describe('quietMask', () => {
  it('marks readings within the tolerance of the floor (the 5th percentile, robust to one low outlier)', () => {
    expect(quietMask([0.6, 0.74, 0.76, 1.0, NaN], 1.25)).toEqual([true, true, false, false, false]);
    expect(quietMask([])).toEqual([]);
    const readings = [60, ...Array.from({ length: 99 }, (_, i) => 71 + (i % 5))];
    expect(lowFloor(readings)).toBe(71);
    expect(quietMask(readings, 1.25).filter(Boolean).length).toBe(100);
    expect(lowFloor([])).toBe(Infinity);
  });

  it('with the floor seen on this machine before, a run spent inside a slow phase has no quiet readings', () => {
    expect(quietMask([1.0, 1.05, 1.1], 1.25)).toEqual([true, true, true]);
    expect(quietMask([1.0, 1.05, 1.1], 1.25, 0.6)).toEqual([false, false, false]);
    // A hint above the run's own floor changes nothing.
    expect(quietMask([0.6, 0.7, 1.0], 1.25, 0.9)).toEqual([true, true, false]);
  });
});

describe('roundsPerOp', () => {
  it('averages alloc and free per round: first round at full weight, quiet steady rounds by their mean', () => {
    const quiet = Array.from({ length: MIN_QUIET_ROUNDS }, (): [number, number, number] => [70, 18, 20]);
    const slow = Array.from({ length: 3 }, (): [number, number, number] => [140, 40, 44]);
    const per: [number, number, number][] = [[70, 300, 100], ...quiet, ...slow];
    const R = per.length;
    expect(roundsPerOp(per, 90)).toBeCloseTo((200 + (R - 1) * 19) / R, 10);
    expect(roundsPerOp([[70, 10, 30]])).toBe(20);
    expect(roundsPerOp([])).toBeNaN();
  });
});

describe('rounds with a callback timing before and after', () => {
  it('pair with the mean of both, and are undisturbed only when both readings are', () => {
    expect(roundQuiet([70, 80, 80, 72], 90)).toBe(true);
    expect(roundQuiet([70, 150, 150, 140], 90)).toBe(false);
    expect(roundQuiet([70, 80, 80], 90)).toBe(true);
    // A phase that starts after a fast "before" reading: the round is left out instead of counting 150/70.
    const quiet = Array.from({ length: MIN_QUIET_ROUNDS }, (): number[] => [70, 80, 81, 70]);
    const flicker = Array.from({ length: MIN_QUIET_ROUNDS + 1 }, (): number[] => [70, 150, 150, 140]);
    const per = [[70, 80, 81, 70], ...quiet, ...flicker];
    expect(pairedRatio(per, 1, 90)).toBeCloseTo(80 / 70, 10);
    expect(pairedRatio([[60, 90, 90, 120]], 1)).toBeCloseTo(1, 10);
  });
});

describe('pairedScale', () => {
  const slice = (lo: [number, number, number], hi: [number, number, number]): ScaleSlice => ({
    lo: { core: lo[0], harness: lo[1], control: lo[2] },
    hi: { core: hi[0], harness: hi[1], control: hi[2] },
  });

  it('one slice: every figure net of its own harness, 1M over 1K', () => {
    // core net 10 -> 16, control net 10 -> 14.
    const p = pairedScale([slice([12, 2, 12], [30, 14, 28])]);
    expect(p.ratio).toBeCloseTo(1.6, 10);
    expect(p.controlRatio).toBeCloseTo(1.4, 10);
    expect(p.rawRatio).toBeCloseTo(2.5, 10);
    expect([p.loNet, p.hiNet, p.controlLoNet, p.controlHiNet]).toEqual([10, 16, 10, 14]);
  });

  it('pairs within each slice: the median of per-slice ratios, not a ratio of medians', () => {
    // A loaded slice is slow at both scales; its own ratio is what counts.
    const xs = [
      slice([12, 2, 12], [27, 12, 25]), // 10 -> 15: 1.5
      slice([22, 2, 20], [54, 14, 44]), // 20 -> 40: 2.0
      slice([32, 2, 30], [63, 18, 55]), // 30 -> 45: 1.5
      slice([14, 4, 14], [30, 17, 28]), // 10 -> 13: 1.3
      slice([42, 2, 40], [108, 8, 88]), // 40 -> 100: 2.5
    ];
    const p = pairedScale(xs);
    expect(p.ratio).toBeCloseTo(1.5, 10);
    // medians of the nets: 20 and 40, a ratio of 2: not the verdict.
    expect(p.loNet).toBe(20);
    expect(p.hiNet).toBe(40);
    expect(p.q1).toBeCloseTo(1.5, 10);
    expect(p.q3).toBeCloseTo(2.0, 10);
    expect(p.rawRatio).toBeCloseTo(median([27 / 12, 54 / 22, 63 / 32, 30 / 14, 108 / 42]), 10);
    expect(p.controlRatio).toBeCloseTo(median([13 / 10, 30 / 18, 37 / 28, 11 / 10, 80 / 38]), 10);
  });

  it('takes medians over slices, so one slice split by a phase does not move the verdict', () => {
    const good = slice([12, 2, 12], [30, 14, 28]);
    const p = pairedScale([good, good, slice([12, 2, 12], [90, 14, 28]), good, good]);
    expect(p.ratio).toBeCloseTo(1.6, 10);
    expect(p.slices).toBe(5);
  });

  it('drops slices with a non-positive core or control net at 1K or a non-finite reading; none left gives NaN', () => {
    const good = slice([12, 2, 12], [30, 14, 28]);
    const p = pairedScale([
      slice([2, 2, 12], [30, 14, 28]),
      slice([12, 2, 2], [30, 14, 28]),
      slice([12, NaN, 12], [30, 14, 28]),
      slice([12, 2, 12], [30, 14, Infinity]),
      good,
    ]);
    expect(p.slices).toBe(1);
    expect(p.ratio).toBeCloseTo(1.6, 10);
    expect(pairedScale([]).ratio).toBeNaN();
  });

  it('quantile interpolates between order statistics', () => {
    expect(quantile([4, 1, 3, 2], 0.25)).toBeCloseTo(1.75, 10);
    expect(quantile([4, 1, 3, 2], 0.75)).toBeCloseTo(3.25, 10);
    expect(quantile([5], 0.75)).toBe(5);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

/* Small statistics for a noisy 2-vCPU VM: medians and spreads, never means of raw samples. */

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
  samples: number[];
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

export function summarize(xs: readonly number[]): Summary {
  return {
    median: median(xs),
    min: xs.length ? Math.min(...xs) : NaN,
    max: xs.length ? Math.max(...xs) : NaN,
    n: xs.length,
    samples: xs.map((x) => round4(x)),
  };
}

export function geomean(xs: readonly number[]): number {
  if (xs.length === 0 || xs.some((x) => !(x > 0))) return NaN;
  return Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
}

export function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** A number for a table cell: 3 significant digits, at least 2 decimals under 10. */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return '-';
  if (Math.abs(x) >= 100) return x.toFixed(0);
  return x.toPrecision(digits);
}

/** "median [min–max]" */
export function fmtSpread(s: Summary): string {
  return `${fmt(s.median)} [${fmt(s.min)}–${fmt(s.max)}]`;
}

export function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/** The q-quantile (0..1) by linear interpolation between order statistics; NaN when empty. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const at = q * (s.length - 1);
  const i = Math.floor(at);
  return i + 1 < s.length ? s[i]! + (at - i) * (s[i + 1]! - s[i]!) : s[i]!;
}

/** ns per op of the scale bench's three loops on one setup. */
export interface ScaleLoops {
  core: number;
  harness: number;
  control: number;
}

/** One slice: the loops at 1K and at 1M live, timed back to back (milliseconds apart). */
export interface ScaleSlice {
  lo: ScaleLoops;
  hi: ScaleLoops;
}

export interface ScalePaired {
  /**
   * Slices used: a slice with a non-finite reading, or whose core or control
   * net of the harness at 1K is not positive (a ratio over it means nothing), is dropped.
   */
  slices: number;
  /** The target: median over slices of (core - harness) at 1M / (core - harness) at 1K. */
  ratio: number;
  q1: number;
  q3: number;
  /** The same ratio for the control allocator (state constant in the live count). */
  controlRatio: number;
  /** Median over slices of core 1M / core 1K, harness included. */
  rawRatio: number;
  /** Medians over slices, ns per op, net of the harness: the core at 1K and 1M, the control at 1K and 1M. */
  loNet: number;
  hiNet: number;
  controlLoNet: number;
  controlHiNet: number;
}

/*
 * The scale verdict from paired slices: each slice's ratio uses readings taken
 * within milliseconds of each other, so drift over seconds (another tenant's
 * memory traffic, the JIT) moves both scales alike and divides out. A phase of
 * the VM does not: it slows the compute-bound 1K loops and the memory-bound 1M
 * loops by different factors, either way, so the caller picks the slices (the
 * yardstick around each) and this takes the median over them.
 */
export function pairedScale(xs: readonly ScaleSlice[]): ScalePaired {
  const net = (l: ScaleLoops): number => l.core - l.harness;
  const cnet = (l: ScaleLoops): number => l.control - l.harness;
  const ok = xs.filter(
    (x) =>
      [x.lo.core, x.lo.harness, x.lo.control, x.hi.core, x.hi.harness, x.hi.control].every(Number.isFinite) &&
      net(x.lo) > 0 &&
      cnet(x.lo) > 0,
  );
  const ratios = ok.map((x) => net(x.hi) / net(x.lo));
  return {
    slices: ok.length,
    ratio: median(ratios),
    q1: quantile(ratios, 0.25),
    q3: quantile(ratios, 0.75),
    controlRatio: median(ok.map((x) => cnet(x.hi) / cnet(x.lo))),
    rawRatio: median(ok.map((x) => x.hi.core / x.lo.core)),
    loNet: median(ok.map((x) => net(x.lo))),
    hiNet: median(ok.map((x) => net(x.hi))),
    controlLoNet: median(ok.map((x) => cnet(x.lo))),
    controlHiNet: median(ok.map((x) => cnet(x.hi))),
  };
}

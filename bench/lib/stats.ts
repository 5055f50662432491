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

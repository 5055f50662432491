/* What one `npm run bench` invocation runs: the sections and how many repetitions. */

export const SECTIONS = [
  'core',
  'thing',
  'poison',
  'koffi',
  'bridge',
  'scale',
  'destroy',
  'sg',
  'startup',
  'suite',
] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  /** Repetitions of the dmapool_test rows (C reference and core). */
  reps: number;
  /** Fewer repetitions and a smaller scale run, for a smoke test of the bench itself. */
  quick: boolean;
  only: Set<Section>;
}

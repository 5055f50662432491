/* The @thi.ng/malloc MemPool rows (the TypeScript peer), informational. */
import { PARAMS, ROUNDS, paramLabel } from '../lib/params.ts';
import { runThingRow } from '../lib/thing.ts';
import { progress } from '../lib/progress.ts';

export interface ThingSamples {
  /** ns per alloc-or-free, one array per PARAMS row (empty when not run). */
  ns: number[][];
  /** Rounds each row ran: its free is O(live), so rows are cut to a time budget. */
  rounds: number[];
}

export function runThingSection(reps: number, quick: boolean): ThingSamples {
  const out: ThingSamples = { ns: PARAMS.map(() => []), rounds: PARAMS.map(() => 0) };
  const addrs = new Float64Array(8192);
  const n = Math.min(3, reps);
  for (const p of PARAMS) runThingRow(p, 1, 1, addrs);
  for (let rep = 0; rep < n; rep++) {
    for (let k = 0; k < PARAMS.length; k++) {
      progress('@thi.ng/malloc', `rep ${rep + 1}/${n} ${paramLabel(PARAMS[k]!)}`);
      const r = runThingRow(PARAMS[k]!, ROUNDS, quick ? 100 : 250, addrs);
      out.ns[k]!.push(r.ns);
      out.rounds[k] = r.rounds;
    }
  }
  return out;
}

/* dma_pool_destroy of idle pools of growing size: the O(pages) target. */
import { summarize, type Summary } from '../lib/stats.ts';
import { makeCoreEnv, disposeCoreEnv } from '../lib/core.ts';
import { measureDestroy } from '../lib/scale.ts';
import { progress } from '../lib/progress.ts';

export interface DestroyPoint {
  pages: number;
  nsPerPage: Summary;
}

export function runDestroySection(quick: boolean): DestroyPoint[] {
  const out: DestroyPoint[] = [];
  const env = makeCoreEnv({ poison: false, name: 'bench-destroy' });
  const sizes = quick ? [1, 16, 256, 1024] : [1, 16, 256, 4096];
  const scratch = new Float64Array(2 * 64 * sizes[sizes.length - 1]!);
  const reps = quick ? 3 : 7;
  for (const pages of sizes) measureDestroy(env, pages, scratch);
  for (const pages of sizes) {
    const xs: number[] = [];
    for (let r = 0; r < reps; r++) {
      progress('destroy', `${pages} pages, rep ${r + 1}/${reps}`);
      xs.push(measureDestroy(env, pages, scratch));
    }
    out.push({ pages, nsPerPage: summarize(xs) });
  }
  disposeCoreEnv(env);
  return out;
}

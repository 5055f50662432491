/*
 * dma_map_sg cost per entry at 16, 1,024 and 65,536 entries (target: linear).
 * dma_map_sg and lib/scatterlist are being written by another engineer; this
 * looks them up with dynamic imports and runtime shape checks and reports
 * "skipped" with the reason when they are not (yet) there or not recognised.
 *
 * Entries point at separate 512-byte buffers one page apart, so nothing merges
 * and every entry is mapped on its own; the device is direct-mapped with 64-bit
 * masks (no bounce buffering).
 */
import { GFP_KERNEL, DMA_TO_DEVICE } from '../../src/index.ts';
import { makeCoreEnv, disposeCoreEnv } from './core.ts';
import { nowNs, median } from './stats.ts';

type Fn = (...args: unknown[]) => unknown;
type Mod = Record<string, unknown>;

export const SG_SIZES = [16, 1024, 65536] as const;

export interface SgPoint {
  entries: number;
  /** ns per entry of dma_map_sg + dma_unmap_sg (median over repetitions). */
  ns_per_entry: number;
  with_unmap: boolean;
  mapped: number;
}

export type SgResult = { ok: true; points: SgPoint[] } | { ok: false; reason: string };

async function tryImport(rel: string): Promise<Mod | null> {
  try {
    return (await import(rel)) as Mod;
  } catch {
    return null;
  }
}

function fn(mods: Array<Mod | null>, name: string): Fn | null {
  for (const m of mods) {
    const f = m?.[name];
    if (typeof f === 'function') return f as Fn;
  }
  return null;
}

function cls(mods: Array<Mod | null>, name: string): (new () => object) | null {
  const f = fn(mods, name);
  return f ? (f as unknown as new () => object) : null;
}

export async function measureMapSg(reps: number): Promise<SgResult> {
  const sgMod = await tryImport('../../src/lib/scatterlist.ts');
  const mapping = await tryImport('../../src/kernel/dma/mapping.ts');
  const index = await tryImport('../../src/index.ts');
  const mods = [sgMod, mapping, index];
  const map = fn(mods, 'dma_map_sg');
  const unmap = fn(mods, 'dma_unmap_sg');
  if (!sgMod || !map) return { ok: false, reason: 'dma_map_sg not available yet' };
  const alloc = fn(mods, 'sg_alloc_table');
  const setBuf = fn(mods, 'sg_set_buf');
  const freeTable = fn(mods, 'sg_free_table');
  const next = fn(mods, 'sg_next');
  const Table = cls(mods, 'sg_table');
  if (!alloc || !setBuf || !Table) {
    return { ok: false, reason: 'dma_map_sg exists but sg_table/sg_alloc_table/sg_set_buf were not found in src/lib/scatterlist.ts' };
  }
  const env = makeCoreEnv({ poison: false, name: 'bench-sg' });
  try {
    const m = env.machine;
    // Buffers: 4 MiB buddy blocks, one 512-byte buffer per page.
    const bufs: number[] = [];
    while (bufs.length < SG_SIZES[SG_SIZES.length - 1]) {
      const pg = m.buddy.alloc(GFP_KERNEL, 10);
      if (pg < 0) return { ok: false, reason: 'bench: no memory for sg buffers' };
      for (let i = 0; i < 1024; i++) bufs.push(m.offToVirt((pg + i) * 4096));
    }
    const points: SgPoint[] = [];
    for (const n of SG_SIZES) {
      const t = new Table();
      const rc = alloc(t, n, GFP_KERNEL);
      if (typeof rc === 'number' && rc !== 0) return { ok: false, reason: `sg_alloc_table(${n}) returned ${rc}` };
      const sgl = (t as { sgl?: unknown }).sgl;
      const ents: unknown[] = [];
      if (Array.isArray(sgl)) ents.push(...sgl.slice(0, n));
      else if (sgl && next) for (let s: unknown = sgl; s && ents.length < n; s = next(s)) ents.push(s);
      if (ents.length !== n) return { ok: false, reason: `sg_table.sgl shape not recognised (got ${ents.length} of ${n} entries)` };
      for (let i = 0; i < n; i++) setBuf(ents[i], bufs[i], 512);
      const first = ents[0];
      // ~1M entries per measurement, so small tables are timed over many calls.
      const iters = Math.max(1, Math.floor((1 << 20) / n));
      // Timed as map+unmap pairs over the whole batch: a clock read per call would cost more than 16 entries.
      const pairS: number[] = [];
      let mapped = 0;
      for (let r = -1; r < reps; r++) {
        const t0 = nowNs();
        for (let i = 0; i < iters; i++) {
          const k = map(env.dev, first, n, DMA_TO_DEVICE);
          if (typeof k !== 'number' || k <= 0) return { ok: false, reason: `dma_map_sg(${n}) returned ${String(k)}` };
          mapped = k;
          if (unmap) unmap(env.dev, first, n, DMA_TO_DEVICE);
        }
        if (r >= 0) pairS.push((nowNs() - t0) / (iters * n));
      }
      freeTable?.(t);
      points.push({ entries: n, ns_per_entry: median(pairS), with_unmap: unmap !== null, mapped });
    }
    return { ok: true, points };
  } finally {
    disposeCoreEnv(env);
  }
}

/*
 * dma_map_sg cost per entry at 16, 1,024 and 65,536 entries (target: linear),
 * direct-mapped and behind the simulated IOMMU, plus one dma_map_single +
 * dma_unmap_single pair.
 *
 * Entries point at separate 512-byte buffers one page apart, so nothing merges
 * (not even behind the IOMMU: each segment ends before its page does) and every
 * entry is mapped on its own; the device has 64-bit masks and never bounces.
 *
 * bench/run.ts prints `ns_per_entry` (direct) of each point; the IOMMU and
 * single-mapping figures go to the JSON. `npx tsx bench/lib/sg.ts [reps]` prints
 * all of them.
 */
import {
  GFP_KERNEL,
  DMA_TO_DEVICE,
  dma_map_sg,
  dma_unmap_sg,
  dma_map_single,
  dma_unmap_single,
  sg_alloc_table,
  sg_set_buf,
  sg_free_table,
  sg_next,
  sg_table,
  sim_iommu_attach,
  device,
  dev_set_name,
  device_register,
  device_unregister,
  dma_set_mask_and_coherent,
  DMA_BIT_MASK,
  dma_mapping_error,
  log_configure,
  type scatterlist,
} from '../../src/index.ts';
import { makeCoreEnv, disposeCoreEnv, type CoreEnv } from './core.ts';
import { nowNs, median } from './stats.ts';
import { bracketed, warmYardstick, quietMask, lowFloor, QUIET_TOLERANCE, MIN_QUIET } from './phase.ts';

export const SG_SIZES = [16, 1024, 65536] as const;

export interface SgPoint {
  entries: number;
  /**
   * ns per entry of dma_map_sg + dma_unmap_sg, direct mapping: median over the
   * repetitions the VM ran undisturbed (the JS yardstick around each,
   * bench/lib/phase.ts) when every point has MIN_QUIET of them, else over all.
   */
  ns_per_entry: number;
  /** The median over all repetitions. */
  ns_per_entry_all: number;
  /** Undisturbed repetitions of this point (direct mapping). */
  quiet: number;
  /** The same behind the simulated IOMMU. */
  iommu_ns_per_entry: number;
  with_unmap: boolean;
  mapped: number;
}

export type SgResult =
  | {
      ok: true;
      points: SgPoint[];
      /** ns of one dma_map_single + dma_mapping_error + dma_unmap_single (direct, 512 bytes, TO_DEVICE). */
      single_ns: number;
      /** The same behind the IOMMU. */
      single_iommu_ns: number;
    }
  | { ok: false; reason: string };

/** One 512-byte buffer per page, from 4 MiB buddy blocks. */
function buffers(env: CoreEnv, n: number): number[] | null {
  const m = env.machine;
  const bufs: number[] = [];
  while (bufs.length < n) {
    const pg = m.buddy.alloc(GFP_KERNEL, 10);
    if (pg < 0) return null;
    for (let i = 0; i < 1024; i++) bufs.push(m.offToVirt((pg + i) * 4096));
  }
  return bufs;
}

function timeSg(
  env: { dev: device },
  bufs: readonly number[],
  n: number,
  reps: number,
): { xs: number[]; yard: number[]; mapped: number } | string {
  const t = new sg_table();
  const rc = sg_alloc_table(t, n, GFP_KERNEL);
  if (rc !== 0 || !t.sgl) return `sg_alloc_table(${n}) returned ${rc}`;
  let s: scatterlist | null = t.sgl;
  for (let i = 0; i < n && s; i++, s = sg_next(s)) sg_set_buf(s, bufs[i]!, 512);
  const first = t.sgl;
  // ~1M entries per measurement, so small tables are timed over many calls.
  const iters = Math.max(1, Math.floor((1 << 20) / n));
  // Timed as map+unmap pairs over the whole batch: a clock read per call would cost more than 16 entries.
  const xs: number[] = [];
  const yard: number[] = [];
  let mapped = 0;
  for (let r = -1; r < reps; r++) {
    const [ns, y] = bracketed(() => {
      const t0 = nowNs();
      for (let i = 0; i < iters; i++) {
        const k = dma_map_sg(env.dev, first, n, DMA_TO_DEVICE);
        if (k <= 0) return k;
        mapped = k;
        dma_unmap_sg(env.dev, first, n, DMA_TO_DEVICE);
      }
      return (nowNs() - t0) / (iters * n);
    });
    if (ns <= 0) return `dma_map_sg(${n}) returned ${ns}`;
    if (r >= 0) {
      xs.push(ns);
      yard.push(y);
    }
  }
  sg_free_table(t);
  return { xs, yard, mapped };
}

function timeSingle(env: { dev: device }, buf: number, reps: number): number {
  const iters = 1 << 18;
  const xs: number[] = [];
  for (let r = -1; r < reps; r++) {
    const t0 = nowNs();
    for (let i = 0; i < iters; i++) {
      const d = dma_map_single(env.dev, buf, 512, DMA_TO_DEVICE);
      if (dma_mapping_error(env.dev, d)) throw new Error('bench: dma_map_single failed');
      dma_unmap_single(env.dev, d, 512, DMA_TO_DEVICE);
    }
    if (r >= 0) xs.push((nowNs() - t0) / iters);
  }
  return median(xs);
}

/** `floorHint`: the yardstick floor known from elsewhere in the run (Infinity if none). */
export async function measureMapSg(reps: number, floorHint = Infinity): Promise<SgResult> {
  const env = makeCoreEnv({ poison: false }, 'bench-sg');
  // Same machine, so both devices map the same buffers.
  const idev = new device(env.machine);
  idev.release = () => {}; // the kernel WARNs at the last put of a device without one
  dev_set_name(idev, 'bench-sg-iommu');
  idev.dma_mask = 0n;
  if (device_register(idev) !== 0) return { ok: false, reason: 'bench: register failed' };
  try {
    sim_iommu_attach(idev);
    if (dma_set_mask_and_coherent(idev, DMA_BIT_MASK(64)) !== 0) return { ok: false, reason: 'bench: mask failed' };
    const bufs = buffers(env, SG_SIZES[SG_SIZES.length - 1]!);
    if (!bufs) return { ok: false, reason: 'bench: no memory for sg buffers' };
    const iommu = { dev: idev };
    warmYardstick();
    const direct: Array<{ xs: number[]; yard: number[]; mapped: number }> = [];
    const viaIommu: number[] = [];
    for (const n of SG_SIZES) {
      const d = timeSg(env, bufs, n, reps);
      if (typeof d === 'string') return { ok: false, reason: d };
      const i = timeSg(iommu, bufs, n, reps);
      if (typeof i === 'string') return { ok: false, reason: 'iommu: ' + i };
      direct.push(d);
      viaIommu.push(median(i.xs));
    }
    // Every point from its undisturbed repetitions, or every point from all of them.
    const floor = Math.min(floorHint, lowFloor(direct.flatMap((d) => d.yard)));
    const masks = direct.map((d) => quietMask(d.yard, QUIET_TOLERANCE, floor));
    const onQuiet = masks.every((m) => m.filter(Boolean).length >= MIN_QUIET);
    const points: SgPoint[] = direct.map((d, k) => ({
      entries: SG_SIZES[k]!,
      ns_per_entry: onQuiet ? median(d.xs.filter((_, i) => masks[k]![i])) : median(d.xs),
      ns_per_entry_all: median(d.xs),
      quiet: masks[k]!.filter(Boolean).length,
      iommu_ns_per_entry: viaIommu[k]!,
      with_unmap: true,
      mapped: d.mapped,
    }));
    return {
      ok: true,
      points,
      single_ns: timeSingle(env, bufs[0]!, reps),
      single_iommu_ns: timeSingle(iommu, bufs[0]!, reps),
    };
  } finally {
    device_unregister(idev);
    disposeCoreEnv(env);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  log_configure({ console: false });
  const reps = Number(process.argv[2] ?? 5);
  const r = await measureMapSg(reps);
  if (!r.ok) process.stdout.write(`skipped: ${r.reason}\n`);
  else {
    const f = (x: number): string => x.toFixed(1);
    for (const p of r.points)
      process.stdout.write(
        `${p.entries} entries: direct ${f(p.ns_per_entry)} ns/entry, iommu ${f(p.iommu_ns_per_entry)} ns/entry\n`,
      );
    process.stdout.write(`map_single+unmap: direct ${f(r.single_ns)} ns, iommu ${f(r.single_iommu_ns)} ns\n`);
  }
}

/* dma_map_sg + dma_unmap_sg at 16 / 1,024 / 65,536 entries: the linearity target (bench/lib/sg.ts). */
import { measureMapSg, type SgResult } from '../lib/sg.ts';
import { progress } from '../lib/progress.ts';

/** `floorHint`: the yardstick floor known so far (this run's readings and the previous run's). */
export async function runSgSection(quick: boolean, floorHint: number): Promise<SgResult> {
  progress('dma_map_sg', '16 / 1024 / 65536 entries');
  return measureMapSg(quick ? 3 : 9, floorHint);
}

/* The koffi yardstick and the bridge rows (c) and (c'): child processes, see bench/lib/bridge.ts. */
import { ROUNDS } from '../lib/params.ts';
import { measureKoffiCallback, type KoffiResult } from '../lib/koffi.ts';
import { runBridge, type BridgeResult } from '../lib/bridge.ts';
import { progress } from '../lib/progress.ts';

export interface BridgeRuns {
  bridge: BridgeResult;
  /** The same program as users run it: the pool cache on (the default); `bridge` is with --no-pool-cache. */
  bridgeCache: BridgeResult;
}

export const notRun = { ok: false, reason: 'not run (--only)' } as const;

/** One bare C->JS koffi callback, timed in the bench process. */
export async function runKoffiSection(quick: boolean): Promise<KoffiResult> {
  progress('koffi', 'one bare C->JS callback');
  return measureKoffiCallback(quick ? 3 : 7, 1_000_000);
}

export function runBridgeSection(quick: boolean): BridgeRuns {
  progress('bridge', 'dmashim run native/bench/dmapool_bridge_bench.c');
  // 5 repetitions: a row is judged on its undisturbed ones when there are 2 or more (BENCHMARKS.md, Method).
  const bridge = runBridge(quick ? 1 : 5, ROUNDS, 300_000, { poolCache: false });
  progress('bridge', 'the same with the pool cache (the default)');
  const bridgeCache = runBridge(quick ? 1 : 5, ROUNDS, 300_000);
  return { bridge, bridgeCache };
}

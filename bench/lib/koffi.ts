/*
 * The yardstick for the bridge row: one bare koffi C->JS callback (a registered
 * noop called from a C loop on the main thread), measured with koffi directly in
 * this process, so "bridge / one bare koffi callback" is a ratio of one run.
 * koffi is an optionalDependency: without it the yardstick is skipped.
 */
import { buildC } from './native.ts';

export interface KoffiYardstick {
  /** ns per `void (void)` callback. */
  noop: number[];
  /** ns per `int64_t (int32_t, uint32_t)` callback (the shape of a pool_alloc op). */
  args: number[];
  version: string;
}

export type KoffiResult = { ok: true; value: KoffiYardstick } | { ok: false; reason: string };

interface KoffiLike {
  version?: string;
  load(path: string): { func(decl: string): (...args: unknown[]) => unknown; unload(): void };
  proto(decl: string): unknown;
  pointer(t: unknown): unknown;
  register(fn: (...args: never[]) => unknown, type: unknown): unknown;
  unregister(p: unknown): void;
}

/** Measure `reps` times `calls` callbacks of each kind, after a warm-up. */
export async function measureKoffiCallback(reps: number, calls: number): Promise<KoffiResult> {
  let koffi: KoffiLike;
  try {
    const mod = (await import('koffi')) as unknown as { default?: KoffiLike } & KoffiLike;
    koffi = mod.default ?? mod;
  } catch (e) {
    return { ok: false, reason: `koffi not installed (${(e as Error).message.split('\n')[0]})` };
  }
  const so = buildC('koffi_callback.c', true);
  if (!so.ok) return { ok: false, reason: `cc failed: ${so.error}` };
  const lib = koffi.load(so.path);
  const NoopT = koffi.proto('void bench_noop_cb(void)');
  const ArgsT = koffi.proto('int64_t bench_args_cb(int32_t a, uint32_t b)');
  const noopLoop = lib.func('double bench_noop_loop(bench_noop_cb *cb, int64_t n)');
  const argsLoop = lib.func('double bench_args_loop(bench_args_cb *cb, int64_t n)');
  let counter = 0;
  const noopPtr = koffi.register(() => {}, koffi.pointer(NoopT));
  const argsPtr = koffi.register((a: number, b: number): number => {
    counter = (counter + a + b) | 0;
    return a;
  }, koffi.pointer(ArgsT));
  try {
    noopLoop(noopPtr, calls);
    argsLoop(argsPtr, calls);
    const noop: number[] = [];
    const args: number[] = [];
    for (let r = 0; r < reps; r++) {
      noop.push(noopLoop(noopPtr, calls) as number);
      args.push(Math.abs(argsLoop(argsPtr, calls) as number));
    }
    return { ok: true, value: { noop, args, version: koffi.version ?? 'unknown' } };
  } finally {
    koffi.unregister(noopPtr);
    koffi.unregister(argsPtr);
  }
}

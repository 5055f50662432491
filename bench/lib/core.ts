/*
 * Row (a): the TypeScript core on the dmapool_test workload, in-process.
 *
 * The loop mirrors dmapool_test.c: a (vaddr, dma) pair array, a fresh pool per
 * timed run, 100 rounds of allocate-all then free-all in the same order; pool
 * create/destroy are outside the timed region, page allocation (first round) inside.
 */
import {
  Machine,
  device,
  dev_set_name,
  device_register,
  device_unregister,
  dma_set_mask_and_coherent,
  DMA_BIT_MASK,
  dma_pool_create,
  dma_pool_alloc,
  dma_pool_free,
  dma_pool_destroy,
  dma_addr,
  dmapool_set_poison,
  dmapool_slow_hooks,
  GFP_KERNEL,
  type MachineOptions,
} from '../../src/index.ts';
import { nrBlocks, type PoolParam } from './params.ts';
import { nowNs } from './stats.ts';

export interface CoreEnv {
  machine: Machine;
  dev: device;
  /** dmapool_test's pair array, as two typed arrays (addresses are doubles above 2^31). */
  vaddrs: Float64Array;
  dmas: Float64Array;
}

/** The dmapool_test device: "dmapool-test", direct mapped, 64-bit masks. */
export function makeCoreEnv(opts: MachineOptions | undefined, name = 'dmapool-test'): CoreEnv {
  const machine = opts === undefined ? new Machine() : new Machine(opts);
  const dev = new device(machine);
  dev.release = () => {}; // the kernel WARNs at the last put of a device without one
  dev_set_name(dev, name);
  dev.dma_mask = 0n; // the port of dev.dma_mask = &dev.coherent_dma_mask: a mask exists
  if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)) !== 0) throw new Error('bench: mask failed');
  if (device_register(dev) !== 0) throw new Error('bench: register failed');
  return { machine, dev, vaddrs: new Float64Array(8192), dmas: new Float64Array(8192) };
}

export function disposeCoreEnv(env: CoreEnv): void {
  device_unregister(env.dev);
  env.machine.dispose();
}

/** "Everything optional off": no poisoning on this machine, no slow-path hooks. Returns a restore function. */
export function optionalOff(env: CoreEnv): () => void {
  dmapool_set_poison(env.machine, false);
  const saved = dmapool_slow_hooks.active;
  dmapool_slow_hooks.active = 0;
  return () => {
    dmapool_slow_hooks.active = saved;
  };
}

/** One timed dmapool_test row: ns per alloc-or-free. */
export function runCoreRow(env: CoreEnv, p: PoolParam, rounds: number): number {
  const pool = dma_pool_create('test pool', env.dev, p.size, p.align, p.boundary);
  if (!pool) throw new Error(`bench: dma_pool_create(${p.size}, ${p.align}, ${p.boundary}) failed`);
  const blocks = nrBlocks(p.size);
  const v = env.vaddrs;
  const d = env.dmas;
  const h = dma_addr();
  const t0 = nowNs();
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < blocks; i++) {
      const x = dma_pool_alloc(pool, GFP_KERNEL, h);
      if (x === 0) {
        for (let j = 0; j < i; j++) dma_pool_free(pool, v[j]!, d[j]!);
        dma_pool_destroy(pool);
        throw new Error(`bench: dma_pool_alloc failed (size ${p.size}, block ${i})`);
      }
      v[i] = x;
      d[i] = h.value;
    }
    for (let i = 0; i < blocks; i++) dma_pool_free(pool, v[i]!, d[i]!);
  }
  const t1 = nowNs();
  dma_pool_destroy(pool);
  return (t1 - t0) / (rounds * blocks * 2);
}

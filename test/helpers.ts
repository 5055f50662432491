import {
  create_machine,
  device,
  dev_set_name,
  device_register,
  dma_set_mask_and_coherent,
  DMA_BIT_MASK,
  dma_addr,
  dma_pool_alloc,
  dmesg_mark,
  dmesg_since,
  GFP_KERNEL,
  type dma_pool,
  type gfp_t,
  type Machine,
  type MachineOptions,
} from '../src/index.ts';
import { expect } from 'vitest';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** A small machine: 64 MiB below 4 GiB and 64 MiB above, so masks matter and tests stay cheap. */
export function small_machine(opts: MachineOptions = {}): Machine {
  return create_machine({
    ram: [
      { start: 0, size: 64 * MiB },
      { start: 4 * GiB, size: 64 * MiB },
    ],
    ...opts,
  });
}

/** A registered device with both masks set to `bits`. */
export function test_device(m: Machine, name = 'dmapool-test', bits = 64): device {
  const dev = new device(m);
  dev_set_name(dev, name);
  if (device_register(dev) !== 0) throw new Error('device_register');
  dev.dma_mask = 0n;
  if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(bits)) !== 0) throw new Error('mask');
  return dev;
}

/** A pool block: CPU address and bus address. */
export interface Blk {
  v: number;
  d: number;
}

/** dma_pool_alloc with its out-box folded in; v is 0 when the allocation failed. */
export function pool_alloc(p: dma_pool, gfp: gfp_t = GFP_KERNEL): Blk {
  const h = dma_addr();
  const v = dma_pool_alloc(p, gfp, h);
  return { v, d: h.value };
}

/** pool_alloc that must succeed. */
export function pool_alloc_ok(p: dma_pool, gfp: gfp_t = GFP_KERNEL): Blk {
  const b = pool_alloc(p, gfp);
  expect(b.v).not.toBe(0);
  return b;
}

/** What `fn` logged. */
export function log_of(fn: () => void): string {
  const mark = dmesg_mark();
  fn();
  return dmesg_since(mark);
}

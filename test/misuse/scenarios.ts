/*
 * Issue 13's misuse suite, as data: what the user does and what a kernel
 * developer expects, written before the code was run. The TypeScript API and
 * the device side run in-process (ts-api.test.ts, device-side.test.ts); the C
 * path runs test/bridge/c/misuse_suite.c once and splits its output by
 * scenario (c-path.test.ts); the CLI spawns bin/dmashim.js (cli.test.ts).
 * core.test.ts covers the cases it names; nothing here repeats them.
 */
import {
  GFP_KERNEL,
  GFP_ATOMIC,
  DMA_MAPPING_ERROR,
  DMA_TO_DEVICE,
  DMA_FROM_DEVICE,
  DMA_NONE,
  EINVAL,
  EIO,
  EBUSY,
  EFAULT,
  ZERO_SIZE_PTR,
  create_machine,
  device,
  pci_dev,
  dev_set_name,
  device_register,
  device_unregister,
  get_device,
  put_device,
  dma_set_mask,
  dma_set_coherent_mask,
  dma_set_mask_and_coherent,
  dma_get_mask,
  DMA_BIT_MASK,
  dma_addr,
  dma_alloc_coherent,
  dma_free_coherent,
  dmam_alloc_coherent,
  dma_pool_create,
  dma_pool_alloc,
  dma_pool_zalloc,
  dma_pool_free,
  dma_pool_destroy,
  dmam_pool_create,
  dma_map_single,
  dma_unmap_single,
  dma_map_page,
  dma_sync_single_for_cpu,
  dma_sync_single_for_device,
  dma_map_sg,
  dma_unmap_sg,
  dma_sync_sg_for_cpu,
  dma_mmap_coherent,
  dma_declare_coherent_memory,
  kmalloc,
  kfree,
  vmalloc,
  vfree,
  alloc_pages,
  free_pages,
  __get_free_pages,
  virt_to_phys,
  sg_init_table,
  sg_set_buf,
  type scatterlist,
  swiotlb_configure,
  swiotlb_set_force_bounce,
  swiotlb_stats,
  sim_iommu_attach,
  iommu_iova_to_phys,
  sanitizer_configure,
  sysfs_read,
  debug_entries_of,
  device_dma_read,
  device_dma_write,
  device_dma_fill,
  device_dma_error_count,
  mem_bytes,
  type DmashimErrorCode,
  type dma_pool,
  type Machine,
  type MachineOptions,
} from '../../src/index.ts';

import { machine, dev_on, GiB } from '../dma-api/helpers.ts';

export type Surface = 'ts-api' | 'device-side' | 'c-path' | 'cli';

/** The expectation, written as data. Every field given is checked; absent fields are not. */
export interface Expectation {
  /** The value returned (compared with Object.is; 'nonzero' for any non-zero number). */
  returns?: number | bigint | boolean | null | 'nonzero';
  /** The DmashimError code thrown. */
  throws?: DmashimErrorCode;
  /** What the thrown message must match. */
  message?: RegExp;
  /** What the kernel log must match (the scenario's part of it). */
  log?: RegExp;
  /** Nothing may be logged. */
  quiet?: true;
  /** The snapshot (pools file, free pages, slab, dma-debug entries, swiotlb, pool counters) is equal before and after. */
  unchanged?: true;
  /** CLI and C path: the exit status. */
  status?: number;
}

/** The machine a TS scenario runs on: a registered 64-bit device with one pool holding one block, and a mapped buffer. */
export interface World {
  m: Machine;
  dev: device;
  /** A second registered device, for mixing devices. */
  dev2: device;
  pool: dma_pool;
  /** A block of `pool`, live. */
  blk: number;
  blk_dma: number;
  /** A kmalloc'ed 256-byte buffer mapped DMA_TO_DEVICE at `map_dma`. */
  buf: number;
  map_dma: number;
  /** A 4 KiB coherent buffer. */
  co: number;
  co_dma: number;
}

export interface TsScenario {
  id: string;
  surface: 'ts-api' | 'device-side';
  /** What the user does, in words. */
  does: string;
  expect: Expectation;
  /** Options for the machine (swiotlb size, ...). */
  machine?: MachineOptions;
  /** Does it; its result is what `returns` is checked against. */
  act: (w: World) => unknown;
  /** Set when the scenario fails for a reason too big to fix now: the reason. */
  known?: string;
}

export function make_world(opts: MachineOptions = {}): World {
  const m = machine(opts);
  const dev = dev_on(m, 64, 'dev0');
  const dev2 = dev_on(m, 64, 'dev1');
  const pool = dma_pool_create('p', dev, 64, 64, 0);
  if (!pool) throw new Error('pool');
  const h = dma_addr();
  const blk = dma_pool_alloc(pool, GFP_KERNEL, h);
  const buf = kmalloc(256, GFP_KERNEL, m);
  const map_dma = dma_map_single(dev, buf, 256, DMA_TO_DEVICE);
  const ch = dma_addr();
  const co = dma_alloc_coherent(dev, 4096, ch, GFP_KERNEL);
  return { m, dev, dev2, pool, blk, blk_dma: h.value, buf, map_dma, co, co_dma: ch.value };
}

/** Everything a misuse could take or change, as one comparable value. */
export function snapshot(w: World): unknown {
  let free = 0;
  for (let z = 0; z < 3; z++) free += w.m.buddy.zoneStats(z).free_pages;
  const dbg = (d: device) =>
    debug_entries_of(d)
      .map((e) => `${e.type}:${e.dev_addr}:${e.size}:${e.direction}`)
      .sort();
  return {
    free,
    pools: sysfs_read(w.dev, 'pools'),
    pools2: sysfs_read(w.dev2, 'pools'),
    active: w.pool.nr_active,
    blocks: w.pool.nr_blocks,
    pages: w.pool.nr_pages,
    dbg: dbg(w.dev),
    dbg2: dbg(w.dev2),
    tlb: swiotlb_stats(w.m).used,
    mask: dma_get_mask(w.dev).toString(16),
  };
}

/* Runs fn and throws when it changed the snapshot: for scenarios whose setup takes memory first. */
function same<T>(w: World, fn: () => T): T {
  const before = JSON.stringify(snapshot(w));
  const r = fn();
  if (JSON.stringify(snapshot(w)) !== before) throw new Error('the misuse took or changed something');
  return r;
}

const NULL_DEV = null as unknown as device;
const NULL_POOL = null as unknown as dma_pool;
const NOT_A_DEV = {} as unknown as device;
const NUM = (v: unknown) => v as number;
const KERNEL_OOPS = /NULL pointer dereference|unable to handle page fault/;
/* A bus address no mapping of the small machine covers. */
const STRAY = 0x2000000;

function sg_of(w: World, n: number, len = 64): scatterlist[] {
  const sg: scatterlist[] = [];
  sg_init_table(sg, n);
  for (let i = 0; i < n; i++) sg_set_buf(sg[i]!, kmalloc(len, GFP_KERNEL, w.m), len);
  return sg;
}

export const ts_scenarios: TsScenario[] = [
  /* dma_pool_create: the kernel's checks return NULL and take nothing. */
  ...(
    [
      ['size 0', 0, 8, 0],
      ['size above INT_MAX', 2 ** 31, 8, 0],
      ['size 2**53', 2 ** 53, 8, 0],
      ['size Infinity', Number.POSITIVE_INFINITY, 8, 0],
      ['size -0 (is 0)', -0, 8, 0],
      ['size as a string', '64', 8, 0],
      ['size as a bigint', 64n, 8, 0],
      ['align 3 (not a power of two)', 64, 3, 0],
      ['align -8', 64, -8, 0],
      ['align 0.5', 64, 0.5, 0],
      ['boundary smaller than the size', 128, 8, 64],
      ['boundary 100 (not a power of two)', 64, 8, 100],
      ['boundary NaN', 64, 8, Number.NaN],
    ] as const
  ).map(
    ([what, size, align, boundary], i): TsScenario => ({
      id: `ts-pool-create-${i + 1}`,
      surface: 'ts-api',
      does: `dma_pool_create with ${what}`,
      expect: { returns: null, unchanged: true, quiet: true },
      act: (w) => dma_pool_create('bad', w.dev, NUM(size), NUM(align), NUM(boundary)),
    }),
  ),
  {
    id: 'ts-pool-create-pci',
    surface: 'ts-api',
    does: 'dma_pool_create with a pci_dev where the struct device belongs',
    expect: { throws: 'EFAULT', message: KERNEL_OOPS, unchanged: true },
    act: (w) =>
      dma_pool_create('bad', new pci_dev({ machine: w.m, name: '0000:00:05.0' }) as unknown as device, 64, 8, 0),
  },
  /* Destroyed pools, double destroy, wrong types. */
  {
    id: 'ts-pool-destroy-null',
    surface: 'ts-api',
    does: 'dma_pool_destroy(NULL)',
    expect: { returns: undefined as unknown as null, quiet: true, unchanged: true },
    act: () => dma_pool_destroy(null),
  },
  {
    id: 'ts-pool-destroy-twice',
    surface: 'ts-api',
    does: 'dma_pool_destroy of an empty pool, twice',
    expect: { unchanged: true, quiet: true },
    act: (w) => {
      const p = dma_pool_create('twice', w.dev2, 32, 8, 0)!;
      const h = dma_addr();
      dma_pool_free(p, dma_pool_alloc(p, GFP_KERNEL, h), h.value);
      dma_pool_destroy(p);
      dma_pool_destroy(p);
    },
  },
  {
    id: 'ts-pool-destroy-wrong-type',
    surface: 'ts-api',
    does: 'dma_pool_destroy of something that is not a pool (a device)',
    expect: { throws: 'EFAULT', message: /dma_pool_destroy/, unchanged: true },
    act: (w) => dma_pool_destroy(w.dev as unknown as dma_pool),
  },
  {
    id: 'ts-pool-alloc-destroyed',
    surface: 'ts-api',
    does: 'dma_pool_alloc on a pool already destroyed',
    expect: { returns: 0, log: /dma_pool_alloc .*destroy|destroyed/, unchanged: true },
    act: (w) => {
      const p = dma_pool_create('gone', w.dev2, 32, 8, 0)!;
      dma_pool_destroy(p);
      return dma_pool_alloc(p, GFP_KERNEL, dma_addr());
    },
  },
  {
    id: 'ts-pool-free-destroyed',
    surface: 'ts-api',
    does: 'dma_pool_free into a busy pool after dma_pool_destroy (its pages were leaked, not freed)',
    expect: { log: /busy[\s\S]*dma_pool_free gone/ },
    act: (w) => {
      const p = dma_pool_create('gone', w.dev2, 32, 8, 0)!;
      const h = dma_addr();
      const v = dma_pool_alloc(p, GFP_KERNEL, h);
      dma_pool_destroy(p);
      same(w, () => dma_pool_free(p, v, h.value));
      if (p.nr_active !== 1) throw new Error('the block was taken back');
    },
  },
  {
    id: 'ts-pool-alloc-wrong-pool-type',
    surface: 'ts-api',
    does: 'dma_pool_alloc with a device where the pool belongs',
    expect: { throws: 'EFAULT', message: /dma_pool_alloc/, unchanged: true },
    act: (w) => dma_pool_alloc(w.dev as unknown as dma_pool, GFP_KERNEL, dma_addr()),
  },
  {
    id: 'ts-pool-zalloc-null-handle',
    surface: 'ts-api',
    does: 'dma_pool_zalloc with a NULL dma handle',
    expect: { throws: 'EFAULT', message: /dma_pool_(z)?alloc: .*NULL/, unchanged: true },
    act: (w) => dma_pool_zalloc(w.pool, GFP_KERNEL, null as unknown as ReturnType<typeof dma_addr>),
  },
  {
    id: 'ts-pool-free-null-vaddr',
    surface: 'ts-api',
    does: 'dma_pool_free(pool, NULL, 0)',
    expect: { log: /dma_pool_free p, .*\(bad dma\)/, unchanged: true },
    act: (w) => dma_pool_free(w.pool, 0, 0),
  },
  {
    id: 'ts-pool-free-wrong-pool',
    surface: 'ts-api',
    does: "dma_pool_free of dev0's block into a pool of dev1",
    expect: { log: /dma_pool_free other, .*\(bad dma\)/ },
    act: (w) => {
      const p = dma_pool_create('other', w.dev2, 64, 64, 0)!;
      const before = w.pool.nr_active;
      dma_pool_free(p, w.blk, w.blk_dma);
      if (w.pool.nr_active !== before || p.nr_active !== 0) throw new Error('a count changed');
      dma_pool_destroy(p);
    },
  },
  {
    id: 'ts-pool-free-misaligned',
    surface: 'ts-api',
    does: 'dma_pool_free of a block address plus 8 (inside the block)',
    expect: { log: /dma_pool_free p, .*\(bad vaddr\)/, unchanged: true },
    act: (w) => dma_pool_free(w.pool, w.blk + 8, w.blk_dma + 8),
  },
  {
    id: 'ts-pool-free-null-pool-type',
    surface: 'ts-api',
    does: 'dma_pool_free with a number where the pool belongs',
    expect: { throws: 'EFAULT', message: /dma_pool_free/, unchanged: true },
    act: (w) => dma_pool_free(NUM(7) as unknown as dma_pool, w.blk, w.blk_dma),
  },
  {
    id: 'ts-pool-free-null-pool',
    surface: 'ts-api',
    does: 'dma_pool_alloc(NULL) with GFP_ATOMIC',
    expect: { throws: 'EFAULT', message: /dma_pool_alloc: .*NULL/, unchanged: true },
    act: () => dma_pool_alloc(NULL_POOL, GFP_ATOMIC, dma_addr()),
  },
  /* Coherent allocations. */
  ...(
    [
      ['0 bytes', 0],
      ['2**40 bytes (more than RAM)', 2 ** 40],
      ['NaN bytes', Number.NaN],
      ['-4096 bytes', -4096],
      ['a bigint size', 4096n],
    ] as const
  ).map(
    ([what, size], i): TsScenario => ({
      id: `ts-coherent-size-${i + 1}`,
      surface: 'ts-api',
      does: `dma_alloc_coherent of ${what}`,
      expect: { returns: 0, unchanged: true },
      act: (w) => dma_alloc_coherent(w.dev, NUM(size), dma_addr(), GFP_KERNEL),
    }),
  ),
  {
    id: 'ts-coherent-not-a-dev',
    surface: 'ts-api',
    does: 'dma_alloc_coherent with a plain object for the device',
    expect: { throws: 'EFAULT', message: /dma_alloc_(coherent|attrs): not a struct device/, unchanged: true },
    act: () => dma_alloc_coherent(NOT_A_DEV, 4096, dma_addr(), GFP_KERNEL),
  },
  {
    id: 'ts-coherent-free-null-dev',
    surface: 'ts-api',
    does: 'dma_free_coherent(NULL, ...) of a live buffer (the pair of dma_alloc_coherent(NULL) giving NULL)',
    expect: { quiet: true, unchanged: true },
    act: (w) => dma_free_coherent(NULL_DEV, 4096, w.co, w.co_dma),
  },
  {
    id: 'ts-coherent-free-null-cpu',
    surface: 'ts-api',
    does: 'dma_free_coherent with a NULL cpu_addr (the kernel returns early)',
    expect: { quiet: true, unchanged: true },
    act: (w) => dma_free_coherent(w.dev, 4096, 0, w.co_dma),
  },
  {
    id: 'ts-coherent-free-twice',
    surface: 'ts-api',
    does: 'dma_free_coherent of the same buffer twice',
    expect: { log: /DMA-API: drv dev0: device driver tries to free DMA memory it has not allocated/ },
    act: (w) => {
      dma_free_coherent(w.dev, 4096, w.co, w.co_dma);
      dma_free_coherent(w.dev, 4096, w.co, w.co_dma);
    },
  },
  {
    id: 'ts-coherent-free-mapping-error',
    surface: 'ts-api',
    does: 'dma_free_coherent with DMA_MAPPING_ERROR as the handle',
    expect: { log: /device driver tries to free an invalid DMA memory address/, unchanged: true },
    act: (w) => dma_free_coherent(w.dev, 4096, w.co, DMA_MAPPING_ERROR),
  },
  {
    id: 'ts-coherent-free-other-dev',
    surface: 'ts-api',
    does: "dma_free_coherent of dev0's buffer on dev1",
    expect: { log: /DMA-API: drv dev1: device driver tries to free DMA memory it has not allocated/, unchanged: true },
    act: (w) => dma_free_coherent(w.dev2, 4096, w.co, w.co_dma),
  },
  {
    id: 'ts-coherent-no-mask',
    surface: 'ts-api',
    does: 'dma_alloc_coherent on a device whose coherent mask is 0',
    expect: { returns: 0, log: /WARNING: at kernel\/dma\/mapping\.c/, unchanged: true },
    act: (w) => {
      const d = new device(w.m);
      dev_set_name(d, 'nomask');
      device_register(d);
      d.coherent_dma_mask = 0n;
      return dma_alloc_coherent(d, 4096, dma_addr(), GFP_KERNEL);
    },
  },
  /* Streaming mappings: directions, sizes, addresses. */
  ...([DMA_NONE, 7, -1, Number.NaN, '1'] as const).map(
    (dir, i): TsScenario => ({
      id: `ts-map-dir-${i + 1}`,
      surface: 'ts-api',
      does: `dma_map_single with direction ${String(dir)}`,
      expect: { throws: 'EBUG', log: /kernel BUG at kernel\/dma\/mapping\.c/, unchanged: true },
      act: (w) => dma_map_single(w.dev, w.buf, 64, NUM(dir)),
    }),
  ),
  {
    id: 'ts-unmap-dir-none',
    surface: 'ts-api',
    does: 'dma_unmap_single of a live mapping with DMA_NONE',
    expect: { throws: 'EBUG', log: /kernel BUG at kernel\/dma\/mapping\.c/, unchanged: true },
    act: (w) => dma_unmap_single(w.dev, w.map_dma, 256, DMA_NONE),
  },
  {
    id: 'ts-sync-dir-none',
    surface: 'ts-api',
    does: 'dma_sync_single_for_device with DMA_NONE',
    expect: { throws: 'EBUG', log: /kernel BUG at kernel\/dma\/mapping\.c/, unchanged: true },
    act: (w) => dma_sync_single_for_device(w.dev, w.map_dma, 256, DMA_NONE),
  },
  {
    id: 'ts-map-size-2p53',
    surface: 'ts-api',
    does: 'dma_map_single of 2**53 bytes',
    expect: { returns: DMA_MAPPING_ERROR, unchanged: true },
    act: (w) => dma_map_single(w.dev, w.buf, 2 ** 53, DMA_TO_DEVICE),
  },
  {
    id: 'ts-map-vmalloc',
    surface: 'ts-api',
    does: 'dma_map_single of a vmalloc buffer',
    expect: { returns: DMA_MAPPING_ERROR, log: /vmalloc/ },
    act: (w) => {
      const v = vmalloc(4096, w.m);
      return same(w, () => dma_map_single(w.dev, v, 4096, DMA_TO_DEVICE));
    },
  },
  {
    id: 'ts-map-no-mask',
    surface: 'ts-api',
    does: 'dma_map_single on a device with no DMA mask',
    expect: { returns: DMA_MAPPING_ERROR, log: /WARNING: at kernel\/dma\/mapping\.c/, unchanged: true },
    act: (w) => {
      const d = new device(w.m);
      dev_set_name(d, 'nomask');
      device_register(d);
      d.dma_mask = null;
      return dma_map_single(d, w.buf, 64, DMA_TO_DEVICE);
    },
  },
  {
    id: 'ts-map-page-not-a-page',
    surface: 'ts-api',
    does: 'dma_map_page with NaN for the page',
    expect: { returns: DMA_MAPPING_ERROR, unchanged: true },
    act: (w) => dma_map_page(w.dev, Number.NaN, 0, 64, DMA_TO_DEVICE),
  },
  {
    id: 'ts-unmap-mapping-error',
    surface: 'ts-api',
    does: 'dma_unmap_single of DMA_MAPPING_ERROR',
    expect: { log: /device driver tries to free an invalid DMA memory address/, unchanged: true },
    act: (w) => dma_unmap_single(w.dev, DMA_MAPPING_ERROR, 256, DMA_TO_DEVICE),
  },
  {
    id: 'ts-unmap-other-dev',
    surface: 'ts-api',
    does: "dma_unmap_single of dev0's mapping on dev1",
    expect: { log: /DMA-API: drv dev1: device driver tries to free DMA memory it has not allocated/, unchanged: true },
    act: (w) => dma_unmap_single(w.dev2, w.map_dma, 256, DMA_TO_DEVICE),
  },
  {
    id: 'ts-sync-unmapped',
    surface: 'ts-api',
    does: 'dma_sync_single_for_cpu of a bus address never mapped',
    expect: { log: /device driver tries to sync DMA memory it has not allocated/, unchanged: true },
    act: (w) => dma_sync_single_for_cpu(w.dev, STRAY, 64, DMA_FROM_DEVICE),
  },
  {
    id: 'ts-sync-wrong-dir',
    surface: 'ts-api',
    does: 'dma_sync_single_for_cpu of a DMA_TO_DEVICE mapping as DMA_FROM_DEVICE',
    expect: { log: /device driver syncs DMA memory with different direction/, unchanged: true },
    act: (w) => dma_sync_single_for_cpu(w.dev, w.map_dma, 256, DMA_FROM_DEVICE),
  },
  {
    id: 'ts-sync-too-long',
    surface: 'ts-api',
    does: 'dma_sync_single_for_cpu of more bytes than were mapped',
    expect: { log: /device driver syncs DMA memory outside allocated range/, unchanged: true },
    act: (w) => dma_sync_single_for_cpu(w.dev, w.map_dma, 4096, DMA_TO_DEVICE),
  },
  {
    id: 'ts-sync-after-unmap',
    surface: 'ts-api',
    does: 'dma_sync_single_for_device after dma_unmap_single',
    expect: { log: /device driver tries to sync DMA memory it has not allocated/ },
    act: (w) => {
      dma_unmap_single(w.dev, w.map_dma, 256, DMA_TO_DEVICE);
      dma_sync_single_for_device(w.dev, w.map_dma, 256, DMA_TO_DEVICE);
    },
  },
  /* Scatterlists. */
  {
    id: 'ts-sg-nents-0',
    surface: 'ts-api',
    does: 'dma_map_sg with nents 0',
    expect: { returns: 0, log: /WARNING: at kernel\/dma\/mapping\.c __dma_map_sg_attrs/ },
    act: (w) => {
      const sg = sg_of(w, 2);
      return same(w, () => dma_map_sg(w.dev, sg, 0, DMA_TO_DEVICE));
    },
  },
  {
    id: 'ts-sg-dir-none',
    surface: 'ts-api',
    does: 'dma_map_sg with DMA_NONE',
    expect: { throws: 'EBUG', log: /kernel BUG at kernel\/dma\/mapping\.c/ },
    act: (w) => dma_map_sg(w.dev, sg_of(w, 2), 2, DMA_NONE),
  },
  {
    id: 'ts-sg-past-table',
    surface: 'ts-api',
    does: 'dma_map_sg with nents larger than the table',
    expect: { returns: 0, log: /dmashim: .*dma_map_sg/ },
    act: (w) => {
      const sg = sg_of(w, 2);
      return same(w, () => dma_map_sg(w.dev, sg, 5, DMA_TO_DEVICE));
    },
  },
  {
    id: 'ts-sg-unmap-unmapped',
    surface: 'ts-api',
    does: 'dma_unmap_sg of a list never mapped (the kernel finds no first entry and checks nothing)',
    expect: { quiet: true },
    act: (w) => {
      const sg = sg_of(w, 2);
      same(w, () => dma_unmap_sg(w.dev, sg, 2, DMA_TO_DEVICE));
    },
  },
  {
    id: 'ts-sg-sync-unmapped',
    surface: 'ts-api',
    does: 'dma_sync_sg_for_cpu of a list never mapped (as dma_unmap_sg: nothing checked)',
    expect: { quiet: true },
    act: (w) => {
      const sg = sg_of(w, 1);
      same(w, () => dma_sync_sg_for_cpu(w.dev, sg, 1, DMA_TO_DEVICE));
    },
  },
  {
    id: 'ts-sg-null-dev-unmap',
    surface: 'ts-api',
    does: 'dma_unmap_sg(NULL, ...)',
    expect: { throws: 'EFAULT', message: KERNEL_OOPS },
    act: (w) => dma_unmap_sg(NULL_DEV, sg_of(w, 1), 1, DMA_TO_DEVICE),
  },
  /* Masks. */
  ...(
    [
      ['0', 0n, -EIO],
      ['NaN', Number.NaN, -EIO],
      ['a string', 'all', -EIO],
      ['DMA_BIT_MASK(8)', DMA_BIT_MASK(8), -EIO],
    ] as const
  ).map(
    ([what, mask, ret], i): TsScenario => ({
      id: `ts-mask-${i + 1}`,
      surface: 'ts-api',
      does: `dma_set_mask with ${what}`,
      expect: { returns: ret, unchanged: true },
      act: (w) => dma_set_mask(w.dev, mask as unknown as bigint),
    }),
  ),
  {
    id: 'ts-coherent-mask-0',
    surface: 'ts-api',
    does: 'dma_set_coherent_mask(dev, 0)',
    expect: { returns: -EIO, unchanged: true },
    act: (w) => {
      const r = dma_set_coherent_mask(w.dev, 0n);
      if (w.dev.coherent_dma_mask !== DMA_BIT_MASK(64)) throw new Error('mask changed');
      return r;
    },
  },
  {
    id: 'ts-mask-null-dev',
    surface: 'ts-api',
    does: 'dma_set_mask(NULL, ...)',
    expect: { throws: 'EFAULT', message: KERNEL_OOPS },
    act: () => dma_set_mask(NULL_DEV, DMA_BIT_MASK(32)),
  },
  /* Per-device coherent memory. */
  {
    id: 'ts-declare-size-0',
    surface: 'ts-api',
    does: 'dma_declare_coherent_memory of 0 bytes',
    expect: { returns: -EINVAL, unchanged: true },
    act: (w) => dma_declare_coherent_memory(w.dev, 0, 0, 0),
  },
  {
    id: 'ts-declare-twice',
    surface: 'ts-api',
    does: 'dma_declare_coherent_memory on a device that has a region',
    expect: { returns: -EBUSY },
    act: (w) => {
      const pg = __get_free_pages(GFP_KERNEL, 2, w.m);
      const phys = virt_to_phys(pg);
      if (dma_declare_coherent_memory(w.dev2, phys, phys, 16384) !== 0) throw new Error('first declare');
      return dma_declare_coherent_memory(w.dev2, phys, phys, 16384);
    },
  },
  /* Managed resources after the device is gone. */
  {
    id: 'ts-dmam-after-release',
    surface: 'ts-api',
    does: 'dmam_alloc_coherent on a device after device_unregister',
    expect: {
      returns: 0,
      log: /dmashim: drv dev1: dmam_alloc_coherent\(\) on a device that was already released .*nothing was allocated/,
      unchanged: true,
    },
    act: (w) => {
      device_unregister(w.dev2);
      return dmam_alloc_coherent(w.dev2, 4096, dma_addr(), GFP_KERNEL);
    },
  },
  {
    id: 'ts-dmam-after-del',
    surface: 'ts-api',
    does: 'dmam_alloc_coherent on a device that is deleted but still held, then the last put_device',
    expect: { returns: 'nonzero', quiet: true, unchanged: true },
    act: (w) => {
      get_device(w.dev2);
      device_unregister(w.dev2);
      const v = dmam_alloc_coherent(w.dev2, 4096, dma_addr(), GFP_KERNEL);
      put_device(w.dev2);
      return v;
    },
  },
  {
    id: 'ts-dmam-pool-after-release',
    surface: 'ts-api',
    does: 'dmam_pool_create on a device after device_unregister',
    expect: {
      returns: null,
      log: /dmashim: drv dev1: dmam_pool_create\(\) on a device that was already released .*nothing was allocated/,
      unchanged: true,
    },
    act: (w) => {
      device_unregister(w.dev2);
      return dmam_pool_create('late', w.dev2, 64, 8, 0);
    },
  },
  /* Page and slab allocators. */
  ...(
    [
      ['order 11 (above MAX_PAGE_ORDER)', 11],
      ['order -1', -1],
      ['order 1.5', 1.5],
      ['order NaN', Number.NaN],
    ] as const
  ).map(
    ([what, order], i): TsScenario => ({
      id: `ts-pages-order-${i + 1}`,
      surface: 'ts-api',
      does: `alloc_pages with ${what}`,
      expect: { returns: 0, unchanged: true },
      act: (w) => alloc_pages(GFP_KERNEL, order, w.m),
    }),
  ),
  {
    id: 'ts-kmalloc-0',
    surface: 'ts-api',
    does: 'kmalloc(0)',
    expect: { returns: ZERO_SIZE_PTR, unchanged: true, quiet: true },
    act: (w) => kmalloc(0, GFP_KERNEL, w.m),
  },
  ...(
    [
      ['NaN', Number.NaN],
      ['-1', -1],
      ['2**53', 2 ** 53],
    ] as const
  ).map(
    ([what, size], i): TsScenario => ({
      id: `ts-kmalloc-${i + 1}`,
      surface: 'ts-api',
      does: `kmalloc(${what})`,
      expect: { returns: 0, unchanged: true },
      act: (w) => kmalloc(size, GFP_KERNEL, w.m),
    }),
  ),
  {
    id: 'ts-kfree-null',
    surface: 'ts-api',
    does: 'kfree(NULL), kfree(ZERO_SIZE_PTR), vfree(NULL), free_pages(0, 0)',
    expect: { quiet: true, unchanged: true },
    act: () => {
      kfree(0);
      kfree(ZERO_SIZE_PTR);
      vfree(0);
      free_pages(0, 0);
    },
  },
  {
    id: 'ts-kfree-twice',
    surface: 'ts-api',
    does: 'kfree of the same object twice',
    expect: { log: /Object already free/ },
    act: (w) => {
      const p = kmalloc(64, GFP_KERNEL, w.m);
      kfree(p);
      kfree(p);
    },
  },
  {
    id: 'ts-free-pages-twice',
    surface: 'ts-api',
    does: 'free_pages of the same page twice',
    expect: { log: /BUG: Bad page state/ },
    act: (w) => {
      const p = __get_free_pages(GFP_KERNEL, 0, w.m);
      free_pages(p, 0);
      free_pages(p, 0);
    },
  },
  /* swiotlb and the IOMMU. */
  {
    id: 'ts-swiotlb-full',
    surface: 'ts-api',
    does: 'map more than the swiotlb holds (256 KiB pool, forced bouncing)',
    expect: { returns: DMA_MAPPING_ERROR, log: /swiotlb buffer is full/ },
    act: (w) => {
      swiotlb_configure(w.m, { size: 256 * 1024 });
      swiotlb_set_force_bounce(w.dev2, true);
      const b = kmalloc(128 * 1024, GFP_KERNEL, w.m);
      let last = 0;
      for (let i = 0; i < 200 && last !== DMA_MAPPING_ERROR; i++)
        last = dma_map_single(w.dev2, b, 128 * 1024, DMA_TO_DEVICE);
      return last;
    },
  },
  {
    id: 'ts-iommu-unmap-unknown',
    surface: 'ts-api',
    does: 'dma_unmap_single of an IOVA the IOMMU never handed out',
    expect: { log: /device driver tries to free DMA memory it has not allocated/ },
    act: (w) => {
      const dom = sim_iommu_attach(w.dev2);
      const b = kmalloc(256, GFP_KERNEL, w.m);
      const d = dma_map_single(w.dev2, b, 256, DMA_TO_DEVICE);
      same(w, () => dma_unmap_single(w.dev2, d + 0x100000, 256, DMA_TO_DEVICE));
      if (iommu_iova_to_phys(dom, d) === 0) throw new Error('the real mapping went');
    },
  },
  {
    id: 'ts-iommu-unmap-twice',
    surface: 'ts-api',
    does: 'dma_unmap_single of an IOMMU mapping twice',
    expect: { log: /device driver tries to free DMA memory it has not allocated/ },
    act: (w) => {
      sim_iommu_attach(w.dev2);
      const b = kmalloc(256, GFP_KERNEL, w.m);
      const d = dma_map_single(w.dev2, b, 256, DMA_TO_DEVICE);
      dma_unmap_single(w.dev2, d, 256, DMA_TO_DEVICE);
      dma_unmap_single(w.dev2, d, 256, DMA_TO_DEVICE);
    },
  },
  {
    id: 'ts-iommu-iova-unknown',
    surface: 'ts-api',
    does: 'iommu_iova_to_phys of an IOVA not mapped',
    expect: { returns: 0, quiet: true },
    act: (w) => iommu_iova_to_phys(sim_iommu_attach(w.dev2), 0x7000000),
  },
  /* Our own API's options. */
  {
    id: 'ts-machine-bad-ram',
    surface: 'ts-api',
    does: 'create_machine with ram as a string',
    expect: { throws: 'EINVALOPT', message: /ram/ },
    act: () => create_machine({ ram: 'lots' as unknown as [] }),
  },
  {
    id: 'ts-sanitizer-bad-num-errors',
    surface: 'ts-api',
    does: 'sanitizer_configure with num_errors 1.5',
    expect: { throws: 'EINVALOPT', message: /num_errors/ },
    act: (w) => sanitizer_configure(w.m, { num_errors: 1.5 }),
  },
  {
    id: 'ts-swiotlb-bad-size',
    surface: 'ts-api',
    does: 'swiotlb_configure with a size that is not a multiple of a segment',
    expect: { throws: 'EINVALOPT', message: /size/ },
    act: (w) => swiotlb_configure(w.m, { size: 1000 }),
  },
  {
    id: 'ts-mmap-null-dev',
    surface: 'ts-api',
    does: 'dma_mmap_coherent(NULL, ...)',
    expect: { throws: 'EFAULT', message: KERNEL_OOPS, unchanged: true },
    act: (w) => dma_mmap_coherent(NULL_DEV, { vm_start: 0x10000, vm_end: 0x11000, vm_pgoff: 0 }, w.co, w.co_dma, 4096),
  },
];

/* The device side: our API, playing the hardware. */
export const device_scenarios: TsScenario[] = [
  {
    id: 'dev-null-read',
    surface: 'device-side',
    does: 'device_dma_read(NULL, ...)',
    expect: { throws: 'EFAULT', message: /device_dma_read: NULL device/, unchanged: true },
    act: (w) => device_dma_read(NULL_DEV, w.co_dma, 4),
  },
  {
    id: 'dev-not-a-dev-fill',
    surface: 'device-side',
    does: 'device_dma_fill with a plain object for the device',
    expect: { throws: 'EFAULT', message: /device_dma_fill: not a struct device/, unchanged: true },
    act: (w) => device_dma_fill(NOT_A_DEV, w.co_dma, 4, 0),
  },
  {
    id: 'dev-error-count-null',
    surface: 'device-side',
    does: 'device_dma_error_count(NULL)',
    expect: { throws: 'EFAULT', message: /NULL device/ },
    act: () => device_dma_error_count(NULL_DEV),
  },
  {
    id: 'dev-write-not-bytes',
    surface: 'device-side',
    does: 'device_dma_write of [1, 256, 3] (256 is no byte)',
    expect: { throws: 'EINVALOPT', message: /device_dma_write: .*256/, unchanged: true },
    act: (w) => device_dma_write(w.dev, w.co_dma, [1, 256, 3]),
  },
  {
    id: 'dev-write-fraction-byte',
    surface: 'device-side',
    does: 'device_dma_write of [1.5]',
    expect: { throws: 'EINVALOPT', message: /device_dma_write: .*1\.5/, unchanged: true },
    act: (w) => device_dma_write(w.dev, w.co_dma, [1.5]),
  },
  {
    id: 'dev-write-string',
    surface: 'device-side',
    does: "device_dma_write of the string 'abc' where bytes belong",
    expect: { throws: 'EINVALOPT', message: /device_dma_write/, unchanged: true },
    act: (w) => device_dma_write(w.dev, w.co_dma, 'abc' as unknown as number[]),
  },
  {
    id: 'dev-fill-bad-value',
    surface: 'device-side',
    does: 'device_dma_fill with value NaN',
    expect: { throws: 'EINVALOPT', message: /device_dma_fill: .*NaN/, unchanged: true },
    act: (w) => device_dma_fill(w.dev, w.co_dma, 16, Number.NaN),
  },
  {
    id: 'dev-read-zero',
    surface: 'device-side',
    does: 'device_dma_read of 0 bytes at a stray address',
    expect: { quiet: true, unchanged: true },
    act: (w) => {
      const r = device_dma_read(w.dev, STRAY, 0);
      if (!(r instanceof Uint8Array) || r.length !== 0) throw new Error('not an empty read');
    },
  },
  {
    id: 'dev-write-stray',
    surface: 'device-side',
    does: 'the device writes where nothing is mapped',
    expect: { returns: -EFAULT, log: /stray DMA/, unchanged: true },
    act: (w) => device_dma_write(w.dev, STRAY, [1, 2, 3, 4]),
  },
  {
    id: 'dev-write-after-unmap',
    surface: 'device-side',
    does: 'the device writes into a streaming buffer after its unmap',
    expect: { returns: -EFAULT, log: /after unmap/ },
    act: (w) => {
      dma_unmap_single(w.dev, w.map_dma, 256, DMA_TO_DEVICE);
      mem_bytes(w.buf, 4).fill(0x11);
      const r = device_dma_write(w.dev, w.map_dma, [9, 9, 9, 9]);
      if (!mem_bytes(w.buf, 4).every((b) => b === 0x11)) throw new Error('the write landed');
      return r;
    },
  },
  {
    id: 'dev-read-after-free',
    surface: 'device-side',
    does: 'the device reads a coherent buffer after dma_free_coherent',
    expect: { returns: null, log: /after (free|unmap)/ },
    act: (w) => {
      dma_free_coherent(w.dev, 4096, w.co, w.co_dma);
      return device_dma_read(w.dev, w.co_dma, 16);
    },
  },
  {
    id: 'dev-write-straddles-end',
    surface: 'device-side',
    does: 'the device writes 8 bytes starting 4 bytes before the end of a 256-byte mapping',
    expect: { returns: -EFAULT, log: /stray DMA|outside/ },
    act: (w) => {
      const b = kmalloc(4096, GFP_KERNEL, w.m);
      const d = dma_map_single(w.dev, b, 256, DMA_FROM_DEVICE);
      mem_bytes(b + 252, 8).fill(0);
      const r = device_dma_write(w.dev, d + 252, [1, 1, 1, 1, 1, 1, 1, 1]);
      if (!mem_bytes(b + 252, 8).every((x) => x === 0)) throw new Error('part of the write landed');
      return r;
    },
  },
  {
    id: 'dev-write-to-device-buffer',
    surface: 'device-side',
    does: 'the device writes into a DMA_TO_DEVICE mapping (reported; it lands, as without an IOMMU)',
    expect: { returns: 0, log: /device writes into a DMA_TO_DEVICE mapping/ },
    act: (w) => device_dma_write(w.dev, w.map_dma, [1]),
  },
  {
    id: 'dev-other-device',
    surface: 'device-side',
    does: "dev1 writes into dev0's coherent buffer",
    expect: { returns: -EFAULT, log: /stray DMA/, unchanged: true },
    act: (w) => device_dma_write(w.dev2, w.co_dma, [1, 2]),
  },
  {
    id: 'dev-beyond-mask',
    surface: 'device-side',
    does: 'a 32-bit device reads above 4 GiB',
    expect: { returns: null, log: /beyond what the device can address/ },
    act: (w) => {
      dma_set_mask_and_coherent(w.dev2, DMA_BIT_MASK(32));
      return device_dma_read(w.dev2, 4 * GiB + 4096, 4);
    },
  },
  {
    id: 'dev-fill-2p53',
    surface: 'device-side',
    does: 'device_dma_fill of 2**53 bytes',
    expect: { returns: -EFAULT, log: /length/, unchanged: true },
    act: (w) => device_dma_fill(w.dev, w.co_dma, 2 ** 53, 0),
  },
  {
    id: 'dev-read-negative-zero',
    surface: 'device-side',
    does: 'device_dma_read at bus address -0 with length 4 (nothing mapped at 0)',
    expect: { returns: null, log: /stray DMA|not a bus address/, unchanged: true },
    act: (w) => device_dma_read(w.dev, -0, 4),
  },
];

/* The C path: test/bridge/c/misuse_suite.c runs these in order; `returns` is the number it prints (pointers: 0 NULL, 1 not). */
export interface CScenario {
  id: string;
  surface: 'c-path';
  does: string;
  expect: Expectation;
  known?: string;
}

const c = (id: string, does: string, expect: Expectation, known?: string): CScenario =>
  known ? { id, surface: 'c-path', does, expect, known } : { id, surface: 'c-path', does, expect };
const CALLED = (fn: string) => new RegExp(`${fn}\\(\\) called from test/bridge/c/misuse_suite\\.c:\\d+`);

export const c_scenarios: CScenario[] = [
  c('c-pool-size-0', 'dma_pool_create of size 0', { returns: 0, quiet: true }),
  c('c-pool-align-3', 'dma_pool_create with align 3', { returns: 0, quiet: true }),
  c('c-pool-boundary-small', 'dma_pool_create with a boundary below the size', { returns: 0, quiet: true }),
  c('c-pool-size-huge', 'dma_pool_create of 2 GiB blocks (above INT_MAX)', { returns: 0, quiet: true }),
  c('c-pool-null-dev', 'dma_pool_create(..., NULL, ...)', { returns: 0, quiet: true }),
  c('c-pool-destroy-null', 'dma_pool_destroy(NULL)', { returns: 0, quiet: true }),
  c('c-pool-free-null', 'dma_pool_free(pool, NULL, 0)', { returns: 0, log: /dma_pool_free mp, 0+\/0 \(bad dma\)/ }),
  c('c-pool-free-inside', 'dma_pool_free of a block plus 8', {
    log: /dma_pool_free mp, [0-9a-f]+ \(bad vaddr\)\/0x[0-9a-f]+\ndma_pool_free\(\) called from/,
  }),
  c('c-pool-double-free', 'dma_pool_free twice', { log: /dma_pool_free mp, dma 0x[0-9a-f]+ already free/ }),
  c('c-pool-free-other', "dma_pool_free of a block of dev0's pool into dev1's", {
    log: /dma_pool_free mp2, .*\(bad dma\)/,
  }),
  c('c-pool-busy-destroy', 'dma_pool_destroy with a block in use', {
    returns: 1,
    log: /dma_pool_destroy mp3 busy\n.*1 block \(32 bytes\) still in use, 1 page leaked/,
  }),
  c('c-coherent-huge', 'dma_alloc_coherent of 1 TiB', { returns: 0, log: CALLED('dma_alloc_coherent') }),
  c('c-coherent-free-null', 'dma_free_coherent with a NULL cpu_addr', { returns: 0, quiet: true }),
  c('c-coherent-double-free', 'dma_free_coherent twice', {
    log: /DMA-API: pci 0000:00:0a\.0: device driver tries to free DMA memory it has not allocated \[device address=0x[0-9a-f]{16}\] \[size=4096 bytes\]/,
  }),
  c('c-coherent-free-wrong-size', 'dma_free_coherent with a smaller size', {
    log: /device driver frees DMA memory with different size .*\[map size=8192 bytes\] \[unmap size=4096 bytes\]/,
  }),
  c('c-coherent-free-other-dev', "dma_free_coherent of dev0's buffer on dev1", {
    log: /DMA-API: pci 0000:00:0b\.0: device driver tries to free DMA memory it has not allocated/,
  }),
  c('c-unmap-never-mapped', 'dma_unmap_single of an address never mapped', {
    log: /device driver tries to free DMA memory it has not allocated \[device address=0x0000000002000000\] \[size=64 bytes\]/,
  }),
  c('c-unmap-mapping-error', 'dma_unmap_single of DMA_MAPPING_ERROR', {
    log: /device driver tries to free an invalid DMA memory address/,
  }),
  c('c-unmap-wrong-size', 'dma_unmap_single with another size', {
    log: /device driver frees DMA memory with different size .*\[map size=256 bytes\] \[unmap size=128 bytes\]/,
  }),
  c('c-unmap-wrong-dir', 'dma_unmap_single with another direction', {
    log: /device driver frees DMA memory with different direction .*\[mapped with DMA_TO_DEVICE\] \[unmapped with DMA_FROM_DEVICE\]/,
  }),
  c('c-sync-wrong-dir', 'dma_sync_single_for_cpu with another direction', {
    log: /device driver syncs DMA memory with different direction/,
  }),
  c('c-sync-outside', 'dma_sync_single_for_cpu past the mapping', {
    log: /device driver syncs DMA memory outside allocated range .*\[allocation size=256 bytes\] \[sync offset\+size=4096\]/,
  }),
  c('c-device-write-to-device', 'the device writes into a DMA_TO_DEVICE mapping', {
    returns: 0,
    log: /device writes into a DMA_TO_DEVICE mapping[\s\S]*dmashim_device_write\(\) called from/,
  }),
  c('c-sync-after-unmap', 'dma_sync_single_for_device after unmap', {
    log: /device driver tries to sync DMA memory it has not allocated/,
  }),
  c('c-device-write-after-unmap', 'the device writes after unmap', { returns: -EFAULT, log: /DMA write after unmap/ }),
  c('c-device-read-stray', 'the device reads where nothing is mapped', { returns: -EFAULT, log: /stray DMA read/ }),
  c('c-sg-nents-0', 'dma_map_sg with nents 0', {
    returns: 0,
    log: /WARNING: at kernel\/dma\/mapping\.c __dma_map_sg_attrs/,
  }),
  c('c-sg-past-table', 'dma_map_sg with nents 3 over a 2-entry table', {
    returns: 0,
    log: /dmashim: dma_map_sg: nents 3 is larger than the scatterlist \(2 entries\)/,
  }),
  c('c-sg-unmap-wrong-count', 'dma_unmap_sg with 1 of 2 entries', {
    returns: 2,
    log: /device driver frees DMA sg list with different entry count \[map count=2\] \[unmap count=1\]/,
  }),
  c('c-mask-zero', 'dma_set_mask(dev, 0)', { returns: -EIO, quiet: true }),
  c('c-kmalloc-zero', 'kmalloc(0)', { returns: ZERO_SIZE_PTR, quiet: true }),
  c('c-kfree-null', 'kfree(NULL) and free_pages(0, 0)', { returns: 0, quiet: true }),
  c('c-kfree-twice', 'kfree twice', {
    log: /BUG kmalloc-64 \(Not tainted\): Object already free\nkfree\(\) called from/,
  }),
  c('c-pages-order-11', '__get_free_pages of order 11', { returns: 0, log: /page allocation failure: order:11/ }),
  c('c-free-pages-twice', 'free_pages twice', { log: /BUG: Bad page state in process dmashim/ }),
];

/* The CLI: `dmashim <argv>`; a bad flag or value is one line naming it and what is accepted, status 2, nothing run. */
export interface CliScenario {
  id: string;
  surface: 'cli';
  does: string;
  argv: string[];
  expect: Expectation & { status: number; message: RegExp };
  known?: string;
  /** The runner refuses the value once the program is built (the machine, the sanitizer): only a real run sees it. */
  at_run?: true;
}

const SRC = 'test/bridge/c/misuse_suite.c';
const bad = (id: string, does: string, argv: string[], message: RegExp): CliScenario => ({
  id,
  surface: 'cli',
  does,
  argv,
  expect: { status: 2, message },
});

const bad_at_run = (id: string, does: string, argv: string[], message: RegExp): CliScenario => ({
  ...bad(id, does, argv, message),
  at_run: true,
});

export const cli_scenarios: CliScenario[] = [
  bad_at_run(
    'cli-ram-unaligned',
    '--ram 1G@3',
    ['run', SRC, '--ram', '1G@3'],
    /^dmashim: the machine \(--ram.*\): RAM bank at 0x3: start must be a multiple of 4 MiB$/,
  ),
  bad(
    'cli-ram-missing',
    '--ram with no value',
    ['run', SRC, '--ram'],
    /^dmashim: --ram needs a value \(--ram SPEC: .*\)$/,
  ),
  bad('cli-ram-garbage', '--ram lots', ['run', SRC, '--ram', 'lots'], /^dmashim: .*--ram.*lots/),
  bad(
    'cli-timeout-inf',
    '--timeout 1e999',
    ['run', SRC, '--timeout', '1e999'],
    /^dmashim: --timeout must be .*, got 1e999$/,
  ),
  bad(
    'cli-timeout-neg',
    '--timeout -1',
    ['run', SRC, '--timeout', '-1'],
    /^dmashim: --timeout must be .*0\.\.\d+.*, got -1$/,
  ),
  bad('cli-timeout-word', '--timeout abc', ['run', SRC, '--timeout', 'abc'], /^dmashim: --timeout .*got abc$/),
  bad(
    'cli-num-errors-frac',
    '--num-errors 1.5',
    ['run', SRC, '--num-errors', '1.5'],
    /^dmashim: --num-errors must be an integer .*got 1\.5$/,
  ),
  bad(
    'cli-pool-cache-1',
    '--pool-cache=1',
    ['run', SRC, '--pool-cache=1'],
    /^dmashim: --pool-cache must be an integer in 2\.\.65536, got 1$/,
  ),
  bad_at_run(
    'cli-swiotlb-size-0',
    '--swiotlb-size 0',
    ['run', SRC, '--swiotlb-size', '0'],
    /^dmashim: --swiotlb-size: .*multiple of 262144 bytes.*got 0$/,
  ),
  bad(
    'cli-loglevel-9',
    '--loglevel 9',
    ['run', SRC, '--loglevel', '9'],
    /^dmashim: --loglevel must be an integer in 0\.\.8, got 9$/,
  ),
  bad(
    'cli-page-order',
    '--page-order sideways',
    ['run', SRC, '--page-order', 'sideways'],
    /^dmashim: --page-order must be low-first or high-first, got sideways$/,
  ),
  bad(
    'cli-reserved-low',
    '--reserved-low x',
    ['run', SRC, '--reserved-low', 'x'],
    /^dmashim: --reserved-low: bad size "x"/,
  ),
  bad_at_run(
    'cli-fail-nth-0',
    '--fail-nth 0',
    ['run', SRC, '--fail-nth', '0'],
    /^dmashim: .*nth must be an integer in 1\.\..*got 0$/,
  ),
  bad(
    'cli-fail-probability',
    '--fail-probability 2',
    ['run', SRC, '--fail-probability', '2'],
    /^dmashim: --fail-probability must be a number in 0\.\.1, got 2$/,
  ),
  bad(
    'cli-fail-kinds',
    '--fail-kinds pool,bogus',
    ['run', SRC, '--fail-kinds', 'pool,bogus'],
    /^dmashim: --fail-kinds: unknown kind bogus \(pool, coherent, pages, slab\)$/,
  ),
  bad(
    'cli-fail-times',
    '--fail-times -2',
    ['run', SRC, '--fail-times', '-2'],
    /^dmashim: --fail-times must be a non-negative integer, got -2$/,
  ),
  bad(
    'cli-unknown-flag',
    '--poision (a typo)',
    ['run', SRC, '--poision'],
    /^dmashim: unknown option --poision \(did you mean --poison\?\)/,
  ),
  bad(
    'cli-report-missing',
    '--report with no file',
    ['run', SRC, '--report'],
    /^dmashim: --report needs a value \(--report FILE: .*\)$/,
  ),
  bad('cli-no-source', 'run with no source', ['run'], /^dmashim: no C source given/),
  bad('cli-no-such-file', 'run nope.c', ['run', 'nope.c'], /^dmashim: nope\.c: no such file$/),
  bad('cli-unknown-command', 'dmashim frobnicate', ['frobnicate'], /^dmashim: unknown command frobnicate; commands: /),
];

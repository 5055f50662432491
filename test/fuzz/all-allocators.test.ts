/*
 * Model-based fuzz over every allocator and mapping at once (issue 13): pools,
 * coherent buffers, pages, kmalloc, vmalloc, streaming single/page maps, sg
 * lists, swiotlb bouncing and the IOMMU, a device whose coherent memory is an
 * iomem window (on-board SRAM: not RAM, no struct page), with the device side
 * reading and writing live mappings and misuse mixed in.
 *
 * After every command: no two live objects overlap in CPU, physical or any
 * device's bus space (checked as each range goes in); the pools text and
 * dma-debug's live entry counts match the model. Every object's bytes are
 * checked against the pattern the model last wrote (one random object per
 * command, every object when it is freed): a byte owned twice shows up there.
 * Coherent buffers and pool blocks of the SRAM device lie in its window (bus
 * and CPU addresses agreeing), and nothing else does.
 * Each misuse must log its report (or throw its DmashimError) and leave a
 * snapshot of every counter unchanged.
 *
 * Size: DMASHIM_FUZZ_OPS operations (default 100000). Replay a failure with
 * the seed and path fast-check prints: DMASHIM_FUZZ_SEED=<seed>
 * DMASHIM_FUZZ_PATH=<path> npx vitest run test/fuzz/all-allocators.test.ts
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  GFP_KERNEL,
  DmashimError,
  DMA_MAPPING_ERROR,
  DMA_TO_DEVICE,
  DMA_FROM_DEVICE,
  DMA_BIDIRECTIONAL,
  EFAULT,
  dma_addr,
  dma_alloc_coherent,
  dma_free_coherent,
  dma_pool_create,
  dma_pool_alloc,
  dma_pool_free,
  dma_pool_destroy,
  dma_map_single,
  dma_unmap_single,
  dma_map_page,
  dma_unmap_page,
  dma_mapping_error,
  dma_sync_single_for_cpu,
  dma_sync_single_for_device,
  dma_map_sg,
  dma_unmap_sg,
  dma_sync_sg_for_cpu,
  sg_init_table,
  sg_set_buf,
  sg_dma_address,
  sg_dma_len,
  kmalloc,
  kfree,
  vmalloc,
  vfree,
  vmalloc_read,
  vmalloc_write,
  vmalloc_to_pfn,
  alloc_pages,
  free_pages,
  page_address,
  virt_addr_valid,
  virt_to_page,
  dma_declare_coherent_memory,
  virt_to_phys,
  dma_to_phys,
  mem_bytes,
  swiotlb_configure,
  swiotlb_set_force_bounce,
  swiotlb_stats,
  sim_iommu_attach,
  sanitizer_configure,
  debug_count_of,
  device_dma_read,
  device_dma_fill,
  sysfs_read,
  dmesg_mark,
  dmesg_since,
  dmesg_clear,
  create_machine,
  type scatterlist,
  type dma_pool,
  type device,
  type Machine,
} from '../../src/index.ts';
import { dev_on, MiB, GiB } from '../dma-api/helpers.ts';
import { Space, CPU, PHYS, BUS0, type Obj, type Kind } from './model.ts';

const TOTAL_OPS = Number(process.env['DMASHIM_FUZZ_OPS'] ?? 100_000);
const PER_RUN = 6000;
/* Lengths spread over [0, PER_RUN], about PER_RUN / 2 on average. */
const RUNS_FACTOR = 2;
const SEED = process.env['DMASHIM_FUZZ_SEED'] === undefined ? undefined : Number(process.env['DMASHIM_FUZZ_SEED']);
const PATH = process.env['DMASHIM_FUZZ_PATH'];
const DIRS = [DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_BIDIRECTIONAL] as const;
const NULL_DEV = null as unknown as device;
/* The SRAM device (index 3): its coherent memory is an iomem window, seen by the device at SRAM_BUS. */
const SRAM_DEV = 3;
const SRAM_PHYS = 0x7f00000000;
const SRAM_BUS = 0x40000000;
const SRAM_SIZE = 2 * MiB;
const NDEVS = 4;

/* Commands and their weights: legitimate traffic first, misuse after. */
const COMMANDS = {
  pool_create: 2,
  pool_destroy: 1,
  pool_alloc: 12,
  pool_free: 8,
  coherent_alloc: 5,
  coherent_free: 4,
  pages_alloc: 4,
  pages_free: 3,
  kmalloc: 6,
  kfree: 5,
  vmalloc: 2,
  vfree: 2,
  map_single: 6,
  map_page: 3,
  unmap: 6,
  map_sg: 3,
  unmap_sg: 3,
  dev_write: 6,
  dev_read: 4,
  sync: 4,
  cpu_write: 3,
  verify: 2,
  bad_double_free: 2,
  bad_foreign_free: 2,
  bad_wrong_size: 2,
  bad_never_mapped: 1,
  bad_wrong_size_unmap: 1,
  bad_other_pool: 1,
  bad_pool_page: 1,
  bad_sg_count: 1,
  bad_sizes: 1,
  bad_null_dev: 1,
  bad_stray_write: 1,
  bad_devmem: 1,
} as const;
type Cmd = keyof typeof COMMANDS;
const TABLE: Cmd[] = [];
for (const [k, w] of Object.entries(COMMANDS) as [Cmd, number][]) for (let i = 0; i < w; i++) TABLE.push(k);

interface Op {
  c: number;
  a: number;
  b: number;
}
const opArb: fc.Arbitrary<Op> = fc.record({
  c: fc.nat({ max: TABLE.length - 1 }),
  a: fc.nat({ max: 0xffff }),
  b: fc.nat({ max: 0xffff }),
});

interface PoolM {
  pool: dma_pool;
  name: string;
  dev: number;
  size: number;
  live: number;
}

/* verify()'s reference bytes: one scratch buffer, filled with the pattern byte for each check (memset). */
const PATTERN_MAX = 1 << 24;
let scratch = Buffer.alloc(4096);
function pattern(pat: number, len: number): Buffer {
  if (scratch.length < len) scratch = Buffer.alloc(Math.max(len, scratch.length * 2));
  return scratch.fill(pat, 0, len).subarray(0, len);
}

/** Thrown for a broken invariant, so the property fails with the op that broke it. */
function fail(msg: string): never {
  throw new Error(msg);
}

class World {
  readonly m: Machine;
  readonly devs: device[];
  readonly spaces: Space[];
  readonly live = new Map<number, Obj>();
  readonly byKind = new Map<Kind, Obj[]>();
  readonly pools: (PoolM | null)[] = [];
  readonly h = dma_addr();
  readonly entries = new Array<number>(NDEVS).fill(0);
  nextId = 1;
  nextPool = 0;

  /* Poisoning on: the pools' and the page allocator's slow paths; off: their hot paths. */
  constructor(poison: boolean) {
    this.m = create_machine({
      ram: [
        { start: 0, size: 16 * MiB },
        { start: 4 * GiB, size: 16 * MiB },
      ],
      iomem: [{ phys: SRAM_PHYS, size: SRAM_SIZE, name: 'sram' }],
      poison,
    });
    swiotlb_configure(this.m, { size: 2 * MiB });
    sanitizer_configure(this.m, { sites: false, all_errors: true });
    const d64 = dev_on(this.m, 64, 'd64');
    const d32 = dev_on(this.m, 32, 'd32');
    swiotlb_set_force_bounce(d32, true);
    const dio = dev_on(this.m, 64, 'dio');
    sim_iommu_attach(dio);
    const dsram = dev_on(this.m, 32, 'dsram');
    if (dma_declare_coherent_memory(dsram, SRAM_PHYS, SRAM_BUS, SRAM_SIZE) !== 0) fail('declare of the SRAM window');
    this.devs = [d64, d32, dio, dsram];
    this.spaces = [new Space('cpu'), new Space('phys'), ...this.devs.map((d) => new Space(`bus ${d.name}`))];
  }

  list(k: Kind): Obj[] {
    let l = this.byKind.get(k);
    if (!l) {
      l = [];
      this.byKind.set(k, l);
    }
    return l;
  }

  pick(k: Kind, n: number): Obj | undefined {
    const l = this.list(k);
    return l.length ? l[n % l.length] : undefined;
  }

  obj(kind: Kind, dev: number, v: number, len: number): Obj {
    return {
      id: this.nextId++,
      kind,
      dev,
      v,
      len,
      dma: 0,
      dir: 0,
      order: 0,
      pat: 0,
      pending: -1,
      pool: -1,
      bufs: [],
      nents: 0,
      mapped: 0,
      ranges: [],
    };
  }

  range(o: Obj, space: number, start: number, len: number): void {
    if (len <= 0) return;
    this.spaces[space]!.insert(start, len, o.id);
    o.ranges.push(space, start, len);
  }

  /* RAM's linear map or the SRAM window: one CPU range, one physical range. */
  linear(v: number): boolean {
    return virt_addr_valid(v) || this.m.iomemAtVirt(v) !== undefined;
  }

  /* Ownership of the window: SRAM device coherent memory and pool blocks, at matching bus and CPU addresses, only. */
  owned(o: Obj): void {
    const inWindow = this.m.iomemAtVirt(o.v) !== undefined;
    const fromWindow = o.dev === SRAM_DEV && (o.kind === 'coherent' || o.kind === 'pool');
    if (inWindow !== fromWindow) fail(`${o.kind} ${o.id} of device ${o.dev}: in the SRAM window ${inWindow}`);
    if (!fromWindow) return;
    if (!(o.dma >= SRAM_BUS && o.dma + o.len <= SRAM_BUS + SRAM_SIZE))
      fail(`${o.kind} ${o.id}: bus 0x${o.dma.toString(16)}+${o.len} outside the window`);
    if (virt_to_phys(o.v) !== SRAM_PHYS + (o.dma - SRAM_BUS))
      fail(`${o.kind} ${o.id}: CPU and bus addresses disagree in the window`);
  }

  /* Pages of the window the region has handed out (its bitmap). */
  windowUsed(): number {
    const mem = this.devs[SRAM_DEV]!.dma_mem;
    return mem ? mem.bitmap.reduce((n, b) => n + b, 0) : -1;
  }

  /* CPU range, and the physical one where the CPU address is in the linear map or the window. */
  cpuRanges(o: Obj, v: number, len: number): void {
    this.range(o, CPU, v, len);
    if (this.linear(v)) this.range(o, PHYS, virt_to_phys(v), len);
    else for (let off = 0; off < len; off += 4096) this.range(o, PHYS, vmalloc_to_pfn(v + off) * 4096, 4096);
  }

  /* dma-debug entries the model expects per device, pool pages aside. */
  entriesOf(o: Obj): number {
    if (o.kind === 'coherent' || o.kind === 'single' || o.kind === 'page') return 1;
    return o.kind === 'sg' ? o.mapped : 0;
  }

  add(o: Obj): void {
    this.owned(o);
    this.live.set(o.id, o);
    this.list(o.kind).push(o);
    if (o.dev >= 0) this.entries[o.dev]! += this.entriesOf(o);
  }

  drop(o: Obj): void {
    for (let i = 0; i < o.ranges.length; i += 3) this.spaces[o.ranges[i]!]!.remove(o.ranges[i + 1]!, o.id);
    this.live.delete(o.id);
    if (o.dev >= 0) this.entries[o.dev]! -= this.entriesOf(o);
    const l = this.list(o.kind);
    const i = l.indexOf(o);
    l[i] = l[l.length - 1]!;
    l.pop();
  }

  /* Bytes of an object's CPU view. */
  bytes(v: number, len: number): Uint8Array {
    return this.linear(v) ? mem_bytes(v, len) : vmalloc_read(v, len);
  }

  fill(o: Obj, pat: number): void {
    o.pat = pat;
    if (o.kind === 'sg') {
      for (let i = 0; i < o.bufs.length; i += 2) mem_bytes(o.bufs[i]!, o.bufs[i + 1]!).fill(pat);
    } else if (this.linear(o.v)) mem_bytes(o.v, o.len).fill(pat);
    else vmalloc_write(o.v, new Uint8Array(o.len).fill(pat));
  }

  verify(o: Obj): void {
    if (o.pending >= 0) return;
    const check = (v: number, len: number): void => {
      const b = this.bytes(v, len);
      // memcmp against the pattern first (most of the fuzz's time was this byte loop); the loop names the byte.
      if (len <= PATTERN_MAX) {
        const want = pattern(o.pat, len);
        if (Buffer.from(b.buffer, b.byteOffset, len).equals(want)) return;
      }
      for (let i = 0; i < len; i++) {
        if (b[i] !== o.pat) {
          fail(
            `${o.kind} ${o.id} at 0x${v.toString(16)}+${i}: byte 0x${b[i]!.toString(16)}, model 0x${o.pat.toString(16)}`,
          );
        }
      }
    };
    if (o.kind === 'sg') for (let i = 0; i < o.bufs.length; i += 2) check(o.bufs[i]!, o.bufs[i + 1]!);
    else check(o.v, o.len);
  }

  pat(): number {
    return (this.nextId % 250) + 1;
  }

  /* Everything a refused call must leave as it was. */
  snapshot(): string {
    const parts: (string | number)[] = [];
    for (let z = 0; z < 3; z++) parts.push(this.m.buddy.zoneStats(z).free_pages);
    parts.push(swiotlb_stats(this.m).used, this.windowUsed());
    for (const d of this.devs) parts.push(debug_count_of(d), sysfs_read(d, 'pools') ?? '');
    return parts.join('|');
  }

  /*
   * Pool counters against the model, and dma-debug's entries against live
   * objects; with `text`, the pools sysfs text too (the same counters, parsed).
   */
  invariants(text: boolean): void {
    const want = this.entries.slice();
    for (const p of this.pools) {
      if (p === null) continue;
      if (p.pool.nr_active !== p.live) fail(`pool ${p.name}: nr_active ${p.pool.nr_active}, model ${p.live}`);
      want[p.dev]! += p.pool.nr_pages;
    }
    for (let d = 0; d < this.devs.length; d++) {
      const dev = this.devs[d]!;
      if (debug_count_of(dev) !== want[d])
        fail(`${dev.name}: dma-debug has ${debug_count_of(dev)} entries, model ${want[d]}`);
      if (text) this.poolsText(d);
    }
  }

  poolsText(d: number): void {
    const dev = this.devs[d]!;
    const lines = (sysfs_read(dev, 'pools') ?? '').split('\n').slice(1, -1);
    const mine = this.pools.filter((p) => p !== null && p.dev === d) as PoolM[];
    if (lines.length !== mine.length) fail(`${dev.name}: pools text has ${lines.length} pools, model ${mine.length}`);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      const p = mine.find((q) => q.name === f[0]);
      if (!p) fail(`${dev.name}: pools text names unknown pool: ${line}`);
      if (Number(f[1]) !== p.live) fail(`${dev.name}: pool ${p.name} active ${f[1]}, model ${p.live}`);
      if (!(Number(f[3]) >= p.size)) fail(`${dev.name}: pool ${p.name} block size ${f[3]} < asked ${p.size}`);
      if (Number(f[4]) !== p.pool.nr_pages)
        fail(`${dev.name}: pool ${p.name} pages ${f[4]}, pool has ${p.pool.nr_pages}`);
    }
  }
}

/*
 * A misuse: the report it must log, the value it must return, nothing changed.
 * Bad sizes to an allocator fail quietly, as the kernel's do: their pattern is /^/.
 */
function refused(w: World, fn: () => unknown, report: RegExp, ret?: unknown): void {
  const before = w.snapshot();
  const mark = dmesg_mark();
  const r = fn();
  const log = dmesg_since(mark);
  if (!report.test(log)) fail(`misuse: expected a report matching ${report}, log was:\n${log}`);
  if (ret !== undefined && r !== ret) fail(`misuse: returned ${String(r)}, expected ${String(ret)}`);
  const after = w.snapshot();
  if (after !== before) fail(`misuse changed state:\n${before}\n${after}`);
}

function refused_efault(w: World, fn: () => unknown): void {
  const before = w.snapshot();
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (!(err instanceof DmashimError) || err.code !== 'EFAULT')
    fail(`NULL device: expected DmashimError EFAULT, got ${String(err)}`);
  if (w.snapshot() !== before) fail('NULL device call changed state');
}

/* Legitimate frees, each verifying the bytes first. */
function free_obj(w: World, o: Obj): void {
  w.verify(o);
  const dev = o.dev >= 0 ? w.devs[o.dev]! : NULL_DEV;
  const mark = dmesg_mark();
  switch (o.kind) {
    case 'pool': {
      const p = w.pools[o.pool]!;
      dma_pool_free(p.pool, o.v, o.dma);
      p.live--;
      break;
    }
    case 'coherent':
      dma_free_coherent(dev, o.len, o.v, o.dma);
      break;
    case 'pages':
      free_pages(o.v, o.order);
      break;
    case 'kmalloc':
      kfree(o.v);
      break;
    case 'vmalloc':
      vfree(o.v);
      break;
    case 'single':
      dma_unmap_single(dev, o.dma, o.len, o.dir);
      w.drop(o);
      settle(w, o);
      kfree(o.v);
      expect_quiet(mark, o);
      return;
    case 'page':
      dma_unmap_page(dev, o.dma, o.len, o.dir);
      w.drop(o);
      settle(w, o);
      free_pages(o.v, o.order);
      expect_quiet(mark, o);
      return;
    case 'sg':
      dma_unmap_sg(dev, sgs.get(o)!, o.nents, o.dir);
      w.drop(o);
      settle(w, o);
      for (let i = 0; i < o.bufs.length; i += 2) kfree(o.bufs[i]!);
      expect_quiet(mark, o);
      return;
  }
  w.drop(o);
  expect_quiet(mark, o);
}

/* After an unmap the CPU sees what the device wrote. */
function settle(w: World, o: Obj): void {
  if (o.pending >= 0 && o.dir !== DMA_TO_DEVICE) {
    o.pat = o.pending;
    o.pending = -1;
  }
  w.verify(o);
}

function expect_quiet(mark: number, o: Obj): void {
  const log = dmesg_since(mark);
  if (log !== '') fail(`legitimate free of ${o.kind} ${o.id} logged:\n${log}`);
}

function step(w: World, op: Op): void {
  const cmd = TABLE[op.c]!;
  const { a, b } = op;
  const di = a % NDEVS;
  const dev = w.devs[di]!;
  const h = w.h;
  switch (cmd) {
    case 'pool_create': {
      const live = w.pools.filter((p) => p !== null).length;
      if (live >= 8) return;
      const size = 1 + (b % 600);
      const align = 1 << (a % 7);
      const name = `p${w.nextPool++}`;
      const pool = dma_pool_create(name, dev, size, align, (b & 1) === 0 ? 0 : 4096);
      if (!pool) fail(`dma_pool_create ${name} size ${size} align ${align} failed`);
      w.pools.push({ pool, name, dev: di, size, live: 0 });
      return;
    }
    case 'pool_destroy': {
      const idx = w.pools.findIndex((p, i) => p !== null && i % 3 === a % 3);
      if (idx < 0) return;
      const p = w.pools[idx]!;
      for (const o of [...w.list('pool')]) if (o.pool === idx) free_obj(w, o);
      dma_pool_destroy(p.pool);
      w.pools[idx] = null;
      return;
    }
    case 'pool_alloc': {
      const live = w.pools.filter((p) => p !== null) as PoolM[];
      if (!live.length) return;
      const p = live[a % live.length]!;
      const idx = w.pools.indexOf(p);
      const v = dma_pool_alloc(p.pool, GFP_KERNEL, h);
      if (v === 0) return;
      const o = w.obj('pool', p.dev, v, p.size);
      o.dma = h.value;
      o.pool = idx;
      w.cpuRanges(o, v, p.size);
      w.range(o, BUS0 + p.dev, o.dma, p.size);
      p.live++;
      w.add(o);
      w.fill(o, w.pat());
      return;
    }
    case 'coherent_alloc': {
      const size = 1 + (b % 20000);
      const v = dma_alloc_coherent(dev, size, h, GFP_KERNEL);
      if (v === 0) return;
      const o = w.obj('coherent', di, v, size);
      o.dma = h.value;
      w.cpuRanges(o, v, size);
      w.range(o, BUS0 + di, o.dma, size);
      w.add(o);
      w.fill(o, w.pat());
      return;
    }
    case 'pages_alloc': {
      const order = b % 4;
      const page = alloc_pages(GFP_KERNEL, order, w.m);
      if (page === 0) return;
      const v = page_address(page);
      const o = w.obj('pages', -1, v, 4096 << order);
      o.order = order;
      w.cpuRanges(o, v, o.len);
      w.add(o);
      w.fill(o, w.pat());
      return;
    }
    case 'kmalloc': {
      const size = 1 + (b % 9000);
      const v = kmalloc(size, GFP_KERNEL, w.m);
      if (v === 0) return;
      const o = w.obj('kmalloc', -1, v, size);
      w.cpuRanges(o, v, size);
      w.add(o);
      w.fill(o, w.pat());
      return;
    }
    case 'vmalloc': {
      const size = 1 + (b % 20000);
      const v = vmalloc(size, w.m);
      if (v === 0) return;
      const o = w.obj('vmalloc', -1, v, size);
      w.range(o, CPU, v, size);
      for (let off = 0; off < size; off += 4096) w.range(o, PHYS, vmalloc_to_pfn(v + off) * 4096, 4096);
      w.add(o);
      w.fill(o, w.pat());
      return;
    }
    case 'pool_free':
    case 'coherent_free':
    case 'pages_free':
    case 'kfree':
    case 'vfree':
    case 'unmap':
    case 'unmap_sg': {
      const kind: Kind =
        cmd === 'pool_free'
          ? 'pool'
          : cmd === 'coherent_free'
            ? 'coherent'
            : cmd === 'pages_free'
              ? 'pages'
              : cmd === 'kfree'
                ? 'kmalloc'
                : cmd === 'vfree'
                  ? 'vmalloc'
                  : cmd === 'unmap_sg'
                    ? 'sg'
                    : (b & 1) === 0
                      ? 'single'
                      : 'page';
      const o = w.pick(kind, a);
      if (o) free_obj(w, o);
      return;
    }
    case 'map_single':
    case 'map_page': {
      const single = cmd === 'map_single';
      const len = 1 + (b % (single ? 6000 : 8192));
      const order = single ? 0 : 1;
      const page = single ? 0 : alloc_pages(GFP_KERNEL, order, w.m);
      const v = single ? kmalloc(len, GFP_KERNEL, w.m) : page === 0 ? 0 : page_address(page);
      if (v === 0) return;
      const o = w.obj(single ? 'single' : 'page', di, v, len);
      o.order = order;
      o.dir = DIRS[a % 3]!;
      w.fill(o, w.pat());
      const dma = single ? dma_map_single(dev, v, len, o.dir) : dma_map_page(dev, page, 0, len, o.dir);
      if (dma_mapping_error(dev, dma)) {
        if (single) kfree(v);
        else free_pages(v, order);
        return;
      }
      o.dma = dma;
      w.cpuRanges(o, v, len);
      w.range(o, BUS0 + di, dma, len);
      if (di === 1) w.range(o, PHYS, dma_to_phys(dev, dma), len);
      w.add(o);
      return;
    }
    case 'map_sg': {
      const n = 1 + (b % 4);
      const sg: scatterlist[] = [];
      sg_init_table(sg, n);
      const o = w.obj('sg', di, 0, 0);
      o.dir = DIRS[a % 3]!;
      for (let i = 0; i < n; i++) {
        const len = 1 + ((b * (i + 7)) % 3000);
        const v = kmalloc(len, GFP_KERNEL, w.m);
        if (v === 0) fail('kmalloc for sg failed');
        sg_set_buf(sg[i]!, v, len);
        o.bufs.push(v, len);
      }
      w.fill(o, w.pat());
      const count = dma_map_sg(dev, sg, n, o.dir);
      if (count === 0) {
        for (let i = 0; i < o.bufs.length; i += 2) kfree(o.bufs[i]!);
        return;
      }
      o.nents = n;
      o.mapped = count;
      for (let i = 0; i < o.bufs.length; i += 2) w.cpuRanges(o, o.bufs[i]!, o.bufs[i + 1]!);
      for (let i = 0; i < count; i++) {
        const s = sg[i]!;
        w.range(o, BUS0 + di, sg_dma_address(s), sg_dma_len(s));
        if (di === 1) w.range(o, PHYS, dma_to_phys(dev, sg_dma_address(s)), sg_dma_len(s));
      }
      sgs.set(o, sg);
      w.add(o);
      return;
    }
    case 'dev_write': {
      const o = pick_bus(w, a, b, true);
      if (!o) return;
      const q = w.pat();
      w.nextId++;
      const d = w.devs[o.dev]!;
      if (o.kind === 'sg') {
        const sg = sgs.get(o)!;
        for (let i = 0; i < o.mapped; i++) {
          if (device_dma_fill(d, sg_dma_address(sg[i]!), sg_dma_len(sg[i]!), q) !== 0)
            fail(`device write to sg ${o.id} refused`);
        }
      } else if (device_dma_fill(d, o.dma, o.len, q) !== 0) fail(`device write to ${o.kind} ${o.id} refused`);
      if (o.kind === 'pool' || o.kind === 'coherent') o.pat = q;
      else o.pending = q;
      return;
    }
    case 'dev_read': {
      const o = pick_bus(w, a, b, false);
      if (!o || o.pending >= 0 || o.kind === 'sg') return;
      const got = device_dma_read(w.devs[o.dev]!, o.dma, o.len);
      if (!got) fail(`device read of ${o.kind} ${o.id} refused`);
      for (let i = 0; i < o.len; i++) {
        if (got[i] !== o.pat)
          fail(`device read of ${o.kind} ${o.id} at +${i}: 0x${got[i]!.toString(16)}, model 0x${o.pat.toString(16)}`);
      }
      return;
    }
    case 'sync': {
      const o = pick_bus(w, a, b, (b & 1) === 0);
      if (!o || o.kind === 'pool' || o.kind === 'coherent') return;
      const d = w.devs[o.dev]!;
      const mark = dmesg_mark();
      if (o.kind === 'sg') dma_sync_sg_for_cpu(d, sgs.get(o)!, o.nents, o.dir);
      else dma_sync_single_for_cpu(d, o.dma, o.len, o.dir);
      if (o.pending >= 0) {
        o.pat = o.pending;
        o.pending = -1;
      }
      w.verify(o);
      if (o.kind !== 'sg' && o.dir !== DMA_FROM_DEVICE) {
        // The CPU writes new data and hands the buffer back: the device must read it.
        w.fill(o, w.pat());
        w.nextId++;
        dma_sync_single_for_device(d, o.dma, o.len, o.dir);
      }
      expect_quiet(mark, o);
      return;
    }
    case 'cpu_write': {
      const kinds: Kind[] = ['pool', 'coherent', 'pages', 'kmalloc', 'vmalloc'];
      const o = w.pick(kinds[a % kinds.length]!, b);
      if (!o) return;
      w.verify(o);
      w.fill(o, w.pat());
      w.nextId++;
      return;
    }
    case 'verify': {
      for (const o of w.live.values()) w.verify(o);
      return;
    }
    case 'bad_double_free':
      bad_double_free(w, a, b);
      return;
    case 'bad_foreign_free':
      bad_foreign_free(w, a, b);
      return;
    case 'bad_wrong_size': {
      const o = w.pick(b & 1 ? 'coherent' : 'pages', a);
      if (!o) return;
      if (o.kind === 'coherent') {
        refused(w, () => dma_free_coherent(w.devs[o.dev]!, o.len + 1 + (b % 5000), o.v, o.dma), /different size/);
      } else {
        const order = o.order === 0 ? 1 : o.order - 1;
        refused(w, () => free_pages(o.v, order), /Bad page state/);
      }
      return;
    }
    case 'bad_never_mapped': {
      const addr = 0x10_0000_0000 + (a % 4096) * 4096;
      if (w.spaces[BUS0 + di]!.overlapping(addr, 64) >= 0) return;
      refused(w, () => dma_unmap_single(dev, addr, 64, DIRS[b % 3]!), /tries to free DMA memory it has not allocated/);
      return;
    }
    case 'bad_wrong_size_unmap': {
      // The kernel reports and still unmaps (dma-debug only warns): the model drops it.
      const o = w.pick('single', a);
      if (!o || o.pending >= 0 || o.len < 2) return;
      const mark = dmesg_mark();
      dma_unmap_single(w.devs[o.dev]!, o.dma, o.len - 1, o.dir);
      if (!/different size/.test(dmesg_since(mark))) fail('wrong-size unmap not reported');
      w.drop(o);
      w.verify(o);
      kfree(o.v);
      return;
    }
    case 'bad_other_pool': {
      const o = w.pick('pool', a);
      if (!o) return;
      const others = w.pools.filter((p, i) => p !== null && i !== o.pool) as PoolM[];
      if (!others.length) return;
      const p = others[b % others.length]!;
      refused(w, () => dma_pool_free(p.pool, o.v, o.dma), new RegExp(`dma_pool_free ${p.name}`));
      return;
    }
    case 'bad_pool_page': {
      const o = w.pick('pool', a);
      if (!o || !virt_addr_valid(o.v)) return;
      refused(w, () => free_pages(o.v - (o.v % 4096), 0), /Bad page state/);
      return;
    }
    case 'bad_sg_count': {
      // Reported, and the whole list is unmapped (dma-debug matches the list by its first entry).
      const o = w.pick('sg', a);
      if (!o || o.nents < 2 || o.pending >= 0) return;
      const mark = dmesg_mark();
      dma_unmap_sg(w.devs[o.dev]!, sgs.get(o)!, o.nents - 1, o.dir);
      if (!/different entry count/.test(dmesg_since(mark))) fail('wrong-count unmap_sg not reported');
      w.drop(o);
      w.verify(o);
      for (let i = 0; i < o.bufs.length; i += 2) kfree(o.bufs[i]!);
      return;
    }
    case 'bad_sizes':
      bad_sizes(w, dev, a, b);
      return;
    case 'bad_devmem': {
      // Device memory taken for RAM: reported, refused, nothing changed.
      const o = w.pick(b & 1 ? 'coherent' : 'pool', a);
      if (!o || o.dev !== SRAM_DEV) return;
      if (b & 2) refused(w, () => virt_to_page(o.v), /virt_to_page\(\) of device memory: .*iomem window sram/);
      else
        refused(
          w,
          () => dma_map_single(w.devs[SRAM_DEV]!, o.v, o.len, DMA_TO_DEVICE),
          /dma_map_single\(\) of device memory: .*iomem window sram/,
          DMA_MAPPING_ERROR,
        );
      return;
    }
    case 'bad_null_dev': {
      const o = w.pick('kmalloc', a);
      const which = b % 3;
      if (which === 0 && o) refused_efault(w, () => dma_map_single(NULL_DEV, o.v, o.len, DMA_TO_DEVICE));
      else if (which === 1) refused_efault(w, () => dma_unmap_single(NULL_DEV, 0x1000, 64, DMA_TO_DEVICE));
      else refused_efault(w, () => device_dma_fill(NULL_DEV, 0x1000, 64, 1));
      return;
    }
    case 'bad_stray_write': {
      // At the physical address of a live object the device has no mapping of.
      const o = w.pick(b & 1 ? 'kmalloc' : 'pages', a);
      if (!o) return;
      const addr = di === 2 ? 0x7000_0000 + (b % 64) * 4096 : virt_to_phys(o.v);
      if (w.spaces[BUS0 + di]!.overlapping(addr, 64) >= 0) return;
      refused(w, () => device_dma_fill(dev, addr, Math.min(64, o.len), 0x5a), /the access is dropped|DMAR/, -EFAULT);
      return;
    }
  }
}

const KINDS: Kind[] = ['pool', 'coherent', 'pages', 'kmalloc', 'vmalloc', 'single', 'page', 'sg'];
const sgs = new WeakMap<Obj, scatterlist[]>();

/* A live object with a bus address; `write` skips TO_DEVICE mappings. */
function pick_bus(w: World, a: number, b: number, write: boolean): Obj | undefined {
  const kinds: Kind[] = ['pool', 'coherent', 'single', 'page', 'sg'];
  const o = w.pick(kinds[b % kinds.length]!, a);
  if (!o) return undefined;
  if (write && o.dir === DMA_TO_DEVICE) return undefined;
  if (!write && o.dir === DMA_FROM_DEVICE) return undefined;
  return o;
}

function bad_double_free(w: World, a: number, b: number): void {
  const kinds: Kind[] = ['kmalloc', 'vmalloc', 'pages', 'coherent', 'pool', 'single'];
  const kind = kinds[b % kinds.length]!;
  const o = w.pick(kind, a);
  if (!o) return;
  free_obj(w, o);
  const dev = o.dev >= 0 ? w.devs[o.dev]! : NULL_DEV;
  switch (kind) {
    case 'kmalloc':
      refused(w, () => kfree(o.v), /Object already free|object pointer/);
      return;
    case 'vmalloc':
      refused(w, () => vfree(o.v), /nonexistent vm area/);
      return;
    case 'pages':
      refused(w, () => free_pages(o.v, o.order), /Bad page state/);
      return;
    case 'coherent':
      refused(w, () => dma_free_coherent(dev, o.len, o.v, o.dma), /not allocated/);
      return;
    case 'pool': {
      const p = w.pools[o.pool]!;
      refused(w, () => dma_pool_free(p.pool, o.v, o.dma), new RegExp(`dma_pool_free ${p.name}`));
      return;
    }
    case 'single':
      refused(w, () => dma_unmap_single(dev, o.dma, o.len, o.dir), /not allocated/);
      return;
  }
}

function bad_foreign_free(w: World, a: number, b: number): void {
  const which = b % 5;
  if (which === 0) {
    const o = w.pick('pages', a);
    if (o) refused(w, () => kfree(o.v), /object pointer|BUG/);
  } else if (which === 1) {
    const o = w.pick('kmalloc', a);
    if (o) refused(w, () => vfree(o.v), /nonexistent vm area/);
  } else if (which === 2) {
    const o = w.pick('vmalloc', a);
    if (o) refused(w, () => free_pages(o.v, 0), /Bad page state/);
  } else if (which === 3) {
    const o = w.pick('kmalloc', a);
    const dev = w.devs[a % 3]!;
    if (o) refused(w, () => dma_free_coherent(dev, o.len, o.v, virt_to_phys(o.v)), /DMA-API/);
  } else {
    const o = w.pick('coherent', a);
    if (o && virt_addr_valid(o.v)) refused(w, () => kfree(o.v), /object pointer|BUG/);
  }
}

function bad_sizes(w: World, dev: device, a: number, b: number): void {
  const bad = [-1, 1.5, Number.NaN, -4096, 0.25][a % 5]!;
  switch (b % 6) {
    case 0:
      refused(w, () => kmalloc(bad, GFP_KERNEL, w.m), /^/, 0);
      return;
    case 1:
      refused(w, () => vmalloc(bad, w.m), /^/, 0);
      return;
    case 2:
      refused(w, () => alloc_pages(GFP_KERNEL, bad, w.m), /page allocation failure/, 0);
      return;
    case 3:
      refused(w, () => dma_alloc_coherent(dev, bad, w.h, GFP_KERNEL), /^/, 0);
      return;
    case 4: {
      const o = w.pick('kmalloc', a);
      if (o) refused(w, () => dma_map_single(dev, o.v, bad, DMA_TO_DEVICE), /invalid size/, DMA_MAPPING_ERROR);
      return;
    }
    default:
      refused(w, () => dma_pool_create('bad', dev, bad, 8, 0), /^/, null);
      return;
  }
}

/* Free everything, then nothing may be left: no dma-debug entry, no swiotlb slot, no page. */
function teardown(w: World): void {
  for (const o of [...w.live.values()]) free_obj(w, o);
  for (const p of w.pools) if (p) dma_pool_destroy(p.pool);
  for (const d of w.devs) if (debug_count_of(d) !== 0) fail(`${d.name}: ${debug_count_of(d)} dma-debug entries left`);
  if (swiotlb_stats(w.m).used !== 0) fail(`swiotlb: ${swiotlb_stats(w.m).used} slots left`);
  if (w.windowUsed() !== 0) fail(`SRAM window: ${w.windowUsed()} pages left allocated`);
  for (const s of w.spaces) if (s.size !== 0) fail(`${s.name}: ${s.size} ranges left in the model`);
}

function run(ops: readonly Op[]): void {
  const w = new World(ops.length % 2 === 1);
  try {
    let i = 0;
    for (const op of ops) {
      try {
        step(w, op);
        w.invariants(i % 32 === 0);
        const o = w.pick(KINDS[(op.a + op.b) % KINDS.length]!, op.b);
        if (o) w.verify(o);
      } catch (e) {
        throw new Error(`op ${i} (${TABLE[op.c]} a=${op.a} b=${op.b}): ${(e as Error).message}`);
      }
      i++;
    }
    teardown(w);
    dmesg_clear();
  } finally {
    w.m.dispose();
  }
}

describe('model-based fuzz: every allocator and mapping together', () => {
  it(`${TOTAL_OPS} operations with misuse mixed in keep every invariant`, () => {
    let total = 0;
    // Run lengths vary (so a failure can shrink): top up until the operations are done.
    // Each fc.assert prints its own seed and path when it fails.
    do {
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: PER_RUN, size: 'max' }), (ops) => {
          run(ops);
          total += ops.length;
        }),
        {
          numRuns: Math.max(1, Math.ceil((RUNS_FACTOR * (TOTAL_OPS - total)) / PER_RUN)),
          ...(process.env['DMASHIM_FUZZ_NOSHRINK'] ? { endOnFailure: true } : {}),
          ...(SEED === undefined ? {} : { seed: SEED }),
          ...(PATH === undefined ? {} : { path: PATH }),
        },
      );
    } while (SEED === undefined && total < TOTAL_OPS);
    if (SEED === undefined) expect(total).toBeGreaterThanOrEqual(TOTAL_OPS);
  }, 600_000);
});

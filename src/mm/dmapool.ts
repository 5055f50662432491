/*
 * mm/dmapool.c: DMA pools, with the v6.4+ kernel's semantics (validation order,
 * rounding, block layout, LIFO reuse across pages, pages kept until destroy,
 * one "busy" message and a leak on destroy of a busy pool, the sysfs text).
 *
 * The file follows the kernel's order of ideas: struct dma_pool (its page list
 * is the `pages` array), pools_show, the DMAPOOL_DEBUG helpers (pool_check_block,
 * pool_find_page, pool_block_err, pool_init_page), pool_block_pop/push,
 * dma_pool_create_node, pool_initialise_page, pool_alloc_page, dma_pool_destroy,
 * dma_pool_alloc, dma_pool_free, dmam_pool_*. What the kernel has not comes
 * last: the poisoning switch and the slow-path switch.
 *
 * Where we differ, on purpose:
 *  - Block state lives out of band, not in the free block: the device may
 *    scribble on free blocks, and EVERY free is checked in O(1) (bad dma, bad
 *    vaddr, double free), which the kernel does only under DMAPOOL_DEBUG and then
 *    with an O(pages + free blocks) walk. A bad free frees nothing.
 *  - Poisoning (the DMAPOOL_DEBUG memsets and the check on alloc) is switched at
 *    run time, per machine or per pool (dmapool_set_poison).
 *  - Messages keep the "dma_pool_free" / "dma_pool_alloc" prefixes of <= 6.3 (the
 *    6.4 debug code prints its helper's name, "pool_block_err"), and the (bad vaddr)
 *    check that 6.4 dropped is kept, since it catches real bugs.
 *  - The poison check covers the whole block (nothing of ours is stored in it).
 *
 * Hot path (alloc/free): numbers and typed arrays only. A block is named by its
 * slot, page << sh | k (k = block within the page), so a slot maps to its page
 * with a shift. The free state lives in one typed array `fl` (one array, so the
 * hot path loads one base and one length; two arrays measured ~2 ns/op more):
 *  - fl[0 .. top) is a stack of the free slots in LIFO order, fl[top - 1] is
 *    handed out next; its capacity is `fbase`;
 *  - fl[fbase ..] is a bitmap, 16 slots a word (1 = free): the O(1)
 *    double-free test, 1/8 byte a block.
 * `fl` is a Uint16Array until a pool has more than 65536 slots, then an
 * Int32Array (same layout, 16-bit bitmap words). The stack grows with the most
 * blocks ever free at once, not with the pool: with most blocks in use it costs
 * a few bytes a page (the design before, a 16-bit link per slot, cost 2 bytes a
 * block whatever the use). Together they are the kernel's pool-wide LIFO list
 * (pool->next_block): the same blocks come back in the same order.
 *
 * A free finds its page through the machine's arena page -> pool page + 1 table
 * (one load). The error path finds a page by bus address (pool_find_page)
 * through `htab`, a per-pool open-addressing hash (linear probing, load <= 1/2;
 * entries are pool page + 1, keyed by the bus pages a pool page covers), each
 * entry verified against the page's bus range, so a collision just probes on.
 */
import { PAGE_SIZE } from './page_alloc.ts';
import type { Machine } from '../arch/sim/machine.ts';
import { __GFP_ZERO as GFP_ZERO_FLAG, type gfp_t } from '../include/linux/gfp.ts';
import { dma_addr_ref, type dma_addr_t } from '../include/linux/types.ts';
import {
  dev_check,
  dev_err,
  device_create_file,
  device_remove_file,
  null_deref,
  type device,
} from '../drivers/base/core.ts';
import { devres_add, devres_dev_alive, devres_release } from '../drivers/base/devres.ts';
import { dma_alloc_coherent, dma_free_coherent } from '../kernel/dma/mapping.ts';
import { printk_level, KERN_ERR } from '../kernel/printk.ts';
import { WARN_ON } from '../kernel/panic.ts';
import { c_strscpy, fmt_lx, fmt_p, fmt_pad, hex_dump_lines, pad_left, pad_right } from '../lib/vsprintf.ts';

/*
 * A module-local const that V8 folds into the hot path's code; the imported binding
 * itself would cost a module-cell load and a hole check on every dma_pool_alloc.
 */
const __GFP_ZERO = GFP_ZERO_FLAG;

/** include/linux/poison.h */
export const POOL_POISON_FREED = 0xa7;
export const POOL_POISON_ALLOCATED = 0xa9;
/** sizeof(struct dma_block) on 64-bit: the v6.4+ minimum block size. */
export const DMA_BLOCK_SIZE = 16;
const INT_MAX = 0x7fffffff;
export const NUMA_NO_NODE = -1;
/** The most slots a Uint16Array `fl` can name (slot numbers 0..65535). */
const U16_SLOTS = 65536;

let nextPoolId = 1;

/** struct dma_pool, with its struct dma_page list as the `pages` array. */
export class dma_pool {
  /*
   * Every field is `declare`d and set in the constructor: under ES2022
   * class-field semantics a plain declaration defines the field as undefined
   * before the constructor runs, which makes V8 type it "any" and re-check every
   * load on the hot path (Smi tag, map of each typed array), and any declared or
   * initialised field takes its place in the object's layout in declaration
   * order, before the constructor's stores. The constructor stores the
   * hot-path fields first, so alloc and free read two cache lines of the object,
   * not four (it matters with 1,000 pools in use).
   */
  /** Number of free blocks on the stack. */
  declare top: number;
  /** Free state (see the file comment): the free-slot stack, then the bitmap. */
  declare fl: Uint16Array | Int32Array;
  /** Stack capacity = index of the bitmap's first word in `fl`. */
  declare fbase: number;
  /** Nonzero when this pool's alloc/free must take the slow path: poisoning, destroyed, or a slow hook active. */
  declare slow: number;
  /** log2 of the slot stride per page. */
  declare readonly sh: number;
  declare readonly kmask: number;
  /**
   * 1 when block k starts at k * size (no boundary skipping), so the hot path
   * computes offsets instead of loading them from `offs`.
   */
  declare readonly linear: number;
  /** Block size after rounding. */
  declare readonly size: number;
  /**
   * The struct dma_page list. Per pool page, interleaved: [2p] CPU address,
   * [2p + 1] bus address. One array, so the two values a free checks share a
   * cache line (at 1M live blocks the separate arrays cost a miss each per op).
   */
  declare pages: Float64Array;
  /*
   * What the free path needs of the machine, copied here so it touches one
   * object: the direct map's base page (mod 2^20, see dma_pool_free) and the
   * machine's arena page -> pool page + 1 table (PoolMachine.pageIdx).
   */
  declare readonly vbasePg: number;
  /** Arena pages (entries of pageIdxOf). */
  declare readonly arenaPages: number;
  declare readonly pageIdxOf: Int32Array;
  declare nr_pages: number;
  /** log2(size) when size is a power of two, else -1 (free maps offset -> block with a shift). */
  declare readonly sizeShift: number;
  /** Blocks per page. */
  declare readonly blocks_per_page: number;
  declare nr_blocks: number;
  /** Offsets of the blocks within a page, ascending. */
  declare readonly offs: Int32Array;
  /** 1 / size, for block numbers of non-power-of-two linear pools without a division. */
  declare readonly invSize: number;
  declare readonly bshift: number;
  declare readonly blocksPerSeg: number;
  declare readonly id: number;
  declare readonly name: string;
  declare readonly dev: device;
  declare readonly machine: Machine;
  /** Bytes per page (one dma_alloc_coherent each). */
  declare readonly allocation: number;
  declare readonly boundary: number;
  declare readonly node: number;
  /** Bus page lookup hash (see the file comment): pool page + 1 per entry, 0 = empty; power-of-two length. */
  declare htab: Int32Array;
  /** 32 - log2(htab.length): the multiplicative hash keeps the top bits. */
  declare hshift: number;
  /** Keys in htab. */
  declare hkeys: number;
  /** Poisoning for this pool: null follows the machine's switch. */
  declare poisonOverride: boolean | null;
  /**
   * Poisoning in force, as last applied (the `poison` getter's value while the
   * pool lives, kept here for the slow paths; refreshPoison poisons the free
   * blocks when it turns on).
   */
  declare poisoned: boolean;
  /** `slow` without the hooks' switch: 1 when poisoning is on or the pool is destroyed. */
  declare slowBase: number;
  /** 1 while this pool is in fastPools. */
  declare inFast: number;
  declare destroyed: boolean;
  /** Sanitizer state (allocation sites etc.), owned by sim/sanitizer. */
  declare ext: unknown;

  constructor(name: string, dev: device, size: number, allocation: number, boundary: number, node: number) {
    const m = dev.machine;
    const pm = pool_machine(m);
    const offs = pool_block_offsets(size, allocation, boundary);
    let sh = 0;
    while (1 << sh < offs.length) sh++;
    let linear = 1;
    for (let k = 0; k < offs.length; k++) if (offs[k] !== k * size) linear = 0;
    // Hot-path fields first, in the order declared above (this order is the object's layout).
    this.top = 0;
    // No stack yet (the first page makes room for its blocks): the bitmap of one page.
    this.fl = new Uint16Array(((1 << sh) + 15) >>> 4);
    this.fbase = 0;
    this.slow = 0;
    this.sh = sh;
    this.kmask = (1 << sh) - 1;
    this.linear = linear;
    this.size = size;
    this.pages = new Float64Array(8);
    // A small integer (< 2^20), not the vaddr base itself, which is a double and would be a boxed field.
    this.vbasePg = (m.vbase % 4294967296) >>> 12;
    this.arenaPages = pm.pageIdx.length;
    this.pageIdxOf = pm.pageIdx;
    this.nr_pages = 0;
    // clz32, not Math.log2: an int32 result keeps these fields small integers for the JIT.
    this.sizeShift = (size & (size - 1)) === 0 ? 31 - Math.clz32(size) : -1;
    this.blocks_per_page = offs.length;
    this.nr_blocks = 0;
    this.offs = sharedOffs(offs);
    this.invSize = 1 / size;
    this.bshift = 31 - Math.clz32(boundary);
    this.blocksPerSeg = Math.floor(boundary / size);
    this.id = nextPoolId++;
    this.name = name;
    this.dev = dev;
    this.machine = m;
    this.allocation = allocation;
    this.boundary = boundary;
    this.node = node;
    this.htab = EMPTY_HTAB;
    this.hshift = 31;
    this.hkeys = 0;
    this.poisonOverride = null;
    this.poisoned = pm.poison;
    this.slowBase = 0;
    this.inFast = 0;
    this.destroyed = false;
    this.ext = null;
    this.refreshSlow();
  }
  /** Blocks handed out: every carved block not on the free stack (a counter less to keep on the hot path). */
  get nr_active(): number {
    return this.nr_blocks - this.top;
  }

  /** The slot handed out next, -1 when no block is free (the kernel's pool->next_block). */
  get head(): number {
    return this.top > 0 ? this.fl[this.top - 1]! : -1;
  }

  /** True when the slot's free bit is set. */
  slotFree(slot: number): boolean {
    return ((this.fl[this.fbase + (slot >>> 4)]! >>> (slot & 15)) & 1) !== 0;
  }

  /** Poisoning in force for this pool: its own setting, else its machine's switch. */
  get poison(): boolean {
    return this.poisonOverride ?? pool_machine(this.machine).poison;
  }

  refreshSlow(): void {
    // A destroyed pool keeps the slow path whatever its poisoning: only there is its use reported.
    this.slowBase = this.poisoned || this.destroyed ? 1 : 0;
    this.slow = this.slowBase | hooksActive;
    if (this.slow === 0) markFast(this);
  }

  /** Block index within its page for a page offset, or -1 when no block starts there. */
  blockAt(o: number): number {
    let k: number;
    if (this.boundary >= this.allocation) {
      k = this.sizeShift >= 0 ? o >>> this.sizeShift : Math.floor(o / this.size);
    } else {
      const seg = o >>> this.bshift;
      k = seg * this.blocksPerSeg + Math.floor((o - seg * this.boundary) / this.size);
    }
    return k >= 0 && k < this.blocks_per_page && this.offs[k] === o ? k : -1;
  }

  /** CPU address of a slot. */
  slotVaddr(slot: number): number {
    return this.pages[(slot >>> this.sh) << 1]! + this.offs[slot & this.kmask]!;
  }

  /** Bus address of a slot. */
  slotDma(slot: number): number {
    return this.pages[((slot >>> this.sh) << 1) + 1]! + this.offs[slot & this.kmask]!;
  }

  /** True when the slot is a block that is handed out. */
  slotInUse(slot: number): boolean {
    return (slot & this.kmask) < this.blocks_per_page && slot >>> this.sh < this.nr_pages && !this.slotFree(slot);
  }

  /** Every slot currently handed out, ascending. O(blocks). */
  liveSlots(): number[] {
    const out: number[] = [];
    for (let p = 0; p < this.nr_pages; p++) {
      for (let k = 0; k < this.blocks_per_page; k++) {
        const s = (p << this.sh) | k;
        if (!this.slotFree(s)) out.push(s);
      }
    }
    return out;
  }
}

/*
 * What mm/dmapool keeps per machine, made on first use (the pattern every
 * subsystem follows; see arch/sim/machine.ts).
 */
interface PoolMachine {
  /**
   * Per arena page: the owning pool's page index + 1 (0 = none); which pool is
   * checked by that pool's own page list. dma_pool_free finds a block's page
   * with one load here where the kernel walks the pool's pages.
   */
  readonly pageIdx: Int32Array;
  /** The machine-wide poisoning switch: pools without their own setting follow it. Starts as options.poison. */
  poison: boolean;
  /** Its live pools (every device's dma_pools). */
  readonly pools: Set<dma_pool>;
}

const poolMachine = new WeakMap<Machine, PoolMachine>();
/* Machines with dmapool state: the slow-path switch's full walk after an overflow. */
const poolMachines = new Set<WeakRef<Machine>>();

/* The machine's dmapool state, made on first use. */
function pool_machine(m: Machine): PoolMachine {
  let pm = poolMachine.get(m);
  if (!pm) {
    pm = { pageIdx: new Int32Array(m.nPages), poison: m.options.poison, pools: new Set() };
    poolMachine.set(m, pm);
    poolMachines.add(new WeakRef(m));
  }
  return pm;
}

/** The text of a device's `pools` sysfs attribute (pools_show). */
export function pools_show(dev: device): string {
  let out = 'poolinfo - 0.1\n';
  for (const pool of dev.dma_pools) {
    out +=
      pad_right(pool.name, 16) +
      ' ' +
      pad_left(pool.nr_active, 4) +
      ' ' +
      pad_left(pool.nr_blocks, 4) +
      ' ' +
      pad_left(pool.size, 4) +
      ' ' +
      pad_left(pool.nr_pages, 2) +
      '\n';
  }
  return out;
}

/*
 * ---- The DMAPOOL_DEBUG helpers. Ours run on the slow path while poisoning is
 * on; the free checks (pool_find_page, pool_block_err) run on every bad free.
 */

/*
 * pool_check_block - a block about to be handed out must still hold
 * POOL_POISON_FREED in every byte, else "(corrupted)" with a dump (and where it
 * was freed, when sites are on); then it is filled with POOL_POISON_ALLOCATED
 * unless the caller wants it zeroed.
 */
function pool_check_block(pool: dma_pool, slot: number, vaddr: number, mem_flags: gfp_t): void {
  const u8 = pool.machine.u8;
  const at = vaddr - pool.machine.vbase;
  for (let i = 0; i < pool.size; i++) {
    if (u8[at + i] !== POOL_POISON_FREED) {
      dev_err(pool.dev, `dma_pool_alloc ${pool.name}, ${fmt_p(vaddr)} (corrupted)`);
      for (const line of hex_dump_lines(u8.subarray(at, at + pool.size))) printk_level(KERN_ERR, line);
      const detail = dmapool_slow_hooks.corruption_detail;
      for (const line of detail ? detail(pool, slot) : []) printk_level(KERN_ERR, line);
      break;
    }
  }
  if (!(mem_flags & __GFP_ZERO)) u8.fill(POOL_POISON_ALLOCATED, at, at + pool.size);
}

/* A table that finds nothing: a new pool's, and a destroyed pool's. */
const EMPTY_HTAB = new Int32Array(2);
const HASH_MUL = 0x9e3779b1 | 0;

/* Add key -> page to the pool's lookup hash (the caller has made room). */
function htabPut(pool: dma_pool, key: number, page: number): void {
  const t = pool.htab;
  const mask = t.length - 1;
  let h = Math.imul(key | 0, HASH_MUL) >>> pool.hshift;
  while (t[h] !== 0) h = (h + 1) & mask;
  t[h] = page + 1;
  pool.hkeys++;
}

/* Bus pages covered by pool page p: [first, first + n). */
function dmaKeyFirst(pool: dma_pool, p: number): number {
  return Math.floor(pool.pages[(p << 1) + 1]! / PAGE_SIZE);
}
function dmaKeyCount(pool: dma_pool, p: number): number {
  const d = pool.pages[(p << 1) + 1]!;
  return Math.floor((d + pool.allocation - 1) / PAGE_SIZE) - Math.floor(d / PAGE_SIZE) + 1;
}

/* Every bus page of pool page p, into the hash. */
function htabAddPage(pool: dma_pool, p: number): void {
  const d0 = dmaKeyFirst(pool, p);
  const nd = dmaKeyCount(pool, p);
  for (let i = 0; i < nd; i++) htabPut(pool, d0 + i, p);
}

/* Make room for page p's keys: keep the load at or below 1/2, rehashing in O(pages) when the table doubles. */
function htabReserve(pool: dma_pool, p: number): void {
  const need = pool.hkeys + dmaKeyCount(pool, p);
  // EMPTY_HTAB is shared and must stay empty: a pool's first page always gets its own table.
  if (need * 2 <= pool.htab.length && pool.htab !== EMPTY_HTAB) return;
  let n = 2;
  while (n < need * 2) n *= 2;
  pool.htab = new Int32Array(n);
  pool.hshift = Math.clz32(n) + 1;
  pool.hkeys = 0;
  for (let q = 0; q < p; q++) htabAddPage(pool, q);
}

/* pool_find_page - the pool page whose bus range holds dma, or -1. O(1) expected (the kernel walks the pages). */
function pool_find_page(pool: dma_pool, dma: number): number {
  if (!Number.isFinite(dma)) return -1;
  const t = pool.htab;
  const mask = t.length - 1;
  const key = Math.floor(dma / PAGE_SIZE);
  for (let h = Math.imul(key | 0, HASH_MUL) >>> pool.hshift; t[h] !== 0; h = (h + 1) & mask) {
    const p = t[h]! - 1;
    if (dma >= pool.pages[(p << 1) + 1]! && dma - pool.pages[(p << 1) + 1]! < pool.allocation) return p;
  }
  return -1;
}

/*
 * pool_block_err - the error path of dma_pool_free: which report, in the
 * kernel's order. Differs: reached only when the O(1) check failed, so it
 * always reports (the kernel's also poisons a good block and says false).
 */
function pool_block_err(pool: dma_pool, vaddr: number, dma: number): void {
  const fn = 'dma_pool_free';
  if (!(pool instanceof dma_pool)) null_deref(fn, 'pool', pool);
  if (typeof dma !== 'number') {
    dev_err(pool.dev, `${fn} ${pool.name}, ${fmt_p(vaddr)}/${fmt_p(dma)} (bad dma)`);
    return;
  }
  if (pool.destroyed) {
    dev_err(pool.dev, `${fn} ${pool.name}, ${fmt_p(vaddr)}/${fmt_lx(dma)} (bad dma): pool was destroyed`);
    return;
  }
  const page = pool_find_page(pool, dma);
  if (page < 0) {
    dev_err(pool.dev, `${fn} ${pool.name}, ${fmt_p(vaddr)}/${fmt_lx(dma)} (bad dma)`);
    return;
  }
  const o = dma - pool.pages[(page << 1) + 1]!;
  const k = pool.blockAt(o);
  if (vaddr !== pool.pages[page << 1]! + o || k < 0) {
    dev_err(pool.dev, `${fn} ${pool.name}, ${fmt_p(vaddr)} (bad vaddr)/${fmt_pad(dma)}`);
    return;
  }
  dev_err(pool.dev, `${fn} ${pool.name}, dma ${fmt_pad(dma)} already free`);
}

/* pool_init_page - a new page of a poisoning pool starts as POOL_POISON_FREED (`off`: its arena offset). */
function pool_init_page(pool: dma_pool, off: number): void {
  if (pool.poisoned) pool.machine.u8.fill(POOL_POISON_FREED, off, off + pool.allocation);
}

/*
 * ---- The free list (pool->next_block): the top of the stack is the next
 * block. pool_alloc_slow and pool_initialise_page call these; dma_pool_alloc
 * and dma_pool_free have the same steps written out.
 */

/**
 * pool_block_pop - take the next free block and clear its free bit: its slot, or -1 when none is free.
 * No checks and no hooks: the C pool cache takes its batches with it (src/bridge/ops.ts).
 */
export function pool_block_pop(pool: dma_pool): number {
  const t = pool.top - 1;
  if (t < 0) return -1;
  const fl = pool.fl;
  const b = fl[t]!;
  pool.top = t;
  fl[pool.fbase + (b >>> 4)]! &= ~(1 << (b & 15));
  return b;
}

/**
 * pool_block_push - put slot b on top of the free stack and set its free bit.
 * dma_pool_free has it written out, the bit set with its double-free test; the
 * C pool cache gives blocks back with it, after its own test.
 */
export function pool_block_push(pool: dma_pool, b: number): void {
  pool.fl[pool.fbase + (b >>> 4)]! |= 1 << (b & 15);
  const t = pool.top;
  if (t !== pool.fbase) pool.fl[t] = b;
  else pushGrow(pool, b);
  pool.top = t + 1;
}

/* A push found the stack full: grow it, then push (the rare half, kept out of the inlined body). */
function pushGrow(pool: dma_pool, b: number): void {
  growFl(pool, pool.top + 1, pool.nr_pages << pool.sh);
  pool.fl[pool.top] = b;
}

/*
 * Make `fl` hold a stack of `need` entries and the bitmap of `slots` slots (and
 * name them: Int32 past 65536 slots). Both parts double, so growth is amortised
 * O(1) per block; the stack's live part and the bitmap are copied over.
 */
function growFl(pool: dma_pool, need: number, slots: number): void {
  const fl = pool.fl;
  const fb = pool.fbase;
  const words = fl.length - fb;
  const wide = slots > U16_SLOTS || fl instanceof Int32Array;
  let cap = fb;
  if (need > cap) {
    cap = Math.max(8, cap);
    while (cap < need) cap *= 2;
  }
  let w = Math.max(1, words);
  while (w < (slots + 15) >>> 4) w *= 2;
  if (cap === fb && w === words && wide === fl instanceof Int32Array) return;
  const grown = wide ? new Int32Array(cap + w) : new Uint16Array(cap + w);
  grown.set(fl.subarray(0, pool.top));
  grown.set(fl.subarray(fb), cap);
  pool.fl = grown;
  pool.fbase = cap;
}

/*
 * The kernel tests n & (n - 1) on a size_t. JS bitwise operators see only the low
 * 32 bits, so 2^32 + 16 would pass; halve exactly (n is a safe integer) until the
 * value fits in 31 bits, then test the bits.
 */
function is_power_of_2(n: number): boolean {
  if (!(n > 0)) return false;
  while (n > 0x40000000) {
    if (n % 2 !== 0) return false;
    n /= 2;
  }
  return (n & (n - 1)) === 0;
}

/**
 * dma_pool_create_node - create a pool of consistent memory blocks for DMA.
 * Returns the pool, or null: NULL dev; align not a power of two; size 0 or above
 * INT_MAX; boundary below the (rounded) size or not a power of two. align 0 means
 * 1; blocks are at least 16 bytes and a multiple of align; boundary 0 means the
 * allocation, and a boundary above it is clamped. Name truncated to 31 characters.
 * `node` is recorded only (there is one NUMA node). Context: may sleep.
 */
export function dma_pool_create_node(
  name: string,
  dev: device | null,
  size: number,
  align: number,
  boundary: number,
  node: number,
): dma_pool | null {
  if (!dev) return null;
  dev_check(dev, 'dma_pool_create');
  dmapool_slow_hooks.might_sleep?.('dma_pool_create');
  if (!Number.isSafeInteger(size) || !Number.isSafeInteger(align) || !Number.isSafeInteger(boundary)) return null;
  if (align === 0) align = 1;
  else if (align < 0 || !is_power_of_2(align)) return null;
  if (size <= 0 || size > INT_MAX) return null;
  if (size < DMA_BLOCK_SIZE) size = DMA_BLOCK_SIZE;
  size = Math.ceil(size / align) * align;
  const allocation = Math.max(size, PAGE_SIZE);
  if (boundary === 0) boundary = allocation;
  else if (boundary < size || !is_power_of_2(boundary)) return null;
  boundary = Math.min(boundary, allocation);

  // strscpy(pool->name, name, sizeof(pool->name)): char[32], so at most 31 bytes, and a C string ends at its NUL.
  const pool = new dma_pool(c_strscpy(String(name), 32), dev, size, allocation, boundary, node);
  const wasEmpty = dev.dma_pools.length === 0;
  dev.dma_pools.unshift(pool);
  if (wasEmpty) device_create_file(dev, 'pools', pools_show);
  pool_machine(dev.machine).pools.add(pool);
  return pool;
}

/** dma_pool_create - dma_pool_create_node on NUMA_NO_NODE (an inline in the kernel's header). */
export function dma_pool_create(
  name: string,
  dev: device | null,
  size: number,
  align: number,
  boundary: number,
): dma_pool | null {
  return dma_pool_create_node(name, dev, size, align, boundary, NUMA_NO_NODE);
}

/*
 * pool_initialise_page's carving: block offsets within a page, skipping to the
 * next boundary where a block would cross it. Run once per pool, not per page:
 * every page of a pool is carved alike.
 */
function pool_block_offsets(size: number, allocation: number, boundary: number): number[] {
  const offs: number[] = [];
  let offset = 0;
  let nextBoundary = boundary;
  while (offset + size <= allocation) {
    if (offset + size > nextBoundary) {
      offset = nextBoundary;
      nextBoundary += boundary;
      continue;
    }
    offs.push(offset);
    offset += size;
  }
  return offs;
}

/*
 * Block offsets depend only on (size, allocation, boundary), so pools of one
 * shape share one read-only array instead of carrying 4 bytes per block of a
 * page each.
 */
const offsCache = new Map<string, Int32Array>();
function sharedOffs(offs: number[]): Int32Array {
  const key = offs.join(',');
  let a = offsCache.get(key);
  if (!a) {
    a = Int32Array.from(offs);
    offsCache.set(key, a);
  }
  return a;
}

/* Grow the per-page arrays for page index `p`, and `fl` for it and for `extra` more free blocks. */
function ensureCapacity(pool: dma_pool, p: number, extra: number): void {
  if (2 * p + 1 >= pool.pages.length) {
    const grown = new Float64Array(pool.pages.length * 2);
    grown.set(pool.pages);
    pool.pages = grown;
  }
  growFl(pool, pool.top + extra, (p + 1) << pool.sh);
}

/*
 * pool_initialise_page - add the page at vaddr/dma to the pool: its page
 * table entries and bus hash keys, the poison (pool_init_page), and its blocks
 * in front of the free list, lowest address first.
 */
function pool_initialise_page(pool: dma_pool, vaddr: number, dma: number): void {
  const m = pool.machine;
  const p = pool.nr_pages;
  ensureCapacity(pool, p, pool.blocks_per_page);
  pool.pages[p << 1] = vaddr;
  pool.pages[(p << 1) + 1] = dma;
  const off = m.virtToOff(vaddr);
  const firstPg = off / PAGE_SIZE;
  const nPg = Math.ceil(pool.allocation / PAGE_SIZE);
  for (let i = 0; i < nPg; i++) pool.pageIdxOf[firstPg + i] = p + 1;
  htabReserve(pool, p);
  htabAddPage(pool, p);
  pool_init_page(pool, off);
  // Pushed highest first, so the page's blocks are handed out lowest address first (ensureCapacity made room).
  const base = p << pool.sh;
  for (let k = pool.blocks_per_page - 1; k >= 0; k--) pool_block_push(pool, base + k);
  pool.nr_blocks += pool.blocks_per_page;
  pool.nr_pages = p + 1;
}

/* Out-box for the page allocations: one object for all, as nothing here re-enters. */
const pageHandle = new dma_addr_ref();

/*
 * pool_alloc_page - one coherent allocation of pool->allocation bytes (never
 * zeroed: __GFP_ZERO is for the block), added to the pool by
 * pool_initialise_page. Returns the new page's index, or -1 with the pool
 * unchanged. Differs: the kernel's caller initialises the page; here it is
 * done in here, so dma_pool_alloc's refill stays one call on its hot path.
 */
function pool_alloc_page(pool: dma_pool, mem_flags: gfp_t): number {
  const vaddr = dma_alloc_coherent(pool.dev, pool.allocation, pageHandle, mem_flags & ~__GFP_ZERO);
  if (!vaddr) return -1;
  pool_initialise_page(pool, vaddr, pageHandle.value);
  return pool.nr_pages - 1;
}

/**
 * dma_pool_destroy - destroy a pool; NULL is a no-op. A pool with blocks still in
 * use logs "dma_pool_destroy NAME busy" and leaks all its pages (memory a device
 * may still use is never freed). Context: may sleep.
 */
export function dma_pool_destroy(pool: dma_pool | null): void {
  if (!pool) return;
  if (!(pool instanceof dma_pool)) null_deref('dma_pool_destroy', 'pool', pool);
  if (pool.destroyed) return;
  dmapool_slow_hooks.might_sleep?.('dma_pool_destroy');
  const dev = pool.dev;
  const i = dev.dma_pools.indexOf(pool);
  if (i >= 0) dev.dma_pools.splice(i, 1);
  if (dev.dma_pools.length === 0) device_remove_file(dev, 'pools');
  pool_machine(pool.machine).pools.delete(pool);
  const m = pool.machine;
  const nPg = Math.ceil(pool.allocation / PAGE_SIZE);
  // The pages stop being this pool's either way: a free into a destroyed pool must be reported, not taken.
  for (let p = 0; p < pool.nr_pages; p++) {
    const firstPg = m.virtToOff(pool.pages[p << 1]!) / PAGE_SIZE;
    for (let j = 0; j < nPg; j++) pool.pageIdxOf[firstPg + j] = 0;
  }
  pool.htab = EMPTY_HTAB;
  pool.hshift = 31;
  pool.hkeys = 0;
  if (pool.nr_active !== 0) {
    dev_err(dev, `dma_pool_destroy ${pool.name} busy`);
    dmapool_slow_hooks.on_busy_destroy?.(pool);
  } else {
    for (let p = 0; p < pool.nr_pages; p++) {
      dma_free_coherent(dev, pool.allocation, pool.pages[p << 1]!, pool.pages[(p << 1) + 1]!);
    }
  }
  pool.destroyed = true;
  pool.refreshSlow();
}

/**
 * dma_pool_alloc - get a block of consistent memory. Returns its CPU address and
 * writes its bus address to `handle.value`; NULL (0) when a new page is needed
 * and cannot be had (the pool is then unchanged). The most recently freed block
 * is returned first; a new page's blocks come lowest address first.
 * Context: any, with GFP_ATOMIC; may sleep with GFP_KERNEL. Differs: a NULL or
 * wrong-typed pool or handle, which the kernel would oops on, throws
 * DmashimError EFAULT before a block is taken.
 */
export function dma_pool_alloc(pool: dma_pool, mem_flags: gfp_t, handle: dma_addr_ref): number {
  /*
   * The arguments are checked before anything is taken: a NULL pool or handle
   * costs the hot path two compares and goes to the slow path, which checks
   * both in full (a handle of another wrong type throws at the write below,
   * before the block leaves the pool).
   */
  if (pool === null || handle === null || ((mem_flags & __GFP_ZERO) | pool.slow) !== 0) {
    return pool_alloc_slow(pool, mem_flags, handle);
  }
  let t = pool.top;
  // !(t > 0) is t === 0 for a pool; for an object that is no pool (top undefined) it sends it to the full check.
  if (!(t > 0)) {
    if (t !== 0) return pool_alloc_slow(pool, mem_flags, handle);
    if (typeof handle !== 'object') null_deref('dma_pool_alloc', 'handle', handle);
    if (pool.destroyed || pool_alloc_page(pool, mem_flags) < 0) return 0;
    t = pool.top;
  }
  // pool_block_pop, written out: the hot paths stay loads and stores of the pool, as measured.
  const fl = pool.fl;
  const b = fl[t - 1]!;
  const page = b >>> pool.sh;
  const k = b & pool.kmask;
  /*
   * Math.imul, not k * size: TurboFan compiles the latter with a minus-zero check
   * whose branch (product 0, i.e. k === 0) follows the block's place in its page
   * and mispredicts at 4-16 blocks per page: +3 ns per alloc at 1024-byte blocks,
   * +6-10 through the bridge. k * size < 2^31 (one page allocation).
   */
  const off = pool.linear !== 0 ? Math.imul(k, pool.size) : pool.offs[k]!;
  // The handle is written before the block leaves the pool: a handle that is no object throws with nothing taken.
  handle.value = pool.pages[(page << 1) + 1]! + off;
  pool.top = t - 1;
  fl[pool.fbase + (b >>> 4)]! &= ~(1 << (b & 15));
  return pool.pages[page << 1]! + off;
}

/* dma_pool_alloc with poisoning, a slow-path hook, __GFP_ZERO or a destroyed pool. */
function pool_alloc_slow(pool: dma_pool, mem_flags: gfp_t, handle: dma_addr_ref): number {
  if (!(pool instanceof dma_pool)) null_deref('dma_pool_alloc', 'pool', pool);
  if (typeof handle !== 'object' || handle === null) null_deref('dma_pool_alloc', 'handle', handle);
  if (pool.destroyed) {
    dev_err(pool.dev, `dma_pool_alloc ${pool.name}: pool used after dma_pool_destroy`);
    return 0;
  }
  const hooks = dmapool_slow_hooks;
  if (hooks.before_alloc?.(pool, mem_flags)) return 0;
  let b = pool_block_pop(pool);
  if (b < 0) {
    if (pool_alloc_page(pool, mem_flags) < 0) return 0;
    b = pool_block_pop(pool);
  }
  const page = b >>> pool.sh;
  const off = pool.offs[b & pool.kmask]!;
  handle.value = pool.pages[(page << 1) + 1]! + off;
  const vaddr = pool.pages[page << 1]! + off;
  if (pool.poisoned) pool_check_block(pool, b, vaddr, mem_flags);
  if (mem_flags & __GFP_ZERO) {
    const at = vaddr - pool.machine.vbase;
    pool.machine.u8.fill(0, at, at + pool.size);
  }
  if (hooks.after_alloc) hooks.after_alloc(pool, b, vaddr);
  if (pool.slow !== 0) healSlow(pool);
  return vaddr;
}

/**
 * dma_pool_zalloc - dma_pool_alloc with __GFP_ZERO: the block is zeroed.
 */
export function dma_pool_zalloc(pool: dma_pool, mem_flags: gfp_t, handle: dma_addr_ref): number {
  return dma_pool_alloc(pool, mem_flags | __GFP_ZERO, handle);
}

/**
 * dma_pool_free - put a block back into its pool. Every call is checked in O(1);
 * a block not of this pool ("(bad dma)"), a vaddr that does not go with the dma
 * ("(bad vaddr)") or a block already free ("already free") is reported with the
 * kernel's text and nothing is freed. Context: any. Differs: a NULL or
 * wrong-typed pool throws DmashimError EFAULT (the kernel would oops); a vaddr
 * or dma that is not a number is reported as a bad block.
 */
export function dma_pool_free(pool: dma_pool, vaddr: number, dma: dma_addr_t): void {
  // A non-number vaddr (bigint) would throw in the shift below; null or a wrong-typed pool fails in pool_block_err.
  if (typeof vaddr !== 'number' || pool == null) {
    pool_block_err(pool, vaddr, dma);
    return;
  }
  /*
   * The arena page from the low 32 bits of vaddr alone (>>> is modulo 2^32):
   * the arena is at most 4 GiB (2^20 pages) and its base is page aligned (the
   * Machine constructor checks both), so its page number modulo 2^20 is exact
   * for every address in it, and no boxed double base is loaded. An
   * address outside the arena (or NaN, which gives 0) lands on some arena page;
   * `o` below is computed from the real vaddr and fails the block-start test,
   * so a bounds check on pg is all the range check needed.
   * The arena page's pool page index is checked against THIS pool's page table
   * only: a page of another pool (or of none: 0 - 1 = -1) cannot hold a block
   * start of this pool's page `page`, so no separate owner lookup is needed.
   */
  const pg = ((vaddr >>> 12) - pool.vbasePg) & 0xfffff;
  if (pg < pool.arenaPages) {
    const page = pool.pageIdxOf[pg]! - 1;
    if (page >= 0 && page < pool.nr_pages) {
      const o = vaddr - pool.pages[page << 1]!;
      let k: number;
      let ok: boolean;
      if (pool.linear !== 0) {
        // (o + 0.5) keeps an exact multiple from rounding down to the block before it.
        k = pool.sizeShift >= 0 ? o >>> pool.sizeShift : Math.floor((o + 0.5) * pool.invSize);
        // Math.imul: no minus-zero check to mispredict (see dma_pool_alloc); k is in range when it runs.
        ok = k >= 0 && k < pool.blocks_per_page && Math.imul(k, pool.size) === o;
      } else {
        k = pool.blockAt(o);
        ok = k >= 0;
      }
      if (ok && dma === pool.pages[(page << 1) + 1]! + o) {
        const b = (page << pool.sh) | k;
        // The double-free test on the block's free bit, then pool_block_push written out (see dma_pool_alloc).
        const fl = pool.fl;
        const fb = pool.fbase;
        const wi = fb + (b >>> 4);
        const w = fl[wi]!;
        const bit = 1 << (b & 15);
        if ((w & bit) === 0) {
          fl[wi] = w | bit;
          const t = pool.top;
          // The stack grows only past the most blocks ever free at once: at t === fbase this store hits the bitmap.
          if (t !== fb) fl[t] = b;
          else pushGrow(pool, b);
          pool.top = t + 1;
          if (pool.slow !== 0) pool_free_slow(pool, b, vaddr);
          return;
        }
      }
    }
  }
  pool_block_err(pool, vaddr, dma);
}

/* dma_pool_free's poisoning and hooks, after the block is back. */
function pool_free_slow(pool: dma_pool, slot: number, vaddr: number): void {
  if (pool.poisoned) {
    const at = vaddr - pool.machine.vbase;
    pool.machine.u8.fill(POOL_POISON_FREED, at, at + pool.size);
  }
  dmapool_slow_hooks.after_free?.(pool, slot, vaddr);
  healSlow(pool);
}

/* The devres entry's name: dmam_pool_destroy finds its entry by it and the pool. */
const DMAM_POOL_RELEASE = 'dmam_pool_release';

/**
 * dmam_pool_create - managed dma_pool_create: destroyed when the device is
 * unregistered. The 5th argument is the boundary ("allocation" in the kernel's
 * prototype, passed through as boundary).
 */
export function dmam_pool_create(
  name: string,
  dev: device | null,
  size: number,
  align: number,
  allocation: number,
): dma_pool | null {
  if (dev?.released && !devres_dev_alive(dev, 'dmam_pool_create')) return null;
  const pool = dma_pool_create(name, dev, size, align, allocation);
  if (pool && dev) devres_add(dev, { name: DMAM_POOL_RELEASE, data: pool, release: () => dma_pool_destroy(pool) });
  return pool;
}

/** dmam_pool_destroy - destroy a managed pool now; WARNs (and destroys nothing) when it was not managed. */
export function dmam_pool_destroy(pool: dma_pool | null): void {
  if (!pool) return;
  WARN_ON(
    devres_release(pool.dev, DMAM_POOL_RELEASE, pool) !== 0,
    'mm/dmapool.c dmam_pool_destroy',
    'WARN_ON(devres_release(dev, dmam_pool_release, dmam_pool_match, pool))',
  );
}

/* ---- What the kernel has not: the pool list per machine, and the two run-time switches. ---- */

/** Every live pool on a machine (our API, for reports). */
export function machine_pools(m: Machine): dma_pool[] {
  return [...(poolMachine.get(m)?.pools ?? [])];
}

/**
 * Switch poisoning (0xa7 freed / 0xa9 allocated, corruption check on alloc) at
 * run time: for one pool (null = follow the machine again) or, with a machine,
 * for every pool that follows it (our API; the kernel's is DMAPOOL_DEBUG at
 * build time). Turning it on poisons the free blocks now, so the first check
 * does not misfire.
 */
export function dmapool_set_poison(target: dma_pool | Machine, on: boolean | null): void {
  if (target instanceof dma_pool) {
    target.poisonOverride = on;
    refreshPoison([target]);
  } else if (on !== null) {
    const pm = pool_machine(target);
    pm.poison = on;
    const pools: dma_pool[] = [];
    for (const p of pm.pools) if (p.poisonOverride === null) pools.push(p);
    refreshPoison(pools);
  }
}

/* The pools' poisoning changed: refresh their hot-path flag and poison their free blocks when it turned on. */
function refreshPoison(pools: dma_pool[]): void {
  for (const p of pools) {
    const was = p.poisoned;
    p.poisoned = p.poison;
    p.refreshSlow();
    if (p.poisoned && !was && !p.destroyed) {
      for (let i = 0; i < p.top; i++) {
        const s = p.fl[i]!;
        const at = p.slotVaddr(s) - p.machine.vbase;
        p.machine.u8.fill(POOL_POISON_FREED, at, at + p.size);
      }
    }
  }
}

/*
 * The slow-path switch: dmapool_slow_hooks.active, folded into each pool's `slow` flag so
 * the hot path tests one field of the pool and reads nothing else: reading the module-level
 * hooks object there cost ~3 ns/op in code TurboFan compiles concurrently (V8's
 * default; pinned to one CPU 10.5 vs 7.7 ns/op on the 16-byte dmapool_test row),
 * where the module context is not a constant, and even a small shared flag
 * object read through the pool cost ~2 ns/op (9.8 vs 7.8 pinned).
 *
 * The switch flips on every entry into and exit from atomic context (the
 * sanitizer's context listener: outermost spin_lock, local_irq_*, irq_enter), so
 * flipping must not cost O(live pools). Switching on flags only the pools in
 * `fastPools`, the ones whose `slow` is 0; switching off flags nothing, and a
 * pool whose flag is stale takes the slow path once (always correct) and clears
 * it there (healSlow), re-entering `fastPools`. Each entry into `fastPools` is
 * paid for by an operation, so the flags cost O(1) amortised per operation and a
 * lock/unlock pair with no pool operation in between costs O(1). `fastPools`
 * holds at most FAST_MAX pools; past that, the next switch-on walks every live
 * pool once (poolMachines).
 */
let hooksActive = 0;
let fastPools: dma_pool[] = [];
let fastOverflow = false;
const FAST_MAX = 4096;

/* p's slow flag just became 0: remember it for the next switch-on. */
function markFast(p: dma_pool): void {
  if (p.inFast !== 0) return;
  if (fastPools.length < FAST_MAX) {
    p.inFast = 1;
    fastPools.push(p);
  } else fastOverflow = true;
}

/* The slow path ran for p: clear a stale flag (the hooks went off since it was set). */
function healSlow(p: dma_pool): void {
  if (hooksActive === 0 && p.slowBase === 0) {
    p.slow = 0;
    markFast(p);
  }
}

function hooksOn(): void {
  for (const p of fastPools) {
    p.slow = 1;
    p.inFast = 0;
  }
  fastPools = [];
  if (!fastOverflow) return;
  fastOverflow = false;
  for (const ref of poolMachines) {
    const m = ref.deref();
    if (!m || m.disposed) {
      poolMachines.delete(ref);
      continue;
    }
    const pm = poolMachine.get(m);
    if (pm) for (const p of pm.pools) p.slow = 1;
  }
}

/**
 * Hooks that need the slow path on every alloc/free (allocation sites, fault
 * injection, simulated atomic context). `active` is the switch; see above for
 * how it reaches the pools. Each hook is one slot, set once by sim/sanitizer
 * when it is imported (a second setter replaces, it does not chain). Within
 * one call they run in this order: might_sleep (create, destroy);
 * before_alloc, then the block is taken, corruption_detail (only with a
 * "(corrupted)" report), after_alloc; after_free once the block is back;
 * on_busy_destroy after the "busy" message.
 */
export const dmapool_slow_hooks = {
  /** Nonzero forces every alloc/free through the slow path. */
  get active(): number {
    return hooksActive;
  },
  set active(v: number) {
    const a = v ? 1 : 0;
    if (a === hooksActive) return;
    hooksActive = a;
    if (a === 1) hooksOn();
  },
  /** Called on every slow-path alloc before a block is taken; return true to fail the allocation. */
  before_alloc: null as null | ((pool: dma_pool, gfp: gfp_t) => boolean),
  /** Called after a block is handed out (slot, vaddr). */
  after_alloc: null as null | ((pool: dma_pool, slot: number, vaddr: number) => void),
  /** Called after a block is freed (slot, vaddr). */
  after_free: null as null | ((pool: dma_pool, slot: number, vaddr: number) => void),
  /** Extra lines for a corruption report of `slot` (e.g. "freed at ..."). */
  corruption_detail: null as null | ((pool: dma_pool, slot: number) => string[]),
  /** Called when a busy pool is destroyed, before its state goes. */
  on_busy_destroy: null as null | ((pool: dma_pool) => void),
  /** Context check for create/destroy (might_sleep). */
  might_sleep: null as null | ((fn: string) => void),
};

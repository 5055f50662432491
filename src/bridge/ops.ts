/*
 * The TypeScript half of the bridge: what each entry of the C ops table does,
 * in terms of the unchanged TypeScript core. Numbers in, numbers out (see
 * include/dmashim/abi.h); out-values go to the calling thread's scratch slot.
 *
 * Call sites: C passes the address of a static "file.c:LINE" string; it is
 * decoded once (koffi) and cached by address. While sites are on, the site is
 * set for the duration of the call (set_c_site) so the sanitizer records it;
 * and whenever a call from C logs something (a report), one more line says
 * which C line made the call, so every report names its C site.
 */
import type { Machine } from '../arch/sim/machine.ts';
import {
  device,
  pci_dev,
  dev_prefix,
  dev_set_name,
  device_add,
  device_del,
  device_release,
  kobject_complain,
  sysfs_read,
} from '../drivers/base/core.ts';
import {
  devres_release_all,
  devres_pop,
  devm_kmalloc,
  devm_kfree,
  c_devres_add,
  c_devres_take,
  C_DEVRES_ACTION,
  C_DEVRES_ALLOC,
} from '../drivers/base/devres.ts';
import { WARN_ON, BUG } from '../kernel/panic.ts';
import { __GFP_ZERO } from '../include/linux/gfp.ts';
import {
  dma_pool_create_node,
  dma_pool_alloc,
  dma_pool_free,
  dma_pool_destroy,
  dmam_pool_create,
  dmam_pool_destroy,
  dmapool_set_poison,
  dmapool_slow_hooks,
  pool_block_pop,
  pool_block_push,
  type dma_pool,
} from '../mm/dmapool.ts';
import { PAGE_SIZE } from '../mm/page_alloc.ts';
import { fault_inject_peer, fault_inject_target, should_fail } from '../lib/fault-inject.ts';
import {
  dma_set_mask,
  dma_set_coherent_mask,
  dma_supported,
  dma_get_required_mask,
  dma_alloc_attrs,
  dma_free_attrs,
  dmam_alloc_coherent,
  dmam_free_coherent,
} from '../kernel/dma/mapping.ts';
import {
  dma_map_single_attrs,
  dma_map_page_attrs,
  dma_unmap_single_attrs,
  dma_unmap_page_attrs,
  dma_sync_single_for_cpu,
  dma_sync_single_for_device,
  dma_mapping_error,
  dma_max_mapping_size,
  dma_get_merge_boundary,
  dma_map_sg_attrs,
  dma_unmap_sg_attrs,
  dma_sync_sg_for_cpu,
  dma_sync_sg_for_device,
} from '../kernel/dma/mapping.ts';
import { sim_iommu_attach } from '../drivers/iommu/iommu.ts';
import { DMA_MAPPING_ERROR } from '../include/linux/dma-mapping.ts';
import { debug_dma_map_illegal_area } from '../kernel/dma/debug.ts';
import { scatterlist, sg_set_buf, sg_mark_end, type sg_list } from '../lib/scatterlist.ts';
import {
  __get_free_pages,
  free_pages,
  virt_to_phys,
  virt_to_page,
  __virt_to_page,
  offset_in_page,
  page_address,
} from '../mm/page.ts';
import { kmalloc, kfree, ksize } from '../mm/slab.ts';
import { readb, readl, writeb, writel, mem_bytes } from '../arch/sim/io.ts';
import { printk_level, dmesg_mark, dmesg_records, log_subscribe, KERN_WARNING, KERN_ERR } from '../kernel/printk.ts';
import { stackdepot, set_c_site } from '../lib/stackdepot.ts';
import {
  preempt_disable,
  preempt_enable,
  local_irq_save,
  local_irq_restore,
  local_irq_disable,
  local_irq_enable,
  might_sleep,
  might_alloc,
  irq_enter,
  irq_exit,
} from '../kernel/sched/context.ts';
import { DmashimError } from '../lib/errors.ts';
import { dma_addr_ref } from '../include/linux/types.ts';
import { KunitCases } from '../kunit/cases.ts';
import { device_dma_read, device_dma_write, device_dma_fill, device_dma_error_count } from '../sim/device_side.ts';
import {
  SCRATCH_WORDS,
  SCRATCH_SLOTS,
  FAST_WORDS,
  BATCH_WORDS,
  STAGE_SIZE,
  POOL_FLAG,
  MASK_OP,
  PRINTK_DEV,
  ADDR_OP,
  MAP_KIND,
  MAP_FLAG,
  SG_OP,
  TS_MEM_OP,
  CACHE_OP,
  PCACHE_MODE,
  FAULT_BUDGET_WORD,
  FAULT_PENDING_WORD,
  CTX_OP,
  DEVIO_OP,
  DMAAPI_OP,
  DEVMEM_OP,
  NOPAGE_CALL,
  DM_OP,
} from './abi.ts';
import { memremap, memunmap, ioremap, iounmap } from '../arch/sim/io.ts';
import { dma_declare_coherent_memory, dma_release_coherent_memory } from '../kernel/dma/coherent.ts';
import { devmem_check_virt } from '../sim/devmem.ts';
import {
  dmam_alloc_attrs,
  dma_alloc_pages,
  dma_free_pages,
  dma_map_resource,
  dma_unmap_resource,
  dma_need_sync,
  dma_mmap_attrs,
  dma_mmap_pages,
  type vm_area_struct,
} from '../kernel/dma/mapping.ts';
import { set_dma_ops } from '../include/linux/dma-map-ops.ts';
import {
  debug_dma_map_phys,
  debug_dma_unmap_phys,
  debug_dma_alloc_coherent,
  debug_dma_free_coherent,
  debug_dma_sync_single_for_cpu,
  debug_dma_sync_single_for_device,
  debug_dma_map_sg,
  debug_dma_unmap_sg,
  debug_dma_sync_sg_for_cpu,
  debug_dma_sync_sg_for_device,
  debug_dma_sg_matched,
  dma_debug_single,
  dma_debug_page,
  dma_debug_noncoherent,
  dma_debug_resource,
} from '../kernel/dma/debug.ts';
import { vma_munmap, vma_user_bytes } from '../sim/mmap.ts';

const TWO32 = 4294967296;

export interface BridgeHost {
  /** Decode a C string at an address (koffi). */
  decode_string(addr: number): string;
  /** Call the C log hook (C -> TS -> C). */
  deliver_log(level: number, text: string): void;
  /** A scatterlist buffer of n records of 4 doubles at a C address. */
  f64_view(addr: number, n: number): Float64Array;
}

/** The Bridge's state and the helpers its ops share. */
export class BridgeCore {
  readonly machine: Machine;
  readonly host: BridgeHost;
  /** C scratch slots as uint32 halves: slot s, word w at [(s*8 + w)*2]. */
  readonly scratch: Uint32Array;
  readonly strbuf: Uint8Array;
  /** C's fast area (call block + batch records), as doubles: see include/dmashim/abi.h. */
  readonly fast: Float64Array;
  /** TypeScript devices by bridge id (index 0 unused: "no device"). */
  readonly devices: Array<device | undefined> = [undefined];
  /** C address of each device's struct device, by id. */
  readonly deviceAddr: number[] = [0];
  /** Pools by their TypeScript id. */
  readonly pools: Array<dma_pool | undefined> = [];
  protected readonly sites = new Map<number, string>();
  protected readonly ref = new dma_addr_ref();
  protected readonly vbase: number;
  protected hookUnsub: (() => void) | null = null;
  protected inHook = false;
  /* device_io: C's staging area (one STAGE_SIZE buffer per scratch slot), seen once through koffi.view. */
  protected stage: Uint8Array | null = null;
  protected stageAddr = 0;
  /* device_io: a transfer longer than one staging buffer, by scratch slot (read data to hand out, or write data being gathered). */
  protected readonly devPending = new Map<number, Uint8Array>();

  /** Put every device behind the simulated IOMMU (--iommu). */
  readonly iommu: boolean;

  constructor(
    machine: Machine,
    scratch: ArrayBuffer,
    strbuf: ArrayBuffer,
    fast: ArrayBuffer,
    iommu: boolean,
    host: BridgeHost,
  ) {
    this.machine = machine;
    this.iommu = iommu;
    this.host = host;
    this.scratch = new Uint32Array(scratch);
    this.strbuf = new Uint8Array(strbuf);
    this.fast = new Float64Array(fast);
    this.vbase = machine.vbase;
  }

  /** The "file.c:LINE" string at a C address, decoded once. */
  site(addr: number): string {
    if (addr === 0) return '';
    let s = this.sites.get(addr);
    if (s === undefined) {
      s = this.host.decode_string(addr);
      this.sites.set(addr, s);
    }
    return s;
  }

  protected put_u64(slot: number, word: number, v: number): void {
    const i = (slot * SCRATCH_WORDS + word) * 2;
    this.scratch[i] = v >>> 0;
    this.scratch[i + 1] = Math.floor(v / TWO32) >>> 0;
  }

  protected put_big(slot: number, word: number, v: bigint): void {
    const i = (slot * SCRATCH_WORDS + word) * 2;
    this.scratch[i] = Number(v & 0xffffffffn);
    this.scratch[i + 1] = Number((v >> 32n) & 0xffffffffn);
  }

  protected dev(id: number): device | null {
    return id > 0 ? (this.devices[id] ?? null) : null;
  }

  /* Around a call that may report: the site for the sanitizer, and a "called from" line after any report. */
  protected begin(site: number): number {
    if (stackdepot.enabled && site !== 0) set_c_site(this.site(site));
    return dmesg_mark();
  }

  protected end(fn: string, site: number, mark: number): void {
    if (stackdepot.enabled) set_c_site('');
    if (dmesg_mark() !== mark && site !== 0) this.called_from(fn, site, mark);
  }

  /* Only reports (warnings and worse) get the line; an informational record (swiotlb's banner) does not. */
  protected called_from(fn: string, site: number, mark: number): void {
    const recs = dmesg_records();
    let level = 99;
    for (let i = recs.length - 1; i >= 0 && recs[i]!.seq >= mark; i--) level = Math.min(level, recs[i]!.level);
    if (level <= KERN_WARNING) printk_level(level, `${fn}() called from ${this.site(site)}`);
  }

  /** Say that the TypeScript side failed (a BUG() or an internal error) and stop, as an oops would. */
  oops(op: string, e: unknown): never {
    const msg =
      e instanceof DmashimError && e.code === 'EBUG'
        ? e.message
        : e instanceof Error
          ? (e.stack ?? e.message)
          : String(e);
    process.stderr.write(`dmashim: the TypeScript core failed in ${op}: ${msg}\n`);
    process.exit(70);
  }

  /* The staging buffer of a scratch slot, in C's staging area at `addr` (one view for the whole area, made once). */
  protected stage_of(addr: number, slot: number): Uint8Array {
    if (this.stage === null || this.stageAddr !== addr) {
      const f = this.host.f64_view(addr, (SCRATCH_SLOTS * STAGE_SIZE) / 32);
      this.stage = new Uint8Array(f.buffer, f.byteOffset, SCRATCH_SLOTS * STAGE_SIZE);
      this.stageAddr = addr;
    }
    return this.stage.subarray(slot * STAGE_SIZE, (slot + 1) * STAGE_SIZE);
  }

  /* The C list as TypeScript entries: records of (vaddr, length, dma_address, dma_length). */
  protected sg_from_records(rec: Float64Array, nents: number): scatterlist[] {
    const arr: scatterlist[] = [];
    for (let i = 0; i < nents; i++) arr.push(new scatterlist(arr, i));
    for (let i = 0; i < nents; i++) {
      const sg = arr[i]!;
      // C reported device memory when the list was built (linux/scatterlist.h): take the page without a second report.
      const v = rec[i * 4]!;
      const pg = __virt_to_page(v);
      if (pg === 0) sg_set_buf(sg, v, rec[i * 4 + 1]!);
      else {
        sg.page_link = pg;
        sg.offset = offset_in_page(v);
        sg.length = rec[i * 4 + 1]!;
      }
      sg.dma_address = rec[i * 4 + 2]! < 0 ? DMA_MAPPING_ERROR : rec[i * 4 + 2]!;
      sg.dma_length = rec[i * 4 + 3]!;
    }
    sg_mark_end(arr[nents - 1]!);
    return arr;
  }

  /*
   * A list of a device with C-side dma_map_ops (SG_OP.DEBUG): the ops mapped it
   * (the segment count rides in the op's high bits) and dma-debug records it;
   * or dma-debug checks an unmap or sync, and 1 tells C to call the ops.
   */
  protected sg_debug(
    op: number,
    dev: device,
    buf: number,
    nents: number,
    dir: number,
    attrs: number,
    site: number,
  ): number {
    if (nents <= 0) return 0;
    const arr: sg_list = this.sg_from_records(this.host.f64_view(buf, nents), nents);
    const first = arr[0]!;
    const kind = op & SG_OP.OP_MASK;
    const mark = this.begin(site);
    let r = 0;
    if (kind === SG_OP.MAP) debug_dma_map_sg(dev, first, nents, op >>> SG_OP.ENTS_SHIFT, dir, attrs);
    else {
      const n =
        kind === SG_OP.UNMAP
          ? debug_dma_unmap_sg(dev, first, nents, dir)
          : kind === SG_OP.SYNC_FOR_CPU
            ? debug_dma_sync_sg_for_cpu(dev, first, nents, dir)
            : debug_dma_sync_sg_for_device(dev, first, nents, dir);
      r = n > 0 && debug_dma_sg_matched()[0] === 1 ? 1 : 0;
    }
    this.end(kind === SG_OP.MAP ? 'dma_map_sg' : kind === SG_OP.UNMAP ? 'dma_unmap_sg' : 'dma_sync_sg', site, mark);
    return r;
  }

  /* C vmas that dma_mmap_* mapped, by the struct's address. */
  protected readonly vmas = new Map<number, vm_area_struct>();

  /* The physical address of a CPU address in the arena, or -1 (C-side ops may hand out memory of their own). */
  protected phys_of(vaddr: number): number {
    const off = this.machine.virtToOff(vaddr);
    return off < 0 ? -1 : this.machine.offToPhys(off);
  }

  /* ---- the C pool cache (--pool-cache) ---- */

  /* The drain's records back on the pool's free list; with `sites`, each C free's site as the core's free records it. */
  protected cache_drain(pool: dma_pool, n: number, sites: boolean, base: number): void {
    const f = this.fast;
    // A pool on the core's hot path frees with no poison and no hook: its own free is the same, and faster.
    if (pool.slow === 0 && !sites) {
      for (let i = 0; i < n; i++) dma_pool_free(pool, f[base + 2 * i]!, f[base + 2 * i + 1]!);
      return;
    }
    const after = sites ? dmapool_slow_hooks.after_free : null;
    for (let i = 0; i < n; i++) {
      const vaddr = f[base + 2 * i]!;
      const dma = f[base + 2 * i + 1]!;
      const slot = this.pool_slot(pool, vaddr);
      if (slot < 0 || pool.slotFree(slot) || pool.slotDma(slot) !== dma) {
        // C hands back only blocks it proved live; should one be wrong, the core's own free reports it.
        dma_pool_free(pool, vaddr, dma);
        continue;
      }
      pool_block_push(pool, slot);
      // -1: the block came from the core's list in a refill, and the core has its free site already.
      const s = after !== null ? f[base + 2 * n + i]! : -1;
      if (after !== null && s >= 0) {
        set_c_site(this.site(s));
        after(pool, slot, vaddr);
      }
    }
    if (after !== null) set_c_site('');
  }

  /*
   * What fault injection asks of a pool's cache (DMASHIM_PCACHE_FAULT*). The cache lets allocs pass
   * within the injector's budget and counts them in the fast area; the injector folds them in.
   */
  protected fault_mode(pool: dma_pool): number {
    const t = fault_inject_target(this.machine, 'pool', pool.dev.name, pool.name);
    if (t === 'no') return 0;
    if (t === 'each') return PCACHE_MODE.OFF;
    const f = this.fast;
    fault_inject_peer(this.machine, {
      take: () => {
        const n = f[FAULT_PENDING_WORD]!;
        f[FAULT_PENDING_WORD] = 0;
        return n;
      },
      budget: (n) => {
        f[FAULT_BUDGET_WORD] = n;
      },
    });
    return t === 'counted' ? PCACHE_MODE.FAULT : PCACHE_MODE.FAULT | PCACHE_MODE.FAULT_ATOMIC;
  }

  /* The pool's slot of the block at `vaddr`, or -1 when no block of the pool starts there. */
  protected pool_slot(pool: dma_pool, vaddr: number): number {
    const page = (pool.pageIdxOf[Math.floor((vaddr - this.vbase) / PAGE_SIZE)] ?? 0) - 1;
    if (page < 0 || page >= pool.nr_pages) return -1;
    const k = pool.blockAt(vaddr - pool.pages[page << 1]!);
    return k < 0 ? -1 : (page << pool.sh) | k;
  }
}

/**
 * The ops: exactly the members of DMASHIM_OPS (include/dmashim/abi.h), each with
 * its C arguments in order; helpers live in BridgeCore so that
 * test/bridge/abi.test.ts can hold this class to the table.
 */
export class Bridge extends BridgeCore {
  /* devres_alloc'd C resources by data address: the C release function and whether it is on a device's list. */
  private readonly cDevres = new Map<number, { fn: number; added: boolean }>();

  dev_new(addr: number, is_pci: number): number {
    const dev = is_pci ? new pci_dev({ machine: this.machine }).dev : new device(this.machine);
    if (this.iommu) sim_iommu_attach(dev);
    this.devices.push(dev);
    this.deviceAddr.push(addr);
    return this.devices.length - 1;
  }

  dev_sync(
    id: number,
    has_mask: number,
    mh: number,
    ml: number,
    ch: number,
    cl: number,
    lh: number,
    ll: number,
    driver: string | null,
    bus: string | null,
  ): void {
    const dev = this.dev(id);
    if (!dev) return;
    dev.dma_mask = has_mask ? (BigInt(mh) << 32n) | BigInt(ml) : null;
    dev.coherent_dma_mask = (BigInt(ch) << 32n) | BigInt(cl);
    dev.bus_dma_limit = (BigInt(lh) << 32n) | BigInt(ll);
    dev.driver_name = driver ?? '';
    dev.bus_name = bus ?? '';
  }

  dev_set_name(id: number, name: string): number {
    const dev = this.dev(id);
    return dev ? dev_set_name(dev, name) : -22;
  }

  /* C's device_add: C counts the references (dev->kobj), so the TypeScript device is only marked initialized. */
  dev_register(id: number): number {
    const dev = this.dev(id);
    if (!dev) return -22;
    if (dev.released || !dev.kobj.state_initialized) {
      dev.kobj.state_initialized = true;
      dev.kobj.kref.refcount = 1;
      dev.released = false;
    }
    return device_add(dev);
  }

  /* C's device_del (device_unregister's put_device is C's). */
  dev_unregister(id: number): void {
    const dev = this.dev(id);
    if (dev) device_del(dev);
  }

  dev_release_driver(id: number): void {
    const dev = this.dev(id);
    if (dev) devres_release_all(dev);
  }

  dev_mask(id: number, op: number, hi: number, lo: number, slot: number): number {
    const dev = this.dev(id);
    if (!dev) return op === MASK_OP.SUPPORTED ? 0 : -5;
    const mask = (BigInt(hi) << 32n) | BigInt(lo);
    switch (op) {
      case MASK_OP.SET:
        return dma_set_mask(dev, mask);
      case MASK_OP.SET_COHERENT:
        return dma_set_coherent_mask(dev, mask);
      case MASK_OP.SUPPORTED:
        return dma_supported(dev, mask) ? 1 : 0;
      default:
        this.put_big(slot, 0, dma_get_required_mask(dev));
        return 0;
    }
  }

  printk(level: number, devId: number, text: string): void {
    if (devId === PRINTK_DEV.NO_DEV) printk_level(level, text);
    else printk_level(level, dev_prefix(devId === PRINTK_DEV.NULL_DEV ? null : this.dev(devId)) + text);
  }

  pool_create(
    name: string,
    devId: number,
    size: number,
    align: number,
    boundary: number,
    node: number,
    flags: number,
    site: number,
  ): number {
    const mark = this.begin(site);
    const dev = this.dev(devId);
    const pool =
      flags & POOL_FLAG.MANAGED
        ? dmam_pool_create(name, dev, size, align, boundary)
        : dma_pool_create_node(name, dev, size, align, boundary, node);
    if (pool && flags & POOL_FLAG.POISON) dmapool_set_poison(pool, true);
    this.end('dma_pool_create', site, mark);
    if (!pool) return 0;
    this.pools[pool.id] = pool;
    return pool.id;
  }

  /* The hot path: no allocation, one scratch write. */
  pool_alloc(id: number, gfp: number, slot: number, site: number): number {
    const pool = this.pools[id];
    if (pool === undefined) return -1;
    const mark = this.begin(site);
    const v = dma_pool_alloc(pool, gfp, this.ref);
    this.end('dma_pool_alloc', site, mark);
    if (v === 0) return -1;
    const h = this.ref.value;
    const i = slot * SCRATCH_WORDS * 2;
    this.scratch[i] = h >>> 0;
    this.scratch[i + 1] = Math.floor(h / TWO32) >>> 0;
    return v - this.vbase;
  }

  pool_free(id: number, vaddr: number, dma: number, site: number): void {
    const pool = this.pools[id];
    if (pool === undefined) return;
    const mark = this.begin(site);
    dma_pool_free(pool, vaddr, dma);
    this.end('dma_pool_free', site, mark);
  }

  /*
   * The synchronous hot path: arguments from the fast area, results back into
   * it. Every argument is read before anything that can log (a log hook may
   * call back into C, which reuses the area), the results are written last.
   */
  pool_alloc_fast(): void {
    const f = this.fast;
    const pool = this.pools[f[0]! | 0];
    const gfp = f[1]! | 0;
    const site = f[2]!;
    if (pool === undefined) {
      f[0] = -1;
      return;
    }
    // begin()/end() spelled out: this runs once per dma_pool_alloc from C.
    const sites = stackdepot.enabled;
    if (sites && site !== 0) set_c_site(this.site(site));
    const mark = dmesg_mark();
    const v = dma_pool_alloc(pool, gfp, this.ref);
    if (sites) set_c_site('');
    if (dmesg_mark() !== mark && site !== 0) this.called_from('dma_pool_alloc', site, mark);
    if (v === 0) {
      f[0] = -1;
      return;
    }
    f[0] = v - this.vbase;
    f[1] = this.ref.value;
  }

  pool_free_fast(): void {
    const f = this.fast;
    const pool = this.pools[f[0]! | 0];
    const vaddr = f[1]!;
    const dma = f[2]!;
    const site = f[3]!;
    if (pool === undefined) return;
    const sites = stackdepot.enabled;
    if (sites && site !== 0) set_c_site(this.site(site));
    const mark = dmesg_mark();
    dma_pool_free(pool, vaddr, dma);
    if (sites) set_c_site('');
    if (dmesg_mark() !== mark && site !== 0) this.called_from('dma_pool_free', site, mark);
  }

  /*
   * The C block cache's batches (--pool-cache). Refill: the first block as a
   * plain dma_pool_alloc (it may take a new page, and may fail or log as one
   * would), then only blocks already on the free list, taken as they are (C
   * does at each hand-out what the core's alloc would: the might_alloc check,
   * the poison check and fill, the site), so pages are allocated at the same
   * calls as without the cache. Records (vaddr offset, dma) in pop order.
   * Drain: each record back on the free list, in order, with the free's site;
   * not poisoned again: C did it at the free, and what the device wrote since
   * must stay for the next alloc's check. Sites: the hand-outs' sites, as the
   * core's alloc would have recorded them.
   */
  pool_batch(opSlot: number, id: number, n: number, gfp: number, site: number): number {
    const pool = this.pools[id];
    if (pool === undefined) return 0;
    const f = this.fast;
    // The caller's records: its scratch slot's (--threads runs several threads' batches at once).
    const base = FAST_WORDS + (opSlot >>> CACHE_OP.SLOT_SHIFT) * BATCH_WORDS;
    switch (opSlot & CACHE_OP.OP_MASK) {
      case CACHE_OP.BLOCK_SIZE:
        return pool.size;
      case CACHE_OP.MODE:
        return (
          (pool.poisoned ? PCACHE_MODE.POISON : 0) |
          (stackdepot.enabled ? PCACHE_MODE.SITES : 0) |
          this.fault_mode(pool)
        );
      case CACHE_OP.FAULT: {
        // The core's before_alloc for a cached block: might_alloc (n = 1), then the injector.
        const mark = this.begin(site);
        if (n) might_alloc(gfp, 'mm/dmapool.c dma_pool_alloc');
        const fail = should_fail(this.machine, 'pool', pool.dev.name, pool.name, gfp, `dma_pool_alloc(${pool.name})`);
        this.end('dma_pool_alloc', site, mark);
        return fail ? 1 : 0;
      }
      case CACHE_OP.DRAIN:
        this.cache_drain(pool, n, gfp !== 0, base);
        return n;
      case CACHE_OP.SITES: {
        const after = dmapool_slow_hooks.after_alloc;
        if (after === null) return n;
        for (let i = 0; i < n; i++) {
          const vaddr = f[base + 2 * i]!;
          const slot = this.pool_slot(pool, vaddr);
          if (slot < 0) continue;
          set_c_site(this.site(f[base + 2 * i + 1]!));
          after(pool, slot, vaddr);
        }
        set_c_site('');
        return n;
      }
      case CACHE_OP.REFILL:
        break;
      default:
        return 0;
    }
    const mark = this.begin(site);
    const ref = this.ref;
    const first = dma_pool_alloc(pool, gfp, ref);
    this.end('dma_pool_alloc', site, mark);
    if (first === 0) return 0;
    f[base] = first - this.vbase;
    f[base + 1] = ref.value;
    let k = 1;
    // On the core's hot path (no poison, no hook) its own alloc takes the block as it is, and faster.
    if (pool.slow === 0) {
      while (k < n && pool.top > 0) {
        f[base + 2 * k] = dma_pool_alloc(pool, gfp, ref) - this.vbase;
        f[base + 2 * k + 1] = ref.value;
        k++;
      }
      return k;
    }
    // A log hook may have destroyed the pool during the first alloc: then no more blocks.
    while (k < n && pool.top > 0 && !pool.destroyed) {
      const b = pool_block_pop(pool);
      f[base + 2 * k] = pool.slotVaddr(b) - this.vbase;
      f[base + 2 * k + 1] = pool.slotDma(b);
      k++;
    }
    return k;
  }

  /*
   * The simulated execution context (linux/preempt.h: spinlocks, local_irq_*,
   * irq_enter/irq_exit, might_sleep), synchronous mode only. C keeps the same
   * counts and calls only to change them or when a sleeping call is made in
   * atomic context. irq_enter/irq_exit are the core's, so a report from an
   * interrupt handler shows in_atomic() 1, irqs_disabled() 1 and the hardirq
   * preempt_count (10000), and in_interrupt() is true in TypeScript too.
   */
  context(op: number, arg: number, site: number): number {
    switch (op) {
      case CTX_OP.PREEMPT_DISABLE:
        preempt_disable();
        return 0;
      case CTX_OP.PREEMPT_ENABLE:
        preempt_enable();
        return 0;
      case CTX_OP.IRQ_SAVE:
        return local_irq_save();
      case CTX_OP.IRQ_RESTORE:
        local_irq_restore(arg);
        return 0;
      case CTX_OP.IRQ_DISABLE:
        local_irq_disable();
        return 0;
      case CTX_OP.IRQ_ENABLE:
        local_irq_enable();
        return 0;
      case CTX_OP.MIGHT_SLEEP:
        return might_sleep(this.site(site) || '?') ? 1 : 0;
      case CTX_OP.IRQ_ENTER:
        irq_enter();
        return 0;
      case CTX_OP.IRQ_EXIT:
        irq_exit();
        return 0;
      case CTX_OP.MIGHT_ALLOC: {
        // With the site set, as in the core's alloc: the report says where (--sites).
        const mark = this.begin(site);
        const r = might_alloc(arg, 'mm/dmapool.c dma_pool_alloc') ? 1 : 0;
        this.end('dma_pool_alloc', site, mark);
        return r;
      }
      default:
        return -22;
    }
  }

  pool_destroy(id: number, managed: number, site: number): void {
    const pool = this.pools[id];
    if (pool === undefined) return;
    const mark = this.begin(site);
    if (managed) dmam_pool_destroy(pool);
    else dma_pool_destroy(pool);
    this.end(managed ? 'dmam_pool_destroy' : 'dma_pool_destroy', site, mark);
  }

  pool_set_poison(id: number, on: number): void {
    const pool = this.pools[id];
    if (pool) dmapool_set_poison(pool, on < 0 ? null : on !== 0);
  }

  alloc_coherent(
    devId: number,
    size: number,
    gfp: number,
    attrs: number,
    managed: number,
    slot: number,
    site: number,
  ): number {
    const dev = this.dev(devId);
    if (!dev) return -1;
    const mark = this.begin(site);
    const v = managed
      ? attrs
        ? dmam_alloc_attrs(dev, size, this.ref, gfp, attrs)
        : dmam_alloc_coherent(dev, size, this.ref, gfp)
      : dma_alloc_attrs(dev, size, this.ref, gfp, attrs);
    this.end(managed ? 'dmam_alloc_coherent' : 'dma_alloc_coherent', site, mark);
    if (v === 0) return -1;
    this.put_u64(slot, 0, this.ref.value);
    return v - this.vbase;
  }

  free_coherent(
    devId: number,
    size: number,
    vaddr: number,
    dma: number,
    attrs: number,
    managed: number,
    site: number,
  ): void {
    const dev = this.dev(devId);
    if (!dev) return;
    const mark = this.begin(site);
    if (managed) dmam_free_coherent(dev, size, vaddr, dma);
    else dma_free_attrs(dev, size, vaddr, dma, attrs);
    this.end(managed ? 'dmam_free_coherent' : 'dma_free_coherent', site, mark);
  }

  get_free_pages(gfp: number, order: number, site: number): number {
    const mark = this.begin(site);
    const v = __get_free_pages(gfp, order, this.machine);
    this.end('__get_free_pages', site, mark);
    return v === 0 ? -1 : v - this.vbase;
  }

  free_pages(vaddr: number, order: number, site: number): void {
    const mark = this.begin(site);
    free_pages(vaddr, order);
    this.end('free_pages', site, mark);
  }

  kmalloc(size: number, gfp: number, site: number): number {
    const mark = this.begin(site);
    const v = kmalloc(size, gfp, this.machine);
    this.end('kmalloc', site, mark);
    return v === 0 ? -1 : v - this.vbase;
  }

  kfree(vaddr: number, site: number): void {
    const mark = this.begin(site);
    kfree(vaddr);
    this.end('kfree', site, mark);
  }

  addr(op: number, a: number): number {
    if (op === ADDR_OP.VIRT_TO_PHYS) return virt_to_phys(a);
    if (op === ADDR_OP.KSIZE) return ksize(a);
    const off = this.machine.physToOff(a);
    return off;
  }

  map(devId: number, vaddr: number, size: number, dir: number, attrs: number, kindFlags: number, site: number): number {
    const dev = this.dev(devId);
    if (!dev) return -1;
    const mark = this.begin(site);
    // The C side flags buffers on the caller's stack or in the program image.
    const area = kindFlags & (MAP_FLAG.AREA_STACK | MAP_FLAG.AREA_IMAGE);
    const kind = kindFlags & MAP_FLAG.KIND_MASK;
    if (area) {
      debug_dma_map_illegal_area(dev, vaddr, size, area === MAP_FLAG.AREA_STACK ? 'stack' : 'text');
      this.end(kind === MAP_KIND.PAGE ? 'dma_map_page' : 'dma_map_single', site, mark);
      return -1;
    }
    // dma_map_page gets TypeScript's struct page (C's page pointer is the page's address).
    const dma =
      kind === MAP_KIND.PAGE
        ? dma_map_page_attrs(
            dev,
            __virt_to_page(vaddr - offset_in_page(vaddr)),
            offset_in_page(vaddr),
            size,
            dir,
            attrs,
          )
        : dma_map_single_attrs(dev, vaddr, size, dir, attrs);
    this.end(kind === MAP_KIND.PAGE ? 'dma_map_page' : 'dma_map_single', site, mark);
    return dma >= 2 ** 53 ? -1 : dma;
  }

  unmap(devId: number, dma: number, size: number, dir: number, attrs: number, kind: number, site: number): void {
    const dev = this.dev(devId);
    if (!dev) return;
    const mark = this.begin(site);
    if (kind === MAP_KIND.PAGE) dma_unmap_page_attrs(dev, dma, size, dir, attrs);
    else dma_unmap_single_attrs(dev, dma, size, dir, attrs);
    this.end(kind === MAP_KIND.PAGE ? 'dma_unmap_page' : 'dma_unmap_single', site, mark);
  }

  sync(devId: number, dma: number, size: number, dir: number, for_device: number, site: number): void {
    const dev = this.dev(devId);
    if (!dev) return;
    const mark = this.begin(site);
    if (for_device) dma_sync_single_for_device(dev, dma, size, dir);
    else dma_sync_single_for_cpu(dev, dma, size, dir);
    this.end(for_device ? 'dma_sync_single_for_device' : 'dma_sync_single_for_cpu', site, mark);
  }

  mapping_error(devId: number, dma: number, site: number): number {
    const dev = this.dev(devId);
    if (!dev) return 1;
    const mark = this.begin(site);
    const r = dma_mapping_error(dev, dma >= 2 ** 53 ? DMA_MAPPING_ERROR : dma);
    this.end('dma_mapping_error', site, mark);
    return r ? 1 : 0;
  }

  /* The C list arrives flattened (vaddr, length, dma_address, dma_length per entry); results go back the same way. */
  sg(op: number, devId: number, buf: number, nents: number, dir: number, attrs: number, site: number): number {
    const dev = this.dev(devId);
    if (!dev) return 0;
    if (op & SG_OP.DEBUG) return this.sg_debug(op, dev, buf, nents, dir, attrs, site);
    if (nents <= 0) {
      // Only a map comes here without entries (native/mapping.c): the core answers it with the kernel's WARN.
      if (op !== SG_OP.MAP) return 0;
      const mark = this.begin(site);
      const count = dma_map_sg_attrs(dev, [], nents, dir, attrs);
      this.end('dma_map_sg', site, mark);
      return count;
    }
    const rec = this.host.f64_view(buf, nents);
    const arr = this.sg_from_records(rec, nents);
    const fn =
      op === SG_OP.UNMAP
        ? 'dma_unmap_sg'
        : op === SG_OP.SYNC_FOR_CPU
          ? 'dma_sync_sg_for_cpu'
          : op === SG_OP.SYNC_FOR_DEVICE
            ? 'dma_sync_sg_for_device'
            : 'dma_map_sg';
    const mark = this.begin(site);
    let count = 0;
    if (op === SG_OP.MAP) count = dma_map_sg_attrs(dev, arr, nents, dir, attrs);
    else if (op === SG_OP.UNMAP) dma_unmap_sg_attrs(dev, arr, nents, dir, attrs);
    else if (op === SG_OP.SYNC_FOR_CPU) dma_sync_sg_for_cpu(dev, arr, nents, dir);
    else dma_sync_sg_for_device(dev, arr, nents, dir);
    this.end(fn, site, mark);
    if (op === SG_OP.MAP) {
      for (let i = 0; i < nents; i++) {
        const sg = arr[i]!;
        rec[i * 4 + 2] = sg.dma_address >= 2 ** 53 ? -1 : sg.dma_address;
        rec[i * 4 + 3] = sg.dma_length;
      }
    }
    return count;
  }

  /*
   * The device side (dmashim_device_*; the operations are listed in
   * include/dmashim/abi.h). A transfer is checked and done whole by
   * device_side.ts, so it is reported once and is all or nothing; its bytes
   * move through the slot's staging buffer in pieces. A staged write is copied
   * out before anything can log (a log hook may play the device too and reuse
   * the buffer), and read data is staged last.
   */
  device_io(devId: number, opSlot: number, dma: number, len: number, arg: number, site: number): number {
    const op = opSlot & DEVIO_OP.OP_MASK;
    const slot = opSlot >>> DEVIO_OP.SLOT_SHIFT;
    switch (op) {
      case DEVIO_OP.READ_PIECE: {
        // The next piece of a pending read.
        const data = this.devPending.get(slot);
        if (data === undefined) return -22;
        const end = Math.min(dma + STAGE_SIZE, data.length);
        this.stage_of(arg, slot).set(data.subarray(dma, end));
        if (end >= data.length) this.devPending.delete(slot);
        return 0;
      }
      case DEVIO_OP.WRITE_PIECE: {
        // A piece of a long write, not the last one.
        let data = this.devPending.get(slot);
        if (dma === 0 || data === undefined || data.length !== len) {
          data = new Uint8Array(len);
          this.devPending.set(slot, data);
        }
        data.set(this.stage_of(arg, slot), dma);
        return 0;
      }
      default:
        break;
    }
    const dev = this.dev(devId);
    if (!dev) return -19;
    if (op === DEVIO_OP.ERRORS) return device_dma_error_count(dev);
    if (op === DEVIO_OP.READ) {
      this.devPending.delete(slot);
      const mark = this.begin(site);
      const data = device_dma_read(dev, dma, len);
      this.end('dmashim_device_read', site, mark);
      if (data === null) return -14;
      this.stage_of(arg, slot).set(data.subarray(0, Math.min(len, STAGE_SIZE)));
      if (len > STAGE_SIZE) this.devPending.set(slot, data);
      return 0;
    }
    if (op === DEVIO_OP.WRITE) {
      // The last piece is staged: take the whole transfer out of C memory before anything can log.
      let data: Uint8Array;
      if (len > STAGE_SIZE) {
        const pending = this.devPending.get(slot);
        this.devPending.delete(slot);
        if (pending === undefined || pending.length !== len) return -22;
        const last = Math.floor((len - 1) / STAGE_SIZE) * STAGE_SIZE;
        pending.set(this.stage_of(arg, slot).subarray(0, len - last), last);
        data = pending;
      } else {
        data = this.stage_of(arg, slot).slice(0, len);
      }
      const mark = this.begin(site);
      const r = device_dma_write(dev, dma, data);
      this.end('dmashim_device_write', site, mark);
      return r;
    }
    if (op === DEVIO_OP.FILL) {
      const mark = this.begin(site);
      const r = device_dma_fill(dev, dma, len, arg);
      this.end('dmashim_device_fill', site, mark);
      return r;
    }
    return -22;
  }

  sysfs_read(devId: number, attr: string): number {
    const dev = this.dev(devId);
    const text = dev ? sysfs_read(dev, attr) : null;
    if (text === null) return -1;
    const bytes = Buffer.from(text, 'utf8');
    const n = Math.min(bytes.length, this.strbuf.length);
    this.strbuf.set(bytes.subarray(0, n));
    return n;
  }

  ts_mem(op: number, vaddr: number, len: number, val: number): number {
    switch (op) {
      case TS_MEM_OP.READB:
        return readb(vaddr);
      case TS_MEM_OP.READL:
        return readl(vaddr);
      case TS_MEM_OP.WRITEB:
        writeb(val, vaddr);
        return 0;
      case TS_MEM_OP.WRITEL:
        writel(val, vaddr);
        return 0;
      default: {
        const b = mem_bytes(vaddr, len);
        let h = 2166136261;
        for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 16777619) >>> 0;
        return h;
      }
    }
  }

  log_hook(on: number): void {
    this.hookUnsub?.();
    this.hookUnsub = null;
    if (!on) return;
    this.hookUnsub = log_subscribe((r) => {
      // A hook that logs would hear itself forever: records it causes are not delivered to it.
      if (this.inHook) return;
      this.inHook = true;
      try {
        this.host.deliver_log(r.level, r.text);
      } finally {
        this.inHook = false;
      }
    });
  }

  /*
   * The benchmarks' yardstick (dmashim_bench_noop): nothing at all. The runner
   * registers it without the exception guard, so one call is one bare callback.
   */
  bench_noop(): void {}

  /* dma_max_mapping_size(): no device (the kernel would oops) answers 0, as the C side does when it cannot call. */
  max_mapping_size(devId: number): number {
    const dev = this.dev(devId);
    return dev ? dma_max_mapping_size(dev) : 0;
  }

  /* dma_get_merge_boundary() */
  merge_boundary(devId: number): number {
    const dev = this.dev(devId);
    return dev ? dma_get_merge_boundary(dev) : 0;
  }

  /*
   * The DMA API's less common calls and dma-debug's hooks for C-side
   * dma_map_ops: one op with an op code (DMAAPI_OP; the arguments of each are
   * listed in include/dmashim/abi.h).
   */
  dma_api(
    op: number,
    devId: number,
    a: number,
    b: number,
    c: number,
    d: number,
    attrs: number,
    slot: number,
    site: number,
  ): number {
    if (op === DMAAPI_OP.VMA_USER) {
      const vma = this.vmas.get(a);
      if (vma === undefined) return -1;
      const bytes = vma_user_bytes(vma);
      return bytes.byteOffset - this.machine.u8.byteOffset;
    }
    if (op === DMAAPI_OP.VMA_MUNMAP) {
      const vma = this.vmas.get(a);
      if (vma === undefined) return -22;
      this.vmas.delete(a);
      return vma_munmap(vma);
    }
    const dev = this.dev(devId);
    if (!dev) return op === DMAAPI_OP.MMAP || op === DMAAPI_OP.MMAP_PAGES ? -6 : -1;
    const mark = this.begin(site);
    let r = 0;
    let fn = 'dma_api';
    switch (op) {
      case DMAAPI_OP.ALLOC_PAGES: {
        fn = 'dma_alloc_pages';
        const page = dma_alloc_pages(dev, a, this.ref, b, c);
        if (page === 0) r = -1;
        else {
          this.put_u64(slot, 0, this.ref.value);
          r = this.machine.virtToOff(page_address(page));
        }
        break;
      }
      case DMAAPI_OP.FREE_PAGES:
        fn = 'dma_free_pages';
        dma_free_pages(dev, a, virt_to_page(b), c, d);
        break;
      case DMAAPI_OP.MAP_RESOURCE: {
        fn = 'dma_map_resource';
        const dma = dma_map_resource(dev, a, b, c, attrs);
        r = dma >= 2 ** 53 ? -1 : dma;
        break;
      }
      case DMAAPI_OP.UNMAP_RESOURCE:
        fn = 'dma_unmap_resource';
        dma_unmap_resource(dev, a, b, c, attrs);
        break;
      case DMAAPI_OP.NEED_SYNC:
        r = dma_need_sync(dev, a) ? 1 : 0;
        break;
      case DMAAPI_OP.MMAP:
      case DMAAPI_OP.MMAP_PAGES: {
        fn = op === DMAAPI_OP.MMAP ? 'dma_mmap_attrs' : 'dma_mmap_pages';
        const i = slot * SCRATCH_WORDS * 2;
        const word = (w: number): number => this.scratch[i + 2 * w]! + this.scratch[i + 2 * w + 1]! * TWO32;
        const vma: vm_area_struct = { vm_start: word(0), vm_end: word(1), vm_pgoff: word(2) };
        const old = this.vmas.get(a);
        // The same struct mapped again while mapped: the kernel's vma cannot be; refuse it as user_mmap_insert does.
        if (old !== undefined) r = -22;
        else {
          r =
            op === DMAAPI_OP.MMAP
              ? dma_mmap_attrs(dev, vma, b, c, d, attrs)
              : dma_mmap_pages(dev, vma, d, virt_to_page(b));
          if (r === 0) this.vmas.set(a, vma);
        }
        break;
      }
      case DMAAPI_OP.SET_OPS:
        if (a === 0) set_dma_ops(dev, null);
        break;
      case DMAAPI_OP.DEBUG_MAP: {
        const kind = (c >>> 8) & MAP_FLAG.KIND_MASK;
        const area = (c >>> 8) & (MAP_FLAG.AREA_STACK | MAP_FLAG.AREA_IMAGE);
        fn =
          kind === MAP_KIND.NONCOHERENT
            ? 'dma_alloc_pages'
            : kind === MAP_KIND.RESOURCE
              ? 'dma_map_resource'
              : 'dma_map_single';
        if (area) debug_dma_map_illegal_area(dev, a, b, area === MAP_FLAG.AREA_STACK ? 'stack' : 'text');
        const type = debug_type_of(kind);
        debug_dma_map_phys(dev, type === dma_debug_resource ? -1 : this.phys_of(a), b, c & 0xff, d, attrs, a, type);
        break;
      }
      case DMAAPI_OP.DEBUG_UNMAP: {
        const type = debug_type_of(d);
        fn =
          type === dma_debug_noncoherent
            ? 'dma_free_pages'
            : type === dma_debug_resource
              ? 'dma_unmap_resource'
              : 'dma_unmap_single';
        r = debug_dma_unmap_phys(dev, a, b, c, type) ? 1 : 0;
        break;
      }
      case DMAAPI_OP.DEBUG_SYNC:
        fn = d ? 'dma_sync_single_for_device' : 'dma_sync_single_for_cpu';
        r = (d ? debug_dma_sync_single_for_device(dev, a, b, c) : debug_dma_sync_single_for_cpu(dev, a, b, c)) ? 1 : 0;
        break;
      case DMAAPI_OP.DEBUG_ALLOC:
        fn = 'dma_alloc_coherent';
        debug_dma_alloc_coherent(dev, b, c, a);
        break;
      case DMAAPI_OP.DEBUG_FREE:
        fn = 'dma_free_coherent';
        r = debug_dma_free_coherent(dev, b, a, c) ? 1 : 0;
        break;
      default:
        r = -22;
    }
    this.end(fn, site, mark);
    return r;
  }

  /* ---- device memory (memremap/ioremap, dma_declare_coherent_memory, pageless misuse) ---- */

  devmem(op: number, devId: number, a: number, b: number, c: number, site: number): number {
    const m = this.machine;
    const fn = op === DEVMEM_OP.NOPAGE ? (NOPAGE_FN[b] ?? 'virt_to_page') : (DEVMEM_FN[op] ?? 'devmem');
    const mark = this.begin(site);
    let r = 0;
    if (
      op !== DEVMEM_OP.MEMREMAP &&
      (op === DEVMEM_OP.IOREMAP || op === DEVMEM_OP.IOREMAP_WC) &&
      b > 0 &&
      m.iomemVirt(a, b) === 0 &&
      !m.physIsRam(a, 1) &&
      !m.physIsRam(a + b - 1, 1)
    ) {
      // Neither a window nor RAM: a device's registers, which C backs with plain memory.
      r = DEVMEM_OP.NO_WINDOW;
    } else if (op === DEVMEM_OP.MEMREMAP || op === DEVMEM_OP.IOREMAP || op === DEVMEM_OP.IOREMAP_WC) {
      const v = op === DEVMEM_OP.MEMREMAP ? memremap(a, b, c, m) : ioremap(a, b, m);
      r = v === 0 ? -1 : v - this.vbase;
    } else if (op === DEVMEM_OP.MEMUNMAP) memunmap(a);
    else if (op === DEVMEM_OP.IOUNMAP) iounmap(a);
    else if (op === DEVMEM_OP.DECLARE) r = dma_declare_coherent_memory(this.dev(devId), a, b, c);
    else if (op === DEVMEM_OP.RELEASE) dma_release_coherent_memory(this.dev(devId));
    else if (op === DEVMEM_OP.NOPAGE) devmem_check_virt(m, fn, a, NOPAGE_RESULT[b] ?? '');
    this.end(fn, site, mark);
    return r;
  }

  /* ---- KUnit (native/kunit.c, src/kunit/cases.ts) ---- */

  private kunitCases: KunitCases | null = null;

  /* A KUnit case or suite boundary: the sanitizer's findings in between fail the case (src/kunit/cases.ts). */
  kunit(op: number, name: string): number {
    this.kunitCases ??= new KunitCases(this.machine);
    return this.kunitCases.op(op, name);
  }

  /* ---- the driver model (native/device.c, native/devres.c): references, release, devres ---- */

  devmodel(op: number, devId: number, a: number, b: number, c: number, slot: number, site: number): number {
    const dev = this.dev(devId);
    if (op === DM_OP.DEVRES_ALLOC || op === DM_OP.DEVRES_FREE) {
      const mark = this.begin(site);
      const v = devres_mem(this.cDevres, this.machine, op, a, b, c);
      this.end(op === DM_OP.DEVRES_ALLOC ? 'devres_alloc' : 'devres_free', site, mark);
      return v > 0 ? v - this.vbase : v;
    }
    if (!dev) return -1;
    switch (op) {
      case DM_OP.RELEASE:
        device_release(dev, null, a !== 0);
        return 0;
      case DM_OP.KOBJ:
        kobject_complain(dev, a);
        return 0;
      case DM_OP.DEVRES_POP: {
        const e = devres_pop(dev);
        if (e === undefined) return -1;
        if (e === null) return 0;
        if (e.kind === C_DEVRES_ALLOC) this.cDevres.set(e.data, { fn: e.fn, added: false });
        this.put_u64(slot, 0, e.fn);
        this.put_u64(slot, 1, e.data);
        return e.kind;
      }
      case DM_OP.KMALLOC: {
        const mark = this.begin(site);
        const v = devm_kmalloc(dev, a, b);
        this.end('devm_kmalloc', site, mark);
        return v ? v - this.vbase : -1;
      }
      case DM_OP.KFREE: {
        const mark = this.begin(site);
        devm_kfree(dev, a);
        this.end('devm_kfree', site, mark);
        return 0;
      }
      case DM_OP.ADD_ACTION: {
        const mark = this.begin(site);
        const ok = c_devres_add(dev, { kind: C_DEVRES_ACTION, fn: a, data: b }, 'devm_add_action');
        this.end('devm_add_action', site, mark);
        return ok ? 0 : -12;
      }
      case DM_OP.REMOVE_ACTION:
      case DM_OP.RELEASE_ACTION: {
        const fn = op === DM_OP.REMOVE_ACTION ? 'devm_remove_action' : 'devm_release_action';
        const mark = this.begin(site);
        const e = c_devres_take(dev, C_DEVRES_ACTION, a, b);
        WARN_ON(
          e === null,
          `drivers/base/devres.c ${fn}`,
          `WARN_ON(${fn === 'devm_remove_action' ? 'devres_destroy' : 'devres_release'}(...))`,
        );
        this.end(fn, site, mark);
        return e === null ? -2 : op === DM_OP.RELEASE_ACTION ? 1 : 0;
      }
      case DM_OP.DEVRES_ADD: {
        const r = this.cDevres.get(a);
        const mark = this.begin(site);
        let rc = 0;
        if (!r || r.added) {
          printk_level(
            KERN_ERR,
            `dmashim: ${dev_prefix(dev)}devres_add() of ${r ? 'a resource already added' : 'memory devres_alloc() did not return'}: nothing was added`,
          );
          rc = -22;
        } else if (c_devres_add(dev, { kind: C_DEVRES_ALLOC, fn: r.fn, data: a }, 'devres_add')) {
          r.added = true;
        } else {
          rc = -12;
        }
        this.end('devres_add', site, mark);
        return rc;
      }
      default:
        return -22;
    }
  }
}

/*
 * devres_alloc (returns the vaddr, or -1) and devres_free (returns 0) of the
 * devmodel op: the data lives in kmalloc memory, known in `known` until freed.
 */
function devres_mem(
  known: Map<number, { fn: number; added: boolean }>,
  m: Machine,
  op: number,
  a: number,
  b: number,
  c: number,
): number {
  if (op === DM_OP.DEVRES_ALLOC) {
    if (!Number.isSafeInteger(b) || b < 0) return -1;
    const v = kmalloc(Math.max(b, 1), (c | __GFP_ZERO) >>> 0, m);
    if (!v) return -1;
    known.set(v, { fn: a, added: false });
    return v;
  }
  const r = known.get(a);
  try {
    if (!r) {
      printk_level(KERN_ERR, 'dmashim: devres_free() of memory devres_alloc() did not return: nothing was freed');
    } else if (r.added) {
      BUG('drivers/base/devres.c devres_free', 'BUG_ON(!list_empty(&dr->node.entry)): the resource is still added');
    } else {
      known.delete(a);
      kfree(a);
    }
  } catch (e) {
    if (!(e instanceof DmashimError)) throw e;
  }
  return 0;
}

/* dma-debug's entry type for a C map kind (__DMASHIM_MAP_*). */
function debug_type_of(kind: number): number {
  return kind === MAP_KIND.PAGE
    ? dma_debug_page
    : kind === MAP_KIND.NONCOHERENT
      ? dma_debug_noncoherent
      : kind === MAP_KIND.RESOURCE
        ? dma_debug_resource
        : dma_debug_single;
}

/* Device memory: the C names of the devmem ops, for the "called from" line. */
const DEVMEM_FN: Readonly<Record<number, string>> = {
  [DEVMEM_OP.MEMREMAP]: 'memremap',
  [DEVMEM_OP.IOREMAP]: 'ioremap',
  [DEVMEM_OP.IOREMAP_WC]: 'ioremap_wc',
  [DEVMEM_OP.MEMUNMAP]: 'memunmap',
  [DEVMEM_OP.IOUNMAP]: 'iounmap',
  [DEVMEM_OP.DECLARE]: 'dma_declare_coherent_memory',
  [DEVMEM_OP.RELEASE]: 'dma_release_coherent_memory',
};
const NOPAGE_FN: Readonly<Record<number, string>> = {
  [NOPAGE_CALL.VIRT_TO_PAGE]: 'virt_to_page',
  [NOPAGE_CALL.PAGE_ADDRESS]: 'page_address',
  [NOPAGE_CALL.SG_SET_BUF]: 'sg_set_buf',
  [NOPAGE_CALL.SG_SET_PAGE]: 'sg_set_page',
};
/* What the C call does with device memory after the report: the header returns the address computed as for RAM. */
const NOPAGE_RESULT: Readonly<Record<number, string>> = {
  [NOPAGE_CALL.VIRT_TO_PAGE]: 'the struct page it returns is not one',
  [NOPAGE_CALL.PAGE_ADDRESS]: 'returning its CPU address',
  [NOPAGE_CALL.SG_SET_BUF]: 'the entry is kept, and mapping the list refuses it',
  [NOPAGE_CALL.SG_SET_PAGE]: 'the entry is kept, and mapping the list refuses it',
};

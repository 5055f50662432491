/*
 * The sanitizer: one configuration for dma-debug's switches, allocation sites,
 * poisoning (pool blocks and freed pages), fault injection and leak reports,
 * and the glue that wires them into the allocators' slow-path hooks.
 *
 * The kernel has these only in debug builds and prints only the first error; we
 * keep them on and cheap: with sites, poisoning and fault injection off, and no
 * simulated atomic context, dma_pool_alloc/free take their hot path untouched.
 * The checks themselves live with their kernel counterparts (kernel/dma/debug,
 * mm/dmapool, mm/page_poison, lib/fault-inject); this module, like the rest of
 * src/sim/, has none: it switches them and adds the reports (pool leaks, the
 * leak report, the dma-debug dump).
 */
import type { Machine } from '../arch/sim/machine.ts';
import { dma_debug_state, debug_entries_of } from '../kernel/dma/debug.ts';
import { dmapool_set_poison, dmapool_slow_hooks, machine_pools, type dma_pool } from '../mm/dmapool.ts';
import { stackdepot, capture_site } from '../lib/stackdepot.ts';
import {
  fault_inject_configure,
  fault_inject_reset,
  fault_inject_armed,
  should_fail,
  type FaultOptions,
} from '../lib/fault-inject.ts';
import { context_subscribe, in_atomic, irqs_disabled, might_alloc, might_sleep } from '../kernel/sched/context.ts';
import { printk_level, KERN_ERR, KERN_WARNING, KERN_INFO } from '../kernel/printk.ts';
import { dev_prefix, device_unregister_hooks, machine_devices, type device } from '../drivers/base/core.ts';
import { fmt_p, fmt_pad } from '../lib/vsprintf.ts';
import { DmashimError, invalidOption } from '../lib/errors.ts';
import { page_poisoning_set } from '../mm/page_poison.ts';

export interface SanitizerOptions {
  /** dma-debug checks and reports (false = the kernel's dma_debug=off: nothing is reported; frees are still checked). */
  checks?: boolean;
  /** Print every dma-debug error, not only the first num_errors. */
  all_errors?: boolean;
  /** How many dma-debug errors to print (kernel default 1). */
  num_errors?: number;
  /** Report dma-debug errors only for this driver name ('' = all). */
  driver_filter?: string;
  /** Report dma-debug errors only for the device with this name ('' = all). */
  device_filter?: string;
  /** Remember where every allocation and mapping was made, and say so in reports. Process-wide. */
  sites?: boolean;
  /** Pool poisoning (0xa7/0xa9) and page poisoning (0xaa) with the checks on alloc. */
  poison?: boolean;
  /** Fault injection (null = off). */
  fault?: FaultOptions | null;
  /** Print the leak report for this machine when the process exits. */
  leak_report_at_exit?: boolean;
}

interface PoolSites {
  alloc: Map<number, string>;
  freed: Map<number, string>;
}

const inTests = process.env['VITEST'] !== undefined;
let atomicNow = false;
const exitReports = new Set<Machine>();
/** Pools destroyed while busy: their blocks stay leaked and are counted in the leak report. */
const leakedPools = new WeakMap<Machine, Set<dma_pool>>();

function refreshActive(): void {
  dmapool_slow_hooks.active = stackdepot.enabled || fault_inject_armed.count > 0 || atomicNow ? 1 : 0;
}

function sitesOf(pool: dma_pool): PoolSites {
  let s = pool.ext as PoolSites | null;
  if (!s) pool.ext = s = { alloc: new Map(), freed: new Map() };
  return s;
}

/** Configure the sanitizer for a machine (our API). Options left out keep their value. */
export function sanitizer_configure(m: Machine, o: SanitizerOptions): void {
  if (o === null || typeof o !== 'object') invalidOption('sanitizer options must be an object');
  const dbg = dma_debug_state(m);
  if (o.checks !== undefined) dbg.disabled = !o.checks;
  if (o.all_errors !== undefined) dbg.all_errors = o.all_errors;
  if (o.num_errors !== undefined) {
    if (!Number.isInteger(o.num_errors) || o.num_errors < 0)
      invalidOption(`num_errors must be a non-negative integer, got ${o.num_errors}`);
    dbg.num_errors = o.num_errors;
  }
  if (o.driver_filter !== undefined) dbg.driver_filter = o.driver_filter;
  if (o.device_filter !== undefined) dbg.device_filter = o.device_filter;
  if (o.sites !== undefined) stackdepot.enabled = o.sites;
  if (o.poison !== undefined) {
    dmapool_set_poison(m, o.poison);
    page_poisoning_set(m, o.poison);
  }
  if (o.fault !== undefined) {
    if (o.fault === null) fault_inject_reset(m);
    else fault_inject_configure(m, o.fault);
  }
  if (o.leak_report_at_exit !== undefined) {
    if (o.leak_report_at_exit) exitReports.add(m);
    else exitReports.delete(m);
  }
  refreshActive();
}

/* ---- hooks into dma_pool's slow path (one slot each, set here only; their order: see dmapool_slow_hooks) ---- */

dmapool_slow_hooks.before_alloc = (pool, gfp) => {
  might_alloc(gfp, 'mm/dmapool.c dma_pool_alloc');
  // Armed first, as dma_alloc_attrs does: the label is a string built per call, and this runs on every slow-path alloc.
  return (
    fault_inject_armed.count > 0 &&
    should_fail(pool.machine, 'pool', pool.dev.name, pool.name, gfp, `dma_pool_alloc(${pool.name})`)
  );
};
dmapool_slow_hooks.after_alloc = (pool, slot) => {
  if (!stackdepot.enabled) return;
  const s = sitesOf(pool);
  s.alloc.set(slot, capture_site());
};
dmapool_slow_hooks.after_free = (pool, slot) => {
  const s = pool.ext as PoolSites | null;
  if (s) s.alloc.delete(slot);
  if (stackdepot.enabled) sitesOf(pool).freed.set(slot, capture_site());
};
dmapool_slow_hooks.corruption_detail = (pool, slot) => {
  const s = pool.ext as PoolSites | null;
  const freed = s?.freed.get(slot);
  return freed ? [`${dev_prefix(pool.dev)}use after free: block was written after it was freed at ${freed}`] : [];
};
dmapool_slow_hooks.might_sleep = (fn) => {
  might_sleep(`mm/dmapool.c ${fn}`);
};
dmapool_slow_hooks.on_busy_destroy = (pool) => {
  let set = leakedPools.get(pool.machine);
  if (!set) {
    set = new Set();
    leakedPools.set(pool.machine, set);
  }
  set.add(pool);
  const slots = pool.liveSlots();
  const lines = [
    `${dev_prefix(pool.dev)}dma_pool_destroy ${pool.name}: ${plural(slots.length, 'block')} (${slots.length * pool.size} bytes) still in use, ${plural(pool.nr_pages, 'page')} leaked:`,
  ];
  for (const s of slots.slice(0, 16))
    lines.push(`  block ${fmt_p(pool.slotVaddr(s))}/${fmt_pad(pool.slotDma(s))} allocated at ${siteOf(pool, s)}`);
  if (slots.length > 16) lines.push(`  ... and ${slots.length - 16} more`);
  printk_level(KERN_ERR, lines.join('\n'));
};

context_subscribe((atomic) => {
  atomicNow = atomic;
  refreshActive();
});

function siteOf(pool: dma_pool, slot: number): string {
  const s = pool.ext as PoolSites | null;
  return s?.alloc.get(slot) ?? (stackdepot.enabled ? '(unknown)' : '(sites off)');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/*
 * ---- device_unregister: pools left behind. device_unregister_hooks run in the
 * order they were pushed, at import: dma-debug's pending-allocation check first
 * (this module imports kernel/dma/debug.ts, so it is evaluated before), then this.
 */

device_unregister_hooks.push((dev: device) => {
  for (const pool of dev.dma_pools) {
    if (pool.nr_active === 0) {
      printk_level(
        KERN_WARNING,
        `${dev_prefix(dev)}leak: dma_pool ${pool.name} was not destroyed before device_unregister (${plural(pool.nr_pages, 'page')})`,
      );
      continue;
    }
    const slots = pool.liveSlots();
    const lines = [
      `${dev_prefix(dev)}leak: dma_pool ${pool.name} has ${plural(slots.length, 'block')} (${slots.length * pool.size} bytes) in use at device_unregister:`,
    ];
    for (const s of slots.slice(0, 16))
      lines.push(`  block ${fmt_p(pool.slotVaddr(s))}/${fmt_pad(pool.slotDma(s))} allocated at ${siteOf(pool, s)}`);
    if (slots.length > 16) lines.push(`  ... and ${slots.length - 16} more`);
    printk_level(KERN_ERR, lines.join('\n'));
  }
});

/* ---- the leak report ---- */

export interface LeakGroup {
  kind: 'pool' | 'coherent' | 'mapping';
  /** Pool name, or the mapping type. */
  what: string;
  device: string;
  site: string;
  count: number;
  bytes: number;
}

export interface LeakReport {
  clean: boolean;
  /** Pool blocks still allocated (live pools and pools destroyed while busy). */
  blocks: number;
  /** Pools holding them. */
  pools: number;
  /** Coherent buffers still allocated (not counting pool pages). */
  coherent: number;
  /** Streaming mappings still live. */
  mappings: number;
  bytes: number;
  groups: LeakGroup[];
  text: string;
}

/**
 * What is still allocated on a machine: pool blocks (grouped by pool and site),
 * coherent buffers and streaming mappings (from dma-debug's entries), with bytes.
 * Prints it unless `print` is false.
 */
export function dma_leak_report(m: Machine, print = true): LeakReport {
  const groups = new Map<string, LeakGroup>();
  const add = (g: Omit<LeakGroup, 'count' | 'bytes'>, bytes: number) => {
    const key = `${g.kind}|${g.what}|${g.device}|${g.site}`;
    const cur = groups.get(key);
    if (cur) {
      cur.count++;
      cur.bytes += bytes;
    } else groups.set(key, { ...g, count: 1, bytes });
  };
  const poolPages = new Set<number>();
  let blocks = 0;
  let pools = 0;
  const all = [...machine_pools(m), ...(leakedPools.get(m) ?? [])];
  for (const pool of all) {
    for (let p = 0; p < pool.nr_pages; p++) poolPages.add(pool.pages[2 * p]!);
    const slots = pool.liveSlots();
    if (!slots.length) continue;
    pools++;
    blocks += slots.length;
    for (const s of slots)
      add({ kind: 'pool', what: pool.name, device: pool.dev.name, site: siteOf(pool, s) }, pool.size);
  }
  let coherent = 0;
  let mappings = 0;
  for (const e of machine_devices(m).flatMap((d) => debug_entries_of(d))) {
    if (e.type === 3) {
      if (poolPages.has(e.cpu)) continue;
      coherent++;
      add(
        {
          kind: 'coherent',
          what: 'coherent',
          device: e.dev.name,
          site: e.site || (stackdepot.enabled ? '(unknown)' : '(sites off)'),
        },
        e.size,
      );
    } else {
      mappings++;
      add(
        {
          kind: 'mapping',
          what: ['single', 'page', 'scather-gather', 'coherent', 'resource'][e.type] ?? 'mapping',
          device: e.dev.name,
          site: e.site || '(sites off)',
        },
        e.size,
      );
    }
  }
  const list = [...groups.values()];
  const bytes = list.reduce((a, g) => a + g.bytes, 0);
  const clean = list.length === 0;
  let text: string;
  if (clean) text = `dmashim: leak report (${m.name}): clean`;
  else {
    text =
      `dmashim: leak report (${m.name}): ${plural(blocks, 'block')} in ${plural(pools, 'pool')}, ${plural(coherent, 'coherent buffer')}` +
      (mappings ? `, ${plural(mappings, 'mapping')}` : '') +
      `, ${bytes} bytes`;
    for (const g of list) {
      const label =
        g.kind === 'pool'
          ? `${plural(g.count, 'block')} in pool ${g.what}`
          : g.kind === 'coherent'
            ? plural(g.count, 'coherent buffer')
            : `${plural(g.count, g.what + ' mapping')}`;
      text += `\n  ${label} (${g.bytes} bytes) on ${g.device}, allocated at ${g.site}`;
    }
  }
  if (print) printk_level(clean ? KERN_INFO : KERN_ERR, text);
  return { clean, blocks, pools, coherent, mappings, bytes, groups: list, text };
}

/**
 * Assert that a machine holds no DMA allocations (our API, for tests: the spirit
 * of the kernel harnesses' allocation counters). Throws a DmashimError carrying the
 * leak report when something is left.
 */
export function dma_assert_clean(m: Machine): void {
  const r = dma_leak_report(m, false);
  if (!r.clean) throw new DmashimError('EBUG', r.text);
}

process.on('exit', () => {
  for (const m of exitReports) dma_leak_report(m, true);
});

/** Sanitizer counters for tests: dma-debug errors counted so far. */
export function dma_debug_error_count(m: Machine): number {
  return dma_debug_state(m).error_count;
}

/** True while code runs in simulated atomic context (for hooks elsewhere). */
export function atomic_context(): boolean {
  return in_atomic() || irqs_disabled();
}

if (inTests) stackdepot.enabled = true;
refreshActive();

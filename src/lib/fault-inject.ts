/*
 * lib/fault-inject.c, for DMA allocations: like the kernel's failslab and
 * fail_page_alloc, fail the Nth allocation, every Nth, or with probability p
 * (seeded, so a failing run replays), limited to a pool name, a device name, or
 * non-blocking (GFP_ATOMIC) requests, so driver error paths get exercised.
 * Every injected failure is logged as injected.
 */
import type { Machine } from '../arch/sim/machine.ts';
import { invalidOption } from './errors.ts';
import { printk_level, KERN_WARNING } from '../kernel/printk.ts';
import { gfpflags_allow_blocking, type gfp_t } from '../include/linux/gfp.ts';
import { capture_site, stackdepot } from './stackdepot.ts';

/** What can be failed: dma_pool_alloc, dma_alloc_coherent (incl. pool pages), page and slab allocations. */
export type FaultKind = 'pool' | 'coherent' | 'pages' | 'slab';
const KINDS: readonly FaultKind[] = ['pool', 'coherent', 'pages', 'slab'];

export interface FaultOptions {
  /** Fail the Nth eligible allocation (1-based), once. */
  nth?: number;
  /** Fail every Nth eligible allocation (kernel: interval). */
  interval?: number;
  /** Fail with this probability, 0..1 (kernel: probability in percent). */
  probability?: number;
  /** Seed for the probability draw. Default 1. */
  seed?: number;
  /** Stop after this many injected failures; -1 = no limit (kernel: times). Default -1. */
  times?: number;
  /** Only dma_pool_alloc on pools with this name. */
  pool?: string;
  /** Only allocations for the device with this name. */
  device?: string;
  /** Only allocations that may not sleep (GFP_ATOMIC); kernel: ignore-gfp-wait. */
  atomic_only?: boolean;
  /** Which allocations are eligible. Default: all. */
  kinds?: FaultKind[];
  /** Log each injected failure. Default true. */
  verbose?: boolean;
}

interface FaultState {
  opts: Required<Omit<FaultOptions, 'pool' | 'device' | 'nth' | 'interval' | 'probability'>> & {
    pool: string | null;
    device: string | null;
    nth: number;
    interval: number;
    probability: number;
  };
  calls: number;
  injected: number;
  rng: number;
}

const states = new WeakMap<Machine, FaultState>();
/** Number of machines with fault injection armed: the dma_pool hot path checks it. */
export const fault_inject_armed = { count: 0 };

function num(v: unknown, name: string, min: number, max: number, int: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (int && !Number.isInteger(v))) {
    invalidOption(
      `fault injection: ${name} must be ${int ? 'an integer' : 'a number'} in ${min}..${max}, got ${String(v)}`,
    );
  }
  return v;
}

/** Arm fault injection on a machine (our API). Replaces any earlier setting and resets the counters. */
export function fault_inject_configure(m: Machine, o: FaultOptions): void {
  if (o === null || typeof o !== 'object') invalidOption('fault injection options must be an object');
  const kinds = o.kinds ?? [...KINDS];
  for (const k of kinds)
    if (!KINDS.includes(k)) invalidOption(`fault injection: unknown kind ${String(k)} (one of ${KINDS.join(', ')})`);
  const nth = o.nth === undefined ? 0 : num(o.nth, 'nth', 1, Number.MAX_SAFE_INTEGER, true);
  const interval = o.interval === undefined ? 0 : num(o.interval, 'interval', 1, Number.MAX_SAFE_INTEGER, true);
  const probability = o.probability === undefined ? 0 : num(o.probability, 'probability', 0, 1, false);
  if (!nth && !interval && !probability)
    invalidOption('fault injection: set at least one of nth, interval, probability');
  if (!states.has(m)) fault_inject_armed.count++;
  states.set(m, {
    opts: {
      nth,
      interval,
      probability,
      seed: o.seed === undefined ? 1 : num(o.seed, 'seed', 0, 2 ** 32 - 1, true),
      times: o.times === undefined ? -1 : num(o.times, 'times', -1, Number.MAX_SAFE_INTEGER, true),
      pool: o.pool ?? null,
      device: o.device ?? null,
      atomic_only: o.atomic_only ?? false,
      kinds,
      verbose: o.verbose ?? true,
    },
    calls: 0,
    injected: 0,
    rng: (o.seed ?? 1) >>> 0,
  });
}

/** Disarm fault injection on a machine. */
export function fault_inject_reset(m: Machine): void {
  if (states.delete(m)) fault_inject_armed.count--;
}

/** Counters: eligible calls seen and failures injected. */
export function fault_inject_stats(m: Machine): { calls: number; injected: number } {
  const s = states.get(m);
  return { calls: s?.calls ?? 0, injected: s?.injected ?? 0 };
}

/**
 * Whether an allocation of this kind, device and pool could be failed at all
 * (the filters of should_fail that do not depend on the call: the gfp and the
 * count are left out). Callers that batch allocations past should_fail (the C
 * pool cache) must not batch those.
 */
export function fault_inject_may_target(
  m: Machine,
  kind: FaultKind,
  devName: string,
  poolName: string | null,
): boolean {
  const s = states.get(m);
  return s !== undefined && targets(s.opts, kind, devName, poolName);
}

/* The kind, pool and device filters. */
function targets(o: FaultState['opts'], kind: FaultKind, devName: string, poolName: string | null): boolean {
  if (!o.kinds.includes(kind)) return false;
  if (o.pool !== null && (kind !== 'pool' || poolName !== o.pool)) return false;
  return o.device === null || devName === o.device;
}

/* mulberry32: small, seedable, good enough to spread failures. */
function nextRandom(s: FaultState): number {
  s.rng = (s.rng + 0x6d2b79f5) >>> 0;
  let t = s.rng;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/**
 * should_fail(): decide whether this allocation fails. `what` names the call for
 * the log ("dma_pool_alloc(ehci_qh)").
 */
export function should_fail(
  m: Machine,
  kind: FaultKind,
  devName: string,
  poolName: string | null,
  gfp: gfp_t,
  what: string,
): boolean {
  const s = states.get(m);
  if (!s) return false;
  const o = s.opts;
  if (!targets(o, kind, devName, poolName)) return false;
  if (o.atomic_only && gfpflags_allow_blocking(gfp)) return false;
  if (o.times >= 0 && s.injected >= o.times) return false;
  s.calls++;
  let fail = false;
  if (o.nth && s.calls === o.nth) fail = true;
  if (o.interval && s.calls % o.interval === 0) fail = true;
  if (o.probability && nextRandom(s) < o.probability) fail = true;
  if (!fail) return false;
  s.injected++;
  if (o.verbose) {
    const site = stackdepot.enabled ? capture_site() : '';
    printk_level(
      KERN_WARNING,
      'FAULT_INJECTION: forcing a failure.\n' +
        `name fail_dma, interval ${o.interval || 1}, probability ${Math.round(o.probability * 100)}, space 0, times ${o.times}\n` +
        `injected: ${what} on ${devName} failed (call ${s.calls})` +
        (site ? ` at ${site}` : ''),
    );
  }
  return true;
}

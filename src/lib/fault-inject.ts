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
/* Each machine's FaultPeer (fault_inject_peer). */
const peers = new WeakMap<Machine, FaultPeer>();
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
  // A peer's calls before now belonged to the old setting.
  const p = peers.get(m);
  p?.take();
  p?.budget(passes(states.get(m)!));
}

/** Disarm fault injection on a machine. */
export function fault_inject_reset(m: Machine): void {
  if (states.delete(m)) fault_inject_armed.count--;
  const p = peers.get(m);
  p?.take();
  p?.budget(-1);
}

/** Counters: eligible calls seen and failures injected. */
export function fault_inject_stats(m: Machine): { calls: number; injected: number } {
  const s = states.get(m);
  if (s) fold(m, s);
  return { calls: s?.calls ?? 0, injected: s?.injected ?? 0 };
}

/**
 * A caller that lets eligible allocations pass without asking (the C pool
 * cache): `take` returns (and clears) how many it let pass since it was last
 * asked, which count as calls that came before the one being decided;
 * `budget` tells it how many more it may let pass, all of which should_fail
 * would pass (-1: every one, and they need not be counted: no failure can
 * come any more). One per machine; null detaches.
 */
export interface FaultPeer {
  take(): number;
  budget(n: number): void;
}

export function fault_inject_peer(m: Machine, peer: FaultPeer | null): void {
  if (peer === null) {
    peers.delete(m);
    return;
  }
  peers.set(m, peer);
  const s = states.get(m);
  peer.budget(s ? passes(s) : -1);
}

/* The peer's calls into the count, before anything reads it. */
function fold(m: Machine, s: FaultState): void {
  const p = peers.get(m);
  if (p) s.calls += p.take();
}

/* How many eligible calls from now on surely pass: -1 for all (no failure can come), 0 when each one draws. */
function passes(s: FaultState): number {
  const o = s.opts;
  if (o.times >= 0 && s.injected >= o.times) return -1;
  if (o.probability) return 0;
  let n = -1;
  if (o.nth && s.calls < o.nth) n = o.nth - s.calls - 1;
  if (o.interval) {
    const k = o.interval - (s.calls % o.interval) - 1;
    n = n < 0 ? k : Math.min(n, k);
  }
  return n;
}

/**
 * Whether an allocation of this kind, device and pool may be failed: 'no'; 'counted' when a
 * caller may let it pass within its budget (fault_inject_peer), 'counted-atomic' the same for
 * non-blocking requests only (the others are not eligible); 'each' when each one must be asked
 * (a probability draws for every call).
 */
export function fault_inject_target(
  m: Machine,
  kind: FaultKind,
  devName: string,
  poolName: string | null,
): 'no' | 'counted' | 'counted-atomic' | 'each' {
  const s = states.get(m);
  if (s === undefined || !targets(s.opts, kind, devName, poolName)) return 'no';
  if (s.opts.probability) return 'each';
  return s.opts.atomic_only ? 'counted-atomic' : 'counted';
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
  fold(m, s);
  const fail = decide(s, kind, devName, poolName, gfp, what);
  peers.get(m)?.budget(passes(s));
  return fail;
}

function decide(
  s: FaultState,
  kind: FaultKind,
  devName: string,
  poolName: string | null,
  gfp: gfp_t,
  what: string,
): boolean {
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

/*
 * Simulated execution context: preempt count, hard-IRQ nesting and the IRQ flag,
 * so code can be run "in an interrupt handler", "with a spinlock held" or "with
 * IRQs off", and the kernel's context checks fire as they would:
 * might_sleep() -> "BUG: sleeping function called from invalid context", and
 * dma_free_coherent() with IRQs off -> WARN_ON(irqs_disabled()).
 * The state is per process (the kernel's is per CPU; our JS thread is the one CPU).
 */
import { printk_level, KERN_ERR } from '../printk.ts';
import { capture_site, stackdepot } from '../../lib/stackdepot.ts';
import { gfpflags_allow_blocking, type gfp_t } from '../../include/linux/gfp.ts';

const ctx = {
  preempt: 0, // spinlocks held / preempt_disable nesting
  hardirq: 0, // interrupt handlers running
  irqs_off: 0, // local_irq_disable nesting
  /**
   * Subscribers told when the context becomes atomic or stops being so, in the
   * order they subscribed. One today: sim/sanitizer, which switches the dmapool
   * slow path (it subscribes when it is imported).
   */
  listeners: [] as Array<(atomic: boolean) => void>,
};

function changed(): void {
  const a = in_atomic() || irqs_disabled();
  for (const l of ctx.listeners) l(a);
}

export function context_subscribe(fn: (atomic: boolean) => void): void {
  ctx.listeners.push(fn);
}

/** in_interrupt(): running in (simulated) interrupt context. */
export function in_interrupt(): boolean {
  return ctx.hardirq > 0;
}
/** in_irq() / in_hardirq() */
export function in_irq(): boolean {
  return ctx.hardirq > 0;
}
/** in_atomic(): preemption disabled or in interrupt. */
export function in_atomic(): boolean {
  return ctx.preempt > 0 || ctx.hardirq > 0;
}
/** irqs_disabled() */
export function irqs_disabled(): boolean {
  return ctx.irqs_off > 0 || ctx.hardirq > 0;
}

export function preempt_disable(): void {
  ctx.preempt++;
  changed();
}
export function preempt_enable(): void {
  if (ctx.preempt > 0) ctx.preempt--;
  changed();
}
export function local_irq_disable(): void {
  ctx.irqs_off++;
  changed();
}
export function local_irq_enable(): void {
  ctx.irqs_off = 0;
  changed();
}
/** local_irq_save(): returns the flags to hand to local_irq_restore. */
export function local_irq_save(): number {
  const flags = ctx.irqs_off;
  ctx.irqs_off++;
  changed();
  return flags;
}
export function local_irq_restore(flags: number): void {
  ctx.irqs_off = flags;
  changed();
}

/** spinlock_t: only its held state matters here. */
export class spinlock_t {
  locked = false;
}
export function spin_lock_init(lock: spinlock_t): void {
  lock.locked = false;
}
export function spin_lock(lock: spinlock_t): void {
  lock.locked = true;
  preempt_disable();
}
export function spin_unlock(lock: spinlock_t): void {
  lock.locked = false;
  preempt_enable();
}
/** spin_lock_irqsave(): returns flags (the C macro assigns them). */
export function spin_lock_irqsave(lock: spinlock_t): number {
  const flags = local_irq_save();
  spin_lock(lock);
  return flags;
}
export function spin_unlock_irqrestore(lock: spinlock_t, flags: number): void {
  spin_unlock(lock);
  local_irq_restore(flags);
}

/** irq_enter(): from here until irq_exit() the code runs as a hard interrupt handler. */
export function irq_enter(): void {
  ctx.hardirq++;
  changed();
}

/** irq_exit(): leave the interrupt handler irq_enter() began. */
export function irq_exit(): void {
  if (ctx.hardirq > 0) ctx.hardirq--;
  changed();
}

/**
 * Run `fn` as an interrupt handler (our API): in_interrupt() is true and IRQs are
 * off inside it. Returns fn's result; the context is restored even if it throws.
 */
export function run_in_irq<T>(fn: () => T): T {
  ctx.hardirq++;
  changed();
  try {
    return fn();
  } finally {
    ctx.hardirq--;
    changed();
  }
}

/** Run `fn` with a (simulated) spinlock held (our API). */
export function run_atomic<T>(fn: () => T): T {
  preempt_disable();
  try {
    return fn();
  } finally {
    preempt_enable();
  }
}

/**
 * might_sleep() at `where` (e.g. "mm/dmapool.c dma_pool_create"): in atomic
 * context, prints the kernel's report, with the caller's site when sites are on.
 * Returns true when it reported.
 */
export function might_sleep(where: string): boolean {
  if (!in_atomic() && !irqs_disabled()) return false;
  const site = stackdepot.enabled ? capture_site() : '';
  printk_level(
    KERN_ERR,
    `BUG: sleeping function called from invalid context at ${where}\n` +
      `in_atomic(): ${in_atomic() ? 1 : 0}, irqs_disabled(): ${irqs_disabled() ? 1 : 0}, non_block: 0, pid: ${process.pid}, name: dmashim\n` +
      `preempt_count: ${(ctx.preempt + (ctx.hardirq << 16)).toString(16)}, expected: 0` +
      (site ? `\ncalled at ${site}` : ''),
  );
  return true;
}

/** might_alloc(gfp): might_sleep() when the flags allow blocking (GFP_KERNEL, not GFP_ATOMIC). */
export function might_alloc(gfp: gfp_t, where: string): boolean {
  return gfpflags_allow_blocking(gfp) ? might_sleep(where) : false;
}

/** Reset the context (for tests that threw out of a handler by hand). */
export function context_reset(): void {
  ctx.preempt = 0;
  ctx.hardirq = 0;
  ctx.irqs_off = 0;
  changed();
}

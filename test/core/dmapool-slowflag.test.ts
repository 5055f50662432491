/*
 * How the slow hooks' switch (dmapool_slow_hooks.active, flipped by the
 * sanitizer on every entry into and exit from atomic context) reaches the pools:
 * switching on flags exactly the pools that are fast, switching off flags
 * nothing, and a pool with a stale flag clears it on its next operation. These
 * tests pin that a pool used before a lock is checked inside it, that idle pools
 * are not touched by later lock/unlock pairs (a lock costs O(1), not O(pools)),
 * and that more fast pools than the list holds are still all flagged.
 */
import { describe, it, expect } from 'vitest';
import {
  dma_pool_create,
  dma_pool_free,
  dma_pool_destroy,
  dmapool_set_poison,
  dmapool_slow_hooks,
  sanitizer_configure,
  spin_lock,
  spin_unlock,
  spin_lock_init,
  spinlock_t,
  context_reset,
  GFP_KERNEL,
  GFP_ATOMIC,
  type dma_pool,
} from '../../src/index.ts';
import { small_machine, test_device, pool_alloc_ok as alloc, log_of } from '../helpers.ts';

const m = small_machine({ poison: false });
const dev = test_device(m, 'slowflag');

function fastPool(name: string): dma_pool {
  const p = dma_pool_create(name, dev, 64, 64, 0)!;
  dmapool_set_poison(p, false);
  return p;
}

function withSitesOff(fn: () => void): void {
  sanitizer_configure(m, { sites: false });
  context_reset();
  try {
    fn();
  } finally {
    context_reset();
    sanitizer_configure(m, { sites: true });
  }
}

describe('dma_pool slow flag and the hooks switch', () => {
  it('a pool that was fast before a spin_lock is checked inside it, and fast again after one operation', () => {
    withSitesOff(() => {
      expect(dmapool_slow_hooks.active).toBe(0);
      const p = fastPool('before-lock');
      const b = alloc(p);
      dma_pool_free(p, b.v, b.d);
      expect(p.slow).toBe(0);
      const lock = new spinlock_t();
      spin_lock_init(lock);
      spin_lock(lock);
      expect(p.slow).toBe(1);
      let inside = { v: 0, d: 0 };
      const report = log_of(() => {
        inside = alloc(p, GFP_KERNEL);
      });
      spin_unlock(lock);
      expect(report).toMatch(/BUG: sleeping function called from invalid context at mm\/dmapool\.c dma_pool_alloc/);
      // Off again: nothing walks the pools; the first operation clears the stale flag.
      expect(dmapool_slow_hooks.active).toBe(0);
      expect(p.slow).toBe(1);
      expect(log_of(() => dma_pool_free(p, inside.v, inside.d))).toBe('');
      expect(p.slow).toBe(0);
      dma_pool_destroy(p);
    });
  });

  it('lock/unlock pairs touch only the pools used since the last lock', () => {
    withSitesOff(() => {
      const pools: dma_pool[] = [];
      for (let i = 0; i < 300; i++) pools.push(fastPool(`idle${i}`));
      const lock = new spinlock_t();
      spin_lock_init(lock);
      spin_lock(lock);
      spin_unlock(lock);
      // Every pool was fast, so the first lock flagged them all; unused since, they keep the stale flag.
      for (const p of pools) expect(p.slow).toBe(1);
      const used = pools[7]!;
      const b = alloc(used, GFP_ATOMIC);
      dma_pool_free(used, b.v, b.d);
      expect(used.slow).toBe(0);
      spin_lock(lock);
      expect(used.slow).toBe(1);
      spin_unlock(lock);
      for (const p of pools) expect(p.slow).toBe(1);
      // Correct either way: a stale flag only sends the next operation through the slow path.
      const c = alloc(pools[299]!);
      dma_pool_free(pools[299]!, c.v, c.d);
      expect(pools[299]!.slow).toBe(0);
      for (const p of pools) dma_pool_destroy(p);
    });
  });

  it('more fast pools than the list holds are all flagged when the switch goes on', () => {
    withSitesOff(() => {
      const pools: dma_pool[] = [];
      for (let i = 0; i < 4200; i++) pools.push(fastPool(`many${i}`));
      expect(pools.every((p) => p.slow === 0)).toBe(true);
      const lock = new spinlock_t();
      spin_lock_init(lock);
      spin_lock(lock);
      const unflagged = pools.filter((p) => p.slow !== 1).length;
      spin_unlock(lock);
      expect(unflagged).toBe(0);
      for (const p of pools) dma_pool_destroy(p);
    });
  });
});

/*
 * A free's page lookups: the machine's arena page -> pool page table (the fast
 * path) and the pool's bus-page hash (`htab`, the error path's lookup by bus
 * address). Together they must keep every free check and every error verdict
 * exact while the hash grows and rehashes, for pools whose pages span several
 * arena pages, and after destroy.
 */
import { describe, it, expect } from 'vitest';
import { dma_pool_create, dma_pool_free, dma_pool_destroy } from '../../src/index.ts';
import { small_machine, test_device, pool_alloc_ok as alloc, log_of as errorsOf } from '../helpers.ts';

const m = small_machine();
const dev = test_device(m, 'pagehash');

describe('per-pool page lookup', () => {
  for (const [size, align, boundary] of [
    [64, 64, 0],
    [16, 16, 0],
    [68, 32, 4096],
    [8192, 8192, 0],
    [12288, 4096, 0],
    [3000, 8, 0],
  ] as const) {
    it(`keeps LIFO and every check across rehashes (${size}/${align}/${boundary})`, () => {
      const p = dma_pool_create('hash', dev, size, align, boundary)!;
      const live: Array<{ v: number; d: number }> = [];
      // Enough pages for several table doublings.
      const n = Math.max(200, Math.min(p.blocks_per_page * 40, 4000));
      for (let i = 0; i < n; i++) live.push(alloc(p));
      expect(p.nr_pages).toBeGreaterThanOrEqual(15);
      // Free every third block, newest first, then reallocate: LIFO across pages.
      const freed: Array<{ v: number; d: number }> = [];
      for (let i = live.length - 1; i >= 0; i -= 3) {
        dma_pool_free(p, live[i]!.v, live[i]!.d);
        freed.push(live[i]!);
      }
      const freedSet = new Set(freed);
      const stillLive = live.filter((b) => !freedSet.has(b));
      // Every verdict of the error path, on blocks of every page.
      const f = freed[freed.length - 1]!;
      expect(errorsOf(() => dma_pool_free(p, f.v, f.d))).toContain('already free');
      const l = stillLive[stillLive.length - 1]!;
      expect(errorsOf(() => dma_pool_free(p, l.v + 1, l.d))).toContain('(bad vaddr)');
      expect(errorsOf(() => dma_pool_free(p, stillLive[0]!.v, l.d))).toContain('(bad vaddr)');
      expect(errorsOf(() => dma_pool_free(p, l.v, l.d + 1))).toContain('(bad vaddr)');
      expect(errorsOf(() => dma_pool_free(p, l.v, 0x7f0000000))).toContain('(bad dma)');
      expect(errorsOf(() => dma_pool_free(p, NaN, NaN))).toContain('(bad dma)');
      expect(p.nr_active).toBe(stillLive.length);
      for (let i = freed.length - 1; i >= 0; i--) {
        const b = alloc(p);
        expect(b).toEqual(freed[i]);
      }
      for (const b of live) dma_pool_free(p, b.v, b.d);
      expect(p.nr_active).toBe(0);
      dma_pool_destroy(p);
    });
  }

  it('a free into a destroyed pool is reported, also for a page the arena handed to another pool', () => {
    const a = dma_pool_create('a', dev, 64, 64, 0)!;
    const b1 = alloc(a);
    dma_pool_free(a, b1.v, b1.d);
    dma_pool_destroy(a);
    expect(errorsOf(() => dma_pool_free(a, b1.v, b1.d))).toContain('(bad dma): pool was destroyed');
    const b = dma_pool_create('b', dev, 64, 64, 0)!;
    const x = alloc(b);
    expect(errorsOf(() => dma_pool_free(a, x.v, x.d))).toContain('pool was destroyed');
    // And the other pool never answers for a block of b.
    const c = dma_pool_create('c', dev, 64, 64, 0)!;
    alloc(c);
    expect(errorsOf(() => dma_pool_free(c, x.v, x.d))).toContain('(bad dma)');
    dma_pool_free(b, x.v, x.d);
    expect(b.nr_active).toBe(0);
  });

  it('same page offset in two pools: each pool finds only its own pages', () => {
    const p = dma_pool_create('p', dev, 64, 64, 0)!;
    const q = dma_pool_create('q', dev, 64, 64, 0)!;
    const xs = Array.from({ length: 300 }, () => alloc(p));
    const ys = Array.from({ length: 300 }, () => alloc(q));
    for (let i = 0; i < 300; i++) {
      expect(errorsOf(() => dma_pool_free(q, xs[i]!.v, xs[i]!.d))).toContain('(bad dma)');
    }
    for (const y of ys) dma_pool_free(q, y.v, y.d);
    for (const x of xs) dma_pool_free(p, x.v, x.d);
    expect(p.nr_active + q.nr_active).toBe(0);
    dma_pool_destroy(p);
    dma_pool_destroy(q);
  });
});

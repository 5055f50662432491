/*
 * Edge cases of the dma_pool hot path as tuned for the benchmark (bench/,
 * BENCHMARKS.md): the free check finds the page through the machine's
 * page -> pool-page table and this pool's own page table only, and computes block
 * numbers arithmetically for pools without boundary gaps. These tests pin that
 * the shortcuts accept exactly the valid frees, in both poisoning modes.
 */
import { describe, it, expect } from 'vitest';
import { dma_pool_create, dma_pool_free, dma_pool_destroy } from '../src/index.ts';
import { small_machine, test_device, pool_alloc_ok as alloc, log_of as logAfter, type Blk } from './helpers.ts';

/* size, align, boundary: power of two; 96-byte linear; boundary gaps (not linear); larger than a page. */
const SHAPES: Array<[number, number, number]> = [
  [64, 64, 0],
  [68, 32, 4096],
  [96, 32, 256],
  [5000, 8, 0],
];

for (const poison of [false, true]) {
  describe(`hot path (poisoning ${poison ? 'on' : 'off'})`, () => {
    const m = small_machine({ poison });
    const dev = test_device(m, poison ? 'sanity-p' : 'sanity');

    for (const [size, align, boundary] of SHAPES) {
      describe(`${size}/${align}/${boundary}`, () => {
        it('hands out a new page lowest address first, then LIFO', () => {
          const p = dma_pool_create('s', dev, size, align, boundary)!;
          const n = p.blocks_per_page * 2 + 1;
          const bs: Blk[] = [];
          for (let i = 0; i < n; i++) bs.push(alloc(p));
          for (let i = 1; i < p.blocks_per_page; i++) expect(bs[i]!.v).toBeGreaterThan(bs[i - 1]!.v);
          // Within a page, bus and CPU addresses move together.
          for (let i = 1; i < p.blocks_per_page; i++) expect(bs[i]!.d - bs[i]!.v).toBe(bs[0]!.d - bs[0]!.v);
          // Free three, get them back in reverse order of freeing.
          const order = [bs[1]!, bs[n - 1]!, bs[0]!];
          for (const b of order) dma_pool_free(p, b.v, b.d);
          expect(p.nr_active).toBe(n - 3);
          const again = [alloc(p), alloc(p), alloc(p)];
          expect(again.map((b) => b.v)).toEqual([...order].reverse().map((b) => b.v));
          expect(again.map((b) => b.d)).toEqual([...order].reverse().map((b) => b.d));
          for (const b of bs) dma_pool_free(p, b.v, b.d);
          expect(p.nr_active).toBe(0);
          dma_pool_destroy(p);
        });

        it('rejects a double free, interior and fractional addresses, and frees nothing', () => {
          const p = dma_pool_create('s', dev, size, align, boundary)!;
          const a = alloc(p);
          const b = alloc(p);
          expect(logAfter(() => dma_pool_free(p, a.v + 1, a.d + 1))).toMatch(/\(bad vaddr\)|\(bad dma\)/);
          expect(logAfter(() => dma_pool_free(p, a.v + 0.5, a.d + 0.5))).toMatch(/\(bad vaddr\)|\(bad dma\)/);
          expect(logAfter(() => dma_pool_free(p, a.v, a.d + 16))).toMatch(/\(bad vaddr\)|\(bad dma\)/);
          expect(logAfter(() => dma_pool_free(p, a.v + size, a.d))).toMatch(/\(bad vaddr\)|\(bad dma\)/);
          expect(p.nr_active).toBe(2);
          dma_pool_free(p, a.v, a.d);
          expect(logAfter(() => dma_pool_free(p, a.v, a.d))).toMatch(/already free/);
          expect(p.nr_active).toBe(1);
          dma_pool_free(p, b.v, b.d);
          dma_pool_destroy(p);
        });
      });
    }

    it('rejects a block of another pool that has the same page numbers', () => {
      const p = dma_pool_create('a', dev, 64, 64, 0)!;
      const q = dma_pool_create('b', dev, 64, 64, 0)!;
      const a = alloc(p);
      const b = alloc(q);
      expect(logAfter(() => dma_pool_free(p, b.v, b.d))).toMatch(/\(bad dma\)/);
      expect(p.nr_active).toBe(1);
      expect(q.nr_active).toBe(1);
      // Same arithmetic position in the other pool's page, with this pool's dma: still a mismatch.
      expect(logAfter(() => dma_pool_free(p, b.v, a.d))).toMatch(/\(bad vaddr\)|\(bad dma\)/);
      expect(p.nr_active).toBe(1);
      dma_pool_free(p, a.v, a.d);
      dma_pool_free(q, b.v, b.d);
      dma_pool_destroy(p);
      dma_pool_destroy(q);
    });

    it('rejects a free into a destroyed pool whose pages a new pool reuses', () => {
      const old = dma_pool_create('old', dev, 64, 64, 0)!;
      const x = alloc(old);
      dma_pool_free(old, x.v, x.d);
      dma_pool_destroy(old);
      const fresh = dma_pool_create('new', dev, 64, 64, 0)!;
      const y = alloc(fresh);
      expect(logAfter(() => dma_pool_free(old, y.v, y.d))).toMatch(/pool was destroyed/);
      expect(fresh.nr_active).toBe(1);
      dma_pool_free(fresh, y.v, y.d);
      expect(fresh.nr_active).toBe(0);
      dma_pool_destroy(fresh);
    });

    it('rejects the same block of another machine (same page and dma, vaddr 2^33 away)', () => {
      const m2 = small_machine({ poison });
      const dev2 = test_device(m2, 'sanity-other');
      const p = dma_pool_create('s', dev, 64, 64, 0)!;
      const q = dma_pool_create('s', dev2, 64, 64, 0)!;
      const a = alloc(p);
      const b = alloc(q);
      expect((b.v - m2.vbase) % 4096).toBe((a.v - m.vbase) % 4096);
      expect(logAfter(() => dma_pool_free(p, b.v, b.d))).toMatch(/\(bad vaddr\)|\(bad dma\)/);
      expect(logAfter(() => dma_pool_free(p, b.v, a.d))).toMatch(/\(bad vaddr\)|\(bad dma\)/);
      expect(p.nr_active).toBe(1);
      dma_pool_free(p, a.v, a.d);
      dma_pool_free(q, b.v, b.d);
      dma_pool_destroy(p);
      dma_pool_destroy(q);
      m2.dispose();
    });

    it('rejects addresses outside the machine', () => {
      const p = dma_pool_create('s', dev, 64, 64, 0)!;
      const a = alloc(p);
      // The free path finds the arena page from vaddr's low 32 bits: addresses that share them with a live block must still fail.
      const alias = [a.v + 2 ** 32, a.v - 2 ** 32, a.v + 2 ** 44, a.v % 2 ** 32, a.v + 2 ** 32 + 0.5];
      for (const v of [0, -1, NaN, Infinity, a.v - m.vbase, m.vbase + m.arenaSize + 64, ...alias]) {
        expect(logAfter(() => dma_pool_free(p, v, a.d))).toMatch(/\(bad vaddr\)|\(bad dma\)/);
      }
      expect(p.nr_active).toBe(1);
      dma_pool_free(p, a.v, a.d);
      dma_pool_destroy(p);
    });
  });
}

/*
 * Model test: random sequences of create / alloc / zalloc / free / bad free /
 * destroy against a simple reference model, invariants checked after every step.
 * fast-check prints the seed and path of a failing case so it can be replayed.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  dma_pool_create,
  dma_pool_alloc,
  dma_pool_zalloc,
  dma_pool_free,
  dma_pool_destroy,
  dma_addr,
  dmesg_mark,
  dmesg_since,
  mem_bytes,
  GFP_KERNEL,
  type dma_pool,
} from '../../src/index.ts';
import { test_device, MiB } from '../helpers.ts';
import { create_machine, sanitizer_configure, dmapool_slow_hooks } from '../../src/index.ts';

type Op =
  | { k: 'create'; size: number; alignLog: number; boundaryLog: number }
  | { k: 'alloc'; pool: number; zero: boolean }
  | { k: 'free'; pool: number; pick: number }
  | { k: 'double'; pool: number; pick: number }
  | { k: 'wrongpool'; pool: number; pick: number }
  | { k: 'offset'; pool: number; pick: number; delta: number }
  | { k: 'destroy'; pool: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('create' as const),
      size: fc.integer({ min: 1, max: 5000 }),
      alignLog: fc.integer({ min: 0, max: 7 }),
      boundaryLog: fc.integer({ min: 0, max: 13 }),
    }),
  },
  { weight: 8, arbitrary: fc.record({ k: fc.constant('alloc' as const), pool: fc.nat(), zero: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ k: fc.constant('free' as const), pool: fc.nat(), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('double' as const), pool: fc.nat(), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('wrongpool' as const), pool: fc.nat(), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('offset' as const),
      pool: fc.nat(),
      pick: fc.nat(),
      delta: fc.integer({ min: 1, max: 15 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('destroy' as const), pool: fc.nat() }) },
);

interface ModelPool {
  pool: dma_pool;
  live: Map<number, number>; // vaddr -> dma
  freed: Array<[number, number]>; // LIFO of known-freed blocks
  align: number;
}

function run(ops: Op[], slow: boolean): void {
  const m = create_machine({
    ram: [
      { start: 0, size: 32 * MiB },
      { start: 2 ** 32, size: 32 * MiB },
    ],
    poison: slow,
  });
  // Both paths: poisoning and sites force the slow path, none of them leaves the hot path.
  sanitizer_configure(m, { sites: slow, poison: slow });
  try {
    const dev = test_device(m, 'model', 64);
    const pools: ModelPool[] = [];
    const h = dma_addr();
    const pick = <T>(arr: T[], i: number): T | undefined => (arr.length ? arr[i % arr.length] : undefined);

    for (const op of ops) {
      if (op.k === 'create') {
        const align = op.alignLog === 0 ? 0 : 1 << op.alignLog;
        const boundary = op.boundaryLog === 0 ? 0 : 1 << op.boundaryLog;
        const pool = dma_pool_create('p' + pools.length, dev, op.size, align, boundary);
        // Expected validity under the kernel's rules.
        const a = Math.max(align, 1);
        const size = Math.ceil(Math.max(op.size, 16) / a) * a;
        const ok = boundary === 0 || boundary >= size;
        expect(pool !== null).toBe(ok);
        if (pool) pools.push({ pool, live: new Map(), freed: [], align: a });
        continue;
      }
      const mp = pick(pools, op.pool);
      if (!mp) continue;
      const p = mp.pool;
      const mark = dmesg_mark();
      switch (op.k) {
        case 'alloc': {
          const v = op.zero ? dma_pool_zalloc(p, GFP_KERNEL, h) : dma_pool_alloc(p, GFP_KERNEL, h);
          if (p.destroyed) {
            expect(v).toBe(0);
            break;
          }
          expect(v).not.toBe(0);
          const top = mp.freed.pop();
          if (top)
            expect([v, h.value]).toEqual(top); // LIFO reuse
          else for (const q of pools) expect(q.live.has(v)).toBe(false); // a block nobody holds
          mp.live.set(v, h.value);
          if (op.zero) expect(mem_bytes(v, p.size).every((x) => x === 0)).toBe(true);
          break;
        }
        case 'free': {
          const e = pick([...mp.live], op.pick);
          if (!e) break;
          dma_pool_free(p, e[0], e[1]);
          if (p.destroyed) {
            expect(dmesg_since(mark)).toContain(`dma_pool_free ${p.name}`); // refused, not taken
            break;
          }
          expect(dmesg_since(mark)).toBe('');
          mp.live.delete(e[0]);
          mp.freed.push(e);
          break;
        }
        case 'double': {
          const e = pick(mp.freed, op.pick);
          if (!e || p.destroyed) break;
          dma_pool_free(p, e[0], e[1]);
          expect(dmesg_since(mark)).toContain('already free');
          break;
        }
        case 'wrongpool': {
          const others = pools.filter((q) => q !== mp && q.live.size > 0);
          const q = pick(others, op.pick);
          if (!q || p.destroyed) break;
          const e = [...q.live][0]!;
          dma_pool_free(p, e[0], e[1]);
          expect(dmesg_since(mark)).toContain('(bad dma)');
          break;
        }
        case 'offset': {
          const e = pick([...mp.live], op.pick);
          if (!e) break;
          dma_pool_free(p, e[0] + op.delta, e[1] + op.delta);
          expect(dmesg_since(mark)).toMatch(/\(bad vaddr\)|\(bad dma\)/);
          break;
        }
        case 'destroy': {
          if (p.destroyed) break;
          dma_pool_destroy(p);
          if (mp.live.size > 0) expect(dmesg_since(mark)).toContain(`dma_pool_destroy ${p.name} busy`);
          else expect(dmesg_since(mark)).toBe('');
          mp.freed.length = 0;
          break;
        }
      }
      // Invariants, every pool, every step.
      const spans: Array<[number, number]> = [];
      for (const q of pools) {
        if (q.pool.destroyed) continue;
        expect(q.pool.nr_active).toBe(q.live.size);
        expect(q.pool.nr_blocks).toBe(q.pool.nr_pages * q.pool.blocks_per_page);
        for (const [v, d] of q.live) {
          expect(d % q.align).toBe(0);
          const b = q.pool.boundary;
          if ((b & (b - 1)) === 0) expect(Math.floor(d / b)).toBe(Math.floor((d + q.pool.size - 1) / b));
          expect(v - m.vbase).toBe(m.physToOff(d));
          spans.push([d, d + q.pool.size]);
        }
      }
      spans.sort((x, y) => x[0] - y[0]);
      for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
    }
  } finally {
    m.dispose();
  }
}

describe('dma_pool against a reference model', () => {
  it('holds every invariant over random operation sequences', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 120 }), fc.boolean(), (ops, slow) => {
        run([{ k: 'create', size: 64, alignLog: 0, boundaryLog: 0 }, ...ops], slow);
        expect(dmapool_slow_hooks.active).toBe(slow ? 1 : 0);
      }),
      { numRuns: 150 },
    );
  });
});

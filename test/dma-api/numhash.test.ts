/* dma-debug's typed-array hash (NumHash): probe/insertAt, add, removeSlot and growth against a Map. */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { NumHash } from '../../src/lib/numhash.ts';

type Op = { kind: 'put'; key: number } | { kind: 'del'; key: number };

// Keys like dma-debug's: bus addresses, many in one page (hashKey groups by page), some above 2^32.
const keyArb = fc.oneof(
  fc.integer({ min: 0, max: 4095 }).map((o) => 0x10000000 + o * 16),
  fc.integer({ min: 0, max: 300 }).map((p) => p * 4096),
  fc.integer({ min: 0, max: 50 }).map((p) => 2 ** 40 + p * 4096 + 64),
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), key: keyArb }),
  fc.record({ kind: fc.constant('del' as const), key: keyArb }),
);

describe('NumHash', () => {
  it('probe + insertAt and removeSlot agree with a Map, across growth', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 400 }), (ops) => {
        const h = new NumHash();
        const model = new Map<number, number>();
        let v = 0;
        for (const op of ops) {
          const r = h.probe(op.key);
          expect(r >= 0).toBe(model.has(op.key));
          if (op.kind === 'put') {
            if (r >= 0) h.vals[r] = ++v;
            else h.insertAt(r, op.key, ++v);
            model.set(op.key, v);
          } else if (r >= 0) {
            h.removeSlot(r);
            model.delete(op.key);
          }
          expect(h.size).toBe(model.size);
        }
        for (const [k, val] of model) expect(h.get(k)).toBe(val);
        // A key never put is not found.
        expect(h.find(0x7fff0000 + 8)).toBe(-1);
      }),
      { numRuns: 200 },
    );
  });

  it('insertAt fills the empty slot probe named, and re-probes after the table grows', () => {
    const h = new NumHash();
    for (let i = 0; i < 10; i++) h.add(0x20000000 + i * 64, i);
    const k = 0x20000000 + 10 * 64;
    const r = h.probe(k);
    expect(r).toBeLessThan(0);
    h.insertAt(r, k, 99);
    expect(h.vals[~r]).toBe(99);
    expect(h.keys[~r]).toBe(k);
    // 16 keys fill a 32-slot table to its load limit: the next insert grows it first.
    for (let i = 11; i < 16; i++) h.add(0x20000000 + i * 64, i);
    expect(h.vals.length).toBe(32);
    const k2 = 0x30000000;
    const r2 = h.probe(k2);
    h.insertAt(r2, k2, 7);
    expect(h.vals.length).toBe(64);
    expect(h.get(k2)).toBe(7);
    for (let i = 0; i < 16; i++) expect(h.get(0x20000000 + i * 64)).toBe(i === 10 ? 99 : i);
  });
});

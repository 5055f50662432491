import { describe, it, expect, beforeEach } from 'vitest';
import {
  dma_pool_create,
  dma_pool_alloc,
  dma_pool_free,
  dma_pool_destroy,
  dma_addr,
  dmesg_mark,
  dmesg_since,
  GFP_KERNEL,
  fmt_p,
  fmt_pad,
  type dma_pool,
} from '../../src/index.ts';
import { small_machine, test_device, pool_alloc as alloc } from '../helpers.ts';

const m = small_machine();
const dev = test_device(m, '0000:00:1d.7');
dev.driver_name = 'ehci-pci';
const P = 'ehci-pci 0000:00:1d.7: ';

let pool: dma_pool;
let other: dma_pool;
let blocks: Array<{ v: number; d: number }>;

/** What an intact pool must still do after a misuse: counters right, every block distinct, reuse correct. */
function assertIntact(p: dma_pool, live: Array<{ v: number; d: number }>) {
  expect(p.nr_active).toBe(live.length);
  const more = [alloc(p), alloc(p), alloc(p)];
  const all = [...live, ...more];
  expect(new Set(all.map((b) => b.v)).size).toBe(all.length);
  expect(new Set(all.map((b) => b.d)).size).toBe(all.length);
  for (const b of more) dma_pool_free(p, b.v, b.d);
  expect(p.nr_active).toBe(live.length);
}

beforeEach(() => {
  pool = dma_pool_create('ehci_qh', dev, 96, 32, 4096)!;
  other = dma_pool_create('ehci_qtd', dev, 96, 32, 4096)!;
  blocks = [alloc(pool), alloc(pool), alloc(pool)];
  return () => {
    for (const p of [pool, other]) {
      for (const s of p.liveSlots()) dma_pool_free(p, p.slotVaddr(s), p.slotDma(s));
      dma_pool_destroy(p);
    }
  };
});

describe('every misuse of dma_pool_free is reported and frees nothing', () => {
  it('double free: "dma_pool_free NAME, dma DMA already free"', () => {
    const b = blocks[1]!;
    dma_pool_free(pool, b.v, b.d);
    const mark = dmesg_mark();
    dma_pool_free(pool, b.v, b.d);
    expect(dmesg_since(mark)).toBe(`${P}dma_pool_free ehci_qh, dma ${fmt_pad(b.d)} already free\n`);
    // Freed once: the next two allocations must not both return it.
    const x = alloc(pool);
    const y = alloc(pool);
    expect(x.v).toBe(b.v);
    expect(y.v).not.toBe(b.v);
    dma_pool_free(pool, y.v, y.d);
    assertIntact(pool, [blocks[0]!, x, blocks[2]!]);
  });

  it('a block of another pool: "(bad dma)"', () => {
    const foreign = alloc(other);
    const mark = dmesg_mark();
    dma_pool_free(pool, foreign.v, foreign.d);
    expect(dmesg_since(mark)).toBe(
      `${P}dma_pool_free ehci_qh, ${fmt_p(foreign.v)}/${foreign.d.toString(16)} (bad dma)\n`,
    );
    expect(other.nr_active).toBe(1);
    assertIntact(pool, blocks);
    dma_pool_free(other, foreign.v, foreign.d);
  });

  it('a dma that belongs to no page: "(bad dma)"', () => {
    const b = blocks[0]!;
    const mark = dmesg_mark();
    dma_pool_free(pool, b.v, b.d + 0x100000);
    expect(dmesg_since(mark)).toBe(
      `${P}dma_pool_free ehci_qh, ${fmt_p(b.v)}/${(b.d + 0x100000).toString(16)} (bad dma)\n`,
    );
    assertIntact(pool, blocks);
  });

  it('vaddr and dma that do not go together: "(bad vaddr)"', () => {
    const [a, b] = [blocks[0]!, blocks[1]!];
    const mark = dmesg_mark();
    dma_pool_free(pool, a.v, b.d);
    dma_pool_free(pool, a.v + 8, a.d + 8); // inside a block, not its start
    expect(dmesg_since(mark)).toBe(
      `${P}dma_pool_free ehci_qh, ${fmt_p(a.v)} (bad vaddr)/${fmt_pad(b.d)}\n` +
        `${P}dma_pool_free ehci_qh, ${fmt_p(a.v + 8)} (bad vaddr)/${fmt_pad(a.d + 8)}\n`,
    );
    assertIntact(pool, blocks);
  });

  it('a dma address passed as the vaddr (address spaces mixed up)', () => {
    const b = blocks[2]!;
    const mark = dmesg_mark();
    dma_pool_free(pool, b.d, b.d);
    expect(dmesg_since(mark)).toContain('(bad vaddr)');
    dma_pool_free(pool, 0, 0);
    expect(dmesg_since(mark)).toContain(`dma_pool_free ehci_qh, 0000000000000000/0 (bad dma)`);
    dma_pool_free(pool, NaN, NaN);
    assertIntact(pool, blocks);
  });

  it('a free into a destroyed pool is reported, not taken', () => {
    const p = dma_pool_create('gone', dev, 64, 0, 0)!;
    const b = alloc(p);
    dma_pool_free(p, b.v, b.d);
    dma_pool_destroy(p);
    const mark = dmesg_mark();
    dma_pool_free(p, b.v, b.d);
    expect(dmesg_since(mark)).toContain('dma_pool_free gone');
    expect(p.nr_active).toBe(0);
    expect(dma_pool_alloc(p, GFP_KERNEL, dma_addr())).toBe(0);
  });
});

describe('destroy of a busy pool', () => {
  it('logs "dma_pool_destroy NAME busy" and leaks its pages instead of freeing memory in use', () => {
    const p = dma_pool_create('busy', dev, 64, 0, 0)!;
    const b = alloc(p);
    const freeBefore =
      m.buddy.zoneStats(0).free_pages + m.buddy.zoneStats(1).free_pages + m.buddy.zoneStats(2).free_pages;
    const mark = dmesg_mark();
    dma_pool_destroy(p);
    expect(dmesg_since(mark).split('\n')[0]).toBe(`${P}dma_pool_destroy busy busy`);
    const freeAfter =
      m.buddy.zoneStats(0).free_pages + m.buddy.zoneStats(1).free_pages + m.buddy.zoneStats(2).free_pages;
    expect(freeAfter).toBe(freeBefore); // nothing went back to the page allocator
    expect(dev.dma_pools).not.toContain(p);
    // The block's memory is still there for whoever uses it.
    expect(m.virtToOff(b.v)).toBeGreaterThanOrEqual(0);
  });

  it('destroy of an idle pool gives every page back', () => {
    const before = m.buddy.zoneStats(2).free_pages;
    const p = dma_pool_create('idle', dev, 64, 0, 0)!;
    const bs = Array.from({ length: 200 }, () => alloc(p));
    expect(p.nr_pages).toBe(4);
    expect(m.buddy.zoneStats(2).free_pages).toBe(before - 4);
    for (const b of bs) dma_pool_free(p, b.v, b.d);
    dma_pool_destroy(p);
    expect(m.buddy.zoneStats(2).free_pages).toBe(before);
  });
});

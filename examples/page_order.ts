/*
 * Seed 004 ("A handful of DMA topics", LWN 2004): when the buddy allocator split
 * a block it handed out the HIGH half first, so pages allocated one after the
 * other came out in descending physical order and scatter/gather entries built
 * from them never merged (40 merges out of ~32,000 segments). Handing out the low
 * half first (William Lee Irwin's patch, today's kernels) took the merge rate to
 * over 55%.
 *
 * This experiment allocates the pages of an I/O buffer one by one, builds a
 * scatterlist from them, and counts entries whose page starts exactly where the
 * previous entry ended (physically adjacent: a merge an sg coalescer could do),
 * for both split policies. Two scenarios: a freshly booted machine, and a busy
 * one whose memory was churned first (allocations and frees in a seeded random
 * order), like the system of the original report.
 *
 * Run: npx tsx examples/page_order.ts
 */
import { create_machine, GFP_KERNEL, type Machine, type PageOrderPolicy } from '../src/index.ts';
import { alloc_page, __free_page } from '../src/mm/page.ts';
import { sg_init_table, sg_set_page, sg_phys, sg_next, type scatterlist } from '../src/lib/scatterlist.ts';

const MiB = 1024 * 1024;

export interface PageOrderResult {
  policy: PageOrderPolicy;
  scenario: 'fresh' | 'busy';
  segments: number;
  adjacent: number;
  /** adjacent / (segments - 1) */
  merge_rate: number;
}

/* A small deterministic PRNG (mulberry32), so runs and tests are repeatable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/*
 * A busy system: other users hold a scattered third of a working set; the rest
 * was freed in random order, and bursts of short-lived allocations interleave
 * with our buffer's allocations.
 */
function churn(m: Machine, rnd: () => number, pages: number): number[] {
  const held: number[] = [];
  for (let i = 0; i < pages; i++) held.push(alloc_page(GFP_KERNEL, m));
  const keep: number[] = [];
  for (let i = held.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [held[i], held[j]] = [held[j]!, held[i]!];
  }
  for (let i = 0; i < held.length; i++) {
    if (i % 3 === 0) keep.push(held[i]!);
    else __free_page(held[i]!);
  }
  return keep;
}

/** Allocate `nr_pages` single pages for an I/O buffer, build the sg list, count physically adjacent neighbours. */
export function page_order_experiment(
  policy: PageOrderPolicy,
  scenario: 'fresh' | 'busy',
  nr_pages = 4096,
  seed = 4,
): PageOrderResult {
  const m = create_machine({ ram: [{ start: 0, size: 64 * MiB }], page_order: policy, name: `page-order-${policy}` });
  const rnd = prng(seed);
  const others = scenario === 'busy' ? churn(m, rnd, nr_pages) : [];
  const sg: scatterlist[] = [];
  sg_init_table(sg, nr_pages);
  const transient: number[] = [];
  for (let i = 0; i < nr_pages; i++) {
    if (scenario === 'busy' && rnd() < 0.15)
      transient.push(alloc_page(GFP_KERNEL, m)); /* someone else allocates in between */
    sg_set_page(sg[i]!, alloc_page(GFP_KERNEL, m), 4096, 0);
  }
  let adjacent = 0;
  for (let s: scatterlist | null = sg[0]!; s; ) {
    const n = sg_next(s);
    if (n && sg_phys(n) === sg_phys(s) + s.length) adjacent++;
    s = n;
  }
  for (const s of sg) __free_page(s.page_link);
  for (const p of transient) __free_page(p);
  for (const p of others) __free_page(p);
  m.dispose();
  return { policy, scenario, segments: nr_pages, adjacent, merge_rate: adjacent / (nr_pages - 1) };
}

function main(): void {
  console.log('page order policy vs scatter/gather merge rate');
  for (const scenario of ['fresh', 'busy'] as const) {
    for (const policy of ['high-first', 'low-first'] as const) {
      const r = page_order_experiment(policy, scenario);
      console.log(
        `${scenario.padEnd(5)} ${policy.padEnd(10)}: ${r.adjacent} of ${r.segments - 1} neighbours physically adjacent, merge rate ${(100 * r.merge_rate).toFixed(1)}%`,
      );
    }
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) main();

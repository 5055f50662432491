/*
 * dmashim run's pool cache (on by default, --pool-cache[=N], --no-pool-cache):
 * the C-side block cache must be invisible. The same program, with and without
 * it, hands out the same blocks in the same order and prints the same pools
 * files and reports (with their C lines); only dmashim_pool_cached() tells the
 * runs apart.
 */
import { describe, test, expect } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bridge_skip_reason, dmashim_run, dmashim_run_async, mark_line, type RunResult } from './helpers.ts';
import { cli_refused } from '../cli-main.ts';

const skip = bridge_skip_reason();
const F = 'test/bridge/c/pool_cache.c';
const D = 'test/bridge/c/pool_cache_debug.c';
/*
 * The arena is mapped anew (ASLR) in every run: CPU addresses (%p, 16 digits) are blanked; bus addresses stay.
 * So is the pid in might_sleep's report.
 */
const norm = (s: string): string => s.replace(/\b0000[0-9a-f]{12}\b/g, 'VADDR').replace(/pid: \d+/g, 'pid: PID');
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const at = (file: string, mark: string): string => `${file}:${mark_line(path.basename(file), mark)}`;

/* A run (or runs) two tests look at: started by the first one that asks, once. */
function once<T>(start: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    p ??= start();
    return p;
  };
}

/* One capacity per option set where a family of sets covers both (the equivalence test covers more). */
const DEFAULT_CAP = ['--pool-cache'];
const SMALLEST_CAP = ['--pool-cache=2'];

interface Pair {
  off: RunResult;
  on: RunResult;
  report: string;
}

/*
 * pool_cache_debug.c with `opts`, without the cache and with it (default and at its smallest), seed `seed`:
 * the same status, stdout (bar "cached="), stderr and --report, and the cache in use when `cached`.
 */
async function same_with_cache(
  opts: string[],
  seed: number,
  cached: boolean,
  caps = ['--pool-cache', '--pool-cache=2'],
): Promise<Pair> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pcache-'));
  try {
    const runs = ['--no-pool-cache', ...caps];
    const rs = await Promise.all(
      runs.map((c, i) =>
        dmashim_run_async(
          ['pool_cache_debug.c'],
          [...opts, c, '--report', path.join(dir, `${i}.json`)],
          [String(seed)],
        ),
      ),
    );
    const reports = runs.map((_, i) => norm(readFileSync(path.join(dir, `${i}.json`), 'utf8')));
    const [off, ...ons] = rs as [RunResult, ...RunResult[]];
    const label = `${opts.join(' ')} seed ${seed}`;
    expect(off.stdout, label).toContain('cached=0\n');
    const same = (x: string) => norm(x.replace(/^cached=\d\n/m, ''));
    ons.forEach((on, i) => {
      expect(on.stdout, label).toContain(`cached=${cached ? 1 : 0}\n`);
      expect(on.status, label).toBe(off.status);
      expect(same(on.stdout), label).toBe(same(off.stdout));
      expect(norm(on.stderr), label).toBe(norm(off.stderr));
      expect(reports[i + 1], label).toBe(reports[0]);
    });
    return { off, on: ons[0]!, report: reports[0]! };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/* pool_cache.c without the cache and with it at several capacities: the equivalence test's, and the two after it read some. */
const pool_cache_runs = once(() =>
  Promise.all([
    dmashim_run_async(['pool_cache.c'], ['--leaks', '--no-pool-cache']),
    dmashim_run_async(['pool_cache.c'], ['--leaks', '--pool-cache']),
    dmashim_run_async(['pool_cache.c'], ['--leaks', '--pool-cache=2']),
    // More than one batch: the array grows, a full cache drains 260 blocks in two crossings.
    dmashim_run_async(['pool_cache.c'], ['--leaks', '--pool-cache=520']),
    dmashim_run_async(['pool_cache.c'], ['--leaks']),
    dmashim_run_async(['pool_cache.c'], ['--leaks', '--pool-cache=8']),
  ]),
);

/* pool_cache_debug.c, seed 1 (also its default), no option but the cache's: the poison test's and the atomic refill's. */
const debug_plain = once(() => same_with_cache([], 1, true));
/* pool_cache_debug.c under --poison, --sites and fault injection: their own tests', and the one that the cache stays on. */
const debug_poison = once(() => same_with_cache(['--poison'], 1, true));
const debug_sites = once(() => same_with_cache(['--sites'], 1, true));
const debug_nth = once(() => same_with_cache(['--fail-nth=500'], 1, true, SMALLEST_CAP));

describe('--pool-cache', () => {
  test('same blocks, order, pools files, counters and reports as without the cache', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const [off, on, small, big, dflt, eight] = await pool_cache_runs();
    // The planted double frees and bad frees are findings, with the cache as without.
    expect(off.status).toBe(3);
    expect(on.status).toBe(3);
    expect(small.status).toBe(3);
    expect(big.status).toBe(3);
    expect(dflt.status).toBe(3);
    expect(eight.status).toBe(3);
    // The cache was really in use in the cached runs (the default is one), and not in the other.
    expect(off.stdout).toContain('cached-nonzero=0\n');
    expect(on.stdout).toContain('cached-nonzero=1\n');
    expect(small.stdout).toContain('cached-nonzero=1\n');
    expect(big.stdout).toContain('cached-nonzero=1\n');
    expect(dflt.stdout).toContain('cached-nonzero=1\n');
    expect(eight.stdout).toContain('cached-nonzero=1\n');
    const same = (s: string) => norm(s.replace(/cached-nonzero=\d/, ''));
    expect(same(on.stdout)).toBe(same(off.stdout));
    expect(same(small.stdout)).toBe(same(off.stdout));
    expect(same(big.stdout)).toBe(same(off.stdout));
    expect(same(dflt.stdout)).toBe(same(off.stdout));
    expect(same(eight.stdout)).toBe(same(off.stdout));
    expect(norm(on.stderr)).toBe(norm(off.stderr));
    expect(norm(small.stderr)).toBe(norm(off.stderr));
    expect(norm(big.stderr)).toBe(norm(off.stderr));
    expect(norm(dflt.stderr)).toBe(norm(off.stderr));
    expect(norm(eight.stderr)).toBe(norm(off.stderr));
    expect(on.stdout).toMatch(/live \d+ duplicates 0\n/);
    // pools read mid-run are exact: the cached blocks are counted as free.
    expect(on.stdout).toMatch(
      /-- pools mid-run\npoolinfo - 0\.1\ncache-4k +\d+ +\d+ 4096 +\d+\ncache-64 +\d+ +\d+ +64 +\d+\n/,
    );
    expect(on.stdout).toContain('zalloc same=1 nonzero=0\n');
    expect(on.stdout).toContain('reuse same=1\n');
  });

  test('a double free of a block in the cache is reported at once, with the kernel text and the C line', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    // The default cache (no option; --leaks only adds the leak report at the end).
    const r = (await pool_cache_runs())[4];
    const at = (mark: string) => esc(`dma_pool_free() called from ${F}:${mark_line('pool_cache.c', mark)}\n`);
    expect(r.stderr).toMatch(
      new RegExp(`dma_pool_free cache-64, dma 0x[0-9a-f]{16} already free\\n${at('cached-double-free')}`),
    );
    expect(r.stderr).toMatch(
      new RegExp(`dma_pool_free cache-64, dma 0x[0-9a-f]{16} already free\\n${at('drained-double-free')}`),
    );
    expect(r.stderr).toMatch(
      new RegExp(`dma_pool_free cache-64, [0-9a-f]{16}/[0-9a-f]+ \\(bad dma\\)\\n${at('wrong-pool')}`),
    );
    expect(r.stderr).toMatch(
      new RegExp(`dma_pool_free cache-64, [0-9a-f]{16} \\(bad vaddr\\)/0x[0-9a-f]{16}\\n${at('bad-vaddr')}`),
    );
    // The report comes before the next line of the program's own output, i.e. during the call.
    expect(r.stdout.indexOf('reuse same=1')).toBeGreaterThan(0);
  });

  test('destroy drains the cache first: a busy pool is reported with the blocks really in use', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    // --pool-cache=8 --leaks.
    const r = (await pool_cache_runs())[5];
    const line = mark_line('pool_cache.c', 'destroy-busy');
    expect(r.stderr).toMatch(
      new RegExp(
        `dma_pool_destroy cache-64 busy\\n.*dma_pool_destroy cache-64: 2 blocks \\(128 bytes\\) still in use, 3 pages leaked:\\n(  block .*\\n){2}${esc(`dma_pool_destroy() called from ${F}:${line}`)}\\n`,
      ),
    );
    expect(r.stdout).toMatch(/-- pools after destroy\npoolinfo - 0\.1\ncache-4k +\d+ +\d+ 4096 +\d+\n/);
    // device_unregister and the leak report at exit count what the program holds, not what the cache holds.
    const [, inUse] = /cache-4k +(\d+) +\d+ 4096/.exec(r.stdout.split('-- pools after destroy')[1]!)!;
    expect(r.stderr).toContain(
      `leak: dma_pool cache-4k has ${inUse} blocks (${Number(inUse) * 4096} bytes) in use at device_unregister:`,
    );
    expect(r.stderr).toContain(`${inUse} blocks in pool cache-4k`);
  });

  test('is on with --poison, --sites and fault injection (--threads: runner.test.ts), and says nothing about it', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    // --threads: test/bridge/runner.test.ts's threads run (--threads --pool-cache, nothing said), and
    // test/bridge/pool_cache_threads.test.ts shows what the cache does with threads.
    // The runs of the tests below: same_with_cache checked cached=1 and that stderr is the uncached run's.
    const runs = await Promise.all([debug_poison(), debug_sites(), debug_nth()]);
    for (const [i, opt] of ['--poison', '--sites', '--fail-nth=500'].entries()) {
      expect(runs[i]!.on.stdout, opt).toContain('cached=1\n');
      expect(runs[i]!.on.stderr, opt).not.toContain('--pool-cache');
    }
    const bad = await cli_refused(['run', F, '--pool-cache=1']);
    expect(bad.stderr).toContain('--pool-cache must be an integer in 2..65536, got 1');
    expect(bad.status).toBe(2);
  });

  test('--poison: the cache poisons and checks as the core, with the same "(corrupted)" reports', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const { on } = await debug_poison();
    // The bytes the program sees: POOL_POISON_ALLOCATED on alloc, POOL_POISON_FREED after free.
    expect(on.stdout).toMatch(/^fresh a9\nfreed a7\nuaf same=1 a9 a9\ncached-corrupt next=1 00 00\n/);
    // A write after free, found on the next alloc of the block from the cache, with the dump.
    expect(on.stderr).toMatch(
      new RegExp(
        `dma_pool_alloc dbg-a, [0-9a-f]{16} \\(corrupted\\)\n00000000: a7 a7 a7 a7 a7 11 a7 .*\n(000000[1-3]0: .*\n){3}` +
          esc(`dma_pool_alloc() called from ${at(D, 'uaf-alloc')}\n`),
      ),
    );
    // A block the cache took in a refill and never handed out, written meanwhile: zalloc reports, then zeroes.
    expect(on.stderr).toMatch(
      new RegExp(
        `\\(corrupted\\)\n00000000: a7 a7 a7 a7 a7 a7 a7 22 .*\n(000000[1-3]0: .*\n){3}` +
          esc(`dma_pool_alloc() called from ${at(D, 'cached-corrupt')}\n`),
      ),
    );
    // The random mix's writes after free are found too.
    expect(on.stderr.split('(corrupted)').length).toBeGreaterThan(5);
    // Switched on at run time for one pool of an unpoisoned run, with the cache as without.
    const rt = await debug_plain();
    expect(rt.on.stdout).toContain('poison-on a9\n');
    expect(rt.on.stdout).toContain('poison-off a7\n');
    expect(rt.on.stdout).toContain('slab-poison a9\n');
    expect(rt.on.stderr).toMatch(
      new RegExp(
        `dbg-c, [0-9a-f]{16} \\(corrupted\\)\n00000000: a7 a7 44 a7 .*\n.*\n${esc(`dma_pool_alloc() called from ${at(D, 'slab-poison-alloc')}`)}`,
      ),
    );
    expect(rt.on.stderr).toMatch(
      new RegExp(
        `dbg-b, [0-9a-f]{16} \\(corrupted\\)\n00000000: a7 33 a7 .*\n.*\n${esc(`dma_pool_alloc() called from ${at(D, 'poison-on-alloc')}`)}`,
      ),
    );
    expect(rt.on.stderr).not.toMatch(/dbg-a, [0-9a-f]{16} \(corrupted\)/);
  });

  test('--sites: leaks, double frees, a busy destroy and writes after free name the same lines', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const [sites, both] = await Promise.all([
      debug_sites(),
      same_with_cache(['--poison', '--sites'], 2, true, ['--pool-cache', '--pool-cache=2', '--pool-cache=256']),
    ]);
    for (const { on, report } of [sites, both]) {
      expect(on.stderr).toContain(
        `3 blocks in pool dbg-a (192 bytes) on 0000:00:08.0, allocated at ${at(D, 'leak-a')}\n`,
      );
      expect(on.stderr).toContain(
        `2 blocks in pool dbg-a (128 bytes) on 0000:00:08.0, allocated at ${at(D, 'leak-b')}\n`,
      );
      expect(on.stderr).toMatch(
        new RegExp(
          `blocks in pool mix-64 \\(\\d+ bytes\\) on 0000:00:08\\.0, allocated at ${esc(at(D, 'mix-alloc'))}\n`,
        ),
      );
      expect(on.stderr).toMatch(
        new RegExp(
          `dma_pool_destroy dbg-a: 7 blocks \\(448 bytes\\) still in use, 1 page leaked:\n(  block .*\n){2}(  block .* allocated at ${esc(at(D, 'leak-a'))}\n){3}`,
        ),
      );
      expect(on.stderr).toMatch(
        new RegExp(`already free\n${esc(`dma_pool_free() called from ${at(D, 'df-second')}`)}\n`),
      );
      // might_alloc from a block the cache hands out in atomic context says where.
      expect(on.stderr).toContain(
        `preempt_count: 1, expected: 0\ncalled at ${at(D, 'atomic-cached')}\ndma_pool_alloc() called from ${at(D, 'atomic-cached')}\n`,
      );
      expect(report).toContain(`"site": "${at(D, 'atomic-cached')}"`);
    }
    // Poisoned: the block written after free was freed at that line, by the cache.
    expect(both.on.stderr).toContain(
      `pci 0000:00:08.0: use after free: block was written after it was freed at ${at(D, 'uaf-free')}\ndma_pool_alloc() called from ${at(D, 'uaf-alloc')}\n`,
    );
    expect(both.on.stderr).toContain(`freed at ${at(D, 'mix-free')}\n`);
    // A drain of 256 blocks with their sites, in two batches: each block keeps the line that freed it.
    for (const [byte, mark] of [
      ['66', 'big-free-b'],
      ['55', 'big-free-a'],
    ]) {
      expect(both.on.stderr).toMatch(
        new RegExp(
          `dbg-d, [0-9a-f]{16} \\(corrupted\\)\n00000000: a7 ${byte} a7 .*\n.*freed at ${esc(at(D, mark!))}\n${esc(`dma_pool_alloc() called from ${at(D, 'big-realloc')}`)}\n`,
        ),
      );
    }
  });

  test('a refill in atomic context checks might_alloc once, for the block handed out', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    // With the default cache and seed: the same stderr as without it (same_with_cache compares).
    const { on: r } = await debug_plain();
    expect(r.stderr.split(`dma_pool_alloc() called from ${at(D, 'atomic-refill')}`).length).toBe(2);
    expect(r.stderr.split('at mm/dmapool.c dma_pool_alloc\n').length).toBe(3);
  });

  test('fault injection: the same failures at the same calls, the cache on but with a probability', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    // Each set against one capacity; the default and the smallest take turns.
    const runs = await Promise.all([
      same_with_cache(['--fail-probability=0.02', '--fail-pool=mix-4k', '--fail-seed=3'], 1, true, DEFAULT_CAP),
      same_with_cache(['--fail-interval=5', '--fail-kinds=coherent'], 1, true, SMALLEST_CAP),
      same_with_cache(['--fail-interval=3', '--fail-pool=mix-64', '--fail-atomic-only'], 1, true, DEFAULT_CAP),
      debug_nth(),
      same_with_cache(['--fail-nth=300', '--fail-interval=97', '--fail-times=12'], 2, true, SMALLEST_CAP),
      // A probability draws for every alloc: the pools it may fail have no cache.
      same_with_cache(['--poison', '--sites', '--fail-probability=0.01', '--fail-seed=9'], 4, false, DEFAULT_CAP),
    ]);
    // Failures were injected, in pools with a cache and in those without.
    expect(runs[0]!.on.stdout).toMatch(/step \d+: pool 1 alloc failed\n/);
    expect(runs[0]!.on.stderr).toContain('injected: dma_pool_alloc(mix-4k) on 0000:00:08.0 failed');
    expect(runs[1]!.on.stderr).toContain('injected: dma_alloc_coherent');
    // Only GFP_ATOMIC allocs of mix-64 count: every third of them fails.
    expect(runs[2]!.on.stdout).toMatch(/step \d+: pool 0 alloc failed\n/);
    expect(runs[2]!.on.stdout).not.toMatch(/pool [12] alloc failed/);
    expect(runs[3]!.on.stderr).toContain('failed (call 500)');
    expect(runs[4]!.on.stderr).toContain('failed (call 300)');
    expect(runs[4]!.on.stderr.split('FAULT_INJECTION').length).toBe(13);
  });

  test('random mixes: the same output with the cache as without, under every option it keeps', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    // Other seeds than the scenarios' tests (1, 2, 4): other mixes. Each against one capacity, taking turns.
    await Promise.all([
      same_with_cache(['--poison'], 11, true, SMALLEST_CAP),
      same_with_cache(['--sites'], 12, true, DEFAULT_CAP),
      same_with_cache(
        ['--poison', '--sites', '--fail-probability=0.05', '--fail-pool=mix-68', '--fail-seed=13'],
        13,
        true,
        SMALLEST_CAP,
      ),
    ]);
  });

  // Without --threads, a second thread is still refused with the cache on (the default): test/bridge/runner.test.ts.

  test('a log hook switches every cache off, for the pools to come too', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['pool_cache_hook.c']);
    expect(r.stdout).toMatch(/^before-hook=[1-9]\d*\nhook-set=0\nafter-hook=0,0\n$/);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const off = dmashim_run(['pool_cache_hook.c'], ['--no-pool-cache']);
    expect(off.stdout).toBe('before-hook=0\nhook-set=0\nafter-hook=0,0\n');
  });
});

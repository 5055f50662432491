/*
 * dmashim run's pool cache (on by default, --pool-cache[=N], --no-pool-cache):
 * the C-side block cache must be invisible. The same program, with and without
 * it, hands out the same blocks in the same order and prints the same pools
 * files and reports (with their C lines); only dmashim_pool_cached() tells the
 * runs apart.
 */
import { describe, test, expect } from 'vitest';
import { bridge_skip_reason, dmashim_run, dmashim_run_async, mark_line } from './helpers.ts';

const skip = bridge_skip_reason();
const F = 'test/bridge/c/pool_cache.c';
/* The arena is mapped anew (ASLR) in every run: CPU addresses (%p, 16 digits) are blanked; bus addresses stay. */
const norm = (s: string): string => s.replace(/\b0000[0-9a-f]{12}\b/g, 'VADDR');
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('--pool-cache', () => {
  test('same blocks, order, pools files, counters and reports as without the cache', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const [off, on, small, dflt] = await Promise.all([
      dmashim_run_async(['pool_cache.c'], ['--leaks', '--no-pool-cache']),
      dmashim_run_async(['pool_cache.c'], ['--leaks', '--pool-cache']),
      dmashim_run_async(['pool_cache.c'], ['--leaks', '--pool-cache=2']),
      dmashim_run_async(['pool_cache.c'], ['--leaks']),
    ]);
    // The planted double frees and bad frees are findings, with the cache as without.
    expect(off.status).toBe(3);
    expect(on.status).toBe(3);
    expect(small.status).toBe(3);
    expect(dflt.status).toBe(3);
    // The cache was really in use in the cached runs (the default is one), and not in the other.
    expect(off.stdout).toContain('cached-nonzero=0\n');
    expect(on.stdout).toContain('cached-nonzero=1\n');
    expect(small.stdout).toContain('cached-nonzero=1\n');
    expect(dflt.stdout).toContain('cached-nonzero=1\n');
    const same = (s: string) => norm(s.replace(/cached-nonzero=\d/, ''));
    expect(same(on.stdout)).toBe(same(off.stdout));
    expect(same(small.stdout)).toBe(same(off.stdout));
    expect(same(dflt.stdout)).toBe(same(off.stdout));
    expect(norm(on.stderr)).toBe(norm(off.stderr));
    expect(norm(small.stderr)).toBe(norm(off.stderr));
    expect(norm(dflt.stderr)).toBe(norm(off.stderr));
    expect(on.stdout).toMatch(/live \d+ duplicates 0\n/);
    // pools read mid-run are exact: the cached blocks are counted as free.
    expect(on.stdout).toMatch(
      /-- pools mid-run\npoolinfo - 0\.1\ncache-4k +\d+ +\d+ 4096 +\d+\ncache-64 +\d+ +\d+ +64 +\d+\n/,
    );
    expect(on.stdout).toContain('zalloc same=1 nonzero=0\n');
    expect(on.stdout).toContain('reuse same=1\n');
  });

  test('a double free of a block in the cache is reported at once, with the kernel text and the C line', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['pool_cache.c']);
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

  test('destroy drains the cache first: a busy pool is reported with the blocks really in use', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['pool_cache.c'], ['--pool-cache=8', '--leaks']);
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

  test('is off (and says so) with --threads, --poison, --sites and fault injection; threaded runs still work', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['threads.c'], ['--threads', '--pool-cache']);
    expect(r.stderr).toBe('dmashim: --pool-cache is off with --threads (every alloc and free goes to the core)\n');
    expect(r.stdout).toMatch(/^threaded=1 errors=0\npoolinfo - 0\.1\nthreads-64 {10}0 +\d+ {3}64 +\d+\n$/);
    expect(r.status).toBe(0);
    const opts = ['--poison', '--sites', '--fail-nth=100000'];
    const [asked, dflt] = await Promise.all([
      Promise.all(opts.map((opt) => dmashim_run_async(['pool_cache.c'], ['--pool-cache', opt]))),
      Promise.all(opts.map((opt) => dmashim_run_async(['pool_cache.c'], [opt]))),
    ]);
    opts.forEach((opt, i) => {
      expect(asked[i]!.stdout).toContain('cached-nonzero=0\n');
      expect(asked[i]!.stderr).toContain(
        `dmashim: --pool-cache is off with ${opt === '--fail-nth=100000' ? 'fault injection' : opt}`,
      );
      // By default the cache is off there too, silently: nobody asked for it.
      expect(dflt[i]!.stdout).toContain('cached-nonzero=0\n');
      expect(dflt[i]!.stderr).not.toContain('--pool-cache');
    });
    const bad = dmashim_run(['pool_cache.c'], ['--pool-cache=1']);
    expect(bad.stderr).toContain('--pool-cache must be an integer in 2..256, got 1');
    expect(bad.status).toBe(2);
  });

  test('without --threads, a second thread is still refused with the cache on', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['threads.c'], ['--timeout', '30']);
    expect(r.stderr).toContain('called from a second thread');
    expect(r.status).not.toBe(0);
  });

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

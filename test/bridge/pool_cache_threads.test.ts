/*
 * The pool cache with --threads (test/bridge/c/pool_cache_threads.c): threads
 * on shared and own pools get no block twice, and the reports (double free,
 * bad dma, corrupted, leaks with their sites) are those of a run without the
 * cache, while the cache is shown on; a program that ends while its threads
 * still allocate does not hang. Every run has a --timeout: a deadlock would be
 * a failed run, never a stuck suite.
 */
import { describe, test, expect } from 'vitest';
import { bridge_skip_reason, dmashim_run_async, mark_line, type RunResult } from './helpers.ts';

const skip = bridge_skip_reason();
const C = 'pool_cache_threads.c';
const at = (mark: string): string => `test/bridge/c/${C}:${mark_line(C, mark)}`;
/*
 * The arena is mapped anew in every run, and which page each pool gets depends on how the threads
 * interleave: addresses keep their offset in the page only.
 */
const norm = (s: string): string =>
  s.replace(/\b(0x)?[0-9a-f]{13}([0-9a-f]{3})\b/g, (_m, x: string | undefined, low: string) => `${x ?? ''}ADDR${low}`);
const run = (opts: string[], args: string[]): Promise<RunResult> =>
  dmashim_run_async([C], ['--threads', '--timeout', '60', ...opts], args);

describe('the pool cache with --threads', () => {
  test('reports as without the cache, with the cache on: double free, bad dma, corrupted, busy, leaks', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const args = ['mix', 'double', 'leak', 'poison', 'destroy'];
    const debug = ['--poison', '--sites'];
    const [off, on, small] = await Promise.all([
      run([...debug, '--no-pool-cache'], args),
      run(debug, args),
      run([...debug, '--pool-cache=2'], args),
    ]);
    expect(off.stdout).toContain('errors=0 cached=0\n');
    for (const [r, label] of [
      [on, 'default'],
      [small, '--pool-cache=2'],
    ] as const) {
      expect(r.stdout, label).toContain('errors=0 cached=f\n');
      expect(norm(r.stdout.replace('cached=f', 'cached=0')), label).toBe(norm(off.stdout));
      expect(norm(r.stderr), label).toBe(norm(off.stderr));
      expect(r.status, label).toBe(off.status);
    }
    // What the core reports, at the C line, for the one thread that erred while the others worked.
    expect(on.stderr).toMatch(
      new RegExp(
        `dma_pool_free own-1, dma 0x[0-9a-f]{16} already free\\ndma_pool_free\\(\\) called from ${at('double')}\\n`,
      ),
    );
    expect(on.stderr).toMatch(
      new RegExp(
        `dma_pool_free own-1, [0-9a-f]{16} \\(bad vaddr\\)/0x[0-9a-f]{16}\\ndma_pool_free\\(\\) called from ${at('baddma')}\\n`,
      ),
    );
    expect(on.stderr).toContain('(corrupted)\n00000000: a7 a7 a7 a7 a7 55 a7');
    expect(on.stderr).toContain(`dma_pool_alloc() called from ${at('corrupted')}\n`);
    // Blocks in the cache are neither busy at destroy nor leaks; the ones the threads kept are, by site.
    expect(on.stderr).toContain('dma_pool_destroy own-3: 4 blocks (512 bytes) still in use, 1 page leaked:\n');
    expect(on.stderr).toContain(`dma_pool_destroy() called from ${at('destroy')}\n`);
    expect(on.stderr).toContain('leak report (bridge): 10 blocks in 4 pools');
    for (let i = 0; i < 4; i++)
      expect(on.stderr).toContain(
        `${i + 1} block${i ? 's' : ''} in pool own-${i} (${128 * (i + 1)} bytes) on 0000:00:03.0, allocated at ${at('leak')}\n`,
      );
    expect(on.status).toBe(3);
  });

  test('ends without a hang when main returns or a thread exits while others allocate or print; leaks exact', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    // --fail-pool: with threads a pool fault injection may fail has no cache (the others keep theirs).
    const [ret, ex, printing] = await Promise.all([
      run(['--sites', '--fail-nth=1000000', '--fail-pool=own-2'], ['mix', 'leak', 'running']),
      run(['--sites'], ['leak', 'exit']),
      // Threads inside printk (waiting for their crossing) while the end of the run flushes the log.
      run([], ['printing']),
    ]);
    // A pools file read while another thread's drain of the whole cache is in flight comes after it.
    const transit = await run([], ['transit']);
    expect(transit.stdout).toContain('transit wrong=0\n');
    expect(transit.stderr.split(`dma_pool_free() called from ${at('transit')}\n`).length).toBe(11);
    expect(transit.status).toBe(3);
    expect(printing.stdout).toBe('threaded=1\nreturning while printing\n');
    expect(printing.status, printing.stderr.slice(-500)).toBe(0);
    expect(ret.stdout).toContain('errors=0 cached=b\n');
    expect(ret.stdout).toMatch(/returning\n$/);
    expect(ex.stdout).toMatch(/^threaded=1\nexiting\n$/);
    /*
     * The churning threads may hold a block at the end: the kept ones are there with their sites. A pool
     * whose refill or drain was in flight as the run ended keeps its cache, never handed out: those blocks
     * are listed at (unknown), and only in a churned pool (docs/bridge.md, Threads).
     */
    for (const r of [ret, ex]) {
      for (let i = 0; i < 4; i++)
        expect(r.stderr).toContain(
          `${i + 1} block${i ? 's' : ''} in pool own-${i} (${128 * (i + 1)} bytes) on 0000:00:03.0, allocated at ${at('leak')}\n`,
        );
      const unknown = r.stderr.split('\n').filter((l) => l.includes('(unknown)'));
      for (const l of unknown)
        expect(l).toMatch(/^ {2}\d+ blocks? in pool own-\d \(\d+ bytes\) on 0000:00:03\.0, allocated at \(unknown\)$/);
      expect(r.status).toBe(3);
    }
    expect(ex.stderr).toContain('exit status 3 (main returned 3;');
  });
});

/* The runner: threads, crashes, compile errors, refusals, exit status, and koffi being optional. */
import { describe, test, expect } from 'vitest';
import { bridge_skip_reason, dmashim_run, dmashim_run_stalled } from './helpers.ts';
import { koffi_unavailable_reason } from '../../src/bridge/koffi.ts';
import { DMASHIM_ABI_VERSION } from '../../src/bridge/abi.ts';

const skip = bridge_skip_reason();

describe('dmashim run', () => {
  test('4 threads allocate and free concurrently (--threads): no block lost or handed out twice, counters exact', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    // The pool cache named (it is the default): with --threads too it says nothing and loses nothing.
    const r = dmashim_run(['threads.c'], ['--threads', '--pool-cache']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^threaded=1 errors=0\npoolinfo - 0\.1\nthreads-64 {10}0 +\d+ {3}64 +\d+\n$/);
    // 4 threads x 64 blocks live at most: at most 256 blocks, 4 pages of 64 blocks, all back.
    const [, blocks, pages] = /threads-64 +0 +(\d+) +64 +(\d+)/.exec(r.stdout)!;
    expect(Number(blocks)).toBe(Number(pages) * 64);
    expect(Number(blocks)).toBeLessThanOrEqual(256);
    expect(r.status).toBe(0);
  });

  test('without --threads, a call from a second thread is refused with a message, never a hang', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    // With the pool cache on (the default) too.
    const r = dmashim_run(['threads.c'], ['--timeout', '30']);
    expect(r.stderr).toContain('called from a second thread');
    expect(r.stderr).toContain('run it with `dmashim run --threads`');
    expect(r.status).not.toBe(0);
  });

  test('a segfault is reported with the signal and the program', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['crash.c'], [], ['segv']);
    expect(r.stdout).toBe('about to crash (segv)\n');
    expect(r.stderr).toContain('dmashim: test/bridge/c/crash.c: killed by signal SIGSEGV (segmentation fault)');
    expect(r.status).toBe(139);
  });

  test('BUG_ON is reported (kernel BUG at file:line) and stops the program', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['crash.c'], [], ['bug']);
    expect(r.stderr).toContain('kernel BUG at test/bridge/c/crash.c:12!');
    expect(r.stderr).toContain('killed by signal SIGABRT');
    expect(r.status).toBe(134);
  });

  test('a compile error is shown as the compiler printed it', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['broken.c']);
    expect(r.stderr).toMatch(/broken\.c:6:\d+: error: implicit declaration of function .dma_pool_alloc_typo./);
    expect(r.stderr).toContain('dmashim: compilation failed');
    expect(r.status).toBe(4);
  });

  test('main() gets argv and its status is the exit status', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['args.c'], ['-q'], ['one', 'two words']);
    expect(r.stdout).toBe('argc=3 argv[0]=test/bridge/c/args.c argv[1]=one argv[2]=two words\n');
    expect(r.status).toBe(7);
  });

  test("dmashim_bench_noop() (the benchmarks' bare callback) returns, logs nothing, and the header's ABI version is the runner's", (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['bench_noop.c'], [], ['1000']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`bench_noop x1000 abi=${DMASHIM_ABI_VERSION}\npool ok\n`);
    expect(r.status).toBe(0);
  });

  test('a program writing into pipes nobody reads for a while loses nothing on stdout or stderr (node leaves pipes non-blocking)', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    // 1000 lines of 2 KB (2 MB, a pipe holds 64 KB) and 100 kernel-log lines, while the reader stalls for 1.5 s.
    const r = await dmashim_run_stalled(['bigout.c'], ['1000'], 1500);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('bigout:'))).toEqual([]);
    expect(r.status).toBe(0);
    const out = r.stdout.split('\n');
    expect(out.pop()).toBe('');
    expect(out.length).toBe(1000);
    const fill = 'x'.repeat(2000);
    out.forEach((l, i) => {
      if (l !== `out ${i} ${fill}`) expect.fail(`stdout line ${i}: ${l.slice(0, 40)}... (${l.length} chars)`);
    });
    const err = r.stderr.split('\n').filter((l) => l !== '');
    expect(err.length).toBe(100);
    expect(new Set(err)).toEqual(new Set(['dma_pool_free: NULL pool (called at test/bridge/c/bigout.c:19)']));
  });

  test('koffi is optional: its absence is explained', () => {
    const reason = koffi_unavailable_reason();
    if (reason) expect(reason).toContain('optional dependency');
    else expect(reason).toBeNull();
  });
});

/*
 * KUnit under dmashim: a file with passing, failing, skipped, parameterised
 * and sanitizer-failed cases (test/kunit/c/mixed.c), read back from its KTAP
 * with exact counts; the KTAP's shape line by line; the filter; the examples.
 */
import { describe, test, expect } from 'vitest';
import { bridge_skip_reason, ROOT } from '../bridge/helpers.ts';
import type { KunitResult } from '../../src/kunit/run.ts';
import { run_kunit } from '../dist.ts';
import { parse_ktap } from '../../src/kunit/ktap.ts';

const skip = bridge_skip_reason();
const MIXED = 'test/kunit/c/mixed.c';

let mixed: KunitResult | null = null;
async function mixed_run(): Promise<KunitResult> {
  mixed ??= await run_kunit([MIXED], { cwd: ROOT, quiet: true });
  return mixed;
}

function statuses(r: KunitResult, suite: string): Record<string, string> {
  const s = r.kunit.suites.find((x) => x.name === suite);
  return Object.fromEntries((s?.cases ?? []).map((c) => [c.name, c.status]));
}

function diag(r: KunitResult, suite: string, name: string): string {
  return (
    r.kunit.suites
      .find((s) => s.name === suite)
      ?.cases.find((c) => c.name === name)
      ?.diagnostics.join('\n') ?? ''
  );
}

describe('dmashim test: results', () => {
  test('every kind of result, with exact counts', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = await mixed_run();
    expect(statuses(r, 'mixed')).toEqual({
      passes: 'pass',
      expect_fails: 'fail',
      assert_ends: 'fail',
      skipped: 'skip',
      actions_run: 'fail',
      actions_ran: 'pass',
      pool_double_free: 'fail',
      pool_leak: 'fail',
      pool_managed: 'pass',
      warns: 'fail',
      sleeps_in_atomic: 'fail',
      dma_debug_error: 'fail',
      param_sizes: 'fail',
    });
    expect(statuses(r, 'clean')).toEqual({ trivially: 'pass' });
    expect(r.kunit.suites.map((s) => [s.name, s.status])).toEqual([
      ['mixed', 'fail'],
      ['clean', 'pass'],
    ]);
    expect(r.kunit.counts).toEqual({ pass: 4, fail: 9, skip: 1, total: 14 });
    expect(r.kunit.incomplete).toBe(false);
    // The sanitizer found something: dmashim run's status 3, unless findings do not decide it.
    expect(r.status).toBe(3);
    expect(r.ended.main_status).toBe(1);
  });

  test('expectations go on, assertions end the case and its exit and actions still run', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = await mixed_run();
    expect(diag(r, 'mixed', 'expect_fails')).toBe(
      [
        `    # expect_fails: EXPECTATION FAILED at ${MIXED}:43`,
        '    Expected x == 4, but',
        '        x == 3 (0x3)',
        `    # expect_fails: EXPECTATION FAILED at ${MIXED}:44`,
        '    Expected "a" == "b", but',
        // The kernel's blank line before a message (blank lines are not kept).
        'note 7',
        '    # expect_fails: still running after the expectations',
      ].join('\n'),
    );
    expect(diag(r, 'mixed', 'assert_ends')).toBe(
      [`    # assert_ends: ASSERTION FAILED at ${MIXED}:52`, '    Expected reached > 0 to be true, but is false'].join(
        '\n',
      ),
    );
    // actions_ran checks that the action of the asserting case ran once.
    expect(statuses(r, 'mixed')['actions_ran']).toBe('pass');
    const skipped = r.kunit.suites[0]!.cases.find((c) => c.name === 'skipped')!;
    expect(skipped.skip_reason).toBe('no hardware here');
    expect(skipped.diagnostics).toEqual([]);
  });

  test('the sanitizer fails the case it fires in, with its report in the diagnostic lines', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = await mixed_run();
    expect(diag(r, 'mixed', 'pool_double_free')).toMatch(/# pool_double_free: .*dma_pool_free dbl, .* already free/);
    expect(diag(r, 'mixed', 'pool_double_free')).toContain(`dma_pool_free() called from ${MIXED}:90`);
    expect(diag(r, 'mixed', 'pool_leak')).toBe(
      [
        '    # pool_leak: dmashim: leak: DMA memory allocated in this case was not freed when it ended:',
        '      1 block in pool leaky (32 bytes) on 0000:00:06.0, allocated at (sites off)',
        '      dma_pool leaky on 0000:00:06.0 was not destroyed',
      ].join('\n'),
    );
    expect(diag(r, 'mixed', 'warns')).toContain(`WARNING: at ${MIXED}:117 warns()`);
    expect(diag(r, 'mixed', 'sleeps_in_atomic')).toContain('BUG: sleeping function called from invalid context');
    expect(diag(r, 'mixed', 'dma_debug_error')).toContain(
      'DMA-API: pci 0000:00:06.0: device driver frees DMA memory with different size',
    );
    // Handed to a deferred action: freed in time, not a leak.
    expect(diag(r, 'mixed', 'pool_managed')).toBe('');
    // What suite_exit found (the pool pool_leak left) fails the suite, not a case.
    expect(r.kunit.suites[0]!.diagnostics.join('\n')).toContain(
      '# mixed: pci 0000:00:06.0: leak: dma_pool leaky has 1 block',
    );
  });

  test('the same accounting with the C pool cache off (it is on by default)', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = await run_kunit([MIXED], { cwd: ROOT, quiet: true, pool_cache: false, filter: 'mixed.pool_*' });
    expect(statuses(r, 'mixed')).toEqual({ pool_double_free: 'fail', pool_leak: 'fail', pool_managed: 'pass' });
  });

  test('--no-fail-on-findings: the status is 1 because cases failed', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = await run_kunit([MIXED], { cwd: ROOT, quiet: true, fail_on_findings: false, filter: 'mixed.warns' });
    expect(statuses(r, 'mixed')).toEqual({ warns: 'fail' });
    expect(r.status).toBe(1);
  });
});

describe('dmashim test: suite_init', () => {
  test('a report in suite_init fails the suite, not its case; a failed suite_init runs no case', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = await run_kunit(['test/kunit/c/suite_init.c'], { cwd: ROOT, quiet: true });
    expect(r.stdout).toBe(
      [
        'KTAP version 1',
        '1..3',
        '    KTAP version 1',
        '    # Subtest: warning_init',
        '    1..1',
        '    ok 1 fine',
        '    # warning_init: ------------[ cut here ]------------',
        '    WARN_ON(1)',
        '    WARNING: at test/kunit/c/suite_init.c:12 warning_init()',
        'not ok 1 warning_init',
        '    # failed to initialize (-12)',
        'not ok 2 failing_init',
        '    KTAP version 1',
        '    # Subtest: fine',
        '    1..1',
        '    ok 1 also_fine',
        'ok 3 fine',
        '',
      ].join('\n'),
    );
    expect(r.kunit.suites.map((s) => [s.name, s.status, s.cases.length])).toEqual([
      ['warning_init', 'fail', 1],
      ['failing_init', 'fail', 0],
      ['fine', 'pass', 1],
    ]);
    expect(r.kunit.counts).toEqual({ pass: 2, fail: 0, skip: 0, total: 2 });
    expect(r.status).toBe(3);
  });
});

describe('dmashim test: atomic context', () => {
  test('an assertion inside a spinlock fails the case; the next case does not inherit the context', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = await run_kunit(['test/kunit/c/atomic.c'], { cwd: ROOT, quiet: true });
    expect(statuses(r, 'atomic')).toEqual({ asserts_under_lock: 'fail', sleeps_after: 'pass' });
    expect(diag(r, 'atomic', 'asserts_under_lock')).toContain(
      '    # asserts_under_lock: dmashim: the case ended in atomic context (preempt_count 1, irqs on); reset for the next case',
    );
    expect(r.findings).toEqual([]);
    expect(r.status).toBe(1);
  });
});

describe('dmashim test: parameters', () => {
  test('generators of both ages: (test, prev, desc) and (prev, desc)', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = await run_kunit(['test/kunit/c/params.c'], { cwd: ROOT, quiet: true });
    const cases = r.kunit.suites[0]!.cases;
    expect(cases.map((c) => [c.name, c.status, c.params.map((p) => `${p.name}:${p.status}`)])).toEqual([
      ['positive', 'pass', ['new 1:pass', 'new 2:pass', 'new 3:pass']],
      ['positive_old', 'pass', ['param-0:pass', 'param-1:pass']],
    ]);
    expect(r.stdout).toContain('# Totals: pass:5 fail:0 skip:0 total:5\n');
    expect(r.status).toBe(0);
  });
});

describe('dmashim test: KTAP as the kernel prints it', () => {
  test('the shape: header, plans, subtests, parameters, stats, results', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = await mixed_run();
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 6)).toEqual([
      'KTAP version 1',
      '1..2',
      '    KTAP version 1',
      '    # Subtest: mixed',
      '    1..13',
      '    ok 1 passes',
    ]);
    const param = lines.indexOf('        # Subtest: param_sizes');
    expect(lines[param - 1]).toBe('        KTAP version 1');
    expect(lines.slice(param + 1, param + 2)).toEqual(['        ok 1 sixteen']);
    expect(lines).toContain('        not ok 2 forty-eight');
    expect(lines).toContain('        ok 3 page # SKIP too big');
    expect(lines).toContain('    # param_sizes: pass:1 fail:1 skip:1 total:3');
    expect(lines).toContain('    not ok 13 param_sizes');
    expect(lines).toContain('    ok 4 skipped # SKIP no hardware here');
    expect(lines).toContain('# mixed: pass:3 fail:9 skip:1 total:13');
    expect(lines).toContain('# Totals: pass:4 fail:9 skip:2 total:15');
    expect(lines).toContain('not ok 1 mixed');
    expect(lines.slice(-6)).toEqual([
      '    KTAP version 1',
      '    # Subtest: clean',
      '    1..1',
      '    ok 1 trivially',
      'ok 2 clean',
      '',
    ]);
  });

  test('--filter takes suite_glob.case_glob as kunit.py does; a suite with nothing selected is left out', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = await run_kunit([MIXED], { cwd: ROOT, quiet: true, filter: 'mix*.pa*' });
    expect(r.stdout.split('\n').slice(0, 5)).toEqual([
      'KTAP version 1',
      '1..1',
      '    KTAP version 1',
      '    # Subtest: mixed',
      '    1..2',
    ]);
    expect(statuses(r, 'mixed')).toEqual({ passes: 'pass', param_sizes: 'fail' });
    const only = await run_kunit([MIXED], { cwd: ROOT, quiet: true, filter: 'clean' });
    expect(only.kunit.suites.map((s) => s.name)).toEqual(['clean']);
    expect(only.status).toBe(0);
  });

  test('parse_ktap: an output cut short is incomplete', () => {
    const r = parse_ktap('KTAP version 1\n1..2\n    KTAP version 1\n    # Subtest: a\n    1..1\n    ok 1 x\nok 1 a\n');
    expect(r.incomplete).toBe(true);
    expect(r.counts).toEqual({ pass: 1, fail: 0, skip: 0, total: 1 });
  });
});

describe('the KUnit examples', () => {
  test('examples/kunit-dmapool.c: the dmapool_test workload passes every geometry', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = await run_kunit(['examples/kunit-dmapool.c'], { cwd: ROOT, quiet: true });
    expect(r.kunit.counts).toEqual({ pass: 3, fail: 0, skip: 0, total: 3 });
    expect(r.kunit.suites[0]!.cases[0]!.params.map((p) => p.status)).toEqual(Array(7).fill('pass'));
    expect(r.status).toBe(0);
  });

  test('examples/kunit-ring.c: the descriptor ring passes, with no finding', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = await run_kunit(['examples/kunit-ring.c'], { cwd: ROOT, quiet: true });
    expect(r.kunit.counts).toEqual({ pass: 3, fail: 0, skip: 0, total: 3 });
    expect(r.findings).toEqual([]);
    expect(r.status).toBe(0);
  });
});

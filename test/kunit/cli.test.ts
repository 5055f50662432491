/*
 * `dmashim test` as users run it (the compiled CLI): KTAP on stdout, the exit
 * status, --filter, --report, run()'s flags, and bad input in one line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test, expect } from 'vitest';
import { bridge_skip_reason, ROOT } from '../bridge/helpers.ts';
import { cli_refused } from '../cli-main.ts';

const skip = bridge_skip_reason();
const BIN = path.join(ROOT, 'bin', 'dmashim.js');

function dmashim_test(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['VITEST'];
  delete env['DMASHIM_QUIET'];
  const r = spawnSync(process.execPath, [BIN, 'test', ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('dmashim test', () => {
  test('a passing file: KTAP on stdout, exit 0', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_test(['examples/kunit-ring.c', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.startsWith('KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: rx_ring\n    1..3\n')).toBe(
      true,
    );
    expect(r.stdout.endsWith('ok 1 rx_ring\n')).toBe(true);
  });

  test('failing cases: exit 1, or 3 when the sanitizer found something; --filter; --report', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const expectations = dmashim_test(['test/kunit/c/mixed.c', '-q', '--filter', 'mixed.expect_fails']);
    expect(expectations.status).toBe(1);
    expect(expectations.stdout).toContain('    not ok 1 expect_fails\n');
    const dir = mkdtempSync(path.join(tmpdir(), 'dmashim-kunit-cli-'));
    try {
      const report = path.join(dir, 'r.json');
      const r = dmashim_test(['test/kunit/c/mixed.c', '-q', '--filter=mixed.pool_*', '--report', report]);
      expect(r.status).toBe(3);
      expect(r.stderr).toContain('finding');
      const j = JSON.parse(readFileSync(report, 'utf8')) as {
        version: number;
        ended: { how: string; main_status: number };
        counts: Record<string, number>;
        kunit: { counts: Record<string, number>; suites: Array<{ cases: Array<{ name: string; status: string }> }> };
      };
      expect(j.version).toBe(1);
      expect(j.ended).toMatchObject({ how: 'exit', main_status: 1 });
      expect(j.counts['pool']).toBe(2); // the double free, and the busy pool at device_unregister
      expect(j.kunit.counts).toEqual({ pass: 1, fail: 2, skip: 0, total: 3 });
      expect(j.kunit.suites[0]!.cases.map((c) => `${c.name}:${c.status}`)).toEqual([
        'pool_double_free:fail',
        'pool_leak:fail',
        'pool_managed:pass',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("run()'s flags reach the machine: fault injection fails the case whose allocation fails", (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_test(['examples/kunit-dmapool.c', '-q', '--filter', 'dmapool.dmapool_zalloc', '--fail-nth', '1']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('    # dmapool_zalloc: ASSERTION FAILED at examples/kunit-dmapool.c:');
    expect(r.stdout).toContain('    not ok 1 dmapool_zalloc\n');
  });

  test('bad input: one line, exit 2', async () => {
    // The CLI's main() in this process: each is refused before anything is built (a process for one of them).
    const proc = dmashim_test(['examples/kunit-ring.c', '--bogus']);
    expect(proc.status).toBe(2);
    expect(proc.stdout).toBe('');
    expect(proc.stderr).toBe('dmashim: unknown option --bogus; dmashim run --help lists them\n');
    for (const [args, msg] of [
      [['--filter'], '--filter needs a value'],
      [[], 'no KUnit source given'],
      [['examples/kunit-ring.c', '--', 'x'], 'takes no program arguments'],
      [['examples/kunit-ring.c', '--bogus'], 'unknown option --bogus'],
      [['no-such.c'], 'no-such.c: no such file'],
    ] as const) {
      const r = await cli_refused(['test', ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr).toContain(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

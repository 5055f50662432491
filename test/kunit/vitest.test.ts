/*
 * `import { kunit } from 'dmashim/vitest'`: one vitest test per case, named
 * suite.case, failing with the case's failure text. The passing example runs
 * here; the failing fixture runs in a child vitest whose JSON report we read.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test, expect } from 'vitest';
import { bridge_skip_reason, ROOT } from '../bridge/helpers.ts';
import { kunit } from '../dist.ts';

const skip = bridge_skip_reason();

// The ring example's three cases, listed by vitest as rx_ring.<case>.
if (skip === null) await kunit('examples/kunit-ring.c', { cwd: ROOT, quiet: true });

interface JsonReport {
  testResults: Array<{
    assertionResults: Array<{ fullName: string; status: string; failureMessages: string[] }>;
  }>;
}

describe('dmashim/vitest', () => {
  test('a failing KUnit file: one test per case, suite.case, with the failure text', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const dir = mkdtempSync(path.join(tmpdir(), 'dmashim-kunit-vitest-'));
    try {
      const out = path.join(dir, 'report.json');
      const env: NodeJS.ProcessEnv = { ...process.env };
      delete env['VITEST'];
      const r = spawnSync(
        process.execPath,
        [
          path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'),
          'run',
          '--config',
          'test/kunit/fixture/vitest.config.ts',
          '--reporter=json',
          `--outputFile=${out}`,
        ],
        { cwd: ROOT, env, encoding: 'utf8' },
      );
      expect(r.status, r.stderr).toBe(1);
      const report = JSON.parse(readFileSync(out, 'utf8')) as JsonReport;
      const results = report.testResults.flatMap((f) => f.assertionResults);
      expect(results.map((t) => [t.fullName, t.status])).toEqual([
        ['mixed.passes', 'passed'],
        ['mixed.expect_fails', 'failed'],
        ['mixed.skipped (no hardware here)', 'skipped'],
        ['mixed.pool_double_free', 'failed'],
        ['mixed.pool_leak', 'failed'],
        ['mixed.pool_managed', 'passed'],
        ['mixed.sleeps_in_atomic', 'failed'],
        ['mixed.param_sizes', 'failed'],
      ]);
      const fail = results.find((t) => t.fullName === 'mixed.expect_fails')!.failureMessages.join('\n');
      expect(fail).toContain('mixed.expect_fails failed');
      expect(fail).toContain('# expect_fails: EXPECTATION FAILED at test/kunit/c/mixed.c:43');
      expect(fail).toContain('x == 3 (0x3)');
      const leak = results.find((t) => t.fullName === 'mixed.pool_leak')!.failureMessages.join('\n');
      expect(leak).toContain('1 block in pool leaky (32 bytes)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

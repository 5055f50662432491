/*
 * Issue 13's misuse suite, C path: test/bridge/c/misuse_suite.c runs every
 * scenario of c_scenarios in one program (one `dmashim run` is about a
 * second); its log is split at each "misuse: <id>" line. Then the same
 * program fails CI (status 3) without --no-fail-on-findings, and an invalid
 * direction stops it (status 70, the core's BUG).
 */
import { describe, test, expect, beforeAll } from 'vitest';
import { bridge_skip_reason, ROOT } from '../bridge/helpers.ts';
import { run } from '../dist.ts';
import { c_scenarios } from './scenarios.ts';

const skip = bridge_skip_reason();
const PROG = ['test/bridge/c/misuse_suite.c'];

describe.skipIf(skip !== null)('misuse from C', () => {
  const values = new Map<string, number>();
  const logs = new Map<string, string>();
  let status = -1;

  beforeAll(async () => {
    const r = await run(PROG, { cwd: ROOT, fail_on_findings: false, all_errors: true });
    status = r.status;
    for (const line of r.stdout.split('\n')) {
      const [id, v] = line.split(' ');
      if (id && v !== undefined) values.set(id, Number(v));
    }
    // Each scenario's log: from its marker to the next one.
    const parts = r.stderr.split(/^misuse: (\S+)\n/m);
    for (let i = 1; i < parts.length; i += 2) logs.set(parts[i]!, parts[i + 1] ?? '');
  }, 120_000);

  test('the program ran every scenario to the end', () => {
    expect(status).toBe(0);
    expect(values.get('c-end')).toBe(0);
    for (const s of c_scenarios) expect(values.has(s.id), s.id).toBe(true);
  });

  for (const s of c_scenarios) {
    const t = s.known ? test.fails : test;
    t(`${s.id}: ${s.does}`, () => {
      const e = s.expect;
      const log = logs.get(s.id) ?? '';
      if ('returns' in e) expect(values.get(s.id)).toBe(e.returns);
      if (e.log) expect(log).toMatch(e.log);
      if (e.quiet) expect(log).toBe('');
    });
  }

  test('the same run fails CI with status 3 (findings) when not told otherwise', async () => {
    const r = await run(PROG, { cwd: ROOT, quiet: true });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/findings \(.*dma-debug.*\)/);
  }, 120_000);

  test('an invalid DMA direction from C stops the program: status 70, the kernel BUG text, no value after it', async () => {
    const r = await run(PROG, { cwd: ROOT, args: ['bug'], fail_on_findings: false });
    expect(r.status).toBe(70);
    expect(r.stderr).toMatch(/kernel BUG at kernel\/dma\/mapping\.c/);
    expect(r.stdout).not.toContain('c-bug-dir');
  }, 120_000);
});

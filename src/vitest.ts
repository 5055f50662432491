/*
 * `import { kunit } from 'dmashim/vitest'`: a C KUnit file as vitest tests,
 * one per case, named suite.case, failing with the case's KTAP diagnostic
 * lines (the failed expectations, the sanitizer's reports). Call it at the top
 * level of a test file with await: the program runs while vitest collects the
 * file, and the tests it registers report each case's result.
 */
import { test } from 'vitest';
import { run_kunit, type KunitOptions, type KunitResult } from './kunit/run.ts';

export { run_kunit, type KunitOptions, type KunitResult } from './kunit/run.ts';
export type { KtapResult, KunitCase, KunitSuite, KunitStatus, KunitParam } from './kunit/ktap.ts';

/** A failed KUnit case: its message is the case's diagnostic lines. */
export class KunitCaseFailure extends Error {
  constructor(name: string, lines: readonly string[]) {
    super(`${name} failed\n${lines.join('\n')}`);
    this.name = 'KunitCaseFailure';
  }
}

/**
 * Run the KUnit suites of `files` (C sources, as `dmashim test` takes them)
 * and register one vitest test per case: passed cases pass, skipped ones are
 * skipped, failed ones throw KunitCaseFailure. When the program does not get
 * through its suites (it does not compile, crashes, times out), one more test
 * named after the files fails with the reason. Resolves with the whole result.
 */
export async function kunit(files: string | string[], options: KunitOptions = {}): Promise<KunitResult> {
  const list = typeof files === 'string' ? [files] : files;
  const r = await run_kunit(list, { ...options, stdio: 'pipe' });
  for (const s of r.kunit.suites) {
    for (const c of s.cases) {
      const name = `${s.name}.${c.name}`;
      if (c.status === 'skip') test.skip(`${name} (${c.skip_reason ?? 'skipped'})`, () => {});
      else
        test(name, () => {
          if (c.status === 'fail') throw new KunitCaseFailure(name, c.diagnostics);
        });
    }
    if (s.status === 'fail' && s.cases.every((c) => c.status !== 'fail'))
      test(s.name, () => {
        throw new KunitCaseFailure(s.name, s.diagnostics);
      });
  }
  if (r.kunit.incomplete || r.ended.how !== 'exit')
    test(list.join(' '), () => {
      const why = r.ended.message ?? (r.ended.signal ? `killed by ${r.ended.signal}` : `status ${r.status}`);
      throw new Error(`${list.join(' ')}: the suites did not run to the end (${r.ended.how}: ${why})\n${r.stderr}`);
    });
  return r;
}

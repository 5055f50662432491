/*
 * `dmashim test` as a function: run() on the KUnit files with main defined as
 * the KUnit runner (native/kunit.c), then the KTAP it printed read back into
 * suites and cases. The CLI (cli.ts) and the vitest integration (src/vitest.ts)
 * both come here.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { invalidOption } from '../lib/errors.ts';
import { run, type RunOptions, type RunResult } from '../bridge/run.ts';
import { parse_ktap, type KtapResult } from './ktap.ts';

export type { KtapResult, KunitCase, KunitCounts, KunitParam, KunitStatus, KunitSuite } from './ktap.ts';

export interface KunitOptions extends RunOptions {
  /** "suite_glob[.case_glob]", as kunit.py's filter_glob: only the matching suites and cases run. */
  filter?: string;
}

export interface KunitResult extends RunResult {
  kunit: KtapResult;
}

/* The link makes the runner the program's main: a KUnit file has none of its own. */
const KUNIT_MAIN = '-Wl,--defsym=main=dmashim_kunit_main';

/**
 * Run the KUnit suites of `files` (our API). Resolves with run()'s result and
 * the suites and cases read from the KTAP; throws a DmashimError for a bad
 * option. Every dma-debug error is printed (not only the first), so that each
 * fails the case it happens in, unless the options say otherwise.
 */
export async function run_kunit(files: string[], options: KunitOptions = {}): Promise<KunitResult> {
  if (options === null || typeof options !== 'object') invalidOption('options must be an object');
  const { filter, report, ...rest } = options;
  if (filter !== undefined && (typeof filter !== 'string' || /\s/.test(filter)))
    invalidOption(`--filter: bad glob ${JSON.stringify(filter)} (suite_glob[.case_glob], no spaces)`);
  if (rest.args !== undefined) invalidOption('a KUnit program takes no program arguments');
  const o: RunOptions = {
    ...rest,
    args: filter ? [filter] : [],
    ldflags: [...(rest.ldflags ?? []), KUNIT_MAIN],
  };
  if (o.num_errors === undefined && o.all_errors === undefined) o.all_errors = true;
  const r = await run(files, o);
  const result: KunitResult = { ...r, kunit: parse_ktap(r.stdout) };
  if (report !== undefined) {
    // run()'s report, and the suites and cases.
    const { stdout: _o, stderr: _e, status: _s, ...body } = result;
    try {
      writeFileSync(path.resolve(o.cwd ?? process.cwd(), report), `${JSON.stringify(body, null, 2)}\n`);
    } catch (e) {
      process.stderr.write(`dmashim: --report ${report}: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  return result;
}

/*
 * Reads the KTAP that `dmashim test` programs print (native/kunit.c, in the
 * kernel's layout) back into suites and cases, for the --report JSON and the
 * vitest integration. Only our own output's shape is read: a top-level plan,
 * suites as subtests at depth 1, cases at depth 1 of a suite, parameters at
 * depth 2, diagnostic lines before the result they belong to.
 */

export type KunitStatus = 'pass' | 'fail' | 'skip';

/** One parameter of a parameterised case. */
export interface KunitParam {
  name: string;
  status: KunitStatus;
  /** The # SKIP reason, when skipped. */
  skip_reason: string | null;
  diagnostics: string[];
}

export interface KunitCase {
  name: string;
  status: KunitStatus;
  skip_reason: string | null;
  /** The case's diagnostic lines (failure texts, kunit_info(), sanitizer findings), as printed. */
  diagnostics: string[];
  /** Empty unless the case is parameterised. */
  params: KunitParam[];
}

export interface KunitSuite {
  name: string;
  status: KunitStatus;
  skip_reason: string | null;
  /** Lines outside any case (a suite_init failure, findings in suite_init or suite_exit). */
  diagnostics: string[];
  cases: KunitCase[];
}

export interface KunitCounts {
  pass: number;
  fail: number;
  skip: number;
  total: number;
}

export interface KtapResult {
  /** The top-level plan (number of suites), or null when no KTAP header was seen. */
  plan: number | null;
  suites: KunitSuite[];
  /** Cases (not parameters) by result, over every suite. */
  counts: KunitCounts;
  /** True when the output ended before every planned suite's result line (a crash or a timeout). */
  incomplete: boolean;
}

const RESULT = /^(ok|not ok) \d+ (.*?)(?: # SKIP ?(.*))?$/;
const STATS = /^# (?:\S+|Totals): pass:\d+ fail:\d+ skip:\d+ total:\d+$/;

function status_of(ok: string, skip: string | undefined): KunitStatus {
  return ok === 'not ok' ? 'fail' : skip !== undefined ? 'skip' : 'pass';
}

/** Parse `dmashim test` output (KTAP version 1). Lines before the header are ignored. */
export function parse_ktap(text: string): KtapResult {
  const suites: KunitSuite[] = [];
  let plan: number | null = null;
  let started = false;
  let suiteCases: KunitCase[] = [];
  let params: KunitParam[] = [];
  let caseDiag: string[] = [];
  let pending: string[] = [];
  for (const raw of text.split('\n')) {
    if (!started) {
      if (raw === 'KTAP version 1') started = true;
      continue;
    }
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    if (line === '') continue;
    if (line === 'KTAP version 1' || line.startsWith('# Subtest: ')) continue;
    if (/^\d+\.\.\d+$/.test(line)) {
      if (indent === 0 && plan === null) plan = Number(line.split('..')[1]);
      continue;
    }
    const m = RESULT.exec(line);
    if (m && (indent === 0 || indent === 4 || indent === 8)) {
      const status = status_of(m[1]!, m[3]);
      const skip_reason = status === 'skip' ? (m[3] ?? '') : null;
      if (indent === 8) {
        params.push({ name: m[2]!, status, skip_reason, diagnostics: pending });
        caseDiag.push(...pending);
      } else if (indent === 4) {
        suiteCases.push({ name: m[2]!, status, skip_reason, diagnostics: [...caseDiag, ...pending], params });
        params = [];
        caseDiag = [];
      } else {
        suites.push({ name: m[2]!, status, skip_reason, diagnostics: [...caseDiag, ...pending], cases: suiteCases });
        suiteCases = [];
        params = [];
        caseDiag = [];
      }
      pending = [];
      continue;
    }
    if (indent <= 4 && STATS.test(line)) continue;
    pending.push(raw);
  }
  const counts: KunitCounts = { pass: 0, fail: 0, skip: 0, total: 0 };
  for (const s of suites)
    for (const c of s.cases) {
      counts[c.status]++;
      counts.total++;
    }
  return { plan, suites, counts, incomplete: plan === null || suites.length < plan };
}

/*
 * What a run found: the kernel log's reports, sorted by kind as they are
 * logged, so that `dmashim run` can fail the way a KASAN report fails a KUnit
 * test, and `--report FILE` / run() can list them.
 *
 * A report is recognised by the kernel's own first line ("DMA-API: ...", the
 * "cut here" banner, "BUG: sleeping function called ...", ...); the lines that
 * follow it at warning level or above belong to it, up to the bridge's
 * "fn() called from file.c:LINE" line, which names the C call.
 */
import { KERN_ERR, KERN_WARNING, type LogRecord } from '../kernel/printk.ts';

/** The kinds of finding, in the order the summary lists them. */
export const FINDING_KINDS = [
  'dma-debug',
  'pool',
  'warn',
  'bug',
  'might-sleep',
  'lock',
  'memory',
  'misuse',
  'leak',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export interface Finding {
  kind: FindingKind;
  /** The kernel's text, one log record a line. */
  text: string[];
  /** The C `file:line` of the call that made the report, when one is named. */
  site: string | null;
  /** Where the memory concerned was allocated or mapped, when the report says (needs --sites for C lines). */
  allocated: string | null;
}

/** One line per kind of report: its first log line. The order matters (the first match wins). */
const STARTS: ReadonlyArray<[RegExp, FindingKind]> = [
  [/^DMA-API: (?!exceeded \d+ overlapping)/, 'dma-debug'],
  [/^-+\[ cut here \]-+$/, 'warn'],
  [/^BUG: sleeping function called from invalid context/, 'might-sleep'],
  [/^BUG: (spinlock|mutex) |^DEBUG_LOCKS_WARN_ON/, 'lock'],
  [/^BUG: Bad page state|^BUG \S+ \(Not tainted\)|^pagealloc: memory corruption/, 'memory'],
  [/^kernel BUG at |^BUG: /, 'bug'],
  [
    /(^|: )dmam?_pool_\w+ \S+.*(\(bad dma\)|\(bad vaddr\)|already free| busy$|\(corrupted\)|used after dma_pool_destroy)|(^|: )leak: dma_pool /,
    'pool',
  ],
];
const MISUSE = /^dmashim: (?!leak report)/;
const CALLED_FROM = /^(\w+)\(\) called from (\S+)$/;
const SITE_IN_TEXT = /\b(?:at|called from) (\S+\.c:\d+)/;
const ALLOCATED = /\b(?:allocated|mapped) at (\S+:\d+)/;

function kind_of(r: LogRecord): FindingKind | null {
  if (r.level > KERN_WARNING) return null;
  for (const [re, kind] of STARTS) if (re.test(r.text)) return kind;
  if (r.level <= KERN_ERR && MISUSE.test(r.text)) return 'misuse';
  return null;
}

/**
 * Collects findings from log records, in order. `add` takes every record;
 * `done` closes the open one. A finding is handed to `emit` when it is closed.
 */
export class FindingCollector {
  readonly findings: Finding[] = [];
  private open: Finding | null = null;
  /** After a WARN's "WARNING: at" line only the bridge's "called from" line still belongs to it. */
  private tailOnly = false;
  private mappedNext = false;

  private readonly emit: (f: Finding) => void;

  constructor(emit: (f: Finding) => void = () => {}) {
    this.emit = emit;
  }

  add(r: LogRecord): void {
    const kind = kind_of(r);
    if (kind !== null) {
      this.done();
      this.open = { kind, text: [r.text], site: null, allocated: null };
      this.scan(r.text);
      return;
    }
    const f = this.open;
    if (f === null) return;
    const cf = CALLED_FROM.exec(r.text);
    if (cf) {
      f.text.push(r.text);
      f.site = cf[2]!;
      this.done();
      return;
    }
    if (r.level > KERN_WARNING || this.tailOnly) {
      this.done();
      return;
    }
    f.text.push(r.text);
    this.scan(r.text);
  }

  private scan(line: string): void {
    const f = this.open!;
    if (this.mappedNext) {
      this.mappedNext = false;
      f.allocated ??= line.trim();
    }
    if (line === 'Mapped at:') this.mappedNext = true;
    const a = ALLOCATED.exec(line);
    if (a && f.allocated === null && !a[1]!.startsWith('(')) f.allocated = a[1]!;
    if (line.startsWith('WARNING: at ')) {
      // A C WARN names its line and ends there; the core's WARN names a kernel function and its message follows.
      const w = /^WARNING: at (\S+:\d+)/.exec(line);
      if (w) {
        f.site = w[1]!;
        this.tailOnly = true;
      }
    } else if (f.site === null && f.kind !== 'warn') {
      const s = SITE_IN_TEXT.exec(line);
      if (s && !ALLOCATED.test(line)) f.site = s[1]!;
    }
  }

  /** Close the open finding (at the end of the run, or when an unrelated record follows). */
  done(): void {
    const f = this.open;
    this.open = null;
    this.tailOnly = false;
    this.mappedNext = false;
    if (f === null) return;
    this.findings.push(f);
    this.emit(f);
  }
}

/** Counts by kind, every kind present (0 when none). */
export type FindingCounts = Record<FindingKind, number>;

export function count_findings(findings: readonly Finding[], dma_debug_errors = 0): FindingCounts {
  const c = Object.fromEntries(FINDING_KINDS.map((k) => [k, 0])) as FindingCounts;
  for (const f of findings) c[f.kind]++;
  // dma-debug prints only its first error by default but counts them all: the count is the larger.
  c['dma-debug'] = Math.max(c['dma-debug'], dma_debug_errors);
  return c;
}

export function total_findings(c: FindingCounts): number {
  return FINDING_KINDS.reduce((s, k) => s + c[k], 0);
}

/** "2 dma-debug, 1 warn" (kinds with a count only). */
export function describe_counts(c: FindingCounts): string {
  return FINDING_KINDS.filter((k) => c[k] > 0)
    .map((k) => `${c[k]} ${k}`)
    .join(', ');
}

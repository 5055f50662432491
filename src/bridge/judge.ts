/*
 * How a run went, once the program has ended: the events the runner wrote,
 * the way it ended (status, signal, timeout, stop) and the crash record turned
 * into findings, a status and the report. run() judges a runner it waited for;
 * a run in the CLI's own process (run_here) judges when the program ends, or,
 * after a crash, a stop or its timeout, the process it became (aftermath.ts).
 * Both read the same Job, which is why it is plain JSON.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { crash_report } from './crash.ts';
import { FindingCollector, count_findings, describe_counts, total_findings } from './report.ts';
import type { RunEnded, RunReport, RunResult } from './run.ts';
import type { RunEvent } from './runner.ts';

export const EXIT_USAGE = 2;
export const EXIT_FINDINGS = 3;
export const EXIT_INTERNAL = 70;
export const EXIT_TIMEOUT = 124;
export const EXIT_SIGNAL_BASE = 128;

/** What judging needs besides the way the run ended. */
export interface Job {
  /** The C sources, as given. */
  sources: string[];
  cwd: string;
  argv: string[];
  /** The program's shared object (addr2line reads it after a crash). */
  so: string;
  events: string;
  crash: string;
  /** The run's build folder: removed once judged unless `keep`. */
  build_dir: string;
  keep: boolean;
  /** Where the --report JSON goes (absolute), or null. */
  report: string | null;
  fail_on_findings: boolean;
  /** Whether the leak check's findings count (false with --no-leaks). */
  leak_check: boolean;
  timeout_ms: number;
}

/** How the program's process ended. */
export interface Ended {
  status: number | null;
  /** A signal's name (SIGSEGV): plain strings, since the published types must not need @types/node. */
  signal: string | null;
  timed_out: boolean;
  /** The stop that ended it (a signal sent to us, or run()'s AbortSignal), not a crash. */
  stop: string | null;
  /** The stop reached the program through us (a runner process) rather than directly. */
  forwarded: boolean;
}

/* Where our messages and the children's output go. */
export class Output {
  stdout = '';
  stderr = '';
  readonly inherit: boolean;
  readonly tee: boolean;
  constructor(inherit: boolean, tee: boolean) {
    this.inherit = inherit;
    this.tee = tee;
  }
  err(s: string): void {
    if (this.inherit || this.tee) process.stderr.write(s);
    if (!this.inherit) this.stderr += s;
  }
}

export function signal_number(sig: string): number {
  return osConstants.signals[sig as keyof typeof osConstants.signals] ?? 0;
}

export function signal_name(signo: number): string | null {
  for (const [name, n] of Object.entries(osConstants.signals)) if (n === signo) return name;
  return null;
}

function signal_description(sig: string): string {
  const names: Record<string, string> = {
    SIGSEGV: 'segmentation fault',
    SIGBUS: 'bus error',
    SIGABRT: 'aborted',
    SIGFPE: 'floating point exception',
    SIGILL: 'illegal instruction',
    SIGKILL: 'killed',
    SIGTERM: 'terminated',
    SIGINT: 'interrupted',
    SIGHUP: 'hangup',
  };
  return names[sig] ?? sig;
}

/** The report's start: what is known before the program runs. */
export function report_base(job: Pick<Job, 'sources' | 'argv' | 'fail_on_findings'>): Omit<RunReport, 'ended'> {
  return {
    version: 1,
    program: [...job.sources],
    argv: job.argv,
    fail_on_findings: job.fail_on_findings,
    counts: count_findings([]),
    findings: [],
    leaks: null,
    pools: null,
  };
}

/** The build folder goes (or is named, with --keep) and the --report file is written: the last steps of every run. */
export function finish_run(job: Pick<Job, 'build_dir' | 'keep' | 'report'>, report: RunReport, out: Output): RunResult {
  if (job.build_dir !== '') {
    if (!job.keep) rmSync(job.build_dir, { recursive: true, force: true });
    else out.err(`dmashim: build kept in ${job.build_dir}\n`);
  }
  if (job.report !== null) {
    try {
      writeFileSync(job.report, JSON.stringify(report, null, 2) + '\n');
    } catch (e) {
      out.err(`dmashim: --report ${job.report}: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  return { ...report, status: report.ended.status, stdout: out.stdout, stderr: out.stderr };
}

/** A run that ended before its program could run (the build failed, the runner did not start): one line, judged. */
export function ended_early(job: Job, how: RunEnded['how'], status: number, message: string, out: Output): RunResult {
  out.err(`dmashim: ${message}\n`);
  const ended: RunEnded = { how, status, main_status: null, signal: null, message };
  return finish_run(job, { ...report_base(job), ended }, out);
}

/** Judge a run whose program has ended: its findings, status and report (written), the build folder gone. */
export function judge(job: Job, ran: Ended, out: Output): RunResult {
  const collector = new FindingCollector();
  let end: Extract<RunEvent, { t: 'end' }> | null = null;
  let error: string | null = null;
  const text = existsSync(job.events) ? readFileSync(job.events, 'utf8') : '';
  for (const line of text.split('\n')) {
    if (!line) continue;
    let e: RunEvent;
    try {
      e = JSON.parse(line) as RunEvent;
    } catch {
      continue; // a line cut short by a crash
    }
    if (e.t === 'log') collector.add({ seq: 0, level: e.level, text: e.text });
    else if (e.t === 'info') collector.done();
    else if (e.t === 'error') error = e.message;
    else end = e;
  }
  collector.done();
  const findings = collector.findings;
  if (end && job.leak_check && !end.leaks.clean) {
    findings.push({
      kind: 'leak',
      text: end.leaks.text.split('\n'),
      site: null,
      allocated: end.leaks.groups.find((g) => /:\d+$/.test(g.site))?.site ?? null,
    });
  }
  const counts = count_findings(findings, end?.dma_debug_errors ?? 0);
  const total = total_findings(counts);
  const prog = job.sources.join(' ');
  let ended: RunEnded;
  if (ran.timed_out) {
    out.err(`dmashim: ${prog}: timed out after ${job.timeout_ms / 1000} s and was killed\n`);
    ended = { how: 'timeout', status: EXIT_TIMEOUT, main_status: null, signal: 'SIGKILL', message: null };
  } else if (ran.signal) {
    // Before the build folder goes: the record and the shared object are in it.
    const crash = ran.stop
      ? null
      : crash_report(job.crash, ran.signal, signal_number(ran.signal), job.so, job.sources, job.cwd);
    if (crash) out.err(crash.lines.map((l) => `${l}\n`).join(''));
    const verb = ran.stop
      ? `stopped by ${ran.stop}${ran.forwarded ? ' (forwarded)' : ''}`
      : `killed by signal ${ran.signal}`;
    out.err(`dmashim: ${prog}: ${verb} (${signal_description(ran.signal)})\n`);
    const status = EXIT_SIGNAL_BASE + signal_number(ran.signal);
    ended = { how: 'signal', status, main_status: null, signal: ran.signal, message: null };
    if (crash) ended.backtrace = crash.backtrace;
  } else if (end) {
    const status = total > 0 && job.fail_on_findings ? EXIT_FINDINGS : end.status;
    ended = { how: 'exit', status, main_status: end.main_status, signal: null, message: null };
  } else if (error !== null) {
    ended = { how: 'bad-option', status: EXIT_USAGE, main_status: null, signal: null, message: error };
  } else {
    const status = ran.status ?? EXIT_INTERNAL;
    ended = { how: 'runner-error', status, main_status: null, signal: null, message: null };
  }
  // One line even with --quiet: a CI log must show why the run failed.
  if (total > 0) {
    const what = `${total} finding${total === 1 ? '' : 's'} (${describe_counts(counts)})`;
    const tail =
      ended.how !== 'exit'
        ? ''
        : job.fail_on_findings
          ? `; exit status ${EXIT_FINDINGS} (main returned ${end!.main_status}; --no-fail-on-findings keeps main's status)`
          : `; not failing the run (--no-fail-on-findings); main returned ${end!.main_status}`;
    out.err(`dmashim: ${prog}: ${what}${tail}\n`);
  }
  return finish_run(
    job,
    { ...report_base(job), ended, counts, findings, leaks: end?.leaks ?? null, pools: end?.pools ?? null },
    out,
  );
}

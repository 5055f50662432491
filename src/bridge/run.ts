/*
 * `dmashim run` as a function: compile C files against include/ with the C half
 * of the bridge into one shared object, run its main() in a child process
 * (runner.ts) on the TypeScript core, and say how it went: main's status, the
 * sanitizer's findings, the leaks, the pools files. The CLI (cli.ts) parses
 * its flags into RunOptions and calls run(); there is one implementation.
 *
 * Nothing is read from the caller's environment: the child gets the options,
 * not VITEST or DMASHIM_QUIET, and the compiler is `cc` unless `cc` says.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { RamBank } from '../arch/sim/machine.ts';
import type { FaultOptions } from '../lib/fault-inject.ts';
import { DmashimError, invalidOption } from '../lib/errors.ts';
import { kernel_cflags, kernel_version_string, parse_kernel_version } from '../include/linux/version.ts';
import type { LeakReport } from '../sim/sanitizer.ts';
import type { CrashFrame } from './crash.ts';
import {
  AFTERMATH,
  INCLUDE_DIR,
  NATIVE_DIR,
  runner_configure,
  runner_env,
  runner_node_args,
  runner_take,
} from './paths.ts';
import { EXIT_USAGE, Output, ended_early, judge, signal_number, type Job } from './judge.ts';
import { parse_make_deps, private_cache_dir, program_key, program_lookup, program_store } from './progcache.ts';
import type { FindingCounts, Finding } from './report.ts';
import { POOL_CACHE_MAX } from './abi.ts';
import { child_process } from './lazy.ts';
import type { BridgeMachineOptions, PoolsFile, RunConfig } from './runner.ts';

export type { CrashFrame } from './crash.ts';
export type { Finding, FindingCounts, FindingKind } from './report.ts';
export type { PoolsFile } from './runner.ts';

/** Exit statuses of `dmashim run` besides main's own (docs/bridge.md, "Exit status"). */
export { EXIT_USAGE, EXIT_FINDINGS, EXIT_INTERNAL, EXIT_TIMEOUT, EXIT_SIGNAL_BASE } from './judge.ts';
export const EXIT_BUILD = 4;

/** What C needs to compile against our headers (`dmashim cflags` prints it). A function: cli.ts and this module import each other. */
export function base_cflags(): string[] {
  return ['-std=gnu11', '-pthread', '-I', INCLUDE_DIR];
}

/** --pool-cache without a value: the default capacity. */
export const POOL_CACHE_DEFAULT = 8192;

/** The options of `dmashim run`, one per flag (`--swiotlb-size` is `swiotlb_size`). Sizes may be strings ("4M"). */
export interface RunOptions {
  /** Program arguments (what follows `--`); argv[0] is the first source. */
  args?: string[];
  /** Directory the program runs in and relative paths are taken from. Default: process.cwd(). */
  cwd?: string;
  /** 'pipe' (default): stdout and stderr are collected into the result. 'inherit': they go to ours. */
  stdio?: 'pipe' | 'inherit';
  /** With stdio 'pipe': also pass the output on to ours as it comes (`dmashim test` streams its KTAP and reads it). */
  tee?: boolean;
  /** Stops the run: the signal named by the abort reason (default SIGTERM) goes to the program's process group. */
  signal?: AbortSignal;
  threads?: boolean;
  pools?: boolean;
  /**
   * The leak check when the program ends (main returns or it calls exit()): DMA memory still held
   * (pool blocks, pools not destroyed, coherent buffers, mappings) is a finding and its report is
   * printed. Default: on, the report printed only when something leaked. true: the report is
   * printed even when clean (`--leaks`). false: no check (`--no-leaks`).
   */
  leaks?: boolean;
  /** Seconds (0 = none). */
  timeout?: number | string;
  /**
   * The C-side pool block cache: blocks per pool (2..65536), true = the default capacity (8192), false = off
   * (`--no-pool-cache`). Default: on with the default capacity wherever it is exact (not for a pool that a
   * fault injection probability may fail, nor with threads for a pool fault injection may fail at all).
   */
  pool_cache?: number | string | boolean;
  /** C compiler. Default 'cc' (the CLI passes $CC). */
  cc?: string;
  /** Extra compiler flags; each string is split at white space. */
  cflags?: string[];
  /**
   * The kernel whose shapes the headers give (`--kernel`): "2.4.31", "2.6.12", "6.16", ... It sets
   * LINUX_VERSION_CODE and DMASHIM_KERNEL for the program (include/dmashim/era.h) and the machine's `kernel`.
   * Default: the newest kernel plus every legacy name that does not conflict.
   */
  kernel?: string;
  /** Extra linker flags for the program (-L, -l), after its sources; each string is split at white space. */
  ldflags?: string[];
  verbose?: boolean;
  keep?: boolean;
  /**
   * The compile cache (default on): a program whose compiler, flags, inputs and included headers
   * are unchanged since an earlier run is not compiled again (src/bridge/progcache.ts).
   * false (`--no-cache`): always compile.
   */
  cache?: boolean;
  quiet?: boolean;
  debug?: boolean;
  loglevel?: number | string;
  /**
   * Machine options as `new Machine()` takes them (src/arch/sim/machine.ts), for
   * those without a field of their own here; the fields below win over them.
   */
  machine?: BridgeMachineOptions;
  /** "1G@0,1G@4G" or banks. */
  ram?: string | RamBank[];
  page_order?: 'low-first' | 'high-first';
  reserved_low?: number | string;
  iommu?: boolean;
  force_bounce?: boolean;
  /** false = --no-swiotlb. */
  swiotlb?: boolean;
  swiotlb_size?: number | string;
  poison?: boolean;
  sites?: boolean;
  /** false = --no-checks. */
  checks?: boolean;
  all_errors?: boolean;
  num_errors?: number | string;
  driver_filter?: string;
  device_filter?: string;
  fault?: FaultOptions;
  /** false = --no-fail-on-findings: findings are reported but the status is main's. Default true. */
  fail_on_findings?: boolean;
  /** Write the JSON report (RunReport) to this file. */
  report?: string;
}

/** How the run ended. */
export interface RunEnded {
  /**
   * 'exit': main returned or the program called exit(); 'signal': killed by a signal (a crash, or a stop we
   * forwarded); 'timeout'; 'build-failed'; 'bad-option' (a value the machine refused); 'runner-error': the
   * runner stopped on its own (the TypeScript core failed: status 70; the bridge could not start).
   */
  how: 'exit' | 'signal' | 'timeout' | 'build-failed' | 'bad-option' | 'runner-error';
  /** dmashim's exit status (the table in docs/bridge.md). */
  status: number;
  /** What main returned or exit() was given, when it got that far. */
  main_status: number | null;
  /** The signal's name for 'signal' and 'timeout' (SIGKILL). */
  signal: string | null;
  /** One line for 'build-failed', 'bad-option' and 'runner-error'. */
  message: string | null;
  /** A crash (SIGSEGV, SIGBUS, SIGFPE, SIGABRT): where, innermost frame first (docs/bridge.md). */
  backtrace?: CrashFrame[];
}

/** The --report file (schema version 1) and the body of run()'s result. */
export interface RunReport {
  version: 1;
  /** The C sources, as given. */
  program: string[];
  /** argv as main() saw it. */
  argv: string[];
  ended: RunEnded;
  /** Whether findings made the status 3 (false with --no-fail-on-findings). */
  fail_on_findings: boolean;
  /** Findings by kind; dma-debug counts every error, also those it did not print (--num-errors). */
  counts: FindingCounts;
  findings: Finding[];
  /** The leak report at the end of the run; null when the run did not get there. */
  leaks: LeakReport | null;
  /** Every device's pools file at the end of the run; null when the run did not get there. */
  pools: PoolsFile[] | null;
}

export interface RunResult extends RunReport {
  /** = ended.status. */
  status: number;
  /** The program's output and our --pools text ('' with stdio 'inherit'). */
  stdout: string;
  /** The kernel log, the compiler's messages and ours ('' with stdio 'inherit'). */
  stderr: string;
}

const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** "64M", "0x1000", 4096 -> bytes; `what` names the option in the error. */
export function parse_size(what: string, s: string | number): number {
  if (typeof s === 'number') {
    if (!Number.isSafeInteger(s) || s < 0)
      invalidOption(`${what}: bad size ${s} (a byte count, or e.g. 64M, 1G, 0x1000)`);
    return s;
  }
  const m = /^(0x[0-9a-f]+|\d+)([KMGT]?)i?B?$/i.exec(s.trim());
  const n = m ? Number(m[1]) * SIZE_UNITS[m[2]!.toUpperCase()]! : Number.NaN;
  if (!Number.isSafeInteger(n)) invalidOption(`${what}: bad size "${s}" (e.g. 64M, 1G, 0x1000)`);
  return n;
}

/** "1G@0,1G@4G" -> banks. */
export function parse_ram(spec: string): RamBank[] {
  return spec.split(',').map((part) => {
    const [size, start, more] = part.split('@');
    if (size === undefined || start === undefined || more !== undefined)
      invalidOption(`--ram: bad RAM bank "${part}" (SIZE@START, e.g. 1G@4G)`);
    return { size: parse_size('--ram', size), start: parse_size('--ram', start) };
  });
}

function int(what: string, v: number | string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : v.trim() === '' ? Number.NaN : Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    invalidOption(`${what} must be an integer in ${min}..${max}, got ${v}`);
  return n;
}

/* The longest timeout a timer takes (2^31-1 ms). */
const MAX_TIMEOUT_S = Math.floor((2 ** 31 - 1) / 1000);

interface Plan {
  cfg: RunConfig;
  sources: string[];
  cc: string;
  cflags: string[];
  ldflags: string[];
  /* The program's era flags (--kernel); the bridge objects are built without them. */
  eraflags: string[];
  timeoutMs: number;
}

/* Every option checked and turned into the runner's configuration, before anything is built. */
/* The machine options a caller passed: a plain object, checked in full by the runner's new Machine(). */
function machine_options(m: unknown): BridgeMachineOptions {
  if (m === undefined) return {};
  if (m === null || typeof m !== 'object' || Array.isArray(m)) invalidOption('machine options must be an object');
  return m as BridgeMachineOptions;
}

function plan(sources: string[], o: RunOptions, cwd: string): Plan {
  if (!Array.isArray(sources) || sources.length === 0) invalidOption('no C source given');
  for (const s of sources) {
    if (typeof s !== 'string' || s === '') invalidOption(`bad C source ${JSON.stringify(s)}`);
    const p = path.resolve(cwd, s);
    if (!existsSync(p)) invalidOption(`${s}: no such file`);
    if (!statSync(p).isFile()) invalidOption(`${s}: not a file`);
  }
  const cfg: RunConfig = {
    so: '',
    argv: [sources[0]!, ...(o.args ?? [])],
    threads: !!o.threads,
    pools: !!o.pools,
    machine: { ...machine_options(o.machine) },
  };
  let eraflags: string[] = [];
  if (o.kernel !== undefined) {
    const code = parse_kernel_version(o.kernel);
    cfg.machine.kernel = kernel_version_string(code);
    eraflags = kernel_cflags(code);
  }
  if (o.ram !== undefined) cfg.machine.ram = typeof o.ram === 'string' ? parse_ram(o.ram) : o.ram;
  if (o.reserved_low !== undefined) cfg.machine.reserved_low = parse_size('--reserved-low', o.reserved_low);
  if (o.swiotlb_size !== undefined) cfg.swiotlb_size = parse_size('--swiotlb-size', o.swiotlb_size);
  if (o.page_order !== undefined) {
    if (o.page_order !== 'low-first' && o.page_order !== 'high-first')
      invalidOption(`--page-order must be low-first or high-first, got ${String(o.page_order)}`);
    cfg.machine.page_order = o.page_order;
  }
  if (o.poison) cfg.machine.poison = true;
  if (o.iommu) cfg.iommu = true;
  if (o.force_bounce) cfg.force_bounce = true;
  if (o.swiotlb === false) cfg.swiotlb = false;
  if (o.sites) cfg.sites = true;
  if (o.checks === false) cfg.checks = false;
  if (o.all_errors) cfg.all_errors = true;
  const ne = int('--num-errors', o.num_errors, 0, 2 ** 31 - 1);
  if (ne !== undefined) cfg.num_errors = ne;
  if (o.driver_filter !== undefined) cfg.driver_filter = o.driver_filter;
  if (o.device_filter !== undefined) cfg.device_filter = o.device_filter;
  cfg.leaks = o.leaks === false ? 'off' : o.leaks === true ? 'print' : 'check';
  if (o.fault !== undefined) cfg.fault = o.fault;
  if (o.pool_cache !== false) {
    // On by default: it is invisible to the program wherever it applies (docs/bridge.md), and crossings cost 10x.
    const n =
      o.pool_cache === undefined || o.pool_cache === true
        ? POOL_CACHE_DEFAULT
        : int('--pool-cache', o.pool_cache, 2, POOL_CACHE_MAX)!;
    cfg.pool_cache = n;
  }
  if (o.quiet) cfg.quiet = true;
  if (o.debug) cfg.debug = true;
  const ll = int('--loglevel', o.loglevel, 0, 8);
  if (ll !== undefined) cfg.loglevel = ll;
  let timeoutMs = 0;
  if (o.timeout !== undefined) {
    const t = typeof o.timeout === 'number' ? o.timeout : o.timeout.trim() === '' ? Number.NaN : Number(o.timeout);
    if (!(t >= 0 && t <= MAX_TIMEOUT_S))
      invalidOption(`--timeout must be a number of seconds in 0..${MAX_TIMEOUT_S} (0 = none), got ${o.timeout}`);
    timeoutMs = Math.ceil(t * 1000);
  }
  const split = (a: string[] | undefined): string[] => (a ?? []).flatMap((f) => f.split(/\s+/).filter(Boolean));
  return { cfg, sources, cc: o.cc ?? 'cc', cflags: split(o.cflags), ldflags: split(o.ldflags), eraflags, timeoutMs };
}

interface Exec {
  status: number | null;
  signal: NodeJS.Signals | null;
  error: Error | null;
}

/* A compiler run: its messages go where the program's would. */
function exec(cmd: string, args: string[], cwd: string, out: Output, stop?: AbortSignal): Promise<Exec> {
  return new Promise((resolve) => {
    const child = child_process().spawn(cmd, args, {
      cwd,
      stdio: ['ignore', out.inherit ? 'inherit' : 'pipe', out.inherit ? 'inherit' : 'pipe'],
      ...(stop ? { signal: stop } : {}),
    });
    child.stdout?.on('data', (b: Buffer) => out.err(b.toString('utf8')));
    child.stderr?.on('data', (b: Buffer) => out.err(b.toString('utf8')));
    let error: Error | null = null;
    child.on('error', (e) => {
      error = e;
    });
    child.on('close', (status, signal) => resolve({ status, signal, error }));
  });
}

/* A compiler run whose output we want (cc -M): stdout, or null if it failed. */
function capture(cmd: string, args: string[], cwd: string): Promise<string | null> {
  return new Promise((resolve) => {
    const child = child_process().spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    child.stdout.on('data', (b: Buffer) => {
      text += b.toString('utf8');
    });
    child.on('error', () => resolve(null));
    child.on('close', (status) => resolve(status === 0 ? text : null));
  });
}

/** The C half of the bridge: every .c file of native/ (not native/bench/), one object each. */
export function bridge_sources(): string[] {
  return readdirSync(NATIVE_DIR)
    .filter((f) => f.endsWith('.c'))
    .sort()
    .map((f) => path.join(NATIVE_DIR, f));
}

/*
 * The bridge objects (native/*.c) are the same for every program: compile them
 * once per (compiler, flags, sources) into a cache directory, so a run costs
 * one compile of the program only.
 */
async function bridge_objects(
  cc: string,
  flags: string[],
  cacheDir: string,
  out: Output,
  verbose: boolean,
): Promise<string[] | null> {
  const h = createHash('sha256');
  h.update(JSON.stringify([cc, flags]));
  const sources = bridge_sources();
  const files = readdirSync(NATIVE_DIR)
    .filter((f) => f.endsWith('.c') || f.endsWith('.h'))
    .sort()
    .map((f) => path.join(NATIVE_DIR, f));
  // Every header under include/, subdirectories too (linux/byteorder/..., asm/...).
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files.push(p);
    }
  };
  walk(INCLUDE_DIR);
  // Hashing ~100 files' contents is a good part of a warm run's start: a memo keyed by their stats names the result.
  const st = createHash('sha256');
  st.update(JSON.stringify([cc, flags]));
  for (const f of files) {
    const s = statSync(f);
    st.update(`${f}\0${s.size}\0${s.mtimeMs}\0${s.ino}\0`);
  }
  const memo = path.join(cacheDir, `bridge-stat-${st.digest('hex').slice(0, 24)}`);
  let key: string | null = null;
  try {
    key = readFileSync(memo, 'utf8');
  } catch {
    // Not seen with these stats: hash the contents.
  }
  if (key === null || !/^[0-9a-f]{16}$/.test(key)) {
    for (const f of files) h.update(f).update(readFileSync(f));
    key = h.digest('hex').slice(0, 16);
    try {
      writeFileSync(`${memo}.${process.pid}`, key);
      renameSync(`${memo}.${process.pid}`, memo);
    } catch {
      // Only a lost shortcut.
    }
  }
  const dir = path.join(cacheDir, `bridge-${key}`);
  const objs = sources.map((s) => path.join(dir, `${path.basename(s, '.c')}.o`));
  if (existsSync(dir)) return objs;
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  // One compiler run for all of them; each object lands in the (private) temporary directory.
  const args = [...flags, '-c', ...sources];
  if (verbose) out.err(`dmashim: (cd ${tmp} && ${[cc, ...args].join(' ')})\n`);
  const r = await exec(cc, args, tmp, out);
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    return null;
  }
  try {
    renameSync(tmp, dir); // atomic: parallel runs never see half a directory
  } catch {
    // Another run got there first with the same objects.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(dir)) return null;
  }
  return objs;
}

/*
 * Per user: the bridge objects and the compile cache (progcache.ts), or null when that directory is not private to
 * this user (private_cache_dir): the run then builds everything in its own build folder, and says why once.
 */
let refusedCache: string | null = null;
function cache_dir(out: Output): string | null {
  const dir = path.join(tmpdir(), `dmashim-cache-${process.getuid?.() ?? 0}`);
  return private_cache_dir(dir, (why) => {
    if (refusedCache === dir) return;
    refusedCache = dir;
    out.err(`dmashim: not using the compile cache ${dir}: ${why}; building without it\n`);
  });
}

/* The child's environment: ours without what would change a run behind the options' back. */
function child_env(cfg: RunConfig): NodeJS.ProcessEnv {
  const env = runner_env();
  env['DMASHIM_RUN'] = JSON.stringify(cfg);
  return env;
}

function kill_group(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // Already gone.
  }
}

/* The signal an aborted run stops with: the abort reason when it names one, else SIGTERM; null while not aborted. */
function stop_signal(signal: AbortSignal | undefined): NodeJS.Signals | null {
  if (!signal?.aborted) return null;
  const r: unknown = signal.reason;
  return typeof r === 'string' && signal_number(r) > 0 ? (r as NodeJS.Signals) : 'SIGTERM';
}

/* How long a forwarded stop may take before the group gets SIGKILL. */
const STOP_GRACE_MS = 3000;

/* A run up to its start: the options checked, the build folder made, the program built. */
interface Prepared {
  p: Plan;
  job: Job;
  out: Output;
}

/* The build folder and the build; a run that cannot start comes back judged (build-failed). */
async function prepare(sources: string[], options: RunOptions): Promise<Prepared | RunResult> {
  if (options === null || typeof options !== 'object') invalidOption('run() options must be an object');
  const cwd = options.cwd ?? process.cwd();
  const p = plan(sources, options, cwd);
  const out = new Output(options.stdio === 'inherit', !!options.tee);
  let buildDir = '';
  try {
    buildDir = mkdtempSync(path.join(tmpdir(), 'dmashim-'));
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    invalidOption(`cannot make a build directory in ${tmpdir()} (TMPDIR must be a writable directory): ${why}`);
  }
  const job: Job = {
    sources: [...sources],
    cwd,
    argv: p.cfg.argv,
    so: '',
    events: path.join(buildDir, 'events.jsonl'),
    crash: path.join(buildDir, 'crash.txt'),
    build_dir: buildDir,
    keep: !!options.keep,
    report: options.report !== undefined ? path.resolve(cwd, options.report) : null,
    fail_on_findings: options.fail_on_findings !== false,
    leak_check: options.leaks !== false,
    timeout_ms: p.timeoutMs,
  };
  // A stop before the program started: the run ends as a stopped program's would.
  const halted = (): RunResult => {
    const sig = stop_signal(options.signal)!;
    return judge(job, { status: null, signal: sig, timed_out: false, stop: sig, forwarded: false }, out);
  };
  const stopped = (message: string): RunResult => ended_early(job, 'build-failed', EXIT_BUILD, message, out);
  try {
    // Build: one shared object holding the program and the bridge.
    let so = path.join(buildDir, path.basename(sources[0]!).replace(/\.c$/, '') + '.so');
    const common = [...base_cflags(), '-O2', '-g', '-Wall', '-fPIC', ...p.cflags];
    const cacheDir = cache_dir(out);
    let objs: string[] | null;
    try {
      objs = await bridge_objects(p.cc, common, cacheDir ?? buildDir, out, !!options.verbose);
    } catch (e) {
      objs = null;
      out.err(`dmashim: ${e instanceof Error ? e.message : String(e)}\n`);
    }
    if (!objs) return stopped(`the C bridge (native/*.c) does not compile with ${p.cc} ${p.cflags.join(' ')}`);
    // A source without the .c suffix is still C (cc would take it for a linker script).
    const srcArgs = sources.flatMap((s) => (/\.(c|o|a|so)$/.test(s) ? [s] : ['-x', 'c', s, '-x', 'none']));
    // An undeclared or undefined function would only fail at load time, far from its line: make it a compile error.
    const inputArgs = [...srcArgs, ...objs, ...p.ldflags, '-lpthread', '-ldl'];
    const flags = [...common, ...p.eraflags, '-Werror=implicit-function-declaration', '-shared', '-Wl,--no-undefined'];
    const entry =
      options.cache === false || cacheDir === null
        ? null
        : program_key(cacheDir, p.cc, [...flags, ...inputArgs], sources, cwd);
    const cached = entry === null ? null : program_lookup(entry);
    if (cached !== null) {
      if (options.verbose) out.err(`dmashim: unchanged since the last build: ${cached}\n`);
      so = cached;
    } else {
      const cSources = sources.filter((s) => !/\.(o|a|so)$/.test(s));
      // One C source: the compile itself lists the headers it read (-MD), without a second preprocessing pass.
      const depFile = entry !== null && cSources.length === 1 ? path.join(buildDir, 'deps.d') : null;
      const ccArgs = [...flags, ...(depFile ? ['-MD', '-MF', depFile] : []), '-o', so, ...inputArgs];
      if (options.verbose) out.err(`dmashim: ${[p.cc, ...ccArgs].join(' ')}\n`);
      const compile = await exec(p.cc, ccArgs, cwd, out, options.signal);
      if (stop_signal(options.signal)) return halted();
      if (compile.error) return stopped(`cannot run the C compiler "${p.cc}": ${compile.error.message}`);
      if (compile.status !== 0)
        return stopped(`compilation failed (${p.cc} exited with status ${compile.status ?? compile.signal})`);
      if (entry !== null) {
        // The headers each C source read, so that a later hit can check them.
        let deps: string | null = null;
        if (depFile) {
          try {
            deps = readFileSync(depFile, 'utf8');
          } catch {
            // A compiler without -MD: ask it with -M below.
          }
        }
        if (deps === null) {
          const cArgs = cSources.flatMap((c) => (/\.c$/.test(c) ? [c] : ['-x', 'c', c, '-x', 'none']));
          deps = await capture(p.cc, [...common, ...p.eraflags, '-M', ...cArgs], cwd);
        }
        if (deps !== null) program_store(entry, so, parse_make_deps(deps), cwd);
      }
    }
    job.so = so;
    if (stop_signal(options.signal)) return halted();
    return { p, job, out };
  } catch (e) {
    if (!job.keep) rmSync(buildDir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Compile and run a C program on the TypeScript core, as `dmashim run` does.
 * Resolves with main's status, the findings, leaks and pools files, and (with
 * stdio 'pipe') the output; throws a DmashimError (EINVALOPT) for a bad option
 * before anything runs. Values the machine refuses (RAM layout, swiotlb size)
 * come back as ended.how 'bad-option' with status 2.
 */
export async function run(sources: string[], options: RunOptions = {}): Promise<RunResult> {
  const prep = await prepare(sources, options);
  if (!('job' in prep)) return prep;
  const { p, job, out } = prep;
  try {
    const cfg: RunConfig = { ...p.cfg, so: job.so, events: job.events, crash: job.crash, parent: process.pid };
    const nodeArgs = runner_node_args();
    if (options.verbose)
      out.err(`dmashim: ${process.execPath} ${nodeArgs.join(' ')}  (DMASHIM_RUN=${JSON.stringify(cfg)})\n`);
    // The CLI started one already (paths.ts); it is started the same way, and run() takes it only when it fits.
    const pre = options.verbose ? null : runner_take(out.inherit ? 'inherit' : 'pipe', job.cwd);
    if (pre) runner_configure(pre, JSON.stringify(cfg));
    const child =
      pre ??
      child_process().spawn(process.execPath, nodeArgs, {
        cwd: job.cwd,
        env: child_env(cfg),
        // Its own process group: a stop reaches whatever the program started too.
        detached: true,
        stdio: ['inherit', out.inherit ? 'inherit' : 'pipe', out.inherit ? 'inherit' : 'pipe'],
      });
    child.stdout?.on('data', (b: Buffer) => {
      out.stdout += b.toString('utf8');
      if (out.tee) process.stdout.write(b);
    });
    child.stderr?.on('data', (b: Buffer) => out.err(b.toString('utf8')));
    let timedOut = false;
    let stopSignal: NodeJS.Signals | null = null;
    let grace: NodeJS.Timeout | undefined;
    const timer =
      p.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            kill_group(child.pid, 'SIGKILL');
          }, p.timeoutMs)
        : undefined;
    const onAbort = (): void => {
      stopSignal = stop_signal(options.signal) ?? 'SIGTERM';
      kill_group(child.pid, stopSignal);
      grace = setTimeout(() => kill_group(child.pid, 'SIGKILL'), STOP_GRACE_MS);
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    const ran = await new Promise<Exec>((resolve) => {
      let error: Error | null = null;
      child.on('error', (e) => {
        error = e;
      });
      child.on('close', (status, signal) => resolve({ status, signal, error }));
    });
    clearTimeout(timer);
    clearTimeout(grace);
    options.signal?.removeEventListener('abort', onAbort);
    // Whatever the program left in its group goes with it.
    kill_group(child.pid, 'SIGKILL');
    if (ran.error)
      return ended_early(job, 'runner-error', EXIT_USAGE, `cannot start the runner: ${ran.error.message}`, out);
    return judge(job, { ...ran, timed_out: timedOut, stop: stopSignal, forwarded: true }, out);
  } finally {
    if (!job.keep) rmSync(job.build_dir, { recursive: true, force: true });
  }
}

/**
 * `dmashim run` without a second process: the program runs in this one, and
 * this process exits with the run's status (the promise only settles when the
 * run could not start). A crash, a stop signal or the timeout makes the C half
 * exec aftermath.js in this process's place (same pid, same stdio), which
 * judges the run from its job file as run() would. The CLI's path; run()
 * keeps the program in a child because its caller must survive the program.
 */
export async function run_here(sources: string[], options: RunOptions = {}): Promise<number> {
  const prep = await prepare(sources, { ...options, stdio: 'inherit', tee: false });
  if (!('job' in prep)) return prep.status;
  const { p, job, out } = prep;
  const jobFile = path.join(job.build_dir, 'job.json');
  writeFileSync(jobFile, JSON.stringify(job));
  const cfg: RunConfig = { ...p.cfg, so: job.so, events: job.events, crash: job.crash };
  if (options.verbose) out.err(`dmashim: running in this process (${JSON.stringify(cfg)})\n`);
  const { run_runner } = await import('./runner.ts');
  run_runner(cfg, {
    judge: (status) => judge(job, { status, signal: null, timed_out: false, stop: null, forwarded: false }, out).status,
    aftermath: [process.execPath, AFTERMATH, jobFile],
    timeout_ms: p.timeoutMs,
    stopped: () => stop_signal(options.signal),
  });
  // --threads: main runs on koffi's thread and the runner exits when it returns.
  return new Promise<number>(() => {});
}

export { DmashimError };

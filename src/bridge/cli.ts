/*
 * `dmashim run prog.c [more.c ...] [options] [-- args]`: the flags, parsed into
 * run()'s options (run.ts does the work: compile, run in a child process so a
 * crash is reported rather than shared, judge). The exit status is main's
 * unless something was found (docs/bridge.md, "Exit status").
 */
import { parseArgs } from 'node:util';
import type { FaultKind, FaultOptions } from '../lib/fault-inject.ts';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DmashimError } from '../lib/errors.ts';
import { readFileSync } from 'node:fs';
import { COMPILED, PACKAGE_ROOT } from './paths.ts';
import { kernel_cflags, parse_kernel_version } from '../include/linux/version.ts';
import { run_kunit } from '../kunit/run.ts';
import { run, run_here, base_cflags, parse_size, EXIT_USAGE, POOL_CACHE_DEFAULT, type RunOptions } from './run.ts';
import type { IomemWindow } from '../arch/sim/machine.ts';

/* For bin/dmashim.js: the bundle has its own copy of paths.ts, and the runner it prestarts must be that copy's. */
export { runner_prestart } from './paths.ts';

const USAGE = `usage: dmashim run prog.c [more.c ...] [options] [-- program arguments]
       dmashim test suite.c [more.c ...] [--filter 'suite.case*'] [options]
                            run the KUnit suites of the files (<kunit/test.h>):
                            KTAP on stdout, status 1 when a case fails, 3 when
                            the sanitizer found something (docs/kunit.md); the
                            options below apply, program arguments do not
       dmashim cflags [--kernel V]  the compiler flags for our headers (for a Makefile)
       dmashim --version

Compiles the C program against dmashim's include/linux headers and runs its
main(argc, argv) on the TypeScript DMA core. The program's output goes to
stdout, the kernel log to stderr.

exit status: main's when nothing was found; 3 findings (a dma-debug error, a
pool misuse, WARN, BUG, sleeping in atomic context, DMA memory still held at exit);
4 build failure; 2 bad option; 124 timeout; 128+N killed by signal N;
70 the TypeScript core failed. See docs/bridge.md.

program:
  --threads              the program starts threads (main runs on a worker, every call is relayed)
  --pools                print every device's pools file when main returns
  --leaks                print the leak report when main returns even when it is clean
  --no-leaks             do not check for DMA memory still held at exit (on by default)
  --timeout SECONDS      kill the program after this long
  --report FILE          write a JSON report: findings, leaks, pools files, how the run ended
  --no-fail-on-findings  exit with main's status even when something was found
  --pool-cache[=N]       keep up to N (default 8192, 2..65536) free blocks per pool in C, batching
                         crossings; same blocks, order and reports (docs/bridge.md); on by
                         default, with --poison, --sites, --threads and fault injection too;
                         off for the pools a --fail-probability (with --threads: any --fail-*)
                         may fail
  --no-pool-cache        every dma_pool_alloc and dma_pool_free goes to the core
build:
  --cc CMD               C compiler (default: $CC or cc)
  --cflags "FLAGS"       extra compiler flags (repeatable)
  -I DIR, -D X[=V], -U X extra compiler flags, as cc takes them
  --kernel VERSION       the headers give that kernel's shapes and names (2.4.31, 2.6.12, 6.16, ...;
                         docs/porting.md); default: the newest plus the legacy names that fit
  -L DIR, -l LIB         extra linker flags for the program
  --verbose, -v          show the compile and run commands
  --keep                 keep the build directory
  --no-cache             compile even if nothing changed since the last build (cache in $TMPDIR)
kernel log:
  --quiet, -q            do not print the kernel log
  --debug                keep dev_dbg/pr_debug records
  --loglevel N           console_loglevel (records below N are printed; default 7)
machine:
  --ram SPEC             RAM banks, e.g. 1G@0,1G@4G (default) or 64M@0
  --page-order P         buddy split policy: low-first (default) or high-first
  --reserved-low BYTES   bytes at physical 0 kept out of the page allocator (default 4096)
  --iomem SPEC           device memory (not RAM, no struct page), SIZE@PHYS[:NAME], e.g. 1M@0x7f00000000:sram;
                         repeatable; memremap/ioremap and dma_declare_coherent_memory take it
  --iommu                put every device behind the simulated IOMMU (bus addresses are IOVAs)
  --force-bounce         bounce every streaming mapping through swiotlb (swiotlb=force)
  --no-swiotlb           no bounce buffers (swiotlb=noforce)
  --swiotlb-size SIZE    swiotlb pool size (default 4M)
sanitizer:
  --poison               pool poisoning (0xa7/0xa9) and page poisoning, with the checks on alloc
  --sites                record allocation sites (C file:line) and name them in reports
  --no-checks            dma-debug off (nothing reported; frees still checked)
  --all-errors           print every dma-debug error, not only the first
  --num-errors N         print the first N dma-debug errors
  --driver-filter NAME   report dma-debug errors only for this driver
  --device-filter NAME   report dma-debug errors only for this device
fault injection (each injected failure is logged as injected):
  --fail-nth N           fail the Nth DMA allocation (dma_pool_alloc, dma_alloc_coherent, kmalloc, pages)
  --fail-interval N      fail every Nth
  --fail-probability P   fail with probability P (0..1) ...
  --fail-seed S          ... drawn from this seed (default 1)
  --fail-times N         at most N failures
  --fail-pool NAME       only dma_pool_alloc on the pool NAME
  --fail-device NAME     only allocations for the device NAME
  --fail-atomic-only     only GFP_ATOMIC (non-sleeping) allocations
  --fail-kinds LIST      only these: pool,coherent,pages,slab
`;

/* Every flag and whether it takes a value: parseArgs's table, also used to suggest the closest flag. */
const OPTIONS = {
  threads: { type: 'boolean' },
  'pool-cache': { type: 'string' },
  pools: { type: 'boolean' },
  leaks: { type: 'boolean' },
  timeout: { type: 'string' },
  report: { type: 'string' },
  'no-fail-on-findings': { type: 'boolean' },
  'no-leaks': { type: 'boolean' },
  'no-cache': { type: 'boolean' },
  'no-pool-cache': { type: 'boolean' },
  cc: { type: 'string' },
  cflags: { type: 'string', multiple: true },
  kernel: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  keep: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  debug: { type: 'boolean' },
  loglevel: { type: 'string' },
  ram: { type: 'string' },
  'page-order': { type: 'string' },
  'reserved-low': { type: 'string' },
  iomem: { type: 'string', multiple: true },
  poison: { type: 'boolean' },
  iommu: { type: 'boolean' },
  'force-bounce': { type: 'boolean' },
  'no-swiotlb': { type: 'boolean' },
  'swiotlb-size': { type: 'string' },
  sites: { type: 'boolean' },
  'no-checks': { type: 'boolean' },
  'all-errors': { type: 'boolean' },
  'num-errors': { type: 'string' },
  'driver-filter': { type: 'string' },
  'device-filter': { type: 'string' },
  'fail-nth': { type: 'string' },
  'fail-interval': { type: 'string' },
  'fail-probability': { type: 'string' },
  'fail-seed': { type: 'string' },
  'fail-times': { type: 'string' },
  'fail-pool': { type: 'string' },
  'fail-device': { type: 'string' },
  'fail-atomic-only': { type: 'boolean' },
  'fail-kinds': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

class UsageError extends Error {}

/* --iomem SIZE@PHYS[:NAME]: sizes as --ram's (4K, 1M, 0x...); the machine checks the window itself. */
function parse_iomem(spec: string): IomemWindow {
  const m = /^([^@:]+)@([^@:]+)(?::(.*))?$/.exec(spec);
  if (!m) usage_error(`--iomem: bad window "${spec}" (SIZE@PHYS[:NAME], e.g. 1M@0x7f00000000:sram)`);
  let w: IomemWindow;
  try {
    w = { size: parse_size('--iomem', m[1]!), phys: parse_size('--iomem', m[2]!) };
  } catch (e) {
    usage_error(e instanceof DmashimError ? e.message : String(e));
  }
  if (m[3] !== undefined) w.name = m[3];
  return w;
}

function usage_error(msg: string): never {
  throw new UsageError(msg);
}

/* Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** The closest of `names` to `word`, when it is close enough to be a typo. */
export function closest(word: string, names: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Number.POSITIVE_INFINITY;
  for (const n of names) {
    const d = n.startsWith(word) && word.length >= 3 ? 0.5 : distance(word, n);
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

/* The compiler's own -I/-D/-U (to cflags) and -L/-l (to the link), joined or separate ("-I dir", "-Idir"). */
const CC_FLAG = /^-([IDULl])(.*)$/;

/*
 * A flag's value may start with '-' ("--cflags -O0"): give parseArgs the --flag=value form it takes without doubt.
 * The compiler's flags are taken out on the way.
 */
function join_values(args: string[], cc: { cflags: string[]; ldflags: string[] }): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = CC_FLAG.exec(a);
    if (m) {
      let v = m[2]!;
      if (v === '' && i + 1 < args.length) v = args[++i]!;
      if (v === '') usage_error(`${a} needs a value`);
      (m[1] === 'L' || m[1] === 'l' ? cc.ldflags : cc.cflags).push(`-${m[1]}${v}`);
      continue;
    }
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : null;
    const opt = name !== null ? (OPTIONS as Record<string, { type: string }>)[name] : undefined;
    if (opt?.type === 'string' && i + 1 < args.length) {
      out.push(`${a}=${args[i + 1]!}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** `dmashim run`'s flags as run() options; throws UsageError for a flag it cannot take. */
export function parse_run_args(argv: string[]): { sources: string[]; options: RunOptions; help: boolean } {
  const dd = argv.indexOf('--');
  // parseArgs has no optional values: a bare --pool-cache means the default.
  const ours = (dd >= 0 ? argv.slice(0, dd) : argv).map((a) =>
    a === '--pool-cache' ? `--pool-cache=${POOL_CACHE_DEFAULT}` : a,
  );
  // biome-ignore lint/suspicious/noImplicitAnyLet: typed by the assignment below (TypeScript's control flow)
  let parsed;
  const cc = { cflags: [] as string[], ldflags: [] as string[] };
  try {
    parsed = parseArgs({ args: join_values(ours, cc), allowPositionals: true, strict: true, options: OPTIONS });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    const unknown = /^Unknown option '([^']+)'/.exec(msg);
    if (unknown) {
      const flag = unknown[1]!;
      const near = flag.startsWith('--') ? closest(flag.slice(2).split('=')[0]!, Object.keys(OPTIONS)) : null;
      usage_error(`unknown option ${flag}${near ? ` (did you mean --${near}?)` : ''}; dmashim run --help lists them`);
    }
    // parseArgs says "Option '--ram <value>' argument missing": name the flag and what it takes, from the help.
    const missing = /^Option '(--[\w-]+)/.exec(msg);
    if (missing && / argument missing/.test(msg)) {
      const line = USAGE.split('\n').find((l) => l.trimStart().startsWith(`${missing[1]} `));
      const what = line ? line.trim().replace(/\s{2,}/, ': ') : `${missing[1]} VALUE`;
      usage_error(`${missing[1]} needs a value (${what})`);
    }
    usage_error(msg.split('\n')[0]!);
  }
  const o = parsed.values;
  const options: RunOptions = { stdio: 'inherit', cc: o.cc ?? process.env['CC'] ?? 'cc' };
  if (cc.ldflags.length) options.ldflags = cc.ldflags;
  if (dd >= 0) options.args = argv.slice(dd + 1);
  const set = <K extends keyof RunOptions>(k: K, v: RunOptions[K] | undefined): void => {
    if (v !== undefined) options[k] = v;
  };
  set('threads', o.threads);
  set('pools', o.pools);
  set('leaks', o.leaks);
  if (o['no-leaks']) options.leaks = false;
  if (o['no-cache']) options.cache = false;
  set('timeout', o.timeout);
  set('report', o.report);
  if (o['no-fail-on-findings']) options.fail_on_findings = false;
  if (o.cflags || cc.cflags.length) options.cflags = [...(o.cflags ?? []), ...cc.cflags];
  set('kernel', o.kernel);
  set('verbose', o.verbose);
  set('keep', o.keep);
  set('quiet', o.quiet);
  set('debug', o.debug);
  set('loglevel', o.loglevel);
  set('ram', o.ram);
  const pageOrder = o['page-order'];
  if (pageOrder !== undefined) {
    if (pageOrder !== 'low-first' && pageOrder !== 'high-first')
      usage_error(`--page-order must be low-first or high-first, got ${pageOrder}`);
    options.page_order = pageOrder;
  }
  set('reserved_low', o['reserved-low']);
  if (o.iomem) options.machine = { ...options.machine, iomem: o.iomem.map(parse_iomem) };
  set('poison', o.poison);
  set('iommu', o.iommu);
  set('force_bounce', o['force-bounce']);
  if (o['no-swiotlb']) options.swiotlb = false;
  set('swiotlb_size', o['swiotlb-size']);
  set('sites', o.sites);
  if (o['no-checks']) options.checks = false;
  set('all_errors', o['all-errors']);
  set('num_errors', o['num-errors']);
  set('driver_filter', o['driver-filter']);
  set('device_filter', o['device-filter']);
  set('pool_cache', o['pool-cache']);
  if (o['no-pool-cache']) options.pool_cache = false;
  const int = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = v.trim() === '' ? Number.NaN : Number(v);
    if (!Number.isInteger(n) || n < 0) usage_error(`--${name} must be a non-negative integer, got ${v}`);
    return n;
  };
  const fault: FaultOptions = {};
  const fnth = int('fail-nth', o['fail-nth']);
  if (fnth !== undefined) fault.nth = fnth;
  const fint = int('fail-interval', o['fail-interval']);
  if (fint !== undefined) fault.interval = fint;
  if (o['fail-probability'] !== undefined) {
    const p = Number(o['fail-probability']);
    if (!(p >= 0 && p <= 1)) usage_error(`--fail-probability must be a number in 0..1, got ${o['fail-probability']}`);
    fault.probability = p;
  }
  const fseed = int('fail-seed', o['fail-seed']);
  if (fseed !== undefined) fault.seed = fseed;
  const ftimes = int('fail-times', o['fail-times']);
  if (ftimes !== undefined) fault.times = ftimes;
  if (o['fail-pool'] !== undefined) fault.pool = o['fail-pool'];
  if (o['fail-device'] !== undefined) fault.device = o['fail-device'];
  if (o['fail-atomic-only']) fault.atomic_only = true;
  if (o['fail-kinds'] !== undefined) {
    const kinds = o['fail-kinds'].split(',').map((k) => k.trim());
    for (const k of kinds)
      if (!['pool', 'coherent', 'pages', 'slab'].includes(k))
        usage_error(`--fail-kinds: unknown kind ${k} (pool, coherent, pages, slab)`);
    fault.kinds = kinds as FaultKind[];
  }
  if (Object.keys(fault).length) {
    if (fault.nth === undefined && fault.interval === undefined && fault.probability === undefined)
      usage_error('fault injection needs --fail-nth, --fail-interval or --fail-probability');
    options.fault = fault;
  }
  return { sources: parsed.positionals, options, help: !!o.help };
}

/* `dmashim cflags [--kernel V]`: the era's flags, or none. */
function cflags_era(args: string[]): string[] {
  if (args.length === 0) return [];
  if (args.length === 1 && args[0] === '--kernel')
    usage_error('--kernel needs a value (a kernel version, e.g. 2.6.12)');
  const v =
    args[0]!.startsWith('--kernel=') && args.length === 1
      ? args[0]!.slice(9)
      : args[0] === '--kernel' && args.length === 2
        ? args[1]!
        : null;
  if (v === null) usage_error(`cflags takes only --kernel VERSION, got ${args.join(' ')}`);
  return kernel_cflags(parse_kernel_version(v));
}

const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/* A stop sent to us (a supervisor, child.kill(), ^C) goes to the program, which we then wait for and clean up after. */
async function forwarding_stops<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const handlers = STOP_SIGNALS.map((sig) => {
    const h = (): void => stop.abort(sig);
    process.on(sig, h);
    return [sig, h] as const;
  });
  try {
    return await body(stop.signal);
  } finally {
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}

const COMMANDS = ['run', 'test', 'cflags', 'help', '--version'];

/* `dmashim test`: run()'s flags (parse_run_args) plus --filter; the KTAP streams to stdout as it is printed. */
async function test_main(argv: string[]): Promise<number> {
  let filter: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--filter') {
      if (i + 1 >= argv.length) usage_error("--filter needs a value (--filter 'suite_glob[.case_glob]')");
      filter = argv[++i]!;
    } else if (a.startsWith('--filter=')) filter = a.slice('--filter='.length);
    else rest.push(a);
  }
  if (rest.includes('--')) usage_error('dmashim test takes no program arguments (nothing after --)');
  const parsed = parse_run_args(rest);
  if (parsed.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.sources.length === 0) usage_error('no KUnit source given (dmashim test suite.c [more.c ...] [options])');
  return forwarding_stops(async (signal) => {
    const r = await run_kunit(parsed.sources, {
      ...parsed.options,
      ...(filter !== undefined ? { filter } : {}),
      stdio: 'pipe',
      tee: true,
      signal,
    });
    if (r.ended.how === 'exit' && r.kunit.incomplete)
      process.stderr.write('dmashim: test: the KTAP output is incomplete\n');
    return r.status !== 0 ? r.status : r.kunit.counts.fail > 0 || r.kunit.incomplete ? 1 : 0;
  });
}

export async function main(argv: string[]): Promise<number> {
  const cmd = argv[0];
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (cmd === '--version' || cmd === '-V' || cmd === 'version') {
    const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
    process.stdout.write(`dmashim ${pkg.version}\n`);
    return 0;
  }
  if (cmd === 'cflags') {
    // What a Makefile needs to compile driver C against our headers (the program itself still runs through `run`).
    let flags: string[];
    try {
      flags = [...base_cflags(), ...cflags_era(argv.slice(1))];
    } catch (e) {
      if (!(e instanceof UsageError) && !(e instanceof DmashimError)) throw e;
      process.stderr.write(`dmashim: ${e.message}\n`);
      return EXIT_USAGE;
    }
    process.stdout.write(`${flags.map((f) => (/\s/.test(f) ? JSON.stringify(f) : f)).join(' ')}\n`);
    return 0;
  }
  if (cmd === 'test') {
    try {
      return await test_main(argv.slice(1));
    } catch (e) {
      if (!(e instanceof UsageError) && !(e instanceof DmashimError)) throw e;
      process.stderr.write(`dmashim: ${e.message}\n`);
      return EXIT_USAGE;
    }
  }
  if (cmd !== 'run') {
    const near = closest(cmd.replace(/^-+/, ''), ['run', 'test', 'cflags', 'help', 'version']);
    process.stderr.write(
      `dmashim: unknown command ${cmd}${near ? ` (did you mean ${near === 'version' ? '--version' : near}?)` : ''}; commands: ${COMMANDS.join(', ')}\n`,
    );
    return EXIT_USAGE;
  }
  let sources: string[];
  let options: RunOptions;
  try {
    const parsed = parse_run_args(argv.slice(1));
    if (parsed.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    ({ sources, options } = parsed);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`dmashim: ${e.message}\n`);
    return EXIT_USAGE;
  }
  if (sources.length === 0) {
    process.stderr.write('dmashim: no C source given (dmashim run prog.c [more.c ...] [options])\n');
    return EXIT_USAGE;
  }
  try {
    // The compiled CLI runs the program in this process (one node start, not two); a crash still gets its report.
    if (COMPILED) return await forwarding_stops((signal) => run_here(sources, { ...options, signal }));
    return await forwarding_stops(async (signal) => (await run(sources, { ...options, signal })).status);
  } catch (e) {
    if (!(e instanceof DmashimError)) throw e;
    process.stderr.write(`dmashim: ${e.message}\n`);
    return EXIT_USAGE;
  }
}

const entry = process.argv[1] ? path.resolve(process.argv[1]) : '';
if (entry === fileURLToPath(import.meta.url) || process.env['DMASHIM_CLI'] === '1') {
  // No top-level await: the build also bundles this module as CommonJS (scripts/bundle-runner.mjs).
  void main(process.argv.slice(2)).then((status) => {
    process.exitCode = status;
  });
}

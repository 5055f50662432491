/*
 * `dmashim run prog.c [more.c ...] [options] [-- args]`: compile the C program
 * with our include/ and the C half of the bridge into a shared object, run it
 * in a child process (runner.ts) so a crash is reported rather than shared, and
 * exit with main's status.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { FaultKind, FaultOptions } from '../lib/fault-inject.ts';
import { mkdtempSync, rmSync, existsSync, readdirSync, readFileSync, renameSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { RunConfig } from './runner.ts';
import type { RamBank } from '../arch/sim/machine.ts';

const HERE = fileURLToPath(import.meta.url);

/*
 * The package root holds include/ and native/. This file runs from src/bridge/
 * (a checkout, through tsx) or from dist/src/bridge/ (the package), so walk up
 * to our own package.json rather than count levels.
 */
function package_root(from: string): string {
  for (let d = path.dirname(from); d !== path.dirname(d); d = path.dirname(d)) {
    const pj = path.join(d, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: unknown }).name === 'dmashim') return d;
  }
  throw new Error(`dmashim: cannot find dmashim's package.json above ${from}`);
}

const ROOT = package_root(HERE);
export const INCLUDE_DIR = path.join(ROOT, 'include');
export const NATIVE_DIR = path.join(ROOT, 'native');
/* The runner is this file's sibling: runner.js runs on plain node, runner.ts (a checkout) needs tsx. */
const RUNNER_EXT = path.extname(HERE);
const RUNNER = path.join(path.dirname(HERE), `runner${RUNNER_EXT}`);
const RUNNER_LOADER: string[] = RUNNER_EXT === '.ts' ? ['--import', import.meta.resolve('tsx')] : [];

const USAGE = `usage: dmashim run prog.c [more.c ...] [options] [-- program arguments]

Compiles the C program against dmashim's include/linux headers and runs its
main(argc, argv) on the TypeScript DMA core. The program's output goes to
stdout, the kernel log to stderr; the exit status is main's.

program:
  --threads              the program starts threads (main runs on a worker, every call is relayed)
  --pools                print every device's pools file when main returns
  --leaks                print the sanitizer's leak report when main returns
  --timeout SECONDS      kill the program after this long
  --pool-cache[=N]       keep up to N (default 128, 2..256) free blocks per pool in C, batching
                         crossings; same blocks, order and reports (docs/bridge.md); off with
                         --threads, --poison, --sites and fault injection
build:
  --cc CMD               C compiler (default: $CC or cc)
  --cflags "FLAGS"       extra compiler flags (repeatable)
  --verbose, -v          show the compile and run commands
  --keep                 keep the build directory
kernel log:
  --quiet, -q            do not print the kernel log
  --debug                keep dev_dbg/pr_debug records
  --loglevel N           console_loglevel (records below N are printed; default 7)
machine:
  --ram SPEC             RAM banks, e.g. 1G@0,1G@4G (default) or 64M@0
  --page-order P         buddy split policy: low-first (default) or high-first
  --reserved-low BYTES   bytes at physical 0 kept out of the page allocator (default 4096)
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

const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

function parseSize(s: string): number {
  const m = /^(0x[0-9a-f]+|\d+)([KMGT]?)i?B?$/i.exec(s.trim());
  if (!m) throw new Error(`bad size "${s}" (e.g. 64M, 1G, 0x1000)`);
  return Number(m[1]) * SIZE_UNITS[m[2]!.toUpperCase()]!;
}

/** "1G@0,1G@4G" -> banks. */
export function parseRam(spec: string): RamBank[] {
  return spec.split(',').map((part) => {
    const [size, start] = part.split('@');
    if (size === undefined || start === undefined) throw new Error(`bad RAM bank "${part}" (SIZE@START, e.g. 1G@4G)`);
    return { size: parseSize(size), start: parseSize(start) };
  });
}

/** The C half of the bridge: every .c file of native/ (not native/bench/), one object each. */
export function bridgeSources(): string[] {
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
function bridgeObjects(cc: string, flags: string[], verbose: boolean): string[] | null {
  const h = createHash('sha256');
  h.update(JSON.stringify([cc, flags]));
  const sources = bridgeSources();
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
  for (const f of files) h.update(f).update(readFileSync(f));
  const cacheDir = path.join(tmpdir(), `dmashim-cache-${process.getuid?.() ?? 0}`);
  const dir = path.join(cacheDir, `bridge-${h.digest('hex').slice(0, 16)}`);
  const objs = sources.map((s) => path.join(dir, `${path.basename(s, '.c')}.o`));
  if (existsSync(dir)) return objs;
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  // One compiler run for all of them; each object lands in the (private) temporary directory.
  const args = [...flags, '-c', ...sources];
  if (verbose) process.stderr.write(`dmashim: (cd ${tmp} && ${[cc, ...args].join(' ')})\n`);
  const r = spawnSync(cc, args, { cwd: tmp, stdio: ['ignore', 'inherit', 'inherit'] });
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

function die(msg: string, code = 2): never {
  process.stderr.write(`dmashim: ${msg}\n`);
  process.exit(code);
}

function signalDescription(sig: string): string {
  const names: Record<string, string> = {
    SIGSEGV: 'segmentation fault',
    SIGBUS: 'bus error',
    SIGABRT: 'aborted',
    SIGFPE: 'floating point exception',
    SIGILL: 'illegal instruction',
    SIGKILL: 'killed',
    SIGTERM: 'terminated',
  };
  return names[sig] ?? sig;
}

/** --pool-cache without a value: the default capacity. */
export const POOL_CACHE_DEFAULT = 128;

export function main(argv: string[]): number {
  const dd = argv.indexOf('--');
  // parseArgs has no optional values: a bare --pool-cache means the default.
  const ours = (dd >= 0 ? argv.slice(0, dd) : argv).map((a) =>
    a === '--pool-cache' ? `--pool-cache=${POOL_CACHE_DEFAULT}` : a,
  );
  const progArgs = dd >= 0 ? argv.slice(dd + 1) : [];
  if (ours[0] !== 'run') {
    process.stdout.write(USAGE);
    return ours.length === 0 || ours[0] === '--help' || ours[0] === '-h' ? 0 : 2;
  }
  // biome-ignore lint/suspicious/noImplicitAnyLet: typed by the assignment below (TypeScript's control flow)
  let parsed;
  try {
    parsed = parseArgs({
      args: ours.slice(1),
      allowPositionals: true,
      strict: true,
      options: {
        threads: { type: 'boolean' },
        'pool-cache': { type: 'string' },
        pools: { type: 'boolean' },
        leaks: { type: 'boolean' },
        timeout: { type: 'string' },
        cc: { type: 'string' },
        cflags: { type: 'string', multiple: true },
        verbose: { type: 'boolean', short: 'v' },
        keep: { type: 'boolean' },
        quiet: { type: 'boolean', short: 'q' },
        debug: { type: 'boolean' },
        loglevel: { type: 'string' },
        ram: { type: 'string' },
        'page-order': { type: 'string' },
        'reserved-low': { type: 'string' },
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
      },
    });
  } catch (e) {
    die(`${e instanceof Error ? e.message : String(e)}\n\n${USAGE}`);
  }
  const o = parsed.values;
  if (o.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const sources = parsed.positionals;
  if (sources.length === 0) die(`no C source given\n\n${USAGE}`);
  for (const s of sources) if (!existsSync(s)) die(`${s}: no such file`);

  const cfg: RunConfig = {
    so: '',
    argv: [sources[0]!, ...progArgs],
    threads: !!o.threads,
    pools: !!o.pools,
    machine: {},
  };
  try {
    if (o.ram) cfg.machine.ram = parseRam(o.ram);
    if (o['reserved-low']) cfg.machine.reserved_low = parseSize(o['reserved-low']);
    if (o['swiotlb-size']) cfg.swiotlb_size = parseSize(o['swiotlb-size']);
  } catch (e) {
    die(e instanceof Error ? e.message : String(e));
  }
  const pageOrder = o['page-order'];
  if (pageOrder !== undefined) {
    if (pageOrder !== 'low-first' && pageOrder !== 'high-first')
      die(`--page-order must be low-first or high-first, got ${pageOrder}`);
    cfg.machine.page_order = pageOrder;
  }
  const int = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) die(`--${name} must be a non-negative integer, got ${v}`);
    return n;
  };
  if (o.poison) cfg.machine.poison = true;
  if (o.iommu) cfg.iommu = true;
  if (o['force-bounce']) cfg.force_bounce = true;
  if (o['no-swiotlb']) cfg.swiotlb = false;
  if (o.sites) cfg.sites = true;
  if (o['no-checks']) cfg.checks = false;
  if (o['all-errors']) cfg.all_errors = true;
  const ne = int('num-errors', o['num-errors']);
  if (ne !== undefined) cfg.num_errors = ne;
  if (o['driver-filter'] !== undefined) cfg.driver_filter = o['driver-filter'];
  if (o['device-filter'] !== undefined) cfg.device_filter = o['device-filter'];
  if (o.leaks) cfg.leaks = true;
  const fault: FaultOptions = {};
  const fnth = int('fail-nth', o['fail-nth']);
  if (fnth !== undefined) fault.nth = fnth;
  const fint = int('fail-interval', o['fail-interval']);
  if (fint !== undefined) fault.interval = fint;
  if (o['fail-probability'] !== undefined) {
    const p = Number(o['fail-probability']);
    if (!(p >= 0 && p <= 1)) die(`--fail-probability must be a number in 0..1, got ${o['fail-probability']}`);
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
        die(`--fail-kinds: unknown kind ${k} (pool, coherent, pages, slab)`);
    fault.kinds = kinds as FaultKind[];
  }
  if (Object.keys(fault).length) {
    if (fault.nth === undefined && fault.interval === undefined && fault.probability === undefined) {
      die('fault injection needs --fail-nth, --fail-interval or --fail-probability');
    }
    cfg.fault = fault;
  }
  if (o['pool-cache'] !== undefined) {
    const n = Number(o['pool-cache']);
    if (!Number.isInteger(n) || n < 2 || n > 256)
      die(`--pool-cache must be an integer in 2..256, got ${o['pool-cache']}`);
    // The cache is exact only where the core's hot path would run: say why it is off otherwise.
    const off = o.threads
      ? '--threads'
      : o.poison
        ? '--poison'
        : o.sites
          ? '--sites'
          : cfg.fault
            ? 'fault injection'
            : null;
    if (off) process.stderr.write(`dmashim: --pool-cache is off with ${off} (every alloc and free goes to the core)\n`);
    else cfg.pool_cache = n;
  }
  if (o.quiet) cfg.quiet = true;
  if (o.debug) cfg.debug = true;
  const ll = int('loglevel', o.loglevel);
  if (ll !== undefined) cfg.loglevel = ll;
  const timeout = o.timeout !== undefined ? Number(o.timeout) : 0;
  if (!(timeout >= 0)) die(`--timeout must be a number of seconds, got ${o.timeout}`);

  // Build: one shared object holding the program and the bridge.
  const buildDir = mkdtempSync(path.join(tmpdir(), 'dmashim-'));
  const so = path.join(buildDir, path.basename(sources[0]!).replace(/\.c$/, '') + '.so');
  const cc = o.cc ?? process.env['CC'] ?? 'cc';
  const extra = (o.cflags ?? []).flatMap((f) => f.split(/\s+/).filter(Boolean));
  const common = ['-std=gnu11', '-O2', '-g', '-Wall', '-fPIC', '-pthread', '-I', INCLUDE_DIR, ...extra];
  const bridgeObjs = bridgeObjects(cc, common, !!o.verbose);
  if (!bridgeObjs) die(`the C bridge (native/*.c) does not compile with ${cc} ${extra.join(' ')}`, 1);
  // An undeclared or undefined function would only fail at load time, far from its line: make it a compile error.
  const ccArgs = [
    ...common,
    '-Werror=implicit-function-declaration',
    '-shared',
    '-Wl,--no-undefined',
    '-o',
    so,
    ...sources,
    ...bridgeObjs,
    '-lpthread',
    '-ldl',
  ];
  if (o.verbose) process.stderr.write(`dmashim: ${[cc, ...ccArgs].join(' ')}\n`);
  const compile = spawnSync(cc, ccArgs, { stdio: ['ignore', 'inherit', 'inherit'] });
  const cleanup = (): void => {
    if (!o.keep) rmSync(buildDir, { recursive: true, force: true });
    else process.stderr.write(`dmashim: build kept in ${buildDir}\n`);
  };
  if (compile.error) {
    cleanup();
    die(`cannot run the C compiler "${cc}": ${compile.error.message}`);
  }
  if (compile.status !== 0) {
    cleanup();
    die(`compilation failed (${cc} exited with status ${compile.status ?? compile.signal})`, 1);
  }
  cfg.so = so;

  const nodeArgs = [...RUNNER_LOADER, RUNNER];
  if (o.verbose)
    process.stderr.write(`dmashim: ${process.execPath} ${nodeArgs.join(' ')}  (DMASHIM_RUN=${JSON.stringify(cfg)})\n`);
  const env = { ...process.env, DMASHIM_RUN: JSON.stringify(cfg) };
  const child = spawnSync(process.execPath, nodeArgs, {
    stdio: 'inherit',
    env,
    ...(timeout > 0 ? { timeout: timeout * 1000, killSignal: 'SIGKILL' as const } : {}),
  });
  cleanup();
  const prog = sources.join(' ');
  if (child.error && (child.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
    process.stderr.write(`dmashim: ${prog}: timed out after ${timeout} s and was killed\n`);
    return 124;
  }
  if (child.error) die(`cannot start the runner: ${child.error.message}`);
  if (child.signal) {
    const no = osConstants.signals[child.signal as keyof typeof osConstants.signals] ?? 0;
    process.stderr.write(`dmashim: ${prog}: killed by signal ${child.signal} (${signalDescription(child.signal)})\n`);
    return 128 + no;
  }
  return child.status ?? 1;
}

const entry = process.argv[1] ? path.resolve(process.argv[1]) : '';
if (entry === fileURLToPath(import.meta.url) || process.env['DMASHIM_CLI'] === '1') {
  process.exitCode = main(process.argv.slice(2));
}

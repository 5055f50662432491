/*
 * The run of a C program: maps the arena, builds the machine on it, loads the
 * program's shared object with koffi, fills the C ops table, calls
 * main(argc, argv) and exits with its status. It runs in a child process
 * (runner-main.ts) that run() compiled for and waits on, so that a crash takes
 * only the child down; or, for the CLI, in the CLI's own process (run.ts,
 * run_here), where what a child's parent would do after the program (judge the
 * run, report a crash) is done by the `Here` hooks and by the process that the
 * C half execs after a crash (native/crash.c, aftermath.ts).
 *
 * Its configuration arrives as JSON in DMASHIM_RUN (see RunConfig). What the
 * parent needs to judge the run goes to the events file, one JSON object a
 * line, written as it happens so that a crash loses nothing: every kernel log
 * record at warning level or above ("log"), and at the end of the run the
 * status, the leak report and the pools files ("end"). A bad option is one
 * line on stderr and status 2 ("error").
 */
import { openSync, writeSync } from 'node:fs';
import {
  Machine,
  DEFAULT_RAM,
  MAX_ARENA,
  set_current_machine,
  iomem_regions,
  type MachineOptions,
  type IomemRegion,
} from '../arch/sim/machine.ts';
import { log_configure, log_subscribe, KERN_WARNING } from '../kernel/printk.ts';
import { DmashimError } from '../lib/errors.ts';
import { dma_debug_error_count } from '../sim/sanitizer.ts';
import { sanitizer_configure, dma_leak_report, type LeakReport } from '../sim/sanitizer.ts';
import type { FaultOptions } from '../lib/fault-inject.ts';
import { sysfs_read } from '../drivers/base/core.ts';
import { swiotlb_configure } from '../kernel/dma/swiotlb.ts';
import {
  try_load_koffi,
  koffi_unavailable_reason,
  type Koffi,
  type KoffiFunction,
  type KoffiLibrary,
} from './koffi.ts';
import { DMASHIM_ABI_VERSION, OPS_PROTOTYPES, FAST_AREA_WORDS, STRBUF_SIZE, op_name } from './abi.ts';
import { Bridge } from './ops.ts';

/** Machine options that cross from the CLI to the runner (JSON): all but the runner's own arena and name. */
export type BridgeMachineOptions = Omit<MachineOptions, 'arena' | 'name'>;

export interface RunConfig {
  /** The shared object to load. */
  so: string;
  /** argv as main() sees it (argv[0] included). */
  argv: string[];
  threads: boolean;
  pools: boolean;
  /** The machine, as `new Machine()` takes it (the runner adds the arena and the name). */
  machine: BridgeMachineOptions;
  sites?: boolean;
  checks?: boolean;
  all_errors?: boolean;
  num_errors?: number;
  driver_filter?: string;
  device_filter?: string;
  /** Fault injection (--fail-*). */
  fault?: FaultOptions;
  /** The leak check at the end: off, on (the report printed when something leaked), or print (always printed). */
  leaks?: 'off' | 'check' | 'print';
  force_bounce?: boolean;
  swiotlb?: boolean;
  swiotlb_size?: number;
  iommu?: boolean;
  quiet?: boolean;
  debug?: boolean;
  loglevel?: number;
  /** --pool-cache: C-side free blocks per pool (0/absent = off). */
  pool_cache?: number;
  /** Where to write the events (see the header); none when absent. */
  events?: string;
  /** The crash record file: the C half writes where a SIGSEGV, SIGBUS, SIGFPE or SIGABRT struck (native/crash.c). */
  crash?: string;
  /** The parent's pid: the runner stops when the parent is gone. */
  parent?: number;
}

/** The events file's lines. */
export type RunEvent =
  | { t: 'log'; level: number; text: string }
  /** A record below warning level: it ends a report that the records before it made. */
  | { t: 'info' }
  | { t: 'error'; message: string }
  | {
      t: 'end';
      /** What main returned (or exit() was given), unmasked. */
      main_status: number;
      /** The runner's exit status (main's, or 1 for refused calls). */
      status: number;
      dma_debug_errors: number;
      refused: number;
      leaks: LeakReport;
      pools: PoolsFile[];
    };

/** One device's pools file at the end of the run. */
export interface PoolsFile {
  device: string;
  path: string;
  text: string;
}

let eventsFd = -1;

function event(e: RunEvent): void {
  if (eventsFd >= 0) writeSync(eventsFd, JSON.stringify(e) + '\n');
}

const MiB = 1024 * 1024;
const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_PRIVATE = 0x02;
const MAP_ANONYMOUS = 0x20;
const MAP_NORESERVE = 0x4000;

/** A run in the CLI's own process (run.ts, run_here). */
export interface Here {
  /** The run's status from the runner's own (main's, or 1 or 2 when it could not run): judged, reported, cleaned up. */
  judge(status: number): number;
  /** What the C half execs after a crash, a stop signal or the timeout: node, aftermath.js and the job file. */
  aftermath: [string, string, string];
  /** --timeout in ms, 0 = none. */
  timeout_ms: number;
  /** A stop signal that reached the CLI before the C half caught them, or null. */
  stopped(): string | null;
}

let here: Here | null = null;
let judged = false;

/* In the CLI's process the run is judged once, whichever way it ends (main, exit(), a failure, an oops). */
function judge_once(status: number): number {
  if (!here || judged) return status;
  judged = true;
  return here.judge(status);
}

/* The runner's end: in a child its status goes to run(), here it is judged first. */
function exit(status: number): never {
  process.exit(judge_once(status));
}

function fail(msg: string, code = 2): never {
  process.stderr.write(`dmashim: ${msg}\n`);
  if (code === 2) event({ t: 'error', message: msg });
  exit(code);
}

/* Our own API refuses a bad machine, swiotlb or sanitizer option with a DmashimError: one line, status 2. */
function option(what: string, f: () => void): void {
  try {
    f();
  } catch (e) {
    if (e instanceof DmashimError && e.code === 'EINVALOPT') fail(`${what}: ${e.message}`);
    throw e;
  }
}

function num(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : (v as number);
}

/* Every callback runs inside try/catch: an exception must not turn into koffi's silent 0. */
function guarded(bridge: Bridge, name: string, f: (...a: never[]) => unknown): (...a: never[]) => unknown {
  return (...a: never[]) => {
    try {
      return f(...a);
    } catch (e) {
      return bridge.oops(name, e);
    }
  };
}

/** Run the program `cfg` describes, in a runner child, or with `inside` in the CLI's process; exits the process. */
export function run_runner(cfg: RunConfig, inside?: Here): void {
  here = inside ?? null;
  // What exits without passing exit() (the core's oops, status 70) is judged on the way out too.
  if (here) process.on('exit', (code) => (process.exitCode = judge_once(code)));
  if (cfg.events) eventsFd = openSync(cfg.events, 'a');
  const koffi: Koffi | null = try_load_koffi();
  if (!koffi) fail(koffi_unavailable_reason() ?? 'koffi is not available', 1);
  // Before the first load (koffi refuses later): C code runs on koffi's stacks, 2 MiB / 128 KiB by default.
  koffi.config({ ...koffi.config(), sync_stack_size: 16 * MiB, async_stack_size: 16 * MiB });
  const libc = koffi.load('libc.so.6');
  if (cfg.parent !== undefined) {
    // Stop with the parent even when it dies by SIGKILL (a signal it could forward is forwarded by it).
    const prctl = libc.func(
      'int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)',
    );
    prctl(1 /* PR_SET_PDEATHSIG */, 9 /* SIGKILL */, 0, 0, 0);
    if (process.ppid !== cfg.parent) process.exit(1);
  }

  option('--loglevel', () =>
    log_configure({
      console: !cfg.quiet,
      debug: cfg.debug ?? false,
      ...(cfg.loglevel !== undefined ? { console_loglevel: cfg.loglevel } : {}),
    }),
  );
  let after = false;
  log_subscribe((r) => {
    if (r.level <= KERN_WARNING) {
      event({ t: 'log', level: r.level, text: r.text });
      after = true;
    } else if (after) {
      event({ t: 'info' });
      after = false;
    }
  });

  // The arena: one sparse reservation; both sides see the same bytes.
  const ram = cfg.machine.ram ?? [...DEFAULT_RAM];
  const ramSize = ram.reduce((s, b) => s + b.size, 0);
  if (!(ramSize > 0 && ramSize <= MAX_ARENA))
    fail(
      `--ram: ${ramSize} bytes of RAM in all; the machine takes 4K to ${MAX_ARENA / 1024 ** 3}G in all (e.g. 1G@0,1G@4G)`,
    );
  // Device memory windows follow RAM in the same reservation, so C reaches them as it reaches RAM.
  let iomem: IomemRegion[] = [];
  option('--iomem', () => {
    iomem = iomem_regions(cfg.machine.iomem, ram, ramSize);
  });
  const size = iomem.reduce((s, w) => s + w.size, ramSize);
  if (size > MAX_ARENA) fail(`--iomem: RAM and device memory (${size} bytes) exceed the ${MAX_ARENA}-byte arena`);
  const mmap = libc.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, intptr_t offset)');
  const fflush = libc.func('int fflush(void *stream)');
  const base = mmap(null, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) as bigint;
  if (base === 0xffffffffffffffffn || base === 0n)
    fail(`cannot reserve ${size} bytes for the machine's RAM (mmap failed)`);
  const view = koffi.view(base, size);
  const poison = cfg.machine.poison ?? false;
  let machine!: Machine;
  option('the machine (--ram, --reserved-low, --page-order)', () => {
    machine = new Machine({
      ...cfg.machine,
      ram,
      poison,
      arena: { buffer: view, vbase: Number(base) },
      name: 'bridge',
    });
  });
  set_current_machine(machine);
  option('the sanitizer', () =>
    sanitizer_configure(machine, {
      poison,
      // Always set: the sanitizer's own default follows the environment (VITEST), a run must not.
      sites: cfg.sites ?? false,
      ...(cfg.checks !== undefined ? { checks: cfg.checks } : {}),
      ...(cfg.all_errors !== undefined ? { all_errors: cfg.all_errors } : {}),
      ...(cfg.num_errors !== undefined ? { num_errors: cfg.num_errors } : {}),
      ...(cfg.driver_filter !== undefined ? { driver_filter: cfg.driver_filter } : {}),
      ...(cfg.device_filter !== undefined ? { device_filter: cfg.device_filter } : {}),
      ...(cfg.fault !== undefined ? { fault: cfg.fault } : {}),
    }),
  );

  option('--swiotlb-size', () =>
    swiotlb_configure(machine, {
      ...(cfg.force_bounce !== undefined ? { force_bounce: cfg.force_bounce } : {}),
      ...(cfg.swiotlb !== undefined ? { enabled: cfg.swiotlb } : {}),
      ...(cfg.swiotlb_size !== undefined ? { size: cfg.swiotlb_size } : {}),
    }),
  );

  let lib: KoffiLibrary;
  let aftermathOff: KoffiFunction | null = null;
  try {
    lib = koffi.load(cfg.so);
  } catch (e) {
    fail(`cannot load ${cfg.so}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const fn = (def: string): KoffiFunction | null => {
    try {
      return lib.func(def);
    } catch {
      return null;
    }
  };
  const abi = fn('uint32_t dmashim_abi_version(void)');
  if (!abi) fail(`${cfg.so} does not contain the dmashim bridge (native/bridge.c)`);
  const cAbi = num(abi());
  if (cAbi !== DMASHIM_ABI_VERSION) {
    fail(
      `ABI mismatch: the C bridge is version ${cAbi}, the TypeScript runner version ${DMASHIM_ABI_VERSION}; use matching checkouts of include/, native/ and src/bridge/`,
    );
  }
  const cOps = num(fn('int32_t dmashim_nr_ops(void)')!());
  if (cOps !== OPS_PROTOTYPES.length)
    fail(`ABI mismatch: the C ops table has ${cOps} entries, the TypeScript one ${OPS_PROTOTYPES.length}`);

  const scratchAddr = fn('void *dmashim_scratch_area(void)')!() as bigint;
  const scratchSize = num(fn('int32_t dmashim_scratch_size(void)')!());
  const strbufAddr = fn('void *dmashim_strbuf_area(void)')!() as bigint;
  const fastAddr = fn('void *dmashim_fast_area(void)')!() as bigint;
  const fastSize = num(fn('int32_t dmashim_fast_area_size(void)')!());
  if (fastSize !== FAST_AREA_WORDS * 8)
    fail(`ABI mismatch: the C fast area has ${fastSize} bytes, the TypeScript side expects ${FAST_AREA_WORDS * 8}`);
  const cacheDrain = fn('void dmashim_pool_cache_drain(void)')!;
  const deliver = fn('void dmashim_log_deliver(int32_t level, const char *line)')!;
  const logFlush = fn('void dmashim_log_flush(void)')!;
  const refused = fn('int32_t dmashim_refused(void)')!;

  const bridge = new Bridge(
    machine,
    koffi.view(scratchAddr, scratchSize),
    koffi.view(strbufAddr, STRBUF_SIZE),
    koffi.view(fastAddr, fastSize),
    !!cfg.iommu,
    {
      decode_string: (addr) => koffi.decode.string(addr),
      deliver_log: (level, text) => {
        deliver(level, text);
      },
      f64_view: (addr, n) => new Float64Array(koffi.view(addr, n * 32)),
    },
  );

  // One table: a registered callback per entry, in the C struct's order.
  const members: Record<string, object> = {};
  const values: Record<string, bigint> = {};
  const table = bridge as unknown as Record<string, (...a: never[]) => unknown>;
  for (const proto of OPS_PROTOTYPES) {
    const name = op_name(proto);
    const type = koffi.pointer(koffi.proto(proto));
    members[name] = type;
    const impl = table[name];
    if (typeof impl !== 'function') fail(`internal: no implementation for op ${name}`);
    if (name === 'bench_noop') {
      // The benchmarks' yardstick must be one bare callback, like bench/lib/koffi.ts's: no guard, no bind.
      values[name] = koffi.register(impl, type);
      continue;
    }
    let f: (...a: never[]) => unknown;
    if (name === 'pool_alloc') {
      // The hot path gets a wrapper without rest arguments (no allocation per call).
      f = (id: number, gfp: number, slot: number, site: number) => {
        try {
          return bridge.pool_alloc(id, gfp, slot, site);
        } catch (e) {
          return bridge.oops(name, e);
        }
      };
    } else if (name === 'pool_alloc_fast') {
      // The synchronous hot path: no arguments, no result (both go through the fast area).
      f = () => {
        try {
          bridge.pool_alloc_fast();
        } catch (e) {
          bridge.oops(name, e);
        }
      };
    } else if (name === 'pool_free_fast') {
      f = () => {
        try {
          bridge.pool_free_fast();
        } catch (e) {
          bridge.oops(name, e);
        }
      };
    } else if (name === 'pool_free') {
      f = (id: number, vaddr: number, dma: number, site: number) => {
        try {
          bridge.pool_free(id, vaddr, dma, site);
        } catch (e) {
          bridge.oops(name, e);
        }
      };
    } else {
      f = guarded(bridge, name, impl.bind(bridge));
    }
    values[name] = koffi.register(f, type);
  }
  koffi.struct('dmashim_ops', members as Record<string, object>);
  // Node makes its stdout/stderr streams lazily and puts a pipe in non-blocking mode when it does; that must happen
  // before dmashim_bridge_init gives C blocking descriptors (a C printf into a non-blocking full pipe loses its text).
  if (process.stdout.fd !== 1 || process.stderr.fd !== 2) fail('internal: stdout/stderr are not fds 1 and 2');
  const init = lib.func(
    'int32_t dmashim_bridge_init(const dmashim_ops *o, uint32_t abi, int32_t nr_ops, void *arena, double size, int32_t threaded)',
  );
  if (num(init(values, DMASHIM_ABI_VERSION, OPS_PROTOTYPES.length, base, size, cfg.threads ? 1 : 0)) !== 0) {
    fail('the C bridge refused to start (see above)');
  }
  if (iomem.length > 0) {
    // Where device memory starts, so linux/mm.h's virt_to_page can tell it from RAM without crossing.
    const devmemInit = fn('void dmashim_devmem_init(double start, double len)');
    if (!devmemInit) fail('internal: the C bridge has no dmashim_devmem_init');
    devmemInit(ramSize, size - ramSize);
  }
  if (cfg.crash) {
    // After init: only the C program's run (and what follows) is covered, not the runner's start.
    const arm = fn('int32_t dmashim_crash_arm(int32_t fd)');
    if (!arm || num(arm(openSync(cfg.crash, 'w'))) !== 0) fail('the C bridge cannot catch crashes (sigaction failed)');
    if (here) {
      // Nobody waits on this process: after a crash, a stop or the timeout it becomes the judge (aftermath.ts).
      const after = fn(
        'int32_t dmashim_crash_aftermath(const char *node, const char *script, const char *job, int32_t timeout_ms)',
      );
      if (!after || num(after(...here.aftermath, here.timeout_ms)) !== 0)
        fail('the C bridge cannot catch stop signals (sigaction failed)');
      aftermathOff = fn('void dmashim_crash_aftermath_off(void)');
      // A stop that came while we started: the C half's handler ends the run as it would have.
      const early = here.stopped();
      if (early) process.kill(process.pid, early);
    }
  }
  if (cfg.pool_cache) {
    if (num(fn('int32_t dmashim_pool_cache_config(int32_t cap)')!(cfg.pool_cache)) !== 0)
      fail(`the C bridge refused --pool-cache=${cfg.pool_cache}`);
  }

  // The end of the run, when main returns or the program calls exit(): the status to exit with.
  const end = (main_status: number): number => {
    // The program is over: a stop or the timeout from now on ends this process as it would end any other.
    aftermathOff?.();
    // Blocks still in the C cache go back to the core first: the pools files and the leak report count them.
    cacheDrain();
    logFlush();
    fflush(null);
    const pools: PoolsFile[] = [];
    for (let id = 1; id < bridge.devices.length; id++) {
      const dev = bridge.devices[id]!;
      const text = sysfs_read(dev, 'pools');
      if (text === null) continue;
      const dir = dev.bus_name === 'pci' ? '/sys/bus/pci/devices' : '/sys/devices';
      pools.push({ device: dev.name, path: `${dir}/${dev.name}/pools`, text });
      if (cfg.pools) process.stdout.write(`$ cat ${dir}/${dev.name}/pools\n${text}`);
    }
    // Printed when it fails the run, or always when asked for (--leaks).
    const found = dma_leak_report(machine, false);
    const leaks =
      cfg.leaks === 'print' || (cfg.leaks !== 'off' && !found.clean) ? dma_leak_report(machine, true) : found;
    let status = main_status & 0xff;
    const n = num(refused());
    if (n > 0) {
      process.stderr.write(`dmashim: ${n} call(s) from a second thread were refused; run with --threads\n`);
      if (status === 0) status = 1;
    }
    event({
      t: 'end',
      main_status,
      status,
      dma_debug_errors: dma_debug_error_count(machine),
      refused: n,
      leaks,
      pools,
    });
    return status;
  };
  const finish = (main_status: number): never => exit(end(main_status));
  const exitHookType = koffi.pointer(koffi.proto('int32_t dmashim_exit_hook(int32_t status)'));
  const exitHook = koffi.register((st: number) => {
    try {
      return judge_once(end(st));
    } catch (e) {
      return bridge.oops('exit', e);
    }
  }, exitHookType);
  const setExitHook = lib.func('void dmashim_set_exit_hook(dmashim_exit_hook *hook)');
  setExitHook(exitHook);
  // Our own exit (main returned, a bad option, an oops) must not call back into a JavaScript that is going away.
  process.on('exit', () => setExitHook(null));

  const argv = [...cfg.argv, null];
  const main = fn('int main(int argc, char **argv)');
  if (main) {
    if (cfg.threads) {
      main.async(cfg.argv.length, argv, (err: unknown, res: unknown) => {
        if (err) bridge.oops('main', err);
        finish(num(res));
      });
      return;
    }
    finish(num(main(cfg.argv.length, argv)));
  }
  // No main(): a module. init, then exit when init succeeded.
  const modInit = fn('int __dmashim_module_init(void)');
  if (!modInit) fail(`${cfg.argv[0]} has neither main() nor module_init()`);
  const modExit = fn('void __dmashim_module_exit(void)');
  const call = (f: KoffiFunction, done: (r: unknown) => void): void => {
    if (cfg.threads) {
      f.async((err: unknown, res: unknown) => {
        if (err) bridge.oops('module', err);
        done(res);
      });
    } else done(f());
  };
  call(modInit, (r) => {
    const rc = num(r);
    if (rc !== 0 || !modExit) finish(rc < 0 ? 1 : rc);
    else call(modExit, () => finish(0));
  });
}

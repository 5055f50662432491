/*
 * Where dmashim's own files are, for the CLI and run(): include/ and native/ at
 * the package root, and the runner beside this file. This code runs from
 * src/bridge/ (a checkout, through tsx) or from dist/src/bridge/ (the package).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { child_process } from './lazy.ts';

const HERE = fileURLToPath(import.meta.url);

/* Walk up to our own package.json rather than count levels: the depth differs between src/ and dist/src/. */
function package_root(from: string): string {
  for (let d = path.dirname(from); d !== path.dirname(d); d = path.dirname(d)) {
    const pj = path.join(d, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: unknown }).name === 'dmashim') return d;
  }
  throw new Error(`dmashim: cannot find dmashim's package.json above ${from}`);
}

export const PACKAGE_ROOT = package_root(HERE);
/*
 * Only a checkout (it has src/) can hold a bundle older than what it bundles (a tsc-only rebuild). An installed
 * package never rebuilds, and its files' times are those of their extraction, in the tarball's order: there a bundle
 * is used whenever present.
 */
const CHECKOUT = existsSync(path.join(PACKAGE_ROOT, 'src'));
function newer_or_same(bundle: string, entry: string): boolean {
  try {
    return !CHECKOUT ? existsSync(bundle) : statSync(bundle).mtimeMs >= statSync(entry).mtimeMs;
  } catch {
    return false;
  }
}
export const INCLUDE_DIR = path.join(PACKAGE_ROOT, 'include');
export const NATIVE_DIR = path.join(PACKAGE_ROOT, 'native');
/*
 * The runner's entry is this file's sibling: runner-main.js runs on plain node, runner-main.ts (a checkout) needs tsx.
 * In a bundle (cli-bundle.cjs) this file is the bundle: its siblings are still dist/src/bridge's.
 */
const RUNNER_EXT = path.extname(HERE) === '.ts' ? '.ts' : '.js';
const RUNNER = path.join(path.dirname(HERE), `runner-main${RUNNER_EXT}`);
/*
 * What a run in the CLI's own process becomes after a crash, a stop or its timeout (run.ts, run_here): the build's
 * one-file aftermath-bundle.cjs (in a checkout, while it is as new as aftermath.js, which runs alike but loads ~20 ES
 * modules).
 */
const AFTERMATH_JS = path.join(path.dirname(HERE), 'aftermath.js');
const AFTERMATH_BUNDLE = path.join(path.dirname(HERE), 'aftermath-bundle.cjs');
export const AFTERMATH = newer_or_same(AFTERMATH_BUNDLE, AFTERMATH_JS) ? AFTERMATH_BUNDLE : AFTERMATH_JS;
/** Whether this code is the compiled one (dist/), which run_here needs: the C half execs AFTERMATH on plain node. */
export const COMPILED = RUNNER_EXT === '.js';
const RUNNER_LOADER: string[] = RUNNER_EXT === '.ts' ? ['--import', import.meta.resolve('tsx')] : [];
/* The build's one-file runner (scripts/bundle-runner.mjs) starts faster; in a checkout, a tsc-only rebuild leaves it older. */
const BUNDLE = path.join(path.dirname(HERE), 'runner-bundle.cjs');

function bundle_fresh(): boolean {
  return RUNNER_EXT === '.js' && newer_or_same(BUNDLE, RUNNER);
}

/* The bundle's entry: it loads the bundle through V8's code cache (cjs/load-bundle.cjs). */
const BUNDLE_ENTRY = path.join(PACKAGE_ROOT, 'cjs', 'runner.cjs');

/** How node starts the runner. */
export function runner_node_args(): string[] {
  return bundle_fresh() ? [BUNDLE_ENTRY] : [...RUNNER_LOADER, RUNNER];
}

/*
 * Node parses the CA file NODE_EXTRA_CA_CERTS names at every start, before any script runs: ~40 ms of CPU with a full
 * CA bundle, as corporate machines set it. The runner makes no TLS connection, so it starts without it, under this
 * name, and runner-main.ts puts it back before the program can look.
 */
export const RUNNER_CA_CERTS = 'DMASHIM_RUNNER_NODE_EXTRA_CA_CERTS';

/** The runner's environment: ours without what would change a run behind the options' back. */
export function runner_env(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('VITEST') && !k.startsWith('DMASHIM_') && k !== 'NODE_OPTIONS') env[k] = v;
  const ca = env['NODE_EXTRA_CA_CERTS'];
  if (ca !== undefined) {
    delete env['NODE_EXTRA_CA_CERTS'];
    env[RUNNER_CA_CERTS] = ca;
  }
  return env;
}

/*
 * A runner started before the CLI has even loaded (bin/dmashim.js, for
 * `test`; `run` runs the program in the CLI's own process): node's start, the runner's modules and koffi load while the CLI
 * parses, finds the cached build and hashes its inputs, on the other core. It
 * waits for its configuration on fd 3; run() takes it when the run's stdio and
 * working directory are the ones it was started with, and a runner nobody takes
 * reads end-of-file when we exit and exits silently.
 */
interface Prestarted {
  child: ChildProcess;
  stdio: 'inherit' | 'pipe';
  cwd: string;
  failed: boolean;
}
let prestarted: Prestarted | null = null;

/** Start a runner that waits for its configuration (see above). */
export function runner_prestart(stdio: 'inherit' | 'pipe'): void {
  if (prestarted || !bundle_fresh()) return;
  const cwd = process.cwd();
  const child = child_process().spawn(process.execPath, [BUNDLE_ENTRY], {
    cwd,
    env: { ...runner_env(), DMASHIM_RUN_FD: '3' },
    // Its own process group, as run() starts it: a stop reaches whatever the program started too.
    detached: true,
    stdio: ['inherit', stdio, stdio, 'pipe'],
  });
  const p: Prestarted = { child, stdio, cwd, failed: false };
  child.on('error', () => {
    p.failed = true;
  });
  // Not taken, it must not keep us alive, nor spend a core finishing its start after we are gone (a bad option).
  child.unref();
  for (const s of child.stdio) (s as { unref?: () => void } | null)?.unref?.();
  process.on('exit', () => {
    if (prestarted === p) discard(p);
  });
  prestarted = p;
}

function discard(p: Prestarted): void {
  p.child.stdio[3]?.destroy();
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
}

/**
 * The prestarted runner when it fits a run with this stdio and working
 * directory (once), or null; the caller sends the configuration with
 * runner_configure.
 */
export function runner_take(stdio: 'inherit' | 'pipe', cwd: string): ChildProcess | null {
  const p = prestarted;
  if (!p) return null;
  prestarted = null;
  if (p.failed || p.child.exitCode !== null || p.child.signalCode !== null || p.stdio !== stdio || p.cwd !== cwd) {
    discard(p);
    return null;
  }
  p.child.ref();
  for (const s of p.child.stdio) (s as { ref?: () => void } | null)?.ref?.();
  return p.child;
}

/** Hand a taken runner its configuration (the JSON DMASHIM_RUN would carry). */
export function runner_configure(child: ChildProcess, config: string): void {
  const fd3 = child.stdio[3] as NodeJS.WritableStream | null | undefined;
  fd3?.end(config);
}

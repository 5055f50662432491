/*
 * Running C programs through `dmashim run`, each in its own process (a crash
 * cannot reach vitest), and the reasons to skip when the bridge cannot work here.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { koffi_unavailable_reason } from '../../src/bridge/koffi.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const C_DIR = path.join('test', 'bridge', 'c');
const BIN = path.join(ROOT, 'bin', 'dmashim.js');

const compilers = new Map<string, boolean>();

/** Whether `cc` runs here (asked once per compiler: many tests ask). */
export function has_compiler(cc: string): boolean {
  let ok = compilers.get(cc);
  if (ok === undefined) {
    ok = spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0;
    compilers.set(cc, ok);
  }
  return ok;
}

/** Why the bridge tests cannot run here, or null. */
export function bridge_skip_reason(): string | null {
  const k = koffi_unavailable_reason();
  if (k) return `bridge tests skipped: ${k}`;
  if (!has_compiler(process.env['CC'] ?? 'cc')) return 'bridge tests skipped: no C compiler (cc) on PATH';
  return null;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The environment and node argv of `dmashim run <files> <options> [-- args]`: a clean environment (not vitest's). */
function run_command(files: string[], options: string[], args: string[]): { env: NodeJS.ProcessEnv; argv: string[] } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['VITEST'];
  delete env['DMASHIM_QUIET'];
  delete env['NODE_OPTIONS'];
  const argv = [BIN, 'run', ...files.map((f) => (f.includes('/') ? f : path.join(C_DIR, f))), ...options];
  if (args.length) argv.push('--', ...args);
  return { env, argv };
}

/** `dmashim run <files> <options> [-- args]` from the repo root, in a clean environment (not vitest's). */
export function dmashim_run(
  files: string[],
  options: string[] = [],
  args: string[] = [],
  timeoutMs = 60_000,
): RunResult {
  const { env, argv } = run_command(files, options, args);
  const r = spawnSync(process.execPath, argv, { cwd: ROOT, env, encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** dmashim_run without blocking: several programs of one test run at once (the machine's cores are the limit). */
export function dmashim_run_async(
  files: string[],
  options: string[] = [],
  args: string[] = [],
  timeoutMs = 60_000,
): Promise<RunResult> {
  const { env, argv } = run_command(files, options, args);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const kill = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(kill);
      resolve({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/**
 * dmashim_run with a slow reader: nothing is read from the program's stdout and
 * stderr for `stallMs`, so its pipes fill up, then everything is read.
 */
export function dmashim_run_stalled(
  files: string[],
  args: string[],
  stallMs: number,
  timeoutMs = 60_000,
): Promise<RunResult> {
  const { env, argv } = run_command(files, [], args);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.pause();
    child.stderr.pause();
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const stall = setTimeout(() => {
      child.stdout.resume();
      child.stderr.resume();
    }, stallMs);
    const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(stall);
      clearTimeout(kill);
      resolve({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** The line number of the comment `MARK name` in a C file of test/bridge/c. */
export function mark_line(file: string, name: string): number {
  const lines = readFileSync(path.join(ROOT, C_DIR, file), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(`MARK ${name} `) || l.endsWith(`MARK ${name} */`));
  if (i < 0) throw new Error(`no MARK ${name} in ${file}`);
  return i + 1;
}

/*
 * The compiled CLI's main(argv) in this process (dist/; no node start), with
 * what it writes: for checks that end before any program runs (bad flags).
 */
export async function dmashim_main(argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const url = pathToFileURL(path.join(ROOT, 'dist', 'src', 'bridge', 'cli.js')).href;
  const { main } = (await import(url)) as { main: (argv: string[]) => Promise<number> };
  const out = { stdout: '', stderr: '' };
  const write = { stdout: process.stdout.write, stderr: process.stderr.write };
  const capture = (to: 'stdout' | 'stderr') =>
    ((chunk: string | Uint8Array) => {
      out[to] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture('stdout');
  process.stderr.write = capture('stderr');
  try {
    return { status: await main(argv), ...out };
  } finally {
    process.stdout.write = write.stdout;
    process.stderr.write = write.stderr;
  }
}

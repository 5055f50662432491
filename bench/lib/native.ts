/*
 * Building and running the C halves of the benchmark. Sources live in
 * native/bench/; objects are built at bench time with the system cc into
 * build/bench/ (git-ignored), so the numbers always come from the source in the tree.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const NATIVE_BENCH = join(ROOT, 'native', 'bench');
export const BUILD_DIR = join(ROOT, 'build', 'bench');

export interface BuildResult {
  ok: boolean;
  path: string;
  /** cc's diagnostics when the build failed. */
  error: string;
}

/** The C compiler: $CC, else cc. */
export function ccCommand(): string {
  return process.env['CC'] || 'cc';
}

/** cc -O2 a source of native/bench into build/bench (an executable, or a shared object with shared=true). */
export function buildC(source: string, shared: boolean, extra: readonly string[] = []): BuildResult {
  mkdirSync(BUILD_DIR, { recursive: true });
  const src = join(NATIVE_BENCH, source);
  const out = join(BUILD_DIR, basename(source, '.c') + (shared ? '.so' : ''));
  if (!existsSync(src)) return { ok: false, path: out, error: `${src}: no such file` };
  const args = ['-O2', '-Wall', '-Wextra', ...(shared ? ['-shared', '-fPIC'] : []), '-o', out, src, ...extra];
  const r = spawnSync(ccCommand(), args, { encoding: 'utf8' });
  if (r.error) return { ok: false, path: out, error: `${ccCommand()}: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, path: out, error: (r.stderr || r.stdout || `exit ${r.status}`).trim() };
  return { ok: true, path: out, error: '' };
}

/** `cc --version`, first line, for the results file. */
export function ccVersion(): string {
  const r = spawnSync(ccCommand(), ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout.split('\n')[0] ?? '').trim() : 'unknown';
}

export interface RefSample {
  row: number;
  /** The kernel's algorithm without its pool lock (a diagnostic row). */
  ref_ns: number;
  /** The kernel's algorithm with its pool spinlock, as dma_pool_alloc/free run: the reference of record. */
  ref_locked_ns: number;
  malloc_ns: number;
  /** dmashim's out-of-band, always-checked algorithm written in C (a diagnostic row). */
  oob_ns: number;
}

/** One run of the C reference executable: one warm-up pass, then `reps` timed passes of all rows (`row`: that row only). */
export function runRef(exe: string, reps: number, rounds: number, row = -1): RefSample[] {
  const r = spawnSync(exe, [String(reps), String(rounds), ...(row >= 0 ? [String(row)] : [])], { encoding: 'utf8' });
  if (r.error) throw new Error(`bench: ${exe}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`bench: ${exe} exited ${r.status}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as RefSample);
}

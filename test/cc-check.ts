/*
 * Compiler checks of the test suite (-fsyntax-only, or -c -o /dev/null) with
 * their results kept: a check's outcome is a function of what it reads (the
 * compiler, its arguments, the working directory, standard input, the files
 * named on its command line, our include/ and native/ trees, the system
 * headers), so a check whose inputs are all unchanged since it last ran gives
 * the result it gave then, without ~0.1 s of compiler. Any change to any of
 * them is another key, and compiles again. DMASHIM_TEST_CC_CACHE=0 compiles
 * every time.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compiler_identity } from '../src/bridge/progcache.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIR = path.join(ROOT, 'node_modules', '.cache', 'dmashim', 'cc-checks');
const ON = process.env['DMASHIM_TEST_CC_CACHE'] !== '0';

export interface CcResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/* Every file under include/ and native/, by path and contents: hashed once per process (tests do not edit them). */
let trees: string | null = null;
function tree_hash(): string {
  if (trees !== null) return trees;
  const h = createHash('sha256');
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile())
        h.update(`${path.relative(ROOT, p)}\0`)
          .update(readFileSync(p))
          .update('\0');
    }
  };
  walk(path.join(ROOT, 'include'));
  walk(path.join(ROOT, 'native'));
  // The C library's and the compiler's own headers: a package upgrade replaces files, which changes the directory.
  for (const d of ['/usr/include', '/usr/local/include']) {
    try {
      const st = statSync(d);
      h.update(`${d}:${st.mtimeMs}:${st.ino}\0`);
    } catch {
      h.update(`${d}:none\0`);
    }
  }
  trees = h.digest('hex');
  return trees;
}

/**
 * spawnSync(cc, args) for a check that writes no file (-fsyntax-only, or
 * -o /dev/null), its result reused while all its inputs are unchanged.
 */
export function cc_check(cc: string, args: string[], opts: { cwd?: string; input?: string } = {}): CcResult {
  const o = args.indexOf('-o');
  if (!args.includes('-fsyntax-only') && !(o >= 0 && args[o + 1] === '/dev/null'))
    throw new Error(`cc_check: ${args.join(' ')} writes a file; only checks can be kept`);
  const cwd = opts.cwd ?? process.cwd();
  const run = (): CcResult => {
    const r = spawnSync(cc, args, { cwd, input: opts.input, encoding: 'utf8' });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  if (!ON) return run();
  const h = createHash('sha256');
  const env = ['CPATH', 'C_INCLUDE_PATH', 'GCC_EXEC_PREFIX', 'COMPILER_PATH'].map((k) => process.env[k] ?? null);
  h.update(JSON.stringify([compiler_identity(cc, process.env), args, cwd, opts.input ?? null, env, tree_hash()]));
  // A named source, and what sits beside it (the local headers it may include).
  const dirs = new Set<string>();
  for (const a of args) {
    const f = path.resolve(cwd, a);
    try {
      if (statSync(f).isFile() && !f.startsWith('/dev/')) dirs.add(path.dirname(f));
    } catch {
      // not a file: an option or its value, hashed with the arguments
    }
  }
  for (const d of dirs)
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1)))
      if (e.isFile()) h.update(`\0${path.join(d, e.name)}\0`).update(readFileSync(path.join(d, e.name)));
  const file = path.join(DIR, `${h.digest('hex')}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as CcResult;
  } catch {
    // not checked with these inputs yet
  }
  const r = run();
  if (r.status !== null) {
    mkdirSync(DIR, { recursive: true });
    const tmp = `${file}.${process.pid}`;
    writeFileSync(tmp, JSON.stringify(r));
    renameSync(tmp, file);
  }
  return r;
}

/*
 * vitest globalSetup: the tests run `dmashim` as users do, from the compiled
 * dist/, so rebuild it first when a source is newer than the last build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = path.join(ROOT, 'dist', 'src', 'index.js');

function newest(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = 0;
  for (const e of readdirSync(p)) t = Math.max(t, newest(path.join(p, e)));
  return t;
}

export default function setup(): void {
  const inputs = ['src', 'compat', 'tsconfig.json', 'tsconfig.build.json'].map((f) => path.join(ROOT, f));
  if (existsSync(STAMP) && statSync(STAMP).mtimeMs >= Math.max(...inputs.map(newest))) return;
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'bundle-runner.mjs')], { cwd: ROOT, stdio: 'inherit' });
  // Type errors still emit: the typecheck step reports them; only a missing build is fatal.
  if (!existsSync(STAMP)) throw new Error(`build of dist/ failed (tsc exited with ${r.status ?? r.signal})`);
}

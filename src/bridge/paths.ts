/*
 * Where dmashim's own files are, for the CLI and run(): include/ and native/ at
 * the package root, and the runner beside this file. This code runs from
 * src/bridge/ (a checkout, through tsx) or from dist/src/bridge/ (the package).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

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
export const INCLUDE_DIR = path.join(PACKAGE_ROOT, 'include');
export const NATIVE_DIR = path.join(PACKAGE_ROOT, 'native');
/* The runner is this file's sibling: runner.js runs on plain node, runner.ts (a checkout) needs tsx. */
const RUNNER_EXT = path.extname(HERE);
const RUNNER = path.join(path.dirname(HERE), `runner${RUNNER_EXT}`);
const RUNNER_LOADER: string[] = RUNNER_EXT === '.ts' ? ['--import', import.meta.resolve('tsx')] : [];
/* The build's one-file runner (scripts/bundle-runner.mjs) starts faster; a tsc-only rebuild leaves it older than runner.js. */
const BUNDLE = path.join(path.dirname(HERE), 'runner-bundle.js');

function bundle_fresh(): boolean {
  if (RUNNER_EXT !== '.js') return false;
  try {
    return statSync(BUNDLE).mtimeMs >= statSync(RUNNER).mtimeMs;
  } catch {
    return false;
  }
}

/** How node starts the runner. */
export function runner_node_args(): string[] {
  return bundle_fresh() ? [BUNDLE] : [...RUNNER_LOADER, RUNNER];
}

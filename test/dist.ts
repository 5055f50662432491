/*
 * The TypeScript API that runs C, as users get it: dist/'s compiled modules
 * (test/build-dist.ts rebuilds them when src/ is newer), typed by their
 * sources. Loaded from src/, run() starts each program's runner through tsx:
 * ~0.8 s more CPU per run than the compiled runner users get.
 */
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src');

async function load<T>(file: string): Promise<T> {
  return (await import(pathToFileURL(path.join(DIST, file)).href)) as T;
}

/** run() and its DmashimError (dist's own class: a src/ DmashimError is another class). */
export const { run, DmashimError } = await load<typeof import('../src/bridge/run.ts')>('bridge/run.js');
export const { run_kunit } = await load<typeof import('../src/kunit/run.ts')>('kunit/run.js');
export const { kunit } = await load<typeof import('../src/vitest.ts')>('vitest.js');

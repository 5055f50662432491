/*
 * Node modules that only some runs use, loaded on first use: a warm
 * `dmashim run` (program in the compile cache, no crash) never spawns, and
 * node:child_process with what it pulls in (net, streams) is ~6 ms of a start.
 */
import { createRequire } from 'node:module';

const req = createRequire(import.meta.url);
let cp: typeof import('node:child_process') | null = null;

/** node:child_process, loaded the first time it is needed. */
export function child_process(): typeof import('node:child_process') {
  cp ??= req('node:child_process') as typeof import('node:child_process');
  return cp;
}

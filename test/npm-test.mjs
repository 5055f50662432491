/*
 * `npm test`: the typecheck and vitest at once (a full typecheck, after an
 * edit or on a fresh clone, takes a core for several seconds while vitest
 * starts, instead of running before it). The typecheck's output comes after
 * vitest's; the script fails when either does.
 * Arguments go to vitest (`npm test -- test/bridge`).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const modules = `${root}node_modules/`;

// As in vitest.config.ts: node would parse the CA file named there at every start; nothing here uses TLS.
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

function start(args, stdio) {
  const child = spawn(process.execPath, args, { cwd: root, stdio, env });
  let text = '';
  child.stdout?.on('data', (b) => {
    text += b;
  });
  child.stderr?.on('data', (b) => {
    text += b;
  });
  return new Promise((resolve) => {
    child.on('error', (e) => resolve({ status: 1, text: `${e.message}\n` }));
    child.on('close', (status, signal) => resolve({ status: status ?? (signal ? 128 : 1), text }));
  });
}

/*
 * tsc -b: when no input is newer than the last check's record (tsconfig.json's tsBuildInfoFile), nothing is checked
 * again (~0.3 s instead of ~3.5 s of CPU); after an edit, only what it may have changed. Errors are recorded too, so an
 * unchanged tree with an error fails every time.
 */
const typecheck = start([`${modules}typescript/bin/tsc`, '-b', 'tsconfig.json'], ['ignore', 'pipe', 'pipe']);
const tests = start([`${modules}vitest/vitest.mjs`, 'run', ...process.argv.slice(2)], 'inherit');

const t = await tests;
const tc = await typecheck;
if (tc.status !== 0) process.stdout.write(`\n${tc.text}typecheck (tsc -b tsconfig.json) failed\n`);
process.exitCode = tc.status !== 0 ? 1 : t.status;

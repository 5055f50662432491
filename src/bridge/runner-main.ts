/*
 * The runner's process (run.ts, run()): its configuration comes as JSON in
 * DMASHIM_RUN, or on fd 3 when bin/dmashim.js started it ahead of the CLI
 * (paths.ts, runner_prestart). The build bundles this file and what it imports
 * into runner-bundle.cjs (scripts/bundle-runner.mjs).
 */
import { closeSync, readSync } from 'node:fs';
import { try_load_koffi } from './koffi.ts';
import { RUNNER_CA_CERTS } from './paths.ts';
import { run_runner, type RunConfig } from './runner.ts';

// Started without it (paths.ts, runner_env): the program sees the environment it was run in.
const ca = process.env[RUNNER_CA_CERTS];
if (ca !== undefined) {
  process.env['NODE_EXTRA_CA_CERTS'] = ca;
  delete process.env[RUNNER_CA_CERTS];
}

/* All of a descriptor until end-of-file, blocking (a non-blocking one is waited on in 1 ms steps). */
function read_all(fd: number): string {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(1 << 16);
  const nap = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(nap, 0, 0, 1);
      continue;
    }
    if (n === 0) return Buffer.concat(chunks).toString('utf8');
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
}

function start(json: string): void {
  let cfg: RunConfig;
  try {
    cfg = JSON.parse(json) as RunConfig;
  } catch {
    process.stderr.write('dmashim: bad DMASHIM_RUN configuration\n');
    process.exit(2);
  }
  run_runner(cfg);
}

if (process.env['DMASHIM_RUN']) {
  start(process.env['DMASHIM_RUN']);
} else if (process.env['DMASHIM_RUN_FD'] === '3') {
  // Started ahead of its configuration (paths.ts, runner_prestart): load koffi while the CLI gets there.
  try_load_koffi();
  const json = read_all(3);
  closeSync(3);
  // Nobody took this runner: the CLI has exited or chose another.
  if (json === '') process.exit(0);
  start(json);
}

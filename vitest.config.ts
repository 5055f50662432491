import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/*
 * Node reads NODE_EXTRA_CA_CERTS at every start, before any script: with a full CA bundle (as set on this project's
 * machines) that is ~40 ms of CPU per process, and the suite starts ~200 dmashim processes, none of which makes a TLS
 * connection. The workers and everything they start inherit this environment.
 */
delete process.env['NODE_EXTRA_CA_CERTS'];

/*
 * The tests' TMPDIR, and so their compile cache, is this checkout's own: the
 * cache is keyed by the working directory and keeps 128 programs per TMPDIR,
 * so checkouts sharing /tmp only evicted each other's (the suite builds ~60).
 */
const TMP = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node_modules', '.cache', 'dmashim', 'tmp');
mkdirSync(TMP, { recursive: true });

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The CLI under test is the compiled one users run: rebuild dist/ first when it is stale.
    globalSetup: ['test/build-dist.ts'],
    // Native code (koffi) is safest in child processes: a crash cannot take other files down.
    pool: 'forks',
    // A fresh process and vitest start per file cost about a third of the suite's CPU: files share a
    // worker, and test/setup.ts gives each one fresh dmashim modules, as a process of its own would.
    isolate: false,
    setupFiles: ['test/setup.ts'],
    // Vitest's default (cores - 1) is one worker on a 2-core machine; most files wait on C programs
    // running in child processes, so one worker per core keeps both busy.
    maxWorkers: Math.max(2, availableParallelism()),
    testTimeout: 60_000,
    experimental: { fsModuleCache: true },
    // DMASHIM_DIST_CHECKED: globalSetup rebuilt dist/, so bin/dmashim.js need not look for newer sources each start.
    env: { DMASHIM_QUIET: '1', DMASHIM_DIST_CHECKED: '1', TMPDIR: TMP },
  },
});

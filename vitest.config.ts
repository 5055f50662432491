import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

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
    env: { DMASHIM_QUIET: '1' },
  },
});

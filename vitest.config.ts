import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native code (koffi) is safest in child processes: a crash cannot take other files down.
    pool: 'forks',
    testTimeout: 60_000,
    env: { DMASHIM_QUIET: '1' },
  },
});

/* C written against the documented kernel API, run with no edits: a module with module_init and no main. */
import { describe, test, expect } from 'vitest';
import { bridge_skip_reason, dmashim_run } from './helpers.ts';

const skip = bridge_skip_reason();

describe('unmodified kernel-style C', () => {
  test('a dmapool_test-style module (ktime, cond_resched, kcalloc, clamp, ?:) runs and prints its lines', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['pooltest_module.c'], ['--leaks']);
    expect(r.status).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('dmapool test:'));
    expect(lines.map((l) => l.replace(/time:\d+$/, 'time:T'))).toEqual([
      'dmapool test: size:16   align:16   blocks:8192 time:T',
      'dmapool test: size:64   align:64   blocks:8192 time:T',
      'dmapool test: size:68   align:32   blocks:8192 time:T',
    ]);
    expect(r.stderr).toContain('leak report (bridge): clean');
  });
});

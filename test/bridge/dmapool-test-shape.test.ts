/*
 * A module shaped like the kernel's mm/dmapool_test.c (its seven headers,
 * set_dma_ops(dev, NULL), a hand-registered device released by device_del +
 * put_device, module_init/exit, no main) compiles unmodified and prints a line
 * per pool; the same under --kernel 6.16. Our own program, not the kernel's.
 */
import { describe, test, expect } from 'vitest';
import { bridge_skip_reason, dmashim_run } from './helpers.ts';

const skip = bridge_skip_reason();

describe('a dmapool_test-shaped module', () => {
  for (const opts of [[], ['--kernel', '6.16']]) {
    test(`runs unmodified${opts.length ? ` under ${opts.join(' ')}` : ''}`, (ctx) => {
      ctx.skip(skip !== null, skip ?? '');
      const r = dmashim_run(['pool_bench_module.c'], ['--leaks', ...opts]);
      expect(r.status, r.stderr).toBe(0);
      const lines = r.stderr
        .split('\n')
        .filter((l) => l.startsWith('pool bench:'))
        .map((l) => l.replace(/us:\d+$/, 'us:T'));
      expect(lines).toEqual([
        'pool bench: direct=1',
        'pool bench: 32/32/0 x4096 misplaced:0 us:T',
        'pool bench: 128/8/0 x2048 misplaced:0 us:T',
        'pool bench: 512/512/0 x512 misplaced:0 us:T',
        'pool bench: 200/64/1024 x1280 misplaced:0 us:T',
        'pool bench: 3000/16/0 x256 misplaced:0 us:T',
        'pool bench: pool-bench released',
        'pool bench: release calls 1',
      ]);
      expect(r.stderr).toContain('leak report (bridge): clean');
    });
  }
});

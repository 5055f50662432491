/*
 * A vitest test of C driver code through dmashim's run(): compile examples/ehci.c,
 * run it on the simulated machine, and assert on what the sanitizer found, the
 * leaks and the pools files. Copy it next to your driver's tests; run it with
 * `npx vitest run`. Each run() costs about a second (a compile and a child process).
 */
import { expect, test } from 'vitest';
// In your project: import { run } from 'dmashim/run';
import { run } from '../../src/bridge/run.ts';

test('the EHCI example keeps its qh/qtd blocks and trips no check', async () => {
  const r = await run(['examples/ehci.c'], { leaks: true, cflags: ['-O0'] });
  // Nothing reported but the blocks the example keeps on purpose (a leak finding: status 3).
  expect(r.findings.map((f) => f.kind)).toEqual(['leak']);
  expect(r.leaks?.blocks).toBe(6);
  expect(r.status).toBe(3);
  expect(r.ended).toMatchObject({ how: 'exit', main_status: 0 });
  const pools = r.pools?.find((p) => p.device === '0000:00:1a.0')?.text ?? '';
  expect(pools).toMatch(/^ehci_qh +3 +42 +96 +1$/m);
  expect(pools).toMatch(/^ehci_qtd +3 +42 +96 +1$/m);
});

/*
 * A vitest test of C driver code through dmashim's run(): compile examples/ehci.c,
 * run it on the simulated machine, and assert on what the sanitizer found, the
 * leaks and the pools files. Copy it next to your driver's tests; run it with
 * `npx vitest run`. Each run() costs about a second (a compile and a child process).
 */
import { expect, test } from 'vitest';
// In your project: import { run } from 'dmashim/run';
import { run } from '../../src/bridge/run.ts';

test('the EHCI example links its ring, unloads cleanly and trips no check', async () => {
  const r = await run(['examples/ehci.c'], { cflags: ['-O0'] });
  // The pools file the program printed while its ring was linked.
  expect(r.stdout).toMatch(/^ehci_qh +3 +42 +96 +1$/m);
  expect(r.stdout).toMatch(/^ehci_qtd +3 +42 +96 +1$/m);
  // Nothing found, nothing left at exit (a leak would be a finding: status 3).
  expect(r.findings).toEqual([]);
  expect(r.leaks?.clean).toBe(true);
  expect(r.status).toBe(0);
  expect(r.ended).toMatchObject({ how: 'exit', main_status: 0 });
});

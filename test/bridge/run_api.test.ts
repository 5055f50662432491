/* run(): `dmashim run` as a function, independent of the caller's environment (this one is vitest's). */
import { describe, test, expect } from 'vitest';
import { bridge_skip_reason, ROOT } from './helpers.ts';
import { DmashimError, run } from '../dist.ts';

const skip = bridge_skip_reason();

// The documented vitest example, run as part of this file (vitest's include is test/ only).
if (skip === null) await import('../../examples/vitest/ehci.test.ts');

describe('run()', () => {
  test('collects output, findings, leaks and pools; VITEST and DMASHIM_QUIET in our environment change nothing', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    // vitest sets both: they would turn allocation sites on and the console off in the child.
    expect(process.env['VITEST']).toBeDefined();
    const r = await run(['test/bridge/c/findings.c'], {
      cwd: ROOT,
      args: ['all'],
      leaks: true,
      fail_on_findings: false,
    });
    expect(r.stdout).toBe('sg=0\n');
    expect(r.status).toBe(0);
    expect(r.ended).toEqual({ how: 'exit', status: 0, main_status: 0, signal: null, message: null });
    expect(r.findings.map((f) => f.kind)).toEqual([
      'pool',
      'warn',
      'dma-debug',
      'might-sleep',
      'misuse',
      'pool',
      'leak',
    ]);
    // Sites stay off unless asked for, and the kernel log reaches stderr.
    expect(r.leaks?.text).toContain('allocated at (sites off)');
    expect(r.stderr).toContain('WARNING: at test/bridge/c/findings.c:');
    expect(r.stderr).toContain('not failing the run (--no-fail-on-findings)');
    expect(r.pools).toEqual([]);
  });

  test('the runner starts without NODE_EXTRA_CA_CERTS (node parses it at start) and the program still sees it', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const saved = process.env['NODE_EXTRA_CA_CERTS'];
    process.env['NODE_EXTRA_CA_CERTS'] = '/nonexistent/ca.pem';
    try {
      const r = await run(['test/bridge/c/ca_env.c'], { cwd: ROOT });
      expect(r.stdout).toBe('getenv=/nonexistent/ca.pem renamed=(unset) at_start=0\n');
      // Node warns when it cannot read the file: it never tried.
      expect(r.stderr).not.toContain('extra certs');
    } finally {
      if (saved === undefined) delete process.env['NODE_EXTRA_CA_CERTS'];
      else process.env['NODE_EXTRA_CA_CERTS'] = saved;
    }
    const r = await run(['test/bridge/c/ca_env.c'], { cwd: ROOT });
    expect(r.stdout).toBe(
      saved === undefined
        ? 'getenv=(unset) renamed=(unset) at_start=0\n'
        : `getenv=${saved} renamed=(unset) at_start=0\n`,
    );
  });

  test('a bad option throws a DmashimError before anything is built', async () => {
    await expect(run(['test/bridge/c/findings.c'], { cwd: ROOT, timeout: -1 })).rejects.toThrow(DmashimError);
    await expect(run(['nope.c'], { cwd: ROOT })).rejects.toThrow('nope.c: no such file');
    await expect(run([], {})).rejects.toThrow('no C source given');
    // machine options other than the flat fields go through whole, checked by the machine itself.
    const machine = 'big' as unknown as Record<string, never>;
    await expect(run(['test/bridge/c/findings.c'], { cwd: ROOT, machine })).rejects.toThrow(
      'machine options must be an object',
    );
    const saved = process.env['TMPDIR'];
    process.env['TMPDIR'] = `${ROOT}/package.json`; // a file
    try {
      await expect(run(['test/bridge/c/findings.c'], { cwd: ROOT })).rejects.toThrow(
        /^cannot make a build directory in \S+ \(TMPDIR must be a writable directory\)/,
      );
    } finally {
      if (saved === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = saved;
    }
  });

  test('machine options reach new Machine() whole: one it refuses ends the run as a bad option', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = await run(['test/bridge/c/findings.c'], { cwd: ROOT, machine: { reserved_low: -1 } });
    expect(r.ended.how).toBe('bad-option');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('reserved_low');
  });
});

describe('inputs', () => {
  test('a .c with an object file and an archive of the user build link into one program', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { execFileSync } = await import('node:child_process');
    const dir = mkdtempSync(`${tmpdir()}/dmashim-inputs-`);
    try {
      writeFileSync(`${dir}/h.c`, 'int helper(int x) { return x * 2; }\nint other(void) { return 5; }\n');
      writeFileSync(`${dir}/o.c`, 'int other(void);\nint other2(void) { return other() + 1; }\n');
      execFileSync('cc', ['-c', '-fPIC', `${dir}/h.c`, '-o', `${dir}/h.o`]);
      execFileSync('cc', ['-c', '-fPIC', `${dir}/o.c`, '-o', `${dir}/o.o`]);
      execFileSync('ar', ['rcs', `${dir}/libo.a`, `${dir}/o.o`]);
      writeFileSync(
        `${dir}/m.c`,
        '#include <linux/printk.h>\nint helper(int);\nint other2(void);\n' +
          'int main(void) { printk("h=%d o=%d\\n", helper(21), other2()); return 0; }\n',
      );
      const r = await run(['m.c', 'h.o', 'libo.a'], { cwd: dir });
      expect(r.stderr).toContain('h=42 o=6\n');
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/*
 * `dmashim run` runs the C program in the CLI's own process (run.ts, run_here):
 * one node start, not two. What that must keep: the program's children get its
 * stdout and stderr, and a stop that comes while the program is still being
 * compiled ends the run as a stop of the program would (status 128 + N, the
 * build folder gone). Crashes, stops of the running program and --timeout are
 * covered through the CLI in crash.test.ts, exit_status.test.ts and
 * test/misuse/cli.test.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { RunReport } from '../../src/bridge/run.ts';
import { bridge_skip_reason, dmashim_run_async } from './helpers.ts';

const skip = bridge_skip_reason();
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const F = 'test/bridge/c/inproc.c';
const dir = mkdtempSync(path.join(tmpdir(), 'dmashim-inproc-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Independent runs, two of which mostly wait (a slow compiler, a timeout): side by side.
describe.concurrent('dmashim run runs the program in its own process', () => {
  test('the program is the process the caller started: getpid() is the pid of `dmashim run`', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const env = { ...process.env };
    delete env['VITEST'];
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'dmashim.js'), 'run', F, '--', 'pid'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(out).toBe(`pid=${child.pid}\n`);
  });

  test("a child the program starts writes to the program's stdout and stderr", async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = await dmashim_run_async(['inproc.c'], [], ['children']);
    expect(r.stderr).toContain('child-err\n');
    expect(r.stdout).toBe('child-out\nsystem=0\n');
    expect(r.status).toBe(0);
  });

  test("with --timeout, the program's own alarm() is its own and the timeout still ends a hang", async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = await dmashim_run_async(['inproc.c'], ['--timeout', '1.8'], ['alarm'], 30_000);
    expect(r.stdout).toBe('alarm rang\n');
    expect(r.stderr).toContain('dmashim: test/bridge/c/inproc.c: timed out after 1.8 s and was killed\n');
    expect(r.status).toBe(124);
  });

  test("the core's oops (status 70) is judged too: --report says runner-error, the build folder goes", async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const report = path.join(dir, 'oops.json');
    const r = await dmashim_run_async(
      ['misuse_suite.c'],
      ['--verbose', '--no-fail-on-findings', '--report', report],
      ['bug'],
    );
    expect(r.status).toBe(70);
    expect(r.stderr).toMatch(/kernel BUG at kernel\/dma\/mapping\.c/);
    const rep = JSON.parse(readFileSync(report, 'utf8')) as RunReport;
    expect(rep.ended.how).toBe('runner-error');
    expect(rep.ended.status).toBe(70);
    const events = /"events":"([^"]+)"/.exec(r.stderr)![1]!;
    expect(existsSync(path.dirname(events))).toBe(false);
  });

  test('a stop while the program is being compiled: status 128+15, one line, no build folder left', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    // `cc` takes its time linking the program, so that the stop comes while it runs. The same name as
    // always: the bridge's objects (keyed by the compiler's name) come from the cache.
    const real = spawnSync('sh', ['-c', 'command -v cc'], { encoding: 'utf8' }).stdout.trim();
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(
      path.join(bin, 'cc'),
      `#!/bin/sh\ncase " $* " in *" -shared "*) sleep 1 ;; esac\nexec ${JSON.stringify(real)} "$@"\n`,
    );
    chmodSync(path.join(bin, 'cc'), 0o755);
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` };
    delete env['VITEST'];
    delete env['CC'];
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'bin', 'dmashim.js'), 'run', F, '--no-cache', '--verbose', '--', 'pid'],
      { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    let out = '';
    let sent = false;
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      // The compile command is printed as the compiler starts. One stop: a second one, sent on the
      // run's own last line, could find the handlers already gone and kill the process outright.
      if (!sent && / -o \S+\.so /.test(err)) {
        sent = true;
        child.kill('SIGTERM');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(143);
    expect(err).toContain(`dmashim: ${F}: stopped by SIGTERM (terminated)\n`);
    expect(out).toBe('');
    const so = / -o (\S+\.so) /.exec(err)![1]!;
    expect(existsSync(path.dirname(so))).toBe(false);
  });
});

/*
 * `dmashim run`'s exit status (docs/bridge.md, "Exit status"), the --report file,
 * the end of a run reached by exit(), stops sent to the CLI, and bad values.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test, expect } from 'vitest';
import { bridge_skip_reason, dmashim_run, mark_line, ROOT } from './helpers.ts';
import { cli_refused } from '../cli-main.ts';
import type { RunReport } from '../../src/bridge/run.ts';

const skip = bridge_skip_reason();
const F = 'test/bridge/c/findings.c';
const at = (mark: string): string => `${F}:${mark_line('findings.c', mark)}`;

describe('exit status and --report', () => {
  test('every kind of finding fails the run with status 3, says so in one line even with --quiet, and --report lists them', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const dir = mkdtempSync(path.join(tmpdir(), 'dmashim-test-'));
    try {
      const file = path.join(dir, 'report.json');
      const r = dmashim_run(['findings.c'], ['-q', '--leaks', '--sites', '--report', file], ['all']);
      expect(r.stdout).toBe('sg=0\n');
      expect(r.status).toBe(3);
      // Quiet hides the kernel log, not the verdict.
      expect(r.stderr).toBe(
        `dmashim: ${F}: 7 findings (1 dma-debug, 2 pool, 1 warn, 1 might-sleep, 1 misuse, 1 leak); exit status 3 (main returned 0; --no-fail-on-findings keeps main's status)\n`,
      );
      const rep = JSON.parse(readFileSync(file, 'utf8')) as RunReport;
      expect(rep.version).toBe(1);
      expect(rep.program).toEqual([F]);
      expect(rep.argv).toEqual([F, 'all']);
      expect(rep.ended).toEqual({ how: 'exit', status: 3, main_status: 0, signal: null, message: null });
      expect(rep.fail_on_findings).toBe(true);
      expect(rep.counts).toEqual({
        'dma-debug': 1,
        pool: 2,
        warn: 1,
        bug: 0,
        'might-sleep': 1,
        lock: 0,
        memory: 0,
        misuse: 1,
        leak: 1,
      });
      const kinds = rep.findings.map((f) => [f.kind, f.site]);
      expect(kinds).toEqual([
        ['pool', at('double_free')],
        ['warn', at('warn')],
        ['dma-debug', at('unmap')],
        ['might-sleep', at('might_sleep')],
        ['misuse', at('sg')],
        ['pool', at('busy')],
        ['leak', null],
      ]);
      const byKind = (k: string) => rep.findings.find((f) => f.kind === k)!;
      expect(byKind('pool').text[0]).toMatch(
        /^pci 0000:00:0f\.0: dma_pool_free findings, dma 0x[0-9a-f]+ already free$/,
      );
      expect(byKind('warn').text).toEqual([
        '------------[ cut here ]------------',
        'WARN_ON(argc > 1)',
        `WARNING: at ${at('warn')} main()`,
      ]);
      expect(byKind('dma-debug').text[0]).toContain('device driver tries to free DMA memory it has not allocated');
      expect(byKind('might-sleep').text[0]).toMatch(/^BUG: sleeping function called from invalid context/);
      expect(byKind('misuse').text[0]).toContain('dma_map_sg: nents 5 is larger than the scatterlist (2 entries)');
      // The busy destroy's report, its block list included, is one finding with the block's allocation site.
      const busy = rep.findings[5]!;
      expect(busy.text[0]).toBe('pci 0000:00:0f.0: dma_pool_destroy findings busy');
      expect(busy.allocated).toBe(at('leak'));
      expect(byKind('leak').allocated).toBe(at('leak'));
      expect(rep.leaks?.clean).toBe(false);
      expect(rep.leaks?.blocks).toBe(1);
      expect(rep.pools).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('DMA memory still held at exit fails the run by default; --no-leaks opts out', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['findings.c'], [], ['keep']);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('dmashim: leak report (bridge): 1 block in 1 pool, 0 coherent buffers, 64 bytes\n');
    expect(r.stderr).toContain(
      `dmashim: ${F}: 1 finding (1 leak); exit status 3 (main returned 0; --no-fail-on-findings keeps main's status)\n`,
    );
    const off = dmashim_run(['findings.c'], ['--no-leaks'], ['keep']);
    expect(off.stderr).not.toContain('leak');
    expect(off.status).toBe(0);
  });

  test('exit() from C: the unfinished printk line, --pools and --leaks still come out, and the status is exit()s', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    // Also: a source without the .c suffix is compiled as C. A fixed path, for the compile cache (keyed by it).
    const dir = path.join(tmpdir(), 'dmashim-exit-status-test');
    mkdirSync(dir, { recursive: true });
    try {
      const prog = path.join(dir, 'findings_prog');
      copyFileSync(path.join(ROOT, F), prog);
      const r = dmashim_run([prog], ['--leaks', '--pools'], ['exit']);
      expect(r.stdout).toBe(
        '$ cat /sys/bus/pci/devices/0000:00:0f.0/pools\npoolinfo - 0.1\nfindings            0   64   64  1\n',
      );
      expect(r.stderr).toContain('last words without a newline\n');
      expect(r.stderr).toContain('dmashim: leak report (bridge): clean\n');
      expect(r.status).toBe(5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('SIGTERM to `dmashim run` stops the program, removes its build directory and exits 128+15', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const env = { ...process.env };
    delete env['VITEST'];
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'dmashim.js'), 'run', F, '--verbose', '--', 'loop'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) child.kill('SIGTERM');
    });
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    clearTimeout(kill);
    expect(code).toBe(143);
    expect(err).toContain(`dmashim: ${F}: stopped by SIGTERM (terminated)\n`);
    const pid = Number(/^looping pid=(\d+)$/m.exec(out)![1]);
    expect(() => process.kill(pid, 0)).toThrow(); // ESRCH: the looping program is gone
    // The build directory, from the run's configuration --verbose prints (it holds the run's event file).
    const events = /"events":"([^"]+\/events\.jsonl)"/.exec(err)![1]!;
    expect(existsSync(path.dirname(events))).toBe(false);
  });

  test('bad values are answered in one line with what is accepted, status 2, no stack trace', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    // The runner refuses these once the program is built: a real run. (--ram 1G@3 is test/misuse/cli.test.ts's.)
    const at_run: Array<[string[], RegExp]> = [
      [['--ram', '8G@0'], /^dmashim: --ram: 8589934592 bytes of RAM in all; the machine takes 4K to 4G in all/],
      [['--ram', '64M@0,64M@32M'], /^dmashim: the machine \(--ram.*must not overlap$/],
      [['--swiotlb-size', '1000'], /^dmashim: --swiotlb-size: swiotlb size must be a positive multiple of \d+ bytes/],
    ];
    // run() refuses these before anything is built: the CLI's main() in this process.
    const before: Array<[string[], RegExp]> = [
      [['--timeout', '1e999'], /^dmashim: --timeout must be a number of seconds in 0\.\.\d+ \(0 = none\), got 1e999$/],
      [['--timeout', 'soon'], /^dmashim: --timeout must be a number of seconds/],
      [['--num-errors', '-1'], /^dmashim: --num-errors must be an integer in 0\.\.\d+, got -1$/],
    ];
    const check = (opts: string[], re: RegExp, r: { status: number | null; stderr: string }): void => {
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      expect(lines, opts.join(' ')).toHaveLength(1);
      expect(lines[0], opts.join(' ')).toMatch(re);
      expect(r.status, opts.join(' ')).toBe(2);
    };
    for (const [opts, re] of at_run) {
      const env = { ...process.env };
      delete env['VITEST'];
      const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'dmashim.js'), 'run', F, ...opts, '--', 'exit'], {
        cwd: ROOT,
        env,
        encoding: 'utf8',
      });
      check(opts, re, r);
    }
    for (const [opts, re] of before) check(opts, re, await cli_refused(['run', F, ...opts, '--', 'exit']));
  });
});

describe('the exit status of a run that went wrong', () => {
  test('a timeout is 124; a fractional timeout is taken', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    // Short: the program spins until it is killed, on a core the other tests need.
    const r = dmashim_run(['findings.c'], ['--timeout', '0.2005'], ['loop']);
    expect(r.stderr).toContain(`dmashim: ${F}: timed out after 0.201 s and was killed\n`);
    expect(r.status).toBe(124);
  });

  test('--no-fail-on-findings keeps main status and still names the findings', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['findings.c'], ['-q', '--no-fail-on-findings'], ['all']);
    expect(r.stderr).toBe(
      `dmashim: ${F}: 7 findings (1 dma-debug, 2 pool, 1 warn, 1 might-sleep, 1 misuse, 1 leak); not failing the run (--no-fail-on-findings); main returned 0\n`,
    );
    expect(r.status).toBe(0);
  });
});

describe('the command line', () => {
  const cli = (args: string[]) => {
    const env = { ...process.env };
    delete env['VITEST'];
    return spawnSync(process.execPath, [path.join(ROOT, 'bin', 'dmashim.js'), ...args], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
    });
  };

  test('--version, cflags, and a mistyped command or flag answered in one line with the closest one', async () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const v = cli(['--version']);
    expect([v.stdout, v.status]).toEqual([`dmashim ${pkg.version}\n`, 0]);
    const c = cli(['cflags']);
    expect([c.stdout, c.status]).toEqual([`-std=gnu11 -pthread -I ${path.join(ROOT, 'include')}\n`, 0]);
    // The refusals: the CLI's main() in this process (test/misuse/cli.test.ts runs some as processes).
    const typo = await cli_refused(['rnu', F]);
    expect([typo.stderr, typo.status]).toEqual([
      'dmashim: unknown command rnu (did you mean run?); commands: run, test, cflags, help, --version\n',
      2,
    ]);
    const flag = await cli_refused(['run', F, '--leak']);
    expect([flag.stderr, flag.status]).toEqual([
      'dmashim: unknown option --leak (did you mean --leaks?); dmashim run --help lists them\n',
      2,
    ]);
  });

  test('a run keeps the compiled CLI in a V8 code cache, only in a private directory, and outlives a bad one', () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'dmashim-codecache-'));
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
    delete env['VITEST'];
    // A run refused before it builds: the bundle loaded and the exit reached, nothing compiled.
    const refused = () =>
      spawnSync(process.execPath, [path.join(ROOT, 'bin', 'dmashim.js'), 'run', 'no-such.c'], {
        cwd: ROOT,
        env,
        encoding: 'utf8',
      });
    const dir = path.join(tmp, `dmashim-cache-${process.getuid?.() ?? 0}`);
    const caches = () => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.v8cache')) : []);
    const want = { status: 2, stderr: 'dmashim: no-such.c: no such file\n' };
    try {
      // No cache directory yet: nothing written (a run that builds makes it).
      expect(refused()).toMatchObject(want);
      expect(caches()).toEqual([]);
      mkdirSync(dir, { mode: 0o700 });
      expect(refused()).toMatchObject(want);
      const [name] = caches();
      const bundle = statSync(path.join(ROOT, 'dist', 'src', 'bridge', 'cli-bundle.cjs'));
      expect(name).toBe(
        `cli-bundle-${process.version}-${bundle.size}-${Math.trunc(bundle.mtimeMs)}-${bundle.ino}.v8cache`,
      );
      const file = path.join(dir, name!);
      // Taken as it is by the next run, so not written again.
      const made = statSync(file);
      expect(refused()).toMatchObject(want);
      expect(statSync(file).ino).toBe(made.ino);
      // A cache V8 rejects costs nothing but a new one.
      writeFileSync(file, 'not a code cache');
      expect(refused()).toMatchObject(want);
      expect(statSync(file).size).toBeGreaterThan(100_000);
      // The runner (run(), dmashim test) loads its bundle the same way: one nobody takes exits, and keeps its cache.
      const eof = openSync('/dev/null', 'r');
      const runner = spawnSync(process.execPath, [path.join(ROOT, 'cjs', 'runner.cjs')], {
        cwd: ROOT,
        env: { ...env, DMASHIM_RUN_FD: '3' },
        stdio: ['ignore', 'pipe', 'pipe', eof],
        encoding: 'utf8',
        timeout: 30_000,
      });
      closeSync(eof);
      expect([runner.status, runner.stderr]).toEqual([0, '']);
      expect(caches().filter((f) => f.startsWith(`runner-bundle-${process.version}-`))).toHaveLength(1);
      // A directory others may write to is not used.
      rmSync(file);
      for (const f of caches()) rmSync(path.join(dir, f));
      chmodSync(dir, 0o777);
      expect(refused()).toMatchObject(want);
      expect(caches()).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('--cflags "-O0 -DX" (a value starting with -), -I, -D and -l reach the compiler and the linker', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(
      ['flags.c'],
      ['--cflags', '-O0 -DFROM_CFLAGS="cflags"', '-I', 'test/bridge/c/include_extra', '-DFROM_D=3', '-lm'],
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('cflags 3 7 2\n');
    expect(r.status).toBe(0);
  });
});

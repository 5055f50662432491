/*
 * Issue 13's misuse suite, the CLI: every bad flag or value of cli_scenarios
 * gets one line naming it and what is accepted, status 2, no stack trace,
 * nothing on stdout and nothing left in TMPDIR. Then signals: a Ctrl-C to the
 * whole process group and a SIGHUP to the command alone reach the program, the
 * status is 128 + N, and nothing is left behind (the program, the build directory).
 */
import { afterAll, beforeAll, describe, test, expect } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bridge_skip_reason, ROOT } from '../bridge/helpers.ts';
import { cli_refused, type CliResult } from '../cli-main.ts';
import { cli_scenarios } from './scenarios.ts';

const BIN = path.join(ROOT, 'bin', 'dmashim.js');
const skip = bridge_skip_reason();

function clean_env(tmp: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
  delete env['VITEST'];
  delete env['DMASHIM_QUIET'];
  delete env['NODE_OPTIONS'];
  return env;
}

const CACHE = `dmashim-cache-${process.getuid?.() ?? 0}`;

/*
 * A TMPDIR of the tests' own, to see what a run leaves in it; its compile
 * cache is the usual one (a link to it), or every run in it would compile
 * native/ and the program again first. A fixed name, not a fresh one per run:
 * a program's cache entry is keyed by the paths of the bridge objects, which
 * are under TMPDIR.
 */
const TMP = path.join(os.tmpdir(), 'dmashim-misuse-cli');

beforeAll(() => {
  rmSync(TMP, { recursive: true, force: true });
  mkdirSync(TMP);
  const shared = path.join(os.tmpdir(), CACHE);
  mkdirSync(shared, { recursive: true });
  symlinkSync(shared, path.join(TMP, CACHE));
});

afterAll(() => {
  rmSync(TMP, { recursive: true, force: true });
});

/* What a run left in TMPDIR, but the compile cache (kept on purpose, shared by runs). */
function left_behind(): string[] {
  return readdirSync(TMP).filter((f) => f !== CACHE);
}

/* What a failing test left must not fail the next one too. */
function clear_left_behind(): void {
  for (const f of left_behind()) rmSync(path.join(TMP, f), { recursive: true, force: true });
}

/*
 * The scenarios a real `dmashim` process answers: those only a run refuses,
 * and one of each way main() refuses before anything runs (a flag the parser
 * rejects, a value run() rejects); main() in this process answers the others.
 */
const AS_PROCESS = new Set(['cli-unknown-flag', 'cli-timeout-inf']);

function as_process(argv: string[]): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...argv], {
    cwd: ROOT,
    env: clean_env(TMP),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('misuse of the CLI: bad flags and values', () => {
  /* The scenarios run one after another in one TMPDIR: each must leave it as it found it. */
  for (const s of cli_scenarios) {
    const t = s.known ? test.fails : test;
    const proc = s.at_run === true || AS_PROCESS.has(s.id);
    t(`${s.id}: ${s.does}${proc ? ' (a dmashim process)' : ''}`, async () => {
      try {
        const r = proc ? as_process(s.argv) : await cli_refused(s.argv, TMP);
        expect(r.status).toBe(s.expect.status);
        expect(r.stdout).toBe('');
        const lines = r.stderr.split('\n').filter((l) => l !== '');
        expect(lines.length, r.stderr).toBe(1);
        expect(lines[0]).toMatch(s.expect.message);
        expect(r.stderr).not.toMatch(/^\s+at /m);
        expect(left_behind()).toEqual([]);
      } finally {
        clear_left_behind();
      }
    });
  }
});

describe.skipIf(skip !== null)('misuse of the CLI: signals reach the program and nothing is left behind', () => {
  for (const [sig, group, status] of [
    ['SIGINT', true, 130],
    ['SIGHUP', false, 129],
  ] as const) {
    test(`${sig} to ${group ? 'the process group (Ctrl-C)' : 'dmashim alone'}: status ${status}, the program gone, no build directory`, async () => {
      try {
        const child = spawn(process.execPath, [BIN, 'run', 'test/bridge/c/misuse_suite.c', '--', 'loop'], {
          cwd: ROOT,
          env: clean_env(TMP),
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        const pid = await new Promise<number>((resolve, reject) => {
          child.stdout.on('data', (b: Buffer) => {
            out += b.toString();
            const m = /looping pid=(\d+)\n/.exec(out);
            if (m) resolve(Number(m[1]));
          });
          child.stderr.on('data', (b: Buffer) => {
            err += b.toString();
          });
          child.on('exit', () => reject(new Error(`ended before looping: ${err}`)));
        });
        const ended = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
        if (group) process.kill(-child.pid!, sig);
        else child.kill(sig);
        const watchdog = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 30_000);
        const code = await ended;
        clearTimeout(watchdog);
        expect(code).toBe(status);
        expect(err).toContain(`stopped by ${sig}`);
        expect(err).not.toMatch(/^\s+at /m);
        expect(alive(pid)).toBe(false);
        expect(left_behind()).toEqual([]);
      } finally {
        clear_left_behind();
      }
    }, 90_000);
  }
});

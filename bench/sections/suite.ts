/*
 * What a contributor waits for on every change (issue 16): `npm test` from
 * start to end, wall and CPU seconds (its children's, from the shell's
 * `times`), against the 60 s target. The test suite is its own reference: no
 * other run of it exists to compare with, so the section reports the time and
 * the cores it kept busy (CPU / wall), which says whether more cores or less
 * work would help. One run (it takes a minute); not with --quick.
 */
import { spawnSync } from 'node:child_process';
import { ROOT } from '../lib/native.ts';
import { progress } from '../lib/progress.ts';

export type SuiteResult = { ok: true; wall: number; cpu: number; tests: number | null } | { ok: false; reason: string };

export function runSuiteSection(quick: boolean): SuiteResult {
  if (quick) return { ok: false, reason: 'not with --quick (one run of npm test takes a minute)' };
  progress('suite', 'npm test (one run)');
  const env: NodeJS.ProcessEnv = {};
  // Our own run must not look like a run inside vitest (the suite reads VITEST and DMASHIM_*).
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('VITEST') && !k.startsWith('DMASHIM_') && k !== 'NODE_OPTIONS') env[k] = v;
  const t0 = process.hrtime.bigint();
  // Its output goes to stderr (ours is a socket: /dev/stderr cannot be opened); stdout keeps only `times`.
  const r = spawnSync('bash', ['-c', 'npm test 1>&2; s=$?; times; exit $s'], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) {
    const tail = (r.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    return { ok: false, reason: `npm test failed (status ${r.status}): ${tail}` };
  }
  // `times`: the shell's user and system time, then its children's.
  const lines = (r.stdout ?? '').trim().split('\n');
  const secs = (s: string): number => {
    const m = /^(\d+)m([\d.]+)s$/.exec(s);
    return m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
  };
  const children = (lines[lines.length - 1] ?? '').trim().split(/\s+/);
  const cpu = secs(children[0] ?? '') + secs(children[1] ?? '');
  const m = /Tests\s+(?:\S+\s+)*?(\d+) passed/.exec(r.stderr ?? '');
  return { ok: true, wall, cpu, tests: m ? Number(m[1]) : null };
}

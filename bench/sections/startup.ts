/*
 * What a user waits for (issue 16): a warm `dmashim run` of a small program
 * against `cc -O0 hello.c && ./a.out` in the same run, and a KUnit file of 20
 * cases (bench/c/kunit20.c) end to end with `dmashim test`. Wall-clock seconds
 * of whole commands, the three interleaved rep by rep so that load hits them
 * alike; one warm-up of each first (compile caches filled).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, ccCommand } from '../lib/native.ts';
import { bridgeRunner } from '../lib/bridge.ts';
import { progress } from '../lib/progress.ts';
import { summarize, type Summary } from '../lib/stats.ts';

export type StartupResult =
  | { ok: true; run: Summary; cc: Summary; kunit: Summary; reps: number }
  | { ok: false; reason: string };

const HELLO = '#include <stdio.h>\nint main(void) { printf("hello\\n"); return 0; }\n';

/* Seconds of one command, or null when it failed. */
function timed(cmd: string, args: string[], cwd: string): number | null {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DMASHIM_QUIET: '1' },
  });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return r.status === 0 ? s : null;
}

export function runStartupSection(quick: boolean): StartupResult {
  const bin = bridgeRunner();
  if (!bin) return { ok: false, reason: 'bridge not available (no bin/dmashim.js or src/bridge/)' };
  const dir = mkdtempSync(join(tmpdir(), 'dmashim-bench-'));
  try {
    writeFileSync(join(dir, 'hello.c'), HELLO);
    const kunit = join(ROOT, 'bench', 'c', 'kunit20.c');
    const cmds: Array<[string, string[]]> = [
      [process.execPath, [bin, 'run', 'hello.c']],
      ['sh', ['-c', `${ccCommand()} -O0 hello.c -o a.out && ./a.out`]],
      [process.execPath, [bin, 'test', kunit]],
    ];
    progress('startup', 'warm-up (fills the compile caches)');
    for (const [c, a] of cmds) {
      if (timed(c, a, dir) === null) return { ok: false, reason: `${[c, ...a].join(' ')} failed` };
    }
    const reps = quick ? 3 : 11;
    const got: number[][] = [[], [], []];
    for (let i = 0; i < reps; i++) {
      progress('startup', `rep ${i + 1}/${reps}: dmashim run, cc && ./a.out, dmashim test (20 cases)`);
      cmds.forEach(([c, a], k) => {
        const s = timed(c, a, dir);
        if (s !== null) got[k]!.push(s);
      });
    }
    if (got.some((g) => g.length === 0)) return { ok: false, reason: 'every rep of a command failed' };
    return { ok: true, run: summarize(got[0]!), cc: summarize(got[1]!), kunit: summarize(got[2]!), reps };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

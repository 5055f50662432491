/*
 * The compile cache of `dmashim run`: an unchanged program is not compiled
 * again; a changed source, an edited header it includes, other flags or
 * --no-cache compile it again.
 */
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { run } from '../dist.ts';
import { parse_make_deps, private_cache_dir } from '../../src/bridge/progcache.ts';
import { bridge_skip_reason } from './helpers.ts';

const skip = bridge_skip_reason();
const HIT = 'dmashim: unchanged since the last build';

describe('the compile cache', () => {
  test('parse_make_deps reads cc -M rules: several targets, continuations, escaped spaces', () => {
    const text = 'a.o: a.c /usr/include/stdio.h \\\n inc/x.h\nb.o: b.c my\\ dir/y.h inc/x.h\n';
    expect(parse_make_deps(text)).toEqual(['a.c', '/usr/include/stdio.h', 'inc/x.h', 'b.c', 'my dir/y.h']);
  });

  test('only a directory private to this user is used: its objects are linked into programs and loaded', () => {
    const top = mkdtempSync(path.join(tmpdir(), 'dmashim-private-'));
    try {
      const reasons: string[] = [];
      const check = (d: string) => private_cache_dir(d, (why) => reasons.push(why));
      // Made when missing, private.
      const fresh = path.join(top, 'fresh');
      expect(check(fresh)).toBe(fresh);
      expect(statSync(fresh).mode & 0o777).toBe(0o700);
      // A link to a private directory is followed (test/misuse/cli.test.ts links the usual cache).
      symlinkSync(fresh, path.join(top, 'link'));
      expect(check(path.join(top, 'link'))).toBe(path.join(top, 'link'));
      expect(reasons).toEqual([]);
      // Others may write to it: refused, and why.
      const open = path.join(top, 'open');
      mkdirSync(open);
      chmodSync(open, 0o777);
      expect(check(open)).toBeNull();
      chmodSync(open, 0o775);
      expect(check(open)).toBeNull();
      writeFileSync(path.join(top, 'file'), '');
      expect(check(path.join(top, 'file'))).toBeNull();
      expect(check(path.join(top, 'missing', 'deeper'))).toBeNull();
      expect(reasons.slice(0, 3)).toEqual([
        'others may write to it (mode 777)',
        'others may write to it (mode 775)',
        'it is not a directory',
      ]);
      expect(reasons[3]).toMatch(/^cannot make it: ENOENT/);
      // Another user's (only root can make one here).
      if (process.getuid?.() === 0) {
        const theirs = path.join(top, 'theirs');
        mkdirSync(theirs, { mode: 0o700 });
        chownSync(theirs, 65534, 65534);
        expect(check(theirs)).toBeNull();
        expect(reasons[4]).toBe('it belongs to uid 65534, not to this user (uid 0)');
      }
    } finally {
      rmSync(top, { recursive: true, force: true });
    }
  });

  test('a hit needs the same sources, headers and flags', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const dir = mkdtempSync(path.join(tmpdir(), 'dmashim-cache-test-'));
    try {
      // A unique program: no earlier run can have cached it.
      const tag = `${process.pid}_${Date.now()}`;
      writeFileSync(path.join(dir, 'value.h'), '#define VALUE 1\n');
      writeFileSync(
        path.join(dir, 'prog.c'),
        `#include <stdio.h>\n#include "value.h"\nint main(void) { printf("${tag} %d\\n", VALUE); return 0; }\n`,
      );
      const go = (extra: Partial<Parameters<typeof run>[1]> = {}) =>
        run(['prog.c'], { cwd: dir, verbose: true, ...extra });

      const first = await go();
      expect(first.stdout).toBe(`${tag} 1\n`);
      expect(first.stderr).not.toContain(HIT);

      const second = await go();
      expect(second.stdout).toBe(`${tag} 1\n`);
      expect(second.stderr).toContain(HIT);

      // A header touched but unchanged: still a hit, and the entry records its new times (it is not read again).
      const so = new RegExp(`${HIT}: (\\S+)\n`).exec(second.stderr)![1]!;
      const entryFile = path.join(path.dirname(so), 'entry.json');
      const sig_of = (f: string) =>
        (JSON.parse(readFileSync(entryFile, 'utf8')) as { deps: [string, string, string?][] }).deps.find(
          ([d]) => d === path.join(dir, f),
        )?.[2];
      const before = sig_of('value.h');
      expect(before).toMatch(/^m\d+:/);
      const later = new Date(Date.now() + 5000);
      utimesSync(path.join(dir, 'value.h'), later, later);
      const touched = await go();
      expect(touched.stderr).toContain(HIT);
      expect(touched.stdout).toBe(`${tag} 1\n`);
      expect(sig_of('value.h')).not.toBe(before);
      expect(sig_of('value.h')).toMatch(/^m\d+:/);

      // An included header changed: compiled again, and the new value runs.
      writeFileSync(path.join(dir, 'value.h'), '#define VALUE 2\n');
      const edited = await go();
      expect(edited.stderr).not.toContain(HIT);
      expect(edited.stdout).toBe(`${tag} 2\n`);
      expect((await go()).stderr).toContain(HIT);

      // Other flags are another program (a linker flag: a compiler flag would also rebuild the bridge objects).
      const flagged = await go({ ldflags: [`-L${dir}`] });
      expect(flagged.stderr).not.toContain(HIT);

      // --no-cache compiles even when nothing changed.
      const forced = await go({ cache: false });
      expect(forced.stderr).not.toContain(HIT);
      expect(forced.stdout).toBe(`${tag} 2\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

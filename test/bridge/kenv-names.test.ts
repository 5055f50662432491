/*
 * Every name of the helpers and gfp/mm groups (test/bridge/kenv-names.txt)
 * compiles against include/ with every header included: one use each, so a
 * name that disappears fails here by name. Needs no koffi.
 */
import { describe, test, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ROOT, has_compiler } from './helpers.ts';

const INCLUDE = path.join(ROOT, 'include');

function names(): { name: string; kind: string }[] {
  return readFileSync(path.join(ROOT, 'test', 'bridge', 'kenv-names.txt'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => {
      const [name = '', kind = 'f'] = l.split('|');
      return { name: name.trim(), kind: kind.trim() };
    });
}

/* One use of a name, marked with the name so a compiler error points back to it. */
function use(name: string, kind: string, i: number): string {
  if (kind === 's') return `/* ${name} */ static void p${i}(void) { (void)sizeof(struct ${name}); }`;
  if (kind === 't') return `/* ${name} */ static void p${i}(void) { ${name} *p = 0; (void)p; }`;
  if (kind.startsWith('x:')) return `#ifndef ${kind.slice(2)}\n#error missing ${name}\n#endif`;
  return `#ifndef ${name}\n/* ${name} */ static void p${i}(void) { (void)(${name}); }\n#endif`;
}

describe.each(['gcc', 'clang'])('helpers and gfp/mm names with %s', (cc) => {
  test('each name is there', (ctx) => {
    ctx.skip(!has_compiler(cc), `${cc} is not installed`);
    const list = names();
    expect(list.length).toBeGreaterThan(100);
    const headers = readdirSync(path.join(INCLUDE, 'linux'))
      .filter((f) => f.endsWith('.h'))
      .sort()
      .map((f) => `#include <linux/${f}>`);
    const src = [...headers, '#include <asm/io.h>', ...list.map((n, i) => use(n.name, n.kind, i))].join('\n');
    const dir = mkdtempSync(path.join(tmpdir(), 'kenv-names-'));
    try {
      const file = path.join(dir, 'names.c');
      writeFileSync(file, `${src}\n`);
      const r = spawnSync(
        cc,
        ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-Wno-unused-function', '-I', INCLUDE, '-fsyntax-only', file],
        {
          encoding: 'utf8',
        },
      );
      const lines = src.split('\n');
      const missing = new Set<string>();
      for (const m of (r.stderr ?? '').matchAll(/names\.c:(\d+):\d+: (?:fatal )?error/g)) {
        const line = lines[Number(m[1]) - 1] ?? '';
        missing.add(/\/\* (\S+) \*\//.exec(line)?.[1] ?? /#error missing (\S+)/.exec(line)?.[1] ?? line);
      }
      expect([...missing], r.stderr).toEqual([]);
      expect(r.status, r.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/*
 * The headers compile, unused and used, with gcc and clang at
 * -Wall -Wextra -Werror -std=gnu11, next to the C library's own headers; and
 * the C half of the bridge too. Needs no koffi.
 */
import { describe, test, expect } from 'vitest';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT, has_compiler } from './helpers.ts';
import { cc_check } from '../cc-check.ts';

const FLAGS = ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-I', path.join(ROOT, 'include')];

function compile(cc: string, file: string, extra: string[] = []): { status: number | null; out: string } {
  const r = cc_check(cc, [...FLAGS, ...extra, '-fsyntax-only', file], { cwd: ROOT });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe.each(['gcc', 'clang'])('headers with %s', (cc) => {
  test('every header, with libc headers around them', (ctx) => {
    ctx.skip(!has_compiler(cc), `${cc} is not installed (apt-get install -y ${cc})`);
    const r = compile(cc, 'test/bridge/c/headers.c');
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
  });

  test('the C bridge (native/*.c) and the examples', (ctx) => {
    ctx.skip(!has_compiler(cc), `${cc} is not installed (apt-get install -y ${cc})`);
    const bridge = readdirSync(path.join(ROOT, 'native'))
      .filter((f) => f.endsWith('.c'))
      .map((f) => `native/${f}`);
    for (const f of [
      ...bridge,
      'examples/ehci.c',
      'test/bridge/c/compat24.c',
      'test/bridge/c/sanitizer.c',
      'test/bridge/c/threads.c',
    ]) {
      const r = compile(cc, f, ['-pthread']);
      expect(r.out, f).toBe('');
      expect(r.status, f).toBe(0);
    }
  });
});

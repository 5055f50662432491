/*
 * The boundary has one definition, include/dmashim/abi.h. These tests hold
 * both sides to it: the C compiler must read the ops table, the constants and
 * the op codes as src/bridge/abi.ts reads them, and the Bridge class must
 * implement exactly the table's ops with their arguments. Needs a C compiler
 * for the C side, no koffi.
 */
import { describe, test, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  ABI,
  ABI_HEADER,
  CODE_FAMILIES,
  DMASHIM_ABI_VERSION,
  FAST_AREA_WORDS,
  OPS_PROTOTYPES,
  op_name,
  parse_abi,
} from '../../src/bridge/abi.ts';
import { Bridge } from '../../src/bridge/ops.ts';
import { ROOT, has_compiler } from './helpers.ts';

const CC = process.env['CC'] ?? 'cc';

describe('the TypeScript reader of dmashim/abi.h', () => {
  test('reads the file the package ships', () => {
    expect(ABI_HEADER).toBe(path.join(ROOT, 'include', 'dmashim', 'abi.h'));
    expect(Number.isInteger(DMASHIM_ABI_VERSION) && DMASHIM_ABI_VERSION > 0).toBe(true);
    expect(ABI.ops.length).toBeGreaterThan(0);
    expect(new Set(ABI.ops.map((o) => o.name)).size).toBe(ABI.ops.length);
    expect(OPS_PROTOTYPES.map(op_name)).toEqual(ABI.ops.map((o) => o.name));
  });

  test('refuses a row it cannot read instead of skipping it', () => {
    const table = (rows: string): string => `#define DMASHIM_OPS(OP) \\\n${rows}\n`;
    const two = parse_abi(table('\tOP(int32_t, a, (int32_t x)) \\\n\tOP(void, b, (void))'));
    expect(two.ops.map((o) => o.proto)).toEqual(['int32_t a(int32_t x)', 'void b(void)']);
    expect(() => parse_abi(table('\tOP(int32_t, a, (int32_t))'))).toThrow(/needs a type and a name/);
    expect(() => parse_abi(table('\tOP(int32_t, a)'))).toThrow(/cannot read/);
    expect(() => parse_abi(table('\tOP(int32_t, a, (int32_t x)) junk'))).toThrow(/cannot read/);
    expect(() => parse_abi('#define DMASHIM_ABI_VERSION 1\n')).toThrow(/no DMASHIM_OPS/);
  });

  test('every family of op codes names all the C codes of its prefix', () => {
    for (const { prefix, names } of CODE_FAMILIES) {
      const inC = [...ABI.constants.keys()].filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length));
      expect([...names].sort(), prefix).toEqual(inC.sort());
    }
  });
});

describe('the Bridge against the table', () => {
  test('implements exactly the ops, each with its C arguments', () => {
    const own = Object.getOwnPropertyNames(Bridge.prototype).filter((n) => n !== 'constructor');
    expect(own.sort()).toEqual(ABI.ops.map((o) => o.name).sort());
    const methods = Bridge.prototype as unknown as Record<string, (...a: never[]) => unknown>;
    for (const op of ABI.ops) expect(methods[op.name]!.length, op.name).toBe(op.args.length);
  });
});

describe('the C side against the TypeScript reader', () => {
  test('struct dmashim_ops, the constants and the op codes', (ctx) => {
    ctx.skip(!has_compiler(CC), `no C compiler (${CC}) on PATH`);
    const consts = [...ABI.constants.keys()];
    const prog = [
      '#include <stdio.h>',
      '#include <stddef.h>',
      '#include "internal.h"',
      '#define ROW(ret, name, args) \\',
      '\tprintf("op %s %s%s %zu\\n", #ret, #name, #args, offsetof(struct dmashim_ops, name));',
      'int main(void)',
      '{',
      '\tDMASHIM_OPS(ROW)',
      '\tprintf("nr %d %zu\\n", DMASHIM_NR_OPS, sizeof(struct dmashim_ops));',
      '\tprintf("fast_area_words %d\\n", (int)DMASHIM_FAST_AREA_WORDS);',
      ...consts.map((n) => `\tprintf("const ${n} %lld\\n", (long long)(${n}));`),
      '\treturn 0;',
      '}',
    ].join('\n');
    const dir = mkdtempSync(path.join(tmpdir(), 'dmashim-abi-'));
    try {
      const src = path.join(dir, 'abi.c');
      const exe = path.join(dir, 'abi');
      writeFileSync(src, prog);
      const include = ['-I', path.join(ROOT, 'include'), '-I', path.join(ROOT, 'native')];
      const flags = ['-std=gnu11', '-Wall', '-Werror', '-pthread', ...include];
      const c = spawnSync(CC, [...flags, '-o', exe, src], { encoding: 'utf8' });
      expect(c.stdout + c.stderr).toBe('');
      const r = spawnSync(exe, [], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      const lines = r.stdout.trim().split('\n');
      // The C preprocessor's view of each row: its prototype (spaces inside the parentheses normalised) and offset.
      const norm = (s: string): string => s.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')');
      const ops = lines.filter((l) => l.startsWith('op ')).map((l) => l.slice(3));
      expect(ops.map((l) => norm(l.slice(0, l.lastIndexOf(' '))))).toEqual(OPS_PROTOTYPES.map(norm));
      expect(ops.map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)))).toEqual(ABI.ops.map((_, i) => i * 8));
      expect(lines).toContain(`nr ${ABI.ops.length} ${ABI.ops.length * 8}`);
      expect(lines).toContain(`fast_area_words ${FAST_AREA_WORDS}`);
      const cConsts = new Map(
        lines.filter((l) => l.startsWith('const ')).map((l) => [l.split(' ')[1]!, Number(l.split(' ')[2]!)] as const),
      );
      expect(cConsts).toEqual(ABI.constants);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

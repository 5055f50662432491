/*
 * Every name of the DMA header groups (test/dmaapi-names.txt) exists from C:
 * one use of each, compiled against include/ after the headers a driver
 * includes. A function, constant or object macro is named as an expression, a
 * function-like macro must be defined, a struct and an enum must be complete,
 * a header must exist. One compile for all; when it fails, one per name, so
 * the failure lists exactly the missing names. Needs no koffi.
 */
import { describe, test, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ROOT, has_compiler } from './helpers.ts';

interface Name {
  group: string;
  name: string;
  kind: string;
  /** The area that provides it, when another part of the code does. */
  pending: string;
}

function read_names(): Name[] {
  const text = readFileSync(path.join(ROOT, 'test', 'dmaapi-names.txt'), 'utf8');
  const out: Name[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [group = '', name = '', kind = '', pending = ''] = line.split('|');
    out.push({ group, name, kind, pending });
  }
  return out;
}

const PRELUDE = `#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/device.h>
#include <linux/dma-direction.h>
#include <linux/dma-mapping.h>
#include <linux/dma-map-ops.h>
#include <linux/dmapool.h>
#include <linux/pci.h>
#include <linux/pci-dma-compat.h>
`;

/* One use of a name, at file scope or inside a function, by its kind. */
function use_of(n: Name, i: number): string {
  switch (n.kind) {
    case 'h':
      return `#include ${n.name}\n`;
    case 's':
      return `int __probe_${i} = (int)sizeof(struct ${n.name});\n`;
    case 'e':
      return `int __probe_${i} = (int)sizeof(enum ${n.name});\n`;
    default:
      // A function-like macro is defined; anything else is an expression.
      return `#ifndef ${n.name}\nvoid __probe_${i}(void) { (void)(${n.name}); }\n#endif\n`;
  }
}

function compiles(cc: string, dir: string, names: Name[]): { ok: boolean; out: string } {
  const file = path.join(dir, 'probe.c');
  const headers = names.filter((n) => n.kind === 'h').map((n, i) => use_of(n, i));
  const rest = names.filter((n) => n.kind !== 'h').map((n, i) => use_of(n, i));
  writeFileSync(file, headers.join('') + PRELUDE + rest.join(''));
  const r = spawnSync(cc, ['-std=gnu11', '-fsyntax-only', '-w', '-I', path.join(ROOT, 'include'), file], {
    encoding: 'utf8',
  });
  return { ok: r.status === 0, out: r.stdout + r.stderr };
}

const NAMES = read_names();

describe('the DMA groups of the driver-facing API', () => {
  test('the list has every group and no name twice', () => {
    const groups = new Set(NAMES.map((n) => n.group));
    for (const g of [
      'dmapool.h',
      'dma-mapping.h',
      'dma-map-ops.h',
      'dma-direction.h',
      'pci-dma-compat.h',
      'pci.h (DMA)',
    ])
      expect(groups.has(g), g).toBe(true);
    expect(new Set(NAMES.map((n) => n.name)).size).toBe(NAMES.length);
    expect(NAMES.length).toBeGreaterThan(130);
  });

  test('every name compiles from C', (ctx) => {
    const cc = process.env['CC'] ?? 'cc';
    ctx.skip(!has_compiler(cc), `no C compiler (${cc})`);
    const dir = mkdtempSync(path.join(tmpdir(), 'dmaapi-names-'));
    try {
      const checked = NAMES.filter((n) => n.pending === '');
      if (compiles(cc, dir, checked).ok) return;
      const missing = checked.filter((n) => !compiles(cc, dir, [n]).ok).map((n) => `${n.group} ${n.name}`);
      expect(missing).toEqual([]);
      // Each compiles alone but not together: show why.
      expect(compiles(cc, dir, checked).out).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the probe notices a missing name', (ctx) => {
    const cc = process.env['CC'] ?? 'cc';
    ctx.skip(!has_compiler(cc), `no C compiler (${cc})`);
    const dir = mkdtempSync(path.join(tmpdir(), 'dmaapi-names-'));
    try {
      for (const kind of ['f', 's', 'e', 'h'])
        expect(
          compiles(cc, dir, [
            { group: 'x', name: kind === 'h' ? '<linux/no-such.h>' : 'no_such_name', kind, pending: '' },
          ]).ok,
        ).toBe(false);
      expect(compiles(cc, dir, [{ group: 'x', name: 'dma_map_single', kind: 'f', pending: '' }]).ok).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const n of NAMES.filter((x) => x.pending !== '')) {
    test.todo(`${n.name}: provided by ${n.pending}`);
  }
});

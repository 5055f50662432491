/*
 * Every driver-model name of test/bridge/devmodel-names.txt (the device.h,
 * devres and pci.h driver-model groups of the driver-facing API, and their
 * partners) compiles from C against include/: one use each, all in one file,
 * an error on a use's line naming the missing name. Needs a C compiler only.
 */
import { describe, test, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, has_compiler } from './helpers.ts';

interface Use {
  group: string;
  name: string;
  code: string;
}

function uses(): Use[] {
  const out: Use[] = [];
  for (const line of readFileSync(path.join(ROOT, 'test', 'bridge', 'devmodel-names.txt'), 'utf8').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [group, name, ...rest] = line.split('|');
    if (!group || !name || rest.length === 0) throw new Error(`bad line: ${line}`);
    out.push({ group, name, code: rest.join('|') });
  }
  return out;
}

/** The names whose use does not compile: one line per use, errors mapped back by line number. */
function missing(cc: string, list: Use[]): string[] {
  const head = [
    '#include <linux/module.h>',
    '#include <linux/device.h>',
    '#include <linux/pci.h>',
    '#include <linux/slab.h>',
    '#include <linux/dma-mapping.h>',
    '#include <linux/dmapool.h>',
  ];
  const args =
    'struct device *dev, struct pci_dev *pdev, struct device_attribute *attr, dma_addr_t h, u8 b, u16 w, u32 d, void *p, void (*act)(void *)';
  const lines = list.map((u, i) =>
    u.code.startsWith('@')
      ? u.code.slice(1)
      : `__attribute__((unused)) static void use_${i}(${args}) { (void)dev; (void)pdev; (void)attr; (void)h; (void)b; (void)w; (void)d; (void)p; (void)act; ${u.code} }`,
  );
  const dir = mkdtempSync(path.join(os.tmpdir(), 'devmodel-names-'));
  try {
    const file = path.join(dir, 'names.c');
    writeFileSync(file, [...head, ...lines, ''].join('\n'));
    const r = spawnSync(
      cc,
      [
        '-std=gnu11',
        '-fsyntax-only',
        '-fmax-errors=0',
        '-Werror=implicit-function-declaration',
        '-I',
        path.join(ROOT, 'include'),
        file,
      ],
      { encoding: 'utf8' },
    );
    const bad = new Set<string>();
    for (const m of (r.stderr ?? '').matchAll(/names\.c:(\d+):\d+: (?:fatal )?error/g)) {
      const u = list[Number(m[1]) - head.length - 1];
      bad.add(u ? `${u.group}|${u.name}` : `line ${m[1]}`);
    }
    if (r.status !== 0 && bad.size === 0) bad.add(`the file does not compile: ${r.stderr}`);
    return [...bad];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the driver-model names compile from C', () => {
  test('every name of devmodel-names.txt', (ctx) => {
    ctx.skip(!has_compiler('cc'), 'no C compiler (cc) on PATH');
    const list = uses();
    expect(list.length).toBeGreaterThan(80);
    expect(missing('cc', list)).toEqual([]);
  });

  test('a name the headers lack is caught and named', (ctx) => {
    ctx.skip(!has_compiler('cc'), 'no C compiler (cc) on PATH');
    const list = uses();
    list.splice(3, 0, { group: 'probe', name: 'devm_no_such_thing', code: '(void)devm_no_such_thing(dev);' });
    expect(missing('cc', list)).toEqual(['probe|devm_no_such_thing']);
  });
});

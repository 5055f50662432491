/*
 * Every name of the scatterlist.h group (test/bridge/sgl-names.txt) exists from
 * C: one use of each, including only the header the kernel declares it in,
 * compiles against include/ with gcc -Werror, and the program that holds all
 * of them links and loads under `dmashim run` (so a name declared but never
 * defined fails too).
 */
import { describe, test, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, bridge_skip_reason, dmashim_run, has_compiler } from './helpers.ts';

interface Use {
  name: string;
  header: string;
  code: string;
}

function read_list(): Use[] {
  const text = readFileSync(path.join(ROOT, 'test', 'bridge', 'sgl-names.txt'), 'utf8');
  const uses: Use[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [name, header, ...code] = line.split('|');
    if (!name || !header || code.length === 0) throw new Error(`bad line in sgl-names.txt: ${line}`);
    uses.push({ name, header, code: code.join('|') });
  }
  return uses;
}

/* The variables each use may touch; the functions are never called, only compiled and linked. */
const PREAMBLE = `
static struct scatterlist *alloc_fn(unsigned int n, gfp_t gfp) { (void)n; (void)gfp; return NULL; }
static void free_fn(struct scatterlist *sg, unsigned int n) { (void)sg; (void)n; }
`;
const LOCALS = `
	struct scatterlist sgl[4], *sg = sgl, *outs[2];
	struct sg_table t = { 0 };
	struct sg_append_table at = { 0 };
	struct sg_page_iter pi = { 0 };
	struct sg_dma_page_iter di = { 0 };
	struct sg_mapping_iter mi = { 0 };
	struct page *pg = NULL, *pages[2] = { NULL, NULL };
	struct folio *folio = NULL;
	struct device *dev = NULL;
	size_t sizes[2] = { 1, 1 };
	int counts[2], i = 0;
	unsigned int n = 0;
	char buf[16] = { 0 };
	(void)alloc_fn; (void)free_fn; (void)outs; (void)sizes; (void)counts; (void)pages; (void)folio; (void)dev;
	(void)at; (void)pi; (void)di; (void)mi; (void)pg; (void)buf; (void)t; (void)sgl;
`;

/* One function per name, each in a translation unit that includes only the name's header. */
function program(uses: Use[]): string {
  const headers = [...new Set(uses.map((u) => u.header))];
  let src = headers.map((h) => `#include <${h}>\n`).join('') + '#include <limits.h>\n' + PREAMBLE;
  uses.forEach((u, k) => {
    src += `void sgl_use_${k}(void);\nvoid sgl_use_${k}(void)\n{${LOCALS}\t{ ${u.code} }\n\t(void)i; (void)n; (void)sg; (void)pg;\n}\n`;
  });
  return `${src}int main(void) { return 0; }\n`;
}

function compile(cc: string, file: string): { status: number | null; out: string } {
  const r = spawnSync(
    cc,
    [
      '-std=gnu11',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-Wno-unused-variable',
      '-I',
      path.join(ROOT, 'include'),
      '-fsyntax-only',
      file,
    ],
    { encoding: 'utf8' },
  );
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('scatterlist.h names from C', () => {
  const uses = read_list();

  test('the list is the scatterlist.h group and more', () => {
    const names = uses.map((u) => u.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of ['sg_alloc_append_table_from_pages', 'sg_miter_skip', 'for_each_sgtable_dma_page', 'sg_split'])
      expect(names).toContain(n);
    expect(names.length).toBeGreaterThanOrEqual(63);
  });

  test.for(['gcc', 'clang'])('each name compiles with only its header (%s)', (cc, ctx) => {
    ctx.skip(!has_compiler(cc), `${cc} is not installed`);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sgl-names-'));
    try {
      const missing: string[] = [];
      /* One translation unit for all first; each name alone only to name the ones that fail. */
      const all = path.join(dir, 'all.c');
      writeFileSync(all, program(uses));
      if (compile(cc, all).status !== 0) {
        for (const u of uses) {
          const f = path.join(dir, `${u.name.replace(/\W/g, '_')}.c`);
          writeFileSync(f, program([u]));
          const r = compile(cc, f);
          if (r.status !== 0) missing.push(`${u.name}: ${r.out.split('\n').find((l) => l.includes('error')) ?? r.out}`);
        }
      }
      expect(missing).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every name links and loads under dmashim run', (ctx) => {
    const skip = bridge_skip_reason();
    ctx.skip(skip !== null, skip ?? '');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sgl-names-'));
    try {
      const f = path.join(dir, 'sgl-names.c');
      writeFileSync(f, program(uses));
      const r = dmashim_run([f]);
      expect(r.stderr).not.toMatch(/undefined|error/i);
      expect(r.status, r.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

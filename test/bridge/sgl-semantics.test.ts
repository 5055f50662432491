/*
 * The scatterlist library from C (native/scatterlist.c) run under `dmashim run`:
 * tables, page-array tables and appends, sgl_alloc, copies, the iterators and
 * sg_split behave as the kernel's (each check prints "ok" or "BAD"), the
 * kernel's WARNs name the caller's line, and the sanitizer sees the tables'
 * memory and SG_MITER_ATOMIC's atomic section.
 */
import { describe, test, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT, C_DIR, bridge_skip_reason, dmashim_run } from './helpers.ts';

const skip = bridge_skip_reason();

function mark(file: string, name: string): number {
  const lines = readFileSync(path.join(ROOT, C_DIR, file), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(`/* MARK ${name} */`));
  if (i < 0) throw new Error(`no MARK ${name} in ${file}`);
  return i + 1;
}

describe('scatterlist library from C', () => {
  test('every check of sgl-semantics.c holds', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['sgl-semantics.c'], ['--all-errors', '--no-fail-on-findings']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.length > 0);
    expect(
      lines.filter((l) => !l.startsWith('ok ')),
      r.stdout,
    ).toEqual([]);
    expect(lines.length).toBe(53);
    for (const want of [
      'ok from_pages: 3 entries: 12188@100 4096@0 3896@0',
      'ok append: contiguous pages grow the last entry',
      'ok append: 200 entries over two chained arrays',
      'ok sgl_alloc(3 pages + 100): 4 entries, the last 100 bytes',
      'ok sg_zero_buffer(skip 1900, 1200) zeroes exactly those bytes',
      'ok sg_miter over a chained list: 7 pieces, 5000 bytes',
      'ok sg_split of a mapped list splits the bus ranges',
      'ok for_each_sgtable_dma_page: 4 pages at segment address + page offset',
    ])
      expect(lines).toContain(want);
    /* The two misuses the program makes on purpose get the kernel's WARN, at the caller's line. */
    const warns = r.stderr.match(/WARNING: at lib\/scatterlist.c:\d+ sg_alloc_append_table_from_pages\(\)/g) ?? [];
    expect(warns.length, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/WARN_ON\(max_segment < PAGE_SIZE\), called from test\/bridge\/c\/sgl-semantics.c:\d+/);
    expect(r.stderr).toMatch(/WARN_ON\(offset\), called from test\/bridge\/c\/sgl-semantics.c:\d+/);
    expect(r.stderr).not.toMatch(/BUG|DMA-API|already free|sleeping/);
  });

  test('the sanitizer sees a table freed twice and sleeping inside SG_MITER_ATOMIC', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const f = 'sgl-double-free.c';
    const r = dmashim_run([f], ['--all-errors']);
    expect(r.stderr).toContain(
      `BUG kmalloc-32 (Not tainted): Object already free\nkfree() called from ${C_DIR}/${f}:${mark(f, 'double')}`,
    );
    expect(r.stderr).toContain('BUG: sleeping function called from invalid context');
    expect(r.stderr).toContain(`kmalloc() called from ${C_DIR}/${f}:${mark(f, 'sleep')}`);
    expect(r.stderr).not.toContain(`${f}:${mark(f, 'after')}`);
    expect(r.stderr).toMatch(/2 findings \(1 might-sleep, 1 memory\)/);
    expect(r.status).toBe(3);
  });
});

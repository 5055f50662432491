/*
 * The driver-facing API probe over driver-api-names.txt: each name, used once
 * after including every dmashim header, must compile. At least 95% of the list,
 * and every name of the DMA groups; era members under a kernel of their era.
 */
import { describe, test, expect } from 'vitest';
import { has_compiler } from './helpers.ts';
import { DMA_GROUPS, probe, read_names } from './api-probe.ts';

const cc = process.env['CC'] ?? 'cc';

describe('the driver-facing API probe', () => {
  test('covers at least 95% of the names and every name of the DMA groups', (ctx) => {
    ctx.skip(!has_compiler(cc), `no C compiler (${cc}) on PATH`);
    const names = read_names();
    const results = probe(names, cc);
    const total = results.reduce((s, r) => s + r.total, 0);
    const present = results.reduce((s, r) => s + r.present, 0);
    const table = results.map(
      (r) => `${r.group}: ${r.present}/${r.total}${r.missing.length ? ` missing ${r.missing.join(', ')}` : ''}`,
    );
    console.log(`api probe: ${present}/${total} (${((100 * present) / total).toFixed(1)}%)\n${table.join('\n')}`);
    expect(total).toBe(names.length);
    const dmaMissing = results.filter((r) => DMA_GROUPS.includes(r.group)).flatMap((r) => r.missing);
    expect(dmaMissing).toEqual([]);
    expect(present / total).toBeGreaterThanOrEqual(0.95);
  });

  test('a name that is not there is reported missing, and only it', (ctx) => {
    ctx.skip(!has_compiler(cc), `no C compiler (${cc}) on PATH`);
    const names = [
      { group: 'g', name: 'dma_pool_create', kind: 'f', kernel: null },
      { group: 'g', name: 'dma_pool_no_such_function', kind: 'f', kernel: null },
      { group: 'g', name: 'device', kind: 's', kernel: null },
      { group: 'g', name: 'no_such_struct', kind: 's', kernel: null },
      { group: 'g', name: 'scatterlist.length', kind: 'm:scatterlist:length', kernel: null },
      { group: 'g', name: 'scatterlist.no_member', kind: 'm:scatterlist:no_member', kernel: null },
      { group: 'g', name: '<linux/no-such-header.h>', kind: 'h', kernel: null },
      { group: 'g', name: '<linux/dmapool.h>', kind: 'h', kernel: null },
    ];
    const [r] = probe(names, cc);
    expect(r?.missing.sort()).toEqual(
      ['<linux/no-such-header.h>', 'dma_pool_no_such_function', 'no_such_struct', 'scatterlist.no_member'].sort(),
    );
    expect(r?.present).toBe(4);
  });
});

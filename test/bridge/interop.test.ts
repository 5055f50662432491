/*
 * C programs on the TypeScript core: the EHCI example prints the same pools
 * file as examples/ehci.ts, a 2.4-era fragment compiles unmodified, C and
 * TypeScript see the same bytes, and a C -> TS -> C -> TS re-entrant call works.
 */
import { describe, test, expect } from 'vitest';
import { bridge_skip_reason, dmashim_run, with_output_captured } from './helpers.ts';

const skip = bridge_skip_reason();

describe('C interop through dmashim run', () => {
  test('examples/ehci.c prints the pools file examples/ehci.ts prints', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    // No --pools: the example prints the file itself, then unloads; the default leak check passes.
    const c = dmashim_run(['examples/ehci.c'], []);
    expect(c.stderr).toContain('ehci-pci 0000:00:1a.0: EHCI Host Controller');
    expect(c.status).toBe(0);
    // The TypeScript example in this process (a node start with tsx costs more than the run): it ends without a throw.
    const ts = await with_output_captured(() => import('../../examples/ehci.ts'));
    const pools = (s: string): string => s.slice(s.indexOf('$ cat /sys/bus/pci/devices/0000:00:1a.0/pools'));
    expect(pools(c.stdout)).toBe(pools(ts.stdout));
    expect(pools(c.stdout)).toBe(
      [
        '$ cat /sys/bus/pci/devices/0000:00:1a.0/pools',
        'poolinfo - 0.1',
        'ehci_sitd           0    0   96  0',
        'ehci_itd            0    0  192  0',
        'ehci_qh             3   42   96  1',
        'ehci_qtd            3   42   96  1',
        'buffer-2048         0    0 2048  0',
        'buffer-512          0    0  512  0',
        'buffer-128          0    0  128  0',
        'buffer-32           0    0   32  0',
        '',
      ].join('\n'),
    );
  });

  test('a 2.4-era fragment: six-argument pci_pool_create, SLAB_KERNEL/SLAB_ATOMIC, pci_alloc_consistent', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    // The fragment keeps two tds on purpose, for the pools file: not a leak this test is about.
    // Its warnings (-Wall -Wextra -Werror, gcc and clang) are headers.test.ts's: --cflags here would build native/ again.
    const r = dmashim_run(['compat24.c'], ['--pools', '--no-leaks']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith('poisoned=1\n')).toBe(true);
    expect(r.stdout).toContain('plain_poisoned=0\n');
    expect(r.stdout).toMatch(/framelist ok, tds at 0x[0-9a-f]+ 0x[0-9a-f]+ 0x[0-9a-f]+/);
    expect(r.stdout).toContain(
      '$ cat /sys/bus/pci/devices/00:07.2/pools\npoolinfo - 0.1\nuhci_desc           2  128   32  1\n',
    );
  });

  test('C pointers and TypeScript views see the same bytes', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['shared.c']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^shared=1 fnv=[0-9a-f]{8}\n$/);
    expect(r.status).toBe(0);
  });

  test('re-entrancy: C -> TypeScript -> C (log hook) -> TypeScript (dma_pool_alloc)', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['reenter.c']);
    expect(r.stdout).toContain('hook: level 3: pci 0000:00:04.0: dma_pool_free reenter, dma 0x');
    expect(r.stdout).toContain('hooked=2 allocated=1 same=1\n');
    expect(r.stdout).toContain('reenter             1  128   32  1\n');
    // The double free the hook reports is a finding.
    expect(r.status).toBe(3);
  });

  test('module_init/module_exit programs run without main()', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['module.c']);
    expect(r.stderr).toContain('modtest: init\n');
    expect(r.stderr).toContain('modtest: exit\n');
    expect(r.status).toBe(0);
  });
});

describe('kernel functions defined in the headers (dmashim/call.h)', () => {
  test('dma_max_mapping_size and dma_get_merge_boundary answer as the TypeScript ops do', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const direct = dmashim_run(['mapping_limits.c'], []);
    expect(direct.status).toBe(0);
    expect(direct.stderr).toContain('max=18446744073709551615 boundary=0 is_max=1\n');
    const bounce = dmashim_run(['mapping_limits.c'], ['--force-bounce']);
    expect(bounce.status).toBe(0);
    expect(bounce.stderr).toContain('max=262144 boundary=0 is_max=0\n');
    const iommu = dmashim_run(['mapping_limits.c'], ['--iommu']);
    expect(iommu.status).toBe(0);
    expect(iommu.stderr).toContain('max=18446744073709551615 boundary=4095 is_max=1\n');
  });
});

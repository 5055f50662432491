/*
 * Kernel eras (`--kernel`): a driver shaped like each era's documentation runs
 * under its kernel; code that uses a name or shape its era did not have fails
 * to compile, and compiles in the era that had it (so the gate, not broken
 * code, is what fails); the CLI and the TypeScript API take the same setting.
 */
import { describe, test, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT, bridge_skip_reason, dmashim_run, has_compiler } from './helpers.ts';
import { cli_refused } from '../cli-main.ts';
import { cc_check } from '../cc-check.ts';
import {
  KERNEL_VERSION,
  kernel_cflags,
  kernel_has,
  kernel_require,
  parse_kernel_version,
} from '../../src/include/linux/version.ts';
import { pci_pool_create, pci_pool_destroy, pci_alloc_consistent, SLAB_KERNEL } from '../../compat/index.ts';
import {
  pci_dev,
  device_register,
  dev_set_name,
  dma_addr,
  DmashimError,
  GFP_KERNEL,
  set_current_machine,
  sg_alloc_table,
  sg_init_table,
  sg_table,
  type scatterlist,
} from '../../src/index.ts';
import { small_machine } from '../helpers.ts';
import { all_headers, errors_by_function } from './api-probe.ts';

const skip = bridge_skip_reason();
const cc = process.env['CC'] ?? 'cc';
let is_clang: boolean | undefined;
/* Whether cc is clang (its error-limit flag differs from gcc's), asked once. */
function clang(): boolean {
  is_clang ??= /clang/.test(spawnSync(cc, ['--version'], { encoding: 'utf8' }).stdout ?? '');
  return is_clang;
}
const BIN = path.join(ROOT, 'bin', 'dmashim.js');
const E = (f: string): string => path.join('test', 'bridge', 'c', 'eras', f);

/*
 * -fsyntax-only of each of `bodies` inside a function of its own, after
 * `includes`, under a kernel (null: no --kernel): ok when all compile; `failed`
 * holds the probes the compiler reported an error in (null: some error is in
 * none of them, e.g. a header's #error, so no probe can be told apart).
 */
/* The probes the compiler reported an error in, or null when an error is in none of them. */
function failed_in(stderr: string, first: number[]): Set<number> | null {
  const errors = errors_by_function(stderr, first, 'probe');
  return errors === null ? null : new Set(errors.keys());
}

function compiles(
  kernel: string | null,
  includes: string[],
  ...bodies: string[]
): { ok: boolean; out: string; failed: Set<number> | null } {
  // The probe's variables need the PCI headers; a header-only check has none.
  const decls = includes.includes('linux/pci.h')
    ? 'struct scatterlist probe_sg;\nvoid *probe_p; struct pci_dev *probe_pdev; struct device *probe_dev; dma_addr_t probe_dma;\n'
    : '';
  const head = `${includes.map((h) => `#include <${h}>`).join('\n')}\n${decls}`;
  // Each probe's lines, to read clang's errors (gcc names the function too).
  const first: number[] = [];
  let line = head.split('\n').length;
  const probes = bodies
    .map((body, i) => {
      first.push(line);
      const text = `int probe${i}(void)\n{\n${body};\nreturn 0;\n}\n`;
      line += text.split('\n').length - 1;
      return text;
    })
    .join('');
  const flags = ['-std=gnu11', '-I', path.join(ROOT, 'include'), '-Werror=implicit-function-declaration'];
  // No error limit: every probe's errors are reported, none hidden behind another's.
  flags.push(clang() ? '-ferror-limit=0' : '-fmax-errors=0');
  if (kernel !== null) flags.push(...kernel_cflags(parse_kernel_version(kernel)));
  const r = cc_check(cc, [...flags, '-fsyntax-only', '-x', 'c', '-'], { input: `${head}${probes}` });
  return { ok: r.status === 0, out: r.stderr, failed: r.status === 0 ? new Set() : failed_in(r.stderr, first) };
}

const PCI = ['linux/pci.h', 'linux/dma-mapping.h', 'linux/dmapool.h', 'linux/scatterlist.h', 'linux/slab.h'];

/* [what, the code, kernels that have it, kernels that do not] */
const GATES: Array<[string, string[], string, Array<string | null>, Array<string | null>]> = [
  ['dma_pool_create (2.6.3)', PCI, 'dma_pool_create("p", probe_dev, 32, 8, 0)', ['2.6.3', null], ['2.4.31', '2.6.2']],
  ['scatterlist.address (2.4)', PCI, 'probe_sg.address = 0', ['2.4.31'], ['2.6.0', '2.6.12', null]],
  ['scatterlist.page (before 2.6.24)', PCI, 'probe_sg.page = 0', ['2.4.31', '2.6.23'], ['2.6.24', null]],
  ['scatterlist.page_link (2.6.24)', PCI, 'probe_sg.page_link = 0', ['2.6.24', null], ['2.6.12', '2.4.31']],
  ['sg_init_table (2.6.24)', PCI, 'sg_init_table(&probe_sg, 1)', ['2.6.24', null], ['2.6.23']],
  [
    "pci_pool_create's 2.4 sixth argument",
    PCI,
    'pci_pool_create("p", probe_pdev, 32, 8, 0, SLAB_KERNEL)',
    ['2.4.31', null],
    ['2.6.12'],
  ],
  [
    'pci_pool_create of five arguments',
    PCI,
    'pci_pool_create("p", probe_pdev, 32, 8, 0)',
    ['2.6.12', null],
    ['2.4.31'],
  ],
  ['pci_pool_create (gone in 5.16)', PCI, 'pci_pool_create("p", probe_pdev, 32, 8, 0)', ['5.15'], ['5.16', '6.16']],
  [
    'pci_alloc_consistent (gone in 5.18)',
    PCI,
    'pci_alloc_consistent(probe_pdev, 64, &probe_dma)',
    ['2.4.31', '5.17', null],
    ['5.18', '6.16'],
  ],
  [
    'dma_set_mask_and_coherent (3.13)',
    PCI,
    'dma_set_mask_and_coherent(probe_dev, 0xffffffff)',
    ['3.13', null],
    ['3.12', '2.6.12'],
  ],
  [
    'one-argument pci_dma_mapping_error (before 2.6.27)',
    PCI,
    'pci_dma_mapping_error(probe_dma)',
    ['2.6.12', null],
    ['2.6.27'],
  ],
  [
    'two-argument dma_mapping_error (2.6.27)',
    PCI,
    'dma_mapping_error(probe_dev, probe_dma)',
    ['2.6.27', null],
    ['2.6.26'],
  ],
  ['dma_map_single (2.6)', PCI, 'dma_map_single(probe_dev, probe_p, 8, DMA_TO_DEVICE)', ['2.6.0', null], ['2.4.31']],
  [
    'DEFINE_DMA_UNMAP_ADDR (2.6.34)',
    PCI,
    'struct { DEFINE_DMA_UNMAP_ADDR(a); } s; (void)s',
    ['2.6.34', null],
    ['2.6.33'],
  ],
  [
    'dma_alloc_noncoherent without a direction (before 5.10)',
    PCI,
    'dma_alloc_noncoherent(probe_dev, 64, &probe_dma, GFP_KERNEL)',
    ['2.6.12', '5.9'],
    ['5.10', null],
  ],
  [
    'dma_alloc_noncoherent with a direction (5.10)',
    PCI,
    'dma_alloc_noncoherent(probe_dev, 64, &probe_dma, DMA_TO_DEVICE, GFP_KERNEL)',
    ['5.10', null],
    ['5.9'],
  ],
  [
    'pci_dma_sync_single (gone in 2.6.11)',
    PCI,
    'pci_dma_sync_single(probe_pdev, probe_dma, 8, PCI_DMA_TODEVICE)',
    ['2.4.31', '2.6.10', null],
    ['2.6.11', '2.6.12'],
  ],
  [
    'linux/config.h gives the CONFIG_* options',
    ['linux/config.h'],
    '_Static_assert(CONFIG_PCI == 1, "pci")',
    ['2.4.31', '2.6.18'],
    [],
  ],
  ['linux/config.h (gone in 2.6.19)', ['linux/config.h'], '(void)0', ['2.4.31', '2.6.18', null], ['2.6.19', '6.16']],
  ['asm/scatterlist.h (gone in 4.3)', ['asm/scatterlist.h'], '(void)0', ['2.4.31', '4.2', null], ['4.3', '6.16']],
];

/*
 * Every gate's code under every kernel it names: one compile for all the
 * probes of a kernel and header set, each probe read apart (the compiler names
 * the function an error is in); each probe alone when an error is in none.
 */
const results = new Map<string, { ok: boolean; out: string }>();
function gate_compiles(kernel: string | null, includes: string[], body: string): { ok: boolean; out: string } {
  const key = JSON.stringify([kernel, includes, body]);
  if (!results.has(key)) compile_kernel(kernel, includes);
  const r = results.get(key) ?? compiles(kernel, includes, body);
  results.set(key, r);
  return r;
}

/* The functions a body calls: gcc reports an implicit declaration at its first use only. */
const called = (body: string): string[] => [...body.matchAll(/([A-Za-z_]\w*)\s*\(/g)].map((m) => m[1] ?? '');

function compile_kernel(kernel: string | null, includes: string[]): void {
  const bodies = [
    ...new Set(
      GATES.filter(([, inc, , yes, no]) => inc === includes && (yes.includes(kernel) || no.includes(kernel))).map(
        ([, , b]) => b,
      ),
    ),
  ];
  // Probes that call the same function go to different compiles.
  const units: string[][] = [];
  for (const b of bodies) {
    const names = called(b);
    const u = units.find((x) => !x.some((o) => called(o).some((n) => names.includes(n))));
    if (u) u.push(b);
    else units.push([b]);
  }
  for (const unit of units) {
    const r = compiles(kernel, includes, ...unit);
    unit.forEach((b, i) => {
      const alone = unit.length === 1 ? r : r.failed === null ? compiles(kernel, includes, b) : null;
      results.set(JSON.stringify([kernel, includes, b]), alone ?? { ok: !r.failed?.has(i), out: r.out });
    });
  }
}

describe('kernel eras: names and shapes', () => {
  for (const [what, includes, body, yes, no] of GATES) {
    test(what, (ctx) => {
      ctx.skip(!has_compiler(cc), `no C compiler (${cc})`);
      for (const k of yes) {
        const r = gate_compiles(k, includes, body);
        expect(r.ok, `${what} under ${k ?? 'no --kernel'}:\n${r.out}`).toBe(true);
      }
      for (const k of no)
        expect(gate_compiles(k, includes, body).ok, `${what} under ${k ?? 'no --kernel'}`).toBe(false);
    });
  }

  test('every header compiles cleanly (-Wall -Werror) under each era', (ctx) => {
    ctx.skip(!has_compiler(cc), `no C compiler (${cc})`);
    const eras = [
      null,
      '2.4.31',
      '2.6.0',
      '2.6.12',
      '2.6.24',
      '2.6.27',
      '3.9',
      '4.3',
      '5.8',
      '5.10',
      '5.16',
      '5.18',
      '6.16',
    ];
    for (const k of eras) {
      const text = `${all_headers(k).join('\n')}\nint main(void) { return 0; }\n`;
      const flags = [
        '-std=gnu11',
        '-Wall',
        '-Wextra',
        '-Werror',
        '-Wno-unused-parameter',
        '-I',
        path.join(ROOT, 'include'),
      ];
      if (k !== null) flags.push(...kernel_cflags(parse_kernel_version(k)));
      const r = cc_check(cc, [...flags, '-fsyntax-only', '-x', 'c', '-'], { input: text });
      expect(r.stderr, `under ${k ?? 'no --kernel'}`).toBe('');
      expect(r.status).toBe(0);
    }
  });

  test('the version macros follow --kernel', (ctx) => {
    ctx.skip(!has_compiler(cc), `no C compiler (${cc})`);
    const check = 'LINUX_VERSION_CODE == KERNEL_VERSION(2, 6, 12) && DMASHIM_KERNEL == LINUX_VERSION_CODE';
    const body = `_Static_assert(${check}, "era")`;
    expect(compiles('2.6.12', ['linux/version.h', 'dmashim/era.h'], body).ok).toBe(true);
    expect(compiles('2.6.13', ['linux/version.h', 'dmashim/era.h'], body).ok).toBe(false);
    // Without --kernel: the newest kernel, and no era.
    const none = '_Static_assert(LINUX_VERSION_CODE == KERNEL_VERSION(6, 16, 0), "newest"); int x = DMASHIM_KERNEL';
    expect(compiles(null, ['linux/version.h', 'dmashim/era.h'], none).out).toMatch(/DMASHIM_KERNEL. undeclared/);
  });

  test('an era-only header names the era in its error', (ctx) => {
    ctx.skip(!has_compiler(cc), `no C compiler (${cc})`);
    expect(gate_compiles('2.6.19', ['linux/config.h'], '(void)0').out).toContain(
      'removed in Linux 2.6.19: the kernel chosen with --kernel (2.6.19 or later)',
    );
    expect(gate_compiles('4.3', ['asm/scatterlist.h'], '(void)0').out).toContain('not in Linux 4.3 and later');
  });
});

describe('kernel eras: drivers of each era run under their kernel', () => {
  test('a 2.4 driver (DMA-mapping.txt of 2.4) under --kernel 2.4.31', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run([E('era24.c')], ['--kernel', '2.4.31', '--all-errors']);
    expect(r.stderr).toContain('era24: ring mapped, td aligned');
    expect(r.stderr).toContain('era24: sg 0: 512 bytes at bus address');
    expect(r.stderr).toContain('era24: sg 1: 300 bytes at bus address');
    expect(r.stderr).toContain('era24: removed');
    expect(r.status, r.stderr).toBe(0);
  });

  test('a 2.6.12 driver (DMA-mapping.txt and DMA-API.txt of 2.6) under --kernel 2.6.12', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run([E('era26.c')], ['--kernel', '2.6.12', '--all-errors']);
    expect(r.stderr).toMatch(/era26 0000:02:01\.0: cmd aligned, sense aligned/);
    expect(r.stderr).toMatch(/era26 0000:02:01\.0: mapped 3 of 3 entries, first 512 bytes/);
    expect(r.stderr).toContain('era26: removed');
    expect(r.status, r.stderr).toBe(0);
  });

  test('a 6.x driver (dma-api-howto) under --kernel 6.16 and with no --kernel', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    for (const opts of [['--kernel', '6.16'], []]) {
      const r = dmashim_run([E('era6.c')], [...opts, '--all-errors']);
      expect(r.stderr).toMatch(/era6 0000:00:04\.0: desc aligned/);
      expect(r.stderr).toMatch(/era6 0000:00:04\.0: sg 2: 700 bytes/);
      expect(r.stderr).toMatch(/era6 0000:00:04\.0: removed/);
      expect(r.status, r.stderr).toBe(0);
    }
  });

  test("each driver fails to compile under another era's kernel, on the name that era lacks", (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    for (const [file, kernel, why] of [
      ['era24.c', '2.6.12', /no member named .address./],
      ['era26.c', '2.4.31', /implicit declaration of function .dma_pool_create./],
      ['era26.c', '6.16', /linux\/config\.h> was removed in Linux 2\.6\.19/],
      ['era6.c', '2.6.12', /implicit declaration of function .dma_set_mask_and_coherent./],
    ] as const) {
      const r = dmashim_run([E(file)], ['--kernel', kernel]);
      expect(r.status, `${file} under ${kernel}`).toBe(4);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).toContain('compilation failed');
    }
  });
});

describe('kernel eras: the CLI and the TypeScript API', () => {
  test('--kernel refuses a kernel it does not imitate in one line, status 2', async () => {
    const refusal = (bad: string): string[] => [
      `dmashim: --kernel: no kernel "${bad}" to imitate (dmashim takes 2.4.0-2.4.37, 2.6.0-2.6.39, 3.0-3.19, 4.0-4.20, 5.0-5.19, 6.0-6.16; e.g. 2.4.31, 2.6.12, 6.16)`,
    ];
    // One through the command itself (exit status, one line, no stack); the rest through its main.
    const r = spawnSync(process.execPath, [BIN, 'run', E('era6.c'), '--kernel', '2.5.1'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(refusal('2.5.1'));
    for (const bad of ['7.0', '2.6', 'latest', '2.4.99']) {
      const c = await cli_refused(['run', path.join(ROOT, E('era6.c')), '--kernel', bad]);
      expect(c.status, bad).toBe(2);
      expect(c.stderr.trim().split('\n')).toEqual(refusal(bad));
    }
  });

  test('dmashim cflags --kernel prints the era flags', async () => {
    const r = await cli_refused(['cflags', '--kernel', '2.4.31']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      `-DLINUX_VERSION_CODE=${KERNEL_VERSION(2, 4, 31)} -DDMASHIM_KERNEL=${KERNEL_VERSION(2, 4, 31)}`,
    );
    const bad = await cli_refused(['cflags', '--kernel']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('dmashim: --kernel needs a value (a kernel version, e.g. 2.6.12)\n');
  });

  test('versions encode as the kernel does', () => {
    expect(parse_kernel_version('2.6.12')).toBe(0x02060c);
    expect(parse_kernel_version('6.16')).toBe(0x061000);
    expect(parse_kernel_version('4.9.337')).toBe(KERNEL_VERSION(4, 9, 255));
    expect(() => parse_kernel_version('3')).toThrow(DmashimError);
  });

  test("the machine's kernel gates the era-specific TypeScript names", () => {
    expect(() => small_machine({ kernel: '2.5.0' })).toThrow(/no kernel "2.5.0"/);
    const old = small_machine({ kernel: '2.4.31' });
    expect(kernel_has(old, KERNEL_VERSION(2, 6, 3), null)).toBe(false);
    expect(() => kernel_require(old, 'dma_pool_create', KERNEL_VERSION(2, 6, 3), null)).toThrow(
      "dma_pool_create: not in Linux 2.4.31 (the machine's kernel): it appeared in 2.6.3",
    );
    const pdev = (kernel?: string) => {
      const m = small_machine(kernel === undefined ? {} : { kernel });
      const p = new pci_dev({ machine: m, vendor: 0x8086, device: 0x7112 });
      dev_set_name(p.dev, `era-${kernel ?? 'none'}`);
      device_register(p.dev);
      return p;
    };
    // 2.4: the six-argument form; 2.6: five only; no kernel: both; 6.16: none.
    const p24 = pdev('2.4.31');
    pci_pool_destroy(pci_pool_create('td', p24, 32, 16, 0, SLAB_KERNEL));
    expect(() => pci_pool_create('td', p24, 32, 16, 0)).toThrow(/2\.4's pci_pool_create takes the SLAB_\* flags/);
    const p26 = pdev('2.6.12');
    pci_pool_destroy(pci_pool_create('td', p26, 32, 16, 0));
    expect(() => pci_pool_create('td', p26, 32, 16, 0, SLAB_KERNEL)).toThrow(/sixth .* argument is 2\.4's/);
    const pnone = pdev();
    pci_pool_destroy(pci_pool_create('td', pnone, 32, 16, 0));
    pci_pool_destroy(pci_pool_create('td', pnone, 32, 16, 0, SLAB_KERNEL));
    const p616 = pdev('6.16');
    expect(() => pci_pool_create('td', p616, 32, 16, 0)).toThrow(
      /pci_pool_create: not in Linux 6\.16.*removed in 5\.16/,
    );
    expect(() => pci_alloc_consistent(p616, 64, dma_addr())).toThrow(/removed in 5\.18/);
  });

  test("the scatterlist layer reads the current machine's kernel", () => {
    const prev = set_current_machine(small_machine({ kernel: '2.6.23' }));
    try {
      const sg: scatterlist[] = [];
      expect(() => sg_init_table(sg, 2)).toThrow(/sg_init_table: not in Linux 2\.6\.23 .*appeared in 2\.6\.24/);
      expect(() => sg_alloc_table(new sg_table(), 2, GFP_KERNEL)).toThrow(/appeared in 2\.6\.25/);
      set_current_machine(small_machine({ kernel: '2.6.25' }));
      sg_init_table(sg, 2);
      const t = new sg_table();
      expect(sg_alloc_table(t, 2, GFP_KERNEL)).toBe(0);
    } finally {
      set_current_machine(prev);
    }
  });
});

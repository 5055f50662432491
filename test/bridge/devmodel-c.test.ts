/*
 * The driver model from C: test/bridge/c/devmodel-core.c (references and
 * release, devres order across C and core resources, a deleted-but-held and a
 * released device, sysfs files, a PCI device's config space, resources,
 * enabling and regions) and devmodel-probe.c (a managed probe bound and
 * unbound, a device without release). Each printed line is a fact checked here.
 */
import { describe, test, expect } from 'vitest';
import { bridge_skip_reason, dmashim_run, type RunResult } from './helpers.ts';

const skip = bridge_skip_reason();

describe.skipIf(skip !== null)('the driver model from C', () => {
  let core: RunResult | null = null;
  const run_core = (): RunResult => {
    core ??= dmashim_run(['devmodel-core.c'], ['--leaks', '--all-errors']);
    return core;
  };
  const lines = (r: RunResult): string[] => r.stdout.split('\n').filter((l) => l.length > 0);

  test('references: initialize gives 1, a child holds its parent, release runs once at the last put', () => {
    const out = lines(run_core());
    expect(out).toContain('register 0');
    expect(out).toContain('parent name parent0');
    expect(out).toContain('kobj parent0 init 1 sysfs 1 refcount 1 node -1');
    expect(out).toContain('node 0');
    expect(out).toContain('child register 0 parent refcount 2 kobj.parent ok');
    expect(out).toContain('refcount 2');
    expect(out).toContain('drvdata ok');
    // device_unregister with an extra reference does not release; the put does, once; the parent follows.
    expect(out).toContain('after unregister order Q+P-BRA released 0');
    expect(out).toContain('release child0 refcount 0');
    expect(out).toContain('after put released 1 parent refcount 1');
    expect(out).toContain('release parent0 refcount 0');
    expect(out).toContain('parent released 2');
    expect(out.filter((l) => l.startsWith('release child0'))).toHaveLength(1);
    // One put too many: the kernel's refcount_t WARN, and no second release.
    expect(run_core().stderr).toContain('refcount_t: underflow; use-after-free.');
  });

  test('devres: newest first, C actions, devres_alloc and the core dmam_* resources in one order', () => {
    const out = lines(run_core());
    expect(out).toContain('devm_kzalloc ok zero 0');
    expect(out).toContain('dmam_alloc_coherent ok');
    expect(out).toContain('dmam_pool_create ok');
    // devm_release_action ran Y at once, devm_remove_action dropped X without running it.
    expect(out).toContain('released early Y');
    // Q (added after the pool) sees it, P (before) runs after it is gone; then B, the devres_alloc'd R, A.
    expect(out).toContain('after unregister order Q+P-BRA released 0');
  });

  test('managed memory of a deleted but held device goes at the last put; a released device takes none', () => {
    const r = run_core();
    const out = lines(r);
    expect(out).toContain('dmam after del ok');
    expect(out).toContain('dmam after release NULL');
    expect(out).toContain('devm after release NULL');
    expect(out).toContain('pool after release NULL');
    for (const fn of ['dmam_alloc_coherent', 'devm_kmalloc', 'dmam_pool_create'])
      expect(r.stderr).toContain(
        `dmashim: child0: ${fn}() on a device that was already released (its last reference was dropped): the kernel would use freed memory; nothing was allocated`,
      );
    // Each report names the C line of the call.
    expect(r.stderr).toMatch(/devm_kmalloc\(\) called from test\/bridge\/c\/devmodel-core\.c:\d+/);
    expect(r.stderr).toMatch(/dmam_alloc_coherent\(\) called from test\/bridge\/c\/devmodel-core\.c:\d+/);
    // The buffer taken after device_del was freed at the last put: nothing leaks.
    expect(r.stderr).toContain('leak report (bridge): clean');
  });

  test('sysfs files of device_create_file read through dmashim_sysfs_read; a duplicate is -EEXIST', () => {
    const r = run_core();
    const out = lines(r);
    expect(out).toContain('create_file 0');
    expect(out).toContain('sysfs hello from child0');
    expect(out).toContain('create_file again -17');
    expect(r.stderr).toContain("sysfs: cannot create duplicate filename '/devices/child0/hello'");
  });

  test('PCI: resources, config space with ids at their offsets, enable, master, regions', () => {
    const r = run_core();
    const out = lines(r);
    expect(out).toContain('bar0 febc0000 len 20000 end febdffff flags 200');
    expect(out).toContain('bar1 len 0 bar2 len 100000 bar4 e000 io 1');
    expect(out).toContain(
      'vendor 8086 device 10d3 class_rev 02000003 subsys 11001af4 cap 40 bar2reg e000000c bar4reg 0000e001',
    );
    expect(out).toContain('misaligned 87 val ffff');
    expect(out).toContain('beyond -22 val ffffffff');
    expect(out).toContain('after write vendor 8086 0x40 5a');
    expect(out).toContain('enable 0 cmd 0003 master 0007 busmaster 1');
    expect(out).toContain('request 0 again -16');
    expect(out).toContain('disabled cmd 0003 busmaster 0 enabled 0');
    expect(out).toContain('pci drvdata ok name 0000:03:00.0 to_pci_dev ok');
    expect(r.stderr).toContain('pci 0000:03:00.0: enabling device (0000 -> 0003)');
    expect(r.stderr).toContain("pci 0000:03:00.0: BAR 0: can't reserve [mem 0xfebc0000-0xfebdffff]");
    expect(r.stderr).toContain('Trying to free nonexistent resource <0x00000000febc0000-0x00000000febdffff>');
  });

  test('the findings of the run are exactly the misuse it commits', () => {
    const r = run_core();
    expect(r.stderr).toMatch(/4 findings \(1 warn, 3 misuse\); exit status 3/);
    expect(r.status).toBe(3);
  });

  test('a managed probe is undone at unbind; a device without release gets the kernel WARN', () => {
    const r = dmashim_run(['devmodel-probe.c'], ['--leaks', '--all-errors']);
    expect(lines(r)).toEqual(['bound yes enabled 1 master 1', 'remove: ring ok', 'unbound: enabled 0 master 0', 'end']);
    expect(r.stderr).toContain('mydrv 0000:00:04.0: probed 1af4, bar0 16384 bytes, enabled 1');
    expect(r.stderr).toContain(
      "Device 'norelease0' does not have a release() function, it is broken and must be fixed. See Documentation/core-api/kobject.rst.",
    );
    expect(r.stderr).toContain('leak report (bridge): clean');
    expect(r.stderr).toMatch(/1 finding \(1 warn\); exit status 3/);
  });
});

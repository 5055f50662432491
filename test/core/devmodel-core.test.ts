/*
 * The driver model from TypeScript: reference counts and release, devres's
 * order and its refusal on a released device, and a PCI device's config
 * space, resources, enabling and regions.
 */
import { describe, it, expect } from 'vitest';
import {
  device,
  pci_dev,
  dev_set_name,
  device_initialize,
  device_add,
  device_del,
  device_register,
  device_unregister,
  get_device,
  put_device,
  dev_get_drvdata,
  dev_set_drvdata,
  dev_to_node,
  set_dev_node,
  device_create_file,
  sysfs_read,
  devm_kmalloc,
  devm_kzalloc,
  devm_kcalloc,
  devm_kfree,
  devm_add_action,
  devm_add_action_or_reset,
  devm_remove_action,
  devm_release_action,
  dmam_alloc_coherent,
  dmam_alloc_attrs,
  dmam_pool_create,
  dma_set_mask_and_coherent,
  DMA_BIT_MASK,
  GFP_KERNEL,
  dma_addr,
  ksize,
  kmalloc,
  kfree,
  readb,
  pci_read_config_byte,
  pci_read_config_word,
  pci_read_config_dword,
  pci_write_config_word,
  pci_write_config_byte,
  pci_config_set,
  pci_set_resource,
  pci_resource_start,
  pci_resource_len,
  pci_resource_end,
  pci_resource_flags,
  pci_enable_device,
  pcim_enable_device,
  pci_disable_device,
  pci_set_master,
  pci_request_regions,
  pci_release_regions,
  pci_set_drvdata,
  pci_get_drvdata,
  PCI_VENDOR_ID,
  PCI_DEVICE_ID,
  PCI_COMMAND,
  PCI_CLASS_PROG,
  PCI_BASE_ADDRESS_0,
  PCIBIOS_BAD_REGISTER_NUMBER,
  IORESOURCE_MEM,
  IORESOURCE_MEM_64,
  IORESOURCE_PREFETCH,
  IORESOURCE_IO,
  DmashimError,
  type Machine,
} from '../../src/index.ts';
import { machine, logged } from '../dma-api/helpers.ts';

function dev_named(m: Machine, name: string, release: ((d: device) => void) | null): device {
  const d = new device(m);
  d.release = release;
  dev_set_name(d, name);
  return d;
}

function free_pages(m: Machine): number {
  let n = 0;
  for (let z = 0; z < 3; z++) n += m.buddy.zoneStats(z).free_pages;
  return n;
}

describe('device references and release', () => {
  it('initialize gives 1; get/put count; device_unregister releases once at the last put', () => {
    const m = machine();
    const calls: device[] = [];
    const d = dev_named(m, 'r0', (x) => calls.push(x));
    expect(device_register(d)).toBe(0);
    expect(d.kobj.kref.refcount).toBe(1);
    expect(d.kobj.state_initialized && d.kobj.state_in_sysfs).toBe(true);
    expect(d.kobj.name).toBe('r0');
    expect(get_device(d)).toBe(d);
    expect(d.kobj.kref.refcount).toBe(2);
    expect(logged(() => device_unregister(d))).toBe('');
    expect(calls).toEqual([]);
    expect(d.dead && !d.registered && !d.released).toBe(true);
    put_device(d);
    expect(calls).toEqual([d]);
    expect(d.released).toBe(true);
    // A put too many is the kernel's refcount_t WARN; nothing is released twice.
    expect(logged(() => put_device(d))).toContain('refcount_t: underflow; use-after-free.');
    expect(logged(() => get_device(d))).toContain('refcount_t: addition on 0; use-after-free.');
    expect(calls).toHaveLength(1);
    expect(d.kobj.kref.refcount).toBe(0);
  });

  it('a device without release gets the kernel WARN; the type release is used when dev->release is null', () => {
    const m = machine();
    const d = dev_named(m, 'norel', null);
    device_register(d);
    expect(logged(() => device_unregister(d))).toContain(
      "Device 'norel' does not have a release() function, it is broken and must be fixed. See Documentation/core-api/kobject.rst.",
    );
    const typed: string[] = [];
    const t = dev_named(m, 'typed', null);
    t.type = { name: 'mytype', release: (x) => typed.push(x.name) };
    device_register(t);
    expect(logged(() => device_unregister(t))).toBe('');
    expect(typed).toEqual(['typed']);
  });

  it('kobject misuse: put of an uninitialized device, init twice, add without init', () => {
    const m = machine();
    const d = dev_named(m, 'k0', () => {});
    expect(logged(() => put_device(d))).toMatch(
      /kobject: 'k0' \([0-9a-f]{16}\): is not initialized, yet kobject_put\(\)/,
    );
    expect(logged(() => expect(device_add(d)).toBe(-22))).toMatch(/tried to add an uninitialized object/);
    device_initialize(d);
    expect(logged(() => device_initialize(d))).toMatch(
      /tried to init an initialized object, something is seriously wrong/,
    );
    expect(device_add(d)).toBe(0);
    expect(logged(() => expect(device_add(d)).toBe(-17))).toContain(
      "sysfs: cannot create duplicate filename '/devices/k0'",
    );
    device_unregister(d);
    expect(d.released).toBe(true);
  });

  it('a child holds its parent until device_del; drvdata, node, sysfs files', () => {
    const m = machine();
    const order: string[] = [];
    const p = dev_named(m, 'p0', () => order.push('p'));
    const c = dev_named(m, 'c0', () => order.push('c'));
    c.parent = p;
    device_register(p);
    device_register(c);
    expect(p.kobj.kref.refcount).toBe(2);
    expect(c.kobj.parent).toBe(p.kobj);
    device_unregister(p);
    expect(order).toEqual([]);
    // As the kernel: device_del of the child drops its hold on the parent before the child's own last put.
    device_unregister(c);
    expect(order).toEqual(['p', 'c']);

    const d = dev_named(m, 'd0', () => {});
    expect(dev_get_drvdata(d)).toBe(null);
    const priv = { x: 1 };
    dev_set_drvdata(d, priv);
    expect(dev_get_drvdata(d)).toBe(priv);
    expect(dev_to_node(d)).toBe(-1);
    set_dev_node(d, 0);
    expect(dev_to_node(d)).toBe(0);
    expect(device_create_file(d, 'hello', (x) => `hi ${x.name}\n`)).toBe(0);
    expect(sysfs_read(d, 'hello')).toBe('hi d0\n');
    expect(logged(() => expect(device_create_file(d, 'hello', () => '')).toBe(-17))).toContain(
      "sysfs: cannot create duplicate filename '/devices/d0/hello'",
    );
  });
});

describe('devres', () => {
  function bound(m: Machine, name: string): device {
    const d = dev_named(m, name, () => {});
    device_register(d);
    d.dma_mask = 0n;
    dma_set_mask_and_coherent(d, DMA_BIT_MASK(64));
    return d;
  }

  it('releases everything newest first at device_unregister, core and devm resources in one order', () => {
    const m = machine();
    const d = bound(m, 'dr0');
    // Slab pages of the sizes used stay taken by these, so the page count below sees only what devres frees.
    const keep = [kmalloc(100, GFP_KERNEL, m), kmalloc(32, GFP_KERNEL, m)];
    const before = free_pages(m);
    const order: string[] = [];
    const mem = devm_kzalloc(d, 100, GFP_KERNEL);
    expect(readb(mem + 99)).toBe(0);
    devm_add_action(d, () => order.push('A'), null);
    const co = dmam_alloc_coherent(d, 8192, dma_addr(), GFP_KERNEL);
    expect(co).not.toBe(0);
    const pool = dmam_pool_create('dm', d, 64, 64, 0);
    devm_add_action(d, () => order.push(`B pool ${sysfs_read(d, 'pools')?.includes('dm ') ? 'live' : 'gone'}`), null);
    const arr = devm_kcalloc(d, 4, 8, GFP_KERNEL);
    devm_kfree(d, arr);
    const undo = (x: unknown): void => {
      order.push(`undo ${String(x)}`);
    };
    devm_add_action(d, undo, 1);
    devm_remove_action(d, undo, 1);
    devm_add_action(d, undo, 2);
    devm_release_action(d, undo, 2);
    expect(order).toEqual(['undo 2']);
    expect(pool).not.toBe(null);
    expect(d.devres_head.map((r) => r.name)).toEqual([
      'devm_kmalloc_release',
      'devm_action_release',
      'dmam_release',
      'dmam_pool_release',
      'devm_action_release',
    ]);
    device_unregister(d);
    expect(order).toEqual(['undo 2', 'B pool live', 'A']);
    expect(d.devres_head).toEqual([]);
    expect(free_pages(m)).toBe(before);
    // devm_kzalloc's memory went back: freeing it again is the slab's double free.
    expect(logged(() => kfree(mem))).toMatch(/Object already free/);
    for (const k of keep) kfree(k);
  });

  it('misuse: devm_kfree of foreign memory and devm_remove_action of an unknown action WARN and change nothing', () => {
    const m = machine();
    const d = bound(m, 'dr1');
    const p = devm_kmalloc(d, 64, GFP_KERNEL);
    expect(logged(() => devm_kfree(d, p + 8))).toMatch(/WARNING: at drivers\/base\/devres.c devm_kfree/);
    expect(ksize(p)).toBe(64);
    expect(logged(() => devm_remove_action(d, () => {}, null))).toMatch(
      /WARNING: at drivers\/base\/devres.c devm_remove_action/,
    );
    expect(d.devres_head).toHaveLength(1);
    expect(devm_kmalloc(d, 0, GFP_KERNEL)).toBe(0);
  });

  it('a deleted but held device takes managed memory and frees it at its last put', () => {
    const m = machine();
    const d = bound(m, 'dr2');
    const before = free_pages(m);
    get_device(d);
    device_unregister(d);
    expect(dmam_alloc_attrs(d, 16384, dma_addr(), GFP_KERNEL, 0)).not.toBe(0);
    expect(free_pages(m)).toBeLessThan(before);
    put_device(d);
    expect(free_pages(m)).toBe(before);
  });

  it('a released device takes nothing: every managed allocator refuses with a report', () => {
    const m = machine();
    const d = bound(m, 'dr3');
    device_unregister(d);
    const before = free_pages(m);
    const log = logged(() => {
      expect(dmam_alloc_coherent(d, 4096, dma_addr(), GFP_KERNEL)).toBe(0);
      expect(dmam_pool_create('late', d, 64, 8, 0)).toBe(null);
      expect(devm_kzalloc(d, 64, GFP_KERNEL)).toBe(0);
      expect(devm_add_action(d, () => {}, null)).toBe(-12);
    });
    for (const fn of ['dmam_alloc_coherent', 'dmam_pool_create', 'devm_kmalloc', 'devm_add_action'])
      expect(log).toContain(`dmashim: dr3: ${fn}() on a device that was already released`);
    let ran = 0;
    expect(devm_add_action_or_reset(d, () => ran++, null)).toBe(-12);
    expect(ran).toBe(1);
    expect(free_pages(m)).toBe(before);
    expect(d.devres_head).toEqual([]);
  });
});

describe('PCI device', () => {
  it('config space: ids at their offsets, read-only ids, misaligned and out-of-range accesses', () => {
    const m = machine();
    const p = new pci_dev({
      machine: m,
      name: '0000:01:00.0',
      vendor: 0x144d,
      device: 0xa808,
      class: 0x010802,
      revision: 2,
    });
    const v = { value: 0 };
    expect(pci_read_config_word(p, PCI_VENDOR_ID, v)).toBe(0);
    expect(v.value).toBe(0x144d);
    pci_read_config_word(p, PCI_DEVICE_ID, v);
    expect(v.value).toBe(0xa808);
    pci_read_config_dword(p, 0x08, v);
    expect(v.value).toBe(0x01080202);
    pci_read_config_byte(p, PCI_CLASS_PROG, v);
    expect(v.value).toBe(0x02);
    expect(pci_read_config_word(p, 1, v)).toBe(PCIBIOS_BAD_REGISTER_NUMBER);
    expect(v.value).toBe(0xffff);
    expect(pci_read_config_dword(p, 256, v)).toBe(-22);
    expect(v.value).toBe(0xffffffff);
    pci_write_config_word(p, PCI_VENDOR_ID, 0x1234);
    pci_write_config_byte(p, 0x40, 0x5a);
    pci_read_config_word(p, PCI_VENDOR_ID, v);
    expect(v.value).toBe(0x144d);
    pci_read_config_byte(p, 0x40, v);
    expect(v.value).toBe(0x5a);
    pci_config_set(p, 0x00, [0x34, 0x12]);
    pci_read_config_word(p, PCI_VENDOR_ID, v);
    expect(v.value).toBe(0x1234);
    expect(() => pci_config_set(p, 250, new Uint8Array(8))).toThrow(DmashimError);
    const e = new pci_dev({ machine: m, pcie: true });
    expect(e.cfg_size).toBe(4096);
    expect(pci_write_config_dword_ok(e)).toBe(0xdeadbeef);
  });

  it('resources: start, end, len, flags and the BAR registers the firmware writes', () => {
    const m = machine();
    const p = new pci_dev({ machine: m, name: '0000:02:00.0' });
    pci_set_resource(p, 0, 0xfebc0000, 0x20000);
    pci_set_resource(p, 2, 0x4_0000_0000, 0x100000, IORESOURCE_MEM | IORESOURCE_MEM_64 | IORESOURCE_PREFETCH);
    pci_set_resource(p, 4, 0xe000, 0x20, IORESOURCE_IO);
    expect([pci_resource_start(p, 0), pci_resource_end(p, 0), pci_resource_len(p, 0)]).toEqual([
      0xfebc0000, 0xfebdffff, 0x20000,
    ]);
    expect(pci_resource_flags(p, 0)).toBe(IORESOURCE_MEM);
    expect(pci_resource_len(p, 1)).toBe(0);
    expect(pci_resource_len(p, 2)).toBe(0x100000);
    const v = { value: 0 };
    pci_read_config_dword(p, PCI_BASE_ADDRESS_0 + 8, v);
    expect(v.value).toBe(0x0000000c);
    pci_read_config_dword(p, PCI_BASE_ADDRESS_0 + 12, v);
    expect(v.value).toBe(4);
    pci_read_config_dword(p, PCI_BASE_ADDRESS_0 + 16, v);
    expect(v.value).toBe(0xe001);
    expect(() => pci_set_resource(p, 11, 0, 4096)).toThrow(/BAR 11/);
    expect(() => pci_set_resource(p, 0, -1, 4096)).toThrow(DmashimError);
    expect(() => pci_set_resource(p, 0, 0, 1.5)).toThrow(DmashimError);
  });

  it('enable, bus master, regions, disable; pcim_enable_device is undone at detach', () => {
    const m = machine();
    const p = new pci_dev({ machine: m, name: '0000:03:00.0' });
    pci_set_resource(p, 0, 0xfe000000, 0x4000);
    const v = { value: 0 };
    expect(logged(() => expect(pci_enable_device(p)).toBe(0))).toContain(
      'pci 0000:03:00.0: enabling device (0000 -> 0002)',
    );
    pci_set_master(p);
    pci_read_config_word(p, PCI_COMMAND, v);
    expect(v.value).toBe(0x0006);
    expect(p.is_busmaster).toBe(true);
    expect(pci_request_regions(p, 'drv')).toBe(0);
    expect(logged(() => expect(pci_request_regions(p, 'other')).toBe(-16))).toContain(
      "pci 0000:03:00.0: BAR 0: can't reserve [mem 0xfe000000-0xfe003fff]",
    );
    pci_release_regions(p);
    expect(logged(() => pci_release_regions(p))).toContain(
      'Trying to free nonexistent resource <0x00000000fe000000-0x00000000fe003fff>',
    );
    pci_disable_device(p);
    pci_read_config_word(p, PCI_COMMAND, v);
    expect(v.value).toBe(0x0002);
    expect(p.enable_cnt).toBe(0);
    expect(logged(() => pci_disable_device(p))).toContain('disabling already-disabled device');

    const q = new pci_dev({ machine: m, name: '0000:04:00.0' });
    pci_set_drvdata(q, 'priv');
    expect(pci_get_drvdata(q)).toBe('priv');
    device_register(q.dev);
    expect(pcim_enable_device(q)).toBe(0);
    expect(q.enable_cnt).toBe(1);
    expect(logged(() => device_unregister(q.dev))).toBe('');
    expect(q.enable_cnt).toBe(0);
    expect(q.dev.released).toBe(true);
  });

  it('device_del (the detach) releases devres while a reference is still held', () => {
    const m = machine();
    const d = dev_named(m, 'dd', () => {});
    device_register(d);
    const p = devm_kmalloc(d, 32, GFP_KERNEL);
    expect(p).not.toBe(0);
    device_del(d);
    expect(d.devres_head).toEqual([]);
    expect(d.released).toBe(false);
    put_device(d);
    expect(d.released).toBe(true);
  });
});

describe('bad arguments', () => {
  it('a NULL device or pci_dev is the typed EFAULT before anything is done', () => {
    const nd = null as unknown as device;
    const np = null as unknown as pci_dev;
    for (const f of [
      () => get_device({} as unknown as device),
      () => dev_set_drvdata(nd, 1),
      () => devm_kmalloc(nd, 8, GFP_KERNEL),
      () => pci_resource_len(np, 0),
      () => pci_read_config_word(np, 0, { value: 0 }),
      () => pci_enable_device(np),
    ]) {
      expect(f).toThrow(DmashimError);
    }
    expect(() => pci_resource_start(np, 0)).toThrow(/pci_resource_start: NULL device/);
    expect(get_device(null)).toBe(null);
    expect(() => put_device(null)).not.toThrow();
  });
});

function pci_write_config_dword_ok(p: pci_dev): number {
  const v = { value: 0 };
  pci_config_set(p, 0x100, [0xef, 0xbe, 0xad, 0xde]);
  pci_read_config_dword(p, 0x100, v);
  return v.value;
}

import { describe, it, expect } from 'vitest';
import {
  dma_pool_create,
  dma_pool_zalloc,
  dma_pool_free,
  dma_pool_destroy,
  dmapool_set_poison,
  dma_addr,
  dmesg_mark,
  dmesg_since,
  sysfs_read,
  pools_show,
  writeb,
  mem_bytes,
  fmt_p,
  GFP_KERNEL,
  POOL_POISON_FREED,
  POOL_POISON_ALLOCATED,
} from '../../src/index.ts';
import {
  pci_pool_create,
  pci_pool_alloc,
  pci_pool_free,
  pci_pool_destroy,
  SLAB_POISON,
  SLAB_KERNEL,
} from '../../compat/index.ts';
import { pci_dev, dev_set_name, device_register } from '../../src/index.ts';
import { small_machine, test_device, pool_alloc as alloc } from '../helpers.ts';

describe('the pools attribute', () => {
  it('exists only while the device has pools, newest first, byte for byte', () => {
    const m = small_machine({ poison: false });
    const dev = test_device(m, 'sysfs-dev');
    expect(sysfs_read(dev, 'pools')).toBeNull();
    const a = dma_pool_create('buffer-32', dev, 32, 32, 0)!;
    const b = dma_pool_create('a-name-longer-than-sixteen', dev, 68, 32, 4096)!;
    const c = dma_pool_create('big', dev, 5000, 0, 0)!;
    for (let i = 0; i < 130; i++) alloc(a);
    const bb = [alloc(b), alloc(b), alloc(b)];
    dma_pool_free(b, bb[1]!.v, bb[1]!.d);
    alloc(c);
    alloc(c);
    expect(sysfs_read(dev, 'pools')).toBe(
      'poolinfo - 0.1\n' +
        'big                 2    2 5000  2\n' +
        'a-name-longer-than-sixteen    2   42   96  1\n' +
        'buffer-32         130  256   32  2\n',
    );
    expect(pools_show(dev)).toBe(sysfs_read(dev, 'pools'));
    for (let i = 0; i < 9000; i++) alloc(a); // counters wider than their columns push the line out, as %4zu does
    expect(sysfs_read(dev, 'pools')!.split('\n')[3]).toBe('buffer-32        9130 9216   32 72');
    for (const p of [a, b, c]) {
      for (const s of p.liveSlots()) dma_pool_free(p, p.slotVaddr(s), p.slotDma(s));
      dma_pool_destroy(p);
    }
    expect(sysfs_read(dev, 'pools')).toBeNull();
  });
});

describe('poisoning', () => {
  it('fills freed blocks with 0xa7 and new ones with 0xa9; zalloc wins over 0xa9', () => {
    const m = small_machine({ poison: true });
    const dev = test_device(m);
    const p = dma_pool_create('poison', dev, 64, 0, 0)!;
    const a = alloc(p);
    expect([...mem_bytes(a.v, 64)].every((x) => x === POOL_POISON_ALLOCATED)).toBe(true);
    const next = p.slotVaddr(p.head);
    expect([...mem_bytes(next, 64)].every((x) => x === POOL_POISON_FREED)).toBe(true);
    dma_pool_free(p, a.v, a.d);
    expect([...mem_bytes(a.v, 64)].every((x) => x === POOL_POISON_FREED)).toBe(true);
    const z = dma_pool_zalloc(p, GFP_KERNEL, dma_addr());
    expect([...mem_bytes(z, 64)].every((x) => x === 0)).toBe(true);
  });

  it('reports a block written after it was freed at its next allocation, with the kernel hex dump', () => {
    const m = small_machine({ poison: true });
    const dev = test_device(m, 'uaf-dev');
    const p = dma_pool_create('uaf', dev, 32, 0, 0)!;
    const a = alloc(p);
    dma_pool_free(p, a.v, a.d);
    writeb(0x41, a.v + 17);
    const mark = dmesg_mark();
    const again = alloc(p);
    expect(again.v).toBe(a.v); // still handed out, as the kernel does
    const row = (off: string, bytes: number[]) =>
      `${off}: ${bytes.map((x) => x.toString(16).padStart(2, '0')).join(' ')}  ${bytes.map((x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('')}`;
    const second = Array(16).fill(0xa7);
    second[1] = 0x41;
    const log = dmesg_since(mark);
    expect(
      log.startsWith(
        `uaf-dev: dma_pool_alloc uaf, ${fmt_p(a.v)} (corrupted)\n` +
          row('00000000', Array(16).fill(0xa7)) +
          '\n' +
          row('00000010', second) +
          '\n',
      ),
    ).toBe(true);
    // Beyond the kernel: where the block was freed (sites are on in tests).
    expect(log).toMatch(
      /^uaf-dev: use after free: block was written after it was freed at test\/core\/dmapool-sysfs-poison\.test\.ts:\d+$/m,
    );
    // After the report the block is poisoned as allocated; the allocator is intact.
    expect(p.nr_active).toBe(1);
  });

  it('is switchable at run time per machine and per pool; turning it on poisons free blocks first', () => {
    const m = small_machine({ poison: false });
    const dev = test_device(m, 'switch');
    const p = dma_pool_create('sw', dev, 64, 0, 0)!;
    const q = dma_pool_create('own', dev, 64, 0, 0)!;
    const a = alloc(p);
    dma_pool_free(p, a.v, a.d);
    writeb(1, a.v); // dirty while unpoisoned: not a use-after-free under the old setting
    dmapool_set_poison(q, false); // q keeps its own setting
    dmapool_set_poison(m, true);
    expect(p.poison).toBe(true);
    expect(q.poison).toBe(false);
    const mark = dmesg_mark();
    const b = alloc(p);
    expect(dmesg_since(mark)).toBe('');
    expect(mem_bytes(b.v, 1)[0]).toBe(POOL_POISON_ALLOCATED);
    dmapool_set_poison(p, false);
    dma_pool_free(p, b.v, b.d);
    expect(mem_bytes(b.v, 1)[0]).toBe(POOL_POISON_ALLOCATED); // no poison on free when off
    dmapool_set_poison(p, null); // follow the machine again
    expect(p.poison).toBe(true);
  });

  it('2.4 pci_pool_create with SLAB_POISON in its sixth argument turns poisoning on for that pool', () => {
    const m = small_machine({ poison: false });
    const pdev = new pci_dev({ machine: m });
    dev_set_name(pdev.dev, '0000:00:02.0');
    device_register(pdev.dev);
    const poisoned = pci_pool_create('old', pdev, 64, 16, 0, SLAB_POISON)!;
    const plain = pci_pool_create('new', pdev, 64, 16, 0)!;
    expect(poisoned.poison).toBe(true);
    expect(plain.poison).toBe(false);
    const h = dma_addr();
    const v = pci_pool_alloc(poisoned, SLAB_KERNEL, h);
    expect(mem_bytes(v, 1)[0]).toBe(POOL_POISON_ALLOCATED);
    pci_pool_free(poisoned, v, h.value);
    pci_pool_destroy(poisoned);
    pci_pool_destroy(plain);
  });
});

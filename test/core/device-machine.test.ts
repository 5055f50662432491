import { describe, it, expect } from 'vitest';
import {
  device,
  pci_dev,
  to_pci_dev,
  dev_set_name,
  dev_name,
  device_register,
  device_unregister,
  dev_err,
  dev_info,
  dev_dbg,
  dma_set_mask,
  dma_set_coherent_mask,
  dma_set_mask_and_coherent,
  dma_get_mask,
  dma_get_required_mask,
  DMA_BIT_MASK,
  dmam_pool_create,
  dmam_pool_destroy,
  dma_pool_create,
  dma_pool_destroy,
  dma_pool_alloc,
  dma_addr,
  dmesg_mark,
  dmesg_since,
  create_machine,
  readb,
  readw,
  readl,
  readq,
  writeb,
  writew,
  writel,
  writeq,
  memset,
  memcpy,
  memcmp,
  mem_bytes,
  c_struct,
  DmashimError,
  EIO,
  EINVAL,
  GFP_KERNEL,
  log_configure,
  alloc_pages,
  __free_pages,
  __GFP_NOWARN,
} from '../../src/index.ts';
import { small_machine, test_device, GiB, MiB } from '../helpers.ts';

describe('devices', () => {
  it('names, registration and the dev_printk prefix', () => {
    const m = small_machine();
    const dev = new device(m);
    expect(device_register(dev)).toBe(-EINVAL); // no name yet
    dev_set_name(dev, 'mydev');
    expect(dev_name(dev)).toBe('mydev');
    expect(device_register(dev)).toBe(0);
    const mark = dmesg_mark();
    dev_err(dev, 'plain');
    dev.driver_name = 'mydrv';
    dev_info(dev, 'with driver');
    dev_dbg(dev, 'dropped without debug');
    expect(dmesg_since(mark)).toBe('mydev: plain\nmydrv mydev: with driver\n');
    const prev = log_configure({ debug: true });
    dev_dbg(dev, 'kept');
    log_configure(prev);
    expect(dmesg_since(mark)).toContain('mydrv mydev: kept');
    const pdev = new pci_dev({ machine: m, vendor: 0x8086, device: 0x1234 });
    dev_set_name(pdev.dev, '0000:00:1f.0');
    const mark2 = dmesg_mark();
    dev_err(pdev.dev, 'x');
    expect(dmesg_since(mark2)).toBe('pci 0000:00:1f.0: x\n');
    expect(to_pci_dev(pdev.dev)).toBe(pdev);
    expect(to_pci_dev(dev)).toBeNull();
  });

  it('masks: -EIO without a mask pointer or for masks the machine cannot serve', () => {
    const m = small_machine();
    const dev = new device(m);
    dev_set_name(dev, 'm');
    expect(dma_set_mask(dev, DMA_BIT_MASK(32))).toBe(-EIO); // dma_mask == NULL
    expect(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32))).toBe(-EIO);
    expect(dev.coherent_dma_mask).toBe(0n); // not set when the streaming mask failed
    dev.dma_mask = 0n;
    expect(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64))).toBe(0);
    expect(dev.dma_mask).toBe(0xffffffffffffffffn);
    expect(dev.coherent_dma_mask).toBe(0xffffffffffffffffn);
    expect(dma_set_mask(dev, DMA_BIT_MASK(20))).toBe(-EIO); // below ZONE_DMA
    expect(dma_set_coherent_mask(dev, DMA_BIT_MASK(16))).toBe(-EIO);
    expect(dma_set_mask(dev, DMA_BIT_MASK(24))).toBe(0);
    expect(dma_get_mask(dev)).toBe(0xffffffn);
    expect(DMA_BIT_MASK(0)).toBe(0n);
    expect(DMA_BIT_MASK(40)).toBe(0xffffffffffn);
    const p = new pci_dev({ machine: m });
    expect(p.dev.dma_mask).toBe(DMA_BIT_MASK(32));
    expect(p.dev.coherent_dma_mask).toBe(DMA_BIT_MASK(32));
  });

  it('dma_get_required_mask covers all RAM, is at least 32 bits, and changes no mask', () => {
    const m = small_machine(); // RAM up to 4 GiB + 64 MiB
    const dev = test_device(m, 'r', 64);
    expect(dma_get_required_mask(dev)).toBe(DMA_BIT_MASK(33));
    expect(dev.dma_mask).toBe(DMA_BIT_MASK(64));
    const low = create_machine({ ram: [{ start: 0, size: 32 * MiB }] });
    expect(dma_get_required_mask(test_device(low, 'l', 64))).toBe(DMA_BIT_MASK(32));
    low.dispose();
  });

  it('device_unregister releases managed pools; dmam_pool_destroy of an unmanaged pool WARNs and destroys nothing', () => {
    const m = small_machine();
    const dev = test_device(m, 'managed');
    const a = dmam_pool_create('a', dev, 64, 0, 0)!;
    const b = dmam_pool_create('b', dev, 64, 0, 0)!;
    const plain = dma_pool_create('plain', dev, 64, 0, 0)!;
    dma_pool_alloc(a, GFP_KERNEL, dma_addr());
    dmam_pool_destroy(b);
    expect(b.destroyed).toBe(true);
    const mark = dmesg_mark();
    dmam_pool_destroy(plain);
    expect(dmesg_since(mark)).toContain('WARNING: at mm/dmapool.c dmam_pool_destroy');
    expect(plain.destroyed).toBe(false);
    device_unregister(dev);
    expect(a.destroyed).toBe(true); // busy: reported and leaked, but gone from the device
    expect(dev.dma_pools).toEqual([plain]);
    dma_pool_destroy(plain);
  });
});

describe('the machine', () => {
  it('rejects bad options with a typed error', () => {
    const bad = [
      { ram: [] },
      { ram: [{ start: 4096, size: 1 * MiB }] },
      { ram: [{ start: 0, size: 1000 }] },
      {
        ram: [
          { start: 0, size: 8 * MiB },
          { start: 4 * MiB, size: 8 * MiB },
        ],
      },
      {
        ram: [
          { start: 0, size: 3 * GiB },
          { start: 4 * GiB, size: 2 * GiB },
        ],
      },
      { page_order: 'middle' as 'low-first' },
      // An arena base that is not page aligned (dma_pool_free finds pages from an address's low 32 bits).
      { ram: [{ start: 0, size: 8 * MiB }], arena: { buffer: new ArrayBuffer(8 * MiB), vbase: 2 ** 40 + 0x800 } },
      { ram: [{ start: 0, size: 8 * MiB }], arena: { buffer: new ArrayBuffer(8 * MiB), vbase: 0.5 } },
    ];
    for (const o of bad) {
      expect(() => create_machine(o)).toThrow(DmashimError);
    }
  });

  it('lays zones out by physical address and backs GiBs of RAM lazily', () => {
    const m = create_machine({
      ram: [
        { start: 0, size: 2 * GiB },
        { start: 4 * GiB, size: 2 * GiB },
      ],
    });
    expect(m.buddy.zoneStats(0).present_pages).toBe(16 * 256 - 1);
    expect(m.buddy.zoneStats(1).present_pages).toBe((2 * GiB - 16 * MiB) / 4096);
    expect(m.buddy.zoneStats(2).present_pages).toBe((2 * GiB) / 4096);
    expect(m.offToPhys(2 * GiB)).toBe(4 * GiB);
    expect(m.physToOff(4 * GiB + 5)).toBe(2 * GiB + 5);
    expect(m.physToOff(3 * GiB)).toBe(-1);
    m.dispose();
  });

  it('tells the GC what RAM is in use: boot-time blocks as they are first handed out, iomem windows from the start', () => {
    // A 2 GiB arena counted in full made every new machine force a full GC; it is a SharedArrayBuffer, charged as used.
    const m = create_machine({
      ram: [
        { start: 0, size: 24 * MiB },
        { start: 4 * GiB, size: 8 * MiB },
      ],
      iomem: [{ phys: 1 * GiB, size: 2 * MiB, name: 'sram' }],
    });
    expect(m.buffer).toBeInstanceOf(SharedArrayBuffer);
    // Below 16 MiB: the reserved page and the blocks up to the first 4 MiB boundary; then the window.
    const base = 4 * MiB + 2 * MiB;
    expect(m.gcChargedBytes).toBe(base);
    const big = alloc_pages(GFP_KERNEL, 10, m);
    expect(m.gcChargedBytes).toBe(base + 4 * MiB);
    // Pieces of a block already taken, and a block given back and taken again, charge nothing more.
    const small = [1, 2, 3].map(() => alloc_pages(GFP_KERNEL, 0, m));
    expect(m.gcChargedBytes).toBe(base + 8 * MiB);
    __free_pages(big, 10);
    const again = alloc_pages(GFP_KERNEL, 10, m);
    expect(m.gcChargedBytes).toBe(base + 8 * MiB);
    // Every page handed out: the whole arena is charged.
    const all: Array<[number, number]> = [];
    for (let o = 10; o >= 0; o--) {
      for (;;) {
        const p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, o, m);
        if (p === 0) break;
        all.push([p, o]);
      }
    }
    expect(m.gcChargedBytes).toBe(m.arenaSize);
    for (const [p, o] of [...all, [again, 10] as [number, number], ...small.map((p) => [p, 0] as [number, number])])
      __free_pages(p, o);
    m.dispose();
    // A machine on a caller's arena (the bridge's C mapping) is counted by V8 in full.
    const bridged = create_machine({
      ram: [{ start: 0, size: 8 * MiB }],
      arena: { buffer: new ArrayBuffer(8 * MiB), vbase: 2 ** 40 },
    });
    expect(bridged.gcChargedBytes).toBe(8 * MiB);
    bridged.dispose();
  });

  it('accessors read and write machine memory little-endian; a bad address is a typed fault', () => {
    const m = small_machine();
    const v = m.vbase + 8 * MiB;
    writel(0xdeadbeef, v);
    expect(readb(v)).toBe(0xef);
    expect(readw(v + 2)).toBe(0xdead);
    expect(readl(v)).toBe(0xdeadbeef);
    writeq(0x1122334455667788n, v + 8);
    expect(readq(v + 8)).toBe(0x1122334455667788n);
    writeb(7, v + 16);
    writew(0x0102, v + 18);
    memset(v + 32, 0xab, 8);
    memcpy(v + 48, v + 32, 8);
    expect(memcmp(v + 32, v + 48, 8)).toBe(0);
    expect([...mem_bytes(v + 16, 4)]).toEqual([7, 0, 2, 1]);
    expect(() => readl(12345)).toThrow(DmashimError);
    expect(() => writel(1, m.vbase + m.arenaSize - 2)).toThrow(/page fault/);
  });

  it('c_struct lays fields out with C rules and views them in place', () => {
    const m = small_machine();
    const s = c_struct({ a: 'u8', b: 'u32', c: 'u16', d: 'dma_addr_t', e: ['u32', 3], f: 'u64' });
    expect(s.offsets).toEqual({ a: 0, b: 4, c: 8, d: 16, e: 24, f: 40 });
    expect(s.size).toBe(48);
    const inner = c_struct({ x: 'u16', y: 'u8' });
    const outer = c_struct({ p: 'u8', q: inner, r: [inner, 2] });
    expect(outer.size).toBe(14);
    const v = m.vbase + 4 * MiB;
    const view = s.at(v);
    view.b = 0x01020304;
    view.d = 0x123456789;
    view.e[1] = 5;
    view.f = 2n ** 63n;
    expect(readl(v + 4)).toBe(0x01020304);
    expect(readq(v + 16)).toBe(0x123456789n);
    expect(readl(v + 28)).toBe(5);
    expect(view.e[1]).toBe(5);
    expect(view.f).toBe(2n ** 63n);
    expect(() => {
      view.e[3] = 1;
    }).toThrow(DmashimError);
  });
});

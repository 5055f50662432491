/*
 * Regression tests from an audit of the core against the kernel's behaviour
 * (dma_pool, coherent allocations, masks). Each test failed before its fix.
 */
import { describe, it, expect } from 'vitest';
import {
  dma_pool_create,
  dma_pool_alloc,
  dma_pool_zalloc,
  dma_pool_free,
  dma_pool_destroy,
  dmapool_set_poison,
  dma_addr,
  dmesg_mark,
  dmesg_since,
  sysfs_read,
  mem_bytes,
  dma_alloc_coherent,
  dma_free_coherent,
  dma_supported,
  dma_set_mask,
  dma_set_coherent_mask,
  sanitizer_configure,
  stackdepot,
  DMA_BIT_MASK,
  GFP_KERNEL,
  POOL_POISON_ALLOCATED,
  POOL_POISON_FREED,
  ZONE_DMA,
  ZONE_DMA32,
  create_machine,
  GFP_ATOMIC,
  GFP_USER,
  __GFP_ZERO,
  __GFP_NOWARN,
  __GFP_NOFAIL,
  __GFP_COMP,
  pci_dev,
  alloc_pages,
  page_to_phys,
  dma_declare_coherent_memory,
  local_irq_save,
  local_irq_restore,
} from '../../src/index.ts';
import {
  pci_pool_create,
  pci_pool_destroy,
  SLAB_KERNEL,
  SLAB_ATOMIC,
  SLAB_POISON,
  SLAB_HWCACHE_ALIGN,
} from '../../compat/index.ts';
import { fmt_lx, fmt_p, fmt_pad } from '../../src/lib/vsprintf.ts';
import { small_machine, test_device, MiB, pool_alloc as alloc } from '../helpers.ts';

describe('dma_pool_create: power-of-two checks on values above 2^31', () => {
  const m = small_machine({ poison: false });
  const dev = test_device(m, 'pow2');

  // The kernel tests align & (align - 1) on a size_t; a JS bitwise test only sees the low 32 bits.
  it('an align that is not a power of two gives NULL, however large', () => {
    expect(dma_pool_create('a', dev, 16, 2 ** 32 + 16, 0)).toBeNull();
    expect(dma_pool_create('a', dev, 16, 3 * 2 ** 31, 0)).toBeNull();
  });

  it('a boundary that is not a power of two gives NULL, however large; a large power of two is clamped', () => {
    expect(dma_pool_create('b', dev, 64, 0, 2 ** 32 + 4096)).toBeNull();
    expect(dma_pool_create('b', dev, 64, 0, 2 ** 40 + 2 ** 31)).toBeNull();
    const p = dma_pool_create('b', dev, 64, 0, 2 ** 40)!;
    expect(p).not.toBeNull();
    expect(p.boundary).toBe(4096);
    dma_pool_destroy(p);
  });
});

describe('poisoning switched for a whole machine', () => {
  it('pools that follow the machine start poisoning, and a block freed before is not reported as corrupted', () => {
    const m = small_machine({ poison: false });
    const dev = test_device(m, 'setpoison');
    const p = dma_pool_create('sp', dev, 64, 0, 0)!;
    const a = alloc(p);
    mem_bytes(a.v, 64).fill(0x11); // the driver's data, freed while poisoning is off
    dma_pool_free(p, a.v, a.d);
    dmapool_set_poison(m, true);
    expect(p.poison).toBe(true);
    const mark = dmesg_mark();
    const z = dma_pool_zalloc(p, GFP_KERNEL, dma_addr());
    expect(z).toBe(a.v);
    expect(dmesg_since(mark)).toBe('');
    const b = alloc(p);
    expect([...mem_bytes(b.v, 64)].every((x) => x === POOL_POISON_ALLOCATED)).toBe(true);
    dma_pool_free(p, b.v, b.d);
    expect([...mem_bytes(b.v, 64)].every((x) => x === POOL_POISON_FREED)).toBe(true);
  });
});

describe('a destroyed pool stays destroyed', () => {
  it('switching its poisoning afterwards does not let dma_pool_alloc hand out its freed pages', () => {
    const m = small_machine({ poison: true });
    const dev = test_device(m, 'dead');
    const sites = stackdepot.enabled;
    sanitizer_configure(m, { sites: false }); // no sanitizer hook: dma_pool_alloc may take its hot path
    try {
      const p = dma_pool_create('gone', dev, 64, 0, 0)!;
      const a = alloc(p);
      dma_pool_free(p, a.v, a.d);
      dma_pool_destroy(p);
      dmapool_set_poison(p, false);
      const mark = dmesg_mark();
      expect(dma_pool_alloc(p, GFP_KERNEL, dma_addr())).toBe(0);
      expect(dmesg_since(mark)).toContain('dma_pool_alloc gone: pool used after dma_pool_destroy');
    } finally {
      sanitizer_configure(m, { sites });
    }
  });
});

describe('dma_supported (dma_direct_supported)', () => {
  it('a mask of 32 bits or more is always supported, whatever the bus offset', () => {
    const m = small_machine();
    const dev = test_device(m, 'offset');
    dev.dma_offset = 4 * 1024 * MiB; // the device sees RAM at 4 GiB and up
    expect(dma_supported(dev, DMA_BIT_MASK(32))).toBe(true);
    expect(dma_set_mask(dev, DMA_BIT_MASK(32))).toBe(0);
    expect(dma_set_coherent_mask(dev, DMA_BIT_MASK(32))).toBe(0);
    expect(dma_supported(dev, DMA_BIT_MASK(31))).toBe(false);
  });

  it('below 32 bits the mask must reach the start of the last page of RAM (max_pfn - 1) when RAM ends below ZONE_DMA', () => {
    const m = create_machine({ ram: [{ start: 0, size: 8 * MiB }] });
    const dev = test_device(m, 'tiny', 32);
    expect(dma_supported(dev, 0x7ff000)).toBe(true);
    expect(dma_supported(dev, 0x7fefff)).toBe(false);
  });
});

describe('dma_set_mask with a negative number', () => {
  it('converts it to u64 as C does: -1 is all ones', () => {
    const m = small_machine();
    const dev = test_device(m, 'neg', 32);
    expect(dma_set_mask(dev, -1)).toBe(0);
    expect(dev.dma_mask).toBe(DMA_BIT_MASK(64));
  });
});

describe('dma_alloc_coherent for a 24-bit coherent mask', () => {
  it('goes straight to ZONE_DMA (phys limit <= zone_dma_limit gives GFP_DMA), without a detour through DMA32', () => {
    const m = small_machine({ poison: false });
    const dev = test_device(m, 'isa', 24);
    const before = m.buddy.zoneStats(ZONE_DMA32);
    const h = dma_addr();
    const v = dma_alloc_coherent(dev, 4096, h, GFP_KERNEL);
    expect(v).not.toBe(0);
    expect(h.value + 4095).toBeLessThanOrEqual(0xffffff);
    const after = m.buddy.zoneStats(ZONE_DMA32);
    expect(after.allocs).toBe(before.allocs);
    expect(after.frees).toBe(before.frees);
    expect(m.buddy.zoneStats(ZONE_DMA).allocs).toBeGreaterThan(0);
    dma_free_coherent(dev, 4096, v, h.value);
  });

  it('a pool on such a device takes its pages from ZONE_DMA', () => {
    const m = small_machine({ poison: false });
    const dev = test_device(m, 'isa-pool', 24);
    const p = dma_pool_create('isa', dev, 128, 0, 0)!;
    const before = m.buddy.zoneStats(ZONE_DMA32).allocs;
    const a = alloc(p);
    expect(a.d).toBeLessThan(0x1000000);
    expect(m.buddy.zoneStats(ZONE_DMA32).allocs).toBe(before);
    dma_pool_free(p, a.v, a.d);
    dma_pool_destroy(p);
  });
});

describe('printk conversions of values a C caller could not pass', () => {
  it("%p, %pad and %lx print a negative value as its u64 two's complement", () => {
    expect(fmt_p(-1)).toBe('ffffffffffffffff');
    expect(fmt_pad(-4096)).toBe('0xfffffffffffff000');
    expect(fmt_lx(-16)).toBe('fffffffffffffff0');
    expect(fmt_lx(255)).toBe('ff');
    expect(fmt_p(0x1000)).toBe('0000000000001000');
  });

  it('a dma_pool_free with a negative dma reports it the kernel way', () => {
    const m = small_machine({ poison: false });
    const dev = test_device(m, 'negdma');
    const p = dma_pool_create('nd', dev, 64, 0, 0)!;
    const a = alloc(p);
    const mark = dmesg_mark();
    dma_pool_free(p, a.v, -64);
    expect(dmesg_since(mark)).toBe(`negdma: dma_pool_free nd, ${fmt_p(a.v)}/ffffffffffffffc0 (bad dma)\n`);
    expect(p.nr_active).toBe(1);
    dma_pool_free(p, a.v, a.d);
    dma_pool_destroy(p);
  });
});

describe('pool names are C strings of at most 31 bytes', () => {
  it('truncates to 31 bytes of UTF-8 (never splitting a character) and stops at a NUL', () => {
    const m = small_machine({ poison: false });
    const dev = test_device(m, 'names');
    const p = dma_pool_create('é'.repeat(20), dev, 64, 0, 0)!;
    expect(p.name).toBe('é'.repeat(15)); // 30 bytes; a 31st would split the 16th character
    const q = dma_pool_create('abc\0def', dev, 64, 0, 0)!;
    expect(q.name).toBe('abc');
    dma_pool_destroy(p);
    dma_pool_destroy(q);
  });

  it('%-16s in the pools file pads by bytes, as the kernel does', () => {
    const m = small_machine({ poison: false });
    const dev = test_device(m, 'names2');
    const p = dma_pool_create('µpool', dev, 64, 0, 0)!; // 6 bytes, 5 characters
    expect(sysfs_read(dev, 'pools')).toBe('poolinfo - 0.1\n' + 'µpool' + ' '.repeat(10) + ' ' + '   0    0   64  0\n');
    dma_pool_destroy(p);
  });
});

describe('2.4 pci_pool_create flags', () => {
  // 2.4 drivers passed their kmalloc flags (SLAB_KERNEL / SLAB_ATOMIC) in the sixth argument. Then those never
  // overlapped SLAB_POISON; with today's GFP values GFP_KERNEL and GFP_ATOMIC carry __GFP_KSWAPD_RECLAIM (0x800),
  // the historic SLAB_POISON bit, so SLAB_POISON must be a bit no GFP flag uses.
  it('SLAB_KERNEL or SLAB_ATOMIC alone does not turn poisoning on; with SLAB_POISON it does', () => {
    const m = small_machine({ poison: false });
    const pdev = new pci_dev({ machine: m, name: '0000:00:03.0' });
    const k = pci_pool_create('k', pdev, 64, 16, 0, SLAB_KERNEL)!;
    const a = pci_pool_create('a', pdev, 64, 16, 0, SLAB_ATOMIC | SLAB_HWCACHE_ALIGN)!;
    const kp = pci_pool_create('kp', pdev, 64, 16, 0, SLAB_KERNEL | SLAB_POISON)!;
    expect(k.poison).toBe(false);
    expect(a.poison).toBe(false);
    expect(kp.poison).toBe(true);
    expect(
      SLAB_POISON & (GFP_KERNEL | GFP_ATOMIC | GFP_USER | __GFP_ZERO | __GFP_NOWARN | __GFP_NOFAIL | __GFP_COMP),
    ).toBe(0);
    for (const p of [k, a, kp]) pci_pool_destroy(p);
  });
});

describe('dma_free_coherent of per-device memory', () => {
  it('is released before the IRQs-disabled WARN, as dma_release_from_dev_coherent comes first in the kernel', () => {
    const m = small_machine({ poison: false });
    const dev = test_device(m, 'sram-dev');
    const sram = alloc_pages(GFP_KERNEL, 4, m);
    expect(dma_declare_coherent_memory(dev, page_to_phys(sram), 0xc0000000, 16 * 4096)).toBe(0);
    const h = dma_addr();
    const v = dma_alloc_coherent(dev, 4096, h, GFP_KERNEL);
    expect(h.value).toBe(0xc0000000);
    const mark = dmesg_mark();
    const f = local_irq_save();
    dma_free_coherent(dev, 4096, v, h.value);
    local_irq_restore(f);
    expect(dmesg_since(mark)).toBe('');
    // ... and the memory went back to the region.
    expect(dma_alloc_coherent(dev, 4096, h, GFP_KERNEL)).toBe(v);
  });
});

describe('dma_alloc_coherent with __GFP_COMP', () => {
  it('is refused with a WARN_ON_ONCE and NULL, as since 6.2; the page allocator is not asked', () => {
    const m = small_machine({ poison: false });
    const dev = test_device(m, 'comp');
    const h = dma_addr();
    const allocs = () => [0, 1, 2].reduce((n, z) => n + m.buddy.zoneStats(z).allocs, 0);
    const before = allocs();
    const mark = dmesg_mark();
    expect(dma_alloc_coherent(dev, 8192, h, GFP_KERNEL | __GFP_COMP)).toBe(0);
    expect(allocs()).toBe(before);
    const log = dmesg_since(mark);
    expect(log).toContain('WARNING: at kernel/dma/mapping.c dma_alloc_attrs\nWARN_ON_ONCE(flag & __GFP_COMP)');
    const mark2 = dmesg_mark();
    expect(dma_alloc_coherent(dev, 8192, h, GFP_KERNEL | __GFP_COMP)).toBe(0);
    expect(dmesg_since(mark2)).toBe(''); // once
    const v = dma_alloc_coherent(dev, 8192, h, GFP_KERNEL);
    expect(v).not.toBe(0);
    dma_free_coherent(dev, 8192, v, h.value);
  });
});

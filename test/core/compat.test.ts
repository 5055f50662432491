import { describe, it, expect } from 'vitest';
import {
  pci_pool_create,
  pci_pool_alloc,
  pci_pool_zalloc,
  pci_pool_free,
  pci_pool_destroy,
  pci_alloc_consistent,
  pci_zalloc_consistent,
  pci_free_consistent,
  pci_set_dma_mask,
  pci_set_consistent_dma_mask,
  SLAB_KERNEL,
  SLAB_ATOMIC,
  SLAB_HWCACHE_ALIGN,
} from '../../compat/index.ts';
import {
  pci_dev,
  dev_set_name,
  device_register,
  dma_addr,
  mem_bytes,
  memset,
  dmesg_mark,
  dmesg_since,
  sysfs_read,
  DMA_BIT_MASK,
  GFP_KERNEL,
  GFP_ATOMIC,
  EIO,
} from '../../src/index.ts';
import { small_machine } from '../helpers.ts';

function pdev_on(name: string) {
  const m = small_machine();
  const pdev = new pci_dev({ machine: m, vendor: 0x1000, device: 0x0030 });
  dev_set_name(pdev.dev, name);
  pdev.dev.driver_name = 'sym53c8xx';
  device_register(pdev.dev);
  return { m, pdev };
}

describe('PCI compat names', () => {
  it('SLAB_KERNEL and SLAB_ATOMIC are GFP_KERNEL and GFP_ATOMIC', () => {
    expect(SLAB_KERNEL).toBe(GFP_KERNEL);
    expect(SLAB_ATOMIC).toBe(GFP_ATOMIC);
  });

  it('pci_pool_* with 5 and 6 arguments run the 2.4 driver pattern unchanged', () => {
    const { pdev } = pdev_on('0000:00:0d.0');
    // 2.4: pci_pool_create(name, dev, size, align, alloc, flags) with SLAB_ flags.
    const pool24 = pci_pool_create('sym_mp', pdev, 128, 16, 4096, SLAB_HWCACHE_ALIGN | SLAB_KERNEL)!;
    const pool26 = pci_pool_create('sym_new', pdev, 68, 32, 4096)!;
    expect(pool24.size).toBe(128);
    expect(pool26.size).toBe(96);
    const h = dma_addr();
    const v = pci_pool_alloc(pool24, SLAB_ATOMIC, h);
    expect(v).not.toBe(0);
    memset(v, 0x33, 128);
    pci_pool_free(pool24, v, h.value);
    const z = pci_pool_zalloc(pool24, SLAB_KERNEL, h);
    expect(z).toBe(v);
    expect(mem_bytes(z, 128).every((x) => x === 0)).toBe(true);
    expect(sysfs_read(pdev.dev, 'pools')).toBe(
      'poolinfo - 0.1\nsym_new             0    0   96  0\nsym_mp              1   32  128  1\n',
    );
    pci_pool_free(pool24, z, h.value);
    pci_pool_destroy(pool24);
    pci_pool_destroy(pool26);
    expect(pci_pool_create('x', null, 64, 0, 0)).toBeNull();
  });

  it('pci_alloc_consistent / pci_free_consistent under the 32-bit default mask; masks via pci_set_*', () => {
    const { pdev } = pdev_on('0000:00:0e.0');
    const h = dma_addr();
    const v = pci_alloc_consistent(pdev, 5000, h);
    expect(v).not.toBe(0);
    expect(h.value + 8191).toBeLessThan(2 ** 32);
    expect(mem_bytes(v, 8192).every((x) => x === 0)).toBe(true);
    const mark = dmesg_mark();
    pci_free_consistent(pdev, 5000, v, h.value);
    expect(dmesg_since(mark)).toBe('');
    const z = pci_zalloc_consistent(pdev, 64, h);
    expect(z).not.toBe(0);
    pci_free_consistent(pdev, 64, z, h.value);
    expect(pci_alloc_consistent(null, 64, h)).toBe(0);
    expect(pci_set_dma_mask(pdev, DMA_BIT_MASK(64))).toBe(0);
    expect(pci_set_consistent_dma_mask(pdev, DMA_BIT_MASK(64))).toBe(0);
    expect(pci_set_dma_mask(pdev, DMA_BIT_MASK(12))).toBe(-EIO);
    const hi = pci_alloc_consistent(pdev, 4096, h);
    expect(h.value).toBeGreaterThanOrEqual(2 ** 32); // a 64-bit device is served from high memory first
    pci_free_consistent(pdev, 4096, hi, h.value);
  });
});

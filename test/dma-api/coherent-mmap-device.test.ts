import { describe, it, expect } from 'vitest';
import {
  GFP_KERNEL,
  dma_addr,
  dma_alloc_coherent,
  dma_free_coherent,
  dma_pool_create,
  dma_pool_alloc,
  dma_pool_free,
  dma_pool_destroy,
  mem_bytes,
  DmashimError,
  device_unregister,
} from '../../src/index.ts';
import { dma_declare_coherent_memory, dma_release_coherent_memory } from '../../src/kernel/dma/coherent.ts';
import {
  dma_mmap_coherent,
  dma_map_single,
  dma_unmap_single,
  dma_mapping_error,
  type vm_area_struct,
} from '../../src/kernel/dma/mapping.ts';
import { vma_munmap, vma_user_bytes } from '../../src/sim/mmap.ts';
import { device_dma_read, device_dma_write, device_dma_error_count } from '../../src/sim/device_side.ts';
import { alloc_pages, page_to_phys, virt_to_phys } from '../../src/mm/page.ts';
import { kmalloc } from '../../src/mm/slab.ts';
import { DMA_TO_DEVICE, DMA_FROM_DEVICE } from '../../src/include/linux/dma-direction.ts';
import { machine, dev_on, logged, MiB } from './helpers.ts';

const hex = (v: number): string => '0x' + v.toString(16).padStart(16, '0');

describe('dma_declare_coherent_memory', () => {
  it('error paths: size 0 -EINVAL, no device -ENODEV, second region -EBUSY, memory that is not RAM -EINVAL', () => {
    const m = machine({ reserved_low: 1 * MiB });
    const dev = dev_on(m, 32);
    expect(dma_declare_coherent_memory(dev, 0x10000, 0xd0000000, 0)).toBe(-22);
    expect(dma_declare_coherent_memory(null, 0x10000, 0xd0000000, 65536)).toBe(-19);
    expect(logged(() => expect(dma_declare_coherent_memory(dev, 0x80000000, 0xd0000000, 65536)).toBe(-22))).toContain(
      'is not RAM of the simulated machine',
    );
    expect(dma_declare_coherent_memory(dev, 0x10000, 0xd0000000, 65536)).toBe(0);
    expect(dma_declare_coherent_memory(dev, 0x20000, 0xe0000000, 65536)).toBe(-16);
  });

  it('allocations come only from the region: device address, natural alignment, zeroed, NULL when full, no fallback', () => {
    const m = machine({ reserved_low: 1 * MiB });
    const dev = dev_on(m, 32);
    mem_bytes(m.vbase + 0x10000, 16 * 4096).fill(0xee);
    expect(dma_declare_coherent_memory(dev, 0x10000, 0xd0000000, 16 * 4096)).toBe(0);
    const h1 = dma_addr();
    const v1 = dma_alloc_coherent(dev, 100, h1, GFP_KERNEL);
    expect(h1.value).toBe(0xd0000000);
    expect(virt_to_phys(v1)).toBe(0x10000);
    expect([...mem_bytes(v1, 100)].every((b) => b === 0)).toBe(true);
    const h2 = dma_addr();
    const v2 = dma_alloc_coherent(dev, 3 * 4096, h2, GFP_KERNEL); /* order 2: 4 pages at a multiple of 4 */
    expect(h2.value).toBe(0xd0000000 + 4 * 4096);
    expect(virt_to_phys(v2)).toBe(0x10000 + 4 * 4096);
    const h3 = dma_addr();
    expect(dma_alloc_coherent(dev, 16 * 4096, h3, GFP_KERNEL)).toBe(0); /* does not fit, no fallback */
    expect(dma_alloc_coherent(dev, 8 * 4096, h3, GFP_KERNEL)).not.toBe(0);
    expect(h3.value).toBe(0xd0000000 + 8 * 4096);
    expect(dma_alloc_coherent(dev, 4096, h3, GFP_KERNEL)).not.toBe(0); /* page 1 */
    expect(dma_alloc_coherent(dev, 4096, h3, GFP_KERNEL)).not.toBe(0); /* page 2 */
    expect(dma_alloc_coherent(dev, 4096, h3, GFP_KERNEL)).not.toBe(0); /* page 3 */
    expect(dma_alloc_coherent(dev, 4096, h3, GFP_KERNEL)).toBe(0); /* full */
    dma_free_coherent(dev, 100, v1, h1.value);
    expect(dma_alloc_coherent(dev, 4096, h3, GFP_KERNEL)).toBe(v1);
    /* the device sees it at the device address */
    expect(device_dma_write(dev, 0xd0000000 + 4 * 4096, [7])).toBe(0);
    expect(mem_bytes(v2, 1)[0]).toBe(7);
    dma_release_coherent_memory(dev);
    const h4 = dma_addr();
    expect(dma_alloc_coherent(dev, 4096, h4, GFP_KERNEL)).not.toBe(0);
    expect(h4.value).toBeGreaterThan(1 * MiB); /* back to the page allocator */
  });

  it('a dma_pool on a device with a region takes its pages from the region', () => {
    const m = machine();
    const dev = dev_on(m, 32);
    const pg = alloc_pages(GFP_KERNEL, 4, m); /* 64 KiB of RAM set aside for the "SRAM" */
    const phys = page_to_phys(pg);
    expect(dma_declare_coherent_memory(dev, phys, 0xc0000000, 16 * 4096)).toBe(0);
    const pool = dma_pool_create('TX_MEMORY_POOL', dev, 64, 64, 0)!;
    const h = dma_addr();
    const blk = dma_pool_alloc(pool, GFP_KERNEL, h);
    expect(blk).not.toBe(0);
    expect(h.value).toBeGreaterThanOrEqual(0xc0000000);
    expect(h.value).toBeLessThan(0xc0000000 + 16 * 4096);
    expect(virt_to_phys(blk) - phys).toBe(h.value - 0xc0000000);
    expect(device_dma_write(dev, h.value, [1, 2, 3])).toBe(0);
    expect([...mem_bytes(blk, 3)]).toEqual([1, 2, 3]);
    dma_pool_free(pool, blk, h.value);
    dma_pool_destroy(pool);
    /* the pool's page went back to the region: a device write there is now DMA after free */
    expect(logged(() => expect(device_dma_write(dev, h.value, [9])).toBe(-14))).toContain('DMA write after free');
  });
});

describe('dma_mmap_coherent', () => {
  it('-ENXIO when vm_pgoff is past the buffer or the vma is larger than what remains', () => {
    const m = machine();
    const dev = dev_on(m, 32);
    const h = dma_addr();
    const v = dma_alloc_coherent(dev, 4 * 4096, h, GFP_KERNEL);
    const vma = (pages: number, pgoff: number): vm_area_struct => ({
      vm_start: 0x7f0000000000,
      vm_end: 0x7f0000000000 + pages * 4096,
      vm_pgoff: pgoff,
    });
    expect(dma_mmap_coherent(dev, vma(1, 4), v, h.value, 4 * 4096)).toBe(-6);
    expect(dma_mmap_coherent(dev, vma(4, 1), v, h.value, 4 * 4096)).toBe(-6);
    expect(dma_mmap_coherent(dev, vma(5, 0), v, h.value, 4 * 4096)).toBe(-6);
    const ok = vma(3, 1);
    expect(dma_mmap_coherent(dev, ok, v, h.value, 4 * 4096)).toBe(0);
    vma_user_bytes(ok)[0] = 0x42; /* user space writes page 1 of the buffer */
    expect(mem_bytes(v + 4096, 1)[0]).toBe(0x42);
    expect(vma_munmap(ok)).toBe(0);
    expect(() => vma_user_bytes(ok)).toThrow(DmashimError);
    expect(vma_munmap(ok)).toBe(-22);
  });

  it('freeing a buffer still mapped is reported and the memory is not reused until munmap', () => {
    const m = machine();
    const dev = dev_on(m, 32);
    const h = dma_addr();
    const v = dma_alloc_coherent(dev, 4096, h, GFP_KERNEL);
    const vma: vm_area_struct = { vm_start: 0x7f0000000000, vm_end: 0x7f0000001000, vm_pgoff: 0 };
    expect(dma_mmap_coherent(dev, vma, v, h.value, 4096)).toBe(0);
    expect(logged(() => dma_free_coherent(dev, 4096, v, h.value))).toBe(
      `dmashim: drv dev0: dma_free_coherent() of a buffer still mmap()ed to user space [cpu address=${v.toString(16).padStart(16, '0')}] [size=4096] ` +
        '[vmas=1, first 0x7f0000000000-0x7f0000001000]: freeing a DMA buffer before user space has unmapped it is a big mistake; the memory stays allocated until munmap\n',
    );
    const h2 = dma_addr();
    const v2 = dma_alloc_coherent(dev, 4096, h2, GFP_KERNEL);
    expect(v2).not.toBe(v); /* held */
    vma_user_bytes(vma)[0] = 1; /* user space still owns the page */
    vma_munmap(vma);
    const h3 = dma_addr();
    expect(dma_alloc_coherent(dev, 4096, h3, GFP_KERNEL)).toBe(v); /* freed now, reused (LIFO) */
  });
});

describe('device side', () => {
  it('stray DMA, DMA after unmap, after free; writes do not land; the counter counts', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    const b = kmalloc(128, GFP_KERNEL, m);
    const d = dma_map_single(dev, b, 128, DMA_FROM_DEVICE);
    dma_mapping_error(dev, d);
    expect(device_dma_write(dev, d + 120, [1, 2, 3, 4, 5, 6, 7, 8])).toBe(0);
    let rc = 0;
    expect(logged(() => (rc = device_dma_write(dev, d + 124, [1, 2, 3, 4, 5, 6, 7, 8])))).toBe(
      `dmashim: drv dev0: stray DMA write at ${hex(d + 128)}+4: not inside any live mapping or allocation of the device; the access is dropped\n`,
    );
    expect(rc).toBe(-14);
    expect(mem_bytes(b + 124, 4)[0]).toBe(5); /* nothing of the stray write landed */
    dma_unmap_single(dev, d, 128, DMA_FROM_DEVICE);
    mem_bytes(b, 4).fill(0);
    expect(logged(() => device_dma_write(dev, d, [9]))).toBe(
      `dmashim: drv dev0: DMA write after unmap at ${hex(d)}+1: [mapped as single] [device address=${hex(d)}] [size=128 bytes] [mapped with DMA_FROM_DEVICE]; the access is dropped\n`,
    );
    expect(mem_bytes(b, 1)[0]).toBe(0);
    const h = dma_addr();
    const v = dma_alloc_coherent(dev, 4096, h, GFP_KERNEL);
    expect(device_dma_read(dev, h.value, 16)).toEqual(new Uint8Array(16));
    dma_free_coherent(dev, 4096, v, h.value);
    expect(logged(() => expect(device_dma_read(dev, h.value, 16)).toBe(null))).toContain('DMA read after free at');
    expect(device_dma_error_count(dev)).toBe(3);
  });

  it('mask and bus limit: the device cannot address beyond them; a write into a TO_DEVICE mapping is reported but lands (no IOMMU)', () => {
    const m = machine();
    const dev = dev_on(m, 32);
    expect(logged(() => expect(device_dma_read(dev, 2 ** 32, 4)).toBe(null))).toContain(
      'is beyond what the device can address (mask ffffffff',
    );
    const b = kmalloc(64, GFP_KERNEL | 0x04, m); /* GFP_DMA32 is dropped by kmalloc: use a low page instead */
    void b;
    const low = alloc_pages(GFP_KERNEL | 0x04, 0, m);
    const lowv = m.vbase + m.physToOff(page_to_phys(low));
    const d = dma_map_single(dev, lowv, 64, DMA_TO_DEVICE);
    dma_mapping_error(dev, d);
    expect(d).toBe(page_to_phys(low));
    expect(logged(() => expect(device_dma_write(dev, d, [0x33])).toBe(0))).toContain(
      'device writes into a DMA_TO_DEVICE mapping',
    );
    expect(mem_bytes(lowv, 1)[0]).toBe(0x33);
    device_unregister(dev);
  });
});

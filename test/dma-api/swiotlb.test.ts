import { describe, it, expect } from 'vitest';
import { GFP_KERNEL, __GFP_DMA, mem_bytes, dma_alloc_coherent, dma_addr, DMA_BIT_MASK } from '../../src/index.ts';
import {
  dma_map_single,
  dma_map_single_attrs,
  dma_unmap_single,
  dma_mapping_error,
  dma_sync_single_for_cpu,
  dma_sync_single_for_device,
  dma_max_mapping_size,
  DMA_MAPPING_ERROR,
  DMA_ATTR_NO_WARN,
} from '../../src/kernel/dma/mapping.ts';
import {
  swiotlb_configure,
  swiotlb_set_force_bounce,
  swiotlb_stats,
  swiotlb_init,
} from '../../src/kernel/dma/swiotlb.ts';
import { kmalloc } from '../../src/mm/slab.ts';
import { alloc_pages, virt_to_phys } from '../../src/mm/page.ts';
import { device_dma_read, device_dma_write } from '../../src/sim/device_side.ts';
import { DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_BIDIRECTIONAL } from '../../src/include/linux/dma-direction.ts';
import { machine, dev_on, logged } from './helpers.ts';
import type { Machine } from '../../src/index.ts';
import type { device } from '../../src/drivers/base/core.ts';

function setup(): { m: Machine; dev: device; buf: number; bytes: Uint8Array } {
  const m = machine();
  const dev = dev_on(m, 32);
  const buf = kmalloc(1000, GFP_KERNEL, m); /* above 4 GiB: a 32-bit device bounces it */
  return { m, dev, buf, bytes: mem_bytes(buf, 1000) };
}

describe('swiotlb bounce copies', () => {
  it('map copies in unconditionally, even for FROM_DEVICE (no stale pool content reaches the device)', () => {
    const { dev, buf, bytes } = setup();
    bytes.fill(0x5a);
    const d = dma_map_single(dev, buf, 1000, DMA_FROM_DEVICE);
    dma_mapping_error(dev, d);
    expect(device_dma_read(dev, d, 1000)).toEqual(new Uint8Array(1000).fill(0x5a));
    dma_unmap_single(dev, d, 1000, DMA_FROM_DEVICE);
  });

  it('FROM_DEVICE: without dma_sync_single_for_cpu the CPU reads stale data; after it, fresh data; unmap copies back too', () => {
    const { dev, buf, bytes } = setup();
    bytes.fill(0);
    const d = dma_map_single(dev, buf, 1000, DMA_FROM_DEVICE);
    dma_mapping_error(dev, d);
    expect(device_dma_write(dev, d, new Uint8Array(1000).fill(0xab))).toBe(0);
    expect(bytes[0]).toBe(0); /* stale: the data sits in the bounce slot */
    dma_sync_single_for_cpu(dev, d, 1000, DMA_FROM_DEVICE);
    expect(bytes.every((b) => b === 0xab)).toBe(true);
    dma_sync_single_for_device(dev, d, 1000, DMA_FROM_DEVICE);
    device_dma_write(dev, d + 10, [1, 2, 3]);
    expect(bytes[10]).toBe(0xab);
    dma_unmap_single(dev, d, 1000, DMA_FROM_DEVICE);
    expect([...bytes.subarray(10, 13)]).toEqual([1, 2, 3]);
  });

  it('TO_DEVICE: CPU writes after map reach the device only after dma_sync_single_for_device; unmap does not copy back', () => {
    const { dev, buf, bytes } = setup();
    bytes.fill(1);
    const d = dma_map_single(dev, buf, 1000, DMA_TO_DEVICE);
    dma_mapping_error(dev, d);
    bytes.fill(2);
    expect(device_dma_read(dev, d, 4)).toEqual(new Uint8Array([1, 1, 1, 1]));
    dma_sync_single_for_device(dev, d, 1000, DMA_TO_DEVICE);
    expect(device_dma_read(dev, d, 4)).toEqual(new Uint8Array([2, 2, 2, 2]));
    dma_sync_single_for_cpu(dev, d, 1000, DMA_TO_DEVICE); /* no copy back for TO_DEVICE */
    bytes.fill(3);
    dma_unmap_single(dev, d, 1000, DMA_TO_DEVICE);
    expect(bytes[0]).toBe(3);
  });

  it('BIDIRECTIONAL copies both ways', () => {
    const { dev, buf, bytes } = setup();
    bytes.fill(7);
    const d = dma_map_single(dev, buf, 1000, DMA_BIDIRECTIONAL);
    dma_mapping_error(dev, d);
    expect(device_dma_read(dev, d, 1)![0]).toBe(7);
    device_dma_write(dev, d, [9]);
    expect(bytes[0]).toBe(7);
    dma_sync_single_for_cpu(dev, d, 1000, DMA_BIDIRECTIONAL);
    expect(bytes[0]).toBe(9);
    bytes[1] = 8;
    dma_sync_single_for_device(dev, d, 1000, DMA_BIDIRECTIONAL);
    expect(device_dma_read(dev, d + 1, 1)![0]).toBe(8);
    dma_unmap_single(dev, d, 1000, DMA_BIDIRECTIONAL);
  });
});

describe('swiotlb pool limits', () => {
  it('a full pool: the kernel message, DMA_MAPPING_ERROR; DMA_ATTR_NO_WARN keeps it quiet; freeing slots makes room', () => {
    const m = machine();
    swiotlb_configure(m, { size: 256 * 1024 }); /* one segment: 128 slots */
    const dev = dev_on(m, 32, 'full');
    const mapped: number[] = [];
    for (let i = 0; i < 64; i++) {
      const b = kmalloc(4096, GFP_KERNEL, m);
      const d = dma_map_single(dev, b, 4096, DMA_TO_DEVICE);
      expect(dma_mapping_error(dev, d)).toBe(0);
      mapped.push(d);
    }
    expect(swiotlb_stats(m)).toMatchObject({ nslabs: 128, used: 128 });
    const b = kmalloc(100, GFP_KERNEL, m);
    let d = 0;
    const log = logged(() => {
      d = dma_map_single(dev, b, 100, DMA_TO_DEVICE);
    });
    expect(d).toBe(DMA_MAPPING_ERROR);
    expect(log).toBe('drv full: swiotlb buffer is full (sz: 100 bytes), total 128 (slots), used 128 (slots)\n');
    expect(logged(() => dma_map_single_attrs(dev, b, 100, DMA_TO_DEVICE, DMA_ATTR_NO_WARN))).toBe('');
    dma_unmap_single(dev, mapped[5]!, 4096, DMA_TO_DEVICE);
    d = dma_map_single(dev, b, 100, DMA_TO_DEVICE);
    expect(dma_mapping_error(dev, d)).toBe(0);
  });

  it('a mapping larger than one segment (256 KiB) cannot bounce', () => {
    const m = machine();
    const dev = dev_on(m, 32, 'big');
    expect(dma_max_mapping_size(dev)).toBe(256 * 1024);
    const b = kmalloc(512 * 1024, GFP_KERNEL, m);
    expect(logged(() => expect(dma_map_single(dev, b, 300 * 1024, DMA_TO_DEVICE)).toBe(DMA_MAPPING_ERROR))).toContain(
      'swiotlb buffer is full (sz: 307200 bytes), total 2048 (slots), used 0 (slots)',
    );
  });

  it('force_bounce (per machine, per device) bounces even reachable buffers', () => {
    const m = machine();
    const dev = dev_on(m, 64, 'forced');
    const b = kmalloc(64, GFP_KERNEL, m);
    const d0 = dma_map_single(dev, b, 64, DMA_TO_DEVICE);
    expect(d0).toBe(virt_to_phys(b));
    dma_mapping_error(dev, d0);
    dma_unmap_single(dev, d0, 64, DMA_TO_DEVICE);
    swiotlb_set_force_bounce(dev, true);
    const d1 = dma_map_single(dev, b, 64, DMA_TO_DEVICE);
    expect(d1).not.toBe(virt_to_phys(b));
    dma_mapping_error(dev, d1);
    dma_unmap_single(dev, d1, 64, DMA_TO_DEVICE);
    swiotlb_set_force_bounce(dev, false);
    const other = dev_on(m, 64, 'other');
    swiotlb_configure(m, { force_bounce: true });
    const d2 = dma_map_single(other, b, 64, DMA_TO_DEVICE);
    expect(d2).not.toBe(virt_to_phys(b));
  });

  it('a 24-bit device: the bounce pool (in DMA32) is out of reach too: "swiotlb addr ... overflow", DMA_MAPPING_ERROR', () => {
    const m = machine();
    swiotlb_init(m);
    const dev = dev_on(m, 24, 'isa');
    const b = kmalloc(64, GFP_KERNEL, m);
    let d = 0;
    const log = logged(() => {
      d = dma_map_single(dev, b, 64, DMA_TO_DEVICE);
    });
    expect(d).toBe(DMA_MAPPING_ERROR);
    expect(log).toMatch(/drv isa: swiotlb addr 0x[0-9a-f]{16}\+64 overflow \(mask ffffff, bus limit 0\)\./);
    expect(swiotlb_stats(m).used).toBe(0);
    /* a GFP_DMA buffer is reachable and maps directly */
    const low = kmalloc(64, GFP_KERNEL | __GFP_DMA, m);
    expect(virt_to_phys(low)).toBeLessThan(16 * 1024 * 1024);
    expect(dma_map_single(dev, low, 64, DMA_TO_DEVICE)).toBe(virt_to_phys(low));
  });

  it('mask exhaustion: coherent memory for a 24-bit device is NULL once ZONE_DMA is used up, never memory above 16 MiB', () => {
    const m = machine();
    const dev = dev_on(m, 24, 'isa2');
    expect(dev.coherent_dma_mask).toBe(DMA_BIT_MASK(24));
    while (alloc_pages(GFP_KERNEL | __GFP_DMA | 0x2000, 0, m)) {
      /* eat ZONE_DMA */
    }
    const h = dma_addr();
    expect(dma_alloc_coherent(dev, 4096, h, GFP_KERNEL)).toBe(0);
  });
});

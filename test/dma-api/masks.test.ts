import { describe, it, expect } from 'vitest';
import {
  device,
  dev_set_name,
  dma_set_mask,
  dma_set_coherent_mask,
  dma_set_mask_and_coherent,
  dma_supported,
  dma_get_required_mask,
  dma_get_mask,
  DMA_BIT_MASK,
  GFP_KERNEL,
} from '../../src/index.ts';
import {
  dma_map_single,
  dma_unmap_single,
  dma_mapping_error,
  DMA_MAPPING_ERROR,
} from '../../src/kernel/dma/mapping.ts';
import { swiotlb_configure, swiotlb_stats } from '../../src/kernel/dma/swiotlb.ts';
import { kmalloc, kfree } from '../../src/mm/slab.ts';
import { virt_to_phys } from '../../src/mm/page.ts';
import { DMA_TO_DEVICE } from '../../src/include/linux/dma-direction.ts';
import { machine, dev_on, logged, GiB, MiB } from './helpers.ts';

describe('DMA masks', () => {
  it('dma_supported / dma_set_mask: 24 bits (ZONE_DMA) is the narrowest mask served; narrower gives -EIO and changes nothing', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    expect(dma_supported(dev, DMA_BIT_MASK(24))).toBe(true);
    expect(dma_supported(dev, DMA_BIT_MASK(23))).toBe(false);
    expect(dma_set_mask(dev, DMA_BIT_MASK(23))).toBe(-5);
    expect(dev.dma_mask).toBe(DMA_BIT_MASK(64));
    expect(dma_set_coherent_mask(dev, DMA_BIT_MASK(20))).toBe(-5);
    expect(dev.coherent_dma_mask).toBe(DMA_BIT_MASK(64));
    expect(dma_set_mask(dev, DMA_BIT_MASK(24))).toBe(0);
    expect(dma_get_mask(dev)).toBe(DMA_BIT_MASK(24));
    expect(dma_set_mask_and_coherent(dev, DMA_BIT_MASK(32))).toBe(0);
    expect(dev.coherent_dma_mask).toBe(DMA_BIT_MASK(32));
  });

  it('dma_set_mask on a device without a dma_mask (NULL pointer) is -EIO', () => {
    const m = machine();
    const dev = new device(m);
    dev_set_name(dev, 'nomask');
    expect(dma_set_mask(dev, DMA_BIT_MASK(32))).toBe(-5);
    expect(dev.dma_mask).toBe(null);
  });

  it('dma_get_required_mask covers all RAM and changes no mask', () => {
    const m = machine(); /* RAM ends at 4 GiB + 64 MiB */
    const dev = dev_on(m, 32);
    expect(dma_get_required_mask(dev)).toBe(DMA_BIT_MASK(33));
    expect(dev.dma_mask).toBe(DMA_BIT_MASK(32));
    const big = machine({
      ram: [
        { start: 0, size: 64 * MiB },
        { start: 64 * GiB, size: 4 * MiB },
      ],
    });
    expect(dma_get_required_mask(dev_on(big, 64))).toBe(DMA_BIT_MASK(37));
  });
});

describe('streaming mappings honour dma_mask and the bus limit', () => {
  it('a buffer above the mask is bounced below it; one below is mapped directly', () => {
    const m = machine();
    const dev = dev_on(m, 32);
    const hi = kmalloc(512, GFP_KERNEL, m);
    expect(virt_to_phys(hi)).toBeGreaterThanOrEqual(4 * GiB);
    const d = dma_map_single(dev, hi, 512, DMA_TO_DEVICE);
    expect(dma_mapping_error(dev, d)).toBe(0);
    expect(d + 511).toBeLessThanOrEqual(0xffffffff);
    expect(d).not.toBe(virt_to_phys(hi));
    expect(swiotlb_stats(m).used).toBe(1);
    dma_unmap_single(dev, d, 512, DMA_TO_DEVICE);
    expect(swiotlb_stats(m).used).toBe(0);
    kfree(hi);
  });

  it('the bus limit narrows the mask: a 64-bit device on a 32-bit bus bounces high buffers', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    const hi = kmalloc(64, GFP_KERNEL, m);
    const direct = dma_map_single(dev, hi, 64, DMA_TO_DEVICE);
    expect(direct).toBe(virt_to_phys(hi));
    dma_mapping_error(dev, direct);
    dma_unmap_single(dev, direct, 64, DMA_TO_DEVICE);
    dev.bus_dma_limit = DMA_BIT_MASK(32);
    const d = dma_map_single(dev, hi, 64, DMA_TO_DEVICE);
    dma_mapping_error(dev, d);
    expect(d).toBeLessThan(2 ** 32);
    dma_unmap_single(dev, d, 64, DMA_TO_DEVICE);
  });

  it('without swiotlb an unreachable buffer gives DMA_MAPPING_ERROR and the kernel overflow WARN (once per device)', () => {
    const m = machine();
    swiotlb_configure(m, { enabled: false });
    const dev = dev_on(m, 32, 'nobounce');
    dev.bus_dma_limit = DMA_BIT_MASK(31);
    const hi = kmalloc(100, GFP_KERNEL, m);
    let d = 0;
    const log = logged(() => {
      d = dma_map_single(dev, hi, 100, DMA_TO_DEVICE);
    });
    expect(d).toBe(DMA_MAPPING_ERROR);
    expect(dma_mapping_error(dev, d)).toBe(-12);
    const phys = virt_to_phys(hi);
    expect(log).toContain('------------[ cut here ]------------');
    expect(log).toContain(
      `drv nobounce: DMA addr 0x${phys.toString(16).padStart(16, '0')}+100 overflow (mask ffffffff, bus limit 7fffffff).`,
    );
    expect(logged(() => dma_map_single(dev, hi, 100, DMA_TO_DEVICE))).not.toContain('overflow');
  });

  it('a device without a dma_mask cannot map: WARN_ON_ONCE and DMA_MAPPING_ERROR', () => {
    const m = machine();
    const dev = new device(m);
    dev_set_name(dev, 'x');
    const buf = kmalloc(64, GFP_KERNEL, m);
    expect(dma_map_single(dev, buf, 64, DMA_TO_DEVICE)).toBe(DMA_MAPPING_ERROR);
  });
});

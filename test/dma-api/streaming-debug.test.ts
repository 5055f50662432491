import { describe, it, expect } from 'vitest';
import {
  GFP_KERNEL,
  DmashimError,
  dma_addr,
  dma_alloc_coherent,
  dma_free_coherent,
  device_unregister,
  stackdepot,
} from '../../src/index.ts';
import {
  dma_map_single,
  dma_map_single_attrs,
  dma_unmap_single,
  dma_map_page,
  dma_unmap_page,
  dma_mapping_error,
  dma_sync_single_for_cpu,
  dma_sync_single_for_device,
  dma_sync_single_range_for_cpu,
  DMA_MAPPING_ERROR,
  DMA_ATTR_SKIP_CPU_SYNC,
} from '../../src/kernel/dma/mapping.ts';
import { dma_debug_mark_area, debug_count_of, dma_debug_state } from '../../src/kernel/dma/debug.ts';
import { kmalloc, kfree } from '../../src/mm/slab.ts';
import { alloc_page, page_address, virt_to_phys } from '../../src/mm/page.ts';
import { vmalloc } from '../../src/mm/vmalloc.ts';
import { DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_BIDIRECTIONAL } from '../../src/include/linux/dma-direction.ts';
import { machine, dev_on, logged, logged_raw } from './helpers.ts';

const P = 'DMA-API: drv dev0: ';
const hex = (v: number): string => '0x' + v.toString(16).padStart(16, '0');

function setup(): { dev: ReturnType<typeof dev_on>; buf: number; m: ReturnType<typeof machine> } {
  const m = machine();
  const dev = dev_on(m, 64);
  return { m, dev, buf: kmalloc(256, GFP_KERNEL, m) };
}

describe('dma_map_single / dma_map_page basics', () => {
  it('direct mapping: bus address = phys + dma_offset; dma_mapping_error is 0; unmap leaves nothing tracked', () => {
    const { dev, buf } = setup();
    dev.dma_offset = 0x80000000;
    const d = dma_map_single(dev, buf, 256, DMA_BIDIRECTIONAL);
    expect(d).toBe(virt_to_phys(buf) + 0x80000000);
    expect(dma_mapping_error(dev, d)).toBe(0);
    expect(debug_count_of(dev)).toBe(1);
    expect(logged(() => dma_unmap_single(dev, d, 256, DMA_BIDIRECTIONAL))).toBe('');
    expect(debug_count_of(dev)).toBe(0);
  });

  it('dma_map_page maps page + offset', () => {
    const { m, dev } = setup();
    const page = alloc_page(GFP_KERNEL, m);
    const d = dma_map_page(dev, page, 100, 200, DMA_TO_DEVICE);
    expect(d).toBe(virt_to_phys(page_address(page)) + 100);
    dma_mapping_error(dev, d);
    expect(logged(() => dma_unmap_page(dev, d, 200, DMA_TO_DEVICE))).toBe('');
  });

  it('an invalid direction is the kernel BUG(): it throws EBUG', () => {
    const { dev, buf } = setup();
    let err: unknown;
    const log = logged(() => {
      try {
        dma_map_single(dev, buf, 16, 3);
      } catch (e) {
        err = e;
      }
    });
    expect(err).toBeInstanceOf(DmashimError);
    expect((err as DmashimError).code).toBe('EBUG');
    expect(log).toContain('kernel BUG at kernel/dma/mapping.c dma_map_page_attrs!');
    expect(() => dma_unmap_single(dev, 0x1000, 16, 7)).toThrow(DmashimError);
    expect(() => dma_sync_single_for_cpu(dev, 0x1000, 16, 3)).toThrow(DmashimError);
  });

  it('vmalloc memory is refused with the kernel reason; other non-direct-map addresses are "invalid area"', () => {
    const { m, dev } = setup();
    const v = vmalloc(8192, m);
    let d = 0;
    const log = logged(() => {
      d = dma_map_single(dev, v, 100, DMA_TO_DEVICE);
    });
    expect(d).toBe(DMA_MAPPING_ERROR);
    expect(log).toContain('drv dev0: rejecting DMA map of vmalloc memory');
    expect(log).toContain(
      `${P}device driver maps memory from vmalloc area [addr=${v.toString(16).padStart(16, '0')}] [len=100]`,
    );
    expect(logged(() => expect(dma_map_single(dev, 0x1234, 8, DMA_TO_DEVICE)).toBe(DMA_MAPPING_ERROR))).toContain(
      `${P}device driver maps memory from invalid area [addr=0000000000001234] [len=8]`,
    );
  });

  it('stack / kernel text areas marked by the bridge are reported when mapped (the mapping still happens, as in the kernel)', () => {
    const { m, dev } = setup();
    const a = kmalloc(128, GFP_KERNEL, m);
    const b = kmalloc(128, GFP_KERNEL, m);
    dma_debug_mark_area(m, a, 128, 'stack');
    dma_debug_mark_area(m, b, 128, 'text');
    let d = 0;
    expect(logged(() => (d = dma_map_single(dev, a + 8, 16, DMA_TO_DEVICE)))).toContain(
      `${P}device driver maps memory from stack [addr=${(a + 8).toString(16).padStart(16, '0')}]`,
    );
    expect(d).not.toBe(DMA_MAPPING_ERROR);
    expect(logged(() => dma_map_single(dev, b, 16, DMA_TO_DEVICE))).toContain(
      `${P}device driver maps memory from kernel text or rodata [addr=${b.toString(16).padStart(16, '0')}] [len=16]`,
    );
  });
});

describe('dma-debug checks on unmap', () => {
  it('unmapping an address never mapped; unmapping DMA_MAPPING_ERROR', () => {
    const { dev } = setup();
    expect(logged(() => dma_unmap_single(dev, 0x123000, 64, DMA_TO_DEVICE))).toBe(
      `${P}device driver tries to free DMA memory it has not allocated [device address=0x0000000000123000] [size=64 bytes]\n`,
    );
    expect(logged(() => dma_unmap_single(dev, DMA_MAPPING_ERROR, 64, DMA_TO_DEVICE))).toBe(
      `${P}device driver tries to free an invalid DMA memory address\n`,
    );
  });

  it('double unmap is "not allocated" the second time', () => {
    const { dev, buf } = setup();
    const d = dma_map_single(dev, buf, 64, DMA_TO_DEVICE);
    dma_mapping_error(dev, d);
    dma_unmap_single(dev, d, 64, DMA_TO_DEVICE);
    expect(logged(() => dma_unmap_single(dev, d, 64, DMA_TO_DEVICE))).toContain(
      'device driver tries to free DMA memory it has not allocated',
    );
  });

  it('different size, wrong function, different direction, map error not checked', () => {
    const { dev, buf } = setup();
    let d = dma_map_single(dev, buf, 64, DMA_TO_DEVICE);
    dma_mapping_error(dev, d);
    expect(logged(() => dma_unmap_single(dev, d, 32, DMA_TO_DEVICE))).toBe(
      `${P}device driver frees DMA memory with different size [device address=${hex(d)}] [map size=64 bytes] [unmap size=32 bytes]\n`,
    );
    d = dma_map_single(dev, buf, 64, DMA_TO_DEVICE);
    dma_mapping_error(dev, d);
    expect(logged(() => dma_unmap_page(dev, d, 64, DMA_TO_DEVICE))).toBe(
      `${P}device driver frees DMA memory with wrong function [device address=${hex(d)}] [size=64 bytes] [mapped as single] [unmapped as page]\n`,
    );
    d = dma_map_single(dev, buf, 64, DMA_TO_DEVICE);
    dma_mapping_error(dev, d);
    expect(logged(() => dma_unmap_single(dev, d, 64, DMA_FROM_DEVICE))).toBe(
      `${P}device driver frees DMA memory with different direction [device address=${hex(d)}] [size=64 bytes] [mapped with DMA_TO_DEVICE] [unmapped with DMA_FROM_DEVICE]\n`,
    );
    d = dma_map_single(dev, buf, 64, DMA_TO_DEVICE);
    expect(logged(() => dma_unmap_single(dev, d, 64, DMA_TO_DEVICE))).toBe(
      `${P}device driver failed to check map error [device address=${hex(d)}] [size=64 bytes] [mapped as single]\n`,
    );
  });

  it('"Mapped at:" names the driver call site when sites are on', () => {
    const { dev, buf } = setup();
    const was = stackdepot.enabled;
    stackdepot.enabled = true;
    try {
      const d = dma_map_single(dev, buf, 64, DMA_TO_DEVICE);
      const log = logged_raw(() => dma_unmap_single(dev, d, 64, DMA_TO_DEVICE));
      expect(log).toMatch(/failed to check map error[^\n]*\nMapped at:\n test\/dma-api\/streaming-debug\.test\.ts:\d+/);
    } finally {
      stackdepot.enabled = was;
    }
  });

  it('a streaming unmap of a coherent buffer is "wrong function" and frees nothing', () => {
    const { dev } = setup();
    const h = dma_addr();
    const v = dma_alloc_coherent(dev, 4096, h, GFP_KERNEL);
    expect(logged(() => dma_unmap_single(dev, h.value, 4096, DMA_BIDIRECTIONAL))).toContain(
      '[mapped as coherent] [unmapped as single]',
    );
    expect(debug_count_of(dev)).toBe(1);
    expect(v).not.toBe(0);
  });
});

describe('dma-debug checks on sync', () => {
  it('sync of memory not mapped, outside the mapping, in a different direction', () => {
    const { dev, buf } = setup();
    expect(logged(() => dma_sync_single_for_cpu(dev, 0x5000, 16, DMA_FROM_DEVICE))).toBe(
      `${P}device driver tries to sync DMA memory it has not allocated [device address=0x0000000000005000] [size=16 bytes]\n`,
    );
    const d = dma_map_single(dev, buf, 64, DMA_FROM_DEVICE);
    dma_mapping_error(dev, d);
    expect(logged(() => dma_sync_single_range_for_cpu(dev, d, 32, 16, DMA_FROM_DEVICE))).toBe('');
    expect(logged(() => dma_sync_single_for_cpu(dev, d + 32, 64, DMA_FROM_DEVICE))).toBe(
      `${P}device driver syncs DMA memory outside allocated range [device address=${hex(d + 32)}] [allocation size=64 bytes] [sync offset+size=96]\n`,
    );
    expect(logged(() => dma_sync_single_for_device(dev, d, 64, DMA_TO_DEVICE))).toBe(
      `${P}device driver syncs DMA memory with different direction [device address=${hex(d)}] [size=64 bytes] [mapped with DMA_FROM_DEVICE] [synced with DMA_TO_DEVICE]\n` +
        `${P}device driver syncs device write-only DMA memory to device [device address=${hex(d)}] [size=64 bytes] [mapped with DMA_FROM_DEVICE] [synced with DMA_TO_DEVICE]\n`,
    );
  });
});

describe('dma-debug: cacheline overlap, pending mappings at unregister, first error only', () => {
  it('two non-TO_DEVICE mappings of one cacheline: "cacheline tracking EEXIST"; TO_DEVICE and SKIP_CPU_SYNC are exempt', () => {
    const { dev, buf } = setup();
    const a = dma_map_single(dev, buf, 64, DMA_FROM_DEVICE);
    dma_mapping_error(dev, a);
    expect(logged(() => dma_map_single(dev, buf, 32, DMA_TO_DEVICE))).toBe('');
    expect(logged(() => dma_map_single_attrs(dev, buf, 32, DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC))).toBe('');
    expect(logged(() => dma_map_single(dev, buf, 16, DMA_BIDIRECTIONAL))).toBe(
      `${P}cacheline tracking EEXIST, overlapping mappings aren't supported\n`,
    );
  });

  it('overlap counting per cacheline: the 9th mapping of one line warns once ("exceeded 7"), unmapping counts back down, a coherent buffer claims its first line', () => {
    const { m, dev, buf } = setup();
    const s0 = dma_debug_state(m);
    const d: number[] = [];
    const map = (): string =>
      logged_raw(() => {
        const x = dma_map_single_attrs(dev, buf, 64, DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
        dma_mapping_error(dev, x);
        d.push(x);
      });
    for (let i = 0; i < 8; i++) expect(map()).toBe('');
    expect(map()).toContain(
      `DMA-API: exceeded 7 overlapping mappings of cacheline 0x${(virt_to_phys(buf) / 64).toString(16).padStart(16, '0')}`,
    );
    expect(map()).toBe('');
    expect(s0.cachelines.size).toBe(1);
    // Down to one mapping: the line is still tracked, so a new mapping without SKIP_CPU_SYNC collides.
    for (let i = 0; i < 9; i++) dma_unmap_single(dev, d.pop()!, 64, DMA_FROM_DEVICE);
    expect(s0.cachelines.size).toBe(1);
    let bidi = 0;
    expect(logged(() => (bidi = dma_map_single(dev, buf, 16, DMA_BIDIRECTIONAL)))).toBe(
      `${P}cacheline tracking EEXIST, overlapping mappings aren't supported\n`,
    );
    dma_mapping_error(dev, bidi);
    dma_unmap_single(dev, d.pop()!, 64, DMA_FROM_DEVICE);
    expect(s0.cachelines.size).toBe(1);
    dma_unmap_single(dev, bidi, 16, DMA_BIDIRECTIONAL);
    expect(s0.cachelines.size).toBe(0);
    // A coherent buffer's first line is tracked while it lives.
    const h = dma_addr();
    const v = dma_alloc_coherent(dev, 8192, h, GFP_KERNEL);
    expect(s0.cachelines.size).toBe(1);
    expect(logged(() => dma_free_coherent(dev, 8192, v, h.value))).toBe('');
    expect(s0.cachelines.size).toBe(0);
  });

  it('device_unregister with live mappings: pending DMA allocations + one entry', () => {
    const { dev, buf } = setup();
    const d = dma_map_single(dev, buf, 64, DMA_TO_DEVICE);
    dma_map_single(dev, buf + 128, 32, DMA_FROM_DEVICE);
    expect(logged(() => device_unregister(dev))).toBe(
      `${P}device driver has pending DMA allocations while released from device [count=2]\n` +
        `One of leaked entries details: [device address=${hex(d)}] [size=64 bytes] [mapped with DMA_TO_DEVICE] [mapped as single]\n`,
    );
  });

  it('by default only the first error is printed; all are counted', async () => {
    const { m, dev } = setup();
    const { dma_debug_state } = await import('../../src/kernel/dma/debug.ts');
    const s = dma_debug_state(m);
    s.all_errors = false;
    const log = logged(() => {
      dma_unmap_single(dev, 0x1000, 1, DMA_TO_DEVICE);
      dma_unmap_single(dev, 0x2000, 1, DMA_TO_DEVICE);
    });
    expect(log.split('\n').filter(Boolean)).toHaveLength(1);
    expect(s.error_count).toBe(2);
    kfree(0);
  });
});

import { describe, it, expect } from 'vitest';
import {
  dma_pool_create,
  dma_pool_alloc,
  dma_alloc_coherent,
  dma_free_coherent,
  dma_addr,
  dmesg_mark,
  dmesg_since,
  sanitizer_configure,
  run_in_irq,
  local_irq_save,
  local_irq_restore,
  kmalloc,
  kfree,
  alloc_pages,
  pci_dev,
  dev_set_name,
  device_register,
  GFP_KERNEL,
  GFP_ATOMIC,
} from '../../src/index.ts';
import { pci_alloc_consistent, pci_free_consistent } from '../../compat/index.ts';
import { small_machine, test_device } from '../helpers.ts';

describe('context checks in the coherent, slab and page allocators', () => {
  it('dma_alloc_coherent(GFP_KERNEL) in an interrupt handler is a might_sleep report; pci_alloc_consistent uses GFP_ATOMIC', () => {
    const m = small_machine();
    const pdev = new pci_dev({ machine: m });
    dev_set_name(pdev.dev, '0000:00:03.0');
    device_register(pdev.dev);
    const h = dma_addr();
    let mark = dmesg_mark();
    const v = run_in_irq(() => pci_alloc_consistent(pdev, 4096, h));
    expect(v).not.toBe(0);
    expect(dmesg_since(mark)).toBe('');
    mark = dmesg_mark();
    const w = run_in_irq(() => dma_alloc_coherent(pdev.dev, 4096, dma_addr(), GFP_KERNEL));
    expect(w).not.toBe(0);
    expect(dmesg_since(mark)).toContain(
      'BUG: sleeping function called from invalid context at kernel/dma/mapping.c dma_alloc_attrs',
    );
    mark = dmesg_mark();
    run_in_irq(() => kmalloc(64, GFP_KERNEL, m));
    run_in_irq(() => alloc_pages(GFP_KERNEL, 0, m));
    const log = dmesg_since(mark);
    expect(log).toContain('at mm/slub.c kmalloc');
    expect(log).toContain('at mm/page_alloc.c __alloc_pages');
    pci_free_consistent(pdev, 4096, v, h.value);
  });

  it('dma_free_coherent with IRQs off WARNs (and still frees, as the kernel does)', () => {
    const m = small_machine();
    const dev = test_device(m, 'irqoff');
    const h = dma_addr();
    const v = dma_alloc_coherent(dev, 4096, h, GFP_KERNEL);
    const before = m.buddy.zoneStats(2).free_pages;
    const mark = dmesg_mark();
    const flags = local_irq_save();
    dma_free_coherent(dev, 4096, v, h.value);
    local_irq_restore(flags);
    expect(dmesg_since(mark)).toBe(
      '------------[ cut here ]------------\nWARNING: at kernel/dma/mapping.c dma_free_attrs\nWARN_ON(irqs_disabled())\n',
    );
    expect(m.buddy.zoneStats(2).free_pages).toBe(before + 1);
  });
});

describe('fault injection beyond pools', () => {
  it('coherent failures reach dma_pool_alloc when it needs a new page; slab failures reach kmalloc', () => {
    const m = small_machine();
    const dev = test_device(m, 'fi-coh');
    const pool = dma_pool_create('p', dev, 2048, 0, 0)!;
    const h = dma_addr();
    expect(dma_pool_alloc(pool, GFP_KERNEL, h)).not.toBe(0);
    expect(dma_pool_alloc(pool, GFP_KERNEL, h)).not.toBe(0); // the page's second block
    sanitizer_configure(m, { fault: { interval: 1, kinds: ['coherent'] } });
    const mark = dmesg_mark();
    expect(dma_pool_alloc(pool, GFP_ATOMIC, h)).toBe(0); // needs a page: the coherent allocation fails
    expect(pool.nr_pages).toBe(1);
    expect(dmesg_since(mark)).toContain('injected: dma_alloc_coherent(4096) on fi-coh failed');
    sanitizer_configure(m, { fault: { nth: 1, kinds: ['slab'], verbose: false } });
    expect(kmalloc(64, GFP_KERNEL, m)).toBe(0);
    const k = kmalloc(64, GFP_KERNEL, m);
    expect(k).not.toBe(0);
    kfree(k);
    sanitizer_configure(m, { fault: null });
    expect(dma_pool_alloc(pool, GFP_KERNEL, h)).not.toBe(0);
  });
});

describe('dma-debug dump', () => {
  it('lists every live coherent buffer and mapping in the kernel dump format, per device or all', async () => {
    const { dma_debug_dump, dma_map_single, dma_unmap_single, dma_mapping_error, DMA_TO_DEVICE } = await import(
      '../../src/index.ts'
    );
    const m = small_machine();
    const a = test_device(m, 'dump-a');
    a.driver_name = 'drv';
    const b = test_device(m, 'dump-b');
    const h = dma_addr();
    const v = dma_alloc_coherent(a, 8192, h, GFP_KERNEL);
    const buf = kmalloc(256, GFP_KERNEL, m);
    const d = dma_map_single(b, buf, 256, DMA_TO_DEVICE);
    const all = dma_debug_dump(m);
    expect(all.split('\n').filter(Boolean)).toHaveLength(2);
    expect(all).toMatch(
      new RegExp(
        `^drv dump-a coherent idx 0 P=0x[0-9a-f]{16} D=${h.value.toString(16)} L=2000 cln=0x[0-9a-f]{16} DMA_BIDIRECTIONAL dma map error not applicable allocated at test/sanitizer/hooks\\.test\\.ts:\\d+$`,
        'm',
      ),
    );
    expect(dma_debug_dump(m, b)).toMatch(
      new RegExp(
        `^ dump-b single idx 0 P=0x[0-9a-f]{16} D=${d.toString(16)} L=100 cln=0x[0-9a-f]{16} DMA_TO_DEVICE dma map error not checked`,
      ),
    );
    dma_mapping_error(b, d);
    expect(dma_debug_dump(m, b)).toContain('dma map error checked');
    dma_unmap_single(b, d, 256, DMA_TO_DEVICE);
    dma_free_coherent(a, 8192, v, h.value);
    kfree(buf);
    expect(dma_debug_dump(m)).toBe('');
  });
});

/*
 * The dma_map_ops seam: a user installs its own ops on a device (here a bus that
 * shows RAM to its devices 1 GiB up) with set_dma_ops, the DMA API goes through
 * them, dma-debug still tracks and checks every call, and set_dma_ops(dev, null)
 * returns the device to the direct mapping.
 */
import { describe, it, expect } from 'vitest';
import {
  GFP_KERNEL,
  dma_addr,
  get_dma_ops,
  set_dma_ops,
  dma_map_direct,
  dma_map_single,
  dma_unmap_single,
  dma_mapping_error,
  dma_sync_single_for_cpu,
  dma_alloc_coherent,
  dma_free_coherent,
  dma_map_sg,
  dma_unmap_sg,
  dma_supported,
  dma_get_required_mask,
  dma_max_mapping_size,
  dma_get_merge_boundary,
  DMA_BIT_MASK,
  DMA_MAPPING_ERROR,
  fmt_pad,
  SIZE_MAX,
  kmalloc,
  alloc_pages,
  page_address,
  free_pages,
  virt_to_phys,
  mem_bytes,
  get_order,
  sg_init_table,
  sg_set_buf,
  sg_phys,
  sg_next,
  phys_to_dma,
  debug_count_of,
  dma_debug_state,
  DMA_TO_DEVICE,
  DMA_BIDIRECTIONAL,
  type dma_map_ops,
  type dma_addr_ref,
  type device,
  type scatterlist,
} from '../../src/index.ts';
import { machine, dev_on, logged } from './helpers.ts';

const BUS = 0x40000000;

/** Ops of a bus with an offset, recording every call. */
function offset_bus(): { ops: dma_map_ops; calls: string[] } {
  const calls: string[] = [];
  const ops: dma_map_ops = {
    alloc(dev: device, size: number, h: dma_addr_ref, gfp: number): number {
      calls.push(`alloc ${size}`);
      const page = alloc_pages(gfp, get_order(size), dev.machine);
      if (!page) return 0;
      const vaddr = page_address(page);
      mem_bytes(vaddr, size).fill(0);
      h.value = virt_to_phys(vaddr) + BUS;
      return vaddr;
    },
    free(_dev: device, size: number, vaddr: number, dma: number): void {
      calls.push(`free ${size} ${dma - BUS === virt_to_phys(vaddr)}`);
      free_pages(vaddr, get_order(size));
    },
    map_phys(_dev: device, phys: number, size: number): number {
      calls.push(`map_phys ${size}`);
      return phys + BUS;
    },
    unmap_phys(_dev: device, addr: number, size: number): void {
      calls.push(`unmap_phys ${(addr - BUS).toString(16)} ${size}`);
    },
    map_sg(_dev: device, sg: scatterlist, nents: number): number {
      calls.push(`map_sg ${nents}`);
      let s: scatterlist | null = sg;
      for (let i = 0; i < nents && s; i++, s = sg_next(s)) {
        s.dma_address = sg_phys(s) + BUS;
        s.dma_length = s.length;
      }
      return nents;
    },
    unmap_sg(_dev: device, _sg: scatterlist, nents: number): void {
      calls.push(`unmap_sg ${nents}`);
    },
    sync_single_for_cpu(_dev: device, addr: number, size: number): void {
      calls.push(`sync_single_for_cpu ${(addr - BUS).toString(16)} ${size}`);
    },
  };
  return { ops, calls };
}

describe('dma_map_ops installed by the user', () => {
  it('dma_map_single, dma_alloc_coherent and dma_map_sg go through the ops, tracked by dma-debug', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    const { ops, calls } = offset_bus();
    expect(get_dma_ops(dev)).toBe(null);
    expect(dma_map_direct(dev, get_dma_ops(dev))).toBe(true);
    set_dma_ops(dev, ops);
    expect(get_dma_ops(dev)).toBe(ops);
    expect(dma_map_direct(dev, ops)).toBe(false);

    const buf = kmalloc(512, GFP_KERNEL, m);
    const d = dma_map_single(dev, buf, 512, DMA_TO_DEVICE);
    expect(dma_mapping_error(dev, d)).toBe(0);
    expect(d).toBe(virt_to_phys(buf) + BUS);
    expect(debug_count_of(dev)).toBe(1);
    dma_sync_single_for_cpu(dev, d, 512, DMA_TO_DEVICE);
    dma_unmap_single(dev, d, 512, DMA_TO_DEVICE);
    expect(debug_count_of(dev)).toBe(0);

    const h = dma_addr();
    const cpu = dma_alloc_coherent(dev, 8192, h, GFP_KERNEL);
    expect(cpu).not.toBe(0);
    expect(h.value).toBe(virt_to_phys(cpu) + BUS);
    expect(debug_count_of(dev)).toBe(1);
    dma_free_coherent(dev, 8192, cpu, h.value);

    const sg: scatterlist[] = [];
    sg_init_table(sg, 3);
    const bufs = [kmalloc(100, GFP_KERNEL, m), kmalloc(200, GFP_KERNEL, m), kmalloc(300, GFP_KERNEL, m)];
    bufs.forEach((b, i) => {
      sg_set_buf(sg[i]!, b, 100 * (i + 1));
    });
    expect(dma_map_sg(dev, sg, 3, DMA_BIDIRECTIONAL)).toBe(3);
    expect(sg.map((s) => s.dma_address)).toEqual(bufs.map((b) => virt_to_phys(b) + BUS));
    expect(debug_count_of(dev)).toBe(3);
    dma_unmap_sg(dev, sg, 3, DMA_BIDIRECTIONAL);
    expect(debug_count_of(dev)).toBe(0);

    const p = virt_to_phys(buf).toString(16);
    expect(calls).toEqual([
      'map_phys 512',
      `sync_single_for_cpu ${p} 512`,
      `unmap_phys ${p} 512`,
      'alloc 8192',
      'free 8192 true',
      'map_sg 3',
      'unmap_sg 3',
    ]);
    expect(dma_debug_state(m).error_count).toBe(0);
  });

  it('an unmap or free dma-debug cannot match is reported and never reaches the ops', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    const { ops, calls } = offset_bus();
    set_dma_ops(dev, ops);
    const out = logged(() => {
      dma_unmap_single(dev, BUS + 0x1000, 64, DMA_TO_DEVICE);
      dma_free_coherent(dev, 4096, kmalloc(64, GFP_KERNEL, m), BUS + 0x2000);
    });
    expect(out).toContain(
      'device driver tries to free DMA memory it has not allocated [device address=0x0000000040001000]',
    );
    expect(out).toContain(
      'device driver tries to free DMA memory it has not allocated [device address=0x0000000040002000]',
    );
    expect(calls).toEqual([]);
  });

  it('absent optional members fall back as the kernel does; dma_supported asks the ops when they have it', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    const { ops } = offset_bus();
    set_dma_ops(dev, ops);
    expect(dma_supported(dev, DMA_BIT_MASK(20))).toBe(true);
    expect(dma_get_required_mask(dev)).toBe(DMA_BIT_MASK(32));
    expect(dma_max_mapping_size(dev)).toBe(SIZE_MAX);
    expect(dma_get_merge_boundary(dev)).toBe(0);
    set_dma_ops(dev, { ...ops, dma_supported: (_d, mask) => mask >= DMA_BIT_MASK(31), max_mapping_size: () => 65536 });
    expect(dma_supported(dev, DMA_BIT_MASK(30))).toBe(false);
    expect(dma_supported(dev, DMA_BIT_MASK(31))).toBe(true);
    expect(dma_max_mapping_size(dev)).toBe(65536);
  });

  it('set_dma_ops(dev, null) returns the device to the direct mapping', () => {
    const m = machine();
    const dev = dev_on(m, 64);
    const { ops, calls } = offset_bus();
    set_dma_ops(dev, ops);
    set_dma_ops(dev, null);
    expect(get_dma_ops(dev)).toBe(null);
    const buf = kmalloc(512, GFP_KERNEL, m);
    const d = dma_map_single(dev, buf, 512, DMA_TO_DEVICE);
    expect(dma_mapping_error(dev, d)).toBe(0);
    expect(d).toBe(phys_to_dma(dev, virt_to_phys(buf)));
    dma_unmap_single(dev, d, 512, DMA_TO_DEVICE);
    expect(calls).toEqual([]);
    expect(debug_count_of(dev)).toBe(0);
  });
});

describe('one formatter for a dma_addr_t', () => {
  it("DMA_MAPPING_ERROR prints as the kernel prints ~(dma_addr_t)0; a coherent free of it is check_unmap's invalid address", () => {
    const m = machine();
    const dev = dev_on(m, 64);
    const h = dma_addr();
    const cpu = dma_alloc_coherent(dev, 4096, h, GFP_KERNEL);
    const out = logged(() => dma_free_coherent(dev, 4096, cpu, DMA_MAPPING_ERROR));
    expect(out).toContain('device driver tries to free an invalid DMA memory address');
    expect(fmt_pad(DMA_MAPPING_ERROR)).toBe('0xffffffffffffffff');
    expect(fmt_pad(0x1234)).toBe('0x0000000000001234');
    dma_free_coherent(dev, 4096, cpu, h.value);
    expect(debug_count_of(dev)).toBe(0);
  });
});

/*
 * Issue 13, the core's part: every entry point checks its arguments before it
 * takes anything. Grouped as filed: data lost, crash, wrong result, unclear.
 * Each test states what the kernel does (or what we do where it would oops) and
 * that nothing was taken or changed.
 */
import { describe, it, expect } from 'vitest';
import {
  GFP_KERNEL,
  DmashimError,
  DMA_MAPPING_ERROR,
  DMA_TO_DEVICE,
  DMA_FROM_DEVICE,
  DMA_BIDIRECTIONAL,
  ENXIO,
  EFAULT,
  dma_addr,
  dma_alloc_coherent,
  dma_free_coherent,
  dma_pool_create,
  dma_pool_alloc,
  dma_pool_free,
  dma_pool_destroy,
  dma_map_single,
  dma_unmap_single,
  dma_map_page,
  dma_mapping_error,
  dma_map_sg,
  dma_unmap_sg,
  dma_mmap_coherent,
  vma_user_bytes,
  vma_munmap,
  kmalloc,
  kfree,
  vmalloc,
  vfree,
  free_pages,
  free_page,
  __free_pages,
  __get_free_pages,
  virt_to_page,
  pfn_to_page,
  mem_bytes,
  sg_init_table,
  sg_set_page,
  sg_set_buf,
  scatterlist,
  c_struct,
  swiotlb_set_force_bounce,
  swiotlb_stats,
  device_dma_read,
  device_dma_write,
  device_dma_fill,
  debug_count_of,
  type dma_pool,
  type device,
  type Machine,
} from '../../src/index.ts';
import { machine, dev_on, MiB } from '../dma-api/helpers.ts';
import { log_of } from '../helpers.ts';

/* Free pages of every zone: an allocation that took something changes it. */
function free_total(m: Machine): number {
  let n = 0;
  for (let z = 0; z < 3; z++) n += m.buddy.zoneStats(z).free_pages;
  return n;
}

function expect_efault(fn: () => unknown, text: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DmashimError);
  expect((err as DmashimError).code).toBe('EFAULT');
  expect((err as DmashimError).message).toMatch(text);
}

const NULL_DEV = null as unknown as device;
const NULL_POOL = null as unknown as dma_pool;

describe('data lost: a free entry point refuses memory it does not own', () => {
  it('free_pages of a dma_pool page: "Bad page state", nothing freed, the pool keeps its blocks', () => {
    const m = machine();
    const dev = dev_on(m);
    const pool = dma_pool_create('p', dev, 64, 64, 0)!;
    const h = dma_addr();
    const v = dma_pool_alloc(pool, GFP_KERNEL, h);
    const before = free_total(m);
    const page_va = v - (v % 4096);
    const log = log_of(() => free_pages(page_va, 0));
    expect(log).toContain('BUG: Bad page state in process');
    expect(log).toMatch(/page dumped because: .*dma_alloc_coherent/);
    expect(log).toMatch(/free_pages\(\) called from test\/misuse\/core\.test\.ts:\d+/);
    expect(free_total(m)).toBe(before);
    // The next page allocation must not overlap the pool's live block.
    const other = __get_free_pages(GFP_KERNEL, 0, m);
    expect(other).not.toBe(page_va);
    free_pages(other, 0);
    dma_pool_free(pool, v, h.value);
    dma_pool_destroy(pool);
  });

  it('free_pages / __free_pages of a live coherent buffer: refused; dma_free_coherent still works', () => {
    const m = machine();
    const dev = dev_on(m);
    const h = dma_addr();
    const v = dma_alloc_coherent(dev, 8192, h, GFP_KERNEL);
    const before = free_total(m);
    expect(log_of(() => free_pages(v, 1))).toContain('BUG: Bad page state');
    expect(log_of(() => __free_pages(virt_to_page(v), 1))).toContain('BUG: Bad page state');
    expect(log_of(() => free_page(v))).toContain('BUG: Bad page state');
    expect(free_total(m)).toBe(before);
    expect(log_of(() => dma_free_coherent(dev, 8192, v, h.value))).toBe('');
    expect(free_total(m)).toBe(before + 2);
  });

  it('free_pages of a kmalloc slab page and of a large kmalloc buffer: refused; kfree still works', () => {
    const m = machine();
    const small = kmalloc(64, GFP_KERNEL, m);
    const large = kmalloc(3 * 4096, GFP_KERNEL, m);
    const before = free_total(m);
    const slabLog = log_of(() => free_pages(small - (small % 4096), 0));
    expect(slabLog).toContain('BUG: Bad page state');
    expect(slabLog).toMatch(/page dumped because: .*slab/);
    expect(log_of(() => free_pages(large, 2))).toMatch(/page dumped because: .*kmalloc/);
    expect(free_total(m)).toBe(before);
    expect(log_of(() => kfree(large))).toBe('');
    expect(log_of(() => kfree(small))).toBe('');
  });

  it('kfree / vfree / dma_free_coherent / dma_pool_free of foreign memory free nothing', () => {
    const m = machine();
    const dev = dev_on(m);
    const pg = __get_free_pages(GFP_KERNEL, 0, m);
    const h = dma_addr();
    const co = dma_alloc_coherent(dev, 4096, h, GFP_KERNEL);
    const vm = vmalloc(4096, m);
    const pool = dma_pool_create('p', dev, 64, 64, 0)!;
    const before = free_total(m);
    expect(log_of(() => kfree(pg))).toContain('object pointer');
    expect(log_of(() => kfree(co))).toContain('object pointer');
    expect(log_of(() => vfree(pg))).toContain('Trying to vfree() nonexistent vm area');
    expect(log_of(() => free_pages(vm, 0))).toContain('BUG: Bad page state');
    expect(log_of(() => dma_free_coherent(dev, 4096, pg, pg))).toContain('DMA-API');
    expect(log_of(() => dma_pool_free(pool, co, h.value))).toContain('dma_pool_free p');
    expect(free_total(m)).toBe(before);
    free_pages(pg, 0);
    dma_free_coherent(dev, 4096, co, h.value);
    vfree(vm);
    dma_pool_destroy(pool);
  });

  it('dma_mmap_coherent refuses vm_pgoff -1, vm_end < vm_start, NaN and fractional values with -ENXIO', () => {
    const m = machine();
    const dev = dev_on(m);
    const h = dma_addr();
    const v = dma_alloc_coherent(dev, 8192, h, GFP_KERNEL);
    const bad = [
      { vm_start: 0x10000, vm_end: 0x11000, vm_pgoff: -1 },
      { vm_start: 0x12000, vm_end: 0x10000, vm_pgoff: 0 },
      { vm_start: 0x10000, vm_end: 0x11000, vm_pgoff: Number.NaN },
      { vm_start: 0x10000, vm_end: 0x11000, vm_pgoff: 0.5 },
      { vm_start: 0x10000, vm_end: Number.NaN, vm_pgoff: 0 },
      { vm_start: 0x10000 + 0.5, vm_end: 0x11000, vm_pgoff: 0 },
    ];
    for (const vma of bad) {
      expect(dma_mmap_coherent(dev, vma, v, h.value, 8192)).toBe(-ENXIO);
      expect(() => vma_user_bytes(vma)).toThrow(DmashimError);
    }
    const good = { vm_start: 0x10000, vm_end: 0x11000, vm_pgoff: 1 };
    expect(dma_mmap_coherent(dev, good, v, h.value, 8192)).toBe(0);
    expect(vma_user_bytes(good).length).toBe(4096);
    vma_munmap(good);
    dma_free_coherent(dev, 8192, v, h.value);
  });

  it('dma_map_sg refuses an entry that runs past the end of a RAM bank, as dma_map_page does', () => {
    const m = machine();
    const dev = dev_on(m, 32);
    swiotlb_set_force_bounce(dev, true);
    const lastPfn = (64 * MiB) / 4096 - 1; /* the last page of the bank at 0 */
    const page = pfn_to_page(lastPfn, m);
    expect(log_of(() => expect(dma_map_page(dev, page, 0, 8192, DMA_FROM_DEVICE)).toBe(DMA_MAPPING_ERROR))).toContain(
      'invalid area',
    );
    const sg: scatterlist[] = [];
    sg_init_table(sg, 1);
    sg_set_page(sg[0]!, page, 8192, 0);
    const used = swiotlb_stats(m).used;
    const log = log_of(() => expect(dma_map_sg(dev, sg, 1, DMA_FROM_DEVICE)).toBe(0));
    expect(log).toContain('invalid area');
    expect(swiotlb_stats(m).used).toBe(used);
    expect(debug_count_of(dev)).toBe(0);
  });
});

describe('crash: the device side refuses absurd lengths before it allocates anything', () => {
  it.each([2 ** 31, 2 ** 40, -1, Number.POSITIVE_INFINITY, Number.NaN, 1.5])(
    'device_dma_read / device_dma_fill with length %s: a report, no exception',
    (len) => {
      const m = machine();
      const dev = dev_on(m);
      const h = dma_addr();
      const v = dma_alloc_coherent(dev, 4096, h, GFP_KERNEL);
      let r: Uint8Array | null = new Uint8Array(1);
      const log = log_of(() => {
        r = device_dma_read(dev, h.value, len);
      });
      expect(r).toBeNull();
      expect(log).toMatch(/length/);
      expect(device_dma_fill(dev, h.value, len, 0xaa)).toBe(-EFAULT);
      dma_free_coherent(dev, 4096, v, h.value);
    },
  );

  it('a fractional or non-finite bus address on the device side is refused, not truncated', () => {
    const m = machine();
    const dev = dev_on(m);
    const h = dma_addr();
    const v = dma_alloc_coherent(dev, 4096, h, GFP_KERNEL);
    mem_bytes(v, 4096).fill(0);
    for (const a of [h.value + 0.5, Number.NaN, Number.POSITIVE_INFINITY, -4096]) {
      expect(device_dma_write(dev, a, [1, 2, 3])).toBe(-EFAULT);
      expect(device_dma_read(dev, a, 3)).toBeNull();
    }
    expect(mem_bytes(v, 4).every((b) => b === 0)).toBe(true);
    dma_free_coherent(dev, 4096, v, h.value);
  });
});

describe('wrong result', () => {
  it('after a dma_unmap_sg with the wrong count (reported), every entry is unmapped with its bounce slot', () => {
    const m = machine();
    const dev = dev_on(m, 32);
    swiotlb_set_force_bounce(dev, true);
    const bufs = [kmalloc(512, GFP_KERNEL, m), kmalloc(512, GFP_KERNEL, m), kmalloc(512, GFP_KERNEL, m)];
    const sg: scatterlist[] = [];
    sg_init_table(sg, 3);
    for (const [i, b] of bufs.entries()) sg_set_buf(sg[i]!, b, 512);
    const used = swiotlb_stats(m).used;
    expect(dma_map_sg(dev, sg, 3, DMA_BIDIRECTIONAL)).toBe(3);
    expect(log_of(() => dma_unmap_sg(dev, sg, 2, DMA_BIDIRECTIONAL))).toContain('different entry count');
    dma_unmap_sg(dev, sg, 3, DMA_BIDIRECTIONAL);
    expect(debug_count_of(dev)).toBe(0);
    expect(swiotlb_stats(m).used).toBe(used);
    for (const b of bufs) kfree(b);
  });

  it('dma_map_single with a negative, NaN or fractional size returns DMA_MAPPING_ERROR and maps nothing', () => {
    const m = machine();
    const dev = dev_on(m);
    const buf = kmalloc(256, GFP_KERNEL, m);
    for (const size of [-1, -4096, Number.NaN, 1.5, Number.POSITIVE_INFINITY]) {
      let d = 0;
      expect(log_of(() => (d = dma_map_single(dev, buf, size, DMA_TO_DEVICE)))).toContain(
        `DMA-API: drv dev0: device driver maps memory with an invalid size [size=${size}]`,
      );
      expect(d).toBe(DMA_MAPPING_ERROR);
      expect(dma_mapping_error(dev, d)).not.toBe(0);
    }
    expect(debug_count_of(dev)).toBe(0);
    kfree(buf);
  });

  it('dma_map_sg with a fractional, negative or NaN nents maps nothing and returns 0', () => {
    const m = machine();
    const dev = dev_on(m);
    const sg: scatterlist[] = [];
    sg_init_table(sg, 2);
    const b0 = kmalloc(64, GFP_KERNEL, m);
    const b1 = kmalloc(64, GFP_KERNEL, m);
    sg_set_buf(sg[0]!, b0, 64);
    sg_set_buf(sg[1]!, b1, 64);
    for (const n of [1.5, -1, Number.NaN]) {
      expect(dma_map_sg(dev, sg, n, DMA_TO_DEVICE)).toBe(0);
      expect(debug_count_of(dev)).toBe(0);
    }
    kfree(b0);
    kfree(b1);
  });
});

describe('unclear: a NULL or wrong-typed argument gets our typed error or the kernel answer, and nothing is taken', () => {
  it('dma_pool_alloc / dma_alloc_coherent with a NULL handle: EFAULT, nothing taken', () => {
    const m = machine();
    const dev = dev_on(m);
    const pool = dma_pool_create('p', dev, 64, 64, 0)!;
    const before = free_total(m);
    const nullh = null as unknown as ReturnType<typeof dma_addr>;
    expect_efault(() => dma_pool_alloc(pool, GFP_KERNEL, nullh), /dma_pool_alloc: .*NULL/);
    expect(pool.nr_active).toBe(0);
    expect(free_total(m)).toBe(before);
    // A handle of another wrong type with a free block in the pool: it throws before the block leaves the pool.
    const h2 = dma_addr();
    const b = dma_pool_alloc(pool, GFP_KERNEL, h2);
    dma_pool_free(pool, b, h2.value);
    expect(() => dma_pool_alloc(pool, GFP_KERNEL, undefined as unknown as ReturnType<typeof dma_addr>)).toThrow();
    expect(pool.nr_active).toBe(0);
    expect(dma_pool_alloc(pool, GFP_KERNEL, h2)).toBe(b);
    dma_pool_free(pool, b, h2.value);
    const before2 = free_total(m);
    const entries = debug_count_of(dev); /* the pool's page */
    expect_efault(
      () => dma_alloc_coherent(dev, 4096, nullh, GFP_KERNEL),
      /dma_alloc_(coherent|attrs): NULL dma_handle/,
    );
    expect(free_total(m)).toBe(before2);
    expect(debug_count_of(dev)).toBe(entries);
    dma_pool_destroy(pool);
  });

  it('a NULL or wrong-typed device: EFAULT with the kernel words, not a TypeError', () => {
    const m = machine();
    const buf = kmalloc(64, GFP_KERNEL, m);
    const h = dma_addr();
    const words = /BUG: kernel NULL pointer dereference|not a struct device/;
    expect_efault(() => dma_map_single(NULL_DEV, buf, 64, DMA_TO_DEVICE), words);
    expect_efault(() => dma_unmap_single(NULL_DEV, 0x1000, 64, DMA_TO_DEVICE), words);
    expect_efault(() => dma_map_single({} as unknown as device, buf, 64, DMA_TO_DEVICE), words);
    // dma_pool_create has the kernel's own NULL check: NULL, no pool.
    expect(dma_pool_create('p', NULL_DEV, 64, 64, 0)).toBeNull();
    expect_efault(() => dma_pool_create('p', {} as unknown as device, 64, 64, 0), words);
    expect_efault(() => dma_map_sg(NULL_DEV, [new scatterlist()], 1, DMA_TO_DEVICE), words);
    // The kernel's dma_alloc_attrs has a NULL check of its own (the x86 fallback device): NULL, nothing taken.
    expect(dma_alloc_coherent(NULL_DEV, 4096, h, GFP_KERNEL)).toBe(0);
    kfree(buf);
  });

  it('a NULL pool: EFAULT naming the function', () => {
    const h = dma_addr();
    expect_efault(() => dma_pool_alloc(NULL_POOL, GFP_KERNEL, h), /dma_pool_alloc: .*NULL/);
    expect_efault(() => dma_pool_free(NULL_POOL, 0x1000, 0x1000), /dma_pool_free: .*NULL/);
  });

  it('bigint or undefined addresses: reported as the kernel reports a bad address, no TypeError', () => {
    const m = machine();
    const dev = dev_on(m);
    const pool = dma_pool_create('p', dev, 64, 64, 0)!;
    const big = 0x1000n as unknown as number;
    const undef = undefined as unknown as number;
    for (const a of [big, undef]) {
      expect(() => kfree(a)).not.toThrow();
      expect(() => vfree(a)).not.toThrow();
      expect(() => free_pages(a, 0)).not.toThrow();
      expect(() => dma_pool_free(pool, a, a)).not.toThrow();
      expect(dma_map_single(dev, a, 64, DMA_TO_DEVICE)).toBe(DMA_MAPPING_ERROR);
      expect(log_of(() => dma_unmap_single(dev, a, 64, DMA_TO_DEVICE))).toContain(
        'device driver tries to free DMA memory it has not allocated',
      );
      expect(() => dma_free_coherent(dev, 64, a, a)).not.toThrow();
      expect(device_dma_read(dev, a, 4)).toBeNull();
    }
    dma_pool_destroy(pool);
  });

  it('sg_init_table(1.5) and c_struct(null): our typed error', () => {
    const sg: scatterlist[] = [];
    expect(() => sg_init_table(sg, 1.5)).toThrow(DmashimError);
    expect(sg.length).toBe(0);
    expect(() => c_struct(null as unknown as Record<string, 'u32'>)).toThrow(DmashimError);
  });
});

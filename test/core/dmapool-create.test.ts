import { describe, it, expect } from 'vitest';
import { dma_pool_create, dma_pool_create_node, dma_pool_destroy, PAGE_SIZE } from '../../src/index.ts';
import { small_machine, test_device } from '../helpers.ts';

const m = small_machine();
const dev = test_device(m);

type Row = [
  size: number,
  align: number,
  boundary: number,
  expect: null | { size: number; allocation: number; boundary: number },
];

// Every rule of dma_pool_create_node, in the kernel's order, with the semantics reference's worked examples.
const table: Row[] = [
  [5, 0, 0, { size: 16, allocation: PAGE_SIZE, boundary: PAGE_SIZE }], // align 0 -> 1, minimum 16
  [68, 32, 0, { size: 96, allocation: PAGE_SIZE, boundary: PAGE_SIZE }], // rounded up to align
  [17, 16, 0, { size: 32, allocation: PAGE_SIZE, boundary: PAGE_SIZE }],
  [3, 8, 0, { size: 16, allocation: PAGE_SIZE, boundary: PAGE_SIZE }], // minimum before rounding
  [16, 3, 0, null], // align not a power of two
  [16, -4, 0, null],
  [0, 16, 0, null], // size 0
  [0x80000000, 1, 0, null], // size > INT_MAX
  [0x7fffffff, 1, 0, { size: 0x7fffffff, allocation: 0x7fffffff, boundary: 0x7fffffff }], // INT_MAX is accepted
  [64, 64, 32, null], // boundary < size
  [64, 64, 96, null], // boundary not a power of two
  [5000, 0, 0, { size: 5000, allocation: 5000, boundary: 5000 }], // allocation = size when above a page
  [64, 0, 65536, { size: 64, allocation: PAGE_SIZE, boundary: PAGE_SIZE }], // boundary clamped
  [96, 32, 4096, { size: 96, allocation: PAGE_SIZE, boundary: 4096 }],
  [512, 512, 2048, { size: 512, allocation: PAGE_SIZE, boundary: 2048 }],
  [100, 0, 128, { size: 100, allocation: PAGE_SIZE, boundary: 128 }],
  [100, 0, 64, null], // boundary < size after rounding
  [24, 8, 16, null], // boundary 16 < size 24
  [8, 0, 16, { size: 16, allocation: PAGE_SIZE, boundary: 16 }], // boundary checked against the bumped size
  [8, 0, 8, null], // ... so 8 < 16 fails
];

describe('dma_pool_create validation and rounding', () => {
  it.each(table)('size %i align %i boundary %i', (size, align, boundary, want) => {
    const pool = dma_pool_create('t', dev, size, align, boundary);
    if (want === null) {
      expect(pool).toBeNull();
    } else {
      expect(pool).not.toBeNull();
      expect({ size: pool!.size, allocation: pool!.allocation, boundary: pool!.boundary }).toEqual(want);
      dma_pool_destroy(pool);
    }
  });

  it('NULL dev gives NULL, before any other check', () => {
    expect(dma_pool_create('t', null, 0, 3, 7)).toBeNull();
    expect(dma_pool_create('t', null, 64, 64, 0)).toBeNull();
  });

  it('non-integer arguments give NULL rather than throwing', () => {
    expect(dma_pool_create('t', dev, 1.5, 0, 0)).toBeNull();
    expect(dma_pool_create('t', dev, 64, NaN, 0)).toBeNull();
  });

  it('truncates the name to 31 characters', () => {
    const long = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const pool = dma_pool_create(long, dev, 64, 0, 0)!;
    expect(pool.name).toBe(long.slice(0, 31));
    expect(pool.name.length).toBe(31);
    dma_pool_destroy(pool);
  });

  it('dma_pool_create_node records the node and otherwise behaves the same', () => {
    const pool = dma_pool_create_node('n', dev, 68, 32, 4096, 0)!;
    expect(pool.node).toBe(0);
    expect(pool.size).toBe(96);
    expect(dma_pool_create_node('n', dev, 16, 3, 0, 0)).toBeNull();
    dma_pool_destroy(pool);
  });

  it('creates no memory until the first allocation', () => {
    const before = m.buddy.zoneStats(2).free_pages + m.buddy.zoneStats(1).free_pages + m.buddy.zoneStats(0).free_pages;
    const pool = dma_pool_create('lazy', dev, 64, 0, 0)!;
    const after = m.buddy.zoneStats(2).free_pages + m.buddy.zoneStats(1).free_pages + m.buddy.zoneStats(0).free_pages;
    expect(after).toBe(before);
    expect(pool.nr_pages).toBe(0);
    dma_pool_destroy(pool);
  });

  it('dma_pool_destroy(NULL) is a no-op', () => {
    expect(() => dma_pool_destroy(null)).not.toThrow();
  });
});

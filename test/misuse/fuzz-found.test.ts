/*
 * Bugs the model-based fuzz test (test/fuzz/all-allocators.test.ts) found, each
 * reduced to the smallest program that shows it.
 */
import { describe, it, expect } from 'vitest';
import {
  create_machine,
  vmalloc,
  vfree,
  vmalloc_to_pfn,
  vmalloc_read,
  vmalloc_write,
  alloc_pages,
  __get_free_pages,
  GFP_KERNEL,
  type Machine,
} from '../../src/index.ts';
import { log_of } from '../helpers.ts';

const MiB = 1024 * 1024;

describe('found by the fuzz test', () => {
  it('vmalloc on a machine that reuses a disposed machine’s address window: its areas are found', () => {
    const ram = [{ start: 0, size: 16 * MiB }];
    const old = create_machine({ ram });
    const freed = vmalloc(4096, old);
    vfree(freed);
    const kept = vmalloc(4096, old);
    expect(kept).not.toBe(0);
    old.dispose();
    const m = create_machine({ ram });
    const v = vmalloc(4096, m);
    expect(v).toBe(freed);
    const w = vmalloc(4096, m);
    expect(w).toBe(kept);
    // A live area of the disposed machine at the same address must not stand in for this one.
    vmalloc_write(w, new Uint8Array([9]));
    expect(vmalloc_read(w, 1)[0]).toBe(9);
    expect(log_of(() => vfree(w))).toBe('');
    expect(log_of(() => vfree(w))).toContain('nonexistent vm area');
    // The disposed machine's vmalloc state covered the same range and hid this area.
    expect(vmalloc_to_pfn(v)).not.toBe(0);
    vmalloc_write(v, new Uint8Array([1, 2, 3]));
    expect([...vmalloc_read(v, 3)]).toEqual([1, 2, 3]);
    expect(log_of(() => vfree(v))).toBe('');
    m.dispose();
  });

  it('alloc_pages with a fractional or NaN order fails and takes no page', () => {
    const m = create_machine({ ram: [{ start: 0, size: 16 * MiB }] });
    const free = (mm: Machine): number[] => [0, 1, 2].map((z) => mm.buddy.zoneStats(z).free_pages);
    const before = free(m);
    for (const order of [1.5, 0.5, Number.NaN]) {
      expect(log_of(() => expect(alloc_pages(GFP_KERNEL, order, m)).toBe(0))).toContain('page allocation failure');
      expect(__get_free_pages(GFP_KERNEL, order, m)).toBe(0);
    }
    // Free counts once went negative: the split left blocks no free could merge back.
    expect(free(m)).toEqual(before);
    m.dispose();
  });

  it('struct pages of disposed machines: their vmemmap slots are reused before they are collected', () => {
    const kept: Machine[] = []; // held, as a test runner holds them: never collected
    for (let i = 0; i < 600; i++) {
      const m = create_machine({ ram: [{ start: 0, size: 4 * MiB }] });
      kept.push(m);
      const page = alloc_pages(GFP_KERNEL, 0, m);
      expect(page).not.toBe(0);
      m.dispose();
    }
    expect(kept.length).toBe(600);
  });
});

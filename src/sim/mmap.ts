/*
 * User space's side of a dma_mmap_* mapping, which the kernel does not have
 * as code: the process that mmap()ed a coherent buffer, its munmap(), its
 * loads and stores through the mapping, and the report when the driver frees
 * the buffer while the mapping still exists ("a big mistake": the memory is
 * held until the last munmap, as the user's pages would keep it alive).
 */
import { type device, dev_prefix } from '../drivers/base/core.ts';
import type { Machine } from '../arch/sim/machine.ts';
import { printk_level, KERN_ERR } from '../kernel/printk.ts';
import { EINVAL } from '../include/linux/errno.ts';
import { DmashimError } from '../lib/errors.ts';
import { fmt_p } from '../lib/vsprintf.ts';
import { iomem_window_text } from './devmem.ts';
import type { vm_area_struct } from '../kernel/dma/mapping.ts';

interface MmapRec {
  dev: device;
  vmas: Set<vm_area_struct>;
  /** a free that came while mapped: done at the last munmap */
  release: (() => void) | null;
}
interface VmaRec {
  m: Map<number, MmapRec>;
  cpu: number;
  /** arena offset of the first mapped byte */
  off: number;
  len: number;
  machine: Machine;
}
const mmaps = new WeakMap<Machine, Map<number, MmapRec>>();
const vmaRecs = new WeakMap<vm_area_struct, VmaRec>();

/**
 * Record that `vma` maps `len` bytes of the coherent buffer at `cpu_addr`,
 * from arena offset `off`. Returns 0, or -EINVAL for a vma already mapped.
 */
export function user_mmap_insert(dev: device, vma: vm_area_struct, cpu_addr: number, off: number, len: number): number {
  if (vmaRecs.has(vma)) return -EINVAL;
  const m = dev.machine;
  let map = mmaps.get(m);
  if (!map) {
    map = new Map();
    mmaps.set(m, map);
  }
  let rec = map.get(cpu_addr);
  if (!rec) {
    rec = { dev, vmas: new Set(), release: null };
    map.set(cpu_addr, rec);
  }
  rec.vmas.add(vma);
  vmaRecs.set(vma, { m: map, cpu: cpu_addr, off, len, machine: m });
  return 0;
}

/**
 * User space's munmap() of a vma mapped by dma_mmap_* (our API). A buffer whose
 * free was held because of this mapping is freed now. Returns 0, or -EINVAL for a
 * vma that is not mapped.
 */
export function vma_munmap(vma: vm_area_struct): number {
  const r = vmaRecs.get(vma);
  if (!r) return -EINVAL;
  vmaRecs.delete(vma);
  const rec = r.m.get(r.cpu);
  if (!rec) return 0;
  rec.vmas.delete(vma);
  if (rec.vmas.size === 0) {
    r.m.delete(r.cpu);
    if (rec.release) rec.release();
  }
  return 0;
}

/**
 * The user's view of a mapped vma (our API): a Uint8Array over the mapped pages,
 * index 0 = vm_start. Writes land in the DMA buffer, as through a real mapping.
 * Throws DmashimError EFAULT for a vma that is not mapped (a user access after munmap segfaults).
 */
export function vma_user_bytes(vma: vm_area_struct): Uint8Array {
  const r = vmaRecs.get(vma);
  if (!r) {
    throw new DmashimError(
      'EFAULT',
      `segfault: user access to an unmapped vma [${fmt_p(vma.vm_start)}-${fmt_p(vma.vm_end)}]`,
    );
  }
  return r.machine.u8.subarray(r.off, r.off + r.len);
}

/** The arena offset of a mapped vma's first byte (our API, for the C bridge's user side), or -1 when it is not mapped. */
export function vma_user_offset(vma: vm_area_struct): number {
  return vmaRecs.get(vma)?.off ?? -1;
}

/**
 * dma_free_attrs() of a buffer user space still maps: report it, and keep the
 * memory until the last munmap, which calls `release`. Returns false when the
 * buffer is not mapped (the caller frees it now).
 */
export function user_mmap_hold(dev: device, size: number, cpu_addr: number, release: () => void): boolean {
  const rec = mmaps.get(dev.machine)?.get(cpu_addr);
  if (!rec || rec.vmas.size === 0) return false;
  const v = rec.vmas.values().next().value as vm_area_struct;
  const w = dev.machine.iomemAtVirt(cpu_addr);
  printk_level(
    KERN_ERR,
    `dmashim: ${dev_prefix(dev)}dma_free_coherent() of a buffer still mmap()ed to user space ` +
      `[cpu address=${fmt_p(cpu_addr)}] [size=${size}] ` +
      (w ? `[device memory: ${iomem_window_text(w)}] ` : '') +
      `[vmas=${rec.vmas.size}, first 0x${v.vm_start.toString(16)}-0x${v.vm_end.toString(16)}]: ` +
      'freeing a DMA buffer before user space has unmapped it ' +
      'is a big mistake; the memory stays allocated until munmap',
  );
  rec.release = release;
  return true;
}

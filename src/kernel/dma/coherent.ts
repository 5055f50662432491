/*
 * kernel/dma/coherent.c: per-device ("onboard") coherent memory. A device may
 * declare one region that it sees at `device_addr` and the CPU at `phys_addr`;
 * from then on every dma_alloc_coherent() of the device (and so every dma_pool
 * page, and dmam_alloc_coherent) comes from that region only: power-of-two page
 * runs naturally aligned to their order inside the region, zeroed, NULL when the
 * region cannot hold the request, never a fallback to system RAM.
 *
 * The region is normally device memory: one of the machine's iomem windows
 * (create_machine({ iomem }), dmashim run --iomem), which is not RAM and has no
 * struct page; its buffers can be mapped to user space (dma_mmap_coherent) but
 * not turned into pages (the sanitizer reports virt_to_page and friends on them).
 * Differs from the kernel, on purpose: RAM is accepted too (the kernel's memremap
 * refuses RAM with MEMREMAP_WC; there the memory would be carved out of RAM with
 * no-map first). Use RAM the page allocator does not hand out: the machine's
 * reserved_low area or pages the driver took with alloc_pages() for the purpose.
 */
import { PAGE_SIZE, get_order } from '../../mm/page_alloc.ts';
import { EINVAL, ENODEV, EBUSY, ENOMEM, ENXIO } from '../../include/linux/errno.ts';
import { GFP_KERNEL } from '../../include/linux/gfp.ts';
import { fault_inject_armed, should_fail } from '../../lib/fault-inject.ts';
import type { vm_area_struct } from './mapping.ts';
import { user_mmap_insert } from '../../sim/mmap.ts';
import type { dma_addr_ref } from '../../include/linux/types.ts';
import type { device } from '../../drivers/base/core.ts';
import { pr_err } from '../printk.ts';
import { fmt_pad } from '../../lib/vsprintf.ts';
import { debug_dma_release_coherent_memory } from './debug.ts';

/** struct dma_coherent_mem */
export class dma_coherent_mem {
  readonly virt_base: number;
  readonly device_base: number;
  readonly phys_base: number;
  /** Size in pages (the kernel's mem->size). */
  readonly size: number;
  /** One byte per page: 1 = allocated. */
  readonly bitmap: Uint8Array;

  constructor(virt_base: number, phys_base: number, device_base: number, pages: number) {
    this.virt_base = virt_base;
    this.phys_base = phys_base;
    this.device_base = device_base;
    this.size = pages;
    this.bitmap = new Uint8Array(pages);
  }

  /* bitmap_find_free_region(): first free run of 2^order pages at a multiple of 2^order */
  private find_free_region(order: number): number {
    const n = 1 << order;
    for (let pos = 0; pos + n <= this.size; pos += n) {
      let j = 0;
      while (j < n && this.bitmap[pos + j] === 0) j++;
      if (j === n) {
        this.bitmap.fill(1, pos, pos + n);
        return pos;
      }
    }
    return -1;
  }

  /** __dma_alloc_from_coherent(): CPU address (handle set) or null when the region cannot hold it. */
  alloc(dev: device, size: number, handle: dma_addr_ref): number | null {
    if (size > this.size * PAGE_SIZE) return null;
    const pageno = this.find_free_region(get_order(size));
    if (pageno < 0) return null;
    handle.value = this.device_base + pageno * PAGE_SIZE;
    const vaddr = this.virt_base + pageno * PAGE_SIZE;
    const m = dev.machine;
    const off = vaddr - m.vbase;
    m.u8.fill(0, off, off + size);
    return vaddr;
  }

  /** __dma_release_from_coherent(): true when vaddr is in the region (its run of 2^order pages is released). */
  release(order: number, vaddr: number): boolean {
    if (!this.contains(vaddr)) return false;
    const page = Math.floor((vaddr - this.virt_base) / PAGE_SIZE);
    this.bitmap.fill(0, page, Math.min(this.size, page + (1 << order)));
    return true;
  }

  contains(vaddr: number): boolean {
    return vaddr >= this.virt_base && vaddr < this.virt_base + this.size * PAGE_SIZE;
  }

  /** Bus address -> phys, or -1 outside the region (the device side uses it). */
  dma_to_phys(dma: number): number {
    return dma >= this.device_base && dma < this.device_base + this.size * PAGE_SIZE
      ? this.phys_base + (dma - this.device_base)
      : -1;
  }
}

/** The device's declared region, or null. */
export function dev_coherent_mem(dev: device): dma_coherent_mem | null {
  return dev.dma_mem;
}

/**
 * dma_alloc_from_dev_coherent(): allocate from the device's region. Returns the
 * CPU address (bus address in dma_handle), or 0 when the region cannot hold it.
 * Differs: the kernel returns 1 with the result in *ret whenever the device has a
 * region and 0 otherwise; our caller checks dev.dma_mem first.
 */
export function dma_alloc_from_dev_coherent(dev: device, size: number, dma_handle: dma_addr_ref): number {
  return dev.dma_mem?.alloc(dev, size, dma_handle) ?? 0;
}

/**
 * dma_release_from_dev_coherent(): true when vaddr lies in the device's region,
 * whose run of 2^order pages is then released; false leaves the free to the
 * device's mapping.
 */
export function dma_release_from_dev_coherent(dev: device, order: number, vaddr: number): boolean {
  const mem = dev.dma_mem;
  return mem?.release(order, vaddr) ?? false;
}

/* The CPU address of the region (the kernel's memremap(phys, size, MEMREMAP_WC)): RAM's direct map or an iomem window's; 0 for none. */
function coherent_memremap(dev: device, phys: number, size: number): number {
  const m = dev.machine;
  if (m.physIsRam(phys, size)) return m.offToVirt(m.physToOff(phys));
  return m.iomemVirt(phys, size);
}

/**
 * dma_declare_coherent_memory(): give the device a region of coherent memory,
 * seen by the device at `device_addr` and by the CPU at `phys_addr`: device
 * memory (inside one iomem window of the machine) or RAM. Returns 0; -EINVAL for
 * size 0 or memory that cannot be mapped (neither inside one window nor RAM of
 * one bank; logged); -ENOMEM when its bookkeeping cannot be allocated (the
 * kernel's kzalloc, failed by fault injection of kind 'slab', with the kernel's
 * "Reserved memory: failed to init DMA memory pool" line); -ENODEV for no device;
 * -EBUSY when the device already has a region (one per device). Checked in the
 * kernel's order, except that -ENODEV comes before the mapping (the device names
 * the machine whose memory is mapped). Size is used in whole pages. Context: process.
 */
export function dma_declare_coherent_memory(
  dev: device | null,
  phys_addr: number,
  device_addr: number,
  size: number,
): number {
  if (!Number.isSafeInteger(size) || size <= 0) return -EINVAL;
  if (!Number.isSafeInteger(device_addr) || device_addr < 0) return -EINVAL;
  if (!dev) return -ENODEV;
  const m = dev.machine;
  const virt = Number.isSafeInteger(phys_addr) && phys_addr >= 0 ? coherent_memremap(dev, phys_addr, size) : 0;
  if (virt === 0) {
    pr_err(
      `dmashim: dma_declare_coherent_memory: [mem ${fmt_pad(phys_addr)}-${fmt_pad(phys_addr + size - 1)}] is not RAM of the simulated machine ` +
        `(one bank) nor inside one of its iomem windows (create_machine({ iomem }), dmashim run --iomem SIZE@PHYS): ` +
        `it cannot be mapped`,
    );
    return -EINVAL;
  }
  if (fault_inject_armed.count > 0 && should_fail(m, 'slab', dev.name, null, GFP_KERNEL, 'kzalloc(dma_coherent_mem)')) {
    pr_err(
      `Reserved memory: failed to init DMA memory pool at ${fmt_pad(phys_addr)}, size ${Math.floor(size / 1024)} KiB`,
    );
    return -ENOMEM;
  }
  if (dev.dma_mem) return -EBUSY;
  dev.dma_mem = new dma_coherent_mem(virt, phys_addr, device_addr, Math.floor(size / PAGE_SIZE));
  return 0;
}

/**
 * dma_mmap_from_dev_coherent(): map `size` bytes of the region's buffer at
 * `vaddr` to user space (`vma`). Returns null when the buffer is not inside the
 * device's region (the caller maps it the generic way), else the result: 0, or
 * -ENXIO when the vma's offset and length do not fit in the buffer's pages.
 * Differs: the kernel returns 1 with the result in *ret.
 */
export function dma_mmap_from_dev_coherent(
  dev: device,
  vma: vm_area_struct,
  vaddr: number,
  size: number,
): number | null {
  const mem = dev.dma_mem;
  if (!mem || !(vaddr >= mem.virt_base && vaddr + size <= mem.virt_base + mem.size * PAGE_SIZE)) return null;
  const count = Math.ceil(size / PAGE_SIZE);
  const user_count = Math.floor((vma.vm_end - vma.vm_start) / PAGE_SIZE);
  const pgoff_start = vma.vm_pgoff;
  if (!(pgoff_start < count && pgoff_start + user_count <= count)) return -ENXIO;
  const m = dev.machine;
  return user_mmap_insert(dev, vma, vaddr, vaddr - m.vbase + pgoff_start * PAGE_SIZE, user_count * PAGE_SIZE);
}

/**
 * dma_release_coherent_memory(): drop the device's region (NULL dev or no region:
 * nothing). As in the kernel, allocations still live in it are not checked; we
 * also stop tracking them, so a later dma_free_coherent() of one is reported as
 * "not allocated" and frees nothing (it must not reach the page allocator).
 */
export function dma_release_coherent_memory(dev: device | null): void {
  if (!dev) return;
  const mem = dev.dma_mem;
  dev.dma_mem = null;
  if (mem) debug_dma_release_coherent_memory(dev, mem.virt_base, mem.size * PAGE_SIZE);
}

/*
 * kernel/dma/mapping.c: the driver-facing DMA API. Masks and coherent
 * allocations live here; streaming mappings build on the same pieces.
 */
import { PAGE_SIZE, get_order, MAX_ORDER } from '../../mm/page_alloc.ts';
import { __GFP_DMA, __GFP_DMA32, __GFP_HIGHMEM, __GFP_NOWARN, type gfp_t } from '../../include/linux/gfp.ts';
import { EIO } from '../../include/linux/errno.ts';
import type { dma_addr_ref, dma_addr_t } from '../../include/linux/types.ts';
import { type device } from '../../drivers/base/core.ts';
import { devres_add, devres_find, devres_release } from '../../drivers/base/devres.ts';
import { printk_level, KERN_WARNING } from '../printk.ts';
import { WARN_ON, WARN_ON_ONCE } from '../panic.ts';
import { fmt_0x016llx, fmt_p } from '../../lib/vsprintf.ts';
import { dma_direct_alloc_pages, dma_limit, phys_to_dma } from './direct.ts';
import {
  debug_add_entry,
  debug_find_entry,
  debug_remove_entry,
  dma_debug_err,
  dma_debug_coherent,
  type2name,
} from './debug.ts';

const U64 = (1n << 64n) - 1n;

/** DMA_BIT_MASK(n): a mask of the low n bits, as bigint (exact for n = 64). */
export function DMA_BIT_MASK(n: number): bigint {
  if (!Number.isInteger(n) || n < 0 || n > 64) return 0n;
  return n === 64 ? U64 : (1n << BigInt(n)) - 1n;
}

function toMask(mask: bigint | number): bigint {
  if (typeof mask === 'bigint') return mask & U64;
  if (!Number.isFinite(mask) || mask < 0) return 0n;
  return BigInt(Math.floor(mask)) & U64;
}

/**
 * dma_supported(): can the device's DMA reach what the machine needs for a mask?
 * Direct mapping rule: the mask must cover ZONE_DMA (24 bits) or all RAM if RAM
 * ends lower, as seen from the device (dma_direct_supported).
 */
export function dma_supported(dev: device, mask: bigint | number): boolean {
  const m = toMask(mask);
  const ramTop = dev.machine.physEnd - 1;
  const minMask = Math.min(0xffffff, ramTop);
  const need = BigInt(Math.max(0, phys_to_dma(dev, minMask)));
  return m >= need;
}

/**
 * dma_set_mask(): 0, or -EIO when the device has no mask (NULL dma_mask) or the
 * machine cannot serve the mask. Process context.
 */
export function dma_set_mask(dev: device, mask: bigint | number): number {
  const m = toMask(mask);
  if (dev.dma_mask === null || !dma_supported(dev, m)) return -EIO;
  dev.dma_mask = m;
  return 0;
}

/** dma_set_coherent_mask(): 0, or -EIO when the machine cannot serve the mask. */
export function dma_set_coherent_mask(dev: device, mask: bigint | number): number {
  const m = toMask(mask);
  if (!dma_supported(dev, m)) return -EIO;
  dev.coherent_dma_mask = m;
  return 0;
}

/**
 * dma_set_mask_and_coherent(): sets both; returns dma_set_mask's result (the
 * coherent mask is set only when that succeeded, its own result ignored, as in the kernel).
 */
export function dma_set_mask_and_coherent(dev: device, mask: bigint | number): number {
  const rc = dma_set_mask(dev, mask);
  if (rc === 0) dma_set_coherent_mask(dev, mask);
  return rc;
}

/** dma_get_mask(): the streaming mask, or DMA_BIT_MASK(32) when the device has none. */
export function dma_get_mask(dev: device): bigint {
  return dev.dma_mask ?? DMA_BIT_MASK(32);
}

/**
 * dma_get_required_mask(): the smallest mask covering all of the machine's RAM as
 * the device sees it, and never below 32 bits (a 32-bit mask is the cheap
 * default the API suggests). Changes no mask.
 */
export function dma_get_required_mask(dev: device): bigint {
  const top = phys_to_dma(dev, dev.machine.physEnd - 1);
  let bits = 32;
  while (bits < 64 && top > 2 ** bits - 1) bits++;
  return DMA_BIT_MASK(bits);
}

/** Per-device allocators that take precedence over the page allocator (dma_declare_coherent_memory). */
export interface DevCoherentOps {
  alloc(dev: device, size: number, handle: dma_addr_ref): number | null;
  release(dev: device, size: number, vaddr: number): boolean;
}
export const dev_coherent_key = 'dma_mem';

function coherentFree(dev: device, size: number, vaddr: number): void {
  const region = dev.ext.get(dev_coherent_key) as DevCoherentOps | undefined;
  if (region && region.release(dev, size, vaddr)) return;
  const m = dev.machine;
  const off = m.virtToOff(vaddr);
  m.buddy.free(off / PAGE_SIZE, get_order(size));
}

/**
 * dma_alloc_attrs(): `size` bytes of zeroed coherent memory, contiguous in phys
 * and bus space, reachable under the coherent mask and the bus limit; the bus
 * address goes to `handle`. Returns the CPU address, or NULL (0). Like the kernel,
 * zone modifiers (__GFP_DMA, __GFP_DMA32) in `gfp` are ignored: the mask decides.
 * Differs: sizes above the largest buddy block (4 MiB) fail (no CMA here).
 */
export function dma_alloc_attrs(dev: device, size: number, handle: dma_addr_ref, gfp: gfp_t, attrs = 0): number {
  void attrs;
  if (!dev) return 0;
  WARN_ON_ONCE(dev.coherent_dma_mask === 0n, 'kernel/dma/mapping.c dma_alloc_attrs', `${dev.name}: WARN_ON_ONCE(!dev->coherent_dma_mask)`);
  if (!Number.isSafeInteger(size) || size <= 0) return 0;
  const region = dev.ext.get(dev_coherent_key) as DevCoherentOps | undefined;
  let vaddr: number;
  if (region) {
    const r = region.alloc(dev, size, handle);
    if (r === null) return 0;
    vaddr = r;
  } else {
    gfp &= ~(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM);
    const order = get_order(size);
    const m = dev.machine;
    const page = order > MAX_ORDER ? -1 : dma_direct_alloc_pages(dev, size, dma_limit(dev.coherent_dma_mask, dev.bus_dma_limit), gfp);
    if (page < 0) {
      if (!(gfp & __GFP_NOWARN)) {
        printk_level(KERN_WARNING, `dmashim: page allocation failure: order:${order}, mode:0x${gfp.toString(16)}`);
      }
      return 0;
    }
    const off = page * PAGE_SIZE;
    m.u8.fill(0, off, off + Math.ceil(size / PAGE_SIZE) * PAGE_SIZE);
    handle.value = phys_to_dma(dev, m.offToPhys(off));
    vaddr = m.offToVirt(off);
  }
  debug_add_entry({
    dev,
    type: dma_debug_coherent,
    dev_addr: handle.value,
    size,
    cpu: vaddr,
    direction: 0,
    sg_call_ents: 0,
    sg_mapped_ents: 0,
    map_err_type: 0,
    site: '',
  });
  return vaddr;
}

/** dma_alloc_coherent(): dma_alloc_attrs with no attributes. Context: process, or atomic with GFP_ATOMIC. */
export function dma_alloc_coherent(dev: device, size: number, handle: dma_addr_ref, gfp: gfp_t): number {
  return dma_alloc_attrs(dev, size, handle, gfp, 0);
}

/**
 * dma_free_attrs(): free coherent memory. NULL cpu_addr is a no-op. Beyond the
 * kernel, a free that dma-debug finds wrong (unknown handle, different size, CPU
 * address or type) is reported with dma-debug's text and frees NOTHING, so a
 * driver bug never corrupts the page allocator.
 */
export function dma_free_attrs(dev: device, size: number, cpu_addr: number, dma_handle: dma_addr_t, attrs = 0): void {
  void attrs;
  if (!dev || !cpu_addr) return;
  const e = debug_find_entry(dev, dma_handle);
  if (!e) {
    dma_debug_err(dev, `device driver tries to free DMA memory it has not allocated [device address=${fmt_0x016llx(dma_handle)}] [size=${size} bytes]`);
    return;
  }
  if (e.size !== size) {
    dma_debug_err(
      dev,
      `device driver frees DMA memory with different size [device address=${fmt_0x016llx(dma_handle)}] [map size=${e.size} bytes] [unmap size=${size} bytes]`,
    );
    return;
  }
  if (e.type !== dma_debug_coherent) {
    dma_debug_err(
      dev,
      `device driver frees DMA memory with wrong function [device address=${fmt_0x016llx(dma_handle)}] [size=${size} bytes] [mapped as ${type2name[e.type]}] [unmapped as coherent]`,
    );
    return;
  }
  if (e.cpu !== cpu_addr) {
    dma_debug_err(
      dev,
      `device driver frees DMA memory with different CPU address [device address=${fmt_0x016llx(dma_handle)}] [size=${size} bytes] [cpu alloc address=0x${fmt_p(e.cpu)}] [cpu free address=0x${fmt_p(cpu_addr)}]`,
    );
    return;
  }
  debug_remove_entry(e);
  coherentFree(dev, size, cpu_addr);
}

/** dma_free_coherent(): dma_free_attrs with no attributes. Context: IRQs enabled. */
export function dma_free_coherent(dev: device, size: number, cpu_addr: number, dma_handle: dma_addr_t): void {
  dma_free_attrs(dev, size, cpu_addr, dma_handle, 0);
}

interface dmam_coherent {
  vaddr: number;
  dma: number;
  size: number;
}
const DMAM_RELEASE = 'dmam_release';

/** dmam_alloc_coherent(): managed dma_alloc_coherent, freed at device_unregister. */
export function dmam_alloc_coherent(dev: device, size: number, handle: dma_addr_ref, gfp: gfp_t): number {
  const vaddr = dma_alloc_coherent(dev, size, handle, gfp);
  if (!vaddr) return 0;
  const dr: dmam_coherent = { vaddr, dma: handle.value, size };
  devres_add(dev, { name: DMAM_RELEASE, data: dr, release: (d) => dma_free_coherent(d, dr.size, dr.vaddr, dr.dma) });
  return vaddr;
}

/** dmam_free_coherent(): free a managed buffer now; WARNs when it was not managed (and then frees nothing). */
export function dmam_free_coherent(dev: device, size: number, vaddr: number, dma_handle: dma_addr_t): void {
  let found: dmam_coherent | null = null;
  for (const r of dev.devres_head) {
    const d = r.data as dmam_coherent;
    if (r.name === DMAM_RELEASE && d.vaddr === vaddr && d.dma === dma_handle && d.size === size) found = d;
  }
  if (WARN_ON(found === null, 'kernel/dma/mapping.c dmam_free_coherent', 'WARN_ON(devres_destroy(dev, dmam_release, dmam_match, &match_data))')) return;
  if (devres_find(dev, DMAM_RELEASE, found)) devres_release(dev, DMAM_RELEASE, found);
}

/*
 * The device's side of DMA (no kernel counterpart): a test or a device model
 * plays the hardware and reads or writes bytes at a bus address, exactly where a
 * real device's bus master would land:
 *  - behind the simulated IOMMU, through its page table (an unmapped IOVA, or a
 *    write through a TO_DEVICE mapping, is an IOMMU fault, reported as DMAR does);
 *  - in the device's declared coherent region, at its CPU-side memory;
 *  - else at phys = bus - dma_offset: for a bounced mapping that is the swiotlb
 *    slot, so the CPU sees the data only after dma_sync_*_for_cpu or unmap.
 *
 * Every access is also checked against what the driver made live for this
 * device (coherent allocations, which include dma_pool pages, and streaming
 * mappings, as tracked by dma-debug), and against the device's DMA mask and bus
 * limit. An access outside all of them (stray DMA, DMA after unmap, after free)
 * is reported at once with what was there last and DOES NOT HAPPEN: a write does
 * not land, a read returns null. Only a device write into a DMA_TO_DEVICE
 * mapping without an IOMMU is reported and still lands (no hardware stops it).
 */
import { type device, dev_check, dev_prefix } from '../drivers/base/core.ts';
import { printk_level, KERN_ERR } from '../kernel/printk.ts';
import { PAGE_SIZE } from '../mm/page_alloc.ts';
import { EFAULT, EIO } from '../include/linux/errno.ts';
import { DMA_TO_DEVICE } from '../include/linux/dma-direction.ts';
import {
  debug_find_contain,
  debug_recently_removed,
  dir2name,
  type2name,
  type dma_debug_entry,
} from '../kernel/dma/debug.ts';
import { fmt_pad as fmt_dma } from '../lib/vsprintf.ts';
import { invalidOption } from '../lib/errors.ts';
import { iommu_get_domain_for_dev, iommu_translate } from '../drivers/iommu/iommu.ts';
import { dev_coherent_mem } from '../kernel/dma/coherent.ts';
import { dma_limit } from '../kernel/dma/direct.ts';

const errors = new WeakMap<device, number>();

/** How many device-side accesses of `dev` were reported (our API, for tests). */
export function device_dma_error_count(dev: device): number {
  dev_check(dev, 'device_dma_error_count');
  return errors.get(dev) ?? 0;
}

function report(dev: device, msg: string, e?: dma_debug_entry): void {
  errors.set(dev, (errors.get(dev) ?? 0) + 1);
  printk_level(KERN_ERR, `dmashim: ${dev_prefix(dev)}${msg}` + (e?.site ? `\nMapped at:\n ${e.site}` : ''));
}

function describe(e: dma_debug_entry): string {
  return `[${e.type === 3 ? 'allocated' : 'mapped'} as ${type2name[e.type]}] [device address=${fmt_dma(e.dev_addr)}] [size=${e.size} bytes] [mapped with ${dir2name[e.direction]}]`;
}

/* The device can drive address bits up to the larger of its masks, cut by the bus. */
function reachable(dev: device, dma: number, len: number): boolean {
  const mask = dev.dma_mask !== null && dev.dma_mask > dev.coherent_dma_mask ? dev.dma_mask : dev.coherent_dma_mask;
  return dma >= 0 && dma + len - 1 <= dma_limit(mask, dev.bus_dma_limit);
}

/* Every byte of [dma, dma+len) inside some live entry; else report and return false. */
function live(dev: device, dma: number, len: number, write: boolean): boolean {
  const end = dma + len;
  let pos = dma;
  let warnedRo = false;
  while (pos < end) {
    const e = debug_find_contain(dev, pos);
    if (!e) {
      const rw = write ? 'write' : 'read';
      const old = debug_recently_removed(dev, pos, end - pos);
      if (old)
        report(
          dev,
          `DMA ${rw} after ${old.gone === 2 ? 'free' : 'unmap'} at ${fmt_dma(pos)}+${end - pos}: ${describe(old)}; the access is dropped`,
          old,
        );
      else
        report(
          dev,
          `stray DMA ${rw} at ${fmt_dma(pos)}+${end - pos}: not inside any live mapping or allocation of the device; the access is dropped`,
        );
      return false;
    }
    if (write && e.direction === DMA_TO_DEVICE && !warnedRo) {
      warnedRo = true;
      report(dev, `device writes into a DMA_TO_DEVICE mapping at ${fmt_dma(pos)}: ${describe(e)}`, e);
    }
    pos = e.dev_addr + Math.max(e.size, 1);
  }
  return true;
}

/*
 * The access's own arguments, before anything is looked up or allocated: a bus
 * address is an unsigned integer (a fraction would be truncated somewhere, NaN
 * or a bigint has no bus address) and a length no more than the machine's RAM (a
 * device cannot move more in one access, and 2^31 bytes would be allocated for
 * the copy before being refused). Reported as any refused access is; false then.
 */
function valid_access(dev: device, dma: number, len: number, write: boolean): boolean {
  if (Number.isSafeInteger(dma) && dma >= 0 && Number.isSafeInteger(len) && len > 0 && len <= dev.machine.totalRam)
    return true;
  const rw = write ? 'write' : 'read';
  report(
    dev,
    Number.isSafeInteger(dma) && dma >= 0
      ? `DMA ${rw} at ${fmt_dma(dma)} with an invalid length ${String(len)} (a positive integer no larger than the machine's RAM, ${dev.machine.totalRam} bytes); the access is dropped`
      : `DMA ${rw} at ${String(dma)}: not a bus address (an unsigned integer); the access is dropped`,
  );
  return false;
}

/* Arena offsets of each page-piece of the access: [off, n] pairs; a negative errno after a report. */
function resolve(dev: device, dma: number, len: number, write: boolean): number[] | number {
  const m = dev.machine;
  const rw = write ? 'write' : 'read';
  if (!reachable(dev, dma, len)) {
    report(
      dev,
      `DMA ${rw} at ${fmt_dma(dma)}+${len} is beyond what the device can address (mask ${(dev.dma_mask ?? 0n).toString(16)}, coherent mask ${dev.coherent_dma_mask.toString(16)}, bus limit ${dev.bus_dma_limit.toString(16)}); the access is dropped`,
    );
    return -EFAULT;
  }
  const region = dev_coherent_mem(dev);
  const rphys = region ? region.dma_to_phys(dma) : -1;
  const dom = rphys < 0 ? iommu_get_domain_for_dev(dev) : null;
  let pages: number[] | null = null;
  if (dom) {
    pages = iommu_translate(dev, dom, dma, len, write);
    if (!pages) {
      errors.set(dev, (errors.get(dev) ?? 0) + 1);
      return -EFAULT;
    }
  }
  if (!live(dev, dma, len, write)) return -EFAULT;
  const out: number[] = [];
  if (pages) {
    let done = 0;
    for (let i = 0; i < pages.length; i++) {
      const inPage = i === 0 ? dma % PAGE_SIZE : 0;
      const n = Math.min(PAGE_SIZE - inPage, len - done);
      const off = m.physToOff(pages[i]! + inPage);
      if (off < 0) {
        report(
          dev,
          `DMA ${rw} at ${fmt_dma(dma + done)}: IOMMU maps it to phys ${fmt_dma(pages[i]! + inPage)}, which is not RAM; the access is dropped`,
        );
        return -EIO;
      }
      out.push(off, n);
      done += n;
    }
    return out;
  }
  const phys = rphys >= 0 ? rphys : dma - dev.dma_offset;
  // The device's own memory (an iomem window it declared): reachable as RAM is, within the window.
  const w = rphys >= 0 ? m.iomemAtPhys(phys, len) : undefined;
  if (w !== undefined) {
    out.push(w.arenaOff + (phys - w.phys), len);
    return out;
  }
  if (!m.physIsRam(phys, len)) {
    report(
      dev,
      `DMA ${rw} at ${fmt_dma(dma)}+${len}: phys ${fmt_dma(phys)} is not RAM (bus error); the access is dropped`,
    );
    return -EIO;
  }
  out.push(m.physToOff(phys), len);
  return out;
}

/**
 * The device reads `len` bytes at bus address `dma` (our API). Returns a copy of
 * the bytes, or null when the access was reported (IOMMU fault, stray, after
 * unmap/free, beyond the mask) and did not happen.
 */
export function device_dma_read(dev: device, dma: number, len: number): Uint8Array | null {
  dev_check(dev, 'device_dma_read');
  if (len === 0) return new Uint8Array(0);
  if (!valid_access(dev, dma, len, false)) return null;
  const r = resolve(dev, dma, len, false);
  if (typeof r === 'number') return null;
  const u8 = dev.machine.u8;
  const out = new Uint8Array(len);
  let done = 0;
  for (let i = 0; i < r.length; i += 2) {
    out.set(u8.subarray(r[i]!, r[i]! + r[i + 1]!), done);
    done += r[i + 1]!;
  }
  return out;
}

/* A plain array of bytes as a Uint8Array; a value that is no byte would be stored modulo 256 or as 0: refused. */
function bytes_of(bytes: readonly number[]): Uint8Array {
  if (!Array.isArray(bytes))
    invalidOption(`device_dma_write: bytes must be a Uint8Array or an array of numbers 0..255, got ${typeof bytes}`);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (!Number.isInteger(b) || (b as number) < 0 || (b as number) > 255)
      invalidOption(`device_dma_write: bytes[${i}] is ${String(b)}, not a byte (an integer 0..255)`);
  }
  return Uint8Array.from(bytes);
}

/**
 * The device writes `bytes` at bus address `dma` (our API). Returns 0, or
 * -EFAULT when the write was reported and did not land (IOMMU fault, stray, after
 * unmap/free, beyond the mask, a bus address that is no unsigned integer), -EIO
 * for a bus error (no RAM there). A NULL device throws DmashimError EFAULT.
 */
export function device_dma_write(dev: device, dma: number, bytes: Uint8Array | readonly number[]): number {
  dev_check(dev, 'device_dma_write');
  const src = bytes instanceof Uint8Array ? bytes : bytes_of(bytes);
  if (src.length === 0) return 0;
  if (!valid_access(dev, dma, src.length, true)) return -EFAULT;
  const r = resolve(dev, dma, src.length, true);
  if (typeof r === 'number') return r;
  const u8 = dev.machine.u8;
  let done = 0;
  for (let i = 0; i < r.length; i += 2) {
    u8.set(src.subarray(done, done + r[i + 1]!), r[i]!);
    done += r[i + 1]!;
  }
  return 0;
}

/**
 * Fill `len` bytes at `dma` with `value` as the device (our API); returns as
 * device_dma_write. The access is checked before any byte is written, and no
 * copy of `len` bytes is made.
 */
export function device_dma_fill(dev: device, dma: number, len: number, value: number): number {
  dev_check(dev, 'device_dma_fill');
  // (u8)value as the C side does, but a value that is no integer would be filled as 0: refused.
  if (!Number.isSafeInteger(value))
    invalidOption(`device_dma_fill: value ${String(value)} is not an integer (a byte, 0..255, as C's (u8)value)`);
  if (len === 0) return 0;
  if (!valid_access(dev, dma, len, true)) return -EFAULT;
  const r = resolve(dev, dma, len, true);
  if (typeof r === 'number') return r;
  const u8 = dev.machine.u8;
  for (let i = 0; i < r.length; i += 2) u8.fill(value & 0xff, r[i]!, r[i]! + r[i + 1]!);
  return 0;
}

/*
 * CPU access to the simulated machine's memory at a virtual address: the
 * kernel's accessors (readb..readq, writeb..writeq, memset, memcpy, memcmp) and
 * typed views. Little-endian, as x86. An address outside every machine's direct
 * map is a fault: the kernel would oops, we throw DmashimError('EFAULT').
 */
import { DmashimError } from '../../lib/errors.ts';
import { fmt_p } from '../../lib/vsprintf.ts';
import { machine_of, default_machine, type Machine } from './machine.ts';
import { pr_err } from '../../kernel/printk.ts';
import { WARN } from '../../kernel/panic.ts';

function fault(addr: number, len: number, what: string): never {
  throw new DmashimError(
    'EFAULT',
    `BUG: unable to handle page fault for address: ${Number.isFinite(addr) ? fmt_p(addr) : String(addr)} (${what} of ${len} bytes outside the machine's memory)`,
  );
}

/** Resolve [addr, addr+len) to its machine; throws on a fault. */
function at(addr: number, len: number, what: string): Machine {
  const m = machine_of(addr);
  if (m === undefined || !Number.isInteger(addr) || addr - m.vbase + len > m.arenaSize) fault(addr, len, what);
  return m;
}

export function readb(addr: number): number {
  const m = at(addr, 1, 'read');
  return m.u8[addr - m.vbase]!;
}
export function readw(addr: number): number {
  const m = at(addr, 2, 'read');
  return m.dv.getUint16(addr - m.vbase, true);
}
export function readl(addr: number): number {
  const m = at(addr, 4, 'read');
  return m.dv.getUint32(addr - m.vbase, true);
}
/** readq(): the 64-bit value as bigint (exact). */
export function readq(addr: number): bigint {
  const m = at(addr, 8, 'read');
  return m.dv.getBigUint64(addr - m.vbase, true);
}
export function writeb(val: number, addr: number): void {
  const m = at(addr, 1, 'write');
  m.u8[addr - m.vbase] = val;
}
export function writew(val: number, addr: number): void {
  const m = at(addr, 2, 'write');
  m.dv.setUint16(addr - m.vbase, val, true);
}
export function writel(val: number, addr: number): void {
  const m = at(addr, 4, 'write');
  m.dv.setUint32(addr - m.vbase, val >>> 0, true);
}
/** writeq(): a number (exact below 2^53) or a bigint. */
export function writeq(val: number | bigint, addr: number): void {
  const m = at(addr, 8, 'write');
  m.dv.setBigUint64(addr - m.vbase, BigInt.asUintN(64, typeof val === 'bigint' ? val : BigInt(val)), true);
}

/** memset(s, c, n); returns s. */
export function memset(s: number, c: number, n: number): number {
  if (n === 0) return s;
  const m = at(s, n, 'write');
  const o = s - m.vbase;
  m.u8.fill(c & 0xff, o, o + n);
  return s;
}

/** memcpy(dest, src, n); returns dest. Overlap is handled (as memmove). */
export function memcpy(dest: number, src: number, n: number): number {
  if (n === 0) return dest;
  const md = at(dest, n, 'write');
  const ms = at(src, n, 'read');
  const so = src - ms.vbase;
  if (md === ms) md.u8.copyWithin(dest - md.vbase, so, so + n);
  else md.u8.set(ms.u8.subarray(so, so + n), dest - md.vbase);
  return dest;
}

/** memcmp(a, b, n): <0, 0, >0. */
export function memcmp(a: number, b: number, n: number): number {
  const ma = at(a, n, 'read');
  const mb = at(b, n, 'read');
  const oa = a - ma.vbase;
  const ob = b - mb.vbase;
  for (let i = 0; i < n; i++) {
    const d = ma.u8[oa + i]! - mb.u8[ob + i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** A Uint8Array over [addr, addr+len) of machine memory: writes through it are writes to RAM. */
export function mem_bytes(addr: number, len: number): Uint8Array {
  const m = at(addr, len, 'view');
  const o = addr - m.vbase;
  return m.u8.subarray(o, o + len);
}

/** A DataView over [addr, addr+len) of machine memory (remember: little-endian, pass `true`). */
export function mem_view(addr: number, len: number): DataView {
  const m = at(addr, len, 'view');
  return new DataView(m.buffer, addr - m.vbase, len);
}

/* ---- device memory: memremap / ioremap of the machine's iomem windows ---- */

/** memremap() flags (include/linux/io.h). */
export const MEMREMAP_WB = 1;
export const MEMREMAP_WT = 2;
export const MEMREMAP_WC = 4;
export const MEMREMAP_ENC = 8;
export const MEMREMAP_DEC = 16;

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function valid_range(phys: number, size: number): boolean {
  return Number.isSafeInteger(phys) && phys >= 0 && Number.isSafeInteger(size) && size > 0;
}

/* RAM in [phys, phys+size): 0 none, 1 all of it (one bank), 2 part of it (the kernel's REGION_MIXED). */
function ram_in(m: Machine, phys: number, size: number): number {
  if (m.physIsRam(phys, size)) return 1;
  for (const b of m.banks) if (phys < b.start + b.size && b.start < phys + size) return 2;
  return 0;
}

/**
 * memremap(): a CPU address for [offset, offset+size). RAM with MEMREMAP_WB is
 * the direct map; device memory (one of the machine's iomem windows) with any
 * flag is the window's address. NULL (0) for no flags, a range that is part RAM
 * (the kernel's WARN "memremap attempted on mixed range"), RAM without WB
 * ("memremap attempted on ram"; the kernel WARNs once per site, we every time),
 * or memory that is neither RAM nor inside one
 * window (nothing backs it here; logged). Context: process. Differs: takes the
 * machine as an optional last argument.
 */
export function memremap(offset: number, size: number, flags: number, m: Machine = default_machine()): number {
  if (!valid_range(offset, size) || !Number.isInteger(flags) || !flags) return 0;
  const ram = ram_in(m, offset, size);
  if (ram === 2) {
    WARN('kernel/iomem.c memremap', `memremap attempted on mixed range ${hex(offset)} size: ${hex(size)}`);
    return 0;
  }
  if (ram === 1) {
    if (flags & MEMREMAP_WB) return m.offToVirt(m.physToOff(offset));
    WARN('kernel/iomem.c memremap', `memremap attempted on ram ${hex(offset)} size: ${hex(size)}`);
    return 0;
  }
  const v = m.iomemVirt(offset, size);
  if (v === 0) no_window('memremap', offset, size);
  return v;
}

function no_window(fn: string, phys: number, size: number): void {
  pr_err(
    `dmashim: ${fn}(${hex(phys)}, ${hex(size)}): no device memory there (neither RAM nor inside one iomem window ` +
      `of the machine: create_machine({ iomem }), dmashim run --iomem SIZE@PHYS); returning NULL`,
  );
}

/**
 * memunmap(): end a memremap(). Nothing to undo (windows stay mapped for the
 * machine's life); an address that memremap cannot have returned is logged.
 */
export function memunmap(addr: number): void {
  if (addr === 0) return;
  const m = machine_of(addr);
  if (m === undefined)
    pr_err(`dmashim: memunmap(${Number.isFinite(addr) ? fmt_p(addr) : String(addr)}): not a memremap() address`);
}

/**
 * ioremap(): a CPU address (`void __iomem *`) for device memory at [phys,
 * phys+size), inside one iomem window; the access functions (readl, writel,
 * memcpy_toio as memcpy) work on it. RAM is refused as the kernel refuses it
 * (WARN "ioremap on RAM at ..."), as is memory that is not inside one window:
 * NULL (0). Context: process. Differs: takes the machine as an optional last argument.
 */
export function ioremap(phys: number, size: number, m: Machine = default_machine()): number {
  if (!valid_range(phys, size)) return 0;
  if (ram_in(m, phys, size) !== 0) {
    WARN('arch/x86/mm/ioremap.c __ioremap_caller', `ioremap on RAM at ${hex(phys)} - ${hex(phys + size - 1)}`);
    return 0;
  }
  const v = m.iomemVirt(phys, size);
  if (v === 0) no_window('ioremap', phys, size);
  return v;
}

/** ioremap_wc(): ioremap() with write combining (the same here: the CPU has no caches to model). */
export function ioremap_wc(phys: number, size: number, m: Machine = default_machine()): number {
  return ioremap(phys, size, m);
}

/** iounmap(): end an ioremap(). An address outside every iomem window gets the kernel's WARN "iounmap: bad address". */
export function iounmap(addr: number): void {
  if (addr === 0) return;
  const m = typeof addr === 'number' ? machine_of(addr) : undefined;
  if (m === undefined || m.iomemAtVirt(addr) === undefined)
    WARN('arch/x86/mm/ioremap.c iounmap', `iounmap: bad address ${Number.isFinite(addr) ? fmt_p(addr) : String(addr)}`);
}

/* ---- port I/O and iomap cookies (x86's lib/iomap.c) ---- */

/* A port cookie is port + PIO_OFFSET; addresses from PIO_RESERVED up are MMIO. */
export const PIO_OFFSET = 0x10000;
export const PIO_MASK = 0xffff;
export const PIO_RESERVED = 0x40000;

/* The 64 KiB port space, plain memory shared by every machine (x86 has one); 3 spare bytes for inl(0xffff). */
const ports = new Uint8Array(PIO_MASK + 4);
const portView = new DataView(ports.buffer);
let badIoLeft = 10;

function bad_io_access(port: number, access: string): void {
  if (badIoLeft <= 0) return;
  badIoLeft--;
  WARN('lib/iomap.c bad_io_access', `Bad IO access at port 0x${port.toString(16)} (${access})`);
}

/** inb(): a byte of the simulated port space (plain memory a test fills with outb..outl, playing the device). */
export function inb(port: number): number {
  return ports[port & PIO_MASK]!;
}
/** inw(): 16 bits of the port space, little-endian. */
export function inw(port: number): number {
  return portView.getUint16(port & PIO_MASK, true);
}
/** inl(): 32 bits of the port space, little-endian. */
export function inl(port: number): number {
  return portView.getUint32(port & PIO_MASK, true);
}
/** outb(): write a byte of the port space. */
export function outb(val: number, port: number): void {
  ports[port & PIO_MASK] = val;
}
/** outw(): write 16 bits of the port space. */
export function outw(val: number, port: number): void {
  portView.setUint16(port & PIO_MASK, val, true);
}
/** outl(): write 32 bits of the port space. */
export function outl(val: number, port: number): void {
  portView.setUint32(port & PIO_MASK, val >>> 0, true);
}

/** ioport_map(): the cookie of ports [port, port+nr) for ioread*()/iowrite*(); NULL (0) beyond the 64 KiB space. */
export function ioport_map(port: number, nr: number): number {
  void nr;
  return Number.isInteger(port) && port >= 0 && port <= PIO_MASK ? port + PIO_OFFSET : 0;
}

/** ioport_unmap(): nothing to undo. */
export function ioport_unmap(addr: number): void {
  void addr;
}

/* lib/iomap.c's IO_COND: 0 MMIO, 1 a port cookie, 2 a bad access (NULL, a low address). */
function io_kind(addr: number): number {
  if (addr >= PIO_RESERVED) return 0;
  return addr > PIO_OFFSET ? 1 : 2;
}

/**
 * ioread8/16/32(): read an iomap cookie: MMIO (readb..readl) from 0x40000 up,
 * port I/O for a port cookie (ioport_map, pci_iomap of an I/O BAR), else the
 * kernel's WARN "Bad IO access at port ..." (ten at most) and all ones.
 */
export function ioread8(addr: number): number {
  const k = io_kind(addr);
  if (k === 0) return readb(addr);
  if (k === 1) return inb(addr);
  bad_io_access(addr, 'return inb(port)');
  return 0xff;
}
/** ioread16(): as ioread8, 16 bits. */
export function ioread16(addr: number): number {
  const k = io_kind(addr);
  if (k === 0) return readw(addr);
  if (k === 1) return inw(addr);
  bad_io_access(addr, 'return inw(port)');
  return 0xffff;
}
/** ioread32(): as ioread8, 32 bits. */
export function ioread32(addr: number): number {
  const k = io_kind(addr);
  if (k === 0) return readl(addr);
  if (k === 1) return inl(addr);
  bad_io_access(addr, 'return inl(port)');
  return 0xffffffff;
}
/** iowrite8(): write an iomap cookie (MMIO, port I/O, or the kernel's WARN and nothing). */
export function iowrite8(val: number, addr: number): void {
  const k = io_kind(addr);
  if (k === 0) writeb(val, addr);
  else if (k === 1) outb(val, addr);
  else bad_io_access(addr, 'outb(val,port)');
}
/** iowrite16(): as iowrite8, 16 bits. */
export function iowrite16(val: number, addr: number): void {
  const k = io_kind(addr);
  if (k === 0) writew(val, addr);
  else if (k === 1) outw(val, addr);
  else bad_io_access(addr, 'outw(val,port)');
}
/** iowrite32(): as iowrite8, 32 bits. */
export function iowrite32(val: number, addr: number): void {
  const k = io_kind(addr);
  if (k === 0) writel(val, addr);
  else if (k === 1) outl(val, addr);
  else bad_io_access(addr, 'outl(val,port)');
}

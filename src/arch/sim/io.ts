/*
 * CPU access to the simulated machine's memory at a virtual address: the
 * kernel's accessors (readb..readq, writeb..writeq, memset, memcpy, memcmp) and
 * typed views. Little-endian, as x86. An address outside every machine's direct
 * map is a fault: the kernel would oops, we throw DmashimError('EFAULT').
 */
import { DmashimError } from '../../lib/errors.ts';
import { fmt_p } from '../../lib/vsprintf.ts';
import { machine_of, type Machine } from './machine.ts';

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

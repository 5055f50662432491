/*
 * The few printk conversions our messages need, producing what the kernel prints
 * (with no_hash_pointers: a driver author wants the real address, not a hash).
 */
import { DMA_MAPPING_ERROR } from '../include/linux/dma-mapping.ts';

const HEX16 = '0000000000000000';

const U64 = (1n << 64n) - 1n;

/*
 * Hex digits of a value as C holds it in a 64-bit unsigned type: a negative
 * integer (which a TypeScript caller can pass where C has a pointer, dma_addr_t or
 * unsigned long) prints as its two's complement, as the kernel would show it.
 * Other values (fractions, NaN) have no C counterpart and print as they are, so
 * a report never makes a bad argument look like a good one.
 */
function hex64(v: number | bigint): string {
  if (typeof v === 'bigint') return (v & U64).toString(16);
  if (typeof v !== 'number') return String(v);
  if (v < 0 && Number.isInteger(v)) return (BigInt(v) & U64).toString(16);
  return v.toString(16);
}

/** `%p`: 16 hex digits, zero padded, no 0x (64-bit kernel). */
export function fmt_p(addr: number): string {
  const h = hex64(addr);
  return h.length >= 16 ? h : HEX16.slice(h.length) + h;
}

/**
 * `%pad`, and dma-debug's `0x%016llx` of a dma_addr_t: 0x and 16 zero-padded hex
 * digits. DMA_MAPPING_ERROR, which holds the double 2^64, prints as the kernel's
 * ~(dma_addr_t)0: 0xffffffffffffffff.
 */
export function fmt_pad(dma: number): string {
  return dma === DMA_MAPPING_ERROR ? '0xffffffffffffffff' : '0x' + fmt_p(dma);
}

/** `%lx` / `%llx`: plain lower-case hex. */
export function fmt_lx(v: number | bigint): string {
  return hex64(v);
}

/** Bytes of `s` in UTF-8 (a C string's strlen). */
export function utf8_len(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      n += 4; // a surrogate pair is one 4-byte character
      i++;
    } else n += 3;
  }
  return n;
}

/** `%-Ns`: left-justified in a field of N bytes (the kernel counts bytes, not characters). */
export function pad_right(s: string, n: number): string {
  const len = utf8_len(s);
  return len >= n ? s : s + ' '.repeat(n - len);
}

/**
 * strscpy into a char[size]: the text up to the first NUL, cut to at most
 * size - 1 bytes of UTF-8. Where the kernel would keep the first bytes of a
 * character that does not fit (an invalid sequence a JS string cannot hold), we
 * drop the whole character.
 */
export function c_strscpy(s: string, size: number): string {
  const nul = s.indexOf('\0');
  if (nul >= 0) s = s.slice(0, nul);
  if (utf8_len(s) < size) return s;
  let bytes = 0;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    const pair = c >= 0xd800 && c < 0xdc00 && i + 1 < s.length;
    const w = c < 0x80 ? 1 : c < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes + w > size - 1) break;
    bytes += w;
    i += pair ? 2 : 1;
  }
  return s.slice(0, i);
}

/** `%Nzu` / `%Nu`: right-justified in a field of N. */
export function pad_left(s: string | number, n: number): string {
  const t = String(s);
  return t.length >= n ? t : ' '.repeat(n - t.length) + t;
}

/**
 * print_hex_dump(level, "", DUMP_PREFIX_OFFSET, 16, 1, buf, len, true) as lines:
 * "%.8x: " offset, bytes as "xx " with the trailing space dropped, padded to the
 * ASCII column (rowsize*2 + rowsize/groupsize + 1 = 49), then printable ASCII or '.'.
 */
export function hex_dump_lines(bytes: Uint8Array, prefix = ''): string[] {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const row = bytes.subarray(i, Math.min(i + 16, bytes.length));
    let hex = '';
    let ascii = '';
    for (let j = 0; j < row.length; j++) {
      const c = row[j]!;
      hex += (c < 16 ? '0' : '') + c.toString(16) + (j + 1 < row.length ? ' ' : '');
      ascii += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
    }
    const off = i.toString(16);
    lines.push(prefix + '00000000'.slice(off.length) + off + ': ' + pad_right(hex, 49) + ascii);
  }
  return lines;
}

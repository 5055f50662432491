/*
 * The few printk conversions our messages need, producing what the kernel prints
 * (with no_hash_pointers: a driver author wants the real address, not a hash).
 */

const HEX16 = '0000000000000000';

/** `%p`: 16 hex digits, zero padded, no 0x (64-bit kernel). */
export function fmt_p(addr: number): string {
  const h = addr.toString(16);
  return h.length >= 16 ? h : HEX16.slice(h.length) + h;
}

/** `%pad` (a dma_addr_t): 0x and 16 zero-padded hex digits. */
export function fmt_pad(dma: number): string {
  return '0x' + fmt_p(dma);
}

/** `%lx` / `%llx`: plain lower-case hex. */
export function fmt_lx(v: number | bigint): string {
  return v.toString(16);
}

/** `%016llx` with a 0x in front, as dma-debug prints device addresses. */
export function fmt_0x016llx(v: number): string {
  return '0x' + fmt_p(v);
}

/** `%-Ns`: left-justified in a field of N. */
export function pad_right(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
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

/*
 * The model behind the all-allocator fuzz test: every live object with its
 * ranges in each address space, and the interval sets that refuse an overlap
 * the moment one appears (sorted arrays: O(log n) to find, small n to move).
 */

/** Address spaces: CPU virtual, physical, then one bus space per device. */
export const CPU = 0;
export const PHYS = 1;
export const BUS0 = 2;

export type Kind = 'pool' | 'coherent' | 'pages' | 'kmalloc' | 'vmalloc' | 'single' | 'page' | 'sg';

export interface Obj {
  id: number;
  kind: Kind;
  /** Device index, -1 for the page/slab/vmalloc allocators. */
  dev: number;
  /** CPU address and length of the bytes the object owns (for sg: the first buffer). */
  v: number;
  len: number;
  /** Bus address (pool block, coherent, single/page mapping). */
  dma: number;
  dir: number;
  order: number;
  /** Byte the CPU view must hold; -1 while a device write awaits a sync. */
  pat: number;
  /** Byte the device wrote and the CPU has not synced yet, or -1. */
  pending: number;
  /** Pool index for a pool block. */
  pool: number;
  /** sg: the buffers (CPU address, length) and the mapped count. */
  bufs: number[];
  nents: number;
  mapped: number;
  /** [space, start, len] triples, as inserted in the spaces. */
  ranges: number[];
}

/** One address space: disjoint half-open ranges, sorted by start. */
export class Space {
  readonly st: number[] = [];
  readonly en: number[] = [];
  readonly id: number[] = [];
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }

  /* First index whose start is >= x. */
  private lower(x: number): number {
    let lo = 0;
    let hi = this.st.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.st[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The id of a live range overlapping [start, start+len), or -1. */
  overlapping(start: number, len: number): number {
    const i = this.lower(start);
    if (i > 0 && this.en[i - 1]! > start) return this.id[i - 1]!;
    if (i < this.st.length && this.st[i]! < start + len) return this.id[i]!;
    return -1;
  }

  insert(start: number, len: number, id: number): void {
    const other = this.overlapping(start, len);
    if (other >= 0) {
      throw new Error(`${this.name}: object ${id} [0x${start.toString(16)}+${len}) overlaps live object ${other}`);
    }
    const i = this.lower(start);
    this.st.splice(i, 0, start);
    this.en.splice(i, 0, start + len);
    this.id.splice(i, 0, id);
  }

  remove(start: number, id: number): void {
    let i = this.lower(start);
    while (i < this.st.length && this.st[i] === start && this.id[i] !== id) i++;
    if (this.st[i] !== start || this.id[i] !== id) throw new Error(`${this.name}: object ${id} not found`);
    this.st.splice(i, 1);
    this.en.splice(i, 1);
    this.id.splice(i, 1);
  }

  get size(): number {
    return this.st.length;
  }
}

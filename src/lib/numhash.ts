/*
 * An open-addressing hash from an integer-valued double key (a bus or physical
 * address) to an int32 value, on typed arrays: no object per entry and no
 * allocation per insertion. dma-debug indexes its entries and active cachelines
 * with it (kernel/dma/debug.ts); the kernel's own tables are hlists in fixed
 * buckets (include/linux/hashtable.h).
 */

function hashKey(k: number, bits: number): number {
  /*
   * Keys are bus addresses. Fibonacci hashing of the 16-page group (high word and
   * offset in the page folded in) places consecutive groups in distinct 16-slot
   * blocks, and the page's place in its group picks the slot in the block: an sg
   * list or any run of page-strided mappings fills the table sequentially with
   * no collisions, instead of missing the cache on every entry at 64K entries,
   * while sparse keys still spread over the whole table.
   */
  const page = Math.floor(k / 4096);
  const lo = page | 0;
  const grp = (lo >>> 4) ^ Math.imul((page / 4294967296) | 0, 0x27d4eb2d) ^ Math.imul(k - page * 4096, 0x165667b1);
  return (Math.imul(grp, 0x9e3779b9) >>> (32 - bits)) ^ (lo & 15);
}

/*
 * Linear probing with backward-shift deletion (no tombstone slots, so probe
 * sequences never degrade under map/unmap churn), load kept at or below 1/2.
 * A Map of the same size costs an allocation per rehash step and per entry in
 * V8's OrderedHashMap, which is what made dma-debug superlinear at 64K entries.
 */
export class NumHash {
  keys: Float64Array;
  vals: Int32Array;
  mask: number;
  /** log2 of the capacity (at least 5, so the 16-slot blocks of hashKey fit). */
  bits: number;
  size = 0;
  constructor(cap = 32) {
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    this.bits = Math.log2(cap);
  }

  /** The slot holding `k`, or -1. */
  find(k: number): number {
    const r = this.probe(k);
    return r < 0 ? -1 : r;
  }

  get(k: number): number {
    const i = this.find(k);
    return i < 0 ? -1 : this.vals[i]!;
  }

  /**
   * The slot holding `k` (>= 0), or ~slot of the empty slot where it would go
   * (< 0): with insertAt, a lookup and an insert for one hash and one probe.
   */
  probe(k: number): number {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    for (let i = hashKey(k, this.bits) & mask; ; i = (i + 1) & mask) {
      if (vals[i] === -1) return ~i;
      if (keys[i] === k) return i;
    }
  }

  /**
   * Insert `k` (absent: `r` is what probe(k) returned, < 0) with value `v`: at
   * probe's empty slot, or, when the table must grow first, wherever the grown
   * table puts it.
   */
  insertAt(r: number, k: number, v: number): void {
    let i = ~r;
    if ((this.size + 1) * 2 > this.vals.length) {
      this.resize(this.vals.length * 2);
      i = ~this.probe(k);
    }
    this.keys[i] = k;
    this.vals[i] = v;
    this.size++;
  }

  /** Insert a key known to be absent. */
  add(k: number, v: number): void {
    this.insertAt(this.probe(k), k, v);
  }

  /** Make room for `n` more keys at once, so a large batch rehashes at most once. */
  reserve(n: number): void {
    let cap = this.vals.length;
    while ((this.size + n) * 2 > cap) cap *= 2;
    if (cap !== this.vals.length) this.resize(cap);
  }

  removeSlot(i: number): void {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    for (let j = (i + 1) & mask; vals[j] !== -1; j = (j + 1) & mask) {
      const h = hashKey(keys[j]!, this.bits) & mask;
      // Move j back into the hole unless its home lies cyclically in (i, j].
      if (i <= j ? h <= i || h > j : h <= i && h > j) {
        keys[i] = keys[j]!;
        vals[i] = vals[j]!;
        i = j;
      }
    }
    vals[i] = -1;
    this.size--;
  }

  private resize(cap: number): void {
    const ok = this.keys;
    const ov = this.vals;
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
    this.bits = Math.log2(cap);
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    const bits = this.bits;
    for (let j = 0; j < ov.length; j++) {
      const v = ov[j]!;
      if (v === -1) continue;
      let i = hashKey(ok[j]!, bits) & mask;
      while (vals[i] !== -1) i = (i + 1) & mask;
      keys[i] = ok[j]!;
      vals[i] = v;
    }
  }
}

/*
 * Typed struct views over machine memory with C layout rules (natural alignment,
 * tail padding to the struct's alignment), so a port reads like the C:
 *
 *   struct ehci_qh_hw { __le32 hw_next; __le32 hw_info1; ... __le32 hw_buf[5]; };
 *   const ehci_qh_hw = c_struct({ hw_next: 'u32', hw_info1: 'u32', hw_buf: ['u32', 5] });
 *   const qh = ehci_qh_hw.at(vaddr); qh.hw_next = 1; qh.hw_buf[2] = dma;
 *
 * Field types: u8 u16 u32 s8 s16 s32 (number), u64 s64 (bigint), dma_addr_t (a
 * 64-bit field read and written as a number), ptr (a 64-bit vaddr as a number),
 * a nested struct, or [type, count] for an array.
 */
import { invalidOption } from './errors.ts';
import { mem_view } from '../arch/sim/io.ts';

type Scalar = 'u8' | 'u16' | 'u32' | 's8' | 's16' | 's32' | 'u64' | 's64' | 'dma_addr_t' | 'ptr';
type FieldType = Scalar | CStruct<StructSpec> | readonly [Scalar | CStruct<StructSpec>, number];
export type StructSpec = { readonly [name: string]: FieldType };

type ScalarValue<T> = T extends 'u64' | 's64' ? bigint : number;
type FieldValue<T> = T extends readonly [infer E, number]
  ? E extends CStruct<infer S>
    ? Array<StructValue<S>>
    : Array<ScalarValue<E>>
  : T extends CStruct<infer S>
    ? StructValue<S>
    : ScalarValue<T>;
export type StructValue<S extends StructSpec> = { -readonly [K in keyof S]: FieldValue<S[K]> } & {
  readonly __addr: number;
};

const SCALAR: Record<Scalar, [size: number, align: number]> = {
  u8: [1, 1],
  s8: [1, 1],
  u16: [2, 2],
  s16: [2, 2],
  u32: [4, 4],
  s32: [4, 4],
  u64: [8, 8],
  s64: [8, 8],
  dma_addr_t: [8, 8],
  ptr: [8, 8],
};

function readScalar(dv: DataView, o: number, t: Scalar): number | bigint {
  switch (t) {
    case 'u8':
      return dv.getUint8(o);
    case 's8':
      return dv.getInt8(o);
    case 'u16':
      return dv.getUint16(o, true);
    case 's16':
      return dv.getInt16(o, true);
    case 'u32':
      return dv.getUint32(o, true);
    case 's32':
      return dv.getInt32(o, true);
    case 'u64':
      return dv.getBigUint64(o, true);
    case 's64':
      return dv.getBigInt64(o, true);
    case 'dma_addr_t':
    case 'ptr':
      return Number(dv.getBigUint64(o, true));
  }
}

function writeScalar(dv: DataView, o: number, t: Scalar, v: number | bigint): void {
  switch (t) {
    case 'u8':
    case 's8':
      dv.setUint8(o, Number(v) & 0xff);
      return;
    case 'u16':
    case 's16':
      dv.setUint16(o, Number(v) & 0xffff, true);
      return;
    case 'u32':
    case 's32':
      dv.setUint32(o, Number(v) >>> 0, true);
      return;
    default:
      dv.setBigUint64(o, BigInt.asUintN(64, BigInt(v)), true);
  }
}

export class CStruct<S extends StructSpec> {
  readonly size: number;
  readonly align: number;
  readonly offsets: { readonly [K in keyof S]: number };
  private readonly spec: S;

  constructor(spec: S) {
    this.spec = spec;
    let off = 0;
    let align = 1;
    const offsets: Record<string, number> = {};
    for (const [name, t] of Object.entries(spec)) {
      const [size, a] = CStruct.sizeAlign(t, name);
      off = Math.ceil(off / a) * a;
      offsets[name] = off;
      off += size;
      align = Math.max(align, a);
    }
    this.size = Math.ceil(off / align) * align;
    this.align = align;
    this.offsets = offsets as { [K in keyof S]: number };
  }

  private static sizeAlign(t: FieldType, name: string): [number, number] {
    if (t instanceof CStruct) return [t.size, t.align];
    if (Array.isArray(t)) {
      const [e, n] = t as readonly [Scalar | CStruct<StructSpec>, number];
      if (!Number.isInteger(n) || n < 0)
        invalidOption(`c_struct field ${name}: array length must be a non-negative integer`);
      const [s, a] = CStruct.sizeAlign(e, name);
      return [s * n, a];
    }
    const sa = SCALAR[t as Scalar];
    if (!sa) invalidOption(`c_struct field ${name}: unknown type ${String(t)}`);
    return sa;
  }

  /** offsetof(struct, field) */
  offsetof(field: keyof S): number {
    return this.offsets[field];
  }

  /** A view of the struct at `vaddr`; reads and writes go to machine memory. */
  at(vaddr: number): StructValue<S> {
    const dv = mem_view(vaddr, this.size);
    const obj: Record<string, unknown> = {};
    Object.defineProperty(obj, '__addr', { value: vaddr });
    for (const [name, t] of Object.entries(this.spec)) {
      const o = this.offsets[name]!;
      if (t instanceof CStruct) {
        Object.defineProperty(obj, name, { enumerable: true, get: () => t.at(vaddr + o) });
      } else if (Array.isArray(t)) {
        const [e, n] = t as readonly [Scalar | CStruct<StructSpec>, number];
        if (e instanceof CStruct) {
          Object.defineProperty(obj, name, {
            enumerable: true,
            get: () => Array.from({ length: n }, (_, i) => e.at(vaddr + o + i * e.size)),
          });
        } else {
          const es = SCALAR[e][0];
          Object.defineProperty(obj, name, {
            enumerable: true,
            get: () =>
              new Proxy([] as Array<number | bigint>, {
                get: (_t, p) => {
                  if (p === 'length') return n;
                  const i = typeof p === 'string' ? Number(p) : NaN;
                  return Number.isInteger(i) && i >= 0 && i < n ? readScalar(dv, o + i * es, e) : undefined;
                },
                set: (_t, p, v: number | bigint) => {
                  const i = typeof p === 'string' ? Number(p) : NaN;
                  if (!Number.isInteger(i) || i < 0 || i >= n)
                    invalidOption(`${name}[${String(p)}]: index out of range 0..${n - 1}`);
                  writeScalar(dv, o + i * es, e, v);
                  return true;
                },
              }),
          });
        }
      } else {
        const s = t as Scalar;
        Object.defineProperty(obj, name, {
          enumerable: true,
          get: () => readScalar(dv, o, s),
          set: (v: number | bigint) => writeScalar(dv, o, s, v),
        });
      }
    }
    return Object.seal(obj) as StructValue<S>;
  }
}

/** Define a C struct layout. */
export function c_struct<S extends StructSpec>(spec: S): CStruct<S> {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    invalidOption(`c_struct: the spec must be an object of fields ({ name: 'u32', ... }), got ${String(spec)}`);
  return new CStruct(spec);
}

/** sizeof(struct) */
export function sizeof(s: CStruct<StructSpec>): number {
  return s.size;
}

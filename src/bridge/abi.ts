/*
 * The bridge ABI, TypeScript side. Nothing is written out here: the version,
 * the ops table (koffi prototypes in struct order), the sizes and the op codes
 * are read from include/dmashim/abi.h, the one definition both sides derive
 * from, when this module loads (a few kilobytes of text, about a
 * millisecond). The C side checks the version and the number of ops again at
 * start-up; test/bridge/abi.test.ts checks that the C compiler reads the file
 * as we do.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One entry of DMASHIM_OPS. */
export interface AbiOp {
  name: string;
  /** C return type. */
  ret: string;
  /** C argument types, without names ([] for `(void)`). */
  args: string[];
  /** The koffi prototype: "int32_t dev_new(double addr, int32_t is_pci)". */
  proto: string;
}

export interface Abi {
  ops: AbiOp[];
  /** Every `#define NAME <integer>` of the file. */
  constants: Map<string, number>;
}

/*
 * The two forms dmashim/abi.h keeps to (see its header): integer defines, and
 * the OP(...) rows of DMASHIM_OPS. Anything in DMASHIM_OPS that is not a row
 * is an error, so a row the reader cannot parse is never skipped silently.
 */
export function parse_abi(text: string): Abi {
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .split(/\r?\n/);
  const constants = new Map<string, number>();
  let opsBody: string | null = null;
  for (const line of lines) {
    const m = /^\s*#\s*define\s+(\w+)(\([^)]*\))?\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const name = m[1]!;
    if (name === 'DMASHIM_OPS') {
      opsBody = m[3]!;
      continue;
    }
    if (m[2] !== undefined) continue;
    const v = /^\(?\s*(-?)\s*(0x[0-9a-fA-F]+|\d+)[uU]?\s*\)?$/.exec(m[3]!);
    if (v) constants.set(name, (v[1] === '-' ? -1 : 1) * Number(v[2]!));
  }
  if (opsBody === null) throw new Error('dmashim/abi.h: no DMASHIM_OPS table');
  const ops: AbiOp[] = [];
  const row = /^\s*OP\(\s*([A-Za-z_][\w ]*?\**)\s*,\s*([A-Za-z_]\w*)\s*,\s*\(([^()]*)\)\s*\)/;
  let rest = opsBody;
  while (rest.trim() !== '') {
    const r = row.exec(rest);
    if (!r) throw new Error(`dmashim/abi.h: cannot read the DMASHIM_OPS row at "${rest.trim().slice(0, 60)}"`);
    const ret = r[1]!.replace(/\s+/g, ' ');
    const name = r[2]!;
    const argText = r[3]!.replace(/\s+/g, ' ').trim();
    const args = argText === 'void' ? [] : argText.split(',').map((a) => arg_type(a.trim(), name));
    ops.push({ name, ret, args, proto: `${ret} ${name}(${argText})` });
    rest = rest.slice(r[0].length);
  }
  return { ops, constants };
}

/* "const char *driver" -> "const char *"; every argument must be named, as koffi's prototypes want. */
function arg_type(arg: string, op: string): string {
  const m = /^(.*?)\s*\b([A-Za-z_]\w*)$/.exec(arg);
  if (!m || m[1] === '') throw new Error(`dmashim/abi.h: op ${op}: argument "${arg}" needs a type and a name`);
  return m[1]!.replace(/\s*\*\s*/g, ' *').trim();
}

/* include/ sits at the package root: two levels up from src/bridge/, three from dist/src/bridge/. */
function find_header(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const p = path.resolve(here, up, 'include', 'dmashim', 'abi.h');
    if (existsSync(p)) return p;
  }
  throw new Error(`cannot find include/dmashim/abi.h above ${here}`);
}

/** The file both sides derive from. */
export const ABI_HEADER = find_header();
export const ABI: Abi = parse_abi(readFileSync(ABI_HEADER, 'utf8'));

/** A `#define NAME <integer>` of dmashim/abi.h; a name the file lacks is an error at load time. */
export function abi_const(name: string): number {
  const v = ABI.constants.get(name);
  if (v === undefined) throw new Error(`${ABI_HEADER}: no integer #define ${name}`);
  return v;
}

/** Each family of op codes below: its C prefix and the names TypeScript knows. */
export const CODE_FAMILIES: Array<{ prefix: string; names: readonly string[] }> = [];

/* A family of op codes: { SUFFIX: value } for PREFIX + SUFFIX of each name. */
function codes<K extends string>(prefix: string, names: readonly K[]): Readonly<Record<K, number>> {
  const out = {} as Record<K, number>;
  for (const n of names) out[n] = abi_const(prefix + n);
  CODE_FAMILIES.push({ prefix, names });
  return Object.freeze(out);
}

export const DMASHIM_ABI_VERSION = abi_const('DMASHIM_ABI_VERSION');

/** Callback prototypes, in table order (the names are the struct members'). */
export const OPS_PROTOTYPES: readonly string[] = ABI.ops.map((o) => o.proto);

/** The member name of a prototype string ("int32_t dev_new(...)" -> "dev_new"). */
export function op_name(proto: string): string {
  const m = /([A-Za-z_][A-Za-z0-9_]*)\s*\(/.exec(proto);
  if (!m) throw new Error(`bad op prototype: ${proto}`);
  return m[1]!;
}

/** Words per scratch slot (uint64) and slots. */
export const SCRATCH_WORDS = abi_const('DMASHIM_SCRATCH_WORDS');
export const SCRATCH_SLOTS = abi_const('DMASHIM_SCRATCH_SLOTS');
export const STRBUF_SIZE = abi_const('DMASHIM_STRBUF_SIZE');
/* The fast area: a call block of FAST_WORDS doubles, then each scratch slot's batch records (DMASHIM_FAST_AREA_WORDS). */
export const FAST_WORDS = abi_const('DMASHIM_FAST_WORDS');
export const BATCH_MAX = abi_const('DMASHIM_BATCH_MAX');
export const BATCH_WORDS = 2 * BATCH_MAX;
export const FAST_AREA_WORDS = FAST_WORDS + BATCH_WORDS * SCRATCH_SLOTS;
export const POOL_CACHE_MAX = abi_const('DMASHIM_POOL_CACHE_MAX');
/* Device-side staging: one buffer per scratch slot, see the device_io ops. */
export const STAGE_SIZE = abi_const('DMASHIM_STAGE_SIZE');

/*
 * The op codes, by family (the C names are the prefix plus the key). A family
 * names every C define of its prefix (test/bridge/abi.test.ts).
 */
export const POOL_FLAG = codes('__DMASHIM_POOL_', ['MANAGED', 'POISON'] as const);
export const MASK_OP = codes('DMASHIM_MASK_', ['SET', 'SET_COHERENT', 'SUPPORTED', 'REQUIRED'] as const);
export const PRINTK_DEV = codes('DMASHIM_PRINTK_', ['NO_DEV', 'NULL_DEV'] as const);
export const ADDR_OP = codes('DMASHIM_ADDR_', ['VIRT_TO_PHYS', 'PHYS_TO_VIRT', 'KSIZE'] as const);
export const MAP_KIND = codes('__DMASHIM_MAP_', ['SINGLE', 'PAGE', 'NONCOHERENT', 'RESOURCE'] as const);
export const MAP_FLAG = codes('DMASHIM_MAP_', ['KIND_MASK', 'AREA_STACK', 'AREA_IMAGE'] as const);
export const SG_OP = codes('DMASHIM_SG_', [
  'MAP',
  'UNMAP',
  'SYNC_FOR_CPU',
  'SYNC_FOR_DEVICE',
  'DEBUG',
  'OP_MASK',
  'ENTS_SHIFT',
] as const);
export const TS_MEM_OP = codes('DMASHIM_TS_', ['READB', 'READL', 'WRITEB', 'WRITEL', 'FNV1A'] as const);
export const CACHE_OP = codes('DMASHIM_CACHE_', [
  'REFILL',
  'DRAIN',
  'BLOCK_SIZE',
  'MODE',
  'SITES',
  'FAULT',
  'OP_MASK',
  'SLOT_SHIFT',
] as const);
export const PCACHE_MODE = codes('DMASHIM_PCACHE_', ['POISON', 'SITES', 'OFF', 'FAULT', 'FAULT_ATOMIC'] as const);
/* Fast area words the pool cache shares with fault injection (see DMASHIM_PCACHE_FAULT). */
export const FAULT_BUDGET_WORD = abi_const('DMASHIM_FAULT_BUDGET_WORD');
export const FAULT_PENDING_WORD = abi_const('DMASHIM_FAULT_PENDING_WORD');
export const CTX_OP = codes('__DMASHIM_CTX_', [
  'PREEMPT_DISABLE',
  'PREEMPT_ENABLE',
  'IRQ_SAVE',
  'IRQ_RESTORE',
  'IRQ_DISABLE',
  'IRQ_ENABLE',
  'MIGHT_SLEEP',
  'IRQ_ENTER',
  'IRQ_EXIT',
  'QUERY',
  'MIGHT_ALLOC',
] as const);
export const DEVIO_OP = codes('DMASHIM_DEVIO_', [
  'READ',
  'READ_PIECE',
  'WRITE_PIECE',
  'WRITE',
  'FILL',
  'ERRORS',
  'OP_MASK',
  'SLOT_SHIFT',
] as const);
export const DMAAPI_OP = codes('DMASHIM_DMAAPI_', [
  'ALLOC_PAGES',
  'FREE_PAGES',
  'MAP_RESOURCE',
  'UNMAP_RESOURCE',
  'NEED_SYNC',
  'MMAP',
  'MMAP_PAGES',
  'VMA_USER',
  'VMA_MUNMAP',
  'SET_OPS',
  'DEBUG_MAP',
  'DEBUG_UNMAP',
  'DEBUG_SYNC',
  'DEBUG_ALLOC',
  'DEBUG_FREE',
] as const);
/* Device memory (the devmem op). */
export const DEVMEM_OP = codes('DMASHIM_DEVMEM_', [
  'MEMREMAP',
  'IOREMAP',
  'IOREMAP_WC',
  'MEMUNMAP',
  'IOUNMAP',
  'DECLARE',
  'RELEASE',
  'NOPAGE',
  'NO_WINDOW',
] as const);
export const NOPAGE_CALL = codes('DMASHIM_NOPAGE_', [
  'VIRT_TO_PAGE',
  'PAGE_ADDRESS',
  'SG_SET_BUF',
  'SG_SET_PAGE',
] as const);
/* The driver model (devmodel op). */
export const DM_OP = codes('DMASHIM_DM_', [
  'RELEASE',
  'KOBJ',
  'DEVRES_POP',
  'KMALLOC',
  'KFREE',
  'ADD_ACTION',
  'REMOVE_ACTION',
  'RELEASE_ACTION',
  'DEVRES_ALLOC',
  'DEVRES_ADD',
  'DEVRES_FREE',
] as const);

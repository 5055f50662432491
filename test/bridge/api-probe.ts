/*
 * The driver-facing API probe: for each name of driver-api-names.txt, a
 * one-line use compiled (-fsyntax-only) after including every dmashim header.
 * One compile for all the groups; when it fails, the compiler's error lines name
 * the missing uses, and a second compile without them confirms the rest (a
 * bisection settles it if the errors spread). Era members ("pre-2.6.24 member")
 * are probed under a kernel of their era.
 */
import { cc_check } from '../cc-check.ts';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './helpers.ts';
import { kernel_cflags, parse_kernel_version } from '../../src/include/linux/version.ts';

export interface ApiName {
  group: string;
  /** As listed ("scatterlist.page (pre-2.6.24 member)"). */
  name: string;
  /** f, s, t, e, h, m:STRUCT:MEMBER or x:MACRO. */
  kind: string;
  /** The kernel an era-only name is probed under (--kernel), or null. */
  kernel: string | null;
}

export const NAMES_FILE = path.join(ROOT, 'test', 'bridge', 'driver-api-names.txt');

/** The groups every name of which must be there (the DMA groups). */
export const DMA_GROUPS = [
  'dmapool.h',
  'dma-mapping.h',
  'dma-map-ops.h',
  'dma-direction.h',
  'scatterlist.h',
  'pci-dma-compat.h',
  'pci.h (DMA)',
  'devres',
];

/* "(pre-2.6.24 member)" -> 2.6.23; "(2.4 member)" -> 2.4.0. */
function era_of(name: string): string | null {
  const pre = /\(pre-(\d+)\.(\d+)\.(\d+) member\)/.exec(name);
  if (pre) return `${pre[1]}.${pre[2]}.${Number(pre[3]) - 1}`;
  const only = /\((\d+)\.(\d+) member\)/.exec(name);
  return only ? `${only[1]}.${only[2]}.0` : null;
}

export function read_names(file = NAMES_FILE): ApiName[] {
  const out: ApiName[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [group, name, kind] = line.split('|');
    if (group === undefined || name === undefined || kind === undefined) throw new Error(`bad line: ${line}`);
    out.push({ group, name, kind, kernel: era_of(name) });
  }
  return out;
}

/** Every header of include/linux and include/asm, as #include lines (config.h and asm/scatterlist.h are era-only). */
export function all_headers(kernel: string | null): string[] {
  const inc = path.join(ROOT, 'include');
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(inc, rel), { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (e.name.endsWith('.h')) out.push(r);
    }
  };
  walk('linux');
  walk('asm');
  const code = kernel === null ? null : parse_kernel_version(kernel);
  return out
    .filter((h) => {
      if (code === null) return true;
      if (h === 'linux/config.h') return code < parse_kernel_version('2.6.19');
      if (h === 'asm/scatterlist.h') return code < parse_kernel_version('4.3');
      return true;
    })
    .map((h) => `#include <${h}>`);
}

/* One use per name: lines of C, each name's on its own lines. */
function use_of(n: ApiName, i: number): string[] {
  const k = n.kind;
  if (k === 'f') {
    const id = n.name;
    // A macro is there when defined; anything else (function, variable, enumerator) has a size.
    return [`#ifndef ${id}`, `static unsigned long probe_${i}(void) { return sizeof(${id}); }`, '#endif'];
  }
  if (k === 's') return [`static unsigned long probe_${i}(void) { return sizeof(struct ${n.name}); }`];
  if (k === 't') return [`static unsigned long probe_${i}(void) { return sizeof(${n.name}); }`];
  if (k === 'e') return [`static unsigned long probe_${i}(void) { return sizeof(enum ${n.name}); }`];
  if (k.startsWith('m:')) {
    const [, st, member] = k.split(':');
    return [`static unsigned long probe_${i}(void) { return sizeof(((struct ${st} *)0)->${member}); }`];
  }
  if (k.startsWith('x:')) return [`#ifndef ${k.slice(2)}`, `#error "${k.slice(2)} not defined"`, '#endif'];
  if (k === 'h') return [`#include ${n.name}`];
  throw new Error(`unknown kind ${k} for ${n.name}`);
}

/* The translation unit: prologue, then each use, remembering which lines are whose. */
function unit(names: ApiName[], prologue: string[]): { text: string; owner: Map<number, number> } {
  const lines = [...prologue];
  const owner = new Map<number, number>();
  names.forEach((n, i) => {
    for (const l of use_of(n, i)) {
      lines.push(l);
      owner.set(lines.length, i);
    }
  });
  return { text: `${lines.join('\n')}\n`, owner };
}

function prologue_of(names: ApiName[], kernel: string | null): string[] {
  // x: names must come from slab.h + dma-mapping.h alone; h: names from their own #include.
  if (names.every((n) => n.kind.startsWith('x:'))) return ['#include <linux/slab.h>', '#include <linux/dma-mapping.h>'];
  if (names.every((n) => n.kind === 'h')) return [];
  return all_headers(kernel);
}

interface Compiled {
  ok: boolean;
  errorLines: Set<number>;
  output: string;
}

function compile(text: string, kernel: string | null, cc: string): Compiled {
  const flags = ['-std=gnu11', '-I', path.join(ROOT, 'include'), '-Werror=implicit-function-declaration'];
  if (kernel !== null) flags.push(...kernel_cflags(parse_kernel_version(kernel)));
  const r = cc_check(cc, [...flags, '-fsyntax-only', '-x', 'c', '-'], { input: text });
  const errorLines = new Set<number>();
  for (const m of r.stderr.matchAll(/^<stdin>:(\d+):(?:\d+:)? (?:fatal )?error:/gm)) errorLines.add(Number(m[1]));
  return { ok: r.status === 0, errorLines, output: r.stderr };
}

/* The names of `names` that do not compile, with as few compiles as it takes. */
function missing_in(names: ApiName[], kernel: string | null, cc: string): ApiName[] {
  if (names.length === 0) return [];
  const prologue = prologue_of(names, kernel);
  const u = unit(names, prologue);
  const r = compile(u.text, kernel, cc);
  if (r.ok) return [];
  if (names.length === 1) return names;
  const flagged = new Set<number>();
  for (const line of r.errorLines) {
    const i = u.owner.get(line);
    if (i !== undefined) flagged.add(i);
  }
  const rest = names.filter((_, i) => !flagged.has(i));
  if (flagged.size > 0 && rest.length < names.length) {
    const again = unit(rest, prologue);
    if (compile(again.text, kernel, cc).ok) return names.filter((_, i) => flagged.has(i));
  }
  // The errors were not where the uses are (the prologue, or one use spoiling others): bisect.
  if (r.errorLines.size > 0 && [...r.errorLines].every((l) => l <= prologue.length) && prologue.length > 0)
    throw new Error(`the headers themselves do not compile${kernel ? ` under --kernel ${kernel}` : ''}:\n${r.output}`);
  const mid = names.length >> 1;
  return [...missing_in(names.slice(0, mid), kernel, cc), ...missing_in(names.slice(mid), kernel, cc)];
}

export interface GroupResult {
  group: string;
  total: number;
  present: number;
  missing: string[];
}

/**
 * Probe every name, one compile per kind of prologue and kernel for all the
 * groups together (more only on failure), the results per group.
 */
export function probe(names: ApiName[], cc = process.env['CC'] ?? 'cc'): GroupResult[] {
  const batches = new Map<string, ApiName[]>();
  for (const n of names) {
    const key = `${n.kernel ?? ''}|${n.kind.startsWith('x:') ? 'x' : n.kind === 'h' ? 'h' : 'use'}`;
    batches.set(key, [...(batches.get(key) ?? []), n]);
  }
  const missing = new Set<ApiName>();
  for (const batch of batches.values()) for (const n of missing_in(batch, batch[0]?.kernel ?? null, cc)) missing.add(n);
  const groups = [...new Set(names.map((n) => n.group))];
  return groups.map((group) => {
    const of = names.filter((n) => n.group === group);
    const gone = of.filter((n) => missing.has(n)).map((n) => n.name);
    return { group, total: of.length, present: of.length - gone.length, missing: gone };
  });
}

/*
 * The errors of a compile of <stdin> made of functions `name`0, `name`1, ...,
 * function i starting at line first[i]: each function's error lines, read
 * from gcc's "In function 'nameN'" before an error, else from a line of
 * <stdin> in the error or its notes (clang). Null when an error is in none of
 * them (a header's #error, the code before the functions).
 */
export function errors_by_function(stderr: string, first: number[], name: string): Map<number, string> | null {
  const errors = new Map<number, string>();
  const of_line = (n: number): number => {
    for (let i = first.length - 1; i >= 0; i--) if (n >= (first[i] ?? 0)) return i;
    return -1;
  };
  const in_fn = new RegExp(`In function .${name}(\\d+).`);
  let fn = -1;
  let open: { fn: number; text: string; lines: number[] } | null = null;
  let unowned = false;
  const close = (): void => {
    if (open === null) return;
    const who = open.fn >= 0 ? open.fn : (open.lines.map(of_line).find((i) => i >= 0) ?? -1);
    if (who < 0) unowned = true;
    else errors.set(who, `${errors.get(who) ?? ''}${open.text}\n`);
    open = null;
  };
  for (const l of stderr.split('\n')) {
    const f = in_fn.exec(l);
    if (f || /In function |At top level:/.test(l)) {
      close();
      fn = f ? Number(f[1]) : -1;
      continue;
    }
    const at = /^<stdin>:(\d+):/.exec(l);
    if (/: (?:fatal )?error:/.test(l)) {
      close();
      open = { fn, text: l, lines: at ? [Number(at[1])] : [] };
    } else if (/: warning:/.test(l)) close();
    else if (open !== null && at) open.lines.push(Number(at[1]));
  }
  close();
  return unowned ? null : errors;
}

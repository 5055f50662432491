/*
 * The crash report: the raw record native/crash.c wrote when the C program died
 * by SIGSEGV, SIGBUS, SIGFPE or SIGABRT, resolved to functions and file:line
 * with addr2line (binutils) against the program's shared object, printed the
 * way the kernel prints an oops: a first line saying what happened, then the
 * call trace. Frames outside the program (libc, node, koffi) are not resolved:
 * each run of them is one line naming the objects.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { child_process } from './lazy.ts';

/** One frame of a crash's backtrace (`ended.backtrace` of the report), innermost first. */
export interface CrashFrame {
  /** The function; an inlined call is a frame of its own. null outside the program or when unresolved. */
  function: string | null;
  /** The source file, as given to `dmashim run` for the program's own sources. */
  file: string | null;
  line: number | null;
  /** The object the frame lies in, as loaded (the program's shared object, libc, node, ...). */
  object: string;
  /** The address within that object, hex: the faulting instruction for the first frame, else a return address. */
  offset: string;
  /** Whether the function was inlined into the frame below it. */
  inlined: boolean;
}

/** What crashed and where: the report's lines and the frames. */
export interface Crash {
  /** The oops-like text, lines without newlines. */
  lines: string[];
  backtrace: CrashFrame[];
}

interface RawFrame {
  addr: bigint;
  exact: boolean;
  base: bigint;
  object: string;
}

interface Raw {
  signo: number;
  code: number;
  fault: bigint;
  frames: RawFrame[];
}

function parse(text: string): Raw | null {
  let raw: Raw | null = null;
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f[0] === 'signal' && f.length === 5) {
      raw = { signo: Number(f[1]), code: Number(f[2]), fault: BigInt(f[3]!), frames: [] };
    } else if (f[0] === 'frame' && f.length >= 5 && raw) {
      // The path may hold spaces: it is the rest of the line.
      raw.frames.push({ addr: BigInt(f[1]!), exact: f[2] === '1', base: BigInt(f[3]!), object: f.slice(4).join(' ') });
    }
  }
  return raw;
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

const hex16 = (v: bigint): string => v.toString(16).padStart(16, '0');

/* The first line, as the kernel words the matching trap. */
function headline(signal: string, raw: Raw): string {
  switch (signal) {
    case 'SIGSEGV':
      return raw.fault < 4096n
        ? `BUG: kernel NULL pointer dereference, address: ${hex16(raw.fault)}`
        : `BUG: unable to handle page fault for address: ${hex16(raw.fault)}`;
    case 'SIGBUS':
      return `BUG: bus error for address: ${hex16(raw.fault)}`;
    case 'SIGFPE':
      // FPE_INTDIV and FPE_INTOVF: the x86 #DE trap, which the kernel calls a divide error.
      return raw.code === 1 || raw.code === 2 ? 'divide error: 0000' : `math error: SIGFPE si_code ${raw.code}`;
    case 'SIGABRT':
      return 'kernel BUG: abort() called';
    default:
      return `BUG: ${signal}`;
  }
}

interface Sym {
  start: bigint;
  size: bigint;
  name: string;
}

/* The program's functions with their sizes, for name+off/size; empty without nm. */
function symbols(so: string): Sym[] {
  const r = child_process().spawnSync('nm', ['-S', '--defined-only', so], { encoding: 'utf8' });
  if (r.status !== 0 || typeof r.stdout !== 'string') return [];
  const syms: Sym[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) [tTwW] (\S+)$/.exec(line);
    if (m) syms.push({ start: BigInt(`0x${m[1]}`), size: BigInt(`0x${m[2]}`), name: m[3]! });
  }
  return syms;
}

interface Resolved {
  function: string | null;
  file: string | null;
  line: number | null;
}

/*
 * addr2line -a prints each address, then one function/file:line pair per
 * inlined level, innermost first. null when addr2line cannot run.
 */
function addr2line(so: string, addrs: bigint[]): Resolved[][] | null {
  if (addrs.length === 0) return [];
  const r = child_process().spawnSync(
    'addr2line',
    ['-a', '-f', '-C', '-i', '-e', so, ...addrs.map((a) => `0x${a.toString(16)}`)],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0 || typeof r.stdout !== 'string') return null;
  const out: Resolved[][] = [];
  const lines = r.stdout.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (/^0x[0-9a-f]+$/.test(l)) {
      out.push([]);
      continue;
    }
    const where = lines[i + 1];
    if (out.length === 0 || where === undefined) continue;
    i++;
    const m = /^(.*):(\d+|\?)(?: \(discriminator \d+\))?$/.exec(where);
    const file = m && m[1] !== '??' ? m[1]! : null;
    const line = m && m[2] !== '?' ? Number(m[2]) : null;
    out[out.length - 1]!.push({ function: l === '??' ? null : l, file, line: line === 0 ? null : line });
  }
  return out.length === addrs.length ? out : null;
}

/**
 * Reads the crash record `record` (null when there is none or it is not of
 * `signal`, number `signo`) and resolves it against the program's shared object `so`.
 * `sources` are the C sources as given, `cwd` the directory they are relative
 * to: a resolved file that is one of them is named as given.
 */
export function crash_report(
  record: string,
  signal: string,
  signo: number,
  so: string,
  sources: string[],
  cwd: string,
): Crash | null {
  if (!existsSync(record)) return null;
  const raw = parse(readFileSync(record, 'utf8'));
  if (!raw || raw.signo !== signo) return null;
  const given = new Map<string, string>();
  for (const s of sources) given.set(real(path.resolve(cwd, s)), s);
  const named = (f: string): string => {
    const abs = path.resolve(cwd, f);
    return given.get(real(abs)) ?? f;
  };
  const soReal = real(so);
  const mine = raw.frames.map((f) => f.object === so || real(f.object) === soReal);
  // A return address points after the call: look up the call.
  const lookups = raw.frames.map((f) => f.addr - f.base - (f.exact ? 0n : 1n));
  const idx = raw.frames.flatMap((_, i) => (mine[i] ? [i] : []));
  const resolved = addr2line(
    so,
    idx.map((i) => lookups[i]!),
  );
  const syms = resolved ? symbols(so) : [];
  const lines = [headline(signal, raw), 'Call Trace:'];
  const backtrace: CrashFrame[] = [];
  let outside: string[] = [];
  let outsideCount = 0;
  const flushOutside = (): void => {
    if (outsideCount === 0) return;
    lines.push(
      ` ... ${outsideCount} frame${outsideCount === 1 ? '' : 's'} outside the program (${outside.join(', ')})`,
    );
    outside = [];
    outsideCount = 0;
  };
  raw.frames.forEach((f, i) => {
    const offset = `0x${(f.addr - f.base).toString(16)}`;
    const pos = idx.indexOf(i);
    if (pos < 0) {
      const name = path.basename(f.object);
      if (!outside.includes(name)) outside.push(name);
      outsideCount++;
      backtrace.push({ function: null, file: null, line: null, object: f.object, offset, inlined: false });
      return;
    }
    flushOutside();
    const levels = resolved?.[pos] ?? [];
    if (levels.length === 0) {
      lines.push(` ${path.basename(so)}+${offset}`);
      backtrace.push({ function: null, file: null, line: null, object: f.object, offset, inlined: false });
      return;
    }
    levels.forEach((r, level) => {
      const inlined = level < levels.length - 1;
      const file = r.file === null ? null : named(r.file);
      const where = file === null ? '' : ` (${file}:${r.line ?? '?'})`;
      let fn = r.function ?? '??';
      if (!inlined) {
        // The symbol holding the instruction (main.cold, give_up.isra.0 as the compiler split them), offset as called.
        const at = lookups[i]!;
        const s = syms.find((y) => at >= y.start && at < y.start + y.size);
        if (s) fn = `${s.name}+0x${(f.addr - f.base - s.start).toString(16)}/0x${s.size.toString(16)}`;
      }
      lines.push(` ${fn}${where}${inlined ? ' [inline]' : ''}`);
      backtrace.push({ function: r.function, file, line: r.line, object: f.object, offset, inlined });
    });
  });
  flushOutside();
  if (idx.length > 0 && !resolved)
    lines.push('(addr2line did not run: install binutils to resolve the frames to function and file:line)');
  if (raw.frames.length === 0) lines.push(' (no frames: the unwinder found none)');
  else if (idx.length === 0)
    lines.push('(no frame in the program: the crash is in the runner (node, koffi), not in C)');
  return { lines, backtrace };
}

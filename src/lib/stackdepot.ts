/*
 * lib/stackdepot.c, in spirit: where an allocation or mapping was made, captured
 * only while sites are switched on. TypeScript callers get the first stack frame
 * outside dmashim ("file:line:col" of the driver code); the C bridge passes its
 * call site (file:line) explicitly through set_c_site().
 */
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

const ourRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const compatRoot = path.resolve(ourRoot, '..', 'compat');

export const stackdepot = {
  /** Capture sites at all (the sanitizer's `sites` switch). */
  enabled: false,
  /** A site supplied by the C bridge for the call in progress, or ''. */
  c_site: '',
};

/** The bridge sets the C call site (file:line) for the duration of one API call. */
export function set_c_site(site: string): void {
  stackdepot.c_site = site;
}

function frameFile(line: string): string | null {
  const m = /\(?((?:file:\/\/)?[^()\s]+?):(\d+):(\d+)\)?\s*$/.exec(line);
  if (!m) return null;
  let f = m[1]!;
  if (f.startsWith('file://')) f = fileURLToPath(f);
  return f + ':' + m[2];
}

/* Whether a frame's file is dmashim's own (src/, compat/) or node's. */
function ours(file: string): boolean {
  return file.startsWith(ourRoot + path.sep) || file.startsWith(compatRoot + path.sep) || file.startsWith('node:');
}

/*
 * A formatted stack costs what the installed Error.prepareStackTrace costs:
 * under vitest (and any source-map support) every frame is mapped back to its
 * source, ~10x a plain stack, at every allocation while sites are on. The raw
 * frames (V8's CallSites, unformatted) say which frame is the first outside
 * dmashim and where it is in the code that runs; the formatted answer for that
 * place is always the same, so it is computed once per call site.
 */
const site_of_place = new Map<string, string>();
const rawFrames = (_e: Error, sites: NodeJS.CallSite[]): NodeJS.CallSite[] => sites;

function outside_place(): string | null {
  const saved = Error.prepareStackTrace;
  const holder: { stack?: unknown } = {};
  try {
    Error.prepareStackTrace = rawFrames;
    // Both views start at outside_frame's caller: the same frames within Error.stackTraceLimit.
    Error.captureStackTrace(holder, outside_frame);
    const sites = holder.stack;
    if (!Array.isArray(sites)) return null;
    for (const s of sites as NodeJS.CallSite[]) {
      let file = s.getFileName();
      if (!file) continue;
      if (file.startsWith('file://')) file = fileURLToPath(file);
      if (ours(file)) continue;
      return `${file}:${s.getLineNumber() ?? 0}:${s.getColumnNumber() ?? 0}`;
    }
    return '';
  } catch {
    return null;
  } finally {
    Error.prepareStackTrace = saved;
  }
}

/* The first stack frame outside dmashim's src/ and compat/ as "file:line", or ''. */
function outside_frame(): string {
  const place = outside_place();
  if (place === '') return '';
  // The site is relative to the working directory, which a program may change.
  const key = place === null ? null : `${process.cwd()}\0${place}`;
  if (key !== null) {
    const known = site_of_place.get(key);
    if (known !== undefined) return known;
  }
  const site = formatted_outside_frame();
  if (key !== null && site_of_place.size < 65536) site_of_place.set(key, site);
  return site;
}

function formatted_outside_frame(): string {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, outside_frame);
  const stack = holder.stack ?? '';
  const lines = stack.split('\n').slice(1);
  for (const l of lines) {
    const f = frameFile(l);
    if (!f) continue;
    const file = f.slice(0, f.lastIndexOf(':'));
    if (ours(file)) continue;
    return path.relative(process.cwd(), file) + f.slice(f.lastIndexOf(':'));
  }
  return '';
}

/**
 * Where a misuse being reported came from, whether sites are on or not (error
 * paths only: it walks the stack). '' for a call from C: the bridge adds its own
 * "fn() called from file:line" line after any report.
 */
export function report_site(): string {
  return stackdepot.c_site ? '' : outside_frame();
}

/**
 * The caller's site: the C site if the bridge set one, else the first stack frame
 * outside dmashim's src/ and compat/. '' when sites are off.
 */
export function capture_site(): string {
  if (!stackdepot.enabled) return '';
  if (stackdepot.c_site) return stackdepot.c_site;
  return outside_frame() || '(unknown)';
}

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

/* The first stack frame outside dmashim's src/ and compat/ as "file:line", or ''. */
function outside_frame(): string {
  const stack = new Error().stack ?? '';
  const lines = stack.split('\n').slice(1);
  for (const l of lines) {
    const f = frameFile(l);
    if (!f) continue;
    const file = f.slice(0, f.lastIndexOf(':'));
    if (file.startsWith(ourRoot + path.sep) || file.startsWith(compatRoot + path.sep) || file.startsWith('node:'))
      continue;
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

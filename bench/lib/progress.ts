/* The progress line on stderr: rewritten in place on a terminal, one line per step otherwise. */

const t0 = Date.now();
const tty = process.stderr.isTTY === true;
let lastLen = 0;
let lastSection = '';

export function progress(section: string, detail: string): void {
  const secs = ((Date.now() - t0) / 1000).toFixed(0).padStart(3);
  const line = `[bench ${secs}s] ${section}${detail ? ': ' + detail : ''}`;
  if (tty) {
    process.stderr.write('\r' + line.padEnd(lastLen) + '');
    lastLen = line.length;
  } else if (section !== lastSection || detail.endsWith('done')) {
    // Not a terminal (a log file, CI): one line per section, so logs stay short.
    process.stderr.write(line + '\n');
  }
  lastSection = section;
}

export function progressDone(): void {
  if (tty && lastLen) process.stderr.write('\r' + ' '.repeat(lastLen) + '\r');
  lastLen = 0;
}

export function elapsedSeconds(): number {
  return (Date.now() - t0) / 1000;
}

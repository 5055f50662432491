#!/usr/bin/env node
// Biome formats the TypeScript at 120 columns but never reads C; this holds include/, native/ and the test
// programs to the same limit, measured the way checkpatch does (tabs to the next multiple of 8).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX = 120;
const TAB = 8;
const root = fileURLToPath(new URL('..', import.meta.url));

/** Display width of one line: a tab advances to the next tab stop, anything else is one column. */
function columns(line) {
  let col = 0;
  for (const ch of line) col = ch === '\t' ? col + TAB - (col % TAB) : col + 1;
  return col;
}

const files = execFileSync('git', ['ls-files', '-z', '--', '*.c', '*.h'], { cwd: root, encoding: 'utf8' })
  .split('\0')
  .filter((f) => f !== '');

let bad = 0;
for (const file of files) {
  let text;
  try {
    text = readFileSync(join(root, file), 'utf8');
  } catch (err) {
    // Tracked but deleted in the working tree: nothing to measure.
    if (err.code === 'ENOENT') continue;
    throw err;
  }
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const n = columns(lines[i]);
    if (n > MAX) {
      console.log(`${file}:${i + 1}: ${n} columns (max ${MAX})`);
      bad++;
    }
  }
}
process.exit(bad > 0 ? 1 : 0);

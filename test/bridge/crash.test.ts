/*
 * A crash in the C program says where: the oops-like report with the backtrace
 * resolved to function and file:line, then the signal line, and the exit
 * status stays 128 + N. One run per signal; the SIGSEGV run also writes --report.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { RunReport } from '../../src/bridge/run.ts';
import { bridge_skip_reason, dmashim_run, mark_line } from './helpers.ts';

const skip = bridge_skip_reason();
const SRC = 'test/bridge/c/crash_where.c';
const dir = mkdtempSync(path.join(tmpdir(), 'dmashim-crash-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/* The report's lines between the first line and the signal line. */
function oops(stderr: string, first: string, signal: string): string[] {
  const lines = stderr.split('\n');
  const start = lines.indexOf(first);
  const end = lines.findIndex((l) => l.startsWith(`dmashim: ${SRC}: killed by signal ${signal} `));
  expect(start, stderr).toBeGreaterThanOrEqual(0);
  expect(end, stderr).toBeGreaterThan(start);
  expect(lines[start + 1]).toBe('Call Trace:');
  return lines.slice(start + 2, end);
}

/* A frame line: `name+0xoff/0xsize (file:line)`, the symbol being the function or a part the compiler split off. */
function frame(fn: string, mark: string): RegExp {
  return new RegExp(
    `^ ${fn}(\\.[a-z]+(\\.\\d+)?)*\\+0x[0-9a-f]+/0x[0-9a-f]+ \\(${SRC}:${mark_line('crash_where.c', mark)}\\)$`,
  );
}

describe('a crash in the C program', () => {
  test('SIGSEGV: a NULL pointer dereference names the helper and main with file:line; status 139', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const report = path.join(dir, 'segv.json');
    const r = dmashim_run(['crash_where.c'], ['--report', report], ['segv']);
    expect(r.stdout).toBe('crashing (segv)\n');
    const trace = oops(r.stderr, 'BUG: kernel NULL pointer dereference, address: 0000000000000000', 'SIGSEGV');
    expect(trace[0]).toMatch(frame('deref_null', 'segv'));
    expect(trace[1]).toMatch(frame('main', 'call-segv'));
    // What lies outside the program (koffi, node) is one line, not resolved.
    expect(trace[2]).toMatch(/^ \.\.\. \d+ frames? outside the program \(.*node.*\)$/);
    expect(r.status).toBe(139);
    const rep = JSON.parse(readFileSync(report, 'utf8')) as RunReport;
    expect(rep.ended.status).toBe(139);
    expect(rep.ended.signal).toBe('SIGSEGV');
    const mine = (rep.ended.backtrace ?? []).filter((f) => f.function !== null);
    expect(mine.map(({ function: fn, file, line }) => ({ function: fn, file, line }))).toEqual([
      { function: 'deref_null', file: SRC, line: mark_line('crash_where.c', 'segv') },
      { function: 'main', file: SRC, line: mark_line('crash_where.c', 'call-segv') },
    ]);
    expect(mine[0]!.inlined).toBe(false);
  });

  test('SIGFPE: an integer division by zero is a divide error in the helper; status 136', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['crash_where.c'], [], ['fpe']);
    const trace = oops(r.stderr, 'divide error: 0000', 'SIGFPE');
    expect(trace[0]).toMatch(frame('divide_by_zero', 'fpe'));
    expect(trace[1]).toMatch(frame('main', 'call-fpe'));
    expect(r.status).toBe(136);
  });

  test('SIGABRT: abort() shows libc collapsed, then the caller and main; status 134', (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const r = dmashim_run(['crash_where.c'], [], ['abort']);
    const trace = oops(r.stderr, 'kernel BUG: abort() called', 'SIGABRT');
    expect(trace[0]).toMatch(/^ \.\.\. \d+ frames? outside the program \(libc\.so\.6\)$/);
    expect(trace[1]).toMatch(frame('give_up', 'abort'));
    expect(trace[2]).toMatch(frame('main', 'call-abort'));
    expect(r.status).toBe(134);
  });
});

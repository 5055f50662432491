/*
 * The kernel log: a ring of records readable as dmesg(), mirrored to stderr
 * (the console) unless quieted. Tests read the ring; people read stderr.
 */
import { invalidOption } from '../lib/errors.ts';

export const KERN_EMERG = 0;
export const KERN_ALERT = 1;
export const KERN_CRIT = 2;
export const KERN_ERR = 3;
export const KERN_WARNING = 4;
export const KERN_NOTICE = 5;
export const KERN_INFO = 6;
export const KERN_DEBUG = 7;

export interface LogRecord {
  seq: number;
  level: number;
  text: string;
}

export interface LogOptions {
  /** Mirror records to stderr (the console). Default: true, unless DMASHIM_QUIET=1. */
  console?: boolean;
  /** Records with a level below this reach the console (kernel console_loglevel). Default 7. */
  console_loglevel?: number;
  /** Keep dev_dbg/pr_debug records (the kernel drops them unless DEBUG or dynamic debug). */
  debug?: boolean;
  /** How many records the ring keeps. Default 16384. */
  ring_size?: number;
  /** Where console output goes. Default: process.stderr. */
  sink?: (line: string) => void;
}

const state = {
  console: process.env['DMASHIM_QUIET'] !== '1',
  console_loglevel: 7,
  debug: false,
  ring_size: 16384,
  sink: (line: string): void => {
    process.stderr.write(line + '\n');
  },
  seq: 0,
  ring: [] as LogRecord[],
  listeners: [] as Array<(r: LogRecord) => void>,
};

/** Configure the log (our API). Returns the previous settings so a test can restore them. */
export function log_configure(opts: LogOptions): LogOptions {
  const prev: LogOptions = {
    console: state.console,
    console_loglevel: state.console_loglevel,
    debug: state.debug,
    ring_size: state.ring_size,
    sink: state.sink,
  };
  if (opts.ring_size !== undefined && (!Number.isInteger(opts.ring_size) || opts.ring_size < 1)) {
    invalidOption(`log ring_size must be a positive integer, got ${opts.ring_size}`);
  }
  if (opts.console !== undefined) state.console = opts.console;
  if (opts.console_loglevel !== undefined) state.console_loglevel = opts.console_loglevel;
  if (opts.debug !== undefined) state.debug = opts.debug;
  if (opts.ring_size !== undefined) state.ring_size = opts.ring_size;
  if (opts.sink !== undefined) state.sink = opts.sink;
  return prev;
}

/**
 * Subscribe to every record as it is logged (the bridge and the CLI use it).
 * Subscribers run in the order they subscribed, after the record is in the ring and on the console.
 */
export function log_subscribe(fn: (r: LogRecord) => void): () => void {
  state.listeners.push(fn);
  return () => {
    const i = state.listeners.indexOf(fn);
    if (i >= 0) state.listeners.splice(i, 1);
  };
}

/** Append one record (possibly several lines) at a level. */
export function printk_level(level: number, text: string): void {
  if (level === KERN_DEBUG && !state.debug) return;
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  for (const line of lines) {
    const rec: LogRecord = { seq: state.seq++, level, text: line };
    state.ring.push(rec);
    if (state.ring.length > state.ring_size) state.ring.splice(0, state.ring.length - state.ring_size);
    if (state.console && level < state.console_loglevel) state.sink(line);
    for (const l of state.listeners) l(rec);
  }
}

export const pr_emerg = (s: string): void => printk_level(KERN_EMERG, s);
export const pr_alert = (s: string): void => printk_level(KERN_ALERT, s);
export const pr_crit = (s: string): void => printk_level(KERN_CRIT, s);
export const pr_err = (s: string): void => printk_level(KERN_ERR, s);
export const pr_warn = (s: string): void => printk_level(KERN_WARNING, s);
export const pr_notice = (s: string): void => printk_level(KERN_NOTICE, s);
export const pr_info = (s: string): void => printk_level(KERN_INFO, s);
export const pr_debug = (s: string): void => printk_level(KERN_DEBUG, s);

/** printk: the kernel's default level for a message without one is KERN_WARNING. */
export function printk(s: string): void {
  printk_level(KERN_WARNING, s);
}

/** The whole ring as text, one record a line (like `dmesg` without timestamps). */
export function dmesg(): string {
  return state.ring.map((r) => r.text + '\n').join('');
}

/** The ring's records (level and sequence number included). */
export function dmesg_records(): readonly LogRecord[] {
  return state.ring;
}

/** Empty the ring (`dmesg -C`). */
export function dmesg_clear(): void {
  state.ring.length = 0;
}

/** Sequence number of the next record: take it before an action, then read what followed with dmesg_since. */
export function dmesg_mark(): number {
  return state.seq;
}

/** Text of the records logged at or after a mark. */
export function dmesg_since(mark: number): string {
  let out = '';
  for (const r of state.ring) if (r.seq >= mark) out += r.text + '\n';
  return out;
}

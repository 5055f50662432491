/*
 * kernel/panic.c: WARN and BUG. A WARN prints the kernel's "cut here" banner and
 * the place; BUG() in the kernel stops the machine, here it throws a DmashimError
 * (code EBUG) after logging, so a test sees it and nothing is corrupted.
 */
import { printk_level, KERN_WARNING, KERN_CRIT } from './printk.ts';
import { DmashimError } from '../lib/errors.ts';

const onceSeen = new Set<string>();

/** WARN(1, ...): always prints. `where` is "file function" as the kernel's WARNING line shows it. */
export function WARN(where: string, msg = ''): void {
  printk_level(KERN_WARNING, '------------[ cut here ]------------');
  printk_level(KERN_WARNING, `WARNING: at ${where}` + (msg ? '\n' + msg : ''));
}

/** WARN_ON(cond): prints when cond holds; returns cond, as the kernel macro does. */
export function WARN_ON(cond: boolean, where: string, msg = ''): boolean {
  if (cond) WARN(where, msg);
  return cond;
}

/** WARN_ON_ONCE(cond) keyed by `where`: prints the first time only. */
export function WARN_ON_ONCE(cond: boolean, where: string, msg = ''): boolean {
  if (cond && !onceSeen.has(where)) {
    onceSeen.add(where);
    WARN(where, msg);
  }
  return cond;
}

/** BUG(): logs "kernel BUG at ..." and throws (the kernel would oops). */
export function BUG(where: string, msg = ''): never {
  printk_level(KERN_CRIT, `kernel BUG at ${where}!` + (msg ? '\n' + msg : ''));
  throw new DmashimError('EBUG', `kernel BUG at ${where}` + (msg ? `: ${msg}` : ''));
}

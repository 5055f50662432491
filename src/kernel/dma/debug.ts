/*
 * kernel/dma/debug.c: dma-debug. Tracks every coherent allocation (and, with the
 * streaming API, every mapping) by device and bus address, and reports misuse
 * with the kernel's texts after a "DMA-API: " prefix.
 *
 * The tracking is always on: it is what lets a bad free "free nothing" instead of
 * corrupting the allocator. The switches (disable, all_errors, num_errors) only
 * govern what is printed, as the kernel's debugfs knobs do.
 */
import type { Machine } from '../../arch/sim/machine.ts';
import { dev_driver_string, type device } from '../../drivers/base/core.ts';
import { printk_level, KERN_WARNING } from '../printk.ts';

export const dma_debug_single = 0;
export const dma_debug_page = 1;
export const dma_debug_sg = 2;
export const dma_debug_coherent = 3;
export const dma_debug_resource = 4;
/** The kernel's type names, typo included ("scather-gather"), so grep finds them. */
export const type2name = ['single', 'page', 'scather-gather', 'coherent', 'resource'] as const;
export const dir2name = ['DMA_BIDIRECTIONAL', 'DMA_TO_DEVICE', 'DMA_FROM_DEVICE', 'DMA_NONE'] as const;

export interface dma_debug_entry {
  dev: device;
  type: number;
  dev_addr: number;
  size: number;
  /** CPU address (vaddr) of the buffer. */
  cpu: number;
  direction: number;
  sg_call_ents: number;
  sg_mapped_ents: number;
  /** 0 = not a streaming mapping, 1 = dma_mapping_error() not yet called, 2 = checked. */
  map_err_type: number;
  /** Where it was allocated or mapped, when sites are on. */
  site: string;
}

export interface DmaDebugState {
  entries: Map<string, dma_debug_entry>;
  error_count: number;
  /** Errors printed so far against num_errors. */
  printed: number;
  num_errors: number;
  all_errors: boolean;
  disabled: boolean;
  /** Only report for this driver name (dma_debug_driver=); '' = all. */
  driver_filter: string;
}

const states = new WeakMap<Machine, DmaDebugState>();

export function dma_debug_state(m: Machine): DmaDebugState {
  let s = states.get(m);
  if (!s) {
    s = { entries: new Map(), error_count: 0, printed: 0, num_errors: 1, all_errors: false, disabled: false, driver_filter: '' };
    states.set(m, s);
  }
  return s;
}

export function entry_key(dev: device, dev_addr: number): string {
  return dev.id + ':' + dev_addr;
}

/**
 * Report one dma-debug error: counted always; printed when enabled, when it passes
 * the driver filter, and while under num_errors (or all_errors). The text is the
 * kernel's "DMA-API: <driver> <device>: <message>".
 */
export function dma_debug_err(dev: device, msg: string, extra: readonly string[] = []): void {
  const s = dma_debug_state(dev.machine);
  if (s.disabled) return;
  if (s.driver_filter && dev.driver_name !== s.driver_filter) return;
  s.error_count++;
  if (!s.all_errors && s.printed >= s.num_errors) return;
  s.printed++;
  const drv = dev_driver_string(dev);
  const prefix = 'DMA-API: ' + (drv ? drv + ' ' : '') + dev.name + ': ';
  printk_level(KERN_WARNING, prefix + msg + (extra.length ? '\n' + extra.join('\n') : ''));
}

export function debug_add_entry(e: dma_debug_entry): void {
  dma_debug_state(e.dev.machine).entries.set(entry_key(e.dev, e.dev_addr), e);
}

export function debug_find_entry(dev: device, dev_addr: number): dma_debug_entry | undefined {
  return dma_debug_state(dev.machine).entries.get(entry_key(dev, dev_addr));
}

export function debug_remove_entry(e: dma_debug_entry): void {
  dma_debug_state(e.dev.machine).entries.delete(entry_key(e.dev, e.dev_addr));
}

/** The entries of one device still live. */
export function debug_entries_of(dev: device): dma_debug_entry[] {
  const out: dma_debug_entry[] = [];
  for (const e of dma_debug_state(dev.machine).entries.values()) if (e.dev === dev) out.push(e);
  return out;
}

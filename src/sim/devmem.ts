/*
 * The sanitizer's check for the broken assumption behind on-board device memory
 * (iomem windows of the machine, see arch/sim/machine.ts): a buffer there is
 * reachable by the CPU and by the device, but it is not RAM and has no struct
 * page. The kernel computes a pointer into the memory map for it anyway and the
 * driver crashes or corrupts something later; we report the call at once,
 * naming the window, and the caller does nothing harmful (see each caller).
 */
import type { Machine, IomemRegion } from '../arch/sim/machine.ts';
import { printk_level, KERN_ERR } from '../kernel/printk.ts';
import { report_site } from '../lib/stackdepot.ts';
import { fmt_p } from '../lib/vsprintf.ts';

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** "iomem window sram [mem 0x7f00000000-0x7f000fffff]" */
export function iomem_window_text(w: IomemRegion): string {
  return `iomem window ${w.name} [mem ${hex(w.phys)}-${hex(w.phys + w.size - 1)}]`;
}

/*
 * One report of `fn` used on device memory at physical address `phys` of
 * window `w`; `what` says what was passed, `result` what happens instead.
 */
function report(w: IomemRegion, fn: string, what: string, phys: number, result: string): void {
  const site = report_site();
  printk_level(
    KERN_ERR,
    `dmashim: ${fn}() of device memory: ${what} (phys ${hex(phys)}) is in ${iomem_window_text(w)}, ` +
      `which is not RAM and has no struct page; ${result}` +
      (site ? ` (called from ${site})` : ''),
  );
}

/**
 * Report `fn` given the CPU address `vaddr` if it lies in one of `m`'s iomem
 * windows; returns the window (the caller then does what `result` says) or
 * undefined (not device memory: carry on).
 */
export function devmem_check_virt(m: Machine, fn: string, vaddr: number, result: string): IomemRegion | undefined {
  const w = m.iomemAtVirt(vaddr);
  if (w !== undefined) report(w, fn, `address ${fmt_p(vaddr)}`, m.offToPhys(vaddr - m.vbase), result);
  return w;
}

/** As devmem_check_virt, for a physical address (what a struct page of device memory stands for). */
export function devmem_check_phys(
  m: Machine,
  fn: string,
  what: string,
  phys: number,
  result: string,
): IomemRegion | undefined {
  const w = m.iomemAtPhys(phys);
  if (w !== undefined) report(w, fn, what, phys, result);
  return w;
}

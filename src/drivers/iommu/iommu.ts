/*
 * drivers/iommu/iommu.c, simulated: a device may sit behind an IOMMU domain
 * (attach it with sim_iommu_attach, our API). Its bus addresses are then IOVAs
 * mapped by the domain's page table (IOVA pfn -> phys pfn with READ/WRITE
 * permissions); the device's DMA goes through the dma-iommu ops
 * (dma-iommu.ts), IOVAs come from iova.ts, and device accesses the page table
 * does not allow are IOMMU faults, reported as Intel's DMAR does and never landing.
 */
import type { Machine } from '../../arch/sim/machine.ts';
import { PAGE_SIZE } from '../../mm/page_alloc.ts';
import type { device } from '../base/core.ts';
import { printk_level, KERN_ERR } from '../../kernel/printk.ts';
import { DmashimError, invalidOption } from '../../lib/errors.ts';
import { IOMMU_READ, IOMMU_WRITE, IOMMU_FAULT_READ, IOMMU_FAULT_WRITE } from '../../include/linux/iommu.ts';
import { set_dma_ops } from '../../include/linux/dma-map-ops.ts';
import { debug_count_of } from '../../kernel/dma/debug.ts';
import { iommu_dma_ops } from './dma-iommu.ts';

export { IOMMU_READ, IOMMU_WRITE, IOMMU_FAULT_READ, IOMMU_FAULT_WRITE };

export type iommu_fault_handler_t = (
  domain: iommu_domain,
  dev: device,
  iova: number,
  flags: number,
  token: unknown,
) => number;

export interface iommu_fault_record {
  dev: device;
  iova: number;
  /** IOMMU_FAULT_READ or IOMMU_FAULT_WRITE */
  flags: number;
  /** "not present" or "permission" */
  reason: 'not-present' | 'permission';
}

export interface IommuOptions {
  /** Lowest IOVA handed out (default PAGE_SIZE: IOVA 0 is never used). */
  aperture_start?: number;
  /** Highest IOVA (inclusive); default 2^48 - 1 (a 48-bit address width). */
  aperture_end?: number;
  name?: string;
}

export class iommu_domain {
  readonly name: string;
  readonly machine: Machine;
  readonly aperture_start: number;
  readonly aperture_end: number;
  /** Next allocation lies below this page frame number. */
  top: number;
  /** freed ranges by length in pages (rcache) */
  readonly rcache: Map<number, number[]> = new Map();
  /** live IOVA allocations: start pfn -> length in pages */
  readonly allocs: Map<number, number> = new Map();
  /** page table: IOVA pfn -> phys pfn * 4 + prot */
  readonly pt: Map<number, number> = new Map();
  readonly devices: Set<device> = new Set();
  handler: iommu_fault_handler_t | null = null;
  handler_token: unknown = null;
  /** Every fault seen (our API, for tests). */
  readonly faults: iommu_fault_record[] = [];
  constructor(machine: Machine, opts: IommuOptions) {
    this.machine = machine;
    this.name = opts.name ?? 'sim-iommu';
    this.aperture_start = opts.aperture_start ?? PAGE_SIZE;
    this.aperture_end = opts.aperture_end ?? 2 ** 48 - 1;
    this.top = Math.floor((this.aperture_end + 1) / PAGE_SIZE);
  }
}

/**
 * Put a device behind a simulated IOMMU (our API). Pass a domain to share one
 * between devices, or options for a new one. The device's DMA then goes through
 * the dma-iommu ops (they replace any ops it had). Throws DmashimError when the
 * device already has a domain, has live DMA allocations or mappings (their bus
 * addresses would change under them), or on bad options.
 */
export function sim_iommu_attach(dev: device, domOrOpts: iommu_domain | IommuOptions = {}): iommu_domain {
  if (dev.iommu_domain) throw new DmashimError('EINVALOPT', `device ${dev.name}: already attached to an IOMMU domain`);
  const live = debug_count_of(dev);
  if (live > 0)
    throw new DmashimError(
      'EINVALOPT',
      `device ${dev.name}: cannot attach an IOMMU with ${live} live DMA allocations/mappings`,
    );
  let dom: iommu_domain;
  if (domOrOpts instanceof iommu_domain) {
    if (domOrOpts.machine !== dev.machine) invalidOption('an IOMMU domain can only hold devices of its machine');
    dom = domOrOpts;
  } else {
    if (domOrOpts === null || typeof domOrOpts !== 'object') invalidOption('IOMMU options must be an object');
    const s = domOrOpts.aperture_start ?? PAGE_SIZE;
    const e = domOrOpts.aperture_end ?? 2 ** 48 - 1;
    if (
      !Number.isSafeInteger(s) ||
      !Number.isSafeInteger(e) ||
      s < PAGE_SIZE ||
      s % PAGE_SIZE !== 0 ||
      e <= s ||
      (e + 1) % PAGE_SIZE !== 0
    ) {
      invalidOption(`IOMMU aperture must be page aligned, start >= ${PAGE_SIZE}, end + 1 a page multiple above start`);
    }
    dom = new iommu_domain(dev.machine, domOrOpts);
  }
  dom.devices.add(dev);
  dev.iommu_domain = dom;
  set_dma_ops(dev, iommu_dma_ops);
  return dom;
}

/**
 * Take a device off its IOMMU, back to the direct mapping (our API). Throws when
 * it still has live DMA allocations/mappings.
 */
export function sim_iommu_detach(dev: device): void {
  const dom = dev.iommu_domain;
  if (!dom) return;
  const live = debug_count_of(dev);
  if (live > 0)
    throw new DmashimError(
      'EINVALOPT',
      `device ${dev.name}: cannot detach the IOMMU with ${live} live DMA allocations/mappings`,
    );
  dom.devices.delete(dev);
  dev.iommu_domain = null;
  set_dma_ops(dev, null);
}

/** iommu_get_domain_for_dev(): the device's domain or null (direct mapping). */
export function iommu_get_domain_for_dev(dev: device): iommu_domain | null {
  return dev.iommu_domain;
}

/** iommu_set_fault_handler(): a handler returning 0 marks a fault handled (no DMAR line is printed). */
export function iommu_set_fault_handler(
  domain: iommu_domain,
  handler: iommu_fault_handler_t | null,
  token: unknown = null,
): void {
  domain.handler = handler;
  domain.handler_token = token;
}

/** iommu_iova_to_phys(): the physical address an IOVA maps to, or 0 when unmapped. */
export function iommu_iova_to_phys(domain: iommu_domain, iova: number): number {
  const e = domain.pt.get(Math.floor(iova / PAGE_SIZE));
  return e === undefined ? 0 : Math.floor(e / 4) * PAGE_SIZE + (iova % PAGE_SIZE);
}

/**
 * report_iommu_fault(): run the domain's handler; unless it returns 0, log the
 * fault as Intel's DMAR driver does, naming the device, the address and the access.
 */
export function report_iommu_fault(
  dom: iommu_domain,
  dev: device,
  iova: number,
  flags: number,
  reason: 'not-present' | 'permission',
): void {
  dom.faults.push({ dev, iova, flags, reason });
  const handled = dom.handler ? dom.handler(dom, dev, iova, flags, dom.handler_token) : -1;
  if (handled === 0) return;
  const write = flags & IOMMU_FAULT_WRITE;
  printk_level(
    KERN_ERR,
    `DMAR: [DMA ${write ? 'Write' : 'Read'} NO_PASID] Request device [${dev.name}] fault addr 0x${iova.toString(16)} [fault reason ${write ? '0x05] PTE Write' : '0x06] PTE Read'} access is not set`,
  );
}

/**
 * Translate a device access through the page table: the phys address of each
 * page of [iova, iova+len), or a fault (reported; returns null). Used by the
 * device side only.
 */
export function iommu_translate(
  dev: device,
  dom: iommu_domain,
  iova: number,
  len: number,
  write: boolean,
): number[] | null {
  const need = write ? IOMMU_WRITE : IOMMU_READ;
  const out: number[] = [];
  const lastPfn = Math.floor((iova + Math.max(len, 1) - 1) / PAGE_SIZE);
  for (let p = Math.floor(iova / PAGE_SIZE); p <= lastPfn; p++) {
    const e = dom.pt.get(p);
    if (e === undefined || !(e & need)) {
      const at = p === Math.floor(iova / PAGE_SIZE) ? iova : p * PAGE_SIZE;
      report_iommu_fault(
        dom,
        dev,
        at,
        write ? IOMMU_FAULT_WRITE : IOMMU_FAULT_READ,
        e === undefined ? 'not-present' : 'permission',
      );
      return null;
    }
    out.push(Math.floor(e / 4) * PAGE_SIZE);
  }
  return out;
}

/*
 * drivers/base/core.c: struct device, naming, registration, and the dev_printk
 * family with the kernel's "<driver> <device>: " prefix.
 */
import { default_machine, type Machine } from '../../arch/sim/machine.ts';
import {
  printk_level,
  KERN_ERR,
  KERN_WARNING,
  KERN_INFO,
  KERN_DEBUG,
  KERN_NOTICE,
  KERN_CRIT,
  KERN_ALERT,
  KERN_EMERG,
} from '../../kernel/printk.ts';
import { devres_release_all, type devres } from './devres.ts';
import { DmashimError } from '../../lib/errors.ts';
import type { dma_pool } from '../../mm/dmapool.ts';
import type { dma_map_ops } from '../../include/linux/dma-map-ops.ts';
import type { dma_coherent_mem } from '../../kernel/dma/coherent.ts';
import type { io_tlb_mem } from '../../kernel/dma/swiotlb.ts';
import type { DevDebug } from '../../kernel/dma/debug.ts';
import type { iommu_domain } from '../iommu/iommu.ts';

let nextDeviceId = 1;

/*
 * What other subsystems check when a device is unregistered, in the order they
 * were pushed at import: dma-debug's pending-allocation check (kernel/dma/
 * debug.ts, the kernel's bus notifier), then the sanitizer's pools left behind
 * (sim/sanitizer.ts, which imports debug.ts and so is evaluated after it).
 */
export const device_unregister_hooks: Array<(dev: device) => void> = [];

/** dev_dma_limit()'s cache: min(*dma_mask, bus_dma_limit) as a number, and the two values it was computed from. */
export interface dma_limit_cache {
  mask: bigint | null;
  bus: bigint;
  limit: number;
}

/** struct device_dma_parameters */
export interface device_dma_parameters {
  max_segment_size: number;
  segment_boundary_mask: number;
}

/**
 * struct device, with the fields the DMA layer uses. A new device is like the
 * kernel's zeroed static struct device: no name, no dma_mask (so dma_set_mask
 * returns -EIO until a mask exists: set `dev.dma_mask = 0n`, the port of
 * `dev.dma_mask = &dev.coherent_dma_mask`), coherent_dma_mask 0.
 * Buses set masks up for their devices, as pci_dev does here.
 */
export class device {
  readonly id: number;
  /** The simulated machine this device sits in. */
  readonly machine: Machine;
  /** dev_name(); set with dev_set_name(). */
  name = '';
  /** Streaming DMA mask; null models the kernel's NULL dma_mask pointer. */
  dma_mask: bigint | null = null;
  coherent_dma_mask = 0n;
  /** Bus DMA limit (0 = none), as set by the platform for a bus narrower than the device. */
  bus_dma_limit = 0n;
  private _dma_offset = 0;
  /**
   * Bus address = phys + dma_offset (a DMA range offset; the kernel's dma_range_map
   * with one range). A multiple of 4 MiB, so the natural alignment of every buddy
   * block (and so pool boundaries and alignment) holds in bus space too.
   */
  get dma_offset(): number {
    return this._dma_offset;
  }
  set dma_offset(v: number) {
    if (!Number.isSafeInteger(v) || v % (4 * 1024 * 1024) !== 0) {
      throw new DmashimError('EINVALOPT', `dma_offset must be a multiple of 4 MiB (0x400000), got ${String(v)}`);
    }
    this._dma_offset = v;
  }
  dma_parms: device_dma_parameters = { max_segment_size: 65536, segment_boundary_mask: 0xffffffff };
  /** The device's dma pools, newest first (dev->dma_pools). */
  readonly dma_pools: dma_pool[] = [];
  readonly devres_head: devres[] = [];
  /** Driver bound to the device (for the dev_printk prefix and dma-debug's driver filter). */
  driver_name = '';
  /** Bus the device sits on ("pci" for pci_dev). */
  bus_name = '';
  registered = false;
  /** Set by device_register, cleared by device_unregister. */
  parent: device | null = null;
  /** sysfs attributes of the device: name -> show(). */
  readonly attrs: Map<string, (dev: device) => string> = new Map();

  /* ---- the DMA layer's per-device state (kernel/dma, drivers/iommu) ---- */
  /** dev->dma_ops: null for the direct mapping (get_dma_ops / set_dma_ops). */
  dma_ops: dma_map_ops | null = null;
  /** dev->dma_mem: the region of dma_declare_coherent_memory, or null. */
  dma_mem: dma_coherent_mem | null = null;
  /** dev->dma_io_tlb_mem: the machine's bounce pool, attached on the device's first use of swiotlb. */
  dma_io_tlb_mem: io_tlb_mem | null = null;
  /** Bounce every streaming mapping of this device (swiotlb_set_force_bounce; the kernel's restricted pools). */
  dma_force_bounce = false;
  /** The IOMMU domain the device is attached to (the kernel's dev->iommu_group->domain), or null. */
  iommu_domain: iommu_domain | null = null;
  /** dma-debug's tracking of the device's allocations and mappings, made on first use. */
  dma_debug: DevDebug | null = null;
  /** The sites a dev_WARN_ONCE has already fired at for this device. */
  dma_warned: Set<string> | null = null;
  /** See dev_dma_limit(): a valid cache for a new device (no mask, no bus limit: limit 0). */
  readonly dma_direct_limit: dma_limit_cache = { mask: null, bus: 0n, limit: 0 };

  constructor(machine?: Machine) {
    this.machine = machine ?? default_machine();
    this.id = nextDeviceId++;
    let set = devicesOf.get(this.machine);
    if (!set) {
      set = new Set();
      devicesOf.set(this.machine, set);
    }
    set.add(this);
  }
}

const devicesOf = new WeakMap<Machine, Set<device>>();

/**
 * The argument check of every exported kernel function that takes a device: one
 * instanceof, cheap enough for the hot paths. Where the kernel would dereference
 * a NULL (or garbage) device and oops, we throw DmashimError EFAULT with the
 * kernel's words before anything is taken or changed.
 */
export function dev_check(dev: device, fn: string): void {
  if (!(dev instanceof device)) dev_bad(dev, fn);
}

function dev_bad(dev: unknown, fn: string): never {
  throw new DmashimError(
    'EFAULT',
    dev === null || dev === undefined
      ? `${fn}: NULL device: BUG: kernel NULL pointer dereference (the kernel would oops here); nothing was done`
      : `${fn}: not a struct device (got ${typeof dev}): BUG: unable to handle page fault (the kernel would oops here); nothing was done`,
  );
}

/**
 * The same for a pointer argument the kernel dereferences without a check (a
 * dma_addr_t *handle, a struct dma_pool *): EFAULT naming the function and the
 * argument, before anything is taken.
 */
export function null_deref(fn: string, what: string, v: unknown): never {
  throw new DmashimError(
    'EFAULT',
    v === null || v === undefined
      ? `${fn}: NULL ${what}: BUG: kernel NULL pointer dereference (the kernel would oops here); nothing was done`
      : `${fn}: ${what} of the wrong type (got ${typeof v}): BUG: unable to handle page fault (the kernel would oops here); nothing was done`,
  );
}

/** Every device ever made on a machine, registered or not (for reports that walk the machine). */
export function machine_devices(m: Machine): device[] {
  return [...(devicesOf.get(m) ?? [])];
}

/** Set a device's name. printf-style formatting is done by the caller (a template string). Returns 0. */
export function dev_set_name(dev: device, name: string): number {
  dev.name = name;
  return 0;
}

/** dev_name(): the device's name. */
export function dev_name(dev: device): string {
  return dev.name;
}

/** dev_driver_string(): the bound driver's name, else the bus name, else "". */
export function dev_driver_string(dev: device): string {
  return dev.driver_name || dev.bus_name;
}

/** The "<driver> <name>: " prefix of dev_printk (driver part omitted when the device has none). */
export function dev_prefix(dev: device | null | undefined): string {
  if (!dev) return '(NULL device *): ';
  const drv = dev_driver_string(dev);
  return drv ? `${drv} ${dev.name}: ` : `${dev.name}: `;
}

/** device_initialize(): nothing to do beyond construction here. */
export function device_initialize(_dev: device): void {}

/** device_add(): mark the device present. Returns 0. */
export function device_add(dev: device): number {
  dev.registered = true;
  return 0;
}

/**
 * device_register(): a device without a name cannot be added (-EINVAL, as the
 * kernel's device_add when dev_name() is empty). Returns 0 on success.
 */
export function device_register(dev: device): number {
  if (!dev.name) {
    printk_level(KERN_ERR, 'device: registration failed: a device needs a name (dev_set_name) before device_register');
    return -22;
  }
  return device_add(dev);
}

/**
 * device_unregister(): releases the device's managed resources (dmam pools, ...),
 * newest first, then runs the DMA layer's checks for pending allocations: the
 * kernel's driver detach does devres_release_all before the
 * BUS_NOTIFY_UNBOUND_DRIVER notifier that dma-debug's check hangs on, so
 * managed memory is never reported as pending.
 */
export function device_unregister(dev: device): void {
  devres_release_all(dev);
  for (const h of device_unregister_hooks) h(dev);
  dev.registered = false;
}

function dev_printk_level(level: number, dev: device | null | undefined, msg: string): void {
  printk_level(level, dev_prefix(dev) + msg);
}

export const dev_emerg = (dev: device | null, msg: string): void => dev_printk_level(KERN_EMERG, dev, msg);
export const dev_alert = (dev: device | null, msg: string): void => dev_printk_level(KERN_ALERT, dev, msg);
export const dev_crit = (dev: device | null, msg: string): void => dev_printk_level(KERN_CRIT, dev, msg);
export const dev_err = (dev: device | null, msg: string): void => dev_printk_level(KERN_ERR, dev, msg);
export const dev_warn = (dev: device | null, msg: string): void => dev_printk_level(KERN_WARNING, dev, msg);
export const dev_notice = (dev: device | null, msg: string): void => dev_printk_level(KERN_NOTICE, dev, msg);
export const dev_info = (dev: device | null, msg: string): void => dev_printk_level(KERN_INFO, dev, msg);
export const dev_dbg = (dev: device | null, msg: string): void => dev_printk_level(KERN_DEBUG, dev, msg);

/**
 * struct pci_dev with its embedded struct device. Like pci_setup_device, a new
 * pci_dev starts with 32-bit streaming and coherent masks and bus "pci".
 */
export class pci_dev {
  readonly dev: device;
  vendor: number;
  device: number;
  constructor(opts: { vendor?: number; device?: number; machine?: Machine; name?: string } = {}) {
    this.dev = new device(opts.machine);
    this.dev.bus_name = 'pci';
    this.dev.dma_mask = 0xffffffffn;
    this.dev.coherent_dma_mask = 0xffffffffn;
    this.vendor = opts.vendor ?? 0;
    this.device = opts.device ?? 0;
    pciOf.set(this.dev, this);
    if (opts.name) this.dev.name = opts.name;
  }
}

const pciOf = new WeakMap<device, pci_dev>();

/** to_pci_dev(): the pci_dev that embeds `dev` (container_of), or null if it is not a PCI device. */
export function to_pci_dev(dev: device): pci_dev | null {
  return pciOf.get(dev) ?? null;
}

/** pci_name(): the PCI device's name (its dev_name). */
export function pci_name(pdev: pci_dev): string {
  return pdev.dev.name;
}

/** device_create_file(): add a read-only sysfs attribute. Returns 0. */
export function device_create_file(dev: device, name: string, show: (dev: device) => string): number {
  dev.attrs.set(name, show);
  return 0;
}

/** device_remove_file(): remove a sysfs attribute. */
export function device_remove_file(dev: device, name: string): void {
  dev.attrs.delete(name);
}

/** Read a device's sysfs attribute (`cat /sys/devices/.../NAME`); null when the file does not exist. */
export function sysfs_read(dev: device, name: string): string | null {
  const show = dev.attrs.get(name);
  return show ? show(dev) : null;
}

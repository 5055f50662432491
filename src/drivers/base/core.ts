/*
 * drivers/base/core.c: struct device, naming, registration, reference counts
 * and release, and the dev_printk family with the kernel's "<driver> <device>: "
 * prefix. The kobject a device embeds (lib/kobject.c) is here too: it only
 * carries the device's name, parent, reference count and state bits.
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
import { WARN } from '../../kernel/panic.ts';
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

/* NUMA_NO_NODE (exported by mm/dmapool.ts): the node of a device nobody placed. */
const NUMA_NO_NODE = -1;

/** struct kref: the count a kobject's lifetime hangs on. */
export interface kref {
  refcount: number;
}

/**
 * struct kobject, the fields drivers and the driver core read: its name (the
 * device's), its parent's kobject, the reference count and the state bits.
 */
export class kobject {
  name = '';
  parent: kobject | null = null;
  readonly kref: kref = { refcount: 0 };
  state_initialized = false;
  state_in_sysfs = false;
}

/** struct device_type: a release for every device of the type (used when dev->release is NULL). */
export interface device_type {
  name: string;
  release: ((dev: device) => void) | null;
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
  /** The parent device: device_add takes a reference on it, device_del drops it. */
  parent: device | null = null;
  /** The embedded kobject: name, reference count, state (initialized by device_initialize). */
  readonly kobj: kobject = new kobject();
  /** dev->release, called once when the last reference is dropped (put_device). */
  release: ((dev: device) => void) | null = null;
  /** dev->type; its release is used when dev->release is null. */
  type: device_type | null = null;
  /** dev_get_drvdata / dev_set_drvdata. */
  driver_data: unknown = null;
  /** dev_to_node / set_dev_node. */
  numa_node = NUMA_NO_NODE;
  /** device_del has run (the kernel's dev->p->dead). */
  dead = false;
  /** The last reference was dropped and release ran: the kernel would have freed the struct. */
  released = false;
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

/* %p of a kobject in the kernel's messages: hashed there, a stable fake here. */
function kobj_ptr(dev: device): string {
  return (0xffff888000000000n + BigInt(dev.id) * 0x400n).toString(16).padStart(16, '0');
}

/** The kobject layer's complaints, by kind (C's refcounting reports through here too). */
export const KOBJ_NOT_INIT_GET = 0;
export const KOBJ_NOT_INIT_PUT = 1;
export const KOBJ_ADD_ON_ZERO = 2;
export const KOBJ_UNDERFLOW = 3;
export const KOBJ_REINIT = 4;
export const KOBJ_ADD_UNINIT = 5;

/**
 * Logs what lib/kobject.c or lib/refcount.c says about a misused reference
 * count, with the kernel's words: a WARN for get/put of an uninitialized
 * kobject and for refcount_t misuse, an error line for init twice and add of an
 * uninitialized kobject.
 */
export function kobject_complain(dev: device, kind: number): void {
  const who = `kobject: '${dev.name}' (${kobj_ptr(dev)})`;
  switch (kind) {
    case KOBJ_NOT_INIT_GET:
      WARN('lib/kobject.c kobject_get', `${who}: is not initialized, yet kobject_get() is being called.`);
      break;
    case KOBJ_NOT_INIT_PUT:
      WARN('lib/kobject.c kobject_put', `${who}: is not initialized, yet kobject_put() is being called.`);
      break;
    case KOBJ_ADD_ON_ZERO:
      WARN('lib/refcount.c refcount_warn_saturate', 'refcount_t: addition on 0; use-after-free.');
      break;
    case KOBJ_UNDERFLOW:
      WARN('lib/refcount.c refcount_warn_saturate', 'refcount_t: underflow; use-after-free.');
      break;
    case KOBJ_REINIT:
      printk_level(
        KERN_ERR,
        `kobject (${kobj_ptr(dev)}): tried to init an initialized object, something is seriously wrong.`,
      );
      break;
    default:
      printk_level(KERN_ERR, `${who}: tried to add an uninitialized object, something is seriously wrong.`);
  }
}

/**
 * device_initialize(): the reference count starts at 1, the node at
 * NUMA_NO_NODE. As the kernel's kobject_init, initializing an initialized
 * device logs "tried to init an initialized object" (and goes on). Managed
 * resources still on the list are kept (the kernel re-initializes the list and
 * loses them).
 */
export function device_initialize(dev: device): void {
  dev_check(dev, 'device_initialize');
  if (dev.kobj.state_initialized) kobject_complain(dev, KOBJ_REINIT);
  dev.kobj.kref.refcount = 1;
  dev.kobj.state_initialized = true;
  dev.kobj.state_in_sysfs = false;
  dev.numa_node = NUMA_NO_NODE;
  dev.dead = false;
  dev.released = false;
}

/**
 * device_add(): makes an initialized device present; takes a reference on the
 * parent. Returns 0, -EINVAL for a device without a name or one never
 * initialized (with the kobject layer's message), -EEXIST for one already
 * added (sysfs's duplicate-name error).
 */
export function device_add(dev: device): number {
  dev_check(dev, 'device_add');
  if (!dev.kobj.state_initialized) {
    kobject_complain(dev, KOBJ_ADD_UNINIT);
    return -22;
  }
  if (!dev.name) {
    printk_level(KERN_ERR, 'device: registration failed: a device needs a name (dev_set_name) before device_register');
    return -22;
  }
  if (dev.kobj.state_in_sysfs) {
    printk_level(KERN_ERR, `sysfs: cannot create duplicate filename '/devices/${dev.name}'`);
    return -17;
  }
  if (dev.parent) {
    get_device(dev.parent);
    dev.kobj.parent = dev.parent.kobj;
  }
  dev.kobj.name = dev.name;
  dev.kobj.state_in_sysfs = true;
  dev.registered = true;
  dev.dead = false;
  return 0;
}

/**
 * device_register(): device_initialize + device_add. On failure the caller
 * still holds the reference device_initialize gave and must put_device(), as
 * in the kernel. Returns 0 on success.
 */
export function device_register(dev: device): number {
  device_initialize(dev);
  return device_add(dev);
}

/**
 * device_del(): takes the device off the bus. Its managed resources are
 * released here, newest first, as the kernel's driver detach in device_del
 * does (dmashim treats every device as bound), and then the DMA layer checks
 * for pending allocations: the kernel's detach runs devres_release_all before
 * the BUS_NOTIFY_UNBOUND_DRIVER notifier that dma-debug's check hangs on, so
 * managed memory is never reported as pending. Resources added after this are
 * released at the last put_device (device_release), as in the kernel. Drops
 * the reference on the parent.
 */
export function device_del(dev: device): void {
  dev_check(dev, 'device_del');
  dev.dead = true;
  if (!dev.registered) return;
  devres_release_all(dev);
  for (const h of device_unregister_hooks) h(dev);
  dev.registered = false;
  dev.kobj.state_in_sysfs = false;
  const parent = dev.parent;
  dev.kobj.parent = null;
  if (parent) put_device(parent);
}

/** device_unregister(): device_del + put_device, so a device nobody else holds is released. */
export function device_unregister(dev: device): void {
  device_del(dev);
  put_device(dev);
}

/**
 * get_device(): one more reference; returns dev (null for null). On a device
 * never initialized, or already released, logs the kernel's WARN and takes
 * nothing.
 */
export function get_device(dev: device | null): device | null {
  if (!dev) return null;
  dev_check(dev, 'get_device');
  if (!dev.kobj.state_initialized) kobject_complain(dev, KOBJ_NOT_INIT_GET);
  else if (dev.kobj.kref.refcount === 0) kobject_complain(dev, KOBJ_ADD_ON_ZERO);
  else dev.kobj.kref.refcount++;
  return dev;
}

/**
 * put_device(): drops a reference; at zero the device is released
 * (device_release: its remaining managed resources, newest first, then
 * dev->release or its type's, or the kernel's WARN that it has none). A put on
 * a device never initialized, or below zero, gets the kernel's WARN and does
 * nothing. null is ignored.
 */
export function put_device(dev: device | null): void {
  if (!dev) return;
  dev_check(dev, 'put_device');
  if (!dev.kobj.state_initialized) {
    kobject_complain(dev, KOBJ_NOT_INIT_PUT);
    return;
  }
  if (dev.kobj.kref.refcount === 0) {
    kobject_complain(dev, KOBJ_UNDERFLOW);
    return;
  }
  if (--dev.kobj.kref.refcount === 0) device_release(dev, dev.release ?? dev.type?.release ?? null);
}

/**
 * The last reference is gone (drivers/base/core.c device_release): releases
 * what devres still holds, then calls `release` once, or WARNs with the
 * kernel's text when there is none. The bridge calls it for a C device with
 * `release` null and C calls the C function itself afterwards (has_release).
 */
export function device_release(dev: device, release: ((dev: device) => void) | null, has_release = false): void {
  devres_release_all(dev);
  dev.released = true;
  if (release) release(dev);
  else if (!has_release)
    WARN(
      'drivers/base/core.c device_release',
      `Device '${dev.name}' does not have a release() function, it is broken and must be fixed. See Documentation/core-api/kobject.rst.`,
    );
}

/** dev_get_drvdata(): what dev_set_drvdata stored (null at first). */
export function dev_get_drvdata(dev: device): unknown {
  dev_check(dev, 'dev_get_drvdata');
  return dev.driver_data;
}

/** dev_set_drvdata(): store the driver's private data on the device. */
export function dev_set_drvdata(dev: device, data: unknown): void {
  dev_check(dev, 'dev_set_drvdata');
  dev.driver_data = data;
}

/** dev_to_node(): the device's NUMA node, NUMA_NO_NODE (-1) until set_dev_node. */
export function dev_to_node(dev: device): number {
  dev_check(dev, 'dev_to_node');
  return dev.numa_node;
}

/** set_dev_node(): place the device on a NUMA node (the simulated machine has one; the value is kept). */
export function set_dev_node(dev: device, node: number): void {
  dev_check(dev, 'set_dev_node');
  dev.numa_node = node;
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

/** struct resource: one BAR of a PCI device (start..end inclusive, IORESOURCE_* flags); end 0 = none. */
export interface resource {
  start: number;
  end: number;
  flags: number;
  name: string;
}

/** PCI_NUM_RESOURCES without SR-IOV: six BARs, the ROM, four bridge windows. */
export const PCI_NUM_RESOURCES = 11;
/** PCI_CFG_SPACE_SIZE and PCI_CFG_SPACE_EXP_SIZE: conventional and PCI Express config space. */
export const PCI_CFG_SPACE_SIZE = 256;
export const PCI_CFG_SPACE_EXP_SIZE = 4096;

export interface pci_dev_options {
  vendor?: number;
  device?: number;
  subsystem_vendor?: number;
  subsystem_device?: number;
  /** The 24-bit class code (base class, subclass, prog-if), e.g. 0x010802 for NVMe. */
  class?: number;
  revision?: number;
  /** A PCI Express device: 4096 bytes of config space instead of 256. */
  pcie?: boolean;
  machine?: Machine;
  name?: string;
}

/**
 * struct pci_dev with its embedded struct device. Like the PCI core's
 * pci_setup_device and pci_device_add, a new pci_dev starts with 32-bit
 * streaming and coherent masks, bus "pci", the PCI core's release, and a config
 * space (256 bytes, 4096 for PCIe) whose header holds the ids at their standard
 * offsets. Its resources (BARs) are empty until the test sets them
 * (pci_set_resource in src/drivers/pci/pci.ts).
 */
export class pci_dev {
  readonly dev: device;
  vendor: number;
  device: number;
  subsystem_vendor: number;
  subsystem_device: number;
  class: number;
  revision: number;
  hdr_type = 0;
  devfn = 0;
  irq = 0;
  /** PCI_CFG_SPACE_SIZE or PCI_CFG_SPACE_EXP_SIZE. */
  readonly cfg_size: number;
  /** The config space: what pci_read_config_* read and pci_write_config_* write. */
  readonly config: Uint8Array;
  readonly resource: resource[] = [];
  /** pci_enable_device's count (the kernel's enable_cnt). */
  enable_cnt = 0;
  is_busmaster = false;
  /** Enabled with pcim_enable_device: disabled again at driver detach. */
  is_managed = false;
  /** BARs taken with pci_request_regions (bit n = BAR n). */
  regions = 0;
  constructor(opts: pci_dev_options = {}) {
    this.dev = new device(opts.machine);
    this.dev.bus_name = 'pci';
    this.dev.dma_mask = 0xffffffffn;
    this.dev.coherent_dma_mask = 0xffffffffn;
    this.dev.release = pci_release_dev;
    this.vendor = opts.vendor ?? 0;
    this.device = opts.device ?? 0;
    this.subsystem_vendor = opts.subsystem_vendor ?? 0;
    this.subsystem_device = opts.subsystem_device ?? 0;
    this.class = opts.class ?? 0;
    this.revision = opts.revision ?? 0;
    this.cfg_size = opts.pcie ? PCI_CFG_SPACE_EXP_SIZE : PCI_CFG_SPACE_SIZE;
    this.config = new Uint8Array(this.cfg_size);
    const v = new DataView(this.config.buffer);
    v.setUint16(0x00, this.vendor & 0xffff, true);
    v.setUint16(0x02, this.device & 0xffff, true);
    v.setUint8(0x08, this.revision & 0xff);
    v.setUint8(0x09, this.class & 0xff);
    v.setUint16(0x0a, (this.class >>> 8) & 0xffff, true);
    v.setUint16(0x2c, this.subsystem_vendor & 0xffff, true);
    v.setUint16(0x2e, this.subsystem_device & 0xffff, true);
    for (let i = 0; i < PCI_NUM_RESOURCES; i++) this.resource.push({ start: 0, end: 0, flags: 0, name: '' });
    pciOf.set(this.dev, this);
    if (opts.name) this.dev.name = opts.name;
  }
}

/**
 * The PCI core's release of a pci_dev (pci_release_dev): the kernel frees the
 * struct there; the TypeScript object is left to the garbage collector.
 */
export function pci_release_dev(_dev: device): void {}

const pciOf = new WeakMap<device, pci_dev>();

/** to_pci_dev(): the pci_dev that embeds `dev` (container_of), or null if it is not a PCI device. */
export function to_pci_dev(dev: device): pci_dev | null {
  return pciOf.get(dev) ?? null;
}

/** pci_name(): the PCI device's name (its dev_name). */
export function pci_name(pdev: pci_dev): string {
  return pdev.dev.name;
}

/**
 * device_create_file(): add a read-only sysfs attribute. Returns 0, or -EEXIST
 * with sysfs's message when the device already has a file of that name.
 */
export function device_create_file(dev: device, name: string, show: (dev: device) => string): number {
  dev_check(dev, 'device_create_file');
  if (dev.attrs.has(name)) {
    printk_level(KERN_ERR, `sysfs: cannot create duplicate filename '/devices/${dev.name}/${name}'`);
    return -17;
  }
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

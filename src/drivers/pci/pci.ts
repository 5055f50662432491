/*
 * drivers/pci/pci.c and access.c: the driver-model side of a PCI device that
 * driver DMA code sits next to: config space reads and writes, enabling,
 * bus mastering, BAR resources and their reservation. The config space is
 * memory the test sets (pci_config_set) and the driver reads and writes; the
 * resources are what the test gives each BAR (pci_set_resource), and
 * pci_iomap maps them (lib/pci_iomap.c): a memory BAR through ioremap (an
 * iomem window of the machine when one backs it), an I/O BAR as a port cookie.
 */
import { type pci_dev, type resource, PCI_NUM_RESOURCES, dev_check, dev_prefix } from '../base/core.ts';
import { devres_add } from '../base/devres.ts';
import { printk_level, KERN_INFO, KERN_WARNING, KERN_DEBUG } from '../../kernel/printk.ts';
import { WARN } from '../../kernel/panic.ts';
import { DmashimError } from '../../lib/errors.ts';
import { ioremap, ioremap_wc, iounmap, ioport_map, PIO_OFFSET, PIO_RESERVED } from '../../arch/sim/io.ts';

/* include/linux/pci.h's return codes of the config accessors (positive, not errnos). */
export const PCIBIOS_SUCCESSFUL = 0x00;
export const PCIBIOS_FUNC_NOT_SUPPORTED = 0x81;
export const PCIBIOS_BAD_VENDOR_ID = 0x83;
export const PCIBIOS_DEVICE_NOT_FOUND = 0x86;
export const PCIBIOS_BAD_REGISTER_NUMBER = 0x87;
export const PCIBIOS_SET_FAILED = 0x88;
export const PCIBIOS_BUFFER_TOO_SMALL = 0x89;

/* include/uapi/linux/pci_regs.h: the standard header's offsets and command bits. */
export const PCI_VENDOR_ID = 0x00;
export const PCI_DEVICE_ID = 0x02;
export const PCI_COMMAND = 0x04;
export const PCI_COMMAND_IO = 0x1;
export const PCI_COMMAND_MEMORY = 0x2;
export const PCI_COMMAND_MASTER = 0x4;
export const PCI_STATUS = 0x06;
export const PCI_REVISION_ID = 0x08;
export const PCI_CLASS_PROG = 0x09;
export const PCI_CLASS_DEVICE = 0x0a;
export const PCI_HEADER_TYPE = 0x0e;
export const PCI_BASE_ADDRESS_0 = 0x10;
export const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
export const PCI_SUBSYSTEM_ID = 0x2e;
export const PCI_INTERRUPT_LINE = 0x3c;
export const PCI_STD_NUM_BARS = 6;
export const PCI_ROM_RESOURCE = 6;

/* include/linux/ioport.h: the resource flags drivers test. */
export const IORESOURCE_IO = 0x00000100;
export const IORESOURCE_MEM = 0x00000200;
export const IORESOURCE_PREFETCH = 0x00002000;
export const IORESOURCE_MEM_64 = 0x00100000;

/** An out-value of a config read (the kernel's u8/u16/u32 *val). */
export interface config_ref {
  value: number;
}

/* The identification registers: read-only for the driver, as in hardware (the test sets them with pci_config_set). */
function read_only(where: number): boolean {
  return where < 4 || (where >= 0x08 && where < 0x0c) || where === 0x0e || (where >= 0x2c && where < 0x30);
}

function cfg_check(pdev: pci_dev, fn: string, where: number, size: number): number {
  dev_check(pdev?.dev, fn);
  if (!Number.isInteger(where) || where < 0 || where + size > pdev.cfg_size) return -22;
  if (where & (size - 1)) return PCIBIOS_BAD_REGISTER_NUMBER;
  return PCIBIOS_SUCCESSFUL;
}

function cfg_read(pdev: pci_dev, fn: string, where: number, size: number, val: config_ref): number {
  const rc = cfg_check(pdev, fn, where, size);
  if (rc !== PCIBIOS_SUCCESSFUL) {
    /* PCI_SET_ERROR_RESPONSE: all ones, as a read that no device answered. */
    val.value = size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
    return rc;
  }
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + pdev.config[where + i]!;
  val.value = v;
  return rc;
}

function cfg_write(pdev: pci_dev, fn: string, where: number, size: number, val: number): number {
  const rc = cfg_check(pdev, fn, where, size);
  if (rc !== PCIBIOS_SUCCESSFUL) return rc;
  for (let i = 0; i < size; i++) {
    if (!read_only(where + i)) pdev.config[where + i] = Math.floor(val / 256 ** i) & 0xff;
  }
  return rc;
}

/**
 * pci_read_config_byte/word/dword(): read the config space at `where` into
 * val.value. Returns PCIBIOS_SUCCESSFUL (0); PCIBIOS_BAD_REGISTER_NUMBER for a
 * misaligned offset and -EINVAL for one beyond the device's config space, both
 * with all ones in val, as the kernel.
 */
export function pci_read_config_byte(pdev: pci_dev, where: number, val: config_ref): number {
  return cfg_read(pdev, 'pci_read_config_byte', where, 1, val);
}
/** pci_read_config_word(): as pci_read_config_byte, 16 bits at an even offset. */
export function pci_read_config_word(pdev: pci_dev, where: number, val: config_ref): number {
  return cfg_read(pdev, 'pci_read_config_word', where, 2, val);
}
/** pci_read_config_dword(): as pci_read_config_byte, 32 bits at a multiple of 4. */
export function pci_read_config_dword(pdev: pci_dev, where: number, val: config_ref): number {
  return cfg_read(pdev, 'pci_read_config_dword', where, 4, val);
}

/**
 * pci_write_config_byte/word/dword(): write the config space. Returns as the
 * reads. The identification registers (ids, revision, class, header type,
 * subsystem ids) ignore the driver's writes, as hardware does.
 */
export function pci_write_config_byte(pdev: pci_dev, where: number, val: number): number {
  return cfg_write(pdev, 'pci_write_config_byte', where, 1, val);
}
/** pci_write_config_word(): as pci_write_config_byte, 16 bits at an even offset. */
export function pci_write_config_word(pdev: pci_dev, where: number, val: number): number {
  return cfg_write(pdev, 'pci_write_config_word', where, 2, val);
}
/** pci_write_config_dword(): as pci_write_config_byte, 32 bits at a multiple of 4. */
export function pci_write_config_dword(pdev: pci_dev, where: number, val: number): number {
  return cfg_write(pdev, 'pci_write_config_dword', where, 4, val);
}

/**
 * Set config space bytes as the test (the hardware) sees fit, read-only
 * registers included. Our API: throws DmashimError EINVALOPT for a range
 * outside the device's config space.
 */
export function pci_config_set(pdev: pci_dev, where: number, bytes: ArrayLike<number>): void {
  dev_check(pdev?.dev, 'pci_config_set');
  if (!Number.isInteger(where) || where < 0 || where + bytes.length > pdev.cfg_size) {
    throw new DmashimError(
      'EINVALOPT',
      `pci_config_set: [${String(where)}, +${bytes.length}) is outside the ${pdev.cfg_size}-byte config space`,
    );
  }
  for (let i = 0; i < bytes.length; i++) pdev.config[where + i] = Number(bytes[i]) & 0xff;
}

function bar_check(pdev: pci_dev, bar: number, fn: string): resource | null {
  dev_check(pdev?.dev, fn);
  if (!Number.isInteger(bar) || bar < 0 || bar >= PCI_NUM_RESOURCES) return null;
  return pdev.resource[bar] ?? null;
}

/** What else pci_set_resource() says about a BAR. */
export interface pci_resource_options {
  /**
   * The BAR is device memory (on-board SRAM, a frame buffer): one iomem window
   * of the device's machine must hold all of it (create_machine({ iomem })),
   * so pci_iomap() gives the window's CPU address and
   * dma_declare_coherent_memory() accepts the BAR's range.
   */
  iomem?: boolean;
}

/**
 * Give BAR `bar` a resource: `size` bytes at physical address `start` with
 * IORESOURCE_* `flags` (IORESOURCE_MEM when 0), and write its base address
 * into the BAR register of the config space as the firmware would. size 0
 * empties it. With `{ iomem: true }` the BAR is device memory and must lie in
 * one iomem window of the device's machine (windows are made with the machine).
 * Our API: throws DmashimError EINVALOPT for a bad bar, start, size or flags,
 * and for an iomem BAR that is empty, an I/O BAR or held by no window (the BAR
 * is left as it was).
 */
export function pci_set_resource(
  pdev: pci_dev,
  bar: number,
  start: number,
  size: number,
  flags = 0,
  opts: pci_resource_options = {},
): void {
  dev_check(pdev?.dev, 'pci_set_resource');
  const r = bar_check(pdev, bar, 'pci_set_resource');
  if (!r)
    throw new DmashimError('EINVALOPT', `pci_set_resource: BAR ${String(bar)} is not 0..${PCI_NUM_RESOURCES - 1}`);
  if (!Number.isSafeInteger(start) || start < 0 || !Number.isSafeInteger(size) || size < 0 || start + size > 2 ** 53) {
    throw new DmashimError(
      'EINVALOPT',
      `pci_set_resource: start ${String(start)} and size ${String(size)} must be non-negative integers below 2^53`,
    );
  }
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xffffffff) {
    throw new DmashimError('EINVALOPT', `pci_set_resource: flags ${String(flags)} are not IORESOURCE_* bits`);
  }
  if (opts === null || typeof opts !== 'object') {
    throw new DmashimError('EINVALOPT', 'pci_set_resource: options must be an object such as { iomem: true }');
  }
  if (opts.iomem === true) iomem_bar_check(pdev, bar, start, size, flags);
  const f = size === 0 ? 0 : flags & (IORESOURCE_IO | IORESOURCE_MEM) ? flags : flags | IORESOURCE_MEM;
  r.start = size === 0 ? 0 : start;
  r.end = size === 0 ? 0 : start + size - 1;
  r.flags = f;
  if (bar < PCI_STD_NUM_BARS) {
    const io = (f & IORESOURCE_IO) !== 0;
    const low = io
      ? (r.start % 2 ** 32) | 1
      : (r.start % 2 ** 32) + (f & IORESOURCE_MEM_64 ? 4 : 0) + (f & IORESOURCE_PREFETCH ? 8 : 0);
    const v = new DataView(pdev.config.buffer);
    v.setUint32(PCI_BASE_ADDRESS_0 + 4 * bar, low >>> 0, true);
    if (!io && f & IORESOURCE_MEM_64 && bar + 1 < PCI_STD_NUM_BARS) {
      v.setUint32(PCI_BASE_ADDRESS_0 + 4 * (bar + 1), Math.floor(r.start / 2 ** 32), true);
    }
  }
}

function iomem_bar_check(pdev: pci_dev, bar: number, start: number, size: number, flags: number): void {
  const at = `pci_set_resource: BAR ${bar} of ${pdev.dev.name || 'the device'}`;
  if (size === 0 || flags & IORESOURCE_IO)
    throw new DmashimError('EINVALOPT', `${at}: an iomem BAR is a memory BAR with a size`);
  const m = pdev.dev.machine;
  if (m.iomemAtPhys(start, size) === undefined) {
    throw new DmashimError(
      'EINVALOPT',
      `${at}: [mem 0x${start.toString(16)}-0x${(start + size - 1).toString(16)}] is not inside one iomem window of ` +
        `machine ${m.name} (create_machine({ iomem: [{ phys, size, name }] }))`,
    );
  }
}

/** pci_resource_start(): BAR `bar`'s first address (0 when empty or out of range). */
export function pci_resource_start(pdev: pci_dev, bar: number): number {
  return bar_check(pdev, bar, 'pci_resource_start')?.start ?? 0;
}

/** pci_resource_end(): BAR `bar`'s last address (0 when empty). */
export function pci_resource_end(pdev: pci_dev, bar: number): number {
  return bar_check(pdev, bar, 'pci_resource_end')?.end ?? 0;
}

/** pci_resource_flags(): BAR `bar`'s IORESOURCE_* flags. */
export function pci_resource_flags(pdev: pci_dev, bar: number): number {
  return bar_check(pdev, bar, 'pci_resource_flags')?.flags ?? 0;
}

/** pci_resource_len(): BAR `bar`'s size in bytes, 0 when it has none (end 0). */
export function pci_resource_len(pdev: pci_dev, bar: number): number {
  const r = bar_check(pdev, bar, 'pci_resource_len');
  return r && r.end !== 0 ? r.end - r.start + 1 : 0;
}

function cmd(pdev: pci_dev): number {
  return pdev.config[PCI_COMMAND]! | (pdev.config[PCI_COMMAND + 1]! << 8);
}
function set_cmd(pdev: pci_dev, v: number): void {
  pdev.config[PCI_COMMAND] = v & 0xff;
  pdev.config[PCI_COMMAND + 1] = (v >> 8) & 0xff;
}

/**
 * pci_enable_device(): counts enables; the first turns on memory and I/O
 * decoding for the BARs the device has (PCI_COMMAND), logging "enabling device
 * (old -> new)" when that changes the register, as x86's pcibios does.
 * Returns 0.
 */
export function pci_enable_device(pdev: pci_dev): number {
  dev_check(pdev?.dev, 'pci_enable_device');
  if (++pdev.enable_cnt > 1) return 0;
  const old = cmd(pdev);
  let c = old;
  for (let i = 0; i < PCI_STD_NUM_BARS; i++) {
    const f = pdev.resource[i]!.flags;
    if (pdev.resource[i]!.end === 0) continue;
    if (f & IORESOURCE_IO) c |= PCI_COMMAND_IO;
    if (f & IORESOURCE_MEM) c |= PCI_COMMAND_MEMORY;
  }
  if (c !== old) {
    printk_level(
      KERN_INFO,
      `${dev_prefix(pdev.dev)}enabling device (${old.toString(16).padStart(4, '0')} -> ${c.toString(16).padStart(4, '0')})`,
    );
    set_cmd(pdev, c);
  }
  return 0;
}

/**
 * pcim_enable_device(): pci_enable_device, undone when the driver detaches
 * (a managed resource). Returns 0, or -ENOMEM for a released device.
 */
export function pcim_enable_device(pdev: pci_dev): number {
  dev_check(pdev?.dev, 'pcim_enable_device');
  const added = devres_add(pdev.dev, {
    name: 'pcim_disable_device',
    data: pdev,
    release: () => {
      if (pdev.enable_cnt > 0) pci_disable_device(pdev);
    },
  });
  if (!added) return -12;
  pdev.is_managed = true;
  return pci_enable_device(pdev);
}

/**
 * pci_disable_device(): undoes one enable; the last one turns bus mastering
 * off. On a device that is not enabled, the kernel's dev_WARN_ONCE
 * "disabling already-disabled device" (and the count goes on down, as there).
 */
export function pci_disable_device(pdev: pci_dev): void {
  dev_check(pdev?.dev, 'pci_disable_device');
  if (pdev.enable_cnt <= 0) {
    const warned = pdev.dev.dma_warned ?? new Set<string>();
    pdev.dev.dma_warned = warned;
    if (!warned.has('pci_disable_device')) {
      warned.add('pci_disable_device');
      WARN('drivers/pci/pci.c pci_disable_device', `${dev_prefix(pdev.dev)}disabling already-disabled device`);
    }
  }
  if (--pdev.enable_cnt !== 0) return;
  const c = cmd(pdev);
  if (c & PCI_COMMAND_MASTER) set_cmd(pdev, c & ~PCI_COMMAND_MASTER);
  pdev.is_busmaster = false;
}

/** pci_set_master(): turn on bus mastering (PCI_COMMAND_MASTER), so the device may DMA. */
export function pci_set_master(pdev: pci_dev): void {
  dev_check(pdev?.dev, 'pci_set_master');
  const c = cmd(pdev);
  if (!(c & PCI_COMMAND_MASTER)) {
    printk_level(KERN_DEBUG, `${dev_prefix(pdev.dev)}enabling bus-master`);
    set_cmd(pdev, c | PCI_COMMAND_MASTER);
  }
  pdev.is_busmaster = true;
}

/** pci_clear_master(): turn bus mastering off. */
export function pci_clear_master(pdev: pci_dev): void {
  dev_check(pdev?.dev, 'pci_clear_master');
  const c = cmd(pdev);
  if (c & PCI_COMMAND_MASTER) {
    printk_level(KERN_DEBUG, `${dev_prefix(pdev.dev)}disabling bus-master`);
    set_cmd(pdev, c & ~PCI_COMMAND_MASTER);
  }
  pdev.is_busmaster = false;
}

/* The kernel's %pR of a BAR: "[mem 0x...-0x... 64bit pref]" / "[io  0x...-0x...]". */
function fmt_resource(r: resource): string {
  const io = (r.flags & IORESOURCE_IO) !== 0;
  const hex = (v: number) => `0x${v.toString(16).padStart(io ? 4 : 8, '0')}`;
  const extra = (r.flags & IORESOURCE_MEM_64 ? ' 64bit' : '') + (r.flags & IORESOURCE_PREFETCH ? ' pref' : '');
  return `[${io ? 'io ' : 'mem'} ${hex(r.start)}-${hex(r.end)}${extra}]`;
}

/**
 * pci_request_region(): reserve BAR `bar` for the driver. Returns 0 (also for
 * an empty BAR), -EBUSY when it is already reserved (the kernel's "BAR n:
 * can't reserve" warning), -EINVAL for no such BAR.
 */
export function pci_request_region(pdev: pci_dev, bar: number, name: string): number {
  dev_check(pdev?.dev, 'pci_request_region');
  const r = bar_check(pdev, bar, 'pci_request_region');
  if (!r) return -22;
  if (r.end === 0) return 0;
  if (pdev.regions & (1 << bar)) {
    printk_level(KERN_WARNING, `${dev_prefix(pdev.dev)}BAR ${bar}: can't reserve ${fmt_resource(r)}`);
    return -16;
  }
  pdev.regions |= 1 << bar;
  r.name = name;
  return 0;
}

/** pci_release_region(): give BAR `bar` back; one never reserved gets the kernel's "Trying to free nonexistent resource". */
export function pci_release_region(pdev: pci_dev, bar: number): void {
  dev_check(pdev?.dev, 'pci_release_region');
  const r = bar_check(pdev, bar, 'pci_release_region');
  if (!r || r.end === 0) return;
  if (!(pdev.regions & (1 << bar))) {
    const pa = (v: number) => `0x${v.toString(16).padStart(16, '0')}`;
    printk_level(KERN_WARNING, `Trying to free nonexistent resource <${pa(r.start)}-${pa(r.end)}>`);
    return;
  }
  pdev.regions &= ~(1 << bar);
}

/** pci_request_regions(): reserve every BAR; on a conflict nothing stays reserved and -EBUSY is returned. */
export function pci_request_regions(pdev: pci_dev, name: string): number {
  dev_check(pdev?.dev, 'pci_request_regions');
  for (let bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
    if (pci_request_region(pdev, bar, name) !== 0) {
      while (--bar >= 0) if (pdev.resource[bar]!.end !== 0) pci_release_region(pdev, bar);
      return -16;
    }
  }
  return 0;
}

/** pci_release_regions(): give every BAR back. */
export function pci_release_regions(pdev: pci_dev): void {
  dev_check(pdev?.dev, 'pci_release_regions');
  for (let bar = 0; bar < PCI_STD_NUM_BARS; bar++) pci_release_region(pdev, bar);
}

/** pci_get_drvdata(): the driver's data on &pdev->dev. */
export function pci_get_drvdata(pdev: pci_dev): unknown {
  dev_check(pdev?.dev, 'pci_get_drvdata');
  return pdev.dev.driver_data;
}

/** pci_set_drvdata(): store the driver's data on &pdev->dev. */
export function pci_set_drvdata(pdev: pci_dev, data: unknown): void {
  dev_check(pdev?.dev, 'pci_set_drvdata');
  pdev.dev.driver_data = data;
}

/* ---- mapping a BAR (lib/pci_iomap.c, lib/iomap.c) ---- */

function iomap(pdev: pci_dev, fn: string, bar: number, offset: number, maxlen: number, wc: boolean): number {
  dev_check(pdev?.dev, fn);
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(maxlen) || maxlen < 0) return 0;
  const r = bar_check(pdev, bar, fn);
  if (!r) return 0;
  let len = r.end !== 0 ? r.end - r.start + 1 : 0;
  let start = r.start;
  if (len <= offset || start === 0) return 0;
  if (wc && r.flags & IORESOURCE_IO) return 0;
  len -= offset;
  start += offset;
  if (maxlen && len > maxlen) len = maxlen;
  if (r.flags & IORESOURCE_IO) return ioport_map(start, len);
  if (r.flags & IORESOURCE_MEM)
    return wc ? ioremap_wc(start, len, pdev.dev.machine) : ioremap(start, len, pdev.dev.machine);
  return 0;
}

/**
 * pci_iomap_range(): a cookie for BAR `bar` from `offset`, at most `maxlen`
 * bytes (0: to the BAR's end), for ioread*()/iowrite*(). A memory BAR maps as
 * ioremap() does: the iomem window's CPU address when one backs it. An I/O BAR
 * gives the port cookie (port + 0x10000). NULL (0) for a BAR number out of
 * range, an empty BAR, start 0 or an offset at or past the BAR's end. Differs:
 * a memory BAR no window backs is NULL here (logged by ioremap; TypeScript has
 * no memory outside the machine), where from C it maps plain register memory.
 * Never managed, as in the kernel.
 */
export function pci_iomap_range(pdev: pci_dev, bar: number, offset: number, maxlen: number): number {
  return iomap(pdev, 'pci_iomap_range', bar, offset, maxlen, false);
}

/** pci_iomap(): pci_iomap_range() from offset 0. */
export function pci_iomap(pdev: pci_dev, bar: number, maxlen: number): number {
  return iomap(pdev, 'pci_iomap', bar, 0, maxlen, false);
}

/** pci_iomap_wc_range(): pci_iomap_range() with write combining; NULL for an I/O BAR, as the kernel. */
export function pci_iomap_wc_range(pdev: pci_dev, bar: number, offset: number, maxlen: number): number {
  return iomap(pdev, 'pci_iomap_wc_range', bar, offset, maxlen, true);
}

/** pci_iomap_wc(): pci_iomap_wc_range() from offset 0. */
export function pci_iomap_wc(pdev: pci_dev, bar: number, maxlen: number): number {
  return iomap(pdev, 'pci_iomap_wc', bar, 0, maxlen, true);
}

/** pci_iounmap(): end a pci_iomap(): nothing for a port cookie or NULL, iounmap() for memory. */
export function pci_iounmap(pdev: pci_dev, addr: number): void {
  dev_check(pdev?.dev, 'pci_iounmap');
  if (addr === 0 || (addr > PIO_OFFSET && addr < PIO_RESERVED)) return;
  iounmap(addr);
}

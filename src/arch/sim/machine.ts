/*
 * The simulated machine: RAM banks in physical address space, zones, the buddy
 * allocator, and one memory arena that holds every byte of RAM.
 *
 * Three address spaces, never confused:
 *  - phys: where the banks sit (default: 1 GiB at 0 and 1 GiB at 4 GiB, so masks matter);
 *  - CPU virtual: vaddr = vbase + arena offset, a direct map of RAM packed without
 *    the holes between banks. In pure TypeScript mode vbase is far above any phys or
 *    bus address, so a driver that passes one for the other fails loudly; in bridge
 *    mode it is the real address of the native mapping, so C dereferences vaddrs;
 *  - bus (dma_addr_t): per device, phys + offset, or an IOVA behind an IOMMU.
 *
 * The arena is one buffer. V8 allocates large buffers with calloc/mmap, so a
 * machine with GiBs of RAM costs only the pages that are touched. A pure-TS
 * machine's arena is a SharedArrayBuffer, only ever used by this thread: V8
 * counts an ArrayBuffer's whole length as external memory, so each new 2 GiB
 * machine forced a full GC (in a property test, most of its CPU), while the GC
 * ignores a SharedArrayBuffer. The GC is told what may really be in use
 * instead: the machine's `ballast`, an ArrayBuffer that is never touched (so
 * never resident), grows by 4 MiB each time the page allocator first hands out
 * one of its boot-time blocks. So a dropped machine's memory is still
 * reclaimed, at a pace set by what it used rather than by its size.
 *
 * The machine holds machine state only. A subsystem keeps its per-machine state
 * in its own module, in a WeakMap<Machine, State> made on first use from
 * `machine.options` (mm/slab, mm/vmalloc, mm/dmapool, mm/page_owner, ...), so
 * adding one touches neither this class nor its constructor. Page poisoning is
 * the one set up at boot: it must see the first page the buddy allocator frees.
 */
import { DmashimError, invalidOption } from '../../lib/errors.ts';
import { parse_kernel_version } from '../../include/linux/version.ts';
import { init_mem_debugging_and_hardening } from '../../mm/page_poison.ts';
import {
  BuddyAllocator,
  PAGE_SHIFT,
  PAGE_SIZE,
  MAX_ORDER,
  ZONE_DMA,
  ZONE_NORMAL,
  ZONE_DMA_END,
  ZONE_DMA32_END,
  type PageOrderPolicy,
  type PageSegment,
} from '../../mm/page_alloc.ts';

export interface RamBank {
  /** Physical start address; a multiple of 4 MiB (the largest buddy block). */
  start: number;
  /** Size in bytes; a multiple of PAGE_SIZE. */
  size: number;
}

/** A window of device memory (on-board SRAM, a frame buffer): CPU-reachable, but not RAM. */
export interface IomemWindow {
  /** CPU physical start address; page aligned, outside every RAM bank. */
  phys: number;
  /** Size in bytes; a positive multiple of PAGE_SIZE. */
  size: number;
  /** A name for reports (default `iomem<N>`). */
  name?: string;
}

/** A window as the machine holds it: where its bytes are in the arena (after all RAM). */
export interface IomemRegion {
  readonly phys: number;
  readonly size: number;
  readonly name: string;
  readonly arenaOff: number;
}

export interface MachineOptions {
  /** RAM banks. Default: 1 GiB at 0 and 1 GiB at 4 GiB. Total at most 4 GiB (one arena). */
  ram?: RamBank[];
  /** Bytes at physical 0 kept out of the page allocator, so no buffer ever has address 0. Default 4096. */
  reserved_low?: number;
  /** Buddy split policy. Default 'low-first', as current kernels. */
  page_order?: PageOrderPolicy;
  /**
   * Pool poisoning (0xa7 freed / 0xa9 allocated) and page poisoning (0xaa), with
   * the corruption checks on alloc. Default: on under vitest, off otherwise.
   */
  poison?: boolean;
  /**
   * Device memory windows: outside every RAM bank, the page allocator and the
   * struct pages, reachable by the CPU through memremap()/ioremap() and usable
   * with dma_declare_coherent_memory(). Default none.
   */
  iomem?: IomemWindow[];
  /** Bridge mode: RAM (then the iomem windows) is this buffer (a koffi.view of native memory) and vaddrs start at `vbase`. */
  arena?: { buffer: ArrayBuffer; vbase: number };
  /** A name for reports. */
  name?: string;
  /**
   * The kernel whose shapes the API gives ("2.4.31", "2.6.12", "6.16"; src/include/linux/version.ts), as
   * `dmashim run --kernel`. Default: the newest kernel plus every legacy name that does not conflict.
   */
  kernel?: string;
}

const GiB = 1024 * 1024 * 1024;
const MAX_BLOCK = PAGE_SIZE << MAX_ORDER;
/** Largest arena: one typed array must span it. */
export const MAX_ARENA = 4 * GiB;
/** Pure-TS machines get vaddr windows of this size above VBASE0, one per machine. */
export const VBASE0 = 2 ** 52;
export const VWINDOW = 2 ** 33;

/* ES2024's resizable ArrayBuffer (in node 20; the project's lib is ES2022). */
interface Resizable {
  readonly byteLength: number;
  resize(byteLength: number): void;
}
const ResizableArrayBuffer = ArrayBuffer as unknown as new (
  byteLength: number,
  options: { maxByteLength: number },
) => Resizable;

const registry: Array<Machine | undefined> = [];
let bridgeMachine: Machine | undefined;
let current: Machine | undefined;

export const DEFAULT_RAM: readonly RamBank[] = [
  { start: 0, size: 1 * GiB },
  { start: 4 * GiB, size: 1 * GiB },
];

function inTestRunner(): boolean {
  return process.env['VITEST'] !== undefined;
}

/** The options a machine was made with, its defaults filled in where a subsystem reads them. */
export interface MachineConfig extends Readonly<MachineOptions> {
  readonly poison: boolean;
}

export class Machine {
  readonly name: string;
  /** What it was booted with (the kernel command line, in effect): subsystems read their options here. */
  readonly options: MachineConfig;
  readonly banks: ReadonlyArray<Readonly<RamBank> & { arenaOff: number }>;
  /** Bytes of the arena: RAM, then the iomem windows. */
  readonly arenaSize: number;
  /** Bytes of RAM: arena offsets below it are RAM, above it device memory. */
  readonly ramSize: number;
  /** The device memory windows, by address. */
  readonly iomem: readonly IomemRegion[];
  readonly vbase: number;
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  readonly u8: Uint8Array;
  readonly dv: DataView;
  readonly nPages: number;
  readonly buddy: BuddyAllocator;
  /** Highest physical address of RAM + 1. */
  readonly physEnd: number;
  readonly bridged: boolean;
  /** Set by dispose(): the machine's pools are no longer reachable through it. */
  disposed = false;
  private readonly slot: number;
  /* Pure TS: the GC's measure of the arena's bytes that may be in use (see the file's header); null when bridged. */
  private readonly ballast: Resizable | null;

  constructor(opts: MachineOptions = {}) {
    if (opts === null || typeof opts !== 'object') invalidOption('machine options must be an object');
    const ram = opts.ram ?? DEFAULT_RAM;
    if (!Array.isArray(ram) || ram.length === 0) invalidOption('machine ram must be a non-empty array of banks');
    let arenaOff = 0;
    let prevEnd = -1;
    const banks: Array<RamBank & { arenaOff: number }> = [];
    for (const b of ram) {
      if (!b || !Number.isSafeInteger(b.start) || !Number.isSafeInteger(b.size)) {
        invalidOption(`RAM bank ${JSON.stringify(b)}: start and size must be integers`);
      }
      if (b.start < 0 || b.start % MAX_BLOCK !== 0) {
        invalidOption(`RAM bank at 0x${b.start.toString(16)}: start must be a multiple of 4 MiB`);
      }
      if (b.size <= 0 || b.size % PAGE_SIZE !== 0) {
        invalidOption(`RAM bank at 0x${b.start.toString(16)}: size must be a positive multiple of ${PAGE_SIZE}`);
      }
      if (b.start < prevEnd) invalidOption('RAM banks must be sorted by address and must not overlap');
      if (b.start + b.size > 2 ** 48) invalidOption('RAM must lie below 2^48');
      prevEnd = b.start + b.size;
      banks.push({ start: b.start, size: b.size, arenaOff });
      arenaOff += b.size;
    }
    if (arenaOff > MAX_ARENA) invalidOption(`total RAM ${arenaOff} bytes exceeds the ${MAX_ARENA}-byte arena limit`);
    const ramSize = arenaOff;
    const iomem = iomem_regions(opts.iomem, banks, ramSize);
    for (const w of iomem) arenaOff += w.size;
    if (arenaOff > MAX_ARENA)
      invalidOption(`RAM and iomem windows (${arenaOff} bytes) exceed the ${MAX_ARENA}-byte arena limit`);
    if (opts.kernel !== undefined) parse_kernel_version(opts.kernel);
    const reserved = opts.reserved_low ?? PAGE_SIZE;
    if (!Number.isSafeInteger(reserved) || reserved < 0) invalidOption('reserved_low must be a non-negative integer');
    const policy = opts.page_order ?? 'low-first';
    if (policy !== 'low-first' && policy !== 'high-first') {
      invalidOption(`page_order must be 'low-first' or 'high-first', got ${String(policy)}`);
    }
    this.banks = banks;
    this.ramSize = ramSize;
    this.iomem = iomem;
    this.arenaSize = arenaOff;
    this.physEnd = prevEnd;
    this.nPages = arenaOff / PAGE_SIZE;
    this.name = opts.name ?? 'sim';
    if (opts.arena) {
      if (!(opts.arena.buffer instanceof ArrayBuffer) || opts.arena.buffer.byteLength < arenaOff) {
        invalidOption(`arena buffer must be an ArrayBuffer of at least ${arenaOff} bytes`);
      }
      // Page aligned: dma_pool_free finds the arena page from the low 32 bits of an address, exact only then.
      if (!Number.isSafeInteger(opts.arena.vbase) || opts.arena.vbase < 0 || opts.arena.vbase % PAGE_SIZE !== 0) {
        invalidOption(`arena vbase must be a page-aligned safe integer address, got ${String(opts.arena.vbase)}`);
      }
      this.buffer = opts.arena.buffer;
      this.vbase = opts.arena.vbase;
      this.bridged = true;
      this.slot = -1;
      bridgeMachine = this;
    } else {
      this.buffer = new SharedArrayBuffer(arenaOff);
      let slot = registry.indexOf(undefined);
      if (slot < 0) slot = registry.length;
      if (VBASE0 + (slot + 1) * VWINDOW > 2 ** 53) {
        throw new DmashimError('EINVALOPT', 'too many live machines: call machine.dispose() on ones you are done with');
      }
      registry[slot] = this;
      this.slot = slot;
      this.vbase = VBASE0 + slot * VWINDOW;
      this.bridged = false;
    }
    this.u8 = new Uint8Array(this.buffer, 0, arenaOff);
    this.dv = new DataView(this.buffer, 0, arenaOff);
    this.options = Object.freeze({ ...opts, poison: opts.poison ?? inTestRunner() });

    // Zones are split at 16 MiB and 4 GiB; both are 4 MiB aligned, so no buddy
    // block ever straddles two zones.
    const segments: PageSegment[] = [];
    const zoneLo = [0, ZONE_DMA_END, ZONE_DMA32_END];
    const zoneHi = [ZONE_DMA_END, ZONE_DMA32_END, Infinity];
    for (const b of banks) {
      for (let z = ZONE_DMA; z <= ZONE_NORMAL; z++) {
        const lo = Math.ceil(Math.max(zoneLo[z]!, b.start, reserved) / PAGE_SIZE) * PAGE_SIZE;
        const hi = Math.min(zoneHi[z]!, b.start + b.size);
        if (hi <= lo) continue;
        segments.push({
          zone: z,
          first: (b.arenaOff + (lo - b.start)) / PAGE_SIZE,
          end: (b.arenaOff + (hi - b.start)) / PAGE_SIZE,
          pfn0: lo / PAGE_SIZE,
        });
      }
    }
    this.buddy = new BuddyAllocator(ramSize / PAGE_SIZE, segments, policy);
    if (this.bridged) this.ballast = null;
    else {
      // RAM outside the boot-time blocks (zone edges, reserved pages) and the iomem windows count from the start.
      const ballast = new ResizableArrayBuffer(0, { maxByteLength: arenaOff });
      ballast.resize(arenaOff - this.buddy.bootPagesLeft() * PAGE_SIZE);
      this.buddy.onFirstUse = () => ballast.resize(ballast.byteLength + (PAGE_SIZE << MAX_ORDER));
      this.ballast = ballast;
    }
    init_mem_debugging_and_hardening(this);
  }

  /**
   * Bytes of the arena the JavaScript GC counts for this machine: for a pure-TS machine, RAM outside the boot-time
   * blocks, the iomem windows and each boot-time block the page allocator has handed out; for a bridged one, the whole
   * arena (V8 counts the C mapping's view in full).
   */
  get gcChargedBytes(): number {
    return this.ballast ? this.ballast.byteLength : this.arenaSize;
  }

  /** Release this machine's vaddr window (its memory goes with the last reference). */
  dispose(): void {
    this.disposed = true;
    if (this.slot >= 0 && registry[this.slot] === this) registry[this.slot] = undefined;
    if (bridgeMachine === this) bridgeMachine = undefined;
    if (current === this) current = undefined;
  }

  /** Arena offset of a CPU virtual address, or -1 when it is not in this machine's direct map. */
  virtToOff(vaddr: number): number {
    const off = vaddr - this.vbase;
    return off >= 0 && off < this.arenaSize && Number.isInteger(off) ? off : -1;
  }

  offToVirt(off: number): number {
    return this.vbase + off;
  }

  /** Physical address of an arena offset (RAM or an iomem window). */
  offToPhys(off: number): number {
    if (off >= this.ramSize) {
      for (const w of this.iomem)
        if (off >= w.arenaOff && off < w.arenaOff + w.size) return w.phys + (off - w.arenaOff);
      return -1;
    }
    const banks = this.banks;
    for (let i = banks.length - 1; i >= 0; i--) {
      const b = banks[i]!;
      if (off >= b.arenaOff) return b.start + (off - b.arenaOff);
    }
    return -1;
  }

  /** Arena offset of a physical address, or -1 when no RAM is there. */
  physToOff(phys: number): number {
    for (const b of this.banks) {
      if (phys >= b.start && phys < b.start + b.size) return b.arenaOff + (phys - b.start);
    }
    return -1;
  }

  /** True when [phys, phys+len) is RAM of a single bank. */
  physIsRam(phys: number, len: number): boolean {
    for (const b of this.banks) {
      if (phys >= b.start && phys + len <= b.start + b.size) return true;
    }
    return false;
  }

  /** The iomem window holding [phys, phys+len), or undefined. */
  iomemAtPhys(phys: number, len = 1): IomemRegion | undefined {
    for (const w of this.iomem) if (phys >= w.phys && phys + len <= w.phys + w.size) return w;
    return undefined;
  }

  /** The CPU address of [phys, phys+len) inside one iomem window, or 0 (NULL) when no window holds it all. */
  iomemVirt(phys: number, len = 1): number {
    const w = this.iomemAtPhys(phys, len);
    return w ? this.vbase + w.arenaOff + (phys - w.phys) : 0;
  }

  /** The iomem window holding the CPU address `vaddr`, or undefined (RAM, anything else). */
  iomemAtVirt(vaddr: number): IomemRegion | undefined {
    const off = vaddr - this.vbase;
    if (!(off >= this.ramSize && off < this.arenaSize)) return undefined;
    for (const w of this.iomem) if (off >= w.arenaOff && off < w.arenaOff + w.size) return w;
    return undefined;
  }

  /** Total RAM in bytes. */
  get totalRam(): number {
    return this.ramSize;
  }
}

export { PAGE_SHIFT, PAGE_SIZE };

/**
 * Check iomem windows against the RAM banks (our API's refusals, as for RAM
 * banks) and place them in the arena after RAM. `ramBanks` must already be
 * checked; the runner calls this before it reserves the arena.
 */
export function iomem_regions(
  windows: readonly IomemWindow[] | undefined,
  ramBanks: readonly RamBank[],
  ramSize: number,
): IomemRegion[] {
  if (windows === undefined) return [];
  if (!Array.isArray(windows)) invalidOption('machine iomem must be an array of { phys, size, name } windows');
  const out: IomemRegion[] = [];
  let arenaOff = ramSize;
  windows.forEach((w, i) => {
    if (w === null || typeof w !== 'object' || !Number.isSafeInteger(w.phys) || !Number.isSafeInteger(w.size))
      invalidOption(`iomem window ${JSON.stringify(w) ?? String(w)}: phys and size must be integers`);
    const at = `iomem window at 0x${w.phys.toString(16)}`;
    if (w.phys < 0 || w.phys % PAGE_SIZE !== 0) invalidOption(`${at}: phys must be a multiple of ${PAGE_SIZE}`);
    if (w.size <= 0 || w.size % PAGE_SIZE !== 0)
      invalidOption(`${at}: size must be a positive multiple of ${PAGE_SIZE}`);
    if (w.phys + w.size > 2 ** 48) invalidOption(`${at}: must lie below 2^48`);
    const name = w.name ?? `iomem${i}`;
    if (typeof name !== 'string' || !/^[\w.-]{1,32}$/.test(name))
      invalidOption(`${at}: name must be 1 to 32 letters, digits, '_', '.' or '-', got ${JSON.stringify(name)}`);
    const overlaps = (a: number, n: number): boolean => w.phys < a + n && a < w.phys + w.size;
    for (const b of ramBanks)
      if (overlaps(b.start, b.size))
        invalidOption(`${at}: overlaps the RAM bank at 0x${b.start.toString(16)} (device memory is not RAM)`);
    for (const o of out) {
      if (overlaps(o.phys, o.size)) invalidOption(`${at}: overlaps iomem window ${o.name}`);
      if (o.name === name) invalidOption(`${at}: name ${name} is already used by another window`);
    }
    out.push({ phys: w.phys, size: w.size, name, arenaOff });
    arenaOff += w.size;
  });
  return out;
}

/** Create a machine (our API; the kernel has exactly one). It becomes the current machine if there is none. */
export function create_machine(opts: MachineOptions = {}): Machine {
  const m = new Machine(opts);
  current ??= m;
  return m;
}

/** The machine that devices created without one, and address accessors, use. Created on first use. */
export function default_machine(): Machine {
  current ??= new Machine();
  return current;
}

/** Make `m` the current machine; returns the previous one. */
export function set_current_machine(m: Machine | undefined): Machine | undefined {
  const prev = current;
  current = m;
  return prev;
}

/** The machine whose direct map holds `vaddr`, or undefined. O(1). */
export function machine_of(vaddr: number): Machine | undefined {
  const c = current;
  if (c !== undefined && vaddr - c.vbase >= 0 && vaddr - c.vbase < c.arenaSize) return c;
  const b = bridgeMachine;
  if (b !== undefined && vaddr - b.vbase >= 0 && vaddr - b.vbase < b.arenaSize) return b;
  const slot = Math.floor((vaddr - VBASE0) / VWINDOW);
  const m = slot >= 0 ? registry[slot] : undefined;
  return m !== undefined && vaddr - m.vbase < m.arenaSize ? m : undefined;
}

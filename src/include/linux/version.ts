/*
 * include/linux/version.h, and the kernel era dmashim imitates. A machine made
 * with `kernel: '2.6.12'` (the TypeScript twin of `dmashim run --kernel 2.6.12`)
 * gives that kernel's shapes where the TypeScript API has a choice: the layers
 * that had era-specific forms (pci_pool_create's 2.4 sixth argument, the
 * scatterlist's pre-2.6.24 members) ask `kernel_has()` / `kernel_shape_before()`.
 * Without a kernel the machine is the newest kernel plus every legacy name
 * that does not conflict with it, as the C headers without --kernel.
 */
import type { Machine } from '../../arch/sim/machine.ts';
import { invalidOption } from '../../lib/errors.ts';

/** The kernel's encoding: (a << 16) + (b << 8) + min(c, 255). */
export function KERNEL_VERSION(a: number, b: number, c: number): number {
  return a * 65536 + b * 256 + Math.min(c, 255);
}

/** The newest kernel whose shapes dmashim gives: the default LINUX_VERSION_CODE. */
export const DMASHIM_NEWEST_KERNEL = '6.16';
export const LINUX_VERSION_CODE_NEWEST = KERNEL_VERSION(6, 16, 0);

/*
 * The release series --kernel takes, by major.minor: each with its last minor
 * (2.4 and 2.6 count in sublevels). 2.5 was a development series, and before
 * 2.4 there was no pci_pool and no DMA-mapping.txt API to imitate.
 */
const SERIES: ReadonlyArray<{ major: number; minor: number; lastSub?: number }> = [
  { major: 2, minor: 4, lastSub: 37 },
  { major: 2, minor: 6, lastSub: 39 },
  ...Array.from({ length: 20 }, (_, i) => ({ major: 3, minor: i })),
  ...Array.from({ length: 21 }, (_, i) => ({ major: 4, minor: i })),
  ...Array.from({ length: 20 }, (_, i) => ({ major: 5, minor: i })),
  ...Array.from({ length: 17 }, (_, i) => ({ major: 6, minor: i })),
];

const KERNELS_HELP = '2.4.0-2.4.37, 2.6.0-2.6.39, 3.0-3.19, 4.0-4.20, 5.0-5.19, 6.0-6.16; e.g. 2.4.31, 2.6.12, 6.16';

/**
 * "2.6.12" -> KERNEL_VERSION(2, 6, 12). 2.4 and 2.6 need their sublevel (2.6.12:
 * the era is in it); later kernels take "6.16" or "6.16.3". Throws a DmashimError
 * (EINVALOPT) naming the kernels it takes for anything else.
 */
export function parse_kernel_version(s: unknown): number {
  const text = typeof s === 'string' ? s.trim() : '';
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(text);
  const refuse = (): never =>
    invalidOption(`--kernel: no kernel ${JSON.stringify(s)} to imitate (dmashim takes ${KERNELS_HELP})`);
  if (!m) return refuse();
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const sub = m[3] === undefined ? null : Number(m[3]);
  const series = SERIES.find((e) => e.major === major && e.minor === minor);
  if (!series) return refuse();
  if (series.lastSub !== undefined) {
    if (sub === null || sub > series.lastSub) return refuse();
  } else if (sub !== null && sub > 400) return refuse();
  return KERNEL_VERSION(major, minor, sub ?? 0);
}

/** KERNEL_VERSION code -> "2.6.12" (the sublevel is left out when 0 after 2.6). */
export function kernel_version_string(code: number): string {
  const a = Math.floor(code / 65536);
  const b = Math.floor(code / 256) % 256;
  const c = code % 256;
  return a < 3 || c !== 0 ? `${a}.${b}.${c}` : `${a}.${b}`;
}

/** The compiler flags of an era: what `--kernel V` adds (include/dmashim/era.h reads them). */
export function kernel_cflags(code: number): string[] {
  return [`-DLINUX_VERSION_CODE=${code}`, `-DDMASHIM_KERNEL=${code}`];
}

/* Parsed once per machine: the compat calls ask on every call. */
const kernelOf = new WeakMap<Machine, number | null>();

/** The machine's kernel (options.kernel) as a KERNEL_VERSION code, or null when none was chosen. */
export function machine_kernel(machine: Machine): number | null {
  let k = kernelOf.get(machine);
  if (k === undefined) {
    const v = machine.options.kernel;
    k = v === undefined ? null : parse_kernel_version(v);
    kernelOf.set(machine, k);
  }
  return k;
}

/**
 * Whether a name that the kernel had from `since` (inclusive) until `until`
 * (exclusive; null = still there) exists on this machine. Without a chosen
 * kernel every name exists (the newest kernel plus the legacy names), as the C
 * headers' DMASHIM_HAS_SINCE / DMASHIM_HAS_UNTIL.
 */
export function kernel_has(machine: Machine, since: number | null, until: number | null): boolean {
  const k = machine_kernel(machine);
  if (k === null) return true;
  return (since === null || k >= since) && (until === null || k < until);
}

/** Whether the machine imitates a kernel before `code` (old shapes that conflict with today's; C: DMASHIM_SHAPE_BEFORE). */
export function kernel_shape_before(machine: Machine, code: number): boolean {
  const k = machine_kernel(machine);
  return k !== null && k < code;
}

/**
 * For an era-specific function of the TypeScript API: throws a DmashimError
 * (EINVALOPT) naming `fn` and the machine's kernel when that kernel did not
 * have it, the TypeScript counterpart of the C compile error.
 */
export function kernel_require(machine: Machine, fn: string, since: number | null, until: number | null): void {
  if (kernel_has(machine, since, until)) return;
  const k = kernel_version_string(machine_kernel(machine) ?? LINUX_VERSION_CODE_NEWEST);
  const why =
    since !== null && (machine_kernel(machine) ?? 0) < since
      ? `it appeared in ${kernel_version_string(since)}`
      : `it was removed in ${kernel_version_string(until ?? 0)}`;
  invalidOption(`${fn}: not in Linux ${k} (the machine's kernel): ${why}`);
}

/*
 * drivers/base/devres.c: managed resources, released in reverse order of
 * acquisition when the driver detaches (device_del here, which dmashim treats
 * as the detach of a bound driver) or, for what was added after that, when the
 * last reference is dropped (device_release).
 *
 * One list per device holds every kind: the dmam_* pools and buffers, devm_*
 * memory and actions, and the C program's devres_alloc'd resources and
 * devm_add_action callbacks (which C itself calls: see devres_pop).
 */
import type { device } from './core.ts';
import { dev_check, dev_prefix } from './core.ts';
import { printk_level, KERN_ERR } from '../../kernel/printk.ts';
import { WARN_ON } from '../../kernel/panic.ts';
import { kmalloc, kfree } from '../../mm/slab.ts';
import { __GFP_ZERO, type gfp_t } from '../../include/linux/gfp.ts';

export interface devres {
  /** What it is, for reports (e.g. "dmam_pool_release"). */
  name: string;
  release: (dev: device) => void;
  /** The object the resource manages, to find it again (devres_find / devres_release). */
  data: unknown;
}

/**
 * Whether `fn` may add a managed resource to `dev`. A device whose last
 * reference is gone has been freed in the kernel, so adding to it is a use
 * after free there and here nothing would ever release it: it is refused with
 * a misuse report before anything is taken. A device that is only deleted
 * (device_del, a reference still held) takes resources: they are released at
 * the last put_device, as the kernel's device_release does.
 */
export function devres_dev_alive(dev: device, fn: string): boolean {
  if (!dev.released) return true;
  printk_level(
    KERN_ERR,
    `dmashim: ${dev_prefix(dev)}${fn}() on a device that was already released (its last reference was dropped): the kernel would use freed memory; nothing was allocated`,
  );
  return false;
}

/**
 * Add a managed resource. Returns true, or false when the device was already
 * released (reported; the resource is not added and the caller frees it).
 */
export function devres_add(dev: device, res: devres): boolean {
  if (!devres_dev_alive(dev, 'devres_add')) return false;
  dev.devres_head.push(res);
  return true;
}

/** Find the managed resource named `name` whose data is `data`, or null. */
export function devres_find(dev: device, name: string, data: unknown): devres | null {
  for (let i = dev.devres_head.length - 1; i >= 0; i--) {
    const r = dev.devres_head[i]!;
    if (r.name === name && r.data === data) return r;
  }
  return null;
}

/** Remove one managed resource without releasing it. Returns 0, or -ENOENT when it is not found. */
export function devres_destroy(dev: device, name: string, data: unknown): number {
  for (let i = dev.devres_head.length - 1; i >= 0; i--) {
    const r = dev.devres_head[i]!;
    if (r.name === name && r.data === data) {
      dev.devres_head.splice(i, 1);
      return 0;
    }
  }
  return -2; /* -ENOENT */
}

/** Remove and release one managed resource. Returns 0, or -ENOENT when it is not found (kernel values). */
export function devres_release(dev: device, name: string, data: unknown): number {
  for (let i = dev.devres_head.length - 1; i >= 0; i--) {
    const r = dev.devres_head[i]!;
    if (r.name === name && r.data === data) {
      dev.devres_head.splice(i, 1);
      r.release(dev);
      return 0;
    }
  }
  return -2; /* -ENOENT */
}

/** Release every managed resource, newest first. Returns how many were released. */
export function devres_release_all(dev: device): number {
  let n = 0;
  while (dev.devres_head.length > 0) {
    const r = dev.devres_head.pop()!;
    r.release(dev);
    n++;
  }
  return n;
}

/* ---- devm_kmalloc and friends ---- */

const DEVM_KMALLOC_RELEASE = 'devm_kmalloc_release';
const DEVM_ACTION_RELEASE = 'devm_action_release';

/**
 * devm_kmalloc(): kmalloc'ed memory freed when the driver detaches. Returns the
 * CPU address or 0 (NULL): for size 0 as the kernel (which returns
 * ZERO_SIZE_PTR; here NULL, so nothing unmanaged escapes), for a failed
 * allocation, and for a released device (reported). Context: as kmalloc.
 */
export function devm_kmalloc(dev: device, size: number, gfp: gfp_t): number {
  dev_check(dev, 'devm_kmalloc');
  if (!Number.isSafeInteger(size) || size <= 0) return 0;
  if (!devres_dev_alive(dev, 'devm_kmalloc')) return 0;
  const p = kmalloc(size, gfp, dev.machine);
  if (!p) return 0;
  dev.devres_head.push({ name: DEVM_KMALLOC_RELEASE, data: p, release: () => kfree(p) });
  return p;
}

/** devm_kzalloc(): zeroed devm_kmalloc. */
export function devm_kzalloc(dev: device, size: number, gfp: gfp_t): number {
  return devm_kmalloc(dev, size, gfp | __GFP_ZERO);
}

/** devm_kmalloc_array(): n * size bytes, NULL (0) when the product overflows. */
export function devm_kmalloc_array(dev: device, n: number, size: number, gfp: gfp_t): number {
  const t = n * size;
  return Number.isSafeInteger(t) && n >= 0 && size >= 0 ? devm_kmalloc(dev, t, gfp) : 0;
}

/** devm_kcalloc(): zeroed devm_kmalloc_array. */
export function devm_kcalloc(dev: device, n: number, size: number, gfp: gfp_t): number {
  return devm_kmalloc_array(dev, n, size, gfp | __GFP_ZERO);
}

/**
 * devm_kfree(): free managed memory now. NULL is ignored; memory that is not
 * the device's devm_kmalloc memory gets the kernel's WARN and is not freed.
 */
export function devm_kfree(dev: device, p: number): void {
  dev_check(dev, 'devm_kfree');
  if (!p) return;
  WARN_ON(
    devres_release(dev, DEVM_KMALLOC_RELEASE, p) !== 0,
    'drivers/base/devres.c devm_kfree',
    "WARN_ON(rc): devm_kfree() of memory that is not this device's devm_kmalloc memory",
  );
}

/** What devm_add_action registers: the action and its argument (compared by identity). */
interface devm_action {
  action: (data: unknown) => void;
  data: unknown;
}

/**
 * devm_add_action(): call action(data) when the driver detaches, in reverse
 * order with every other managed resource. Returns 0, or -ENOMEM for a
 * released device (reported; nothing added).
 */
export function devm_add_action(dev: device, action: (data: unknown) => void, data: unknown): number {
  dev_check(dev, 'devm_add_action');
  if (!devres_dev_alive(dev, 'devm_add_action')) return -12;
  const a: devm_action = { action, data };
  dev.devres_head.push({ name: DEVM_ACTION_RELEASE, data: a, release: () => a.action(a.data) });
  return 0;
}

/** devm_add_action_or_reset(): as devm_add_action, but calls action(data) at once when it fails. */
export function devm_add_action_or_reset(dev: device, action: (data: unknown) => void, data: unknown): number {
  const rc = devm_add_action(dev, action, data);
  if (rc) action(data);
  return rc;
}

function find_action(dev: device, action: (data: unknown) => void, data: unknown): devm_action | null {
  for (let i = dev.devres_head.length - 1; i >= 0; i--) {
    const r = dev.devres_head[i]!;
    const a = r.data as devm_action;
    if (r.name === DEVM_ACTION_RELEASE && a.action === action && a.data === data) return a;
  }
  return null;
}

/** devm_remove_action(): forget an action without calling it; WARNs when it was never added. */
export function devm_remove_action(dev: device, action: (data: unknown) => void, data: unknown): void {
  dev_check(dev, 'devm_remove_action');
  const a = find_action(dev, action, data);
  if (WARN_ON(a === null, 'drivers/base/devres.c devm_remove_action', 'WARN_ON(devres_destroy(...))')) return;
  devres_destroy(dev, DEVM_ACTION_RELEASE, a);
}

/** devm_release_action(): remove an action and call it now; WARNs when it was never added. */
export function devm_release_action(dev: device, action: (data: unknown) => void, data: unknown): void {
  dev_check(dev, 'devm_release_action');
  const a = find_action(dev, action, data);
  if (WARN_ON(a === null, 'drivers/base/devres.c devm_release_action', 'WARN_ON(devres_release(...))')) return;
  devres_release(dev, DEVM_ACTION_RELEASE, a);
}

/* ---- the C program's entries (native/devres.c): C calls their functions itself ---- */

/** A C devres entry: fn is a C function address; data a C pointer (an action's) or the devres_alloc'd data. */
export interface c_devres {
  /** 1 = devm_add_action (fn(data)), 2 = devres_alloc'd (fn(dev, data), then freed). */
  kind: number;
  fn: number;
  data: number;
}

export const C_DEVRES_ACTION = 1;
export const C_DEVRES_ALLOC = 2;
const C_DEVRES = 'c_devres';

/** Add a C entry; false when the device was released (reported). */
export function c_devres_add(dev: device, e: c_devres, fn: string): boolean {
  if (!devres_dev_alive(dev, fn)) return false;
  dev.devres_head.push({
    name: C_DEVRES,
    data: e,
    release: (d) =>
      printk_level(KERN_ERR, `dmashim: ${dev_prefix(d)}a C managed resource was released outside C and not called`),
  });
  return true;
}

/** The newest C entry matching kind, fn and data, taken off the list, or null. */
export function c_devres_take(dev: device, kind: number, fn: number, data: number): c_devres | null {
  for (let i = dev.devres_head.length - 1; i >= 0; i--) {
    const r = dev.devres_head[i]!;
    const e = r.data as c_devres;
    if (r.name === C_DEVRES && e.kind === kind && e.fn === fn && e.data === data) {
      dev.devres_head.splice(i, 1);
      return e;
    }
  }
  return null;
}

/**
 * Take the newest managed resource off the list: a TypeScript one is released
 * here and null returned; a C one is returned for C to call. undefined when the
 * list is empty. C drains the list this way, so both kinds go in one order.
 */
export function devres_pop(dev: device): c_devres | null | undefined {
  const r = dev.devres_head.pop();
  if (!r) return undefined;
  if (r.name === C_DEVRES) return r.data as c_devres;
  r.release(dev);
  return null;
}

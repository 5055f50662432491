/*
 * drivers/base/devres.c: managed resources, released in reverse order of
 * acquisition when the device goes away (device_unregister here; driver detach
 * in the kernel).
 */
import type { device } from './core.ts';

export interface devres {
  /** What it is, for reports (e.g. "dmam_pool_release"). */
  name: string;
  release: (dev: device) => void;
  /** The object the resource manages, to find it again (devres_find / devres_release). */
  data: unknown;
}

/** Add a managed resource. */
export function devres_add(dev: device, res: devres): void {
  dev.devres_head.push(res);
}

/** Find the managed resource named `name` whose data is `data`, or null. */
export function devres_find(dev: device, name: string, data: unknown): devres | null {
  for (let i = dev.devres_head.length - 1; i >= 0; i--) {
    const r = dev.devres_head[i]!;
    if (r.name === name && r.data === data) return r;
  }
  return null;
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

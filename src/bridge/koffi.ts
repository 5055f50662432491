/*
 * koffi, loaded lazily and optionally: it is an optionalDependency, so the
 * TypeScript API and its tests never import it. Only the few entry points the
 * bridge uses are typed here, which also keeps `any` out of our code.
 */
import { createRequire } from 'node:module';

export type KoffiType = object;

export interface KoffiFunction {
  (...args: unknown[]): unknown;
  async(...args: unknown[]): void;
}

export interface KoffiLibrary {
  func(definition: string): KoffiFunction;
  unload(): void;
}

export interface KoffiConfig {
  sync_stack_size?: number;
  async_stack_size?: number;
  [key: string]: number | undefined;
}

export interface Koffi {
  load(path: string | null): KoffiLibrary;
  config(): KoffiConfig;
  config(cfg: KoffiConfig): KoffiConfig;
  proto(definition: string): KoffiType;
  struct(name: string, def: Record<string, KoffiType | string>): KoffiType;
  pointer(type: KoffiType | string): KoffiType;
  register(fn: (...args: never[]) => unknown, type: KoffiType | string): bigint;
  unregister(ptr: bigint): void;
  view(ptr: bigint | number, len: number): ArrayBuffer;
  decode: { string(ptr: bigint | number, len?: number): string };
}

let cached: Koffi | null = null;
let failure: string | null = null;

/** koffi, or null with the reason in koffi_unavailable_reason(). */
export function try_load_koffi(): Koffi | null {
  if (cached || failure) return cached;
  try {
    const req = createRequire(import.meta.url);
    cached = req('koffi') as Koffi;
  } catch (e) {
    failure = `koffi is not installed or cannot load (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); it is an optional dependency: npm install koffi`;
  }
  return cached;
}

export function koffi_unavailable_reason(): string | null {
  try_load_koffi();
  return failure;
}

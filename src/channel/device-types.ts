/**
 * Device type lookup for the placements: the registry (src/devices/registry.ts) plus any
 * extra modules named in PlacementServices.typeModules (each exporting `deviceTypes`).
 */
import type { DeviceType } from '../devices/api.js';
import { deviceTypes } from '../devices/registry.js';

export async function loadDeviceTypes(typeModules: readonly string[] = []): Promise<Map<string, DeviceType>> {
  const map = new Map<string, DeviceType>();
  for (const t of deviceTypes) map.set(t.name, t);
  for (const spec of typeModules) {
    const mod = (await import(/* @vite-ignore */ spec)) as { deviceTypes?: DeviceType[] };
    for (const t of mod.deviceTypes ?? []) map.set(t.name, t);
  }
  return map;
}

/** Seed of a device's deterministic random source: the same in both placements. */
export function deviceSeed(dev: number, id: string): number {
  let seed = 0x9e3779b9 ^ Math.imul(dev, 0x85ebca6b);
  for (let i = 0; i < id.length; i++) seed = Math.imul(seed ^ id.charCodeAt(i), 0x01000193);
  return seed === 0 ? 1 : seed;
}

/** A xorshift32 random source in [0, 1) (never Math.random inside models). */
export function xorshift(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

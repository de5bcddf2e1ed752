/**
 * Shadow-register slot assignment. A device declares side-effect-free registers in its
 * resources (`PortRange.shadow`); the CPU side assigns each (device, region, offset) a slot in
 * its channel's shadow page and sends the table to the worker at attach time, so both ends
 * agree without recomputing. The worker publishes values with DeviceHost.publishShadow; the
 * CPU serves a read from the slot only when the posted-write ring is drained (every earlier
 * write has been applied, so the published value is current).
 */
import type { Resources } from '../devices/api.js';
import { MAX_SHADOW } from './layout.js';

/** One shadow slot: device index in the channel, region, offset -> slot number. */
export interface ShadowSlot {
  dev: number;
  region: number;
  offset: number;
  slot: number;
}

/** Key of a (region, offset) pair inside one device. */
export function shadowKey(region: number, offset: number): number {
  return region * 0x10000 + offset;
}

/**
 * Assign slots for the devices of one channel, in device order. Slots beyond MAX_SHADOW are
 * not assigned (those registers simply take the round trip).
 */
export function assignShadowSlots(devices: readonly { dev: number; resources: Resources }[]): ShadowSlot[] {
  const out: ShadowSlot[] = [];
  for (const d of devices) {
    d.resources.ports.forEach((range, region) => {
      for (const offset of range.shadow ?? []) {
        if (out.length >= MAX_SHADOW) return;
        if (offset < 0 || offset >= range.length) continue;
        out.push({ dev: d.dev, region, offset, slot: out.length });
      }
    });
  }
  return out;
}

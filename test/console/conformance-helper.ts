/**
 * Registry conformance checks for one device type (used by test/console and test/input):
 * reset is idempotent, state round-trips, unknown offsets are safe, and 10,000 random
 * register accesses (with time passing and backend events) never throw.
 */
import { expect } from 'vitest';
import type { AccessSize, DeviceModel, DeviceType } from '../../src/devices/api.js';
import { fakeHost, type FakeHost } from '../fakes.js';

export interface ConformanceOptions {
  type: DeviceType;
  makeBackend: () => unknown;
  /** Host-side events to interleave (e.g. serial input, key presses). */
  poke?: (backend: unknown, rnd: () => number) => void;
  /** State fields (paths) that mirror the outside world (modem input lines, held buttons) and survive reset. */
  externalFields?: string[];
}

function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

export function makeDevice(o: ConformanceOptions): { host: FakeHost; dev: DeviceModel; backend: unknown } {
  const backend = o.makeBackend();
  const host = fakeHost({ backend });
  host.publishShadow = () => {};
  const dev = o.type.create(host, {});
  return { host, dev, backend };
}

/** Run `n` random accesses; returns nothing, throws on the first exception. */
export function fuzz(o: ConformanceOptions, host: FakeHost, dev: DeviceModel, backend: unknown, n: number, seed: number): void {
  const res = o.type.resources({});
  const rnd = prng(seed);
  const sizes: AccessSize[] = [1, 1, 1, 2, 4];
  for (let i = 0; i < n; i++) {
    const region = Math.floor(rnd() * res.ports.length);
    const len = res.ports[region].length;
    const offset = rnd() < 0.95 ? Math.floor(rnd() * len) : len + Math.floor(rnd() * 4);
    const size = sizes[Math.floor(rnd() * sizes.length)];
    const r = rnd();
    if (r < 0.45) {
      const v = dev.ioRead!(region, offset, size);
      expect(Number.isInteger(v)).toBe(true);
    } else if (r < 0.9) {
      dev.ioWrite!(region, offset, size, Math.floor(rnd() * 0x100000000) >>> 0);
    } else if (r < 0.97) {
      host.clock.advance(Math.floor(rnd() * 2_000_000));
    } else {
      o.poke?.(backend, rnd);
    }
  }
}

export function checkConformance(o: ConformanceOptions): void {
  // Reset idempotent, and equal to a fresh device's state.
  {
    const { host, dev, backend } = makeDevice(o);
    const fresh = dev.saveState!();
    fuzz(o, host, dev, backend, 2000, 7);
    dev.reset!();
    const a = dev.saveState!();
    dev.reset!();
    const b = dev.saveState!();
    expect(b).toEqual(a);
    // Drop external fields, given as paths ('inputs', 'mouse.buttons').
    const strip = (d: Record<string, unknown>): Record<string, unknown> => {
      const c = JSON.parse(JSON.stringify(d)) as Record<string, unknown>;
      for (const path of o.externalFields ?? []) {
        const parts = path.split('.');
        let obj = c as Record<string, unknown> | undefined;
        for (const p of parts.slice(0, -1)) obj = obj?.[p] as Record<string, unknown> | undefined;
        if (obj) delete obj[parts[parts.length - 1]];
      }
      return c;
    };
    expect(strip(a.data)).toEqual(strip(fresh.data));
    expect(a.version).toBe(o.type.stateVersion);
  }
  // State round-trips into a new instance.
  {
    const { host, dev, backend } = makeDevice(o);
    fuzz(o, host, dev, backend, 3000, 11);
    const s = dev.saveState!();
    const copy = makeDevice(o).dev;
    copy.loadState!(JSON.parse(JSON.stringify(s)));
    expect(copy.saveState!()).toEqual(s);
    expect(() => copy.loadState!({ type: o.type.name, version: 999, data: {} })).toThrow();
  }
  // Unknown offsets: all-ones reads, dropped writes, reported as guest errors.
  {
    const { host, dev } = makeDevice(o);
    const before = dev.saveState!();
    for (const [region, p] of o.type.resources({}).ports.entries()) {
      expect(dev.ioRead!(region, p.length + 1, 1)).toBe(0xff);
      dev.ioWrite!(region, p.length + 1, 1, 0x5a);
    }
    expect(dev.ioRead!(99, 0, 1)).toBe(0xff);
    dev.ioWrite!(99, 0, 1, 0);
    expect(host.guestErrors.length).toBeGreaterThanOrEqual(2);
    expect(dev.saveState!()).toEqual(before);
  }
  // 10,000 random accesses never throw.
  {
    const { host, dev, backend } = makeDevice(o);
    expect(() => fuzz(o, host, dev, backend, 10_000, 12345)).not.toThrow();
    dev.destroy?.();
  }
}

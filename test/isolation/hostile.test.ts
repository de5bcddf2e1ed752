/**
 * Hostile input: random register sequences against every registered device type
 * (src/devices/registry.ts, growing as devices are added) and the test DMA device, in both
 * placements. A device must never throw out of its model, never stall past the deadline, and
 * reads must stay within their access size. Any of those is reported by the placement as a
 * device-failed event, so the test checks that no such event occurs.
 */
import { describe, expect, test } from 'vitest';
import type { AccessSize, DeviceModel, DeviceType } from '../../src/devices/api.js';
import { deviceTypes } from '../../src/devices/registry.js';
import type { DeviceSpec, Placement } from '../../src/channel/placement.js';
import { makeHarness, place } from '../channel/harness.js';

const candidates: string[] = [...deviceTypes.filter((t) => t.class !== 'chipset').map((t) => t.name), 'test-dma'];
const OPS = 3000;

function rng(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) / 4294967296; };
}

function hammer(model: DeviceModel, type: DeviceType | undefined, seed: number): void {
  const r = rng(seed);
  const res = type?.resources(Object.fromEntries(Object.entries(type.properties).map(([k, p]) => [k, p.default])));
  const portRegions = Math.max(1, res?.ports.length ?? 1) + (res?.pci?.bars.length ?? 0);
  const mmioRegions = Math.max(1, res?.mmio.length ?? 1) + (res?.pci?.bars.length ?? 0);
  const pick = <T,>(a: readonly T[]): T => a[Math.floor(r() * a.length)];
  for (let i = 0; i < OPS; i++) {
    const size = pick([1, 2, 4] as AccessSize[]);
    const region = Math.floor(r() * (portRegions + 1));
    const len = res?.ports[region]?.length ?? 16;
    const offset = r() < 0.9 ? Math.floor(r() * len) : Math.floor(r() * 0x10000);
    const value = Math.floor(r() * 0x100000000);
    const op = Math.floor(r() * 8);
    let v: number | undefined;
    switch (op) {
      case 0: case 1: model.ioWrite?.(region, offset, size, value); break;
      case 2: v = model.ioRead?.(region, offset, size); break;
      case 3: model.mmioWrite?.(Math.floor(r() * mmioRegions), offset, size, value); break;
      case 4: v = model.mmioRead?.(Math.floor(r() * mmioRegions), offset, size); break;
      case 5: model.pciConfigWrite?.(0x40 + Math.floor(r() * 0xc0), size, value); break;
      case 6: v = model.pciConfigRead?.(0x40 + Math.floor(r() * 0xc0), size); break;
      case 7: {
        const buf = new Uint8Array(size * (1 + Math.floor(r() * 64)));
        if (r() < 0.5) model.ioReadString?.(region, offset, size, buf);
        else { buf.fill(value & 0xff); model.ioWriteString?.(region, offset, size, buf); }
        break;
      }
    }
    if (v !== undefined) {
      const what = `${type?.name ?? 'device'}: op ${op} region ${region} offset ${offset} size ${size} -> ${v}`;
      expect(Number.isInteger(v), what).toBe(true);
      expect(v, what).toBeGreaterThanOrEqual(0);
      expect(v, what).toBeLessThan(2 ** (8 * size));
    }
  }
  model.reset?.();
}

describe.each(['monolithic', 'isolated'] as Placement[])('hostile register sequences (%s)', (placement) => {
  test(`every registered device type survives ${OPS} random accesses: ${candidates.join(', ')}`, async () => {
    const h = makeHarness({ response: 'stop', deadlineMs: 2000 });
    const types = new Map(deviceTypes.map((t) => [t.name, t]));
    const specs: DeviceSpec[] = candidates.map((name, i) => ({ id: `${name}-${i}`, type: name }));
    const placed = await place(specs, placement, h);
    try {
      specs.forEach((s, i) => hammer(placed.models.get(s.id)!, types.get(s.type), 0x1000 + i));
      placed.flush();
      placed.poll();
      expect(h.events).toEqual([]);
      for (const s of specs) expect(placed.health(s.id)).toBe('running');
    } finally {
      await placed.shutdown();
    }
  });
});

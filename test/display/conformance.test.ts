/**
 * Registry conformance for the display class: the VGA entry's metadata and resources, reset
 * idempotence (equal to a fresh device), state round trip and validation, unknown offsets safe,
 * and 10,000 random register/memory accesses (with time passing and frames rendered) never
 * throwing.
 */
import { describe, expect, it } from 'vitest';
import { findDeviceType } from '../../src/devices/registry.js';
import { stdVgaType } from '../../src/devices/display/index.js';
import type { StdVga } from '../../src/devices/display/vga.js';
import { fakeHost, type FakeHost } from '../fakes.js';
import { randomAccesses } from './fuzz.js';

function fresh(): { host: FakeHost; dev: StdVga } {
  const host = fakeHost();
  return { host, dev: stdVgaType.create(host, {}) as StdVga };
}

describe('VGA registry entry', () => {
  it('is registered with QEMU\'s identity and classification', () => {
    const t = findDeviceType('VGA')!;
    expect(t).toBe(stdVgaType);
    expect([t.class, t.bus, t.secure, t.hotpluggable]).toEqual(['display', 'pci', true, false]);
    expect(t.secureReason.length).toBeGreaterThan(20);
    expect(t.capabilities).toEqual(expect.arrayContaining(['framebuffer', 'canvas']));
    expect(t.properties.vgamem_mb.default).toBe(16);
    const r = t.resources({});
    expect(r.ports.map((p) => [p.base, p.length])).toEqual([[0x3b0, 0x30], [0x1ce, 3]]);
    expect(r.mmio).toEqual([{ name: 'vga-window', base: 0xa0000, length: 0x20000 }]);
    expect(r.pci).toMatchObject({ vendorId: 0x1234, deviceId: 0x1111, classCode: 0x030000, romFile: 'vgabios-stdvga.bin' });
    expect(r.pci!.bars).toEqual([{ index: 0, kind: 'mem32-prefetch', size: 16 << 20, vramBacked: true }]);
    expect(t.resources({ vgamem_mb: 8 }).pci!.bars[0].size).toBe(8 << 20);
    expect(() => t.resources({ vgamem_mb: 3 })).toThrow(RangeError);
    expect(t.stateVersion).toBeGreaterThan(0);
  });
});

describe('VGA conformance', () => {
  it('reset is idempotent and equals a fresh device', () => {
    const a = fresh();
    randomAccesses(a.host, a.dev, 2000, 7);
    a.dev.reset();
    const once = a.dev.saveState();
    a.dev.reset();
    expect(a.dev.saveState()).toEqual(once);
    expect(once).toEqual(fresh().dev.saveState());
  });

  it('state round-trips and bad state is refused', () => {
    const a = fresh();
    randomAccesses(a.host, a.dev, 3000, 11);
    const st = JSON.parse(JSON.stringify(a.dev.saveState()));
    const b = fresh();
    b.dev.loadState(st);
    expect(b.dev.saveState()).toEqual(a.dev.saveState());
    expect(() => b.dev.loadState({ ...st, version: 99 })).toThrow();
    expect(() => b.dev.loadState({ ...st, data: { ...st.data, cr: [1, 2] } })).toThrow();
    expect(() => b.dev.loadState({ ...st, data: { ...st.data, mem: { ...st.data.mem, gr: 'x' } } })).toThrow();
  });

  it('unknown offsets read as all-ones and writes are dropped, reported as guest errors', () => {
    const { host, dev } = fresh();
    dev.ioWrite(0, 0x3c2 - 0x3b0, 1, 0x67);
    const before = JSON.stringify(dev.saveState());
    for (const port of [0x3b0, 0x3b1, 0x3c5 + 6, 0x3cb, 0x3cd, 0x3d0, 0x3d7, 0x3df]) {
      expect(dev.ioRead(0, port - 0x3b0, 1)).toBe(0xff);
      dev.ioWrite(0, port - 0x3b0, 1, 0x5a);
    }
    expect(dev.ioRead(1, 2, 1)).toBe(0xff);
    dev.ioWrite(1, 2, 2, 0x1234);
    expect(dev.ioRead(7, 0, 1)).toBe(0xffffffff);
    expect(dev.mmioRead(1, 16 << 20, 1)).toBe(0xff);
    dev.mmioWrite(1, (16 << 20) + 5, 4, 0xffffffff);
    expect(JSON.stringify(dev.saveState())).toBe(before);
    expect(host.guestErrors.length).toBeGreaterThanOrEqual(10);
  });

  it('10,000 random accesses never throw', () => {
    const { host, dev } = fresh();
    randomAccesses(host, dev, 10_000, 0x5eed);
    dev.reset();
    randomAccesses(host, dev, 10_000, 0xbeef);
  });
});

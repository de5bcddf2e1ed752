/**
 * Conformance over every chipset registry entry: reset is idempotent, unknown offsets are
 * safe (all-ones / dropped, reported as guest errors), 10,000 random register accesses never
 * throw, and state round-trips through JSON.
 */
import { describe, expect, it } from 'vitest';
import { fakeHost, FlatMemory, type FakeHost } from '../fakes.js';
import type { AccessSize, DeviceModel, DeviceProps, DeviceType } from '../../src/devices/api.js';
import { chipsetDeviceTypes } from '../../src/devices/chipset/index.js';
import { deviceTypesOfClass, findDeviceType } from '../../src/devices/registry.js';
import { asInterruptController } from '../../src/devices/chipset/interfaces.js';
import { IsaDmaController } from '../../src/devices/chipset/dma.js';

function defaults(t: DeviceType): DeviceProps {
  const p: DeviceProps = {};
  for (const [k, s] of Object.entries(t.properties)) p[k] = s.default;
  return p;
}

function make(t: DeviceType, seed = 1): { host: FakeHost; model: DeviceModel; props: DeviceProps } {
  const backend =
    t.name === 'fw_cfg_io' ? { ramBytes: 1 << 20, cpus: 1, bootOrder: ['/rom@genroms/x'] }
    : t.name === 'isa-debugcon' ? { write: () => {} }
    : undefined;
  const host = fakeHost({ irqCount: 4, memory: new FlatMemory(1 << 20), backend, seed });
  const props = defaults(t);
  return { host, model: t.create(host, props), props };
}

const SIZES: AccessSize[] = [1, 2, 4];

describe('chipset registry entries', () => {
  it('are all in the registry, unique, secure, with QEMU names and state versions', () => {
    const names = chipsetDeviceTypes.map((t) => t.name);
    expect(names).toEqual(['isa-i8259', 'isa-pit', 'mc146818rtc', 'i440FX-pcihost', 'PIIX3', 'port92', 'i8257', 'fw_cfg_io', 'isa-debugcon']);
    expect(deviceTypesOfClass('chipset').map((t) => t.name)).toEqual(names);
    for (const t of chipsetDeviceTypes) {
      expect(findDeviceType(t.name)).toBe(t);
      expect(t.class).toBe('chipset');
      expect(t.secure).toBe(true);
      expect(t.secureReason.length).toBeGreaterThan(10);
      expect(t.stateVersion).toBeGreaterThan(0);
      const r = t.resources(defaults(t));
      expect(r.ports.length + (r.pci ? 1 : 0)).toBeGreaterThan(0);
    }
  });
});

describe.each(chipsetDeviceTypes.map((t) => [t.name, t] as const))('%s', (_name, t) => {
  it('reset is idempotent', () => {
    const { model } = make(t);
    model.reset?.();
    const a = model.saveState?.();
    model.reset?.();
    expect(model.saveState?.()).toEqual(a);
  });

  it('unknown offsets and regions are safe', () => {
    const { host, model, props } = make(t);
    const ports = t.resources(props).ports;
    const before = host.guestErrors.length;
    for (let r = 0; r <= ports.length; r++) {
      const len = r < ports.length ? ports[r].length : 4;
      for (const size of SIZES) {
        const v = model.ioRead?.(r, len + 1, size);
        if (v !== undefined) expect(v).toBe(size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff);
        model.ioWrite?.(r, len + 1, size, 0xffffffff);
      }
    }
    if (model.ioRead) expect(host.guestErrors.length).toBeGreaterThan(before);
  });

  it('10,000 random register accesses never throw; state round-trips', () => {
    const { host, model, props } = make(t, 0xc0ffee);
    const ports = t.resources(props).ports;
    const rnd = (n: number) => Math.floor(host.random() * n);
    const pic = asInterruptController(model);
    for (let i = 0; i < 10_000; i++) {
      const op = rnd(10);
      const size = SIZES[rnd(3)];
      const value = (rnd(0x10000) * 0x10000 + rnd(0x10000)) >>> 0;
      if (op < 4 && ports.length) {
        const r = rnd(ports.length + 1);
        const len = r < ports.length ? ports[r].length : 4;
        const v = model.ioRead?.(r, rnd(len + 2), size);
        if (v !== undefined) expect(Number.isInteger(v) && v >= 0 && v <= 0xffffffff).toBe(true);
      } else if (op < 8 && ports.length) {
        const r = rnd(ports.length + 1);
        const len = r < ports.length ? ports[r].length : 4;
        // Bias towards small values so command bytes hit real commands.
        model.ioWrite?.(r, rnd(len + 2), size, rnd(2) ? value & 0xff : value);
      } else if (op === 8) {
        model.pciConfigWrite?.(0x40 + rnd(0xc0), 1, value);
        const v = model.pciConfigRead?.(0x40 + rnd(0xc0), size);
        if (v !== undefined) expect(v >= 0 && v <= 0xffffffff).toBe(true);
        if (pic) {
          pic.setIrq(rnd(17), rnd(2) === 1);
          if (pic.hasInterrupt()) pic.acknowledge();
        }
        if (model instanceof IsaDmaController) model.transferSync(rnd(9), new Uint8Array(rnd(64)), rnd(2) === 1);
      } else {
        host.clock.advance(rnd(100_000));
      }
    }
    const s = model.saveState?.();
    if (s) {
      const copy = make(t, 0xc0ffee);
      // Restore onto an instance sharing the clock so time-derived state compares equal.
      const twin = t.create(host, props);
      twin.loadState?.(JSON.parse(JSON.stringify(s)));
      expect(twin.saveState?.()).toEqual(model.saveState?.());
      expect(() => copy.model.loadState?.({ type: 'nope', version: 1, data: {} })).toThrow();
    }
  });
});

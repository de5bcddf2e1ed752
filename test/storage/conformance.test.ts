/**
 * Registry conformance for the storage types: metadata, reset idempotence, unknown registers,
 * 10,000 random register accesses (with asynchronous completions drained) that never throw or
 * hang, and state save/load round trips.
 */
import { describe, expect, it } from 'vitest';
import type { AccessSize, DeviceModel, DeviceType } from '../../src/devices/api.js';
import { findDeviceType } from '../../src/devices/registry.js';
import { storageDeviceTypes } from '../../src/devices/storage/index.js';
import { fakeHost, FlatMemory, type FakeHost } from '../fakes.js';
import { drain, FakeIsaDma, MemBackend, patterned } from './helpers.js';

interface Built {
  host: FakeHost;
  model: DeviceModel;
  type: DeviceType;
}

function build(name: string, seed = 1): Built {
  const type = findDeviceType(name)!;
  const mem = new FlatMemory(1024 * 1024);
  let backend: unknown;
  let props: Record<string, string> = {};
  if (name === 'piix3-ide') {
    const cd = new MemBackend(64 * 2048, true);
    backend = { hda: patterned(512 * 1024), hdb: cd, hdc: patterned(256 * 1024) };
    props = { hda: 'ide-hd', hdb: 'ide-cd', hdc: 'ide-hd', hdd: 'ide-cd' };
  } else if (name === 'isa-fdc') {
    backend = { fda: patterned(1440 * 1024), fdb: new MemBackend(720 * 1024, true) };
    props = { fda: 'auto', fdb: '144' };
  } else backend = patterned(64 * 1024);
  const host = fakeHost({ irqCount: 2, memory: mem, backend, seed });
  const dma = new FakeIsaDma();
  dma.program(0, 0xffff);
  host.isaDma = dma;
  return { host, model: type.create(host, props), type };
}

/** Regions a type declares: ports, then PCI I/O BARs. */
function regions(t: DeviceType): { index: number; length: number }[] {
  const res = t.resources(Object.fromEntries(Object.entries(t.properties).map(([k, p]) => [k, p.default])));
  const out = res.ports.map((p, index) => ({ index, length: p.length }));
  for (const bar of res.pci?.bars ?? []) if (bar.kind === 'io') out.push({ index: out.length, length: bar.size });
  return out;
}

const registerTypes = ['piix3-ide', 'isa-fdc'];

describe('storage registry entries', () => {
  it('are all class storage, secure per QEMU, with consistent properties', () => {
    expect(storageDeviceTypes.map((t) => t.name).sort()).toEqual(['floppy', 'ide-cd', 'ide-hd', 'isa-fdc', 'piix3-ide']);
    for (const t of storageDeviceTypes) {
      expect(t.class).toBe('storage');
      expect(t.secure).toBe(true);
      expect(t.secureReason.length).toBeGreaterThan(10);
      for (const [k, p] of Object.entries(t.properties)) {
        expect(typeof p.default, `${t.name}.${k}`).toBe(p.type);
        if (p.choices) expect(p.choices, `${t.name}.${k}`).toContain(p.default);
      }
    }
    const ide = findDeviceType('piix3-ide')!.resources({});
    expect(ide.pci).toMatchObject({ vendorId: 0x8086, deviceId: 0x7010, classCode: 0x010180 });
    expect(ide.irqs).toEqual([14, 15]);
    expect(ide.ports.map((p) => [p.base, p.length])).toEqual([[0x1f0, 8], [0x3f6, 1], [0x170, 8], [0x376, 1]]);
    const fdc = findDeviceType('isa-fdc')!.resources({});
    expect(fdc.irqs).toEqual([6]);
    expect(fdc.dmaChannels).toEqual([2]);
    expect(fdc.ports.some((p) => p.base <= 0x3f6 && 0x3f6 < p.base + p.length)).toBe(false);
  });

  it('drive types create handles the controllers accept', () => {
    for (const name of ['ide-hd', 'ide-cd', 'floppy']) {
      const { model, type } = build(name);
      expect(type.bus).toBe(name === 'floppy' ? 'floppy' : 'ide');
      expect(model).toBeDefined();
      expect(type.resources({}).ports).toEqual([]);
    }
  });
});

for (const name of registerTypes) {
  describe(`${name} conformance`, () => {
    it('reset is idempotent', () => {
      const { model } = build(name);
      model.reset!();
      const a = model.saveState!();
      model.reset!();
      expect(model.saveState!()).toEqual(a);
    });

    it('unknown regions and offsets are safe and reported', () => {
      const { model, host } = build(name);
      const before = host.guestErrors.length;
      for (const size of [1, 2, 4] as AccessSize[]) {
        expect(model.ioRead!(17, 0, size)).toBe(size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff);
        model.ioWrite!(17, 3, size, 0x1234);
        model.ioRead!(0, 200, size);
        model.ioWrite!(0, 200, size, 0);
      }
      expect(host.guestErrors.length).toBeGreaterThan(before);
    });

    it('10,000 random register accesses never throw or hang', async () => {
      const { model, type, host } = build(name, 7);
      const regs = regions(type);
      const rnd = () => host.random();
      const pick = (n: number) => Math.floor(rnd() * n);
      for (let i = 0; i < 10_000; i++) {
        const r = regs[pick(regs.length)];
        const offset = pick(r.length);
        const size = ([1, 2, 4] as AccessSize[])[pick(3)];
        const op = pick(10);
        if (op < 4) model.ioRead!(r.index, offset, size);
        else if (op < 8) model.ioWrite!(r.index, offset, size, Math.floor(rnd() * 2 ** 32) >>> 0);
        else if (op === 8) {
          const buf = new Uint8Array(size * (1 + pick(300)));
          if (model.ioReadString) model.ioReadString(r.index, offset, size, buf);
          else for (let k = 0; k < buf.length / size; k++) model.ioRead!(r.index, offset, size); // the bus's fallback
        }
        else if (model.pciConfigWrite && rnd() < 0.5) model.pciConfigWrite(0x40 + pick(0xc0), 1, pick(256));
        else {
          const buf = new Uint8Array(size * (1 + pick(300))).map(() => pick(256));
          if (model.ioWriteString) model.ioWriteString(r.index, offset, size, buf);
          else for (let k = 0; k < buf.length / size; k++) model.ioWrite!(r.index, offset, size, buf[k * size]);
        }
        if (i % 50 === 0) await drain(1);
      }
      await drain(8);
      model.reset!();
      await drain(2);
      const st = model.saveState!();
      expect(st.type).toBe(name);
    });

    it('state round-trips into a fresh instance', async () => {
      const a = build(name);
      if (name === 'piix3-ide') {
        // Leave an IDENTIFY half read, then continue on the restored copy.
        a.model.ioWrite!(0, 6, 1, 0xa0);
        a.model.ioWrite!(0, 7, 1, 0xec);
        for (let i = 0; i < 100; i++) a.model.ioRead!(0, 0, 2);
      } else {
        a.model.ioWrite!(0, 5, 1, 0x0f);
        a.model.ioWrite!(0, 5, 1, 0x00);
        a.model.ioWrite!(0, 5, 1, 0x07);
        a.model.ioWrite!(0, 5, 1, 0x08); // SENSE INTERRUPT: result [0x20, 7] pending
      }
      await drain();
      const saved = a.model.saveState!();
      const b = build(name);
      b.model.loadState!(saved);
      expect(b.model.saveState!()).toEqual(saved);
      const nextA = [0, 1, 2].map(() => a.model.ioRead!(0, name === 'piix3-ide' ? 0 : 5, name === 'piix3-ide' ? 2 : 1));
      const nextB = [0, 1, 2].map(() => b.model.ioRead!(0, name === 'piix3-ide' ? 0 : 5, name === 'piix3-ide' ? 2 : 1));
      expect(nextB).toEqual(nextA);
      expect(() => b.model.loadState!({ type: 'other', version: 1, data: {} })).toThrow();
    });
  });
}

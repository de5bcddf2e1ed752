/**
 * Registry conformance for the network class: every type's reset is idempotent and equals a
 * fresh device, state round-trips, unknown offsets are safe, and 10,000 random register
 * accesses (port and MMIO regions, with frames and link changes from the backend and time
 * passing) never throw. PCI BAR regions are indexed as api.ts's Resources comment says.
 */
import { describe, expect, it } from 'vitest';
import type { AccessSize, DeviceModel, DeviceType } from '../../src/devices/api.js';
import { networkDeviceTypes } from '../../src/devices/network/index.js';
import { REG } from '../../src/devices/network/e1000-regs.js';
import { FlatMemory, fakeHost, type FakeHost } from '../fakes.js';
import { RecordingPort } from './helpers.js';

interface Region { space: 'io' | 'mmio'; index: number; length: number }

function regionsOf(type: DeviceType): Region[] {
  const res = type.resources({});
  const out: Region[] = [];
  res.ports.forEach((p, i) => out.push({ space: 'io', index: i, length: p.length }));
  res.mmio.forEach((m, i) => out.push({ space: 'mmio', index: i, length: m.length }));
  let io = res.ports.length, mem = res.mmio.length;
  for (const b of res.pci?.bars ?? []) {
    if (b.kind === 'io') out.push({ space: 'io', index: io++, length: b.size });
    else out.push({ space: 'mmio', index: mem++, length: b.size });
  }
  return out;
}

function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

function make(type: DeviceType): { dev: DeviceModel; host: FakeHost; port: RecordingPort; mem: FlatMemory } {
  const mem = new FlatMemory(0x40000);
  const port = new RecordingPort();
  const host = fakeHost({ memory: type.capabilities.includes('guest-memory') ? mem : undefined, backend: port });
  const dev = type.create(host, {});
  return { dev, host, port, mem };
}

const E1000_HOT = [REG.CTRL, REG.ICR, REG.ICS, REG.IMS, REG.IMC, REG.ITR, REG.RCTL, REG.TCTL, REG.TDBAL, REG.TDLEN, REG.TDH, REG.TDT, REG.RDBAL, REG.RDLEN, REG.RDH, REG.RDT, REG.RDTR, REG.RADV, REG.TIDV, REG.EECD, REG.EERD, REG.MDIC, REG.RXCSUM, REG.RA, REG.RA + 4, REG.MTA];

function fuzz(type: DeviceType, t: ReturnType<typeof make>, n: number, seed: number): void {
  const rnd = prng(seed);
  const regions = regionsOf(type);
  const sizes: AccessSize[] = [1, 2, 4, 4];
  for (let i = 0; i < n; i++) {
    const r = regions[Math.floor(rnd() * regions.length)];
    const size = sizes[Math.floor(rnd() * sizes.length)];
    let offset: number;
    if (r.space === 'mmio' && rnd() < 0.6) offset = E1000_HOT[Math.floor(rnd() * E1000_HOT.length)];
    else offset = rnd() < 0.97 ? Math.floor(rnd() * r.length) : r.length + Math.floor(rnd() * 8);
    // Small values often, so rings and pointers land inside memory.
    const value = rnd() < 0.5 ? Math.floor(rnd() * 0x100) : rnd() < 0.5 ? Math.floor(rnd() * 0x40000) : Math.floor(rnd() * 0x100000000) >>> 0;
    const k = rnd();
    if (k < 0.4) {
      const v = r.space === 'io' ? t.dev.ioRead!(r.index, offset, size) : t.dev.mmioRead!(r.index, offset, size);
      expect(Number.isInteger(v)).toBe(true);
    } else if (k < 0.85) {
      if (r.space === 'io') t.dev.ioWrite!(r.index, offset, size, value);
      else t.dev.mmioWrite!(r.index, offset, size, value);
    } else if (k < 0.9) {
      t.host.clock.advance(Math.floor(rnd() * 2_000_000));
    } else if (k < 0.93) {
      for (let j = 0; j < 64; j++) t.mem.writeU32(Math.floor(rnd() * 0x10000) * 4, Math.floor(rnd() * 0x100000000));
    } else if (k < 0.95) {
      // Driver-shaped sequences so the data paths run on random descriptors and buffers.
      if (type.name === 'e1000') {
        const w = (o: number, v: number) => t.dev.mmioWrite!(0, o, 4, v >>> 0);
        const count = 1 + Math.floor(rnd() * 16);
        const ring = Math.floor(rnd() * 0x3000) * 16;
        if (rnd() < 0.5) {
          for (let j = 0; j < count; j++) {
            // Buffers mostly inside memory, lengths mostly sane.
            t.mem.writeU32(ring + j * 16, Math.floor(rnd() * 0x3f000));
            t.mem.writeU32(ring + j * 16 + 4, rnd() < 0.95 ? 0 : Math.floor(rnd() * 4));
            if (rnd() < 0.7) t.mem.writeU32(ring + j * 16 + 8, (Math.floor(rnd() * 1600) | (Math.floor(rnd() * 256) << 24) | (rnd() < 0.5 ? 1 << 20 : 0)) >>> 0);
          }
          w(REG.TDBAL, ring); w(REG.TDLEN, count * 16); w(REG.TDH, 0); w(REG.TCTL, 2);
          w(REG.TDT, Math.floor(rnd() * count));
        } else {
          for (let j = 0; j < count; j++) t.mem.writeU32(ring + j * 16, Math.floor(rnd() * 0x3f000));
          w(REG.RDBAL, ring); w(REG.RDLEN, count * 16); w(REG.RDH, 0); w(REG.RDT, Math.floor(rnd() * count));
          w(REG.RCTL, (2 | (Math.floor(rnd() * 0x8000000) & ~0xc0)) >>> 0);
        }
      } else {
        const o = (reg: number, v: number) => t.dev.ioWrite!(0, reg, 1, v);
        o(0, 0x22);
        o(0x04, 0x40 + Math.floor(rnd() * 0x80));
        o(0x05, Math.floor(rnd() * 256));
        o(0x06, Math.floor(rnd() * 8));
        o(0x0d, rnd() < 0.8 ? 0 : 2);
        o(0, 0x26);
      }
    } else if (k < 0.99) {
      const len = 14 + Math.floor(rnd() * 1600);
      const f = Uint8Array.from({ length: len }, () => Math.floor(rnd() * 256));
      if (rnd() < 0.5) f.fill(0xff, 0, 6);
      t.port.deliver(f);
    } else {
      t.port.setLink(rnd() < 0.7);
    }
  }
}

describe('network device conformance', () => {
  for (const type of networkDeviceTypes) {
    describe(type.name, () => {
      it('registry entry is complete', () => {
        expect(type.class).toBe('network');
        expect(type.capabilities).toContain('network');
        expect(typeof type.secureReason).toBe('string');
        expect(type.properties.mac).toBeDefined();
        expect(type.properties.netdev).toBeDefined();
        expect(regionsOf(type).length).toBeGreaterThan(0);
      });

      it('reset is idempotent and equals a fresh device', () => {
        const t = make(type);
        t.port.setLink(true);
        const fresh = t.dev.saveState!();
        fuzz(type, t, 2000, 7);
        t.port.setLink(true);
        t.dev.reset!();
        const a = t.dev.saveState!();
        t.dev.reset!();
        expect(t.dev.saveState!()).toEqual(a);
        expect(a).toEqual(fresh);
      });

      it('state round-trips into a new instance and rejects other versions', () => {
        const t = make(type);
        fuzz(type, t, 3000, 11);
        const s = JSON.parse(JSON.stringify(t.dev.saveState!()));
        const copy = make(type).dev;
        copy.loadState!(s);
        expect(copy.saveState!()).toEqual(s);
        expect(() => copy.loadState!({ type: type.name, version: 999, data: {} })).toThrow();
      });

      it('unknown offsets: all-ones reads, dropped writes, guest errors', () => {
        const t = make(type);
        const before = t.dev.saveState!();
        for (const r of regionsOf(type)) {
          if (r.space === 'io') {
            expect(t.dev.ioRead!(r.index, r.length + 1, 1)).toBe(0xff);
            t.dev.ioWrite!(r.index, r.length + 1, 1, 0x5a);
          } else {
            expect(t.dev.mmioRead!(r.index, r.length + 4, 4)).toBe(0xffffffff);
            t.dev.mmioWrite!(r.index, r.length + 4, 4, 0x5a);
            // A reserved register inside the BAR.
            t.dev.mmioWrite!(r.index, 0x7ffc, 4, 0x5a);
            expect(t.dev.mmioRead!(r.index, 0x7ffc, 4)).toBe(0);
          }
        }
        if (t.dev.ioRead) expect(t.dev.ioRead(99, 0, 1)).toBe(0xff);
        if (t.dev.mmioRead) expect(t.dev.mmioRead(99, 0, 4)).toBe(0xffffffff);
        expect(t.host.guestErrors.length).toBeGreaterThanOrEqual(2);
        expect(t.dev.saveState!()).toEqual(before);
      });

      it('10,000 random register accesses never throw', () => {
        const t = make(type);
        expect(() => fuzz(type, t, 10_000, 12345)).not.toThrow();
        t.dev.destroy?.();
      });
    });
  }
});

describe('network registry properties', () => {
  it('mac: parsed, rejected when malformed or multicast, deterministic default per seed', async () => {
    const { defaultMacFor } = await import('../../src/devices/network/index.js');
    for (const type of networkDeviceTypes) {
      expect(() => type.create(fakeHost({ memory: new FlatMemory(4096) }), { mac: 'nonsense' })).toThrow();
      expect(() => type.create(fakeHost({ memory: new FlatMemory(4096) }), { mac: '01:00:5e:00:00:01' })).toThrow();
      const a = type.create(fakeHost({ seed: 42, memory: new FlatMemory(4096) }), {}).saveState!();
      const b = type.create(fakeHost({ seed: 42, memory: new FlatMemory(4096) }), {}).saveState!();
      expect(a).toEqual(b);
    }
    expect(defaultMacFor('e1000.0')).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
    expect(defaultMacFor('e1000.0')).not.toBe(defaultMacFor('e1000.1'));
    // The default MAC reaches the guest: the e1000's EEPROM words 0-2.
    const host = fakeHost({ memory: new FlatMemory(4096) });
    const dev = networkDeviceTypes.find((t) => t.name === 'e1000')!.create(host, { mac: defaultMacFor('nic') });
    dev.mmioWrite!(0, REG.EERD, 4, 1);
    const w0 = dev.mmioRead!(0, REG.EERD, 4) >>> 16;
    expect(w0).toBe(0x5452);
  });
});

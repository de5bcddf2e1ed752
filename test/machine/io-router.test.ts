// I/O router: decoding, overlap errors, access-size splitting/combining, unclaimed ports,
// PCI BAR remapping and bulk string I/O, with recording device models.
import { describe, expect, it } from 'vitest';
import type { AccessSize, DeviceModel, Resources } from '../../src/devices/api.js';
import { IoRouter, type UnhandledAccess } from '../../src/machine/io-router.js';

interface Access { op: 'r' | 'w'; region: number; offset: number; size: AccessSize; value?: number }

/** A device whose registers are a byte array per region; records every access. */
class RecordingDevice implements DeviceModel {
  log: Access[] = [];
  regs: Uint8Array[] = [new Uint8Array(256), new Uint8Array(256), new Uint8Array(256)];
  strings: { op: 'r' | 'w'; offset: number; size: number; bytes: number[] }[] = [];
  ioRead(region: number, offset: number, size: AccessSize): number {
    this.log.push({ op: 'r', region, offset, size });
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.regs[region][offset + i];
    return v;
  }
  ioWrite(region: number, offset: number, size: AccessSize, value: number): void {
    this.log.push({ op: 'w', region, offset, size, value });
    for (let i = 0; i < size; i++) this.regs[region][offset + i] = (value >>> (8 * i)) & 0xff;
  }
  mmioRead(region: number, offset: number, size: AccessSize): number {
    return this.ioRead(region, offset, size);
  }
  mmioWrite(region: number, offset: number, size: AccessSize, value: number): void {
    this.ioWrite(region, offset, size, value);
  }
}

class StringDevice extends RecordingDevice {
  ioReadString(_region: number, offset: number, size: AccessSize, into: Uint8Array): void {
    for (let i = 0; i < into.length; i++) into[i] = (i + 1) & 0xff;
    this.strings.push({ op: 'r', offset, size, bytes: [...into] });
  }
  ioWriteString(_region: number, offset: number, size: AccessSize, from: Uint8Array): void {
    this.strings.push({ op: 'w', offset, size, bytes: [...from] });
  }
}

function res(ports: Resources['ports'], mmio: Resources['mmio'] = []): Resources {
  return { ports, mmio, irqs: [] };
}

function router(unhandled: UnhandledAccess[] = [], ram = new Uint8Array(4096)): IoRouter {
  return new IoRouter({ ram, onUnhandled: (a) => unhandled.push(a) });
}

describe('IoRouter', () => {
  it('decodes ports to (region, offset) and counts per-device statistics', () => {
    const r = router();
    const d = new RecordingDevice();
    r.addDevice('dev', d, res([{ name: 'a', base: 0x60, length: 1 }, { name: 'b', base: 0x64, length: 1 }]));
    r.build();
    r.portWrite(0x64, 1, 0xd1);
    r.portWrite(0x60, 1, 0xab);
    expect(r.portRead(0x60, 1)).toBe(0xab);
    expect(d.log).toEqual([
      { op: 'w', region: 1, offset: 0, size: 1, value: 0xd1 },
      { op: 'w', region: 0, offset: 0, size: 1, value: 0xab },
      { op: 'r', region: 0, offset: 0, size: 1 },
    ]);
    expect(r.device('dev')!.stats).toEqual({ reads: 1, writes: 2, bulkBytes: 0 });
  });

  it('rejects overlapping fixed ranges with an error naming both devices', () => {
    const r = router();
    r.addDevice('uart', new RecordingDevice(), res([{ name: 'regs', base: 0x3f8, length: 8 }]));
    expect(() => r.addDevice('other', new RecordingDevice(), res([{ name: 'x', base: 0x3fc, length: 2 }])))
      .toThrow(/'other' ports 0x03fc-0x03fd \(x\) overlaps 'uart' ports 0x03f8-0x03ff \(regs\)/);
    expect(() => r.addDevice('m1', new RecordingDevice(), res([], [{ name: 'w', base: 0xa0000, length: 0x20000 }]))).not.toThrow();
    expect(() => r.addDevice('m2', new RecordingDevice(), res([], [{ name: 'v', base: 0xbf000, length: 0x2000 }])))
      .toThrow(/'m2' MMIO .* overlaps 'm1' MMIO/);
  });

  it('splits wide accesses for byte-only devices, little-endian on consecutive ports', () => {
    const r = router();
    const d = new RecordingDevice();
    r.addDevice('pit', d, res([{ name: 'ch', base: 0x40, length: 4, accessSizes: [1] }]));
    r.build();
    r.portWrite(0x40, 4, 0x44332211);
    expect(d.log.map((a) => [a.offset, a.size, a.value])).toEqual([[0, 1, 0x11], [1, 1, 0x22], [2, 1, 0x33], [3, 1, 0x44]]);
    d.log = [];
    expect(r.portRead(0x41, 2)).toBe(0x3322);
    expect(d.log.map((a) => [a.offset, a.size])).toEqual([[1, 1], [2, 1]]);
  });

  it('serves narrow reads from the aligned wide register and refuses narrow writes', () => {
    const un: UnhandledAccess[] = [];
    const r = router(un);
    const d = new RecordingDevice();
    r.addDevice('dw', d, res([{ name: 'r', base: 0xc000, length: 8, accessSizes: [4] }]));
    r.build();
    r.portWrite(0xc004, 4, 0xaabbccdd);
    d.log = [];
    expect(r.portRead(0xc006, 1)).toBe(0xbb);
    expect(r.portRead(0xc005, 2)).toBe(0xbbcc);
    expect(d.log.every((a) => a.size === 4 && a.offset === 4)).toBe(true);
    r.portWrite(0xc004, 1, 0x11);
    expect(d.regs[0][4]).toBe(0xdd);
    expect(un).toEqual([{ kind: 'port-write', addr: 0xc004, size: 1, value: 0x11, reason: 'width', device: 'dw' }]);
    // 4-byte access straddling two dword registers: split into words, then served narrow.
    expect(r.portRead(0xc002, 4)).toBe(((0xccdd << 16) | 0) >>> 0);
  });

  it('splits an access that runs past a range into the neighbouring device and open bus', () => {
    const un: UnhandledAccess[] = [];
    const r = router(un);
    const a = new RecordingDevice();
    const b = new RecordingDevice();
    r.addDevice('a', a, res([{ name: 'a', base: 0x100, length: 1 }]));
    r.addDevice('b', b, res([{ name: 'b', base: 0x101, length: 1 }]));
    r.build();
    a.regs[0][0] = 0x12;
    b.regs[0][0] = 0x34;
    expect(r.portRead(0x100, 2)).toBe(0x3412);
    expect(r.portRead(0x101, 2)).toBe(0xff34); // 0x102 is unclaimed
    expect(un).toEqual([{ kind: 'port-read', addr: 0x102, size: 1, reason: 'unclaimed' }]);
  });

  it('reads unclaimed ports as all-ones per size, drops writes, counts per port', () => {
    const un: UnhandledAccess[] = [];
    const r = router(un);
    r.build();
    expect(r.portRead(0x80, 1)).toBe(0xff);
    expect(r.portRead(0x1234, 2)).toBe(0xffff);
    expect(r.portRead(0x1234, 4)).toBe(0xffffffff);
    r.portWrite(0x80, 1, 0x42);
    r.portWrite(0x80, 1, 0x43);
    expect(r.unhandledPortReads[0x80]).toBe(1);
    expect(r.unhandledPortReads[0x1234]).toBe(2);
    expect(r.unhandledPortWrites[0x80]).toBe(2);
    expect(un.map((u) => u.kind)).toEqual(['port-read', 'port-read', 'port-read', 'port-write', 'port-write']);
    expect(r.mmioRead(0xfebf0000, 4)).toBe(0xffffffff);
    r.mmioWrite(0xfebf0004, 2, 1);
    expect(r.unhandledMmio.get(0xfebf0000)).toEqual({ reads: 1, writes: 1 });
  });

  it('maps, moves and unmaps PCI BARs at run time', () => {
    const conflicts: string[] = [];
    const r = new IoRouter({ ram: new Uint8Array(16), onConflict: (m) => conflicts.push(m) });
    const fixed = new RecordingDevice();
    const nic = new RecordingDevice();
    r.addDevice('fixed', fixed, res([{ name: 'f', base: 0xc000, length: 4 }]));
    r.addDevice('nic', nic, {
      ports: [], mmio: [], irqs: [],
      pci: { vendorId: 0x10ec, deviceId: 0x8029, classCode: 0x020000, bars: [{ index: 0, kind: 'io', size: 32 }, { index: 1, kind: 'mem32', size: 4096 }] },
    });
    r.build();
    expect(r.portRead(0xc100, 1)).toBe(0xff);
    r.mapBar('nic', 0, 0xc100, true);
    nic.regs[0][5] = 0x77;
    expect(r.portRead(0xc105, 1)).toBe(0x77);
    r.mapBar('nic', 1, 0xfebf0000, true);
    nic.regs[0][8] = 0x99; // memory BARs are mmio regions from 0 (this device has no fixed MMIO)
    expect(r.mmioRead(0xfebf0008, 1)).toBe(0x99);
    expect(r.mmioRanges()).toEqual([{ base: 0xfebf0000, length: 4096, device: 'nic', name: 'BAR1' }]);
    // Move the I/O BAR: the old ports become open bus.
    r.mapBar('nic', 0, 0xc200, true);
    expect(r.portRead(0xc105, 1)).toBe(0xff);
    expect(r.portRead(0xc205, 1)).toBe(0x77);
    // Overlapping a fixed range: reported, the fixed device keeps its ports.
    r.mapBar('nic', 0, 0xbff0, true);
    expect(conflicts.length).toBe(1);
    expect(conflicts[0]).toMatch(/'nic' ports 0xbff0-0xc00f \(BAR0\) conflicts with 'fixed'/);
    fixed.regs[0][1] = 0x55;
    expect(r.portRead(0xc001, 1)).toBe(0x55);
    expect(r.portRead(0xbff5, 1)).toBe(0x77);
    // Disable decoding.
    r.mapBar('nic', 0, 0xbff0, false);
    r.mapBar('nic', 1, 0xfebf0000, false);
    expect(r.portRead(0xbff5, 1)).toBe(0xff);
    expect(r.mmioRead(0xfebf0008, 1)).toBe(0xff);
    expect(r.mmioRanges()).toEqual([]);
  });

  it('moves string I/O in one call when the device implements it', () => {
    const ram = new Uint8Array(4096);
    const r = router([], ram);
    const d = new StringDevice();
    r.addDevice('ide', d, res([{ name: 'data', base: 0x1f0, length: 8 }]));
    r.build();
    expect(r.portReadString(0x1f0, 2, 256, 0x200)).toBe(256);
    expect(d.strings.length).toBe(1);
    expect(ram[0x200]).toBe(1);
    expect(ram[0x3ff]).toBe(0);
    expect(ram[0x3fe]).toBe(0xff);
    ram.set([1, 2, 3, 4], 0x800);
    expect(r.portWriteString(0x1f0, 2, 2, 0x800)).toBe(2);
    expect(d.strings[1]).toEqual({ op: 'w', offset: 0, size: 2, bytes: [1, 2, 3, 4] });
    expect(r.device('ide')!.stats.bulkBytes).toBe(516);
    expect(d.log.length).toBe(0);
  });

  it('falls back to repeated accesses for string I/O and clamps to RAM', () => {
    const ram = new Uint8Array(64);
    const un: UnhandledAccess[] = [];
    const r = router(un, ram);
    const d = new RecordingDevice();
    r.addDevice('dev', d, res([{ name: 'p', base: 0x300, length: 4 }]));
    r.build();
    d.regs[0].set([0x11, 0x22]);
    expect(r.portReadString(0x300, 2, 3, 10)).toBe(3);
    expect([...ram.subarray(10, 16)]).toEqual([0x11, 0x22, 0x11, 0x22, 0x11, 0x22]);
    ram.set([9, 8, 7, 6], 60);
    expect(r.portWriteString(0x300, 4, 5, 60)).toBe(1); // only one dword fits in RAM
    expect(d.log.at(-1)).toEqual({ op: 'w', region: 0, offset: 0, size: 4, value: 0x06070809 });
    // Unclaimed port: all-ones, counted per item.
    expect(r.portReadString(0x310, 1, 4, 0)).toBe(4);
    expect([...ram.subarray(0, 4)]).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect(r.unhandledPortReads[0x310]).toBe(4);
  });

  it('routes MMIO with size adjustment and the fallback handler', () => {
    const r = new IoRouter({
      ram: new Uint8Array(16),
      mmioFallbackRead: (a) => (a === 0xc8000 ? 0x5a : undefined),
      mmioFallbackWrite: (a) => a === 0xc8000,
    });
    const d = new RecordingDevice();
    r.addDevice('vga', d, res([], [{ name: 'window', base: 0xa0000, length: 0x100, accessSizes: [1, 2] }]));
    r.build();
    r.mmioWrite(0xa0010, 4, 0x04030201);
    expect(d.log.map((a) => [a.offset, a.size])).toEqual([[0x10, 2], [0x12, 2]]);
    expect(r.mmioRead(0xa0011, 2)).toBe(0x0302);
    expect(r.mmioRead(0xc8000, 1)).toBe(0x5a);
    r.mmioWrite(0xc8000, 1, 1);
    expect(r.unhandledMmio.size).toBe(0);
  });

  it('reports accesses to time-source devices (the machine ends the CPU slice there)', () => {
    let hits = 0;
    const r = new IoRouter({ ram: new Uint8Array(16), onTimeAccess: () => hits++ });
    const pit = r.addDevice('pit', new RecordingDevice(), res([{ name: 'pit', base: 0x40, length: 4, accessSizes: [1] }]));
    r.addDevice('uart', new RecordingDevice(), res([{ name: 'uart', base: 0x3f8, length: 8 }]));
    pit.timeSource = true;
    r.build();
    r.portRead(0x3fd, 1);
    r.portWrite(0x3f8, 1, 0x41);
    expect(hits).toBe(0);
    r.portWrite(0x43, 1, 0xb0);
    r.portRead(0x42, 1);
    r.portRead(0x40, 2); // split into two byte reads
    expect(hits).toBe(4);
  });
});

/** i440FX host bridge, PIIX3 and the generic PCI bus through configuration mechanism #1. */
import { describe, expect, it } from 'vitest';
import { fakeHost } from '../fakes.js';
import type { AccessSize, DeviceModel } from '../../src/devices/api.js';
import { I440fxHost } from '../../src/devices/chipset/pci/i440fx.js';
import { Piix3, PIIX3_DEVFN, PIIX3_IDENTITY } from '../../src/devices/chipset/pci/piix3.js';
import type { PciBarMapping } from '../../src/devices/chipset/pci/config-space.js';
import type { PamSegment } from '../../src/devices/chipset/interfaces.js';

function setup() {
  const host = fakeHost();
  const pci = new I440fxHost(host, 128);
  const piix3 = new Piix3(host);
  pci.bus.addFunction({ devfn: PIIX3_DEVFN, identity: PIIX3_IDENTITY, model: piix3 });
  const isa: [number, boolean][] = [];
  pci.bus.setIntxRouting(piix3, (irq, level) => isa.push([irq, level]));
  const bars: PciBarMapping[] = [];
  pci.bus.setBarListener((_fn, m) => bars.push(m));
  const pam: PamSegment[][] = [];
  pci.setPamListener((c) => pam.push(c));
  const addr = (devfn: number, reg: number) => pci.ioWrite(0, 0, 4, (0x80000000 | (devfn << 8) | (reg & 0xfc)) >>> 0);
  const rd = (devfn: number, reg: number, size: AccessSize = 4) => {
    addr(devfn, reg);
    return pci.ioRead(0, 4 + (reg & 3), size);
  };
  const wr = (devfn: number, reg: number, size: AccessSize, v: number) => {
    addr(devfn, reg);
    pci.ioWrite(0, 4 + (reg & 3), size, v);
  };
  return { host, pci, piix3, isa, bars, pam, rd, wr };
}

class FakeNic implements DeviceModel {
  regs = new Uint8Array(256);
  pciConfigRead(offset: number, size: AccessSize): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.regs[offset + i];
    return v;
  }
  pciConfigWrite(offset: number, size: AccessSize, value: number): void {
    for (let i = 0; i < size; i++) this.regs[offset + i] = (value >>> (8 * i)) & 0xff;
  }
}

const NIC = {
  vendorId: 0x10ec, deviceId: 0x8029, classCode: 0x020000, interruptPin: 1 as const,
  bars: [{ index: 0, kind: 'io' as const, size: 0x20 }, { index: 1, kind: 'mem32' as const, size: 0x1000 }],
  romFile: 'pxe.rom',
};

describe('PCI configuration mechanism #1 and the i440FX', () => {
  it('reads the host bridge and PIIX3 identity as SeaBIOS probes it', () => {
    const { rd, host } = setup();
    expect(rd(0, 0x00)).toBe(0x12378086);
    expect(rd(0, 0x08)).toBe(0x06000002);
    expect(rd(0, 0x2c)).toBe(0x11001af4); // QEMU subsystem IDs → "Running on QEMU (i440fx)"
    expect(rd(0, 0x02, 2)).toBe(0x1237);
    expect(rd(0, 0x0b, 1)).toBe(0x06);
    expect(rd(PIIX3_DEVFN, 0x00)).toBe(0x70008086);
    expect(rd(PIIX3_DEVFN, 0x08)).toBe(0x06010000);
    expect(rd(PIIX3_DEVFN, 0x0e, 1)).toBe(0x80);
    expect(rd(PIIX3_DEVFN, 0x04)).toBe(0x02000007);
    expect(rd(PIIX3_DEVFN, 0x60)).toBe(0x80808080);
    expect(rd(PIIX3_DEVFN, 0x4c, 1)).toBe(0x4d);
    expect(rd(0, 0x72, 1)).toBe(0x02);
    expect(rd(0, 0x57, 1)).toBe(16);
    expect(host.guestErrors).toEqual([]);
  });

  it('absent functions, other buses and a disabled CONFADD read all ones', () => {
    const { rd, pci } = setup();
    expect(rd(0x18, 0)).toBe(0xffffffff);
    expect(rd(0x18, 0, 2)).toBe(0xffff);
    pci.ioWrite(0, 0, 4, 0x80010000);
    expect(pci.ioRead(0, 4, 4)).toBe(0xffffffff);
    pci.ioWrite(0, 0, 4, 0x00000000);
    expect(pci.ioRead(0, 4, 4)).toBe(0xffffffff);
  });

  it('CONFADD is dword-only; Linux\'s mechanism probe sees it', () => {
    const { pci } = setup();
    pci.ioWrite(0, 3, 1, 0x01); // outb(0x01, 0xCFB)
    pci.ioWrite(0, 0, 4, 0x80000000);
    expect(pci.ioRead(0, 0, 4)).toBe(0x80000000);
    pci.ioWrite(0, 0, 4, 0xffffffff);
    expect(pci.ioRead(0, 0, 4)).toBe(0x80fffffc);
  });

  it('PAM registers report changed segments', () => {
    const { wr, rd, pam, pci } = setup();
    wr(0, 0x59, 1, 0x30); // 0xF0000 read+write RAM
    expect(pam.pop()).toEqual([{ base: 0xf0000, size: 0x10000, readRam: true, writeRam: true }]);
    wr(0, 0x5a, 2, 0x1302); // 0x5A=0x02: C0000 write-only; 0x5B=0x13: C8000 read/write, CC000 read-only
    expect(pam.pop()).toEqual([
      { base: 0xc0000, size: 0x4000, readRam: false, writeRam: true },
      { base: 0xc8000, size: 0x4000, readRam: true, writeRam: true },
      { base: 0xcc000, size: 0x4000, readRam: true, writeRam: false },
    ]);
    expect(rd(0, 0x58)).toBe(0x13023000);
    wr(0, 0x59, 1, 0x30); // no change: no report
    expect(pam.length).toBe(0);
    expect(pci.pamSegments().filter((s) => s.readRam).length).toBe(3);
    pci.reset();
    expect(pam.pop()!.length).toBe(4);
  });

  it('BAR sizing, decode enables and the listener', () => {
    const { pci, rd, wr, bars } = setup();
    const nic = new FakeNic();
    pci.bus.addFunction({ devfn: 0x18, identity: NIC, model: nic, romSize: 0x8000 });
    expect(rd(0x18, 0x00)).toBe(0x802910ec);
    expect(rd(0x18, 0x10)).toBe(0x00000001);
    wr(0x18, 0x10, 4, 0xffffffff);
    expect(rd(0x18, 0x10)).toBe(0xffffffe1);
    wr(0x18, 0x14, 4, 0xffffffff);
    expect(rd(0x18, 0x14)).toBe(0xfffff000);
    wr(0x18, 0x30, 4, 0xffffffff);
    expect(rd(0x18, 0x30)).toBe(0xffff8001);
    wr(0x18, 0x18, 4, 0xffffffff); // unimplemented BAR
    expect(rd(0x18, 0x18)).toBe(0);
    expect(bars).toEqual([]); // decoding is off
    wr(0x18, 0x10, 4, 0xc000);
    wr(0x18, 0x14, 4, 0xfebf0000);
    wr(0x18, 0x30, 4, 0xfeb80001);
    wr(0x18, 0x04, 2, 0x0003);
    expect(bars).toEqual([
      { devfn: 0x18, bar: 0, kind: 'io', base: 0xc000, size: 0x20, enabled: true },
      { devfn: 0x18, bar: 1, kind: 'mem32', base: 0xfebf0000, size: 0x1000, enabled: true },
      { devfn: 0x18, bar: 6, kind: 'rom', base: 0xfeb80000, size: 0x8000, enabled: true },
    ]);
    bars.length = 0;
    wr(0x18, 0x10, 4, 0xc100);
    expect(bars).toEqual([{ devfn: 0x18, bar: 0, kind: 'io', base: 0xc100, size: 0x20, enabled: true }]);
    bars.length = 0;
    wr(0x18, 0x04, 1, 0x02); // I/O decode off
    expect(bars).toEqual([{ devfn: 0x18, bar: 0, kind: 'io', base: 0xc100, size: 0x20, enabled: false }]);
    expect(rd(0x18, 0x04, 2)).toBe(0x0002);
  });

  it('command and status semantics, interrupt pin/line, device registers forwarded', () => {
    const { pci, rd, wr } = setup();
    const nic = new FakeNic();
    const fn = pci.bus.addFunction({ devfn: 0x18, identity: NIC, model: nic });
    wr(0x18, 0x04, 2, 0xffff);
    expect(rd(0x18, 0x04, 2)).toBe(0x0547);
    wr(0x18, 0x3c, 4, 0xffffffff);
    expect(rd(0x18, 0x3c)).toBe(0x000001ff); // pin A read-only, line writable
    wr(0x18, 0x00, 4, 0);
    expect(rd(0x18, 0x00)).toBe(0x802910ec); // IDs read-only
    wr(0x18, 0x40, 4, 0xdeadbeef);
    expect(nic.regs[0x41]).toBe(0xbe);
    expect(rd(0x18, 0x42, 2)).toBe(0xdead);
    wr(0x18, 0x04, 2, 0x0000);
    pci.bus.setIntx(fn.devfn, true);
    expect(rd(0x18, 0x06, 2) & 0x08).toBe(0x08);
    expect(rd(0x18, 0x34, 1)).toBe(0);
  });

  it('INTx swizzle, PIRQ routing, sharing and INTx disable', () => {
    const { pci, wr, isa, piix3 } = setup();
    const a = pci.bus.addFunction({ devfn: 0x18, identity: NIC, model: new FakeNic() }); // slot 3 pin A → PIRQC
    const b = pci.bus.addFunction({ devfn: 0x10, identity: { ...NIC, interruptPin: 2 }, model: new FakeNic() }); // slot 2 pin B → PIRQC
    pci.bus.setIntx(a.devfn, true);
    expect(isa).toEqual([]); // routing disabled (0x80)
    wr(PIIX3_DEVFN, 0x62, 1, 0x0a); // PIRQC → IRQ 10
    expect(isa).toEqual([[10, true]]);
    expect(piix3.pirqToIrq(2)).toBe(10);
    pci.bus.setIntx(b.devfn, true);
    pci.bus.setIntx(a.devfn, false);
    expect(isa).toEqual([[10, true]]); // still shared-high
    pci.bus.setIntx(b.devfn, false);
    expect(isa).toEqual([[10, true], [10, false]]);
    pci.bus.setIntx(b.devfn, true);
    wr(PIIX3_DEVFN, 0x62, 1, 0x0b); // reroute while asserted
    expect(isa.slice(-2)).toEqual([[10, false], [11, true]]);
    wr(0x10, 0x04, 2, 0x0400); // INTx disable
    expect(isa.slice(-1)).toEqual([[11, false]]);
    wr(0x10, 0x04, 2, 0x0000);
    expect(isa.slice(-1)).toEqual([[11, true]]);
    wr(PIIX3_DEVFN, 0x62, 1, 0x02); // reserved IRQ 2: not routed, guest error
    expect(isa.slice(-1)).toEqual([[11, false]]);
  });

  it('reset control register 0xCF9 requests a reset', () => {
    const { pci, host } = setup();
    pci.ioWrite(0, 1, 1, 0x02);
    expect(pci.ioRead(0, 1, 1)).toBe(0x02);
    expect(host.resets).toEqual([]);
    pci.ioWrite(0, 1, 1, 0x06);
    expect(host.resets.length).toBe(1);
    expect(host.resets[0]).toContain('hard');
  });

  it('reset unmaps BARs and restores PIIX3 routing', () => {
    const { pci, piix3, wr, bars } = setup();
    pci.bus.addFunction({ devfn: 0x18, identity: NIC, model: new FakeNic() });
    wr(0x18, 0x10, 4, 0xc000);
    wr(0x18, 0x04, 2, 0x0001);
    wr(PIIX3_DEVFN, 0x60, 1, 0x0b);
    bars.length = 0;
    pci.reset();
    piix3.reset();
    expect(bars).toEqual([{ devfn: 0x18, bar: 0, kind: 'io', base: 0, size: 0x20, enabled: false }]);
    expect(piix3.pirqToIrq(0)).toBe(-1);
  });

  it('state round-trips', () => {
    const { pci, host, wr } = setup();
    wr(0, 0x5a, 1, 0x11);
    wr(PIIX3_DEVFN, 0x0d, 1, 0x40);
    const s = pci.saveState();
    const p2 = new I440fxHost(host, 128);
    p2.bus.addFunction({ devfn: PIIX3_DEVFN, identity: PIIX3_IDENTITY, model: new Piix3(host) });
    p2.loadState(JSON.parse(JSON.stringify(s)));
    expect(p2.saveState()).toEqual(s);
  });
});

/**
 * The chipset as firmware sees it: every registry entry created with its declared resources on
 * a small byte-wide port bus (a stand-in for the machine's router), IRQ lines wired to the PIC,
 * then the sequences SeaBIOS runs at POST: PIC and PIT setup, RTC read, PCI scan through
 * mechanism #1, fw_cfg detection and a DMA read of the file directory, CMOS memory sizing.
 */
import { describe, expect, it } from 'vitest';
import { fakeHost, FlatMemory, ManualClock } from '../fakes.js';
import type { DeviceModel, DeviceType, IrqLine } from '../../src/devices/api.js';
import { chipsetDeviceTypes } from '../../src/devices/chipset/index.js';
import { asCmosAccess, asInterruptController, asPciHostBridge } from '../../src/devices/chipset/interfaces.js';
import { fillPcCmos } from '../../src/devices/chipset/cmos-layout.js';
import { PIIX3_DEVFN } from '../../src/devices/chipset/pci/piix3.js';

const RAM = 64 * 1024 * 1024;

function buildPlatform() {
  const memory = new FlatMemory(4 << 20);
  const clock = new ManualClock();
  const ports = new Map<number, { model: DeviceModel; region: number; offset: number }>();
  const models = new Map<string, DeviceModel>();
  const debug: number[] = [];
  const a20: boolean[] = [];
  let picSet: ((line: number, level: boolean) => void) | undefined;
  for (const t of chipsetDeviceTypes) {
    const res = t.resources({});
    const backend =
      t.name === 'fw_cfg_io' ? { ramBytes: RAM, cpus: 1 }
      : t.name === 'isa-debugcon' ? { write: (b: Uint8Array) => debug.push(...b) }
      : undefined;
    const host = fakeHost({ memory, backend });
    host.clock = clock;
    host.signals = { setA20: (e) => a20.push(e), requestReset: () => {} };
    const lines: IrqLine[] = res.irqs.map((irq) => {
      const set = (l: boolean) => picSet?.(irq, l);
      return { set, raise: () => set(true), lower: () => set(false), pulse: () => { set(true); set(false); } };
    });
    host.irq = (n = 0) => lines[n];
    const model = (t as DeviceType).create(host, {});
    models.set(t.name, model);
    res.ports.forEach((p, region) => {
      for (let o = 0; o < p.length; o++) {
        expect(ports.has(p.base + o), `port 0x${(p.base + o).toString(16)} claimed twice`).toBe(false);
        ports.set(p.base + o, { model, region, offset: o });
      }
    });
  }
  const pic = asInterruptController(models.get('isa-i8259')!)!;
  picSet = (line, level) => pic.setIrq(line, level);
  const pci = asPciHostBridge(models.get('i440FX-pcihost')!)!;
  const piix3 = models.get('PIIX3')! as unknown as Parameters<typeof pci.bus.setIntxRouting>[0];
  pci.bus.addFunction({ devfn: PIIX3_DEVFN, identity: chipsetDeviceTypes.find((t) => t.name === 'PIIX3')!.resources({}).pci!, model: models.get('PIIX3')! });
  pci.bus.setIntxRouting(piix3, (irq, level) => pic.setIrq(irq, level));
  fillPcCmos(asCmosAccess(models.get('mc146818rtc')!)!, { ramBytes: RAM, cpus: 1 });

  const inb = (port: number) => {
    const p = ports.get(port);
    return p ? p.model.ioRead!(p.region, p.offset, 1) : 0xff;
  };
  const outb = (port: number, v: number) => {
    const p = ports.get(port);
    p?.model.ioWrite!(p.region, p.offset, 1, v & 0xff);
  };
  // Wider accesses go whole to the device owning the first port (as the router does when the
  // region implements the width), else split into bytes.
  const outw = (port: number, v: number) => {
    const p = ports.get(port)!;
    if (p.model === ports.get(port + 1)?.model && t1(p.model)) p.model.ioWrite!(p.region, p.offset, 2, v);
    else { outb(port, v); outb(port + 1, v >> 8); }
  };
  const t1 = (m: DeviceModel) => m === models.get('fw_cfg_io') || m === models.get('i440FX-pcihost');
  const outl = (port: number, v: number) => ports.get(port)!.model.ioWrite!(ports.get(port)!.region, ports.get(port)!.offset, 4, v >>> 0);
  const inl = (port: number) => ports.get(port)!.model.ioRead!(ports.get(port)!.region, ports.get(port)!.offset, 4);
  return { models, pic, pci, clock, memory, inb, outb, outw, outl, inl, debug, a20 };
}

describe('chipset under a SeaBIOS-like POST sequence', () => {
  it('claims distinct ports and initialises like SeaBIOS', () => {
    const p = buildPlatform();
    const { inb, outb, outw, outl, inl, pic, clock, memory } = p;

    // pic_setup: ICW1-4 for both, mask all but the cascade.
    for (const [cmd, data, base, icw3] of [[0x20, 0x21, 0x08, 0x04], [0xa0, 0xa1, 0x70, 0x02]]) {
      outb(cmd, 0x11); outb(data, base); outb(data, icw3); outb(data, 0x01);
    }
    outb(0x21, 0xfb); outb(0xa1, 0xff);
    // pit_setup: channel 0 mode 3, count 0 → 18.2 Hz.
    outb(0x43, 0x36); outb(0x40, 0); outb(0x40, 0);
    outb(0x21, 0xfa); // unmask IRQ 0
    clock.advance(60e6);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x08);
    outb(0x20, 0x20);

    // rtc_setup and a BCD time read with the NMI-disable bit, as rtc_read does.
    outb(0x70, 0x8a); outb(0x71, 0x26);
    outb(0x70, 0x8b); outb(0x71, (inb(0x71) & ~0x01) | 0x02);
    outb(0x70, 0x8c); inb(0x71);
    outb(0x70, 0x80);
    expect(inb(0x71) & 0xf0).toBeLessThan(0x60);
    // Periodic interrupt through the cascade: IRQ 8 → vector 0x70.
    outb(0xa1, 0xfe);
    outb(0x70, 0x8b); outb(0x71, 0x42);
    clock.advance(1e6);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x70);
    outb(0x70, 0x8c);
    expect(inb(0x71) & 0xc0).toBe(0xc0);
    outb(0xa0, 0x20); outb(0x20, 0x20);

    // CMOS memory sizing as qemu_preinit.
    const cmos = (i: number) => { outb(0x70, 0x80 | i); return inb(0x71); };
    expect(((cmos(0x34) << 16) | (cmos(0x35) << 24)) + 16 * 1024 * 1024).toBe(RAM);

    // PCI scan of bus 0.
    const found: string[] = [];
    for (let devfn = 0; devfn < 256; devfn++) {
      outl(0xcf8, 0x80000000 | (devfn << 8));
      const id = inl(0xcfc);
      if (id !== 0xffffffff) found.push(`${(devfn >> 3).toString(16)}.${devfn & 7}=${id.toString(16)}`);
    }
    expect(found).toEqual(['0.0=12378086', '1.0=70008086']);
    // SeaBIOS's PIIX3 setup: PIRQ A-D → 10, 10, 11, 11 and those IRQs level-triggered.
    outl(0xcf8, 0x80000000 | (PIIX3_DEVFN << 8) | 0x60);
    for (let i = 0; i < 4; i++) outb(0xcfc + i, [10, 10, 11, 11][i]);
    expect(inl(0xcfc)).toBe(0x0b0b0a0a);
    outb(0x4d0, 0x00); outb(0x4d1, 0x0c);
    expect(inb(0x4d1)).toBe(0x0c);
    // A PCI function in slot 3 asserting INTA# → PIRQC → IRQ 11 (level) → vector 0x73.
    const nic = p.pci.bus.addFunction({ devfn: 0x18, identity: { vendorId: 0x10ec, deviceId: 0x8029, classCode: 0x020000, interruptPin: 1, bars: [] }, model: {} });
    outb(0xa1, 0xf7);
    p.pci.bus.setIntx(nic.devfn, true);
    expect(pic.acknowledge()).toBe(0x73);
    outb(0xa0, 0x20); outb(0x20, 0x20);
    expect(pic.hasInterrupt()).toBe(true); // still asserted: level-triggered
    expect(pic.acknowledge()).toBe(0x73);
    p.pci.bus.setIntx(nic.devfn, false); // the driver clears the device's interrupt
    outb(0xa0, 0x20); outb(0x20, 0x20);
    expect(pic.hasInterrupt()).toBe(false);

    // fw_cfg detection: signature over the data port, then ID with the DMA bit.
    outw(0x510, 0x0000);
    expect(String.fromCharCode(inb(0x511), inb(0x511), inb(0x511), inb(0x511))).toBe('QEMU');
    outw(0x510, 0x0001);
    expect(inb(0x511) & 0x02).toBe(0x02);
    // qemu_cfg_read_entry(&count, FILE_DIR, 4) over DMA: descriptor at 0x7000, data to 0x7100.
    const dv = new DataView(memory.bytes.buffer);
    dv.setUint32(0x7000, (0x19 << 16) | 0x08 | 0x02, false);
    dv.setUint32(0x7004, 4, false);
    dv.setUint32(0x7008, 0, false);
    dv.setUint32(0x700c, 0x7100, false);
    outl(0x518, 0x00700000); // cpu_to_be32(0x7000)
    expect(dv.getUint32(0x7000, false)).toBe(0);
    expect(dv.getUint32(0x7100, false)).toBe(3);

    // Fast A20 and the debug console.
    outb(0x92, inb(0x92) | 0x02);
    expect(p.a20).toEqual([true]);
    for (const c of 'Found QEMU fw_cfg\n') outb(0x402, c.charCodeAt(0));
    expect(String.fromCharCode(...p.debug)).toBe('Found QEMU fw_cfg\n');
    expect(inb(0x402)).toBe(0xe9);
  });
});

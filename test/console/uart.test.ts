/**
 * isa-serial (16550A) driven through its registers only, with the fake host: divisor latch,
 * LCR, FIFO trigger levels, IIR priorities, THRE rules, loopback, modem status deltas, OUT2
 * gating, the LSR shadow, character timeout, overrun, and Linux's 8250 autoconfig probe.
 */
import { describe, expect, it } from 'vitest';
import { fakeHost, type FakeHost } from '../fakes.js';
import { isaSerialType } from '../../src/devices/console/index.js';
import { BufferedSerialBackend } from '../../src/devices/console/serial-backend.js';
import type { DeviceModel } from '../../src/devices/api.js';

const RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;

interface Rig {
  host: FakeHost;
  dev: DeviceModel;
  be: BufferedSerialBackend;
  shadows: { offset: number; value: number }[];
  rd(off: number): number;
  wr(off: number, v: number): void;
  /** One character time at the current settings, in ns. */
  charNs(): number;
}

function rig(): Rig {
  const be = new BufferedSerialBackend();
  const host = fakeHost({ backend: be });
  const shadows: { offset: number; value: number }[] = [];
  host.publishShadow = (region, offset, _size, value) => {
    expect(region).toBe(0);
    shadows.push({ offset, value });
  };
  const dev = isaSerialType.create(host, { index: 0 });
  const rd = (off: number): number => dev.ioRead!(0, off, 1);
  const wr = (off: number, v: number): void => dev.ioWrite!(0, off, 1, v);
  const charNs = (): number => {
    const lcr = rd(LCR);
    wr(LCR, lcr | 0x80);
    const div = (rd(DLM) << 8) | rd(DLL) || 65536;
    wr(LCR, lcr);
    const data = 5 + (lcr & 3);
    const bits = 1 + data + (lcr & 8 ? 1 : 0) + (lcr & 4 ? (data === 5 ? 1.5 : 2) : 1);
    return (bits * 16 * div * 1e9) / 1_843_200;
  };
  return { host, dev, be, shadows, rd, wr, charNs };
}

/** 115200 8N1, as Linux programs it for console=ttyS0,115200. */
function setup115200(r: Rig): void {
  r.wr(LCR, 0x83);
  r.wr(DLL, 1);
  r.wr(DLM, 0);
  r.wr(LCR, 0x03);
}

describe('isa-serial registry entry', () => {
  it('maps index to the standard COM bases and IRQs, with overrides', () => {
    expect(isaSerialType.resources({ index: 0 })).toMatchObject({ ports: [{ base: 0x3f8, length: 8, shadow: [5] }], irqs: [4] });
    expect(isaSerialType.resources({ index: 1 })).toMatchObject({ ports: [{ base: 0x2f8 }], irqs: [3] });
    expect(isaSerialType.resources({ index: 2 })).toMatchObject({ ports: [{ base: 0x3e8 }], irqs: [4] });
    expect(isaSerialType.resources({ index: 3 })).toMatchObject({ ports: [{ base: 0x2e8 }], irqs: [3] });
    expect(isaSerialType.resources({ index: 1, iobase: 0x2a0, irq: 5 })).toMatchObject({ ports: [{ base: 0x2a0 }], irqs: [5] });
    expect(() => isaSerialType.resources({ index: 4 })).toThrow(/index/);
    expect(isaSerialType.secure).toBe(true);
    expect(isaSerialType.class).toBe('console');
  });
});

describe('16550A registers', () => {
  it('divisor latch is reached through DLAB and does not disturb THR/IER', () => {
    const r = rig();
    r.wr(LCR, 0x80);
    r.wr(DLL, 0x34);
    r.wr(DLM, 0x12);
    expect(r.be.output).toEqual([]); // DLL write is not a transmit
    expect(r.rd(DLL)).toBe(0x34);
    expect(r.rd(DLM)).toBe(0x12);
    r.wr(LCR, 0x03);
    expect(r.rd(IER)).toBe(0); // IER untouched by the DLM write
    r.wr(THR, 0x41);
    r.wr(IER, 0x05);
    expect(r.be.output).toEqual([0x41]);
    r.wr(LCR, 0x83);
    expect(r.rd(DLL)).toBe(0x34);
    expect(r.rd(DLM)).toBe(0x12);
    r.wr(LCR, 0x03);
    expect(r.rd(IER)).toBe(0x05);
  });

  it('LCR reads back; IER bits 4-7 and MCR bits 5-7 read as zero; scratch register holds', () => {
    const r = rig();
    r.wr(LCR, 0x1b);
    expect(r.rd(LCR)).toBe(0x1b);
    r.wr(IER, 0xff);
    expect(r.rd(IER)).toBe(0x0f);
    r.wr(MCR, 0xff);
    expect(r.rd(MCR)).toBe(0x1f);
    r.wr(SCR, 0xa5);
    expect(r.rd(SCR)).toBe(0xa5);
    r.wr(SCR, 0x5a);
    expect(r.rd(SCR)).toBe(0x5a);
  });

  it('character time follows divisor and LCR', () => {
    const r = rig();
    setup115200(r);
    expect(r.charNs()).toBeCloseTo(86_805.6, 0); // 10 bits at 115200
    r.wr(LCR, 0x83);
    r.wr(DLL, 12);
    r.wr(LCR, 0x1f); // 8 data, even parity, 2 stop
    expect(r.charNs()).toBeCloseTo((12 * 16 * 12 * 1e9) / 1_843_200, 0);
  });

  it('FIFO enable shows in IIR bits 6-7 and FCR bit 0 gates the other bits', () => {
    const r = rig();
    expect(r.rd(IIR)).toBe(0x01);
    r.wr(FCR, 0x01);
    expect(r.rd(IIR)).toBe(0xc1);
    r.wr(FCR, 0x00);
    expect(r.rd(IIR)).toBe(0x01);
    r.wr(FCR, 0x20); // 64-byte FIFO bit of a 16750: ignored, not enabled
    expect(r.rd(IIR)).toBe(0x01);
  });
});

describe('16550A receive path and interrupts', () => {
  it.each([
    [0, 1],
    [1, 4],
    [2, 8],
    [3, 14],
  ])('trigger level selector %i raises received-data-available at %i bytes', (sel, level) => {
    const r = rig();
    setup115200(r);
    r.wr(FCR, 0x07 | (sel << 6));
    r.wr(IER, 0x01);
    r.wr(MCR, 0x08);
    const irq = r.host.irqs[0];
    r.be.input(new Uint8Array(level).fill(0x61));
    const ch = r.charNs();
    r.host.clock.advance(ch * (level - 1) + ch / 2);
    expect(r.rd(LSR) & 1).toBe(level > 1 ? 1 : 0);
    expect(r.rd(IIR)).toBe(0xc1);
    expect(irq.level).toBe(false);
    r.host.clock.advance(ch);
    expect(r.rd(IIR)).toBe(0xc4);
    expect(irq.level).toBe(true);
    r.rd(RBR);
    // Below the trigger level again (a timeout may follow later, but not yet).
    expect(r.rd(IIR)).toBe(0xc1);
    expect(irq.level).toBe(false);
  });

  it('reports interrupts by priority: line status > data > THRE > modem status', () => {
    const r = rig();
    setup115200(r);
    r.wr(FCR, 0x01); // FIFO, trigger 1
    r.wr(MCR, 0x08);
    // Fill the FIFO and overrun it (in loopback: host input is flow-controlled and never overruns).
    r.wr(MCR, 0x10);
    for (let i = 0; i < 17; i++) r.wr(THR, 0x30);
    r.wr(MCR, 0x08);
    r.rd(MSR); // clear the deltas of leaving loopback
    r.be.setModemInputs({ cts: false, dsr: true, ri: false, dcd: true }); // DCTS
    r.wr(IER, 0x0f);
    expect(r.rd(IIR)).toBe(0xc6); // receiver line status (overrun)
    expect(r.rd(LSR) & 0x02).toBe(0x02);
    expect(r.rd(LSR) & 0x02).toBe(0); // read cleared OE
    expect(r.rd(IIR)).toBe(0xc4); // data available
    for (let i = 0; i < 16; i++) r.rd(RBR);
    expect(r.rd(IIR)).toBe(0xc2); // THRE (set when ETBEI was enabled)
    expect(r.rd(IIR)).toBe(0xc0); // THRE cleared by the IIR read; modem status next
    expect(r.rd(MSR) & 0x0f).toBe(0x01); // DCTS
    expect(r.rd(IIR)).toBe(0xc1);
    expect(r.host.irqs[0].level).toBe(false);
  });

  it('character timeout fires after 4 character times and clears on RBR read', () => {
    const r = rig();
    setup115200(r);
    r.wr(FCR, 0x81); // trigger 8
    r.wr(IER, 0x01);
    r.wr(MCR, 0x08);
    const ch = r.charNs();
    r.be.input('abc');
    r.host.clock.advance(ch * 3 + 1);
    expect(r.rd(IIR)).toBe(0xc1);
    r.host.clock.advance(ch * 3.9);
    expect(r.rd(IIR)).toBe(0xc1); // not yet 4 char times after the last byte
    r.host.clock.advance(ch * 0.2);
    expect(r.rd(IIR)).toBe(0xcc);
    expect(r.host.irqs[0].level).toBe(true);
    expect(r.rd(RBR)).toBe(0x61);
    expect(r.rd(IIR)).toBe(0xc1);
    expect(r.host.irqs[0].level).toBe(false);
    r.host.clock.advance(ch * 4.1);
    expect(r.rd(IIR)).toBe(0xcc);
    expect(r.rd(RBR)).toBe(0x62);
    expect(r.rd(RBR)).toBe(0x63);
    r.host.clock.advance(ch * 10);
    expect(r.rd(IIR)).toBe(0xc1); // empty FIFO: no timeout
  });

  it('counts overruns when the guest does not drain the FIFO, keeping the first 16 bytes', () => {
    const r = rig();
    setup115200(r);
    r.wr(FCR, 0x01);
    const data = Uint8Array.from({ length: 20 }, (_, i) => 0x40 + i);
    r.wr(MCR, 0x10); // loopback: each THR write completes a character at once
    for (const b of data) r.wr(THR, b);
    const dev = r.dev as unknown as { overruns: number };
    expect(dev.overruns).toBe(4);
    expect(r.rd(LSR)).toBe(0x63); // DR | OE | THRE | TEMT
    const got: number[] = [];
    while (r.rd(LSR) & 1) got.push(r.rd(RBR));
    expect(got).toEqual([...data.slice(0, 16)]);
  });

  it('holds host input while the FIFO is full (flow control): nothing is lost', () => {
    const r = rig();
    setup115200(r);
    r.wr(FCR, 0x01);
    const data = Uint8Array.from({ length: 20 }, (_, i) => 0x40 + i);
    r.be.input(data);
    r.host.clock.advance(r.charNs() * 40); // the guest is slow to drain
    const dev = r.dev as unknown as { overruns: number };
    expect(dev.overruns).toBe(0);
    expect(r.rd(LSR)).toBe(0x61); // DR | THRE | TEMT, no OE
    const got: number[] = [];
    while (r.rd(LSR) & 1) got.push(r.rd(RBR));
    expect(got).toEqual([...data.slice(0, 16)]);
    r.host.clock.advance(r.charNs() * 5);
    while (r.rd(LSR) & 1) got.push(r.rd(RBR));
    expect(got).toEqual([...data]);
  });

  it('without FIFO a second character overruns the holding register', () => {
    const r = rig();
    setup115200(r);
    r.wr(MCR, 0x10);
    r.wr(THR, 0x78);
    r.wr(THR, 0x79);
    expect(r.rd(LSR)).toBe(0x63);
    expect(r.rd(RBR)).toBe(0x78);
    expect(r.rd(LSR)).toBe(0x60);
  });

  it('paces host input at the line rate: nothing is lost when the guest keeps up', () => {
    const r = rig();
    setup115200(r);
    r.wr(FCR, 0x01);
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(5);
    r.be.input(text);
    let got = '';
    for (let i = 0; i < text.length * 2 && got.length < text.length; i++) {
      r.host.clock.advance(r.charNs());
      while (r.rd(LSR) & 1) got += String.fromCharCode(r.rd(RBR));
    }
    expect(got).toBe(text);
    expect(r.rd(LSR) & 0x02).toBe(0);
  });
});

describe('16550A transmit and THRE interrupt', () => {
  it('sets THRE on ETBEI enable, clears it on IIR read, re-arms it after a THR write', () => {
    const r = rig();
    r.wr(MCR, 0x08);
    const irq = r.host.irqs[0];
    expect(r.rd(LSR) & 0x60).toBe(0x60);
    r.wr(IER, 0x02);
    expect(irq.level).toBe(true);
    expect(r.rd(IIR)).toBe(0x02);
    expect(irq.level).toBe(false);
    expect(r.rd(IIR)).toBe(0x01); // cleared by the previous read
    // Linux's UART_BUG_THRE test: IER=0 then THRI again re-asserts.
    r.wr(IER, 0);
    r.wr(IER, 0x02);
    expect(r.rd(IIR)).toBe(0x02);
    // Writing THR clears and (the byte leaving at once) re-arms it with a fresh edge.
    const raises = irq.raises;
    r.wr(THR, 0x55);
    expect(r.be.output).toEqual([0x55]);
    expect(irq.raises).toBe(raises + 1);
    expect(r.rd(IIR)).toBe(0x02);
    // Disabling ETBEI drops it.
    r.wr(THR, 0x56);
    r.wr(IER, 0);
    expect(r.rd(IIR)).toBe(0x01);
    expect(irq.level).toBe(false);
  });

  it('gates the IRQ pin with OUT2 and disconnects it in loopback', () => {
    const r = rig();
    const irq = r.host.irqs[0];
    r.wr(IER, 0x02);
    expect(r.rd(IIR)).toBe(0x02); // pending inside the UART ...
    r.wr(IER, 0);
    r.wr(IER, 0x02);
    expect(irq.level).toBe(false); // ... but OUT2 is off
    r.wr(MCR, 0x08);
    expect(irq.level).toBe(true);
    r.wr(MCR, 0x18); // loopback: OUT pins forced inactive
    expect(irq.level).toBe(false);
    r.wr(MCR, 0x08);
    expect(irq.level).toBe(true);
  });
});

describe('16550A modem lines and loopback', () => {
  it('loops TX to RX and MCR to MSR in loopback, without touching the backend', () => {
    const r = rig();
    setup115200(r);
    r.wr(MCR, 0x10 | 0x0a); // LOOP | OUT2 | RTS (Linux's loopback test)
    expect(r.rd(MSR) & 0xf0).toBe(0x90);
    r.wr(MCR, 0x1f);
    expect(r.rd(MSR) & 0xf0).toBe(0xf0);
    r.wr(THR, 0x5a);
    expect(r.be.output).toEqual([]);
    expect(r.rd(LSR) & 1).toBe(1);
    expect(r.rd(RBR)).toBe(0x5a);
    // Host input waits while the wire is disconnected, then flows.
    r.be.input('k');
    r.host.clock.advance(r.charNs() * 3);
    expect(r.rd(LSR) & 1).toBe(0);
    r.wr(MCR, 0x0b);
    r.host.clock.advance(r.charNs() * 1.5);
    expect(r.rd(RBR)).toBe(0x6b);
    expect(r.be.modemOutputs).toEqual({ dtr: true, rts: true });
  });

  it('latches delta bits (DCTS, DDSR, TERI, DDCD) and raises a modem status interrupt', () => {
    const r = rig();
    r.wr(MCR, 0x08);
    r.wr(IER, 0x08);
    expect(r.rd(MSR)).toBe(0xb0); // CTS, DSR, DCD asserted by default
    r.be.setModemInputs({ cts: false, dsr: false, ri: true, dcd: true });
    expect(r.host.irqs[0].level).toBe(true);
    expect(r.rd(IIR)).toBe(0x00);
    expect(r.rd(MSR)).toBe(0x40 | 0x80 | 0x03); // RI, DCD, DCTS, DDSR; RI rising edge is no TERI
    expect(r.rd(MSR)).toBe(0xc0); // deltas cleared by the read
    expect(r.host.irqs[0].level).toBe(false);
    r.be.setModemInputs({ cts: false, dsr: false, ri: false, dcd: false });
    expect(r.rd(MSR)).toBe(0x04 | 0x08); // TERI (trailing edge of RI), DDCD
  });
});

describe('16550A LSR shadow', () => {
  it('publishes LSR at offset 5 whenever it changes', () => {
    const r = rig();
    setup115200(r);
    expect(r.shadows.at(-1)).toEqual({ offset: 5, value: 0x60 });
    r.be.input('z');
    r.host.clock.advance(r.charNs() * 1.5);
    expect(r.shadows.at(-1)).toEqual({ offset: 5, value: 0x61 });
    const n = r.shadows.length;
    r.rd(SCR);
    expect(r.shadows.length).toBe(n); // no change, nothing published
    r.rd(RBR);
    expect(r.shadows.at(-1)).toEqual({ offset: 5, value: 0x60 });
    for (const s of r.shadows) expect(s.offset).toBe(5);
  });

  it('publishes LSR before it raises the IRQ (a woken handler reads the shadow at once)', () => {
    const r = rig();
    setup115200(r);
    r.wr(MCR, 0x08); // OUT2: the IRQ reaches the ISA line
    r.wr(IER, 0x01); // received-data interrupt
    const line = r.host.irqs[0];
    const set = line.set.bind(line);
    const atEdge: number[] = [];
    line.set = (level: boolean): void => {
      if (level && !line.level) atEdge.push(r.shadows.at(-1)!.value);
      set(level);
    };
    r.be.input('ab');
    r.host.clock.advance(r.charNs() * 1.5);
    r.rd(RBR);
    r.host.clock.advance(r.charNs() * 1.5);
    expect(atEdge.length).toBeGreaterThanOrEqual(1);
    for (const lsr of atEdge) expect(lsr & 0x01).toBe(0x01); // DR already visible
  });

  it('withdraws the shadow while OE is set (the LSR read must reach the device)', () => {
    const r = rig();
    const withdrawn: number[] = [];
    r.host.withdrawShadow = (region, offset) => withdrawn.push(region * 8 + offset);
    setup115200(r);
    r.wr(MCR, 0x10); // loopback
    r.wr(THR, 0x61);
    r.wr(THR, 0x62); // no FIFO: the second byte overruns
    expect(withdrawn).toEqual([5]);
    expect(r.shadows.every((s) => (s.value & 0x02) === 0)).toBe(true);
    expect(r.rd(LSR)).toBe(0x63);
    expect(r.shadows.at(-1)).toEqual({ offset: 5, value: 0x61 }); // published again once OE cleared
  });
});

/**
 * Linux 6.1 drivers/tty/serial/8250/8250_port.c autoconfig() with autoconfig_16550a() and
 * size_fifo(), as a register sequence (full probe, as with CONFIG_SERIAL_8250_16550A_VARIANTS).
 */
function linuxAutoconfig(r: Rig): { type: string; fifoSize: number } {
  const { rd, wr } = r;
  const scratch = rd(IER);
  wr(IER, 0);
  const scratch2 = rd(IER) & 0x0f;
  wr(IER, 0x0f);
  const scratch3 = rd(IER) & 0x0f;
  wr(IER, scratch);
  if (scratch2 !== 0 || scratch3 !== 0x0f) return { type: 'unknown (IER test)', fifoSize: 0 };
  const saveMcr = rd(MCR);
  const saveLcr = rd(LCR);
  wr(MCR, 0x10 | 0x0a);
  const status1 = rd(MSR) & 0xf0;
  wr(MCR, saveMcr);
  if (status1 !== 0x90) return { type: 'unknown (loopback test)', fifoSize: 0 };
  wr(LCR, 0xbf);
  wr(2, 0); // EFR
  wr(LCR, 0);
  wr(FCR, 0x01);
  const kind = rd(IIR) >> 6;
  let type = ['16450', 'unknown', '16550', '16550A'][kind];
  let fifoSize = kind === 3 ? 16 : kind === 2 ? 1 : 1;
  if (kind === 3) {
    // autoconfig_16550a
    wr(LCR, 0x80);
    if (rd(2) === 0) {
      type = 'EFR-capable (16650/16C950)';
    } else {
      wr(LCR, 0xbf);
      if (rd(2) === 0) type = '16650V2';
      else {
        wr(LCR, 0);
        const m1 = rd(MCR);
        wr(LCR, 0xe0);
        let s2 = rd(2);
        if (!((s2 ^ m1) & 0x10)) {
          wr(LCR, 0);
          wr(MCR, m1 ^ 0x10);
          wr(LCR, 0xe0);
          s2 = rd(2);
          wr(LCR, 0);
          wr(MCR, m1);
          if ((s2 ^ m1) & 0x10) type = 'NS16550A SuperIO';
        }
        if (type === '16550A') {
          wr(LCR, 0);
          wr(FCR, 0x01 | 0x20);
          const a = rd(IIR) & 0xe0;
          wr(FCR, 0);
          wr(LCR, 0x80);
          wr(FCR, 0x21);
          const b = rd(IIR) & 0xe0;
          wr(FCR, 0);
          wr(LCR, 0);
          if (a === 0xc0 && b === 0xe0) type = '16750';
          const ier = rd(IER);
          wr(IER, ier & ~0x40);
          if (!(rd(IER) & 0x40)) {
            wr(IER, ier | 0x40);
            if (rd(IER) & 0x40) type = 'XScale';
          }
          wr(IER, ier);
          fifoSize = sizeFifo(r);
          if (fifoSize === 64) type = 'U6_16550A';
        }
      }
    }
  }
  wr(LCR, saveLcr);
  // Reset the UART as autoconfig does.
  wr(MCR, saveMcr);
  wr(FCR, 0x01);
  wr(FCR, 0x07);
  wr(FCR, 0);
  rd(RBR);
  wr(IER, 0);
  return { type, fifoSize };
}

function sizeFifo(r: Rig): number {
  const { rd, wr } = r;
  const oldLcr = rd(LCR);
  wr(LCR, 0);
  const oldFcr = rd(FCR);
  const oldMcr = rd(MCR);
  wr(FCR, 0x07);
  wr(MCR, 0x10);
  wr(LCR, 0x80);
  const oldDl = rd(DLL) | (rd(DLM) << 8);
  wr(DLL, 1);
  wr(DLM, 0);
  wr(LCR, 0x03);
  for (let i = 0; i < 256; i++) wr(THR, i);
  r.host.clock.advance(20e6); // mdelay(20)
  let count = 0;
  while (rd(LSR) & 1 && count < 256) {
    rd(RBR);
    count++;
  }
  wr(FCR, oldFcr);
  wr(MCR, oldMcr);
  wr(LCR, 0x80);
  wr(DLL, oldDl & 0xff);
  wr(DLM, oldDl >> 8);
  wr(LCR, oldLcr);
  return count;
}

describe('Linux 8250 probe', () => {
  it('autoconfig identifies a 16550A with a 16-byte FIFO', () => {
    const r = rig();
    expect(linuxAutoconfig(r)).toEqual({ type: '16550A', fifoSize: 16 });
    expect(r.be.output).toEqual([]); // the probe transmits nothing on the wire
    expect(r.host.guestErrors).toEqual([]);
  });

  it('serial8250_startup interrupt tests: THRE re-asserts and TXEN sees the interrupt', () => {
    const r = rig();
    linuxAutoconfig(r);
    // UART_BUG_THRE test.
    r.wr(IER, 0x02);
    const iir1 = r.rd(IIR);
    r.wr(IER, 0);
    r.wr(IER, 0x02);
    const iir = r.rd(IIR);
    r.wr(IER, 0);
    expect(!(iir1 & 1) && iir & 1).toBeFalsy(); // not flagged as UART_BUG_THRE
    // UART_BUG_TXEN test.
    r.wr(IER, 0x02);
    const lsr = r.rd(LSR);
    const iir2 = r.rd(IIR);
    r.wr(IER, 0);
    expect(lsr & 0x40 && iir2 & 1).toBeFalsy();
  });
});

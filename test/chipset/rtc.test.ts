/** MC146818 RTC/CMOS through ports 0x70/0x71, and the PC CMOS layout helper. */
import { describe, expect, it } from 'vitest';
import { fakeHost } from '../fakes.js';
import { Rtc } from '../../src/devices/chipset/rtc.js';
import { fillPcCmos } from '../../src/devices/chipset/cmos-layout.js';
import { breakDown, compose } from '../../src/devices/chipset/rtc-time.js';

// Monday 2026-11-23 18:30:45.250 UTC
const START = Date.UTC(2026, 10, 23, 18, 30, 45, 250);

function setup(start = START) {
  const host = fakeHost({ irqCount: 1 });
  const rtc = new Rtc(host, start);
  const rd = (i: number) => {
    rtc.ioWrite(0, 0, 1, i | 0x80);
    return rtc.ioRead(0, 1, 1);
  };
  const wr = (i: number, v: number) => {
    rtc.ioWrite(0, 0, 1, i);
    rtc.ioWrite(0, 1, 1, v);
  };
  return { host, rtc, rd, wr, irq: host.irqs[0], clock: host.clock };
}

describe('calendar arithmetic', () => {
  it('matches Date for a spread of times', () => {
    for (let t = -2e9; t < 5e9; t += 123456789) {
      const d = new Date(t * 1000);
      const b = breakDown(t);
      expect([b.year, b.month, b.day, b.hour, b.minute, b.second, b.weekday]).toEqual([
        d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCDay() + 1,
      ]);
      expect(compose(b)).toBe(t);
    }
  });
});

describe('mc146818rtc', () => {
  it('powers on with A=0x26, B=0x02, D=0x80 and BCD 24-hour time from the start time', () => {
    const { rd } = setup();
    expect(rd(0x0a) & 0x7f).toBe(0x26);
    expect(rd(0x0b)).toBe(0x02);
    expect(rd(0x0d)).toBe(0x80);
    expect([rd(0), rd(2), rd(4), rd(6), rd(7), rd(8), rd(9), rd(0x32)]).toEqual([0x45, 0x30, 0x18, 0x02, 0x23, 0x11, 0x26, 0x20]);
  });

  it('binary and 12-hour formats', () => {
    const { rd, wr } = setup();
    wr(0x0b, 0x06); // binary, 24h
    expect([rd(0), rd(2), rd(4), rd(9), rd(0x32)]).toEqual([45, 30, 18, 26, 20]);
    wr(0x0b, 0x00); // BCD, 12h
    expect(rd(4)).toBe(0x86); // 6 PM
    wr(0x0b, 0x04); // binary, 12h
    expect(rd(4)).toBe(0x86);
    const mid = setup(Date.UTC(2026, 0, 1, 0, 5, 0));
    mid.wr(0x0b, 0x00);
    expect(mid.rd(4)).toBe(0x12); // 12 AM
  });

  it('advances with virtual time across minute, day and year boundaries', () => {
    const { rd, clock } = setup(Date.UTC(2026, 11, 31, 23, 59, 58, 0));
    clock.advance(1.5e9);
    expect(rd(0)).toBe(0x59);
    clock.advance(0.5e9);
    expect([rd(0), rd(2), rd(4), rd(7), rd(8), rd(9)]).toEqual([0x00, 0x00, 0x00, 0x01, 0x01, 0x27]);
  });

  it('SET bit freezes the registers for setting; clearing it starts the new time', () => {
    const { rd, wr, clock } = setup();
    wr(0x0b, 0x82); // SET, 24h BCD
    wr(0, 0x00); wr(2, 0x00); wr(4, 0x12); wr(7, 0x15); wr(8, 0x06); wr(9, 0x99); wr(0x32, 0x19);
    clock.advance(5e9);
    expect(rd(0)).toBe(0x00); // frozen
    wr(0x0b, 0x02);
    clock.advance(3e9);
    expect([rd(0), rd(4), rd(7), rd(8), rd(9), rd(0x32)]).toEqual([0x03, 0x12, 0x15, 0x06, 0x99, 0x19]);
    expect(rd(6)).toBe(0x03); // 1999-06-15 was a Tuesday
  });

  it('writing a time register while running sets the time immediately', () => {
    const { rd, wr, clock } = setup();
    wr(2, 0x10);
    expect(rd(2)).toBe(0x10);
    clock.advance(60e9);
    expect(rd(2)).toBe(0x11);
  });

  it('update-in-progress is set in the 244 µs before each update', () => {
    const { rd, clock } = setup(Date.UTC(2026, 0, 1, 0, 0, 0, 0));
    clock.advance(1e9 - 300_000);
    expect(rd(0x0a) & 0x80).toBe(0);
    clock.advance(100_000);
    expect(rd(0x0a) & 0x80).toBe(0x80);
    clock.advance(200_000);
    expect(rd(0x0a) & 0x80).toBe(0);
    expect(rd(0)).toBe(0x01);
  });

  it('periodic interrupt at the programmed rate, acknowledged by reading C', () => {
    for (const [rs, hz] of [[6, 1024], [3, 8192], [15, 2], [1, 256]] as const) {
      const { rd, wr, irq, clock } = setup();
      wr(0x0a, 0x20 | rs);
      wr(0x0b, 0x42); // PIE
      let count = 0;
      const step = 1e9 / hz / 4;
      for (let i = 0; i < hz * 4; i++) {
        clock.advance(step);
        if (irq.level) {
          const c = rd(0x0c);
          expect(c & 0xc0).toBe(0xc0);
          count++;
          expect(irq.level).toBe(false);
        }
      }
      expect(count).toBe(hz);
    }
  });

  it('update-ended interrupt once per second', () => {
    const { rd, wr, irq, clock } = setup();
    wr(0x0b, 0x12); // UIE
    let n = 0;
    for (let i = 0; i < 40; i++) {
      clock.advance(0.25e9);
      if (irq.level) {
        expect(rd(0x0c) & 0x90).toBe(0x90);
        n++;
      }
    }
    expect(n).toBe(10);
  });

  it('alarm interrupt at the programmed time, with don\'t-care fields', () => {
    const { rd, wr, irq, clock } = setup(Date.UTC(2026, 0, 1, 10, 0, 0, 0));
    wr(1, 0x05); wr(3, 0x00); wr(5, 0x10); // 10:00:05
    wr(0x0b, 0x22); // AIE
    clock.advance(4.5e9);
    expect(irq.level).toBe(false);
    clock.advance(0.5e9);
    expect(irq.level).toBe(true);
    expect(rd(0x0c) & 0xa0).toBe(0xa0);
    // Every minute at second 30: hours and minutes don't care.
    wr(1, 0x30); wr(3, 0xc0); wr(5, 0xc0);
    let n = 0;
    for (let i = 0; i < 180; i++) {
      clock.advance(1e9);
      if (irq.level) { rd(0x0c); n++; }
    }
    expect(n).toBe(3);
  });

  it('flags are set without enables and C clears on read; IRQF only with enable', () => {
    const { rd, clock, irq } = setup();
    clock.advance(2e9);
    const c = rd(0x0c);
    expect(c & 0x10).toBe(0x10); // UF
    expect(c & 0x80).toBe(0); // no IRQF
    expect(irq.raises).toBe(0);
    expect(rd(0x0c)).toBe(0);
  });

  it('divider reset stops the clock; leaving it, the first update comes 500 ms later', () => {
    const { rd, wr, clock } = setup(Date.UTC(2026, 0, 1, 0, 0, 0, 0));
    wr(0x0a, 0x70);
    clock.advance(10e9);
    expect(rd(0)).toBe(0x00);
    wr(0x0a, 0x26);
    clock.advance(0.49e9);
    expect(rd(0)).toBe(0x00);
    clock.advance(0.02e9);
    expect(rd(0)).toBe(0x01);
  });

  it('NVRAM and NMI mask bit', () => {
    const { rtc, rd, wr } = setup();
    for (let i = 0x0e; i < 0x80; i++) if (i !== 0x32) wr(i, (i * 7) & 0xff);
    for (let i = 0x0e; i < 0x80; i++) if (i !== 0x32) expect(rd(i)).toBe((i * 7) & 0xff);
    rtc.ioWrite(0, 0, 1, 0x8f);
    expect(rtc.nmiMasked).toBe(true);
    rtc.ioWrite(0, 0, 1, 0x0f);
    expect(rtc.nmiMasked).toBe(false);
    expect(rtc.cmosRead(0x20)).toBe((0x20 * 7) & 0xff);
  });

  it('reset clears interrupt enables and flags but keeps time and RAM', () => {
    const { rtc, rd, wr, clock, irq } = setup();
    wr(0x0b, 0x72);
    wr(0x40, 0x5a);
    clock.advance(1e9);
    expect(irq.level).toBe(true);
    rtc.reset();
    expect(irq.level).toBe(false);
    expect(rd(0x0b)).toBe(0x02);
    expect(rd(0x40)).toBe(0x5a);
    expect(rd(0)).toBe(0x46);
  });

  it('state round-trips', () => {
    const { rtc, host, wr, clock } = setup();
    wr(0x0b, 0x42);
    clock.advance(3.3e9);
    const s = rtc.saveState();
    const r2 = new Rtc(host, 0);
    r2.loadState(JSON.parse(JSON.stringify(s)));
    expect(r2.saveState()).toEqual(s);
  });
});

describe('PC CMOS layout', () => {
  const mk = () => new Rtc(fakeHost({ irqCount: 1 }), START);
  const seabiosRamSize = (r: Rtc) => {
    const hi = (r.cmosRead(0x34) << 16) | (r.cmosRead(0x35) << 24);
    return hi ? hi + 16 * 1024 * 1024 : ((r.cmosRead(0x30) << 10) | (r.cmosRead(0x31) << 18)) + 1024 * 1024;
  };

  it('memory sizes as QEMU stores them and SeaBIOS reads them', () => {
    for (const mib of [16, 32, 128, 1024]) {
      const r = mk();
      fillPcCmos(r, { ramBytes: mib * 1024 * 1024 });
      expect(seabiosRamSize(r)).toBe(mib * 1024 * 1024);
      expect(r.cmosRead(0x15) | (r.cmosRead(0x16) << 8)).toBe(640);
      const ext = Math.min(65535, mib * 1024 - 1024);
      expect(r.cmosRead(0x17) | (r.cmosRead(0x18) << 8)).toBe(ext);
      expect(r.cmosRead(0x30) | (r.cmosRead(0x31) << 8)).toBe(ext);
    }
  });

  it('CPU count, boot order, floppies, disks and checksum', () => {
    const r = mk();
    fillPcCmos(r, {
      ramBytes: 64 << 20, cpus: 2, bootOrder: ['d', 'c', 'a'], floppies: ['1.44M'],
      hardDisks: [{ cylinders: 1024, heads: 16, sectors: 63 }],
    });
    expect(r.cmosRead(0x5f)).toBe(1);
    expect(r.cmosRead(0x3d)).toBe(0x23);
    expect(r.cmosRead(0x38)).toBe(0x10);
    expect(r.cmosRead(0x10)).toBe(0x40);
    expect(r.cmosRead(0x14)).toBe(0x07);
    expect(r.cmosRead(0x12)).toBe(0xf0);
    expect(r.cmosRead(0x19)).toBe(47);
    expect(r.cmosRead(0x1b) | (r.cmosRead(0x1c) << 8)).toBe(1024);
    expect(r.cmosRead(0x1d)).toBe(16);
    expect(r.cmosRead(0x23)).toBe(63);
    expect(r.cmosRead(0x39)).toBe(0x00); // 1024*16*63 = 528 MB: no translation
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += r.cmosRead(i);
    expect((r.cmosRead(0x2e) << 8) | r.cmosRead(0x2f)).toBe(sum);
  });
});

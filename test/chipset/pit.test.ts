/** 8254 PIT and port 0x61 through their ports, against a manual virtual clock. */
import { describe, expect, it } from 'vitest';
import { fakeHost } from '../fakes.js';
import { Pit } from '../../src/devices/chipset/pit.js';
import { nsForTicks, PIT_HZ, ticksIn } from '../../src/devices/chipset/pit-channel.js';

const CNT = 0, B = 1;

function setup() {
  const host = fakeHost({ irqCount: 1 });
  const pit = new Pit(host);
  const out = (v: number) => pit.ioWrite(CNT, 3, 1, v);
  const load = (ch: number, n: number) => {
    pit.ioWrite(CNT, ch, 1, n & 0xff);
    pit.ioWrite(CNT, ch, 1, (n >> 8) & 0xff);
  };
  const read16 = (ch: number) => pit.ioRead(CNT, ch, 1) | (pit.ioRead(CNT, ch, 1) << 8);
  return { host, pit, irq: host.irqs[0], clock: host.clock, ctl: out, load, read16 };
}

describe('8254 PIT', () => {
  it('tick conversion is exact both ways', () => {
    for (const t of [0, 1, 2, 1000, 11932, 65536, PIT_HZ - 1, PIT_HZ, 123456789]) {
      expect(ticksIn(nsForTicks(t))).toBe(t);
      expect(ticksIn(nsForTicks(t) - 1)).toBe(t - 1 < 0 ? 0 : t - 1);
    }
  });

  it('power-on mode 3 with count 65536 gives IRQ0 at 18.2 Hz', () => {
    const { irq, clock } = setup();
    expect(irq.level).toBe(true); // OUT starts high in mode 3
    const r0 = irq.raises;
    clock.advance(1e9);
    expect(irq.raises - r0).toBe(Math.floor(PIT_HZ / 65536)); // 18
  });

  it('mode 2 rate generator: one IRQ0 edge per period, timed by virtual time', () => {
    const { irq, clock, ctl, load } = setup();
    ctl(0x34); // channel 0, lsb/msb, mode 2, binary
    load(0, 11932); // ~100 Hz, as Linux programs it
    const before = irq.raises;
    clock.advance(1e9);
    expect(irq.raises - before).toBe(Math.floor(PIT_HZ / 11932)); // 99 in the first second
    // The edge comes exactly at a period boundary counted from the load.
    ctl(0x34);
    load(0, 1000);
    const t0 = clock.now();
    const r = irq.raises;
    clock.advance(t0 + nsForTicks(3000) - 1 - clock.now());
    expect(irq.raises - r).toBe(2);
    expect(irq.level).toBe(false); // the one-clock low phase before the reload
    clock.advance(1);
    expect(irq.raises - r).toBe(3);
    expect(irq.level).toBe(true);
  });

  it('mode 0 interrupt on terminal count: low on write, high after N clocks, once', () => {
    const { irq, clock, ctl, load } = setup();
    ctl(0x30); // channel 0, mode 0
    expect(irq.level).toBe(false);
    load(0, 1000);
    const t0 = clock.now();
    const raises = irq.raises;
    clock.advance(nsForTicks(1000) - 1);
    expect(irq.level).toBe(false);
    clock.advance(1);
    expect(irq.level).toBe(true);
    expect(irq.raises).toBe(raises + 1);
    clock.advance(1e9);
    expect(irq.raises).toBe(raises + 1);
    expect(clock.now() - t0).toBeGreaterThan(0);
  });

  it('mode 4 software strobe (Linux one-shot) raises IRQ0 once at N+1', () => {
    const { irq, clock, ctl, load } = setup();
    ctl(0x38);
    load(0, 500);
    const r = irq.raises;
    clock.advance(nsForTicks(500));
    expect(irq.level).toBe(false); // the one-clock low strobe
    clock.advance(nsForTicks(501) - nsForTicks(500));
    expect(irq.level).toBe(true);
    expect(irq.raises).toBe(r + 1);
    clock.advance(1e8);
    expect(irq.raises).toBe(r + 1);
  });

  it('counter latch freezes the value until both bytes are read', () => {
    const { pit, clock, ctl, load, read16 } = setup();
    ctl(0x34);
    load(0, 1000);
    clock.advance(nsForTicks(100));
    ctl(0x00); // latch channel 0
    clock.advance(nsForTicks(50));
    expect(read16(0)).toBe(900);
    expect(read16(0)).toBe(850); // live again
    ctl(0x00);
    ctl(0x00); // second latch ignored until read
    clock.advance(nsForTicks(10));
    expect(read16(0)).toBe(850);
    expect(pit.ioRead(CNT, 3, 1)).toBe(0xff);
  });

  it('read-back command latches status and count; status reports OUT and null count', () => {
    const { pit, clock, ctl, load, read16 } = setup();
    ctl(0xb0); // channel 2, lsb/msb, mode 0
    ctl(0xe8); // read-back status of channel 2
    expect(pit.ioRead(CNT, 2, 1)).toBe(0x70); // OUT low, null count, rw 3, mode 0
    pit.ioWrite(B, 0, 1, 0x01); // gate 2 on
    load(2, 100);
    ctl(0xc8); // read-back count+status
    expect(pit.ioRead(CNT, 2, 1)).toBe(0x30);
    expect(read16(2)).toBe(100);
    clock.advance(nsForTicks(100));
    ctl(0xe8);
    expect(pit.ioRead(CNT, 2, 1)).toBe(0xb0); // OUT high
  });

  it('BCD counting and LSB-only / MSB-only access', () => {
    const { pit, clock, ctl, load, read16 } = setup();
    ctl(0x35); // mode 2, BCD
    load(0, 0x1000); // 1000 decimal
    clock.advance(nsForTicks(1));
    expect(read16(0)).toBe(0x0999);
    ctl(0x14); // channel 0, LSB only, mode 2
    pit.ioWrite(CNT, 0, 1, 200);
    clock.advance(nsForTicks(50));
    expect(pit.ioRead(CNT, 0, 1)).toBe(150);
    ctl(0x24); // MSB only
    pit.ioWrite(CNT, 0, 1, 0x02); // 0x200
    clock.advance(nsForTicks(0x100));
    expect(pit.ioRead(CNT, 0, 1)).toBe(0x01);
  });

  it('channel 2 through port 0x61: gate, OUT2 (SeaBIOS TSC calibration pattern)', () => {
    const { pit, clock, ctl, load } = setup();
    pit.ioWrite(B, 0, 1, 0x00);
    ctl(0xb0); // channel 2, mode 0
    load(2, 1193); // ~1 ms
    pit.ioWrite(B, 0, 1, 0x01); // gate on, speaker off
    expect(pit.ioRead(B, 0, 1) & 0x21).toBe(0x01);
    clock.advance(nsForTicks(600));
    pit.ioWrite(B, 0, 1, 0x00); // gate off: counting pauses (mode 0)
    clock.advance(1e6);
    expect(pit.ioRead(B, 0, 1) & 0x20).toBe(0);
    pit.ioWrite(B, 0, 1, 0x01);
    clock.advance(nsForTicks(592));
    expect(pit.ioRead(B, 0, 1) & 0x20).toBe(0);
    clock.advance(nsForTicks(2));
    expect(pit.ioRead(B, 0, 1) & 0x20).toBe(0x20);
  });

  it('mode 3 square wave on channel 2 toggles OUT2 every half period; speaker state', () => {
    const { pit, clock, ctl, load } = setup();
    ctl(0xb6);
    load(2, 1000);
    pit.ioWrite(B, 0, 1, 0x03);
    expect(pit.ioRead(B, 0, 1) & 0x20).toBe(0x20);
    clock.advance(nsForTicks(500));
    expect(pit.ioRead(B, 0, 1) & 0x20).toBe(0);
    clock.advance(nsForTicks(1000) - nsForTicks(500));
    expect(pit.ioRead(B, 0, 1) & 0x20).toBe(0x20);
    const sp = pit.speaker();
    expect(sp).toMatchObject({ gate: true, data: true, mode: 3 });
    expect(sp.frequencyHz).toBeCloseTo(PIT_HZ / 1000, 6);
  });

  it('mode 1 one-shot starts on a gate rising edge', () => {
    const { pit, clock, ctl, load } = setup();
    ctl(0xb2); // channel 2, mode 1
    load(2, 100);
    expect(pit.ioRead(B, 0, 1) & 0x20).toBe(0x20); // OUT high before trigger
    clock.advance(nsForTicks(500));
    pit.ioWrite(B, 0, 1, 0x01); // trigger
    expect(pit.ioRead(B, 0, 1) & 0x20).toBe(0);
    clock.advance(nsForTicks(100));
    expect(pit.ioRead(B, 0, 1) & 0x20).toBe(0x20);
  });

  it('mode 5 hardware-triggered strobe: one low clock N clocks after each gate rising edge', () => {
    const { pit, clock, ctl, load, read16 } = setup();
    const out2 = () => (pit.ioRead(B, 0, 1) & 0x20) !== 0;
    ctl(0xba); // channel 2, LSB+MSB, mode 5, binary
    load(2, 100);
    expect(out2()).toBe(true);
    clock.advance(nsForTicks(1000)); // no trigger yet: nothing happens
    expect(out2()).toBe(true);
    pit.ioWrite(B, 0, 1, 0x01); // gate 0→1: the count is loaded
    const t0 = clock.now();
    const at = (ticks: number) => { clock.advance(t0 + nsForTicks(ticks) - clock.now()); return out2(); };
    expect(at(40)).toBe(true);
    expect(read16(2)).toBe(60);
    expect(at(99)).toBe(true);
    expect(at(100)).toBe(false); // the strobe
    expect(at(101)).toBe(true);
    expect(at(500)).toBe(true); // once per trigger
    // Retrigger: gate low then high restarts the count from the initial value.
    pit.ioWrite(B, 0, 1, 0x00);
    pit.ioWrite(B, 0, 1, 0x01);
    const t1 = clock.now();
    clock.advance(t1 + nsForTicks(100) - clock.now());
    expect(out2()).toBe(false);
    clock.advance(nsForTicks(1));
    expect(out2()).toBe(true);
  });

  it('mode 2: a count written while counting takes effect at the end of the period', () => {
    const { pit, irq, clock, ctl, load, read16 } = setup();
    ctl(0x34);
    load(0, 1000);
    const t0 = clock.now();
    const r = irq.raises;
    clock.advance(nsForTicks(300));
    load(0, 500);
    ctl(0xe2); // read-back status of channel 0: NULL COUNT until the reload
    expect(pit.ioRead(CNT, 0, 1) & 0x40).toBe(0x40);
    clock.advance(t0 + nsForTicks(1000) - clock.now());
    expect(irq.raises - r).toBe(1); // old period still ends at 1000
    ctl(0xe2);
    expect(pit.ioRead(CNT, 0, 1) & 0x40).toBe(0);
    clock.advance(t0 + nsForTicks(1100) - clock.now());
    expect(read16(0)).toBe(400);
    clock.advance(t0 + nsForTicks(1500) - 1 - clock.now());
    expect(irq.raises - r).toBe(1);
    clock.advance(1);
    expect(irq.raises - r).toBe(2);
    clock.advance(t0 + nsForTicks(3000) - clock.now());
    expect(irq.raises - r).toBe(5);
  });

  it('mode 3: a new count is loaded at the end of the current half-period', () => {
    const { pit, clock, ctl, load } = setup();
    ctl(0xb6);
    pit.ioWrite(B, 0, 1, 0x01);
    load(2, 1000);
    const t0 = clock.now();
    const out2 = (ticks: number) => {
      clock.advance(t0 + nsForTicks(ticks) - clock.now());
      return (pit.ioRead(B, 0, 1) & 0x20) !== 0;
    };
    expect(out2(200)).toBe(true);
    load(2, 600);
    expect(out2(499)).toBe(true);
    expect(out2(500)).toBe(false); // old half-period ends; new count counts the low half
    expect(out2(799)).toBe(false);
    expect(out2(800)).toBe(true); // low half of 600 = 300 clocks
    expect(out2(1099)).toBe(true);
    expect(out2(1100)).toBe(false);
    expect(out2(1400)).toBe(true);
  });

  it('port 0x61 bit 4 toggles with the refresh clock', () => {
    const { pit, clock } = setup();
    const a = pit.ioRead(B, 0, 1) & 0x10;
    clock.advance(15085);
    const b = pit.ioRead(B, 0, 1) & 0x10;
    expect(a ^ b).toBe(0x10);
  });

  it('state round-trips and timing continues', () => {
    const { pit, host, ctl, load } = setup();
    ctl(0x34);
    load(0, 2000);
    host.clock.advance(12345);
    const s = pit.saveState();
    const p2 = new Pit(host);
    p2.loadState(JSON.parse(JSON.stringify(s)));
    expect(p2.saveState()).toEqual(s);
  });
});

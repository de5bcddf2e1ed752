/** 8259A pair through its ports: init sequence, priority, EOI, cascade, level/ELCR, poll, rotation. */
import { describe, expect, it } from 'vitest';
import { fakeHost } from '../fakes.js';
import { DualPic } from '../../src/devices/chipset/pic.js';

const M = 0, S = 1, ELCR = 2;

/** The standard PC/AT initialisation (as SeaBIOS and Linux do): vectors 0x08 and 0x70. */
function initPic(masterBase = 0x08, slaveBase = 0x70, icw4 = 0x01) {
  const host = fakeHost();
  const pic = new DualPic(host);
  const intr: boolean[] = [];
  pic.setOutputListener((l) => intr.push(l));
  pic.ioWrite(M, 0, 1, 0x11);
  pic.ioWrite(M, 1, 1, masterBase);
  pic.ioWrite(M, 1, 1, 0x04);
  pic.ioWrite(M, 1, 1, icw4);
  pic.ioWrite(S, 0, 1, 0x11);
  pic.ioWrite(S, 1, 1, slaveBase);
  pic.ioWrite(S, 1, 1, 0x02);
  pic.ioWrite(S, 1, 1, icw4);
  return { host, pic, intr };
}

const eoi = (pic: DualPic, r = M) => pic.ioWrite(r, 0, 1, 0x20);

describe('i8259 pair', () => {
  it('init sequence sets vector bases and clears the mask', () => {
    const { pic, host } = initPic();
    expect(pic.ioRead(M, 1, 1)).toBe(0);
    pic.ioWrite(M, 1, 1, 0xfb);
    expect(pic.ioRead(M, 1, 1)).toBe(0xfb);
    pic.setIrq(1, true);
    expect(pic.hasInterrupt()).toBe(false); // masked
    pic.ioWrite(M, 1, 1, 0x00);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x09);
    expect(host.guestErrors).toEqual([]);
  });

  it('serves by priority and nests until EOI', () => {
    const { pic, intr } = initPic();
    pic.setIrq(4, true);
    pic.setIrq(1, true);
    expect(intr).toEqual([true]);
    expect(pic.acknowledge()).toBe(0x09);
    // IRQ4 is lower priority than the in-service IRQ1: no INTR.
    expect(pic.hasInterrupt()).toBe(false);
    pic.ioWrite(M, 0, 1, 0x0b); // OCW3: read ISR
    expect(pic.ioRead(M, 0, 1)).toBe(0x02);
    pic.ioWrite(M, 0, 1, 0x0a); // read IRR
    expect(pic.ioRead(M, 0, 1)).toBe(0x10); // IRQ1's edge request was consumed by INTA
    eoi(pic);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x0c);
    // A higher-priority request preempts IRQ4 in service.
    pic.setIrq(0, true);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x08);
    pic.ioWrite(M, 0, 1, 0x0b);
    expect(pic.ioRead(M, 0, 1)).toBe(0x11);
    eoi(pic); // clears IRQ0 (highest in service)
    expect(pic.ioRead(M, 0, 1)).toBe(0x10);
    pic.ioWrite(M, 0, 1, 0x64); // specific EOI for IRQ4
    expect(pic.ioRead(M, 0, 1)).toBe(0x00);
  });

  it('edge inputs need a new rising edge; IRR is cleared by INTA', () => {
    const { pic } = initPic();
    pic.setIrq(3, true);
    expect(pic.acknowledge()).toBe(0x0b);
    eoi(pic);
    pic.setIrq(3, true); // still high: no new edge
    expect(pic.hasInterrupt()).toBe(false);
    pic.setIrq(3, false);
    pic.setIrq(3, true);
    expect(pic.hasInterrupt()).toBe(true);
  });

  it('cascades the slave through IRQ2', () => {
    const { pic } = initPic();
    pic.setIrq(12, true);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x74);
    pic.ioWrite(M, 0, 1, 0x0b);
    pic.ioWrite(S, 0, 1, 0x0b);
    expect(pic.ioRead(M, 0, 1)).toBe(0x04);
    expect(pic.ioRead(S, 0, 1)).toBe(0x10);
    // While IRQ2 is in service on the master, another slave IRQ waits (fully nested, no SFNM).
    pic.setIrq(8, true);
    expect(pic.hasInterrupt()).toBe(false);
    eoi(pic, S);
    eoi(pic, M);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x70);
  });

  it('ISA IRQ 2 is IRQ 9 on the AT (master IR2 is the cascade); both lines are ORed', () => {
    const { pic } = initPic();
    pic.setIrq(2, true);
    expect(pic.acknowledge()).toBe(0x71);
    eoi(pic, S);
    eoi(pic, M);
    pic.ioWrite(ELCR, 1, 1, 0x02); // IRQ 9 level-triggered
    pic.setIrq(9, true);
    pic.setIrq(2, false);
    expect(pic.hasInterrupt()).toBe(true); // IRQ 9 still drives IR1
    pic.setIrq(9, false);
    pic.ioWrite(S, 0, 1, 0x0a);
    expect(pic.ioRead(S, 0, 1)).toBe(0);
  });

  it('special fully nested mode lets a higher slave IRQ through while IRQ2 is in service', () => {
    const { pic } = initPic(0x08, 0x70, 0x11);
    pic.setIrq(12, true);
    expect(pic.acknowledge()).toBe(0x74);
    pic.setIrq(8, true);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x70);
  });

  it('level-triggered lines via ELCR stay requested while high and re-interrupt after EOI', () => {
    const { pic } = initPic();
    pic.ioWrite(ELCR, 1, 1, 0xff);
    expect(pic.ioRead(ELCR, 1, 1)).toBe(0xde); // IRQ 8 and 13 are always edge
    pic.ioWrite(ELCR, 0, 1, 0xff);
    expect(pic.ioRead(ELCR, 0, 1)).toBe(0xf8);
    pic.setIrq(11, true);
    expect(pic.acknowledge()).toBe(0x73);
    eoi(pic, S);
    eoi(pic, M);
    expect(pic.hasInterrupt()).toBe(true); // still asserted
    expect(pic.acknowledge()).toBe(0x73);
    pic.setIrq(11, false);
    eoi(pic, S);
    eoi(pic, M);
    expect(pic.hasInterrupt()).toBe(false);
    // Dropping a level line before INTA withdraws the slave's request; the master's IR2 edge
    // stays latched (as in QEMU), so INTA yields the slave's spurious IRQ15 vector.
    pic.setIrq(10, true);
    expect(pic.hasInterrupt()).toBe(true);
    pic.setIrq(10, false);
    pic.ioWrite(S, 0, 1, 0x0a);
    expect(pic.ioRead(S, 0, 1)).toBe(0);
    expect(pic.acknowledge()).toBe(0x77);
    pic.ioWrite(S, 0, 1, 0x0b);
    expect(pic.ioRead(S, 0, 1)).toBe(0); // spurious: no ISR bit on the slave
  });

  it('spurious interrupts return IRQ7 / IRQ15 without setting ISR', () => {
    const { pic } = initPic();
    expect(pic.acknowledge()).toBe(0x0f);
    pic.ioWrite(M, 0, 1, 0x0b);
    expect(pic.ioRead(M, 0, 1)).toBe(0);
    // A level request on the master withdrawn before INTA: spurious IRQ7.
    pic.ioWrite(ELCR, 0, 1, 0x20);
    pic.setIrq(5, true);
    expect(pic.hasInterrupt()).toBe(true);
    pic.setIrq(5, false);
    expect(pic.hasInterrupt()).toBe(false);
    expect(pic.acknowledge()).toBe(0x0f);
    expect(pic.ioRead(M, 0, 1)).toBe(0);
    // Slave request withdrawn: IRQ15 (slave base + 7), master IR2 in service, slave ISR clear.
    pic.ioWrite(ELCR, 1, 1, 0x08);
    pic.setIrq(11, true);
    pic.setIrq(11, false);
    expect(pic.acknowledge()).toBe(0x77);
    expect(pic.ioRead(M, 0, 1)).toBe(0x04);
  });

  it('poll command returns the highest request and acknowledges it', () => {
    const { pic } = initPic();
    pic.setIrq(5, true);
    pic.setIrq(6, true);
    pic.ioWrite(M, 0, 1, 0x0c); // OCW3 poll
    expect(pic.ioRead(M, 0, 1)).toBe(0x85);
    pic.ioWrite(M, 0, 1, 0x0b);
    expect(pic.ioRead(M, 0, 1)).toBe(0x20);
    pic.ioWrite(M, 0, 1, 0x0c);
    expect(pic.ioRead(M, 0, 1)).toBe(0x00); // IRQ6 blocked by IRQ5 in service
    eoi(pic);
    pic.ioWrite(M, 0, 1, 0x0c);
    expect(pic.ioRead(M, 1, 1)).toBe(0x86);
  });

  it('auto-EOI leaves ISR clear; rotate in auto-EOI rotates priorities', () => {
    const { pic } = initPic(0x08, 0x70, 0x03);
    pic.setIrq(3, true);
    expect(pic.acknowledge()).toBe(0x0b);
    pic.ioWrite(M, 0, 1, 0x0b);
    expect(pic.ioRead(M, 0, 1)).toBe(0);
    pic.ioWrite(M, 0, 1, 0x80); // set rotate in auto-EOI
    pic.setIrq(1, true);
    expect(pic.acknowledge()).toBe(0x09); // IRQ1 now lowest priority
    pic.setIrq(1, false);
    pic.setIrq(1, true);
    pic.setIrq(4, true);
    expect(pic.acknowledge()).toBe(0x0c);
  });

  it('rotate on non-specific EOI and set-priority change the order', () => {
    const { pic } = initPic();
    pic.setIrq(0, true);
    expect(pic.acknowledge()).toBe(0x08);
    pic.ioWrite(M, 0, 1, 0xa0); // rotate on non-specific EOI: IRQ0 lowest
    pic.setIrq(0, false);
    pic.setIrq(0, true);
    pic.setIrq(7, true);
    expect(pic.acknowledge()).toBe(0x0f); // IRQ7 now above IRQ0
    pic.ioWrite(M, 0, 1, 0xe7); // rotate on specific EOI 7: IRQ7 lowest, IRQ0 highest
    expect(pic.acknowledge()).toBe(0x08);
    eoi(pic);
    pic.ioWrite(M, 0, 1, 0xc4); // set priority: IRQ4 lowest → IRQ5 highest
    pic.setIrq(5, true);
    pic.setIrq(3, true);
    expect(pic.acknowledge()).toBe(0x0d);
  });

  it('special mask mode allows lower priorities while a masked level is in service', () => {
    const { pic } = initPic();
    pic.setIrq(2 + 1, true); // IRQ3
    expect(pic.acknowledge()).toBe(0x0b);
    pic.ioWrite(M, 1, 1, 0x08); // mask IRQ3 (in service)
    pic.setIrq(5, true);
    expect(pic.hasInterrupt()).toBe(false);
    pic.ioWrite(M, 0, 1, 0x68); // OCW3: set special mask
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x0d);
    pic.ioWrite(M, 0, 1, 0x48); // clear special mask
  });

  it('reports odd accesses as guest errors and never throws', () => {
    const { pic, host } = initPic();
    expect(pic.ioRead(M, 0, 2)).toBe(0xffff);
    pic.ioWrite(3, 0, 1, 1);
    expect(host.guestErrors.length).toBe(2);
  });

  it('state round-trips', () => {
    const { pic, host } = initPic();
    pic.setIrq(12, true);
    pic.acknowledge();
    const s = pic.saveState();
    const p2 = new DualPic(host);
    p2.loadState(JSON.parse(JSON.stringify(s)));
    expect(p2.saveState()).toEqual(s);
  });
});

/**
 * VGA registers through the ports: DAC read/write sequencing, pel mask, attribute controller
 * flip-flop, input status 1 timing from virtual time, CRTC port selection by misc output bit 0
 * and CR0-CR7 protection, sequencer/graphics write masks, feature control.
 */
import { describe, expect, it } from 'vitest';
import { MODE_03, makeVga } from './helpers.js';

describe('DAC', () => {
  it('auto-increments through the write and read indices, 6 bits per component', () => {
    const v = makeVga();
    v.outb(0x3c8, 5);
    for (const c of [10, 20, 30, 40, 50, 60, 0xff, 0, 1]) v.outb(0x3c9, c);
    expect(v.inb(0x3c8)).toBe(8);
    expect(v.inb(0x3c7)).toBe(0); // write mode
    v.outb(0x3c7, 6);
    expect(v.inb(0x3c7)).toBe(3); // read mode
    const got = Array.from({ length: 6 }, () => v.inb(0x3c9));
    expect(got).toEqual([40, 50, 60, 0x3f, 0, 1]);
  });

  it('a partial triple is not committed, and indices wrap at 256', () => {
    const v = makeVga();
    v.dac(255, 1, 2, 3);
    v.outb(0x3c9, 4); // index is 0 now
    v.outb(0x3c9, 5);
    v.outb(0x3c9, 6);
    v.outb(0x3c8, 7);
    v.outb(0x3c9, 9); // partial: dropped by the index write below
    v.outb(0x3c8, 8);
    v.outb(0x3c7, 255);
    expect([v.inb(0x3c9), v.inb(0x3c9), v.inb(0x3c9)]).toEqual([1, 2, 3]);
    expect([v.inb(0x3c9), v.inb(0x3c9), v.inb(0x3c9)]).toEqual([4, 5, 6]);
    v.outb(0x3c7, 7);
    expect(v.inb(0x3c9)).toBe(0);
  });

  it('keeps 8 bits per component with the VBE 8-bit DAC', () => {
    const v = makeVga();
    v.dispi(4, 0x20);
    v.dac(1, 200, 100, 50);
    v.outb(0x3c7, 1);
    expect([v.inb(0x3c9), v.inb(0x3c9), v.inb(0x3c9)]).toEqual([200, 100, 50]);
  });

  it('pel mask reads back', () => {
    const v = makeVga();
    expect(v.inb(0x3c6)).toBe(0xff);
    v.outb(0x3c6, 0x0f);
    expect(v.inb(0x3c6)).toBe(0x0f);
  });
});

describe('attribute controller', () => {
  it('alternates index and data, reset by reading input status 1', () => {
    const v = makeVga();
    v.outb(0x3c2, 0x67);
    v.inb(0x3da);
    v.outb(0x3c0, 0x01);
    v.outb(0x3c0, 0xff);
    expect(v.inb(0x3c1)).toBe(0x3f); // palette entries are 6 bits
    v.outb(0x3c0, 0x12); // index (flip-flop back at index)
    expect(v.inb(0x3c0)).toBe(0x12);
    v.inb(0x3da); // reset: the next write is an index again
    v.outb(0x3c0, 0x33); // index 0x13 with PAS set
    expect(v.inb(0x3c0)).toBe(0x33);
    v.outb(0x3c0, 0xf7);
    expect(v.inb(0x3c1)).toBe(0x07); // pel panning: 4 bits
    expect(v.dev.ar[0x12]).toBe(0); // untouched
  });

  it('the mono status port resets the flip-flop in mono mode only', () => {
    const v = makeVga();
    v.outb(0x3c2, 0x66); // mono: 0x3Bx decoded
    v.inb(0x3ba);
    v.outb(0x3c0, 0x02);
    v.inb(0x3da); // not decoded in mono mode
    v.outb(0x3c0, 0x15);
    expect(v.dev.ar[2]).toBe(0x15);
  });
});

describe('input status 1', () => {
  it('follows virtual time: display enable per line, vertical retrace per frame', () => {
    const v = makeVga();
    v.outb(0x3c2, 0x67);
    expect(v.inb(0x3da) & 0x09).toBe(0); // t=0: active display
    v.host.clock.advance(10 * 31_778 + 28_000); // line 10, horizontal blanking
    expect(v.inb(0x3da) & 0x09).toBe(0x01);
    v.host.clock.advance(485 * 31_778); // line 495: vertical retrace
    expect(v.inb(0x3da) & 0x09).toBe(0x09);
    v.host.clock.advance(25 * 31_778); // line 520: blanking, no retrace
    expect(v.inb(0x3da) & 0x09).toBe(0x01);
  });

  it('a "wait for retrace start, then end" loop finishes with 30 µs reads', () => {
    const v = makeVga();
    v.outb(0x3c2, 0x67);
    let reads = 0;
    const poll = () => {
      reads++;
      v.host.clock.advance(30_000);
      return v.inb(0x3da);
    };
    while (!(poll() & 8)) if (reads > 2000) throw new Error('no retrace');
    while (poll() & 8) if (reads > 2000) throw new Error('retrace never ends');
    expect(reads).toBeLessThan(1200);
  });
});

describe('CRTC and misc', () => {
  it('decodes 0x3D4/5 or 0x3B4/5 by misc output bit 0', () => {
    const v = makeVga();
    v.outb(0x3c2, 0x67);
    expect(v.inb(0x3cc)).toBe(0x67);
    v.outb(0x3d4, 0x0e);
    v.outb(0x3d5, 0x12);
    expect(v.inb(0x3d5)).toBe(0x12);
    expect(v.inb(0x3b5)).toBe(0xff);
    v.outb(0x3b5, 0x34); // ignored
    v.outb(0x3c2, 0x66);
    expect(v.inb(0x3d5)).toBe(0xff);
    v.outb(0x3b4, 0x0e);
    expect(v.inb(0x3b5)).toBe(0x12);
  });

  it('CR11 bit 7 protects CR0-CR7 except the line compare bit', () => {
    const v = makeVga();
    v.outb(0x3c2, 0x67);
    v.crtc(1, 0x4f);
    v.crtc(7, 0x00);
    v.crtc(0x11, 0x80);
    v.crtc(1, 0x27);
    v.crtc(7, 0xff);
    expect(v.dev.cr[1]).toBe(0x4f);
    expect(v.dev.cr[7]).toBe(0x10);
    v.crtc(0x12, 0x8f); // CR8 and above are not protected
    expect(v.dev.cr[0x12]).toBe(0x8f);
  });

  it('sequencer and graphics registers keep their defined bits; a 16-bit out sets index and data', () => {
    const v = makeVga();
    v.outw(0x3c4, 0xff04);
    expect(v.inb(0x3c5)).toBe(0x0e);
    v.outw(0x3ce, 0xff05);
    expect(v.inw(0x3ce)).toBe(0x7b05);
    v.outb(0x3c4, 0xff);
    expect(v.inb(0x3c4)).toBe(7);
  });

  it('feature control is written at the status port and read at 0x3CA', () => {
    const v = makeVga();
    v.outb(0x3c2, 0x67);
    v.outb(0x3da, 0xff);
    expect(v.inb(0x3ca)).toBe(0x10);
  });

  it('unknown ports read as all-ones and are reported', () => {
    const v = makeVga();
    v.setMode(MODE_03);
    expect(v.inb(0x3d0)).toBe(0xff);
    v.outb(0x3cd, 1);
    expect(v.host.guestErrors.length).toBe(2);
  });
});

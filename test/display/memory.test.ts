/**
 * The VGA memory window through the device's registers only: write modes 0-3 (set/reset,
 * enable set/reset, rotate, AND/OR/XOR, bit mask), read modes 0/1 with latches and colour
 * don't-care, plane masking, chain-4 and odd/even addressing, memory map select and the VBE
 * bank. Expected values are worked out by hand from the IBM VGA reference.
 */
import { describe, expect, it } from 'vitest';
import { VgaMemoryWindow } from '../../src/devices/display/vga-memory.js';
import { MODE_03, MODE_12, MODE_13, makeVga, type Vga } from './helpers.js';

/** The four plane bytes of planar address `a`. */
function planes(v: Vga, a: number): number[] {
  return [...v.vram.subarray(a * 4, a * 4 + 4)];
}
function setPlanes(v: Vga, a: number, p: number[]): void {
  v.vram.set(p, a * 4);
}

function planar(): Vga {
  const v = makeVga();
  v.setMode(MODE_12); // SR4=06 (sequential), GR5=00, GR6=05 (0xA0000, 64 KiB)
  return v;
}

describe('VGA write modes', () => {
  it('mode 0 writes the byte to every enabled plane', () => {
    const v = planar();
    v.memw(0xa0003, 0xa5);
    expect(planes(v, 3)).toEqual([0xa5, 0xa5, 0xa5, 0xa5]);
  });

  it('mode 0 with set/reset and enable set/reset', () => {
    const v = planar();
    v.gfx(0, 0x05); // set/reset value: planes 0 and 2
    v.gfx(1, 0x0f); // all planes take set/reset
    v.memw(0xa0010, 0x12);
    expect(planes(v, 0x10)).toEqual([0xff, 0x00, 0xff, 0x00]);
    v.gfx(0, 0x00);
    v.gfx(1, 0x02); // only plane 1 from set/reset (0); others get the CPU byte
    v.memw(0xa0011, 0x3c);
    expect(planes(v, 0x11)).toEqual([0x3c, 0x00, 0x3c, 0x3c]);
  });

  it('mode 0 rotates the CPU byte', () => {
    const v = planar();
    v.gfx(3, 0x02); // rotate right by 2
    v.memw(0xa0020, 0x81); // 1000_0001 → 0110_0000
    expect(planes(v, 0x20)).toEqual([0x60, 0x60, 0x60, 0x60]);
  });

  it('function select AND / OR / XOR with the latches', () => {
    const v = planar();
    const latchSrc = 0x100;
    setPlanes(v, latchSrc, [0xf0, 0x0f, 0xaa, 0x55]);
    const cases: [number, number[]][] = [
      [0x08, [0xc0, 0x0c, 0x88, 0x44]],
      [0x10, [0xfc, 0xcf, 0xee, 0xdd]],
      [0x18, [0x3c, 0xc3, 0x66, 0x99]],
    ];
    for (const [gr3, want] of cases) {
      v.memr(0xa0000 + latchSrc); // load the latches
      v.gfx(3, gr3);
      v.memw(0xa0200, 0xcc);
      expect(planes(v, 0x200)).toEqual(want);
    }
  });

  it('the bit mask keeps latched bits', () => {
    const v = planar();
    setPlanes(v, 0x100, [0xf0, 0x0f, 0xaa, 0x55]);
    v.memr(0xa0100);
    v.gfx(8, 0x0f);
    v.memw(0xa0300, 0x00);
    expect(planes(v, 0x300)).toEqual([0xf0, 0x00, 0xa0, 0x50]);
  });

  it('mode 1 copies the latches (bit mask ignored)', () => {
    const v = planar();
    setPlanes(v, 0x100, [0xf0, 0x0f, 0xaa, 0x55]);
    v.gfx(5, 0x01);
    v.gfx(8, 0x00);
    v.memr(0xa0100);
    v.memw(0xa0400, 0x77);
    expect(planes(v, 0x400)).toEqual([0xf0, 0x0f, 0xaa, 0x55]);
  });

  it('mode 2 expands the low nibble to planes, through the bit mask', () => {
    const v = planar();
    v.memr(0xa0500); // zero latches
    v.gfx(5, 0x02);
    v.gfx(8, 0xf0);
    v.memw(0xa0500, 0x09);
    expect(planes(v, 0x500)).toEqual([0xf0, 0x00, 0x00, 0xf0]);
  });

  it('mode 3 ANDs the rotated byte with the bit mask and writes set/reset', () => {
    const v = planar();
    setPlanes(v, 0x600, [0xff, 0xff, 0x00, 0x00]);
    v.memr(0xa0600);
    v.gfx(5, 0x03);
    v.gfx(0, 0x06);
    v.gfx(8, 0x3c);
    v.memw(0xa0600, 0xf0); // effective mask 0x30
    expect(planes(v, 0x600)).toEqual([0xcf, 0xff, 0x30, 0x00]);
  });

  it('the sequencer map mask protects planes', () => {
    const v = planar();
    setPlanes(v, 0x700, [0x11, 0x22, 0x33, 0x44]);
    v.seq(2, 0x05);
    v.memw(0xa0700, 0xff);
    expect(planes(v, 0x700)).toEqual([0xff, 0x22, 0xff, 0x44]);
  });
});

describe('VGA read modes', () => {
  it('mode 0 returns the plane chosen by GR4 and loads all four latches', () => {
    const v = planar();
    setPlanes(v, 0x40, [1, 2, 3, 4]);
    v.gfx(4, 2);
    expect(v.memr(0xa0040)).toBe(3);
    v.gfx(4, 3);
    expect(v.memr(0xa0040)).toBe(4);
    expect(v.dev.window.latch).toBe(0x04030201);
  });

  it('mode 1 compares colours, ignoring "don\'t care" planes', () => {
    const v = planar();
    setPlanes(v, 0x50, [0xf0, 0xcc, 0xaa, 0xff]);
    v.gfx(5, 0x08);
    v.gfx(2, 0x0a); // want plane bits 0,1,0,1
    v.gfx(7, 0x0f);
    expect(v.memr(0xa0050)).toBe(0x04);
    v.gfx(7, 0x0b); // plane 2 don't care
    expect(v.memr(0xa0050)).toBe(0x0c);
    v.gfx(7, 0x00); // nothing compared: every pixel matches
    expect(v.memr(0xa0050)).toBe(0xff);
  });

  it('a 16-bit access is two byte accesses', () => {
    const v = planar();
    v.memw(0xa0060, 0xbeef, 2);
    expect(planes(v, 0x60)).toEqual([0xef, 0xef, 0xef, 0xef]);
    expect(planes(v, 0x61)).toEqual([0xbe, 0xbe, 0xbe, 0xbe]);
    v.gfx(4, 1);
    expect(v.memr(0xa0060, 2)).toBe(0xbeef);
  });
});

describe('VGA addressing', () => {
  it('chain-4 maps the window linearly and honours the plane mask', () => {
    const v = makeVga();
    v.setMode(MODE_13);
    v.memw(0xa1234, 0x77);
    expect(v.vram[0x1234]).toBe(0x77);
    expect(v.memr(0xa1234)).toBe(0x77);
    v.seq(2, 0x0e); // plane 0 off
    v.memw(0xa1238, 0x55); // plane 0 (A1:A0 = 0)
    v.memw(0xa1239, 0x66); // plane 1
    expect(v.vram[0x1238]).toBe(0);
    expect(v.vram[0x1239]).toBe(0x66);
  });

  it('odd/even puts characters in plane 0 and attributes in plane 1', () => {
    const v = makeVga();
    v.setMode(MODE_03);
    v.memw(0xb8000, 0x1f41, 2); // 'A' on blue
    v.memw(0xb8002, 0x42);
    expect([v.vram[0], v.vram[1], v.vram[4]]).toEqual([0x41, 0x1f, 0x42]);
    expect(v.memr(0xb8001)).toBe(0x1f);
    // The GR4 page bit selects planes 2/3 (with them enabled in the map mask).
    v.seq(2, 0x0f);
    v.gfx(4, 0x02);
    v.memw(0xb8000, 0x99);
    v.memw(0xb8001, 0x88);
    expect([v.vram[0], v.vram[2], v.vram[3]]).toEqual([0x41, 0x99, 0x88]);
    expect(v.memr(0xb8000)).toBe(0x99);
  });

  it('memory map select decodes only its window', () => {
    const v = makeVga();
    v.setMode(MODE_03); // GR6 = 0x0E: 0xB8000, 32 KiB
    expect(v.memr(0xa0000)).toBe(0xff);
    expect(v.memr(0xb0000)).toBe(0xff);
    v.memw(0xa0000, 0x12);
    expect(v.vram.subarray(0, 4).every((b) => b === 0)).toBe(true);
    v.gfx(6, 0x0a); // 0xB0000, 32 KiB (monochrome)
    v.memw(0xb0000, 0x61);
    expect(v.vram[0]).toBe(0x61);
    expect(v.memr(0xb8000)).toBe(0xff);
    v.gfx(6, 0x02); // 128 KiB at 0xA0000
    v.memw(0xb8000, 0x62); // odd/even: address 0x18000 → plane offset 0x30000
    expect(v.vram[0x30000]).toBe(0x62);
  });

  it('the VBE bank moves the 64 KiB window', () => {
    const v = makeVga();
    v.dispi(1, 640);
    v.dispi(2, 480);
    v.dispi(3, 8);
    v.dispi(4, 0x81); // enabled, no clear, banked
    v.dispi(5, 3);
    v.memw(0xa0010, 0x99);
    expect(v.vram[0x30010]).toBe(0x99);
    expect(v.memr(0xa0010)).toBe(0x99);
    expect(v.memr(0xb0000)).toBe(0xff);
    expect(v.dispiRead(5)).toBe(3);
  });
});

describe('direct-mapping plan', () => {
  it('maps the chain-4 window straight onto VRAM and everything planar through the window', () => {
    const w = new VgaMemoryWindow(new Uint8Array(1 << 20));
    const set = (port: number, i: number, val: number) => {
      w.writeVgaPort(port, i);
      w.writeVgaPort(port + 1, val);
    };
    set(0x3c4, 4, 0x0e);
    set(0x3c4, 2, 0x0f);
    set(0x3ce, 6, 0x05);
    expect(w.directPlan()).toEqual([
      { start: 0, length: 0x10000, vramOffset: 0 },
      { start: 0x10000, length: 0x10000, vramOffset: null },
    ]);
    set(0x3c4, 2, 0x03); // a plane masked: must trap
    expect(w.directPlan()).toEqual([{ start: 0, length: 0x20000, vramOffset: null }]);
    set(0x3c4, 2, 0x0f);
    set(0x3c4, 4, 0x06); // mode X
    expect(w.directPlan()).toEqual([{ start: 0, length: 0x20000, vramOffset: null }]);
  });
});

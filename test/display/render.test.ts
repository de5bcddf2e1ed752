/**
 * Rendering through the registers: a text character drawn with a font loaded through plane 2
 * (9-dot cells, line-graphics column, cursor, blink, underline), mode 13h, planar mode 12h,
 * mode X, CGA mode 04h, split screen and pel panning, the text dump, and dirty tracking.
 */
import { describe, expect, it } from 'vitest';
import { stdVgaType } from '../../src/devices/display/index.js';
import type { FrameUpdate } from '../../src/devices/display/render/types.js';
import type { StdVga } from '../../src/devices/display/vga.js';
import { fakeHost } from '../fakes.js';
import { MODE_03, MODE_12, MODE_13, c6, makeVga, modeX, pixel, type Vga } from './helpers.js';

/** Load one glyph (16 rows) into font map 0 the way a BIOS does: sequential plane 2 at 0xA0000. */
function loadGlyph(v: Vga, ch: number, rows: number[]): void {
  v.seq(2, 0x04);
  v.seq(4, 0x06);
  v.gfx(4, 0x02);
  v.gfx(5, 0x00);
  v.gfx(6, 0x04);
  rows.forEach((bits, r) => v.memw(0xa0000 + ch * 32 + r, bits));
  v.seq(2, 0x03);
  v.seq(4, 0x02);
  v.gfx(4, 0x00);
  v.gfx(5, 0x10);
  v.gfx(6, 0x0e);
}

const GLYPH_A = [0x00, 0x00, 0x10, 0x38, 0x6c, 0xc6, 0xc6, 0xfe, 0xc6, 0xc6, 0xc6, 0xc6, 0x00, 0x00, 0x00, 0x00];

function textVga(): Vga {
  const v = makeVga();
  v.setMode(MODE_03);
  v.crtc(0x0a, 0x20); // cursor off unless a test turns it on
  v.dac(0x01, 0, 0, 42); // blue (attribute 1 → DAC 1)
  v.dac(0x3e, 63, 63, 21); // yellow (attribute 14 → DAC 0x3E)
  return v;
}

describe('text mode', () => {
  it('draws a character from the plane-2 font in 9x16 cells', () => {
    const v = textVga();
    loadGlyph(v, 0x41, GLYPH_A);
    v.memw(0xb8000 + 2 * 81, 0x1e41, 2); // row 1, column 1: yellow 'A' on blue
    const f = v.dev.renderFrame();
    expect([f.width, f.height, f.mode.cols, f.mode.rows]).toEqual([720, 400, 80, 25]);
    const fg = [255, 255, c6(21)];
    const bg = [0, 0, c6(42)];
    for (let r = 0; r < 16; r++) {
      for (let x = 0; x < 9; x++) {
        const on = x < 8 && (GLYPH_A[r] >> (7 - x)) & 1;
        expect(pixel(f, 9 + x, 16 + r)).toEqual(on ? fg : bg);
      }
    }
    expect(pixel(f, 0, 0)).toEqual([0, 0, 0]); // blank cell: black on black
  });

  it('repeats column 8 into column 9 for line-graphics characters only', () => {
    const v = textVga();
    loadGlyph(v, 0xc4, Array(16).fill(0xff)); // '─'
    loadGlyph(v, 0x41, Array(16).fill(0xff));
    v.memw(0xb8000, 0x0ec4, 2);
    v.memw(0xb8002, 0x0e41, 2);
    const f = v.dev.renderFrame();
    expect(pixel(f, 8, 5)).toEqual([255, 255, c6(21)]);
    expect(pixel(f, 17, 5)).toEqual([0, 0, 0]);
  });

  it('draws the cursor on its scanlines and blinks characters with attribute bit 7', () => {
    const v = textVga();
    v.memw(0xb8000 + 160 * 2 + 4, 0x0e20, 2); // row 2, column 2: space, yellow on black
    v.crtc(0x0a, 0x0e);
    v.crtc(0x0b, 0x0f);
    v.crtc(0x0e, 0);
    v.crtc(0x0f, 2 * 80 + 2);
    let f = v.dev.renderFrame();
    expect(pixel(f, 18 + 3, 32 + 14)).toEqual([255, 255, c6(21)]);
    expect(pixel(f, 18 + 3, 32 + 13)).toEqual([0, 0, 0]);
    v.host.clock.advance(8 * 16_666_667); // cursor phase off
    f = v.dev.renderFrame();
    expect(f.dirty).toEqual({ y0: 32, y1: 48 });
    expect(pixel(f, 18 + 3, 32 + 14)).toEqual([0, 0, 0]);

    // Moving the cursor redraws only the old and the new row.
    v.host.clock.advance(8 * 16_666_667); // cursor phase on again (frame 16)
    v.memw(0xb8000 + 5 * 160, 0x0e20, 2); // row 5, column 0: space, yellow on black
    v.dev.renderFrame();
    v.crtc(0x0e, (5 * 80) >> 8);
    v.crtc(0x0f, (5 * 80) & 0xff);
    f = v.dev.renderFrame();
    expect(f.dirty).toEqual({ y0: 32, y1: 96 });
    expect(pixel(f, 3, 5 * 16 + 14)).toEqual([255, 255, c6(21)]);
    expect(pixel(f, 3, 5 * 16 + 13)).toEqual([0, 0, 0]);
    expect(pixel(f, 18 + 3, 32 + 14)).toEqual([0, 0, 0]);

    loadGlyph(v, 0x41, Array(16).fill(0xff));
    v.memw(0xb8000, 0x8e41, 2); // blinking 'A'
    v.host.clock.advance(8 * 16_666_667); // frame 24: blink phase "off" (frame & 16)
    f = v.dev.renderFrame();
    expect(pixel(f, 2, 2)).toEqual([0, 0, 0]);
    v.host.clock.advance(16 * 16_666_667);
    f = v.dev.renderFrame();
    expect(pixel(f, 2, 2)).toEqual([255, 255, c6(21)]);
    v.attr(0x10, 0x04); // intensity instead of blink: background 8 = DAC 0x38
    v.displayOn();
    v.dac(0x38, 10, 20, 30);
    v.memw(0xb8000, 0x8041, 2); // bright-black background, black 'A' rows
    f = v.dev.renderFrame();
    expect(pixel(f, 8, 2)).toEqual([c6(10), c6(20), c6(30)]);
  });

  it('underlines attribute x1 on the CR14 scanline', () => {
    const v = textVga();
    v.crtc(0x14, 0x0d);
    v.dac(0x07, 40, 40, 40);
    v.attr(0x01, 0x07);
    v.displayOn();
    v.memw(0xb8000, 0x0120, 2); // space, attribute 0x01: underline
    const f = v.dev.renderFrame();
    expect(pixel(f, 4, 13)).toEqual([c6(40), c6(40), c6(40)]);
    expect(pixel(f, 4, 12)).toEqual([0, 0, 0]);
  });

  it('8-dot cells (SR1 bit 0) and 40 columns (SR1 bit 3) change the cell width', () => {
    const v = textVga();
    loadGlyph(v, 0x41, Array(16).fill(0x80)); // leftmost column only
    v.memw(0xb8002, 0x0e41, 2); // column 1
    v.seq(1, 0x01); // 8 dots
    let f = v.dev.renderFrame();
    expect([f.width, f.mode.cols]).toEqual([640, 80]);
    expect(pixel(f, 8, 0)).toEqual([255, 255, c6(21)]);
    expect(pixel(f, 9, 0)).toEqual([0, 0, 0]);
    v.seq(1, 0x09); // 8 dots, half dot clock
    v.crtc(0x11, 0x0e); // unprotect CR0-CR7
    v.crtc(0x01, 39);
    f = v.dev.renderFrame();
    expect([f.width, f.mode.cols]).toEqual([640, 40]);
    expect(pixel(f, 16, 0)).toEqual([255, 255, c6(21)]);
    expect(pixel(f, 17, 0)).toEqual([255, 255, c6(21)]);
    expect(pixel(f, 18, 0)).toEqual([0, 0, 0]);
  });

  it('dumps the screen as text (code page 437)', () => {
    const v = textVga();
    const put = (row: number, col: number, s: string | number[]) => {
      const bytes = typeof s === 'string' ? [...s].map((c) => c.charCodeAt(0)) : s;
      bytes.forEach((b, i) => v.memw(0xb8000 + (row * 80 + col + i) * 2, 0x0700 | b, 2));
    };
    put(0, 0, 'Hello, VGA');
    put(1, 2, 'Line 2');
    put(24, 0, [0xc9, 0xcd, 0xbb, 0x01]);
    const text = v.dev.screenText();
    const lines = text.split('\n');
    expect(lines.length).toBe(25);
    expect(lines[0]).toBe('Hello, VGA');
    expect(lines[1]).toBe('  Line 2');
    expect(lines[24]).toBe('╔═╗☺');
    // Scrolling by start address moves the dump too.
    v.crtc(0x0c, 0);
    v.crtc(0x0d, 80);
    expect(v.dev.screenText().split('\n')[0]).toBe('  Line 2');
    v.setMode(MODE_13);
    expect(v.dev.screenText()).toBe('');
  });
});

describe('graphics modes', () => {
  it('mode 13h: one byte per pixel, doubled to 640x400', () => {
    const v = makeVga();
    v.setMode(MODE_13);
    v.dac(5, 63, 0, 0);
    v.memw(0xa0000 + 10 * 320 + 7, 5);
    const f = v.dev.renderFrame();
    expect([f.width, f.height, f.mode.kind]).toEqual([640, 400, 'vga256']);
    for (const [x, y] of [[14, 20], [15, 20], [14, 21], [15, 21]]) expect(pixel(f, x, y)).toEqual([255, 0, 0]);
    expect(pixel(f, 16, 20)).toEqual([0, 0, 0]);
    expect(pixel(f, 14, 22)).toEqual([0, 0, 0]);
  });

  it('mode 12h: planar 16 colours through the attribute palette', () => {
    const v = makeVga();
    v.setMode(MODE_12);
    v.dac(0x3c, 63, 21, 21); // attribute 12 → DAC 0x3C
    v.gfx(5, 0x02); // write mode 2
    v.gfx(8, 0x80 >> (9 & 7));
    v.memr(0xa0000 + 3 * 80 + 1);
    v.memw(0xa0000 + 3 * 80 + 1, 0x0c);
    const f = v.dev.renderFrame();
    expect([f.width, f.height]).toEqual([640, 480]);
    expect(pixel(f, 9, 3)).toEqual([255, c6(21), c6(21)]);
    expect(pixel(f, 8, 3)).toEqual([0, 0, 0]);
    // Colour plane enable (AR12) hides planes.
    v.attr(0x12, 0x03);
    v.displayOn();
    expect(pixel(v.dev.renderFrame(), 9, 3)).toEqual([0, 0, 0]);
  });

  it('mode 0Dh: planar with the half dot clock is pixel-doubled to twice CR1\'s width', () => {
    const v = makeVga();
    v.setMode({
      ...MODE_12,
      misc: 0x63,
      seq: [0x03, 0x09, 0x0f, 0x00, 0x06],
      crtc: [0x2d, 0x27, 0x28, 0x90, 0x2b, 0x80, 0xbf, 0x1f, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x9c, 0x8e, 0x8f, 0x14, 0x00, 0x96, 0xb9, 0xe3, 0xff],
    });
    v.dac(0x3f, 63, 63, 63);
    v.memw(0xa0000 + 40 + 0, 0x20); // line 1, pixel 2
    const f = v.dev.renderFrame();
    expect([f.width, f.height, f.mode.kind]).toEqual([640, 400, 'planar16']);
    for (const [x, y] of [[4, 2], [5, 2], [4, 3], [5, 3]]) expect(pixel(f, x, y)).toEqual([255, 255, 255]);
    expect(pixel(f, 6, 2)).toEqual([0, 0, 0]);
    expect(pixel(f, 4, 1)).toEqual([0, 0, 0]);
  });

  it('mode X: unchained 256 colours, plane = x & 3', () => {
    const v = makeVga();
    modeX(v);
    v.dac(42, 0, 63, 0);
    v.seq(2, 1 << (5 & 3));
    v.memw(0xa0000 + 7 * 80 + (5 >> 2), 42);
    const f = v.dev.renderFrame();
    expect([f.width, f.height]).toEqual([640, 480]);
    expect(pixel(f, 10, 14)).toEqual([0, 255, 0]);
    expect(pixel(f, 11, 15)).toEqual([0, 255, 0]);
    expect(pixel(f, 8, 14)).toEqual([0, 0, 0]);
  });

  it('CGA mode 04h: 2 bits per pixel, odd lines at +0x2000', () => {
    const v = makeVga();
    v.setMode({
      misc: 0x63,
      seq: [0x03, 0x09, 0x03, 0x00, 0x02],
      crtc: [0x2d, 0x27, 0x28, 0x90, 0x2b, 0x80, 0xbf, 0x1f, 0x00, 0xc1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x9c, 0x8e, 0x8f, 0x14, 0x00, 0x96, 0xb9, 0xa2, 0xff],
      attr: [0x00, 0x13, 0x15, 0x17, 0x02, 0x04, 0x06, 0x07, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
        0x01, 0x00, 0x03, 0x00, 0x00],
      gfx: [0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x0f, 0x0f, 0xff],
    });
    v.dac(0x13, 0, 63, 63);
    v.dac(0x15, 63, 0, 63);
    v.dac(0x17, 63, 63, 63);
    v.memw(0xb8000, 0b11_10_01_00); // pixels 0..3 of line 0: colours 3, 2, 1, 0
    v.memw(0xb8000 + 0x2000 + 1, 0b01_000000); // line 1, pixel 4: colour 1
    const f = v.dev.renderFrame();
    expect([f.width, f.height, f.mode.kind]).toEqual([640, 400, 'cga4']);
    expect(pixel(f, 0, 0)).toEqual([255, 255, 255]);
    expect(pixel(f, 2, 1)).toEqual([255, 0, 255]);
    expect(pixel(f, 4, 0)).toEqual([0, 255, 255]);
    expect(pixel(f, 6, 0)).toEqual([0, 0, 0]);
    expect(pixel(f, 8, 2)).toEqual([0, 255, 255]); // line 1 is output lines 2-3
    expect(pixel(f, 8, 0)).toEqual([0, 0, 0]);
  });

  it('split screen: after the line compare scanline the display restarts at address 0', () => {
    const v = makeVga();
    v.setMode(MODE_13);
    v.dac(1, 63, 63, 63);
    v.dac(2, 0, 0, 63);
    v.memw(0xa0000, 1); // address 0: shown below the split
    v.memw(0xa0000 + 0x4000, 2); // start address 0x1000 (×4) = byte 0x4000
    v.crtc(0x0c, 0x10);
    v.crtc(0x0d, 0x00);
    v.crtc(0x07, 0x0f); // line compare bit 8 = 0
    v.crtc(0x09, 0x01); // bit 9 = 0, 2 scanlines per line
    v.crtc(0x18, 199);
    const f = v.dev.renderFrame();
    expect(pixel(f, 0, 0)).toEqual([0, 0, 255]);
    expect(pixel(f, 0, 199)).toEqual([0, 0, 0]);
    expect(pixel(f, 0, 200)).toEqual([255, 255, 255]);
    expect(pixel(f, 0, 201)).toEqual([255, 255, 255]);
    expect(pixel(f, 0, 202)).toEqual([0, 0, 0]);
  });

  it('horizontal pel panning shifts planar pixels left', () => {
    const v = makeVga();
    v.setMode(MODE_12);
    v.dac(0x3f, 63, 63, 63);
    v.memw(0xa0001, 0x40); // pixel 9, colour 15 (all planes)
    v.attr(0x13, 3);
    v.displayOn();
    const f = v.dev.renderFrame();
    expect(pixel(f, 6, 0)).toEqual([255, 255, 255]);
    expect(pixel(f, 9, 0)).toEqual([0, 0, 0]);
  });

  it('blanks while the palette address source bit is clear', () => {
    const v = makeVga();
    v.setMode(MODE_13);
    v.inb(0x3da);
    v.outb(0x3c0, 0x00);
    expect(v.dev.renderFrame().mode.kind).toBe('blank');
  });
});

describe('canvas sink', () => {
  it('presents on a 60 Hz virtual-time refresh, only when something changed', () => {
    const frames: FrameUpdate[] = [];
    const host = fakeHost({ backend: { present: (u: FrameUpdate) => frames.push({ ...u }) } });
    const dev = stdVgaType.create(host, {}) as StdVga;
    host.clock.advance(20_000_000);
    expect(frames.length).toBe(1); // the first frame (blank)
    host.clock.advance(100_000_000);
    expect(frames.length).toBe(1);
    dev.ioWrite(0, 0x3c8 - 0x3b0, 1, 0); // a palette write changes the picture's registers
    dev.ioWrite(0, 0x3c9 - 0x3b0, 1, 1);
    dev.ioWrite(0, 0x3c9 - 0x3b0, 1, 1);
    dev.ioWrite(0, 0x3c9 - 0x3b0, 1, 1);
    host.clock.advance(17_000_000);
    expect(frames.length).toBe(2);
    dev.destroy();
    dev.ioWrite(0, 0x3c6 - 0x3b0, 1, 0x0f);
    host.clock.advance(100_000_000);
    expect(frames.length).toBe(2);
  });
});

describe('dirty tracking', () => {
  it('redraws nothing while the screen is unchanged, then only the changed lines', () => {
    const v = makeVga();
    v.setMode(MODE_13);
    v.dac(9, 63, 63, 0);
    let f = v.dev.renderFrame();
    expect(f.dirty).toEqual({ y0: 0, y1: 400 });
    f = v.dev.renderFrame();
    expect(f.dirty).toBeNull();
    v.host.clock.advance(100_000_000);
    expect(v.dev.renderFrame().dirty).toBeNull();
    v.vram[10 * 320 + 100] = 9; // a write that bypassed the device (direct-mapped window)
    f = v.dev.renderFrame();
    expect(f.dirty).toEqual({ y0: 20, y1: 22 });
    expect(pixel(f, 200, 20)).toEqual([255, 255, 0]);
    v.dac(9, 0, 63, 0); // palette change: full redraw
    expect(v.dev.renderFrame().dirty).toEqual({ y0: 0, y1: 400 });
  });

  it('drawing-only register writes do not force a full redraw; display registers do', () => {
    const v = makeVga();
    v.setMode(MODE_12);
    v.dev.renderFrame();
    v.gfx(8, 0x80); // bit mask
    v.seq(2, 0x01); // map mask
    v.gfx(5, 0x02); // write mode
    v.memw(0xa0000 + 100 * 80, 0x0f);
    expect(v.dev.renderFrame().dirty).toEqual({ y0: 100, y1: 101 });
    v.seq(1, 0x21); // screen off
    expect(v.dev.renderFrame().mode.kind).toBe('blank');
  });

  it('a screenshot does not hide changes from the next renderFrame', () => {
    const v = makeVga();
    v.setMode(MODE_13);
    v.dev.renderFrame();
    v.memw(0xa0000 + 50 * 320, 7);
    v.dev.screenshotPng();
    expect(v.dev.renderFrame().dirty).toEqual({ y0: 100, y1: 102 });
    expect(v.dev.renderFrame().dirty).toBeNull();
  });

  it('text mode redraws only the changed character row', () => {
    const v = textVga();
    v.dev.renderFrame();
    expect(v.dev.renderFrame().dirty).toBeNull();
    v.memw(0xb8000 + 3 * 160 + 10, 0x0741, 2);
    expect(v.dev.renderFrame().dirty).toEqual({ y0: 48, y1: 64 });
    v.vram[0x42 * 128 + 3 * 4 + 2] = 0x81; // a font byte (plane 2) changed behind the device's back
    expect(v.dev.renderFrame().dirty).toEqual({ y0: 0, y1: 400 });
    v.vram[0x42 * 128 + 3 * 4 + 3] = 0x81; // plane 3 beside the font: not displayed
    expect(v.dev.renderFrame().dirty).toBeNull();
  });
});

/**
 * Bochs VBE DISPI through ports 0x1CE/0x1CF and the linear framebuffer (BAR0, MMIO region 1):
 * identification, capabilities, VRAM size, mode set at 8/15/16/24/32 bpp with the framebuffer
 * layout checked by rendering known pixels, the enable-time screen clear, the QEMU fix-ups,
 * display start (Y offset) and the VGA registers forced for the VBE mode.
 */
import { describe, expect, it } from 'vitest';
import { MODE_12, makeVga, pixel, type Vga } from './helpers.js';

function vbeMode(v: Vga, x: number, y: number, bpp: number, flags = 0x40): void {
  v.dispi(4, 0);
  v.dispi(1, x);
  v.dispi(2, y);
  v.dispi(3, bpp);
  v.dispi(4, 0x01 | flags);
  v.displayOn(); // SeaVGABIOS bochsvga_set_mode ends with stdvga_attrindex_write(0x20)
}

describe('DISPI registers', () => {
  it('identifies as ID5 and accepts only ID0-ID5', () => {
    const v = makeVga();
    expect(v.dispiRead(0)).toBe(0xb0c5);
    v.dispi(0, 0xb0c0);
    expect(v.dispiRead(0)).toBe(0xb0c0);
    v.dispi(0, 0x1234);
    expect(v.dispiRead(0)).toBe(0xb0c0);
  });

  it('reports VRAM size in 64 KiB units and the maxima with GETCAPS', () => {
    expect(makeVga().dispiRead(0xa)).toBe(256);
    const v = makeVga({ vgamemMb: 8 });
    expect(v.dispiRead(0xa)).toBe(128);
    v.dispi(4, 0x02);
    expect([v.dispiRead(1), v.dispiRead(2), v.dispiRead(3)]).toEqual([16000, 12000, 32]);
    v.dispi(4, 0);
    expect(v.dispiRead(1)).toBe(0);
    expect(v.dispiRead(0x20)).toBe(0);
  });

  it('fixes the mode up as QEMU does: width multiple of 8, height within VRAM', () => {
    const v = makeVga();
    vbeMode(v, 645, 480, 8);
    expect(v.dispiRead(1)).toBe(640);
    vbeMode(v, 4096, 4096, 32); // 16 MiB holds 1024 lines of 16 KiB
    expect(v.dispiRead(2)).toBe(1024);
    expect(v.dispiRead(7)).toBe(1024); // virtual height
    expect(v.dispiRead(6)).toBe(4096); // virtual width follows XRES
    vbeMode(v, 640, 480, 7); // invalid depth → 8
    expect(v.dispiRead(3)).toBe(8);
  });

  it('forces chain-4, all planes and graphics mode while enabled', () => {
    const v = makeVga();
    vbeMode(v, 800, 600, 32);
    v.outb(0x3c4, 4);
    expect(v.inb(0x3c5) & 0x08).toBe(0x08);
    v.outb(0x3ce, 6);
    expect(v.inb(0x3cf) & 0x0d).toBe(0x05);
    v.outb(0x3c5, 0x06); // a guest clearing chain-4 is overridden (QEMU CVE-2016-3712 fix)
    expect(v.dev.sr[4] & 0x08).toBe(0x08);
    expect(v.dev.cr[0x01]).toBe(800 / 8 - 1);
  });

  it('clears the visible VRAM on enable unless NOCLEARMEM', () => {
    const v = makeVga();
    v.vram.fill(0xaa, 0, 0x100000);
    vbeMode(v, 640, 480, 8, 0x40 | 0x80);
    expect(v.vram[1000]).toBe(0xaa);
    v.dispi(4, 0);
    vbeMode(v, 640, 480, 8, 0x40);
    expect(v.vram[0]).toBe(0);
    expect(v.vram[640 * 480 - 1]).toBe(0);
    expect(v.vram[640 * 480]).toBe(0xaa);
  });
});

describe('VBE framebuffer layout', () => {
  it('32 bpp: B, G, R, x per pixel', () => {
    const v = makeVga();
    vbeMode(v, 640, 480, 32);
    v.lfbw((20 * 640 + 10) * 4, 0x00ff8040, 4);
    const f = v.dev.renderFrame();
    expect([f.width, f.height, f.mode.kind, f.mode.bpp]).toEqual([640, 480, 'vbe', 32]);
    expect(pixel(f, 10, 20)).toEqual([0xff, 0x80, 0x40]);
    expect(pixel(f, 11, 20)).toEqual([0, 0, 0]);
  });

  it('24 bpp: B, G, R bytes', () => {
    const v = makeVga();
    vbeMode(v, 320, 200, 24);
    const o = (3 * 320 + 5) * 3;
    v.lfbw(o, 0x11);
    v.lfbw(o + 1, 0x22);
    v.lfbw(o + 2, 0x33);
    expect(pixel(v.dev.renderFrame(), 5, 3)).toEqual([0x33, 0x22, 0x11]);
  });

  it('16 bpp (5:6:5) and 15 bpp (5:5:5)', () => {
    const v = makeVga();
    vbeMode(v, 800, 600, 16);
    v.lfbw(0, 0xf800, 2);
    v.lfbw(2, 0x07e0, 2);
    v.lfbw((599 * 800 + 799) * 2, 0x001f, 2);
    let f = v.dev.renderFrame();
    expect(pixel(f, 0, 0)).toEqual([255, 0, 0]);
    expect(pixel(f, 1, 0)).toEqual([0, 255, 0]);
    expect(pixel(f, 799, 599)).toEqual([0, 0, 255]);
    vbeMode(v, 800, 600, 15, 0x40 | 0x80);
    v.lfbw(0, 0x7c00, 2);
    v.lfbw(2, 0x03e0 | 0x8000, 2);
    f = v.dev.renderFrame();
    expect(pixel(f, 0, 0)).toEqual([255, 0, 0]);
    expect(pixel(f, 1, 0)).toEqual([0, 255, 0]);
  });

  it('8 bpp through the DAC, 6-bit and 8-bit', () => {
    const v = makeVga();
    vbeMode(v, 640, 480, 8);
    v.dac(7, 63, 32, 0);
    v.lfbw(640 + 3, 7);
    expect(pixel(v.dev.renderFrame(), 3, 1)).toEqual([255, 130, 0]);
    v.dispi(4, 0x01 | 0x40 | 0x20); // 8-bit DAC
    v.dac(7, 200, 100, 50);
    expect(pixel(v.dev.renderFrame(), 3, 1)).toEqual([200, 100, 50]);
  });

  it('4 bpp is planar (SeaVGABIOS sets mode 6Ah, then DISPI): 8 pixels per 4 VRAM bytes', () => {
    const v = makeVga();
    v.setMode(MODE_12);
    vbeMode(v, 800, 600, 4, 0x80);
    v.dac(0x3f, 63, 63, 63);
    expect(v.dev.sr[4] & 0x08).toBe(0); // no chain-4 at 4 bpp
    v.gfx(5, 0x02);
    v.gfx(8, 0x01); // rightmost pixel of the byte
    const a = 0xa0000 + 599 * 100 + 99; // last byte of the last line (100 bytes per line)
    v.memr(a);
    v.memw(a, 0x0f);
    const f = v.dev.renderFrame();
    expect([f.width, f.height, f.mode.kind, f.mode.bpp]).toEqual([800, 600, 'vbe', 4]);
    expect(pixel(f, 799, 599)).toEqual([255, 255, 255]);
    expect(pixel(f, 798, 599)).toEqual([0, 0, 0]);
  });

  it('the Y offset sets the display start (page flipping)', () => {
    const v = makeVga();
    vbeMode(v, 640, 480, 8);
    v.dac(1, 63, 63, 63);
    v.lfbw(480 * 640 + 7, 1); // first byte of the second page
    expect(v.dispiRead(7)).toBe(Math.floor((16 << 20) / 640));
    v.dispi(9, 480);
    expect(pixel(v.dev.renderFrame(), 7, 0)).toEqual([255, 255, 255]);
    v.dispi(9, 0);
    expect(pixel(v.dev.renderFrame(), 7, 0)).toEqual([0, 0, 0]);
  });

  it('the banked window and the linear framebuffer show the same bytes', () => {
    const v = makeVga();
    vbeMode(v, 1024, 768, 8, 0x80);
    v.dispi(5, 1);
    v.memw(0xa0000, 0x5a);
    expect(v.lfbr(0x10000)).toBe(0x5a);
    v.lfbw(0x10001, 0xa5);
    expect(v.memr(0xa0001)).toBe(0xa5);
  });
});

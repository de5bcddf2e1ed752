/**
 * Helpers for the display tests: a std VGA on a fake host (optionally with a framebuffer
 * grant), port and memory accessors that go through the device's registers only, and the
 * standard VGA register sets of modes 03h, 12h and 13h (IBM VGA Technical Reference, the same
 * values SeaVGABIOS's vgatables.c programs).
 */
import type { AccessSize } from '../../src/devices/api.js';
import { stdVgaType } from '../../src/devices/display/index.js';
import type { StdVga } from '../../src/devices/display/vga.js';
import { fakeHost, type FakeHost } from '../fakes.js';

export interface Vga {
  host: FakeHost;
  dev: StdVga;
  vram: Uint8Array;
  outb(port: number, value: number): void;
  outw(port: number, value: number): void;
  inb(port: number): number;
  inw(port: number): number;
  /** Byte write/read at a physical address in 0xA0000-0xBFFFF (the legacy window). */
  memw(phys: number, value: number, size?: AccessSize): void;
  memr(phys: number, size?: AccessSize): number;
  /** BAR0 (linear framebuffer) write/read at an offset. */
  lfbw(offset: number, value: number, size?: AccessSize): void;
  lfbr(offset: number, size?: AccessSize): number;
  seq(i: number, v: number): void;
  gfx(i: number, v: number): void;
  crtc(i: number, v: number): void;
  attr(i: number, v: number): void;
  dac(i: number, r: number, g: number, b: number): void;
  dispi(i: number, v: number): void;
  dispiRead(i: number): number;
  setMode(mode: VgaMode): void;
  /** Set the attribute palette address source bit (as every BIOS mode set ends). */
  displayOn(): void;
}

function region(port: number): { region: number; offset: number } {
  if (port >= 0x1ce && port <= 0x1d0) return { region: 1, offset: port - 0x1ce };
  if (port >= 0x3b0 && port <= 0x3df) return { region: 0, offset: port - 0x3b0 };
  throw new Error(`not a VGA port 0x${port.toString(16)}`);
}

export function makeVga(opts: { vgamemMb?: number; framebuffer?: Uint8Array; cpuSideWindow?: boolean } = {}): Vga {
  const host = fakeHost();
  if (opts.framebuffer) host.framebuffer = { vram: opts.framebuffer, cpuSideWindow: opts.cpuSideWindow ?? false };
  const dev = stdVgaType.create(host, { vgamem_mb: opts.vgamemMb ?? 16 }) as StdVga;
  const v: Vga = {
    host,
    dev,
    vram: dev.vram,
    outb(port, value) {
      const r = region(port);
      dev.ioWrite(r.region, r.offset, 1, value);
    },
    outw(port, value) {
      const r = region(port);
      dev.ioWrite(r.region, r.offset, 2, value);
    },
    inb(port) {
      const r = region(port);
      return dev.ioRead(r.region, r.offset, 1);
    },
    inw(port) {
      const r = region(port);
      return dev.ioRead(r.region, r.offset, 2);
    },
    memw(phys, value, size = 1) {
      dev.mmioWrite(0, phys - 0xa0000, size, value);
    },
    memr(phys, size = 1) {
      return dev.mmioRead(0, phys - 0xa0000, size);
    },
    lfbw(offset, value, size = 1) {
      dev.mmioWrite(1, offset, size, value);
    },
    lfbr(offset, size = 1) {
      return dev.mmioRead(1, offset, size);
    },
    seq(i, val) { v.outb(0x3c4, i); v.outb(0x3c5, val); },
    gfx(i, val) { v.outb(0x3ce, i); v.outb(0x3cf, val); },
    crtc(i, val) {
      const base = v.inb(0x3cc) & 1 ? 0x3d4 : 0x3b4;
      v.outb(base, i);
      v.outb(base + 1, val);
    },
    attr(i, val) {
      v.inb(v.inb(0x3cc) & 1 ? 0x3da : 0x3ba);
      v.outb(0x3c0, i);
      v.outb(0x3c0, val);
    },
    dac(i, r, g, b) {
      v.outb(0x3c8, i);
      v.outb(0x3c9, r);
      v.outb(0x3c9, g);
      v.outb(0x3c9, b);
    },
    dispi(i, val) { v.outw(0x1ce, i); v.outw(0x1cf, val); },
    dispiRead(i) { v.outw(0x1ce, i); return v.inw(0x1cf); },
    setMode(mode) {
      v.outb(0x3c2, mode.misc);
      mode.seq.forEach((val, i) => v.seq(i, val));
      v.crtc(0x11, 0); // unlock CR0-CR7
      mode.crtc.forEach((val, i) => v.crtc(i, val));
      mode.attr.forEach((val, i) => v.attr(i, val));
      mode.gfx.forEach((val, i) => v.gfx(i, val));
      v.displayOn();
    },
    displayOn() {
      v.inb(v.inb(0x3cc) & 1 ? 0x3da : 0x3ba);
      v.outb(0x3c0, 0x20);
    },
  };
  return v;
}

export interface VgaMode {
  misc: number;
  seq: number[];
  crtc: number[];
  attr: number[];
  gfx: number[];
}

/** 80x25 colour text, 9x16 cells (720x400). */
export const MODE_03: VgaMode = {
  misc: 0x67,
  seq: [0x03, 0x00, 0x03, 0x00, 0x02],
  crtc: [0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0x00,
    0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff],
  attr: [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
    0x0c, 0x00, 0x0f, 0x08, 0x00],
  gfx: [0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x0f, 0xff],
};

/** 640x480 16 colours, planar. */
export const MODE_12: VgaMode = {
  misc: 0xe3,
  seq: [0x03, 0x01, 0x0f, 0x00, 0x06],
  crtc: [0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0x0b, 0x3e, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xea, 0x8c, 0xdf, 0x28, 0x00, 0xe7, 0x04, 0xe3, 0xff],
  attr: [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
    0x01, 0x00, 0x0f, 0x00, 0x00],
  gfx: [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0f, 0xff],
};

/** 320x200 256 colours, chain-4 (scanned out as 640x400). */
export const MODE_13: VgaMode = {
  misc: 0x63,
  seq: [0x03, 0x01, 0x0f, 0x00, 0x0e],
  crtc: [0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00, 0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x9c, 0x8e, 0x8f, 0x28, 0x40, 0x96, 0xb9, 0xa3, 0xff],
  attr: [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x41, 0x00, 0x0f, 0x00, 0x00],
  gfx: [0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0f, 0xff],
};

/** Mode X: 320x240 unchained 256 colours (Abrash's tweak of mode 13h). */
export function modeX(v: Vga): void {
  v.setMode(MODE_13);
  v.seq(4, 0x06); // chain-4 off, odd/even off
  v.crtc(0x14, 0x00); // doubleword mode off
  v.crtc(0x17, 0xe3); // byte mode
  v.outb(0x3c2, 0xe3);
  const crtc: [number, number][] = [[0x06, 0x0d], [0x07, 0x3e], [0x09, 0x41], [0x10, 0xea], [0x11, 0xac], [0x12, 0xdf], [0x15, 0xe7], [0x16, 0x06]];
  for (const [i, val] of crtc) v.crtc(i, val);
}

/** Pixel (x, y) of a rendered frame as [r, g, b]. */
export function pixel(f: { width: number; rgba: Uint8ClampedArray }, x: number, y: number): [number, number, number] {
  const i = (y * f.width + x) * 4;
  return [f.rgba[i], f.rgba[i + 1], f.rgba[i + 2]];
}

/** 6-bit DAC component as the renderer widens it. */
export const c6 = (v: number): number => ((v & 0x3f) << 2) | ((v & 0x3f) >> 4);

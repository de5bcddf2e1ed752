/**
 * Colour lookup for the VGA renderer: the attribute controller's 16-entry palette (with the
 * colour select register, AR14, and the P5/P4 source bit AR10 bit 7) into the DAC, the pel
 * mask, and 6-bit (or VBE 8-bit) DAC components widened to 8 bits (QEMU update_palette16 /
 * update_palette256, c6_to_8). Pixels are packed little-endian RGBA in a Uint32 (R in the low
 * byte), so a Uint32Array over an RGBA Uint8ClampedArray takes them directly.
 */
import type { VgaDisplayState } from './types.js';
import { AR_COLOR_PAGE, AR_MODE } from '../vga-constants.js';

/** Pack an 8-bit colour as little-endian RGBA with alpha 255. */
export function rgba(r: number, g: number, b: number): number {
  return (r | (g << 8) | (b << 16) | 0xff000000) >>> 0;
}

function dacColour(s: VgaDisplayState, index: number): number {
  const i = (index & s.pelMask) * 3;
  const d = s.dac;
  if (s.dac8bit) return rgba(d[i], d[i + 1], d[i + 2]);
  const c = (v: number) => ((v & 0x3f) << 2) | ((v & 0x3f) >> 4);
  return rgba(c(d[i]), c(d[i + 1]), c(d[i + 2]));
}

/** The DAC index for attribute palette entry `i` (0..15). */
export function attributeToDac(s: VgaDisplayState, i: number): number {
  const v = s.ar[i & 15];
  if (s.ar[AR_MODE] & 0x80) return ((s.ar[AR_COLOR_PAGE] & 0xf) << 4) | (v & 0xf);
  return ((s.ar[AR_COLOR_PAGE] & 0xc) << 4) | (v & 0x3f);
}

/** Fill `out` (16 entries) with the colours of the 16 attribute palette entries. */
export function buildPalette16(s: VgaDisplayState, out: Uint32Array): void {
  for (let i = 0; i < 16; i++) out[i] = dacColour(s, attributeToDac(s, i));
}

/** Fill `out` (256 entries) with the DAC colours (256-colour and VBE 8-bit modes). */
export function buildPalette256(s: VgaDisplayState, out: Uint32Array): void {
  for (let i = 0; i < 256; i++) out[i] = dacColour(s, i);
}

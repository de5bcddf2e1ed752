/**
 * VGA alphanumeric (text) modes: geometry from the CRTC and sequencer, one character row drawn
 * from the odd/even text cells (character in plane 0, attribute in plane 1: vram[4k], vram[4k+1])
 * with the font from plane 2 (32 rows of 4-byte stride per glyph, two maps chosen by SR3 and
 * attribute bit 3), 8/9-dot cells (line-graphics column for 0xC0-0xDF), blink vs intensity
 * (AR10 bit 3), underline, and the cursor (CR0A-CR0F). Follows the IBM VGA reference and QEMU
 * vga_draw_text. Also the text dump (screenText) in code page 437.
 */
import type { VgaDisplayState } from './types.js';
import {
  AR_MODE, CR_CURSOR_END, CR_CURSOR_HI, CR_CURSOR_LO, CR_CURSOR_START, CR_H_DISP, CR_MAX_SCAN, CR_OFFSET,
  CR_OVERFLOW, CR_START_HI, CR_START_LO, CR_UNDERLINE, CR_V_DISP_END, SR_CHARACTER_MAP, SR_CLOCK_MODE,
} from '../vga-constants.js';

export interface TextGeometry {
  cols: number;
  rows: number;
  /** Pixels per cell. */
  cellWidth: number;
  cellHeight: number;
  /** 8 or 9 dots before horizontal doubling. */
  dots: number;
  /** VRAM byte of the first cell. */
  start: number;
  /** VRAM bytes from one character row to the next. */
  rowStride: number;
  /** CRTC address (in character cells) of the first cell. */
  startAddr: number;
  /** Cells from one character row to the next (CR13 × 2). */
  rowCells: number;
  /** CRTC address of the cursor, or -1 when the cursor is off. */
  cursor: number;
  cursorFirst: number;
  cursorLast: number;
  /** VRAM bytes of the two fonts (plane 2), for attribute bit 3 = 0 and 1. */
  font: [number, number];
}

/** Vertical display end + 1, in scanlines (CR12 with overflow bits 8 and 9). */
export function verticalDisplayLines(cr: Uint8Array): number {
  return (cr[CR_V_DISP_END] | ((cr[CR_OVERFLOW] & 0x02) << 7) | ((cr[CR_OVERFLOW] & 0x40) << 3)) + 1;
}

export function textGeometry(s: VgaDisplayState): TextGeometry | undefined {
  const cr = s.cr;
  const dots = s.sr[SR_CLOCK_MODE] & 1 ? 8 : 9;
  const cellWidth = s.sr[SR_CLOCK_MODE] & 8 ? dots * 2 : dots;
  const cellHeight = (cr[CR_MAX_SCAN] & 0x1f) + 1;
  const cols = cr[CR_H_DISP] + 1;
  const rows = Math.floor(verticalDisplayLines(cr) / cellHeight);
  if (rows <= 0 || cols <= 0) return undefined;
  const startAddr = (cr[CR_START_HI] << 8) | cr[CR_START_LO];
  const cursorAddr = (cr[CR_CURSOR_HI] << 8) | cr[CR_CURSOR_LO];
  const first = cr[CR_CURSOR_START] & 0x1f;
  const last = Math.min(cr[CR_CURSOR_END] & 0x1f, cellHeight - 1);
  const on = !(cr[CR_CURSOR_START] & 0x20) && first <= last && first < cellHeight;
  const v = s.sr[SR_CHARACTER_MAP];
  const mapB = ((v >> 4) & 1) | ((v << 1) & 6);
  const mapA = ((v >> 5) & 1) | ((v >> 1) & 6);
  return {
    cols, rows, cellWidth, cellHeight, dots,
    start: startAddr * 4,
    rowStride: cr[CR_OFFSET] * 8,
    startAddr,
    rowCells: cr[CR_OFFSET] * 2,
    cursor: on ? cursorAddr : -1,
    cursorFirst: first,
    cursorLast: last,
    font: [mapB * 8192 * 4 + 2, mapA * 8192 * 4 + 2],
  };
}

/** VGA text addresses wrap inside the 256 KiB of a standard VGA. */
const TEXT_MASK = 0x3ffff;

/**
 * Draw character row `row` into `out` (width g.cols*g.cellWidth). `blinkOn`: the blink phase
 * in which blinking characters are visible; `cursorOn`: cursor phase.
 */
export function drawTextRow(
  s: VgaDisplayState, g: TextGeometry, row: number, pal: Uint32Array, out: Uint32Array, width: number,
  blinkOn: boolean, cursorOn: boolean,
): void {
  const vram = s.vram;
  const blinkEnabled = (s.ar[AR_MODE] & 0x08) !== 0;
  const lineGraphics = (s.ar[AR_MODE] & 0x04) !== 0;
  const underline = s.cr[CR_UNDERLINE] & 0x1f;
  const doubled = g.cellWidth !== g.dots;
  const rowBase = g.start + row * g.rowStride;
  const y0 = row * g.cellHeight;
  for (let col = 0; col < g.cols; col++) {
    const cell = (rowBase + col * 4) & TEXT_MASK;
    const ch = vram[cell];
    const attr = vram[cell + 1];
    let fg = attr & 0x0f;
    let bg = attr >> 4;
    if (blinkEnabled) {
      bg &= 7;
      if (attr & 0x80 && !blinkOn) fg = bg;
    }
    const fgc = pal[fg];
    const bgc = pal[bg];
    const glyph = g.font[(attr >> 3) & 1] + ch * 128;
    const isCursor = cursorOn && g.cursor === ((g.startAddr + row * g.rowCells + col) & 0xffff);
    const ul = (attr & 0x77) === 0x01;
    const wide9 = g.dots === 9 && lineGraphics && ch >= 0xc0 && ch <= 0xdf;
    let o = y0 * width + col * g.cellWidth;
    for (let r = 0; r < g.cellHeight; r++, o += width) {
      let bits = vram[(glyph + r * 4) & TEXT_MASK];
      if (ul && r === underline) bits = 0xff;
      if (isCursor && r >= g.cursorFirst && r <= g.cursorLast) bits = 0xff;
      let bits9 = bits << 1;
      if (g.dots === 9 && (wide9 || (ul && r === underline) || (isCursor && r >= g.cursorFirst && r <= g.cursorLast))) {
        bits9 |= bits & 1;
      }
      const n = g.dots;
      if (!doubled) {
        for (let x = 0; x < n; x++) out[o + x] = (bits9 >> (8 - x)) & 1 ? fgc : bgc;
      } else {
        for (let x = 0; x < n; x++) {
          const c = (bits9 >> (8 - x)) & 1 ? fgc : bgc;
          out[o + 2 * x] = c;
          out[o + 2 * x + 1] = c;
        }
      }
    }
  }
}

/** Code page 437 as Unicode; 0x00 and 0xFF shown as spaces. */
const CP437 =
  ' ☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼' +
  ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~⌂' +
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»' +
  '░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀' +
  'αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■ ';

/** Unicode for a code page 437 byte. */
export function cp437(byte: number): string {
  return CP437[byte & 0xff];
}

/**
 * The text screen: one line per character row, trailing spaces removed; '' when the display
 * is not in a text mode (graphics, VBE, or blanked).
 */
export function screenText(s: VgaDisplayState): string {
  if (s.vbe.enabled || s.gr[6] & 1) return '';
  const g = textGeometry(s);
  if (!g) return '';
  const lines: string[] = [];
  for (let row = 0; row < g.rows; row++) {
    let line = '';
    const base = g.start + row * g.rowStride;
    for (let col = 0; col < g.cols; col++) line += CP437[s.vram[(base + col * 4) & TEXT_MASK]];
    lines.push(line.replace(/\s+$/u, ''));
  }
  return lines.join('\n');
}

/**
 * VgaRenderer: turns VRAM and the live VGA/VBE registers into an RGBA frame, redrawing only
 * what changed. Mode selection and scan-out follow QEMU vga_update_display/vga_draw_graphic:
 * blank when the attribute palette address source bit is clear or the screen is off (SR1
 * bit 5); text when GR6 bit 0 is clear; otherwise graphics by GR5 shift control — planar
 * 16-colour (optionally pixel-doubled, SR1 bit 3), CGA 4-colour interleave, 256-colour
 * (chain-4 and unchained alike, "8D2") — or the VBE DISPI mode at 4/8/15/16/24/32 bpp. Start
 * address, line offset (CR13), multi-scan (CR9), CGA line interleave (CR17 bits 0-1), line
 * compare (split screen) and horizontal pel panning (AR13, AR10 bit 5) are applied.
 *
 * Dirty tracking (docs/display.md): guest writes may bypass the device entirely (direct-mapped
 * chain-4 window, linear framebuffer), so the renderer compares the VRAM bytes each scanline
 * shows against a shadow copy of what it last drew, and redraws only changed lines; register
 * changes (the device's generation counter), palette changes and blink/cursor phases force
 * the affected redraws. With nothing changed, nothing is drawn and the update's `dirty` is null.
 */
import { buildPalette16, buildPalette256 } from './palette.js';
import { drawTextRow, textGeometry, verticalDisplayLines, type TextGeometry } from './text.js';
import type { DisplayModeInfo, FrameUpdate, VgaDisplayState } from './types.js';
import {
  AR_INDEX_PAS, AR_MODE, AR_PEL_PAN, AR_PLANE_ENABLE, CR_H_DISP, CR_LINE_COMPARE, CR_MAX_SCAN, CR_MODE, CR_OFFSET,
  CR_OVERFLOW, CR_START_HI, CR_START_LO, GR_MISC, GR_MODE, MASK16, SR_CLOCK_MODE,
} from '../vga-constants.js';

type Drawer = 'p4' | 'p4d2' | 'c2' | 'c2d2' | 'v8d2' | 'b8' | 'b15' | 'b16' | 'b24' | 'b32';

interface GraphicsGeometry {
  info: DisplayModeInfo;
  drawer: Drawer;
  /** VRAM bytes per source line step. */
  lineOffset: number;
  /** VRAM byte of the first line. */
  start: number;
  lineCompare: number;
  multiScan: number;
  crMode: number;
  /** VRAM bytes a line reads (one group more when pel panning shifts it). */
  lineBytes: number;
  /** Pixels to skip at the left (pel panning), and whether the split part keeps it. */
  pan: number;
  panAfterSplit: boolean;
  /** Address mask (VGA modes wrap inside 256 KiB); 0 = no wrap (VBE). */
  addrMask: number;
}

/** Cursor blinks every 8 frames, characters every 16 (at 60 Hz). */
const FRAME_NS = 16_666_667;
const MAX_PIXELS = 4096 * 4096;

export class VgaRenderer {
  private width = 0;
  private height = 0;
  private rgba = new Uint8ClampedArray(0);
  private out32 = new Uint32Array(0);
  private line = new Uint32Array(0);
  private shadow: Uint8Array | undefined;
  private lastGeneration = -1;
  private lastKey = '';
  private full = true;
  private readonly pal16 = new Uint32Array(16);
  private readonly pal256 = new Uint32Array(256);
  private gatherBuf = new Uint8Array(0);
  private lut15: Uint32Array | undefined;
  private lut16: Uint32Array | undefined;
  private vram32: Uint32Array | undefined;
  private shadow32: Uint32Array | undefined;
  private lastBlink = false;
  private lastCursorPhase = false;
  private lastCursorKey = '';
  private lastCursorRow = -1;
  /** Statistics: lines (graphics) or character rows (text) drawn, and frames drawn. */
  readonly stats = { linesDrawn: 0, framesDrawn: 0, framesUnchanged: 0 };

  constructor(private readonly s: VgaDisplayState) {}

  /** Force a full redraw on the next render. */
  invalidate(): void {
    this.full = true;
  }

  mode(): DisplayModeInfo {
    return this.geometry().info;
  }

  private geometry(): { info: DisplayModeInfo; text?: TextGeometry; gfx?: GraphicsGeometry } {
    const s = this.s;
    if (!(s.arIndex & AR_INDEX_PAS) || s.sr[SR_CLOCK_MODE] & 0x20) return { info: blank() };
    if (!s.vbe.enabled && !(s.gr[GR_MISC] & 1)) {
      const t = textGeometry(s);
      if (!t || t.cols * t.cellWidth * t.rows * t.cellHeight > MAX_PIXELS) return { info: blank() };
      return {
        info: { kind: 'text', width: t.cols * t.cellWidth, height: t.rows * t.cellHeight, cols: t.cols, rows: t.rows },
        text: t,
      };
    }
    const g = this.graphicsGeometry();
    return g ? { info: g.info, gfx: g } : { info: blank() };
  }

  private graphicsGeometry(): GraphicsGeometry | undefined {
    const s = this.s;
    const cr = s.cr;
    const vbe = s.vbe;
    const shift = (s.gr[GR_MODE] >> 5) & 3;
    const doubleScan = cr[CR_MAX_SCAN] >> 7;
    const multiScan = shift !== 1 ? (((cr[CR_MAX_SCAN] & 0x1f) + 1) << doubleScan) - 1 : doubleScan;
    const halfClock = (s.sr[SR_CLOCK_MODE] & 8) !== 0;
    let width: number, height: number, lineOffset: number, start: number, lineCompare: number;
    if (vbe.enabled) {
      width = vbe.xres;
      height = vbe.yres;
      lineOffset = vbe.lineOffset;
      start = vbe.startAddr * 4;
      lineCompare = 65535;
    } else {
      width = (cr[CR_H_DISP] + 1) * 8;
      height = verticalDisplayLines(cr);
      lineOffset = cr[CR_OFFSET] << 3;
      start = ((cr[CR_START_HI] << 8) | cr[CR_START_LO]) * 4;
      lineCompare = cr[CR_LINE_COMPARE] | ((cr[CR_OVERFLOW] & 0x10) << 4) | ((cr[CR_MAX_SCAN] & 0x40) << 3);
    }
    if (width <= 0 || height <= 0 || width * height * 2 > MAX_PIXELS) return undefined;
    const hpel = s.ar[AR_PEL_PAN] & 0xf;
    let drawer: Drawer;
    let bpp: number;
    let kind: DisplayModeInfo['kind'];
    let lineBytes: number;
    let pan = 0;
    if (shift === 0) {
      // 8 pixels per planar address; with the half dot clock (SR1 bit 3) each is doubled
      // and the picture twice as wide as CR1 says (QEMU doubles disp_width the same way).
      drawer = halfClock ? 'p4d2' : 'p4';
      bpp = 4;
      kind = 'planar16';
      pan = hpel < 8 ? (halfClock ? hpel * 2 : hpel) : 0;
      lineBytes = (Math.ceil(width / 8) + (pan ? 1 : 0)) * 4;
      if (halfClock) width *= 2;
    } else if (shift === 1) {
      drawer = halfClock ? 'c2d2' : 'c2';
      bpp = 2;
      kind = 'cga4';
      lineBytes = Math.ceil(width / 8) * 4;
      if (halfClock) width *= 2;
    } else if (!vbe.enabled || vbe.bpp === 4) {
      drawer = 'v8d2';
      bpp = 8;
      kind = 'vga256';
      pan = ((hpel >> 1) & 3) * 2;
      lineBytes = (Math.ceil(width / 8) + (pan ? 1 : 0)) * 4;
    } else {
      bpp = vbe.bpp;
      kind = 'vbe';
      drawer = bpp === 8 ? 'b8' : bpp === 15 ? 'b15' : bpp === 16 ? 'b16' : bpp === 24 ? 'b24' : 'b32';
      lineBytes = Math.ceil((width * (bpp === 15 ? 16 : bpp)) / 8);
    }
    if (vbe.enabled) kind = 'vbe';
    return {
      info: { kind, width, height, bpp },
      drawer, lineOffset, start, lineCompare, multiScan, crMode: cr[CR_MODE], lineBytes, pan,
      panAfterSplit: !(s.ar[AR_MODE] & 0x20), addrMask: vbe.enabled ? 0 : 0x3ffff,
    };
  }

  private resize(w: number, h: number): void {
    if (w === this.width && h === this.height) return;
    this.width = w;
    this.height = h;
    this.rgba = new Uint8ClampedArray(w * h * 4);
    this.out32 = new Uint32Array(this.rgba.buffer);
    this.line = new Uint32Array(w + 64);
    this.full = true;
  }

  /** Render at virtual time `nowNs` (blink phases). */
  render(nowNs: number): FrameUpdate {
    const s = this.s;
    const g = this.geometry();
    const key = JSON.stringify(g.info);
    if (s.generation !== this.lastGeneration || key !== this.lastKey) this.full = true;
    this.lastGeneration = s.generation;
    this.lastKey = key;
    this.resize(Math.max(1, g.info.width), Math.max(1, g.info.height));
    let y0 = Infinity;
    let y1 = -1;
    const mark = (a: number, b: number) => {
      if (a < y0) y0 = a;
      if (b > y1) y1 = b;
    };
    const frame = Math.floor(nowNs / FRAME_NS);
    if (g.text) {
      this.renderText(g.text, frame, mark);
    } else if (g.gfx) {
      this.renderGraphics(g.gfx, mark);
    } else if (this.full) {
      this.out32.fill(0xff000000);
      mark(0, this.height);
    }
    this.full = false;
    const dirty = y1 > y0 ? { y0, y1 } : null;
    if (dirty) this.stats.framesDrawn++;
    else this.stats.framesUnchanged++;
    return { width: this.width, height: this.height, rgba: this.rgba, dirty, mode: g.info };
  }

  // ---- text ----------------------------------------------------------------------------------

  private renderText(t: TextGeometry, frame: number, mark: (a: number, b: number) => void): void {
    const s = this.s;
    this.ensureShadow();
    const blink = (frame & 16) === 0;
    const cursorPhase = (frame & 8) === 0;
    let all = this.full;
    if (this.full) buildPalette16(s, this.pal16);
    // Fonts: any change to the glyph bytes of either map redraws everything.
    for (const base of t.font) {
      if (this.fontChanged(base)) all = true;
    }
    const blinkFlip = blink !== this.lastBlink && (s.ar[AR_MODE] & 0x08) !== 0;
    const cursorFlip = cursorPhase !== this.lastCursorPhase;
    this.lastBlink = blink;
    this.lastCursorPhase = cursorPhase;
    // The cursor registers do not force a full redraw: the rows under the old and the new
    // cursor are redrawn when its position or shape changes (or it blinks).
    const cursorKey = `${t.cursor},${t.cursorFirst},${t.cursorLast},${t.startAddr},${t.rowCells}`;
    const newCursorRow = cursorRow(t);
    const cursorRows = new Set<number>();
    if (cursorKey !== this.lastCursorKey) {
      cursorRows.add(this.lastCursorRow);
      cursorRows.add(newCursorRow);
    } else if (cursorFlip) {
      cursorRows.add(newCursorRow);
    }
    this.lastCursorKey = cursorKey;
    this.lastCursorRow = newCursorRow;
    const width = this.width;
    const rowBytes = t.cols * 4;
    for (let row = 0; row < t.rows; row++) {
      const base = t.start + row * t.rowStride;
      const redraw = all || blinkFlip || cursorRows.has(row) || this.rangeChanged(base, rowBytes, 0x3ffff);
      if (!redraw) continue;
      drawTextRow(s, t, row, this.pal16, this.out32, width, blink, cursorPhase);
      this.copyShadow(base, rowBytes, 0x3ffff);
      this.stats.linesDrawn++;
      mark(row * t.cellHeight, (row + 1) * t.cellHeight);
    }
  }

  /** Compare (and then snapshot) the plane-2 bytes of one 8 KiB font map. */
  private fontChanged(base: number): boolean {
    const vram = this.s.vram;
    const sh = this.shadow!;
    let changed = false;
    const end = Math.min(vram.length, base + 8192 * 4);
    for (let i = base; i < end; i += 4) {
      if (vram[i] !== sh[i]) {
        changed = true;
        sh[i] = vram[i];
      }
    }
    return changed;
  }

  // ---- graphics ------------------------------------------------------------------------------

  private renderGraphics(g: GraphicsGeometry, mark: (a: number, b: number) => void): void {
    const s = this.s;
    if (this.full) {
      buildPalette16(s, this.pal16);
      buildPalette256(s, this.pal256);
    }
    this.ensureShadow();
    const width = this.width;
    const changedRanges: number[] = [];
    let addr1 = g.start;
    let y1 = 0;
    let multiRun = g.multiScan;
    let lastAddr = -1;
    let lastChanged = false;
    let afterSplit = false;
    for (let y = 0; y < this.height; y++) {
      let addr = addr1;
      if (!(g.crMode & 1)) {
        const sh = 14 + ((g.crMode >> 6) & 1);
        addr = (addr & ~(1 << sh)) | ((y1 & 1) << sh);
      }
      if (!(g.crMode & 2)) addr = (addr & ~0x8000) | ((y1 & 2) << 14);
      if (g.addrMask) addr &= g.addrMask;
      let changed: boolean;
      if (addr === lastAddr) {
        changed = lastChanged;
      } else {
        changed = this.full || this.rangeChanged(addr, g.lineBytes, g.addrMask);
        if (changed) changedRanges.push(addr);
        lastAddr = addr;
        lastChanged = changed;
      }
      if (changed || this.full) {
        const pan = afterSplit && !g.panAfterSplit ? 0 : g.pan;
        this.drawLine(g, addr, y * width, pan);
        this.stats.linesDrawn++;
        mark(y, y + 1);
      }
      if (!multiRun) {
        const mask = (g.crMode & 3) ^ 3;
        if ((y1 & mask) === mask) addr1 += g.lineOffset;
        y1++;
        multiRun = g.multiScan;
      } else {
        multiRun--;
      }
      if (y === g.lineCompare) {
        addr1 = 0;
        afterSplit = true;
      }
    }
    for (const a of changedRanges) this.copyShadow(a, g.lineBytes, g.addrMask);
  }

  private drawLine(g: GraphicsGeometry, addr: number, o: number, pan: number): void {
    const width = this.width;
    const out = pan ? this.line : this.out32;
    const base = pan ? 0 : o;
    const n = width + pan;
    // A line that stays inside VRAM (and does not wrap at the VGA's 256 KiB) is read straight
    // from VRAM; otherwise from a copy gathered through the address mask.
    let src = this.s.vram;
    const mask = g.addrMask;
    const start = mask ? addr & mask : addr;
    if ((mask && start + g.lineBytes > mask + 1) || start + g.lineBytes > src.length) {
      src = this.gather(addr, g.lineBytes, mask);
      addr = 0;
    } else {
      addr = start;
    }
    switch (g.drawer) {
      case 'p4':
      case 'p4d2': {
        const pal = this.pal16;
        const planes = MASK16[this.s.ar[AR_PLANE_ENABLE] & 0xf];
        const rep = g.drawer === 'p4d2' ? 2 : 1;
        for (let x = 0; x < n; addr += 4) {
          const d = (src[addr] | (src[addr + 1] << 8) | (src[addr + 2] << 16) | (src[addr + 3] << 24)) & planes;
          for (let b = 7; b >= 0 && x < n; b--) {
            const c = pal[((d >>> b) & 1) | ((d >>> (b + 7)) & 2) | ((d >>> (b + 14)) & 4) | ((d >>> (b + 21)) & 8)];
            out[base + x++] = c;
            if (rep === 2 && x < n) out[base + x++] = c;
          }
        }
        break;
      }
      case 'c2':
      case 'c2d2': {
        const pal = this.pal16;
        const planes = MASK16[this.s.ar[AR_PLANE_ENABLE] & 0xf];
        const rep = g.drawer === 'c2d2' ? 2 : 1;
        for (let x = 0; x < n; addr += 4) {
          const d = (src[addr] | (src[addr + 1] << 8) | (src[addr + 2] << 16) | (src[addr + 3] << 24)) & planes;
          for (let half = 0; half < 2; half++) {
            const lo = (d >>> (half * 8)) & 0xff; // plane 0 (then 1)
            const hi = (d >>> (16 + half * 8)) & 0xff; // plane 2 (then 3)
            for (let p = 3; p >= 0 && x < n; p--) {
              const c = pal[((lo >> (2 * p)) & 3) | (((hi >> (2 * p)) & 3) << 2)];
              out[base + x++] = c;
              if (rep === 2 && x < n) out[base + x++] = c;
            }
          }
        }
        break;
      }
      case 'v8d2': {
        const pal = this.pal256;
        for (let x = 0; x < n; addr++) {
          const c = pal[src[addr]];
          out[base + x++] = c;
          if (x < n) out[base + x++] = c;
        }
        break;
      }
      case 'b8': {
        const pal = this.pal256;
        for (let x = 0; x < n; x++) out[base + x] = pal[src[addr + x]];
        break;
      }
      case 'b15':
      case 'b16': {
        const lut = this.hicolourLut(g.drawer === 'b15');
        for (let x = 0; x < n; x++, addr += 2) out[base + x] = lut[src[addr] | (src[addr + 1] << 8)];
        break;
      }
      case 'b24':
        for (let x = 0; x < n; x++, addr += 3) {
          out[base + x] = (src[addr + 2] | (src[addr + 1] << 8) | (src[addr] << 16) | 0xff000000) >>> 0;
        }
        break;
      case 'b32':
        for (let x = 0; x < n; x++, addr += 4) {
          out[base + x] = (src[addr + 2] | (src[addr + 1] << 8) | (src[addr] << 16) | 0xff000000) >>> 0;
        }
        break;
    }
    if (pan) this.out32.set(this.line.subarray(pan, pan + width), o);
  }

  /** A line's bytes through the address mask (wrapping), zero beyond VRAM. */
  private gather(addr: number, n: number, mask: number): Uint8Array {
    if (this.gatherBuf.length < n) this.gatherBuf = new Uint8Array(n);
    const vram = this.s.vram;
    const buf = this.gatherBuf;
    for (let i = 0; i < n; i++) {
      const a = mask ? (addr + i) & mask : addr + i;
      buf[i] = a < vram.length ? vram[a] : 0;
    }
    return buf;
  }

  /** RGB565 / RGB555 → packed RGBA, built on first use. */
  private hicolourLut(is15: boolean): Uint32Array {
    const have = is15 ? this.lut15 : this.lut16;
    if (have) return have;
    const lut = new Uint32Array(65536);
    for (let v = 0; v < 65536; v++) {
      let r: number, g: number, b: number;
      if (is15) {
        r = (v >> 10) & 0x1f; g = (v >> 5) & 0x1f; b = v & 0x1f;
        g = (g << 3) | (g >> 2);
      } else {
        r = v >> 11; g = (v >> 5) & 0x3f; b = v & 0x1f;
        g = (g << 2) | (g >> 4);
      }
      lut[v] = (((r << 3) | (r >> 2)) | (g << 8) | (((b << 3) | (b >> 2)) << 16) | 0xff000000) >>> 0;
    }
    if (is15) this.lut15 = lut;
    else this.lut16 = lut;
    return lut;
  }

  // ---- dirty tracking --------------------------------------------------------------------

  private ensureShadow(): Uint8Array {
    const n = this.s.vram.length;
    if (!this.shadow || this.shadow.length !== n) {
      const vram = this.s.vram;
      this.shadow = new Uint8Array(n);
      const aligned = vram.byteOffset % 4 === 0 && n % 4 === 0;
      this.vram32 = aligned ? new Uint32Array(vram.buffer, vram.byteOffset, n >> 2) : undefined;
      this.shadow32 = aligned ? new Uint32Array(this.shadow.buffer) : undefined;
      this.full = true;
    }
    return this.shadow;
  }

  /** Whether VRAM [a, a+n) (wrapping at `mask`+1 when mask ≠ 0) differs from the shadow. */
  private rangeChanged(a: number, n: number, mask: number): boolean {
    const vram = this.s.vram;
    const sh = this.shadow!;
    const len = vram.length;
    if (mask === 0 || (a & mask) + n <= mask + 1) {
      const start = mask ? a & mask : a;
      const end = Math.min(len, start + n);
      let i = start;
      const v32 = this.vram32;
      const s32 = this.shadow32;
      if (v32 && s32) {
        for (; i < end && i & 3; i++) if (vram[i] !== sh[i]) return true;
        const wEnd = (end >> 2) << 2;
        for (let k = i >> 2, kEnd = wEnd >> 2; k < kEnd; k++) if (v32[k] !== s32[k]) return true;
        i = Math.max(i, wEnd);
      }
      for (; i < end; i++) if (vram[i] !== sh[i]) return true;
      return false;
    }
    for (let k = 0; k < n; k++) {
      const m = (a + k) & mask;
      if (m < len && vram[m] !== sh[m]) return true;
    }
    return false;
  }

  private copyShadow(a: number, n: number, mask: number): void {
    const vram = this.s.vram;
    const sh = this.shadow!;
    if (mask === 0 || (a & mask) + n <= mask + 1) {
      const start = mask ? a & mask : a;
      const end = Math.min(vram.length, start + n);
      if (end > start) sh.set(vram.subarray(start, end), start);
      return;
    }
    for (let k = 0; k < n; k++) {
      const m = (a + k) & mask;
      if (m < vram.length) sh[m] = vram[m];
    }
  }
}

/** The character row the cursor is on, or -1 (off, or not on the screen). */
function cursorRow(t: TextGeometry): number {
  if (t.cursor < 0 || t.rowCells <= 0) return -1;
  const rel = (t.cursor - t.startAddr) & 0xffff;
  const row = Math.floor(rel / t.rowCells);
  return row < t.rows && rel - row * t.rowCells < t.cols ? row : -1;
}

function blank(): DisplayModeInfo {
  return { kind: 'blank', width: 640, height: 480 };
}

/**
 * StdVga: QEMU's standard VGA (`-device VGA`, PCI 1234:1111) — an IBM VGA register set plus the
 * Bochs VBE DISPI extension and a linear framebuffer behind PCI BAR0, as SeaVGABIOS
 * (vgabios-stdvga.bin) and Linux (vgacon, vesafb, bochs-drm's port I/O path) drive it.
 *
 * Registers follow the IBM VGA Technical Reference and QEMU hw/display/vga.c (vga_ioport_read/
 * vga_ioport_write): CRTC at 0x3B4/5 or 0x3D4/5 by misc output bit 0 (the other pair and its
 * input status port are not decoded), attribute controller with its index/data flip-flop
 * (reset by reading input status 1), DAC with read/write indices and 6-bit components (8-bit
 * with the DISPI 8BIT_DAC bit), pel mask, misc output, feature control. The sequencer, the
 * graphics controller, the DISPI registers and the memory window live in VgaMemoryWindow
 * (vga-memory.ts), shared with the CPU-side twin (cpu-side.ts).
 *
 * Regions: ports 0 = 0x3B0-0x3DF, 1 = 0x1CE-0x1D0 (DISPI); MMIO 0 = the legacy window
 * 0xA0000-0xBFFFF, 1 = BAR0 (the linear framebuffer, VRAM size).
 */
import type { AccessSize, DeviceHost, DeviceModel, DeviceState, Timer } from '../api.js';
import { VgaRenderer } from './render/renderer.js';
import { encodePng } from './render/png.js';
import { screenText } from './render/text.js';
import type { DisplayDevice, DisplayModeInfo, DisplaySink, FrameUpdate, VbeDisplayParams, VgaDisplayState } from './render/types.js';
import {
  AR_COLOR_PAGE, AR_MODE, AR_OVERSCAN, AR_PEL_PAN, AR_PLANE_ENABLE, CR_CURSOR_END, CR_CURSOR_HI, CR_CURSOR_LO,
  CR_CURSOR_START, CR_H_DISP, CR_LINE_COMPARE, CR_MAX_SCAN,
  CR_MODE, CR_OFFSET, CR_OVERFLOW, CR_V_DISP_END, CR_V_SYNC_END, DISPI_INDEX_BPP, DISPI_INDEX_XRES,
  DISPI_INDEX_YRES, VGA_PORT_BASE,
} from './vga-constants.js';
import { VgaMemoryWindow, type VgaMemoryRegs } from './vga-memory.js';

export const VGA_STATE_VERSION = 1;

/** Timing of input status 1 (a 640x480@60 frame: 525 lines of 31.778 µs). */
const LINE_NS = 31_778;
const LINES = 525;
const ACTIVE_LINES = 480;
const H_ACTIVE_NS = 25_422;
/**
 * Lines with vertical retrace set. Real hardware holds it for 2 lines (64 µs); a polling loop
 * whose every port read is a ~30 µs cross-worker round trip could miss that, so the window is
 * widened to 20 lines (~0.64 ms) — still short enough that "wait for retrace" loops behave.
 */
const VRETRACE_FIRST = 490;
const VRETRACE_LINES = 20;
/** Refresh period of the canvas sink, in virtual time. */
const REFRESH_NS = 16_666_667;

export interface StdVgaOptions {
  /** VRAM size in MiB when the host grants no framebuffer (a private buffer is used). */
  vgamemMb: number;
}

interface SavedVga {
  cr: number[];
  crIndex: number;
  ar: number[];
  arIndex: number;
  arFlipFlop: number;
  misc: number;
  fcr: number;
  vgaEnable: number;
  dac: number[];
  dacReadIndex: number;
  dacWriteIndex: number;
  dacSub: number;
  dacState: number;
  dacCache: number[];
  pelMask: number;
  mem: VgaMemoryRegs;
}

export class StdVga implements DeviceModel, VgaDisplayState, DisplayDevice {
  readonly window: VgaMemoryWindow;
  readonly vram: Uint8Array;
  readonly cr = new Uint8Array(256);
  crIndex = 0;
  readonly ar = new Uint8Array(0x15);
  arIndex = 0;
  arFlipFlop = 0;
  misc = 0;
  fcr = 0;
  vgaEnable = 0;
  readonly dac = new Uint8Array(768);
  dacReadIndex = 0;
  dacWriteIndex = 0;
  dacSub = 0;
  dacState = 0;
  readonly dacCache = new Uint8Array(3);
  pelMask = 0xff;
  private ownGeneration = 0;
  private renderer: VgaRenderer | undefined;
  /** Rows a screenshot redrew that renderFrame's consumer has not been told about. */
  private carry: { y0: number; y1: number } | undefined;
  private readonly sink: DisplaySink | undefined;
  private readonly refresh: Timer | undefined;

  constructor(private readonly host: DeviceHost, opts: StdVgaOptions) {
    const fb = host.framebuffer;
    const want = opts.vgamemMb * 1024 * 1024;
    if (fb && fb.vram.length < want) {
      host.log.log('warn', `VGA: the machine grants ${fb.vram.length >>> 20} MiB of VRAM, less than vgamem_mb=${opts.vgamemMb}`);
    }
    this.vram = fb ? fb.vram.subarray(0, Math.min(want, fb.vram.length)) : new Uint8Array(want);
    this.window = new VgaMemoryWindow(this.vram, !(fb?.cpuSideWindow ?? false));
    this.window.onVbeUpdate = () => this.vbeUpdateCrtc();
    const b = host.backend as Partial<DisplaySink> | undefined;
    if (b && typeof b.present === 'function') {
      this.sink = b as DisplaySink;
      this.refresh = host.clock.createTimer(() => this.onRefresh());
    }
    this.reset();
  }

  // ---- VgaDisplayState ---------------------------------------------------------------------

  get sr(): Uint8Array { return this.window.sr; }
  get gr(): Uint8Array { return this.window.gr; }
  get dac8bit(): boolean { return this.window.dac8bit; }
  get generation(): number { return this.ownGeneration + this.window.generation; }
  get vbe(): VbeDisplayParams {
    const w = this.window;
    return {
      enabled: w.vbeEnabled, bpp: w.vbeRegs[DISPI_INDEX_BPP], xres: w.vbeRegs[DISPI_INDEX_XRES],
      yres: w.vbeRegs[DISPI_INDEX_YRES], lineOffset: w.vbeLineOffset, startAddr: w.vbeStartAddr,
    };
  }

  // ---- reset and state -----------------------------------------------------------------------

  reset(): void {
    this.window.reset();
    this.cr.fill(0);
    this.crIndex = 0;
    this.ar.fill(0);
    this.arIndex = 0;
    this.arFlipFlop = 0;
    this.misc = 0;
    this.fcr = 0;
    this.vgaEnable = 0;
    this.dac.fill(0);
    this.dacReadIndex = 0;
    this.dacWriteIndex = 0;
    this.dacSub = 0;
    this.dacState = 0;
    this.dacCache.fill(0);
    this.pelMask = 0xff;
    this.ownGeneration++;
    this.renderer?.invalidate();
    if (this.refresh) this.refresh.setDeadline(this.host.clock.now() + REFRESH_NS);
  }

  saveState(): DeviceState {
    const data: SavedVga = {
      cr: [...this.cr], crIndex: this.crIndex, ar: [...this.ar], arIndex: this.arIndex, arFlipFlop: this.arFlipFlop,
      misc: this.misc, fcr: this.fcr, vgaEnable: this.vgaEnable, dac: [...this.dac], dacReadIndex: this.dacReadIndex,
      dacWriteIndex: this.dacWriteIndex, dacSub: this.dacSub, dacState: this.dacState, dacCache: [...this.dacCache],
      pelMask: this.pelMask, mem: this.window.saveRegs(),
    };
    return { type: 'VGA', version: VGA_STATE_VERSION, data: data as unknown as Record<string, unknown> };
  }

  loadState(state: DeviceState): void {
    if (state.type !== 'VGA' || state.version !== VGA_STATE_VERSION) {
      throw new Error(`VGA: cannot load state ${state.type} v${state.version} (want VGA v${VGA_STATE_VERSION})`);
    }
    const d = state.data as unknown as SavedVga;
    const arr = (a: unknown, n: number, name: string): number[] => {
      if (!Array.isArray(a) || a.length !== n || !a.every((x) => Number.isInteger(x))) {
        throw new Error(`VGA state: '${name}' must be ${n} integers`);
      }
      return a as number[];
    };
    const cr = arr(d.cr, 256, 'cr');
    const ar = arr(d.ar, 0x15, 'ar');
    const dac = arr(d.dac, 768, 'dac');
    const cache = arr(d.dacCache, 3, 'dacCache');
    this.window.loadRegs(d.mem);
    this.cr.set(cr.map((v) => v & 0xff));
    this.ar.set(ar.map((v) => v & 0xff));
    this.dac.set(dac.map((v) => v & 0xff));
    this.dacCache.set(cache.map((v) => v & 0xff));
    this.crIndex = d.crIndex & 0xff;
    this.arIndex = d.arIndex & 0x3f;
    this.arFlipFlop = d.arFlipFlop & 1;
    this.misc = d.misc & 0xef;
    this.fcr = d.fcr & 0x10;
    this.vgaEnable = d.vgaEnable & 1;
    this.dacReadIndex = d.dacReadIndex & 0xff;
    this.dacWriteIndex = d.dacWriteIndex & 0xff;
    this.dacSub = Math.min(2, d.dacSub >>> 0);
    this.dacState = d.dacState & 3;
    this.pelMask = d.pelMask & 0xff;
    this.ownGeneration++;
    this.renderer?.invalidate();
  }

  destroy(): void {
    this.refresh?.cancel();
  }

  // ---- port I/O ------------------------------------------------------------------------------

  ioRead(region: number, offset: number, size: AccessSize): number {
    if (region === 1) {
      if (offset > 1) {
        this.host.guestError(`VGA: read of DISPI port 0x${(0x1ce + offset).toString(16)}`);
        return size === 1 ? 0xff : 0xffff;
      }
      const v = this.window.readDispi(offset);
      return size === 1 ? v & 0xff : v;
    }
    if (region !== 0) return 0xffffffff;
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.readPort(VGA_PORT_BASE + offset + i) << (8 * i);
    return v >>> 0;
  }

  ioWrite(region: number, offset: number, size: AccessSize, value: number): void {
    if (region === 1) {
      if (offset > 1) {
        this.host.guestError(`VGA: write of DISPI port 0x${(0x1ce + offset).toString(16)}`);
        return;
      }
      this.window.writeDispi(offset, size === 1 ? value & 0xff : value & 0xffff);
      return;
    }
    if (region !== 0) return;
    for (let i = 0; i < size; i++) this.writePort(VGA_PORT_BASE + offset + i, (value >>> (8 * i)) & 0xff);
  }

  /** Ports of the CRTC pair not selected by misc bit 0 are not decoded (QEMU vga_ioport_invalid). */
  private invalid(port: number): boolean {
    return this.misc & 1 ? port >= 0x3b0 && port <= 0x3bf : port >= 0x3d0 && port <= 0x3df;
  }

  /** One byte read of VGA port `port`. */
  readPort(port: number): number {
    if (this.invalid(port)) return 0xff;
    switch (port) {
      case 0x3c0:
        return this.arIndex; // the address register reads back in either flip-flop state (QEMU returns 0 in the data state)
      case 0x3c1: {
        const i = this.arIndex & 0x1f;
        return i < 0x15 ? this.ar[i] : 0;
      }
      case 0x3c2: return 0x00; // input status 0: no switch sense, no CRT interrupt
      case 0x3c3: return this.vgaEnable;
      case 0x3c4: case 0x3c5: case 0x3ce: case 0x3cf:
        return this.window.readVgaPort(port)!;
      case 0x3c6: return this.pelMask;
      case 0x3c7: return this.dacState;
      case 0x3c8: return this.dacWriteIndex;
      case 0x3c9: {
        const v = this.dac[this.dacReadIndex * 3 + this.dacSub];
        if (++this.dacSub === 3) {
          this.dacSub = 0;
          this.dacReadIndex = (this.dacReadIndex + 1) & 0xff;
        }
        return v;
      }
      case 0x3ca: return this.fcr;
      case 0x3cc: return this.misc;
      case 0x3b4: case 0x3d4: return this.crIndex;
      case 0x3b5: case 0x3d5: return this.cr[this.crIndex];
      case 0x3ba: case 0x3da:
        this.arFlipFlop = 0;
        return this.inputStatus1();
      default:
        this.host.guestError(`VGA: read of unknown port 0x${port.toString(16)}`);
        return 0xff;
    }
  }

  /** One byte write of VGA port `port`. */
  writePort(port: number, value: number): void {
    if (this.invalid(port)) return;
    switch (port) {
      case 0x3c0:
        if (this.arFlipFlop === 0) {
          this.arIndex = value & 0x3f;
        } else {
          const i = this.arIndex & 0x1f;
          if (i < 0x10) this.ar[i] = value & 0x3f;
          else if (i === AR_MODE) this.ar[i] = value & ~0x10;
          else if (i === AR_OVERSCAN) this.ar[i] = value;
          else if (i === AR_PLANE_ENABLE) this.ar[i] = value & 0x3f;
          else if (i === AR_PEL_PAN || i === AR_COLOR_PAGE) this.ar[i] = value & 0x0f;
        }
        this.arFlipFlop ^= 1;
        this.ownGeneration++;
        return;
      case 0x3c2:
        this.misc = value & ~0x10;
        this.ownGeneration++;
        return;
      case 0x3c3:
        this.vgaEnable = value & 1;
        return;
      case 0x3c4: case 0x3c5: case 0x3ce: case 0x3cf:
        this.window.writeVgaPort(port, value);
        return;
      case 0x3c6:
        this.pelMask = value;
        this.ownGeneration++;
        return;
      case 0x3c7:
        this.dacReadIndex = value;
        this.dacSub = 0;
        this.dacState = 3;
        return;
      case 0x3c8:
        this.dacWriteIndex = value;
        this.dacSub = 0;
        this.dacState = 0;
        return;
      case 0x3c9: {
        this.dacCache[this.dacSub] = this.window.dac8bit ? value : value & 0x3f;
        if (++this.dacSub === 3) {
          this.dac.set(this.dacCache, this.dacWriteIndex * 3);
          this.dacSub = 0;
          this.dacWriteIndex = (this.dacWriteIndex + 1) & 0xff;
          this.ownGeneration++;
        }
        return;
      }
      case 0x3b4: case 0x3d4:
        this.crIndex = value;
        return;
      case 0x3b5: case 0x3d5:
        this.writeCrtc(value);
        return;
      case 0x3ba: case 0x3da:
        this.fcr = value & 0x10;
        return;
      default:
        this.host.guestError(`VGA: write of unknown port 0x${port.toString(16)} = 0x${value.toString(16)}`);
    }
  }

  private writeCrtc(value: number): void {
    const i = this.crIndex;
    if (this.cr[CR_V_SYNC_END] & 0x80 && i <= CR_OVERFLOW) {
      // CR0-CR7 are write-protected; only the line compare bit 8 (CR7 bit 4) stays writable.
      if (i === CR_OVERFLOW) this.cr[i] = (this.cr[i] & ~0x10) | (value & 0x10);
    } else {
      this.cr[i] = value;
    }
    if (this.window.vbeEnabled) this.vbeUpdateCrtc();
    // The cursor registers are tracked by the text renderer itself (it redraws the rows under
    // the old and new cursor), so moving the cursor does not force a full redraw.
    if (i !== CR_CURSOR_START && i !== CR_CURSOR_END && i !== CR_CURSOR_HI && i !== CR_CURSOR_LO) this.ownGeneration++;
  }

  /** QEMU vbe_update_vgaregs, the CRTC part: keep the VGA registers describing the VBE mode. */
  private vbeUpdateCrtc(): void {
    const w = this.window;
    if (!w.vbeEnabled) return;
    const cr = this.cr;
    cr[CR_MODE] |= 3;
    cr[CR_OFFSET] = (w.vbeLineOffset >>> 3) & 0xff;
    cr[CR_H_DISP] = ((w.vbeRegs[DISPI_INDEX_XRES] >>> 3) - 1) & 0xff;
    const h = w.vbeRegs[DISPI_INDEX_YRES] - 1;
    cr[CR_V_DISP_END] = h & 0xff;
    cr[CR_OVERFLOW] = (cr[CR_OVERFLOW] & ~0x42) | ((h >> 7) & 0x02) | ((h >> 3) & 0x40) | 0x10;
    cr[CR_LINE_COMPARE] = 0xff;
    cr[CR_MAX_SCAN] = (cr[CR_MAX_SCAN] | 0x40) & ~0x9f;
    this.ownGeneration++;
  }

  /**
   * Input status 1 from virtual time: bit 0 = display disabled (horizontal or vertical
   * blanking), bit 3 = vertical retrace.
   */
  private inputStatus1(): number {
    const t = this.host.clock.now();
    const line = Math.floor(t / LINE_NS) % LINES;
    const inLine = t % LINE_NS;
    let v = 0;
    if (line >= ACTIVE_LINES || inLine >= H_ACTIVE_NS) v |= 0x01;
    if (line >= VRETRACE_FIRST && line < VRETRACE_FIRST + VRETRACE_LINES) v |= 0x08;
    return v;
  }

  // ---- memory --------------------------------------------------------------------------------

  mmioRead(region: number, offset: number, size: AccessSize): number {
    if (region === 0) return this.window.read(offset, size);
    if (region === 1) {
      let v = 0;
      for (let i = 0; i < size; i++) {
        const a = offset + i;
        v |= (a < this.vram.length ? this.vram[a] : 0xff) << (8 * i);
      }
      return v >>> 0;
    }
    return 0xffffffff;
  }

  mmioWrite(region: number, offset: number, size: AccessSize, value: number): void {
    if (region === 0) {
      this.window.write(offset, size, value);
    } else if (region === 1) {
      for (let i = 0; i < size; i++) {
        const a = offset + i;
        if (a < this.vram.length) this.vram[a] = (value >>> (8 * i)) & 0xff;
      }
    }
  }

  // ---- display -------------------------------------------------------------------------------

  private getRenderer(): VgaRenderer {
    return (this.renderer ??= new VgaRenderer(this));
  }

  /**
   * Render the current picture (only what changed since the last call); blink phases come
   * from virtual time.
   */
  renderFrame(): FrameUpdate {
    const u = this.getRenderer().render(this.host.clock.now());
    if (this.carry) {
      // Rows a screenshot drew since the last call: still news to this consumer.
      const y0 = Math.min(this.carry.y0, u.dirty?.y0 ?? Infinity);
      const y1 = Math.min(u.height, Math.max(this.carry.y1, u.dirty?.y1 ?? 0));
      u.dirty = y1 > y0 ? { y0, y1 } : u.dirty;
      this.carry = undefined;
    }
    return u;
  }

  /** The mode the CRTC currently shows. */
  displayMode(): DisplayModeInfo {
    return this.getRenderer().mode();
  }

  /** The text screen as lines of Unicode (code page 437), or '' in graphics modes. */
  screenText(): string {
    return screenText(this);
  }

  /** The current picture as a PNG file. */
  screenshotPng(): Uint8Array {
    const f = this.getRenderer().render(this.host.clock.now());
    if (f.dirty) {
      this.carry = this.carry
        ? { y0: Math.min(this.carry.y0, f.dirty.y0), y1: Math.max(this.carry.y1, f.dirty.y1) }
        : { ...f.dirty };
    }
    return encodePng(f.width, f.height, f.rgba);
  }

  private onRefresh(): void {
    this.refresh!.setDeadline(this.host.clock.now() + REFRESH_NS);
    const update = this.renderFrame();
    if (update.dirty) this.sink!.present(update);
  }
}

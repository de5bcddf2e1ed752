/**
 * What the VGA renderer reads from the device: the live register arrays and VRAM (no copies),
 * plus a generation counter the device bumps on every register change that can alter the
 * picture, and the types of its output.
 */

/** VBE DISPI mode parameters after QEMU's vbe_fixup_regs. */
export interface VbeDisplayParams {
  enabled: boolean;
  /** 4, 8, 15, 16, 24 or 32 (the DISPI BPP register). */
  bpp: number;
  xres: number;
  yres: number;
  /** Bytes per scanline. */
  lineOffset: number;
  /** First displayed byte / 4. */
  startAddr: number;
}

export interface VgaDisplayState {
  readonly vram: Uint8Array;
  readonly sr: Uint8Array;
  readonly gr: Uint8Array;
  readonly cr: Uint8Array;
  readonly ar: Uint8Array;
  readonly arIndex: number;
  /** DAC palette: 256 × (r, g, b), 6-bit values unless dac8bit. */
  readonly dac: Uint8Array;
  readonly dac8bit: boolean;
  readonly pelMask: number;
  readonly vbe: VbeDisplayParams;
  /** Changes whenever any display-relevant register changes. */
  readonly generation: number;
}

/** A rendered picture. `rgba` is width*height*4 bytes, row-major, alpha 255. */
export interface Frame {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

/** The result of one refresh: the frame and the rows that changed (none: nothing redrawn). */
export interface FrameUpdate extends Frame {
  /** Changed rows [y0, y1) (full width), or null when nothing changed. */
  dirty: { y0: number; y1: number } | null;
  /** The mode that was drawn. */
  mode: DisplayModeInfo;
}

export interface DisplayModeInfo {
  kind: 'blank' | 'text' | 'planar16' | 'cga4' | 'vga256' | 'vbe';
  width: number;
  height: number;
  /** Text modes: character cells. */
  cols?: number;
  rows?: number;
  /** Graphics: bits per pixel as stored (4 planar, 2 CGA, 8, 15, 16, 24, 32). */
  bpp?: number;
}

/** Where a device with a canvas backend sends its frames (host.backend). */
export interface DisplaySink {
  present(update: FrameUpdate): void;
}

/**
 * What a display device model offers its consumers (the machine's screen-text and screenshot
 * helpers, the display worker's canvas loop, the UI through RPC). StdVga implements it.
 */
export interface DisplayDevice {
  /** Render what changed since the last call (see FrameUpdate.dirty). */
  renderFrame(): FrameUpdate;
  /** The text screen as lines (code page 437 → Unicode); '' in graphics modes. */
  screenText(): string;
  /** The current picture as a PNG file. */
  screenshotPng(): Uint8Array;
  /** The mode being displayed. */
  displayMode(): DisplayModeInfo;
}

/** The model as a DisplayDevice, if it is one. */
export function asDisplayDevice(model: unknown): DisplayDevice | undefined {
  const m = model as Partial<DisplayDevice> | undefined;
  return m && typeof m.renderFrame === 'function' && typeof m.screenText === 'function' &&
    typeof m.screenshotPng === 'function' && typeof m.displayMode === 'function'
    ? (m as DisplayDevice)
    : undefined;
}

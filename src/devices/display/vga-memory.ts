/**
 * VgaMemoryWindow: the VGA's CPU memory interface — the legacy window at 0xA0000-0xBFFFF with
 * its sequencer/graphics-controller logic (read modes 0/1, write modes 0-3, set/reset, data
 * rotate, function select, bit mask, latches, plane masking, chain-4, odd/even, memory map
 * select) and the Bochs VBE DISPI registers that drive the banked window — applied to a
 * Uint8Array view of VRAM.
 *
 * It owns exactly the registers the memory path depends on: the sequencer (index + SR0-SR7),
 * the graphics controller (index + GR0-GR15), the DISPI index and registers, and the latches.
 * The state is a pure function of the ordered stream of port writes to 0x3C4/5, 0x3CE/F and
 * 0x1CE/F, so two instances fed the same writes hold the same state: the device model keeps
 * one (serving its own register reads and the renderer), and the CPU worker may run a second
 * one fed from the same writes (cpu-side.ts) so guest memory accesses never wait for the
 * display worker. See docs/display.md, "Memory paths".
 *
 * Semantics follow QEMU hw/display/vga.c (vga_mem_readb/vga_mem_writeb, vbe_ioport_*,
 * vbe_fixup_regs, vbe_update_vgaregs), which SeaVGABIOS and Linux are tested against:
 * chain-4 accesses go straight to vram[addr] (no ALU), odd/even writes go to one plane
 * ((GR4 & 2) | A0), reads in odd/even or chain-4 mode do not load the latches.
 */
import {
  DISPI_8BIT_DAC, DISPI_ENABLED, DISPI_GETCAPS, DISPI_ID0, DISPI_ID5, DISPI_INDEX_BANK, DISPI_INDEX_BPP,
  DISPI_INDEX_ENABLE, DISPI_INDEX_ID, DISPI_INDEX_NB, DISPI_INDEX_VIDEO_MEMORY_64K, DISPI_INDEX_VIRT_HEIGHT,
  DISPI_INDEX_VIRT_WIDTH, DISPI_INDEX_X_OFFSET, DISPI_INDEX_XRES, DISPI_INDEX_Y_OFFSET, DISPI_INDEX_YRES,
  DISPI_MAX_BPP, DISPI_MAX_XRES, DISPI_MAX_YRES, DISPI_NOCLEARMEM, GR_BIT_MASK, GR_COMPARE_MASK,
  GR_COMPARE_VALUE, GR_DATA_ROTATE, GR_MASK, GR_MISC, GR_MODE, GR_PLANE_READ, GR_SR_ENABLE, GR_SR_VALUE, MASK16,
  SR04_CHN_4, SR04_SEQ_MODE, SR_CLOCK_MODE, SR_MASK, SR_MEMORY_MODE, SR_PLANE_WRITE,
} from './vga-constants.js';

/** One piece of the legacy window's direct-mapping plan (see directPlan()). */
export interface WindowMapping {
  /** Offset from 0xA0000 (4 KiB aligned). */
  start: number;
  length: number;
  /** VRAM offset the range shows linearly, or null: accesses must go through the window. */
  vramOffset: number | null;
}

/** Snapshot of the window's registers (part of the device's saved state). */
export interface VgaMemoryRegs {
  sr: number[];
  srIndex: number;
  gr: number[];
  grIndex: number;
  vbeIndex: number;
  vbeRegs: number[];
  latch: number;
}

export class VgaMemoryWindow {
  readonly sr = new Uint8Array(8);
  srIndex = 0;
  readonly gr = new Uint8Array(16);
  grIndex = 0;
  readonly vbeRegs = new Uint16Array(DISPI_INDEX_NB);
  vbeIndex = 0;
  /** The latches: plane p in byte p. */
  latch = 0;
  /** Derived from the DISPI registers (vbe_fixup_regs). */
  bankOffset = 0;
  vbeLineOffset = 0;
  /** In units of 4 bytes. */
  vbeStartAddr = 0;
  /** Bumped on every register change that can alter the display (the renderer's full-redraw cue). */
  generation = 0;
  /**
   * Called after the VBE registers changed the VGA registers (the device then forces its CRTC
   * values, QEMU vbe_update_vgaregs) — and with `enabled` when VBE was switched on.
   */
  onVbeUpdate: (() => void) | undefined;
  /** Called when the direct-mapping plan may have changed (cpu-side.ts remaps pages). */
  onLayoutChange: (() => void) | undefined;

  private readonly vram32: Uint32Array;
  private readonly vbeSize: number;
  private readonly bankMask: number;

  /**
   * `vram` must start on a 4-byte boundary (it is inside the machine memory at
   * layout.vramOffset, or a private buffer). `sideEffects`: whether register writes may write
   * VRAM (the VBE enable screen clear); false for an instance whose twin does that.
   */
  constructor(readonly vram: Uint8Array, private readonly sideEffects = true) {
    if (vram.byteOffset % 4 !== 0 || vram.length % 65536 !== 0 || vram.length === 0) {
      throw new RangeError('VGA memory: VRAM must be a non-empty multiple of 64 KiB on a 4-byte boundary');
    }
    this.vram32 = new Uint32Array(vram.buffer, vram.byteOffset, vram.length >>> 2);
    this.vbeSize = vram.length;
    this.bankMask = (vram.length >>> 16) - 1;
    this.reset();
  }

  reset(): void {
    this.sr.fill(0);
    this.gr.fill(0);
    this.srIndex = 0;
    this.grIndex = 0;
    this.vbeRegs.fill(0);
    this.vbeRegs[DISPI_INDEX_ID] = DISPI_ID5;
    this.vbeIndex = 0;
    this.latch = 0;
    this.bankOffset = 0;
    this.vbeLineOffset = 0;
    this.vbeStartAddr = 0;
    this.generation++;
    this.onLayoutChange?.();
  }

  get vbeEnabled(): boolean {
    return (this.vbeRegs[DISPI_INDEX_ENABLE] & DISPI_ENABLED) !== 0;
  }

  get dac8bit(): boolean {
    return (this.vbeRegs[DISPI_INDEX_ENABLE] & DISPI_8BIT_DAC) !== 0;
  }

  // ---- sequencer and graphics controller -----------------------------------------------------

  /** A byte write to 0x3C4, 0x3C5, 0x3CE or 0x3CF (other ports are ignored). */
  writeVgaPort(port: number, value: number): void {
    value &= 0xff;
    switch (port) {
      case 0x3c4:
        this.srIndex = value & 7;
        break;
      case 0x3c5: {
        const before = this.displaySignature();
        this.sr[this.srIndex] = value & SR_MASK[this.srIndex];
        if (this.vbeEnabled) this.updateVgaRegsForVbe();
        this.registersChanged(before, this.srIndex === SR_PLANE_WRITE || this.srIndex === SR_MEMORY_MODE);
        break;
      }
      case 0x3ce:
        this.grIndex = value & 0x0f;
        break;
      case 0x3cf: {
        const before = this.displaySignature();
        this.gr[this.grIndex] = value & GR_MASK[this.grIndex];
        if (this.vbeEnabled) this.updateVgaRegsForVbe();
        this.registersChanged(before, this.grIndex === GR_MISC);
        break;
      }
    }
  }

  /**
   * The sequencer/graphics bits the picture depends on: SR1 (dot clock, screen off), SR3
   * (fonts), GR5 (shift mode), GR6 (graphics/text). Writes that leave them alone (bit mask,
   * map mask, write/read mode, memory map... — planar drawing does thousands per frame) do not force a redraw.
   */
  private displaySignature(): number {
    return (this.sr[SR_CLOCK_MODE] | (this.sr[3] << 8) | ((this.gr[GR_MODE] & 0x60) << 16) | ((this.gr[GR_MISC] & 1) << 24)) >>> 0;
  }

  private registersChanged(before: number, layout: boolean): void {
    if (this.displaySignature() !== before) this.generation++;
    if (layout) this.onLayoutChange?.();
  }

  /** A byte read of 0x3C4, 0x3C5, 0x3CE or 0x3CF; undefined for other ports. */
  readVgaPort(port: number): number | undefined {
    switch (port) {
      case 0x3c4: return this.srIndex;
      case 0x3c5: return this.sr[this.srIndex];
      case 0x3ce: return this.grIndex;
      case 0x3cf: return this.gr[this.grIndex];
      default: return undefined;
    }
  }

  private changed(layout: boolean): void {
    this.generation++;
    if (layout) this.onLayoutChange?.();
  }

  // ---- Bochs VBE DISPI (0x1CE index, 0x1CF data) -----------------------------------------

  /** Write at offset 0 (index) or 1 (data) of the DISPI ports; 16-bit registers. */
  writeDispi(offset: number, value: number): void {
    if (offset === 0) {
      this.vbeIndex = value & 0xffff;
      return;
    }
    if (offset !== 1) return;
    const val = value & 0xffff;
    const r = this.vbeRegs;
    switch (this.vbeIndex) {
      case DISPI_INDEX_ID:
        if (val >= DISPI_ID0 && val <= DISPI_ID5) r[DISPI_INDEX_ID] = val;
        return;
      case DISPI_INDEX_XRES:
      case DISPI_INDEX_YRES:
      case DISPI_INDEX_BPP:
      case DISPI_INDEX_VIRT_WIDTH:
      case DISPI_INDEX_X_OFFSET:
      case DISPI_INDEX_Y_OFFSET:
        r[this.vbeIndex] = val;
        this.fixupVbe();
        this.changed(false);
        return;
      case DISPI_INDEX_BANK:
        r[DISPI_INDEX_BANK] = val & this.bankMask;
        this.bankOffset = r[DISPI_INDEX_BANK] << 16;
        this.changed(true);
        return;
      case DISPI_INDEX_ENABLE: {
        if ((val & DISPI_ENABLED) && !(r[DISPI_INDEX_ENABLE] & DISPI_ENABLED)) {
          r[DISPI_INDEX_VIRT_WIDTH] = 0;
          r[DISPI_INDEX_X_OFFSET] = 0;
          r[DISPI_INDEX_Y_OFFSET] = 0;
          r[DISPI_INDEX_ENABLE] |= DISPI_ENABLED;
          this.fixupVbe();
          this.updateVgaRegsForVbe();
          if (!(val & DISPI_NOCLEARMEM) && this.sideEffects) {
            this.vram.fill(0, 0, Math.min(this.vbeSize, r[DISPI_INDEX_YRES] * this.vbeLineOffset));
          }
        } else {
          // QEMU zeroes its bank offset here; the bank register goes with it so the offset
          // stays a function of the registers (save/load, the CPU-side twin).
          r[DISPI_INDEX_BANK] = 0;
          this.bankOffset = 0;
        }
        r[DISPI_INDEX_ENABLE] = val;
        this.changed(true);
        return;
      }
      default:
        return; // VIRT_HEIGHT is computed; index 0xA and above are read-only
    }
  }

  /** Read at offset 0 (index) or 1 (data). */
  readDispi(offset: number): number {
    if (offset === 0) return this.vbeIndex;
    if (offset !== 1) return 0xffff;
    const i = this.vbeIndex;
    if (i < DISPI_INDEX_NB) {
      if (this.vbeRegs[DISPI_INDEX_ENABLE] & DISPI_GETCAPS) {
        if (i === DISPI_INDEX_XRES) return DISPI_MAX_XRES;
        if (i === DISPI_INDEX_YRES) return DISPI_MAX_YRES;
        if (i === DISPI_INDEX_BPP) return DISPI_MAX_BPP;
      }
      return this.vbeRegs[i];
    }
    if (i === DISPI_INDEX_VIDEO_MEMORY_64K) return this.vbeSize >>> 16;
    return 0;
  }

  /** Bits per pixel of the VBE mode in memory (15 → 16). */
  get vbeBits(): number {
    const b = this.vbeRegs[DISPI_INDEX_BPP];
    return b === 15 ? 16 : b;
  }

  /** QEMU vbe_fixup_regs: clamp the mode to what VRAM holds, derive line offset and start. */
  private fixupVbe(): void {
    if (!this.vbeEnabled) return;
    const r = this.vbeRegs;
    let bits: number;
    switch (r[DISPI_INDEX_BPP]) {
      case 4: case 8: case 16: case 24: case 32: bits = r[DISPI_INDEX_BPP]; break;
      case 15: bits = 16; break;
      default: bits = r[DISPI_INDEX_BPP] = 8;
    }
    r[DISPI_INDEX_XRES] &= ~7;
    if (r[DISPI_INDEX_XRES] === 0) r[DISPI_INDEX_XRES] = 8;
    if (r[DISPI_INDEX_XRES] > DISPI_MAX_XRES) r[DISPI_INDEX_XRES] = DISPI_MAX_XRES;
    r[DISPI_INDEX_VIRT_WIDTH] &= ~7;
    if (r[DISPI_INDEX_VIRT_WIDTH] > DISPI_MAX_XRES) r[DISPI_INDEX_VIRT_WIDTH] = DISPI_MAX_XRES;
    if (r[DISPI_INDEX_VIRT_WIDTH] < r[DISPI_INDEX_XRES]) r[DISPI_INDEX_VIRT_WIDTH] = r[DISPI_INDEX_XRES];
    const lineLength = (r[DISPI_INDEX_VIRT_WIDTH] * bits) >>> 3;
    const maxY = Math.floor(this.vbeSize / lineLength);
    if (r[DISPI_INDEX_YRES] === 0) r[DISPI_INDEX_YRES] = 1;
    if (r[DISPI_INDEX_YRES] > DISPI_MAX_YRES) r[DISPI_INDEX_YRES] = DISPI_MAX_YRES;
    if (r[DISPI_INDEX_YRES] > maxY) r[DISPI_INDEX_YRES] = maxY;
    if (r[DISPI_INDEX_X_OFFSET] > DISPI_MAX_XRES) r[DISPI_INDEX_X_OFFSET] = DISPI_MAX_XRES;
    if (r[DISPI_INDEX_Y_OFFSET] > DISPI_MAX_YRES) r[DISPI_INDEX_Y_OFFSET] = DISPI_MAX_YRES;
    let offset = ((r[DISPI_INDEX_X_OFFSET] * bits) >>> 3) + r[DISPI_INDEX_Y_OFFSET] * lineLength;
    if (offset + r[DISPI_INDEX_YRES] * lineLength > this.vbeSize) {
      r[DISPI_INDEX_Y_OFFSET] = 0;
      offset = (r[DISPI_INDEX_X_OFFSET] * bits) >>> 3;
      if (offset + r[DISPI_INDEX_YRES] * lineLength > this.vbeSize) {
        r[DISPI_INDEX_X_OFFSET] = 0;
        offset = 0;
      }
    }
    r[DISPI_INDEX_VIRT_HEIGHT] = Math.min(0xffff, maxY);
    this.vbeLineOffset = lineLength;
    this.vbeStartAddr = offset >>> 2;
  }

  /** QEMU vbe_update_vgaregs, the sequencer/graphics part (the CRTC part is the device's). */
  private updateVgaRegsForVbe(): void {
    if (!this.vbeEnabled) return;
    // Graphics mode, memory map 1 (0xA0000, 64 KiB).
    this.gr[GR_MISC] = (this.gr[GR_MISC] & ~0x0c) | 0x05;
    let shift: number;
    if (this.vbeRegs[DISPI_INDEX_BPP] === 4) {
      shift = 0;
      this.sr[SR_CLOCK_MODE] &= ~8;
    } else {
      shift = 2;
      this.sr[SR_MEMORY_MODE] |= SR04_CHN_4;
      this.sr[SR_PLANE_WRITE] |= 0x0f;
    }
    this.gr[GR_MODE] = (this.gr[GR_MODE] & ~0x60) | (shift << 5);
    this.onVbeUpdate?.();
  }

  // ---- the memory window ---------------------------------------------------------------------

  /** Window offset (0..0x1FFFF from 0xA0000) → VGA memory address, or -1 when not decoded. */
  private decode(offset: number): number {
    const addr = offset & 0x1ffff;
    switch ((this.gr[GR_MISC] >> 2) & 3) {
      case 0: return addr;
      case 1: return addr >= 0x10000 ? -1 : addr + this.bankOffset;
      case 2: return addr >= 0x10000 && addr < 0x18000 ? addr - 0x10000 : -1;
      default: return addr >= 0x18000 ? addr - 0x18000 : -1;
    }
  }

  /** A byte read at `offset` from 0xA0000. */
  readByte(offset: number): number {
    let addr = this.decode(offset);
    if (addr < 0) return 0xff;
    if (this.sr[SR_MEMORY_MODE] & SR04_CHN_4) {
      return addr < this.vbeSize ? this.vram[addr] : 0xff;
    }
    if (this.gr[GR_MODE] & 0x10) {
      // Odd/even (text) mapping: the plane comes from A0 and the GR4 page bit.
      const plane = (this.gr[GR_PLANE_READ] & 2) | (addr & 1);
      addr = ((addr & ~1) << 1) | plane;
      return addr < this.vbeSize ? this.vram[addr] : 0xff;
    }
    if (addr >= this.vram32.length) return 0xff;
    const latch = this.vram32[addr];
    this.latch = latch;
    if (!(this.gr[GR_MODE] & 8)) {
      // Read mode 0: one plane.
      return (latch >>> ((this.gr[GR_PLANE_READ] & 3) * 8)) & 0xff;
    }
    // Read mode 1: colour compare, with "colour don't care" planes ignored.
    let r = ((latch ^ MASK16[this.gr[GR_COMPARE_VALUE] & 0xf]) & MASK16[this.gr[GR_COMPARE_MASK] & 0xf]) >>> 0;
    r |= r >>> 16;
    r |= r >>> 8;
    return ~r & 0xff;
  }

  /** A byte write at `offset` from 0xA0000. */
  writeByte(offset: number, value: number): void {
    let addr = this.decode(offset);
    if (addr < 0) return;
    value &= 0xff;
    const planeMask = this.sr[SR_PLANE_WRITE] & 0x0f;
    if (this.sr[SR_MEMORY_MODE] & SR04_CHN_4) {
      // Chain-4: A1-A0 select the plane; the byte goes straight to VRAM.
      if (planeMask & (1 << (addr & 3)) && addr < this.vbeSize) this.vram[addr] = value;
      return;
    }
    if (!(this.sr[SR_MEMORY_MODE] & SR04_SEQ_MODE)) {
      // Odd/even: even addresses to plane 0 (2), odd to plane 1 (3).
      const plane = (this.gr[GR_PLANE_READ] & 2) | (addr & 1);
      if (planeMask & (1 << plane)) {
        addr = ((addr & ~1) << 1) | plane;
        if (addr < this.vbeSize) this.vram[addr] = value;
      }
      return;
    }
    if (addr >= this.vram32.length) return;
    const gr = this.gr;
    let val: number;
    let bitMask: number;
    switch (gr[GR_MODE] & 3) {
      case 0: {
        const b = gr[GR_DATA_ROTATE] & 7;
        val = ((value >>> b) | (value << (8 - b))) & 0xff;
        val = (val * 0x01010101) >>> 0;
        const setMask = MASK16[gr[GR_SR_ENABLE] & 0xf];
        val = ((val & ~setMask) | (MASK16[gr[GR_SR_VALUE] & 0xf] & setMask)) >>> 0;
        bitMask = gr[GR_BIT_MASK];
        break;
      }
      case 1:
        this.store(addr, this.latch, planeMask);
        return;
      case 2:
        val = MASK16[value & 0xf];
        bitMask = gr[GR_BIT_MASK];
        break;
      default: {
        const b = gr[GR_DATA_ROTATE] & 7;
        const rot = ((value >>> b) | (value << (8 - b))) & 0xff;
        bitMask = gr[GR_BIT_MASK] & rot;
        val = MASK16[gr[GR_SR_VALUE] & 0xf];
        break;
      }
    }
    switch (gr[GR_DATA_ROTATE] >> 3) {
      case 1: val &= this.latch; break;
      case 2: val |= this.latch; break;
      case 3: val ^= this.latch; break;
    }
    const bm = (bitMask * 0x01010101) >>> 0;
    val = ((val & bm) | (this.latch & ~bm)) >>> 0;
    this.store(addr, val, planeMask);
  }

  private store(addr: number, val: number, planeMask: number): void {
    const wm = MASK16[planeMask];
    this.vram32[addr] = ((this.vram32[addr] & ~wm) | (val & wm)) >>> 0;
  }

  /** An MMIO read of 1, 2 or 4 bytes (little-endian bytes, each through the window logic). */
  read(offset: number, size: number): number {
    if (size === 1) return this.readByte(offset);
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.readByte(offset + i) << (8 * i);
    return v >>> 0;
  }

  write(offset: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) this.writeByte(offset + i, (value >>> (8 * i)) & 0xff);
  }

  /**
   * Which parts of the 128 KiB window may be mapped straight onto VRAM (RAM pages in the CPU
   * core, no exits): only in chain-4 mode with all four planes write-enabled, where a window
   * access is exactly vram[addr]. Everything else (planar, odd/even, undecoded holes) must go
   * through readByte/writeByte.
   */
  directPlan(): WindowMapping[] {
    const chain4 = (this.sr[SR_MEMORY_MODE] & SR04_CHN_4) !== 0 && (this.sr[SR_PLANE_WRITE] & 0xf) === 0xf;
    const map = (this.gr[GR_MISC] >> 2) & 3;
    if (!chain4) return [{ start: 0, length: 0x20000, vramOffset: null }];
    const fits = (off: number, len: number) => off + len <= this.vbeSize;
    switch (map) {
      case 0:
        return [{ start: 0, length: 0x20000, vramOffset: fits(0, 0x20000) ? 0 : null }];
      case 1:
        return [
          { start: 0, length: 0x10000, vramOffset: fits(this.bankOffset, 0x10000) ? this.bankOffset : null },
          { start: 0x10000, length: 0x10000, vramOffset: null },
        ];
      case 2:
        return [
          { start: 0, length: 0x10000, vramOffset: null },
          { start: 0x10000, length: 0x8000, vramOffset: 0 },
          { start: 0x18000, length: 0x8000, vramOffset: null },
        ];
      default:
        return [
          { start: 0, length: 0x18000, vramOffset: null },
          { start: 0x18000, length: 0x8000, vramOffset: 0 },
        ];
    }
  }

  // ---- state -------------------------------------------------------------------------------

  saveRegs(): VgaMemoryRegs {
    return {
      sr: [...this.sr], srIndex: this.srIndex, gr: [...this.gr], grIndex: this.grIndex,
      vbeIndex: this.vbeIndex, vbeRegs: [...this.vbeRegs], latch: this.latch >>> 0,
    };
  }

  /** Restore registers saved by saveRegs (validated: wrong shapes throw). */
  loadRegs(s: VgaMemoryRegs): void {
    const bytes = (a: unknown, n: number, name: string): number[] => {
      if (!Array.isArray(a) || a.length !== n || !a.every((x) => Number.isInteger(x))) {
        throw new Error(`VGA state: '${name}' must be ${n} integers`);
      }
      return a as number[];
    };
    this.sr.set(bytes(s.sr, 8, 'sr').map((v, i) => v & SR_MASK[i]));
    this.gr.set(bytes(s.gr, 16, 'gr').map((v, i) => v & GR_MASK[i]));
    this.vbeRegs.set(bytes(s.vbeRegs, DISPI_INDEX_NB, 'vbeRegs').map((v) => v & 0xffff));
    this.srIndex = (s.srIndex >>> 0) & 7;
    this.grIndex = (s.grIndex >>> 0) & 0xf;
    this.vbeIndex = (s.vbeIndex >>> 0) & 0xffff;
    this.latch = s.latch >>> 0;
    this.vbeRegs[DISPI_INDEX_BANK] &= this.bankMask;
    this.bankOffset = this.vbeRegs[DISPI_INDEX_BANK] << 16;
    this.fixupVbe();
    this.changed(true);
  }
}

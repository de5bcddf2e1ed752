/**
 * The physical memory map of the i440FX PC, expressed as 4 KiB page kinds in the CPU core's
 * page map (CpuCoreApi.mapPhysical):
 *
 *   0x00000000-0x0009FFFF  RAM (conventional memory)
 *   0x000A0000-0x000BFFFF  legacy VGA window: MMIO when a display device claims it, else open bus
 *   0x000C0000-0x000DFFFF  option-ROM space ("pc.rom", read-only) / shadow RAM, per PAM
 *   0x000E0000-0x000FFFFF  system BIOS (top 128 KiB of the image) / shadow RAM, per PAM
 *   0x00100000-ramSize     RAM
 *   ramSize-(4G-biosSize)  PCI hole: MMIO pages where BARs are mapped, else open bus
 *   4G-biosSize..4G        the whole BIOS image (read-only)
 *
 * Shadowing follows the 82441FX datasheet, PAM registers 0x59-0x5F (and QEMU hw/pci-host/
 * pam.c): per segment, bit 0 (RE) sends reads to DRAM, bit 1 (WE) sends writes to DRAM;
 * otherwise the access goes to the PCI side, where the ROM lives (writes to ROM are dropped).
 *   attr 0: ROM page (reads ROM, writes dropped)        attr 1: shadow RAM mapped read-only
 *   attr 3: shadow RAM                                  attr 2: reads ROM, writes RAM — no
 *   single page kind does that, so those pages are MMIO served here (rare: SeaBIOS uses 3/1).
 * Shadow RAM is the guest RAM under 1 MiB. Nothing is copied at startup: SeaBIOS copies itself
 * from the high alias into shadow RAM after enabling it, as on real hardware.
 *
 * SMRAM (82441FX register 0x72) is not modelled: the VGA window always goes to the PCI side.
 * A20 masking is the core's (CpuCoreApi.setA20); this map only records the state.
 */
import type { AccessSize } from '../devices/api.js';
import { PhysKind, type CpuCoreApi } from './cpu-api.js';
import type { MemoryLayout } from './layout.js';

export const PAGE = 4096;
export const VGA_WINDOW_BASE = 0xa0000;
export const VGA_WINDOW_END = 0xc0000;
export const OPTION_ROM_BASE = 0xc0000;
export const ISA_BIOS_BASE = 0xe0000;
export const ONE_MIB = 0x100000;
const FOUR_GIB = 0x1_0000_0000;

/** Where things live inside the ROM area of the shared memory (layout.romOffset). */
export const ROM_SLOT_BIOS = 0; // the system BIOS image, up to 1 MiB
export const ROM_SLOT_OPTION = 0x100000; // "pc.rom": 128 KiB, what 0xC0000-0xDFFFF shows with PAM off
export const ROM_SLOT_EXTRA = 0x120000; // further images (option ROMs), each 4 KiB aligned
export const MAX_BIOS_SIZE = 0x100000;

/** The part of the core the memory map drives. */
export type PhysMapper = Pick<CpuCoreApi, 'mapPhysical' | 'setA20'>;

/** One PAM segment: a range of the 0xC0000-0xFFFFF area with its 2-bit attribute. */
interface PamSegment {
  base: number;
  size: number;
  /** Register index 0..6 (config offset 0x59 + index) and nibble (0 low, 1 high). */
  reg: number;
  high: boolean;
  attr: number;
}

export interface RomImage {
  name: string;
  /** Absolute offset in the shared memory. */
  offset: number;
  size: number;
}

export class MemoryMap {
  private readonly segments: PamSegment[] = [];
  private biosSize = 0;
  private extraUsed = 0;
  private readonly images: RomImage[] = [];
  /** Page ranges currently marked MMIO for devices (so they can be unmarked). */
  private mmioMarked: { base: number; length: number }[] = [];
  private mmioRanges: { base: number; length: number }[] = [];
  private a20Enabled = true;
  private readonly pamRegs = new Uint8Array(7);

  /**
   * `memory` is a byte view of the whole shared memory (RAM, VRAM and ROM areas at the
   * layout's offsets).
   */
  constructor(private readonly core: PhysMapper, readonly layout: MemoryLayout, private readonly memory: Uint8Array) {
    if (memory.length < layout.totalBytes) throw new Error('memory map: the shared memory is smaller than the layout');
    // PAM0 high nibble: 0xF0000-0xFFFFF; PAM1..PAM6: 16 KiB each, low nibble first.
    this.segments.push({ base: 0xf0000, size: 0x10000, reg: 0, high: true, attr: 0 });
    for (let reg = 1; reg <= 6; reg++) {
      const base = 0xc0000 + (reg - 1) * 0x8000;
      this.segments.push({ base, size: 0x4000, reg, high: false, attr: 0 });
      this.segments.push({ base: base + 0x4000, size: 0x4000, reg, high: true, attr: 0 });
    }
    this.segments.sort((a, b) => a.base - b.base);
  }

  /** Guest RAM as bytes (physical 0 .. ramSize-1). */
  ramView(): Uint8Array {
    return this.memory.subarray(this.layout.ramOffset, this.layout.ramOffset + this.layout.ramSize);
  }

  /**
   * Load the system BIOS image into the ROM area. Its size must be a multiple of 64 KiB, from
   * 64 KiB to 1 MiB (QEMU's rule for -bios).
   */
  loadBios(image: Uint8Array): void {
    if (image.length < 0x10000 || image.length > MAX_BIOS_SIZE || image.length % 0x10000 !== 0) {
      throw new Error(`BIOS image must be a multiple of 64 KiB from 64 KiB to 1 MiB, got ${image.length} bytes`);
    }
    const at = this.layout.romOffset + ROM_SLOT_BIOS;
    this.memory.fill(0, at, at + MAX_BIOS_SIZE);
    this.memory.set(image, at);
    this.biosSize = image.length;
  }

  /** Store another ROM image (an option ROM) in the ROM area; returns where it went. */
  addRomImage(name: string, bytes: Uint8Array): RomImage {
    const size = Math.ceil(bytes.length / PAGE) * PAGE;
    if (ROM_SLOT_EXTRA + this.extraUsed + size > this.layout.romSize) {
      throw new Error(`ROM area full: no room for '${name}' (${bytes.length} bytes)`);
    }
    const offset = this.layout.romOffset + ROM_SLOT_EXTRA + this.extraUsed;
    this.memory.fill(0, offset, offset + size);
    this.memory.set(bytes, offset);
    this.extraUsed += size;
    const img = { name, offset, size: bytes.length };
    this.images.push(img);
    return img;
  }

  romImages(): readonly RomImage[] {
    return this.images;
  }

  /** Map everything from scratch (machine build and reset). PAM registers go back to 0. */
  mapAll(): void {
    if (this.biosSize === 0) throw new Error('memory map: no BIOS loaded');
    const { ramSize, ramOffset, romOffset } = this.layout;
    const core = this.core;
    // Conventional memory and extended memory.
    core.mapPhysical(0, VGA_WINDOW_BASE, PhysKind.Ram, ramOffset);
    core.mapPhysical(ONE_MIB, ramSize - ONE_MIB, PhysKind.Ram, ramOffset + ONE_MIB);
    // Everything else starts as open bus.
    core.mapPhysical(ramSize, FOUR_GIB - ramSize - this.biosSize, PhysKind.Unmapped, 0);
    core.mapPhysical(FOUR_GIB - this.biosSize, this.biosSize, PhysKind.Rom, romOffset + ROM_SLOT_BIOS);
    this.mmioMarked = [];
    this.applyVgaWindow();
    this.pamRegs.fill(0);
    for (const s of this.segments) {
      s.attr = 0;
      this.mapSegment(s);
    }
    this.markMmio();
  }

  // ---- PAM -------------------------------------------------------------------------------

  /** A write of PAM register `index` (0..6 = 82441FX config 0x59..0x5F). */
  setPam(index: number, value: number): void {
    if (!(index >= 0 && index <= 6)) throw new RangeError(`PAM register index ${index}`);
    value &= index === 0 ? 0x30 : 0x33;
    if (this.pamRegs[index] === value) return;
    this.pamRegs[index] = value;
    for (const s of this.segments) {
      if (s.reg !== index) continue;
      const attr = (value >> (s.high ? 4 : 0)) & 3;
      if (attr !== s.attr) {
        s.attr = attr;
        this.mapSegment(s);
      }
    }
  }

  /**
   * Apply PAM segment attributes as the i440FX model reports them (its PamListener): each
   * segment by base and size, reads/writes to DRAM or not. Segments must match the 13 PAM
   * segments of the 82441FX.
   */
  applyPamSegments(segments: readonly { base: number; size: number; readRam: boolean; writeRam: boolean }[]): void {
    for (const seg of segments) {
      const s = this.segments.find((x) => x.base === seg.base && x.size === seg.size);
      if (!s) throw new Error(`memory map: no PAM segment at 0x${seg.base.toString(16)} size 0x${seg.size.toString(16)}`);
      const attr = (seg.readRam ? 1 : 0) | (seg.writeRam ? 2 : 0);
      const shift = s.high ? 4 : 0;
      this.pamRegs[s.reg] = (this.pamRegs[s.reg] & ~(3 << shift)) | (attr << shift);
      if (attr !== s.attr) {
        s.attr = attr;
        this.mapSegment(s);
      }
    }
  }

  pam(index: number): number {
    return this.pamRegs[index];
  }

  /** The ROM a segment shows when DRAM is not selected: pc.rom or the top of the BIOS image. */
  private romBacking(addr: number): number | undefined {
    const { romOffset } = this.layout;
    if (addr < ISA_BIOS_BASE) return romOffset + ROM_SLOT_OPTION + (addr - OPTION_ROM_BASE);
    const isaBiosSize = Math.min(this.biosSize, 0x20000);
    const isaBase = ONE_MIB - isaBiosSize;
    if (addr < isaBase) return undefined; // small BIOS: nothing there
    return romOffset + ROM_SLOT_BIOS + this.biosSize - isaBiosSize + (addr - isaBase);
  }

  private mapSegment(s: PamSegment): void {
    const ramAt = this.layout.ramOffset + s.base;
    const core = this.core;
    switch (s.attr) {
      case 3:
        core.mapPhysical(s.base, s.size, PhysKind.Ram, ramAt);
        break;
      case 1:
        core.mapPhysical(s.base, s.size, PhysKind.Rom, ramAt);
        break;
      case 2:
        core.mapPhysical(s.base, s.size, PhysKind.Mmio, 0);
        break;
      default: {
        const rom = this.romBacking(s.base);
        if (rom === undefined) core.mapPhysical(s.base, s.size, PhysKind.Unmapped, 0);
        else core.mapPhysical(s.base, s.size, PhysKind.Rom, rom);
      }
    }
  }

  private segmentAt(addr: number): PamSegment | undefined {
    if (addr < OPTION_ROM_BASE || addr >= ONE_MIB) return undefined;
    for (const s of this.segments) if (addr >= s.base && addr < s.base + s.size) return s;
    return undefined;
  }

  /**
   * MMIO that no device claimed: serve write-only PAM segments (reads from ROM, writes to
   * shadow RAM). Returns undefined when the address is not such a segment.
   */
  fallbackRead(addr: number, size: AccessSize): number | undefined {
    const s = this.segmentAt(addr);
    if (!s || s.attr !== 2) return undefined;
    let v = 0;
    for (let i = 0; i < size; i++) {
      const rom = this.romBacking(addr + i);
      v |= (rom === undefined ? 0xff : this.memory[rom]) << (8 * i);
    }
    return v >>> 0;
  }

  fallbackWrite(addr: number, size: AccessSize, value: number): boolean {
    const s = this.segmentAt(addr);
    if (!s || s.attr !== 2) return false;
    const at = this.layout.ramOffset + addr;
    for (let i = 0; i < size; i++) this.memory[at + i] = (value >>> (8 * i)) & 0xff;
    return true;
  }

  // ---- device MMIO and the VGA window ---------------------------------------------------

  /**
   * The router's mapped MMIO ranges changed: re-mark pages outside RAM, the ROM areas and the
   * BIOS alias as MMIO where a device decodes them, open bus elsewhere.
   */
  setMmioRanges(ranges: { base: number; length: number }[]): void {
    this.mmioRanges = ranges.map((r) => ({ base: r.base, length: r.length }));
    if (this.biosSize === 0) return; // not mapped yet; mapAll() will mark them
    this.markMmio();
    this.applyVgaWindow();
  }

  private markMmio(): void {
    for (const m of this.mmioMarked) this.core.mapPhysical(m.base, m.length, PhysKind.Unmapped, 0);
    this.mmioMarked = [];
    const lo = this.layout.ramSize;
    const hi = FOUR_GIB - this.biosSize;
    for (const r of this.mmioRanges) {
      const start = Math.max(lo, Math.floor(r.base / PAGE) * PAGE);
      const end = Math.min(hi, Math.ceil((r.base + r.length) / PAGE) * PAGE);
      if (end <= start) continue;
      this.core.mapPhysical(start, end - start, PhysKind.Mmio, 0);
      this.mmioMarked.push({ base: start, length: end - start });
    }
  }

  private applyVgaWindow(): void {
    const claimed = this.mmioRanges.some((r) => r.base < VGA_WINDOW_END && VGA_WINDOW_BASE < r.base + r.length);
    this.core.mapPhysical(VGA_WINDOW_BASE, VGA_WINDOW_END - VGA_WINDOW_BASE, claimed ? PhysKind.Mmio : PhysKind.Unmapped, 0);
  }

  // ---- A20 ---------------------------------------------------------------------------------

  setA20(enabled: boolean): void {
    this.a20Enabled = enabled;
    this.core.setA20(enabled);
  }

  get a20(): boolean {
    return this.a20Enabled;
  }

  /** A readable summary of the map (reports, docs, tests). */
  describe(): string[] {
    const h = (n: number) => '0x' + n.toString(16).padStart(8, '0');
    const names = ['ROM', 'RAM read-only', 'RAM write-only', 'RAM'];
    const out = [
      `${h(0)}-${h(VGA_WINDOW_BASE - 1)} RAM`,
      `${h(VGA_WINDOW_BASE)}-${h(VGA_WINDOW_END - 1)} VGA window`,
    ];
    for (const s of this.segments) out.push(`${h(s.base)}-${h(s.base + s.size - 1)} PAM ${names[s.attr]}`);
    out.push(`${h(ONE_MIB)}-${h(this.layout.ramSize - 1)} RAM`);
    for (const m of this.mmioMarked) out.push(`${h(m.base)}-${h(m.base + m.length - 1)} MMIO`);
    out.push(`${h(FOUR_GIB - this.biosSize)}-${h(FOUR_GIB - 1)} BIOS`);
    return out;
  }
}

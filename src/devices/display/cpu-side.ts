/**
 * VgaCpuSide: the part of the std VGA that runs in the CPU worker so guest video-memory
 * accesses never wait for the display worker (docs/display.md, "Memory paths").
 *
 * It is a second VgaMemoryWindow over the same VRAM (the machine memory at layout.vramOffset),
 * fed the same port writes as the device — from the I/O router's write taps, which run in CPU
 * order before the write is posted to the display worker — so its sequencer, graphics
 * controller and DISPI state always equal what the guest last wrote, with no synchronisation.
 * It serves the 0xA0000-0xBFFFF window (all planar/odd-even/latch logic) and BAR0 (linear
 * VRAM), performs the VRAM side effects of register writes (the VBE enable screen clear) in
 * order, and asks the machine to map the window straight onto VRAM (RAM pages, no exits)
 * whenever a window access is a plain vram[addr] (chain-4 with all planes enabled).
 *
 * Pure code: no worker APIs. The machine wires it (see withVgaCpuSide and the docs).
 */
import type { AccessSize, DeviceModel, DeviceState } from '../api.js';
import { VgaMemoryWindow, type VgaMemoryRegs, type WindowMapping } from './vga-memory.js';

/** The legacy window's physical base. */
export const VGA_WINDOW_PHYS = 0xa0000;

/** What the machine provides to map window pages (CpuCoreApi.mapPhysical underneath). */
export interface VgaPageMapper {
  /**
   * Route guest physical [physStart, physStart+length) (4 KiB aligned) straight to VRAM bytes
   * [vramOffset, vramOffset+length) as RAM pages, or — vramOffset null — back to MMIO exits
   * (which the machine sends to VgaCpuSide.mmioRead/mmioWrite, region 0).
   */
  mapWindow(physStart: number, length: number, vramOffset: number | null): void;
}

export class VgaCpuSide {
  /**
   * Ports whose writes (of any width) can reach 0x3C4/5, 0x3CE/F or the DISPI index/data:
   * tap each with router.tapPortWrites(port, (size, value) => observePortWrite(port, size, value)).
   */
  static readonly TAPPED_PORTS: readonly number[] = [0x3c1, 0x3c2, 0x3c3, 0x3c4, 0x3c5, 0x3cc, 0x3cd, 0x3ce, 0x3cf, 0x1ce, 0x1cf];

  readonly window: VgaMemoryWindow;
  private plan: WindowMapping[] = [];
  /** Statistics: window accesses served here, and remaps requested. */
  readonly stats = { reads: 0, writes: 0, remaps: 0 };

  /**
   * `vram`: the VRAM view (same bytes the device renders from; the device's vgamem_mb
   * prefix). `mapper`: optional — without it every window access exits to mmioRead/mmioWrite.
   */
  constructor(readonly vram: Uint8Array, private readonly mapper?: VgaPageMapper) {
    this.window = new VgaMemoryWindow(vram, true);
    this.window.onLayoutChange = () => this.replan();
    this.replan();
  }

  /** A port write the router saw (before it is delivered to the device). */
  observePortWrite(port: number, size: AccessSize, value: number): void {
    port &= 0xffff;
    if (port === 0x1ce || port === 0x1cf) {
      // The DISPI region implements 1 and 2 bytes; a 4-byte access is split by the router
      // and its upper half lands on 0x1D0/0x1D1, which the device ignores.
      this.window.writeDispi(port - 0x1ce, size === 1 ? value & 0xff : value & 0xffff);
      return;
    }
    for (let i = 0; i < size; i++) {
      const p = port + i;
      if (p === 0x3c4 || p === 0x3c5 || p === 0x3ce || p === 0x3cf) this.window.writeVgaPort(p, (value >>> (8 * i)) & 0xff);
    }
  }

  /** MMIO read: region 0 = the legacy window (offset from 0xA0000), 1 = BAR0. */
  mmioRead(region: number, offset: number, size: AccessSize): number {
    this.stats.reads++;
    if (region === 0) return this.window.read(offset, size);
    let v = 0;
    for (let i = 0; i < size; i++) {
      const a = offset + i;
      v |= (a < this.vram.length ? this.vram[a] : 0xff) << (8 * i);
    }
    return v >>> 0;
  }

  mmioWrite(region: number, offset: number, size: AccessSize, value: number): void {
    this.stats.writes++;
    if (region === 0) {
      this.window.write(offset, size, value);
      return;
    }
    for (let i = 0; i < size; i++) {
      const a = offset + i;
      if (a < this.vram.length) this.vram[a] = (value >>> (8 * i)) & 0xff;
    }
  }

  /** Machine reset (with the device's). */
  reset(): void {
    this.window.reset();
  }

  /** After the device's loadState: take the memory registers from the same state. */
  loadState(state: DeviceState): void {
    const mem = (state.data as { mem?: VgaMemoryRegs }).mem;
    if (!mem) throw new Error('VGA CPU side: state has no memory registers');
    this.window.loadRegs(mem);
  }

  /**
   * Apply the current plan again (after the machine rebuilt its page map, e.g. on reset, which
   * marks the whole window MMIO).
   */
  reapply(): void {
    if (!this.mapper) return;
    for (const m of this.plan) this.mapper.mapWindow(VGA_WINDOW_PHYS + m.start, m.length, m.vramOffset);
  }

  /** The current mapping plan (for reports and tests). */
  currentPlan(): readonly WindowMapping[] {
    return this.plan;
  }

  private replan(): void {
    const next = this.window.directPlan();
    const same = next.length === this.plan.length &&
      next.every((m, i) => m.start === this.plan[i].start && m.length === this.plan[i].length && m.vramOffset === this.plan[i].vramOffset);
    if (same) return;
    this.plan = next;
    if (!this.mapper) return;
    this.stats.remaps++;
    for (const m of next) this.mapper.mapWindow(VGA_WINDOW_PHYS + m.start, m.length, m.vramOffset);
  }
}

/**
 * Wrap the std VGA's model (local, or the channel's proxy for the display worker) so the
 * memory regions are served by `cpu` in the calling worker: MMIO region 0 (the legacy window)
 * and region 1 (BAR0) go to `cpu`; reset/loadState reach both; saveState takes the latches
 * from `cpu` (the device's own window never sees memory reads then). Port I/O, PCI, the
 * DisplayDevice methods and everything else go to `model` unchanged.
 */
export function withVgaCpuSide(model: DeviceModel, cpu: VgaCpuSide): DeviceModel {
  const wrapped: DeviceModel = {
    ...bindAll(model),
    mmioRead: (region, offset, size) => cpu.mmioRead(region, offset, size),
    mmioWrite: (region, offset, size, value) => cpu.mmioWrite(region, offset, size, value),
    reset: () => {
      model.reset?.();
      cpu.reset();
    },
    loadState: (state) => {
      model.loadState?.(state);
      cpu.loadState(state);
    },
  };
  if (model.saveState) {
    wrapped.saveState = () => {
      const st = model.saveState!();
      const mem = (st.data as { mem?: VgaMemoryRegs }).mem;
      if (mem) mem.latch = cpu.window.latch >>> 0;
      return st;
    };
  }
  return wrapped;
}

/** The model's methods (device and display) bound to it, as own properties. */
function bindAll(model: DeviceModel): DeviceModel {
  const out: Record<string, unknown> = {};
  const names = [
    'ioRead', 'ioWrite', 'ioReadString', 'ioWriteString', 'pciConfigRead', 'pciConfigWrite', 'pciBarChanged',
    'saveState', 'destroy',
    // DisplayDevice (render/types.ts), so asDisplayDevice() still finds them on the wrapper.
    'renderFrame', 'screenText', 'screenshotPng', 'displayMode',
  ];
  for (const n of names) {
    const f = (model as Record<string, unknown>)[n];
    if (typeof f === 'function') out[n] = (f as (...a: unknown[]) => unknown).bind(model);
  }
  return out as DeviceModel;
}

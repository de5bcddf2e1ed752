/**
 * The CPU-side half of the std VGA (src/devices/display/cpu-side.ts), wired into the machine as
 * docs/display.md ("What the machine must wire") lists: a VgaCpuSide over the framebuffer's
 * VRAM in the shared memory, its page mapper on CpuCoreApi.mapPhysical, the device model
 * wrapped so MMIO regions 0 (the 0xA0000 window) and 1 (BAR0) are served in the CPU thread,
 * write taps on the ports that change its memory registers, the plan re-applied whenever the
 * memory map re-marks pages, and BAR0 (vramBacked) mapped as RAM pages onto the VRAM.
 * Text-mode and chain-4 window accesses and LFB accesses then never reach the display worker.
 */
import type { DeviceModel } from '../devices/api.js';
import { VgaCpuSide, withVgaCpuSide } from '../devices/display/cpu-side.js';
import { PhysKind, type CpuCoreApi } from './cpu-api.js';
import type { IoRouter } from './io-router.js';
import type { MemoryLayout } from './layout.js';

const PAGE = 4096;

export class VgaWiring {
  readonly cpu: VgaCpuSide;
  private bar0: { base: number; enabled: boolean } = { base: 0, enabled: false };
  /** Where BAR0 is mapped as RAM pages now. */
  private mappedAt: { base: number; length: number } | undefined;

  /** `vramBytes`: the device's VRAM size (vgamem_mb MiB), at most layout.vramSize. */
  constructor(
    private readonly core: CpuCoreApi,
    private readonly layout: MemoryLayout,
    memory: Uint8Array,
    private readonly vramBytes: number,
    private readonly remarkMmio: () => void,
  ) {
    const size = Math.min(vramBytes, layout.vramSize);
    this.cpu = new VgaCpuSide(memory.subarray(layout.vramOffset, layout.vramOffset + size), {
      mapWindow: (phys, len, off) => {
        if (off === null) core.mapPhysical(phys, len, PhysKind.Mmio, 0);
        else core.mapPhysical(phys, len, PhysKind.Ram, layout.vramOffset + off);
      },
    });
  }

  /** The model for the router: regions 0/1 served here; BAR0 moves tracked. */
  wrap(model: DeviceModel): DeviceModel {
    const wrapped = withVgaCpuSide(model, this.cpu);
    // Keep the monolithic guard's `model` reachable (callers that look behind the guard for the
    // DisplayDevice methods; Machine.display() is the supported way).
    const behind = (model as { model?: unknown }).model;
    if (behind !== undefined) Object.defineProperty(wrapped, 'model', { get: () => (model as { model?: unknown }).model });
    const inner = wrapped.pciBarChanged;
    wrapped.pciBarChanged = (bar, base, enabled) => {
      inner?.(bar, base, enabled);
      if (bar !== 0) return;
      this.bar0 = { base, enabled };
      // The old base loses its RAM mapping (open bus, unless the memory map marks it again),
      // then the memory map re-marks the decoded ranges and afterPageMap maps the new one.
      if (this.mappedAt !== undefined) {
        this.core.mapPhysical(this.mappedAt.base, this.mappedAt.length, PhysKind.Unmapped, 0);
        this.mappedAt = undefined;
      }
      this.remarkMmio();
    };
    return wrapped;
  }

  /** Tap every port whose writes the CPU side must see (before the device gets them). */
  tap(router: IoRouter): void {
    for (const port of VgaCpuSide.TAPPED_PORTS) router.tapPortWrites(port, (size, value) => this.cpu.observePortWrite(port, size, value));
  }

  /**
   * After the memory map marked pages (mapAll on reset, setMmioRanges on a BAR move): the window
   * plan again, and BAR0 as RAM pages onto the VRAM when it is decoded.
   */
  afterPageMap(): void {
    this.cpu.reapply();
    if (!this.bar0.enabled || this.bar0.base === 0) return;
    const len = Math.ceil(this.vramBytes / PAGE) * PAGE;
    const start = this.bar0.base;
    if (start < this.layout.ramSize || start + len > 0x1_0000_0000) return;
    const length = Math.min(len, this.layout.vramSize);
    this.core.mapPhysical(start, length, PhysKind.Ram, this.layout.vramOffset);
    this.mappedAt = { base: start, length };
  }
}

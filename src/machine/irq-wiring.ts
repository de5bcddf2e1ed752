/**
 * Interrupt wiring: the IrqLine objects handed to devices, combined onto the 16 ISA inputs of
 * the 8259 pair. Several sources may share one ISA line (PCI INTx routed through PIIX3 PIRQ
 * onto an ISA IRQ, or two ISA devices configured on the same IRQ): the line's level is the OR
 * of its sources (wired-OR of level-triggered sources, as PIIX3 routing does; edge devices
 * simply pulse their source). PCI INTx pins reach ISA lines through a router function the PCI
 * bus provides (PIIX3 PIRQRC[A:D], 82371SB datasheet §2.2.4; swizzled by device number).
 */
import type { IrqLine } from '../devices/api.js';

/** What the wiring drives: the PIC's setIrq. */
export type IsaIrqSink = (line: number, level: boolean) => void;

export class IrqWiring {
  /** Per ISA line: bit set of asserted sources (source ids are small integers). */
  private readonly asserted: Set<number>[] = Array.from({ length: 16 }, () => new Set());
  private nextSource = 1;
  private sink: IsaIrqSink | undefined;
  /** Raise/lower counts per ISA line, for reports. */
  readonly raises = new Uint32Array(16);

  /** Connect to the interrupt controller (lines asserted before this are replayed). */
  connect(sink: IsaIrqSink): void {
    this.sink = sink;
    for (let l = 0; l < 16; l++) if (this.asserted[l].size > 0) sink(l, true);
  }

  /** Level of ISA line `line` (OR of its sources). */
  level(line: number): boolean {
    return this.asserted[line]?.size > 0;
  }

  private drive(line: number, source: number, level: boolean): void {
    const set = this.asserted[line];
    const before = set.size > 0;
    if (level) set.add(source);
    else set.delete(source);
    const after = set.size > 0;
    if (after && !before) this.raises[line]++;
    // Wired-OR: only changes of the combined level reach the PIC (a pulse from one source
    // while another holds the line high is lost, as on the real bus).
    if (after !== before) this.sink?.(line, after);
  }

  /** A line for a device wired to fixed ISA IRQ `line` (0..15). */
  isaLine(line: number): IrqLine {
    if (!Number.isInteger(line) || line < 0 || line > 15) throw new RangeError(`ISA IRQ ${line} does not exist`);
    const source = this.nextSource++;
    return this.makeLine((level) => this.drive(line, source, level));
  }

  /**
   * A line for a PCI function's INTx pin: `route()` answers the ISA IRQ the pin currently
   * reaches (PIRQ routing), or -1 when routing is disabled. When the routing changes while
   * the pin is asserted, call `reroute()` on the returned handle.
   */
  pciLine(route: () => number): IrqLine & { reroute(): void } {
    const source = this.nextSource++;
    let level = false;
    let current = -1;
    const apply = () => {
      const target = level ? route() : -1;
      if (target === current) return;
      if (current >= 0) this.drive(current, source, false);
      current = target >= 0 && target < 16 ? target : -1;
      if (current >= 0) this.drive(current, source, true);
    };
    const line = this.makeLine((l) => {
      level = l;
      apply();
    });
    return Object.assign(line, { reroute: apply });
  }

  private makeLine(set: (level: boolean) => void): IrqLine {
    return {
      set: (level: boolean) => set(level),
      raise: () => set(true),
      lower: () => set(false),
      pulse: () => {
        set(true);
        set(false);
      },
    };
  }
}

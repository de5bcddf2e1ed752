/**
 * A PCI bus 0 with the functions plugged into it: configuration access by bus/devfn/offset
 * (configuration mechanism #1 lives in the host bridge, i440fx.ts), BAR decode change
 * notification, and INTx routing: a function's interrupt pin is swizzled by slot onto one of
 * the four PIRQ lines (as on QEMU's PC and in SeaBIOS's PIIX routing table), the PIRQ router
 * (PIIX3 registers 0x60-0x63) maps each PIRQ to an ISA IRQ, and every ISA IRQ's level is the
 * OR of all PIRQs routed to it (PCI interrupts are level-triggered and shareable,
 * PCI Local Bus Specification 2.3 section 2.2.6).
 */
import type { AccessSize } from '../../api.js';
import { type PciBarMapping, PciFunction, type PciFunctionOptions } from './config-space.js';

/** Receives BAR decode changes; the machine remaps its I/O router and calls pciBarChanged. */
export type PciBarListener = (fn: PciFunction, mapping: PciBarMapping) => void;

/** The PIRQ→ISA IRQ routing (PIIX3 PIRQRC[A:D]). */
export interface PirqRouter {
  /** ISA IRQ of PIRQ `pirq` (0..3 = A..D), or -1 if the route is disabled. */
  pirqToIrq(pirq: number): number;
  /** The bus registers here to hear about routing register changes. */
  setRoutingListener(listener: () => void): void;
}

export class PciBus {
  private fns = new Map<number, PciFunction>();
  private barListener: PciBarListener | undefined;
  private router: PirqRouter | undefined;
  private irqSink: ((isaIrq: number, level: boolean) => void) | undefined;
  private isaLevels = new Array<boolean>(16).fill(false);

  /** Plug a function in at opts.devfn. Throws if the slot is taken (a machine-building error). */
  addFunction(opts: PciFunctionOptions): PciFunction {
    const devfn = opts.devfn & 0xff;
    if (this.fns.has(devfn)) throw new Error(`PCI 00:${(devfn >> 3).toString(16)}.${devfn & 7} is already in use`);
    const fn = new PciFunction(opts);
    this.fns.set(devfn, fn);
    return fn;
  }

  removeFunction(devfn: number): void {
    const fn = this.fns.get(devfn & 0xff);
    if (!fn) return;
    fn.intxLevel = false;
    this.fns.delete(devfn & 0xff);
    this.updateIntx();
  }

  get(devfn: number): PciFunction | undefined {
    return this.fns.get(devfn & 0xff);
  }

  functions(): PciFunction[] {
    return [...this.fns.values()].sort((a, b) => a.devfn - b.devfn);
  }

  setBarListener(listener: PciBarListener): void {
    this.barListener = listener;
  }

  /** Connect the PIRQ router and the sink that drives ISA IRQ inputs (the PIC's setIrq). */
  setIntxRouting(router: PirqRouter, sink: (isaIrq: number, level: boolean) => void): void {
    this.router = router;
    this.irqSink = sink;
    router.setRoutingListener(() => this.updateIntx());
    this.updateIntx();
  }

  /** Bus 0 configuration read; absent functions and other buses read as all ones. */
  configRead(bus: number, devfn: number, offset: number, size: AccessSize): number {
    const fn = bus === 0 ? this.fns.get(devfn & 0xff) : undefined;
    if (!fn) return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    return fn.read(offset & 0xff, size);
  }

  configWrite(bus: number, devfn: number, offset: number, size: AccessSize, value: number): void {
    const fn = bus === 0 ? this.fns.get(devfn & 0xff) : undefined;
    if (!fn) return;
    const hadIntx = fn.intxAsserted;
    for (const m of fn.write(offset & 0xff, size, value)) this.barListener?.(fn, m);
    if (fn.intxAsserted !== hadIntx) this.updateIntx();
  }

  /** Drive a function's INTx pin (level-triggered). */
  setIntx(devfn: number, level: boolean): void {
    const fn = this.fns.get(devfn & 0xff);
    if (!fn || fn.intxLevel === level) return;
    fn.intxLevel = level;
    this.updateIntx();
  }

  /** PIRQ (0..3) of a function's pin: (pin - 1 + slot - 1) mod 4, as QEMU's PIIX3. */
  static pirqOf(devfn: number, pin: number): number {
    return (pin - 1 + (devfn >> 3) - 1 + 8) & 3;
  }

  /** Levels of PIRQ A..D. */
  pirqLevels(): boolean[] {
    const levels = [false, false, false, false];
    for (const fn of this.fns.values()) {
      if (fn.intxAsserted) levels[PciBus.pirqOf(fn.devfn, fn.identity.interruptPin ?? 0)] = true;
    }
    return levels;
  }

  /** Recompute the ISA IRQ levels from the PIRQs and drive the changes. */
  updateIntx(): void {
    const next = new Array<boolean>(16).fill(false);
    if (this.router) {
      const pirqs = this.pirqLevels();
      for (let p = 0; p < 4; p++) {
        const irq = this.router.pirqToIrq(p);
        if (pirqs[p] && irq >= 0 && irq < 16) next[irq] = true;
      }
    }
    for (let irq = 0; irq < 16; irq++) {
      if (next[irq] !== this.isaLevels[irq]) {
        this.isaLevels[irq] = next[irq];
        this.irqSink?.(irq, next[irq]);
      }
    }
  }

  /** Restore a function's header from a snapshot and notify its BAR decodes. */
  restoreHeader(devfn: number, bytes: Uint8Array): void {
    const fn = this.fns.get(devfn & 0xff);
    if (!fn) return;
    for (const m of fn.loadHeader(bytes)) this.barListener?.(fn, m);
  }

  /** Reset every function's header (decode off, BARs cleared) and notify the unmappings. */
  resetAll(): void {
    for (const fn of this.functions()) {
      fn.resetHeader();
      for (const m of fn.remap()) this.barListener?.(fn, m);
    }
    this.updateIntx();
  }
}

/**
 * Extra interfaces the chipset models offer the machine, beyond the register interface of
 * DeviceModel (src/devices/api.ts): the interrupt controller's INTR/INTA side, the PCI host's
 * bus and PAM listener, the CMOS back door used to fill the BIOS layout, the speaker port.
 * The machine obtains them from a created model with the `as...` guards below.
 */
import type { DeviceModel } from '../api.js';
import type { PciBus } from './pci/bus.js';

/** The PIC pair as the machine and the CPU see it. */
export interface InterruptController {
  /**
   * Drive ISA IRQ input `line` (0..15). Shared lines: the caller ORs its sources. Line 2 is
   * the AT's redirected IRQ 2 and reaches the slave's IR1 (IRQ 9), ORed with line 9.
   */
  setIrq(line: number, level: boolean): void;
  /** Level of the INTR output to the CPU. */
  hasInterrupt(): boolean;
  /** INTA cycle: returns the vector and updates ISR/IRR (spurious → IRQ7/IRQ15 vector). */
  acknowledge(): number;
  /** Called whenever INTR changes level (wire it to CpuCoreApi.setIntr). */
  setOutputListener(listener: (level: boolean) => void): void;
}

/** One PAM-controlled segment of the 0xC0000-0xFFFFF BIOS area. */
export interface PamSegment {
  base: number;
  size: number;
  /** Reads come from RAM (true) or from ROM / the PCI bus (false). */
  readRam: boolean;
  /** Writes go to RAM (true) or are dropped / forwarded to the PCI bus (false). */
  writeRam: boolean;
}

/** Receives PAM changes: the segments whose attributes changed, after the write. */
export type PamListener = (changed: PamSegment[]) => void;

/** The i440FX host as the machine sees it. */
export interface PciHostBridge {
  readonly bus: PciBus;
  setPamListener(listener: PamListener): void;
  /** The current attributes of all 13 PAM segments (0xC0000.. in 16 KiB steps, 0xF0000 64 KiB). */
  pamSegments(): PamSegment[];
}

/** Direct (side-effect-free) CMOS access for the machine's BIOS setup. */
export interface CmosAccess {
  cmosRead(index: number): number;
  cmosWrite(index: number, value: number): void;
  /** NMI mask bit (port 0x70 bit 7) as last written by the guest. */
  readonly nmiMasked: boolean;
}

/** A sink for bytes a device emits (debug console). */
export interface ByteSink {
  write(bytes: Uint8Array): void;
}

/** The state of the PC speaker as set through port 0x61 and PIT channel 2. */
export interface SpeakerState {
  /** Port 0x61 bit 0: gate of PIT channel 2. */
  gate: boolean;
  /** Port 0x61 bit 1: speaker data enable. */
  data: boolean;
  /** PIT channel 2 mode and frequency in Hz (0 if not counting). */
  mode: number;
  frequencyHz: number;
}

export function asInterruptController(m: DeviceModel): InterruptController | undefined {
  const c = m as Partial<InterruptController>;
  return typeof c.setIrq === 'function' && typeof c.acknowledge === 'function' ? (m as unknown as InterruptController) : undefined;
}

export function asPciHostBridge(m: DeviceModel): PciHostBridge | undefined {
  const c = m as Partial<PciHostBridge>;
  return c.bus && typeof c.setPamListener === 'function' ? (m as unknown as PciHostBridge) : undefined;
}

export function asCmosAccess(m: DeviceModel): CmosAccess | undefined {
  const c = m as Partial<CmosAccess>;
  return typeof c.cmosRead === 'function' && typeof c.cmosWrite === 'function' ? (m as unknown as CmosAccess) : undefined;
}

/**
 * The contract between the CPU core (AssemblyScript in src/core, wrapped by
 * src/machine/cpu-core.ts) and the platform that runs it. The platform owns the physical
 * memory map, the chipset and the I/O router; the core owns instruction execution.
 */
import type { AccessSize } from '../devices/api.js';

/** What the core calls out to. Called synchronously from inside run(). */
export interface CpuHost {
  portRead(port: number, size: AccessSize): number;
  portWrite(port: number, size: AccessSize, value: number): void;
  /**
   * Bulk string port input (`rep ins`): read `count` items of `size` bytes from `port` and
   * store them at guest physical `physAddr` (contiguous, inside RAM). Returns items moved.
   */
  portReadString(port: number, size: AccessSize, count: number, physAddr: number): number;
  portWriteString(port: number, size: AccessSize, count: number, physAddr: number): number;
  mmioRead(physAddr: number, size: AccessSize): number;
  mmioWrite(physAddr: number, size: AccessSize, value: number): void;
  /** INTA cycle: the PIC returns the vector of the highest-priority pending interrupt. */
  interruptAcknowledge(): number;
  /** FERR# level from the x87 (CR0.NE=0 error reporting; a PC routes it to IRQ 13). Optional. */
  ferr?(level: boolean): void;
}

/** Kinds of physical page the core's page map knows. */
export const enum PhysKind {
  /** Unbacked: reads all-ones, writes dropped (no exit). */
  Unmapped = 0,
  /** RAM: reads and writes go straight to memory. */
  Ram = 1,
  /** ROM: reads from memory, writes dropped. */
  Rom = 2,
  /** MMIO: every access exits to the host. */
  Mmio = 3,
}

export const enum RunExit {
  /** The instruction budget ran out. */
  Budget = 0,
  /** HLT with interrupts enabled: wait for an interrupt. */
  Halted = 1,
  /** HLT with interrupts disabled (and no NMI): the machine is stuck for good. */
  HaltedForever = 2,
  /** Triple fault: the platform should reset. */
  TripleFault = 3,
  /** The host asked the core to stop early (requestExit()). */
  Requested = 4,
}

export interface CpuCoreApi {
  /** Run up to `maxInstructions`; returns why it stopped. */
  run(maxInstructions: number): RunExit;
  /** Hardware reset (CS:IP = F000:FFF0, CS base FFFF0000). */
  reset(): void;
  /** Level of the INTR pin (from the PIC). */
  setIntr(level: boolean): void;
  nmi(): void;
  setA20(enabled: boolean): void;
  /**
   * Map guest physical [physStart, physStart+length) (4 KiB aligned) to `kind`; for Ram/Rom,
   * backed by memory at `memOffset` (absolute offset in the shared memory). Flushes TLBs.
   */
  mapPhysical(physStart: number, length: number, kind: PhysKind, memOffset: number): void;
  /** Stop run() at the next instruction boundary (called from a host callback). */
  requestExit(): void;
  /** Instructions retired since reset (live: also correct inside a host callback during run()). */
  readonly instructionCount: number;
  /** Time-stamp counter source: the core asks the platform's clock through this. */
  setTscSource(nowNs: () => number, tscHz: number): void;
  /** Register snapshot for reports and tests. */
  registers(): Record<string, number>;
}

// A stand-in for the CPU core in machine tests: it keeps the physical page map like the real
// core (so PAM and BAR effects are observable), and its run() executes a script of steps that
// talk to the platform through the CpuHost, as guest instructions would. Each step may return
// a RunExit to end the slice (e.g. Halted to wait for an interrupt).
import { PhysKind, RunExit, type CpuCoreApi, type CpuHost } from '../../src/machine/cpu-api.js';
import type { MemoryLayout } from '../../src/machine/layout.js';

export type Step = (host: CpuHost, core: ScriptedCore) => RunExit | void;

export class ScriptedCore implements CpuCoreApi {
  kinds = new Uint8Array(1 << 20);
  offsets = new Float64Array(1 << 20);
  intr = false;
  a20 = true;
  resets = 0;
  exitRequested = false;
  retired = 0;
  script: Step[] = [];
  pc = 0;
  /** Vectors taken through interruptAcknowledge while "interrupts are enabled". */
  vectors: number[] = [];
  /** When true, a pending INTR is acknowledged at the start of each run() (IF=1). */
  interruptsEnabled = false;
  tsc: (() => number) | undefined;
  regs: Record<string, number> = { cs: 0xf000, eip: 0xfff0 };

  constructor(readonly host: CpuHost, readonly memory: Uint8Array) {}

  run(maxInstructions: number): RunExit {
    this.exitRequested = false;
    let n = 0;
    while (n < maxInstructions) {
      if (this.interruptsEnabled && this.intr) this.vectors.push(this.host.interruptAcknowledge());
      if (this.pc >= this.script.length) {
        this.retired += n;
        return this.interruptsEnabled ? RunExit.Halted : RunExit.HaltedForever;
      }
      const r = this.script[this.pc++](this.host, this);
      n++;
      if (r !== undefined) {
        this.retired += n;
        return r;
      }
      if (this.exitRequested) {
        this.retired += n;
        return RunExit.Requested;
      }
    }
    this.retired += n;
    return RunExit.Budget;
  }

  reset(): void {
    this.resets++;
    this.regs = { cs: 0xf000, eip: 0xfff0 };
  }
  setIntr(level: boolean): void { this.intr = level; }
  nmi(): void {}
  setA20(enabled: boolean): void { this.a20 = enabled; }
  mapPhysical(physStart: number, length: number, kind: PhysKind, memOffset: number): void {
    for (let i = 0; i < length / 4096; i++) {
      this.kinds[physStart / 4096 + i] = kind;
      this.offsets[physStart / 4096 + i] = memOffset + i * 4096;
    }
  }
  requestExit(): void { this.exitRequested = true; }
  get instructionCount(): number { return this.retired; }
  setTscSource(nowNs: () => number): void { this.tsc = nowNs; }
  registers(): Record<string, number> { return { ...this.regs }; }

  kind(addr: number): PhysKind { return this.kinds[Math.floor(addr / 4096)]; }
  read8(addr: number): number {
    const p = Math.floor(addr / 4096);
    const k = this.kinds[p];
    if (k === PhysKind.Ram || k === PhysKind.Rom) return this.memory[this.offsets[p] + (addr % 4096)];
    if (k === PhysKind.Mmio) return this.host.mmioRead(addr, 1);
    return 0xff;
  }
}

/** A MachineHost.createCore that builds a ScriptedCore over plain (non-shared) memory. */
export function scriptedCoreFactory(onCreate: (core: ScriptedCore) => void, opts: { shared?: boolean } = {}) {
  return async (layout: MemoryLayout, cpuHost: CpuHost) => {
    // Shared: as the real core's WebAssembly.Memory (device workers and the VGA CPU side get it).
    const buffer = opts.shared ? new SharedArrayBuffer(layout.totalBytes) : new ArrayBuffer(layout.totalBytes);
    const core = new ScriptedCore(cpuHost, new Uint8Array(buffer));
    onCreate(core);
    return { core, buffer };
  };
}

/** PCI configuration write through mechanism #1. */
export function pciWrite(h: CpuHost, devfn: number, reg: number, size: 1 | 2 | 4, value: number): void {
  h.portWrite(0xcf8, 4, (0x80000000 | (devfn << 8) | (reg & 0xfc)) >>> 0);
  h.portWrite(0xcfc + (reg & 3), size, value);
}

export function pciRead(h: CpuHost, devfn: number, reg: number, size: 1 | 2 | 4): number {
  h.portWrite(0xcf8, 4, (0x80000000 | (devfn << 8) | (reg & 0xfc)) >>> 0);
  return h.portRead(0xcfc + (reg & 3), size);
}

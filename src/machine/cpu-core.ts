/**
 * TypeScript wrapper of the AssemblyScript CPU core (build/core.wasm): instantiates it over the
 * machine's shared memory with a CpuHost as its imports and implements CpuCoreApi
 * (src/machine/cpu-api.ts). Compiles with lib ES2022 only, so WebAssembly is reached through a
 * small structural interface.
 */
import type { CpuCoreApi, CpuHost, PhysKind, RunExit } from './cpu-api.js';
import type { AccessSize } from '../devices/api.js';

interface MinimalWasmInstance { exports: Record<string, unknown> }
interface MinimalWasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => MinimalWasmInstance;
}
/** The WebAssembly.Memory the machine created (shared, maximum 65536 pages). */
export interface SharedWasmMemory { readonly buffer: ArrayBufferLike }

/** Raw exports of build/core.wasm (see src/core/index.ts). */
export interface CoreExports {
  run(max: number): number;
  reset(): void;
  setIntr(level: number): void;
  nmi(): void;
  setA20(enabled: number): void;
  mapPhysical(physStart: number, length: number, kind: number, memOffset: number): void;
  requestExit(): void;
  instructionCount(): number;
  isHalted(): number;
  getReg(i: number): number;
  setReg(i: number, v: number): void;
  getEip(): number;
  setEip(v: number): void;
  getFlags(): number;
  setFlags(v: number): void;
  getSeg(s: number): number;
  getSegBase(s: number): number;
  getSegLimit(s: number): number;
  getSegAttr(s: number): number;
  setSegReal(s: number, sel: number): void;
  setSegFull(s: number, sel: number, base: number, limit: number, attr: number): void;
  getCr(i: number): number;
  setCr(i: number, v: number): void;
  getCpl(): number;
  getDr(i: number): number;
  getGdtr(which: number): number;
  setDescTable(which: number, base: number, limit: number): void;
  physRead8(p: number): number;
  physWrite8(p: number, v: number): void;
}

const REG_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;
const SEG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', 'ldtr', 'tr'] as const;

export class CpuCore implements CpuCoreApi {
  readonly exports: CoreExports;
  private tscNow: () => number = () => 0;
  private tscHz = 0;

  /** `wasm`: the bytes of build/core.wasm or an already compiled WebAssembly.Module. */
  constructor(wasm: Uint8Array | object, memory: SharedWasmMemory, host: CpuHost) {
    const api = (globalThis as unknown as { WebAssembly: MinimalWasmApi }).WebAssembly;
    const module = wasm instanceof Uint8Array ? new api.Module(wasm) : wasm;
    const size = (s: number): AccessSize => s as AccessSize;
    const env: Record<string, unknown> = {
      memory,
      portRead: (port: number, s: number) => host.portRead(port, size(s)) >>> 0,
      portWrite: (port: number, s: number, v: number) => host.portWrite(port, size(s), v >>> 0),
      portReadString: (port: number, s: number, count: number, phys: number) => host.portReadString(port, size(s), count, phys >>> 0),
      portWriteString: (port: number, s: number, count: number, phys: number) => host.portWriteString(port, size(s), count, phys >>> 0),
      mmioRead: (phys: number, s: number) => host.mmioRead(phys >>> 0, size(s)) >>> 0,
      mmioWrite: (phys: number, s: number, v: number) => host.mmioWrite(phys >>> 0, size(s), v >>> 0),
      interruptAcknowledge: () => host.interruptAcknowledge() & 0xff,
      ferr: (level: number) => host.ferr?.(level !== 0),
      // Read live on RDTSC/RDMSR/WRMSR of IA32_TSC only; -1 = no source (the core counts instructions).
      tscNow: () => (this.tscHz > 0 ? (this.tscNow() * this.tscHz) / 1e9 : -1),
    };
    const instance = new api.Instance(module, { env });
    this.exports = instance.exports as unknown as CoreExports;
    this.exports.reset();
  }

  run(maxInstructions: number): RunExit {
    return this.exports.run(maxInstructions | 0) as RunExit;
  }
  reset(): void { this.exports.reset(); }
  setIntr(level: boolean): void { this.exports.setIntr(level ? 1 : 0); }
  nmi(): void { this.exports.nmi(); }
  setA20(enabled: boolean): void { this.exports.setA20(enabled ? 1 : 0); }
  mapPhysical(physStart: number, length: number, kind: PhysKind, memOffset: number): void {
    if (physStart % 4096 !== 0 || length % 4096 !== 0) throw new RangeError('mapPhysical: start and length must be 4 KiB aligned');
    this.exports.mapPhysical(physStart >>> 0, length >>> 0, kind, memOffset >>> 0);
  }
  requestExit(): void { this.exports.requestExit(); }
  get instructionCount(): number { return this.exports.instructionCount(); }
  setTscSource(nowNs: () => number, tscHz: number): void { this.tscNow = nowNs; this.tscHz = tscHz; }
  registers(): Record<string, number> {
    const e = this.exports;
    const r: Record<string, number> = {};
    REG_NAMES.forEach((n, i) => { r[n] = e.getReg(i) >>> 0; });
    r.eip = e.getEip() >>> 0;
    r.eflags = e.getFlags() >>> 0;
    SEG_NAMES.forEach((n, i) => { r[n] = e.getSeg(i) >>> 0; r[`${n}.base`] = e.getSegBase(i) >>> 0; r[`${n}.limit`] = e.getSegLimit(i) >>> 0; });
    r.cr0 = e.getCr(0) >>> 0; r.cr2 = e.getCr(2) >>> 0; r.cr3 = e.getCr(3) >>> 0; r.cr4 = e.getCr(4) >>> 0;
    r.cpl = e.getCpl();
    r['gdtr.base'] = e.getGdtr(0) >>> 0; r['gdtr.limit'] = e.getGdtr(1) >>> 0;
    r['idtr.base'] = e.getGdtr(2) >>> 0; r['idtr.limit'] = e.getGdtr(3) >>> 0;
    return r;
  }
}

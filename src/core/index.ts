// Wasm exports of the Bulkhead CPU core (entry point of build/core.wasm). The host-facing API
// mirrors CpuCoreApi in src/machine/cpu-api.ts; the state accessors serve the TypeScript wrapper
// (registers()), the test harness and the hardware-vector runner.
import {
  r32, w32, segSel, segBase, segLimit, segAttr, setSegCache, loadSegReal, eip, cr0, cr2, cr3, cr4,
  cpl, setCpl, gdtrBase, gdtrLimit, idtrBase, idtrLimit, intrLine, a20Mask, halted, exitRequested,
  instrCount, sliceCount, PAGE_MAP, dr, CORE_END, nmiBlocked, eventFlag,
} from './state';
import { mapPhysical as mapPhys, tlbFlushAll, physRd8, physWr8 } from './mem';
import { readFlags } from './flags';
import { setFlagsRaw } from './intr';
import { cpuReset, cpuRun, cpuNmi } from './cpu';
import { setCr0 } from './exec0f';

export function run(maxInstructions: i32): i32 { return cpuRun(maxInstructions); }
export function reset(): void { cpuReset(); }
export function setIntr(level: i32): void { intrLine = level != 0; }
export function nmi(): void { cpuNmi(); }
export function setA20(enabled: i32): void {
  const m: u32 = enabled != 0 ? 0xffffffff : 0xffefffff;
  if (m != a20Mask) { a20Mask = m; tlbFlushAll(); }
}
export function mapPhysical(physStart: u32, length: u32, kind: u32, memOffset: u32): void {
  mapPhys(physStart, length, kind, memOffset);
}
export function requestExit(): void { exitRequested = true; eventFlag = true; }
/** Retired instructions; live inside run() too (host callbacks see the count so far). */
export function instructionCount(): f64 { return instrCount + <f64>sliceCount; }
export function coreEnd(): u32 { return CORE_END; }
export function isHalted(): i32 { return halted ? 1 : 0; }

// ---- state access (wrapper, tests) -------------------------------------------------------------
export function getReg(i: u32): u32 { return r32(i & 7); }
export function setReg(i: u32, v: u32): void { w32(i & 7, v); }
export function getEip(): u32 { return eip; }
export function setEip(v: u32): void { eip = v; }
export function getFlags(): u32 { return readFlags(); }
export function setFlags(v: u32): void { setFlagsRaw(v); }
export function getSeg(s: i32): u32 { return segSel(s); }
export function getSegBase(s: i32): u32 { return segBase(s); }
export function getSegLimit(s: i32): u32 { return segLimit(s); }
export function getSegAttr(s: i32): u32 { return segAttr(s); }
/** Real-mode style load (base = sel * 16), for tests and the vector runner. */
export function setSegReal(s: i32, sel: u32): void { loadSegReal(s, sel); }
export function setSegFull(s: i32, sel: u32, base: u32, limit: u32, attr: u32): void { setSegCache(s, sel, base, limit, attr); }
export function getCr(i: i32): u32 { return i == 0 ? cr0 : i == 2 ? cr2 : i == 3 ? cr3 : i == 4 ? cr4 : 0; }
export function setCr(i: i32, v: u32): void {
  if (i == 0) setCr0(v); else if (i == 2) cr2 = v; else if (i == 3) { cr3 = v; tlbFlushAll(); } else if (i == 4) { cr4 = v; tlbFlushAll(); }
}
export function getCpl(): i32 { return cpl; }
export function setCplExport(c: i32): void { setCpl(c); }
export function getDr(i: i32): u32 { return dr[i & 7]; }
export function getGdtr(which: i32): u32 { return which == 0 ? gdtrBase : which == 1 ? gdtrLimit : which == 2 ? idtrBase : idtrLimit; }
export function setDescTable(which: i32, base: u32, limit: u32): void {
  if (which == 0) { gdtrBase = base; gdtrLimit = limit; } else { idtrBase = base; idtrLimit = limit; }
}
export function physRead8(p: u32): u32 { return physRd8(p); }
export function physWrite8(p: u32, v: u32): void { physWr8(p, v); }
export function pageMapAddress(): u32 { return PAGE_MAP; }
export function nmiIsBlocked(): i32 { return nmiBlocked ? 1 : 0; }
/** End of AssemblyScript's static data; must stay below the core tables at 1 MiB. */
export function heapBase(): usize { return __heap_base; }

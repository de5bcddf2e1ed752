// Standalone build of the x87 FPU for unit tests (test/fpu): the FPU modules linked against
// harness/fake-link.ts instead of the CPU core. test/fpu/build.ts copies src/core/fpu into
// build/fpu-test/, swaps link.ts for the fake and compiles this entry with asc.

export { fpuExec, fpuWait, fpuInit, fpuSetFastPath, fpuPresent, fpuClearFerr, fpuStatePtr, fpuStateSize, fpuStatusWord, fpuControlWord } from './index';
export {
  GUEST, setCr0, setEflagsT, setEip, setMode, setSeg, setFaultWindow, clearFault, setAx,
} from './link';
import { eflags, lastVector, exceptionCount, irq13, ax, fault } from './link';
import { stVal, stEmpty, tagWord, top, phys, extValid, extMant, extSexp } from './state';

export function getEflags(): u32 { return eflags; }
export function getLastVector(): i32 { return lastVector; }
export function getExceptionCount(): i32 { return exceptionCount; }
export function getIrq13(): bool { return irq13; }
export function getAx(): u32 { return ax; }
export function getFault(): bool { return fault; }
export function st(i: u32): f64 { return stVal(i); }
export function stIsEmpty(i: u32): bool { return stEmpty(i); }
export function stHasExt(i: u32): bool { return extValid(phys(i)); }
export function stExtMant(i: u32): u64 { return extMant(phys(i)); }
export function stExtSexp(i: u32): u32 { return extSexp(phys(i)); }
export function fpuTag(): u32 { return tagWord(); }
export function fpuTop(): u32 { return top(); }

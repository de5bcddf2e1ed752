// Run loop, reset and exception sequencing of the Bulkhead core: instruction-boundary interrupt
// checks (NMI, INTR with IF and the MOV SS/STI shadow), fault delivery with EIP restored to the
// faulting instruction, double fault and triple fault (Intel SDM Vol. 3A 6.15 table 6-5),
// single-step traps, HLT, and the functions the x87 FPU uses (the FPU seam).
import {
  EDX, ES, CS, SS, DS, FS, GS, LDTR, TR, A_VALID, A_P, A_S, F_IF, F_TF, F_VM, F_RF, CR0_PE,
  eip, flagsReg, cr0, cr2, cr3, cr4, cpl, dr, gdtrBase, gdtrLimit, idtrBase, idtrLimit, halted,
  intrLine, nmiPending, nmiBlocked, intShadow, instrCount, sliceStart, exitRequested, tscOffset,
  lastTsc, REGS, setSegCache, setCpl, segSel, a20Mask, sliceCount, sliceMax, eventFlag,
} from './state';
import { fault, faultVec, faultErr, clearFault, raise, tlbFlushAll } from './mem';
import { readFlags, clearLazy } from './flags';
import { step } from './exec';
import { rawTsc } from './exec0f';
import { setInstrStart, instrStart } from './ops';
import { interrupt, INT_HW, setFlagsRaw } from './intr';
import { fpuInit } from './fpu-link';
import { hostInterruptAcknowledge, hostFerr } from './host';

export const EXIT_BUDGET = 0;
export const EXIT_HALTED = 1;
export const EXIT_HALTED_FOREVER = 2;
export const EXIT_TRIPLE = 3;
export const EXIT_REQUESTED = 4;

let tripleFault: bool = false;

export function cpuReset(): void {
  memory.fill(REGS, 0, 32);
  store<u32>(REGS + (EDX << 2), 0x633);
  clearLazy();
  flagsReg = 2;
  eip = 0xfff0;
  cr0 = 0x60000010; cr2 = 0; cr3 = 0; cr4 = 0;
  for (let i = 0; i < 8; i++) dr[i] = 0;
  dr[6] = 0xffff0ff0; dr[7] = 0x400;
  gdtrBase = 0; gdtrLimit = 0xffff; idtrBase = 0; idtrLimit = 0xffff;
  setCpl(0);
  const data: u32 = A_VALID | A_P | A_S | 0x3;
  for (let s = 0; s < 6; s++) setSegCache(s, 0, 0, 0xffff, data);
  setSegCache(CS, 0xf000, 0xffff0000, 0xffff, A_VALID | A_P | A_S | 0x3);
  setSegCache(LDTR, 0, 0, 0xffff, A_VALID | A_P | 0x2);
  setSegCache(TR, 0, 0, 0xffff, A_VALID | A_P | 0x3);
  halted = false; intShadow = false; nmiPending = false; nmiBlocked = false;
  tripleFault = false;
  clearFault();
  tscOffset = -rawTsc();
  lastTsc = 0;
  tlbFlushAll();
  fpuInit();
}

function isContributory(v: i32): bool { return v == 0 || (v >= 10 && v <= 13); }

/** Deliver the pending fault (EIP already at the faulting instruction). */
function deliverFault(): void {
  const v1 = faultVec, e1 = faultErr;
  clearFault();
  interrupt(v1, hasErrorCode(v1) ? e1 : -1, INT_HW);
  if (!fault) return;
  const v2 = faultVec, e2 = faultErr;
  clearFault();
  if (v1 == 8) { tripleFault = true; return; }
  if ((isContributory(v1) && isContributory(v2)) || (v1 == 14 && (isContributory(v2) || v2 == 14))) {
    interrupt(8, 0, INT_HW);
    if (fault) { clearFault(); tripleFault = true; }
    return;
  }
  interrupt(v2, hasErrorCode(v2) ? e2 : -1, INT_HW);
  if (fault) {
    clearFault();
    interrupt(8, 0, INT_HW);
    if (fault) { clearFault(); tripleFault = true; }
  }
}
function hasErrorCode(v: i32): bool { return v == 8 || (v >= 10 && v <= 14) || v == 17; }

/** An external event (NMI/INTR) whose delivery faulted is handled like a benign first event. */
function deliverExternal(vec: i32): void {
  interrupt(vec, -1, INT_HW);
  if (fault) deliverFault();
}

/** Instruction-boundary events: interrupts, NMI, HLT, single-step, exit request. */
@inline function attention(): bool {
  return (((<u32>intShadow) | (<u32>halted) | (<u32>exitRequested) | (<u32>nmiPending) | ((<u32>intrLine) & (flagsReg >> 9)) | (flagsReg >> 8)) & 1) != 0;
}

export function cpuRun(max: i32): i32 {
  sliceStart = instrCount;
  sliceCount = 0;
  sliceMax = max;
  exitRequested = false;
  let result = EXIT_BUDGET;
  while (sliceCount < max) {
    if (attention()) {
      const r = eventStep();
      if (r >= 0) { result = r; break; }
      continue;
    }
    eventFlag = false;
    // fast path: no pending event; run until one appears or the budget is spent
    do {
      setInstrStart(eip);
      step();
      sliceCount++;
      if (fault) {
        eip = instrStart;
        deliverFault();
        if (tripleFault) break;
      }
    } while (sliceCount < max && (((<u32>eventFlag) | ((<u32>intrLine) & (flagsReg >> 9)) | (flagsReg >> 8)) & 1) == 0);
    if (tripleFault) { result = EXIT_TRIPLE; break; }
  }
  instrCount += <f64>sliceCount;
  sliceCount = 0;
  return result;
}

/** One instruction with event handling; returns an exit code, or -1 to continue. */
function eventStep(): i32 {
  if (!intShadow) {
    if (nmiPending && !nmiBlocked) {
      nmiPending = false; nmiBlocked = true; halted = false;
      deliverExternal(2);
    } else if (intrLine && (flagsReg & F_IF) != 0) {
      halted = false;
      const vec = <i32>(hostInterruptAcknowledge() & 0xff);
      deliverExternal(vec);
    }
    if (tripleFault) return EXIT_TRIPLE;
  }
  intShadow = false;
  if (halted) return (flagsReg & F_IF) != 0 || nmiPending ? EXIT_HALTED : EXIT_HALTED_FOREVER;
  if (exitRequested) return EXIT_REQUESTED;
  const tf = (flagsReg & F_TF) != 0;
  setInstrStart(eip);
  step();
  sliceCount++;
  if (fault) {
    eip = instrStart;
    deliverFault();
    if (tripleFault) return EXIT_TRIPLE;
  } else if (tf) {
    dr[6] |= 0x4000;
    deliverExternal(1);
    if (tripleFault) return EXIT_TRIPLE;
  }
  if (exitRequested) return EXIT_REQUESTED;
  return -1;
}

export function cpuNmi(): void { nmiPending = true; eventFlag = true; }
export function cpuIret(): void { nmiBlocked = false; }

// ---- FPU seam ----------------------------------------------------------------------------------
export function faultPending(): bool { return fault; }
export function raiseException(vector: i32, errorCode: i32): void { raise(vector, errorCode); }
export function getCr0(): u32 { return cr0; }
export function readEflags(): u32 { return readFlags(); }
export function writeEflags(v: u32): void { setFlagsRaw(v); }
export function instrStartEip(): u32 { return instrStart; }
export function segSelector(seg: i32): u32 { return segSel(seg); }
export function cpuMode(): i32 { return (cr0 & CR0_PE) == 0 ? 0 : ((flagsReg & F_VM) != 0 ? 2 : 1); }
export function raiseIrq13(level: bool): void { hostFerr(level ? 1 : 0); }
export { rd8, rd16, rd32, wr8, wr16, wr32, probeWrite } from './mem';

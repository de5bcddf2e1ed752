// The x87 FPU of the Bulkhead CPU core: decodes the escape opcodes D8-DF (Intel SDM Vol. 2A
// Appendix A.4, "Escape Opcode Instructions") after the CPU has decoded ModRM and computed the
// effective address, and executes them. Exception reporting follows SDM Vol. 1 8.7 / Vol. 3A
// 6.15 (#MF, vector 16): an unmasked exception sets ES; the next waiting FPU instruction (or
// FWAIT) raises #MF when CR0.NE=1, or asserts FERR# (IRQ 13 on a PC) when CR0.NE=0.

import {
  beginInstr, commitExc, swRaw, setSwRaw, statusWord, setCw, cw, top, setTop, phys, stEmpty,
  stVal, physSet, physCopy, physSwap, physFree, setPointers, fdp, fds, resetState, powerOnState, loadControlWord,
  raise, setC1, setCC, unmaskedNow, ES, BUSY, IE, OE, UE, C0, C2, C3, STATE, STATE_SIZE,
} from './state';
import {
  rd16, rd32, wr16, wr32, probeWrite, faultPending, raiseException, getCr0, readEflags,
  instrStartEip, segSelector, raiseIrq13, writeAx,
} from './link';
import { read64, read80, write64, write80, rTop } from './memio';
import {
  underflow, imMasked, push, pushCopy, pop, arithReg, memArith, fcomReg, fcomVal, fcomi, fxam, fromF32,
  fromF64, loadReal, loadExt, pushX, INDEFINITE,
} from './ops';
import {
  regToIeee, regToInt, intOk, intToExt, bcdToExt, regToBcd, regToExt, bcdLo, bcdHi, bcdNeg,
  xSexp, xMant,
} from './convert';
import { fchs, fabs, fsqrt, frndint, fscale, fxtract, fprem, fldConst } from './trans';
import { fpatanLike, f2xm1, fsincos1, fsincosPush } from './xtrans';
import { fnstenv, fldenv, fnsave, frstor } from './env';
import { fastExec, fastReg, fastMem, fastEnabled, setFastEnabled } from './fast';

/** Test hook: route every instruction through the general path (false) or not (true). */
export function fpuSetFastPath(on: bool): void { setFastEnabled(on); }

const UD: i32 = 6;
const MF: i32 = 16;
const CR0_NE: u32 = 0x20;

/** Is this encoding defined on a P6-class FPU (no SSE3 FISTTP)? */
function valid(op: u32, modrm: u32): bool {
  const mod = modrm >> 6, reg = (modrm >> 3) & 7;
  if (mod != 3) {
    if (op == 0xd9) return reg != 1;
    if (op == 0xdb) return reg != 1 && reg != 4 && reg != 6;
    if (op == 0xdd) return reg != 1 && reg != 5;
    if (op == 0xdf) return reg != 1;
    return true;
  }
  switch (op) {
    case 0xd9:
      if (modrm >= 0xd1 && modrm <= 0xd7) return false;
      return modrm != 0xe2 && modrm != 0xe3 && modrm != 0xe6 && modrm != 0xe7 && modrm != 0xef;
    case 0xda: return modrm < 0xe0 || modrm == 0xe9;
    case 0xdb: return modrm < 0xe5 || (modrm >= 0xe8 && modrm < 0xf8);
    case 0xdd: return modrm < 0xf0;
    case 0xde: return modrm < 0xd8 || modrm == 0xd9 || modrm >= 0xe0;
    case 0xdf: return modrm < 0xe1 || (modrm >= 0xe8 && modrm < 0xf8);
  }
  return true;
}

/** Non-waiting forms: FNSTENV, FNSTCW, FNSAVE, FNSTSW, FNCLEX, FNINIT, FNENI/FNDISI/FNSETPM. */
function nonWaiting(op: u32, modrm: u32): bool {
  const mod = modrm >> 6, reg = (modrm >> 3) & 7;
  if (mod != 3) return (op == 0xd9 || op == 0xdd) && reg >= 6;
  return (op == 0xdb && modrm >= 0xe0 && modrm <= 0xe4) || (op == 0xdf && modrm == 0xe0);
}

/** Control instructions that leave FIP/FDP/FOP alone (SDM Vol. 1 8.1.8). */
function isControl(op: u32, modrm: u32): bool {
  if (nonWaiting(op, modrm)) return true;
  const reg = (modrm >> 3) & 7;
  return (modrm >> 6) != 3 && ((op == 0xd9 && (reg == 4 || reg == 5)) || (op == 0xdd && reg == 4));
}

/**
 * Deliver a pending unmasked exception before a waiting instruction. Returns false when #MF
 * was raised (the instruction must not execute).
 */
function pendingCheck(): bool {
  if ((swRaw() & ES) == 0) return true;
  if ((getCr0() & CR0_NE) != 0) { raiseException(MF, -1); return false; }
  raiseIrq13(true);   // legacy PC error reporting: FERR# -> IRQ 13, execution continues
  return true;
}

/** FWAIT / WAIT (after the CPU's CR0.MP/TS #NM check). */
export function fpuWait(): void { pendingCheck(); }

/** Power-on / RESET state of the FPU. */
export function fpuInit(): void { powerOnState(); }

/** The FPU is complete enough for CPUID.1:EDX.FPU and CR0.ET. */
export function fpuPresent(): bool { return true; }

/** The platform's port F0h write: release IRQ 13 (FERR# latch). */
export function fpuClearFerr(): void { raiseIrq13(false); }

/** Snapshot support: the FPU state is the byte range [fpuStatePtr, +fpuStateSize). */
export function fpuStatePtr(): usize { return STATE; }
export function fpuStateSize(): i32 { return STATE_SIZE; }

/** Status word (for register dumps and tests). */
export function fpuStatusWord(): u32 { return statusWord(); }
export function fpuControlWord(): u32 { return cw(); }

/**
 * A register form (modrm >= C0) through its fast path, when it has one and no unmasked
 * exception is pending; false: nothing was changed, call fpuExec. The core calls this before
 * anything else of the instruction, so the common register forms skip the general decode; it is
 * inlined into the core's x87 run loop (exec.ts x87Run).
 */
@inline export function fpuRegisterFastInline(op: u32, modrm: u32): bool {
  return (swRaw() & ES) == 0 && fastEnabled && fastReg(op, modrm);
}
/** A memory form (modrm < C0, operand at seg:ea) through its fast path, inlined into the core's
 *  x87 run loop; false: nothing was changed (no access made), call fpuExec. */
@inline export function fpuMemoryFastInline(op: u32, modrm: u32, seg: i32, ea: u32): bool {
  return (swRaw() & ES) == 0 && fastEnabled && fastMem(op, modrm, seg, ea);
}

/** Execute one x87 instruction: op = D8..DF, modrm, effective address seg:ea for mod != 3. */
export function fpuExec(op: u32, modrm: u32, seg: i32, ea: u32, o32: bool): void {
  // the common cases, while no unmasked exception is pending (src/core/fpu/fast.ts)
  if ((swRaw() & ES) == 0 && fastEnabled && fastExec(op, modrm, seg, ea)) return;
  if (!valid(op, modrm)) { raiseException(UD, -1); return; }
  const nw = nonWaiting(op, modrm);
  if (!nw && !pendingCheck()) return;
  const isMem = (modrm >> 6) != 3;
  if (!nw && !isControl(op, modrm)) {
    setPointers(instrStartEip(), segSelector(1), ((op & 7) << 8) | modrm,
      isMem ? ea : fdp(), isMem ? segSelector(seg) : fds());
  }
  beginInstr();
  if (isMem) execMem(op, (modrm >> 3) & 7, seg, ea, o32);
  else execReg(op, modrm);
  if (faultPending()) return;
  commitExc();
}

// ---- memory forms ----
function storeReal(seg: i32, ea: u32, dbl: bool, popAfter: bool): void {
  let bits: u64;
  if (stEmpty(0)) {
    underflow();
    if (!imMasked()) return;
    bits = dbl ? 0xfff8000000000000 : 0xffc00000;
  } else {
    setC1(false);
    bits = dbl ? regToIeee(phys(0), 53, 52, 11) : regToIeee(phys(0), 24, 23, 8);
    if (unmaskedNow(IE | OE | UE)) return;
  }
  if (dbl) { if (!write64(seg, ea, bits)) return; }
  else { wr32(seg, ea, <u32>bits); if (faultPending()) return; }
  if (popAfter) pop();
}

function storeInt(seg: i32, ea: u32, bits: i32, popAfter: bool): void {
  let v: i64;
  const indef: i64 = bits == 64 ? <i64>0x8000000000000000 : bits == 32 ? 0x80000000 : 0x8000;
  if (stEmpty(0)) {
    underflow();
    if (!imMasked()) return;
    v = indef;
  } else {
    setC1(false);
    v = regToInt(phys(0), bits);
    if (!intOk) { if (unmaskedNow(IE)) return; v = indef; }
  }
  if (bits == 16) wr16(seg, ea, <u32>v);
  else if (bits == 32) wr32(seg, ea, <u32>v);
  else write64(seg, ea, <u64>v);
  if (faultPending()) return;
  if (popAfter) pop();
}

function storeExt(seg: i32, ea: u32): void {
  let lo: u64 = 0xc000000000000000, hi: u32 = 0xffff;
  if (stEmpty(0)) { underflow(); if (!imMasked()) return; }
  else { regToExt(phys(0)); lo = xMant; hi = xSexp; }
  if (!write80(seg, ea, lo, hi)) return;
  pop();
}

function storeBcd(seg: i32, ea: u32): void {
  let lo: u64 = 0xc000000000000000, hi: u32 = 0xffff;
  if (stEmpty(0)) { underflow(); if (!imMasked()) return; }
  else if (regToBcd(phys(0))) { lo = bcdLo; hi = bcdHi | (bcdNeg ? 0x8000 : 0); }
  else if (unmaskedNow(IE)) return;
  if (!write80(seg, ea, lo, hi)) return;
  pop();
}

function execMem(op: u32, reg: u32, seg: i32, ea: u32, o32: bool): void {
  switch (op) {
    case 0xd8: {
      const b = rd32(seg, ea); if (faultPending()) return;
      memArith(reg, fromF32(b)); return;
    }
    case 0xda: {
      const b = rd32(seg, ea); if (faultPending()) return;
      memArith(reg, <f64><i32>b); return;
    }
    case 0xdc: {
      const b = read64(seg, ea); if (faultPending()) return;
      memArith(reg, fromF64(b)); return;
    }
    case 0xde: {
      const b = rd16(seg, ea); if (faultPending()) return;
      memArith(reg, <f64><i16>b); return;
    }
    case 0xd9:
      switch (reg) {
        case 0: { const b = rd32(seg, ea); if (faultPending()) return; loadReal(fromF32(b)); return; }
        case 2: storeReal(seg, ea, false, false); return;
        case 3: storeReal(seg, ea, false, true); return;
        case 4: fldenv(seg, ea, o32); return;
        case 5: { const w = rd16(seg, ea); if (faultPending()) return; loadControlWord(w); return; }
        case 6: fnstenv(seg, ea, o32); return;
        default: wr16(seg, ea, cw()); return;
      }
    case 0xdb:
      switch (reg) {
        case 0: { const b = rd32(seg, ea); if (faultPending()) return; push(<f64><i32>b); return; }
        case 2: storeInt(seg, ea, 32, false); return;
        case 3: storeInt(seg, ea, 32, true); return;
        case 5: { const lo = read80(seg, ea); if (faultPending()) return; loadExt(lo, rTop); return; }
        default: storeExt(seg, ea); return;
      }
    case 0xdd:
      switch (reg) {
        case 0: { const b = read64(seg, ea); if (faultPending()) return; loadReal(fromF64(b)); return; }
        case 2: storeReal(seg, ea, true, false); return;
        case 3: storeReal(seg, ea, true, true); return;
        case 4: frstor(seg, ea, o32); return;
        case 6: fnsave(seg, ea, o32); return;
        default: wr16(seg, ea, statusWord()); return;
      }
    default: // 0xdf
      switch (reg) {
        case 0: { const b = rd16(seg, ea); if (faultPending()) return; push(<f64><i16>b); return; }
        case 2: storeInt(seg, ea, 16, false); return;
        case 3: storeInt(seg, ea, 16, true); return;
        case 4: {
          const lo = read80(seg, ea); if (faultPending()) return;
          pushX(bcdToExt(lo, rTop & 0xff, rTop >> 8)); return;
        }
        case 5: { const b = read64(seg, ea); if (faultPending()) return; pushX(intToExt(<i64>b)); return; }
        case 6: storeBcd(seg, ea); return;
        default: storeInt(seg, ea, 64, true); return;
      }
  }
}

// ---- register forms ----
function fxch(i: u32): void {
  if (stEmpty(0) || stEmpty(i)) {
    underflow();
    if (!imMasked()) return;
    if (stEmpty(0)) physSet(phys(0), INDEFINITE);
    if (stEmpty(i)) physSet(phys(i), INDEFINITE);
  } else setC1(false);
  physSwap(phys(0), phys(i));
}

function fstReg(i: u32, popAfter: bool): void {
  if (stEmpty(0)) {
    underflow();
    if (!imMasked()) return;
    physSet(phys(i), INDEFINITE);
  } else {
    setC1(false);
    physCopy(phys(i), phys(0));
  }
  if (popAfter) pop();
}

function fldReg(i: u32): void {
  if (stEmpty(i)) { underflow(); if (imMasked()) push(INDEFINITE); return; }
  pushCopy(phys(i));
}

/** FCMOVcc: cc index 0 B (CF), 1 E (ZF), 2 BE (CF|ZF), 3 U (PF); negate for the DB forms. */
function fcmov(cc: u32, negate: bool, i: u32): void {
  const f = readEflags();
  let cond: bool;
  if (cc == 0) cond = (f & 1) != 0;
  else if (cc == 1) cond = (f & 0x40) != 0;
  else if (cc == 2) cond = (f & 0x41) != 0;
  else cond = (f & 4) != 0;
  if (negate) cond = !cond;
  if (stEmpty(0) || stEmpty(i)) {
    underflow();
    if (imMasked()) physSet(phys(0), INDEFINITE);
    return;
  }
  if (cond) physCopy(phys(0), phys(i));
}

/** FCOMPP / FUCOMPP. */
function fcompp(quietNaN: bool): void {
  if (fcomReg(1, quietNaN)) { pop(); pop(); }
}

function execReg(op: u32, modrm: u32): void {
  const reg = (modrm >> 3) & 7, i = modrm & 7;
  switch (op) {
    case 0xd8:
      if (reg == 2 || reg == 3) { if (fcomReg(i, false) && reg == 3) pop(); return; }
      arithReg(reg, 0, i, false); return;
    case 0xdc:
    case 0xde: {
      const p = op == 0xde;
      if (reg == 2 || reg == 3) {        // FCOM2/FCOMP3/FCOMP5 aliases, FCOMPP
        if (p && reg == 3) { fcompp(false); return; }
        if (fcomReg(i, false) && (reg == 3 || p)) pop();
        return;
      }
      arithReg(reg >= 4 ? reg ^ 1 : reg, i, 0, p); return;
    }
    case 0xd9:
      switch (reg) {
        case 0: fldReg(i); return;
        case 1: fxch(i); return;
        case 2: return;                       // FNOP
        case 3: fstReg(i, true); return;      // FSTP1 alias
        case 4:
          if (i == 0) fchs(); else if (i == 1) fabs();
          else if (i == 4) fcomVal(0.0, false);
          else fxam();
          return;
        case 5: fldConst(i); return;
        case 6:
          switch (i) {
            case 0: f2xm1(); return;
            case 1: if (fpatanLike(1)) pop(); return;
            case 2: fsincosPush(true); return;
            case 3: if (fpatanLike(0)) pop(); return;
            case 4: fxtract(); return;
            case 5: fprem(true); return;
            case 6: setTop(top() - 1); setC1(false); return;
            default: setTop(top() + 1); setC1(false); return;
          }
        default:
          switch (i) {
            case 0: fprem(false); return;
            case 1: if (fpatanLike(2)) pop(); return;
            case 2: fsqrt(); return;
            case 3: fsincosPush(false); return;
            case 4: frndint(); return;
            case 5: fscale(); return;
            case 6: fsincos1(0); return;
            default: fsincos1(1); return;
          }
      }
    case 0xda:
      if (modrm == 0xe9) { fcompp(true); return; }
      fcmov(reg, false, i); return;
    case 0xdb:
      if (reg < 4) { fcmov(reg, true, i); return; }
      if (reg == 5) { fcomi(i, true); return; }
      if (reg == 6) { fcomi(i, false); return; }
      if (modrm == 0xe2) { setSwRaw(swRaw() & ~<u32>0x80ff); return; }   // FNCLEX
      if (modrm == 0xe3) { resetState(); return; }                      // FNINIT
      return;                                                           // FNENI/FNDISI/FNSETPM
    case 0xdd:
      switch (reg) {
        case 0: physFree(phys(i)); return;
        case 1: fxch(i); return;
        case 2: fstReg(i, false); return;
        case 3: fstReg(i, true); return;
        case 4: fcomReg(i, true); return;
        default: if (fcomReg(i, true)) pop(); return;
      }
    default: // 0xdf
      switch (reg) {
        case 0: physFree(phys(i)); pop(); return;   // FFREEP
        case 1: fxch(i); return;
        case 2: case 3: fstReg(i, true); return;
        case 4: writeAx(statusWord()); return;      // FNSTSW AX
        case 5: if (fcomi(i, true)) pop(); return;
        default: if (fcomi(i, false)) pop(); return;
      }
  }
}


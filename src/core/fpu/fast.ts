// x87 fast paths: the instructions that dominate real x87 code, done without the general
// decoder's bookkeeping (src/core/fpu/index.ts calls fastExec first, only while no unmasked
// exception is pending, i.e. status word ES clear).
//
// Covered: FLD/FST/FSTP/FXCH between registers; FLD/FST/FSTP m32 and m64 real; FILD and
// FIST/FISTP m16/m32; the register forms of FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR (D8, DC, DE) and
// all their m32/m64/m16int/m32int memory forms; FCOM/FCOMP/FUCOM/FUCOMP/FCOMPP/FUCOMPP/FTST
// and FCOMI/FUCOMI(P) on register operands; FCHS, FABS, FLD1, FLDZ, FLDCW, FNSTCW, FNSTSW AX.
//
// Each path gives exactly the general path's result: the same register values, TOP, tags,
// condition codes, exception flags (with ES/B when one is unmasked), EFLAGS and FPU pointers
// (Intel SDM Vol. 1 ch. 8). A path first checks that its case is ordinary (operands not empty,
// no 80-bit-only shadow value, no NaN, no stack overflow, a result the f64 gives exactly as
// the x87 rounds it: see arith.ts fastOp) and returns false before changing any state if not;
// the general path then runs the instruction. test/fpu/fast.test.ts runs random instruction
// streams over awkward values with the fast paths on and off and compares the whole state.

import {
  swRaw, setSwRaw, cw, top, setTop, emptyMask, extMask, physEmpty, physVal, physStore, physSet,
  physFree, setPointers, setInstrPointer, beginInstr, commitExc, statusWord,
  loadControlWord, C0, C1, C2, C3, PE, ES, BUSY,
} from './state';
import {
  rd16, rd32, wr16, wr32, faultPending, instrStartEip, segSelector, readEflags, writeEflags, writeAx,
} from './link';
import { read64, write64 } from './memio';
import { fastOp, fastResult, fastErr } from './arith';
import { memArith, loadReal, fromF32, fromF64 } from './ops';

const F64_MIN_NORMAL: f64 = 2.2250738585072014e-308;
const CS: i32 = 1;

/** Test hook (test/fpu/fast.test.ts): false sends every instruction down the general path. */
export let fastEnabled: bool = true;
export function setFastEnabled(on: bool): void { fastEnabled = on; }

/** Last-instruction pointers of a register form (the operand pointer is kept). */
@inline function pointersReg(op: u32, modrm: u32): void {
  setInstrPointer(instrStartEip(), segSelector(CS), ((op & 7) << 8) | modrm);
}
/** Last-instruction and operand pointers of a memory form. */
@inline function pointersMem(op: u32, modrm: u32, seg: i32, ea: u32): void {
  setPointers(instrStartEip(), segSelector(CS), ((op & 7) << 8) | modrm, ea, segSelector(seg));
}

/** Finish: C1 as given, PE when inexact (with ES and B if PE is unmasked). */
@inline function finish(c1: bool, inexact: bool): void {
  let s = swRaw() & ~C1;
  if (c1) s |= C1;
  if (inexact) {
    s |= PE;
    if ((cw() & PE) == 0) s |= ES | BUSY;
  }
  setSwRaw(s);
}

@inline function popTop(): void {
  const t = top();
  physFree(t);
  setTop(t + 1);
}

/** Registers a fast path must not touch: empty, or holding an 80-bit-only value. */
@inline function unusual(): u32 { return emptyMask() | extMask(); }

/** Execute one escape instruction if it has a fast path; false: nothing was changed. */
@inline export function fastExec(op: u32, modrm: u32, seg: i32, ea: u32): bool {
  if ((modrm >> 6) == 3) return fastReg(op, modrm);
  return fastMem(op, modrm, seg, ea);
}

// ---- register forms ----
@inline export function fastReg(op: u32, modrm: u32): bool {
  const reg = (modrm >> 3) & 7, i = modrm & 7;
  switch (op) {
    case 0xd8:
      if (reg == 2 || reg == 3) return fastCompare(op, modrm, i, reg - 2);
      return fastArith(op, modrm, reg, 0, i, false);
    case 0xdc:
      if (reg == 2 || reg == 3) return false;            // FCOM2/FCOMP3 aliases
      return fastArith(op, modrm, reg >= 4 ? reg ^ 1 : reg, i, 0, false);
    case 0xde:
      if (modrm == 0xd9) return fastCompare(op, modrm, 1, 2);   // FCOMPP
      if (reg == 2 || reg == 3) return false;
      return fastArith(op, modrm, reg >= 4 ? reg ^ 1 : reg, i, 0, true);
    case 0xd9:
      if (reg == 0) return fastFld(op, modrm, i);
      if (reg == 1) return fastFxch(op, modrm, i);
      if (modrm == 0xe0 || modrm == 0xe1) return fastSign(op, modrm);
      if (modrm == 0xe4) return fastTst(op, modrm);
      if (modrm == 0xe8) return fastConst(op, modrm, 1.0);
      if (modrm == 0xee) return fastConst(op, modrm, 0.0);
      return false;
    case 0xdd:
      if (reg == 2 || reg == 3) return fastFst(op, modrm, i, reg == 3);
      if (reg == 4 || reg == 5) return fastCompare(op, modrm, i, reg - 4);   // FUCOM/FUCOMP
      return false;
    case 0xda:
      return modrm == 0xe9 ? fastCompare(op, modrm, 1, 2) : false;            // FUCOMPP
    case 0xdb:
      return reg == 5 || reg == 6 ? fastComi(op, modrm, i, false) : false;
    default: // 0xdf
      if (modrm == 0xe0) { writeAx(statusWord()); return true; }            // FNSTSW AX
      return reg == 5 || reg == 6 ? fastComi(op, modrm, i, true) : false;
  }
}

/** ST(dst) = ST(dst) op ST(src); op is the D8 reg field (0 add, 1 mul, 4 sub, 5 subr, 6 div, 7 divr). */
@inline function fastArith(op: u32, modrm: u32, aop: u32, dst: u32, src: u32, popAfter: bool): bool {
  const t = top();
  const pd = (t + dst) & 7, ps = (t + src) & 7;
  if ((((unusual() >> pd) | (unusual() >> ps)) & 1) != 0) return false;
  const a = physVal(pd), b = physVal(ps);
  // as fastOp operations: x + y, x * y or x / y
  let x = a, y = b, kind: u32 = 0;
  if (aop == 1) kind = 1;
  else if (aop == 4) y = -b;
  else if (aop == 5) { x = b; y = -a; }
  else if (aop == 6) kind = 6;
  else if (aop == 7) { x = b; y = a; kind = 6; }
  if (!fastOp(kind, x, y)) return false;
  pointersReg(op, modrm);
  const r = fastResult, err = fastErr;
  physStore(pd, r);
  if (err == 0) setSwRaw(swRaw() & ~C1);            // exact: C1 clear, no flag
  else finish((err < 0) != (r < 0), true);
  if (popAfter) popTop();
  return true;
}

/** Both registers hold ordinary, non-NaN values: a comparison has no exception to report. */
@inline function comparable(pa: u32, pb: u32): bool {
  const u = unusual();
  return (((u >> pa) | (u >> pb)) & 1) == 0 && !isNaN(physVal(pa)) && !isNaN(physVal(pb));
}

/** C3/C2/C0 of a comparison of ordinary a with b (C2 clear: ordered), C1 cleared. */
@inline function setCompareCodes(a: f64, b: f64): void {
  const cc: u32 = a > b ? 0 : a < b ? C0 : C3;
  setSwRaw((swRaw() & ~(C0 | C1 | C2 | C3)) | cc);
}

/** FCOM-family on ST(0), ST(i) with `pops` pops (FCOMPP: ST(1), two pops). */
function fastCompare(op: u32, modrm: u32, i: u32, pops: u32): bool {
  const pa = top(), pb = (pa + i) & 7;
  if (!comparable(pa, pb)) return false;
  pointersReg(op, modrm);
  setCompareCodes(physVal(pa), physVal(pb));
  if (pops >= 1) popTop();
  if (pops == 2) popTop();
  return true;
}

/** FTST: compare ST(0) with +0.0. */
function fastTst(op: u32, modrm: u32): bool {
  const p = top();
  if (!comparable(p, p)) return false;
  pointersReg(op, modrm);
  setCompareCodes(physVal(p), 0);
  return true;
}

/** FCOMI/FUCOMI (and the popping DF forms): ZF, PF, CF; OF, SF, AF cleared. */
function fastComi(op: u32, modrm: u32, i: u32, popAfter: bool): bool {
  const pa = top(), pb = (pa + i) & 7;
  if (!comparable(pa, pb)) return false;
  const a = physVal(pa), b = physVal(pb);
  pointersReg(op, modrm);
  const fl: u32 = a > b ? 0 : a < b ? 1 : 0x40;
  writeEflags((readEflags() & ~<u32>0x8d5) | fl);
  finish(false, false);
  if (popAfter) popTop();
  return true;
}

/** FLD ST(i). */
@inline function fastFld(op: u32, modrm: u32, i: u32): bool {
  const t = top();
  const src = (t + i) & 7, dst = (t - 1) & 7;
  if (((unusual() >> src) & 1) != 0 || !physEmpty(dst)) return false;
  pointersReg(op, modrm);
  physSet(dst, physVal(src));
  setTop(dst);
  finish(false, false);
  return true;
}

/** FXCH ST(i). */
@inline function fastFxch(op: u32, modrm: u32, i: u32): bool {
  const t = top();
  const pi = (t + i) & 7;
  if ((((unusual() >> t) | (unusual() >> pi)) & 1) != 0) return false;
  pointersReg(op, modrm);
  const a = physVal(t);
  physStore(t, physVal(pi));
  physStore(pi, a);
  finish(false, false);
  return true;
}

/** FST / FSTP ST(i). */
@inline function fastFst(op: u32, modrm: u32, i: u32, popAfter: bool): bool {
  const t = top();
  if (((unusual() >> t) & 1) != 0) return false;
  pointersReg(op, modrm);
  physSet((t + i) & 7, physVal(t));
  finish(false, false);
  if (popAfter) popTop();
  return true;
}

/** FCHS / FABS on an ordinary ST(0). */
function fastSign(op: u32, modrm: u32): bool {
  const p = top();
  if (((unusual() >> p) & 1) != 0) return false;
  pointersReg(op, modrm);
  const v = physVal(p);
  physStore(p, modrm == 0xe0 ? -v : Math.abs(v));
  finish(false, false);
  return true;
}

/** FLD1 / FLDZ (exact under every rounding mode). */
function fastConst(op: u32, modrm: u32, v: f64): bool {
  const dst = (top() - 1) & 7;
  if (!physEmpty(dst)) return false;
  pointersReg(op, modrm);
  physSet(dst, v);
  setTop(dst);
  finish(false, false);
  return true;
}

// ---- memory forms ----
@inline export function fastMem(op: u32, modrm: u32, seg: i32, ea: u32): bool {
  const reg = (modrm >> 3) & 7;
  switch (op) {
    case 0xd9:
      if (reg == 0) return fldReal(op, modrm, seg, ea, false);
      if (reg == 2 || reg == 3) return fstReal32(op, modrm, seg, ea, reg == 3);
      if (reg == 5) {                                   // FLDCW: a control instruction, no pointers
        const w = rd16(seg, ea);
        if (!faultPending()) loadControlWord(w);
        return true;
      }
      if (reg == 7) { wr16(seg, ea, cw()); return true; }   // FNSTCW
      return false;
    case 0xdd:
      if (reg == 0) return fldReal(op, modrm, seg, ea, true);
      if (reg == 2 || reg == 3) return fstReal64(op, modrm, seg, ea, reg == 3);
      return false;
    case 0xdb:
      if (reg == 0) return fild(op, modrm, seg, ea, 32);
      if (reg == 2 || reg == 3) return fist(op, modrm, seg, ea, 32, reg == 3);
      return false;
    case 0xdf:
      if (reg == 0) return fild(op, modrm, seg, ea, 16);
      if (reg == 2 || reg == 3) return fist(op, modrm, seg, ea, 16, reg == 3);
      return false;
    default: { // D8 m32 real, DA m32 int, DC m64 real, DE m16 int: arithmetic and FCOM/FCOMP
      pointersMem(op, modrm, seg, ea);
      let v: f64;
      beginInstr();
      if (op == 0xd8) { const b = rd32(seg, ea); if (faultPending()) return true; v = fromF32(b); }
      else if (op == 0xda) { const b = rd32(seg, ea); if (faultPending()) return true; v = <f64><i32>b; }
      else if (op == 0xdc) { const b = read64(seg, ea); if (faultPending()) return true; v = fromF64(b); }
      else { const b = rd16(seg, ea); if (faultPending()) return true; v = <f64><i16>b; }
      memArith(reg, v);
      commitExc();
      return true;
    }
  }
}

/** FLD m32 / m64: ordinary numbers pushed directly; zeros, denormals, infinities and NaNs
 *  through loadReal (DE, SNaN quieting). */
@inline function fldReal(op: u32, modrm: u32, seg: i32, ea: u32, dbl: bool): bool {
  const dst = (top() - 1) & 7;
  if (!physEmpty(dst)) return false;                   // stack overflow: general path
  pointersMem(op, modrm, seg, ea);
  let v: f64;
  if (dbl) {
    const b = read64(seg, ea); if (faultPending()) return true;
    const e = (b >> 52) & 0x7ff;
    if (e == 0 || e == 0x7ff) { beginInstr(); loadReal(fromF64(b)); commitExc(); return true; }
    v = reinterpret<f64>(b);
  } else {
    const b = rd32(seg, ea); if (faultPending()) return true;
    const e = (b >> 23) & 0xff;
    if (e == 0 || e == 0xff) { beginInstr(); loadReal(fromF32(b)); commitExc(); return true; }
    v = <f64>reinterpret<f32>(b);
  }
  physSet(dst, v);
  setTop(dst);
  finish(false, false);
  return true;
}

/** FST/FSTP m32 of an ordinary ST(0) whose rounding is a normal float (or zero), RC=nearest. */
@inline function fstReal32(op: u32, modrm: u32, seg: i32, ea: u32, popAfter: bool): bool {
  const p = top();
  if (((unusual() >> p) & 1) != 0 || (cw() & 0xc00) != 0) return false;
  const v = physVal(p);
  const f = <f32>v;
  const fb = reinterpret<u32>(f);
  // a normal float (biased exponent 1..254), or an exact zero; else the general path
  if (((fb >> 23) & 0xff) - 1 >= 0xfe && (reinterpret<u64>(v) << 1) != 0) return false;
  pointersMem(op, modrm, seg, ea);
  wr32(seg, ea, fb);
  if (faultPending()) return true;
  const back = <f64>f;
  const inexact = back != v;
  finish(inexact && Math.abs(back) > Math.abs(v), inexact);
  if (popAfter) popTop();
  return true;
}

/** FST/FSTP m64 of an ordinary ST(0) that is a normal double or zero: exact. */
@inline function fstReal64(op: u32, modrm: u32, seg: i32, ea: u32, popAfter: bool): bool {
  const p = top();
  if (((unusual() >> p) & 1) != 0) return false;
  const v = physVal(p);
  const mag = Math.abs(v);
  if (!(mag >= F64_MIN_NORMAL && mag <= 1.7976931348623157e308) && v != 0) return false;
  pointersMem(op, modrm, seg, ea);
  if (!write64(seg, ea, reinterpret<u64>(v))) return true;
  finish(false, false);
  if (popAfter) popTop();
  return true;
}

/** FILD m16 / m32: exact. */
function fild(op: u32, modrm: u32, seg: i32, ea: u32, bits: i32): bool {
  const dst = (top() - 1) & 7;
  if (!physEmpty(dst)) return false;
  pointersMem(op, modrm, seg, ea);
  let v: f64;
  if (bits == 32) { const b = rd32(seg, ea); if (faultPending()) return true; v = <f64><i32>b; }
  else { const b = rd16(seg, ea); if (faultPending()) return true; v = <f64><i16>b; }
  physSet(dst, v);
  setTop(dst);
  finish(false, false);
  return true;
}

/** FIST/FISTP m16 / m32 of an ordinary ST(0) whose rounding (RC) fits the integer. */
function fist(op: u32, modrm: u32, seg: i32, ea: u32, bits: i32, popAfter: bool): bool {
  const p = top();
  if (((unusual() >> p) & 1) != 0) return false;
  const v = physVal(p);
  const mode = (cw() >> 10) & 3;
  // nearest<f64> is wasm f64.nearest: round half to even, as RC=00
  const r = mode == 0 ? nearest<f64>(v) : mode == 1 ? Math.floor(v) : mode == 2 ? Math.ceil(v) : Math.trunc(v);
  const lim: f64 = bits == 32 ? 2147483648.0 : 32768.0;
  if (!(r >= -lim && r < lim)) return false;           // out of range, NaN, infinity: IE
  pointersMem(op, modrm, seg, ea);
  const iv = <i32>r;
  if (bits == 32) wr32(seg, ea, <u32>iv); else wr16(seg, ea, <u32>iv & 0xffff);
  if (faultPending()) return true;
  const inexact = r != v;
  finish(inexact && Math.abs(r) > Math.abs(v), inexact);
  if (popAfter) popTop();
  return true;
}


// x87 register-stack operations shared by the instruction handlers: push/pop with stack
// overflow and underflow (Intel SDM Vol. 1 8.5.1.1: IE+SF, C1=1 overflow / C1=0 underflow,
// masked response = real indefinite), the two-operand arithmetic forms, comparisons
// (FCOM/FUCOM/FICOM/FTST condition codes, FCOMI/FUCOMI EFLAGS), FXAM and memory operand
// conversions for loads and stores of every format.

import {
  raise, setC1, setCC, unmaskedNow, cw, top, setTop, phys, stEmpty, stVal, physSet, physSetExt,
  physFree, physEmpty, physVal, extValid, IE, DE, ZE, PE, SF, C0, C2, C3, C1, INDEFINITE_BITS,
  extSexp as extSexpOf, extMant as extMantOf,
} from './state';
import {
  isSNaN, quiet, INDEFINITE, loadAReg, loadBReg, loadBVal, swapAB, xAdd, xMul, xDiv, xCompare, writeR,
  fastOp, fastResult, fastErr,
} from './arith';
import { xSexp, xMant, unpackReg, uSign, physSetExact } from './convert';
import { readEflags, writeEflags } from './link';

/** Stack underflow (an empty register used as a source). */
export function underflow(): void { raise(IE | SF); setC1(false); }
/** Stack overflow (push onto a non-empty register). */
export function overflow(): void { raise(IE | SF); setC1(true); }
/** True when the IE response is masked (write the indefinite). */
export function imMasked(): bool { return (cw() & IE) != 0; }

/** Can a push proceed? Handles overflow: returns false if nothing must be written. */
function pushCheck(): bool {
  const p = (top() - 1) & 7;
  if (!physEmpty(p)) {
    overflow();
    if (imMasked()) { setTop(p); physSet(p, INDEFINITE); }
    return false;
  }
  return true;
}
/** Push an f64 (with stack-overflow handling). */
export function push(v: f64): void {
  if (!pushCheck()) return;
  const p = (top() - 1) & 7;
  setTop(p);
  physSet(p, v);
  setC1(false);
}
/** Push with an exact 80-bit shadow (xSexp/xMant from convert.ts). */
export function pushExt(sexp: u32, mant: u64): void {
  if (!pushCheck()) return;
  const p = (top() - 1) & 7;
  setTop(p);
  physSetExact(p, sexp, mant);
  setC1(false);
}
/** Push a copy of physical register src (FLD ST(i)). */
export function pushCopy(src: u32): void {
  if (!pushCheck()) return;
  const p = (top() - 1) & 7;
  setTop(p);
  if (extValid(src)) physSetExt(p, physVal(src), extSexpOf(src), extMantOf(src));
  else physSet(p, physVal(src));
  setC1(false);
}

export function pop(): void { physFree(top()); setTop(top() + 1); }

/** Would a push overflow? (for instructions that check before computing, e.g. FPTAN) */
export function willOverflow(): bool { return !physEmpty((top() - 1) & 7); }

// ---- arithmetic ----
/** R = A op B for the D8/DC reg field op: 0 add, 1 mul, 4 sub, 5 subr, 6 div, 7 divr. */
function binary(op: u32): void {
  if (op == 5 || op == 7) swapAB();
  if (op == 0) xAdd(false);
  else if (op == 1) xMul();
  else if (op == 4 || op == 5) xAdd(true);
  else xDiv();
}

/** Native f64 attempt for plain (unshadowed) operands; writes physical register p on success. */
function tryFast(op: u32, a: f64, b: f64, p: u32): bool {
  let ok: bool;
  switch (op) {
    case 0: ok = fastOp(0, a, b); break;
    case 1: ok = fastOp(1, a, b); break;
    case 4: ok = fastOp(0, a, -b); break;
    case 5: ok = fastOp(0, b, -a); break;
    case 6: ok = fastOp(6, a, b); break;
    default: ok = fastOp(6, b, a); break;
  }
  if (!ok) return false;
  if (fastErr != 0) { raise(PE); setC1((fastErr < 0) != (fastResult < 0)); }
  physSet(p, fastResult);
  return true;
}

/** ST(dst) = ST(dst) op ST(src) (register forms), popping afterwards if `popAfter`. */
export function arithReg(op: u32, dst: u32, src: u32, popAfter: bool): void {
  const pd = phys(dst), ps = phys(src);
  if (physEmpty(pd) || physEmpty(ps)) {
    underflow();
    if (!imMasked()) return;
    physSet(pd, INDEFINITE);
  } else {
    setC1(false);
    if (extValid(pd) || extValid(ps) || !tryFast(op, physVal(pd), physVal(ps), pd)) {
      loadAReg(pd); loadBReg(ps);
      binary(op);
      if (unmaskedNow(IE | DE | ZE)) return;
      writeR(pd);
    }
  }
  if (popAfter) pop();
}

/** ST(0) = ST(0) op m (memory forms; m already converted, DE already raised). */
export function arithMem(op: u32, m: f64): void {
  const p = phys(0);
  if (physEmpty(p)) {
    underflow();
    if (imMasked()) physSet(p, INDEFINITE);
    return;
  }
  if (unmaskedNow(DE)) return;
  setC1(false);
  if (!extValid(p) && tryFast(op, physVal(p), m, p)) return;
  loadAReg(p); loadBVal(m);
  binary(op);
  if (unmaskedNow(IE | DE | ZE)) return;
  writeR(p);
}

/** Compare/arithmetic with a memory operand: reg 2 FCOM, 3 FCOMP, else arithmetic. */
export function memArith(reg: u32, v: f64): void {
  if (reg == 2 || reg == 3) {
    if (fcomVal(v, false) && reg == 3) pop();
    return;
  }
  arithMem(reg, v);
}

// ---- comparisons ----
const CC_OF: StaticArray<u32> = [0, C0, C3, C3 | C2 | C0];

/** FCOM-family: set C3/C2/C0 from a comparison (unless IE/DE is unmasked), clear C1. */
export function setCompareCC(res: i32): void {
  setC1(false);
  if (unmaskedNow(IE | DE)) return;
  setCC(C0 | C2 | C3, CC_OF[res]);
}

/** Stack-fault handling shared by the compares; false when nothing is to be compared. */
function compareUnderflow(): bool {
  underflow();
  if (imMasked()) setCC(C0 | C2 | C3, C0 | C2 | C3);
  return imMasked();
}

/** FCOM/FUCOM ST(0), ST(i). Returns false when the instruction must not pop. */
export function fcomReg(i: u32, quietNaN: bool): bool {
  if (stEmpty(0) || stEmpty(i)) return compareUnderflow();
  loadAReg(phys(0)); loadBReg(phys(i));
  setCompareCC(xCompare(quietNaN));
  return !unmaskedNow(IE | DE);
}
/** FCOM ST(0), m (memory and integer forms, FTST). */
export function fcomVal(v: f64, quietNaN: bool): bool {
  if (stEmpty(0)) return compareUnderflow();
  loadAReg(phys(0)); loadBVal(v);
  setCompareCC(xCompare(quietNaN));
  return !unmaskedNow(IE | DE);
}

/** FCOMI/FUCOMI: ZF, PF, CF from the comparison; OF, SF, AF cleared. */
export function fcomi(i: u32, quietNaN: bool): bool {
  let res: i32;
  if (stEmpty(0) || stEmpty(i)) {
    underflow();
    if (!imMasked()) return false;
    res = 3;
  } else {
    loadAReg(phys(0)); loadBReg(phys(i));
    res = xCompare(quietNaN);
    setC1(false);
    if (unmaskedNow(IE | DE)) return false;
  }
  const fl: u32 = res == 0 ? 0 : res == 1 ? 1 : res == 2 ? 0x40 : 0x45;
  writeEflags((readEflags() & ~<u32>0x8d5) | fl);
  return true;
}

/** FXAM: classify ST(0) into C3/C2/C0, sign in C1 (SDM Vol. 2A FXAM table). */
export function fxam(): void {
  const p = phys(0);
  let cc: u32;
  let neg: bool;
  if (physEmpty(p)) {
    cc = C3 | C0;
    neg = (reinterpret<u64>(physVal(p)) >> 63) != 0;
  } else {
    const cls = unpackReg(p);
    neg = uSign != 0;
    if (cls == 4) { cc = 0; neg = extValid(p) ? (extSexpOf(p) & 0x8000) != 0 : neg; }
    else if (cls == 3) cc = C0;
    else if (cls == 2) cc = C2 | C0;
    else if (cls == 0) cc = C3;
    else if (extValid(p) && (extSexpOf(p) & 0x7fff) == 0) cc = C3 | C2;   // 80-bit denormal
    else cc = C2;
    if (cls == 4) neg = (extSexpOf(p) & 0x8000) != 0;
  }
  setCC(C0 | C1 | C2 | C3, cc | (neg ? C1 : 0));
}

// ---- memory operand conversions (loads) ----
/** m32 real -> f64, exact; raises DE for a denormal. SNaN stays signalling (caller decides). */
export function fromF32(b: u32): f64 {
  const e = (b >> 23) & 0xff, f = b & 0x7fffff;
  if (e == 0xff && f != 0) {
    return reinterpret<f64>((<u64>(b >> 31) << 63) | 0x7ff0000000000000 | (<u64>f << 29));
  }
  if (e == 0 && f != 0) raise(DE);
  return <f64>reinterpret<f32>(b);
}
/** m64 real -> f64; raises DE for a denormal. */
export function fromF64(b: u64): f64 {
  if (((b >> 52) & 0x7ff) == 0 && (b & 0xfffffffffffff) != 0) raise(DE);
  return reinterpret<f64>(b);
}

/** FLD of a converted m32/m64 value: SNaN -> IE and quiet; unmasked IE/DE -> no load. */
export function loadReal(v: f64): void {
  if (isSNaN(v)) { raise(IE); v = quiet(v); }
  if (unmaskedNow(IE | DE)) return;
  push(v);
}

/** FLD m80: exact, no exceptions other than stack overflow. */
export function loadExt(lo: u64, topWord: u32): void {
  pushExt(topWord, lo);
}

/** Push the exact image in xSexp/xMant (v, its f64 rounding, is recomputed). */
export function pushX(v: f64): void { pushExt(xSexp, xMant); }

export { INDEFINITE, INDEFINITE_BITS };

// x87 single-register instructions: FCHS, FABS, FSQRT, FRNDINT, FSCALE,
// FXTRACT, FPREM, FPREM1 and the constant loads (Intel SDM Vol. 2A reference pages and their
// special-value tables). The transcendental instructions are in xtrans.ts.

import {
  raise, setC1, setCC, unmaskedNow, cw, top, setTop, phys, stEmpty, stVal, physSet, physSetExt,
  physVal, extValid, extSexp, extMant, IE, DE, ZE, PE, C0, C1, C2, C3, exc, c1Out, restoreFlags,
} from './state';
import {
  nanResult, isSNaN, quiet, invalid, INDEFINITE, loadAReg, loadBReg, xSqrt, xNaN, xIndefinite, xRoundU,
  writeR, aS, aE, aM, aC, bS, bE, bM, bC,
} from './arith';
import {
  unpackF64, uSign, uExp, uMant, setU, normU, packRounded, roundIntU, setR, rSexp, rMant, RC_NEAR, RC_DOWN,
  RC_UP,
} from './round';
import { underflow, overflow, imMasked, willOverflow, push } from './ops';
import { physSetExact } from './convert';

/** Check ST(0) for a one-operand instruction; on underflow writes the masked response. */
function needSt0(): bool {
  if (!stEmpty(0)) return true;
  underflow();
  if (imMasked()) physSet(phys(0), INDEFINITE);
  return false;
}
/** Store a computed ST(0) result unless an unmasked pre-computation exception occurred. */
function putSt0(r: f64): void {
  if (unmaskedNow(IE | DE | ZE)) return;
  physSet(phys(0), r);
}

export function fchs(): void {
  if (!needSt0()) return;
  setC1(false);
  const p = phys(0);
  const v = -physVal(p);
  if (extValid(p)) physSetExt(p, v, extSexp(p) ^ 0x8000, extMant(p)); else physSet(p, v);
}
export function fabs(): void {
  if (!needSt0()) return;
  setC1(false);
  const p = phys(0);
  const v = reinterpret<f64>(reinterpret<u64>(physVal(p)) & 0x7fffffffffffffff);
  if (extValid(p)) physSetExt(p, v, extSexp(p) & 0x7fff, extMant(p)); else physSet(p, v);
}
export function fsqrt(): void {
  if (!needSt0()) return;
  setC1(false);
  const p = phys(0);
  loadAReg(p);
  xSqrt();
  if (unmaskedNow(IE | DE)) return;
  writeR(p);
}

/** FRNDINT: round ST(0) to an integer under RC (exact on the 80-bit value). */
export function frndint(): void {
  if (!needSt0()) return;
  setC1(false);
  const p = phys(0);
  loadAReg(p);
  if (aC >= 3) { xNaN(false); if (!unmaskedNow(IE)) writeR(p); return; }
  if (aC != 1 || aE >= 63) return;                 // zero, infinity, already integral
  setU(aS, aE, aM);
  const q = roundIntU((cw() >> 10) & 3);
  if (q == 0) setR(aS << 15, 0);
  else { setU(aS, 63, q); xRoundU(); }
  writeR(p);
}

/** Integer part of an unpacked finite value, saturated to +-2^30 (FSCALE's scale factor). */
function truncToI32(s: u32, e: i32, m: u64): i32 {
  if (e < 0) return 0;
  const n: i32 = e > 30 ? (1 << 30) : <i32>(m >> <u64>(63 - e));
  return s != 0 ? -n : n;
}

/** FSCALE: ST(0) = ST(0) * 2^trunc(ST(1)), exact except for range. */
export function fscale(): void {
  if (stEmpty(0) || stEmpty(1)) { underflow(); if (imMasked()) physSet(phys(0), INDEFINITE); return; }
  const p = phys(0);
  setC1(false);
  loadAReg(p); loadBReg(phys(1));
  if (aC >= 3 || bC >= 3) { xNaN(true); }
  else if (bC == 2) {
    if (bS == 0) { if (aC == 0) xIndefinite(); else setR((aS << 15) | 0x7fff, <u64>1 << 63); }
    else { if (aC == 2) xIndefinite(); else setR(aS << 15, 0); }
  } else if (aC != 1) return;                       // zero or infinity scaled: unchanged
  else {
    const n = bC == 1 ? truncToI32(bS, bE, bM) : 0;
    setU(aS, aE + n, aM);
    xRoundU();
  }
  if (unmaskedNow(IE | DE)) return;
  writeR(p);
}

/** FXTRACT: ST(0) = exponent, then push the significand. */
export function fxtract(): void {
  if (stEmpty(0)) {
    underflow();
    if (imMasked()) { physSet(phys(0), INDEFINITE); push(INDEFINITE); }
    return;
  }
  if (willOverflow()) {
    overflow();
    if (imMasked()) { physSet(phys(0), INDEFINITE); push(INDEFINITE); }
    return;
  }
  setC1(false);
  const p = phys(0);
  loadAReg(p);
  let e: f64;
  if (aC >= 3) { xNaN(false); e = INDEFINITE; }
  else if (aC == 0) { raise(ZE); e = -Infinity; setR(aS << 15, 0); }
  else if (aC == 2) { e = Infinity; setR((aS << 15) | 0x7fff, <u64>1 << 63); }
  else { e = <f64>aE; setR((aS << 15) | 0x3fff, aM); }
  if (unmaskedNow(IE | ZE)) return;
  const sexp = rSexp, mant = rMant;
  if (aC >= 3) { writeR(p); } else physSet(p, e);
  setR(sexp, mant);
  const q = (top() - 1) & 7;
  setTop(q);
  writeR(q);
}

/** FPREM (round = false, truncating quotient) and FPREM1 (round = true, IEEE remainder). */
export function fprem(round: bool): void {
  if (stEmpty(0) || stEmpty(1)) { underflow(); if (imMasked()) physSet(phys(0), INDEFINITE); return; }
  const p = phys(0);
  setCC(C0 | C1 | C2 | C3, 0);
  setC1(false);
  loadAReg(p); loadBReg(phys(1));
  if (aC >= 3 || bC >= 3) { xNaN(true); if (!unmaskedNow(IE)) writeR(p); return; }
  if (aC == 2 || bC == 0) { xIndefinite(); if (!unmaskedNow(IE)) writeR(p); return; }
  if (aC == 0 || bC == 2) return;                 // ST(0) is already the remainder, Q = 0
  const d = aE - bE;
  let sign = aS;
  let r: u64 = aM, q: u64 = 0, re: i32 = bE;
  let partial = false;
  if (d < 0) {
    // |ST(0)| < |ST(1)|: Q = 0; FPREM1 rounds Q to 1 when |ST(0)| > |ST(1)|/2
    if (!round || d < -1 || aM <= bM) return;
    // remainder = |ST(1)| - |ST(0)| = (2*bM - aM) * 2^(bE-64) with the opposite sign, exact;
    // 2*bM - aM < bM fits 64 bits (wrapping arithmetic gives it exactly)
    setU(sign ^ 1, bE - 1, bM + bM - aM);
    xRoundU();
    writeR(p);
    setCC(C1, C1); setC1(true);
    return;
  }
  let steps = d;
  if (d >= 64) { steps = 32 + (d % 32); re = aE - steps; partial = true; }
  if (r >= bM) { r -= bM; q = 1; }
  for (let i = 0; i < steps; i++) {
    const carry = (r >> 63) != 0;
    r <<= 1; q <<= 1;
    if (carry || r >= bM) { r -= bM; q |= 1; }
  }
  if (round && !partial) {
    const rest = bM - r;                            // compare r with bM/2 exactly
    if (r > rest || (r == rest && (q & 1) != 0)) { r = rest; sign ^= 1; q += 1; }
  }
  if (r == 0) setR(aS << 15, 0);
  else { setU(sign, re, r); xRoundU(); }
  writeR(p);
  if (partial) { setCC(C2, C2); return; }
  let cc: u32 = 0;
  if ((q & 4) != 0) cc |= C0;
  if ((q & 2) != 0) cc |= C3;
  if ((q & 1) != 0) cc |= C1;
  setCC(C0 | C1 | C3, cc);
  setC1((q & 1) != 0);
}

// ---- constants (FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ) ----
// 80-bit round-to-nearest images (SDM Vol. 1 8.3.8) and whether that image is above the true
// value (then round-down/chop use the next lower significand; otherwise round-up uses the next
// higher one). Index = modrm - 0xE8.
const K_EXP: StaticArray<u32> = [0x3fff, 0x4000, 0x3fff, 0x4000, 0x3ffd, 0x3ffe, 0];
const K_MANT: StaticArray<u64> = [
  0x8000000000000000, 0xd49a784bcd1b8afe, 0xb8aa3b295c17f0bc, 0xc90fdaa22168c235,
  0x9a209a84fbcff799, 0xb17217f7d1cf79ac, 0,
];
const K_UP: StaticArray<bool> = [false, false, true, true, true, true, false];

export function fldConst(k: i32): void {
  let m = K_MANT[k];
  const e = K_EXP[k];
  const mode = (cw() >> 10) & 3;
  if (k >= 1 && k <= 5) {
    if (K_UP[k] && (mode == RC_DOWN || mode == 3)) m -= 1;
    else if (!K_UP[k] && mode == RC_UP) m += 1;
  }
  if (!willOverflow()) {
    const p = (top() - 1) & 7;
    setTop(p);
    physSetExact(p, e, m);
    setC1(false);
  } else push(0.0); // reports the overflow (masked: the indefinite)
}

export { C0, C3, isSNaN, quiet };

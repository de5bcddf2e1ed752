// x87 transcendental instructions with 80-bit accuracy: F2XM1, FYL2X, FYL2XP1, FPATAN, FSIN,
// FCOS, FSINCOS and FPTAN evaluate in double-double arithmetic (ddmath.ts) on the exact 80-bit
// operands and round the result once to 64 bits (precision control does not apply to
// transcendentals, SDM Vol. 1 8.1.5.2). Trigonometric arguments are reduced with the 66-bit pi
// of the hardware. Special operands follow the tables on the SDM Vol. 2A reference pages.

import { raise, setC1, setCC, unmaskedNow, phys, stEmpty, physSet, top, setTop, IE, ZE, PE, C2 } from './state';
import {
  INDEFINITE, loadAReg, loadBReg, xNaN, xIndefinite, writeR, xFromDD, sigOf, sigH, sigL,
  aS, aE, aM, aC, bS, bE, bM, bC,
} from './arith';
import { setR } from './round';
import {
  H, L, ddAdd, ddMul, ddDiv, ddExpm1, ddLogNear1, ddAtan, LN2_H, LN2_L, LOG2E_H, LOG2E_L,
  PI_2_H, PI_2_L, SH, SL, CH, CL, ddSinCos, ddSinCosHuge, negateSin as SHn,
} from './ddmath';
import { underflow, overflow, imMasked, willOverflow, push } from './ops';

const ONE_MANT: u64 = 0x8000000000000000;
@inline function pow2(k: i32): f64 { return reinterpret<f64>(<u64>(k + 1023) << 52); }

function resInf(neg: bool): void { setR((neg ? 0x8000 : 0) | 0x7fff, ONE_MANT); }
function resZero(neg: bool): void { setR(neg ? 0x8000 : 0, 0); }

/** F2XM1: ST(0) = 2^ST(0) - 1 (defined for -1 <= x <= +1; computed beyond it as well). */
export function f2xm1(): void {
  if (stEmpty(0)) { underflow(); if (imMasked()) physSet(phys(0), INDEFINITE); return; }
  setC1(false);
  const p = phys(0);
  loadAReg(p);
  if (aC >= 3) { xNaN(false); if (!unmaskedNow(IE)) writeR(p); return; }
  if (aC == 0) return;                                  // 2^(+-0) - 1 = +-0
  if (aC == 2) { if (aS != 0) { setR(0xbfff, ONE_MANT); writeR(p); } return; }   // -inf -> -1
  raise(PE);
  sigOf(aM);
  let xh = sigH, xl = sigL;
  if (aS != 0) { xh = -xh; xl = -xl; }
  if (aE < -60) {
    // 2^x - 1 = x ln 2 (1 + x ln2 / 2 + ...): the correction is below 2^-64 relative
    ddMul(xh, xl, LN2_H, LN2_L);
    xFromDD(H, L, aE);
  } else {
    const e = aE > 10 ? 10 : aE;                        // beyond the domain: keep it finite
    ddMul(xh * pow2(e), xl * pow2(e), LN2_H, LN2_L);
    ddExpm1(H, L);
    xFromDD(H, L, 0);
  }
  writeR(p);
}

/** log2 of the unpacked positive finite operand A as a double-double (H, L). */
function log2OfA(): void {
  sigOf(aM);
  let e = aE;
  let dh = sigH - 1, dl = sigL;                         // m - 1, exact
  if (sigH > 1.4142135623730951) { dh = sigH * 0.5 - 1; dl = sigL * 0.5; e += 1; }
  ddLogNear1(dh, dl);
  ddMul(H, L, LOG2E_H, LOG2E_L);
  ddAdd(H, L, <f64>e, 0);
}

/** FPATAN (kind 0), FYL2X (kind 1), FYL2XP1 (kind 2): ST(1) = f(ST(1), ST(0)), then pop. */
export function fpatanLike(kind: i32): bool {
  if (stEmpty(0) || stEmpty(1)) {
    underflow();
    if (imMasked()) { physSet(phys(1), INDEFINITE); return true; }
    return false;
  }
  setC1(false);
  loadAReg(phys(0));          // A = x = ST(0)
  loadBReg(phys(1));          // B = y = ST(1)
  if (aC >= 3 || bC >= 3) xNaN(true);
  else if (kind == 0) fpatan();
  else if (kind == 1) fyl2x();
  else fyl2xp1();
  if (unmaskedNow(IE | ZE)) return false;
  writeR(phys(1));
  return true;
}

/** y * log2(x). */
function fyl2x(): void {
  const yNeg = bS != 0;
  if (aC != 0 && aS != 0) { xIndefinite(); return; }                    // x < 0
  if (aC == 0) {                                                         // log2(0) = -inf
    if (bC == 0) { xIndefinite(); return; }
    if (bC == 1) raise(ZE);
    resInf(!yNeg); return;
  }
  const xIsOne = aE == 0 && aM == ONE_MANT;
  const xBelowOne = aE < 0;
  if (aC == 2) { if (bC == 0) { xIndefinite(); return; } resInf(yNeg); return; }
  if (bC == 2) {
    if (xIsOne) { xIndefinite(); return; }
    resInf(yNeg != xBelowOne); return;
  }
  if (bC == 0 || xIsOne) { resZero(yNeg != xBelowOne); return; }
  if (aM != ONE_MANT) raise(PE);
  log2OfA();
  const lh = H, ll = L;
  sigOf(bM);
  ddMul(yNeg ? -sigH : sigH, yNeg ? -sigL : sigL, lh, ll);
  xFromDD(H, L, bE);
}

/** y * log2(1 + x). */
function fyl2xp1(): void {
  const yNeg = bS != 0, xNeg = aS != 0;
  if (aC == 0) {
    if (bC == 2) { xIndefinite(); return; }
    resZero(yNeg != xNeg); return;
  }
  if (aC == 2) {
    if (xNeg || bC == 0) { xIndefinite(); return; }
    resInf(yNeg); return;
  }
  // x finite non-zero
  if (xNeg && aE >= 0) { xIndefinite(); return; }      // x <= -1: outside the domain
  if (bC == 2) { resInf(yNeg != xNeg); return; }
  if (bC == 0) { resZero(yNeg != xNeg); return; }
  raise(PE);
  sigOf(aM);
  let lh: f64, ll: f64;
  if (aE < -900) {
    // log2(1 + x) = x log2(e) to far below the 64-bit rounding point
    ddMul(xNeg ? -sigH : sigH, xNeg ? -sigL : sigL, LOG2E_H, LOG2E_L);
    const th = H, tl = L;
    sigOf(bM);
    ddMul(yNeg ? -sigH : sigH, yNeg ? -sigL : sigL, th, tl);
    xFromDD(H, L, aE + bE);
    return;
  }
  let xh = sigH * pow2(aE), xl = sigL * pow2(aE);
  if (xNeg) { xh = -xh; xl = -xl; }
  if (Math.abs(xh) < 0.3) {
    ddLogNear1(xh, xl);
  } else {
    // 1 + x as double-double, scaled into [sqrt(1/2), sqrt(2)] with log(2^e) added back
    ddAdd(1, 0, xh, xl);
    let mh = H, ml = L, e = 0;
    while (mh > 1.4142135623730951) { mh *= 0.5; ml *= 0.5; e += 1; }
    while (mh < 0.7071067811865476) { mh *= 2; ml *= 2; e -= 1; }
    ddAdd(mh, ml, -1, 0);
    ddLogNear1(H, L);
    const nh = H, nl = L;
    ddMul(<f64>e, 0, LN2_H, LN2_L);
    ddAdd(nh, nl, H, L);
  }
  ddMul(H, L, LOG2E_H, LOG2E_L);
  const th = H, tl = L;
  sigOf(bM);
  ddMul(yNeg ? -sigH : sigH, yNeg ? -sigL : sigL, th, tl);
  xFromDD(H, L, bE);
}

/** atan2(y, x) with the quadrant rules of the SDM FPATAN table. */
function fpatan(): void {
  const yNeg = bS != 0, xNeg = aS != 0;
  let ah: f64, al: f64;     // |result| as double-double
  if (aC != 1 || bC != 1) {
    // zeros and infinities: the result is 0 or a multiple of pi/4
    if (bC == 0 && !xNeg) { resZero(yNeg); return; }
    let q: f64;             // multiple of pi/2
    if (bC == 0) q = 2;                                 // (+-0, x < 0 or -0): +-pi
    else if (aC == 0) q = 1;                            // (y, +-0): +-pi/2
    else if (bC == 2 && aC == 2) q = xNeg ? 1.5 : 0.5;  // (+-inf, +-inf)
    else if (bC == 2) q = 1;                            // (+-inf, finite)
    else { if (!xNeg) { resZero(yNeg); return; } q = 2; }  // (finite, +-inf)
    ah = PI_2_H * q; al = PI_2_L * q;
  } else {
    raise(PE);
    // compare |y| with |x| exactly, then atan of the ratio <= 1
    const yBig = bE > aE || (bE == aE && bM > aM);
    const d = yBig ? aE - bE : bE - aE;                 // <= 0
    sigOf(yBig ? aM : bM);
    const nh = sigH, nl = sigL;
    sigOf(yBig ? bM : aM);
    if (d < -200) {
      // atan(z) = z for z < 2^-200 (far below the rounding point)
      if (!yBig && !xNeg) {
        ddDiv(nh, nl, sigH, sigL);
        xFromDD(yNeg ? -H : H, yNeg ? -L : L, d);
        return;
      }
      ah = 0; al = 0;       // tiny against pi/2 or pi: only the constant matters
    } else {
      ddDiv(nh, nl, sigH, sigL);
      ddAtan(H * pow2(d), L * pow2(d));
      ah = H; al = L;
    }
    if (yBig) { ddAdd(PI_2_H, PI_2_L, -ah, -al); ah = H; al = L; }
    if (xNeg) { ddAdd(PI_2_H * 2, PI_2_L * 2, -ah, -al); ah = H; al = L; }
  }
  xFromDD(yNeg ? -ah : ah, yNeg ? -al : al, 0);
}

// ---- FSIN, FCOS, FSINCOS, FPTAN ----
/**
 * Checks shared by the trigonometric instructions: 1 = compute, 0 = done (out of range, C2=1),
 * 2 = NaN result in R (NaN operand or infinity -> the indefinite with IE).
 */
function trigArg(): i32 {
  setC1(false);
  setCC(C2, 0);
  loadAReg(phys(0));
  if (aC >= 3) { xNaN(false); return 2; }
  if (aC == 2) { xIndefinite(); return 2; }
  if (aC == 1 && aE >= 63) { setCC(C2, C2); return 0; }   // |x| >= 2^63: out of range
  return 1;
}

/** sin and cos of the operand A (finite, |x| < 2^63) into SH/SL and CH/CL; false: tiny x. */
function sinCosA(): bool {
  if (aC == 0 || aE < -60) return false;
  if (aE >= -1) {
    // exact reduction by k * pi66/2 in integer arithmetic; sin(-x) = -sin(x), cos(-x) = cos(x)
    ddSinCosHuge(aM, aE - 63);
    if (aS != 0) SHn();
    return true;
  }
  sigOf(aM);                                  // |x| < 1/2 < pi/4: no reduction
  const sc = pow2(aE);
  ddSinCos(aS != 0 ? -sigH * sc : sigH * sc, aS != 0 ? -sigL * sc : sigL * sc);
  return true;
}
function putSin(p: u32): void { xFromDD(SH, SL, 0); writeR(p); }
function putCos(p: u32): void { xFromDD(CH, CL, 0); writeR(p); }

/** FSIN (kind 0), FCOS (kind 1). */
export function fsincos1(kind: i32): void {
  if (stEmpty(0)) { underflow(); if (imMasked()) physSet(phys(0), INDEFINITE); return; }
  const t = trigArg();
  const p = phys(0);
  if (t == 2) { if (!unmaskedNow(IE)) writeR(p); return; }
  if (t == 0) return;
  if (aC == 0) { if (kind == 1) { setR(0x3fff, ONE_MANT); writeR(p); } return; }   // exact
  raise(PE);
  if (!sinCosA()) {                                        // zero or tiny: sin x = x, cos x = 1
    if (kind == 1) { setR(0x3fff, ONE_MANT); writeR(p); }
    return;
  }
  if (kind == 0) putSin(p); else putCos(p);
}

/** FSINCOS (ST(0) = sin, push cos) and FPTAN (ST(0) = tan, push 1.0). */
export function fsincosPush(tan: bool): void {
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
  const t = trigArg();
  const p = phys(0);
  const q = (top() - 1) & 7;
  if (t == 2) {                                             // NaN in both results (as Bochs)
    if (unmaskedNow(IE)) return;
    writeR(p); setTop(q); writeR(q);
    return;
  }
  if (t == 0) return;
  if (aC != 0) raise(PE);
  if (!sinCosA()) {                                        // zero or tiny: sin = tan = x, cos = 1
    setTop(q);
    if (tan) physSet(q, 1.0); else { setR(0x3fff, ONE_MANT); writeR(q); }
    return;
  }
  if (tan) {
    ddDiv(SH, SL, CH, CL); xFromDD(H, L, 0); writeR(p);
    setTop(q);
    physSet(q, 1.0);
  } else {
    putSin(p);
    setTop(q);
    putCos(q);
  }
}

// x87 basic arithmetic with 80-bit semantics: FADD/FSUB/FMUL/FDIV/FSQRT and comparisons on
// two unpacked operands (A, B) taken from registers (their exact 80-bit value) or memory. The
// exact result is computed with integer significand arithmetic (128-bit intermediates) and
// rounded once to the precision control (24/53/64 bits) in the double extended exponent range
// under the rounding control. NaN propagation, invalid operations and zero divide follow the
// Intel SDM Vol. 1 4.8.3.5 (Table 4-7), 8.5.1 and 8.5.3.

import { raise, cw, physSet, physSetExt, IE, ZE, DE, INDEFINITE_BITS, RC_DOWN } from './state';
import {
  uSign, uExp, uMant, uCls, uDen, setU, setULo, normU, unpackF64, roundToExt, pcBits, setR, rSexp, rMant,
} from './round';
import { unpackReg, extToF64, f64ToExt, xSexp, xMant } from './convert';

export const INDEFINITE: f64 = reinterpret<f64>(INDEFINITE_BITS);
const INDEF_SEXP: u32 = 0xffff;
const INDEF_MANT: u64 = 0xc000000000000000;

// ---- 128-bit helpers ----
/** Upper and lower halves of the last mul64 product. */
export let mulHi: u64 = 0;
export let mulLo: u64 = 0;
/** Full 64x64 -> 128-bit unsigned product into mulHi:mulLo. */
export function mul64(a: u64, b: u64): void {
  const a0 = a & 0xffffffff, a1 = a >> 32, b0 = b & 0xffffffff, b1 = b >> 32;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  mulLo = (p00 & 0xffffffff) | (mid << 32);
  mulHi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}
@inline function lt128(ah: u64, al: u64, bh: u64, bl: u64): bool { return ah < bh || (ah == bh && al < bl); }

/** Remainder of the last divlu. */
let divRem: u64 = 0;
/**
 * (u1:u0) / v for a normalized v (bit 63 set) and u1 < v: the 64-bit quotient, remainder in
 * divRem (Hacker's Delight, divlu with 32-bit digits).
 */
function divlu(u1: u64, u0: u64, v: u64): u64 {
  const B: u64 = 0x100000000;
  const vn1 = v >> 32, vn0 = v & 0xffffffff;
  const un1 = u0 >> 32, un0 = u0 & 0xffffffff;
  let q1 = u1 / vn1;
  let rhat = u1 - q1 * vn1;
  while (q1 >= B || q1 * vn0 > ((rhat << 32) | un1)) {
    q1 -= 1; rhat += vn1;
    if (rhat >= B) break;
  }
  const un21 = ((u1 << 32) | un1) - q1 * v;
  let q0 = un21 / vn1;
  rhat = un21 - q0 * vn1;
  while (q0 >= B || q0 * vn0 > ((rhat << 32) | un0)) {
    q0 -= 1; rhat += vn1;
    if (rhat >= B) break;
  }
  divRem = ((un21 << 32) | un0) - q0 * v;
  return (q1 << 32) | q0;
}

// ---- f64 helpers (transcendentals work on f64) ----
@inline export function isSNaN(v: f64): bool {
  return isNaN(v) && (reinterpret<u64>(v) & 0x8000000000000) == 0;
}
@inline export function quiet(v: f64): f64 { return reinterpret<f64>(reinterpret<u64>(v) | 0x8000000000000); }
/** f64 result of an operation with at least one NaN operand (SDM Table 4-7, x87 column). */
export function nanResult(a: f64, b: f64): f64 {
  if ((reinterpret<u64>(a) << 1) == 0xffe0000000000002 || (reinterpret<u64>(b) << 1) == 0xffe0000000000002) return invalid();
  const an = isNaN(a), bn = isNaN(b);
  if (isSNaN(a) || isSNaN(b)) raise(IE);
  if (an && bn) {
    const as = isSNaN(a), bs = isSNaN(b);
    if (as != bs) return as ? quiet(b) : quiet(a);
    const fa = reinterpret<u64>(a) & 0xfffffffffffff, fb = reinterpret<u64>(b) & 0xfffffffffffff;
    return quiet(fb > fa ? b : a);
  }
  return quiet(an ? a : b);
}
/** Invalid operation: raise IE and return the real indefinite. */
export function invalid(): f64 { raise(IE); return INDEFINITE; }

// ---- operands ----
export let aS: u32 = 0; export let aE: i32 = 0; export let aM: u64 = 0; export let aC: i32 = 0;
export let bS: u32 = 0; export let bE: i32 = 0; export let bM: u64 = 0; export let bC: i32 = 0;
let aDen = false, bDen = false;

/** Operand A = exact value of physical register p. */
export function loadAReg(p: u32): void { aC = unpackReg(p); aS = uSign; aE = uExp; aM = uMant; aDen = uDen; }
export function loadBReg(p: u32): void { bC = unpackReg(p); bS = uSign; bE = uExp; bM = uMant; bDen = uDen; }
/** Operand = an f64 (memory operands, constants). */
export function loadAVal(v: f64): void { unpackF64(v); aC = uCls; aS = uSign; aE = uExp; aM = uMant; aDen = false; }
export function loadBVal(v: f64): void { unpackF64(v); bC = uCls; bS = uSign; bE = uExp; bM = uMant; bDen = false; }
export function swapAB(): void {
  const s = aS; aS = bS; bS = s;
  const e = aE; aE = bE; bE = e;
  const m = aM; aM = bM; bM = m;
  const c = aC; aC = bC; bC = c;
  const d = aDen; aDen = bDen; bDen = d;
}
/** Raise DE for 80-bit denormal operands (memory m32/m64 denormals raise it when loaded). */
function checkDenormal(two: bool): void { if (aDen || (two && bDen)) raise(DE); }

// ---- results (in rSexp/rMant) ----
function resIndefinite(): void { raise(IE); setR(INDEF_SEXP, INDEF_MANT); }
function resZero(neg: bool): void { setR(neg ? 0x8000 : 0, 0); }
function resInf(neg: bool): void { setR((neg ? 0x8000 : 0) | 0x7fff, <u64>1 << 63); }
@inline function rc(): u32 { return (cw() >> 10) & 3; }
/** Significand bits forced for transcendental results (0: the precision control decides). */
let forcePrec: i32 = 0;
/** Round the unpacked result (uSign/uExp/uMant/uLo) to the precision control. */
function resRound(): void { normU(); roundToExt(forcePrec != 0 ? forcePrec : pcBits(), rc()); }
/** A copied operand rounded to the precision control (x + 0, x * 1...). */
function resOperand(s: u32, e: i32, m: u64): void { setU(s, e, m); resRound(); }

/** NaN or unsupported operand(s): the x87 NaN result rules with 80-bit payloads. */
function resNaN(two: bool): void {
  if (aC == 4 || (two && bC == 4)) { resIndefinite(); return; }
  const an = aC == 3, bn = two && bC == 3;
  const as = an && (aM & 0x4000000000000000) == 0, bs = bn && (bM & 0x4000000000000000) == 0;
  if (as || bs) raise(IE);
  let useA: bool;
  if (an && bn) useA = as != bs ? bs : aM >= bM;
  else useA = an;
  const Q: u64 = 0xc000000000000000;
  if (useA) setR((aS << 15) | 0x7fff, aM | Q); else setR((bS << 15) | 0x7fff, bM | Q);
}

/** A + B (negB: A - B). */
export function xAdd(negB: bool): void {
  if (negB) bS ^= 1;
  if (aC >= 3 || bC >= 3) { if (negB) bS ^= 1; resNaN(true); return; }
  if (aC == 2 || bC == 2) {
    if (aC == 2 && bC == 2 && aS != bS) { resIndefinite(); return; }
    if (aC == 2) resInf(aS != 0); else resInf(bS != 0);
    return;
  }
  checkDenormal(true);
  const rcDown = rc() == RC_DOWN;
  if (aC == 0 && bC == 0) { resZero(aS == bS ? aS != 0 : rcDown); return; }
  if (aC == 0) { resOperand(bS, bE, bM); return; }
  if (bC == 0) { resOperand(aS, aE, aM); return; }
  if (bE > aE || (bE == aE && bM > aM)) swapAB();
  const d = aE - bE;
  // B aligned as 128 bits (bh:bl) with the bits shifted beyond them in `lost`
  let bh: u64 = bM, bl: u64 = 0, lost = false;
  if (d >= 128) { bh = 0; bl = 0; lost = true; }
  else if (d >= 64) {
    const k = d - 64;
    bl = k == 0 ? bM : bM >> <u64>k;
    lost = k != 0 && (bM & ((<u64>1 << <u64>k) - 1)) != 0;
    bh = 0;
  } else if (d > 0) {
    bl = bM << <u64>(64 - d);
    bh = bM >> <u64>d;
  }
  let hi: u64, lo: u64, e = aE;
  if (aS == bS) {
    lo = bl;
    hi = aM + bh;
    if (hi < aM) {                      // carry out: shift right one with the carry in
      if ((lo & 1) != 0) lost = true;
      lo = (lo >> 1) | (hi << 63);
      hi = (hi >> 1) | (<u64>1 << 63);
      e += 1;
    }
  } else {
    lo = 0 - bl;
    let borrow: u64 = bl != 0 ? 1 : 0;
    if (lost) { if (lo == 0) borrow += 1; lo -= 1; }
    hi = aM - bh - borrow;
    if (hi == 0 && lo == 0 && !lost) { resZero(rcDown); return; }
  }
  if (lost) lo |= 1;
  setU(aS, e, hi);
  setULo(lo);
  resRound();
}

/** A * B. */
export function xMul(): void {
  if (aC >= 3 || bC >= 3) { resNaN(true); return; }
  const neg = aS != bS;
  if (aC == 2 || bC == 2) {
    if (aC == 0 || bC == 0) { resIndefinite(); return; }
    resInf(neg); return;
  }
  checkDenormal(true);
  if (aC == 0 || bC == 0) { resZero(neg); return; }
  mul64(aM, bM);
  setU(neg ? 1 : 0, aE + bE + 1, mulHi);
  setULo(mulLo);
  resRound();
}

/** A / B. Raises ZE for finite non-zero / zero. */
export function xDiv(): void {
  if (aC >= 3 || bC >= 3) { resNaN(true); return; }
  const neg = aS != bS;
  if (aC == 2 && bC == 2) { resIndefinite(); return; }
  if (aC == 2) { resInf(neg); return; }
  if (bC == 2) { resZero(neg); return; }
  if (bC == 0) {
    if (aC == 0) { resIndefinite(); return; }
    checkDenormal(false);
    raise(ZE); resInf(neg); return;
  }
  checkDenormal(true);
  if (aC == 0) { resZero(neg); return; }
  // 65 quotient bits: q1 (aM >= bM) then 64 more by restoring division with a carry bit
  let r = aM, q1 = false;
  if (r >= bM) { r -= bM; q1 = true; }
  const q = divlu(r, 0, bM);           // floor(r * 2^64 / bM), r < bM
  r = divRem;
  let hi: u64, lo: u64, e: i32;
  if (q1) { hi = (<u64>1 << 63) | (q >> 1); lo = q << 63; e = aE - bE; }
  else {
    hi = q; e = aE - bE - 1;
    const carry = (r >> 63) != 0;     // one more quotient bit for the rounding position
    r <<= 1;
    lo = 0;
    if (carry || r >= bM) { r -= bM; lo = <u64>1 << 63; }
  }
  if (r != 0) lo |= 1;
  setU(neg ? 1 : 0, e, hi);
  setULo(lo);
  resRound();
}

/** sqrt(A). */
export function xSqrt(): void {
  if (aC >= 3) { resNaN(false); return; }
  if (aC == 0) { setR(aS << 15, 0); return; }
  if (aS != 0) { resIndefinite(); return; }
  if (aC == 2) { resInf(false); return; }
  checkDenormal(false);
  // value = aM * 2^t; N = aM * 2^64 (t even) or aM * 2^63 (t odd); root of N has 64 bits
  const t = aE - 63;
  let nh: u64, nl: u64, k: i32;
  if ((t & 1) == 0) { nh = aM; nl = 0; k = (t - 64) / 2; }
  else { nh = aM >> 1; nl = aM << 63; k = (t - 63) >> 1; }
  const nf = <f64>nh * 18446744073709551616.0 + <f64>nl;
  let f = Math.sqrt(nf);
  let r: u64 = f >= 18446744073709551615.0 ? 0xffffffffffffffff : <u64>f;
  // one Newton correction from the exact residual N - r^2, then exact +-1 adjustment
  mul64(r, r);
  let diff: f64;
  if (lt128(mulHi, mulLo, nh, nl)) {
    const dl = nl - mulLo, dh = nh - mulHi - (nl < mulLo ? 1 : 0);
    diff = <f64>dh * 18446744073709551616.0 + <f64>dl;
  } else {
    const dl = mulLo - nl, dh = mulHi - nh - (mulLo < nl ? 1 : 0);
    diff = -(<f64>dh * 18446744073709551616.0 + <f64>dl);
  }
  const delta = Math.round(diff / (2 * <f64>r));
  if (delta > 0) { const n = r + <u64>delta; r = n < r ? 0xffffffffffffffff : n; }
  else if (delta < 0) r -= <u64>(-delta);
  if ((r >> 63) == 0) r = <u64>1 << 63;
  for (let i = 0; i < 4; i++) {      // r^2 > N: decrement
    mul64(r, r);
    if (!lt128(nh, nl, mulHi, mulLo)) break;
    r -= 1;
  }
  for (let i = 0; i < 4 && r != 0xffffffffffffffff; i++) {   // (r+1)^2 <= N: increment
    mul64(r + 1, r + 1);
    if (lt128(nh, nl, mulHi, mulLo)) break;
    r += 1;
  }
  mul64(r, r);
  const remL = nl - mulLo, remH = nh - mulHi - (nl < mulLo ? 1 : 0);   // N - r^2 in [0, 2r]
  let lo: u64 = 0;
  if (remH != 0 || remL > r) lo = (<u64>1 << 63) | 1;                   // above one half
  else if (remL != 0) lo = 1;
  setU(0, k + 63, r);
  setULo(lo);
  resRound();
}

/** Compare A with B: 0 greater, 1 less, 2 equal, 3 unordered. IE for NaNs per `quietNaN`. */
export function xCompare(quietNaN: bool): i32 {
  if (aC >= 3 || bC >= 3) {
    const snan = (aC == 3 && (aM & 0x4000000000000000) == 0) || (bC == 3 && (bM & 0x4000000000000000) == 0);
    if (aC == 4 || bC == 4 || !quietNaN || snan) raise(IE);
    return 3;
  }
  checkDenormal(true);
  if (aC == 0 && bC == 0) return 2;
  // order key: sign, then magnitude (class, exponent, significand)
  const aNeg = aC != 0 && aS != 0, bNeg = bC != 0 && bS != 0;
  if (aNeg != bNeg) return aNeg ? 1 : 0;
  let mag: i32;    // |A| vs |B|: 1 greater, -1 less, 0 equal
  if (aC != bC) mag = aC > bC ? 1 : -1;          // zero < finite < infinity
  else if (aC == 2) mag = 0;
  else mag = aE > bE ? 1 : (aE < bE ? -1 : (aM > bM ? 1 : (aM < bM ? -1 : 0)));
  if (mag == 0) return 2;
  return (mag > 0) != aNeg ? 0 : 1;
}

/** Store the result rSexp/rMant into physical register p (plain f64 when exact). */
export function writeR(p: u32): void {
  const e = rSexp & 0x7fff;
  if (e >= 16383 - 1022 && e <= 16383 + 1023 && (rMant & 0x7ff) == 0 && (rMant >> 63) != 0) {
    // a normal double: encode directly
    const bits = (<u64>(rSexp >> 15) << 63) | (<u64>(e - 16383 + 1023) << 52) | ((rMant >> 11) & 0xfffffffffffff);
    physSet(p, reinterpret<f64>(bits));
    return;
  }
  if (rMant == 0 && e == 0) { physSet(p, reinterpret<f64>(<u64>(rSexp >> 15) << 63)); return; }
  const v = extToF64(rSexp, rMant);
  f64ToExt(v);
  if (xSexp == rSexp && xMant == rMant) physSet(p, v);
  else physSetExt(p, v, rSexp, rMant);
}

// ---- fast paths (both operands plain f64) ----
// With round-to-nearest and precision control 53/64 the native f64 operation gives the x87
// result whenever it lies in the f64 normal range and (for PC=64) is exact; the exact rounding
// error (TwoSum, Dekker's TwoProduct) decides that and gives PE and C1.
const SPLIT: f64 = 134217729.0;
/** |x| within [2^-499, 2^500): products and quotients of two such values stay normal. Tested
 *  on the biased exponent (an integer compare instead of float compares with NaN branches). */
@inline function safe(x: f64): bool { return ((<u32>(reinterpret<u64>(x) >> 52) & 0x7ff) - 524) < 999; }
/** x is finite and not zero (denormals included). */
@inline function finiteNonZero(x: f64): bool { return (reinterpret<u64>(x) << 1) - 1 < 0xffdfffffffffffff; }
/** x is a normal f64 (finite, not zero, not denormal). */
@inline function normal(x: f64): bool { return ((<u32>(reinterpret<u64>(x) >> 52) & 0x7ff) - 1) < 0x7fe; }
@inline function sigBits(x: f64): i32 {
  return 53 - <i32>ctz<u64>((reinterpret<u64>(x) & 0xfffffffffffff) | 0x10000000000000);
}
@inline function mulErr(a: f64, b: f64, r: f64): f64 {
  let c = SPLIT * a; const ah = c - (c - a), al = a - ah;
  c = SPLIT * b; const bh = c - (c - b), bl = b - bh;
  return ((ah * bh - r) + ah * bl + al * bh) + al * bl;
}
/** Try op (0 add, 1 mul, 6 div) natively; returns false when the exact path is needed. */
export let fastResult: f64 = 0;
export let fastErr: f64 = 0;      // 0: exact; else its sign is the sign of (exact - result)
@inline export function fastOp(op: u32, a: f64, b: f64): bool {
  const c = cw() & 0xf00;
  if ((c | 0x100) != 0x300) return false;              // RC=nearest, PC=53 or 64
  const pc64 = c == 0x300;
  let r: f64, e: f64;
  if (op == 0) {
    if (!finiteNonZero(a) || !finiteNonZero(b)) return false;
    r = a + b;
    if (!normal(r)) return false;
    const bb = r - a;
    e = (a - (r - bb)) + (b - bb);
  } else if (op == 1) {
    if (!safe(a) || !safe(b)) return false;
    r = a * b;
    // significands of p and q bits multiply exactly into at most p + q <= 53 bits; only when
    // that quick test fails is the error term worked out
    e = sigBits(a) + sigBits(b) <= 53 ? 0 : mulErr(a, b, r);
  } else {
    if (!safe(a) || !safe(b)) return false;
    r = a / b;
    if (!safe(r)) return false;
    const ph = r * b;
    const rem = (a - ph) - mulErr(r, b, ph);
    e = rem == 0 ? 0 : ((rem < 0) != (b < 0) ? -1 : 1);   // quotient: only the sign counts
  }
  if (e != 0 && pc64) return false;
  fastResult = r;
  fastErr = e;
  return true;
}

/** NaN/unsupported propagation for one (ST0) or two operands into R (FSCALE, FPREM...). */
export function xNaN(two: bool): void { resNaN(two); }
/** R = the real indefinite, with IE. */
export function xIndefinite(): void { resIndefinite(); }
/** Round the unpacked value to 64 bits in the extended range into R (exact scaling results). */
export function xRoundU(): void { normU(); roundToExt(64, rc()); }

/** R = (h + l) * 2^k rounded once to 64 bits: a double-double transcendental result. */
export function xFromDD(h: f64, l: f64, k: i32): void {
  loadAVal(h); loadBVal(l);
  if (aC == 1) aE += k;
  if (bC == 1) bE += k;
  forcePrec = 64;
  xAdd(false);
  forcePrec = 0;
}
/** The significand of an unpacked operand as a double-double in [1, 2) (exact). */
export let sigH: f64 = 0;
export let sigL: f64 = 0;
export function sigOf(m: u64): void {
  sigH = <f64>(m >> 11) * 2.220446049250313e-16;        // 2^-52
  sigL = <f64>(m & 0x7ff) * 1.0842021724855044e-19;      // 2^-63
}

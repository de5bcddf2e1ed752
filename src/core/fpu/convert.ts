// Format conversions of the x87 FPU: 80-bit double extended <-> the f64 register format,
// register -> single/double/extended with rounding control, register <-> 16/32/64-bit
// integers, and the 80-bit packed BCD format (Intel SDM Vol. 1 4.2.2, 4.7, 4.8, 8.2;
// FIST/FISTP, FBLD, FBSTP reference pages in Vol. 2A).

import {
  raise, setC1, cw, exc, c1Out, restoreFlags, IE, PE, physVal, extValid, extMant, extSexp, physSet, physSetExt,
} from './state';
import { uSign, uExp, uMant, uCls, unpackF64, setU, setUCls, setUDen, normU, packRounded, RC_NEAR, RC_DOWN, RC_UP } from './round';

/** f64 used for 80-bit encodings that the 387+ treats as unsupported (pseudo-NaN, unnormal...). */
export const UNSUPPORTED_BITS: u64 = 0x7ff0000000000001; // an SNaN: any arithmetic use raises IE

/** 80-bit extended (sign/exponent word, significand) -> f64, round to nearest, no exceptions. */
export function extToF64(sexp: u32, mant: u64): f64 {
  const sign = <u64>((sexp >> 15) & 1) << 63;
  const e = <i32>(sexp & 0x7fff);
  if (e == 0x7fff) {
    if ((mant >> 63) == 0) return reinterpret<f64>(sign | UNSUPPORTED_BITS);
    if ((mant << 1) == 0) return reinterpret<f64>(sign | 0x7ff0000000000000);
    let frac = (mant >> 11) & 0xfffffffffffff;
    if (frac == 0) frac = 1;              // SNaN whose payload is only in the low 11 bits
    return reinterpret<f64>(sign | 0x7ff0000000000000 | frac);
  }
  if (e == 0) return reinterpret<f64>(sign); // zero, denormal, pseudo-denormal: below f64 range
  if ((mant >> 63) == 0) return reinterpret<f64>(sign | UNSUPPORTED_BITS); // unnormal
  const savedExc = exc, savedC1 = c1Out;
  setU(<u32>(sexp >> 15) & 1, e - 16383, mant);
  const bits = packRounded(53, 52, 11, RC_NEAR);
  restoreFlags(savedExc, savedC1);
  return reinterpret<f64>(bits);
}


/** Result of f64ToExt / regToExt. */
export let xSexp: u32 = 0;
export let xMant: u64 = 0;

/** f64 -> 80-bit extended, exact. */
export function f64ToExt(v: f64): void {
  const b = reinterpret<u64>(v);
  const s = <u32>(b >> 63) << 15;
  const e = <i32>((b >> 52) & 0x7ff);
  const f = b & 0xfffffffffffff;
  if (e == 0x7ff) { xSexp = s | 0x7fff; xMant = (<u64>1 << 63) | (f << 11); return; }
  if (e == 0 && f == 0) { xSexp = s; xMant = 0; return; }
  unpackF64(v);
  xSexp = s | <u32>(uExp + 16383);
  xMant = uMant;
}

/** Exact 80-bit image of physical register p (its shadow if it has one). */
export function regToExt(p: u32): void {
  if (extValid(p)) { xSexp = extSexp(p); xMant = extMant(p); return; }
  f64ToExt(physVal(p));
}

/**
 * Unpack the exact value of physical register p into the round.ts unpacked form.
 * Returns the class: 0 zero, 1 finite, 2 infinity, 3 NaN, 4 unsupported encoding.
 */
export function unpackReg(p: u32): i32 {
  if (!extValid(p)) { unpackF64(physVal(p)); return uCls; }
  return unpackExt(extSexp(p), extMant(p));
}

/** Unpack an 80-bit value; returns the class (also in uCls), uDen marks denormals. */
export function unpackExt(sexp: u32, m: u64): i32 {
  const e = <i32>(sexp & 0x7fff);
  const s = (sexp >> 15) & 1;
  if (e == 0x7fff) {
    setU(s, 0, m);
    setUCls((m >> 63) == 0 ? 4 : ((m << 1) == 0 ? 2 : 3));
    return uCls;
  }
  if (e == 0) { setU(s, -16382, m); normU(); setUDen(m != 0); return uCls; }
  setU(s, e - 16383, m);
  if ((m >> 63) == 0) setUCls(4);
  return uCls;
}

/** Round the value of register p to an IEEE format (single: 24/23/8, double: 53/52/11) under RC. */
export function regToIeee(p: u32, prec: i32, fracBits: i32, expBits: i32): u64 {
  const cls = unpackReg(p);
  const signBit = <u64>uSign << <u64>(fracBits + expBits);
  const expAll = ((<u64>1 << <u64>expBits) - 1) << <u64>fracBits;
  const quietBit = <u64>1 << <u64>(fracBits - 1);
  if (cls == 4) { raise(IE); return (<u64>1 << <u64>(fracBits + expBits)) | expAll | quietBit; }
  if (cls == 0) return signBit;
  if (cls == 2) return signBit | expAll;
  if (cls == 3) {
    if ((uMant & 0x4000000000000000) == 0) raise(IE); // SNaN: invalid, stored quiet
    return signBit | expAll | quietBit | ((uMant << 2) >> <u64>(64 - (fracBits - 1)));
  }
  normU();
  return packRounded(prec, fracBits, expBits, (cw() >> 10) & 3);
}

// ---- integers ----
/** Set by regToInt: false when the value cannot be represented (IE has been raised). */
export let intOk: bool = true;

/**
 * Round the value of register p to a signed integer of `bits` bits under RC. Raises IE (and
 * returns 0 with intOk=false) for NaN, infinity, unsupported or out of range; PE if inexact.
 */
export function regToInt(p: u32, bits: i32): i64 {
  const cls = unpackReg(p);
  intOk = false;
  if (cls >= 2) { raise(IE); return 0; }
  if (cls == 0) { intOk = true; return 0; }
  normU();
  const mode = (cw() >> 10) & 3;
  let q: u64, rem: u64, half: u64 = <u64>1 << 63;
  const e = uExp;
  if (e >= 64) { raise(IE); return 0; }
  if (e == 63) { q = uMant; rem = 0; }
  else if (e >= 0) {
    const sh = 63 - e;
    q = uMant >> <u64>sh;
    rem = uMant << <u64>(64 - sh);           // fraction bits, scaled so half == 2^63
  } else if (e == -1) { q = 0; rem = uMant; }
  else { q = 0; rem = 1; half = 0xffffffffffffffff; } // |x| < 1/2, non-zero
  let inc = false;
  if (rem != 0) {
    if (mode == RC_NEAR) inc = rem > half || (rem == half && (q & 1) != 0);
    else if (mode == RC_UP) inc = uSign == 0;
    else if (mode == RC_DOWN) inc = uSign != 0;
  }
  if (inc) {
    if (q == 0xffffffffffffffff) { raise(IE); return 0; }
    q += 1;
  }
  const lim: u64 = <u64>1 << <u64>(bits - 1);
  if (uSign == 0 ? q >= lim : q > lim) { raise(IE); return 0; }
  if (rem != 0) { raise(PE); setC1(inc); }
  intOk = true;
  return uSign != 0 ? -<i64>q : <i64>q;
}

/** Load a 64-bit integer as an exact 80-bit image (xSexp/xMant) and return its f64 rounding. */
export function intToExt(v: i64): f64 {
  if (v == 0) { xSexp = 0; xMant = 0; return 0.0; }
  const neg = v < 0;
  const mag: u64 = neg ? <u64>(-v) : <u64>v;   // -2^63 maps to 2^63 as u64
  const z = <i32>clz<u64>(mag);
  xMant = mag << <u64>z;
  xSexp = (neg ? 0x8000 : 0) | <u32>(16383 + 63 - z);
  const f = <f64>mag;
  return neg ? -f : f;
}

// ---- packed BCD ----
/** Packed BCD (low 8 bytes of digits in lo/hi, sign byte) -> exact integer image; returns f64. */
export function bcdToExt(lo: u64, hi8: u32, signByte: u32): f64 {
  let mag: u64 = 0;
  // 18 digits: byte 8 holds digits 17,16; lo holds digits 15..0
  mag = <u64>((hi8 >> 4) & 0xf) * 10 + <u64>(hi8 & 0xf);
  for (let i = 15; i >= 0; i--) mag = mag * 10 + ((lo >> <u64>(i * 4)) & 0xf);
  const neg = (signByte & 0x80) != 0;
  if (mag == 0) { xSexp = neg ? 0x8000 : 0; xMant = 0; return neg ? -0.0 : 0.0; }
  const z = <i32>clz<u64>(mag);
  xMant = mag << <u64>z;
  xSexp = (neg ? 0x8000 : 0) | <u32>(16383 + 63 - z);
  const f = <f64>mag;
  return neg ? -f : f;
}

/** Digits of the last regToBcd: low 16 digits in bcdLo, digits 17..16 in bcdHi. */
export let bcdLo: u64 = 0;
export let bcdHi: u32 = 0;
export let bcdNeg: bool = false;
/** Round register p to an 18-digit BCD integer; false (IE raised) when out of range or NaN. */
export function regToBcd(p: u32): bool {
  const v = regToInt(p, 64);
  if (!intOk) return false;
  bcdNeg = uSign != 0;
  let mag: u64 = v < 0 ? <u64>(-v) : <u64>v;
  if (mag > 999999999999999999) { raise(IE); return false; }
  bcdLo = 0;
  for (let i = 0; i < 16; i++) { bcdLo |= (mag % 10) << <u64>(i * 4); mag /= 10; }
  bcdHi = <u32>((mag / 10) << 4 | (mag % 10));
  return true;
}

export { uSign, uExp, uMant, uCls, RC_UP, PE };

/** Set physical register p to an exact 80-bit value: a plain f64 when that is exact, else with
 *  its 80-bit image (so exactly-representable values keep the f64 fast paths). */
export function physSetExact(p: u32, sexp: u32, mant: u64): void {
  const v = extToF64(sexp, mant);
  f64ToExt(v);
  if (xSexp == sexp && xMant == mant) physSet(p, v);
  else physSetExt(p, v, sexp, mant);
}

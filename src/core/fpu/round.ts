// Exact rounding for the x87 core: an "unpacked" value (sign, exponent, 128-bit significand
// uMant:uLo with a sticky bit jammed into the lowest bit) is rounded once to a target precision
// (24, 53 or 64 bits) and exponent range under the control word's rounding control, and encoded
// as 80-bit double extended, IEEE double or IEEE single. Raises PE/UE/OE and reports "rounded
// up" in C1, as in Intel SDM Vol. 1 4.8.4 (rounding), 4.9.1.4-4.9.1.6 (overflow, underflow,
// precision) and 8.1.5.1 (precision control).

import { raise, setC1, cw, PE, UE, OE, RC_NEAR, RC_DOWN, RC_UP, RC_CHOP } from './state';

// Unpacked value: value = (-1)^uSign * (uMant + uLo/2^64) * 2^(uExp - 63).
// uMant has bit 63 set when normalized.
export let uSign: u32 = 0;
export let uExp: i32 = 0;
export let uMant: u64 = 0;
export let uLo: u64 = 0;
/** 0 zero, 1 finite non-zero, 2 infinity, 3 NaN, 4 unsupported 80-bit encoding */
export let uCls: i32 = 0;
/** The last unpacked 80-bit value was a denormal or pseudo-denormal (exponent field 0). */
export let uDen: bool = false;

export function setU(sign: u32, e: i32, m: u64): void {
  uSign = sign; uExp = e; uMant = m; uLo = 0; uCls = m == 0 ? 0 : 1; uDen = false;
}
export function setULo(lo: u64): void { uLo = lo; if (lo != 0) uCls = 1; }
export function setUCls(c: i32): void { uCls = c; }
export function setUDen(d: bool): void { uDen = d; }
/** Normalize uMant:uLo so bit 63 of uMant is set (no-op for zero). */
export function normU(): void {
  if (uMant == 0) {
    if (uLo == 0) { uCls = 0; return; }
    uMant = uLo; uLo = 0; uExp -= 64;
  }
  const z = <i32>clz<u64>(uMant);
  if (z == 0) return;
  uMant = (uMant << <u64>z) | (uLo >> <u64>(64 - z));
  uLo <<= <u64>z;
  uExp -= z;
}

/** Unpack an f64 (NaN/infinity get the explicit integer bit, like their 80-bit images). */
export function unpackF64(v: f64): void {
  const b = reinterpret<u64>(v);
  uSign = <u32>(b >> 63);
  uLo = 0; uDen = false;
  const e = <i32>((b >> 52) & 0x7ff);
  const f = b & 0xfffffffffffff;
  if (e == 0x7ff) { uCls = f == 0 ? 2 : 3; uMant = (<u64>1 << 63) | (f << 11); uExp = 0; return; }
  if (e == 0) {
    if (f == 0) { uCls = 0; uMant = 0; uExp = 0; return; }
    uCls = 1; uMant = f << 11; uExp = -1022; normU(); return;
  }
  uCls = 1; uMant = (f | 0x10000000000000) << 11; uExp = e - 1023;
}

// ---- the rounding step ----
/** Set by roundShift: the discarded bits were non-zero / the magnitude was incremented /
 *  the increment carried out of 64 bits (only possible for a shift of 0). */
let rInexact = false;
let rUp = false;
let rCarry = false;

/** Shift uMant:uLo right by s bits and round the result under `mode`. */
function roundShift(s: i32, mode: u32): u64 {
  const HALF: u64 = <u64>1 << 63;
  let q: u64;
  let cmp: i32;        // discarded part against one half: -1 below, 0 equal, 1 above
  let inexact: bool;
  if (s <= 0) {
    q = uMant; inexact = uLo != 0;
    cmp = uLo > HALF ? 1 : (uLo < HALF ? -1 : 0);
  } else if (s < 64) {
    q = uMant >> <u64>s;
    const rem = uMant & ((<u64>1 << <u64>s) - 1);
    const half = <u64>1 << <u64>(s - 1);
    inexact = rem != 0 || uLo != 0;
    cmp = rem > half ? 1 : (rem < half ? -1 : (uLo != 0 ? 1 : 0));
  } else if (s == 64) {
    q = 0; inexact = uMant != 0 || uLo != 0;
    cmp = uMant > HALF ? 1 : (uMant < HALF ? -1 : (uLo != 0 ? 1 : 0));
  } else {
    q = 0; inexact = uMant != 0 || uLo != 0; cmp = -1;
  }
  let inc = false;
  if (inexact) {
    if (mode == RC_NEAR) inc = cmp > 0 || (cmp == 0 && (q & 1) != 0);
    else if (mode == RC_UP) inc = uSign == 0;
    else if (mode == RC_DOWN) inc = uSign != 0;
  }
  rInexact = inexact; rUp = inc; rCarry = false;
  if (inc) {
    if (q == 0xffffffffffffffff) { rCarry = true; return 0; }
    q += 1;
  }
  return q;
}

function roundFlags(tiny: bool): void {
  if (rInexact) { raise(PE); setC1(rUp); }
  if (tiny && (rInexact || (cw() & UE) == 0)) raise(UE);
}

/** Overflow response: infinity or the largest finite value, depending on RC and the sign. */
function overflowsToInf(mode: u32): bool {
  return mode == RC_NEAR || (mode == RC_UP && uSign == 0) || (mode == RC_DOWN && uSign != 0);
}

/**
 * Round the unpacked finite non-zero value (normalized) to `prec` significand bits and encode
 * it in an IEEE binary format with `fracBits` fraction bits and `expBits` exponent bits.
 * Returns the bit pattern; denormal results are gradual, tininess is detected before rounding.
 */
export function packRounded(prec: i32, fracBits: i32, expBits: i32, mode: u32): u64 {
  const bias: i32 = (1 << (expBits - 1)) - 1;
  const maxE: i32 = (1 << expBits) - 1;
  let E: i32 = uExp + bias;
  let s: i32 = 64 - prec;
  const tiny = E <= 0;
  if (tiny) s += 1 - E;
  let q = roundShift(s, mode);
  roundFlags(tiny);
  const sign = <u64>uSign << <u64>(fracBits + expBits);
  if (tiny) return sign | (q << <u64>(fracBits - (prec - 1)));
  if ((q >> <u64>prec) != 0) { q >>= 1; E += 1; }
  if (E >= maxE) {
    raise(OE | PE);
    if (overflowsToInf(mode)) { setC1(true); return sign | (<u64>maxE << <u64>fracBits); }
    setC1(false);
    const maxFrac = ((<u64>1 << <u64>(prec - 1)) - 1) << <u64>(fracBits - (prec - 1));
    return sign | (<u64>(maxE - 1) << <u64>fracBits) | maxFrac;
  }
  const frac = (q & ((<u64>1 << <u64>(prec - 1)) - 1)) << <u64>(fracBits - (prec - 1));
  return sign | (<u64>E << <u64>fracBits) | frac;
}

/**
 * Round the unpacked finite value (normalized, uExp <= 62) to an integer magnitude under
 * `mode` (FRNDINT, FPREM helpers); raises PE and sets C1 when inexact.
 */
export function roundIntU(mode: u32): u64 {
  const q = roundShift(63 - uExp, mode);
  if (rInexact) { raise(PE); setC1(rUp); }
  return q;
}

/** Result of roundToExt / setR: an 80-bit sign/exponent word and significand. */
export let rSexp: u32 = 0;
export let rMant: u64 = 0;
export function setR(sexp: u32, mant: u64): void { rSexp = sexp; rMant = mant; }

/**
 * Round the unpacked finite non-zero value (normalized) to `prec` bits (24, 53 or 64) in the
 * 80-bit double extended exponent range (denormals below 2^-16382) into rSexp/rMant.
 */
export function roundToExt(prec: i32, mode: u32): void {
  let E: i32 = uExp + 16383;
  let s: i32 = 64 - prec;
  const tiny = E <= 0;
  // unmasked underflow: no denormalization, the exponent is wrapped by +24576 (SDM 4.9.1.5)
  const wrapUnder = tiny && (cw() & UE) == 0;
  if (tiny && !wrapUnder) s += 1 - E;
  let q = roundShift(s, mode);
  roundFlags(tiny);
  const sign = uSign << 15;
  if (wrapUnder) {
    if (rCarry) { q = <u64>1 << 63; E += 1; }
    else if (prec < 64 && (q >> <u64>prec) != 0) { q >>= 1; E += 1; }
    rSexp = sign | <u32>((E + 24576) & 0x7fff);
    rMant = q << <u64>(64 - prec);
    return;
  }
  if (tiny) {
    const m = q << <u64>(64 - prec);
    rSexp = sign | ((m >> 63) != 0 ? 1 : 0);
    rMant = m;
    return;
  }
  if (rCarry) { q = <u64>1 << 63; E += 1; }
  else if (prec < 64 && (q >> <u64>prec) != 0) { q >>= 1; E += 1; }
  if (E >= 0x7fff) {
    if ((cw() & OE) == 0) {
      // unmasked overflow: the exponent is wrapped by -24576 (SDM 4.9.1.4)
      raise(OE);
      rSexp = sign | <u32>((E - 24576) & 0x7fff);
      rMant = q << <u64>(64 - prec);
      return;
    }
    raise(OE | PE);
    if (overflowsToInf(mode)) { setC1(true); rSexp = sign | 0x7fff; rMant = <u64>1 << 63; return; }
    setC1(false);
    rSexp = sign | 0x7ffe;
    rMant = 0xffffffffffffffff << <u64>(64 - prec);
    return;
  }
  rSexp = sign | <u32>E;
  rMant = q << <u64>(64 - prec);
}

/** Precision (significand bits) selected by the control word's PC field. */
export function pcBits(): i32 {
  const p = (cw() >> 8) & 3;
  return p == 0 ? 24 : (p == 3 ? 64 : 53);
}

/** Convert an f64 register value to single precision bits under RC (FST m32). */
export function f64ToF32Bits(v: f64): u32 {
  unpackF64(v);
  if (uCls == 0) return uSign << 31;
  if (uCls == 2) return (uSign << 31) | 0x7f800000;
  if (uCls == 3) {
    const b = reinterpret<u64>(v);
    return (uSign << 31) | 0x7fc00000 | <u32>((b >> 29) & 0x3fffff);
  }
  return <u32>packRounded(24, 23, 8, (cw() >> 10) & 3);
}

export { RC_NEAR, RC_DOWN, RC_UP, RC_CHOP };

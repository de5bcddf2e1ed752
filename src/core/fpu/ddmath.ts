// Double-double arithmetic (a value is hi + lo, about 106 significant bits) for the x87
// transcendental instructions, so that their 80-bit results (64-bit significands) are accurate
// to the last bit like the hardware's. Error-free transformations after Dekker (1971) and
// Knuth (TAOCP 4.2.2); series for expm1, log and atan in double-double. Results are returned in
// the module globals H and L.

/** Result of the last operation: H + L. */
export let H: f64 = 0;
export let L: f64 = 0;

const SPLIT: f64 = 134217729.0; // 2^27 + 1

// ln 2, log2 e and pi/2 as double-double (computed with 80-digit decimal arithmetic)
export const LN2_H: f64 = reinterpret<f64>(0x3fe62e42fefa39ef);
export const LN2_L: f64 = reinterpret<f64>(0x3c7abc9e3b39803f);
export const LOG2E_H: f64 = reinterpret<f64>(0x3ff71547652b82fe);
export const LOG2E_L: f64 = reinterpret<f64>(0x3c7777d0ffda0d24);
export const PI_2_H: f64 = reinterpret<f64>(0x3ff921fb54442d18);
export const PI_2_L: f64 = reinterpret<f64>(0x3c91a62633145c07);

@inline function fastTwoSum(a: f64, b: f64): void { const s = a + b; H = s; L = b - (s - a); }

export function ddAdd(ah: f64, al: f64, bh: f64, bl: f64): void {
  const s = ah + bh;
  const bb = s - ah;
  let e = (ah - (s - bb)) + (bh - bb);
  e += al + bl;
  fastTwoSum(s, e);
}

export function ddMul(ah: f64, al: f64, bh: f64, bl: f64): void {
  const p = ah * bh;
  let c = SPLIT * ah; const ahh = c - (c - ah), ahl = ah - ahh;
  c = SPLIT * bh; const bhh = c - (c - bh), bhl = bh - bhh;
  let e = ((ahh * bhh - p) + ahh * bhl + ahl * bhh) + ahl * bhl;
  e += ah * bl + al * bh;
  fastTwoSum(p, e);
}

export function ddDiv(ah: f64, al: f64, bh: f64, bl: f64): void {
  const q1 = ah / bh;
  ddMul(q1, 0, bh, bl);
  ddAdd(ah, al, -H, -L);
  const rh = H, rl = L;
  const q2 = rh / bh;
  ddMul(q2, 0, bh, bl);
  ddAdd(rh, rl, -H, -L);
  const q3 = H / bh;
  fastTwoSum(q1, q2);
  ddAdd(H, L, q3, 0);
}

/** (ah + al) / d for a small integer d (exact in f64): cheaper than ddDiv. */
export function ddDivInt(ah: f64, al: f64, d: f64): void {
  const q1 = ah / d;
  ddMul(q1, 0, d, 0);                      // exact product q1 * d
  const r = ((ah - H) - L) + al;
  fastTwoSum(q1, r / d);
}

export function ddSqrt(ah: f64, al: f64): void {
  const s = Math.sqrt(ah);
  ddMul(s, 0, s, 0);
  ddAdd(ah, al, -H, -L);
  const r = H / (2 * s);
  fastTwoSum(s, r);
}

/** expm1(x) for |x| <= 1 (double-double in and out). */
export function ddExpm1(xh: f64, xl: f64): void {
  // x / 2^8, a Taylor series, then expm1(2t) = e * (e + 2) eight times
  let th = xh * 0.00390625, tl = xl * 0.00390625;
  let eh: f64 = 0, el: f64 = 0;
  for (let n = 12; n >= 1; n--) {
    // e = t/n * (1 + e)
    ddAdd(1, 0, eh, el);
    ddMul(H, L, th, tl);
    ddDivInt(H, L, <f64>n);
    eh = H; el = L;
  }
  for (let i = 0; i < 8; i++) {
    ddAdd(eh, el, 2, 0);
    ddMul(eh, el, H, L);
    eh = H; el = L;
  }
  H = eh; L = el;
}

/** 2 * atanh(s) = log((1+s)/(1-s)) for |s| <= 0.18 (double-double). */
function ddTwoAtanh(sh: f64, sl: f64): void {
  ddMul(sh, sl, sh, sl);
  const zh = H, zl = L;               // s^2
  let ph: f64 = 0, pl: f64 = 0;
  for (let k = 41; k >= 1; k -= 2) {  // p = 1/k + s^2 * p
    ddMul(zh, zl, ph, pl);
    const mh = H, ml = L;
    ddDivInt(1, 0, <f64>k);
    ddAdd(H, L, mh, ml);
    ph = H; pl = L;
  }
  ddMul(ph, pl, sh, sl);
  ddMul(H, L, 2, 0);
}

/** Natural log of m in [0.5, 2] given as double-double (m - 1 must be accurate: pass dm). */
export function ddLogNear1(dmh: f64, dml: f64): void {
  // log(1 + d) = 2 atanh(d / (2 + d))
  ddAdd(2, 0, dmh, dml);
  ddDiv(dmh, dml, H, L);
  ddTwoAtanh(H, L);
}

/** atan(z) for 0 <= z <= 1 (double-double). */
export function ddAtan(zh: f64, zl: f64): void {
  // three argument halvings z -> z / (1 + sqrt(1 + z^2)), then the Taylor series, times 8
  for (let i = 0; i < 3; i++) {
    ddMul(zh, zl, zh, zl);
    ddAdd(H, L, 1, 0);
    ddSqrt(H, L);
    ddAdd(H, L, 1, 0);
    ddDiv(zh, zl, H, L);
    zh = H; zl = L;
  }
  ddMul(zh, zl, zh, zl);
  const wh = -H, wl = -L;             // -z^2
  let ph: f64 = 0, pl: f64 = 0;
  for (let k = 27; k >= 1; k -= 2) {  // p = 1/k - z^2 * p
    ddMul(wh, wl, ph, pl);
    const mh = H, ml = L;
    ddDivInt(1, 0, <f64>k);
    ddAdd(H, L, mh, ml);
    ph = H; pl = L;
  }
  ddMul(ph, pl, zh, zl);
  ddMul(H, L, 8, 0);
}

/** sin and cos of the last ddSinCos argument. */
export let SH: f64 = 0;
export let SL: f64 = 0;
export let CH: f64 = 0;
export let CL: f64 = 0;

/** sin(r) and cos(r) for |r| <= ~0.8 by their Taylor series (double-double). */
export function ddSinCos(rh: f64, rl: f64): void {
  ddMul(rh, rl, rh, rl);
  const zh = -H, zl = -L;                   // -r^2
  // sin r = r (1 + z/(2*3) (1 + z/(4*5) (1 + ...)))
  let ph: f64 = 0, pl: f64 = 0;
  for (let n = 26; n >= 2; n -= 2) {
    ddAdd(1, 0, ph, pl);
    ddMul(H, L, zh, zl);
    ddDivInt(H, L, <f64>(n * (n + 1)));
    ph = H; pl = L;
  }
  ddAdd(1, 0, ph, pl);
  ddMul(H, L, rh, rl);
  SH = H; SL = L;
  // cos r = 1 + z/(1*2) (1 + z/(3*4) (1 + ...))
  ph = 0; pl = 0;
  for (let n = 25; n >= 1; n -= 2) {
    ddAdd(1, 0, ph, pl);
    ddMul(H, L, zh, zl);
    ddDivInt(H, L, <f64>(n * (n + 1)));
    ph = H; pl = L;
  }
  ddAdd(1, 0, ph, pl);
  CH = H; CL = L;
}

// ---- exact argument reduction by k * pi66/2 (|x| < 2^63) ----
// pi66/2 = P * 2^-65 with P = floor(pi * 2^64), a 66-bit integer (P1:P0)
const P1: u64 = 0x3;
const P0: u64 = 0x243f6a8885a308d3;
const PF: f64 = 5.795215566461698e19;         // P as f64 (for quotient estimates)
let m128Hi: u64 = 0;
let m128Lo: u64 = 0;
function mul128(a: u64, b: u64): void {
  const a0 = a & 0xffffffff, a1 = a >> 32, b0 = b & 0xffffffff, b1 = b >> 32;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  m128Lo = (p00 & 0xffffffff) | (mid << 32);
  m128Hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}
// 192-bit two's complement accumulator r = (r2:r1:r0)
let r0: u64 = 0, r1: u64 = 0, r2: u64 = 0;
/** r -= k * P (k unsigned, < 2^64). */
function subKP(k: u64): void {
  mul128(k, P0);
  const a0 = m128Lo, a1 = m128Hi;
  mul128(k, P1);                               // k * P1 < 2^66: (m128Hi:m128Lo)
  const b1 = a1 + m128Lo;
  const c = b1 < a1 ? <u64>1 : 0;
  const b2 = m128Hi + c;
  const n0 = r0 - a0; let bw: u64 = r0 < a0 ? 1 : 0;
  const t1 = r1 - b1; const bw1: u64 = r1 < b1 ? 1 : 0;
  const n1 = t1 - bw; bw = bw1 | (t1 < bw ? 1 : 0);
  r2 = r2 - b2 - bw; r1 = n1; r0 = n0;
}
/** r += k * P. */
function addKP(k: u64): void {
  // negate, subtract, negate
  negR(); subKP(k); negR();
}
function negR(): void {
  r0 = ~r0; r1 = ~r1; r2 = ~r2;
  r0 += 1;
  if (r0 == 0) { r1 += 1; if (r1 == 0) r2 += 1; }
}
@inline function rNeg(): bool { return (r2 >> 63) != 0; }
/** |r| as f64 (approximate) with sign. */
function rToF64(): f64 {
  const neg = rNeg();
  if (neg) negR();
  const v = <f64>r2 * 3.402823669209385e38 + <f64>r1 * 18446744073709551616.0 + <f64>r0;
  if (neg) negR();
  return neg ? -v : v;
}

/**
 * sin and cos of x = X * 2^s (X a 64-bit significand, -64 <= s <= -1, x > 0) after the exact
 * reduction x - k * pi66/2 in 192-bit integer arithmetic (units of 2^-65).
 */
export function ddSinCosHuge(X: u64, s: i32): void {
  const t = s + 65;                            // 32..64
  r2 = 0;
  if (t >= 64) { r1 = X; r0 = 0; } else { r1 = X >> <u64>(64 - t); r0 = X << <u64>t; }
  // quotient estimate, then one correction from the exact remainder, then +-1
  let k: u64 = <u64>nearest(<f64>X * reinterpret<f64>(<u64>(s + 1023) << 52) * 0.6366197723675814);
  subKP(k);
  const dk = nearest(rToF64() / PF);
  if (dk > 0) { k += <u64>dk; subKP(<u64>dk); }
  else if (dk < 0) { k -= <u64>(-dk); addKP(<u64>(-dk)); }
  for (let i = 0; i < 2; i++) {                // |r| <= P/2
    const rf = rToF64();
    if (rf * 2 > PF) { k += 1; subKP(1); }
    else if (rf * 2 < -PF) { k -= 1; addKP(1); }
  }
  const neg = rNeg();
  if (neg) negR();
  // |r| < 2^66 in (r1:r0): split into 53 + 13 bits, exact doubles, units 2^-65
  const top = (r1 << 51) | (r0 >> 13);
  const low = r0 & 0x1fff;
  let rh = <f64>top * 2.220446049250313e-16;    // 2^13 * 2^-65 = 2^-52
  let rl = <f64>low * 2.710505431213761e-20;    // 2^-65
  if (neg) { rh = -rh; rl = -rl; }
  fastTwoSum(rh, rl);
  ddSinCos(H, L);
  const q = <i32>(k & 3);
  if (q == 0) return;
  const sh = SH, sl = SL;
  if (q == 1) { SH = CH; SL = CL; CH = -sh; CL = -sl; }
  else if (q == 2) { SH = -sh; SL = -sl; CH = -CH; CL = -CL; }
  else { SH = -CH; SL = -CL; CH = sh; CL = sl; }
}

/** sin(-x) = -sin(x): negate the last sine result. */
export function negateSin(): void { SH = -SH; SL = -SL; }

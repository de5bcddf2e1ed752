// High-precision references for the x87 transcendental tests: 2^x - 1, log2, atan2 in BigInt
// fixed point with 256 fractional bits (Taylor/atanh/arctangent series), independent of the
// double-double code under test. Values are fixed-point BigInts: v / 2^P.
import type { Ext } from './fpu.js';

export const P = 256n;
export const ONE = 1n << P;

const mul = (a: bigint, b: bigint) => (a * b) >> P;
const div = (a: bigint, b: bigint) => (a << P) / b;
function sqrt(a: bigint): bigint {          // sqrt of a fixed-point value
  const n = a << P;
  if (n === 0n) return 0n;
  let x = 1n << BigInt((n.toString(2).length >> 1) + 1);
  for (;;) { const y = (x + n / x) >> 1n; if (y >= x) return x; x = y; }
}

let ln2cache: bigint | undefined;
export function ln2(): bigint {
  if (ln2cache) return ln2cache;
  // ln 2 = sum 1 / (k 2^k)
  let s = 0n;
  for (let k = 1n; k < 400n; k++) s += ONE / (k << k);
  return (ln2cache = s);
}

/** exp(t) - 1 for |t| <= 1. */
export function expm1(t: bigint): bigint {
  const k = 16n;
  const u = t >> k;                          // |u| <= 2^-16
  let term = u, sum = u;
  for (let n = 2n; n < 40n; n++) { term = mul(term, u) / n; if (term === 0n) break; sum += term; }
  for (let i = 0n; i < k; i++) sum = mul(sum, sum + 2n * ONE);
  return sum;
}

/** Natural log of a positive fixed-point value. */
export function ln(x: bigint): bigint {
  let e = 0n;
  while (x > 2n * ONE) { x >>= 1n; e++; }
  while (x < ONE) { x <<= 1n; e--; }
  const s = div(x - ONE, x + ONE);
  const s2 = mul(s, s);
  let term = s, sum = s;
  for (let k = 3n; k < 2000n; k += 2n) { term = mul(term, s2); if (term === 0n) break; sum += term / k; }
  return 2n * sum + e * ln2();
}

/** atan(z) for 0 <= z <= 1. */
export function atan(z: bigint): bigint {
  for (let i = 0; i < 4; i++) z = div(z, ONE + sqrt(ONE + mul(z, z)));
  const z2 = mul(z, z);
  let term = z, sum = z;
  for (let k = 3n; k < 2000n; k += 2n) { term = -mul(term, z2); if (term === 0n) break; sum += term / k; }
  return 16n * sum;
}

export function pi(): bigint { return 4n * atan(ONE); }

/** Fixed-point value of an 80-bit image (normal or zero). */
export function fromExt(x: Ext): bigint {
  const e = BigInt((x.sexp & 0x7fff) - 16383 - 63) + P;
  const m = x.sexp & 0x8000 ? -x.mant : x.mant;
  return e >= 0n ? m << e : m >> -e;
}

/** |got - ref| in units of the last place of got (a normal 80-bit value). */
export function ulpDiff(got: Ext, ref: bigint): number {
  const e = BigInt((got.sexp & 0x7fff) - 16383 - 63) + P;   // ulp = 2^(e - P)
  const d = fromExt(got) - ref;
  const ad = d < 0n ? -d : d;
  return e >= 0n ? Number(ad >> e) + (ad & ((1n << e) - 1n) ? 1 : 0) : Number(ad << -e);
}

/** pi/2 with pi's significand cut to 66 bits, as the x87 reduces trigonometric arguments. */
export function pi66Half(): bigint { return ((pi() >> (P - 64n)) << (P - 64n)) >> 1n; }

/** [sin x, cos x] after reduction by the 66-bit pi/2 (the hardware's result). */
export function sincos66(x: bigint): [bigint, bigint] {
  const h = pi66Half();
  let k = (2n * x + (x < 0n ? -h : h)) / (2n * h);      // nearest quadrant
  const r = x - k * h;
  const r2 = mul(r, r);
  let ts = r, s = r, tc = ONE, c = ONE;
  for (let n = 1n; n < 60n; n++) {
    ts = -mul(ts, r2) / ((2n * n) * (2n * n + 1n)); s += ts;
    tc = -mul(tc, r2) / ((2n * n - 1n) * (2n * n)); c += tc;
    if (ts === 0n && tc === 0n) break;
  }
  k = ((k % 4n) + 4n) % 4n;
  if (k === 0n) return [s, c];
  if (k === 1n) return [c, -s];
  if (k === 2n) return [-s, -c];
  return [-c, s];
}

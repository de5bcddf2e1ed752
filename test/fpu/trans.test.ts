// x87 transcendental and miscellaneous instructions against JS double references: FSIN, FCOS,
// FSINCOS, FPTAN (C2 out-of-range), FPATAN, F2XM1, FYL2X, FYL2XP1 within 2 ulp; FPREM/FPREM1
// exact remainders and quotient bits in C0/C3/C1; FSCALE, FXTRACT, FRNDINT, FABS, FCHS.
import { describe, expect, it } from 'vitest';
import { A, type Ext, Fpu, exact, ext80, extBytes, extRational, roundRationalExt, rng } from './fpu.js';
import * as big from './bigref.js';
import { ulpDiff } from './bigref.js';

const IE = 1, ZE = 4, PE = 0x20;
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b) / (Math.abs(b) * 2 ** -52 || 2 ** -1074);
}

describe('transcendentals', () => {
  it('FSIN, FCOS, FSINCOS, FPTAN within 2 ulp of the JS reference', () => {
    const f = new Fpu();
    const r = rng(99);
    for (let i = 0; i < 100; i++) {
      const x = r() % 100;
      f.ld(x); f.exec(0xd9, 0xfe); expect(ulps(f.stp(), Math.sin(x))).toBeLessThanOrEqual(2);
      f.ld(x); f.exec(0xd9, 0xff); expect(ulps(f.stp(), Math.cos(x))).toBeLessThanOrEqual(2);
      f.ld(x); f.exec(0xd9, 0xfb);
      expect(ulps(f.stp(), Math.cos(x))).toBeLessThanOrEqual(2);
      expect(ulps(f.stp(), Math.sin(x))).toBeLessThanOrEqual(2);
      f.ld(x); f.exec(0xd9, 0xf2);
      expect(f.stp()).toBe(1);
      expect(ulps(f.stp(), Math.tan(x))).toBeLessThanOrEqual(2);
      expect(f.cc().c2).toBe(0);
    }
    expect(f.flags()).toBe(PE);
  });
  it('out-of-range argument sets C2 and leaves ST(0); infinity is invalid', () => {
    const f = new Fpu();
    f.ld(2 ** 63); f.exec(0xd9, 0xfe);
    expect(f.cc().c2).toBe(1);
    expect(f.st(0)).toBe(2 ** 63);
    f.stp(); f.fnclex();
    f.ld(Infinity); f.exec(0xd9, 0xff);
    expect(f.stpBits()).toBe(0xfff8000000000000n);
    expect(f.flags()).toBe(IE);
  });
  it('FPATAN, F2XM1, FYL2X, FYL2XP1', () => {
    const f = new Fpu();
    const r = rng(5);
    for (let i = 0; i < 100; i++) {
      const y = r(), x = r();
      f.ld(y); f.ld(x); f.exec(0xd9, 0xf3);
      expect(ulps(f.stp(), Math.atan2(y, x))).toBeLessThanOrEqual(2);
      const t = (x % 2) / 2;      // F2XM1 domain -1..1
      f.ld(t); f.exec(0xd9, 0xf0);
      expect(ulps(f.stp(), Math.expm1(t * Math.LN2))).toBeLessThanOrEqual(2);
      const ax = Math.abs(x);
      f.ld(y); f.ld(ax); f.exec(0xd9, 0xf1);
      expect(ulps(f.stp(), y * Math.log2(ax))).toBeLessThanOrEqual(2);
      const s = t * 0.29;
      f.ld(y); f.ld(s); f.exec(0xd9, 0xf9);
      expect(ulps(f.stp(), y * Math.log1p(s) / Math.LN2)).toBeLessThanOrEqual(3);
      expect(f.top()).toBe(0);
    }
    // special cases
    for (const [t, want] of [[1, 1], [-1, -0.5], [0.5, Math.SQRT2 - 1], [-0, -0]]) {
      f.ld(t); f.exec(0xd9, 0xf0);
      expect(ulps(f.stp(), want)).toBeLessThanOrEqual(2);
    }
    f.ld(1); f.ld(0); f.exec(0xd9, 0xf1);           // 1 * log2(0): zero divide, -inf
    expect(f.stp()).toBe(-Infinity);
    expect(f.flags() & ZE).toBe(ZE);
    f.fnclex(); f.ld(1); f.ld(-2); f.exec(0xd9, 0xf1);
    expect(f.flags()).toBe(IE);
    f.stp();
    f.ld(3); f.ld(8); f.exec(0xd9, 0xf1);            // exact: 3 * log2(8) = 9
    expect(f.stp()).toBe(9);
    f.ld(0); f.ld(-0); f.exec(0xd9, 0xf3);           // atan2(+0, -0) = +pi
    expect(f.stp()).toBe(Math.PI);
  });
});

describe('FPREM and FPREM1', () => {
  it('exact remainders with quotient bits in C0 (Q2), C3 (Q1), C1 (Q0)', () => {
    const f = new Fpu();
    const r = rng(31);
    for (let i = 0; i < 200; i++) {
      const a = r(), b = r() / 2 ** ((i % 5) * 4);
      if (Math.abs(Math.log2(Math.abs(a / b))) > 62) continue;
      // exact reference: a = A*2^base, b = B*2^base with BigInt A, B
      const xa = exact(a), xb = exact(b);
      const base = Math.min(xa.e, xb.e);
      const A0 = xa.m << BigInt(xa.e - base), B0 = xb.m << BigInt(xb.e - base);
      for (const ieee of [false, true]) {
        let q = A0 / B0;                       // truncating quotient
        let rem = A0 - q * B0;
        if (ieee) {
          const absB = B0 < 0n ? -B0 : B0, absR = rem < 0n ? -rem : rem;
          const sgn = (A0 < 0n) !== (B0 < 0n) ? -1n : 1n;
          if (2n * absR > absB || (2n * absR === absB && (q & 1n) !== 0n)) { q += sgn; rem = A0 - q * B0; }
        }
        const want = rem === 0n ? (a < 0 ? -0 : 0) : Number(rem) * 2 ** base;
        f.ld(b); f.ld(a);
        f.exec(0xd9, ieee ? 0xf5 : 0xf8);
        const c = f.cc();
        const res = f.stp(); f.stp();
        expect(c.c2).toBe(0);                  // exponent difference < 64: complete reduction
        expect(Object.is(res, want), `${a} ${ieee ? 'rem' : 'mod'} ${b}: ${res} vs ${want}`).toBe(true);
        const qlow = Number((q < 0n ? -q : q) & 7n);
        expect(c.c0 * 4 + c.c3 * 2 + c.c1, `q=${q}`).toBe(qlow);
      }
    }
  });
  it('large exponent difference gives a partial remainder with C2=1, and converges', () => {
    const f = new Fpu();
    f.ld(3); f.ld(1e300);
    let steps = 0;
    do { f.exec(0xd9, 0xf8); steps++; } while (f.cc().c2 === 1 && steps < 100);
    expect(steps).toBeGreaterThan(1);
    expect(f.stp()).toBe(1e300 % 3);
  });
});

describe('FSCALE, FXTRACT, FRNDINT, FABS, FCHS', () => {
  it('FSCALE scales by trunc(ST(1)) with rounding and overflow', () => {
    const f = new Fpu();
    f.ld(-3.7); f.ld(5); f.exec(0xd9, 0xfd);
    expect(f.stp()).toBe(5 / 8); f.stp();
    f.ld(2000); f.ld(1); f.exec(0xd9, 0xfd);
    expect(f.stp()).toBe(Infinity); f.stp();
    expect(f.flags() & 0x08).toBe(0x08);
    f.fnclex();
    f.ld(-1075); f.ld(3); f.exec(0xd9, 0xfd);
    expect(f.stp()).toBe(2 ** -1073);   // 1.5 * 2^-1074 rounds to even
    expect(f.flags() & 0x30).toBe(0x30);
  });
  it('FXTRACT splits exponent and significand, zero raises ZE', () => {
    const f = new Fpu();
    f.ld(-12); f.exec(0xd9, 0xf4);
    expect(f.stp()).toBe(-1.5);
    expect(f.stp()).toBe(3);
    f.ld(2 ** -1070); f.exec(0xd9, 0xf4);
    expect(f.stp()).toBe(1);
    expect(f.stp()).toBe(-1070);
    f.fnclex(); f.ld(-0); f.exec(0xd9, 0xf4);
    expect(Object.is(f.stp(), -0)).toBe(true);
    expect(f.stp()).toBe(-Infinity);
    expect(f.flags()).toBe(ZE);
  });
  it('FRNDINT under every rounding mode', () => {
    const f = new Fpu();
    const table: [number, number[]][] = [[2.5, [2, 2, 3, 2]], [-2.5, [-2, -3, -2, -2]], [-0.25, [-0, -1, -0, -0]], [7, [7, 7, 7, 7]]];
    for (const [x, want] of table) {
      for (let rc = 0; rc < 4; rc++) {
        f.setRc(rc); f.fnclex();
        f.ld(x); f.exec(0xd9, 0xfc);
        expect(Object.is(f.stp(), want[rc]), `${x} rc=${rc}`).toBe(true);
        expect(f.flags()).toBe(x === 7 ? 0 : PE);
      }
    }
  });
  it('FABS and FCHS touch only the sign (also of NaNs, without exceptions)', () => {
    const f = new Fpu();
    f.ld(-2); f.exec(0xd9, 0xe1); expect(f.stp()).toBe(2);
    f.ld(2); f.exec(0xd9, 0xe0); expect(f.stp()).toBe(-2);
    f.ld(0); f.exec(0xd9, 0xe0); expect(Object.is(f.stp(), -0)).toBe(true);
    f.ldBits(0x7ff8000000000001n); f.exec(0xd9, 0xe0); expect(f.stpBits()).toBe(0xfff8000000000001n);
    expect(f.flags()).toBe(0);
  });
});

describe('exact 64-bit integers survive FRNDINT', () => {
  it('FILD m64; FRNDINT; FISTP m64 keeps all 64 bits', () => {
    const f = new Fpu();
    f.wu64(0x1000, 0x0fedcba987654321n);
    f.mem(0xdf, 5, 0x1000); f.exec(0xd9, 0xfc); f.mem(0xdf, 7, 0x1008);
    expect(f.ru64(0x1008)).toBe(0x0fedcba987654321n);
    expect(f.flags()).toBe(0);
  });
});

describe('80-bit operands in FPREM, FRNDINT, FSCALE, FXTRACT', () => {
  const rd = (f: Fpu, a: number) => { const b = f.rbytes(a, 10); return { sexp: b[8] | (b[9] << 8), mant: b.slice(0, 8).reduce((acc, v, k) => acc | (BigInt(v) << BigInt(8 * k)), 0n) }; };
  it('FPREM/FPREM1 remainders of 64-bit significands are exact', () => {
    const f = new Fpu();
    let s = 12345;
    const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
    for (let i = 0; i < 150; i++) {
      const x: Ext = { sexp: 16383 + (next() % 120) - 40 | (next() & 1 ? 0x8000 : 0), mant: (1n << 63n) | (BigInt(next()) << 31n) | BigInt(next() >>> 1) };
      const y: Ext = { sexp: 16383 + (next() % 40) - 20, mant: (1n << 63n) | (BigInt(next()) << 20n) | BigInt(next() & 0xfffff) };
      const [xn, xd] = extRational(x), [yn, yd] = extRational(y);
      for (const ieee of [false, true]) {
        f.wbytes(A, extBytes(y)); f.mem(0xdb, 5, A);
        f.wbytes(A, extBytes(x)); f.mem(0xdb, 5, A);
        f.exec(0xd9, ieee ? 0xf5 : 0xf8);
        const c = f.cc();
        f.mem(0xdb, 7, A + 0x20); f.stp();
        // common denominator: A0/D, B0/D
        const D = xd > yd ? xd : yd;
        const A0 = xn * (D / xd), B0 = yn * (D / yd);
        let q = A0 / B0, r = A0 - q * B0;
        if (ieee) {
          const ab = B0 < 0n ? -B0 : B0, ar = r < 0n ? -r : r;
          if (2n * ar > ab || (2n * ar === ab && (q & 1n) === 1n)) { q += (A0 < 0n) === (B0 < 0n) ? 1n : -1n; r = A0 - q * B0; }
        }
        const d = Number((x.sexp & 0x7fff) - (y.sexp & 0x7fff));
        if (d >= 64) { expect(c.c2).toBe(1); continue; }
        expect(c.c2).toBe(0);
        const want = r === 0n ? [0, 0, 0, 0, 0, 0, 0, 0, 0, x.sexp & 0x8000 ? 0x80 : 0] : extBytes(roundRationalExt(r, D, 64, 0));
        expect(f.rbytes(A + 0x20, 10), `#${i} ${ieee}`).toEqual(want);
        const aq = q < 0n ? -q : q;
        expect(c.c0 * 4 + c.c3 * 2 + c.c1).toBe(Number(aq & 7n));
      }
    }
  });
  it('FRNDINT rounds the exact 80-bit value', () => {
    const f = new Fpu();
    // 2^40 + 0.5 + 2^-20 needs 61 significant bits: rounds up to 2^40 + 1 under RN
    f.wbytes(A, extBytes({ sexp: 16383 + 40, mant: (1n << 63n) | (1n << 22n) | (1n << 2n) }));
    f.mem(0xdb, 5, A); f.exec(0xd9, 0xfc);
    expect(f.stp()).toBe(2 ** 40 + 1);
  });
  it('FSCALE and FXTRACT keep the extended exponent range', () => {
    const f = new Fpu();
    f.ld(10000); f.exec(0xd9, 0xe8); f.exec(0xd9, 0xfd);       // 1 * 2^10000
    f.mem(0xdb, 7, A);
    expect(rd(f, A)).toEqual({ sexp: 16383 + 10000, mant: 1n << 63n });
    expect(f.flags()).toBe(0);
    f.exec(0xd9, 0xf4);                                        // FXTRACT of 10000 (still in ST0)
    expect(f.stp()).toBe(1.220703125);
    expect(f.stp()).toBe(13);
    f.ld(20000); f.exec(0xd9, 0xe8); f.exec(0xd9, 0xfd);       // 2^20000 overflows the extended range
    expect(f.flags() & 0x28).toBe(0x28);
    f.mem(0xdb, 7, A);
    expect(rd(f, A)).toEqual({ sexp: 0x7fff, mant: 1n << 63n });
  });
});

describe('unmasked overflow and underflow with a register destination', () => {
  const rd = (f: Fpu) => { const b = f.rbytes(A, 10); return [b[8] | (b[9] << 8), b.slice(0, 8).reduce((acc, v, k) => acc | (BigInt(v) << BigInt(8 * k)), 0n)]; };
  it('stores the result with the exponent wrapped by 24576 (SDM 4.9.1.4/4.9.1.5)', () => {
    const f = new Fpu();
    f.fldcw(0x037f & ~0x18);                  // unmask OE and UE
    f.ld(16384); f.exec(0xd9, 0xe8); f.exec(0xd9, 0xfd);   // 1 * 2^16384: overflow
    expect(f.flags() & 0x08).toBe(0x08);
    f.fnclex();
    f.mem(0xdb, 7, A);
    expect(rd(f)).toEqual([16383 + 16384 - 24576, 1n << 63n]);
    f.ld(-16400); f.exec(0xd9, 0xe8); f.exec(0xd9, 0xfd);  // 2^-16400: underflow
    expect(f.flags() & 0x10).toBe(0x10);
    f.fnclex();
    f.mem(0xdb, 7, A);
    expect(rd(f)).toEqual([16383 - 16400 + 24576, 1n << 63n]);
  });
});

describe('80-bit accuracy of F2XM1, FYL2X, FYL2XP1, FPATAN (within 1 ulp of 64 bits)', () => {
  let s = 2024;
  const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
  const randExt = (eLo: number, eHi: number, signed: boolean): Ext => ({
    sexp: (16383 + eLo + (next() % (eHi - eLo + 1))) | (signed && next() & 1 ? 0x8000 : 0),
    mant: (1n << 63n) | (BigInt(next()) << 31n) | BigInt(next() >>> 1),
  });
  const readExt = (f: Fpu, a: number): Ext => {
    const b = f.rbytes(a, 10);
    return { sexp: b[8] | (b[9] << 8), mant: b.slice(0, 8).reduce((acc, v, k) => acc | (BigInt(v) << BigInt(8 * k)), 0n) };
  };
  const run = (f: Fpu, ops: Ext[], modrm: number): Ext => {
    for (const x of ops) { f.wbytes(A, extBytes(x)); f.mem(0xdb, 5, A); }
    f.exec(0xd9, modrm);
    f.mem(0xdb, 7, A + 0x20);
    return readExt(f, A + 0x20);
  };
  it('F2XM1 on (-1, 1)', () => {
    const f = new Fpu();
    for (let i = 0; i < 60; i++) {
      const x = randExt(-30, -1, true);
      const got = run(f, [x], 0xf0);
      expect(ulpDiff(got, big.expm1(big.fromExt(x) * big.ln2() >> big.P)), `#${i}`).toBeLessThanOrEqual(1);
    }
  });
  it('FYL2X and FYL2XP1', () => {
    const f = new Fpu();
    for (let i = 0; i < 40; i++) {
      const y = randExt(-5, 10, true), x = randExt(-100, 100, false);
      let got = run(f, [y, x], 0xf1);
      let ref = (big.fromExt(y) * ((big.ln(big.fromExt(x)) << big.P) / big.ln2())) >> big.P;
      expect(ulpDiff(got, ref), `fyl2x #${i}`).toBeLessThanOrEqual(1);
      const xp = randExt(-40, -2, true);
      got = run(f, [y, xp], 0xf9);
      ref = (big.fromExt(y) * ((big.ln(big.ONE + big.fromExt(xp)) << big.P) / big.ln2())) >> big.P;
      expect(ulpDiff(got, ref), `fyl2xp1 #${i}`).toBeLessThanOrEqual(1);
    }
    expect(f.top()).toBe(0);
  });
  it('FPATAN in all four quadrants', () => {
    const f = new Fpu();
    const PI = big.pi();
    for (let i = 0; i < 60; i++) {
      const y = randExt(-20, 20, true), x = randExt(-20, 20, true);
      const got = run(f, [y, x], 0xf3);
      const fy = big.fromExt(y), fx = big.fromExt(x);
      const ay = fy < 0n ? -fy : fy, ax = fx < 0n ? -fx : fx;
      let a = ay <= ax ? big.atan((ay << big.P) / ax) : PI / 2n - big.atan((ax << big.P) / ay);
      if (fx < 0n) a = PI - a;
      if (fy < 0n) a = -a;
      expect(ulpDiff(got, a), `#${i}`).toBeLessThanOrEqual(1);
    }
    // special operands give the exact 80-bit multiples of pi/4
    f.ld(0); f.ld(-1); f.exec(0xd9, 0xf3); f.mem(0xdb, 7, A);
    expect(f.rbytes(A, 10)).toEqual(ext80(0x4000, 0xc90fdaa22168c235n));       // atan2(+0, -1) = pi
    f.ld(Infinity); f.ld(-Infinity); f.exec(0xd9, 0xf3); f.mem(0xdb, 7, A);
    expect(f.rbytes(A, 10)).toEqual(ext80(0x4000, 0x96cbe3f9990e91a8n));       // 3pi/4
  });
});

describe('80-bit accuracy of FSIN, FCOS, FSINCOS, FPTAN (66-bit pi reduction)', () => {
  let s = 77;
  const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
  const randExt = (eLo: number, eHi: number): Ext => ({
    sexp: (16383 + eLo + (next() % (eHi - eLo + 1))) | (next() & 1 ? 0x8000 : 0),
    mant: (1n << 63n) | (BigInt(next()) << 31n) | BigInt(next() >>> 1),
  });
  const readExt = (f: Fpu, a: number): Ext => {
    const b = f.rbytes(a, 10);
    return { sexp: b[8] | (b[9] << 8), mant: b.slice(0, 8).reduce((acc, v, k) => acc | (BigInt(v) << BigInt(8 * k)), 0n) };
  };
  it('match the hardware reduction within 1 ulp of 64 bits', () => {
    const f = new Fpu();
    for (let i = 0; i < 60; i++) {
      const x = randExt(-6, 12);
      const [rs, rc] = big.sincos66(big.fromExt(x));
      f.wbytes(A, extBytes(x));
      f.mem(0xdb, 5, A); f.exec(0xd9, 0xfe); f.mem(0xdb, 7, A + 0x20);      // FSIN
      expect(ulpDiff(readExt(f, A + 0x20), rs), `sin #${i}`).toBeLessThanOrEqual(1);
      f.mem(0xdb, 5, A); f.exec(0xd9, 0xff); f.mem(0xdb, 7, A + 0x20);      // FCOS
      expect(ulpDiff(readExt(f, A + 0x20), rc), `cos #${i}`).toBeLessThanOrEqual(1);
      f.mem(0xdb, 5, A); f.exec(0xd9, 0xfb);                                // FSINCOS
      f.mem(0xdb, 7, A + 0x20); f.mem(0xdb, 7, A + 0x40);
      expect(ulpDiff(readExt(f, A + 0x20), rc), `sincos c #${i}`).toBeLessThanOrEqual(1);
      expect(ulpDiff(readExt(f, A + 0x40), rs), `sincos s #${i}`).toBeLessThanOrEqual(1);
      f.mem(0xdb, 5, A); f.exec(0xd9, 0xf2);                                // FPTAN
      expect(f.stp()).toBe(1);
      f.mem(0xdb, 7, A + 0x20);
      expect(ulpDiff(readExt(f, A + 0x20), (rs << big.P) / rc), `tan #${i}`).toBeLessThanOrEqual(1);
      expect(f.top()).toBe(0);
    }
  });
  it('huge arguments (2^30 .. 2^63): exact reduction as well', () => {
    const f = new Fpu();
    for (let i = 0; i < 40; i++) {
      const x = randExt(30, 62);
      const [rs, rc] = big.sincos66(big.fromExt(x));
      f.wbytes(A, extBytes(x));
      f.mem(0xdb, 5, A); f.exec(0xd9, 0xfb);                                // FSINCOS
      expect(f.cc().c2).toBe(0);
      f.mem(0xdb, 7, A + 0x20); f.mem(0xdb, 7, A + 0x40);
      expect(ulpDiff(readExt(f, A + 0x20), rc), `cos #${i} ${x.sexp}`).toBeLessThanOrEqual(1);
      expect(ulpDiff(readExt(f, A + 0x40), rs), `sin #${i} ${x.sexp}`).toBeLessThanOrEqual(1);
    }
  });
  it('zero and tiny arguments', () => {
    const f = new Fpu();
    f.ld(-0); f.exec(0xd9, 0xfe); expect(Object.is(f.stp(), -0)).toBe(true);
    f.ld(0); f.exec(0xd9, 0xff); expect(f.stp()).toBe(1);
    expect(f.flags()).toBe(0);
    f.ld(1e-30); f.exec(0xd9, 0xfb); expect(f.stp()).toBe(1); expect(f.stp()).toBe(1e-30);
  });
});

describe('trigonometric special operands', () => {
  it('NaN and infinity give NaN results in both registers of FSINCOS and FPTAN', () => {
    const f = new Fpu();
    f.ld(Infinity); f.exec(0xd9, 0xfb);
    expect(f.top()).toBe(6);
    expect(f.stBits(0)).toBe(0xfff8000000000000n);
    expect(f.stBits(1)).toBe(0xfff8000000000000n);
    expect(f.flags()).toBe(1);
    f.exec(0xdb, 0xe3);
    f.ldBits(0x7ff8000000000123n); f.exec(0xd9, 0xf2);
    expect(f.top()).toBe(6);
    expect(f.stBits(0)).toBe(0x7ff8000000000123n);
    expect(f.flags()).toBe(0);
    f.exec(0xdb, 0xe3);
    f.ld(-Infinity); f.exec(0xd9, 0xfe);
    expect(f.stBits(0)).toBe(0xfff8000000000000n);
    expect(f.top()).toBe(7);
  });
});

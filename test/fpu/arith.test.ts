// x87 arithmetic: every encoding form of FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR (and P/I forms) and
// FSQRT, checked against exact rational arithmetic (BigInt) rounded under each rounding and
// precision control; special values and exceptions per Intel SDM Vol. 1 4.8.3.5, 8.5.
import { describe, expect, it } from 'vitest';
import { A, type Ext, Fpu, exact, exactOp, extBytes, extRational, f64bits, roundRational, roundRationalExt, rng } from './fpu.js';

const IE = 1, ZE = 4, PE = 0x20, SF = 0x40, ES = 0x80;
type Op = '+' | '-' | '*' | '/';
// D8 /r register form reg field and the operation it performs as ST(0) = ST(0) op ST(i)
const REG_FORM: Record<Op, number> = { '+': 0, '*': 1, '-': 4, '/': 6 };

function ref(op: Op, a: number, b: number, prec: number, rc: number): number {
  const [n, d] = exactOp(op, a, b);
  if (n === 0n) {
    if (op === '+' || op === '-') {
      const bb = op === '-' ? -b : b;
      if (a === 0 && bb === 0 && Object.is(a, bb)) return a;
      return rc === 1 ? -0 : 0;
    }
    return (Math.sign(1 / a) * Math.sign(1 / b) < 0 || (a !== 0 && b !== 0 && a * b < 0)) ? -0 : 0;
  }
  return roundRational(n, d, prec, rc);
}

describe('exactly rounded basic arithmetic', () => {
  // precision control field -> significand bits; results keep the double extended exponent range
  const PCS = [[3, 64], [2, 53], [0, 24]] as const;

  function check(f: Fpu, a: number, b: number, op: Op, pcField: number, prec: number, rc: number, checkC1: boolean): void {
    f.setRc(rc, pcField);
    f.fnclex();
    f.ld(b); f.ld(a);                  // ST0 = a, ST1 = b
    f.exec(0xd8, 0xc0 | (REG_FORM[op] << 3) | 1);
    const c1 = f.cc().c1, flags = f.flags();
    f.mem(0xdb, 7, A + 0x400);          // FSTP m80: the exact register contents
    f.stp();
    const [n, d] = exactOp(op, a, b);
    const want = n === 0n ? null : roundRationalExt(n, d, prec, rc);
    const got = f.rbytes(A + 0x400, 10);
    const label = `${a} ${op} ${b} rc=${rc} p=${prec}`;
    if (want === null) {
      const z = ref(op, a, b, prec, rc);
      expect(got, label).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, Object.is(z, -0) ? 0x80 : 0]);
      return;
    }
    expect(got, label).toEqual(extBytes(want));
    const isExact = extBytes(roundRationalExt(n, d, prec, 1)).join() === extBytes(roundRationalExt(n, d, prec, 2)).join();
    expect(flags & PE, label).toBe(isExact ? 0 : PE);
    expect(flags & 0x18, label).toBe(0);              // never OE/UE: the extended range holds it
    if (!isExact && checkC1) {
      const [wn, wd] = extRational(want);
      const abs = (x: bigint) => (x < 0n ? -x : x);
      expect(c1, `C1 of ${label}`).toBe(abs(wn) * d > abs(n) * wd ? 1 : 0);
    }
  }

  it('matches exact rounding for random operands, all RC, PC=64/53/24', () => {
    const f = new Fpu();
    const r = rng(12345);
    let checked = 0;
    for (let i = 0; i < 250; i++) {
      const a = r(), b = i % 7 === 0 ? a * (1 + 2 ** -40) : r();
      for (const op of ['+', '-', '*', '/'] as Op[]) {
        for (const [pcField, prec] of PCS) {
          check(f, a, b, op, pcField, prec, (i + checked) & 3, true);
          checked++;
        }
      }
    }
    expect(checked).toBe(3000);
  });

  it('results beyond the f64 range stay exact in registers; FST m64 then overflows/underflows', () => {
    const f = new Fpu();
    const r = rng(4242, -1074, 1023);
    for (let i = 0; i < 300; i++) {
      const a = r(), b = r();
      for (const op of ['+', '-', '*', '/'] as Op[]) {
        const [pcField, prec] = PCS[i % 3];
        check(f, a, b, op, pcField, prec, i & 3, false);
        // the same result stored as a double: rounded once more, with OE/UE at the f64 range
        f.setRc(i & 3, pcField); f.fnclex();
        f.ld(b); f.ld(a); f.exec(0xd8, 0xc0 | (REG_FORM[op] << 3) | 1);
        f.mem(0xdd, 3, A + 0x400); f.stp();
        const [n, d] = exactOp(op, a, b);
        if (n === 0n) continue;
        const [xn, xd] = extRational(roundRationalExt(n, d, prec, i & 3));
        const want = roundRational(xn, xd, 53, i & 3);
        expect(f.rf64(A + 0x400), `${a} ${op} ${b} as m64`).toBe(want);
        if (!Number.isFinite(roundRational(xn, xd, 53, 0))) expect(f.flags() & 0x28).toBe(0x28);
      }
    }
  });

  it('FSQRT is exactly rounded under every RC', () => {
    const f = new Fpu();
    const r = rng(777);
    for (let i = 0; i < 200; i++) {
      const a = Math.abs(r());
      const rc = i & 3;
      f.setRc(rc);
      f.ld(a); f.exec(0xd9, 0xfa);
      const s = f.stp();
      // check s is the correctly rounded root: compare s^2 and neighbours against a exactly
      const sq = (x: number) => { const e = exact(x); return { m: e.m * e.m, e: 2 * e.e }; };
      const cmp = (x: number) => { // sign of x^2 - a
        const p = sq(x), q = exact(a);
        const base = Math.min(p.e, q.e);
        const d = (p.m << BigInt(p.e - base)) - (q.m << BigInt(q.e - base));
        return d === 0n ? 0 : d > 0n ? 1 : -1;
      };
      const up = s * (1 + 2 ** -52), down = s * (1 - 2 ** -53);
      const c = cmp(s);
      if (rc === 1 || rc === 3) expect(c <= 0 && cmp(up) > 0).toBe(true);
      else if (rc === 2) expect(c >= 0 && cmp(down) < 0).toBe(true);
      else expect(s).toBe(Math.sqrt(a));
    }
  });

  it('all encodings: D8/DC memory, DC/DE register, DA/DE integer, reversed and popping forms', () => {
    const f = new Fpu();
    const a = 10, b = 4;
    // D8 m32: ST0 = ST0 op m32
    const d8: [number, number][] = [[0, 14], [1, 40], [4, 6], [5, -6], [6, 2.5], [7, 0.4]];
    for (const [reg, want] of d8) {
      f.w32(A, 0x40800000); f.ld(a); f.mem(0xd8, reg, A);
      expect(f.stp(), `D8 /${reg}`).toBe(want);
      f.wf64(A, b); f.ld(a); f.mem(0xdc, reg, A);
      expect(f.stp(), `DC /${reg}`).toBe(want);
      f.w32(A, b); f.ld(a); f.mem(0xda, reg, A);
      expect(f.stp(), `DA /${reg}`).toBe(want);
      f.w16(A, b); f.ld(a); f.mem(0xde, reg, A);
      expect(f.stp(), `DE /${reg}`).toBe(want);
      // D8 register: ST0 = ST0 op ST1
      f.ld(b); f.ld(a); f.exec(0xd8, 0xc1 | (reg << 3));
      expect(f.stp(), `D8 reg /${reg}`).toBe(want); f.stp();
    }
    // DC register forms: ST(i) = ST(i) op ST(0) with the SUB/SUBR and DIV/DIVR encodings swapped
    const dc: [number, number][] = [[0xc1, 14], [0xc9, 40], [0xe1, -6], [0xe9, 6], [0xf1, 0.4], [0xf9, 2.5]];
    for (const [m, want] of dc) {
      f.ld(a); f.ld(b); // ST0 = 4, ST1 = 10
      f.exec(0xdc, m);
      expect(f.st(0)).toBe(4);
      expect(f.st(1), `DC ${m.toString(16)}`).toBe(want);
      f.stp(); f.stp();
      f.ld(a); f.ld(b);
      f.exec(0xde, m); // popping form: result ends in ST(0)
      expect(f.st(0), `DE ${m.toString(16)}`).toBe(want);
      expect(f.top()).toBe(7);
      f.stp();
    }
    expect(f.flags()).toBe(PE); // only 4/10 is inexact
  });
});

describe('special values', () => {
  it('invalid operations give the real indefinite with IE', () => {
    const f = new Fpu();
    const cases: [number, number, number][] = [[Infinity, -Infinity, 0], [0, Infinity, 1], [0, 0, 6], [Infinity, Infinity, 6]];
    for (const [a, b, reg] of cases) {
      f.fnclex(); f.ld(b); f.ld(a); f.exec(0xd8, 0xc1 | (reg << 3));
      expect(f.stpBits()).toBe(0xfff8000000000000n); f.stp();
      expect(f.flags()).toBe(IE);
    }
    f.fnclex(); f.ld(-2); f.exec(0xd9, 0xfa);
    expect(f.stpBits()).toBe(0xfff8000000000000n);
    expect(f.flags()).toBe(IE);
    f.fnclex(); f.ld(-0); f.exec(0xd9, 0xfa);
    expect(f.stpBits()).toBe(1n << 63n);
    expect(f.flags()).toBe(0);
  });
  it('division by zero gives a signed infinity with ZE', () => {
    const f = new Fpu();
    f.ld(-0); f.ld(3); f.exec(0xd8, 0xf1);
    expect(f.stp()).toBe(-Infinity);
    expect(f.flags()).toBe(ZE);
  });
  it('NaN propagation: QNaN passes through, SNaN is quieted with IE, larger significand wins', () => {
    const f = new Fpu();
    f.ld(1); f.ldBits(0x7ff8000000000042n); f.exec(0xd8, 0xc1);
    expect(f.stpBits()).toBe(0x7ff8000000000042n); f.stp();
    expect(f.flags()).toBe(0);
    // SNaN via m80 (FLD m80 loads SNaNs without an exception)
    f.wbytes(A, [1, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x7f]); // SNaN, payload in low bits
    f.mem(0xdb, 5, A); f.ld(2); f.exec(0xd8, 0xc9);
    expect(Number.isNaN(f.st(0))).toBe(true);
    expect(f.flags()).toBe(IE);
    f.stp(); f.stp(); f.fnclex();
    f.ldBits(0xfff8000000000001n); f.ldBits(0x7ff8000000000100n); f.exec(0xd8, 0xc1);
    expect(f.stpBits()).toBe(0x7ff8000000000100n);
  });
  it('zero sums: x + (-x) is +0, or -0 when rounding down', () => {
    const f = new Fpu();
    f.ld(-5); f.ld(5); f.exec(0xd8, 0xc1);
    expect(Object.is(f.stp(), 0)).toBe(true); f.stp();
    f.setRc(1);
    f.ld(-5); f.ld(5); f.exec(0xd8, 0xc1);
    expect(Object.is(f.stp(), -0)).toBe(true);
  });
});

describe('exception delivery', () => {
  it('unmasked ZE: destination unchanged, ES/B set, next waiting instruction raises #MF (CR0.NE=1)', () => {
    const f = new Fpu();
    f.fldcw(0x037f & ~ZE);
    f.ld(0); f.ld(1); f.exec(0xd8, 0xf1);
    expect(f.st(0)).toBe(1);
    expect(f.sw() & 0x8084).toBe(0x8084);
    expect(f.vector()).toBe(-1);
    f.exec(0xd9, 0xd0); // FNOP is a waiting instruction
    expect(f.vector()).toBe(16);
    f.exec(0xdf, 0xe0); // FNSTSW AX does not wait
    expect(f.vector()).toBe(-1);
    expect(f.e.getAx() & 0x8084).toBe(0x8084);
    f.wait();
    expect(f.vector()).toBe(16);
    f.fnclex();
    f.wait();
    expect(f.vector()).toBe(-1);
    expect(f.sw() & 0x80ff).toBe(0);
  });
  it('CR0.NE=0: the waiting instruction asserts IRQ 13 (FERR#) and executes', () => {
    const f = new Fpu();
    f.e.setCr0(0x11);
    f.fldcw(0x037f & ~IE);
    f.ld(-1); f.exec(0xd9, 0xfa); // FSQRT(-1): unmasked IE
    expect(f.st(0)).toBe(-1);
    expect(f.e.getIrq13()).toBe(0);
    f.exec(0xd9, 0xe1); // FABS (waiting)
    expect(f.e.getIrq13()).toBe(1);
    expect(f.vector()).toBe(-1);
    expect(f.st(0)).toBe(1);
    f.e.fpuClearFerr();
    expect(f.e.getIrq13()).toBe(0);
  });
  it('FLDCW that unmasks a pending flag sets ES', () => {
    const f = new Fpu();
    f.ld(0); f.ld(1); f.exec(0xd8, 0xf1); // masked ZE
    expect(f.sw() & 0x80).toBe(0);
    f.fldcw(0x037b);
    expect(f.sw() & 0x8080).toBe(0x8080);
  });
  it('stack underflow in arithmetic: IE+SF, C1=0, masked result is the indefinite', () => {
    const f = new Fpu();
    f.ld(1); f.exec(0xd8, 0xc1);
    expect(f.stpBits()).toBe(0xfff8000000000000n);
    expect(f.flags()).toBe(IE | SF);
    expect(f.cc().c1).toBe(0);
  });
  it('precision control single rounds results to 24 bits', () => {
    const f = new Fpu();
    f.setRc(0, 0);
    f.ld(3); f.ld(1); f.exec(0xd8, 0xf1);
    expect(f.stp()).toBe(Math.fround(1 / 3));
  });
});

export { ES };

describe('unsupported encodings', () => {
  it('arithmetic on an unnormal (FLD m80) is invalid and gives the indefinite', () => {
    const f = new Fpu();
    f.ld(1);
    f.wbytes(A, [0, 0, 0, 0, 0, 0, 0, 0x40, 0xff, 0x3f]); // exponent 3FFF, integer bit clear
    f.mem(0xdb, 5, A);
    f.exec(0xd8, 0xc1);
    expect(f.stpBits()).toBe(0xfff8000000000000n);
    expect(f.flags()).toBe(IE);
  });
});

describe('80-bit operands (FLD m80)', () => {
  // random normal extended values with full 64-bit significands and wide exponents
  function rngExt(seed: number, expSpan: number): () => Ext {
    let s = seed >>> 0;
    const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
    return () => {
      const mant = (1n << 63n) | (BigInt(next()) << 31n) | BigInt(next() >>> 1);
      const e = 16383 + (next() % (2 * expSpan + 1)) - expSpan;
      return { sexp: (next() & 1 ? 0x8000 : 0) | e, mant };
    };
  }
  const rat = (x: Ext) => extRational(x);
  function exactExt(op: Op, x: Ext, y: Ext): [bigint, bigint] {
    const [an, ad] = rat(x), [bn, bd] = rat(y);
    let n: bigint, d: bigint;
    if (op === '+') { n = an * bd + bn * ad; d = ad * bd; }
    else if (op === '-') { n = an * bd - bn * ad; d = ad * bd; }
    else if (op === '*') { n = an * bn; d = ad * bd; }
    else { n = an * bd; d = ad * bn; }
    if (d < 0n) { n = -n; d = -d; }
    return [n, d];
  }

  it('add/sub/mul/div on full 64-bit significands round exactly (PC=64, all RC)', () => {
    const f = new Fpu();
    const r = rngExt(777, 3000);
    for (let i = 0; i < 400; i++) {
      const x = r(), y = i % 5 === 0 ? { sexp: x.sexp ^ 0x8000, mant: x.mant ^ 0xffn } : r();
      for (const op of ['+', '-', '*', '/'] as Op[]) {
        const rc = (i >> 1) & 3;
        f.setRc(rc, 3); f.fnclex();
        f.wbytes(A, extBytes(y)); f.mem(0xdb, 5, A);
        f.wbytes(A, extBytes(x)); f.mem(0xdb, 5, A);
        f.exec(0xd8, 0xc0 | (REG_FORM[op] << 3) | 1);
        f.mem(0xdb, 7, A + 0x20); f.stp();
        const [n, d] = exactExt(op, x, y);
        const want = n === 0n ? [0, 0, 0, 0, 0, 0, 0, 0, 0, rc === 1 ? 0x80 : 0] : extBytes(roundRationalExt(n, d, 64, rc));
        expect(f.rbytes(A + 0x20, 10), `${op} #${i} rc=${rc}`).toEqual(want);
      }
    }
  });

  it('FSQRT of 64-bit significands is correctly rounded', () => {
    const f = new Fpu();
    const r = rngExt(99, 5000);
    for (let i = 0; i < 300; i++) {
      const x = r(); x.sexp &= 0x7fff;
      const rc = i & 3;
      f.setRc(rc, 3);
      f.wbytes(A, extBytes(x)); f.mem(0xdb, 5, A);
      f.exec(0xd9, 0xfa);
      f.mem(0xdb, 7, A + 0x20);
      const b = f.rbytes(A + 0x20, 10);
      const got: Ext = { sexp: b[8] | (b[9] << 8), mant: b.slice(0, 8).reduce((acc, v, k) => acc | (BigInt(v) << BigInt(8 * k)), 0n) };
      // compare got^2 and its neighbours' squares against x, exactly
      const [xn, xd] = rat(x);
      const ulp: Ext = { sexp: got.sexp, mant: 1n };
      const [un, ud] = rat(ulp);
      const [gn, gd] = rat(got);
      const cmpSq = (n: bigint, d: bigint) => { const l = n * n * xd, rr = xn * d * d; return l === rr ? 0 : l > rr ? 1 : -1; };
      const lo = (k: bigint) => [gn * ud + k * un * gd, gd * ud] as const;   // got + k*ulp
      if (rc === 0) {
        const [hn, hd] = [2n * gn * ud - un * gd, 2n * gd * ud], [kn, kd] = [2n * gn * ud + un * gd, 2n * gd * ud];
        expect(cmpSq(hn, hd) < 0 && cmpSq(kn, kd) > 0, `sqrt #${i}`).toBe(true);
      } else if (rc === 2) {
        const [pn, pd] = lo(-1n);
        expect(cmpSq(gn, gd) >= 0 && cmpSq(pn, pd) < 0, `sqrt up #${i}`).toBe(true);
      } else {
        const [nn, nd] = lo(1n);
        expect(cmpSq(gn, gd) <= 0 && cmpSq(nn, nd) > 0, `sqrt down #${i}`).toBe(true);
      }
    }
  });

  it('comparisons use the exact 80-bit values, also beyond the f64 range', () => {
    const f = new Fpu();
    const big = (e: number, m: bigint) => extBytes({ sexp: e, mant: m });
    f.wbytes(A, big(16383 + 15000, 1n << 63n)); f.mem(0xdb, 5, A);
    f.wbytes(A, big(16383 + 15001, 1n << 63n)); f.mem(0xdb, 5, A);
    f.exec(0xd8, 0xd1);
    expect(f.cc().c0).toBe(0);              // 2^15001 > 2^15000
    expect(f.cc().c3).toBe(0);
    f.stp(); f.stp();
    f.wbytes(A, big(16383, (1n << 63n) | 1n)); f.mem(0xdb, 5, A);
    f.ld(1);
    f.exec(0xd8, 0xd1);                     // 1 < 1 + 2^-63
    expect(f.cc().c0).toBe(1);
  });
});

describe('guest idioms', () => {
  it("Linux's Pentium FDIV bug check computes x - (x/y)*y = 0", () => {
    const f = new Fpu();
    f.exec(0xdb, 0xe3);
    f.wf64(A, 4195835.0); f.wf64(A + 8, 3145727.0);
    f.mem(0xdd, 0, A); f.mem(0xdc, 6, A + 8); f.mem(0xdc, 1, A + 8);   // fldl x; fdivl y; fmull y
    f.mem(0xdd, 0, A); f.exec(0xde, 0xe9);                             // fldl x; fsubp
    f.w32(A + 16, 0x5a5a5a5a); f.mem(0xdb, 3, A + 16);                 // fistpl
    f.wait();
    expect(f.r32(A + 16)).toBe(0);
    expect(f.vector()).toBe(-1);
  });
});

// x87 loads and stores of every memory format, through instruction encodings (Intel SDM Vol. 2A
// FLD/FST/FILD/FIST/FBLD/FBSTP and Vol. 1 4.2, 4.7, 4.8 for formats and indefinites).
import { describe, expect, it } from 'vitest';
import { A, Fpu, bitsF32, ext80, f32bits, f64bits } from './fpu.js';

const IE = 1, DE = 2, PE = 0x20, SF = 0x40;

describe('m64 real', () => {
  it('round-trips every class bit-exactly (FLD m64 / FSTP m64)', () => {
    const f = new Fpu();
    const cases = [0n, 1n << 63n, 0x3ff0000000000000n, 0xc00921fb54442d18n, 0x0000000000000001n,
      0x800fffffffffffffn, 0x7fefffffffffffffn, 0x7ff0000000000000n, 0xfff0000000000000n,
      0x7ff8000000000123n, 0xfff8000000000000n];
    for (const b of cases) {
      f.ldBits(b);
      expect(f.stpBits()).toBe(b);
    }
  });
  it('FLD m64 of an SNaN raises IE and loads it quiet; denormal raises DE', () => {
    const f = new Fpu();
    f.ldBits(0x7ff0000000000005n);
    expect(f.flags() & IE).toBe(IE);
    expect(f.stpBits()).toBe(0x7ff8000000000005n);
    f.fnclex();
    f.ldBits(1n);
    expect(f.flags()).toBe(DE);
  });
  it('unmasked DE: FLD m64 of a denormal loads nothing', () => {
    const f = new Fpu();
    f.fldcw(0x037f & ~DE);
    f.ldBits(1n);
    expect(f.empty(0)).toBe(true);
    expect(f.sw() & 0x8082).toBe(0x8082); // B, ES, DE
  });
});

describe('m32 real', () => {
  it('loads exactly and stores with every rounding mode', () => {
    const f = new Fpu();
    f.w32(A, f32bits(1.5)); f.mem(0xd9, 0, A);
    expect(f.st(0)).toBe(1.5);
    // 1 + 2^-24 + 2^-30: between two floats; RN/up -> 1+2^-23, down/chop -> 1
    const v = 1 + 2 ** -24 + 2 ** -30;
    const want = [1 + 2 ** -23, 1, 1 + 2 ** -23, 1];
    for (let rc = 0; rc < 4; rc++) {
      f.setRc(rc); f.fnclex();
      f.ld(v); f.mem(0xd9, 3, A + 8);
      expect(bitsF32(f.r32(A + 8))).toBe(want[rc]);
      expect(f.flags() & PE).toBe(PE);
      expect(f.cc().c1).toBe(want[rc] > v ? 1 : 0);
    }
    // negative: -v, down -> -(1+2^-23)
    f.setRc(1); f.ld(-v); f.mem(0xd9, 3, A + 8);
    expect(bitsF32(f.r32(A + 8))).toBe(-(1 + 2 ** -23));
  });
  it('overflow and underflow on FST m32', () => {
    const f = new Fpu();
    f.ld(1e300); f.mem(0xd9, 3, A);
    expect(f.r32(A)).toBe(0x7f800000);
    expect(f.flags() & 0x28).toBe(0x28); // OE, PE
    f.fnclex(); f.setRc(3);
    f.ld(-1e300); f.mem(0xd9, 3, A);
    expect(f.r32(A)).toBe(0xff7fffff); // chop: largest finite
    f.fnclex(); f.setRc(0);
    f.ld(1e-40); f.mem(0xd9, 3, A);
    expect(f.r32(A)).toBe(f32bits(Math.fround(1e-40)));
    expect(f.flags() & 0x30).toBe(0x30); // UE, PE
  });
  it('unmasked overflow leaves memory and the stack unchanged', () => {
    const f = new Fpu();
    f.fldcw(0x037f & ~0x08);
    f.w32(A, 0x12345678);
    f.ld(1e300); f.mem(0xd9, 3, A);
    expect(f.r32(A)).toBe(0x12345678);
    expect(f.empty(0)).toBe(false);
    expect(f.sw() & 0x80).toBe(0x80);
  });
  it('NaN, infinity, zero signs, denormal load', () => {
    const f = new Fpu();
    for (const b of [0x7fc00001, 0xff800000, 0x80000000, 0x7f800000]) {
      f.w32(A, b); f.mem(0xd9, 0, A); f.mem(0xd9, 3, A + 4);
      expect(f.r32(A + 4) >>> 0).toBe(b >>> 0);
    }
    f.fnclex();
    f.w32(A, 1); f.mem(0xd9, 0, A);
    expect(f.st(0)).toBe(2 ** -149);
    expect(f.flags()).toBe(DE);
  });
});

describe('m80 real', () => {
  it('FLD m80 / FSTP m80 are bit-exact for arbitrary values (also beyond f64)', () => {
    const f = new Fpu();
    const cases: [number, bigint][] = [
      [0x3fff, 0x8000000000000000n], [0xbfff, 0xc000000000000001n], [0x4000, 0xc90fdaa22168c235n],
      [0x7ffe, 0xffffffffffffffffn], [0x0001, 0x8000000000000000n], [0x0000, 0x0000000000000001n],
      [0x8000, 0n], [0x7fff, 0x8000000000000000n], [0xffff, 0xc000000000000000n],
      [0x7fff, 0xa000000000000001n], [0x3fff, 0x4000000000000000n] /* unnormal */,
    ];
    for (const [se, m] of cases) {
      f.wbytes(A, ext80(se, m));
      f.mem(0xdb, 5, A);
      f.mem(0xdb, 7, A + 16);
      expect(f.rbytes(A + 16, 10)).toEqual(ext80(se, m));
    }
    expect(f.flags()).toBe(0);
  });
  it('the f64 value of an m80 load is its nearest double; storing an f64 gives exact m80', () => {
    const f = new Fpu();
    f.wbytes(A, ext80(0x3fff, 0x8000000000000401n)); // 1 + 2^-53 + 2^-63: rounds up to 1+2^-52
    f.mem(0xdb, 5, A);
    expect(f.st(0)).toBe(1 + 2 ** -52);
    f.ld(-3.25);
    f.mem(0xdb, 7, A + 16);
    expect(f.rbytes(A + 16, 10)).toEqual(ext80(0xc000, 0xd000000000000000n));
    f.ld(2 ** -1074);
    f.mem(0xdb, 7, A + 16);
    expect(f.rbytes(A + 16, 10)).toEqual(ext80(16383 - 1074, 0x8000000000000000n));
  });
  it('FST m64 of an extended value rounds under RC', () => {
    const f = new Fpu();
    f.setRc(2);
    f.wbytes(A, ext80(0x3fff, 0x8000000000000001n)); // 1 + 2^-63
    f.mem(0xdb, 5, A);
    f.mem(0xdd, 3, A + 16);
    expect(f.rf64(A + 16)).toBe(1 + 2 ** -52);
    f.setRc(0);
    f.mem(0xdb, 5, A);
    f.mem(0xdd, 3, A + 16);
    expect(f.rf64(A + 16)).toBe(1);
  });
});

describe('integers', () => {
  it('FILD/FISTP m16, m32, m64 round-trip exactly, including 64-bit values beyond 2^53', () => {
    const f = new Fpu();
    for (const v of [0, 1, -1, 32767, -32768]) {
      f.w16(A, v & 0xffff); f.mem(0xdf, 0, A); f.mem(0xdf, 3, A + 8);
      expect(f.r16(A + 8)).toBe(v & 0xffff);
    }
    for (const v of [0, 123456789, -2147483648, 2147483647]) {
      f.w32(A, v); f.mem(0xdb, 0, A); f.mem(0xdb, 3, A + 8);
      expect(f.r32(A + 8)).toBe(v >>> 0);
    }
    for (const v of [0n, 1n, -1n, 0x7fffffffffffffffn, -0x8000000000000000n, 0x123456789abcdef1n, -(2n ** 53n) - 1n]) {
      f.wu64(A, v); f.mem(0xdf, 5, A); f.mem(0xdf, 7, A + 8);
      expect(f.ru64(A + 8)).toBe(BigInt.asUintN(64, v));
    }
    expect(f.flags()).toBe(0);
  });
  it('FIST honours every rounding mode, sets PE and C1', () => {
    const f = new Fpu();
    const table: [number, number[]][] = [
      [2.5, [2, 2, 3, 2]], [3.5, [4, 3, 4, 3]], [-2.5, [-2, -3, -2, -2]], [-0.4, [0, -1, 0, 0]],
      [0.5, [0, 0, 1, 0]], [1.75, [2, 1, 2, 1]],
    ];
    for (const [x, want] of table) {
      for (let rc = 0; rc < 4; rc++) {
        f.setRc(rc); f.fnclex();
        f.ld(x); f.mem(0xdb, 3, A);
        expect(f.r32(A) | 0).toBe(want[rc]);
        expect(f.flags()).toBe(PE);
        expect(f.cc().c1).toBe(Math.abs(want[rc]) > Math.abs(x) ? 1 : 0);
      }
    }
  });
  it('out of range, NaN and infinity store the integer indefinite with IE', () => {
    const f = new Fpu();
    for (const x of [32768, -32769, NaN, Infinity]) {
      f.fnclex(); f.ld(x); f.mem(0xdf, 3, A);
      expect(f.r16(A)).toBe(0x8000);
      expect(f.flags()).toBe(IE);
    }
    f.fnclex(); f.ld(-32768.4); f.mem(0xdf, 3, A);
    expect(f.r16(A)).toBe(0x8000);
    expect(f.flags()).toBe(PE);
    f.fnclex(); f.ld(2 ** 31); f.mem(0xdb, 3, A);
    expect(f.r32(A)).toBe(0x80000000);
    expect(f.flags()).toBe(IE);
    f.fnclex(); f.ld(2 ** 63); f.mem(0xdf, 7, A);
    expect(f.ru64(A)).toBe(0x8000000000000000n);
    expect(f.flags()).toBe(IE);
    f.fnclex(); f.ld(-(2 ** 63)); f.mem(0xdf, 7, A);
    expect(f.ru64(A)).toBe(0x8000000000000000n);
    expect(f.flags()).toBe(0);
  });
  it('FIST without pop keeps ST(0); unmasked IE stores nothing', () => {
    const f = new Fpu();
    f.ld(7.25); f.mem(0xdb, 2, A);
    expect(f.r32(A)).toBe(7);
    expect(f.st(0)).toBe(7.25);
    f.fldcw(0x037e);
    f.w32(A, 0xdeadbeef); f.ld(1e20); f.mem(0xdb, 3, A);
    expect(f.r32(A)).toBe(0xdeadbeef);
    expect(f.st(0)).toBe(1e20);
  });
});

describe('packed BCD', () => {
  it('FBLD loads 18 digits exactly and FBSTP stores them back', () => {
    const f = new Fpu();
    const bcd = [0x89, 0x67, 0x45, 0x23, 0x01, 0x89, 0x67, 0x45, 0x23, 0x80]; // -234567890123456789
    f.wbytes(A, bcd);
    f.mem(0xdf, 4, A);
    expect(f.st(0)).toBe(-234567890123456789);
    f.mem(0xdf, 6, A + 16);
    expect(f.rbytes(A + 16, 10)).toEqual(bcd);
    f.ld(-0); f.mem(0xdf, 6, A + 16);
    expect(f.rbytes(A + 16, 10)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80]);
    f.ld(1234.5); f.mem(0xdf, 6, A + 16); // RN: 1234 (ties to even)
    expect(f.rbytes(A + 16, 10)).toEqual([0x34, 0x12, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(f.flags()).toBe(PE);
  });
  it('out of range stores the BCD indefinite', () => {
    const f = new Fpu();
    f.ld(1e18); f.mem(0xdf, 6, A);
    expect(f.rbytes(A, 10)).toEqual([0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff]);
    expect(f.flags()).toBe(IE);
  });
});

describe('constants', () => {
  it('FLD1/FLDZ/FLDPI/FLDL2E/FLDL2T/FLDLG2/FLDLN2 give the Intel 80-bit images', () => {
    const f = new Fpu();
    const want: [number, number, bigint][] = [
      [0xe8, 0x3fff, 0x8000000000000000n], [0xe9, 0x4000, 0xd49a784bcd1b8afen],
      [0xea, 0x3fff, 0xb8aa3b295c17f0bcn], [0xeb, 0x4000, 0xc90fdaa22168c235n],
      [0xec, 0x3ffd, 0x9a209a84fbcff799n], [0xed, 0x3ffe, 0xb17217f7d1cf79acn], [0xee, 0, 0n],
    ];
    for (const [m, se, mant] of want) {
      f.exec(0xd9, m); f.mem(0xdb, 7, A);
      expect(f.rbytes(A, 10)).toEqual(ext80(se, mant));
    }
    f.exec(0xd9, 0xeb);
    expect(f.st(0)).toBe(Math.PI);
    f.exec(0xd9, 0xed);
    expect(f.st(0)).toBe(Math.LN2);
  });
  it('constants follow the rounding control', () => {
    const f = new Fpu();
    f.setRc(3); f.exec(0xd9, 0xeb); f.mem(0xdb, 7, A);
    expect(f.rbytes(A, 10)).toEqual(ext80(0x4000, 0xc90fdaa22168c234n));
    f.setRc(2); f.exec(0xd9, 0xe9); f.mem(0xdb, 7, A);
    expect(f.rbytes(A, 10)).toEqual(ext80(0x4000, 0xd49a784bcd1b8affn));
    f.setRc(2); f.exec(0xd9, 0xeb); f.mem(0xdd, 3, A);
    expect(f.rf64(A)).toBeGreaterThan(Math.PI); // FST m64 rounds the 80-bit constant up too
    f.setRc(1); f.exec(0xd9, 0xeb); f.mem(0xdd, 3, A);
    expect(f.rf64(A)).toBe(Math.PI);           // the double nearest pi is below it
  });
});

describe('stack faults on stores', () => {
  it('FSTP m64 from an empty register: IE+SF, C1=0, stores the indefinite', () => {
    const f = new Fpu();
    f.mem(0xdd, 3, A);
    expect(f.ru64(A)).toBe(0xfff8000000000000n);
    expect(f.flags()).toBe(IE | SF);
    expect(f.cc().c1).toBe(0);
  });
  it('a faulting store changes nothing (memory or stack)', () => {
    const f = new Fpu();
    f.ld(1.5);
    f.e.setFaultWindow(A + 4, A + 5);
    f.mem(0xdd, 3, A);
    expect(f.e.getFault()).toBe(1);
    expect(f.st(0)).toBe(1.5);
    expect(f.top()).toBe(7);
    f.e.setFaultWindow(0xffffffff, 0);
    f.mem(0xdd, 3, A);
    expect(f.rf64(A)).toBe(1.5);
    expect(f.top()).toBe(0);
  });
  it('a faulting load leaves the stack unchanged', () => {
    const f = new Fpu();
    f.e.setFaultWindow(A + 8, A + 9);
    f.wbytes(A, ext80(0x3fff, 1n << 63n));
    f.mem(0xdb, 5, A);
    expect(f.e.getFault()).toBe(1);
    expect(f.empty(0)).toBe(true);
    expect(f.top()).toBe(0);
  });
});

export { f64bits };

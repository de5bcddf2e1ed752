// x87 comparisons and classification: FCOM/FCOMP/FCOMPP/FUCOM/FUCOMP/FUCOMPP/FICOM/FICOMP/
// FTST (C3/C2/C0), FCOMI/FCOMIP/FUCOMI/FUCOMIP (ZF/PF/CF in EFLAGS), FCMOVcc and FXAM
// (Intel SDM Vol. 2A reference tables).
import { describe, expect, it } from 'vitest';
import { A, Fpu, ext80 } from './fpu.js';

const IE = 1, DE = 2, SF = 0x40;
const CF = 1, PF = 4, ZF = 0x40, AF = 0x10, SFL = 0x80, OF = 0x800;

function cc(f: Fpu): string { const c = f.cc(); return `${c.c3}${c.c2}${c.c0}`; }

describe('FCOM family', () => {
  it('sets C3 C2 C0 for greater, less, equal and unordered', () => {
    const f = new Fpu();
    const cases: [number, number, string][] = [[2, 1, '000'], [1, 2, '001'], [2, 2, '100'], [-0, 0, '100'], [NaN, 1, '111']];
    for (const [a, b, want] of cases) {
      f.fnclex(); f.ld(b); f.ld(a);
      f.exec(0xd8, 0xd1);                 // FCOM ST(1)
      expect(cc(f), `${a} vs ${b}`).toBe(want);
      expect(f.flags()).toBe(Number.isNaN(a) ? IE : 0);
      f.fnclex();
      f.exec(0xdd, 0xe1);                 // FUCOM ST(1): QNaN is not invalid
      expect(cc(f)).toBe(want);
      expect(f.flags()).toBe(0);
      f.stp(); f.stp();
    }
  });
  it('memory and integer forms, popping forms', () => {
    const f = new Fpu();
    f.ld(1.5);
    f.w32(A, 0x3fc00000); f.mem(0xd8, 2, A);       // FCOM m32 1.5
    expect(cc(f)).toBe('100');
    f.wf64(A, 2); f.mem(0xdc, 2, A);               // FCOM m64 2
    expect(cc(f)).toBe('001');
    f.w32(A, 1); f.mem(0xda, 2, A);                // FICOM m32 1
    expect(cc(f)).toBe('000');
    f.w16(A, 0xffff); f.mem(0xde, 3, A);           // FICOMP m16 -1
    expect(cc(f)).toBe('000');
    expect(f.empty(0)).toBe(true);
    f.ld(3); f.ld(3); f.exec(0xde, 0xd9);          // FCOMPP
    expect(cc(f)).toBe('100');
    expect(f.top()).toBe(0);
    f.ld(3); f.ld(4); f.exec(0xda, 0xe9);          // FUCOMPP
    expect(cc(f)).toBe('000');
    expect(f.top()).toBe(0);
    f.ld(3); f.ld(1); f.exec(0xd8, 0xd9);          // FCOMP ST(1)
    expect(cc(f)).toBe('001');
    expect(f.top()).toBe(7);
  });
  it('FTST compares with zero; an empty operand is an unordered stack fault', () => {
    const f = new Fpu();
    f.ld(-3); f.exec(0xd9, 0xe4);
    expect(cc(f)).toBe('001');
    f.stp();
    f.exec(0xd9, 0xe4);
    expect(cc(f)).toBe('111');
    expect(f.flags()).toBe(IE | SF);
  });
  it('denormal memory operand raises DE', () => {
    const f = new Fpu();
    f.ld(0); f.w32(A, 1); f.mem(0xd8, 2, A);
    expect(f.flags()).toBe(DE);
    expect(cc(f)).toBe('001');
  });
});

describe('FCOMI family', () => {
  it('sets ZF/PF/CF, clears OF/SF/AF, pops for the P forms', () => {
    const f = new Fpu();
    const cases: [number, number, number][] = [[2, 1, 0], [1, 2, CF], [2, 2, ZF], [NaN, 2, ZF | PF | CF]];
    for (const [a, b, want] of cases) {
      for (const [op, m] of [[0xdb, 0xf1], [0xdb, 0xe9], [0xdf, 0xf1], [0xdf, 0xe9]]) {
        f.fnclex();
        f.e.setEflagsT(2 | OF | SFL | AF | CF | ZF | PF);
        f.ld(b); f.ld(a);
        f.exec(op, m);
        expect(f.eflags(), `${op.toString(16)} ${m.toString(16)} ${a} ${b}`).toBe(2 | want);
        const unordered = Number.isNaN(a);
        expect(f.flags()).toBe(unordered && m === 0xf1 ? IE : 0);
        expect(f.top()).toBe(op === 0xdf ? 7 : 6);
        while (!f.empty(0)) f.stp();
      }
    }
  });
  it('unmasked IE leaves EFLAGS alone', () => {
    const f = new Fpu();
    f.fldcw(0x037e);
    f.e.setEflagsT(2);
    f.ld(1); f.ldBits(0x7ff8000000000000n);
    f.exec(0xdb, 0xf1);
    expect(f.eflags()).toBe(2);
  });
});

describe('FCMOVcc', () => {
  it('moves ST(i) to ST(0) on each condition', () => {
    const f = new Fpu();
    // [modrm base for op DA / DB, flag set that makes the DA form true]
    const conds: [number, number][] = [[0xc0, CF], [0xc8, ZF], [0xd0, CF], [0xd0, ZF], [0xd8, PF]];
    for (const [m, fl] of conds) {
      for (const op of [0xda, 0xdb]) {
        for (const set of [true, false]) {
          f.e.setEflagsT(2 | (set ? fl : 0));
          f.ld(7); f.ld(1);
          f.exec(op, m | 1);
          const taken = (op === 0xda) === set;
          expect(f.st(0), `${op.toString(16)} ${m.toString(16)} ${set}`).toBe(taken ? 7 : 1);
          f.stp(); f.stp();
        }
      }
    }
  });
});

describe('FXAM', () => {
  it('classifies every kind of register content', () => {
    const f = new Fpu();
    const check = (want: string, c1: number) => {
      f.exec(0xd9, 0xe5);
      expect(cc(f)).toBe(want);
      expect(f.cc().c1).toBe(c1);
    };
    check('101', 0);                            // empty
    f.ld(-1.5); check('010', 1);                 // normal
    f.ld(0); check('100', 0);                    // zero
    f.ld(-Infinity); check('011', 1);            // infinity
    f.ldBits(0x7ff8000000000000n); check('001', 0); // NaN
    f.ld(2 ** -1070); check('010', 0);           // an f64 denormal is normal in 80-bit
    f.exec(0xdb, 0xe3);                          // FNINIT
    f.wbytes(A, ext80(0x8000, 5n)); f.mem(0xdb, 5, A);
    check('110', 1);                             // 80-bit denormal
    f.wbytes(A, ext80(0x3fff, 0x4000000000000000n)); f.mem(0xdb, 5, A);
    check('000', 0);                             // unnormal: unsupported
  });
});

describe('denormal operands', () => {
  it('80-bit denormal register operands raise DE in comparisons and arithmetic', () => {
    const f = new Fpu();
    f.ld(1);
    f.wbytes(A, ext80(0, 0x4000000000000000n)); f.mem(0xdb, 5, A);   // 2^-16383
    f.exec(0xd8, 0xd1);
    expect(f.flags()).toBe(DE);
    expect(cc(f)).toBe('001');
    f.fnclex();
    f.exec(0xd8, 0xc1);                       // tiny + 1 = 1 (inexact)
    expect(f.flags()).toBe(DE | 0x20);
    expect(f.st(0)).toBe(1);
    f.ld(2 ** -1074); f.fnclex();             // an f64 denormal is a normal 80-bit value: no DE
    f.exec(0xd8, 0xc1);
    expect(f.flags() & DE).toBe(0);
  });
});

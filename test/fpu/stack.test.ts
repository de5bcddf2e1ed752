// x87 register stack and control: FNINIT/power-on state, tag word, TOP, stack overflow and
// underflow (IE+SF with C1), FXCH, FLD ST(i), FST/FSTP ST(i), FFREE/FFREEP, FINCSTP/FDECSTP,
// FNSTSW AX/m16, FNSTCW/FLDCW, FNCLEX, invalid encodings (#UD) and the FIP/FOP/FDP pointers
// (Intel SDM Vol. 1 8.1, 8.5.1.1; Vol. 3A Table 9-1).
import { describe, expect, it } from 'vitest';
import { A, Fpu, SEG_DS } from './fpu.js';

const IE = 1, SF = 0x40;

describe('initial state', () => {
  it('power-on: CW=0040, TW=5555 (all +0.0); FNINIT: CW=037F, SW=0, TW=FFFF', () => {
    const f = new Fpu();
    f.e.fpuInit();
    expect(f.cw()).toBe(0x0040);
    expect(f.tag()).toBe(0x5555);
    expect(f.st(3)).toBe(0);
    f.exec(0xdb, 0xe3);
    expect(f.cw()).toBe(0x037f);
    expect(f.sw()).toBe(0);
    expect(f.tag()).toBe(0xffff);
  });
  it('SeaBIOS-style probe: FNINIT; FNSTSW m16; FNSTCW m16', () => {
    const f = new Fpu();
    f.w16(A, 0x5a5a); f.w16(A + 2, 0x5a5a);
    f.exec(0xdb, 0xe3); f.mem(0xdd, 7, A); f.mem(0xd9, 7, A + 2);
    expect(f.r16(A)).toBe(0);
    expect(f.r16(A + 2)).toBe(0x037f);
  });
  it('FLDCW keeps reserved bits: bit 6 reads as 1, bits 7 and 13-15 as 0', () => {
    const f = new Fpu();
    f.fldcw(0xffff); expect(f.cw()).toBe(0x1f7f);
    f.fldcw(0); expect(f.cw()).toBe(0x0040);
  });
});

describe('stack', () => {
  it('TOP, tag word and FNSTSW AX track pushes and pops', () => {
    const f = new Fpu();
    f.ld(1); f.ld(0); f.ld(Infinity);
    expect(f.top()).toBe(5);
    // physical 7 = 1 (valid 00), 6 = 0 (zero 01), 5 = inf (special 10), others empty
    expect(f.tag()).toBe(0x1bff);
    f.exec(0xdf, 0xe0);
    expect((f.e.getAx() >> 11) & 7).toBe(5);
  });
  it('overflow: IE+SF, C1=1; masked writes the indefinite, unmasked leaves the stack', () => {
    const f = new Fpu();
    for (let i = 0; i < 8; i++) f.ld(i);
    f.ld(99);
    expect(f.flags()).toBe(IE | SF);
    expect(f.cc().c1).toBe(1);
    expect(f.stBits(0)).toBe(0xfff8000000000000n);
    expect(f.st(1)).toBe(7);
    const g = new Fpu();
    g.fldcw(0x037e);
    for (let i = 0; i < 8; i++) g.ld(i);
    g.ld(99);
    expect(g.st(0)).toBe(7);
    expect(g.top()).toBe(0);
    expect(g.sw() & 0x80c1).toBe(0x80c1);
  });
  it('FXCH, FLD ST(i), FST ST(i), FSTP ST(i) keep exact 80-bit values', () => {
    const f = new Fpu();
    f.ld(2);
    f.wbytes(A, [1, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f]); // 1 + 2^-63 (not an f64)
    f.mem(0xdb, 5, A);
    f.exec(0xd9, 0xc9);                 // FXCH ST(1)
    expect(f.st(0)).toBe(2);
    f.exec(0xd9, 0xc1);                 // FLD ST(1)
    f.exec(0xdd, 0xd1);                 // FST ST(1)... copies ST0 into ST1
    f.exec(0xdd, 0xda);                 // FSTP ST(2)
    f.mem(0xdb, 7, A + 16);
    expect(f.rbytes(A + 16, 10)).toEqual([1, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f]);
    expect(f.flags()).toBe(0);
  });
  it('FXCH with an empty register: underflow, masked fills the indefinite', () => {
    const f = new Fpu();
    f.ld(5); f.exec(0xd9, 0xc9);
    expect(f.flags()).toBe(IE | SF);
    expect(f.st(1)).toBe(5);
    expect(f.stBits(0)).toBe(0xfff8000000000000n);
  });
  it('FFREE, FFREEP, FINCSTP, FDECSTP', () => {
    const f = new Fpu();
    f.ld(1); f.ld(2);
    f.exec(0xdd, 0xc1);                 // FFREE ST(1)
    expect(f.empty(1)).toBe(true);
    expect(f.top()).toBe(6);
    f.exec(0xdf, 0xc0);                 // FFREEP ST(0)
    expect(f.top()).toBe(7);
    expect(f.tag()).toBe(0xffff);
    f.exec(0xd9, 0xf6);                 // FDECSTP
    expect(f.top()).toBe(6);
    f.exec(0xd9, 0xf7); f.exec(0xd9, 0xf7);
    expect(f.top()).toBe(0);
  });
  it('FNCLEX clears exceptions, ES and B but not the condition codes', () => {
    const f = new Fpu();
    f.fldcw(0x037e);
    f.exec(0xd8, 0xc1);
    f.ld(1); f.exec(0xd9, 0xe4);  // waiting instruction with ES set -> #MF, not executed
    expect(f.vector()).toBe(16);
    f.fnclex();
    f.ld(-1); f.exec(0xd9, 0xe4);
    expect(f.sw() & 0x80ff).toBe(0);
    expect(f.cc().c0).toBe(1);
  });
});

describe('decoding', () => {
  it('undefined encodings raise #UD', () => {
    const f = new Fpu();
    for (const [op, m] of [[0xd9, 0xd1], [0xd9, 0xe2], [0xd9, 0xef], [0xda, 0xe8], [0xdb, 0xe5], [0xdb, 0xf8],
      [0xdd, 0xf0], [0xde, 0xd8], [0xdf, 0xe1], [0xdf, 0xf8], [0xd9, 0x08], [0xdb, 0x08], [0xdb, 0x20], [0xdd, 0x28], [0xdf, 0x08]]) {
      f.exec(op, m);
      expect(f.vector(), `${op.toString(16)} ${m.toString(16)}`).toBe(6);
    }
    for (const [op, m] of [[0xd9, 0xd0], [0xdb, 0xe0], [0xdb, 0xe4], [0xde, 0xd9], [0xdf, 0xe0], [0xd9, 0xd8]]) {
      f.exec(op, m);
      expect(f.vector()).toBe(-1);
    }
  });
  it('records FIP, FCS, FOP, FDP, FDS; control instructions leave them', () => {
    const f = new Fpu();
    f.e.setSeg(1, 0, 0x08); f.e.setSeg(SEG_DS, 0, 0x10);
    f.e.setEip(0x1234);
    f.wf64(A, 1); f.mem(0xdc, 1, A);       // FMUL m64 at 0x1234
    f.e.setEip(0x2000);
    f.mem(0xd9, 7, A + 0x40);              // FNSTCW: control, no update
    f.mem(0xd9, 6, A + 0x80);              // FNSTENV 32-bit protected
    expect(f.r32(A + 0x80 + 12)).toBe(0x1234);
    expect(f.r32(A + 0x80 + 16)).toBe(0x08 | (0x408 << 16));
    expect(f.r32(A + 0x80 + 20)).toBe(A);
    expect(f.r32(A + 0x80 + 24) & 0xffff).toBe(0x10);
  });
});

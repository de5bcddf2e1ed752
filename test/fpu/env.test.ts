// x87 environment and state images: FNSTENV/FLDENV and FNSAVE/FRSTOR in all four layouts
// (Intel SDM Vol. 1 Figures 8-9 .. 8-12: 32-bit protected, 32-bit real, 16-bit protected,
// 16-bit real/virtual-8086), FNSAVE's implicit FNINIT and FNSTENV's masking, and fault safety.
import { describe, expect, it } from 'vitest';
import { A, Fpu, SEG_DS, ext80 } from './fpu.js';

/** Build a recognisable state: CW with RC=up, two registers, a masked PE, pointers. */
function setup(f: Fpu, mode: number): void {
  f.e.setMode(mode);
  f.e.setSeg(1, 0x12340, mode === 1 ? 0x1b : 0x1234);
  f.e.setSeg(SEG_DS, 0, mode === 1 ? 0x23 : 0x0567);
  f.fldcw(0x0b7f);                          // RC=up (bits 11:10 = 10), PC=11
  f.ld(3);
  f.wbytes(A + 0x500, ext80(0xbfff, 0xc000000000000001n));
  f.e.setEip(0xabcd);
  f.mem(0xdb, 5, A + 0x500);                // FLD m80 at 0xabcd, operand DS:A+0x500, FOP=0x32D? (DB 28)
}

describe('FNSTENV layouts', () => {
  it('32-bit protected mode', () => {
    const f = new Fpu();
    setup(f, 1);
    f.mem(0xd9, 6, A, true);
    expect(f.r32(A) & 0xffff).toBe(0x0b7f);
    expect(f.r32(A + 4) & 0xffff).toBe(f.sw());
    expect((f.r32(A + 4) >> 11) & 7).toBe(6);
    expect(f.r32(A + 8) & 0xffff).toBe(0x0fff);      // phys 7, 6 valid; rest empty
    expect(f.r32(A + 12)).toBe(0xabcd);
    expect(f.r32(A + 16)).toBe(0x1b | (0x328 << 16));  // FCS | FOP (DB /5 mod 00 -> 0x328)
    expect(f.r32(A + 20)).toBe(A + 0x500);
    expect(f.r32(A + 24) & 0xffff).toBe(0x23);
    expect(f.cw()).toBe(0x0b7f);                        // FNSTENV then masks all exceptions
  });
  it('16-bit protected mode', () => {
    const f = new Fpu();
    setup(f, 1);
    f.mem(0xd9, 6, A, false);
    expect([0, 2, 4, 6, 8, 10, 12].map((o) => f.r16(A + o))).toEqual(
      [0x0b7f, f.sw(), 0x0fff, 0xabcd, 0x1b, A + 0x500, 0x23]);
  });
  it('32-bit real mode: linear pointers and FOP', () => {
    const f = new Fpu();
    setup(f, 0);
    f.mem(0xd9, 6, A, true);
    const ip = 0x12340 + 0xabcd; // FCS*16 + FIP (the harness CS selector is 0x1234)
    const dp = 0x5670 + A + 0x500;
    expect(f.r32(A + 12) & 0xffff).toBe(ip & 0xffff);
    expect(f.r32(A + 16)).toBe(((ip >>> 16) << 12) | 0x328);
    expect(f.r32(A + 20) & 0xffff).toBe(dp & 0xffff);
    expect(f.r32(A + 24)).toBe((dp >>> 16) << 12);
  });
  it('16-bit real mode', () => {
    const f = new Fpu();
    setup(f, 0);
    f.mem(0xd9, 6, A, false);
    const ip = 0x12340 + 0xabcd, dp = 0x5670 + A + 0x500;
    expect([0, 2, 4, 6, 8, 10, 12].map((o) => f.r16(A + o))).toEqual(
      [0x0b7f, f.sw(), 0x0fff, ip & 0xffff, ((ip >>> 16) << 12) | 0x328, dp & 0xffff, (dp >>> 16) << 12]);
  });
  it('virtual-8086 mode uses the real-mode layout', () => {
    const f = new Fpu();
    setup(f, 2);
    f.mem(0xd9, 6, A, false);
    expect(f.r16(A + 8)).toBe((((0x12340 + 0xabcd) >>> 16) << 12) | 0x328);
  });
});

describe('FNSAVE / FRSTOR', () => {
  for (const [mode, o32, size] of [[1, true, 108], [1, false, 94], [0, true, 108], [0, false, 94]] as const) {
    it(`round-trip, ${o32 ? 32 : 16}-bit ${mode ? 'protected' : 'real'} mode (${size} bytes)`, () => {
      const f = new Fpu();
      setup(f, mode);
      const sw = f.sw(), tag = f.tag();
      f.mem(0xdd, 6, A, o32);
      const n = o32 ? 28 : 14;
      expect(f.rbytes(A + n, 10)).toEqual(ext80(0xbfff, 0xc000000000000001n)); // ST(0)
      expect(f.rbytes(A + n + 10, 10)).toEqual(ext80(0x4000, 0xc000000000000000n)); // ST(1) = 3
      // FNSAVE reinitialises
      expect(f.cw()).toBe(0x037f);
      expect(f.tag()).toBe(0xffff);
      expect(f.sw()).toBe(0);
      f.mem(0xdd, 4, A, o32);                // FRSTOR
      expect(f.cw()).toBe(0x0b7f);
      expect(f.sw()).toBe(sw);
      expect(f.tag()).toBe(tag);
      expect(f.st(1)).toBe(3);
      f.mem(0xdb, 7, A + 0x200);
      expect(f.rbytes(A + 0x200, 10)).toEqual(ext80(0xbfff, 0xc000000000000001n));
      // saving again gives the same image (pointers included)
      f.ld(3); f.mem(0xdd, 6, A + 0x300, o32);
      f.mem(0xdd, 4, A + 0x300, o32);
      f.mem(0xdd, 6, A + 0x400, o32);
      expect(f.rbytes(A + 0x400, size)).toEqual(f.rbytes(A + 0x300, size));
    });
  }
  it('FLDENV loads the tag word emptiness and recomputes ES', () => {
    const f = new Fpu();
    f.ld(1); f.ld(2);
    f.mem(0xd9, 6, A, true);
    f.w32(A, 0xffff037e);            // unmask IM
    f.w32(A + 4, 0xffff0001 | (6 << 11)); // IE pending
    f.w32(A + 8, 0xffff3fff);        // only phys 7 in use
    f.mem(0xd9, 4, A, true);
    expect(f.sw() & 0x8081).toBe(0x8081);
    expect(f.empty(0)).toBe(true);   // ST(0) = phys 6, tagged empty
    expect(f.empty(1)).toBe(false);
  });
  it('a faulting FNSAVE writes nothing and keeps the state', () => {
    const f = new Fpu();
    f.ld(1);
    f.e.setFaultWindow(A + 100, A + 101);
    f.wbytes(A, new Array(108).fill(0xee));
    f.mem(0xdd, 6, A, true);
    expect(f.e.getFault()).toBe(1);
    expect(f.rbytes(A, 108)).toEqual(new Array(108).fill(0xee));
    expect(f.st(0)).toBe(1);
    f.e.setFaultWindow(A + 100, A + 101);
    f.mem(0xdd, 4, A, true);           // FRSTOR faulting on a register read
    expect(f.st(0)).toBe(1);
    expect(f.cw()).toBe(0x037f);
  });
});

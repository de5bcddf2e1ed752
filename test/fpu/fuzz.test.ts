// Robustness: random escape opcodes, ModRM bytes, control words and memory contents never trap
// the FPU module (no wasm abort/unreachable), every undefined encoding reports #UD, and state
// stays architecturally consistent (TOP in range, CW reserved bits, B mirrors ES).
import { describe, expect, it } from 'vitest';
import { A, Fpu } from './fpu.js';

/** Defined x87 encodings of a P6 without SSE3, from the SDM Vol. 2A Appendix A.4 tables. */
function defined(op: number, modrm: number): boolean {
  const reg = (modrm >> 3) & 7;
  if (modrm < 0xc0) {
    const undef: Record<number, number[]> = { 0xd9: [1], 0xdb: [1, 4, 6], 0xdd: [1, 5], 0xdf: [1] };
    return !(undef[op] ?? []).includes(reg);
  }
  const lo = modrm & 7;
  switch (op) {
    case 0xd9:
      if (reg === 2) return lo === 0;                  // FNOP only
      if (reg === 4) return [0, 1, 4, 5].includes(lo);  // FCHS FABS FTST FXAM
      if (reg === 5) return lo !== 7;                   // constants
      return true;
    case 0xda: return reg < 4 || modrm === 0xe9;
    case 0xdb: return reg < 4 || (reg === 4 && lo <= 4) || reg === 5 || reg === 6;
    case 0xdd: return reg !== 6 && reg !== 7;
    case 0xde: return reg !== 3 || lo === 1;
    case 0xdf: return reg < 4 || (reg === 4 && lo === 0) || reg === 5 || reg === 6;
    default: return true;
  }
}

describe('random instruction streams', () => {
  it('20000 random instructions execute without trapping', () => {
    const f = new Fpu();
    let s = 0x9e3779b9;
    const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
    const bytes = new Uint8Array(256);
    for (let i = 0; i < 20000; i++) {
      if (i % 64 === 0) {
        for (let j = 0; j < bytes.length; j++) bytes[j] = next() & 0xff;
        // sprinkle special 80-bit/64-bit patterns
        bytes.set([0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff], 16);
        bytes.set([1, 0, 0, 0, 0, 0, 0xf0, 0x7f], 32);
        f.wbytes(A, bytes);
      }
      if (i % 500 === 0) f.e.setCr0(next() & 1 ? 0x31 : 0x11);
      if (i % 97 === 0) f.fldcw(next() & 0xffff);
      f.e.setEflagsT((next() & 0x8d5) | 2);
      f.e.setMode(next() % 3);
      const op = 0xd8 + (next() & 7);
      const modrm = next() & 0xff;
      expect(() => f.exec(op, modrm, A + (next() & 0x7f), 3, (next() & 1) === 1)).not.toThrow();
      expect(f.vector() === 6, `${op.toString(16)} ${modrm.toString(16)}`).toBe(!defined(op, modrm));
      const sw = f.sw();
      expect(((sw >> 15) & 1)).toBe((sw >> 7) & 1);
      expect(f.cw() & 0xe080).toBe(0);
      expect(f.cw() & 0x40).toBe(0x40);
      if (f.vector() === 16) f.fnclex();
    }
  });
});

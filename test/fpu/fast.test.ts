// The x87 fast paths (src/core/fpu/fast.ts) against the general path: two FPU instances run the
// same random instruction streams, one with the fast paths and one without, over awkward values
// (zeros of both signs, f32/f64 denormals and range limits, 80-bit-only values, NaNs,
// infinities, integers at the m16/m32 limits, values that round on the way to m32) and every
// control word kind (masked and unmasked exceptions, all rounding and precision controls),
// with faulting memory operands and stack overflow/underflow. After every instruction the
// whole FPU state block, the scratch memory, EFLAGS, AX and the reported exception must match.
import { describe, expect, it } from 'vitest';
import { A, Fpu, ext80, f32bits, f64bits } from './fpu.js';

const MEM = 0x200;           // scratch bytes at A that the streams load from and store to

const F64S = [
  0, -0, 1, -1, 0.5, 1.5, 2.5, -2.5, 3, 0.1, -0.3, 1e-300, -1e300, 2 ** 24 + 1, 2 ** 53 - 1, 16777217,
  3.4028234663852886e38, 3.5e38, 1.1754943508222875e-38, 1.1e-38, 1e-45, 2.2250738585072014e-308,
  5e-324, -4e-320, Infinity, -Infinity, NaN, 2147483647.5, -2147483648.4, 2147483648, -2147483649,
  32767.5, -32768.5, 32768, 65535, 1 / 3, Math.PI, -Math.E, 123456789.123, 2 ** 500, 2 ** -500, 2 ** 520,
];

function makeRng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

/** Bytes of a random operand in a random format, written at `off` in the scratch area. */
function randomBytes(next: () => number): number[] {
  const k = next() % 10;
  const v = F64S[next() % F64S.length];
  const le = (b: bigint, n: number): number[] => Array.from({ length: n }, (_, i) => Number((b >> BigInt(8 * i)) & 0xffn));
  switch (k) {
    case 0: case 1: return le(f64bits(v), 8);
    case 2: case 3: return le(BigInt(f32bits(v)), 4);
    case 4: return le(BigInt(next()), 4);
    case 5: return le(BigInt([0x7fffffff, 0x80000000, 0xffffffff, 0x8000, 0x7fff, 0xffff8000][next() % 6]), 4);
    case 6: return ext80(next() & 1 ? 0x3fff : 0xbfff, (1n << 63n) | BigInt(next()) | 1n);   // 64-bit significand
    case 7: return ext80([0x7fff, 0xffff, 0, 0x8000, 0x4400, 0x3000][next() % 6], BigInt(next()) << 32n | BigInt(next()));
    case 8: return le((BigInt(next()) << 32n) | BigInt(next()), 8);
    default: return le(BigInt(next() & 0xffff), 2);
  }
}

/** A random escape instruction, mostly ones with a fast path. */
function randomInstr(next: () => number): [number, number] {
  const r = next() % 100;
  const reg = next() % 8, i = next() % 8;
  if (r < 40) { // register forms
    const forms: [number, number][] = [
      [0xd8, 0xc0 | (reg << 3) | i], [0xdc, 0xc0 | (reg << 3) | i], [0xde, 0xc0 | (reg << 3) | i],
      [0xd9, 0xc0 | i], [0xd9, 0xc8 | i], [0xdd, 0xd0 | i], [0xdd, 0xd8 | i], [0xdd, 0xe0 | i],
      [0xdd, 0xe8 | i], [0xde, 0xd9], [0xda, 0xe9], [0xdb, 0xe8 | i], [0xdb, 0xf0 | i], [0xdf, 0xe8 | i],
      [0xdf, 0xf0 | i], [0xdf, 0xe0], [0xd9, 0xe0], [0xd9, 0xe1], [0xd9, 0xe4], [0xd9, 0xe8], [0xd9, 0xee],
    ];
    return forms[next() % forms.length];
  }
  if (r < 85) { // memory forms (mod=00, the address comes separately)
    const forms: [number, number][] = [
      [0xd8, reg], [0xda, reg], [0xdc, reg], [0xde, reg], [0xd9, 0], [0xd9, 2], [0xd9, 3], [0xd9, 5],
      [0xd9, 7], [0xdd, 0], [0xdd, 2], [0xdd, 3], [0xdb, 0], [0xdb, 2], [0xdb, 3], [0xdb, 5], [0xdf, 0],
      [0xdf, 2], [0xdf, 3],
    ];
    const [op, g] = forms[next() % forms.length];
    return [op, g << 3];
  }
  // others that shape the stack: FFREE, FINCSTP, FDECSTP, FLDPI, FSQRT, FNCLEX, FSTP m80
  const others: [number, number][] = [[0xdd, 0xc0 | i], [0xd9, 0xf7], [0xd9, 0xf6], [0xd9, 0xeb], [0xd9, 0xfa], [0xdb, 0xe2], [0xdb, 0x38]];
  return others[next() % others.length];
}

const CONTROL_WORDS = [0x037f, 0x027f, 0x007f, 0x077f, 0x0b7f, 0x0f7f, 0x0360, 0x0372, 0x035f, 0x0340, 0x1f7f, 0x0e7b];

function snapshot(f: Fpu): { state: number[]; mem: number[]; eflags: number; ax: number; vector: number; fault: boolean } {
  const ptr = f.e.fpuStatePtr() as number, size = f.e.fpuStateSize() as number;
  return {
    state: Array.from(new Uint8Array(f.e.memory.buffer, ptr, size)),
    mem: f.rbytes(A, MEM + 16),
    eflags: f.eflags(), ax: f.e.getAx() as number, vector: f.vector(), fault: !!f.e.getFault(),
  };
}

describe('x87 fast paths give the general path\'s results', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`random stream ${seed}: 25000 instructions, whole state compared after each`, () => {
      const fast = new Fpu(), slow = new Fpu();
      slow.e.fpuSetFastPath(0);
      const next = makeRng(0x51ed2705 * seed);
      for (const f of [fast, slow]) f.e.setFaultWindow(A + MEM - 8, A + MEM + 8);
      let fastHits = 0;
      for (let n = 0; n < 25000; n++) {
        if (n % 40 === 0) {
          const bytes: number[] = [];
          while (bytes.length < MEM) bytes.push(...randomBytes(next));
          for (const f of [fast, slow]) f.wbytes(A, bytes.slice(0, MEM));
        }
        if (n % 53 === 0) { const c = CONTROL_WORDS[next() % CONTROL_WORDS.length]; for (const f of [fast, slow]) f.fldcw(c); }
        if (n % 7 === 0) { const c = next() & 1 ? 0x31 : 0x11; for (const f of [fast, slow]) f.e.setCr0(c); }
        const fl = (next() & 0x8d5) | 2, eip = next(), cs = next() & 0xffff, ds = next() & 0xffff;
        const [op, modrm] = randomInstr(next);
        // mostly aligned operands inside the scratch area; a few straddle the faulting window
        const ea = A + (next() % 8 === 0 ? MEM - 12 + (next() % 16) : (next() % (MEM / 8 - 2)) * 8);
        for (const f of [fast, slow]) {
          f.e.setEflagsT(fl); f.e.setEip(eip); f.e.setSeg(1, 0, cs); f.e.setSeg(3, 0, ds);
          f.exec(op, modrm, ea);
        }
        const a = snapshot(fast), b = snapshot(slow);
        const what = `instruction ${n}: ${op.toString(16)} ${modrm.toString(16)} at ${(ea - A).toString(16)}`;
        expect(a, what).toEqual(b);
        if (a.vector === 16) for (const f of [fast, slow]) f.fnclex();
        if ((fast.sw() & 0x80) === 0) fastHits++;
      }
      // the streams exercise the fast paths (ES clear) most of the time
      expect(fastHits).toBeGreaterThan(10000);
    });
  }
});

/**
 * Conditional jumps in 32-bit code against the Intel SDM's condition table (Vol. 1 Appendix B,
 * Vol. 2 "Jcc"): every condition code, as Jcc rel8 and Jcc rel32 (0F 8x), after CMP/SUB (whose
 * unsigned and signed conditions the core derives from the operands), TEST and ADD (the general
 * flag path), on 8-, 16- and 32-bit operands, over edge values. The expected outcome comes from
 * the flags computed here by the SDM's definitions of CF, ZF, SF, OF and PF.
 */
import { describe, it, expect } from 'vitest';
import { TestMachine, PM_PRELUDE, RunExit } from './harness.js';

const VALUES = [0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x12345678];
const SIZES = [{ bits: 8, a: 'al', b: 'bl' }, { bits: 16, a: 'ax', b: 'bx' }, { bits: 32, a: 'eax', b: 'ebx' }];
const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
type Op = 'cmp' | 'sub' | 'test' | 'add';

/** Arithmetic flags of `op a, b` at `bits` (SDM definitions). */
function flags(op: Op, a: number, b: number, bits: number): { cf: boolean; zf: boolean; sf: boolean; of: boolean; pf: boolean } {
  const mask = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  const top = 2 ** (bits - 1);
  a &= mask; b &= mask;
  a >>>= 0; b >>>= 0;
  let r: number, cf: boolean, of: boolean;
  if (op === 'cmp' || op === 'sub') {
    r = (a - b) >>> 0 & mask; r >>>= 0;
    cf = a < b;
    of = ((((a ^ b) & (a ^ r)) >>> 0) & top) !== 0;
  } else if (op === 'add') {
    r = ((a + b) % 2 ** bits) >>> 0;
    cf = a + b > mask;
    of = ((((a ^ r) & (b ^ r)) >>> 0) & top) !== 0;
  } else {
    r = (a & b) >>> 0; cf = false; of = false;
  }
  let p = r & 0xff, ones = 0;
  while (p) { ones += p & 1; p >>= 1; }
  return { cf, zf: r === 0, sf: (r & top) !== 0, of, pf: ones % 2 === 0 };
}
function taken(cc: number, f: ReturnType<typeof flags>): boolean {
  const base = [f.of, f.cf, f.zf, f.cf || f.zf, f.sf, f.pf, f.sf !== f.of, f.zf || f.sf !== f.of][cc >> 1];
  return cc & 1 ? !base : base;
}

describe('Jcc rel8 and rel32 after CMP/SUB/TEST/ADD (SDM condition table)', () => {
  for (const op of ['cmp', 'sub', 'test', 'add'] as Op[]) {
    it(`every condition after ${op} on 8/16/32-bit operands`, () => {
      // a loop over the value pairs (a table at 1 MiB); per pair and operand size one ${op} and
      // the 32 jumps, each storing 1 (taken) or 0 (not) at EDI; MOV and LEA leave the flags alone
      const pairs: [number, number][] = [];
      for (const a of VALUES) for (const b of VALUES) pairs.push([a, b]);
      const lines = ['  mov esi, 0x100000', '  mov edi, 0x200000', `  mov ecx, ${pairs.length}`, '.pair:'];
      let label = 0;
      for (const size of SIZES) {
        lines.push('  mov eax, [esi]', '  mov ebx, [esi + 4]', `  ${op} ${size.a}, ${size.b}`);
        for (let cc = 0; cc < 16; cc++) {
          for (const form of ['short', 'near']) {
            const t = `t${label}`, n = `n${label++}`;
            lines.push(`  j${CC[cc]} ${form} .${t}`, '  mov byte [edi], 0', `  jmp near .${n}`,
              `.${t}:`, '  mov byte [edi], 1', `.${n}:`, '  lea edi, [edi + 1]');
          }
        }
      }
      lines.push('  add esi, 8', '  dec ecx', '  jnz near .pair');
      const m = new TestMachine();
      m.loadAsm(`${PM_PRELUDE}\ntest:\n${lines.join('\n')}\n  hlt\n`);
      pairs.forEach(([a, b], i) => { m.w32(0x100000 + i * 8, a); m.w32(0x100004 + i * 8, b); });
      expect(m.run(10_000_000)).toBe(RunExit.HaltedForever);
      expect(m.exc.vector).toBe(-1);
      const wrong: string[] = [];
      let k = 0;
      for (const [a, b] of pairs) {
        for (const size of SIZES) {
          const f = flags(op, a, b, size.bits);
          for (let cc = 0; cc < 16; cc++) {
            for (const form of ['rel8', 'rel32']) {
              const got = m.r8(0x200000 + k++);
              if (got !== (taken(cc, f) ? 1 : 0) && wrong.length < 10) {
                wrong.push(`${op} ${size.bits}-bit ${a.toString(16)},${b.toString(16)} j${CC[cc]} ${form}: got ${got}`);
              }
            }
          }
        }
      }
      expect(k).toBe(pairs.length * 3 * 32);
      expect(wrong).toEqual([]);
    }, 60_000);
  }
});

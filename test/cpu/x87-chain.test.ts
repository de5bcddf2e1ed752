/**
 * x87 runs in one dispatch (src/core/exec.ts x87Run): an unprefixed x87 instruction in 32-bit
 * code and the unprefixed x87 instructions behind it run in the same dispatch. These tests hold
 * that to the one-instruction-at-a-time behaviour:
 * - the same random x87 stream, plain (chained) and with a redundant DS prefix before every
 *   x87 instruction (prefixed instructions go through exec1 and never chain), ends with the
 *   same FPU state (FNSAVE image without the pointer fields, whose addresses differ by the
 *   prefixes), the same data and the same instruction count;
 * - budgets are exact: run(1) retires exactly one instruction inside a run of x87 code, and
 *   stepping the whole stream one instruction at a time ends in the same state;
 * - a fault inside a run (#MF from a pending unmasked exception, #PF on a memory operand) is
 *   delivered for the right instruction, after the same number of instructions;
 * - an interrupt raised by the host during an x87 memory access (an MMIO store) is taken right
 *   after that instruction, not at the end of the run.
 */
import { describe, it, expect } from 'vitest';
import { TestMachine, PM_PRELUDE, RunExit } from './harness.js';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

/** One random x87 instruction; ebx = data area of 64 dwords (doubles at even indices). */
function x87(r: () => number): string {
  const i = () => r() % 4;
  const m32 = () => `dword [ebx + ${(r() % 32) * 4}]`;
  const m64 = () => `qword [ebx + ${(r() % 16) * 8}]`;
  switch (r() % 16) {
    case 0: return `fld st${i()}`;
    case 1: return `fxch st${1 + (r() % 3)}`;
    case 2: return `${['fadd', 'fmul', 'fsub', 'fsubr', 'fdiv', 'fdivr'][r() % 6]} st0, st${i()}`;
    case 3: return `${['faddp', 'fmulp', 'fsubp', 'fdivp'][r() % 4]} st${1 + (r() % 3)}, st0`;
    case 4: return `fst st${1 + (r() % 3)}`;
    case 5: return `fstp st${1 + (r() % 3)}`;
    case 6: return ['fchs', 'fabs', 'fld1', 'fldz', 'ftst', 'fxam'][r() % 6];
    case 7: return `fld ${r() & 1 ? m32() : m64()}`;
    case 8: return `fst ${r() & 1 ? m32() : m64()}`;
    case 9: return `fstp ${r() & 1 ? m32() : m64()}`;
    case 10: return `fild ${r() & 1 ? m32() : `word [ebx + ${(r() % 64) * 2}]`}`;
    case 11: return `fistp ${m32()}`;
    case 12: return `${['fadd', 'fmul', 'fcom', 'fsub', 'fdiv'][r() % 5]} ${m32()}`;
    case 13: return `fcomi st0, st${1 + (r() % 3)}`;
    case 14: return `fucom st${1 + (r() % 3)}`;
    default: return `fld st0`;
  }
}

interface Result { count: number; fpu: number[]; data: number[]; exc: number; flags: number }

function load(lines: string[], prefixed: boolean, seed: number, pre = ''): TestMachine {
  const m = new TestMachine();
  const body = lines.map((l) => (prefixed && /^f/.test(l) ? `  db 0x3e\n  ${l}` : `  ${l}`)).join('\n');
  m.loadAsm(`${PM_PRELUDE}\ntest:\n  mov ebx, 0x6000\n  fninit\n${pre}\n  fld1\n  fldz\n  fld1\n${body}\n` +
    `  fnsave [0x6400]\n  pushfd\n  pop dword [0x5f0]\n  hlt\n`);
  const r = rng(seed);
  for (let k = 0; k < 16; k++) {  // ordinary doubles, some exact small integers
    const v = r() & 1 ? (r() % 2000) - 1000 : ((r() % 1e6) - 5e5) / ((r() % 97) + 1);
    m.view.setFloat64(0x6000 + k * 8, v, true);
  }
  return m;
}

function result(m: TestMachine, count0: number): Result {
  // FNSAVE, 32-bit protected-mode format: CW, SW, TW at 0/4/8, pointers at 12..27, ST0..7 at 28
  const skip = new Set([3, 4, 5, 6]);
  const fpu = Array.from({ length: 27 }, (_, k) => m.r32(0x6400 + k * 4)).filter((_, k) => !skip.has(k));
  return {
    count: m.core.instructionCount - count0,
    fpu,
    data: Array.from({ length: 32 }, (_, k) => m.r32(0x6000 + k * 4)),
    exc: m.exc.vector,
    flags: m.r32(0x5f0) & 0x8d5,
  };
}

function runWhole(lines: string[], prefixed: boolean, seed: number): Result {
  const m = load(lines, prefixed, seed);
  expect(m.run(1_000_000)).toBe(RunExit.HaltedForever);
  return result(m, 0);
}

function stream(seed: number, n: number): string[] {
  const r = rng(seed * 31 + 7);
  const lines: string[] = [];
  for (let k = 0; k < n; k++) lines.push(x87(r));
  return lines;
}

describe('x87 runs in one dispatch = one instruction at a time', () => {
  it('random x87 streams end alike chained and unchained (DS-prefixed)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const lines = stream(seed, 50);
      expect({ seed, ...runWhole(lines, false, seed) }).toEqual({ seed, ...runWhole(lines, true, seed) });
    }
  });

  it('budgets are exact inside x87 runs: run(1) retires one instruction, stepping ends alike', () => {
    for (let seed = 1; seed <= 8; seed++) {
      const lines = stream(seed, 40);
      const whole = runWhole(lines, false, seed);
      const m = load(lines, false, seed);
      let exit = 0;
      let steps = 0;
      while (exit !== RunExit.HaltedForever && steps < 10_000) {
        const before = m.core.instructionCount;
        exit = m.run(1);
        if (exit === RunExit.Budget) expect(m.core.instructionCount - before).toBe(1);
        steps++;
      }
      expect({ seed, ...result(m, 0) }).toEqual({ seed, ...whole });
      // budgets of 2, 3, 5 also end in the same state and count
      for (const b of [2, 3, 5]) {
        const mb = load(lines, false, seed);
        let e = 0;
        let guard = 0;
        while (e !== RunExit.HaltedForever && guard++ < 10_000) {
          const before = mb.core.instructionCount;
          e = mb.run(b);
          expect(mb.core.instructionCount - before).toBeLessThanOrEqual(b);
        }
        expect({ seed, b, ...result(mb, 0) }).toEqual({ seed, b, ...whole });
      }
    }
  });

  it('#MF from a pending unmasked exception is raised at the right instruction of a run', () => {
    // CR0.NE = 1; ZM unmasked; fdiv by zero (st2 = 0) leaves ES pending, which ends the run;
    // the next waiting x87 instruction (fld st0) takes #MF before executing.
    const pre = '  mov eax, cr0\n  or eax, 0x20\n  mov cr0, eax\n  push 0x037b\n  fldcw [esp]\n  pop eax';
    const lines = ['fld1', 'fdiv st0, st2', 'fld st0', 'fadd st0, st0', 'fld st0'];
    const plain = load(lines, false, 1, pre);
    plain.run(1_000_000);
    const prefixed = load(lines, true, 1, pre);
    prefixed.run(1_000_000);
    expect(plain.exc.vector).toBe(16);
    expect(prefixed.exc.vector).toBe(16);
    expect(plain.core.instructionCount).toBe(prefixed.core.instructionCount);
    // the faulting EIP is the fld st0 after the fdiv: two x87 instructions before it, so the
    // prefixed copy has it 2 bytes later
    expect(plain.exc.eip - prefixed.exc.eip).toBe(-2);
  });

  it('a page fault on a memory operand inside a run is delivered for that instruction', () => {
    // paging with a 4 MiB identity page for 0..4 MiB only; [0x800000] is not present
    const pre = '  mov dword [0x20000], 0x83\n  mov eax, 0x20000\n  mov cr3, eax\n  mov eax, cr4\n  or eax, 0x10\n' +
      '  mov cr4, eax\n  mov eax, cr0\n  or eax, 0x80000000\n  mov cr0, eax';
    const lines = ['fld st0', 'fadd st0, st1', 'fstp dword [0x800000]', 'fld1'];
    const plain = load(lines, false, 1, pre);
    plain.run(1_000_000);
    const prefixed = load(lines, true, 1, pre);
    prefixed.run(1_000_000);
    expect(plain.exc.vector).toBe(14);
    expect(plain.exc.cr2).toBe(0x800000);
    expect(prefixed.exc.vector).toBe(14);
    expect(plain.core.instructionCount).toBe(prefixed.core.instructionCount);
  });

  it('an interrupt raised during an x87 MMIO store is taken right after that store', () => {
    // the MMIO page at 15 MiB (test/cpu/harness.ts); its write handler raises INTR (vector 4,
    // whose stub records the return EIP and halts); IF = 1 from the start of the x87 code
    const lines = ['fld st0', 'fst dword [0xf00000]', 'fadd st0, st1', 'fld1', 'fadd st0, st1'];
    const runWith = (prefixed: boolean) => {
      const m = load(lines, prefixed, 1, '  sti');
      m.intrVector = 4;
      const push = m.mmio.push.bind(m.mmio);
      m.mmio.push = (...items) => { m.core.exports.setIntr(1); return push(...items); };
      expect(m.run(1_000_000)).toBe(RunExit.HaltedForever);
      return m;
    };
    const plain = runWith(false), prefixed = runWith(true);
    expect(plain.mmio.length).toBe(1);
    expect(plain.exc.vector).toBe(4);
    expect(prefixed.exc.vector).toBe(4);
    expect(plain.core.instructionCount).toBe(prefixed.core.instructionCount);
    // return EIP = the fadd after the store: two x87 instructions before it (2 prefix bytes)
    expect(plain.exc.eip - prefixed.exc.eip).toBe(-2);
  });
});

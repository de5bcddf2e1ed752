/**
 * The inlined fast paths (hot32 and hot16 in src/core/exec.ts) against the general decoder (exec1):
 * the same random instruction stream runs twice in flat 32-bit protected mode, once plain (an
 * unprefixed instruction with o32 = a32 = CS.D = 1 takes hot32) and once with a redundant DS
 * prefix before every instruction (a prefixed instruction always goes through exec1; DS is the
 * default segment of every memory operand used here, so the prefix changes nothing per Intel
 * SDM Vol. 2 2.1.1). Registers, arithmetic flags and the data area must end identical.
 * The 16-bit stream does the same in real mode (o32 = a32 = 0 takes hot16).
 */
import { describe, it, expect } from 'vitest';
import { TestMachine, PM_PRELUDE, RunExit } from './harness.js';

const REGS = ['eax', 'ecx', 'edx', 'esi', 'edi', 'ebp'];
const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];

/** Deterministic PRNG (xorshift32) so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

/** One random hot-path instruction (memory operands are [ebx+disp] / [ebx+esi*4+disp], ebx = data). */
function instr(r: () => number, label: number): string[] {
  const reg = () => REGS[r() % REGS.length];
  const mem = () => (r() & 1 ? `dword [ebx + ${(r() % 32) * 4}]` : `dword [ebx + esi*4 + ${(r() % 8) * 4}]`);
  const alu = () => ALU[r() % ALU.length];
  const imm = () => (r() & 1 ? (r() % 256) - 128 : r() | 0);
  const cc = () => ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'][r() % 16];
  const small = () => (r() & 1 ? `byte [ebx + ${r() % 128}]` : ['al', 'cl', 'dl', 'ah', 'ch', 'dh'][r() % 6]);
  switch (r() % 27) {
    case 26: { // a zero-extended load folded into memory at once, so a wrong value cannot be overwritten unseen
      const src = [`word [ebx + ${(r() % 64) * 2}]`, `byte [ebx + ${r() % 128}]`, 'cx', 'dl', 'dh'][r() % 5];
      return [`movzx eax, ${src}`, `xor dword [ebx + ${(r() % 32) * 4}], eax`];
    }
    case 24: return [`mov word [ebx + ${(r() % 64) * 2}], ${['ax', 'cx', 'dx', 'si', 'di', 'bp'][r() % 6]}`];
    case 25: return [`mov ${['ax', 'cx', 'dx', 'di', 'bp'][r() % 5]}, ${r() & 1 ? `word [ebx + ${(r() % 64) * 2}]` : ['ax', 'cx', 'dx'][r() % 3]}`];
    case 18: // shifts and rotates of r/m32 (C1, D1, D3)
      return [`${['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'][r() % 8]} ${r() & 1 ? reg() : mem()}, ${['1', 'cl', String(r() % 40)][r() % 3]}`];
    case 19: return [`${r() & 1 ? 'movzx' : 'movsx'} ${reg()}, ${r() & 1 ? small() : r() & 1 ? 'word [ebx + 6]' : 'si'}`];
    case 20: return [`imul ${reg()}, ${r() & 1 ? reg() : mem()}`];
    case 21: return [`j${cc()} near .s${label}`, `inc eax`, `.s${label}:`];
    case 22: return [`set${cc()} ${small()}`];
    case 23: return [`cmov${cc()} ${reg()}, ${r() & 1 ? reg() : mem()}`];
    case 0: return [`${r() & 1 ? 'inc' : 'dec'} ${reg()}`];
    case 1: return [`${alu()} ${reg()}, ${reg()}`];
    case 2: return [`${alu()} ${reg()}, ${mem()}`];
    case 3: return [`${alu()} ${mem()}, ${reg()}`];
    case 4: return [`mov ${reg()}, ${mem()}`];
    case 5: return [`mov ${mem()}, ${reg()}`];
    case 6: return [`lea ${reg()}, [${reg()} + ${reg()}*${[1, 2, 4, 8][r() % 4]} + ${(r() % 4096) - 2048}]`];
    case 7: return [`test ${reg()}, ${r() & 1 ? reg() : mem()}`];
    case 8: { const a = reg(); return [`push ${a}`, `pop ${reg()}`]; }
    case 9: return [`j${['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'][r() % 16]} short .s${label}`, `inc eax`, `.s${label}:`];
    case 10: return [`jmp short .s${label}`, `dec ecx`, `.s${label}:`];
    case 11: return [`${alu()} ${reg()}, ${imm()}`]; // 83 /r ib or 81 /r id (05.. for eax)
    case 12: return [`${alu()} ${mem()}, ${imm()}`];
    case 13: return [`${alu()} eax, strict dword ${r() | 0}`];
    case 14: return [`call .f${label}`, `jmp near .s${label}`, `.f${label}:`, `add ${reg()}, ${reg()}`, `ret`, `.s${label}:`];
    case 15: return [`mov ${['al', 'cl', 'dl', 'ah', 'ch', 'dh'][r() % 6]}, ${r() & 0xff}`];
    case 16: return [`jmp near .s${label}`, `dec ecx`, `.s${label}:`];
    default: return [`mov ${reg()}, ${r() | 0}`];
  }
}

const REGS16 = ['ax', 'cx', 'dx', 'si', 'di', 'bp'];
const BYTES = ['al', 'cl', 'dl', 'ah', 'ch', 'dh'];

/** One random hot16 instruction (memory operands are [bx+disp] / [bx+si+disp], bx = data). */
function instr16(r: () => number, label: number): string[] {
  const reg = () => REGS16[r() % REGS16.length];
  const breg = () => BYTES[r() % BYTES.length];
  const disp = () => (r() % 64) * 2;
  const mem = (w = 'word') => (r() & 1 ? `${w} [bx + ${disp()}]` : `${w} [bx + si + ${disp()}]`);
  const alu = () => ALU[r() % ALU.length];
  switch (r() % 11) {
    case 0: return [`${r() & 1 ? 'inc' : 'dec'} ${reg()}`];
    case 1: return [`${alu()} ${reg()}, ${reg()}`];
    case 2: return [`${alu()} ${reg()}, ${mem()}`];
    case 3: return [`${alu()} ${mem()}, ${reg()}`];
    case 4: return [`mov ${reg()}, ${mem()}`];
    case 5: return [`mov ${mem()}, ${reg()}`];
    case 6: return [`mov ${breg()}, ${r() & 1 ? breg() : mem('byte')}`];
    case 7: return [`mov ${mem('byte')}, ${breg()}`];
    case 8: return [`j${['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'][r() % 16]} short .s${label}`, `inc ax`, `.s${label}:`];
    case 9: return [`loop .s${label}`, `inc dx`, `.s${label}:`];
    default: return [`jmp short .s${label}`, `dec cx`, `.s${label}:`];
  }
}

function run16(lines: string[], prefixed: boolean, seed: number): { regs: number[]; flags: number; data: number[] } {
  const m = new TestMachine();
  const r = rng(seed * 7919);
  // si stays small so [bx+si+disp] stays inside the data area whatever the stream does to it
  const init = REGS16.map((x) => `  mov ${x}, ${x === 'si' ? (r() % 8) * 2 : r() & 0xffff}`).join('\n');
  const body = lines.map((l) => (prefixed && !l.endsWith(':') ? `  db 0x3e\n  ${l}` : l.endsWith(':') ? l : `  ${l}`)).join('\n');
  m.loadAsm(`bits 16\n  mov bx, 0x6000\n${init}\n  push word ${r() & 0x8d5}\n  popf\n${body}\n  pushf\n  pop word [0x5f0]\n  hlt\n`);
  for (let i = 0; i < 64; i++) m.w32(0x6000 + i * 4, rng(seed + i)());
  expect(m.run(1_000_000)).toBe(RunExit.HaltedForever);
  return {
    regs: [0, 1, 2, 3, 4, 5, 6, 7].map((i) => m.reg(i)),
    flags: m.r16(0x5f0) & 0x8d5,
    data: Array.from({ length: 64 }, (_, i) => m.r32(0x6000 + i * 4)),
  };
}

function run(lines: string[], prefixed: boolean, seed: number): { regs: number[]; flags: number; data: number[] } {
  const m = new TestMachine();
  const r = rng(seed * 7919);
  const init = REGS.map((x) => `  mov ${x}, ${x === 'esi' ? r() % 8 : r() | 0}`).join('\n');
  const body = lines.map((l) => (prefixed && !l.endsWith(':') ? `  db 0x3e\n  ${l}` : l.endsWith(':') ? l : `  ${l}`)).join('\n');
  m.loadAsm(`${PM_PRELUDE}\ntest:\n  mov ebx, 0x6000\n${init}\n  push dword ${r() & 0x8d5}\n  popfd\n${body}\n  pushfd\n  pop dword [0x5f0]\n  hlt\n`);
  for (let i = 0; i < 64; i++) m.w32(0x6000 + i * 4, rng(seed + i)());
  expect(m.run(1_000_000)).toBe(RunExit.HaltedForever);
  return {
    regs: [0, 1, 2, 3, 4, 5, 6, 7].map((i) => m.reg(i)),
    flags: m.r32(0x5f0) & 0x8d5,
    data: Array.from({ length: 64 }, (_, i) => m.r32(0x6000 + i * 4)),
  };
}

/** 40 random streams of 60 instructions: the fast path and the general decoder end alike. */
function fastAgreesWithSlow<T>(gen: (r: ReturnType<typeof rng>, i: number) => string[], runner: (lines: string[], slow: boolean, seed: number) => T): void {
  for (let seed = 1; seed <= 40; seed++) {
    const r = rng(seed);
    const lines: string[] = [];
    for (let i = 0; i < 60; i++) lines.push(...gen(r, i));
    expect({ seed, ...runner(lines, false, seed) }).toEqual({ seed, ...runner(lines, true, seed) });
  }
}

describe('32-bit fast path = general decoder', () => {
  it('random streams of INC/DEC, ALU (reg, mem, imm), MOV, LEA, TEST, PUSH/POP, CALL/RET, Jcc, JMP, shifts and 0F opcodes agree', () => {
    fastAgreesWithSlow(instr, run);
  });
  it('random 16-bit real-mode streams of INC/DEC, ALU, MOV (8/16-bit), Jcc, LOOP and JMP agree', () => {
    fastAgreesWithSlow(instr16, run16);
  });
});

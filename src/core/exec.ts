// One-byte opcode map of the Bulkhead core (Intel SDM Vol. 2 Appendix A, Table A-2): prefix
// decoding, LOCK validity, and execution of every 8086/186/286/386 one-byte instruction.
// Two-byte (0F) opcodes are in exec0f.ts; x87 escapes go to the FPU (fpu-link.ts).
import {
  EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI, ES, CS, SS, DS, FS, GS, F_CF, F_DF, F_IF, F_TF, F_AC,
  F_IOPL, F_NT, F_VM, F_RF, F_VIF, F_VIP, F_ID, CR0_PE, CR0_EM, CR0_TS, CR0_MP, cr0, cpl, eip,
  flagsReg, csD, ssB, flatMask, tlbRd, tlbWr, TLB_INFO, TLB_HOST, r8, w8, r16, w16, r32, w32, segSel, segAttr, segLimit, halted, intShadow, eventFlag, A_DB,
  sliceCount, sliceMax, intrLine, fetchLo, fetchSpan, fetchSpan1, fetchHost,
} from './state';
import { fault, raise, fetch8, fetch16, fetch32, rd16, rd32, rd8, wr8, wr16, wr32, segLinRead, rd8s, wr8s, rd16s, wr16s } from './mem';
import {
  o32, a32, segOv, rep, lockP, mod, regf, rmf, eaSeg, eaOff, decodeModrm, decodeModrmByte, getReg, setReg,
  readRM, writeRM, readRMW, writeRMW, fetchImm, decodeModrm16, push, pop, peekPop, popCommit, spGet, spSet, dseg,
  rdMem, wrMem, eaNext,
} from './decode';
import { alu, alu32, alu16, inc, dec, inc32, dec32, inc16, dec16, shift, maskOf, daa, das, aaa, aas, aam, aad } from './alu';
import { readFlags, setLazy, OP_LOGIC, getCF, setCF, clearLazy, setResFlags, lazyMask, lazyR } from './flags';
import { cond, condFast, jumpTo, ioAllowed, portIn, portOut, stringOp, mulOp, divOp, imul2, instrStart, setInstrStart } from './ops';
import { loadSeg } from './seg';
import { interrupt, iret, INT_SOFT, INT_ICEBP, setFlagsRaw } from './intr';
import { farJump, farCall, retFar } from './far';
import { exec0f } from './exec0f';
import { fpuExec, fpuWait, fpuRegisterFastInline, fpuMemoryFastInline } from './fpu-link';


/**
 * A run of x87 instructions in one dispatch. hot32 calls it with the first escape's opcode
 * fetched (eip at its ModRM byte, which is in the fetch window); it executes that instruction
 * and then the unprefixed x87 instructions that follow, as the run loop would one by one: each
 * counted and with its own instruction start (so a fault is delivered for the right
 * instruction), within the slice's budget. Only an escape whose opcode and ModRM bytes are
 * already in the fetch window is taken; anything else is left to the run loop. x87 code is
 * mostly such runs (load, arithmetic, exchange, store), and each saves the loop's dispatch; the
 * FPU's fast paths are inlined here (fpuRegisterFastInline, fpuMemoryFastInline), the rest goes
 * through fpuExec.
 *
 * Events: the run loop enters an instruction only with no event pending (eventFlag clear, no
 * INTR with IF set, TF clear); CR0.EM = CR0.TS = 0 here. A register form on the fast path
 * touches only FPU state (FCOMI: EFLAGS' arithmetic flags), calls no host function and so cannot
 * raise an event: the next one runs at once. A memory form or the general path can (an MMIO
 * access or FERR/IRQ13 calls the host, which may raise INTR), so after one of those the loop's
 * own event test decides (x87RunMayGo). Called from hot32 only (32-bit code, o32 = a32 = 1).
 */
function x87Run(firstOp: u32): void {
  let op = firstOp;
  let m = <u32>load<u8>(fetchHost + eip);
  eip++;
  while (true) {
    if (m < 0xc0 || !fpuRegisterFastInline(op, m)) {
      let seg: i32 = DS, ea: u32;
      if ((m & 0xc7) == 5) {           // [disp32] (no prefix: DS), the usual operand of x87 code
        ea = fetch32(); if (fault) return;
      } else {
        decodeModrmByte(m); if (fault) return;
        seg = eaSeg; ea = eaOff;
      }
      if (m >= 0xc0 || !fpuMemoryFastInline(op, m, seg, ea)) fpuExec(op, m, seg, ea, true);
      if (!x87RunMayGo()) return;
    }
    // the next instruction, if it is an x87 escape and the budget allows
    if (sliceCount + 1 >= sliceMax) return;
    const e = eip;
    if (e - fetchLo >= fetchSpan1) return;
    op = <u32>load<u8>(fetchHost + e);
    if ((op & 0xf8) != 0xd8) return;
    m = <u32>load<u8>(fetchHost + e + 1);
    sliceCount++;                      // the previous instruction is done
    setInstrStart(e);
    eip = e + 2;
  }
}

/** After an x87 instruction that may have called the host: no fault and no event pending. */
@inline function x87RunMayGo(): bool {
  return !fault && (((<u32>eventFlag) | ((<u32>intrLine) & (flagsReg >> 9)) | (flagsReg >> 8)) & 1) == 0;
}

/** Decode prefixes and execute one instruction. Faults are left in mem.fault. */
// bit i set: byte i is a legacy prefix (26 2E 36 3E 64 65 66 67 F0 F2 F3)
const PREFIX_BITS: StaticArray<u32> = [0, 0x40404040, 0, 0x000000f0, 0, 0, 0, 0x000d0000];

/** Decode prefixes and execute one instruction. Faults are left in mem.fault. */
// Invariant between instructions: o32 = a32 = CS.D (kept by setSegCache), segOv = -1, rep = 0,
// lockP = false; only prefixed instructions change them, and restore them when done.
@inline export function step(): void {
  const op = fetch8();
  if ((unchecked(PREFIX_BITS[op >> 5]) >> (op & 31)) & 1) { prefixed(op); return; }
  if (o32) { if (hot32(op)) return; }
  else if (hot16(op)) return;
  exec1(op);
}

/**
 * The most frequent unprefixed 32-bit instructions, decoded with compare chains inlined into the
 * run loop instead of exec1's jump table: on V8 an indirect jump per instruction costs about as
 * much as a simple instruction's work. Only valid while o32 = a32 = CS.D = 1 with no prefix; each
 * branch does exactly what the exec1 case does for 32-bit operands. False: exec1 handles `op`.
 */
@inline function hot32(op: u32): bool {
  const hi = op & 0xf0;
  if (hi == 0x40) { // INC/DEC r32
    if (op < 0x48) w32(op & 7, inc32(r32(op & 7))); else w32(op & 7, dec32(r32(op & 7)));
    return true;
  }
  if (hi == 0x70) { // Jcc rel8
    const d = <u32><i32><i8>fetch8(); if (fault) return true;
    if (condFast(op & 15)) jumpTo(eip + d);
    return true;
  }
  if (op >= 0xc0) return hot32High(op);
  if (op == 0x0f) { // two-byte opcodes: MOVZX inline, the rest straight to their own table
    const op2 = fetch8(); if (fault) return true;
    if ((op2 & 0xf0) == 0x80) { // Jcc rel32
      const d = fetch32(); if (fault) return true;
      if (condFast(op2 & 15)) jumpTo(eip + d);
      return true;
    }
    if (op2 == 0xaf) { // IMUL r32, r/m32
      decodeModrm(); if (fault) return true;
      const b = mod == 3 ? r32(rmf) : rd32(eaSeg, eaOff); if (fault) return true;
      w32(regf, imul2(r32(regf), b, 4));
      return true;
    }
    if (op2 == 0xb6 || op2 == 0xb7) {
      decodeModrm(); if (fault) return true;
      let v: u32;
      if (op2 == 0xb7) v = mod == 3 ? r16(rmf) : rd16(eaSeg, eaOff);
      else v = mod == 3 ? r8(rmf) : rd8(eaSeg, eaOff);
      if (fault) return true;
      w32(regf, v);
      return true;
    }
    eip--;
    exec0f();
    return true;
  }
  if ((op & 0xc5) == 0x01) { // ALU r/m32,r32 and r32,r/m32 (ADD OR ADC SBB AND SUB XOR CMP)
    const aop = (op >> 3) & 7;
    decodeModrm(); if (fault) return true;
    if ((op & 2) != 0) {
      const b = mod == 3 ? r32(rmf) : rd32(eaSeg, eaOff); if (fault) return true;
      const r = alu32(aop, r32(regf), b);
      if (aop != 7) w32(regf, r);
      return true;
    }
    if (mod == 3) {
      const r = alu32(aop, r32(rmf), r32(regf));
      if (aop != 7) w32(rmf, r);
      return true;
    }
    if (aop == 7) { const a = rd32(eaSeg, eaOff); if (fault) return true; alu(7, a, r32(regf), 31); return true; }
    const a = readRMW(4); if (fault) return true;
    writeRMW(4, alu(aop, a, r32(regf), 31));
    return true;
  }
  if (hi == 0x80) {
    if (op == 0x83 || op == 0x81) { // ALU r/m32, imm8 (sign-extended) / imm32
      decodeModrm(); if (fault) return true;
      const aop = regf;
      if (mod == 3) {
        const b = op == 0x83 ? <u32><i32><i8>fetch8() : fetch32(); if (fault) return true;
        const r = alu32(aop, r32(rmf), b);
        if (aop != 7) w32(rmf, r);
        return true;
      }
      if (aop == 7) {
        const a = rd32(eaSeg, eaOff); if (fault) return true;
        const b = op == 0x83 ? <u32><i32><i8>fetch8() : fetch32(); if (fault) return true;
        alu(7, a, b, 31);
        return true;
      }
      const b = op == 0x83 ? <u32><i32><i8>fetch8() : fetch32(); if (fault) return true;
      const a = readRMW(4); if (fault) return true;
      writeRMW(4, alu(aop, a, b, 31));
      return true;
    }
    if (op == 0x8b) {
      decodeModrm(); if (fault) return true;
      const v = mod == 3 ? r32(rmf) : rd32(eaSeg, eaOff); if (fault) return true;
      w32(regf, v);
      return true;
    }
    if (op == 0x89) {
      decodeModrm(); if (fault) return true;
      if (mod == 3) w32(rmf, r32(regf)); else wr32(eaSeg, eaOff, r32(regf));
      return true;
    }
    if (op == 0x8d) {
      decodeModrm(); if (fault) return true;
      if (mod == 3) { raise(6, -1); return true; }
      w32(regf, eaOff);
      return true;
    }
    if (op == 0x85) {
      decodeModrm(); if (fault) return true;
      const a = mod == 3 ? r32(rmf) : rd32(eaSeg, eaOff); if (fault) return true;
      alu(4, a, r32(regf), 31);
      return true;
    }
    return false;
  }
  if (hi == 0x50) { // PUSH/POP r32
    if (op < 0x58) { push32(r32(op & 7)); return true; }
    const v = pop32(); if (fault) return true;
    w32(op & 7, v);
    return true;
  }
  if (hi == 0xb0) { // MOV r8, imm8 / MOV r32, imm32
    if (op >= 0xb8) { const v = fetch32(); if (fault) return true; w32(op & 7, v); return true; }
    const v = fetch8(); if (fault) return true; w8(op & 7, v); return true;
  }
  if ((op & 0xc7) == 0x05) { // ALU EAX, imm32
    const b = fetch32(); if (fault) return true;
    const aop = (op >> 3) & 7;
    const r = alu32(aop, r32(EAX), b);
    if (aop != 7) w32(EAX, r);
    return true;
  }
  return false;
}

/** hot32 for op >= C0: CALL/RET/JMP, the shift group and the x87 escapes. */
@inline function hot32High(op: u32): bool {
  if (op == 0xe8) { // CALL rel32
    const d = fetch32(); if (fault) return true;
    const t = eip + d;
    if (t > segLimit(CS)) { raise(13, 0); return true; }
    push32(eip); if (fault) return true;
    eip = t;
    return true;
  }
  if (op == 0xc3) { // RET
    const sp = r32(ESP);
    const vpn = sp >>> 12;
    let t: u32;
    if (ssB && (flatMask & (1 << SS)) != 0 && (load<u8>(TLB_INFO + vpn) & tlbRd) != 0 && (sp & 0xfff) <= 0xffc) {
      t = load<u32>(load<u32>(TLB_HOST + (vpn << 2)) + sp);
    } else {
      t = peekPop(4, 0); if (fault) return true;
    }
    if (t > segLimit(CS)) { raise(13, 0); return true; }
    popCommit(4);
    eip = t;
    return true;
  }
  if (op == 0xe9) { const d = fetch32(); if (fault) return true; jumpTo(eip + d); return true; }
  if (op == 0xc1 || op == 0xd1 || op == 0xd3) { // shift/rotate r/m32 by imm8, 1 or CL (as exec1)
    decodeModrm(); if (fault) return true;
    let cnt: u32;
    if (op == 0xc1) { cnt = fetch8(); if (fault) return true; }
    else cnt = op == 0xd1 ? 1 : r8(ECX);
    if (mod == 3) { w32(rmf, shift(regf, r32(rmf), cnt & 31, 31)); return true; }
    const a = readRMW(4); if (fault) return true;
    writeRMW(4, shift(regf, a, cnt & 31, 31));
    return true;
  }
  if ((op & 0xf8) == 0xd8) { // x87 escape (as exec1); register forms try the fast paths first
    if ((cr0 & (CR0_EM | CR0_TS)) == 0 && eip - fetchLo < fetchSpan) { x87Run(op); return true; }
    const m = fetch8(); if (fault) return true;
    decodeModrmByte(m); if (fault) return true;
    if ((cr0 & (CR0_EM | CR0_TS)) != 0) { raise(7, -1); return true; }
    fpuExec(op, m, eaSeg, eaOff, true);
    return true;
  }
  return false;
}

/**
 * hot32's counterpart for 16-bit code segments (real mode, V86, 16-bit protected mode): only
 * valid while o32 = CS.D = 0 with no prefix; a32 follows CS.D too (16-bit addressing). Each
 * branch does what the exec1 case does for 16-bit operands. False: exec1 handles `op`.
 */
@inline function hot16(op: u32): bool {
  const hi = op & 0xf0;
  if (hi == 0x40) { // INC/DEC r16
    const r = op & 7;
    if (op < 0x48) w16(r, inc16(r16(r))); else w16(r, dec16(r16(r)));
    return true;
  }
  if (hi == 0x70) { // Jcc rel8
    const d = <u32><i32><i8>fetch8(); if (fault) return true;
    if (condFast(op & 15)) jumpTo(eip + d);
    return true;
  }
  if ((op & 0xc5) == 0x01) { // ALU r/m16,r16 and r16,r/m16
    const aop = (op >> 3) & 7;
    decodeModrm16(); if (fault) return true;
    if ((op & 2) != 0) {
      const b = mod == 3 ? r16(rmf) : rd16s(eaSeg, eaOff); if (fault) return true;
      const r = alu16(aop, r16(regf), b);
      if (aop != 7) w16(regf, r);
      return true;
    }
    if (mod == 3) {
      const r = alu16(aop, r16(rmf), r16(regf));
      if (aop != 7) w16(rmf, r);
      return true;
    }
    if (aop == 7) { const a = rd16s(eaSeg, eaOff); if (fault) return true; alu(7, a, r16(regf), 15); return true; }
    const a = readRMW(2); if (fault) return true;
    writeRMW(2, alu(aop, a, r16(regf), 15));
    return true;
  }
  if (hi == 0x80) {
    if (op == 0x88) { // MOV r/m8, r8
      decodeModrm16(); if (fault) return true;
      if (mod == 3) w8(rmf, r8(regf)); else wr8s(eaSeg, eaOff, r8(regf));
      return true;
    }
    if (op == 0x8a) { // MOV r8, r/m8
      decodeModrm16(); if (fault) return true;
      const v = mod == 3 ? r8(rmf) : rd8s(eaSeg, eaOff); if (fault) return true;
      w8(regf, v);
      return true;
    }
    if (op == 0x89) {
      decodeModrm16(); if (fault) return true;
      if (mod == 3) w16(rmf, r16(regf)); else wr16s(eaSeg, eaOff, r16(regf));
      return true;
    }
    if (op == 0x8b) {
      decodeModrm16(); if (fault) return true;
      const v = mod == 3 ? r16(rmf) : rd16s(eaSeg, eaOff); if (fault) return true;
      w16(regf, v);
      return true;
    }
    return false;
  }
  if (op == 0xe2) { // LOOP rel8
    const d = <u32><i32><i8>fetch8(); if (fault) return true;
    const c = (a32 ? r32(ECX) : r16(ECX)) - 1;
    if ((a32 ? c : c & 0xffff) != 0) { const save = eip; jumpTo(eip + d); if (fault) { eip = save; return true; } }
    if (a32) w32(ECX, c); else w16(ECX, c);
    return true;
  }
  if (op == 0xeb) { const d = <u32><i32><i8>fetch8(); if (fault) return true; jumpTo(eip + d); return true; }
  return false;
}

/** PUSH of a dword on a flat 32-bit stack with a TLB hit inline; anything else via push(). */
@inline function push32(v: u32): void {
  const sp = r32(ESP) - 4;
  if (ssB && (flatMask & (1 << SS)) != 0) {
    const vpn = sp >>> 12;
    if ((load<u8>(TLB_INFO + vpn) & tlbWr) != 0 && (sp & 0xfff) <= 0xffc) {
      store<u32>(load<u32>(TLB_HOST + (vpn << 2)) + sp, v);
      w32(ESP, sp);
      return;
    }
  }
  push(4, v);
}
/** POP of a dword, the push32 counterpart (ESP committed only without a fault). */
@inline function pop32(): u32 {
  const sp = r32(ESP);
  if (ssB && (flatMask & (1 << SS)) != 0) {
    const vpn = sp >>> 12;
    if ((load<u8>(TLB_INFO + vpn) & tlbRd) != 0 && (sp & 0xfff) <= 0xffc) {
      w32(ESP, sp + 4);
      return load<u32>(load<u32>(TLB_HOST + (vpn << 2)) + sp);
    }
  }
  return pop(4);
}

function prefixed(first: u32): void {
  prefixedBody(first);
  o32 = csD; a32 = csD; segOv = -1; rep = 0; lockP = false;
}

function prefixedBody(first: u32): void {
  let op = first;
  let n = 0;
  for (;;) {
    switch (op) {
      case 0x26: segOv = ES; break;
      case 0x2e: segOv = CS; break;
      case 0x36: segOv = SS; break;
      case 0x3e: segOv = DS; break;
      case 0x64: segOv = FS; break;
      case 0x65: segOv = GS; break;
      case 0x66: o32 = !csD; break;
      case 0x67: a32 = !csD; break;
      case 0xf0: lockP = true; break;
      case 0xf2: case 0xf3: rep = op; break;
      default: n = -1; break;
    }
    if (n < 0) break;
    if (fault) return;
    if (++n >= 15) { raise(13, 0); return; }
    op = fetch8();
  }
  if (fault) return;
  if (lockP && !lockOk(op)) { raise(6, -1); return; }
  // 66 alone in 32-bit code before MOV r/m16 (word stores and loads of compiled 32-bit code):
  // done here, as exec1 would, without its dispatch.
  if (!o32 && a32 && segOv < 0 && rep == 0 && !lockP && (op == 0x89 || op == 0x8b)) {
    decodeModrm(); if (fault) return;
    if (op == 0x89) {
      if (mod == 3) w16(rmf, r16(regf)); else wr16(eaSeg, eaOff, r16(regf));
      return;
    }
    const v = mod == 3 ? r16(rmf) : rd16(eaSeg, eaOff); if (fault) return;
    w16(regf, v);
    return;
  }
  exec1(op);
}

function peekByte(): u32 { const b = fetch8(); eip--; return b; }

function lockOk(op: u32): bool {
  if (op == 0x0f) {
    const op2 = peekByte(); eip++;
    const m = peekByte(); eip--;
    if (fault) return false;
    if ((m >> 6) == 3) return false;
    switch (op2) {
      case 0xab: case 0xb3: case 0xbb: case 0xb0: case 0xb1: case 0xc0: case 0xc1: return true;
      case 0xba: return ((m >> 3) & 7) >= 5;
      case 0xc7: return ((m >> 3) & 7) == 1;
      default: return false;
    }
  }
  const m = peekByte();
  if (fault) return false;
  if (op < 0x40 && (op & 7) < 2 && (op & 0x38) != 0x38) return (m >> 6) != 3;
  switch (op) {
    case 0x80: case 0x81: case 0x82: case 0x83: return (m >> 6) != 3 && ((m >> 3) & 7) != 7;
    case 0x86: case 0x87: return (m >> 6) != 3;
    case 0xf6: case 0xf7: return (m >> 6) != 3 && (((m >> 3) & 7) == 2 || ((m >> 3) & 7) == 3);
    case 0xfe: case 0xff: return (m >> 6) != 3 && ((m >> 3) & 7) < 2;
    default: return false;
  }
}

@inline function osz(): u32 { return o32 ? 4 : 2; }

function exec1(op: u32): void {
  switch (op) {
    // ---- group-1 ALU forms 00-3D ---------------------------------------------------------
    case 0x00: case 0x08: case 0x10: case 0x18: case 0x20: case 0x28: case 0x30: case 0x38:
    case 0x01: case 0x09: case 0x11: case 0x19: case 0x21: case 0x29: case 0x31: case 0x39: {
      const size: u32 = (op & 1) != 0 ? osz() : 1;
      const aop = (op >> 3) & 7;
      decodeModrm(); if (fault) return;
      if (mod == 3) {
        if (size == 4) {
          const r = alu32(aop, r32(rmf), r32(regf));
          if (aop != 7) w32(rmf, r);
          return;
        }
        const r = alu(aop, getReg(size, rmf), getReg(size, regf), size * 8 - 1);
        if (aop != 7) setReg(size, rmf, r);
        return;
      }
      if (aop == 7) { const a = readRM(size); if (fault) return; alu(7, a, getReg(size, regf), size * 8 - 1); return; }
      const a = readRMW(size); if (fault) return;
      const r = alu(aop, a, getReg(size, regf), size * 8 - 1);
      writeRMW(size, r);
      return;
    }
    case 0x02: case 0x0a: case 0x12: case 0x1a: case 0x22: case 0x2a: case 0x32: case 0x3a:
    case 0x03: case 0x0b: case 0x13: case 0x1b: case 0x23: case 0x2b: case 0x33: case 0x3b: {
      const size: u32 = (op & 1) != 0 ? osz() : 1;
      const aop = (op >> 3) & 7;
      decodeModrm(); if (fault) return;
      const b = readRM(size); if (fault) return;
      if (size == 4) {
        const r = alu32(aop, r32(regf), b);
        if (aop != 7) w32(regf, r);
        return;
      }
      const r = alu(aop, getReg(size, regf), b, size * 8 - 1);
      if (aop != 7) setReg(size, regf, r);
      return;
    }
    case 0x04: case 0x0c: case 0x14: case 0x1c: case 0x24: case 0x2c: case 0x34: case 0x3c: {
      const b = fetch8(); if (fault) return;
      const r = alu((op >> 3) & 7, r8(0), b, 7);
      if (op != 0x3c) w8(0, r);
      return;
    }
    case 0x05: case 0x0d: case 0x15: case 0x1d: case 0x25: case 0x2d: case 0x35: case 0x3d: {
      const size = osz();
      const b = fetchImm(size); if (fault) return;
      const r = alu((op >> 3) & 7, getReg(size, EAX), b, size * 8 - 1);
      if (op != 0x3d) setReg(size, EAX, r);
      return;
    }
    case 0x06: push(osz(), segSel(ES)); return;
    case 0x0e: push(osz(), segSel(CS)); return;
    case 0x16: push(osz(), segSel(SS)); return;
    case 0x1e: push(osz(), segSel(DS)); return;
    case 0x07: case 0x17: case 0x1f: {
      const s: i32 = op == 0x07 ? ES : op == 0x17 ? SS : DS;
      const v = peekPop(osz(), 0); if (fault) return;
      if (!loadSeg(s, v & 0xffff)) return;
      popCommit(osz());
      if (s == SS) { intShadow = true; eventFlag = true; }
      return;
    }
    case 0x0f: exec0f(); return;
    case 0x27: daa(); return;
    case 0x2f: das(); return;
    case 0x37: aaa(); return;
    case 0x3f: aas(); return;
    case 0x40: case 0x41: case 0x42: case 0x43: case 0x44: case 0x45: case 0x46: case 0x47: {
      if (o32) { w32(op & 7, inc32(r32(op & 7))); return; }
      const size = osz(); setReg(size, op & 7, inc(getReg(size, op & 7), size * 8 - 1)); return;
    }
    case 0x48: case 0x49: case 0x4a: case 0x4b: case 0x4c: case 0x4d: case 0x4e: case 0x4f: {
      if (o32) { w32(op & 7, dec32(r32(op & 7))); return; }
      const size = osz(); setReg(size, op & 7, dec(getReg(size, op & 7), size * 8 - 1)); return;
    }
    case 0x50: case 0x51: case 0x52: case 0x53: case 0x54: case 0x55: case 0x56: case 0x57:
      push(osz(), getReg(osz(), op & 7)); return;
    case 0x58: case 0x59: case 0x5a: case 0x5b: case 0x5c: case 0x5d: case 0x5e: case 0x5f: {
      const size = osz();
      const v = pop(size); if (fault) return;
      setReg(size, op & 7, v);
      return;
    }
    case 0x60: { // PUSHA
      const size = osz();
      const sp0 = spGet();
      const mask: u32 = ssB ? 0xffffffff : 0xffff;
      for (let i: u32 = 0; i < 8; i++) {
        const v = i == ESP ? (size == 4 ? r32(ESP) : sp0) : getReg(size, i);
        const at = (sp0 - (i + 1) * size) & mask;
        wrMem(size, SS, at, v);
        if (fault) return;
      }
      spSet((sp0 - 8 * size) & mask);
      return;
    }
    case 0x61: { // POPA
      const size = osz();
      const mask: u32 = ssB ? 0xffffffff : 0xffff;
      const sp0 = spGet();
      for (let i: u32 = 0; i < 8; i++) { rdMem(size, SS, (sp0 + i * size) & mask); if (fault) return; }
      for (let i: u32 = 0; i < 8; i++) {
        const r = 7 - i;
        const v = rdMem(size, SS, (sp0 + i * size) & mask);
        if (r != ESP) setReg(size, r, v);
      }
      spSet((sp0 + 8 * size) & mask);
      return;
    }
    case 0x62: { // BOUND
      decodeModrm(); if (fault) return;
      if (mod == 3) { raise(6, -1); return; }
      const size = osz();
      const lo = rdMem(size, eaSeg, eaOff), hi = rdMem(size, eaSeg, eaNext(size));
      if (fault) return;
      const v = getReg(size, regf);
      const sv: i32 = size == 2 ? <i32><i16>v : <i32>v, sl: i32 = size == 2 ? <i32><i16>lo : <i32>lo, sh: i32 = size == 2 ? <i32><i16>hi : <i32>hi;
      if (sv < sl || sv > sh) raise(5, -1);
      return;
    }
    case 0x63: { // ARPL
      if ((cr0 & CR0_PE) == 0 || (flagsReg & F_VM) != 0) { raise(6, -1); return; }
      decodeModrm(); if (fault) return;
      const d = readRMW(2); if (fault) return;
      const s = r16(regf);
      if ((d & 3) < (s & 3)) { writeRMW(2, (d & ~3) | (s & 3)); if (fault) return; setZF(true); }
      else setZF(false);
      return;
    }
    case 0x68: { const v = fetchImm(osz()); if (fault) return; push(osz(), v); return; }
    case 0x6a: { const v = <u32><i32><i8>fetch8(); if (fault) return; push(osz(), v); return; }
    case 0x69: case 0x6b: {
      const size = osz();
      decodeModrm(); if (fault) return;
      const a = readRM(size); if (fault) return;
      const b = op == 0x6b ? <u32><i32><i8>fetch8() : fetchImm(size);
      if (fault) return;
      setReg(size, regf, imul2(a, b, size));
      return;
    }
    case 0x6c: stringOp(5, 1); return;
    case 0x6d: stringOp(5, osz()); return;
    case 0x6e: stringOp(6, 1); return;
    case 0x6f: stringOp(6, osz()); return;
    case 0x70: case 0x71: case 0x72: case 0x73: case 0x74: case 0x75: case 0x76: case 0x77:
    case 0x78: case 0x79: case 0x7a: case 0x7b: case 0x7c: case 0x7d: case 0x7e: case 0x7f: {
      const d = <u32><i32><i8>fetch8(); if (fault) return;
      if (condFast(op & 15)) jumpTo(eip + d);
      return;
    }
    case 0x80: case 0x81: case 0x82: case 0x83: {
      const size: u32 = op == 0x81 || op == 0x83 ? osz() : 1;
      decodeModrm(); if (fault) return;
      if (regf == 7) {
        const a = readRM(size); if (fault) return;
        const b = op == 0x81 ? fetchImm(size) : <u32><i32><i8>fetch8(); if (fault) return;
        alu(7, a, b & maskOf(size * 8 - 1), size * 8 - 1);
        return;
      }
      const b = op == 0x81 ? fetchImm(size) : <u32><i32><i8>fetch8(); if (fault) return;
      const a = readRMW(size); if (fault) return;
      writeRMW(size, alu(regf, a, b & maskOf(size * 8 - 1), size * 8 - 1));
      return;
    }
    case 0x84: case 0x85: {
      const size: u32 = op == 0x85 ? osz() : 1;
      decodeModrm(); if (fault) return;
      const a = readRM(size); if (fault) return;
      alu(4, a, getReg(size, regf), size * 8 - 1);
      return;
    }
    case 0x86: case 0x87: {
      const size: u32 = op == 0x87 ? osz() : 1;
      decodeModrm(); if (fault) return;
      const a = readRMW(size); if (fault) return;
      const b = getReg(size, regf);
      writeRMW(size, b); if (fault) return;
      setReg(size, regf, a);
      return;
    }
    case 0x88: decodeModrm(); if (fault) return; writeRM(1, r8(regf)); return;
    case 0x89: {
      decodeModrm(); if (fault) return;
      if (o32) { if (mod == 3) w32(rmf, r32(regf)); else wr32(eaSeg, eaOff, r32(regf)); return; }
      writeRM(2, r16(regf));
      return;
    }
    case 0x8a: { decodeModrm(); if (fault) return; const v = readRM(1); if (fault) return; w8(regf, v); return; }
    case 0x8b: {
      decodeModrm(); if (fault) return;
      if (o32) {
        const v = mod == 3 ? r32(rmf) : rd32(eaSeg, eaOff); if (fault) return;
        w32(regf, v);
        return;
      }
      const v = readRM(2); if (fault) return;
      w16(regf, v);
      return;
    }
    case 0x8c: {
      decodeModrm(); if (fault) return;
      if (regf > 5) { raise(6, -1); return; }
      const v = segSel(regf);
      if (mod == 3) setReg(osz(), rmf, v); else wrMem(2, eaSeg, eaOff, v);
      return;
    }
    case 0x8d: {
      decodeModrm(); if (fault) return;
      if (mod == 3) { raise(6, -1); return; }
      setReg(osz(), regf, o32 ? eaOff : eaOff & 0xffff);
      return;
    }
    case 0x8e: {
      decodeModrm(); if (fault) return;
      if (regf == CS || regf > 5) { raise(6, -1); return; }
      const v = readRM(2); if (fault) return;
      if (!loadSeg(regf, v)) return;
      if (regf == SS) { intShadow = true; eventFlag = true; }
      return;
    }
    case 0x8f: {
      // POP r/m: ESP is incremented before the destination address is used (SDM)
      const size = osz();
      const v = peekPop(size, 0); if (fault) return;
      const sp0 = spGet();
      popCommit(size);
      decodeModrm();
      if (!fault) {
        if (regf != 0) { raise(6, -1); }
        else writeRM(size, v);
      }
      if (fault) spSet(sp0);
      return;
    }
    case 0x90:
      return;
    case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97: {
      const size = osz();
      const a = getReg(size, EAX);
      setReg(size, EAX, getReg(size, op & 7)); setReg(size, op & 7, a);
      return;
    }
    case 0x98: if (o32) w32(EAX, <u32><i32><i16>r16(EAX)); else w16(EAX, <u32><i32><i8>r8(0)); return;
    case 0x99: if (o32) w32(EDX, <u32>(<i32>r32(EAX) >> 31)); else w16(EDX, (r16(EAX) & 0x8000) != 0 ? 0xffff : 0); return;
    case 0x9a: {
      const off = fetchImm(osz()); const sel = fetch16(); if (fault) return;
      farCall(sel, off, o32);
      return;
    }
    case 0x9b: {
      if ((cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS)) { raise(7, -1); return; }
      fpuWait();
      return;
    }
    case 0x9c: {
      if ((flagsReg & F_VM) != 0 && ((flagsReg >> 12) & 3) != 3) { raise(13, 0); return; }
      const f = readFlags() & ~(F_VM | F_RF);
      push(osz(), f);
      return;
    }
    case 0x9d: popf(); return;
    case 0x9e: {
      readFlags();
      flagsReg = (flagsReg & ~0xd5) | (r8(4) & 0xd5) | 2;
      return;
    }
    case 0x9f: w8(4, readFlags() & 0xff); return;
    case 0xa0: case 0xa1: case 0xa2: case 0xa3: {
      const off = a32 ? fetch32() : fetch16(); if (fault) return;
      const size: u32 = (op & 1) != 0 ? osz() : 1;
      if (op < 0xa2) { const v = rdMem(size, dseg(), off); if (fault) return; setReg(size, EAX, v); }
      else wrMem(size, dseg(), off, getReg(size, EAX));
      return;
    }
    case 0xa4: stringOp(0, 1); return;
    case 0xa5: stringOp(0, osz()); return;
    case 0xa6: stringOp(1, 1); return;
    case 0xa7: stringOp(1, osz()); return;
    case 0xa8: { const b = fetch8(); if (fault) return; alu(4, r8(0), b, 7); return; }
    case 0xa9: { const size = osz(); const b = fetchImm(size); if (fault) return; alu(4, getReg(size, EAX), b, size * 8 - 1); return; }
    case 0xaa: stringOp(2, 1); return;
    case 0xab: stringOp(2, osz()); return;
    case 0xac: stringOp(3, 1); return;
    case 0xad: stringOp(3, osz()); return;
    case 0xae: stringOp(4, 1); return;
    case 0xaf: stringOp(4, osz()); return;
    case 0xb0: case 0xb1: case 0xb2: case 0xb3: case 0xb4: case 0xb5: case 0xb6: case 0xb7: {
      const v = fetch8(); if (fault) return; w8(op & 7, v); return;
    }
    case 0xb8: case 0xb9: case 0xba: case 0xbb: case 0xbc: case 0xbd: case 0xbe: case 0xbf: {
      const size = osz(); const v = fetchImm(size); if (fault) return; setReg(size, op & 7, v); return;
    }
    case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
      const size: u32 = (op & 1) != 0 ? osz() : 1;
      decodeModrm(); if (fault) return;
      let cnt: u32;
      if (op <= 0xc1) { cnt = fetch8(); if (fault) return; }
      else cnt = op <= 0xd1 ? 1 : r8(ECX);
      cnt &= 31;
      const a = readRMW(size); if (fault) return;
      const r = shift(regf, a, cnt, size * 8 - 1);
      writeRMW(size, r);
      return;
    }
    case 0xc2: case 0xc3: {
      const imm = op == 0xc2 ? fetch16() : 0; if (fault) return;
      const size = osz();
      const t = peekPop(size, 0); if (fault) return;
      const lim = o32 ? t : t & 0xffff;
      if (lim > segLimit(CS)) { raise(13, 0); return; }
      popCommit(size);
      spSet((spGet() + imm) & (ssB ? 0xffffffff : 0xffff));
      eip = lim;
      return;
    }
    case 0xc4: case 0xc5: {
      decodeModrm(); if (fault) return;
      if (mod == 3) { raise(6, -1); return; }
      const size = osz();
      const off = rdMem(size, eaSeg, eaOff), sel = rd16(eaSeg, eaNext(size));
      if (fault) return;
      if (!loadSeg(op == 0xc4 ? ES : DS, sel)) return;
      setReg(size, regf, off);
      return;
    }
    case 0xc6: case 0xc7: {
      const size: u32 = op == 0xc7 ? osz() : 1;
      decodeModrm(); if (fault) return;
      const v = fetchImm(size); if (fault) return;
      if (regf != 0) { raise(6, -1); return; }
      writeRM(size, v);
      return;
    }
    case 0xc8: enter(); return;
    case 0xc9: { // LEAVE
      const bp = ssB ? r32(EBP) : r16(EBP);
      const size = osz();
      const v = size == 4 ? rd32(SS, bp) : rd16(SS, bp);
      if (fault) return;
      spSet(bp + size);
      setReg(size, EBP, v);
      return;
    }
    case 0xca: case 0xcb: {
      const imm = op == 0xca ? fetch16() : 0; if (fault) return;
      retFar(o32, imm);
      return;
    }
    case 0xcc: softInt(3); return;
    case 0xcd: { const v = fetch8(); if (fault) return; softInt(v); return; }
    case 0xce: if (getOF2()) softInt(4); return;
    case 0xcf: iret(o32); return;
    case 0xd4: {
      const b = fetch8(); if (fault) return;
      // #DE; flags as the 80286 leaves them: S/Z/P of the 16-bit value 00:AL
      if (b == 0) { readFlags(); setResFlags(r8(0), 15); raise(0, -1); return; }
      aam(b);
      return;
    }
    case 0xd5: { const b = fetch8(); if (fault) return; aad(b); return; }
    case 0xd6: w8(0, getCF() ? 0xff : 0); return;
    case 0xd7: {
      const off = a32 ? r32(EBX) + r8(0) : (r16(EBX) + r8(0)) & 0xffff;
      const v = rd8(dseg(), off); if (fault) return;
      w8(0, v);
      return;
    }
    case 0xd8: case 0xd9: case 0xda: case 0xdb: case 0xdc: case 0xdd: case 0xde: case 0xdf: {
      decodeModrm(); if (fault) return;
      if ((cr0 & (CR0_EM | CR0_TS)) != 0) { raise(7, -1); return; }
      fpuExec(op, (mod << 6) | (regf << 3) | rmf, eaSeg, eaOff, o32);
      return;
    }
    case 0xe0: case 0xe1: case 0xe2: case 0xe3: {
      const d = <u32><i32><i8>fetch8(); if (fault) return;
      let c = a32 ? r32(ECX) : r16(ECX);
      if (op == 0xe3) { if (c == 0) jumpTo(eip + d); return; }
      c--;
      let take = c != 0;
      if (op == 0xe0) take = take && !zf();
      else if (op == 0xe1) take = take && zf();
      const save = eip;
      if (take) { jumpTo(eip + d); if (fault) { eip = save; return; } }
      if (a32) w32(ECX, c); else w16(ECX, c);
      return;
    }
    case 0xe4: case 0xe5: {
      const port = fetch8(); if (fault) return;
      const size: u32 = op == 0xe4 ? 1 : osz();
      if (!ioAllowed(port, size)) return;
      setReg(size, EAX, portIn(port, size));
      return;
    }
    case 0xe6: case 0xe7: {
      const port = fetch8(); if (fault) return;
      const size: u32 = op == 0xe6 ? 1 : osz();
      if (!ioAllowed(port, size)) return;
      portOut(port, size, getReg(size, EAX));
      return;
    }
    case 0xec: case 0xed: {
      const port = r16(EDX); const size: u32 = op == 0xec ? 1 : osz();
      if (!ioAllowed(port, size)) return;
      setReg(size, EAX, portIn(port, size));
      return;
    }
    case 0xee: case 0xef: {
      const port = r16(EDX); const size: u32 = op == 0xee ? 1 : osz();
      if (!ioAllowed(port, size)) return;
      portOut(port, size, getReg(size, EAX));
      return;
    }
    case 0xe8: {
      const size = osz();
      const d = fetchImm(size); if (fault) return;
      let t = eip + d;
      if (!o32) t &= 0xffff;
      if (t > segLimit(CS)) { raise(13, 0); return; }
      push(size, eip); if (fault) return;
      eip = t;
      return;
    }
    case 0xe9: { const d = fetchImm(osz()); if (fault) return; jumpTo(eip + d); return; }
    case 0xea: {
      const off = fetchImm(osz()); const sel = fetch16(); if (fault) return;
      farJump(sel, off, o32);
      return;
    }
    case 0xeb: { const d = <u32><i32><i8>fetch8(); if (fault) return; jumpTo(eip + d); return; }
    case 0xf1: interrupt(1, -1, INT_ICEBP); return;
    case 0xf4: {
      if ((cr0 & CR0_PE) != 0 && cpl != 0) { raise(13, 0); return; }
      halted = true; eventFlag = true;
      return;
    }
    case 0xf5: setCF(!getCF()); return;
    case 0xf6: case 0xf7: grp3(op == 0xf6 ? 1 : osz()); return;
    case 0xf8: setCF(false); return;
    case 0xf9: setCF(true); return;
    case 0xfa: if (!ifAllowed()) return; flagsReg &= ~F_IF; return;
    case 0xfb: {
      if (!ifAllowed()) return;
      if ((flagsReg & F_IF) == 0) { intShadow = true; eventFlag = true; }
      flagsReg |= F_IF;
      return;
    }
    case 0xfc: flagsReg &= ~F_DF; return;
    case 0xfd: flagsReg |= F_DF; return;
    case 0xfe: {
      decodeModrm(); if (fault) return;
      if (regf > 1) { raise(6, -1); return; }
      const a = readRMW(1); if (fault) return;
      writeRMW(1, regf == 0 ? inc(a, 7) : dec(a, 7));
      return;
    }
    case 0xff: grp5(); return;
    default:
      raise(6, -1);
      return;
  }
}

@inline function zf(): bool { return cond(4); }

@inline function getOF2(): bool { return cond(0); }
function setZF(z: bool): void { readFlags(); flagsReg = (flagsReg & ~0x40) | (z ? 0x40 : 0); }

function ifAllowed(): bool {
  if ((cr0 & CR0_PE) == 0) return true;
  const pl = <i32>((flagsReg >> 12) & 3);
  if ((flagsReg & F_VM) != 0) { if (pl != 3) { raise(13, 0); return false; } return true; }
  if (cpl > pl) { raise(13, 0); return false; }
  return true;
}

function softInt(v: u32): void {
  if ((flagsReg & F_VM) != 0 && ((flagsReg >> 12) & 3) != 3) { raise(13, 0); return; }
  interrupt(<i32>v, -1, INT_SOFT);
}

function popf(): void {
  const size = osz();
  const vm = (flagsReg & F_VM) != 0;
  const pl = <i32>((flagsReg >> 12) & 3);
  if (vm && pl != 3) { raise(13, 0); return; }
  const v = pop(size); if (fault) return;
  const cur = readFlags();
  let mask: u32 = 0x4dd5 | F_TF | F_AC | F_ID; // arith, TF, DF, NT, AC, ID
  if ((cr0 & CR0_PE) == 0) mask |= F_IOPL | F_IF;
  else {
    if (cpl == 0 && !vm) mask |= F_IOPL;
    if (cpl <= pl) mask |= F_IF;
  }
  if (size == 2) mask &= 0xffff;
  setFlagsRaw((cur & ~mask) | (v & mask));
}

function enter(): void {
  const size = osz();
  const frame = fetch16(); const lvl = fetch8() & 31;
  if (fault) return;
  const mask: u32 = ssB ? 0xffffffff : 0xffff;
  let sp = spGet();
  const bp = ssB ? r32(EBP) : r16(EBP);
  sp = (sp - size) & mask;
  wrMem(size, SS, sp, getReg(size, EBP)); if (fault) return;
  const frameTemp = sp;
  if (lvl > 0) {
    let b = bp;
    for (let i: u32 = 1; i < lvl; i++) {
      b = (b - size) & mask;
      const v = rdMem(size, SS, b); if (fault) return;
      sp = (sp - size) & mask;
      wrMem(size, SS, sp, v); if (fault) return;
    }
    sp = (sp - size) & mask;
    wrMem(size, SS, sp, frameTemp); if (fault) return;
  }
  sp = (sp - frame) & mask;
  // the new stack top must be writable (SDM: #SS if it would exceed the limit)
  if (frame != 0) { rdMem(1, SS, sp); if (fault) return; }
  if (size == 4) w32(EBP, frameTemp); else w16(EBP, frameTemp);
  spSet(sp);
}

function grp3(size: u32): void {
  decodeModrm(); if (fault) return;
  const top = size * 8 - 1;
  switch (regf) {
    case 0: case 1: {
      const a = readRM(size); if (fault) return;
      const b = fetchImm(size); if (fault) return;
      alu(4, a, b, top);
      return;
    }
    case 2: { const a = readRMW(size); if (fault) return; writeRMW(size, ~a & maskOf(top)); return; }
    case 3: {
      const a = readRMW(size); if (fault) return;
      const r = alu(5, 0, a, top);
      writeRMW(size, r);
      return;
    }
    case 4: case 5: { const a = readRM(size); if (fault) return; mulOp(regf == 5, size, a); return; }
    default: { const a = readRM(size); if (fault) return; divOp(regf == 7, size, a); return; }
  }
}

function grp5(): void {
  decodeModrm(); if (fault) return;
  const size = osz();
  switch (regf) {
    case 0: case 1: {
      const a = readRMW(size); if (fault) return;
      writeRMW(size, regf == 0 ? inc(a, size * 8 - 1) : dec(a, size * 8 - 1));
      return;
    }
    case 2: {
      const t0 = readRM(size); if (fault) return;
      const t = o32 ? t0 : t0 & 0xffff;
      if (t > segLimit(CS)) { raise(13, 0); return; }
      push(size, eip); if (fault) return;
      eip = t;
      return;
    }
    case 3: case 5: {
      if (mod == 3) { raise(6, -1); return; }
      const off = rdMem(size, eaSeg, eaOff), sel = rd16(eaSeg, eaNext(size));
      if (fault) return;
      if (regf == 3) farCall(sel, off, o32); else farJump(sel, off, o32);
      return;
    }
    case 4: { const t = readRM(size); if (fault) return; jumpTo(t); return; }
    case 6: { const v = readRM(size); if (fault) return; push(size, v); return; }
    default: raise(6, -1); return;
  }
}

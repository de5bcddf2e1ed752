// Integer ALU of the Bulkhead core: the eight group-1 operations, INC/DEC, group-2 shifts and
// rotates, double shifts (SHLD/SHRD), and the BCD adjusts, with EFLAGS per the "Flags
// Affected" sections of the Intel SDM Vol. 2. `top` is the operand's sign bit: 7, 15 or 31.
import { flagsReg, F_CF, F_PF, F_AF, F_ZF, F_SF, F_OF, r8, w8, r16, w16, EAX } from './state';
import { lazyMask } from './flags';
import {
  setLazy, setLazyArith, OP_ADD, OP_ADC, OP_SUB, OP_SBB, OP_LOGIC, OP_INC, OP_DEC, getCF, getAF, foldCF,
  readFlags, setResFlags,
} from './flags';

@inline export function maskOf(top: u32): u32 { return top == 31 ? 0xffffffff : ((<u32>1 << (top + 1)) - 1); }

/** Group-1 operation `op` (ADD OR ADC SBB AND SUB XOR CMP); returns the masked result. */
export function alu(op: u32, a: u32, b: u32, top: u32): u32 {
  const m = maskOf(top);
  let r: u32;
  switch (op) {
    case 0: r = (a + b) & m; setLazyArith(OP_ADD, a, b, r, top); break;
    case 1: r = a | b; setLazyArith(OP_LOGIC, a, b, r, top); break;
    case 2: { const c = getCF(); r = (a + b + (c ? 1 : 0)) & m; setLazyArith(c ? OP_ADC : OP_ADD, a, b, r, top); break; }
    case 3: { const c = getCF(); r = (a - b - (c ? 1 : 0)) & m; setLazyArith(c ? OP_SBB : OP_SUB, a, b, r, top); break; }
    case 4: r = a & b; setLazyArith(OP_LOGIC, a, b, r, top); break;
    case 5: case 7: r = (a - b) & m; setLazyArith(OP_SUB, a, b, r, top); break;
    default: r = a ^ b; setLazyArith(OP_LOGIC, a, b, r, top); break;
  }
  return r;
}
/** 32-bit group-1 operation with the common cases inline (ADC/SBB go through alu()). */
@inline export function alu32(op: u32, a: u32, b: u32): u32 {
  let r: u32;
  if (op == 0) { r = a + b; setLazyArith(OP_ADD, a, b, r, 31); }
  else if (op == 5 || op == 7) { r = a - b; setLazyArith(OP_SUB, a, b, r, 31); }
  else if (op == 6) { r = a ^ b; setLazyArith(OP_LOGIC, a, b, r, 31); }
  else if (op == 4) { r = a & b; setLazyArith(OP_LOGIC, a, b, r, 31); }
  else if (op == 1) { r = a | b; setLazyArith(OP_LOGIC, a, b, r, 31); }
  else r = alu(op, a, b, 31);
  return r;
}
/** 16-bit group-1 operation, alu32's counterpart (ADC/SBB go through alu()). */
@inline export function alu16(op: u32, a: u32, b: u32): u32 {
  let r: u32;
  if (op == 0) { r = (a + b) & 0xffff; setLazyArith(OP_ADD, a, b, r, 15); }
  else if (op == 5 || op == 7) { r = (a - b) & 0xffff; setLazyArith(OP_SUB, a, b, r, 15); }
  else if (op == 6) { r = a ^ b; setLazyArith(OP_LOGIC, a, b, r, 15); }
  else if (op == 4) { r = a & b; setLazyArith(OP_LOGIC, a, b, r, 15); }
  else if (op == 1) { r = a | b; setLazyArith(OP_LOGIC, a, b, r, 15); }
  else r = alu(op, a, b, 15);
  return r;
}
@inline export function inc16(a: u32): u32 { if ((lazyMask & F_CF) != 0) foldCF(); const r = (a + 1) & 0xffff; setLazy(OP_INC, a, 1, r, 15); return r; }
@inline export function dec16(a: u32): u32 { if ((lazyMask & F_CF) != 0) foldCF(); const r = (a - 1) & 0xffff; setLazy(OP_DEC, a, 1, r, 15); return r; }
@inline export function inc32(a: u32): u32 { if ((lazyMask & F_CF) != 0) foldCF(); const r = a + 1; setLazy(OP_INC, a, 1, r, 31); return r; }
@inline export function dec32(a: u32): u32 { if ((lazyMask & F_CF) != 0) foldCF(); const r = a - 1; setLazy(OP_DEC, a, 1, r, 31); return r; }
export function inc(a: u32, top: u32): u32 { foldCF(); const r = (a + 1) & maskOf(top); setLazy(OP_INC, a, 1, r, top); return r; }
export function dec(a: u32, top: u32): u32 { foldCF(); const r = (a - 1) & maskOf(top); setLazy(OP_DEC, a, 1, r, top); return r; }

@inline function setFl(mask: u32, v: u32): void { flagsReg = (flagsReg & ~mask) | (v & mask); }

/** Group-2: ROL ROR RCL RCR SHL SHR SAL SAR. `count` already masked to 5 bits. */
export function shift(op: u32, v: u32, count: u32, top: u32): u32 {
  if (count == 0) return v;
  const bits = top + 1;
  const m = maskOf(top);
  v &= m;
  if (op < 4) {
    // rotates change only CF and OF: keep the other flags lazy
    const c = getCF();
    flagsReg = (flagsReg & ~F_CF) | (c ? F_CF : 0);
    lazyMask &= ~(F_CF | F_OF);
  } else {
    // shifts rewrite every arithmetic flag (AF undefined): drop the lazy record
    lazyMask = 0;
  }
  let r: u32 = 0;
  let cf: u32 = 0, ovf: u32 = 0;
  switch (op) {
    case 0: { // ROL
      const c = count & top;
      r = c == 0 ? v : ((v << c) | (v >>> (bits - c))) & m;
      cf = r & 1; ovf = ((r >>> top) & 1) ^ cf;
      setFl(F_CF | F_OF, cf | (ovf << 11));
      return r;
    }
    case 1: { // ROR
      const c = count & top;
      r = c == 0 ? v : ((v >>> c) | (v << (bits - c))) & m;
      cf = (r >>> top) & 1; ovf = cf ^ ((r >>> (top - 1)) & 1);
      setFl(F_CF | F_OF, cf | (ovf << 11));
      return r;
    }
    case 2: { // RCL
      const c = count % (bits + 1);
      const cin: u64 = (flagsReg & F_CF) as u64;
      const wide: u64 = ((cin << bits) | <u64>v);
      const n = bits + 1;
      const rot: u64 = c == 0 ? wide : ((wide << c) | (wide >> (n - c))) & ((<u64>1 << n) - 1);
      r = <u32>(rot & <u64>m);
      cf = <u32>(rot >> bits) & 1;
      ovf = ((r >>> top) & 1) ^ cf;
      setFl(F_CF | F_OF, cf | (ovf << 11));
      return r;
    }
    case 3: { // RCR
      const c = count % (bits + 1);
      const cin: u64 = (flagsReg & F_CF) as u64;
      const wide: u64 = ((cin << bits) | <u64>v);
      const n = bits + 1;
      const rot: u64 = c == 0 ? wide : ((wide >> c) | (wide << (n - c))) & ((<u64>1 << n) - 1);
      r = <u32>(rot & <u64>m);
      cf = <u32>(rot >> bits) & 1;
      ovf = ((r >>> top) ^ (r >>> (top - 1))) & 1;
      setFl(F_CF | F_OF, cf | (ovf << 11));
      return r;
    }
    case 4: case 6: { // SHL/SAL
      const w: u64 = <u64>v << count;
      r = <u32>w & m;
      cf = <u32>(w >> bits) & 1;
      ovf = ((r >>> top) & 1) ^ cf;
      setFl(F_CF | F_OF | F_AF, cf | (ovf << 11) | F_AF);
      setResFlags(r, top);
      return r;
    }
    case 5: { // SHR
      r = count >= 32 ? 0 : v >>> count;
      cf = count > bits ? 0 : (v >>> (count - 1)) & 1;
      ovf = count == 1 ? (v >>> top) & 1 : 0; // OF of the last 1-bit step (SDM: defined for 1)
      setFl(F_CF | F_OF | F_AF, cf | (ovf << 11) | F_AF);
      setResFlags(r, top);
      return r;
    }
    default: { // SAR
      const sv: i32 = (<i32>(v << (31 - top))) >> (31 - top);
      const c = count > 31 ? 31 : count;
      r = <u32>(sv >> c) & m;
      cf = <u32>(sv >> (c - 1)) & 1;
      setFl(F_CF | F_OF | F_AF, cf | F_AF);
      setResFlags(r, top);
      return r;
    }
  }
}

/** SHLD/SHRD: count masked to 5 bits by the caller; `left` for SHLD. */
export function shiftDouble(left: bool, dst: u32, src: u32, count: u32, top: u32): u32 {
  if (count == 0) return dst;
  const bits = top + 1;
  const m = maskOf(top);
  dst &= m; src &= m;
  lazyMask = 0; // CF OF SF ZF PF rewritten, AF undefined
  let r: u32, cf: u32;
  if (bits == 16) {
    // 16-bit with count > 16: Intel leaves the result undefined; use the 32-bit concatenation
    if (left) {
      const w: u64 = (<u64>dst << 48) | (<u64>src << 32) | (<u64>dst << 16);
      const s = w << count;
      r = <u32>(s >> 48) & 0xffff;
      cf = <u32>(w >> (64 - count)) & 1;
    } else {
      const w: u64 = (<u64>dst << 32) | (<u64>src << 16) | <u64>dst;
      const s = w >> count;
      r = <u32>(s & 0xffff);
      cf = <u32>(w >> (count - 1)) & 1;
    }
  } else {
    if (left) {
      const w: u64 = (<u64>dst << 32) | <u64>src;
      r = <u32>((w << count) >> 32);
      cf = <u32>(w >> (64 - count)) & 1;
    } else {
      const w: u64 = (<u64>src << 32) | <u64>dst;
      r = <u32>(w >> count);
      cf = <u32>(w >> (count - 1)) & 1;
    }
  }
  const ovf = ((r ^ dst) >>> top) & 1;
  setFl(F_CF | F_OF, cf | (ovf << 11));
  setResFlags(r, top);
  return r;
}

export function daa(): void {
  const al = r8(0);
  const oldCf = getCF(), af = getAF();
  let nal = al, cf = false, naf = false;
  if ((al & 0xf) > 9 || af) { nal = (al + 6) & 0xff; cf = oldCf || al + 6 > 0xff; naf = true; }
  if (al > 0x99 || oldCf) { nal = (nal + 0x60) & 0xff; cf = true; }
  w8(0, nal);
  readFlags();
  setFl(F_CF | F_AF | F_OF, (cf ? F_CF : 0) | (naf ? F_AF : 0));
  setResFlags(nal, 7);
}
export function das(): void {
  const al = r8(0);
  const oldCf = getCF(), af = getAF();
  let nal = al, cf = false, naf = false;
  if ((al & 0xf) > 9 || af) { nal = (al - 6) & 0xff; cf = oldCf || al < 6; naf = true; }
  if (al > 0x99 || oldCf) { nal = (nal - 0x60) & 0xff; cf = true; }
  w8(0, nal);
  readFlags();
  setFl(F_CF | F_AF | F_OF, (cf ? F_CF : 0) | (naf ? F_AF : 0));
  setResFlags(nal, 7);
}
export function aaa(): void {
  const ax = r16(EAX);
  const af = getAF();
  readFlags();
  if ((ax & 0xf) > 9 || af) {
    const n = ax + 0x106;
    w16(EAX, n & 0xff0f);
    setFl(F_CF | F_AF, F_CF | F_AF);
  } else {
    w16(EAX, ax & 0xff0f);
    setFl(F_CF | F_AF, 0);
  }
  setResFlags(r8(0), 7);
}
export function aas(): void {
  const ax = r16(EAX);
  const af = getAF();
  readFlags();
  if ((ax & 0xf) > 9 || af) {
    const al = (ax - 6) & 0xff;
    const ah = ((ax >> 8) - 1 - ((ax & 0xff) < 6 ? 1 : 0)) & 0xff;
    w16(EAX, (ah << 8) | (al & 0xf));
    setFl(F_CF | F_AF, F_CF | F_AF);
  } else {
    w16(EAX, ax & 0xff0f);
    setFl(F_CF | F_AF, 0);
  }
  setResFlags(r8(0), 7);
}
export function aam(imm: u32): void {
  const al = r8(0);
  const ah = al / imm, nal = al % imm;
  w16(EAX, (ah << 8) | nal);
  readFlags();
  setFl(F_CF | F_AF | F_OF, 0);
  setResFlags(nal, 7);
}
export function aad(imm: u32): void {
  const al = r8(0), ah = r8(4);
  const t = (ah * imm) & 0xff;
  const r = (al + t) & 0xff;
  w16(EAX, r);
  setLazy(OP_ADD, al, t, r, 7);
}

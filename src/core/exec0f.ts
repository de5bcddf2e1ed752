// Two-byte (0F xx) opcode map of the Bulkhead core (Intel SDM Vol. 2 Appendix A, Table A-3):
// system instructions (descriptor tables, LDT/TR, control/debug registers, LAR/LSL/VERR/VERW),
// 386 bit operations and double shifts, 486 BSWAP/CMPXCHG/XADD/INVLPG, Pentium CPUID/RDTSC/
// RDMSR/WRMSR/CMPXCHG8B, P6 CMOVcc/SYSENTER/SYSEXIT/UD2 and the long-NOP.
import {
  EAX, ECX, EDX, EBX, ESP, ES, CS, SS, DS, FS, GS, LDTR, TR, F_VM, F_IF, F_RF, CR0_PE, CR0_PG,
  CR0_WP, CR0_TS, CR0_NW, CR0_CD, CR0_ET, CR4_DE, CR4_TSD, CR4_PSE, CR4_PGE, cr0, cr2, cr3, cr4, cpl,
  eip, flagsReg, r8, w8, r16, w16, r32, w32, segSel, segAttr, segBase, segLimit, gdtrBase, gdtrLimit,
  idtrBase, idtrLimit, setCpl, setSegCache, A_VALID, A_P, A_S, A_DB, A_G, dr, sysenterCs,
  sysenterEsp, sysenterEip, instrCount, sliceStart, tscOffset, lastTsc, sliceCount,
} from './state';
import {
  fault, raise, fetch8, fetch16, rd16, rd32, wr16, wr32, tlbFlushAll, tlbFlushNonGlobal, tlbInvlpg,
  segLinWrite, linProbeWrite, linRd32, linWr32,
} from './mem';
import {
  o32, a32, mod, regf, rmf, eaSeg, eaOff, decodeModrm, getReg, setReg, readRM, writeRM, readRMW,
  writeRMW, fetchImm, push, pop, peekPop, popCommit, rdMem, wrMem, eaNext,
} from './decode';
import { alu, shiftDouble, maskOf } from './alu';
import { readFlags, setResFlags, clearLazy, getZF } from './flags';
import { cond, condFast, jumpTo, imul2 } from './ops';
import { loadSeg, readDesc, descLo, descHi, dDpl, dPresent, dIsCode, dConforming, dBase, dLimit, dAttr, markAccessed } from './seg';
import { fpuPresentLink } from './fpu-link';
import { hostTscNow } from './host';

const F_ZFb: u32 = 0x40;
function setZF(z: bool): void { readFlags(); flagsReg = (flagsReg & ~F_ZFb) | (z ? F_ZFb : 0); }
function protOnly(): bool {
  if ((cr0 & CR0_PE) == 0 || (flagsReg & F_VM) != 0) { raise(6, -1); return false; }
  return true;
}
function cpl0(): bool {
  if ((cr0 & CR0_PE) != 0 && (cpl != 0 || (flagsReg & F_VM) != 0)) { raise(13, 0); return false; }
  return true;
}
@inline function osz(): u32 { return o32 ? 4 : 2; }

export function exec0f(): void {
  const op = fetch8(); if (fault) return;
  switch (op) {
    case 0x00: grp6(); return;
    case 0x01: grp7(); return;
    case 0x02: case 0x03: larLsl(op == 0x03); return;
    case 0x06: if (!cpl0()) return; cr0 &= ~CR0_TS; return;
    case 0x08: case 0x09: cpl0(); return;
    case 0x0b: raise(6, -1); return;
    case 0x18: case 0x19: case 0x1a: case 0x1b: case 0x1c: case 0x1d: case 0x1e: case 0x1f:
      decodeModrm(); return; // hint NOPs (P6 long NOP)
    case 0x20: case 0x21: case 0x22: case 0x23: movCrDr(op); return;
    case 0x30: wrmsr(); return;
    case 0x31: rdtsc(); return;
    case 0x32: rdmsr(); return;
    case 0x34: sysenter(); return;
    case 0x35: sysexit(); return;
    case 0x40: case 0x41: case 0x42: case 0x43: case 0x44: case 0x45: case 0x46: case 0x47:
    case 0x48: case 0x49: case 0x4a: case 0x4b: case 0x4c: case 0x4d: case 0x4e: case 0x4f: {
      decodeModrm(); if (fault) return;
      const v = readRM(osz()); if (fault) return;
      if (cond(op & 15)) setReg(osz(), regf, v);
      return;
    }
    case 0x80: case 0x81: case 0x82: case 0x83: case 0x84: case 0x85: case 0x86: case 0x87:
    case 0x88: case 0x89: case 0x8a: case 0x8b: case 0x8c: case 0x8d: case 0x8e: case 0x8f: {
      const d = fetchImm(osz()); if (fault) return;
      const dd = o32 ? d : <u32><i32><i16>d;
      if (condFast(op & 15)) jumpTo(eip + dd);
      return;
    }
    case 0x90: case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97:
    case 0x98: case 0x99: case 0x9a: case 0x9b: case 0x9c: case 0x9d: case 0x9e: case 0x9f:
      decodeModrm(); if (fault) return; writeRM(1, cond(op & 15) ? 1 : 0); return;
    case 0xa0: push(osz(), segSel(FS)); return;
    case 0xa8: push(osz(), segSel(GS)); return;
    case 0xa1: case 0xa9: {
      const v = peekPop(osz(), 0); if (fault) return;
      if (!loadSeg(op == 0xa1 ? FS : GS, v & 0xffff)) return;
      popCommit(osz());
      return;
    }
    case 0xa2: cpuid(); return;
    case 0xa3: case 0xab: case 0xb3: case 0xbb: bitOp(op, false); return;
    case 0xba: bitOp(op, true); return;
    case 0xa4: case 0xa5: case 0xac: case 0xad: {
      const size = osz();
      decodeModrm(); if (fault) return;
      let cnt: u32 = (op & 1) == 0 ? fetch8() : r8(ECX);
      if (fault) return;
      cnt &= 31;
      const a = readRMW(size); if (fault) return;
      if (cnt == 0) return;
      writeRMW(size, shiftDouble(op < 0xa8, a, getReg(size, regf), cnt, size * 8 - 1));
      return;
    }
    case 0xaf: {
      const size = osz();
      decodeModrm(); if (fault) return;
      const b = readRM(size); if (fault) return;
      setReg(size, regf, imul2(getReg(size, regf), b, size));
      return;
    }
    case 0xb0: case 0xb1: {
      const size: u32 = op == 0xb1 ? osz() : 1;
      decodeModrm(); if (fault) return;
      const d = readRMW(size); if (fault) return;
      const acc = getReg(size, EAX);
      alu(7, acc, d, size * 8 - 1);
      if (acc == d) writeRMW(size, getReg(size, regf));
      else { writeRMW(size, d); if (fault) return; setReg(size, EAX, d); }
      return;
    }
    case 0xb2: case 0xb4: case 0xb5: {
      decodeModrm(); if (fault) return;
      if (mod == 3) { raise(6, -1); return; }
      const size = osz();
      const off = rdMem(size, eaSeg, eaOff), sel = rd16(eaSeg, eaNext(size));
      if (fault) return;
      if (!loadSeg(op == 0xb2 ? SS : op == 0xb4 ? FS : GS, sel)) return;
      setReg(size, regf, off);
      return;
    }
    case 0xb6: case 0xb7: case 0xbe: case 0xbf: {
      decodeModrm(); if (fault) return;
      const byte = (op & 1) == 0;
      let v = readRM(byte ? 1 : 2); if (fault) return;
      if (op >= 0xbe) v = byte ? <u32><i32><i8>v : <u32><i32><i16>v;
      setReg(osz(), regf, v);
      return;
    }
    case 0xbc: case 0xbd: {
      const size = osz();
      decodeModrm(); if (fault) return;
      const v = readRM(size); if (fault) return;
      if (v == 0) { setZF(true); return; }
      readFlags();
      const idx: u32 = op == 0xbc ? ctz<u32>(v) : 31 - clz<u32>(v);
      setReg(size, regf, idx);
      setResFlags(1, 31); // ZF=0
      return;
    }
    case 0xc0: case 0xc1: {
      const size: u32 = op == 0xc1 ? osz() : 1;
      decodeModrm(); if (fault) return;
      const d = readRMW(size); if (fault) return;
      const s = getReg(size, regf);
      const r = alu(0, d, s, size * 8 - 1);
      writeRMW(size, r); if (fault) return;
      setReg(size, regf, d);
      if (mod == 3) setReg(size, rmf, r);
      return;
    }
    case 0xc7: {
      decodeModrm(); if (fault) return;
      if (regf != 1 || mod == 3) { raise(6, -1); return; }
      const lin = segLinWrite(eaSeg, eaOff, 8); if (fault) return;
      if (!linProbeWrite(lin, 8)) return;
      const lo = linRd32(lin), hi = linRd32(lin + 4);
      if (fault) return;
      if (lo == r32(EAX) && hi == r32(EDX)) {
        linWr32(lin, r32(EBX)); linWr32(lin + 4, r32(ECX));
        setZF(true);
      } else {
        linWr32(lin, lo); linWr32(lin + 4, hi);
        if (fault) return;
        w32(EAX, lo); w32(EDX, hi);
        setZF(false);
      }
      return;
    }
    case 0xc8: case 0xc9: case 0xca: case 0xcb: case 0xcc: case 0xcd: case 0xce: case 0xcf: {
      const r = op & 7;
      if (o32) w32(r, bswap<u32>(r32(r))); else w16(r, 0);
      return;
    }
    default:
      raise(6, -1);
      return;
  }
}

// ---- descriptor-table instructions ----------------------------------------------------------
function grp6(): void {
  if (!protOnly()) return;
  decodeModrm(); if (fault) return;
  switch (regf) {
    case 0: case 1: {
      const v = segSel(regf == 0 ? LDTR : TR);
      if (mod == 3) setReg(osz(), rmf, v); else wrMem(2, eaSeg, eaOff, v);
      return;
    }
    case 2: { // LLDT
      if (!cpl0()) return;
      const sel = readRM(2); if (fault) return;
      if ((sel & 0xfffc) == 0) { setSegCache(LDTR, sel, 0, 0, 0); return; }
      if ((sel & 4) != 0) { raise(13, <i32>(sel & 0xfffc)); return; }
      if (!readDesc(sel)) { if (!fault) raise(13, <i32>(sel & 0xfffc)); return; }
      if (((descHi >>> 8) & 0x1f) != 2) { raise(13, <i32>(sel & 0xfffc)); return; }
      if (!dPresent(descHi)) { raise(11, <i32>(sel & 0xfffc)); return; }
      setSegCache(LDTR, sel, dBase(descLo, descHi), dLimit(descLo, descHi), dAttr(descHi));
      return;
    }
    case 3: { // LTR
      if (!cpl0()) return;
      const sel = readRM(2); if (fault) return;
      if ((sel & 0xfffc) == 0) { raise(13, 0); return; }
      if ((sel & 4) != 0) { raise(13, <i32>(sel & 0xfffc)); return; }
      if (!readDesc(sel)) { if (!fault) raise(13, <i32>(sel & 0xfffc)); return; }
      const t = (descHi >>> 8) & 0x1f;
      if (t != 1 && t != 9) { raise(13, <i32>(sel & 0xfffc)); return; }
      if (!dPresent(descHi)) { raise(11, <i32>(sel & 0xfffc)); return; }
      const hi = descHi | 0x200;
      wr32desc(sel, hi); if (fault) return;
      setSegCache(TR, sel, dBase(descLo, hi), dLimit(descLo, hi), dAttr(hi));
      return;
    }
    case 4: case 5: { // VERR / VERW
      const sel = readRM(2); if (fault) return;
      let ok = false;
      if ((sel & 0xfffc) != 0 && readDesc(sel)) {
        const hi = descHi;
        if ((hi & 0x1000) != 0) {
          const conf = dIsCode(hi) && dConforming(hi);
          const privOk = conf || (dDpl(hi) >= cpl && dDpl(hi) >= <i32>(sel & 3));
          if (regf == 4) ok = privOk && (!dIsCode(hi) || (hi & 0x200) != 0);
          else ok = privOk && !dIsCode(hi) && (hi & 0x200) != 0;
        }
      }
      if (fault) return;
      setZF(ok);
      return;
    }
    default: raise(6, -1); return;
  }
}
function wr32desc(sel: u32, hi: u32): void {
  // busy bit of a GDT descriptor (supervisor access)
  const base = gdtrBase + (sel & 0xfff8) + 4;
  sysWr(base, hi);
}
import { sysWr32 } from './mem';
@inline function sysWr(a: u32, v: u32): void { sysWr32(a, v); }

function grp7(): void {
  decodeModrm(); if (fault) return;
  switch (regf) {
    case 0: case 1: { // SGDT / SIDT
      if (mod == 3) { raise(6, -1); return; }
      const lim = regf == 0 ? gdtrLimit : idtrLimit;
      let base = regf == 0 ? gdtrBase : idtrBase;
      if (!o32) base &= 0xffffff;
      const l2 = segLinWrite(eaSeg, eaOff, 6); if (fault) return;
      if (!linProbeWrite(l2, 6)) return;
      wr16(eaSeg, eaOff, lim); wr32(eaSeg, eaNext(2), base);
      return;
    }
    case 2: case 3: { // LGDT / LIDT
      if (mod == 3) { raise(6, -1); return; }
      if (!cpl0()) return;
      const lim = rd16(eaSeg, eaOff);
      let base = rd32(eaSeg, eaNext(2));
      if (fault) return;
      if (!o32) base &= 0xffffff;
      if (regf == 2) { gdtrBase = base; gdtrLimit = lim; } else { idtrBase = base; idtrLimit = lim; }
      return;
    }
    case 4: { // SMSW
      if (mod == 3) setReg(osz(), rmf, o32 ? cr0 : cr0 & 0xffff);
      else wrMem(2, eaSeg, eaOff, cr0 & 0xffff);
      return;
    }
    case 6: { // LMSW
      if (!cpl0()) return;
      const v = readRM(2); if (fault) return;
      let n = (cr0 & ~0xe) | (v & 0xf);
      n |= cr0 & CR0_PE; // cannot clear PE
      setCr0(n);
      return;
    }
    case 7: { // INVLPG
      if (mod == 3) { raise(6, -1); return; }
      if (!cpl0()) return;
      tlbInvlpg(segBase(eaSeg) + eaOff);
      return;
    }
    default: raise(6, -1); return;
  }
}

function larLsl(lsl: bool): void {
  if (!protOnly()) return;
  decodeModrm(); if (fault) return;
  const sel = readRM(2); if (fault) return;
  let ok = false;
  if ((sel & 0xfffc) != 0 && readDesc(sel)) {
    const hi = descHi;
    const t = (hi >>> 8) & 0x1f;
    if ((t & 0x10) != 0) {
      ok = (dIsCode(hi) && dConforming(hi)) || (dDpl(hi) >= cpl && dDpl(hi) >= <i32>(sel & 3));
    } else {
      const valid = lsl ? (t == 1 || t == 2 || t == 3 || t == 9 || t == 11)
                        : (t == 1 || t == 2 || t == 3 || t == 4 || t == 5 || t == 9 || t == 11 || t == 12);
      ok = valid && dDpl(hi) >= cpl && dDpl(hi) >= <i32>(sel & 3);
    }
  }
  if (fault) return;
  if (ok) {
    const v = lsl ? dLimit(descLo, descHi) : descHi & 0x00f0ff00;
    setReg(osz(), regf, o32 ? v : v & 0xffff);
  }
  setZF(ok);
}

// ---- control / debug registers -------------------------------------------------------------
export function setCr0(v: u32): bool {
  v |= CR0_ET;
  if ((v & CR0_PG) != 0 && (v & CR0_PE) == 0) { raise(13, 0); return false; }
  if ((v & CR0_NW) != 0 && (v & CR0_CD) == 0) { raise(13, 0); return false; }
  const changed = v ^ cr0;
  cr0 = v;
  if ((changed & (CR0_PG | CR0_WP | CR0_PE)) != 0) tlbFlushAll();
  if ((changed & CR0_PE) != 0 && (v & CR0_PE) == 0) setCpl(0);
  return true;
}
function movCrDr(op: u32): void {
  const m = fetch8(); if (fault) return;
  const reg = (m >> 3) & 7, rm = m & 7;
  if (!cpl0()) return;
  switch (op) {
    case 0x20: {
      let v: u32;
      if (reg == 0) v = cr0; else if (reg == 2) v = cr2; else if (reg == 3) v = cr3; else if (reg == 4) v = cr4;
      else { raise(6, -1); return; }
      w32(rm, v);
      return;
    }
    case 0x22: {
      const v = r32(rm);
      if (reg == 0) { setCr0(v); return; }
      if (reg == 2) { cr2 = v; return; }
      if (reg == 3) { cr3 = v & 0xfffff018; if ((cr0 & CR0_PG) != 0) tlbFlushNonGlobal(); return; }
      if (reg == 4) {
        if ((v & ~(CR4_TSD | CR4_DE | CR4_PSE | CR4_PGE)) != 0) { raise(13, 0); return; }
        const ch = v ^ cr4;
        cr4 = v;
        if ((ch & (CR4_PSE | CR4_PGE)) != 0) tlbFlushAll();
        return;
      }
      raise(6, -1);
      return;
    }
    case 0x21: {
      let r = reg;
      if (r == 4 || r == 5) { if ((cr4 & CR4_DE) != 0) { raise(6, -1); return; } r += 2; }
      let v = dr[r];
      if (r == 6) v |= 0xffff0ff0; else if (r == 7) v |= 0x400;
      w32(rm, v);
      return;
    }
    default: {
      let r = reg;
      if (r == 4 || r == 5) { if ((cr4 & CR4_DE) != 0) { raise(6, -1); return; } r += 2; }
      dr[r] = r32(rm);
      return;
    }
  }
}

// ---- bit operations ---------------------------------------------------------------------------
function bitOp(op: u32, imm: bool): void {
  const size = osz();
  decodeModrm(); if (fault) return;
  let kind: u32; // 0 BT 1 BTS 2 BTR 3 BTC
  if (imm) { if (regf < 4) { raise(6, -1); return; } kind = regf - 4; }
  else kind = op == 0xa3 ? 0 : op == 0xab ? 1 : op == 0xb3 ? 2 : 3;
  let bit: u32;
  let off = eaOff;
  if (imm) { bit = fetch8(); if (fault) return; bit &= size * 8 - 1; }
  else {
    const b = getReg(size, regf);
    if (mod != 3) {
      const sb: i32 = size == 2 ? <i32><i16>b : <i32>b;
      off += <u32>((sb >> (size == 2 ? 4 : 5)) * <i32>size);
      if (!a32) off &= 0xffff;
    }
    bit = b & (size * 8 - 1);
  }
  let v: u32;
  if (mod == 3) v = getReg(size, rmf);
  else if (kind == 0) { v = rdMem(size, eaSeg, off); if (fault) return; }
  else {
    const lin = segLinWrite(eaSeg, off, size); if (fault) return;
    if (!linProbeWrite(lin, size)) return;
    v = rdMem(size, eaSeg, off); if (fault) return;
  }
  const cf = (v >> bit) & 1;
  readFlags();
  flagsReg = (flagsReg & ~1) | cf;
  if (kind == 0) return;
  let r = v;
  if (kind == 1) r |= 1 << bit; else if (kind == 2) r &= ~(1 << bit); else r ^= 1 << bit;
  if (mod == 3) setReg(size, rmf, r); else wrMem(size, eaSeg, off, r);
}

// ---- CPUID / MSR / TSC / SYSENTER -------------------------------------------------------------
export function cpuid(): void {
  const leaf = r32(EAX);
  let a: u32 = 0, b: u32 = 0, c: u32 = 0, d: u32 = 0;
  if (leaf == 0 || (leaf > 2 && leaf < 0x80000000)) {
    a = 2; b = 0x756e6547; d = 0x49656e69; c = 0x6c65746e; // "GenuineIntel"
  }
  if (leaf == 1) {
    a = 0x00000633; // family 6, model 3, stepping 3
    d = (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 8) | (1 << 11) | (1 << 13) | (1 << 15);
    if (fpuPresentLink()) d |= 1;
  } else if (leaf == 2) {
    a = 0x00000001; // one iteration, no cache descriptors
  }
  w32(EAX, a); w32(EBX, b); w32(ECX, c); w32(EDX, d);
}

/** Raw TSC source: the live platform clock in ticks, or retired instructions without a source. */
export function rawTsc(): f64 {
  const h = hostTscNow();
  return h >= 0 ? Math.floor(h) : instrCount + <f64>sliceCount;
}
/** IA32_TSC: raw source plus the WRMSR/reset offset, forced strictly monotonic. */
export function currentTsc(): f64 {
  let t = rawTsc() + tscOffset;
  if (t <= lastTsc) t = lastTsc + 1;
  lastTsc = t;
  return t;
}
function rdtsc(): void {
  if ((cr4 & CR4_TSD) != 0 && cpl != 0 && (cr0 & CR0_PE) != 0) { raise(13, 0); return; }
  const t = <u64>currentTsc();
  w32(EAX, <u32>t); w32(EDX, <u32>(t >> 32));
}
function rdmsr(): void {
  if (!cpl0()) return;
  const m = r32(ECX);
  let v: u64 = 0;
  switch (m) {
    case 0x10: v = <u64>currentTsc(); break;
    case 0x174: v = sysenterCs; break;
    case 0x175: v = sysenterEsp; break;
    case 0x176: v = sysenterEip; break;
    case 0x17: case 0x2a: case 0x8b: v = 0; break;
    default: raise(13, 0); return;
  }
  w32(EAX, <u32>v); w32(EDX, <u32>(v >> 32));
}
function wrmsr(): void {
  if (!cpl0()) return;
  const m = r32(ECX);
  const v = r32(EAX);
  switch (m) {
    case 0x10: {
      const want = <f64>((<u64>r32(EDX) << 32) | <u64>v);
      const cur = currentTsc();
      tscOffset += want - cur;
      lastTsc = want - 1;
      return;
    }
    case 0x174: sysenterCs = v & 0xffff; return;
    case 0x175: sysenterEsp = v; return;
    case 0x176: sysenterEip = v; return;
    case 0x8b: return;
    default: raise(13, 0); return;
  }
}
const FLAT_CODE: u32 = A_VALID | A_P | A_S | 0xb | A_DB | A_G;
const FLAT_DATA: u32 = A_VALID | A_P | A_S | 0x3 | A_DB | A_G;
function sysenter(): void {
  if ((cr0 & CR0_PE) == 0 || (sysenterCs & 0xfffc) == 0) { raise(13, 0); return; }
  readFlags();
  flagsReg &= ~(F_VM | F_IF | F_RF);
  setCpl(0);
  setSegCache(CS, sysenterCs & 0xfffc, 0, 0xffffffff, FLAT_CODE);
  setSegCache(SS, (sysenterCs + 8) & 0xfffc, 0, 0xffffffff, FLAT_DATA);
  w32(ESP, sysenterEsp);
  eip = sysenterEip;
}
function sysexit(): void {
  if ((cr0 & CR0_PE) == 0 || cpl != 0 || (sysenterCs & 0xfffc) == 0 || (flagsReg & F_VM) != 0) { raise(13, 0); return; }
  setCpl(3);
  setSegCache(CS, ((sysenterCs + 16) & 0xfffc) | 3, 0, 0xffffffff, FLAT_CODE | 0x60);
  setSegCache(SS, ((sysenterCs + 24) & 0xfffc) | 3, 0, 0xffffffff, FLAT_DATA | 0x60);
  w32(ESP, r32(ECX));
  eip = r32(EDX);
}

// Per-instruction decode state of the Bulkhead core: prefixes, ModRM/SIB effective-address
// computation (16- and 32-bit addressing, Intel SDM Vol. 2 2.1.5 tables 2-1..2-3), operand
// accessors by size, and the SS stack push/pop used by ordinary instructions.
import {
  ESP, EBP, ESI, EDI, EBX, SS, DS, r8, w8, r16, w16, r32, w32, ssB, o32, a32, flatMask, tlbWr,
  TLB_INFO, TLB_HOST,
} from './state';
export { o32, a32 };
import {
  fault, rd8, rd16, rd32, wr8, wr16, wr32, segLinWrite, linProbeWrite, linRd8, linRd16, linRd32,
  linWr8, linWr16, linWr32, fetch8, fetch16, fetch32, segLinRead, raise,
} from './mem';

export let segOv: i32 = -1;
export let rep: u32 = 0;       // 0, 0xf2 or 0xf3
export let lockP: bool = false;
export let modrm: u32 = 0;
export let mod: u32 = 0;
export let regf: u32 = 0;
export let rmf: u32 = 0;
export let eaSeg: i32 = DS;
export let eaOff: u32 = 0;
let rmwLin: u32 = 0;

@inline export function dseg(): i32 { return segOv >= 0 ? segOv : DS; }

/** Read the ModRM byte (and SIB/displacement) and compute the effective address. */
@inline export function decodeModrm(): void { decodeModrmByte(fetch8()); }

/** decodeModrm for a ModRM byte m already fetched (the rest of the operand follows at EIP). */
@inline export function decodeModrmByte(m: u32): void {
  modrm = m; mod = m >> 6; regf = (m >> 3) & 7; rmf = m & 7;
  if (m < 0xc0) {
    if (a32 && (m & 7) != 4 && (m & 0xc7) != 5) {
      // 32-bit [base + disp]: the common case, inline
      let off = r32(m & 7);
      if ((m >> 6) == 1) off += <u32><i32><i8>fetch8();
      else if ((m >> 6) == 2) off += fetch32();
      eaOff = off;
      eaSeg = segOv >= 0 ? segOv : ((m & 7) == 5 ? SS : DS);
    } else decodeEA();
  }
}

/** decodeModrm for 16-bit code (hot16): [SI] [DI] [BP] [BX] (+disp8/disp16) inline. */
@inline export function decodeModrm16(): void {
  const m = fetch8();
  modrm = m; mod = m >> 6; regf = (m >> 3) & 7; rmf = m & 7;
  if (m < 0xc0) {
    if (!a32 && (m & 4) != 0 && (m & 0xc7) != 6) {
      const r = m & 7; // 4 SI, 5 DI, 6 BP (SS), 7 BX
      let off = r16(r == 4 ? ESI : r == 5 ? EDI : r == 6 ? EBP : EBX);
      if ((m >> 6) == 1) off += <u32><i32><i8>fetch8();
      else if ((m >> 6) == 2) off += fetch16();
      eaOff = off & 0xffff;
      eaSeg = segOv >= 0 ? segOv : (r == 6 ? SS : DS);
    } else decodeEA();
  }
}

/** Effective address of a memory ModRM operand (mod != 3). */
function decodeEA(): void {
  if (!a32) {
    let off: u32 = 0, seg: i32 = DS;
    switch (rmf) {
      case 0: off = r16(EBX) + r16(ESI); break;
      case 1: off = r16(EBX) + r16(EDI); break;
      case 2: off = r16(EBP) + r16(ESI); seg = SS; break;
      case 3: off = r16(EBP) + r16(EDI); seg = SS; break;
      case 4: off = r16(ESI); break;
      case 5: off = r16(EDI); break;
      case 6: if (mod == 0) off = fetch16(); else { off = r16(EBP); seg = SS; } break;
      default: off = r16(EBX); break;
    }
    if (mod == 1) off += <u32><i32><i8>fetch8();
    else if (mod == 2) off += fetch16();
    eaOff = off & 0xffff;
    eaSeg = segOv >= 0 ? segOv : seg;
    return;
  }
  let off: u32 = 0, seg: i32 = DS;
  if (rmf == 4) {
    const sib = fetch8();
    const base = sib & 7, idx = (sib >> 3) & 7, sc = sib >> 6;
    if (base == 5 && mod == 0) off = fetch32();
    else { off = r32(base); if (base == 4 || base == 5) seg = SS; }
    if (idx != 4) off += r32(idx) << sc;
  } else if (rmf == 5 && mod == 0) {
    off = fetch32();
  } else {
    off = r32(rmf);
    if (rmf == 5) seg = SS;
  }
  if (mod == 1) off += <u32><i32><i8>fetch8();
  else if (mod == 2) off += fetch32();
  eaOff = off;
  eaSeg = segOv >= 0 ? segOv : seg;
}

// ---- register operands by size (1, 2, 4 bytes) ---------------------------------------------
@inline export function getReg(size: u32, r: u32): u32 {
  return size == 1 ? r8(r) : size == 2 ? r16(r) : r32(r);
}
@inline export function setReg(size: u32, r: u32, v: u32): void {
  if (size == 1) w8(r, v); else if (size == 2) w16(r, v); else w32(r, v);
}
@inline export function rdMem(size: u32, seg: i32, off: u32): u32 {
  return size == 1 ? rd8(seg, off) : size == 2 ? rd16(seg, off) : rd32(seg, off);
}
@inline export function wrMem(size: u32, seg: i32, off: u32, v: u32): void {
  if (size == 1) wr8(seg, off, v); else if (size == 2) wr16(seg, off, v); else wr32(seg, off, v);
}
/** r/m operand read. */
export function readRM(size: u32): u32 {
  if (mod == 3) return getReg(size, rmf);
  return rdMem(size, eaSeg, eaOff);
}
export function writeRM(size: u32, v: u32): void {
  if (mod == 3) { setReg(size, rmf, v); return; }
  wrMem(size, eaSeg, eaOff, v);
}
/** r/m read for a read-modify-write: checks the write can succeed first. */
export function readRMW(size: u32): u32 {
  if (mod == 3) return getReg(size, rmf);
  if (((flatMask >> <u32>eaSeg) & 1) != 0) {
    // flat segment, writable TLB entry (implies readable), no page crossing
    const lin = eaOff, vpn = lin >>> 12;
    if ((load<u8>(TLB_INFO + vpn) & tlbWr) != 0 && (lin & 0xfff) <= 0x1000 - size) {
      rmwLin = lin;
      const h = load<u32>(TLB_HOST + (vpn << 2)) + lin;
      return size == 1 ? <u32>load<u8>(h) : size == 2 ? <u32>load<u16>(h) : load<u32>(h);
    }
  }
  const lin = segLinWrite(eaSeg, eaOff, size);
  if (fault) return 0;
  if (!linProbeWrite(lin, size)) return 0;
  rmwLin = lin;
  return size == 1 ? linRd8(lin) : size == 2 ? linRd16(lin) : linRd32(lin);
}
export function writeRMW(size: u32, v: u32): void {
  if (mod == 3) { setReg(size, rmf, v); return; }
  if (size == 1) linWr8(rmwLin, v); else if (size == 2) linWr16(rmwLin, v); else linWr32(rmwLin, v);
}
/** Offset of the next part of a memory operand (wraps at 64 KiB with 16-bit addressing). */
export function eaNext(d: u32): u32 { return a32 ? eaOff + d : (eaOff + d) & 0xffff; }
export function fetchImm(size: u32): u32 { return size == 1 ? fetch8() : size == 2 ? fetch16() : fetch32(); }

// ---- stack --------------------------------------------------------------------------------
@inline export function spGet(): u32 { return ssB ? r32(ESP) : r16(ESP); }
@inline export function spSet(v: u32): void { if (ssB) w32(ESP, v); else w16(ESP, v); }
export function push(size: u32, v: u32): void {
  const sp = (spGet() - size) & (ssB ? 0xffffffff : 0xffff);
  if (size == 4) wr32(SS, sp, v); else wr16(SS, sp, v);
  if (fault) return;
  spSet(sp);
}
/** Pop without committing ESP: returns the value; call popCommit(size) after all checks. */
export function peekPop(size: u32, at: u32): u32 {
  const sp = (spGet() + at) & (ssB ? 0xffffffff : 0xffff);
  return size == 4 ? rd32(SS, sp) : rd16(SS, sp);
}
export function popCommit(size: u32): void { spSet((spGet() + size) & (ssB ? 0xffffffff : 0xffff)); }
export function pop(size: u32): u32 {
  const v = peekPop(size, 0);
  if (fault) return 0;
  popCommit(size);
  return v;
}

// Shared instruction helpers of the Bulkhead core: condition codes, near branches with the CS
// limit check, I/O permission (IOPL + TSS I/O bitmap, SDM Vol. 1 18.5), port I/O, string
// instructions with REP (including bulk `rep ins/outs` to contiguous RAM), MUL/DIV.
import {
  EAX, ECX, EDX, ESI, EDI, ES, TR, F_DF, F_VM, F_ZF, F_ARITH, CR0_PE, cr0, cpl, eip, flagsReg, r16, w16,
  r32, w32, segLimit, segBase, segAttr, TLB_PHYS, TLB_INFO,
} from './state';
import {
  fault, raise, sysRd16, rd8, linProbeWrite, linProbeRead, segLinWrite, segLinRead, linRd8, linRd16,
  linRd32, linWr8, linWr16, linWr32, physRamHost,
} from './mem';
import { getCF, getZF, getSF, getOF, getPF, readFlags, setLazy, OP_SUB, setResFlags, clearLazy as clearLazyAll, lazyMask, lazyR, lazyA, lazyB, lazyOp, lazyTop } from './flags';
import { a32, o32, rep, dseg, getReg, setReg, rdMem, wrMem } from './decode';
import { alu } from './alu';
import { hostPortRead, hostPortWrite, hostPortReadString, hostPortWriteString } from './host';
import { F_CF, F_OF, F_AF } from './state';

export let instrStart: u32 = 0;
export function setInstrStart(v: u32): void { instrStart = v; }

export function cond(cc: u32): bool {
  let r: bool;
  switch (cc >> 1) {
    case 0: r = getOF(); break;
    case 1: r = getCF(); break;
    case 2: r = getZF(); break;
    case 3: r = getCF() || getZF(); break;
    case 4: r = getSF(); break;
    case 5: r = getPF(); break;
    case 6: r = getSF() != getOF(); break;
    default: r = getZF() || (getSF() != getOF()); break;
  }
  return (cc & 1) != 0 ? !r : r;
}

/** Condition with JZ/JNZ evaluated inline from the lazy record. */
@inline export function condFast(cc: u32): bool {
  const k = cc >> 1;
  if (k == 2) {
    const z = (lazyMask & 0x40) != 0 ? lazyR == 0 : (flagsReg & 0x40) != 0;
    return (cc & 1) != 0 ? !z : z;
  }
  // after CMP/SUB with every arithmetic flag still lazy: B/BE are the unsigned compare of the
  // operands, L/LE the signed one (SF != OF is exactly "a < b" signed for a subtraction)
  if (lazyMask == F_ARITH && lazyOp == OP_SUB && (k == 1 || k == 3 || k >= 6)) {
    const a = lazyA, b = lazyB;
    let t: bool;
    if (k == 1) t = a < b;
    else if (k == 3) t = a <= b;
    else {
      const s = 31 - lazyTop;
      const sa = <i32>(a << s), sb = <i32>(b << s);
      t = k == 6 ? sa < sb : sa <= sb;
    }
    return (cc & 1) != 0 ? !t : t;
  }
  return cond(cc);
}

/** Near branch to `t` (masked to 16 bits for 16-bit operand size); #GP(0) past the CS limit. */
export function jumpTo(t: u32): void {
  if (!o32) t &= 0xffff;
  if (t > segLimit(1)) { raise(13, 0); return; }
  eip = t;
}

// ---- I/O permission -----------------------------------------------------------------------------
export function ioAllowed(port: u32, size: u32): bool {
  if ((cr0 & CR0_PE) == 0) return true;
  if ((flagsReg & F_VM) == 0 && cpl <= <i32>((flagsReg >> 12) & 3)) return true;
  const attr = segAttr(TR);
  const limit = segLimit(TR);
  if ((attr & 0xd) != 9 || limit < 0x67) { raise(13, 0); return false; }
  const base = segBase(TR);
  const iob = sysRd16(base + 0x66);
  if (fault) return false;
  const at = iob + (port >> 3);
  if (at + 1 > limit) { raise(13, 0); return false; }
  const bits = sysRd16(base + at);
  if (fault) return false;
  const m: u32 = ((1 << size) - 1) << (port & 7);
  if ((bits & m) != 0) { raise(13, 0); return false; }
  return true;
}
export function portIn(port: u32, size: u32): u32 {
  const v = hostPortRead(port & 0xffff, size);
  return size == 1 ? v & 0xff : size == 2 ? v & 0xffff : v;
}
export function portOut(port: u32, size: u32, v: u32): void { hostPortWrite(port & 0xffff, size, v); }

// ---- strings --------------------------------------------------------------------------------------
@inline function idxGet(r: u32): u32 { return a32 ? r32(r) : r16(r); }
@inline function idxSet(r: u32, v: u32): void { if (a32) w32(r, v); else w16(r, v); }
@inline function cntGet(): u32 { return a32 ? r32(ECX) : r16(ECX); }
@inline function cntSet(v: u32): void { if (a32) w32(ECX, v); else w16(ECX, v); }

const REP_CHUNK: u32 = 4096;

/** String instruction `kind`: 0 MOVS, 1 CMPS, 2 STOS, 3 LODS, 4 SCAS, 5 INS, 6 OUTS. */
export function stringOp(kind: u32, size: u32): void {
  const delta: u32 = (flagsReg & F_DF) != 0 ? <u32>(-<i32>size) : size;
  if (kind >= 5) {
    const port = r16(EDX);
    if (!ioAllowed(port, size)) return;
  }
  if (rep == 0) { stringOnce(kind, size, delta); return; }
  let n: u32 = 0;
  for (;;) {
    const c = cntGet();
    if (c == 0) return;
    if (kind == 5 || kind == 6) {
      if ((flagsReg & F_DF) == 0 && c > 1) {
        const moved = bulkIo(kind, size, c);
        if (fault) return;
        if (moved > 0) { cntSet(c - moved); n += moved; if (n >= REP_CHUNK) break; continue; }
      }
    } else if ((kind == 0 || kind == 2) && (flagsReg & F_DF) == 0 && c > 1) {
      const moved = bulkMem(kind, size, c);
      if (fault) return;
      if (moved > 0) { cntSet(c - moved); n += moved; if (n >= REP_CHUNK) break; continue; }
    }
    stringOnce(kind, size, delta);
    if (fault) return;
    cntSet(c - 1);
    n++;
    if (kind == 1 || kind == 4) {
      const z = getZF();
      if (rep == 0xf3 ? !z : z) return;
    }
    if (n >= REP_CHUNK) break;
  }
  if (cntGet() != 0) eip = instrStart; // resume later: lets interrupts and the budget in
}

function stringOnce(kind: u32, size: u32, delta: u32): void {
  const top: u32 = size * 8 - 1;
  switch (kind) {
    case 0: {
      const v = rdMem(size, dseg(), idxGet(ESI)); if (fault) return;
      wrMem(size, ES, idxGet(EDI), v); if (fault) return;
      idxSet(ESI, idxGet(ESI) + delta); idxSet(EDI, idxGet(EDI) + delta);
      return;
    }
    case 1: {
      const a = rdMem(size, dseg(), idxGet(ESI)); if (fault) return;
      const b = rdMem(size, ES, idxGet(EDI)); if (fault) return;
      alu(7, a, b, top);
      idxSet(ESI, idxGet(ESI) + delta); idxSet(EDI, idxGet(EDI) + delta);
      return;
    }
    case 2: {
      wrMem(size, ES, idxGet(EDI), getReg(size, EAX)); if (fault) return;
      idxSet(EDI, idxGet(EDI) + delta);
      return;
    }
    case 3: {
      const v = rdMem(size, dseg(), idxGet(ESI)); if (fault) return;
      setReg(size, EAX, v);
      idxSet(ESI, idxGet(ESI) + delta);
      return;
    }
    case 4: {
      const b = rdMem(size, ES, idxGet(EDI)); if (fault) return;
      alu(7, getReg(size, EAX), b, top);
      idxSet(EDI, idxGet(EDI) + delta);
      return;
    }
    case 5: {
      // INS: the write is checked before the port is read (no lost input on a fault)
      const off = idxGet(EDI);
      const lin = segLinWrite(ES, off, size); if (fault) return;
      if (!linProbeWrite(lin, size)) return;
      const v = portIn(r16(EDX), size);
      if (size == 1) linWr8(lin, v); else if (size == 2) linWr16(lin, v); else linWr32(lin, v);
      idxSet(EDI, off + delta);
      return;
    }
    default: {
      const v = rdMem(size, dseg(), idxGet(ESI)); if (fault) return;
      portOut(r16(EDX), size, v);
      idxSet(ESI, idxGet(ESI) + delta);
      return;
    }
  }
}

/** Items that fit before the next page boundary / 16-bit wrap, for a forward string op. */
function chunkItems(off: u32, size: u32, c: u32): u32 {
  const lin = off; // caller passes linear
  let items: u32 = (0x1000 - (lin & 0xfff)) / size;
  if (items > c) items = c;
  return items;
}

/** Bulk INS/OUTS to contiguous RAM: one host call per page. Returns items moved (0 = slow path). */
function bulkIo(kind: u32, size: u32, c: u32): u32 {
  const idxReg: u32 = kind == 5 ? EDI : ESI;
  const off = idxGet(idxReg);
  if (!a32 && off + c * size > 0x10000) return 0;
  const seg = kind == 5 ? ES : dseg();
  const linStart = kind == 5 ? segLinWrite(seg, off, size) : segLinRead(seg, off, size);
  if (fault) return 0;
  if ((linStart & (size - 1)) != 0) return 0;
  const items = chunkItems(linStart, size, c);
  if (items < 2) return 0;
  const bytes = items * size;
  if (kind == 5) { segLinWrite(seg, off, bytes); if (fault) return 0; if (!linProbeWrite(linStart, bytes)) return 0; }
  else { segLinRead(seg, off, bytes); if (fault) return 0; if (!linProbeRead(linStart, bytes)) return 0; }
  const vpn = linStart >>> 12;
  if ((load<u8>(TLB_INFO + vpn) & 1) == 0) return 0;
  const phys = load<u32>(TLB_PHYS + (vpn << 2)) | (linStart & 0xfff);
  if (physRamHost(phys) < 0) return 0;
  const port = r16(EDX);
  const moved = kind == 5 ? hostPortReadString(port, size, items, phys) : hostPortWriteString(port, size, items, phys);
  if (moved == 0) return 0;
  idxSet(idxReg, off + moved * size);
  return moved;
}

/** Bulk forward MOVS/STOS inside RAM pages: memory.copy / fill per page. */
function bulkMem(kind: u32, size: u32, c: u32): u32 {
  const doff = idxGet(EDI);
  if (!a32 && doff + c * size > 0x10000) return 0;
  const dlin = segLinWrite(ES, doff, size); if (fault) return 0;
  let items = chunkItems(dlin, size, c);
  let slin: u32 = 0, soff: u32 = 0;
  if (kind == 0) {
    soff = idxGet(ESI);
    if (!a32 && soff + c * size > 0x10000) return 0;
    slin = segLinRead(dseg(), soff, size); if (fault) return 0;
    const si = chunkItems(slin, size, c);
    if (si < items) items = si;
  }
  if (items < 2) return 0;
  const bytes = items * size;
  segLinWrite(ES, doff, bytes); if (fault) return 0;
  if (!linProbeWrite(dlin, bytes)) return 0;
  const dvpn = dlin >>> 12;
  const dphys = load<u32>(TLB_PHYS + (dvpn << 2)) | (dlin & 0xfff);
  const dh = physRamHost(dphys);
  if (dh < 0 || (load<u8>(TLB_INFO + dvpn) & 0x14) == 0) return 0;
  if (kind == 0) {
    segLinRead(dseg(), soff, bytes); if (fault) return 0;
    if (!linProbeRead(slin, bytes)) return 0;
    const svpn = slin >>> 12;
    const sphys = load<u32>(TLB_PHYS + (svpn << 2)) | (slin & 0xfff);
    const sh = physRamHost(sphys);
    if (sh < 0) return 0;
    // overlapping forward copy must behave element by element
    if (sh < dh && sh + <i64>bytes > dh) return 0;
    memory.copy(<usize>dh, <usize>sh, bytes);
    idxSet(ESI, soff + bytes);
  } else {
    const v = getReg(size, EAX);
    if (size == 1) memory.fill(<usize>dh, <u8>v, bytes);
    else {
      let p = <usize>dh;
      const end = p + bytes;
      if (size == 2) { while (p < end) { store<u16>(p, <u16>v); p += 2; } }
      else { while (p < end) { store<u32>(p, v); p += 4; } }
    }
  }
  idxSet(EDI, doff + bytes);
  return items;
}

// ---- multiply / divide ------------------------------------------------------------------------
export function mulOp(signed: bool, size: u32, src: u32): void {
  clearLazyAll(); // MUL/IMUL rewrite every arithmetic flag (SF ZF AF PF undefined)
  let over = false;
  if (size == 1) {
    const a = r16(EAX) & 0xff;
    let r: u32;
    if (signed) { r = <u32>(<i32><i8>a * <i32><i8>src) & 0xffff; over = ((<u32><i32><i8>r) & 0xffff) != r; }
    else { r = a * (src & 0xff); over = (r >> 8) != 0; }
    w16(EAX, r);
    setResFlags(r & 0xff, 7);
  } else if (size == 2) {
    const a = r16(EAX);
    let r: u32;
    if (signed) { r = <u32>(<i32><i16>a * <i32><i16>src); over = <u32><i32><i16>r != r; }
    else { r = a * (src & 0xffff); over = (r >> 16) != 0; }
    w16(EAX, r); w16(EDX, r >> 16);
    setResFlags(r & 0xffff, 15);
  } else {
    const a = r32(EAX);
    let r: u64;
    if (signed) { r = <u64>(<i64><i32>a * <i64><i32>src); over = <u64><i64><i32><u32>r != r; }
    else { r = <u64>a * <u64>src; over = (r >> 32) != 0; }
    w32(EAX, <u32>r); w32(EDX, <u32>(r >> 32));
    setResFlags(<u32>r, 31);
  }
  flagsReg = (flagsReg & ~(F_CF | F_OF)) | (over ? F_CF | F_OF : 0);
}
/** Two/three-operand IMUL: returns the truncated product; sets CF/OF. */
export function imul2(a: u32, b: u32, size: u32): u32 {
  clearLazyAll();
  let r: u32, over: bool;
  if (size == 2) { const p = <i32><i16>a * <i32><i16>b; r = <u32>p & 0xffff; over = p != <i32><i16>p; }
  else { const p = <i64><i32>a * <i64><i32>b; r = <u32>p; over = p != <i64><i32>p; }
  flagsReg = (flagsReg & ~(F_CF | F_OF)) | (over ? F_CF | F_OF : 0);
  setResFlags(r, size == 2 ? 15 : 31);
  return r;
}
export function divOp(signed: bool, size: u32, src: u32): void {
  if (size == 1) {
    const a = r16(EAX);
    if ((src & 0xff) == 0) { raise(0, -1); return; }
    if (signed) {
      const d = <i32><i8>src, n = <i32><i16>a;
      const q = n / d, rm = n % d;
      if (q > 127 || q < -128) { raise(0, -1); return; }
      w16(EAX, ((<u32>rm & 0xff) << 8) | (<u32>q & 0xff));
    } else {
      const q = a / (src & 0xff), rm = a % (src & 0xff);
      if (q > 0xff) { raise(0, -1); return; }
      w16(EAX, (rm << 8) | q);
    }
  } else if (size == 2) {
    const a = (r16(EDX) << 16) | r16(EAX);
    if ((src & 0xffff) == 0) { raise(0, -1); return; }
    if (signed) {
      const d = <i64><i16>src, n = <i64><i32>a;
      const q = n / d, rm = n % d;
      if (q > 32767 || q < -32768) { raise(0, -1); return; }
      w16(EAX, <u32>q); w16(EDX, <u32>rm);
    } else {
      const q = a / (src & 0xffff), rm = a % (src & 0xffff);
      if (q > 0xffff) { raise(0, -1); return; }
      w16(EAX, q); w16(EDX, rm);
    }
  } else {
    const a: u64 = (<u64>r32(EDX) << 32) | <u64>r32(EAX);
    if (src == 0) { raise(0, -1); return; }
    if (signed) {
      const d = <i64><i32>src, n = <i64>a;
      if (n == i64.MIN_VALUE && d == -1) { raise(0, -1); return; }
      const q = n / d, rm = n % d;
      if (q > 0x7fffffff || q < -0x80000000) { raise(0, -1); return; }
      w32(EAX, <u32>q); w32(EDX, <u32>rm);
    } else {
      const q = a / <u64>src, rm = a % <u64>src;
      if (q > 0xffffffff) { raise(0, -1); return; }
      w32(EAX, <u32>q); w32(EDX, <u32>rm);
    }
  }
}

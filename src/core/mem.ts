// Guest memory access for the Bulkhead core: the physical page map (RAM/ROM/MMIO/unmapped),
// two-level paging with 4 KiB and 4 MiB (PSE) pages, PGE global pages, CR0.WP, accessed/dirty
// bits (Intel SDM Vol. 3A ch. 4.3 "32-bit paging"), a software TLB with one entry per linear
// page, segment limit/rights checks (SDM 5.3-5.6) and the fault convention: an access that
// faults sets `fault` (vector/error code in faultVec/faultErr) and returns 0; callers check
// `fault` before committing any result.
import {
  REGS, SEG_BASE, SEG_LO, SEG_HI, SEG_RIGHTS, SEG_LIMIT, TLB_INFO, TLB_HOST, TLB_PHYS, PAGE_MAP,
  TLB_LIST, TLB_LIST_MAX, SS, CS, RIGHT_READ, RIGHT_WRITE, CR0_PG, CR0_WP, CR4_PSE, CR4_PGE,
  cr0, cr3, cr4, cr2, a20Mask, cpl, tlbRd, tlbWr, eip, fetchLo, fetchSpan, fetchSpan1, fetchSpan3,
  fetchHost, killFetch, flatMask,
} from './state';
import { hostMmioRead, hostMmioWrite } from './host';

// ---- fault state -----------------------------------------------------------------------
export let fault: bool = false;
export let faultVec: i32 = 0;
export let faultErr: i32 = -1;

/** Record an exception to deliver at the end of the instruction (first one wins). */
export function raise(vec: i32, err: i32): void {
  if (fault) return;
  fault = true; faultVec = vec; faultErr = err;
}
export function clearFault(): void { fault = false; faultErr = -1; }
export function gp(err: i32): void { raise(13, err); }

// ---- TLB info bits ---------------------------------------------------------------------
const T_VALID: u32 = 1, T_RS: u32 = 2, T_WS: u32 = 4, T_RU: u32 = 8, T_WU: u32 = 16, T_G: u32 = 32, T_LARGE: u32 = 64;
let tlbCount: u32 = 0;
let largeSeen: bool = false;

const K_UNMAPPED: u32 = 0, K_RAM: u32 = 1, K_ROM: u32 = 2, K_MMIO: u32 = 3;

// ---- physical memory --------------------------------------------------------------------
@inline function pmEntry(phys: u32): u32 { return load<u32>(PAGE_MAP + ((phys >>> 12) << 2)); }

export function physRd8(p: u32): u32 {
  const e = pmEntry(p), k = e & 3;
  if (k == K_RAM || k == K_ROM) return load<u8>((e & ~0xfff) + (p & 0xfff));
  if (k == K_MMIO) return hostMmioRead(p, 1) & 0xff;
  return 0xff;
}
export function physWr8(p: u32, v: u32): void {
  const e = pmEntry(p), k = e & 3;
  if (k == K_RAM) store<u8>((e & ~0xfff) + (p & 0xfff), <u8>v);
  else if (k == K_MMIO) hostMmioWrite(p, 1, v & 0xff);
}
export function physRd16(p: u32): u32 {
  if ((p & 0xfff) > 0xffe) return physRd8(p) | (physRd8(p + 1) << 8);
  const e = pmEntry(p), k = e & 3;
  if (k == K_RAM || k == K_ROM) return load<u16>((e & ~0xfff) + (p & 0xfff));
  if (k == K_MMIO) return hostMmioRead(p, 2) & 0xffff;
  return 0xffff;
}
export function physWr16(p: u32, v: u32): void {
  if ((p & 0xfff) > 0xffe) { physWr8(p, v); physWr8(p + 1, v >> 8); return; }
  const e = pmEntry(p), k = e & 3;
  if (k == K_RAM) store<u16>((e & ~0xfff) + (p & 0xfff), <u16>v);
  else if (k == K_MMIO) hostMmioWrite(p, 2, v & 0xffff);
}
export function physRd32(p: u32): u32 {
  if ((p & 0xfff) > 0xffc) return physRd16(p) | (physRd16(p + 2) << 16);
  const e = pmEntry(p), k = e & 3;
  if (k == K_RAM || k == K_ROM) return load<u32>((e & ~0xfff) + (p & 0xfff));
  if (k == K_MMIO) return hostMmioRead(p, 4);
  return 0xffffffff;
}
export function physWr32(p: u32, v: u32): void {
  if ((p & 0xfff) > 0xffc) { physWr16(p, v); physWr16(p + 2, v >> 16); return; }
  const e = pmEntry(p), k = e & 3;
  if (k == K_RAM) store<u32>((e & ~0xfff) + (p & 0xfff), v);
  else if (k == K_MMIO) hostMmioWrite(p, 4, v);
}
/** Host offset of physical RAM at p, or -1 if p is not RAM. */
export function physRamHost(p: u32): i64 {
  const e = pmEntry(p);
  if ((e & 3) != K_RAM) return -1;
  return <i64>((e & ~0xfff) + (p & 0xfff));
}

export function mapPhysical(physStart: u32, length: u32, kind: u32, memOffset: u32): void {
  const pages = length >>> 12;
  for (let i: u32 = 0; i < pages; i++) {
    const e = kind == K_RAM || kind == K_ROM ? ((memOffset + (i << 12)) & ~0xfff) | kind : kind;
    store<u32>(PAGE_MAP + (((physStart >>> 12) + i) << 2), e);
  }
  tlbFlushAll();
}

// ---- TLB ---------------------------------------------------------------------------------
export function tlbFlushAll(): void {
  if (tlbCount >= TLB_LIST_MAX) memory.fill(TLB_INFO, 0, 0x100000);
  else for (let i: u32 = 0; i < tlbCount; i++) store<u8>(TLB_INFO + load<u32>(TLB_LIST + (i << 2)), 0);
  tlbCount = 0;
  largeSeen = false;
  killFetch();
}
/** CR3 reload: drop every entry except global ones (when CR4.PGE). */
export function tlbFlushNonGlobal(): void {
  if ((cr4 & CR4_PGE) == 0) { tlbFlushAll(); return; }
  if (tlbCount >= TLB_LIST_MAX) { memory.fill(TLB_INFO, 0, 0x100000); tlbCount = 0; killFetch(); return; }
  let n: u32 = 0;
  for (let i: u32 = 0; i < tlbCount; i++) {
    const vpn = load<u32>(TLB_LIST + (i << 2));
    const info = load<u8>(TLB_INFO + vpn);
    if ((info & T_G) != 0) store<u32>(TLB_LIST + (n++ << 2), vpn);
    else store<u8>(TLB_INFO + vpn, 0);
  }
  tlbCount = n;
  killFetch();
}
export function tlbInvlpg(lin: u32): void {
  const vpn = lin >>> 12;
  store<u8>(TLB_INFO + vpn, 0);
  if (largeSeen) memory.fill(TLB_INFO + (vpn & ~0x3ff), 0, 0x400);
  killFetch();
}

// permission summary of the last successful walk
let walkUser: bool = false, walkWrite: bool = false, walkDirty: bool = false, walkGlobal: bool = false, walkLarge: bool = false;

function pageFault(lin: u32, err: i32): void {
  if (fault) return;
  cr2 = lin;
  raise(14, err);
}

/** Linear -> physical through the page tables; sets A/D bits; raises #PF. */
export function translate(lin: u32, write: bool, user: bool): u32 {
  if ((cr0 & CR0_PG) == 0) {
    walkUser = true; walkWrite = true; walkDirty = true; walkGlobal = false; walkLarge = false;
    return lin & a20Mask;
  }
  const errBase: i32 = (write ? 2 : 0) | (user ? 4 : 0);
  const pdeAddr = ((cr3 & 0xfffff000) | ((lin >>> 22) << 2)) & a20Mask;
  let pde = physRd32(pdeAddr);
  if ((pde & 1) == 0) { pageFault(lin, errBase); return 0; }
  let phys: u32, u: bool, w: bool, g: bool, d: bool;
  if ((pde & 0x80) != 0 && (cr4 & CR4_PSE) != 0) {
    u = (pde & 4) != 0; w = (pde & 2) != 0;
    if (!checkPerm(u, w, write, user)) { pageFault(lin, errBase | 1); return 0; }
    const nd = pde | 0x20 | (write ? 0x40 : 0);
    if (nd != pde) { physWr32(pdeAddr, nd); pde = nd; }
    d = (pde & 0x40) != 0; g = (pde & 0x100) != 0;
    phys = (pde & 0xffc00000) | (lin & 0x3ff000);
    walkLarge = true;
  } else {
    const pteAddr = ((pde & 0xfffff000) | (((lin >>> 12) & 0x3ff) << 2)) & a20Mask;
    let pte = physRd32(pteAddr);
    if ((pte & 1) == 0) { pageFault(lin, errBase); return 0; }
    u = (pde & pte & 4) != 0; w = (pde & pte & 2) != 0;
    if (!checkPerm(u, w, write, user)) { pageFault(lin, errBase | 1); return 0; }
    if ((pde & 0x20) == 0) physWr32(pdeAddr, pde | 0x20);
    const nt = pte | 0x20 | (write ? 0x40 : 0);
    if (nt != pte) { physWr32(pteAddr, nt); pte = nt; }
    d = (pte & 0x40) != 0; g = (pte & 0x100) != 0;
    phys = pte & 0xfffff000;
    walkLarge = false;
  }
  walkUser = u; walkWrite = w; walkDirty = d; walkGlobal = g && (cr4 & CR4_PGE) != 0;
  return (phys | (lin & 0xfff)) & a20Mask;
}

@inline function checkPerm(u: bool, w: bool, write: bool, user: bool): bool {
  if (user) { if (!u) return false; if (write && !w) return false; }
  else if (write && !w && (cr0 & CR0_WP) != 0) return false;
  return true;
}

function tlbFill(lin: u32, phys: u32): void {
  const vpn = lin >>> 12;
  const e = pmEntry(phys), k = e & 3;
  let info: u32 = T_VALID;
  if (k == K_RAM || k == K_ROM) {
    info |= T_RS;
    if (walkUser) info |= T_RU;
    if (k == K_RAM && walkDirty) {
      if (walkWrite || (cr0 & CR0_WP) == 0) info |= T_WS;
      if (walkWrite && walkUser) info |= T_WU;
    }
  }
  if (walkGlobal) info |= T_G;
  if (walkLarge) { info |= T_LARGE; largeSeen = true; }
  if (load<u8>(TLB_INFO + vpn) == 0) {
    if (tlbCount < TLB_LIST_MAX) store<u32>(TLB_LIST + (tlbCount << 2), vpn);
    tlbCount++;
  }
  store<u8>(TLB_INFO + vpn, <u8>info);
  store<u32>(TLB_HOST + (vpn << 2), (e & ~0xfff) - (lin & 0xfffff000));
  store<u32>(TLB_PHYS + (vpn << 2), phys & 0xfffff000);
}

// ---- linear accesses (privilege: user when `user`) ---------------------------------------
/** Translate for an access and fill the TLB; returns physical address. */
function xlate(lin: u32, write: bool, user: bool): u32 {
  const p = translate(lin, write, user);
  if (fault) return 0;
  tlbFill(lin, p);
  return p;
}

function linRd8Slow(lin: u32, user: bool): u32 {
  const p = xlate(lin, false, user);
  if (fault) return 0;
  return physRd8(p);
}
function linWr8Slow(lin: u32, v: u32, user: bool): void {
  const p = xlate(lin, true, user);
  if (fault) return;
  physWr8(p, v);
}
function linRd16Slow(lin: u32, user: bool): u32 {
  if ((lin & 0xfff) == 0xfff) {
    const p0 = xlate(lin, false, user); if (fault) return 0;
    const p1 = xlate(lin + 1, false, user); if (fault) return 0;
    return physRd8(p0) | (physRd8(p1) << 8);
  }
  const p = xlate(lin, false, user);
  if (fault) return 0;
  return physRd16(p);
}
function linWr16Slow(lin: u32, v: u32, user: bool): void {
  if ((lin & 0xfff) == 0xfff) {
    const p0 = xlate(lin, true, user); if (fault) return;
    const p1 = xlate(lin + 1, true, user); if (fault) return;
    physWr8(p0, v); physWr8(p1, v >> 8);
    return;
  }
  const p = xlate(lin, true, user);
  if (fault) return;
  physWr16(p, v);
}
function linRd32Slow(lin: u32, user: bool): u32 {
  if ((lin & 0xfff) > 0xffc) {
    const p0 = xlate(lin, false, user); if (fault) return 0;
    const p1 = xlate((lin + 3) & 0xfffff000, false, user); if (fault) return 0;
    let v: u32 = 0;
    for (let i: u32 = 0; i < 4; i++) {
      const l = lin + i;
      v |= physRd8((l & 0xfff) >= (lin & 0xfff) ? p0 + i : p1 + (l & 0xfff)) << (i << 3);
    }
    return v;
  }
  const p = xlate(lin, false, user);
  if (fault) return 0;
  return physRd32(p);
}
function linWr32Slow(lin: u32, v: u32, user: bool): void {
  if ((lin & 0xfff) > 0xffc) {
    const p0 = xlate(lin, true, user); if (fault) return;
    const p1 = xlate((lin + 3) & 0xfffff000, true, user); if (fault) return;
    for (let i: u32 = 0; i < 4; i++) {
      const l = lin + i;
      physWr8((l & 0xfff) >= (lin & 0xfff) ? p0 + i : p1 + (l & 0xfff), v >> (i << 3));
    }
    return;
  }
  const p = xlate(lin, true, user);
  if (fault) return;
  physWr32(p, v);
}

@inline export function linRd8(lin: u32): u32 {
  const vpn = lin >>> 12;
  if ((load<u8>(TLB_INFO + vpn) & tlbRd) != 0) return load<u8>(load<u32>(TLB_HOST + (vpn << 2)) + lin);
  return linRd8Slow(lin, cpl == 3);
}
@inline export function linRd16(lin: u32): u32 {
  const vpn = lin >>> 12;
  if ((load<u8>(TLB_INFO + vpn) & tlbRd) != 0 && (lin & 0xfff) != 0xfff) return load<u16>(load<u32>(TLB_HOST + (vpn << 2)) + lin);
  return linRd16Slow(lin, cpl == 3);
}
@inline export function linRd32(lin: u32): u32 {
  const vpn = lin >>> 12;
  if ((load<u8>(TLB_INFO + vpn) & tlbRd) != 0 && (lin & 0xfff) <= 0xffc) return load<u32>(load<u32>(TLB_HOST + (vpn << 2)) + lin);
  return linRd32Slow(lin, cpl == 3);
}
@inline export function linWr8(lin: u32, v: u32): void {
  const vpn = lin >>> 12;
  if ((load<u8>(TLB_INFO + vpn) & tlbWr) != 0) { store<u8>(load<u32>(TLB_HOST + (vpn << 2)) + lin, <u8>v); return; }
  linWr8Slow(lin, v, cpl == 3);
}
@inline export function linWr16(lin: u32, v: u32): void {
  const vpn = lin >>> 12;
  if ((load<u8>(TLB_INFO + vpn) & tlbWr) != 0 && (lin & 0xfff) != 0xfff) { store<u16>(load<u32>(TLB_HOST + (vpn << 2)) + lin, <u16>v); return; }
  linWr16Slow(lin, v, cpl == 3);
}
@inline export function linWr32(lin: u32, v: u32): void {
  const vpn = lin >>> 12;
  if ((load<u8>(TLB_INFO + vpn) & tlbWr) != 0 && (lin & 0xfff) <= 0xffc) { store<u32>(load<u32>(TLB_HOST + (vpn << 2)) + lin, v); return; }
  linWr32Slow(lin, v, cpl == 3);
}

/** Supervisor-privilege ("system") accesses: descriptor tables, TSS, IDT (SDM 4.6.1). */
export function sysRd8(lin: u32): u32 { return linRd8Slow(lin, false); }
export function sysRd16(lin: u32): u32 { return linRd16Slow(lin, false); }
export function sysRd32(lin: u32): u32 { return linRd32Slow(lin, false); }
export function sysWr8(lin: u32, v: u32): void { linWr8Slow(lin, v, false); }
export function sysWr16(lin: u32, v: u32): void { linWr16Slow(lin, v, false); }
export function sysWr32(lin: u32, v: u32): void { linWr32Slow(lin, v, false); }

/** Check that a linear range can be written at the current privilege (raises #PF if not). */
export function linProbeWrite(lin: u32, len: u32): bool {
  const user = cpl == 3;
  const end = lin + len - 1;
  if ((load<u8>(TLB_INFO + (lin >>> 12)) & tlbWr) == 0) { xlate(lin, true, user); if (fault) return false; }
  if ((end ^ lin) >= 0x1000 || (end >>> 12) != (lin >>> 12)) {
    if ((load<u8>(TLB_INFO + (end >>> 12)) & tlbWr) == 0) { xlate(end, true, user); if (fault) return false; }
  }
  return true;
}
export function linProbeRead(lin: u32, len: u32): bool {
  const user = cpl == 3;
  const end = lin + len - 1;
  if ((load<u8>(TLB_INFO + (lin >>> 12)) & tlbRd) == 0) { xlate(lin, false, user); if (fault) return false; }
  if ((end >>> 12) != (lin >>> 12)) {
    if ((load<u8>(TLB_INFO + (end >>> 12)) & tlbRd) == 0) { xlate(end, false, user); if (fault) return false; }
  }
  return true;
}
/** Physical address of a linear address for a (probed) access, via translation. */
export function linToPhys(lin: u32, write: bool): u32 { return translate(lin, write, cpl == 3); }

// ---- segmented accesses ------------------------------------------------------------------
/** Limit violations on SS fault with #SS in protected mode. In real mode the 80286 captures
 *  show #GP for every limit violation, stack pushes and pops included (kept for real mode). */
function segFault(seg: i32): void { raise(seg == SS && (cr0 & 1) != 0 ? 12 : 13, 0); }

@inline function segOk(seg: i32, off: u32, last: u32, right: u32): bool {
  const o = <u32>seg << 2;
  const hi = load<u32>(SEG_HI + o);
  return (load<u32>(SEG_RIGHTS + o) & right) != 0 && off >= load<u32>(SEG_LO + o) && off <= hi && hi - off >= last;
}

/** Segment-checked linear address for a read of `len` bytes, or sets fault. */
export function segLinRead(seg: i32, off: u32, len: u32): u32 {
  if (((flatMask >> <u32>seg) & 1) != 0 && off + len - 1 >= off) return off;
  if (!segOk(seg, off, len - 1, RIGHT_READ)) { segFault(seg); return 0; }
  return load<u32>(SEG_BASE + (<u32>seg << 2)) + off;
}
export function segLinWrite(seg: i32, off: u32, len: u32): u32 {
  if (((flatMask >> <u32>seg) & 1) != 0 && off + len - 1 >= off) return off;
  if (!segOk(seg, off, len - 1, RIGHT_WRITE)) { segFault(seg); return 0; }
  return load<u32>(SEG_BASE + (<u32>seg << 2)) + off;
}

export function rd8(seg: i32, off: u32): u32 {
  if (((flatMask >> <u32>seg) & 1) != 0) return linRd8(off);
  if (!segOk(seg, off, 0, RIGHT_READ)) { segFault(seg); return 0; }
  return linRd8(load<u32>(SEG_BASE + (<u32>seg << 2)) + off);
}
export function rd16(seg: i32, off: u32): u32 {
  if (((flatMask >> <u32>seg) & 1) != 0 && (off & 0xfff) != 0xfff) return linRd16(off);
  if (!segOk(seg, off, 1, RIGHT_READ)) { segFault(seg); return 0; }
  return linRd16(load<u32>(SEG_BASE + (<u32>seg << 2)) + off);
}
// Inline segmented fast paths for 16-bit code (hot16): rights, window and TLB hit checked in
// line, everything else (faults, page crossings, MMIO) through the out-of-line accessor.
@inline function segWin(seg: i32, off: u32, last: u32, right: u32): bool {
  const o = <u32>seg << 2;
  const hi = load<u32>(SEG_HI + o);
  return (load<u32>(SEG_RIGHTS + o) & right) != 0 && off >= load<u32>(SEG_LO + o) && off <= hi - last && hi >= last;
}
@inline export function rd8s(seg: i32, off: u32): u32 {
  if (segWin(seg, off, 0, RIGHT_READ)) {
    const lin = load<u32>(SEG_BASE + (<u32>seg << 2)) + off, vpn = lin >>> 12;
    if ((load<u8>(TLB_INFO + vpn) & tlbRd) != 0) return load<u8>(load<u32>(TLB_HOST + (vpn << 2)) + lin);
  }
  return rd8(seg, off);
}
@inline export function wr8s(seg: i32, off: u32, v: u32): void {
  if (segWin(seg, off, 0, RIGHT_WRITE)) {
    const lin = load<u32>(SEG_BASE + (<u32>seg << 2)) + off, vpn = lin >>> 12;
    if ((load<u8>(TLB_INFO + vpn) & tlbWr) != 0) { store<u8>(load<u32>(TLB_HOST + (vpn << 2)) + lin, <u8>v); return; }
  }
  wr8(seg, off, v);
}
@inline export function rd16s(seg: i32, off: u32): u32 {
  if (segWin(seg, off, 1, RIGHT_READ)) {
    const lin = load<u32>(SEG_BASE + (<u32>seg << 2)) + off, vpn = lin >>> 12;
    if ((load<u8>(TLB_INFO + vpn) & tlbRd) != 0 && (lin & 0xfff) != 0xfff) return load<u16>(load<u32>(TLB_HOST + (vpn << 2)) + lin);
  }
  return rd16(seg, off);
}
@inline export function wr16s(seg: i32, off: u32, v: u32): void {
  if (segWin(seg, off, 1, RIGHT_WRITE)) {
    const lin = load<u32>(SEG_BASE + (<u32>seg << 2)) + off, vpn = lin >>> 12;
    if ((load<u8>(TLB_INFO + vpn) & tlbWr) != 0 && (lin & 0xfff) != 0xfff) { store<u16>(load<u32>(TLB_HOST + (vpn << 2)) + lin, <u16>v); return; }
  }
  wr16(seg, off, v);
}

/** 32-bit read: flat segment + TLB hit inline (one mask test, one tag test, one load). */
@inline export function rd32(seg: i32, off: u32): u32 {
  if (((flatMask >> <u32>seg) & 1) != 0) {
    const vpn = off >>> 12;
    if ((load<u8>(TLB_INFO + vpn) & tlbRd) != 0 && (off & 0xfff) <= 0xffc) return load<u32>(load<u32>(TLB_HOST + (vpn << 2)) + off);
  }
  return rd32Slow(seg, off);
}
function rd32Slow(seg: i32, off: u32): u32 {
  if (!segOk(seg, off, 3, RIGHT_READ)) { segFault(seg); return 0; }
  return linRd32(load<u32>(SEG_BASE + (<u32>seg << 2)) + off);
}
export function wr8(seg: i32, off: u32, v: u32): void {
  if (((flatMask >> <u32>seg) & 1) != 0) { linWr8(off, v); return; }
  if (!segOk(seg, off, 0, RIGHT_WRITE)) { segFault(seg); return; }
  linWr8(load<u32>(SEG_BASE + (<u32>seg << 2)) + off, v);
}
export function wr16(seg: i32, off: u32, v: u32): void {
  if (((flatMask >> <u32>seg) & 1) != 0 && (off & 0xfff) != 0xfff) { linWr16(off, v); return; }
  if (!segOk(seg, off, 1, RIGHT_WRITE)) { segFault(seg); return; }
  linWr16(load<u32>(SEG_BASE + (<u32>seg << 2)) + off, v);
}
/** 32-bit write: flat segment + TLB hit inline, the rest out of line. */
@inline export function wr32(seg: i32, off: u32, v: u32): void {
  if (((flatMask >> <u32>seg) & 1) != 0) {
    const vpn = off >>> 12;
    if ((load<u8>(TLB_INFO + vpn) & tlbWr) != 0 && (off & 0xfff) <= 0xffc) { store<u32>(load<u32>(TLB_HOST + (vpn << 2)) + off, v); return; }
  }
  wr32Slow(seg, off, v);
}
function wr32Slow(seg: i32, off: u32, v: u32): void {
  if (!segOk(seg, off, 3, RIGHT_WRITE)) { segFault(seg); return; }
  linWr32(load<u32>(SEG_BASE + (<u32>seg << 2)) + off, v);
}
/** Would a write of `len` bytes at seg:off succeed? Raises the fault and returns false if not. */
export function probeWrite(seg: i32, off: u32, len: u32): bool {
  if (!segOk(seg, off, len - 1, RIGHT_WRITE)) { segFault(seg); return false; }
  return linProbeWrite(load<u32>(SEG_BASE + (<u32>seg << 2)) + off, len);
}
export function probeRead(seg: i32, off: u32, len: u32): bool {
  if (!segOk(seg, off, len - 1, RIGHT_READ)) { segFault(seg); return false; }
  return linProbeRead(load<u32>(SEG_BASE + (<u32>seg << 2)) + off, len);
}

// ---- instruction fetch ----------------------------------------------------------------------
let fetchLimit: u32 = 0;
let fetchBase: u32 = 0;
let fetchDelta: u32 = 0;

/** Translate the code page of CS:EIP and open the fetch window (state.ts fetchLo/fetchSpan). */
function fetchFill(): bool {
  const base = load<u32>(SEG_BASE + (CS << 2));
  fetchLimit = load<u32>(SEG_LIMIT + (CS << 2));
  fetchBase = base;
  if (eip > fetchLimit) { raise(13, 0); return false; }
  const lin = base + eip;
  const vpn = lin >>> 12;
  if ((load<u8>(TLB_INFO + vpn) & tlbRd) == 0) {
    xlate(lin, false, cpl == 3);
    if (fault) return false;
    if ((load<u8>(TLB_INFO + vpn) & tlbRd) == 0) { killFetch(); return false; } // MMIO/unmapped code
  }
  fetchDelta = load<u32>(TLB_HOST + (vpn << 2));
  // window: the EIPs of this linear page from max(page start, 0) up to min(page end, limit + 1)
  const off = lin & 0xfff;
  const lo: u32 = eip >= off ? eip - off : 0;
  let end: u64 = <u64>eip + <u64>(0x1000 - off);
  const limEnd: u64 = <u64>fetchLimit + 1;
  if (limEnd < end) end = limEnd;
  const span = <u32>(end - <u64>lo);
  fetchLo = lo;
  fetchHost = fetchDelta + base;
  fetchSpan = span;
  fetchSpan1 = span - 1;
  fetchSpan3 = span >= 3 ? span - 3 : 0;
  return true;
}
function fetch8Slow(): u32 {
  if (!fetchFill()) {
    if (fault) return 0;
    // code in MMIO or unmapped space: read through the physical path
    const p = translate(fetchBase + eip, false, cpl == 3);
    if (fault) return 0;
    eip++;
    return physRd8(p);
  }
  const v = load<u8>(fetchHost + eip);
  eip++;
  return v;
}
@inline export function fetch8(): u32 {
  const e = eip;
  if (e - fetchLo < fetchSpan) { eip = e + 1; return load<u8>(fetchHost + e); }
  return fetch8Slow();
}
export function fetch16(): u32 {
  const e = eip;
  if (e - fetchLo < fetchSpan1) { eip = e + 2; return load<u16>(fetchHost + e); }
  const lo = fetch8(); if (fault) return 0;
  const hi = fetch8();
  return lo | (hi << 8);
}
@inline export function fetch32(): u32 {
  const e = eip;
  if (e - fetchLo < fetchSpan3) { eip = e + 4; return load<u32>(fetchHost + e); }
  return fetch32Slow();
}
function fetch32Slow(): u32 {
  const lo = fetch16(); if (fault) return 0;
  const hi = fetch16();
  return lo | (hi << 16);
}
export function invalidateFetch(): void { killFetch(); }

/** Accesses with an explicit privilege (stack pushes while switching privilege). */
export function privWr(size: u32, lin: u32, v: u32, user: bool): void {
  if (size == 1) linWr8Slow(lin, v, user);
  else if (size == 2) linWr16Slow(lin, v, user);
  else linWr32Slow(lin, v, user);
}
export function privRd(size: u32, lin: u32, user: bool): u32 {
  if (size == 1) return linRd8Slow(lin, user);
  if (size == 2) return linRd16Slow(lin, user);
  return linRd32Slow(lin, user);
}

// Protected-mode segmentation for the Bulkhead core: descriptor fetch from GDT/LDT, segment
// register loads with the checks of SDM Vol. 3A 5.5-5.8 and the MOV/POP/LDS pseudo-code of
// Vol. 2, and the stack helper used by far calls, interrupts and returns that switch stacks.
import {
  SEG_SEL, SEG_BASE, SEG_LIMIT, SEG_ATTR, SS, CS, DS, ES, FS, GS, LDTR, A_VALID, A_P, A_S, A_DB,
  cpl, cr0, CR0_PE, F_VM, flagsReg, gdtrBase, gdtrLimit, setSegCache, loadSegReal, segSel, segAttr,
  segBase, segLimit, REGS, ESP,
} from './state';
import { fault, raise, sysRd32, sysWr32, privWr, privRd } from './mem';

export let descLo: u32 = 0;
export let descHi: u32 = 0;

/** Read the descriptor for `sel` into descLo/descHi; false if outside the table. */
export function readDesc(sel: u32): bool {
  const idx = sel & 0xfff8;
  let base: u32, limit: u32;
  if ((sel & 4) != 0) {
    if ((segAttr(LDTR) & A_VALID) == 0) return false;
    base = segBase(LDTR); limit = segLimit(LDTR);
  } else { base = gdtrBase; limit = gdtrLimit; }
  if (idx + 7 > limit) return false;
  descLo = sysRd32(base + idx);
  if (fault) return false;
  descHi = sysRd32(base + idx + 4);
  return !fault;
}
/** Set the accessed bit of the descriptor last read. */
export function markAccessed(sel: u32): void {
  if ((descHi & 0x100) != 0) return;
  descHi |= 0x100;
  const base = (sel & 4) != 0 ? segBase(LDTR) : gdtrBase;
  sysWr32(base + (sel & 0xfff8) + 4, descHi);
}
export function writeDescHi(sel: u32, hi: u32): void {
  const base = (sel & 4) != 0 ? segBase(LDTR) : gdtrBase;
  sysWr32(base + (sel & 0xfff8) + 4, hi);
}
@inline export function dBase(lo: u32, hi: u32): u32 { return (lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000); }
@inline export function dLimit(lo: u32, hi: u32): u32 {
  const l = (lo & 0xffff) | (hi & 0xf0000);
  return (hi & 0x800000) != 0 ? (l << 12) | 0xfff : l;
}
@inline export function dAttr(hi: u32): u32 { return ((hi >>> 8) & 0xf0ff) | A_VALID; }
@inline export function dDpl(hi: u32): i32 { return <i32>((hi >>> 13) & 3); }
@inline export function dPresent(hi: u32): bool { return (hi & 0x8000) != 0; }
@inline export function dIsCode(hi: u32): bool { return (hi & 0x1800) == 0x1800; }
@inline export function dIsData(hi: u32): bool { return (hi & 0x1800) == 0x1000; }
@inline export function dConforming(hi: u32): bool { return (hi & 0x400) != 0; }
@inline export function dSysType(hi: u32): u32 { return (hi >>> 8) & 0x1f; } // S bit included

export function loadCache(s: i32, sel: u32, lo: u32, hi: u32): void {
  setSegCache(s, sel, dBase(lo, hi), dLimit(lo, hi), dAttr(hi));
}
export function loadNull(s: i32, sel: u32): void {
  setSegCache(s, sel, 0, 0, 0);
}

/** MOV/POP/LDS-style load of a data or stack segment register (SDM MOV "Operation"). */
export function loadSeg(s: i32, sel: u32): bool {
  sel &= 0xffff;
  if ((cr0 & CR0_PE) == 0 || (flagsReg & F_VM) != 0) { loadSegReal(s, sel); return true; }
  const rpl = <i32>(sel & 3);
  if ((sel & 0xfffc) == 0) {
    if (s == SS) { raise(13, 0); return false; }
    loadNull(s, sel);
    return true;
  }
  if (!readDesc(sel)) { if (!fault) raise(13, <i32>(sel & 0xfffc)); return false; }
  const hi = descHi;
  const dpl = dDpl(hi);
  if (s == SS) {
    if (rpl != cpl || !dIsData(hi) || (hi & 0x200) == 0 || dpl != cpl) { raise(13, <i32>(sel & 0xfffc)); return false; }
    if (!dPresent(hi)) { raise(12, <i32>(sel & 0xfffc)); return false; }
  } else {
    if ((hi & 0x1000) == 0 || (dIsCode(hi) && (hi & 0x200) == 0)) { raise(13, <i32>(sel & 0xfffc)); return false; }
    if (dIsData(hi) || !dConforming(hi)) {
      if (rpl > dpl || cpl > dpl) { raise(13, <i32>(sel & 0xfffc)); return false; }
    }
    if (!dPresent(hi)) { raise(11, <i32>(sel & 0xfffc)); return false; }
  }
  markAccessed(sel);
  if (fault) return false;
  loadCache(s, sel, descLo, descHi);
  return true;
}

/** After a return/IRET to an outer level: null data segments the new CPL may not use. */
export function invalidateOuterSegs(): void {
  for (let s = 0; s < 6; s++) {
    if (s != ES && s != DS && s != FS && s != GS) continue;
    const a = segAttr(s);
    if ((a & A_VALID) == 0) continue;
    const dpl = <i32>((a >> 5) & 3);
    const code = (a & 0x8) != 0, conf = (a & 0x4) != 0;
    if ((!code || !conf) && dpl < cpl) loadNull(s, 0);
  }
}

// ---- a stack that is not (yet) SS: used while switching privilege ------------------------
export let stkBase: u32 = 0;
export let stkEsp: u32 = 0;
export let stkB: bool = false;      // 32-bit stack pointer
export let stkUser: bool = false;
export let stkLo: u32 = 0;
export let stkHi: u32 = 0xffff;
export let stkFaultSel: i32 = 0;    // error code for #SS on this stack

export function stkFromSS(): void {
  stkBase = segBase(SS); stkEsp = load<u32>(REGS + (ESP << 2)); stkB = (segAttr(SS) & A_DB) != 0;
  stkUser = cpl == 3; stkFaultSel = 0;
  stkSetBounds(segLimit(SS), segAttr(SS));
}
export function stkSetBounds(limit: u32, attr: u32): void {
  if ((attr & 0xc) == 0x4) { stkLo = limit + 1; stkHi = (attr & A_DB) != 0 ? 0xffffffff : 0xffff; }
  else { stkLo = 0; stkHi = limit; }
}
/** Push `size` bytes on the working stack; raises #SS on limit violation. */
export function stkPush(size: u32, v: u32): void {
  if (fault) return;
  let sp = stkEsp - size;
  if (!stkB) sp &= 0xffff;
  if (sp < stkLo || sp > stkHi || stkHi - sp < size - 1) { raise((cr0 & CR0_PE) != 0 ? 12 : 13, stkFaultSel); return; }
  privWr(size, stkBase + sp, v, stkUser);
  stkEsp = stkB ? sp : (stkEsp & 0xffff0000) | sp;
}
export function stkPop(size: u32): u32 {
  if (fault) return 0;
  const sp = stkB ? stkEsp : stkEsp & 0xffff;
  if (sp < stkLo || sp > stkHi || stkHi - sp < size - 1) { raise((cr0 & CR0_PE) != 0 ? 12 : 13, stkFaultSel); return 0; }
  const v = privRd(size, stkBase + sp, stkUser);
  const n = sp + size;
  stkEsp = stkB ? n : (stkEsp & 0xffff0000) | (n & 0xffff);
  return v;
}
/** Read at stack offset without popping (RETF/IRET checks). */
export function stkPeek(size: u32, at: u32): u32 {
  if (fault) return 0;
  let sp = (stkB ? stkEsp : stkEsp & 0xffff) + at;
  if (!stkB) sp &= 0xffff;
  if (sp < stkLo || sp > stkHi || stkHi - sp < size - 1) { raise((cr0 & CR0_PE) != 0 ? 12 : 13, stkFaultSel); return 0; }
  return privRd(size, stkBase + sp, stkUser);
}

// Hardware task switching for the Bulkhead core (Intel SDM Vol. 3A 7.3 "Task switching"):
// JMP/CALL to a TSS or task gate, INT through a task gate, IRET with EFLAGS.NT. Supports 32-bit
// (type 9/B) and 16-bit (type 1/3) TSSs, busy bits, the back link, CR3 and LDT loading and the
// segment checks of SDM Table 7-1 (#TS with the faulting selector).
import {
  CS, SS, DS, ES, FS, GS, LDTR, TR, A_VALID, F_NT, F_VM, CR0_TS, CR0_PG, cr0, cr3, eip, flagsReg,
  r32, w32, segSel, segBase, segLimit, segAttr, setCpl, setSegCache, loadSegReal, gdtrBase,
} from './state';
import { fault, raise, sysRd16, sysRd32, sysWr16, sysWr32, tlbFlushNonGlobal } from './mem';
import { readFlags, clearLazy } from './flags';
import {
  readDesc, descLo, descHi, dDpl, dPresent, dIsCode, dIsData, dConforming, dBase, dLimit, dAttr,
  loadNull, stkFromSS, stkPush, stkEsp,
} from './seg';

export const TS_JMP = 0;
export const TS_CALL = 1;
export const TS_IRET = 2;
export const TS_INT = 3;

const nregs = new StaticArray<u32>(8);
const nsegs = new StaticArray<u32>(6);

/** Switch to the task whose TSS (or task gate) selector is `sel`. */
export function taskSwitch(sel: u32, reason: i32, err: i32, viaGate: bool): void {
  sel &= 0xffff;
  if ((sel & 4) != 0) { raise(10, <i32>(sel & 0xfffc)); return; }
  if (!readDesc(sel)) { if (!fault) raise(reason == TS_IRET ? 10 : 13, <i32>(sel & 0xfffc)); return; }
  const nlo = descLo, nhi = descHi;
  const type = (nhi >>> 8) & 0x1f;
  const busyWanted = reason == TS_IRET;
  if ((type & 0x15) != 1 || (((type & 2) != 0) != busyWanted)) {
    raise(reason == TS_IRET ? 10 : 13, <i32>(sel & 0xfffc)); return;
  }
  if (!dPresent(nhi)) { raise(11, <i32>(sel & 0xfffc)); return; }
  const n32 = (type & 8) != 0;
  const nbase = dBase(nlo, nhi), nlimit = dLimit(nlo, nhi);
  const minLim: u32 = n32 ? 0x67 : 0x2b;
  if (nlimit < minLim) { raise(10, <i32>(sel & 0xfffc)); return; }

  // read the new task state before touching anything
  let neip: u32, nfl: u32, ncr3: u32 = cr3, nldt: u32;
  if (n32) {
    ncr3 = sysRd32(nbase + 0x1c); neip = sysRd32(nbase + 0x20); nfl = sysRd32(nbase + 0x24);
    for (let i = 0; i < 8; i++) nregs[i] = sysRd32(nbase + 0x28 + (<u32>i << 2));
    for (let i = 0; i < 6; i++) nsegs[i] = sysRd16(nbase + 0x48 + (<u32>i << 2));
    nldt = sysRd16(nbase + 0x60);
  } else {
    neip = sysRd16(nbase + 0x0e); nfl = sysRd16(nbase + 0x10);
    for (let i = 0; i < 8; i++) nregs[i] = sysRd16(nbase + 0x12 + (<u32>i << 1)) | 0xffff0000;
    for (let i = 0; i < 4; i++) nsegs[i] = sysRd16(nbase + 0x22 + (<u32>i << 1));
    nsegs[4] = 0; nsegs[5] = 0;
    nldt = sysRd16(nbase + 0x2a);
  }
  if (fault) return;

  // save the outgoing task
  const obase = segBase(TR), oattr = segAttr(TR), osel = segSel(TR);
  let ofl = readFlags();
  if (reason == TS_JMP || reason == TS_IRET) {
    // clear busy bit of the old TSS descriptor
    const dhi = sysRd32(gdtrBase + (osel & 0xfff8) + 4);
    sysWr32(gdtrBase + (osel & 0xfff8) + 4, dhi & ~0x200);
  }
  if (reason == TS_IRET) ofl &= ~F_NT;
  if ((oattr & 8) != 0) {
    sysWr32(obase + 0x20, eip); sysWr32(obase + 0x24, ofl);
    for (let i: u32 = 0; i < 8; i++) sysWr32(obase + 0x28 + (i << 2), r32(i));
    for (let i = 0; i < 6; i++) sysWr16(obase + 0x48 + (<u32>i << 2), segSel(i));
  } else {
    sysWr16(obase + 0x0e, eip); sysWr16(obase + 0x10, ofl);
    for (let i: u32 = 0; i < 8; i++) sysWr16(obase + 0x12 + (i << 1), r32(i));
    for (let i = 0; i < 4; i++) sysWr16(obase + 0x22 + (<u32>i << 1), segSel(i));
  }
  if (fault) return;
  if (reason == TS_CALL || reason == TS_INT) {
    sysWr16(nbase, osel);
    nfl |= F_NT;
  }
  if (reason != TS_IRET) {
    sysWr32(gdtrBase + (sel & 0xfff8) + 4, nhi | 0x200);
  }
  if (fault) return;

  // load the new task: TR, CR3, registers, flags, then segments with checks
  setSegCache(TR, sel, nbase, nlimit, dAttr(nhi | 0x200));
  cr0 |= CR0_TS;
  if (n32 && (cr0 & CR0_PG) != 0 && ncr3 != cr3) { cr3 = ncr3; tlbFlushNonGlobal(); }
  else if (n32) cr3 = ncr3;
  eip = neip;
  for (let i: u32 = 0; i < 8; i++) {
    if (n32) w32(i, nregs[i]); else w32(i, (r32(i) & 0xffff0000) | (nregs[i] & 0xffff));
  }
  clearLazy();
  flagsReg = (n32 ? nfl : (flagsReg & 0xffff0000) | (nfl & 0xffff)) | 2;
  if ((flagsReg & F_VM) != 0) {
    setCpl(3);
    for (let i = 0; i < 6; i++) loadSegReal(i, nsegs[i]);
  } else {
    // selectors first (so a fault leaves them visible), then descriptors
    for (let i = 0; i < 6; i++) setSegCache(i, nsegs[i], 0, 0, 0);
    setCpl(<i32>(nsegs[CS] & 3));
  }
  // LDT
  if ((nldt & 0xfffc) == 0) setSegCache(LDTR, nldt, 0, 0, 0);
  else {
    if ((nldt & 4) != 0 || !readDesc(nldt) || ((descHi >>> 8) & 0x1f) != 2) { if (!fault) raise(10, <i32>(nldt & 0xfffc)); return; }
    if (!dPresent(descHi)) { raise(10, <i32>(nldt & 0xfffc)); return; }
    setSegCache(LDTR, nldt, dBase(descLo, descHi), dLimit(descLo, descHi), dAttr(descHi));
  }
  if ((flagsReg & F_VM) == 0) {
    const ncpl = <i32>(nsegs[CS] & 3);
    // CS
    const cs = nsegs[CS];
    if ((cs & 0xfffc) == 0 || !readDesc(cs) || !dIsCode(descHi)) { if (!fault) raise(10, <i32>(cs & 0xfffc)); return; }
    if ((!dConforming(descHi) && dDpl(descHi) != ncpl) || (dConforming(descHi) && dDpl(descHi) > ncpl)) { raise(10, <i32>(cs & 0xfffc)); return; }
    if (!dPresent(descHi)) { raise(11, <i32>(cs & 0xfffc)); return; }
    setSegCache(CS, cs, dBase(descLo, descHi), dLimit(descLo, descHi), dAttr(descHi));
    // SS
    const ss = nsegs[SS];
    if ((ss & 0xfffc) == 0 || !readDesc(ss)) { if (!fault) raise(10, <i32>(ss & 0xfffc)); return; }
    if (!dIsData(descHi) || (descHi & 0x200) == 0 || dDpl(descHi) != ncpl || <i32>(ss & 3) != ncpl) { raise(10, <i32>(ss & 0xfffc)); return; }
    if (!dPresent(descHi)) { raise(12, <i32>(ss & 0xfffc)); return; }
    setSegCache(SS, ss, dBase(descLo, descHi), dLimit(descLo, descHi), dAttr(descHi));
    for (let i = 0; i < 6; i++) {
      if (i == CS || i == SS) continue;
      const s = nsegs[i];
      if ((s & 0xfffc) == 0) { loadNull(i, s); continue; }
      if (!readDesc(s)) { if (!fault) raise(10, <i32>(s & 0xfffc)); return; }
      const h = descHi;
      if ((h & 0x1000) == 0 || (dIsCode(h) && (h & 0x200) == 0)) { raise(10, <i32>(s & 0xfffc)); return; }
      if ((dIsData(h) || !dConforming(h)) && (<i32>(s & 3) > dDpl(h) || ncpl > dDpl(h))) { raise(10, <i32>(s & 0xfffc)); return; }
      if (!dPresent(h)) { raise(11, <i32>(s & 0xfffc)); return; }
      setSegCache(i, s, dBase(descLo, h), dLimit(descLo, h), dAttr(h));
    }
  }
  if (err >= 0) {
    stkFromSS();
    stkPush(n32 ? 4 : 2, <u32>err);
    if (fault) return;
    w32(4, stkEsp);
  }
  if (eip > segLimit(CS)) { raise(13, 0); return; }
}

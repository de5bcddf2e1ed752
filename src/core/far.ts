// Far control transfers for the Bulkhead core: JMP ptr16:16/32, CALL far, RETF, in real/V86
// mode and in protected mode through code segments, call gates (with parameter copy and stack
// switch to an inner level), task gates and TSS descriptors. Follows the JMP, CALL and RET
// pseudo-code of the Intel SDM Vol. 2 and Vol. 3A 5.8 "Privilege level checking when
// transferring program control between code segments".
import {
  ESP, CS, SS, TR, A_DB, CR0_PE, F_VM, cr0, cpl, eip, flagsReg, r32, w32, segSel, segAttr,
  setCpl, setSegCache, loadSegReal,
} from './state';
import { fault, raise } from './mem';
import {
  readDesc, descLo, descHi, dDpl, dPresent, dIsCode, dIsData, dConforming, dBase, dLimit, dAttr,
  markAccessed, stkFromSS, stkPush, stkPop, stkPeek, stkBase, stkEsp, stkB, stkUser, stkFaultSel,
  stkSetBounds, invalidateOuterSegs,
} from './seg';
import { taskSwitch, TS_JMP, TS_CALL } from './task';
import { tssStack, newSsSel, newEsp } from './intr';

function realMode(): bool { return (cr0 & CR0_PE) == 0 || (flagsReg & F_VM) != 0; }

export function farJump(sel: u32, off: u32, o32: bool): void {
  sel &= 0xffff;
  if (realMode()) { loadSegReal(CS, sel); eip = o32 ? off : off & 0xffff; return; }
  if ((sel & 0xfffc) == 0) { raise(13, 0); return; }
  if (!readDesc(sel)) { if (!fault) raise(13, <i32>(sel & 0xfffc)); return; }
  const lo = descLo, hi = descHi;
  const rpl = <i32>(sel & 3), dpl = dDpl(hi);
  if (dIsCode(hi)) {
    if (dConforming(hi) ? dpl > cpl : (rpl > cpl || dpl != cpl)) { raise(13, <i32>(sel & 0xfffc)); return; }
    if (!dPresent(hi)) { raise(11, <i32>(sel & 0xfffc)); return; }
    const t = o32 ? off : off & 0xffff;
    if (t > dLimit(lo, hi)) { raise(13, 0); return; }
    markAccessed(sel); if (fault) return;
    setSegCache(CS, (sel & 0xfffc) | <u32>cpl, dBase(lo, hi), dLimit(lo, hi), dAttr(descHi));
    eip = t;
    return;
  }
  if ((hi & 0x1000) != 0) { raise(13, <i32>(sel & 0xfffc)); return; }
  const type = (hi >>> 8) & 0xf;
  if (type == 4 || type == 0xc) {          // call gate
    if (dpl < cpl || dpl < rpl) { raise(13, <i32>(sel & 0xfffc)); return; }
    if (!dPresent(hi)) { raise(11, <i32>(sel & 0xfffc)); return; }
    const tsel = lo >>> 16;
    const g32 = type == 0xc;
    const t = g32 ? (lo & 0xffff) | (hi & 0xffff0000) : lo & 0xffff;
    if ((tsel & 0xfffc) == 0) { raise(13, 0); return; }
    if (!readDesc(tsel)) { if (!fault) raise(13, <i32>(tsel & 0xfffc)); return; }
    const clo = descLo, chi = descHi, cdpl = dDpl(chi);
    if (!dIsCode(chi) || (dConforming(chi) ? cdpl > cpl : cdpl != cpl)) { raise(13, <i32>(tsel & 0xfffc)); return; }
    if (!dPresent(chi)) { raise(11, <i32>(tsel & 0xfffc)); return; }
    if (t > dLimit(clo, chi)) { raise(13, 0); return; }
    markAccessed(tsel); if (fault) return;
    setSegCache(CS, (tsel & 0xfffc) | <u32>cpl, dBase(clo, chi), dLimit(clo, chi), dAttr(descHi));
    eip = t;
    return;
  }
  if (type == 5) {                          // task gate
    if (dpl < cpl || dpl < rpl) { raise(13, <i32>(sel & 0xfffc)); return; }
    if (!dPresent(hi)) { raise(11, <i32>(sel & 0xfffc)); return; }
    taskSwitch(lo >>> 16, TS_JMP, -1, true);
    return;
  }
  if (type == 1 || type == 9) {             // available TSS
    if (dpl < cpl || dpl < rpl) { raise(13, <i32>(sel & 0xfffc)); return; }
    taskSwitch(sel, TS_JMP, -1, false);
    return;
  }
  raise(13, <i32>(sel & 0xfffc));
}

export function farCall(sel: u32, off: u32, o32: bool): void {
  sel &= 0xffff;
  const sz: u32 = o32 ? 4 : 2;
  if (realMode()) {
    stkFromSS();
    stkPush(sz, segSel(CS)); stkPush(sz, eip);
    if (fault) return;
    w32(ESP, stkEsp);
    loadSegReal(CS, sel); eip = o32 ? off : off & 0xffff;
    return;
  }
  if ((sel & 0xfffc) == 0) { raise(13, 0); return; }
  if (!readDesc(sel)) { if (!fault) raise(13, <i32>(sel & 0xfffc)); return; }
  const lo = descLo, hi = descHi;
  const rpl = <i32>(sel & 3), dpl = dDpl(hi);
  if (dIsCode(hi)) {
    if (dConforming(hi) ? dpl > cpl : (rpl > cpl || dpl != cpl)) { raise(13, <i32>(sel & 0xfffc)); return; }
    if (!dPresent(hi)) { raise(11, <i32>(sel & 0xfffc)); return; }
    const t = o32 ? off : off & 0xffff;
    stkFromSS();
    stkPush(sz, segSel(CS)); stkPush(sz, eip);
    if (fault) return;
    if (t > dLimit(lo, hi)) { raise(13, 0); return; }
    markAccessed(sel); if (fault) return;
    w32(ESP, stkEsp);
    setSegCache(CS, (sel & 0xfffc) | <u32>cpl, dBase(lo, hi), dLimit(lo, hi), dAttr(descHi));
    eip = t;
    return;
  }
  if ((hi & 0x1000) != 0) { raise(13, <i32>(sel & 0xfffc)); return; }
  const type = (hi >>> 8) & 0xf;
  if (type == 5 || type == 1 || type == 9) {
    if (dpl < cpl || dpl < rpl) { raise(13, <i32>(sel & 0xfffc)); return; }
    if (!dPresent(hi)) { raise(11, <i32>(sel & 0xfffc)); return; }
    taskSwitch(type == 5 ? lo >>> 16 : sel, TS_CALL, -1, type == 5);
    return;
  }
  if (type != 4 && type != 0xc) { raise(13, <i32>(sel & 0xfffc)); return; }
  if (dpl < cpl || dpl < rpl) { raise(13, <i32>(sel & 0xfffc)); return; }
  if (!dPresent(hi)) { raise(11, <i32>(sel & 0xfffc)); return; }
  const g32 = type == 0xc;
  const gsz: u32 = g32 ? 4 : 2;
  const tsel = lo >>> 16;
  const t = g32 ? (lo & 0xffff) | (hi & 0xffff0000) : lo & 0xffff;
  if ((tsel & 0xfffc) == 0) { raise(13, 0); return; }
  if (!readDesc(tsel)) { if (!fault) raise(13, <i32>(tsel & 0xfffc)); return; }
  const clo = descLo, chi = descHi, cdpl = dDpl(chi);
  if (!dIsCode(chi) || cdpl > cpl) { raise(13, <i32>(tsel & 0xfffc)); return; }
  if (!dPresent(chi)) { raise(11, <i32>(tsel & 0xfffc)); return; }
  if (!dConforming(chi) && cdpl < cpl) {
    // more privileged: new stack from the TSS, copy parameters
    if (!tssStack(cdpl, 0)) return;
    const nss = newSsSel, nesp = newEsp;
    if ((nss & 0xfffc) == 0) { raise(10, 0); return; }
    if (!readDesc(nss)) { if (!fault) raise(10, <i32>(nss & 0xfffc)); return; }
    const slo = descLo, shi = descHi;
    if (<i32>(nss & 3) != cdpl || dDpl(shi) != cdpl || !dIsData(shi) || (shi & 0x200) == 0) { raise(10, <i32>(nss & 0xfffc)); return; }
    if (!dPresent(shi)) { raise(12, <i32>(nss & 0xfffc)); return; }
    // read the parameters from the old stack
    stkFromSS();
    const oldSs = segSel(SS), oldEsp = r32(ESP);
    const pc = <i32>(hi & 0x1f);
    for (let i = 0; i < 32; i++) paramBuf[i] = 0;
    for (let i = 0; i < pc; i++) paramBuf[i] = stkPeek(gsz, <u32>i * gsz);
    if (fault) return;
    const sattr = dAttr(shi);
    stkBase = dBase(slo, shi); stkEsp = nesp; stkB = (sattr & A_DB) != 0; stkUser = false;
    stkFaultSel = <i32>(nss & 0xfffc);
    stkSetBounds(dLimit(slo, shi), sattr);
    stkPush(gsz, oldSs); stkPush(gsz, oldEsp);
    for (let i = pc - 1; i >= 0; i--) stkPush(gsz, paramBuf[i]);
    stkPush(gsz, segSel(CS)); stkPush(gsz, eip);
    if (fault) return;
    if (t > dLimit(clo, chi)) { raise(13, 0); return; }
    readDesc(nss); markAccessed(nss); readDesc(tsel); markAccessed(tsel);
    if (fault) return;
    setCpl(cdpl);
    setSegCache(SS, nss, dBase(slo, shi), dLimit(slo, shi), sattr);
    w32(ESP, stkB ? stkEsp : (oldEsp & 0xffff0000) | (stkEsp & 0xffff));
    setSegCache(CS, (tsel & 0xfffc) | <u32>cdpl, dBase(clo, chi), dLimit(clo, chi), dAttr(chi));
    eip = t;
    return;
  }
  stkFromSS();
  stkPush(gsz, segSel(CS)); stkPush(gsz, eip);
  if (fault) return;
  if (t > dLimit(clo, chi)) { raise(13, 0); return; }
  markAccessed(tsel); if (fault) return;
  w32(ESP, stkEsp);
  setSegCache(CS, (tsel & 0xfffc) | <u32>cpl, dBase(clo, chi), dLimit(clo, chi), dAttr(descHi));
  eip = t;
}
const paramBuf = new StaticArray<u32>(32);

export function retFar(o32: bool, imm: u32): void {
  const sz: u32 = o32 ? 4 : 2;
  stkFromSS();
  if (realMode()) {
    const ip = stkPop(sz), cs = stkPop(sz);
    if (fault) return;
    const sp = stkEsp + imm;
    w32(ESP, stkB ? sp : (stkEsp & 0xffff0000) | (sp & 0xffff));
    loadSegReal(CS, cs & 0xffff);
    eip = ip;
    return;
  }
  const nip = stkPeek(sz, 0), ncs = stkPeek(sz, sz) & 0xffff;
  if (fault) return;
  const rpl = <i32>(ncs & 3);
  if ((ncs & 0xfffc) == 0) { raise(13, 0); return; }
  if (!readDesc(ncs)) { if (!fault) raise(13, <i32>(ncs & 0xfffc)); return; }
  const clo = descLo, chi = descHi;
  if (!dIsCode(chi) || rpl < cpl || (dConforming(chi) ? dDpl(chi) > rpl : dDpl(chi) != rpl)) { raise(13, <i32>(ncs & 0xfffc)); return; }
  if (!dPresent(chi)) { raise(11, <i32>(ncs & 0xfffc)); return; }
  const t = o32 ? nip : nip & 0xffff;
  if (t > dLimit(clo, chi)) { raise(13, 0); return; }
  if (rpl == cpl) {
    stkPop(sz); stkPop(sz);
    if (fault) return;
    markAccessed(ncs); if (fault) return;
    const sp = stkEsp + imm;
    w32(ESP, stkB ? sp : (stkEsp & 0xffff0000) | (sp & 0xffff));
    setSegCache(CS, ncs, dBase(clo, chi), dLimit(clo, chi), dAttr(descHi));
    eip = t;
    return;
  }
  const nesp = stkPeek(sz, sz * 2 + imm), nss = stkPeek(sz, sz * 3 + imm) & 0xffff;
  if (fault) return;
  if ((nss & 0xfffc) == 0) { raise(13, 0); return; }
  if (!readDesc(nss)) { if (!fault) raise(13, <i32>(nss & 0xfffc)); return; }
  const slo = descLo, shi = descHi;
  if (<i32>(nss & 3) != rpl || !dIsData(shi) || (shi & 0x200) == 0 || dDpl(shi) != rpl) { raise(13, <i32>(nss & 0xfffc)); return; }
  if (!dPresent(shi)) { raise(12, <i32>(nss & 0xfffc)); return; }
  markAccessed(nss); readDesc(ncs); markAccessed(ncs);
  if (fault) return;
  setCpl(rpl);
  setSegCache(CS, ncs, dBase(clo, chi), dLimit(clo, chi), dAttr(chi));
  setSegCache(SS, nss, dBase(slo, shi), dLimit(slo, shi), dAttr(shi));
  const sp = nesp + imm;
  if ((dAttr(shi) & A_DB) != 0) w32(ESP, sp); else w32(ESP, (r32(ESP) & 0xffff0000) | (sp & 0xffff));
  eip = t;
  invalidateOuterSegs();
}

// Interrupt and exception delivery and IRET for the Bulkhead core: the real-mode IVT path,
// protected-mode IDT gates (interrupt/trap 16/32-bit, task gates) with privilege changes and
// stack switches through the TSS, entry from and return to virtual-8086 mode.
// Follows the INT n/INTO/INT3 and IRET pseudo-code of the Intel SDM Vol. 2 and Vol. 3A ch. 6.
import {
  ESP, CS, SS, DS, ES, FS, GS, TR, A_VALID, A_DB, F_IF, F_TF, F_NT, F_RF, F_VM, F_AC, F_IOPL,
  F_VIF, F_VIP, CR0_PE, cr0, cpl, eip, flagsReg, idtrBase, idtrLimit, r32, w32, segSel, segBase,
  segLimit, segAttr, setCpl, loadSegReal, setSegCache, nmiBlocked,
} from './state';
import { fault, raise, sysRd16, sysRd32 } from './mem';
import { readFlags, clearLazy } from './flags';
import {
  readDesc, descLo, descHi, dDpl, dPresent, dIsCode, dIsData, dConforming, loadCache, loadNull,
  markAccessed, stkFromSS, stkPush, stkPop, stkPeek, stkBase, stkEsp, stkB, stkUser, stkLo, stkHi,
  stkFaultSel, stkSetBounds, dBase, dLimit, dAttr, invalidateOuterSegs, loadSeg,
} from './seg';
import { taskSwitch, TS_INT, TS_IRET } from './task';

export const INT_HW = 0;   // exception or external interrupt (EXT = 1)
export const INT_SOFT = 1; // INT n, INT3, INTO (gate DPL checked)
export const INT_ICEBP = 2;

/** Write EFLAGS as the CPU does internally (no privilege filtering). */
export function setFlagsRaw(v: u32): void {
  clearLazy();
  flagsReg = (v & 0x3f7fd7) | 2;
}

/** Deliver interrupt `vec` with the current EIP as return address. */
export function interrupt(vec: i32, err: i32, kind: i32): void {
  if ((cr0 & CR0_PE) == 0) { realInterrupt(vec); return; }
  protInterrupt(vec, err, kind);
}

function realInterrupt(vec: i32): void {
  const off = <u32>vec << 2;
  if (off + 3 > idtrLimit) { raise(13, -1); return; }
  const newIp = sysRd16(idtrBase + off);
  const newCs = sysRd16(idtrBase + off + 2);
  if (fault) return;
  const fl = readFlags();
  stkFromSS();
  stkPush(2, fl & 0xffff);
  stkPush(2, segSel(CS));
  stkPush(2, eip & 0xffff);
  if (fault) return;
  w32(ESP, stkEsp);
  flagsReg &= ~(F_IF | F_TF | F_AC | F_RF);
  loadSegReal(CS, newCs);
  eip = newIp;
}

function protInterrupt(vec: i32, err: i32, kind: i32): void {
  const ext: i32 = kind == INT_SOFT ? 0 : 1;
  const gateErr: i32 = (vec << 3) | 2 | ext;
  const off = <u32>vec << 3;
  if (off + 7 > idtrLimit) { raise(13, gateErr); return; }
  const glo = sysRd32(idtrBase + off);
  const ghi = sysRd32(idtrBase + off + 4);
  if (fault) return;
  const type = (ghi >>> 8) & 0x1f;
  if (type != 5 && type != 6 && type != 7 && type != 0xe && type != 0xf) { raise(13, gateErr); return; }
  if (kind == INT_SOFT && dDpl(ghi) < cpl) { raise(13, gateErr); return; }
  if (!dPresent(ghi)) { raise(11, gateErr); return; }
  if (type == 5) {
    taskSwitch(glo >>> 16, TS_INT, err, true);
    return;
  }
  const gate32 = (type & 8) != 0;
  const sz: u32 = gate32 ? 4 : 2;
  const tsel = glo >>> 16;
  let target = gate32 ? (glo & 0xffff) | (ghi & 0xffff0000) : glo & 0xffff;
  if ((tsel & 0xfffc) == 0) { raise(13, ext); return; }
  if (!readDesc(tsel)) { if (!fault) raise(13, <i32>(tsel & 0xfffc) | ext); return; }
  const clo = descLo, chi = descHi;
  const dpl = dDpl(chi);
  if (!dIsCode(chi) || dpl > cpl) { raise(13, <i32>(tsel & 0xfffc) | ext); return; }
  if (!dPresent(chi)) { raise(11, <i32>(tsel & 0xfffc) | ext); return; }
  const v86 = (flagsReg & F_VM) != 0;
  const fl = readFlags();
  const climit = dLimit(clo, chi);
  if (target > climit) { raise(13, 0); return; }
  if (!dConforming(chi) && dpl < cpl) {
    // inner privilege: stack from the TSS
    if (v86 && dpl != 0) { raise(13, <i32>(tsel & 0xfffc)); return; }
    if (!tssStack(dpl, ext)) return;
    const nss = newSsSel, nesp = newEsp;
    if ((nss & 0xfffc) == 0) { raise(10, ext); return; }
    if (!readDesc(nss)) { if (!fault) raise(10, <i32>(nss & 0xfffc) | ext); return; }
    const slo = descLo, shi = descHi;
    if (<i32>(nss & 3) != dpl || dDpl(shi) != dpl || !dIsData(shi) || (shi & 0x200) == 0) { raise(10, <i32>(nss & 0xfffc) | ext); return; }
    if (!dPresent(shi)) { raise(12, <i32>(nss & 0xfffc) | ext); return; }
    // build the new stack
    const sattr = dAttr(shi);
    stkBase = dBase(slo, shi); stkEsp = nesp; stkB = (sattr & A_DB) != 0; stkUser = false;
    stkFaultSel = <i32>(nss & 0xfffc) | ext;
    stkSetBounds(dLimit(slo, shi), sattr);
    if (v86) {
      stkPush(sz, segSel(GS)); stkPush(sz, segSel(FS)); stkPush(sz, segSel(DS)); stkPush(sz, segSel(ES));
    }
    stkPush(sz, segSel(SS)); stkPush(sz, r32(ESP));
    stkPush(sz, fl); stkPush(sz, segSel(CS)); stkPush(sz, eip);
    if (err >= 0) stkPush(sz, <u32>err);
    if (fault) return;
    readDesc(nss); markAccessed(nss);
    readDesc(tsel); markAccessed(tsel);
    if (fault) return;
    if (v86) { loadNull(GS, 0); loadNull(FS, 0); loadNull(DS, 0); loadNull(ES, 0); }
    setCpl(dpl);
    setSegCache(SS, nss, dBase(slo, shi), dLimit(slo, shi), sattr);
    w32(ESP, stkB ? stkEsp : (r32(ESP) & 0xffff0000) | (stkEsp & 0xffff));
  } else {
    if (v86) { raise(13, <i32>(tsel & 0xfffc) | ext); return; }
    stkFromSS();
    stkPush(sz, fl); stkPush(sz, segSel(CS)); stkPush(sz, eip);
    if (err >= 0) stkPush(sz, <u32>err);
    if (fault) return;
    markAccessed(tsel);
    if (fault) return;
    w32(ESP, stkEsp);
  }
  setSegCache(CS, (tsel & 0xfffc) | <u32>cpl, dBase(clo, chi), climit, dAttr(chi));
  if (!gate32) target &= 0xffff;
  eip = target;
  let nf = flagsReg & ~(F_TF | F_NT | F_VM | F_RF);
  if ((type & 1) == 0) nf &= ~F_IF;
  flagsReg = nf;
}

export let newSsSel: u32 = 0;
export let newEsp: u32 = 0;
/** Fetch SS:ESP for privilege level `dpl` from the current TSS (#TS on overrun). */
export function tssStack(dpl: i32, ext: i32): bool {
  const tattr = segAttr(TR);
  const base = segBase(TR), limit = segLimit(TR);
  if ((tattr & 8) != 0) {
    const o = <u32>(dpl * 8 + 4);
    if (o + 7 > limit) { raise(10, <i32>(segSel(TR) & 0xfffc) | ext); return false; }
    newEsp = sysRd32(base + o); newSsSel = sysRd16(base + o + 4);
  } else {
    const o = <u32>(dpl * 4 + 2);
    if (o + 3 > limit) { raise(10, <i32>(segSel(TR) & 0xfffc) | ext); return false; }
    newEsp = sysRd16(base + o); newSsSel = sysRd16(base + o + 2);
  }
  return !fault;
}

/** IRET / IRETD (o32) in any mode. */
export function iret(o32: bool): void {
  const sz: u32 = o32 ? 4 : 2;
  nmiBlocked = false; // IRET ends NMI blocking (SDM 6.7.1)
  if ((cr0 & CR0_PE) == 0) {
    stkFromSS();
    const ip = stkPop(sz), cs = stkPop(sz), fl = stkPop(sz);
    if (fault) return;
    w32(ESP, stkEsp);
    loadSegReal(CS, cs & 0xffff);
    eip = ip;
    const cur = readFlags();
    if (o32) setFlagsRaw((fl & 0x257fd5) | (cur & 0x1a0000));
    else setFlagsRaw((cur & 0xffff0000) | (fl & 0xffff));
    return;
  }
  if ((flagsReg & F_VM) != 0) {
    if (((flagsReg >> 12) & 3) != 3) { raise(13, 0); return; }
    stkFromSS();
    const ip = stkPop(sz), cs = stkPop(sz), fl = stkPop(sz);
    if (fault) return;
    if (ip > 0xffff) { raise(13, 0); return; }
    w32(ESP, stkEsp);
    loadSegReal(CS, cs & 0xffff);
    eip = ip;
    const cur = readFlags();
    const keep: u32 = F_IOPL | F_VM | F_VIF | F_VIP;
    if (o32) setFlagsRaw((fl & ~keep) | (cur & keep));
    else setFlagsRaw((cur & 0xffff0000) | (fl & 0xffff & ~F_IOPL) | (cur & F_IOPL));
    return;
  }
  if ((flagsReg & F_NT) != 0) {
    const link = sysRd16(segBase(TR));
    if (fault) return;
    taskSwitch(link, TS_IRET, -1, false);
    return;
  }
  stkFromSS();
  const nip = stkPeek(sz, 0), ncs = stkPeek(sz, sz) & 0xffff, nfl = stkPeek(sz, sz * 2);
  if (fault) return;
  if (o32 && (nfl & F_VM) != 0 && cpl == 0) { iretToV86(nip, ncs, nfl); return; }
  const rpl = <i32>(ncs & 3);
  if ((ncs & 0xfffc) == 0) { raise(13, 0); return; }
  if (!readDesc(ncs)) { if (!fault) raise(13, <i32>(ncs & 0xfffc)); return; }
  const clo = descLo, chi = descHi;
  if (!dIsCode(chi) || rpl < cpl || (dConforming(chi) && dDpl(chi) > rpl) || (!dConforming(chi) && dDpl(chi) != rpl)) { raise(13, <i32>(ncs & 0xfffc)); return; }
  if (!dPresent(chi)) { raise(11, <i32>(ncs & 0xfffc)); return; }
  const climit = dLimit(clo, chi);
  const target = o32 ? nip : nip & 0xffff;
  if (target > climit) { raise(13, 0); return; }
  const cur = readFlags();
  let mask: u32 = 0x44dd5 | 0x200000 | F_NT | F_RF; // arith, TF, DF, OF, NT, RF, AC, ID
  mask |= 0x100;
  if (cpl <= <i32>((cur >> 12) & 3)) mask |= F_IF;
  if (cpl == 0) mask |= F_IOPL | F_VIF | F_VIP;
  if (!o32) mask &= 0xffff;
  const newFlags = (cur & ~mask) | (nfl & mask);
  if (rpl == cpl) {
    stkPop(sz); stkPop(sz); stkPop(sz);
    markAccessed(ncs);
    if (fault) return;
    w32(ESP, stkEsp);
    setSegCache(CS, ncs, dBase(clo, chi), climit, dAttr(chi));
    eip = target;
    setFlagsRaw(newFlags);
    return;
  }
  // return to an outer level: pop ESP and SS too
  const nesp = stkPeek(sz, sz * 3), nss = stkPeek(sz, sz * 4) & 0xffff;
  if (fault) return;
  if ((nss & 0xfffc) == 0) { raise(13, 0); return; }
  if (!readDesc(nss)) { if (!fault) raise(13, <i32>(nss & 0xfffc)); return; }
  const slo = descLo, shi = descHi;
  if (<i32>(nss & 3) != rpl || !dIsData(shi) || (shi & 0x200) == 0 || dDpl(shi) != rpl) { raise(13, <i32>(nss & 0xfffc)); return; }
  if (!dPresent(shi)) { raise(12, <i32>(nss & 0xfffc)); return; }
  markAccessed(nss);
  readDesc(ncs); markAccessed(ncs);
  if (fault) return;
  setCpl(rpl);
  setSegCache(CS, ncs, dBase(clo, chi), climit, dAttr(chi));
  setSegCache(SS, nss, dBase(slo, shi), dLimit(slo, shi), dAttr(shi));
  if ((dAttr(shi) & A_DB) != 0) w32(ESP, nesp);
  else w32(ESP, (r32(ESP) & 0xffff0000) | (nesp & 0xffff));
  eip = target;
  setFlagsRaw(newFlags);
  invalidateOuterSegs();
}

function iretToV86(nip: u32, ncs: u32, nfl: u32): void {
  const nesp = stkPeek(4, 12), nss = stkPeek(4, 16), nes = stkPeek(4, 20), nds = stkPeek(4, 24);
  const nfs = stkPeek(4, 28), ngs = stkPeek(4, 32);
  if (fault) return;
  setFlagsRaw(nfl);
  setCpl(3);
  loadSegReal(CS, ncs); loadSegReal(SS, nss & 0xffff); loadSegReal(ES, nes & 0xffff);
  loadSegReal(DS, nds & 0xffff); loadSegReal(FS, nfs & 0xffff); loadSegReal(GS, ngs & 0xffff);
  w32(ESP, nesp);
  eip = nip & 0xffff;
}

// x87 environment and state images: FNSTENV/FLDENV (14 or 28 bytes) and FNSAVE/FRSTOR
// (94 or 108 bytes) in the four layouts of Intel SDM Vol. 1 8.1.10 / Figures 8-9 to 8-12:
// 16- or 32-bit operand size x protected mode or real-address/virtual-8086 mode. In the
// real-mode layouts the instruction and operand pointers are 20/32-bit linear addresses
// (selector*16 + offset) and FOP is stored; in protected mode selector:offset pairs are stored.

import {
  cw, setCw, statusWord, setStatusWord, tagWord, setTagWord, fip, fcs, fop, fdp, fds, setPointers,
  top, resetState, swRaw, ES, BUSY, setSwRaw,
} from './state';
import { regToExt, xSexp, xMant, physSetExact } from './convert';
import { read80, write80, rTop } from './memio';
import { rd16, rd32, wr16, wr32, probeWrite, faultPending, cpuMode } from './link';

/** Scratch for the 7 environment words and the 8 register images of FRSTOR (no allocation). */
const SCRATCH: usize = memory.data(32, 8);
const REGBUF: usize = memory.data(128, 8);

/** Size of the environment image: 28 bytes with a 32-bit operand size, else 14. */
export function envSize(o32: bool): u32 { return o32 ? 28 : 14; }

/** Write the environment at seg:off (the caller has probed the whole range). */
function storeEnv(seg: i32, off: u32, o32: bool): void {
  const real = cpuMode() != 1;
  const sw = statusWord(), tw = tagWord();
  const ipLin = real ? (fcs() << 4) + fip() : fip();
  const dpLin = real ? (fds() << 4) + fdp() : fdp();
  if (o32) {
    wr32(seg, off, 0xffff0000 | cw());
    wr32(seg, off + 4, 0xffff0000 | sw);
    wr32(seg, off + 8, 0xffff0000 | tw);
    if (real) {
      wr32(seg, off + 12, 0xffff0000 | (ipLin & 0xffff));
      wr32(seg, off + 16, ((ipLin >> 16) << 12) | fop());
      wr32(seg, off + 20, 0xffff0000 | (dpLin & 0xffff));
      wr32(seg, off + 24, (dpLin >> 16) << 12);
    } else {
      wr32(seg, off + 12, fip());
      wr32(seg, off + 16, fcs() | (fop() << 16));
      wr32(seg, off + 20, fdp());
      wr32(seg, off + 24, 0xffff0000 | fds());
    }
  } else {
    wr16(seg, off, cw());
    wr16(seg, off + 2, sw);
    wr16(seg, off + 4, tw);
    if (real) {
      wr16(seg, off + 6, ipLin & 0xffff);
      wr16(seg, off + 8, (((ipLin >> 16) & 0xf) << 12) | fop());
      wr16(seg, off + 10, dpLin & 0xffff);
      wr16(seg, off + 12, ((dpLin >> 16) & 0xf) << 12);
    } else {
      wr16(seg, off + 6, fip() & 0xffff);
      wr16(seg, off + 8, fcs());
      wr16(seg, off + 10, fdp() & 0xffff);
      wr16(seg, off + 12, fds());
    }
  }
}

/** Read the environment image; returns false on a fault (state unchanged). */
function loadEnv(seg: i32, off: u32, o32: bool, apply: bool): bool {
  const real = cpuMode() != 1;
  const step: u32 = o32 ? 4 : 2;
  for (let i: u32 = 0; i < 7; i++) {
    store<u32>(SCRATCH + (<usize>i << 2), o32 ? rd32(seg, off + i * step) : rd16(seg, off + i * step));
    if (faultPending()) return false;
  }
  if (!apply) return true;
  const w0 = load<u32>(SCRATCH), w1 = load<u32>(SCRATCH, 4), w2 = load<u32>(SCRATCH, 8);
  const w3 = load<u32>(SCRATCH, 12), w4 = load<u32>(SCRATCH, 16), w5 = load<u32>(SCRATCH, 20);
  const w6 = load<u32>(SCRATCH, 24);
  setCw(w0);
  setStatusWord(w1);
  setTagWord(w2);
  if (real) {
    const ip = o32 ? (w3 & 0xffff) | ((w4 >> 12) << 16) : (w3 & 0xffff) | (((w4 >> 12) & 0xf) << 16);
    const dp = o32 ? (w5 & 0xffff) | ((w6 >> 12) << 16) : (w5 & 0xffff) | (((w6 >> 12) & 0xf) << 16);
    setPointers(ip, 0, w4 & 0x7ff, dp, 0);
  } else if (o32) {
    setPointers(w3, w4 & 0xffff, (w4 >> 16) & 0x7ff, w5, w6 & 0xffff);
  } else {
    setPointers(w3, w4, fop(), w5, w6);
  }
  // ES follows the loaded exception flags against the loaded masks (SDM 8.1.3 / 8.6)
  const s = swRaw();
  if ((s & ~cw() & 0x3f) != 0) setSwRaw(s | ES | BUSY); else setSwRaw(s & ~(ES | BUSY));
  return true;
}

/** FNSTENV: store the environment, then mask all exceptions. */
export function fnstenv(seg: i32, off: u32, o32: bool): void {
  if (!probeWrite(seg, off, envSize(o32))) return;
  storeEnv(seg, off, o32);
  if (faultPending()) return;
  setCw(cw() | 0x3f);
}

/** FLDENV. */
export function fldenv(seg: i32, off: u32, o32: bool): void {
  loadEnv(seg, off, o32, true);
}

/** FNSAVE: environment + ST(0)..ST(7) as 80-bit values, then FNINIT. */
export function fnsave(seg: i32, off: u32, o32: bool): void {
  const n = envSize(o32);
  if (!probeWrite(seg, off, n + 80)) return;
  storeEnv(seg, off, o32);
  for (let i: u32 = 0; i < 8; i++) {
    regToExt((top() + i) & 7);
    if (!write80(seg, off + n + i * 10, xMant, xSexp)) return;
  }
  if (faultPending()) return;
  resetState();
}

/** FRSTOR: environment + registers; all reads happen before any state changes. */
export function frstor(seg: i32, off: u32, o32: bool): void {
  const n = envSize(o32);
  if (!loadEnv(seg, off, o32, false)) return;
  for (let i: u32 = 0; i < 8; i++) {
    store<u64>(REGBUF + (<usize>i << 4), read80(seg, off + n + i * 10));
    if (faultPending()) return;
    store<u32>(REGBUF + (<usize>i << 4), rTop, 8);
  }
  loadEnv(seg, off, o32, true);
  const empties = tagWord();
  for (let i: u32 = 0; i < 8; i++) {
    const p = (top() + i) & 7;
    const lo = load<u64>(REGBUF + (<usize>i << 4)), hi = load<u32>(REGBUF + (<usize>i << 4), 8);
    physSetExact(p, hi, lo);
  }
  setTagWord(empties);
}

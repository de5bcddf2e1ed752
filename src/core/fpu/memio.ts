// Multi-byte guest memory operands of the x87 FPU (m16/m32/m64 integers and reals, m80 real
// and packed BCD) built from the CPU core's segmented byte/word/dword accessors. Reads return
// early on a fault (the caller checks faultPending()); writes are probed first so a faulting
// store leaves memory unchanged (Intel SDM Vol. 3A 6.15: faults are restartable).

import { rd16, rd32, wr16, wr32, probeWrite, faultPending } from './link';

/** Low and high dwords of the last read64, and the top word of the last read80. */
export let rLo: u32 = 0;
export let rHi: u32 = 0;
export let rTop: u32 = 0;

export function read64(seg: i32, off: u32): u64 {
  rLo = rd32(seg, off);
  if (faultPending()) return 0;
  rHi = rd32(seg, off + 4);
  return (<u64>rHi << 32) | <u64>rLo;
}

/** 80-bit operand: returns the low 64 bits, the top 16 bits in rTop. */
export function read80(seg: i32, off: u32): u64 {
  const v = read64(seg, off);
  if (faultPending()) return 0;
  rTop = rd16(seg, off + 8);
  return v;
}

/** Store a 64-bit value; false when the store would fault (fault pending, nothing written). */
export function write64(seg: i32, off: u32, v: u64): bool {
  if (!probeWrite(seg, off, 8)) return false;
  wr32(seg, off, <u32>v);
  wr32(seg, off + 4, <u32>(v >> 32));
  return !faultPending();
}

export function write80(seg: i32, off: u32, lo: u64, top: u32): bool {
  if (!probeWrite(seg, off, 10)) return false;
  wr32(seg, off, <u32>lo);
  wr32(seg, off + 4, <u32>(lo >> 32));
  wr16(seg, off + 8, top);
  return !faultPending();
}

// Test double for src/core/fpu/link.ts (unit tests only, never part of build/core.wasm):
// a flat 64 KiB guest memory addressed as segment base + offset, a "fault window" that makes
// accesses fail like a page fault, and fake CR0, EFLAGS, EIP, selectors, mode, AX and IRQ 13.

export const GUEST: usize = memory.data(0x10000, 16);
const SEG_BASES: usize = memory.data(32, 4);
const SEG_SELS: usize = memory.data(32, 4);

export let cr0: u32 = 0x11;
export let eflags: u32 = 2;
export let eip: u32 = 0;
export let mode: i32 = 1;
export let fault: bool = false;
export let lastVector: i32 = -1;
export let exceptionCount: i32 = 0;
export let irq13: bool = false;
export let ax: u32 = 0;
export let faultLo: u32 = 0xffffffff;
export let faultHi: u32 = 0;

export function setCr0(v: u32): void { cr0 = v; }
export function setEflagsT(v: u32): void { eflags = v; }
export function setEip(v: u32): void { eip = v; }
export function setMode(m: i32): void { mode = m; }
export function setSeg(s: i32, base: u32, sel: u32): void {
  store<u32>(SEG_BASES + (<usize>s << 2), base);
  store<u32>(SEG_SELS + (<usize>s << 2), sel);
}
export function setFaultWindow(lo: u32, hi: u32): void { faultLo = lo; faultHi = hi; }
export function clearFault(): void { fault = false; lastVector = -1; }
export function setAx(v: u32): void { ax = v; }

function lin(seg: i32, off: u32): u32 { return load<u32>(SEG_BASES + (<usize>seg << 2)) + off; }
function bad(a: u32, len: u32): bool {
  if (a + len > 0x10000) return true;
  return a + len > faultLo && a < faultHi;
}
function pf(): void { fault = true; lastVector = 14; exceptionCount++; }

export function rd8(seg: i32, off: u32): u32 { const a = lin(seg, off); if (bad(a, 1)) { pf(); return 0; } return load<u8>(GUEST + a); }
export function rd16(seg: i32, off: u32): u32 { const a = lin(seg, off); if (bad(a, 2)) { pf(); return 0; } return load<u16>(GUEST + a); }
export function rd32(seg: i32, off: u32): u32 { const a = lin(seg, off); if (bad(a, 4)) { pf(); return 0; } return load<u32>(GUEST + a); }
export function wr8(seg: i32, off: u32, v: u32): void { const a = lin(seg, off); if (bad(a, 1)) { pf(); return; } store<u8>(GUEST + a, <u8>v); }
export function wr16(seg: i32, off: u32, v: u32): void { const a = lin(seg, off); if (bad(a, 2)) { pf(); return; } store<u16>(GUEST + a, <u16>v); }
export function wr32(seg: i32, off: u32, v: u32): void { const a = lin(seg, off); if (bad(a, 4)) { pf(); return; } store<u32>(GUEST + a, v); }
export function probeWrite(seg: i32, off: u32, len: u32): bool {
  if (bad(lin(seg, off), len)) { pf(); return false; }
  return true;
}

export function faultPending(): bool { return fault; }
export function raiseException(vector: i32, errorCode: i32): void {
  lastVector = vector; exceptionCount++;
  if (vector != 16 && vector != 6) fault = true;
}
export function getCr0(): u32 { return cr0; }
export function readEflags(): u32 { return eflags; }
export function writeEflags(v: u32): void { eflags = v; }
export function instrStartEip(): u32 { return eip; }
export function segSelector(seg: i32): u32 { return load<u32>(SEG_SELS + (<usize>seg << 2)); }
export function cpuMode(): i32 { return mode; }
export function raiseIrq13(level: bool): void { irq13 = level; }
export function writeAx(v: u32): void { ax = v & 0xffff; }

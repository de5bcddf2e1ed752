// Lazy EFLAGS for the Bulkhead core. Arithmetic instructions record their operands, result and
// kind; CF/PF/AF/ZF/SF/OF are derived only when read (Jcc, PUSHF, ADC...). Flag definitions
// follow the Intel SDM Vol. 1 3.4.3 and the per-instruction "Flags Affected" sections.
import { flagsReg, F_CF, F_PF, F_AF, F_ZF, F_SF, F_OF, F_ARITH } from './state';

export const OP_ADD = 0;
export const OP_ADC = 1;   // carry-in was 1
export const OP_SUB = 2;
export const OP_SBB = 3;   // borrow-in was 1
export const OP_LOGIC = 4; // CF=OF=0, AF=0
export const OP_INC = 5;   // CF not lazy
export const OP_DEC = 6;
export const OP_RES = 7;   // only PF/ZF/SF lazy, others eager in flagsReg

/** Which arithmetic flags are derived from the lazy record (others are in flagsReg). */
export let lazyMask: u32 = 0;
export let lazyOp: u32 = 0;
export let lazyA: u32 = 0;
export let lazyB: u32 = 0;
export let lazyR: u32 = 0;
/** Operand size in bits minus one: 7, 15 or 31. */
export let lazyTop: u32 = 7;

/** Record an arithmetic result. a, b and r are already masked to the operand size. */
@inline export function setLazy(op: u32, a: u32, b: u32, r: u32, top: u32): void {
  lazyOp = op; lazyA = a; lazyB = b; lazyR = r; lazyTop = top;
  lazyMask = op == OP_INC || op == OP_DEC ? F_ARITH & ~F_CF : F_ARITH;
}
@inline export function setLazyArith(op: u32, a: u32, b: u32, r: u32, top: u32): void {
  lazyOp = op; lazyA = a; lazyB = b; lazyR = r; lazyTop = top; lazyMask = F_ARITH;
}


export function getCF(): bool {
  if ((lazyMask & F_CF) == 0) return (flagsReg & F_CF) != 0;
  const a = lazyA, b = lazyB, r = lazyR;
  switch (lazyOp) {
    case OP_ADD: return r < a;
    case OP_ADC: return r <= a;
    case OP_SUB: return a < b;
    case OP_SBB: return a <= b;
    default: return false;
  }
}
export function getZF(): bool {
  if ((lazyMask & F_ZF) == 0) return (flagsReg & F_ZF) != 0;
  return lazyR == 0;
}
export function getSF(): bool {
  if ((lazyMask & F_SF) == 0) return (flagsReg & F_SF) != 0;
  return ((lazyR >> lazyTop) & 1) != 0;
}
export function getPF(): bool {
  if ((lazyMask & F_PF) == 0) return (flagsReg & F_PF) != 0;
  return (popcnt<u32>(lazyR & 0xff) & 1) == 0;
}
export function getAF(): bool {
  if ((lazyMask & F_AF) == 0) return (flagsReg & F_AF) != 0;
  if (lazyOp == OP_LOGIC) return false;
  if (lazyOp == OP_RES) return (flagsReg & F_AF) != 0;
  return ((lazyA ^ lazyB ^ lazyR) & 0x10) != 0;
}
export function getOF(): bool {
  if ((lazyMask & F_OF) == 0) return (flagsReg & F_OF) != 0;
  const a = lazyA, b = lazyB, r = lazyR;
  switch (lazyOp) {
    case OP_ADD: case OP_ADC: case OP_INC: return (((a ^ r) & (b ^ r)) >> lazyTop & 1) != 0;
    case OP_SUB: case OP_SBB: case OP_DEC: return (((a ^ b) & (a ^ r)) >> lazyTop & 1) != 0;
    default: return false;
  }
}

/** Fold the lazy flags into flagsReg and return full EFLAGS. */
export function readFlags(): u32 {
  if (lazyMask != 0) {
    let f = flagsReg & ~lazyMask;
    const m = lazyMask;
    if ((m & F_CF) != 0 && getCF()) f |= F_CF;
    if ((m & F_PF) != 0 && getPF()) f |= F_PF;
    if ((m & F_AF) != 0 && getAF()) f |= F_AF;
    if ((m & F_ZF) != 0 && getZF()) f |= F_ZF;
    if ((m & F_SF) != 0 && getSF()) f |= F_SF;
    if ((m & F_OF) != 0 && getOF()) f |= F_OF;
    flagsReg = f;
    lazyMask = 0;
  }
  return flagsReg | 2;
}

/** Set arithmetic flags eagerly (bits in `mask` taken from `v`). */
export function setArith(mask: u32, v: u32): void {
  readFlags();
  flagsReg = (flagsReg & ~mask) | (v & mask);
}
/** Materialise only CF into flagsReg (keeps the rest lazy). */
export function foldCF(): void {
  if ((lazyMask & F_CF) != 0) {
    const c = getCF();
    flagsReg = (flagsReg & ~F_CF) | (c ? F_CF : 0);
    lazyMask &= ~F_CF;
  }
}
export function setCF(c: bool): void { foldCF(); flagsReg = (flagsReg & ~F_CF) | (c ? F_CF : 0); }
/** Result-only record: PF/ZF/SF from r, the rest already eager in flagsReg. */
export function setResFlags(r: u32, top: u32): void {
  lazyOp = OP_RES; lazyR = r; lazyTop = top; lazyA = 0; lazyB = 0; lazyMask = F_PF | F_ZF | F_SF;
}
export function clearLazy(): void { lazyMask = 0; }

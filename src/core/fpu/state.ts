// x87 FPU architectural state: the eight data registers, the control, status and tag words,
// and the last-instruction/last-operand pointers (Intel SDM Vol. 1 ch. 8.1-8.1.9).
//
// Every piece of state lives in one static block of linear memory (STATE, STATE_SIZE bytes), so
// a snapshot is a byte copy of that block. A register holds an f64 and, when its value is not
// exactly an f64 (a 64-bit significand, an exponent beyond the f64 range, an 80-bit NaN
// payload...), also its exact 80-bit image (significand + sign/exponent). The 80-bit image is
// the architectural value: arithmetic, comparisons and stores use it; the f64 is its
// round-to-nearest cache for the f64 fast paths and the transcendental functions.

export const STATE_SIZE: i32 = 176;
export const STATE: usize = memory.data(STATE_SIZE, 16);

const O_VAL: usize = 0;      // 8 x f64, by physical register number
const O_MANT: usize = 64;    // 8 x u64 exact 80-bit significand (shadow)
const O_SEXP: usize = 128;   // 8 x u16 exact 80-bit sign/exponent (shadow)
const O_EXTV: usize = 144;   // u8 bit i: physical register i has a valid shadow
const O_EMPTY: usize = 145;  // u8 bit i: physical register i is empty (tag 11)
const O_CW: usize = 146;     // u16 control word
const O_SW: usize = 148;     // u16 status word without the TOP field
const O_TOP: usize = 150;    // u8 TOP
const O_FOP: usize = 152;    // u16 last opcode (11 bits)
const O_FIP: usize = 156;    // u32 last instruction offset
const O_FCS: usize = 160;    // u16 last instruction selector
const O_FDS: usize = 162;    // u16 last operand selector
const O_FDP: usize = 164;    // u32 last operand offset
const O_VER: usize = 168;    // u32 layout version (for snapshots)
export const STATE_VERSION: u32 = 1;

// ---- status word bits ----
export const IE: u32 = 0x01; export const DE: u32 = 0x02; export const ZE: u32 = 0x04;
export const OE: u32 = 0x08; export const UE: u32 = 0x10; export const PE: u32 = 0x20;
export const SF: u32 = 0x40; export const ES: u32 = 0x80;
export const C0: u32 = 0x100; export const C1: u32 = 0x200; export const C2: u32 = 0x400;
export const C3: u32 = 0x4000; export const BUSY: u32 = 0x8000;
export const CC_ALL: u32 = C0 | C1 | C2 | C3;

// ---- rounding control ----
export const RC_NEAR: u32 = 0; export const RC_DOWN: u32 = 1; export const RC_UP: u32 = 2; export const RC_CHOP: u32 = 3;

/** The x87 "real indefinite" QNaN (negative, quiet bit only) as an f64 bit pattern. */
export const INDEFINITE_BITS: u64 = 0xFFF8000000000000;

@inline export function cw(): u32 { return load<u16>(STATE + O_CW); }
@inline export function setCw(v: u32): void { store<u16>(STATE + O_CW, <u16>((v & 0x1f3f) | 0x40)); }
@inline export function rc(): u32 { return (cw() >> 10) & 3; }
@inline export function pc(): u32 { return (cw() >> 8) & 3; }
@inline export function swRaw(): u32 { return load<u16>(STATE + O_SW); }
@inline export function setSwRaw(v: u32): void { store<u16>(STATE + O_SW, <u16>(v & 0xc7ff)); }
@inline export function top(): u32 { return load<u8>(STATE + O_TOP); }
@inline export function setTop(v: u32): void { store<u8>(STATE + O_TOP, <u8>(v & 7)); }
/** The architectural status word (with TOP in bits 11-13). */
@inline export function statusWord(): u32 { return swRaw() | (top() << 11); }
/** FLDCW: a pending flag that is now unmasked is reported by the next waiting instruction. */
export function loadControlWord(w: u32): void {
  setCw(w);
  const s = swRaw();
  setSwRaw((s & ~cw() & 0x3f) != 0 ? s | ES | BUSY : s & ~(ES | BUSY));
}
/** Load a whole status word (FLDENV/FRSTOR); B mirrors ES. */
export function setStatusWord(v: u32): void {
  let s = v & 0x47ff;
  if ((s & ES) != 0) s |= BUSY;
  setSwRaw(s);
  setTop((v >> 11) & 7);
}

@inline export function phys(i: u32): u32 { return (top() + i) & 7; }
@inline export function emptyMask(): u32 { return load<u8>(STATE + O_EMPTY); }
@inline export function setEmptyMask(m: u32): void { store<u8>(STATE + O_EMPTY, <u8>m); }
@inline export function physEmpty(p: u32): bool { return (emptyMask() & (<u32>1 << p)) != 0; }
@inline export function stEmpty(i: u32): bool { return physEmpty(phys(i)); }
@inline export function physVal(p: u32): f64 { return load<f64>(STATE + O_VAL + (<usize>p << 3)); }
@inline export function stVal(i: u32): f64 { return physVal(phys(i)); }
/** Bit p set: physical register p holds an exact 80-bit shadow (its f64 is only a rounding). */
@inline export function extMask(): u32 { return load<u8>(STATE + O_EXTV); }
@inline export function extValid(p: u32): bool { return (load<u8>(STATE + O_EXTV) & (<u32>1 << p)) != 0; }
@inline export function extMant(p: u32): u64 { return load<u64>(STATE + O_MANT + (<usize>p << 3)); }
@inline export function extSexp(p: u32): u32 { return load<u16>(STATE + O_SEXP + (<usize>p << 1)); }

@inline function setExtValid(p: u32, v: bool): void {
  const m = <u32>load<u8>(STATE + O_EXTV);
  store<u8>(STATE + O_EXTV, <u8>(v ? m | (<u32>1 << p) : m & ~(<u32>1 << p)));
}

/** Write a plain f64 value into physical register p (marks it non-empty, drops any shadow). */
export function physSet(p: u32, v: f64): void {
  store<f64>(STATE + O_VAL + (<usize>p << 3), v);
  setEmptyMask(emptyMask() & ~(<u32>1 << p));
  setExtValid(p, false);
}
/** Write a value with an exact 80-bit shadow (v must be the f64 rounding of the shadow). */
export function physSetExt(p: u32, v: f64, sexp: u32, mant: u64): void {
  store<f64>(STATE + O_VAL + (<usize>p << 3), v);
  store<u64>(STATE + O_MANT + (<usize>p << 3), mant);
  store<u16>(STATE + O_SEXP + (<usize>p << 1), <u16>sexp);
  setEmptyMask(emptyMask() & ~(<u32>1 << p));
  setExtValid(p, true);
}
/** Overwrite the f64 of a non-empty register without a shadow (the fast paths' results). */
@inline export function physStore(p: u32, v: f64): void { store<f64>(STATE + O_VAL + (<usize>p << 3), v); }
/** Copy physical register src to dst, shadow included. */
export function physCopy(dst: u32, src: u32): void {
  if (extValid(src)) physSetExt(dst, physVal(src), extSexp(src), extMant(src));
  else physSet(dst, physVal(src));
}
@inline export function stSet(i: u32, v: f64): void { physSet(phys(i), v); }
export function physFree(p: u32): void { setEmptyMask(emptyMask() | (<u32>1 << p)); }

// ---- pointers ----
@inline export function fip(): u32 { return load<u32>(STATE + O_FIP); }
@inline export function fcs(): u32 { return load<u16>(STATE + O_FCS); }
@inline export function fop(): u32 { return load<u16>(STATE + O_FOP); }
@inline export function fdp(): u32 { return load<u32>(STATE + O_FDP); }
@inline export function fds(): u32 { return load<u16>(STATE + O_FDS); }
/** Last-instruction pointer and opcode of a register form (the operand pointer is kept). */
@inline export function setInstrPointer(ip: u32, cs: u32, op: u32): void {
  store<u32>(STATE + O_FIP, ip); store<u16>(STATE + O_FCS, <u16>cs);
  store<u16>(STATE + O_FOP, <u16>(op & 0x7ff));
}
export function setPointers(ip: u32, cs: u32, op: u32, dp: u32, ds: u32): void {
  store<u32>(STATE + O_FIP, ip); store<u16>(STATE + O_FCS, <u16>cs);
  store<u16>(STATE + O_FOP, <u16>(op & 0x7ff));
  store<u32>(STATE + O_FDP, dp); store<u16>(STATE + O_FDS, <u16>ds);
}

/** FNINIT state (SDM Vol. 1 Table 8-3): CW=037F, SW=0, all registers empty, pointers 0. */
export function resetState(): void {
  memory.fill(STATE, 0, STATE_SIZE);
  setCw(0x037f);
  setEmptyMask(0xff);
  store<u32>(STATE + O_VER, STATE_VERSION);
}

// ---- tag word ----
/** Tag of one physical register: 0 valid, 1 zero, 2 special (NaN, inf, denormal, unsupported), 3 empty. */
export function physTag(p: u32): u32 {
  if (physEmpty(p)) return 3;
  if (extValid(p)) {
    const e = extSexp(p) & 0x7fff, m = extMant(p);
    if (e == 0) return m == 0 ? 1 : 2;
    if (e == 0x7fff || (m >> 63) == 0) return 2;
    return 0;
  }
  const v = physVal(p);
  if (v == 0) return 1;
  if (isNaN(v) || !isFinite(v)) return 2;
  return 0;
}
/** Full 16-bit tag word, two bits per physical register. */
export function tagWord(): u32 {
  let t: u32 = 0;
  for (let p: u32 = 0; p < 8; p++) t |= physTag(p) << (p << 1);
  return t;
}
/** Load a tag word: only "empty" (11) versus "not empty" is kept; the rest is derived. */
export function setTagWord(t: u32): void {
  let m: u32 = 0;
  for (let p: u32 = 0; p < 8; p++) if (((t >> (p << 1)) & 3) == 3) m |= <u32>1 << p;
  setEmptyMask(m);
}

// ---- per-instruction exception accumulation ----
/** Exception flags raised by the instruction being executed. */
export let exc: u32 = 0;
/** C1 value set by this instruction (-1: leave as is). */
export let c1Out: i32 = -1;
export function beginInstr(): void { exc = 0; c1Out = -1; }
export function raise(bits: u32): void { exc |= bits; }
/** Undo flags raised by a helper whose result is used silently (e.g. FLD m80 conversion). */
export function restoreFlags(e: u32, c: i32): void { exc = e; c1Out = c; }
export function setC1(v: bool): void { c1Out = v ? 1 : 0; }
/** True when any of `bits` is raised now and unmasked in the control word. */
export function unmaskedNow(bits: u32): bool { return (exc & bits & ~cw() & 0x3f) != 0; }
/** Merge this instruction's flags into the status word; set ES/B if one is unmasked. */
export function commitExc(): void {
  let s = swRaw() | exc;
  if (c1Out >= 0) s = c1Out != 0 ? s | C1 : s & ~C1;
  if ((exc & ~cw() & 0x3f) != 0) s |= ES | BUSY;
  setSwRaw(s);
}
/** Set the condition codes named in `mask` to `val` (bits in status-word positions). */
export function setCC(mask: u32, val: u32): void { setSwRaw((swRaw() & ~mask) | (val & mask)); }

/** Exchange two physical registers (value, shadow and empty bit). */
export function physSwap(a: u32, b: u32): void {
  const va = physVal(a), ma = extMant(a), sa = extSexp(a), xa = extValid(a), ea = physEmpty(a);
  const vb = physVal(b), mb = extMant(b), sb = extSexp(b), xb = extValid(b), eb = physEmpty(b);
  if (xb) physSetExt(a, vb, sb, mb); else physSet(a, vb);
  if (xa) physSetExt(b, va, sa, ma); else physSet(b, va);
  let m = emptyMask() & ~((<u32>1 << a) | (<u32>1 << b));
  if (eb) m |= <u32>1 << a;
  if (ea) m |= <u32>1 << b;
  setEmptyMask(m);
}

/** Power-on / RESET state (SDM Vol. 3A Table 9-1): CW=0040, SW=0, TW=5555 (all +0.0). */
export function powerOnState(): void {
  memory.fill(STATE, 0, STATE_SIZE);
  setCw(0x0040);
  setEmptyMask(0);
  store<u32>(STATE + O_VER, STATE_VERSION);
}

// CPU architectural state of the Bulkhead core: general registers, segment descriptor caches,
// control registers, descriptor-table registers and the fixed memory map of the core's
// reserved area [0, 16 MiB) of the shared memory (src/machine/layout.ts CORE_RESERVED).
// Register and segment-cache semantics follow the Intel SDM Vol. 3A ch. 2-3.

// ---- fixed offsets inside the reserved area -------------------------------------------
// [0, 1 MiB): AssemblyScript static data (memoryBase 4096) and nothing else (runtime stub).
export const REGS: u32 = 0x100000;          // 8 x u32: EAX ECX EDX EBX ESP EBP ESI EDI
export const SEG_SEL: u32 = 0x100040;       // 8 x u32 (ES CS SS DS FS GS, LDTR=6, TR=7)
export const SEG_BASE: u32 = 0x100060;
export const SEG_LIMIT: u32 = 0x100080;
export const SEG_ATTR: u32 = 0x1000a0;      // access byte | flags nibble << 12 | VALID
export const SEG_LO: u32 = 0x1000c0;        // lowest valid offset (expand-down: limit+1)
export const SEG_HI: u32 = 0x1000e0;        // highest valid offset
export const SEG_RIGHTS: u32 = 0x100100;    // RIGHT_READ | RIGHT_WRITE, precomputed
export const TLB_LIST: u32 = 0x101000;      // valid TLB vpn list, TLB_LIST_MAX x u32
export const TLB_LIST_MAX: u32 = 16384;
export const TLB_INFO: u32 = 0x200000;      // 1 Mi x u8 permission bits per linear page
export const TLB_HOST: u32 = 0x300000;      // 1 Mi x u32: host offset of page - linear page base
export const TLB_PHYS: u32 = 0x700000;      // 1 Mi x u32: physical page base
export const PAGE_MAP: u32 = 0xb00000;      // 1 Mi x u32: memOffset | PhysKind, per 4 KiB frame
export const CORE_END: u32 = 0xf00000;

// ---- register numbers -----------------------------------------------------------------
export const EAX = 0; export const ECX = 1; export const EDX = 2; export const EBX = 3;
export const ESP = 4; export const EBP = 5; export const ESI = 6; export const EDI = 7;
export const ES = 0; export const CS = 1; export const SS = 2; export const DS = 3;
export const FS = 4; export const GS = 5; export const LDTR = 6; export const TR = 7;

// segment attribute bits (descriptor bits 40..55 with the limit nibble removed)
export const A_TYPE: u32 = 0x0f;
export const A_S: u32 = 0x10;        // code/data (not system)
export const A_DPL: u32 = 0x60;
export const A_P: u32 = 0x80;
export const A_DB: u32 = 0x4000;
export const A_G: u32 = 0x8000;
export const A_VALID: u32 = 0x10000; // usable (a null selector in protected mode is not)
export const RIGHT_READ: u32 = 1;
export const RIGHT_WRITE: u32 = 2;

// EFLAGS bits
export const F_CF: u32 = 0x1; export const F_PF: u32 = 0x4; export const F_AF: u32 = 0x10;
export const F_ZF: u32 = 0x40; export const F_SF: u32 = 0x80; export const F_TF: u32 = 0x100;
export const F_IF: u32 = 0x200; export const F_DF: u32 = 0x400; export const F_OF: u32 = 0x800;
export const F_IOPL: u32 = 0x3000; export const F_NT: u32 = 0x4000; export const F_RF: u32 = 0x10000;
export const F_VM: u32 = 0x20000; export const F_AC: u32 = 0x40000; export const F_VIF: u32 = 0x80000;
export const F_VIP: u32 = 0x100000; export const F_ID: u32 = 0x200000;
export const F_ARITH: u32 = 0x8d5;
/** Bits of EFLAGS a P6 without VME lets software change at all. */
export const F_WRITABLE: u32 = 0x277fd5;

// CR0 / CR4 bits
export const CR0_PE: u32 = 1; export const CR0_MP: u32 = 2; export const CR0_EM: u32 = 4;
export const CR0_TS: u32 = 8; export const CR0_ET: u32 = 0x10; export const CR0_NE: u32 = 0x20;
export const CR0_WP: u32 = 0x10000; export const CR0_AM: u32 = 0x40000;
export const CR0_NW: u32 = 0x20000000; export const CR0_CD: u32 = 0x40000000; export const CR0_PG: u32 = 0x80000000;
export const CR4_VME: u32 = 1; export const CR4_PVI: u32 = 2; export const CR4_TSD: u32 = 4;
export const CR4_DE: u32 = 8; export const CR4_PSE: u32 = 0x10; export const CR4_PGE: u32 = 0x80;

// ---- scalar state (wasm globals) -------------------------------------------------------
export let eip: u32 = 0;
/** EFLAGS bits that are not lazily computed (see flags.ts). */
export let flagsReg: u32 = 2;
export let cpl: i32 = 0;
export let cr0: u32 = 0x60000010;
export let cr2: u32 = 0;
export let cr3: u32 = 0;
export let cr4: u32 = 0;
export let dr = new StaticArray<u32>(8);
export let gdtrBase: u32 = 0; export let gdtrLimit: u32 = 0xffff;
export let idtrBase: u32 = 0; export let idtrLimit: u32 = 0xffff;
/** CS.D: default operand/address size of the code segment. */
export let csD: bool = false;
/** SS.B: 32-bit stack pointer. */
export let ssB: bool = false;
export let a20Mask: u32 = 0xffffffff;
export let halted: bool = false;
export let intrLine: bool = false;
export let nmiPending: bool = false;
export let nmiBlocked: bool = false;
/** Interrupt shadow after MOV SS / POP SS / STI: no interrupt before the next instruction. */
export let intShadow: bool = false;
/** Set with intShadow/halted/exitRequested/nmiPending: the run loop's fast path leaves on it. */
export let eventFlag: bool = false;
export let sysenterCs: u32 = 0; export let sysenterEsp: u32 = 0; export let sysenterEip: u32 = 0;
export let tscOffset: f64 = 0;
export let lastTsc: f64 = 0;
export let instrCount: f64 = 0;
export let sliceStart: f64 = 0;
/** Instructions retired in the current run() slice. */
export let sliceCount: i32 = 0;
/** The budget of the current cpuRun slice (exec.ts x87Run must not run past it). */
export let sliceMax: i32 = 0;
export let exitRequested: bool = false;
export let smm: bool = false;

/** Decode state mirrored here so segment loads keep o32/a32 = CS.D between instructions. */
export let o32: bool = false;
export let a32: bool = false;

// ---- register helpers ------------------------------------------------------------------
@inline export function r32(i: u32): u32 { return load<u32>(REGS + (i << 2)); }
@inline export function w32(i: u32, v: u32): void { store<u32>(REGS + (i << 2), v); }
@inline export function r16(i: u32): u32 { return load<u16>(REGS + (i << 2)); }
@inline export function w16(i: u32, v: u32): void { store<u16>(REGS + (i << 2), <u16>v); }
@inline export function r8(i: u32): u32 { return load<u8>(REGS + ((i & 3) << 2) + (i >> 2)); }
@inline export function w8(i: u32, v: u32): void { store<u8>(REGS + ((i & 3) << 2) + (i >> 2), <u8>v); }

@inline export function segSel(s: i32): u32 { return load<u32>(SEG_SEL + (<u32>s << 2)); }
@inline export function segBase(s: i32): u32 { return load<u32>(SEG_BASE + (<u32>s << 2)); }
@inline export function segLimit(s: i32): u32 { return load<u32>(SEG_LIMIT + (<u32>s << 2)); }
@inline export function segAttr(s: i32): u32 { return load<u32>(SEG_ATTR + (<u32>s << 2)); }

export function isProt(): bool { return (cr0 & CR0_PE) != 0; }
export function isV86(): bool { return (flagsReg & F_VM) != 0; }
/** 0 real, 1 protected, 2 virtual-8086. */
export function mode(): i32 { return (cr0 & CR0_PE) == 0 ? 0 : ((flagsReg & F_VM) != 0 ? 2 : 1); }
export function iopl(): i32 { return <i32>((flagsReg >> 12) & 3); }

/** Write a segment descriptor cache and derive the fast-path bounds and rights. */
export function setSegCache(s: i32, sel: u32, base: u32, limit: u32, attr: u32): void {
  const o = <u32>s << 2;
  store<u32>(SEG_SEL + o, sel);
  store<u32>(SEG_BASE + o, base);
  store<u32>(SEG_LIMIT + o, limit);
  store<u32>(SEG_ATTR + o, attr);
  let lo: u32 = 0, hi: u32 = limit, rights: u32 = 0;
  if ((attr & A_VALID) != 0 && (attr & A_P) != 0 && (attr & A_S) != 0) {
    const t = attr & 0xf;
    if ((t & 8) != 0) {               // code: execute-only or execute/read, never writable
      if ((t & 2) != 0) rights = RIGHT_READ;
    } else {
      rights = RIGHT_READ | ((t & 2) != 0 ? RIGHT_WRITE : 0);
      if ((t & 4) != 0) {             // expand-down
        lo = limit + 1;
        hi = (attr & A_DB) != 0 ? 0xffffffff : 0xffff;
        if (lo == 0) { lo = 1; hi = 0; } // limit = max: empty
      }
    }
  }
  store<u32>(SEG_LO + o, lo);
  store<u32>(SEG_HI + o, hi);
  store<u32>(SEG_RIGHTS + o, rights);
  // flat: base 0, every offset valid, readable and writable: lin = offset, no limit check
  const bit: u32 = <u32>1 << <u32>s;
  if (s < 6 && base == 0 && lo == 0 && hi == 0xffffffff && rights == (RIGHT_READ | RIGHT_WRITE)) flatMask |= bit;
  else flatMask &= ~bit;
  if (s == CS) { csD = (attr & A_DB) != 0; o32 = csD; a32 = csD; killFetch(); }
  else if (s == SS) ssB = (attr & A_DB) != 0;
}

/** Real-mode / V86 segment load: base = sel*16, keeps the cached limit in real mode. */
export function loadSegReal(s: i32, sel: u32): void {
  sel &= 0xffff;
  if ((flagsReg & F_VM) != 0) {
    setSegCache(s, sel, sel << 4, 0xffff, A_VALID | A_P | A_S | 0x3 | 0x60 | (s == CS ? 0x8 : 0));
  } else {
    const o = <u32>s << 2;
    let attr = load<u32>(SEG_ATTR + o) | A_VALID | A_P | A_S;
    // real mode: data segments behave as read/write; CS keeps execute/read code rights
    attr = (attr & ~0x6f) | 0x3; // real mode: every segment (CS too) is read/write data
    if (s == CS) attr &= ~A_DB;
    setSegCache(s, sel, sel << 4, load<u32>(SEG_LIMIT + o), attr);
  }
}

/** TLB permission bits required for a read / write at the current privilege (see mem.ts). */
export let tlbRd: u32 = 2;
export let tlbWr: u32 = 4;
export function setCpl(c: i32): void { cpl = c; tlbRd = c == 3 ? 8 : 2; tlbWr = c == 3 ? 16 : 4; }
/**
 * Instruction-fetch window (mem.ts fetchFill): EIPs e with e - fetchLo < fetchSpan lie in the
 * cached code page and within the CS limit, and their byte is at host address fetchHost + e.
 * fetchSpan1/fetchSpan3 are the same bound for 2- and 4-byte fetches. All 0 = invalid.
 */
export let fetchLo: u32 = 0;
export let fetchSpan: u32 = 0;
export let fetchSpan1: u32 = 0;
export let fetchSpan3: u32 = 0;
export let fetchHost: u32 = 0;
/** Drop the fetch window (CS load, TLB flush, INVLPG, mapPhysical). */
@inline export function killFetch(): void { fetchSpan = 0; fetchSpan1 = 0; fetchSpan3 = 0; }
/**
 * Bit s (ES..GS) set: segment s is flat (base 0, limit 4 GiB expand-up, present, readable and
 * writable data), so a data access at offset off is a linear access at off with no limit check.
 * Maintained by setSegCache, the only writer of the segment caches.
 */
export let flatMask: u32 = 0;
export function setEip(v: u32): void { eip = v; }
export function setFlagsRegRaw(v: u32): void { flagsReg = v; }
export function setCr0Raw(v: u32): void { cr0 = v; }
export function setCr2(v: u32): void { cr2 = v; }
export function setCr3Raw(v: u32): void { cr3 = v; }
export function setCr4Raw(v: u32): void { cr4 = v; }
export function setGdtr(b: u32, l: u32): void { gdtrBase = b; gdtrLimit = l; }
export function setIdtr(b: u32, l: u32): void { idtrBase = b; idtrLimit = l; }
export function setA20Raw(m: u32): void { a20Mask = m; }
export function setHalted(h: bool): void { halted = h; }
export function setIntrLine(l: bool): void { intrLine = l; }
export function setNmiPending(p: bool): void { nmiPending = p; }
export function setNmiBlocked(p: bool): void { nmiBlocked = p; }
export function setIntShadow(p: bool): void { intShadow = p; }
export function setSysenter(which: i32, v: u32): void {
  if (which == 0) sysenterCs = v; else if (which == 1) sysenterEsp = v; else sysenterEip = v;
}
export function setTscOffset(v: f64): void { tscOffset = v; }
export function setLastTsc(v: f64): void { lastTsc = v; }
export function addInstr(n: f64): void { instrCount += n; }
export function setInstrCount(n: f64): void { instrCount = n; }
export function setSliceStart(n: f64): void { sliceStart = n; }
export function setExitRequested(b: bool): void { exitRequested = b; }

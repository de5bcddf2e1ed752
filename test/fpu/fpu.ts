// Test driver for the standalone FPU module (build/fpu-test.wasm, see build.ts): instantiates
// it and offers instruction-level helpers (escape opcode + ModRM + memory bytes) and readers for
// the architectural state. Also a few exact reference helpers (BigInt rounding) for the tests.
import { buildFpuTestWasm } from './build.js';

// lib ES2022 has no WebAssembly types (tsconfig.node.json): a structural view of what is used
interface WasmGlobal { value: unknown }
interface WasmMemory { buffer: ArrayBuffer }
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
let module: object | undefined;

export const SEG_ES = 0, SEG_CS = 1, SEG_SS = 2, SEG_DS = 3;
/** Scratch guest address used by the memory-operand helpers. */
export const A = 0x1000;

export interface Exports {
  memory: WasmMemory;
  GUEST: WasmGlobal;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [k: string]: any;
}

export class Fpu {
  e: Exports;
  constructor() {
    module ??= new WA.Module(buildFpuTestWasm());
    const inst = new WA.Instance(module, { env: { abort: () => { throw new Error('abort'); } } });
    this.e = inst.exports as unknown as Exports;
    for (let s = 0; s < 6; s++) this.e.setSeg(s, 0, 0);
    this.e.setCr0(0x31); // PE, ET, NE
    this.e.setMode(1);
    this.e.fpuInit();
    this.exec(0xdb, 0xe3); // FNINIT
  }
  get base(): number { return this.e.GUEST.value as number; }
  view(): DataView { return new DataView(this.e.memory.buffer); }
  /** Execute one FPU instruction. For memory forms pass the ModRM reg field via modrm (mod=00). */
  exec(op: number, modrm: number, ea = A, seg = SEG_DS, o32 = true): void {
    this.e.clearFault();
    this.e.fpuExec(op, modrm, seg, ea, o32 ? 1 : 0);
  }
  /** Memory form: op with /reg at address ea. */
  mem(op: number, reg: number, ea = A, o32 = true): void { this.exec(op, reg << 3, ea, SEG_DS, o32); }
  wait(): void { this.e.clearFault(); this.e.fpuWait(); }

  // ---- guest memory ----
  wbytes(addr: number, bytes: number[] | Uint8Array): void {
    new Uint8Array(this.e.memory.buffer, this.base + addr, bytes.length).set(bytes);
  }
  rbytes(addr: number, n: number): number[] {
    return Array.from(new Uint8Array(this.e.memory.buffer, this.base + addr, n));
  }
  w16(addr: number, v: number): void { this.view().setUint16(this.base + addr, v, true); }
  w32(addr: number, v: number): void { this.view().setUint32(this.base + addr, v >>> 0, true); }
  r16(addr: number): number { return this.view().getUint16(this.base + addr, true); }
  r32(addr: number): number { return this.view().getUint32(this.base + addr, true); }
  wf64(addr: number, v: number): void { this.view().setFloat64(this.base + addr, v, true); }
  rf64(addr: number): number { return this.view().getFloat64(this.base + addr, true); }
  wu64(addr: number, v: bigint): void { this.view().setBigUint64(this.base + addr, BigInt.asUintN(64, v), true); }
  ru64(addr: number): bigint { return this.view().getBigUint64(this.base + addr, true); }

  // ---- common instruction sequences ----
  /** FLD m64 of a JS number. */
  ld(v: number, addr = A + 0x100): void { this.wu64(addr, f64bits(v)); this.mem(0xdd, 0, addr); }
  /** FLD m64 from raw bits. */
  ldBits(b: bigint, addr = A + 0x100): void { this.wu64(addr, b); this.mem(0xdd, 0, addr); }
  /** FSTP m64 and return the value. */
  stp(addr = A + 0x200): number { this.mem(0xdd, 3, addr); return this.rf64(addr); }
  stpBits(addr = A + 0x200): bigint { this.mem(0xdd, 3, addr); return this.ru64(addr); }
  fldcw(v: number): void { this.w16(A + 0x300, v); this.mem(0xd9, 5, A + 0x300); }
  setRc(rc: number, pc = 3): void { this.fldcw(0x037f & ~0xf00 | (rc << 10) | (pc << 8)); }

  // ---- state ----
  sw(): number { return this.e.fpuStatusWord() >>> 0; }
  cw(): number { return this.e.fpuControlWord() >>> 0; }
  tag(): number { return this.e.fpuTag() >>> 0; }
  top(): number { return this.e.fpuTop() >>> 0; }
  st(i: number): number { return this.e.st(i) as number; }
  stBits(i: number): bigint { return f64bits(this.st(i)); }
  empty(i: number): boolean { return !!this.e.stIsEmpty(i); }
  flags(): number { return this.sw() & 0x7f; }
  cc(): { c0: number; c1: number; c2: number; c3: number } {
    const s = this.sw();
    return { c0: (s >> 8) & 1, c1: (s >> 9) & 1, c2: (s >> 10) & 1, c3: (s >> 14) & 1 };
  }
  eflags(): number { return this.e.getEflags() >>> 0; }
  vector(): number { return this.e.getLastVector() as number; }
  fnclex(): void { this.exec(0xdb, 0xe2); }
}

// ---- bit helpers ----
const dv = new DataView(new ArrayBuffer(8));
export function f64bits(v: number): bigint { dv.setFloat64(0, v); return dv.getBigUint64(0); }
export function bitsF64(b: bigint): number { dv.setBigUint64(0, BigInt.asUintN(64, b)); return dv.getFloat64(0); }
export function f32bits(v: number): number { dv.setFloat32(0, v); return dv.getUint32(0); }
export function bitsF32(b: number): number { dv.setUint32(0, b >>> 0); return dv.getFloat32(0); }
/** 10 little-endian bytes of an 80-bit value. */
export function ext80(sexp: number, mant: bigint): number[] {
  const out: number[] = [];
  for (let i = 0; i < 8; i++) out.push(Number((mant >> BigInt(i * 8)) & 0xffn));
  out.push(sexp & 0xff, (sexp >> 8) & 0xff);
  return out;
}

// ---- exact references ----
/** A finite double as an exact rational m * 2^e (BigInt m, number e). */
export function exact(v: number): { m: bigint; e: number } {
  const b = f64bits(v);
  const sign = b >> 63n ? -1n : 1n;
  const ex = Number((b >> 52n) & 0x7ffn);
  const fr = b & 0xfffffffffffffn;
  if (ex === 0) return { m: sign * fr, e: -1074 };
  return { m: sign * (fr | (1n << 52n)), e: ex - 1075 };
}

/**
 * Round the exact rational num/den (den > 0) to a double with `prec` significand bits
 * (f64 exponent range, gradual underflow) under rounding mode rc (0 near, 1 down, 2 up, 3 chop).
 */
export function roundRational(num: bigint, den: bigint, prec: number, rc: number): number {
  if (num === 0n) return rc === 1 ? -0 : 0;
  const neg = num < 0n;
  let n = neg ? -num : num;
  // find k with 2^(prec-1) <= n/den * 2^-k < 2^prec
  let k = (n.toString(2).length - den.toString(2).length) - (prec - 1);
  const scaled = (kk: number): [bigint, bigint] => kk >= 0 ? [n, den << BigInt(kk)] : [n << BigInt(-kk), den];
  for (;;) {
    const [a, b] = scaled(k);
    const q = a / b;
    if (q >= (1n << BigInt(prec))) { k++; continue; }
    if (q < (1n << BigInt(prec - 1))) { k--; continue; }
    break;
  }
  // denormal range: the unit of the last place is at least 2^-1074 and the exponent of a
  // normal result (value in [2^(prec-1), 2^prec) * 2^k) must keep k + prec - 1 >= -1022
  const minK = Math.max(-1074, -1022 - (prec - 1));
  if (k < minK) k = minK;
  const [a, b] = scaled(k);
  let q = a / b;
  const r = a - q * b;
  if (r !== 0n) {
    const twice = 2n * r;
    let inc = false;
    if (rc === 0) inc = twice > b || (twice === b && (q & 1n) === 1n);
    else if (rc === 1) inc = neg;
    else if (rc === 2) inc = !neg;
    if (inc) q += 1n;
  }
  let v = Number(q) * 2 ** k;   // exact: q < 2^54, scaling by a power of two
  if (k > 900) v = Number(q) * 2 ** 900 * 2 ** (k - 900);
  if (k < -900) v = Number(q) * 2 ** -900 * 2 ** (k + 900);
  if (!Number.isFinite(v)) {
    // overflow: infinity or the largest finite value depending on the direction
    const toInf = rc === 0 || (rc === 2 && !neg) || (rc === 1 && neg);
    v = toInf ? Infinity : Number.MAX_VALUE;
    if (prec === 24 && !toInf) v = (2 - 2 ** -23) * 2 ** 1023;
  }
  return neg ? -v : v;
}

/** Exact result of a op b as a rational, for finite non-special operands. */
export function exactOp(op: '+' | '-' | '*' | '/', a: number, b: number): [bigint, bigint] {
  const x = exact(a), y = exact(b);
  const lift = (m: bigint, e: number, base: number) => m << BigInt(e - base);
  if (op === '+' || op === '-') {
    const base = Math.min(x.e, y.e);
    const s = lift(x.m, x.e, base) + (op === '+' ? 1n : -1n) * lift(y.m, y.e, base);
    return base >= 0 ? [s << BigInt(base), 1n] : [s, 1n << BigInt(-base)];
  }
  if (op === '*') {
    const m = x.m * y.m, e = x.e + y.e;
    return e >= 0 ? [m << BigInt(e), 1n] : [m, 1n << BigInt(-e)];
  }
  // division: (xm/ym) * 2^(xe-ye)
  let num = x.m, den = y.m;
  if (den < 0n) { num = -num; den = -den; }
  const e = x.e - y.e;
  return e >= 0 ? [num << BigInt(e), den] : [num, den << BigInt(-e)];
}

/** Deterministic pseudo-random doubles (xorshift), mixing magnitudes. */
export function rng(seed: number, minExp = -60, maxExp = 60): () => number {
  let s = seed >>> 0 || 1;
  const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
  return () => {
    const hi = next(), lo = next();
    const mant = (hi & 0xfffff) * 2 ** 32 + lo;
    const exp = minExp + (next() % (maxExp - minExp + 1));
    const sign = next() & 1 ? -1 : 1;
    // scaled in two steps so that results below 2^-1022 round to denormals like any double op
    const m = 1 + mant / 2 ** 52;
    return sign * (exp < -1000 ? (m * 2 ** (exp + 200)) * 2 ** -200 : m * 2 ** exp);
  };
}

/** An 80-bit value as sign/exponent word and 64-bit significand. */
export interface Ext { sexp: number; mant: bigint }

/**
 * Round the exact rational num/den to `prec` bits (24, 53, 64) in the double extended exponent
 * range (as the FPU does for register results under precision control) with mode rc.
 */
export function roundRationalExt(num: bigint, den: bigint, prec: number, rc: number): Ext {
  if (num === 0n) return { sexp: rc === 1 ? 0x8000 : 0, mant: 0n };
  const neg = num < 0n;
  const n = neg ? -num : num;
  let k = (n.toString(2).length - den.toString(2).length) - (prec - 1);
  const scaled = (kk: number): [bigint, bigint] => kk >= 0 ? [n, den << BigInt(kk)] : [n << BigInt(-kk), den];
  for (;;) {
    const [a, b] = scaled(k);
    const q = a / b;
    if (q >= (1n << BigInt(prec))) { k++; continue; }
    if (q < (1n << BigInt(prec - 1))) { k--; continue; }
    break;
  }
  const [a, b] = scaled(k);
  let q = a / b;
  const r = a - q * b;
  if (r !== 0n) {
    let inc = false;
    if (rc === 0) inc = 2n * r > b || (2n * r === b && (q & 1n) === 1n);
    else if (rc === 1) inc = neg;
    else if (rc === 2) inc = !neg;
    if (inc) q += 1n;
  }
  if (q === 1n << BigInt(prec)) { q >>= 1n; k++; }
  const mant = q << BigInt(64 - prec);
  const E = k + prec + 16382;
  return { sexp: (neg ? 0x8000 : 0) | E, mant };
}
/** Exact rational value of an 80-bit (normal) image. */
export function extRational(x: Ext): [bigint, bigint] {
  const s = x.sexp & 0x8000 ? -1n : 1n;
  const e = (x.sexp & 0x7fff) - 16383 - 63;
  return e >= 0 ? [s * x.mant << BigInt(e), 1n] : [s * x.mant, 1n << BigInt(-e)];
}
export function extBytes(x: Ext): number[] { return ext80(x.sexp, x.mant); }

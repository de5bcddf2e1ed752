/**
 * Reader and runner for the SingleStepTests 80286 real-mode vectors (MOO format, see
 * ../shared/cpu-tests/sst-80286/README.md): parses the gzip'd chunk files, applies the
 * 286-vs-386 skip rules, loads one test into a single core instance and compares the final
 * registers and RAM with the hardware capture (FLAGS masked with 0x0FFF and the per-opcode
 * flags-mask of metadata.json).
 */
import { gunzipSync } from 'node:zlib';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { CpuCore } from '../../src/machine/cpu-core.js';
import type { CpuHost } from '../../src/machine/cpu-api.js';
import { PhysKind } from '../../src/machine/cpu-api.js';
import { computeLayout, WASM_PAGE } from '../../src/machine/layout.js';

export const DEFAULT_SST_DIR = '../shared/cpu-tests/sst-80286/v1_real_mode';

export interface SstState { regs: (number | undefined)[]; ram: [number, number][] }
export interface SstTest {
  idx: number;
  name: string;
  bytes: Uint8Array;
  init: SstState;
  final: SstState;
  excp?: { vector: number; flagAddress: number };
  hash: string;
}

// MOO register order: ax bx cx dx cs ss ds es sp bp si di ip flags
const NREGS = 14;

function readState(buf: Buffer, start: number, end: number): SstState {
  const st: SstState = { regs: new Array<number | undefined>(NREGS).fill(undefined), ram: [] };
  let p = start;
  while (p + 8 <= end) {
    const id = buf.toString('latin1', p, p + 4);
    const len = buf.readUInt32LE(p + 4);
    const body = p + 8;
    if (id === 'REGS') {
      const mask = buf.readUInt16LE(body);
      let q = body + 2;
      for (let i = 0; i < NREGS; i++) if (mask & (1 << i)) { st.regs[i] = buf.readUInt16LE(q); q += 2; }
    } else if (id === 'RAM ') {
      const count = buf.readUInt32LE(body);
      let q = body + 4;
      for (let i = 0; i < count; i++) { st.ram.push([buf.readUInt32LE(q), buf[q + 4]]); q += 5; }
    }
    p = body + len;
  }
  return st;
}

/** Parse one .MOO.gz file. */
export function parseMoo(file: string): SstTest[] {
  const buf = gunzipSync(readFileSync(file));
  const tests: SstTest[] = [];
  let p = 0;
  while (p + 8 <= buf.length) {
    const id = buf.toString('latin1', p, p + 4);
    const len = buf.readUInt32LE(p + 4);
    const body = p + 8;
    if (id === 'TEST') {
      const t: SstTest = { idx: buf.readUInt32LE(body), name: '', bytes: new Uint8Array(0), init: { regs: [], ram: [] }, final: { regs: [], ram: [] }, hash: '' };
      let q = body + 4;
      const end = body + len;
      while (q + 8 <= end) {
        const sid = buf.toString('latin1', q, q + 4);
        const slen = buf.readUInt32LE(q + 4);
        const sb = q + 8;
        if (sid === 'NAME') t.name = buf.toString('latin1', sb + 4, sb + 4 + buf.readUInt32LE(sb));
        else if (sid === 'BYTS') t.bytes = new Uint8Array(buf.subarray(sb + 4, sb + 4 + buf.readUInt32LE(sb)));
        else if (sid === 'INIT') t.init = readState(buf, sb, sb + slen);
        else if (sid === 'FINA') t.final = readState(buf, sb, sb + slen);
        else if (sid === 'EXCP') t.excp = { vector: buf[sb], flagAddress: buf.readUInt32LE(sb + 1) };
        else if (sid === 'HASH') t.hash = buf.subarray(sb, sb + 20).toString('hex');
        q = sb + slen;
      }
      tests.push(t);
    }
    p = body + len;
  }
  return tests;
}

interface OpMeta { status?: string; 'flags-mask'?: number; reg?: Record<string, OpMeta> }
export interface SstMeta { opcodes: Record<string, OpMeta> }

export function loadMeta(dir: string): { meta: SstMeta; revoked: Set<string> } {
  const root = join(dir, '..');
  const meta = JSON.parse(readFileSync(join(root, 'metadata.json'), 'utf8')) as SstMeta;
  const revoked = new Set<string>();
  const rl = join(root, 'revocation_list.txt');
  if (existsSync(rl)) for (const line of readFileSync(rl, 'utf8').split('\n')) { const s = line.trim(); if (s && !s.startsWith('#')) revoked.add(s.toLowerCase()); }
  return { meta, revoked };
}

/** Flags mask for a file name like "80.3.MOO.gz" or "F4.MOO.gz". */
export function flagsMaskFor(meta: SstMeta, fileName: string): number {
  const parts = fileName.replace('.MOO.gz', '').split('.');
  const op = meta.opcodes[parts[0]];
  let m = op?.['flags-mask'];
  if (parts.length > 1 && op?.reg?.[parts[1]]?.['flags-mask'] !== undefined) m = op.reg[parts[1]]['flags-mask'];
  return (m ?? 0xffff) & 0x0fff;
}

/** Captures a 386-class CPU does not reproduce: */
const HW_ANOMALIES = new Set<string>([
  // CD #2044 `int 3Bh`: the capture shows SS (12F2) pushed where CS (C93A) belongs.
  'ba5bb16b5a4306333a359c3abd2169b871ffa42c',
  // F6.7 #952 `idiv byte [si]`: -32319/124 = -260 overflows AL; the 286 returned AL=80h, AH=C1h
  // without #DE (a 386 raises #DE, SDM IDIV "Operation").
  '0038b4bacfb75535b5da175f619b0812b16d0601',
]);

const PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0xf0, 0xf2, 0xf3]);

/** Why a test does not apply to a 386-class core, or null. */
export function skipReason(t: SstTest, fileName: string, revoked: Set<string>): string | null {
  if (fileName.startsWith('D8.')) return 'fpu';
  if (revoked.has(t.hash)) return 'revoked';
  if (t.bytes.length - 1 > 10) return 'length';
  let i = 0;
  let lock = false;
  while (i < t.bytes.length && PREFIXES.has(t.bytes[i])) { if (t.bytes[i] === 0xf0) lock = true; i++; }
  const op = t.bytes[i];
  // The 286 ignores LOCK where a 386 raises #UD: keep only the LOCK forms a 386 accepts.
  if (lock && !lockable386(op, t.bytes[i + 1] ?? 0)) return 'lock';
  // The 80286 updates SI/DI (string instructions) and SP (POP m) before it detects the
  // segment-limit #GP of the memory access; a 386 faults with the registers unchanged.
  if (t.excp?.vector === 13 && ((op >= 0x6c && op <= 0x6f) || (op >= 0xa4 && op <= 0xaf) || op === 0x8f)) return '286 fault state';
  if (HW_ANOMALIES.has(t.hash)) return 'anomaly';
  if ((op === 0x8c || op === 0x8e) && i + 1 < t.bytes.length) {
    const reg = (t.bytes[i + 1] >> 3) & 7;
    if (reg === 4 || reg === 5) return 'fs/gs';
  }
  return null;
}

/** LOCK is valid on a 386+ only with these opcodes and a memory destination (SDM LOCK). */
function lockable386(op: number, modrm: number): boolean {
  const mem = modrm >> 6 !== 3, reg = (modrm >> 3) & 7;
  if (op < 0x40 && (op & 7) < 2 && (op & 0x38) !== 0x38) return mem;
  if (op >= 0x80 && op <= 0x83) return mem && reg !== 7;
  if (op === 0x86 || op === 0x87) return mem;
  if (op === 0xf6 || op === 0xf7) return mem && (reg === 2 || reg === 3);
  if (op === 0xfe || op === 0xff) return mem && reg < 2;
  return false;
}

// core register index for each MOO register (ax bx cx dx | cs ss ds es | sp bp si di)
const GPR = [0, 3, 1, 2, -1, -1, -1, -1, 4, 5, 6, 7];
const SEG = [-1, -1, -1, -1, 1, 2, 3, 0];
const NAMES = ['ax', 'bx', 'cx', 'dx', 'cs', 'ss', 'ds', 'es', 'sp', 'bp', 'si', 'di', 'ip', 'flags'];

/** One core over 16 MiB of RAM, reused for every test. */
export class SstRunner {
  readonly core: CpuCore;
  private readonly ram: Uint8Array;
  private readonly ramOffset: number;

  constructor(wasm: Uint8Array | object) {
    const layout = computeLayout(16, 1, 1);
    const WA = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => { buffer: ArrayBuffer } } }).WebAssembly;
    const memory = new WA.Memory({ initial: layout.totalBytes / WASM_PAGE, maximum: 65536, shared: true });
    const host: CpuHost = {
      portRead: () => 0xffffffff,
      portWrite: () => {},
      portReadString: () => 0,
      portWriteString: () => 0,
      mmioRead: () => 0xffffffff,
      mmioWrite: () => {},
      interruptAcknowledge: () => 8,
    };
    this.core = new CpuCore(wasm, memory, host);
    this.ramOffset = layout.ramOffset;
    this.ram = new Uint8Array(memory.buffer, layout.ramOffset, layout.ramSize);
    this.core.mapPhysical(0, layout.ramSize, PhysKind.Ram, layout.ramOffset);
    this.core.setA20(true);
  }

  /** Run one test; returns null on success or a description of the first differences. */
  run(t: SstTest, flagsMask: number): string | null {
    const e = this.core.exports;
    e.reset();
    const r = t.init.regs;
    for (let i = 0; i < 12; i++) {
      const v = r[i] ?? 0;
      if (GPR[i] >= 0) e.setReg(GPR[i], v);
      else e.setSegReal(SEG[i], v);
    }
    e.setEip(r[12] ?? 0);
    e.setFlags(((r[13] ?? 0) & 0x0fff) | 2);
    for (const [a, v] of t.init.ram) this.ram[a] = v;
    const exit = e.run(64);
    const errs: string[] = [];
    if (exit !== 1 && exit !== 2) errs.push(`exit ${exit}`);
    const got = [
      e.getReg(0), e.getReg(3), e.getReg(1), e.getReg(2), e.getSeg(1), e.getSeg(2), e.getSeg(3), e.getSeg(0),
      e.getReg(4), e.getReg(5), e.getReg(6), e.getReg(7), e.getEip(), e.getFlags(),
    ];
    for (let i = 0; i < NREGS; i++) {
      let want = t.final.regs[i] ?? t.init.regs[i] ?? 0;
      let have = got[i] & 0xffff;
      if (i === 13) { want &= flagsMask; have &= flagsMask; }
      if (want !== have) errs.push(`${NAMES[i]} ${hex(have)}!=${hex(want)}`);
    }
    // EXCP's flag_address is the word-aligned bus address; the handler (HLT) leaves SS:SP at
    // the pushed IP, so the FLAGS image is at SS:SP+4.
    let fa: number | undefined;
    if (t.excp) {
      const ss = t.final.regs[5] ?? t.init.regs[5] ?? 0, sp = t.final.regs[8] ?? t.init.regs[8] ?? 0;
      fa = ss * 16 + ((sp + 4) & 0xffff);
    }
    for (const [a, v] of t.final.ram) {
      let want = v, have = this.ram[a];
      if (fa !== undefined && (a === fa || a === fa + 1)) {
        const m = a === fa ? flagsMask & 0xff : flagsMask >> 8;
        want &= m; have &= m;
      }
      if (want !== have) errs.push(`[${hex(a)}] ${hex(have)}!=${hex(want)}`);
    }
    return errs.length ? errs.join(' ') : null;
  }
  get ramBase(): number { return this.ramOffset; }
}

function hex(v: number): string { return (v >>> 0).toString(16); }

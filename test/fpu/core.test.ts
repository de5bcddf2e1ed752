// End-to-end x87 tests through the real CPU core (build/core.wasm): small real-mode programs
// assembled with nasm run on a CpuCore over 16 MiB of RAM, and their results are read back from
// guest memory. Covers the FPU seam: decoding/EA of D8-DF, FNSTSW AX, FCOMI -> EFLAGS, FNSAVE/
// FRSTOR, #MF through the IVT with CR0.NE=1 and FERR# (the host's ferr import) with CR0.NE=0.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CpuCore } from '../../src/machine/cpu-core.js';
import { PhysKind, type CpuHost } from '../../src/machine/cpu-api.js';
import { computeLayout, WASM_PAGE } from '../../src/machine/layout.js';

const NASM = '/usr/bin/nasm';
const haveTools = existsSync(NASM) && existsSync('src/core/cpu.ts');

const PROGRAM = `
bits 16
org 0x7c00
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, 0x7000
  mov word [16*4], mf_handler
  mov word [16*4+2], 0
  fninit
  fnstsw [0x8000]
  fnstcw [0x8002]
  fld qword [a]
  fadd qword [b]
  fstp qword [0x8010]
  fld qword [a]
  fmul qword [b]
  fsqrt
  fstp qword [0x8018]
  fild dword [i32]
  fbstp tword [0x8020]
  fild qword [i64]
  fistp qword [0x8030]
  fld qword [a]
  fcomp qword [b]
  fnstsw ax
  mov [0x8038], ax
  fld qword [b]
  fld qword [a]
  fcomip st0, st1
  fstp st0
  setb byte [0x803a]
  fldpi
  o32 fnstenv [0x8200]
  fnsave [0x8100]
  frstor [0x8100]
  fstp tword [0x8040]
  fldcw [cwz]
  fld1
  fldz
  fdivp st1
  fwait
  mov byte [0x803b], 1
  hlt
mf_handler:
  inc byte [0x803c]
  fnclex
  iret
align 8
a:   dq 2.5
b:   dq 4.0
i64: dq -1234567890123456789
i32: dd -987654321
cwz: dw 0x037b
`;

const PROGRAM32 = `
bits 32
org 0x10000
  fninit
  fld qword [a]
  fmul qword [b]
  fnsave [0x20000]
  frstor [0x20000]
  fstp qword [0x20100]
  o16 fnstenv [0x20200]
  fld qword [b]
  fld qword [a]
  fcomi st0, st1
  fcmovb st0, st1
  fstp qword [0x20108]
  fstp st0
  fldcw [cwz]
  fld1
  fldz
  fdivp st1
  fwait
  mov byte [0x20300], 1
  hlt
times 0x100-($-$$) db 0x90
a:   dq 2.5
b:   dq 4.0
cwz: dw 0x037b
times 0x200-($-$$) db 0x90
handler:
  inc byte [0x20301]
  fnclex
  iret
`;

let wasm: Uint8Array;
let image: Uint8Array;
let image32: Uint8Array;
let labels32: { fmul: number; b: number } = { fmul: 0, b: 0 };

beforeAll(() => {
  if (!haveTools) return;
  execFileSync('node', ['scripts/build-core.mjs'], { stdio: 'pipe' });
  wasm = new Uint8Array(readFileSync('build/core.wasm'));
  const dir = mkdtempSync(join(tmpdir(), 'fpu-e2e-'));
  writeFileSync(join(dir, 'p.asm'), PROGRAM);
  execFileSync(NASM, ['-f', 'bin', '-o', join(dir, 'p.bin'), join(dir, 'p.asm')]);
  image = new Uint8Array(readFileSync(join(dir, 'p.bin')));
  writeFileSync(join(dir, 'q.asm'), PROGRAM32);
  execFileSync(NASM, ['-f', 'bin', '-o', join(dir, 'q.bin'), join(dir, 'q.asm')]);
  image32 = new Uint8Array(readFileSync(join(dir, 'q.bin')));
  // fninit (DB E3) 2 bytes, fld qword [disp32] (DD 05 disp32) 6 bytes -> FMUL at +8
  labels32 = { fmul: 0x10000 + 8, b: 0x10108 };
});

function runProgram(ne: boolean): { ram: Uint8Array; ferr: boolean[]; exit: number } {
  const layout = computeLayout(16, 1, 1);
  const WA = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => { buffer: ArrayBuffer } } }).WebAssembly;
  const memory = new WA.Memory({ initial: layout.totalBytes / WASM_PAGE, maximum: 65536, shared: true });
  const ferr: boolean[] = [];
  const host: CpuHost & { ferr(level: boolean): void } = {
    portRead: () => 0xffffffff, portWrite: () => {}, portReadString: () => 0, portWriteString: () => 0,
    mmioRead: () => 0xffffffff, mmioWrite: () => {}, interruptAcknowledge: () => 8,
    ferr: (level: boolean) => { ferr.push(level); },
  };
  const core = new CpuCore(wasm, memory, host);
  core.mapPhysical(0, layout.ramSize, PhysKind.Ram, layout.ramOffset);
  core.setA20(true);
  const ram = new Uint8Array(memory.buffer, layout.ramOffset, layout.ramSize);
  ram.set(image, 0x7c00);
  const e = core.exports;
  e.setSegReal(1, 0);
  e.setEip(0x7c00);
  if (ne) e.setCr(0, e.getCr(0) | 0x20);
  const exit = core.run(1000);
  return { ram, ferr, exit };
}

function f64At(ram: Uint8Array, a: number): number { return new DataView(ram.buffer, ram.byteOffset).getFloat64(a, true); }
function u16At(ram: Uint8Array, a: number): number { return ram[a] | (ram[a + 1] << 8); }

function runProtected(): { ram: Uint8Array; exit: number } {
  const layout = computeLayout(16, 1, 1);
  const WA = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => { buffer: ArrayBuffer } } }).WebAssembly;
  const memory = new WA.Memory({ initial: layout.totalBytes / WASM_PAGE, maximum: 65536, shared: true });
  const host: CpuHost = {
    portRead: () => 0xffffffff, portWrite: () => {}, portReadString: () => 0, portWriteString: () => 0,
    mmioRead: () => 0xffffffff, mmioWrite: () => {}, interruptAcknowledge: () => 8,
  };
  const core = new CpuCore(wasm, memory, host);
  core.mapPhysical(0, layout.ramSize, PhysKind.Ram, layout.ramOffset);
  core.setA20(true);
  const ram = new Uint8Array(memory.buffer, layout.ramOffset, layout.ramSize);
  const dv = new DataView(memory.buffer, layout.ramOffset);
  ram.set(image32, 0x10000);
  // GDT: null, flat 32-bit code 0x08, flat data 0x10; IDT: vector 16 -> interrupt gate 0x08:handler
  dv.setBigUint64(0x1008, 0x00cf9a000000ffffn, true);
  dv.setBigUint64(0x1010, 0x00cf92000000ffffn, true);
  const handler = 0x10200;
  dv.setUint32(0x2000 + 16 * 8, (0x08 << 16) | (handler & 0xffff), true);
  dv.setUint32(0x2000 + 16 * 8 + 4, (handler & 0xffff0000) | 0x8e00, true);
  const e = core.exports as typeof core.exports & { setDescTable(w: number, b: number, l: number): void };
  e.setDescTable(0, 0x1000, 23);
  e.setDescTable(1, 0x2000, 0x7ff);
  e.setCr(0, e.getCr(0) | 0x21);                 // PE, NE
  const code = 0x1c09a, data = 0x1c092;          // attribute format of src/core/seg.ts dAttr()
  e.setSegFull(1, 0x08, 0, 0xffffffff, code);
  for (const s of [0, 2, 3, 4, 5]) e.setSegFull(s, 0x10, 0, 0xffffffff, data);
  e.setReg(4, 0x9000);
  e.setEip(0x10000);
  const exit = core.run(1000);
  return { ram, exit };
}

describe.skipIf(!haveTools)('x87 through the CPU core', () => {
  it('runs a 32-bit protected-mode FPU program (FNSAVE layout, FCMOV, #MF via the IDT)', () => {
    const { ram, exit } = runProtected();
    const dv = new DataView(ram.buffer, ram.byteOffset);
    expect(exit).toBe(2);
    const env = [0, 4, 8, 12, 16, 20, 24].map((o) => dv.getUint32(0x20000 + o, true));
    expect(env[0]).toBe(0xffff037f);
    expect(env[1] & 0xffff).toBe(7 << 11);                  // TOP=7, no flags
    expect(env[2] & 0xffff).toBe(0x3fff);                    // phys 7 valid, rest empty
    expect(env[3]).toBe(labels32.fmul);                      // FIP
    expect(env[4]).toBe(0x08 | (0x40d << 16));               // FCS | FOP (DC 0D)
    expect(env[5]).toBe(labels32.b);                         // FDP
    expect(env[6] & 0xffff).toBe(0x10);                      // FDS
    expect(Array.from(ram.subarray(0x20000 + 28, 0x20000 + 38))).toEqual([0, 0, 0, 0, 0, 0, 0, 0xa0, 0x02, 0x40]);
    expect(dv.getFloat64(0x20100, true)).toBe(10);
    expect(dv.getUint16(0x20200 + 8, true)).toBe(0x08);      // 16-bit protected FNSTENV: FCS
    expect(dv.getFloat64(0x20108, true)).toBe(4);            // FCMOVB taken (2.5 < 4)
    expect(ram[0x20301]).toBe(1);                            // #MF handler ran once
    expect(ram[0x20300]).toBe(1);
  });

  it('runs a real-mode FPU program with CR0.NE=1 (#MF via the IVT)', () => {
    const { ram, exit } = runProgram(true);
    expect(exit).toBe(2);                               // HLT with IF=0
    expect(u16At(ram, 0x8000)).toBe(0);                 // FNSTSW after FNINIT
    expect(u16At(ram, 0x8002)).toBe(0x037f);            // FNSTCW
    expect(f64At(ram, 0x8010)).toBe(6.5);
    expect(f64At(ram, 0x8018)).toBe(Math.sqrt(10));
    expect(Array.from(ram.subarray(0x8020, 0x802a))).toEqual([0x21, 0x43, 0x65, 0x87, 0x09, 0, 0, 0, 0, 0x80]);
    expect(new DataView(ram.buffer, ram.byteOffset).getBigInt64(0x8030, true)).toBe(-1234567890123456789n);
    expect(u16At(ram, 0x8038) & 0x4500).toBe(0x0100);  // 2.5 < 4: C0
    expect(ram[0x803a]).toBe(1);                        // FCOMIP set CF
    expect(Array.from(ram.subarray(0x8040, 0x804a))).toEqual([0x35, 0xc2, 0x68, 0x21, 0xa2, 0xda, 0x0f, 0xc9, 0x00, 0x40]);
    // o32 FNSTENV in real mode: 28-byte real-mode layout, FOP of FLDPI (D9 EB) in bits 0-10
    const dv = new DataView(ram.buffer, ram.byteOffset);
    expect(dv.getUint32(0x8200, true)).toBe(0xffff037f);
    expect(dv.getUint32(0x8210, true) & 0x7ff).toBe(0x1eb);
    expect(dv.getUint16(0x820c, true)).toBeGreaterThan(0x7c00); // FIP (linear, CS=0)
    expect(ram[0x803c]).toBe(1);                        // #MF handler ran once
    expect(ram[0x803b]).toBe(1);                        // FWAIT re-executed after FNCLEX
  });
  it('with CR0.NE=0 the pending exception asserts FERR# instead', () => {
    const { ram, ferr, exit } = runProgram(false);
    expect(exit).toBe(2);
    expect(ram[0x803c]).toBe(0);
    expect(ram[0x803b]).toBe(1);
    expect(ferr).toContain(true);
  });
});

/**
 * Test harness for the CPU core: one core over 16 MiB of RAM (plus an optional ROM), programs
 * assembled at test time with nasm (/usr/bin/nasm), a recording port bus, and helpers to read
 * registers and memory. The protected-mode prelude (PM_PRELUDE) builds a flat GDT with ring-0
 * and ring-3 segments, a 32-bit TSS with an I/O bitmap and an IDT whose 32 exception stubs record
 * vector, error code, faulting CS:EIP and CR2 at 0x500.. and halt.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CpuCore } from '../../src/machine/cpu-core.js';
import type { CpuHost } from '../../src/machine/cpu-api.js';
import { PhysKind } from '../../src/machine/cpu-api.js';
import { computeLayout, WASM_PAGE } from '../../src/machine/layout.js';

let wasmModule: object | undefined;
function coreModule(): object {
  if (!wasmModule) {
    const WA = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object } }).WebAssembly;
    // BULKHEAD_CORE_WASM: another build of the core (bench/cpu.ts before/after comparisons)
    wasmModule = new WA.Module(new Uint8Array(readFileSync(process.env.BULKHEAD_CORE_WASM ?? 'build/core.wasm')));
  }
  return wasmModule;
}

/** Assemble nasm source (flat binary). */
export function assemble(src: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'bh-nasm-'));
  try {
    writeFileSync(join(dir, 'a.asm'), src);
    execFileSync('nasm', ['-f', 'bin', '-o', join(dir, 'a.bin'), join(dir, 'a.asm')], { stdio: ['ignore', 'pipe', 'pipe'] });
    return new Uint8Array(readFileSync(join(dir, 'a.bin')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const RunExit = { Budget: 0, Halted: 1, HaltedForever: 2, TripleFault: 3, Requested: 4 } as const;
export const R = { eax: 0, ecx: 1, edx: 2, ebx: 3, esp: 4, ebp: 5, esi: 6, edi: 7 } as const;

export class TestMachine {
  readonly core: CpuCore;
  readonly ram: Uint8Array;
  readonly view: DataView;
  readonly portWrites: [number, number, number][] = [];
  portReadValue = 0xffffffff;
  intrVector = 0x20;
  readonly mmio: [string, number, number, number][] = [];
  readonly bulk: [string, number, number, number, number][] = [];

  constructor() {
    const layout = computeLayout(16, 1, 1);
    const WA = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => { buffer: ArrayBuffer } } }).WebAssembly;
    const memory = new WA.Memory({ initial: layout.totalBytes / WASM_PAGE, maximum: 65536, shared: true });
    const host: CpuHost = {
      portRead: (port) => (port === 0xe9 ? 0xe9 : this.portReadValue),
      portWrite: (port, size, v) => { this.portWrites.push([port, size, v]); },
      portReadString: (port, size, count, phys) => {
        this.bulk.push(['in', port, size, count, phys]);
        for (let i = 0; i < count * size; i++) this.ram[phys + i] = (i + 1) & 0xff;
        return count;
      },
      portWriteString: (port, size, count, phys) => { this.bulk.push(['out', port, size, count, phys]); return count; },
      mmioRead: (a, s) => { this.mmio.push(['r', a, s, 0]); return 0x12345678 & (s === 4 ? 0xffffffff : (1 << (8 * s)) - 1); },
      mmioWrite: (a, s, v) => { this.mmio.push(['w', a, s, v]); },
      interruptAcknowledge: () => this.intrVector,
    };
    this.core = new CpuCore(coreModule(), memory, host);
    this.ram = new Uint8Array(memory.buffer, layout.ramOffset, layout.ramSize);
    this.view = new DataView(memory.buffer, layout.ramOffset, layout.ramSize);
    this.core.mapPhysical(0, 15 * 1024 * 1024, PhysKind.Ram, layout.ramOffset);
    // top MiB of the RAM window: an MMIO page at 15 MiB for tests, the rest unmapped
    this.core.mapPhysical(15 * 1024 * 1024, 4096, PhysKind.Mmio, 0);
    this.core.setA20(true);
  }

  /** Load `code` at physical `addr` and start there in real mode (CS = addr >> 4 & 0xf000...). */
  load(code: Uint8Array, addr = 0x1000): void {
    this.ram.set(code, addr);
    const e = this.core.exports;
    e.reset();
    e.setSegReal(1, 0);
    for (const s of [0, 2, 3, 4, 5]) e.setSegReal(s, 0);
    e.setEip(addr);
    e.setReg(R.esp, 0x7000);
  }
  /** Assemble `src` (org 0x1000, bits 16 at start) and load it. */
  loadAsm(src: string, addr = 0x1000): void { this.load(assemble(`org 0x${addr.toString(16)}\n${src}`), addr); }
  run(max = 100000): number { return this.core.run(max); }
  reg(i: number): number { return this.core.exports.getReg(i) >>> 0; }
  get eip(): number { return this.core.exports.getEip() >>> 0; }
  get flags(): number { return this.core.exports.getFlags() >>> 0; }
  seg(i: number): number { return this.core.exports.getSeg(i) >>> 0; }
  r32(a: number): number { return this.view.getUint32(a, true); }
  r16(a: number): number { return this.view.getUint16(a, true); }
  r8(a: number): number { return this.ram[a]; }
  w32(a: number, v: number): void { this.view.setUint32(a, v >>> 0, true); }
  /** Exception record written by the PM_PRELUDE stubs. */
  get exc(): { vector: number; error: number; eip: number; cs: number; cr2: number; count: number } {
    return { vector: this.r32(0x500) | 0, error: this.r32(0x504) | 0, eip: this.r32(0x508), cs: this.r32(0x50c), cr2: this.r32(0x510), count: this.r32(0x514) };
  }
}

/**
 * Protected-mode prelude: start in real mode at 0x1000, enter 32-bit protected mode, then jump
 * to the label `test` (ring 0, flat segments, ESP = 0x9000, IF = 0). Selectors:
 * 08 code0, 10 data0, 18 code3 (RPL 3 → 1B), 20 data3 (23), 28 TSS, 30 spare (set by tests),
 * 38 spare, 40 spare. Handlers record at 0x500: vector, error (-1 none), EIP, CS, CR2, count.
 * TSS at 0x3000: SS0:ESP0 = 10:0x8000, I/O bitmap at offset 0x68 (ports 0-0xff: all denied
 * except 0x80..0x87 allowed).
 */
export const PM_PRELUDE = `
bits 16
  cli
  xor ax, ax
  mov ds, ax
  lgdt [gdtr]
  lidt [idtr]
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp dword 0x08:pm32
bits 32
pm32:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov fs, ax
  mov gs, ax
  mov esp, 0x9000
  ; exception record
  mov dword [0x500], -1
  mov dword [0x504], -1
  mov dword [0x514], 0
  ; IDT gates 0..31 -> stubs (interrupt gates, DPL 0)
  mov ecx, 0
.idt:
  lea eax, [stubs + ecx*4]
  mov [idt + ecx*8], ax
  mov word [idt + ecx*8 + 2], 0x08
  mov word [idt + ecx*8 + 4], 0x8e00
  shr eax, 16
  mov [idt + ecx*8 + 6], ax
  inc ecx
  cmp ecx, 32
  jb .idt
  ; TSS
  mov edi, 0x3000
  mov ecx, 0x68 / 4 + 0x2000 / 4 + 1
  xor eax, eax
  rep stosd
  mov dword [0x3004], 0x8000
  mov dword [0x3008], 0x10
  mov word [0x3066], 0x68
  mov edi, 0x3068
  mov ecx, 0x2000 / 4
  mov eax, -1
  rep stosd
  mov byte [0x3068 + 0x10], 0      ; ports 0x80..0x87 allowed
  mov byte [0x3068 + 0x2000], 0xff
  mov ax, 0x28
  ltr ax
  jmp test

align 8
stubs:
%assign i 0
%rep 32
  push byte i
  jmp short exc_common
%assign i i+1
%endrep
exc_common:
  push dword 0x10
  pop ds
  pop eax
  mov [0x500], eax
  mov dword [0x504], -1
  bt dword [errmask], eax
  jnc .noerr
  pop dword [0x504]
.noerr:
  mov eax, [esp]
  mov [0x508], eax
  mov eax, [esp + 4]
  mov [0x50c], eax
  mov eax, cr2
  mov [0x510], eax
  inc dword [0x514]
  hlt
  jmp $
errmask: dd (1 << 8) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13) | (1 << 14) | (1 << 17)

align 8
gdt:
  dq 0
  dq 0x00cf9a000000ffff   ; 08 code ring 0
  dq 0x00cf92000000ffff   ; 10 data ring 0
  dq 0x00cffa000000ffff   ; 18 code ring 3
  dq 0x00cff2000000ffff   ; 20 data ring 3
  dw 0x2068, 0x3000, 0x8900, 0x0000 ; 28 TSS at 0x3000, limit 0x2068
  dq 0                    ; 30
  dq 0                    ; 38
  dq 0                    ; 40
  dq 0                    ; 48
gdt_end:
gdtr: dw gdt_end - gdt - 1
      dd gdt
align 8
idt: times 256 dq 0
idtr: dw 256 * 8 - 1
      dd idt
`;

/**
 * The TypeScript wrapper (src/machine/cpu-core.ts): construction from bytes or a compiled
 * module over a shared memory, CpuCoreApi argument checks, registers(), RunExit codes and the
 * TSC source (RDTSC follows the host clock set with setTscSource).
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { CpuCore } from '../../src/machine/cpu-core.js';
import { PhysKind } from '../../src/machine/cpu-api.js';
import { TestMachine, assemble, RunExit, PM_PRELUDE } from './harness.js';

const host = {
  portRead: () => 0xff, portWrite: () => {}, portReadString: () => 0, portWriteString: () => 0,
  mmioRead: () => 0, mmioWrite: () => {}, interruptAcknowledge: () => 8,
};

describe('CpuCore wrapper', () => {
  it('boots at F000:FFF0 with CS base FFFF0000 from a ROM image', () => {
    const WA = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => { buffer: ArrayBuffer } } }).WebAssembly;
    const memory = new WA.Memory({ initial: 512 + 1, maximum: 65536, shared: true });
    const core = new CpuCore(new Uint8Array(readFileSync('build/core.wasm')), memory, host);
    const rom = new Uint8Array(memory.buffer, 32 << 20, 65536);
    // at FFFF0: mov ax, 0x1234 ; hlt (with IF=0 after reset)
    rom.set(assemble('bits 16\nmov ax, 0x1234\nhlt\n'), 0xfff0);
    core.mapPhysical(0xffff0000, 0x10000, PhysKind.Rom, 32 << 20);
    core.mapPhysical(0, 16 << 20, PhysKind.Ram, 16 << 20);
    core.reset();
    const r0 = core.registers();
    expect(r0.cs).toBe(0xf000);
    expect(r0.eip).toBe(0xfff0);
    expect(r0['cs.base']).toBe(0xffff0000);
    expect(r0.edx).toBe(0x633);
    expect(core.run(100)).toBe(RunExit.HaltedForever);
    expect(core.registers().eax & 0xffff).toBe(0x1234);
    expect(core.instructionCount).toBe(2);
    expect(() => core.mapPhysical(0x1000, 100, PhysKind.Ram, 0)).toThrow(RangeError);
  });

  it('RDTSC follows the host clock given to setTscSource', () => {
    const m = new TestMachine();
    m.loadAsm('bits 16\n  cli\n  rdtsc\n  hlt\n');
    m.core.setTscSource(() => 2e9, 1e6); // 2 s at 1 MHz = 2,000,000 ticks
    m.run(100);
    const tsc = m.reg(0) + m.reg(2) * 2 ** 32;
    expect(tsc).toBeGreaterThanOrEqual(2e6);
    expect(tsc).toBeLessThan(2e6 + 100);
  });

  it('writes to ROM are dropped and unmapped space reads all-ones', () => {
    const m = new TestMachine();
    // physical 0x200000 becomes a ROM page backed by the memory of RAM page 0x300000
    m.core.mapPhysical(0x200000, 0x1000, PhysKind.Rom, (16 << 20) + 0x300000);
    m.loadAsm(`${PM_PRELUDE}
test:
  mov dword [0x300000], 0x11223344
  mov dword [0x200000], 0x55667788
  mov eax, [0x200000]
  mov ecx, [0xf01000]                 ; unmapped (just past the MMIO page)
  hlt`);
    expect(m.run(100000)).toBe(RunExit.HaltedForever);
    expect(m.reg(0)).toBe(0x11223344);
    expect(m.r32(0x300000)).toBe(0x11223344);
    expect(m.reg(1)).toBe(0xffffffff);
  });
});

/**
 * Time-stamp counter (Intel SDM Vol. 3B 17.17): RDTSC and IA32_TSC (MSR 0x10) read the platform
 * clock live through CpuCoreApi.setTscSource — not the clock at the slice start plus an
 * instruction count — so the TSC agrees with the PIT and RTC, which read the same clock. The
 * scripted clock here advances only when the guest writes port 0x80, i.e. in the middle of one
 * run() slice, between two RDTSCs.
 */
import { describe, it, expect } from 'vitest';
import { TestMachine, RunExit, R } from './harness.js';

/** RDTSC; store EDX:EAX at [0x600]; OUT 80h (the clock advances); RDTSC; store at [0x608]. */
const TWO_READS = `bits 16
  cli
  rdtsc
  mov [0x600], eax
  mov [0x604], edx
  out 0x80, al
  rdtsc
  mov [0x608], eax
  mov [0x60c], edx
  hlt
`;

function u64(m: TestMachine, a: number): number { return m.r32(a) + m.r32(a + 4) * 2 ** 32; }

describe('TSC follows the live platform clock', () => {
  it('the difference of two RDTSCs in one slice is the clock advance times the TSC rate', () => {
    const m = new TestMachine();
    m.loadAsm(TWO_READS);
    // 1.25 s + 3 ms per port write; TSC at 2.4 GHz
    m.core.setTscSource(() => 1.25e9 + m.portWrites.length * 3e6, 2.4e9);
    expect(m.run(1000)).toBe(RunExit.HaltedForever);
    expect(m.portWrites.length).toBe(1);
    const t0 = u64(m, 0x600), t1 = u64(m, 0x608);
    expect(t0).toBe(Math.floor(1.25e9 * 2.4));           // no per-instruction drift
    expect(t1 - t0).toBe(3e6 * 2.4);                      // exactly 3 ms of 2.4 GHz ticks
  });

  it('stays strictly monotonic while the clock stands still or steps back', () => {
    const m = new TestMachine();
    m.loadAsm(TWO_READS);
    m.core.setTscSource(() => 5e9 - m.portWrites.length * 1e6, 1e9); // steps back 1 ms
    m.run(1000);
    expect(u64(m, 0x608)).toBe(u64(m, 0x600) + 1);
  });

  it('RDMSR IA32_TSC reads the live clock and WRMSR IA32_TSC sets an offset that keeps counting', () => {
    const m = new TestMachine();
    m.loadAsm(`bits 16
  cli
  mov ecx, 0x10
  xor edx, edx
  mov eax, 1000
  wrmsr                    ; TSC := 1000 at clock 2 s
  out 0x80, al             ; clock += 10 ms
  mov ecx, 0x10
  rdmsr
  mov [0x600], eax
  mov [0x604], edx
  rdtsc
  mov [0x608], eax
  mov [0x60c], edx
  hlt
`);
    m.core.setTscSource(() => 2e9 + m.portWrites.length * 1e7, 1e9);
    expect(m.run(1000)).toBe(RunExit.HaltedForever);
    expect(u64(m, 0x600)).toBe(1000 + 1e7);
    expect(u64(m, 0x608)).toBe(1000 + 1e7 + 1);          // same clock reading: +1 (monotonic)
    expect(m.reg(R.ecx)).toBe(0x10);
  });

  it('RESET clears the TSC (SDM 17.17): after a reset late in the clock it counts from 0 again', () => {
    const m = new TestMachine();
    let now = 0;
    m.core.setTscSource(() => now + m.portWrites.length * 1e6, 1e9);
    now = 100e9;
    m.loadAsm(TWO_READS);                                   // loadAsm resets the core at clock 100 s
    expect(m.run(1000)).toBe(RunExit.HaltedForever);
    expect(u64(m, 0x608)).toBe(1e6);                       // 1 ms after that reset
    now = 250e9;                                            // a guest reboot 150 s later
    m.portWrites.length = 0;
    m.loadAsm(TWO_READS);
    expect(m.run(1000)).toBe(RunExit.HaltedForever);
    const t0 = u64(m, 0x600), t1 = u64(m, 0x608);
    expect(t0).toBeLessThanOrEqual(1);                      // 0, forced strictly above the reset value
    expect(t1).toBe(1e6);                                   // keeps counting with the clock, not frozen
  });

  it('counts retired instructions when no source is set', () => {
    const m = new TestMachine();
    m.loadAsm(TWO_READS);
    m.run(1000);
    const d = u64(m, 0x608) - u64(m, 0x600);
    expect(d).toBe(4); // mov, mov, out, rdtsc retire between the two reads
  });
});

describe('instructionCount', () => {
  it('is live inside run(): a port access sees the instructions retired before it', () => {
    const m = new TestMachine();
    m.loadAsm(TWO_READS);
    const seen: number[] = [];
    m.core.setTscSource(() => { seen.push(m.core.instructionCount); return 0; }, 1e9);
    m.run(1000);
    // rdtsc is instruction 2 (after cli), the second rdtsc instruction 6
    expect(seen).toEqual([1, 5]);
    expect(m.core.instructionCount).toBe(9);
  });
});

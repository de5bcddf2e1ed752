/**
 * Paging (Intel SDM Vol. 3A 4.3 "32-bit paging", 4.6 access rights, 4.7 page-fault error code,
 * 4.10 TLBs): 4 KiB and 4 MiB pages, #PF with CR2 and error code, CR0.WP, accessed and dirty
 * bits, INVLPG and CR3 reload semantics with global pages, and restart after a fixed fault.
 * The page directory is at 0x20000; the page table for 0-4 MiB at 0x21000 maps identity
 * (present, writable, user).
 */
import { describe, it, expect } from 'vitest';
import { TestMachine, PM_PRELUDE, RunExit } from './harness.js';

const PAGING = `
  mov edi, 0x20000
  mov ecx, 2048
  xor eax, eax
  rep stosd
  mov dword [0x20000], 0x21007
  mov edi, 0x21000
  mov eax, 0x007
  mov ecx, 1024
.fill:
  stosd
  add eax, 0x1000
  loop .fill
  mov eax, 0x20000
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
`;
const TO_RING3 = `
  push dword 0x23
  push dword 0x7000
  push dword 0x002
  push dword 0x1b
  push dword ring3
  iretd
ring3:
  mov ax, 0x23
  mov ds, ax
  mov es, ax
`;
function run(body: string): TestMachine {
  const m = new TestMachine();
  m.loadAsm(`${PM_PRELUDE}\ntest:\n${PAGING}${body}\n  hlt\n`);
  expect(m.run(1_000_000)).toBe(RunExit.HaltedForever);
  return m;
}
const pte = (lin: number) => 0x21000 + (lin >>> 12) * 4;

describe('page faults', () => {
  it('not-present PDE: read → error 0, write → error 2, CR2 = address', () => {
    let m = run('  mov eax, [0x400123]');
    expect(m.exc).toMatchObject({ vector: 14, error: 0, cr2: 0x400123 });
    m = run('  mov dword [0x7ffffe], 1');
    expect(m.exc).toMatchObject({ vector: 14, error: 2, cr2: 0x7ffffe });
  });

  it('not-present PTE and a word access straddling into it', () => {
    const m = run(`  mov dword [${pte(0x300000)}], 0\n  mov eax, [0x2ffffe]`);
    expect(m.exc).toMatchObject({ vector: 14, error: 0, cr2: 0x300000 });
  });

  it('user access to a supervisor page → error 5 (P, U)', () => {
    const m = run(`  and dword [${pte(0x100000)}], ~4\n${TO_RING3}  mov eax, [0x100010]`);
    expect(m.exc).toMatchObject({ vector: 14, error: 5, cr2: 0x100010 });
  });

  it('user write to a read-only page → error 7', () => {
    const m = run(`  and dword [${pte(0x100000)}], ~2\n${TO_RING3}  mov [0x100010], eax`);
    expect(m.exc).toMatchObject({ vector: 14, error: 7, cr2: 0x100010 });
  });

  it('supervisor write to a read-only page: allowed with WP=0, error 3 with WP=1', () => {
    let m = run(`  and dword [${pte(0x100000)}], ~2\n  mov dword [0x100010], 0x77\n  mov eax, [0x100010]\n  mov [0x600], eax`);
    expect(m.exc.vector).toBe(-1);
    expect(m.r32(0x600)).toBe(0x77);
    m = run(`  and dword [${pte(0x100000)}], ~2\n  mov eax, cr0\n  or eax, 0x10000\n  mov cr0, eax\n  mov dword [0x100010], 0x77`);
    expect(m.exc).toMatchObject({ vector: 14, error: 3, cr2: 0x100010 });
  });

  it('a fixed fault restarts the instruction (demand paging)', () => {
    const m = new TestMachine();
    m.loadAsm(`${PM_PRELUDE}
test:
${PAGING}
  ; #PF handler: map the faulting page, count, return
  mov eax, pf
  mov [idt + 14*8], ax
  shr eax, 16
  mov [idt + 14*8 + 6], ax
  mov dword [${pte(0x200000)}], 0
  mov dword [0x200000], 0        ; (not reached through the mapping above: TLB is cold)
  mov ebx, 0x1234
  mov [0x200008], ebx
  mov eax, [0x200008]
  mov [0x600], eax
  hlt
pf:
  push eax
  mov eax, cr2
  mov [0x604], eax
  mov eax, [esp + 4]
  mov [0x608], eax
  mov dword [${pte(0x200000)}], 0x200007
  inc dword [0x60c]
  pop eax
  add esp, 4
  iretd
`);
    expect(m.run(1_000_000)).toBe(RunExit.HaltedForever);
    // the first store to 0x200000 faults (write, supervisor: error 2) and is restarted
    expect(m.r32(0x60c)).toBe(1);
    expect(m.r32(0x604)).toBe(0x200000);
    expect(m.r32(0x608)).toBe(2);
    expect(m.r32(0x600)).toBe(0x1234);
  });
});

describe('accessed/dirty bits and large pages', () => {
  it('sets A on read and D on write in the PTE, A in the PDE', () => {
    const m = run(`
  and dword [${pte(0x180000)}], ~0x60
  mov eax, [0x180000]
  mov eax, [${pte(0x180000)}]
  mov [0x600], eax
  mov dword [0x180000], 5
  mov eax, [${pte(0x180000)}]
  mov [0x604], eax
  mov eax, [0x20000]
  mov [0x608], eax`);
    expect(m.r32(0x600) & 0x60).toBe(0x20);
    expect(m.r32(0x604) & 0x60).toBe(0x60);
    expect(m.r32(0x608) & 0x20).toBe(0x20);
  });

  it('maps 4 MiB pages with CR4.PSE', () => {
    const m = run(`
  mov eax, cr4
  or eax, 0x10
  mov cr4, eax
  mov dword [0x20000 + 4], 0x800087   ; linear 4 MiB -> physical 8 MiB, 4 MiB page
  mov dword [0x400010], 0xabcdef
  mov eax, [0x20004]
  mov [0x600], eax`);
    expect(m.exc.vector).toBe(-1);
    expect(m.r32(0x800010)).toBe(0xabcdef);
    expect(m.r32(0x600) & 0x60).toBe(0x60);
  });
});

describe('TLB semantics', () => {
  const REMAP = `
  mov dword [0x100000], 0x11111111
  mov dword [0x101000], 0x22222222
  mov dword [${pte(0x300000)}], 0x100007
  mov eax, [0x300000]           ; fills the TLB
  mov [0x600], eax
  mov dword [${pte(0x300000)}], 0x101007
  mov eax, [0x300000]           ; stale entry still used
  mov [0x604], eax
`;
  it('INVLPG drops a stale translation', () => {
    const m = run(`${REMAP}  invlpg [0x300000]\n  mov eax, [0x300000]\n  mov [0x608], eax`);
    expect(m.exc.vector).toBe(-1);
    expect(m.r32(0x600)).toBe(0x11111111);
    expect(m.r32(0x604)).toBe(0x11111111);
    expect(m.r32(0x608)).toBe(0x22222222);
  });

  it('a CR3 reload drops non-global entries', () => {
    const m = run(`${REMAP}  mov eax, cr3\n  mov cr3, eax\n  mov eax, [0x300000]\n  mov [0x608], eax`);
    expect(m.r32(0x608)).toBe(0x22222222);
  });

  it('global pages survive a CR3 reload with CR4.PGE, not a CR4.PGE toggle', () => {
    const m = run(`
  mov eax, cr4
  or eax, 0x80
  mov cr4, eax
  mov dword [0x100000], 0x11111111
  mov dword [0x101000], 0x22222222
  mov dword [${pte(0x300000)}], 0x100107   ; global
  mov eax, [0x300000]
  mov dword [${pte(0x300000)}], 0x101107
  mov eax, cr3
  mov cr3, eax
  mov eax, [0x300000]
  mov [0x600], eax
  mov eax, cr4
  and eax, ~0x80
  mov cr4, eax
  mov eax, [0x300000]
  mov [0x604], eax`);
    expect(m.r32(0x600)).toBe(0x11111111);
    expect(m.r32(0x604)).toBe(0x22222222);
  });

  it('MMIO pages exit to the host through the TLB path', () => {
    const m = run(`
  mov dword [${pte(0x3ff000)}], 0xf00007   ; linear 0x3ff000 -> MMIO page at 15 MiB
  mov dword [0x3ff010], 0xaabbccdd
  mov ax, [0x3ff020]
  mov [0x600], eax`);
    expect(m.exc.vector).toBe(-1);
    expect(m.mmio[0]).toEqual(['w', 0xf00010, 4, 0xaabbccdd]);
    expect(m.mmio[1]).toEqual(['r', 0xf00020, 2, 0]);
    expect(m.r16(0x600)).toBe(0x5678);
  });

  it('an instruction straddling into a not-present page faults with no partial effect', () => {
    const m = run(`
  mov dword [${pte(0x301000)}], 0          ; page 0x301000 not present
  mov dword [${pte(0x300000)}], 0x300007
  mov byte [0x300ffd], 0xb8                ; mov eax, imm32: opcode + 2 bytes in page 0x300000
  mov word [0x300ffe], 0x3412
  mov eax, 0x55aa
  mov ebx, 0x300ffd
  jmp ebx`);
    expect(m.exc).toMatchObject({ vector: 14, error: 0, cr2: 0x301000, eip: 0x300ffd });
    expect(m.reg(0)).not.toBe(0x12345678);
  });
});

/**
 * Privilege transitions (Intel SDM Vol. 3A 5.8, 6.12, 7.3, 18.5, 20.2): interrupt gates from
 * ring 3 with the TSS stack switch, gate DPL checks, call gates with parameter copy and RETF to
 * the outer level, SYSENTER/SYSEXIT, the TSS I/O permission bitmap, virtual-8086 mode entry,
 * INT n and CLI sensitivity to IOPL in V86, and hardware task switches through a TSS.
 */
import { describe, it, expect } from 'vitest';
import { TestMachine, PM_PRELUDE, RunExit } from './harness.js';

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
function gate(vec: number, label: string, type: number): string {
  return `  mov eax, ${label}
  mov [idt + ${vec}*8], ax
  mov word [idt + ${vec}*8 + 2], 0x08
  mov word [idt + ${vec}*8 + 4], 0x${type.toString(16)}
  shr eax, 16
  mov [idt + ${vec}*8 + 6], ax
`;
}
function run(src: string, max = 1_000_000): TestMachine {
  const m = new TestMachine();
  m.loadAsm(`${PM_PRELUDE}\ntest:\n${src}\n`);
  expect(m.run(max)).toBe(RunExit.HaltedForever);
  return m;
}

describe('interrupt gates and privilege changes', () => {
  it('INT from ring 3 switches to the TSS ring-0 stack and IRET returns', () => {
    const m = run(`${gate(0x80, 'h80', 0xee00)}${TO_RING3}
  mov eax, 42
  int 0x80
  mov [0x620], eax
  mov [0x624], esp
  hlt                      ; ring 3: #GP(0) ends the test
h80:
  mov [0x600], ss
  mov [0x604], esp
  mov ebx, [esp]
  mov [0x608], ebx
  mov ebx, [esp + 4]
  mov [0x60c], ebx
  mov ebx, [esp + 8]
  mov [0x618], ebx
  mov ebx, [esp + 12]
  mov [0x610], ebx
  mov ebx, [esp + 16]
  mov [0x614], ebx
  inc eax
  iretd`);
    expect(m.r16(0x600)).toBe(0x10);
    expect(m.r32(0x604)).toBe(0x8000 - 20);
    expect(m.r32(0x60c)).toBe(0x1b);
    expect(m.r32(0x610)).toBe(0x7000);
    expect(m.r32(0x614)).toBe(0x23);
    expect(m.r32(0x618) & 0x200).toBe(0);
    expect(m.r32(0x620)).toBe(43);
    expect(m.r32(0x624)).toBe(0x7000);
    expect(m.exc).toMatchObject({ vector: 13, error: 0, cs: 0x1b });
  });

  it('a 16-bit interrupt gate pushes 16-bit FLAGS, CS and IP', () => {
    const m = run(`${gate(0x82, 'h82', 0x8600)}
  mov esp, 0x9000
  int 0x82
h82:
  mov [0x600], esp
  mov eax, [esp]
  mov [0x604], eax
  mov ax, [esp + 4]
  mov [0x608], ax
  hlt`);
    expect(m.r32(0x600)).toBe(0x9000 - 6);
    expect(m.r16(0x604 + 2)).toBe(0x08);     // CS above IP
    expect(m.r16(0x608) & 2).toBe(2);         // FLAGS image (bit 1 always set)
    expect(m.exc.vector).toBe(-1);
  });

  it('INT n through a DPL-0 gate from ring 3 raises #GP(vector*8+2)', () => {
    const m = run(`${gate(0x81, 'h81', 0x8e00)}${TO_RING3}
  int 0x81
h81:
  hlt`);
    expect(m.exc).toMatchObject({ vector: 13, error: 0x81 * 8 + 2 });
  });

  it('a not-present gate raises #NP(vector*8+2+EXT) for an exception', () => {
    const m = run(`  mov byte [idt + 6*8 + 5], 0x0e   ; gate 6: P = 0
  ud2`);
    expect(m.exc).toMatchObject({ vector: 11, error: 6 * 8 + 3 });
  });

  it('a call gate copies parameters to the inner stack; RETF n returns outward', () => {
    const m = run(`
  mov eax, cg_target
  mov [gdt + 0x30], ax
  mov word [gdt + 0x32], 0x08
  mov word [gdt + 0x34], 0xec02       ; 386 call gate, DPL 3, 2 parameters
  shr eax, 16
  mov [gdt + 0x36], ax
${TO_RING3}
  push dword 0x1111
  push dword 0x2222
  call 0x33:0
  mov [0x620], esp
  mov [0x624], cs
  hlt
cg_target:
  mov [0x600], cs
  mov [0x604], ss
  mov [0x608], esp
  mov eax, [esp + 8]
  mov [0x60c], eax
  mov eax, [esp + 12]
  mov [0x610], eax
  mov eax, [esp + 16]
  mov [0x614], eax
  mov eax, [esp + 20]
  mov [0x618], eax
  retf 8`);
    expect(m.r16(0x600)).toBe(0x08);
    expect(m.r16(0x604)).toBe(0x10);
    expect(m.r32(0x608)).toBe(0x8000 - 24);
    expect(m.r32(0x60c)).toBe(0x2222);
    expect(m.r32(0x610)).toBe(0x1111);
    expect(m.r32(0x614)).toBe(0x7000 - 8);
    expect(m.r32(0x618)).toBe(0x23);
    expect(m.r32(0x620)).toBe(0x7000);
    expect(m.r16(0x624)).toBe(0x1b);
  });

  it('SYSENTER enters ring 0 and SYSEXIT returns to ring 3 (flat segments from SYSENTER_CS)', () => {
    const m = run(`
  mov ecx, 0x174
  mov eax, 0x08
  xor edx, edx
  wrmsr
  mov ecx, 0x175
  mov eax, 0x8800
  wrmsr
  mov ecx, 0x176
  mov eax, sys_target
  wrmsr
${TO_RING3}
  mov ecx, esp
  mov edx, back
  sysenter
back:
  mov [0x610], cs
  mov [0x614], ss
  mov [0x618], esp
  hlt
sys_target:
  mov [0x600], cs
  mov [0x604], ss
  mov [0x608], esp
  pushfd
  pop dword [0x60c]
  sysexit`);
    expect(m.r16(0x600)).toBe(0x08);
    expect(m.r16(0x604)).toBe(0x10);
    expect(m.r32(0x608)).toBe(0x8800);
    expect(m.r32(0x60c) & 0x200).toBe(0);
    expect(m.r16(0x610)).toBe(0x1b);
    expect(m.r16(0x614)).toBe(0x23);
    expect(m.r32(0x618)).toBe(0x7000);
  });
});

describe('I/O permission', () => {
  it('ring 3 with IOPL 0 uses the TSS bitmap', () => {
    const m = run(`${TO_RING3}
  mov al, 0x5a
  out 0x80, al
  out 0x84, ax
  mov dx, 0x70
  out dx, al`);
    expect(m.portWrites).toEqual([[0x80, 1, 0x5a], [0x84, 2, 0x5a]]);
    expect(m.exc).toMatchObject({ vector: 13, error: 0 });
  });
  it('a word access spanning an allowed and a denied port faults', () => {
    const m = run(`${TO_RING3}\n  out 0x87, ax`);
    expect(m.portWrites).toEqual([]);
    expect(m.exc).toMatchObject({ vector: 13, error: 0 });
  });
});

const V86 = (eflags: number, v86body: string) => `
  ${gate(0x30, 'h30', 0xee00)}
  push dword 0x0          ; GS
  push dword 0x0          ; FS
  push dword 0x60         ; DS -> linear 0x600
  push dword 0x0          ; ES
  push dword 0x0          ; SS
  push dword 0x7000       ; ESP
  push dword 0x${eflags.toString(16)}
  push dword (v86code - $$ + 0x1000) >> 4 ; CS (org 0x1000)
  push dword 0            ; IP
  iretd
h30:
  mov ax, 0x10
  mov ds, ax
  mov eax, [esp + 8]
  mov [0x640], eax        ; EFLAGS image
  mov eax, [esp + 24]
  mov [0x644], eax        ; pushed DS (EIP CS EFLAGS ESP SS ES DS FS GS)
  mov [0x648], gs
  hlt
align 16
bits 16
v86code:
${v86body}
bits 32
`;

describe('virtual-8086 mode', () => {
  it('runs real-mode code at CPL 3 and enters ring 0 through INT n with IOPL 3', () => {
    const m = run(V86(0x23002, `
  mov ax, 0x1234
  mov [0], ax
  mov [2], cs
  int 0x30`));
    expect(m.r16(0x600)).toBe(0x1234);
    expect(m.r32(0x640) & 0x20000).toBe(0x20000);
    expect(m.r32(0x644)).toBe(0x60);
    expect(m.r16(0x648)).toBe(0);
    expect(m.exc.vector).toBe(-1);
  });
  it('INT n and CLI with IOPL < 3 raise #GP(0)', () => {
    let m = run(V86(0x20002, '  int 0x30'));
    expect(m.exc).toMatchObject({ vector: 13, error: 0 });
    m = run(V86(0x20002, '  cli'));
    expect(m.exc).toMatchObject({ vector: 13, error: 0 });
  });
});

describe('hardware task switch', () => {
  it('CALL to a TSS runs the new task with NT set; IRET returns and restores the caller', () => {
    const m = run(`
  mov dword [gdt + 0x38], 0x50000067
  mov dword [gdt + 0x3c], 0x00008900
  mov edi, 0x5000
  mov ecx, 0x1a
  xor eax, eax
  rep stosd
  mov dword [0x5020], task2
  mov dword [0x5024], 2
  mov dword [0x5038], 0x6000
  mov dword [0x5048], 0x10
  mov dword [0x504c], 0x08
  mov dword [0x5050], 0x10
  mov dword [0x5054], 0x10
  mov dword [0x5058], 0x10
  mov dword [0x505c], 0x10
  mov word [0x5066], 0x68
  mov ebx, 0x1111
  call 0x38:0
  mov [0x610], ebx
  mov eax, [gdt + 0x3c]
  mov [0x614], eax
  mov eax, [gdt + 0x2c]
  mov [0x618], eax
  str word [0x61c]
  hlt
task2:
  mov [0x600], ebx
  pushfd
  pop dword [0x604]
  mov eax, [0x5000]
  mov [0x608], eax
  str word [0x60c]
  iretd`);
    expect(m.exc.vector).toBe(-1);
    expect(m.r32(0x600)).toBe(0);
    expect(m.r32(0x604) & 0x4000).toBe(0x4000);
    expect(m.r16(0x608)).toBe(0x28);
    expect(m.r16(0x60c)).toBe(0x38);
    expect(m.r32(0x610)).toBe(0x1111);
    expect((m.r32(0x614) >> 8) & 0xf).toBe(9);  // new task's TSS available again
    expect((m.r32(0x618) >> 8) & 0xf).toBe(0xb); // caller's TSS busy
    expect(m.r16(0x61c)).toBe(0x28);
    expect(m.core.exports.getCr(0) & 8).toBe(8); // CR0.TS set by the switch
  });

  it('a double fault through a task gate switches to the handler task and pushes the error code', () => {
    const m = run(`
  mov dword [gdt + 0x38], 0x50000067
  mov dword [gdt + 0x3c], 0x00008900
  mov edi, 0x5000
  mov ecx, 0x1a
  xor eax, eax
  rep stosd
  mov dword [0x5020], df_task
  mov dword [0x5024], 2
  mov dword [0x5038], 0x6000
  mov dword [0x5048], 0x10
  mov dword [0x504c], 0x08
  mov dword [0x5050], 0x10
  mov dword [0x5054], 0x10
  mov dword [0x5058], 0x10
  mov dword [0x505c], 0x10
  ; IDT 8: task gate to TSS 0x38; IDT 13: not present
  mov dword [idt + 8*8], 0x00380000
  mov dword [idt + 8*8 + 4], 0x00008500
  mov byte [idt + 13*8 + 5], 0x0e
  mov eax, 0x12345
  mov ax, 0x58
  mov ds, ax                ; #GP(0x58) -> #NP(13*8+3) -> #DF(0)
  hlt
df_task:
  mov eax, [esp]
  mov [0x600], eax          ; error code on the new task's stack
  mov [0x604], esp
  str word [0x608]
  mov eax, [0x3000 + 0x28]  ; outgoing task's saved EAX
  mov [0x60c], eax
  pushfd
  pop dword [0x610]
  hlt`);
    expect(m.r32(0x600)).toBe(0);
    expect(m.r32(0x604)).toBe(0x6000 - 4);
    expect(m.r16(0x608)).toBe(0x38);
    expect(m.r32(0x60c)).toBe(0x10058);
    expect(m.r32(0x610) & 0x4000).toBe(0x4000);
  });
});

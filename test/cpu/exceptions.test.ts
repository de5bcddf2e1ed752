/**
 * Exceptions and interrupts (Intel SDM Vol. 3A ch. 6): fault vs trap return addresses, #NM from
 * CR0.EM/TS/MP, double fault and triple fault (RunExit.TripleFault), INTR with IF and the STI
 * shadow, NMI, HLT exits, single-step #DB, real-mode IVT delivery, bulk string port I/O, A20.
 */
import { describe, it, expect } from 'vitest';
import { TestMachine, PM_PRELUDE, RunExit, R } from './harness.js';

function pm(src: string): TestMachine {
  const m = new TestMachine();
  m.loadAsm(`${PM_PRELUDE}\ntest:\n${src}\n`);
  return m;
}

describe('faults, traps and #NM', () => {
  it('a fault reports the faulting instruction; INT3 (trap) the next one', () => {
    let m = pm('  nop\nfaulting:\n  ud2\n  hlt');
    m.run(100000);
    const ud = m.exc.eip;
    m = pm('  nop\n  int3\nafter:\n  hlt');
    m.run(100000);
    expect(m.exc.vector).toBe(3);
    expect(m.exc.eip).toBe(ud + 1); // int3 is one byte, at the same place as ud2
  });

  it('raises #NM for x87 instructions with CR0.EM or CR0.TS, and for WAIT with MP and TS', () => {
    let m = pm('  mov eax, cr0\n  or eax, 4\n  mov cr0, eax\n  fninit\n  hlt');
    m.run(100000);
    expect(m.exc).toMatchObject({ vector: 7, error: -1 });
    m = pm('  mov eax, cr0\n  or eax, 8\n  mov cr0, eax\n  fld1\n  hlt');
    m.run(100000);
    expect(m.exc.vector).toBe(7);
    m = pm('  mov eax, cr0\n  or eax, 8\n  mov cr0, eax\n  wait\n  mov dword [0x600], 1\n  or eax, 2\n  mov cr0, eax\n  wait\n  hlt');
    m.run(100000);
    expect(m.r32(0x600)).toBe(1); // WAIT ignores TS while MP = 0
    expect(m.exc.vector).toBe(7);
    m = pm('  clts\n  mov eax, cr0\n  mov [0x600], eax\n  hlt');
    m.run(100000);
    expect(m.r32(0x600) & 8).toBe(0);
  });

  it('a contributory fault while delivering a contributory fault becomes #DF(0)', () => {
    const m = pm('  mov byte [idt + 13*8 + 5], 0x0e   ; #GP gate not present\n  mov ax, 0x58\n  mov ds, ax\n  hlt');
    m.run(100000);
    expect(m.exc).toMatchObject({ vector: 8, error: 0 });
  });

  it('a fault while delivering #DF is a triple fault (RunExit.TripleFault)', () => {
    const m = pm('  lidt [bad_idtr]\n  ud2\nbad_idtr: dw 0\n  dd 0');
    expect(m.run(100000)).toBe(RunExit.TripleFault);
  });

  it('single-step: TF raises #DB after the next instruction', () => {
    const m = pm(`
  pushfd
  or dword [esp], 0x100
  popfd
  mov eax, 1
next:
  mov eax, 2
  hlt`);
    m.run(100000);
    expect(m.exc.vector).toBe(1);
    expect(m.reg(R.ebx)).toBe(0);
    expect(m.core.exports.getDr(6) & 0x4000).toBe(0x4000);
  });
});

describe('external interrupts and HLT', () => {
  it('HLT with IF=1 exits Halted; INTR wakes it and vectors through the IDT', () => {
    const m = pm(`
  mov eax, h40
  mov [idt + 0x40*8], ax
  mov word [idt + 0x40*8 + 2], 0x08
  mov word [idt + 0x40*8 + 4], 0x8e00
  shr eax, 16
  mov [idt + 0x40*8 + 6], ax
  sti
  hlt
  mov dword [0x604], 0x55
  cli
  hlt
h40:
  inc dword [0x600]
  iretd`);
    expect(m.run(100000)).toBe(RunExit.Halted);
    m.intrVector = 0x40;
    m.core.setIntr(true);
    m.run(1); // delivers and runs the handler's INC (the line stays high, so only one step)
    m.core.setIntr(false);
    expect(m.run(100000)).toBe(RunExit.HaltedForever);
    expect(m.r32(0x600)).toBe(1);
    expect(m.r32(0x604)).toBe(0x55);
  });

  it('INTR is held off by IF=0 and for one instruction after STI', () => {
    const m = pm(`
  mov eax, h40
  mov [idt + 0x40*8], ax
  mov word [idt + 0x40*8 + 2], 0x08
  mov word [idt + 0x40*8 + 4], 0x8e00
  shr eax, 16
  mov [idt + 0x40*8 + 6], ax
  mov dword [0x200], 0
  mov dword [0x600], 0
  mov ecx, 0
  sti
  mov ecx, 1
  mov ecx, 2
  cli
  hlt
h40:
  mov [0x600], ecx
  mov byte [0x604], 1
  cli
  hlt`);
    m.intrVector = 0x40;
    m.core.setIntr(true);
    m.run(100000);
    expect(m.r8(0x604)).toBe(1);
    expect(m.r32(0x600)).toBe(1); // taken after the instruction following STI
  });

  it('NMI is taken with IF=0 through vector 2', () => {
    const m = pm('  cli\n  hlt');
    expect(m.run(100000)).toBe(RunExit.HaltedForever);
    m.core.nmi();
    m.run(100000);
    expect(m.exc.vector).toBe(2);
  });

  it('requestExit stops run() at the next instruction boundary', () => {
    const m = pm('  jmp $');
    m.core.requestExit();
    expect(m.run(1000)).toBe(RunExit.Budget); // a request before run() is cleared by run()
  });
});

describe('real mode', () => {
  it('delivers INT n through the IVT and IRET returns', () => {
    const m = new TestMachine();
    m.loadAsm(`bits 16
  cli
  xor ax, ax
  mov ds, ax
  mov word [0x21*4], handler
  mov word [0x21*4 + 2], 0
  mov ax, 5
  int 0x21
  mov [0x600], ax
  pushf
  pop word [0x602]
  hlt
handler:
  add ax, 10
  iret`);
    expect(m.run(100000)).toBe(RunExit.HaltedForever);
    expect(m.r16(0x600)).toBe(15);
  });

  it('masks linear address bit 20 when A20 is disabled', () => {
    const m = new TestMachine();
    m.loadAsm(`bits 16
  cli
  mov ax, 0xffff
  mov es, ax
  mov byte [es:0x10], 0x77     ; linear 0x100000
  hlt`);
    m.core.setA20(false);
    m.run(100000);
    expect(m.r8(0)).toBe(0x77);
    expect(m.r8(0x100000)).toBe(0);
  });

  it('moves a REP INSW block to contiguous RAM with one host call per page', () => {
    const m = new TestMachine();
    m.loadAsm(`bits 16
  cli
  cld
  xor ax, ax
  mov es, ax
  mov di, 0x2000
  mov dx, 0x1f0
  mov cx, 256
  rep insw
  mov [0x600], di
  mov [0x602], cx
  hlt`);
    expect(m.run(100000)).toBe(RunExit.HaltedForever);
    expect(m.bulk).toEqual([['in', 0x1f0, 2, 256, 0x2000]]);
    expect(m.r16(0x600)).toBe(0x2200);
    expect(m.r16(0x602)).toBe(0);
    expect(m.r8(0x2000)).toBe(1);
  });
});

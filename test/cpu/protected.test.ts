/**
 * Protected-mode segmentation: entry and exit, descriptor checks on segment loads and every
 * protection fault with its error code (Intel SDM Vol. 3A 5.3-5.6 and the MOV/POP "Protected
 * Mode Exceptions" lists). GDT slots 0x30..0x48 are filled by each test.
 */
import { describe, it, expect } from 'vitest';
import { TestMachine, PM_PRELUDE, RunExit, R } from './harness.js';

/** Build a descriptor (base, limit, access byte, flags nibble: G=8, D/B=4) as nasm dd lo, hi. */
function desc(base: number, limit: number, access: number, flags: number): [number, number] {
  const lo = ((base & 0xffff) << 16) | (limit & 0xffff);
  const hi = (base & 0xff000000) | (flags << 20) | (limit & 0xf0000) | (access << 8) | ((base >>> 16) & 0xff);
  return [lo >>> 0, hi >>> 0];
}
function setDesc(slot: number, d: [number, number]): string {
  return `  mov dword [gdt + 0x${slot.toString(16)}], 0x${d[0].toString(16)}\n  mov dword [gdt + 0x${(slot + 4).toString(16)}], 0x${d[1].toString(16)}\n`;
}
function run(body: string): TestMachine {
  const m = new TestMachine();
  m.loadAsm(`${PM_PRELUDE}\ntest:\n${body}\n  hlt\n`);
  expect(m.run(1_000_000)).toBe(RunExit.HaltedForever);
  return m;
}
/** Enter ring 3 at label `ring3` with flat ring-3 segments (IOPL 0). */
const TO_RING3 = `
  push dword 0x23
  push dword 0x7000
  push dword 0x002
  push dword 0x1b
  push dword ring3
  iretd
ring3:
`;

describe('protected-mode entry and exit', () => {
  it('enters 32-bit protected mode through a far jump and returns to real mode with cached limits', () => {
    const m = new TestMachine();
    m.loadAsm(`${PM_PRELUDE}
test:
  mov dword [0x200000], 0x600dcafe
  jmp 0x30:pm16            ; 16-bit code segment before leaving protected mode
bits 16
pm16:
  mov eax, cr0
  and al, 0xfe
  mov cr0, eax
  jmp 0:rm
rm:
  xor ax, ax
  mov ds, ax
  mov eax, [fs:dword 0x200000]   ; FS keeps its 4 GiB limit ("unreal" mode)
  mov [0x600], eax
  mov [0x604], cs
  hlt
bits 32
`.replace('test:\n', `test:\n${setDesc(0x30, desc(0, 0xffff, 0x9a, 0))}`));
    expect(m.run(100000)).toBe(RunExit.HaltedForever);
    expect(m.exc.vector).toBe(-1);
    expect(m.r32(0x600)).toBe(0x600dcafe);
    expect(m.r16(0x604)).toBe(0);
    expect(m.core.exports.getCr(0) & 1).toBe(0);
  });
});

describe('segment loads and protection faults', () => {
  const cases: [string, string, number, number][] = [
    ['selector past the GDT limit', '  mov ax, 0x58\n  mov ds, ax', 13, 0x58],
    ['selector with RPL past the limit', '  mov ax, 0x5b\n  mov es, ax', 13, 0x58],
    ['null selector into SS', '  xor ax, ax\n  mov ss, ax', 13, 0],
    ['not-present data segment', setDesc(0x30, desc(0, 0xfffff, 0x12, 0xc)) + '  mov ax, 0x30\n  mov ds, ax', 11, 0x30],
    ['not-present stack segment', setDesc(0x30, desc(0, 0xfffff, 0x12, 0xc)) + '  mov ax, 0x30\n  mov ss, ax', 12, 0x30],
    ['execute-only code into DS', setDesc(0x30, desc(0, 0xfffff, 0x98, 0xc)) + '  mov ax, 0x30\n  mov ds, ax', 13, 0x30],
    ['read-only data into SS', setDesc(0x30, desc(0, 0xfffff, 0x90, 0xc)) + '  mov ax, 0x30\n  mov ss, ax', 13, 0x30],
    ['SS with RPL != CPL', '  mov ax, 0x13\n  mov ss, ax', 13, 0x10],
    ['LDT selector without an LDT', '  mov ax, 0x0c\n  mov ds, ax', 13, 0x0c],
    ['write to a read-only data segment', setDesc(0x30, desc(0, 0xfffff, 0x90, 0xc)) + '  mov ax, 0x30\n  mov ds, ax\n  mov [0x100], eax', 13, 0],
    ['read past a byte-granular limit', setDesc(0x30, desc(0x10000, 0xfff, 0x92, 0x4)) + '  mov ax, 0x30\n  mov ds, ax\n  mov eax, [0xffe]', 13, 0],
    ['expand-down segment below its limit', setDesc(0x30, desc(0x10000, 0xfff, 0x96, 0x4)) + '  mov ax, 0x30\n  mov ds, ax\n  mov eax, [0x800]', 13, 0],
    ['ring-3 push past the SS limit', setDesc(0x30, desc(0, 0xfff, 0xf2, 0x4)) + TO_RING3 + '  mov ax, 0x33\n  mov ss, ax\n  mov esp, 0x1002\n  push eax', 12, 0],
    ['memory access through a null DS', '  xor ax, ax\n  mov ds, ax\n  mov eax, [0x100]', 13, 0],
    ['write through a code-segment override', '  mov [cs:0x100], eax', 13, 0],
    ['far jump to a not-present code segment', setDesc(0x30, desc(0, 0xfffff, 0x1a, 0xc)) + '  jmp 0x30:0', 11, 0x30],
    ['far jump to a data segment', '  jmp 0x10:0', 13, 0x10],
    ['far jump past the code limit', setDesc(0x30, desc(0, 0xfff, 0x9a, 0x4)) + '  jmp 0x30:0x2000', 13, 0],
    ['LTR of a busy TSS', '  mov ax, 0x28\n  ltr ax', 13, 0x28],
    ['LLDT of a non-LDT descriptor', '  mov ax, 0x10\n  lldt ax', 13, 0x10],
  ];
  for (const [name, body, vector, error] of cases) {
    it(`${name}: vector ${vector}, error ${error.toString(16)}`, () => {
      const m = run(body);
      expect(m.exc.vector).toBe(vector);
      expect(m.exc.error).toBe(error);
      expect(m.exc.count).toBe(1);
    });
  }

  it('expand-down segments accept offsets above the limit', () => {
    const m = run(setDesc(0x30, desc(0x10000, 0xfff, 0x96, 0x4)) + `
  mov ax, 0x30
  mov ds, ax
  mov dword [0x2000], 0x1234
  mov eax, [0x2000]
  mov bx, 0x10
  mov ds, bx
  mov [0x600], eax`);
    expect(m.exc.vector).toBe(-1);
    expect(m.r32(0x600)).toBe(0x1234);
    expect(m.r32(0x12000)).toBe(0x1234);
  });

  it('sets the accessed bit of loaded descriptors', () => {
    const m = run(setDesc(0x30, desc(0, 0xfffff, 0x92, 0xc)) + '  mov ax, 0x30\n  mov gs, ax\n  mov eax, [gdt + 0x34]\n  mov [0x600], eax');
    expect(m.exc.vector).toBe(-1);
    expect((m.r32(0x600) >> 8) & 1).toBe(1);
  });

  it('ring 3 cannot load a DPL-0 data segment: #GP(selector)', () => {
    const m = run(TO_RING3 + '  mov ax, 0x10\n  mov ds, ax');
    expect(m.exc.vector).toBe(13);
    expect(m.exc.error).toBe(0x10);
    expect(m.exc.cs).toBe(0x1b);
  });

  it('IRET to ring 3 nulls data segment registers the new level may not use', () => {
    const m = run(`
  mov ax, 0x10
  mov es, ax
  mov ax, 0x23
  mov fs, ax
${TO_RING3}
  mov [0x600], es
  mov [0x604], fs
  mov [0x608], cs`.replace('mov [0x600]', 'mov [fs:0x600]').replace('mov [0x604]', 'mov [fs:0x604]').replace('mov [0x608]', 'mov [fs:0x608]'));
    // DS was 0x10 too and is nulled, so the stores above go through FS; the closing HLT is
    // privileged at ring 3 and ends the program with #GP(0)
    expect(m.exc.vector).toBe(13);
    expect(m.exc.error).toBe(0);
    expect(m.r16(0x600)).toBe(0);
    expect(m.r16(0x604)).toBe(0x23);
    expect(m.r16(0x608)).toBe(0x1b);
  });

  it('ARPL, VERR/VERW, LAR and LSL', () => {
    const m = run(setDesc(0x30, desc(0, 0xfff, 0x90, 0x4)) + `
  mov ax, 0x31
  mov bx, 0x23
  arpl ax, bx
  setz byte [0x600]
  mov [0x602], ax
  mov ax, 0x30
  verr ax
  setz byte [0x604]
  verw ax
  setz byte [0x605]
  lar ecx, ax
  mov [0x608], ecx
  lsl edx, ax
  mov [0x60c], edx
  mov ax, 0x58
  lsl edx, ax
  setz byte [0x610]`);
    expect(m.exc.vector).toBe(-1);
    expect(m.r8(0x600)).toBe(1);
    expect(m.r16(0x602)).toBe(0x33);
    expect(m.r8(0x604)).toBe(1);
    expect(m.r8(0x605)).toBe(0);
    expect(m.r32(0x608)).toBe(0x00409000); // rights as stored (LAR does not set the accessed bit)
    expect(m.r32(0x60c)).toBe(0xfff);
    expect(m.r8(0x610)).toBe(0);
  });

  it('SGDT/SIDT store the table registers; LMSW cannot clear PE', () => {
    const m = run(`
  sgdt [0x600]
  sidt [0x608]
  mov ax, 0
  lmsw ax
  mov eax, cr0
  mov [0x610], eax`);
    expect(m.r16(0x600)).toBe(0x4f);
    expect(m.r16(0x608)).toBe(0x7ff);
    expect(m.r32(0x610) & 1).toBe(1);
  });

  it('conforming code runs at the caller\'s privilege', () => {
    const m = run(setDesc(0x30, desc(0, 0xfffff, 0x9e, 0xc)) + TO_RING3 + `
  call 0x30:conf
  mov ax, 0x23
  mov ds, ax
  mov [0x604], ebx
  hlt
conf:
  mov bx, cs
  retf`);
    expect(m.exc.vector).toBe(13); // the ring-3 HLT
    expect(m.exc.cs).toBe(0x1b);
    expect(m.r16(0x604)).toBe(0x33); // CS = 0x30 with RPL = CPL 3
    expect(m.reg(R.ebx) & 0xffff).toBe(0x33);
  });
});

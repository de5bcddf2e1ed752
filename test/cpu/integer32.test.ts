/**
 * 32-bit operand/address sizes and two-byte (0F) opcodes, which the 80286 vectors do not cover.
 * Small nasm programs store results at 0x600.. and halt; expected values follow the Intel SDM
 * Vol. 2 instruction descriptions.
 */
import { describe, it, expect } from 'vitest';
import { TestMachine, PM_PRELUDE, RunExit, R } from './harness.js';

function pm(body: string, max = 1_000_000): TestMachine {
  const m = new TestMachine();
  m.loadAsm(`${PM_PRELUDE}\ntest:\n${body}\n  hlt\n`);
  expect(m.run(max)).toBe(RunExit.HaltedForever);
  expect(m.exc.vector).toBe(-1);
  return m;
}
function real(body: string): TestMachine {
  const m = new TestMachine();
  m.loadAsm(`bits 16\n  cli\n${body}\n  hlt\n`);
  expect(m.run(100000)).toBe(RunExit.HaltedForever);
  return m;
}
const CF = 1, ZF = 0x40, SF = 0x80, OF = 0x800;

describe('32-bit operands and addressing', () => {
  it('uses 66/67 prefixes in real mode', () => {
    const m = real(`
  mov eax, 0x12345678
  mov ebx, 0x0000ffff
  add eax, ebx
  mov [0x600], eax
  mov esi, 0x10
  mov dword [esi*4 + 0x600], 0xdeadbeef
  movzx ecx, word [0x600]
  mov [0x608], ecx
  movsx edx, byte [0x643]
  mov [0x60c], edx`);
    expect(m.r32(0x600)).toBe(0x12355677);
    expect(m.r32(0x640)).toBe(0xdeadbeef);
    expect(m.r32(0x608)).toBe(0x5677);
    expect(m.r32(0x60c)).toBe(0xffffffde);
  });

  it('computes SIB addresses with base, index, scale and displacement', () => {
    const m = pm(`
  mov ebx, 0x700
  mov ecx, 3
  mov dword [ebx + ecx*8 + 0x10], 0xcafe
  mov eax, [0x728]
  mov [0x600], eax
  lea edx, [ebx + ecx*4 - 4]
  mov [0x604], edx
  mov ebp, 0x800
  mov dword [ebp], 0x55
  mov eax, [ebp]
  mov [0x608], eax`);
    expect(m.r32(0x600)).toBe(0xcafe);
    expect(m.r32(0x604)).toBe(0x708);
    expect(m.r32(0x608)).toBe(0x55);
  });

  it('multiplies and divides 32-bit values', () => {
    const m = pm(`
  mov eax, 0x80000000
  mov ecx, 4
  mul ecx
  mov [0x600], eax
  mov [0x604], edx
  pushfd
  pop dword [0x608]
  mov eax, -7
  mov ecx, 3
  imul eax, eax, 5
  mov [0x60c], eax
  mov eax, 100
  cdq
  mov ecx, -7
  idiv ecx
  mov [0x610], eax
  mov [0x614], edx
  mov eax, 0x12345678
  imul eax, eax, 0x10
  mov [0x618], eax`);
    expect(m.r32(0x600)).toBe(0);
    expect(m.r32(0x604)).toBe(2);
    expect(m.r32(0x608) & (CF | OF)).toBe(CF | OF);
    expect(m.r32(0x60c) | 0).toBe(-35);
    expect(m.r32(0x610) | 0).toBe(-14);
    expect(m.r32(0x614) | 0).toBe(2);
    expect(m.r32(0x618)).toBe(0x23456780);
  });

  it('raises #DE for a 32-bit quotient overflow', () => {
    const m = new TestMachine();
    m.loadAsm(`${PM_PRELUDE}\ntest:\n  mov edx, 1\n  mov eax, 0\n  mov ecx, 1\nfaulting:\n  div ecx\n  hlt\n`);
    m.run(100000);
    expect(m.exc.vector).toBe(0);
    expect(m.exc.error).toBe(-1);
  });

  it('shifts and rotates 32-bit operands, SHLD/SHRD', () => {
    const m = pm(`
  mov eax, 0x80000001
  rol eax, 1
  mov [0x600], eax
  mov eax, 0x12345678
  mov edx, 0x9abcdef0
  shld eax, edx, 8
  mov [0x604], eax
  mov eax, 0x12345678
  shrd eax, edx, 12
  mov [0x608], eax
  mov eax, 0xf0000000
  sar eax, 4
  mov [0x60c], eax
  mov eax, 1
  mov cl, 33
  shl eax, cl
  mov [0x610], eax`);
    expect(m.r32(0x600)).toBe(0x00000003);
    expect(m.r32(0x604)).toBe(0x3456789a);
    expect(m.r32(0x608)).toBe(0xef012345);
    expect(m.r32(0x60c)).toBe(0xff000000);
    expect(m.r32(0x610)).toBe(2); // count masked to 5 bits
  });

  it('runs 32-bit string instructions with REP', () => {
    const m = pm(`
  mov edi, 0x10000
  mov eax, 0x01020304
  mov ecx, 1000
  cld
  rep stosd
  mov esi, 0x10000
  mov edi, 0x20000
  mov ecx, 4000
  rep movsb
  mov [0x600], edi
  mov esi, 0x10000
  mov edi, 0x20000
  mov ecx, 4000
  repe cmpsb
  mov [0x604], ecx
  mov byte [0x20000 + 3000], 0
  mov esi, 0x10000
  mov edi, 0x20000
  mov ecx, 4000
  repe cmpsb
  mov [0x608], ecx
  mov edi, 0x20000
  mov al, 0
  mov ecx, 4000
  repne scasb
  mov [0x60c], edi
  std
  mov esi, 0x10000 + 8
  lodsd
  mov [0x610], esi
  cld`);
    expect(m.r32(0x10000 + 3996)).toBe(0x01020304);
    expect(m.r32(0x600)).toBe(0x20000 + 4000);
    expect(m.r32(0x604)).toBe(0);
    expect(m.r32(0x608)).toBe(999);
    expect(m.r32(0x60c)).toBe(0x20000 + 3001);
    expect(m.r32(0x610)).toBe(0x10004);
  });
});

describe('0F opcodes', () => {
  it('bit test and scan: BT/BTS/BTR/BTC, BSF/BSR', () => {
    const m = pm(`
  mov dword [0x700], 0
  mov dword [0x704], 0
  mov eax, 35
  bts [0x700], eax
  mov eax, -1
  bts [0x704], eax         ; negative offset: bit 31 of [0x700]
  mov eax, 0x00f0
  bt eax, 4
  setc byte [0x608]
  btr eax, 5
  mov [0x60c], eax
  btc eax, 0
  mov [0x610], eax
  mov ecx, 0x00100800
  bsf edx, ecx
  mov [0x614], edx
  bsr edx, ecx
  mov [0x618], edx
  mov edx, 0x77
  xor ecx, ecx
  bsf edx, ecx
  setz byte [0x61c]
  mov [0x620], edx`);
    expect(m.r32(0x704)).toBe(8);
    expect(m.r32(0x700)).toBe(0x80000000);
    expect(m.r8(0x608)).toBe(1);
    expect(m.r32(0x60c)).toBe(0xd0);
    expect(m.r32(0x610)).toBe(0xd1);
    expect(m.r32(0x614)).toBe(11);
    expect(m.r32(0x618)).toBe(20);
    expect(m.r8(0x61c)).toBe(1);
    expect(m.r32(0x620)).toBe(0x77); // destination unchanged when the source is 0
  });

  it('486/Pentium: BSWAP, XADD, CMPXCHG, CMPXCHG8B', () => {
    const m = pm(`
  mov eax, 0x11223344
  bswap eax
  mov [0x600], eax
  mov eax, 5
  mov ebx, 7
  xadd eax, ebx
  mov [0x604], eax
  mov [0x608], ebx
  mov dword [0x700], 10
  mov eax, 10
  mov ecx, 20
  lock cmpxchg [0x700], ecx
  setz byte [0x60c]
  mov eax, 99
  cmpxchg [0x700], ecx
  setz byte [0x60d]
  mov [0x610], eax
  mov dword [0x710], 1
  mov dword [0x714], 2
  mov eax, 1
  mov edx, 2
  mov ebx, 0xaaaa
  mov ecx, 0xbbbb
  lock cmpxchg8b [0x710]
  setz byte [0x614]
  mov eax, 0
  cmpxchg8b [0x710]
  setz byte [0x615]
  mov [0x618], eax
  mov [0x61c], edx`);
    expect(m.r32(0x600)).toBe(0x44332211);
    expect(m.r32(0x604)).toBe(12);
    expect(m.r32(0x608)).toBe(5);
    expect(m.r8(0x60c)).toBe(1);
    expect(m.r8(0x60d)).toBe(0);
    expect(m.r32(0x610)).toBe(20);
    expect(m.r8(0x614)).toBe(1);
    expect(m.r32(0x710)).toBe(0xaaaa);
    expect(m.r32(0x714)).toBe(0xbbbb);
    expect(m.r8(0x615)).toBe(0);
    expect(m.r32(0x618)).toBe(0xaaaa);
    expect(m.r32(0x61c)).toBe(0xbbbb);
  });

  it('P6: CMOVcc, SETcc and the long NOP', () => {
    const m = pm(`
  mov eax, 1
  mov ebx, 2
  cmp eax, ebx
  cmovl ecx, ebx
  mov [0x600], ecx
  mov edx, 0x33
  cmovg edx, eax
  mov [0x604], edx
  setb byte [0x608]
  setge byte [0x609]
  nop dword [eax + eax*1 + 0x12345678]
  mov dword [0x60c], 0xfeed`);
    expect(m.r32(0x600)).toBe(2);
    expect(m.r32(0x604)).toBe(0x33);
    expect(m.r8(0x608)).toBe(1);
    expect(m.r8(0x609)).toBe(0);
    expect(m.r32(0x60c)).toBe(0xfeed);
  });

  it('CPUID reports family 6 and only the implemented features', () => {
    const m = pm(`
  xor eax, eax
  cpuid
  mov [0x600], eax
  mov [0x604], ebx
  mov [0x608], edx
  mov [0x60c], ecx
  mov eax, 1
  cpuid
  mov [0x610], eax
  mov [0x614], edx`);
    expect(m.r32(0x600)).toBeGreaterThanOrEqual(1);
    expect(Buffer.from(m.ram.subarray(0x604, 0x610)).toString('latin1')).toBe('GenuineIntel');
    expect((m.r32(0x610) >> 8) & 0xf).toBe(6);
    const d = m.r32(0x614);
    for (const bit of [2, 3, 4, 5, 8, 11, 13, 15]) expect((d >>> bit) & 1).toBe(1); // DE PSE TSC MSR CX8 SEP PGE CMOV
    for (const bit of [6, 9, 23, 25, 26]) expect((d >>> bit) & 1).toBe(0);          // PAE APIC MMX SSE SSE2
  });

  it('RDTSC is monotonic; RDMSR/WRMSR handle TSC and SYSENTER MSRs, #GP otherwise', () => {
    const m = pm(`
  rdtsc
  mov [0x600], eax
  mov [0x604], edx
  nop
  rdtsc
  mov [0x608], eax
  mov [0x60c], edx
  mov ecx, 0x175
  mov eax, 0x12345
  xor edx, edx
  wrmsr
  xor eax, eax
  rdmsr
  mov [0x610], eax
  mov ecx, 0x10
  mov eax, 0
  mov edx, 5
  wrmsr
  rdmsr
  mov [0x614], edx`);
    const t0 = m.r32(0x604) * 2 ** 32 + m.r32(0x600), t1 = m.r32(0x60c) * 2 ** 32 + m.r32(0x608);
    expect(t1).toBeGreaterThan(t0);
    expect(m.r32(0x610)).toBe(0x12345);
    expect(m.r32(0x614)).toBe(5);
    const g = new TestMachine();
    g.loadAsm(`${PM_PRELUDE}\ntest:\n  mov ecx, 0x1b\n  rdmsr\n  hlt\n`);
    g.run(100000);
    expect(g.exc.vector).toBe(13);
    expect(g.exc.error).toBe(0);
  });

  it('UD2 and invalid LOCK prefixes raise #UD', () => {
    for (const insn of ['ud2', 'lock mov eax, ebx', 'lock add eax, ebx', 'db 0xf0, 0x90']) {
      const m = new TestMachine();
      m.loadAsm(`${PM_PRELUDE}\ntest:\n  ${insn}\n  hlt\n`);
      m.run(100000);
      expect(m.exc.vector, insn).toBe(6);
    }
  });

  it('moves to and from control and debug registers; CR4 rejects unsupported bits', () => {
    const m = pm(`
  mov eax, cr0
  mov [0x600], eax
  mov eax, 0x1234
  mov dr0, eax
  mov ebx, dr0
  mov [0x604], ebx
  mov eax, dr6
  mov [0x608], eax
  smsw ax
  mov [0x60c], ax`);
    expect(m.r32(0x600) & 0x11).toBe(0x11); // PE, ET
    expect(m.r32(0x604)).toBe(0x1234);
    expect(m.r32(0x608) >>> 16).toBe(0xffff);
    expect(m.r16(0x60c) & 1).toBe(1);
    const g = new TestMachine();
    g.loadAsm(`${PM_PRELUDE}\ntest:\n  mov eax, 0x20\n  mov cr4, eax\n  hlt\n`); // PAE: not implemented
    g.run(100000);
    expect(g.exc.vector).toBe(13);
  });

  it('ENTER/LEAVE build nested frames; PUSHAD/POPAD round-trip', () => {
    const m = pm(`
  mov ebp, 0x8800
  enter 16, 2
  mov [0x600], ebp
  mov [0x604], esp
  leave
  mov [0x608], ebp
  mov [0x60c], esp
  mov eax, 1
  mov ecx, 2
  mov edx, 3
  mov ebx, 4
  mov esi, 6
  mov edi, 7
  pushad
  mov eax, [esp + 12]
  mov [0x610], eax
  xor eax, eax
  xor ecx, ecx
  popad
  mov [0x614], ecx`);
    expect(m.r32(0x600)).toBe(0x9000 - 4);
    expect(m.r32(0x604)).toBe(0x9000 - 4 - 8 - 16);
    expect(m.r32(0x608)).toBe(0x8800);
    expect(m.r32(0x60c)).toBe(0x9000);
    expect(m.r32(0x610)).toBe(0x9000); // the ESP value before PUSHAD
    expect(m.r32(0x614)).toBe(2);
  });

  it('reports flags of 32-bit arithmetic', () => {
    const m = pm(`
  mov eax, 0x7fffffff
  add eax, 1
  pushfd
  pop dword [0x600]
  mov eax, 0
  sub eax, 1
  pushfd
  pop dword [0x604]
  mov eax, 0xffffffff
  inc eax
  pushfd
  pop dword [0x608]`);
    expect(m.r32(0x600) & (OF | SF | ZF | CF)).toBe(OF | SF);
    expect(m.r32(0x604) & (OF | SF | ZF | CF)).toBe(SF | CF);
    expect(m.r32(0x608) & (OF | SF | ZF | CF)).toBe(ZF | CF); // INC keeps the CF of the SUB
    expect(m.reg(R.eax)).toBe(0);
  });

  it('overlapping and page-crossing REP MOVS/STOS keep element-by-element semantics', () => {
    const m = pm(`
  cld
  mov byte [0x30000], 0xab
  mov esi, 0x30000
  mov edi, 0x30001
  mov ecx, 9000                 ; forward overlap: propagates the first byte across pages
  rep movsb
  mov edi, 0x40ffe
  mov ax, 0x1234
  mov ecx, 3
  rep stosw                     ; crosses 0x41000
  mov esi, 0x50000
  mov dword [esi], 0x11223344
  mov dword [esi + 4], 0x55667788
  std
  mov esi, 0x50004
  mov edi, 0x50006
  mov ecx, 2
  rep movsw                     ; backward copy
  cld`);
    expect(m.r8(0x30000 + 9000)).toBe(0xab);
    expect(m.r8(0x31234)).toBe(0xab);
    expect(m.r16(0x40ffe)).toBe(0x1234);
    expect(m.r16(0x41002)).toBe(0x1234);
    expect(m.r16(0x50006)).toBe(0x7788); // first element: word at 0x50004
    expect(m.r16(0x50004)).toBe(0x1122); // second element: word at 0x50002
  });

  it('a page fault in the middle of REP MOVSD leaves ESI/EDI/ECX at the faulting element', () => {
    const m = new TestMachine();
    m.loadAsm(`${PM_PRELUDE}
test:
  mov dword [0x20000], 0x21003
  mov edi, 0x21000
  mov eax, 0x003
  mov ecx, 1024
.fill:
  stosd
  add eax, 0x1000
  loop .fill
  mov dword [0x21000 + 0x101 * 4], 0   ; page 0x101000 not present
  mov eax, 0x20000
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  cld
  mov esi, 0x100000
  mov edi, 0x100ff0
  mov ecx, 100
  rep movsd
  hlt
`);
    m.run(1_000_000);
    expect(m.exc).toMatchObject({ vector: 14, error: 2, cr2: 0x101000 });
    expect(m.reg(R.ecx)).toBe(96);
    expect(m.reg(R.edi)).toBe(0x101000);
    expect(m.reg(R.esi)).toBe(0x100010);
  });
});

/**
 * CPU core benchmark (`npm run bench:cpu`): fixed guest workloads in 32-bit flat protected mode
 * with paging off and on, each run several times; prints the median MIPS (millions of retired
 * instructions per second; a REP string instruction counts once per 4096-element chunk, so the
 * string row also reports MB/s).
 */
import { TestMachine, PM_PRELUDE, R } from '../test/cpu/harness.js';

// BENCH_RUNS / BENCH_FILTER (substring of the workload name) narrow a run; BULKHEAD_CORE_WASM
// (test/cpu/harness.ts) benchmarks another build of the core for before/after comparisons.
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const FILTER = process.env.BENCH_FILTER ?? '';
const BUDGET = 50_000_000;

interface Workload { name: string; body: string; bytes?: number }

const PAGING_ON = `
  ; identity-map the first 8 MiB with two 4 MiB PSE pages
  mov dword [0x20000], 0x00000083
  mov dword [0x20004], 0x00400083
  mov eax, 0x20000
  mov cr3, eax
  mov eax, cr4
  or eax, 0x10
  mov cr4, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
`;

const workloads: Workload[] = [
  { name: 'integer loop', body: `
  mov ecx, 5000000
.l:
  add eax, ebx
  xor edx, eax
  inc esi
  lea edi, [esi + eax*2]
  dec ecx
  jnz .l
  hlt` },
  { name: 'memory copy loop', body: `
  mov edx, 400
.outer:
  mov esi, 0x100000
  mov edi, 0x200000
  mov ecx, 16384
.l:
  mov eax, [esi]
  mov [edi], eax
  add esi, 4
  add edi, 4
  dec ecx
  jnz .l
  dec edx
  jnz .outer
  hlt` },
  { name: 'rep movsd 64 KiB', bytes: 65536 * 2000, body: `
  cld
  mov edx, 2000
.outer:
  mov esi, 0x100000
  mov edi, 0x200000
  mov ecx, 16384
  rep movsd
  dec edx
  jnz .outer
  hlt` },
  { name: 'call-heavy loop', body: `
  mov ecx, 4000000
.l:
  push ecx
  call f
  pop ecx
  dec ecx
  jnz .l
  hlt
f:
  push ebp
  mov ebp, esp
  mov eax, [ebp + 8]
  add eax, 3
  pop ebp
  ret` },
  { name: 'real-mode 16-bit loop', body: 'REAL' },
  { name: 'x87 loop', body: `
  fninit
  fld1
  fldz
  mov ecx, 3000000
.l:
  fadd st0, st1
  fld st0
  fmul st0, st0
  fstp dword [0x600]
  dec ecx
  jnz .l
  hlt` },
];

const REAL = `
bits 16
  cli
  mov ax, 0x2000
  mov ds, ax
  xor ax, ax
  mov cx, 0
  mov dx, 100
.o:
.l:
  add ax, bx
  xor dx, ax
  inc si
  mov [si], al
  loop .l
  dec dx
  jnz .o
  hlt
`;

function median(a: number[]): number { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; }

const rows: string[][] = [];
for (const paging of [false, true]) {
  for (const w of workloads) {
    if (paging && w.body === 'REAL') continue;
    if (FILTER && !(w.name + (paging ? ' (paging)' : '')).includes(FILTER)) continue;
    const mips: number[] = [];
    const cpuMips: number[] = [];
    const rates: number[] = [];
    let ok = true;
    for (let i = 0; i < RUNS; i++) {
      const m = new TestMachine();
      if (w.body === 'REAL') m.loadAsm(REAL);
      else m.loadAsm(`${PM_PRELUDE}\ntest:\n${paging ? PAGING_ON : ''}${w.body}\n`);
      // warm up the prelude so only the workload is timed
      const before = m.core.instructionCount;
      const t0 = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      let exit = 0;
      let n = 0;
      while (n < BUDGET) { exit = m.run(1_000_000); n = m.core.instructionCount - before; if (exit !== 0) break; }
      const dt = Number(process.hrtime.bigint() - t0) / 1e9;
      const cu = process.cpuUsage(c0);
      const cpuDt = (cu.user + cu.system) / 1e6;
      if (exit !== 2 || (w.body !== 'REAL' && m.exc.vector !== -1)) { ok = false; console.error(`${w.name}: exit ${exit} exc ${JSON.stringify(m.exc)} eip ${m.eip.toString(16)} eax ${m.reg(R.eax)}`); break; }
      mips.push(n / dt / 1e6);
      cpuMips.push(n / cpuDt / 1e6);
      if (w.bytes) rates.push(w.bytes / dt / 1e6);
    }
    const med = ok ? median(mips) : NaN;
    const mbps = ok && w.bytes ? median(rates) : NaN;
    const extra = w.bytes && ok ? `${mbps.toFixed(0)} MB/s` : '';
    rows.push([w.name + (paging ? ' (paging)' : ''), ok ? med.toFixed(1) : 'FAILED', ok ? median(cpuMips).toFixed(1) : '', extra]);
  }
}
const w0 = Math.max(...rows.map((r) => r[0].length));
console.log(`${'workload'.padEnd(w0)}  MIPS wall  MIPS cpu-time  (median of ${RUNS}; cpu-time = per second of this process's CPU time)`);
for (const r of rows) console.log(`${r[0].padEnd(w0)}  ${r[1].padStart(9)}  ${r[2].padStart(13)}  ${r[3]}`);

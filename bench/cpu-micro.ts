/**
 * Micro-benchmarks of the CPU core's dispatch costs (developer tool, not part of `npm run bench`):
 * loops of one instruction kind in 32-bit flat protected mode; prints CPU-time MIPS per loop.
 * `npx tsx bench/cpu-micro.ts` (BULKHEAD_CORE_WASM selects another core build).
 */
import { TestMachine, PM_PRELUDE } from '../test/cpu/harness.js';

const loops: [string, string][] = [
  ['nop x8', 'nop\nnop\nnop\nnop\nnop\nnop\nnop\nnop'],
  ['inc r32 x8', 'inc eax\ninc ebx\ninc edx\ninc esi\ninc eax\ninc ebx\ninc edx\ninc esi'],
  ['add r,r x8', 'add eax, ebx\nadd edx, esi\nadd eax, ebx\nadd edx, esi\nadd eax, ebx\nadd edx, esi\nadd eax, ebx\nadd edx, esi'],
  ['mov r,[m] x8', 'mov eax, [0x600]\nmov ebx, [0x604]\nmov eax, [0x600]\nmov ebx, [0x604]\nmov eax, [0x600]\nmov ebx, [0x604]\nmov eax, [0x600]\nmov ebx, [0x604]'],
  ['lea sib x8', 'lea edi, [esi+eax*2]\nlea edi, [esi+eax*2]\nlea edi, [esi+eax*2]\nlea edi, [esi+eax*2]\nlea edi, [esi+eax*2]\nlea edi, [esi+eax*2]\nlea edi, [esi+eax*2]\nlea edi, [esi+eax*2]'],
];
for (const [name, body] of loops) {
  const res: number[] = [];
  for (let i = 0; i < 3; i++) {
    const m = new TestMachine();
    m.loadAsm(`${PM_PRELUDE}\ntest:\n  mov ecx, 3000000\n.l:\n${body}\n  dec ecx\n  jnz .l\n  hlt\n`);
    const before = m.core.instructionCount;
    const c0 = process.cpuUsage();
    while (m.run(1_000_000) === 0) { /* budget */ }
    const cu = process.cpuUsage(c0);
    res.push((m.core.instructionCount - before) / ((cu.user + cu.system) / 1e6) / 1e6);
  }
  res.sort((a, b) => a - b);
  console.log(`${name.padEnd(14)} ${res[1].toFixed(1)} MIPS cpu-time`);
}

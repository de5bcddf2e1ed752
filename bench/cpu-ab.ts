/**
 * Paired A/B comparison of two builds of the CPU core on small guest loops
 * (`npx tsx bench/cpu-ab.ts OLD.wasm NEW.wasm [rounds]`, V=name,name to pick loops).
 *
 * Both builds are loaded into one process (two instances of test/cpu/harness.ts) and run
 * alternately, loop by loop; each printed ratio is the median over the rounds of NEW's time
 * divided by OLD's time for the same loop, run back to back. On a shared, noisy machine the
 * host's speed drifts by up to 2x over tens of seconds; a ratio of two runs a second apart
 * cancels that drift (an A/A run of one build against a copy of itself gives 1.00 +- 0.01),
 * where separate `bench:cpu` runs cannot resolve a 5% change. ns/iter is per loop iteration;
 * the loop overhead (`dec ecx; jnz`) alone is the `empty` row.
 */
export {};
const [A, B] = process.argv.slice(2, 4);
if (!A || !B) { console.error('usage: npx tsx bench/cpu-ab.ts OLD.wasm NEW.wasm [rounds]'); process.exit(2); }
const ROUNDS = Number(process.argv[4] ?? 8);
const N = 1_000_000;

type Harness = typeof import('../test/cpu/harness.js');
async function load(wasm: string, tag: string): Promise<Harness> {
  process.env.BULKHEAD_CORE_WASM = wasm;
  const h = (await import(`../test/cpu/harness.ts?core=${tag}`)) as Harness;
  new h.TestMachine(); // compiles and caches this instance's module now, from this build
  return h;
}
const HA = await load(A, 'a');
const HB = await load(B, 'b');

const rep = (s: string, k: number) => Array(k).fill(s).join('\n');
const LOOPS: Record<string, string> = {
  empty: '',
  int: rep('add eax, ebx\nxor edx, eax\ninc esi\nlea edi, [esi + eax*2]', 2),
  mem: rep('mov eax, [0x700]\nmov [0x704], eax\nadd ebx, [0x708]\npush eax\npop eax', 2),
  call: rep('call .f', 4),
  x87: 'fadd st0, st1\nfld st0\nfmul st0, st0\nfstp dword [0x600]',
  fxch: rep('fxch st1', 8),
  fadd: rep('fadd st0, st1', 8),
  fmul: rep('fmul st0, st1', 8),
  fldfstp: rep('fld st0\nfstp st0', 4),
  fldm32: rep('fld dword [0x600]\nfstp st0', 4),
  fstm32: rep('fld st0\nfstp dword [0x600]', 4),
};

function nsPerIteration(h: Harness, body: string): number {
  const m = new h.TestMachine();
  m.loadAsm(`${h.PM_PRELUDE}\ntest:\n fninit\n mov dword [0x600], 0x3f800000\n fld1\n fld1\n` +
    ` mov ecx, ${N}\n jmp .l\n.f: ret\n.l:\n${body}\n dec ecx\n jnz .l\n hlt\n`);
  const t0 = process.hrtime.bigint();
  let exit = 0;
  while ((exit = m.run(1_000_000)) === 0) { /* until HLT */ }
  if (exit !== 2 || m.exc.vector !== -1) throw new Error(`loop did not end at HLT: exit ${exit} ${JSON.stringify(m.exc)}`);
  return Number(process.hrtime.bigint() - t0) / N;
}

const names = (process.env.V ?? Object.keys(LOOPS).join(',')).split(',');
for (const k of names) if (!(k in LOOPS)) { console.error(`unknown loop ${k}; known: ${Object.keys(LOOPS).join(', ')}`); process.exit(2); }
for (const k of names) { nsPerIteration(HA, LOOPS[k]); nsPerIteration(HB, LOOPS[k]); } // warm-up: tier-up
const ratio: Record<string, number[]> = {}, ta: Record<string, number[]> = {}, tb: Record<string, number[]> = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const k of names) {
    const a = nsPerIteration(HA, LOOPS[k]), b = nsPerIteration(HB, LOOPS[k]);
    (ratio[k] ??= []).push(b / a); (ta[k] ??= []).push(a); (tb[k] ??= []).push(b);
  }
}
const median = (x: number[]) => [...x].sort((p, q) => p - q)[x.length >> 1];
console.log(`loop      OLD ns/iter  NEW ns/iter  NEW/OLD (median of ${ROUNDS} paired runs)`);
for (const k of names) {
  console.log(`${k.padEnd(9)} ${median(ta[k]).toFixed(1).padStart(11)}  ${median(tb[k]).toFixed(1).padStart(11)}  ${median(ratio[k]).toFixed(3).padStart(7)}   [${ratio[k].map((x) => x.toFixed(2)).join(' ')}]`);
}

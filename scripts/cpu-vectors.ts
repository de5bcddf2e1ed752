/**
 * Runs the SingleStepTests 80286 real-mode hardware vectors against build/core.wasm.
 * Usage: npm run test:cpu-vectors -- [DIR] [--only=PREFIX] [--verbose]
 * Prints failures per opcode file and a last line `N passed, N failed`; exits 1 on any failure.
 * Skip rules (286 vs 386 differences, revocation list) are in test/cpu/sst.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMoo, loadMeta, flagsMaskFor, skipReason, SstRunner, DEFAULT_SST_DIR } from '../test/cpu/sst.js';

const args = process.argv.slice(2);
const dir = args.find((a) => !a.startsWith('--')) ?? DEFAULT_SST_DIR;
const only = args.find((a) => a.startsWith('--only='))?.slice(7);
const verbose = args.includes('--verbose');
const { meta, revoked } = loadMeta(dir);
const runner = new SstRunner(new Uint8Array(readFileSync('build/core.wasm')));

let passed = 0, failed = 0, skipped = 0;
const t0 = Date.now();
const files = readdirSync(dir).filter((f) => f.endsWith('.MOO.gz') && (!only || f.startsWith(only))).sort();
for (const f of files) {
  const tests = parseMoo(join(dir, f));
  const mask = flagsMaskFor(meta, f);
  let fp = 0, ff = 0;
  const samples: string[] = [];
  for (const t of tests) {
    if (skipReason(t, f, revoked)) { skipped++; continue; }
    const err = runner.run(t, mask);
    if (err === null) fp++;
    else { ff++; if (samples.length < (verbose ? 20 : 3)) samples.push(`  #${t.idx} ${t.name} [${Buffer.from(t.bytes).toString('hex')}]: ${err}`); }
  }
  passed += fp; failed += ff;
  if (ff > 0) console.log(`${f}: ${ff} failed of ${fp + ff}\n${samples.join('\n')}`);
}
console.log(`(${skipped} skipped, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);

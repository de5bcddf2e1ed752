// Compiles the AssemblyScript CPU core (src/core) to build/core.wasm with asc -O3, importing
// one shared memory. Skips the build when build/core.wasm is newer than every source file.
// After building, instantiates the module once to check that AssemblyScript's static data ends
// below 1 MiB, where the core's fixed tables start (src/core/state.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const src = 'src/core';
const out = 'build/core.wasm';
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}
const force = process.argv.includes('--force');
if (!force && existsSync(out) && statSync(out).mtimeMs > Math.max(newest(src), statSync('scripts/build-core.mjs').mtimeMs)) {
  process.exit(0);
}
mkdirSync('build', { recursive: true });
if (!existsSync(join(src, 'index.ts'))) {
  console.error('build-core: src/core/index.ts is missing');
  process.exit(1);
}
const extra = process.argv.includes('--wat') ? ['--textFile', 'build/core.wat'] : [];
execFileSync('npx', ['asc', join(src, 'index.ts'), '--config', join(src, 'asconfig.json'), '--target', 'release', '--outFile', out, ...extra], { stdio: 'inherit' });

const memory = new WebAssembly.Memory({ initial: 256, maximum: 65536, shared: true });
const stub = () => 0;
const env = { memory, portRead: stub, portWrite: stub, portReadString: stub, portWriteString: stub, mmioRead: stub, mmioWrite: stub, interruptAcknowledge: stub, ferr: stub, tscNow: stub };
const { instance } = await WebAssembly.instantiate(readFileSync(out), { env });
const heapBase = Number(instance.exports.heapBase());
if (heapBase >= 0x100000) {
  console.error(`build-core: static data ends at 0x${heapBase.toString(16)}, past the core tables at 1 MiB`);
  process.exit(1);
}

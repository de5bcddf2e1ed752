// Compiles the AssemblyScript CPU core (src/core) to build/core.wasm with asc -O3, importing
// one shared memory. Skips the build when build/core.wasm is newer than every source file.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, mkdirSync } from 'node:fs';
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
execFileSync('npx', ['asc', join(src, 'index.ts'), '--config', join(src, 'asconfig.json'), '--target', 'release'], { stdio: 'inherit' });

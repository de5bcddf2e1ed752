// Builds the standalone FPU test module build/fpu-test.wasm: copies src/core/fpu/*.ts into
// build/fpu-test-<pid>/, replaces link.ts with src/core/fpu/harness/fake-link.ts, adds the harness
// entry and compiles it with asc. Rebuilds only when a source is newer than the output.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SRC = 'src/core/fpu';
// per-process build directory and an atomic rename: test files run in parallel processes
const OUT_DIR = `build/fpu-test-${process.pid}`;
const WASM = 'build/fpu-test.wasm';

function sources(): string[] {
  const files = readdirSync(SRC).filter((f) => f.endsWith('.ts')).map((f) => join(SRC, f));
  return [...files, join(SRC, 'harness/fake-link.ts'), join(SRC, 'harness/harness.ts'), 'test/fpu/build.ts'];
}

export function buildFpuTestWasm(): Uint8Array {
  const newest = Math.max(...sources().map((f) => statSync(f).mtimeMs));
  if (!existsSync(WASM) || statSync(WASM).mtimeMs < newest) {
    mkdirSync(OUT_DIR, { recursive: true });
    for (const f of readdirSync(SRC)) {
      if (f.endsWith('.ts') && f !== 'link.ts') copyFileSync(join(SRC, f), join(OUT_DIR, f));
    }
    copyFileSync(join(SRC, 'harness/fake-link.ts'), join(OUT_DIR, 'link.ts'));
    copyFileSync(join(SRC, 'harness/harness.ts'), join(OUT_DIR, 'harness.ts'));
    const tmp = `${WASM}.${process.pid}`;
    execFileSync('node_modules/.bin/asc', [
      join(OUT_DIR, 'harness.ts'), '-o', tmp, '-O2', '--runtime', 'stub', '--noAssert',
      '--enable', 'nontrapping-f2i', '--enable', 'sign-extension', '--enable', 'bulk-memory',
      '--use', 'abort=',
    ], { stdio: 'pipe' });
    renameSync(tmp, WASM);
    rmSync(OUT_DIR, { recursive: true, force: true });
  }
  return new Uint8Array(readFileSync(WASM));
}

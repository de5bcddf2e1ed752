/**
 * A fixed 5% sample of the SingleStepTests 80286 real-mode hardware vectors (every test whose
 * idx is a multiple of 40; the stored set holds the even idx), run with the same rules as
 * `npm run test:cpu-vectors` (test/cpu/sst.ts). Skipped when ../shared/cpu-tests is absent.
 */
import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMoo, loadMeta, flagsMaskFor, skipReason, SstRunner, DEFAULT_SST_DIR } from './sst.js';

const present = existsSync(DEFAULT_SST_DIR);

describe.skipIf(!present)('SingleStepTests 80286 real mode (5% sample)', () => {
  it('matches the hardware captures', () => {
    const { meta, revoked } = loadMeta(DEFAULT_SST_DIR);
    const runner = new SstRunner(new Uint8Array(readFileSync('build/core.wasm')));
    const failures: string[] = [];
    let passed = 0;
    for (const f of readdirSync(DEFAULT_SST_DIR).filter((x) => x.endsWith('.MOO.gz')).sort()) {
      const mask = flagsMaskFor(meta, f);
      for (const t of parseMoo(join(DEFAULT_SST_DIR, f))) {
        if (t.idx % 40 !== 0 || skipReason(t, f, revoked)) continue;
        const err = runner.run(t, mask);
        if (err === null) passed++;
        else if (failures.length < 20) failures.push(`${f} #${t.idx} ${t.name}: ${err}`);
      }
    }
    expect(failures).toEqual([]);
    expect(passed).toBeGreaterThan(30000);
  }, 120_000);
});

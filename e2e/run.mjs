// Browser tests: starts `vite preview` on a free port (after `vite build`, which
// `npm run test:e2e` runs first), drives Debian's Chromium with playwright-core, runs the tests
// in e2e/tests/*.mjs (each exports `tests: { name, run(ctx), timeoutMs? }[]`, default 60 s), saves screenshots to
// test-results/, and prints `N passed, N failed` as its last line (exit code 1 on any failure).
// Optional arguments filter tests by name.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium, root, startPreview } from './preview.mjs';

const only = process.argv.slice(2);
let passed = 0;
let failed = 0;

if (!existsSync(join(root, 'dist', 'index.html'))) {
  console.error('e2e: dist/ is missing; run `npm run build` first (npm run test:e2e does)');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

let preview;
let browser;
try {
  preview = await startPreview();
  browser = await launchChromium();
  mkdirSync(join(root, 'test-results'), { recursive: true });
  const files = readdirSync(join(root, 'e2e', 'tests')).filter((f) => f.endsWith('.mjs')).sort();
  for (const file of files) {
    const mod = await import(pathToFileURL(join(root, 'e2e', 'tests', file)).href);
    for (const t of mod.tests) {
      if (only.length && !only.some((o) => t.name.includes(o))) continue;
      const page = await browser.context.newPage();
      const consoleLines = [];
      page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
      page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
      const t0 = Date.now();
      let timer;
      try {
        await Promise.race([
          t.run({ page, base: preview.base, root, screenshot: (name) => page.screenshot({ path: join(root, 'test-results', `${name}.png`) }) }),
          new Promise((_, reject) => { const ms = t.timeoutMs ?? 60_000; timer = setTimeout(() => reject(new Error(`test timed out after ${ms / 1000} s`)), ms); }),
        ]);
        passed++;
        console.log(`ok   ${file} › ${t.name} (${Date.now() - t0} ms)`);
      } catch (e) {
        failed++;
        console.log(`FAIL ${file} › ${t.name}\n     ${String(e?.stack ?? e).split('\n').join('\n     ')}`);
        if (consoleLines.length) console.log(`     page console:\n       ${consoleLines.slice(-20).join('\n       ')}`);
        await page.screenshot({ path: join(root, 'test-results', `FAILED-${t.name.replace(/\W+/g, '-')}.png`) }).catch(() => {});
      } finally {
        clearTimeout(timer);
      }
      await page.close();
    }
  }
} catch (e) {
  failed++;
  console.log(`FAIL e2e setup: ${String(e?.stack ?? e)}`);
} finally {
  await browser?.close();
  preview?.stop();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);

// The device channel benchmark in Chromium: serves dist/ with `vite preview`, opens the page and
// runs window.bulkhead.benchChannel() (src/workers/cpu-runtime.ts) in the CPU worker against
// an isa-serial device in the console worker. Prints one JSON line. Run after `vite build`;
// bench/channel.ts calls it when dist/ exists.
import { launchChromium, startPreview } from './preview.mjs';

const preview = await startPreview();
const browser = await launchChromium();
try {
  const page = await browser.context.newPage();
  await page.goto(`${preview.base}/`);
  await page.waitForFunction(() => window.bulkhead !== undefined);
  await page.evaluate(() => window.bulkhead.ready);
  const r = await page.evaluate(() => window.bulkhead.benchChannel());
  console.log(JSON.stringify(r));
} finally {
  await browser.close();
  preview.stop();
}

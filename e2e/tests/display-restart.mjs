// Browser test of the screen across a display-worker restart (src/workers/canvas-sink.ts,
// src/ui/screen.ts): the isolated machine with failure response `restart`; the VGA is crashed
// while SYSLINUX loads the kernel; the restarted display worker asks the page for a new canvas
// and the page puts a new <canvas> element in place and hands it over (bulkhead.screenCanvases());
// a second crash gets the page's third canvas. The painting into a received canvas (whole last
// frame at once) is checked in Node (test/display/canvas-restart.test.ts).
import assert from 'node:assert/strict';

/** Resolves once the machine reported `device-restarted` for the VGA `n` times. */
async function waitForRestarts(page, n, ms) {
  await page.waitForFunction(async (n) => {
    const sec = await window.bulkhead.security();
    return sec.events.filter((e) => e.kind === 'device-restarted' && e.devices.includes('vga')).length >= n;
  }, n, { timeout: ms, polling: 250 });
}

export const tests = [
  {
    name: 'display restart: a restarted display worker gets a new canvas the page puts in place',
    timeoutMs: 300_000,
    async run({ page, base }) {
      await page.setViewportSize({ width: 1400, height: 1000 });
      await page.goto(`${base}/`);
      await page.waitForFunction(() => window.bulkhead !== undefined, null, { timeout: 15_000 });
      await page.evaluate(() => window.bulkhead.appReady);
      const st = await page.evaluate(async () => {
        await window.bulkhead.powerOff();
        return window.bulkhead.powerOn({ ...window.bulkhead.settings(), placement: 'isolated', failureResponse: 'restart' });
      });
      assert.equal(st.placement, 'isolated');
      const canvases0 = await page.evaluate(() => window.bulkhead.screenCanvases());

      // SYSLINUX (its messages mirrored on COM1) loads the kernel and the initrd: crash the VGA now.
      const loading = await page.evaluate(async () => {
        try { return { at: await window.bulkhead.waitForSerial('Loading /vmlinuz', 170_000) }; } catch (e) { return { error: String(e), tail: window.bulkhead.serialText().slice(-800) }; }
      });
      assert.equal(loading.error, undefined, `${loading.error}\n${loading.tail}`);
      await page.evaluate(() => { document.getElementById('screen').dataset.before = 'crash'; return window.bulkhead.crashDevice('vga'); });
      await waitForRestarts(page, 1, 30_000);
      await page.waitForFunction(async () => (await window.bulkhead.security()).devices.find((d) => d.id === 'vga').health === 'running', null, { timeout: 30_000, polling: 250 });

      // The restarted worker asked for a canvas: the page put a new element in place.
      await page.waitForFunction((n) => window.bulkhead.screenCanvases() >= n, canvases0 + 1, { timeout: 30_000 });
      assert.equal(await page.evaluate(() => document.querySelectorAll('#screen').length), 1, 'one screen element');
      assert.equal(await page.evaluate(() => document.getElementById('screen').dataset.before), undefined, 'the screen element was replaced');

      // Not checked here: the new element's pixels. A restarted VGA starts from reset (devices are
      // created afresh, docs/channel.md) and in this run its own picture stays blank (its PNG, the
      // text screen), so the canvas has nothing but black to show; see docs/display.md.
      // Every restart gets its own canvas.
      await page.evaluate(() => window.bulkhead.crashDevice('vga'));
      await waitForRestarts(page, 2, 30_000);
      await page.waitForFunction((n) => window.bulkhead.screenCanvases() >= n, canvases0 + 2, { timeout: 30_000 });
      assert.equal(await page.evaluate(() => window.bulkhead.screenCanvases()), canvases0 + 2, 'one canvas per restart');
      await page.evaluate(() => window.bulkhead.powerOff());
    },
  },
];

// Browser tests of the app (src/ui): the default machine boots linux.img in Chromium to the
// guest's ready line and a shell on the serial terminal, answers `uname -a`, paints the VGA
// screen; the settings survive a reload and a corrupt saved record falls back to the defaults
// with a notice. Everything goes through `window.bulkhead` (src/ui/main.ts).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Measured ~180 s on an idle 2-core machine; over 240 s when the machine is loaded (load ~13).
const BOOT_TIMEOUT_MS = 420_000;
const PROMPT = 'bulkhead:~# ';

async function open(page, base) {
  await page.goto(`${base}/`);
  await page.waitForFunction(() => window.bulkhead !== undefined, null, { timeout: 15_000 });
  await page.evaluate(() => window.bulkhead.appReady);
}

export const tests = [
  {
    name: 'app: the default machine boots to a shell, answers uname and paints the screen',
    timeoutMs: BOOT_TIMEOUT_MS + 60_000,
    async run({ page, base, root, screenshot }) {
      await page.setViewportSize({ width: 1400, height: 1000 });
      await open(page, base);
      const t0 = Date.now();
      const st = await page.evaluate(() => window.bulkhead.status());
      assert.ok(['running', 'halted', 'created'].includes(st.state), `machine state after load: ${st.state} ${st.error ?? ''} (notice: ${await page.evaluate(() => window.bulkhead.notice())})`);
      const ready = await page.evaluate(async (ms) => {
        try { return { at: await window.bulkhead.waitForSerial('BULKHEAD-GUEST-READY', ms) }; } catch (e) { return { error: String(e), tail: window.bulkhead.serialText().slice(-1500) }; }
      }, BOOT_TIMEOUT_MS);
      assert.equal(ready.error, undefined, `${ready.error}\nserial tail:\n${ready.tail}`);
      const bootMs = Date.now() - t0;
      const prompt = await page.evaluate(({ p, at }) => window.bulkhead.waitForSerial(p, 60_000, at), { p: PROMPT, at: ready.at });
      const shellMs = Date.now() - t0;
      console.log(`     boot: BULKHEAD-GUEST-READY after ${(bootMs / 1000).toFixed(1)} s, shell prompt after ${(shellMs / 1000).toFixed(1)} s`);
      writeFileSync(join(root, 'test-results', 'app-boot-time.json'), JSON.stringify({ readyMs: bootMs, promptMs: shellMs }) + '\n');

      // Type into the terminal (xterm.js → serial input) and read the kernel version back.
      await page.click('#terminal');
      await page.keyboard.type('uname -a\n', { delay: 20 });
      const from = prompt + PROMPT.length;
      const answer = await page.evaluate(async ({ from, p }) => {
        const end = await window.bulkhead.waitForSerial(p, 60_000, from);
        return window.bulkhead.serialText().slice(from, end);
      }, { from, p: PROMPT });
      const m = /Linux \S+ (\d+\.\d+\.\d+\S*)/.exec(answer);
      assert.ok(m, `uname -a answered: ${JSON.stringify(answer)}`);
      console.log(`     uname -a: ${answer.trim().split('\n').pop()}`);
      assert.match(await page.locator('#terminal').innerText(), /Linux/);

      // The VGA screen: something was painted (the kernel's console or SeaBIOS' banner).
      await page.waitForFunction(() => window.bulkhead.screenNotBlank(), null, { timeout: 20_000 });
      await page.locator('#screen').screenshot({ path: join(root, 'test-results', 'app-screen.png') });
      const png = await page.evaluate(async () => Array.from((await window.bulkhead.screenshotPng()) ?? []));
      assert.ok(png.length > 100 && png[1] === 0x50 && png[2] === 0x4e && png[3] === 0x47, `the device screenshot is a PNG (${png.length} bytes: ${png.slice(0, 4)})`);
      writeFileSync(join(root, 'test-results', 'app-vga.png'), Buffer.from(png));

      // The security panel lists the machine's devices with statistics.
      await page.waitForSelector('#secpanel table');
      const sec = await page.evaluate(() => window.bulkhead.security());
      const ide = sec.devices.find((d) => d.type === 'piix3-ide');
      assert.ok(ide && ide.stats && ide.stats.reads > 0, 'the IDE controller has read statistics');
      assert.ok(ide.stats.dmaBytes > 0 || ide.stats.bulkBytes > 0, 'the IDE controller moved data');

      await screenshot('app-main');
      await page.screenshot({ path: join(root, 'docs', 'screenshot-main.png'), clip: { x: 0, y: 0, width: 1400, height: 620 } });
      await page.locator('#security').screenshot({ path: join(root, 'docs', 'screenshot-security.png') });
      await page.evaluate(() => window.bulkhead.powerOff());
    },
  },
  {
    name: 'app: the isolated placement loads the kernel through the storage worker and prints on the console worker',
    timeoutMs: 200_000,
    async run({ page, base }) {
      await open(page, base);
      const st = await page.evaluate(async () => {
        await window.bulkhead.powerOff();
        return window.bulkhead.powerOn({ ramMiB: 128, placement: 'isolated', failureResponse: 'stop', policy: 'none', nic: 'none', autostart: true });
      });
      assert.equal(st.placement, 'isolated');
      assert.ok(st.notes.some((n) => n.includes('screen')), 'the page says the screen is not painted in this placement');
      const t0 = Date.now();
      // SYSLINUX read the kernel and initrd through the storage worker; the kernel prints on COM1
      // in the console worker.
      const r = await page.evaluate(async () => {
        try { await window.bulkhead.waitForSerial('Linux version', 170_000); return {}; } catch (e) { return { error: String(e), tail: window.bulkhead.serialText().slice(-800) }; }
      });
      assert.equal(r.error, undefined, `${r.error}\n${r.tail}`);
      console.log(`     isolated: kernel banner after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const sec = await page.evaluate(() => window.bulkhead.security());
      const where = Object.fromEntries(sec.devices.map((d) => [d.type, d.where]));
      assert.equal(where['piix3-ide'], 'storage worker');
      assert.equal(where['isa-serial'], 'console worker');
      assert.deepEqual(sec.workers.map((w) => w.name).sort(), ['console', 'control plane (page)', 'cpu', 'display', 'input', 'storage']);
      const ide = sec.devices.find((d) => d.type === 'piix3-ide');
      assert.equal(ide.health, 'running');
      assert.ok(ide.stats.bulkBytes > 1 << 20, `the disk moved ${ide.stats.bulkBytes} bytes through the channel`);
      await page.evaluate(() => window.bulkhead.powerOff());
    },
  },
  {
    name: 'app: settings survive a reload; a corrupt record falls back to the defaults with a notice',
    timeoutMs: 90_000,
    async run({ page, base }) {
      await open(page, base);
      await page.evaluate(() => window.bulkhead.powerOff());
      const mine = { ramMiB: 64, placement: 'isolated', failureResponse: 'restart', policy: 'warn', nic: 'none', autostart: false };
      await page.evaluate((s) => window.bulkhead.saveSettings(s), mine);
      try {
        await open(page, base);
        assert.deepEqual(await page.evaluate(() => window.bulkhead.settings()), mine);
        assert.equal(await page.inputValue('#set-ram'), '64');
        assert.equal(await page.inputValue('#set-placement'), 'isolated');
        assert.equal(await page.inputValue('#set-policy'), 'warn');
        assert.equal((await page.evaluate(() => window.bulkhead.status())).state, 'off', 'autostart off: the machine stays off');

        // Through the form: change the memory, save, reload.
        await page.evaluate(() => { document.getElementById('settings').open = true; });
        await page.selectOption('#set-ram', '256');
        await page.click('#set-save');
        await page.waitForFunction(() => window.bulkhead.settings().ramMiB === 256);
        await open(page, base);
        assert.equal((await page.evaluate(() => window.bulkhead.settings())).ramMiB, 256);

        // A corrupt record: defaults and a visible notice.
        await page.evaluate(() => window.bulkhead.saveRawSettings({ ramMiB: 'lots', placement: 'everywhere', autostart: false }));
        await page.goto(`${base}/`);
        await page.waitForFunction(() => window.bulkhead !== undefined);
        await page.waitForFunction(() => window.bulkhead.notice().includes('invalid'), null, { timeout: 20_000 });
        assert.ok(await page.isVisible('#notice'));
        assert.equal((await page.evaluate(() => window.bulkhead.settings())).ramMiB, 128);
      } finally {
        // Leave the defaults for the other tests (same browser profile).
        await page.evaluate(async () => { await window.bulkhead.powerOff(); await window.bulkhead.saveRawSettings(undefined); });
      }
    },
  },
  {
    name: 'app: missing images are reported as a message, not a blank page',
    async run({ page, base }) {
      await page.route('**/images/manifest.json', (route) => route.fulfill({ status: 404, body: 'not found' }));
      await open(page, base);
      await page.waitForFunction(() => window.bulkhead.notice().includes('npm run images'), null, { timeout: 20_000 });
      assert.ok(await page.isVisible('#notice'));
      assert.match(await page.innerText('#notice'), /run `npm run images`/);
      assert.equal((await page.evaluate(() => window.bulkhead.status())).state, 'failed');
      await page.evaluate(() => window.bulkhead.powerOff());
    },
  },
];

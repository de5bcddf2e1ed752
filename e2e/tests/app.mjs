// Browser tests of the app (src/ui): the default machine (isolated placement) boots linux.img in
// Chromium to the guest's ready line and a shell on the serial terminal, answers `uname -a`, and
// the display worker paints the VGA screen into the page's canvas; the monolithic placement
// paints it from the CPU worker; the settings survive a reload and a corrupt saved record falls
// back to the defaults with a notice. Everything goes through `window.bulkhead` (src/ui/main.ts).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';

// Measured ~180 s on an idle 2-core machine; over 240 s when the machine is loaded (load ~13).
const BOOT_TIMEOUT_MS = 420_000;
const PROMPT = 'bulkhead:~# ';

/**
 * Pixels of the #screen element as the page shows them (a Playwright element screenshot, PNG
 * decoded here: 8-bit RGB/RGBA, filters 0-4): what the display painted into the transferred
 * canvas, read without touching the canvas from the page.
 */
async function shownPixels(page, path) {
  const png = await page.locator('#screen').screenshot({ path });
  const width = png.readUInt32BE(16), height = png.readUInt32BE(20);
  assert.equal(png[24], 8, 'screenshot bit depth');
  const ch = png[25] === 6 ? 4 : png[25] === 2 ? 3 : 0;
  assert.ok(ch > 0, `screenshot colour type ${png[25]}`);
  const idat = [];
  for (let p = 8; p < png.length;) {
    const len = png.readUInt32BE(p);
    if (png.toString('latin1', p + 4, p + 8) === 'IDAT') idat.push(png.subarray(p + 8, p + 8 + len));
    p += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * ch;
  const out = Buffer.alloc(width * height * ch);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= ch ? out[y * stride + i - ch] : 0;
      const b = y > 0 ? out[(y - 1) * stride + i] : 0;
      const c = i >= ch && y > 0 ? out[(y - 1) * stride + i - ch] : 0;
      let pred = 0;
      if (f === 1) pred = a;
      else if (f === 2) pred = b;
      else if (f === 3) pred = (a + b) >> 1;
      else if (f === 4) { const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c); pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c; }
      out[y * stride + i] = (src[i] + pred) & 0xff;
    }
  }
  return { width, height, ch, px: out };
}

/** How many shown pixels differ from the most common colour (the background). */
function paintedPixels({ ch, px }) {
  const counts = new Map();
  for (let i = 0; i < px.length; i += ch) {
    const k = (px[i] << 16) | (px[i + 1] << 8) | px[i + 2];
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const top = Math.max(...counts.values());
  return px.length / ch - top;
}

async function open(page, base) {
  await page.goto(`${base}/`);
  await page.waitForFunction(() => window.bulkhead !== undefined, null, { timeout: 15_000 });
  await page.evaluate(() => window.bulkhead.appReady);
}

export const tests = [
  {
    name: 'app: the default machine (isolated) boots to a shell, answers uname, and the display worker paints the screen',
    timeoutMs: BOOT_TIMEOUT_MS + 60_000,
    async run({ page, base, root, screenshot }) {
      await page.setViewportSize({ width: 1400, height: 1000 });
      await open(page, base);
      const t0 = Date.now();
      const st = await page.evaluate(() => window.bulkhead.status());
      assert.ok(['running', 'halted', 'created'].includes(st.state), `machine state after load: ${st.state} ${st.error ?? ''} (notice: ${await page.evaluate(() => window.bulkhead.notice())})`);
      assert.equal(st.placement, 'isolated', 'the page defaults to the isolated placement');
      assert.equal(await page.evaluate(() => window.bulkhead.notice()), '', 'no notice on the default machine');
      const ready = await page.evaluate(async (ms) => {
        try { return { at: await window.bulkhead.waitForSerial('BULKHEAD-GUEST-READY', ms) }; } catch (e) { return { error: String(e), tail: window.bulkhead.serialText().slice(-1500) }; }
      }, BOOT_TIMEOUT_MS);
      assert.equal(ready.error, undefined, `${ready.error}\nserial tail:\n${ready.tail}`);
      const bootMs = Date.now() - t0;
      const prompt = await page.evaluate(({ p, at }) => window.bulkhead.waitForSerial(p, 60_000, at), { p: PROMPT, at: ready.at });
      const shellMs = Date.now() - t0;
      console.log(`     boot: BULKHEAD-GUEST-READY after ${(bootMs / 1000).toFixed(1)} s, shell prompt after ${(shellMs / 1000).toFixed(1)} s`);
      writeFileSync(join(root, 'test-results', 'app-boot-time.json'), JSON.stringify({ readyMs: bootMs, promptMs: shellMs }) + '\n');
      // Linux writes the marker to tty0 too: the VGA text screen, read from the display worker.
      const text = await page.evaluate(() => window.bulkhead.screenText());
      assert.ok(text.includes('BULKHEAD-GUEST-READY'), `the VGA text screen shows the marker:\n${text}`);

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
      // xterm.js renders on animation frames: the answer shows up in the DOM a little later.
      await page.waitForFunction(() => document.getElementById('terminal').innerText.includes('GNU/Linux'), null, { timeout: 15_000 });

      // The VGA screen: the display worker painted the kernel's console into the page's canvas.
      assert.equal(await page.evaluate(() => window.bulkhead.screenNotBlank()), true, 'the display (its PNG) is not blank');
      const shown = await shownPixels(page, join(root, 'test-results', 'app-screen.png'));
      assert.ok(paintedPixels(shown) > 2000, `the canvas shows a picture (${paintedPixels(shown)} non-background pixels of ${shown.width}x${shown.height})`);
      const png = await page.evaluate(async () => Array.from((await window.bulkhead.screenshotPng()) ?? []));
      assert.ok(png.length > 100 && png[1] === 0x50 && png[2] === 0x4e && png[3] === 0x47, `the device screenshot is a PNG (${png.length} bytes: ${png.slice(0, 4)})`);
      writeFileSync(join(root, 'test-results', 'app-vga.png'), Buffer.from(png));

      // The key-combos menu (src/ui/key-combos.ts): Alt+F2 through the page's own select and
      // button goes i8042 → the guest's atkbd → a VT switch to the empty tty2; Alt+F1 brings
      // tty1 (the marker) back. A combo that did not reach the guest leaves the screen as it is.
      const sendCombo = async (label) => {
        await page.selectOption('#combo', { label });
        await page.click('#btn-combo');
      };
      await sendCombo('Alt+F2');
      await page.waitForFunction(async () => !(await window.bulkhead.screenText()).includes('BULKHEAD-GUEST-READY'), null, { timeout: 30_000, polling: 250 });
      await sendCombo('Alt+F1');
      await page.waitForFunction(async () => (await window.bulkhead.screenText()).includes('BULKHEAD-GUEST-READY'), null, { timeout: 30_000, polling: 250 });

      // The security panel lists the machine's devices with statistics.
      await page.waitForSelector('#secpanel table');
      const sec = await page.evaluate(() => window.bulkhead.security());
      const ide = sec.devices.find((d) => d.type === 'piix3-ide');
      assert.ok(ide && ide.stats && ide.stats.reads > 0, 'the IDE controller has read statistics');
      assert.ok(ide.stats.bulkBytes > 1 << 20, `the disk moved ${ide.stats.bulkBytes} bytes through the channel`);
      const where = Object.fromEntries(sec.devices.map((d) => [d.type, d.where]));
      assert.equal(where.VGA, 'display worker');
      assert.equal(where['piix3-ide'], 'storage worker');
      assert.equal(where['isa-serial'], 'console worker');
      const display = sec.workers.find((w) => w.name === 'display');
      assert.ok(display && display.capabilities.includes('canvas'), `the display worker may paint a canvas: ${display?.capabilities}`);

      await screenshot('app-main');
      await page.screenshot({ path: join(root, 'docs', 'screenshot-main.png'), clip: { x: 0, y: 0, width: 1400, height: 620 } });
      await page.locator('#security').screenshot({ path: join(root, 'docs', 'screenshot-security.png') });
      await page.evaluate(() => window.bulkhead.powerOff());
    },
  },
  {
    name: 'app: the monolithic placement paints the screen from the CPU worker',
    timeoutMs: 200_000,
    async run({ page, base, root }) {
      await open(page, base);
      const st = await page.evaluate(async () => {
        await window.bulkhead.powerOff();
        return window.bulkhead.powerOn({ ...window.bulkhead.settings(), placement: 'monolithic' });
      });
      assert.equal(st.placement, 'monolithic');
      const t0 = Date.now();
      const r = await page.evaluate(async () => {
        try { await window.bulkhead.waitForSerial('Linux version', 170_000); return {}; } catch (e) { return { error: String(e), tail: window.bulkhead.serialText().slice(-800) }; }
      });
      assert.equal(r.error, undefined, `${r.error}\n${r.tail}`);
      console.log(`     monolithic: kernel banner after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      // SeaBIOS / SYSLINUX / the kernel drew on the VGA text screen, painted from the CPU worker
      // into this power-on's fresh canvas.
      await page.waitForFunction(() => window.bulkhead.screenNotBlank(), null, { timeout: 30_000, polling: 500 });
      const text = await page.evaluate(() => window.bulkhead.screenText());
      // The kernel's console on tty0 (its timestamped lines), or what came before it.
      assert.match(text, /\[\s*\d+\.\d{6}\] |SeaBIOS|SYSLINUX|Probing EDD/, `the text screen:\n${text}`);
      const shown = await shownPixels(page, join(root, 'test-results', 'app-screen-monolithic.png'));
      assert.ok(paintedPixels(shown) > 500, `the canvas shows a picture (${paintedPixels(shown)} non-background pixels)`);
      const sec = await page.evaluate(() => window.bulkhead.security());
      assert.equal(sec.devices.find((d) => d.type === 'VGA').where, 'cpu worker');
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

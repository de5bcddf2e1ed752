// Browser tests of the boot media and their persistent overlays (src/ui/image-chooser.ts,
// src/workers/vm-media.ts, docs/app.md "Boot media and saved changes"): a file written by the
// guest on linux.img survives a page reload (IndexedDB overlay) and is in the exported disk;
// "Discard changes" drops it; a 404 URL, an odd-sized image from a server and a truncated local
// file each give a clear message; a local file is remembered as "pick again". Two Linux boots.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const BOOT_TIMEOUT_MS = 420_000;
const PROMPT = 'bulkhead:~# ';
const DISK = { source: 'builtin', name: 'linux.img', kind: 'disk' };

async function open(page, base) {
  await page.goto(`${base}/`);
  await page.waitForFunction(() => window.bulkhead !== undefined, null, { timeout: 15_000 });
  await page.evaluate(() => window.bulkhead.appReady);
}

/** Wait for the guest's shell; returns the serial index after its prompt. */
async function waitForShell(page) {
  const r = await page.evaluate(async ({ ms, p }) => {
    try {
      const at = await window.bulkhead.waitForSerial('BULKHEAD-GUEST-READY', ms);
      const end = await window.bulkhead.waitForSerial(p, 60_000, at);
      return { at: end + p.length };
    } catch (e) {
      return { error: String(e), tail: window.bulkhead.serialText().slice(-1500) };
    }
  }, { ms: BOOT_TIMEOUT_MS, p: PROMPT });
  assert.equal(r.error, undefined, `${r.error}\nserial tail:\n${r.tail}\nnotice: ${await page.evaluate(() => window.bulkhead.notice())}`);
  return r.at;
}

/** Type a command on the serial shell; resolves to its output (up to the next prompt). */
async function shell(page, from, cmd) {
  return page.evaluate(async ({ from, cmd, p }) => {
    const start = window.bulkhead.serialText().length;
    window.bulkhead.sendSerial(`${cmd}\r`);
    const end = await window.bulkhead.waitForSerial(p, 120_000, Math.max(from, start));
    return window.bulkhead.serialText().slice(start, end);
  }, { from, cmd, p: PROMPT });
}

/** Export the current disk through the page's download; resolves to its bytes. */
async function exportDisk(page) {
  const [download, info] = await Promise.all([
    page.waitForEvent('download', { timeout: 120_000 }),
    page.evaluate(() => window.bulkhead.exportDisk()),
  ]);
  const bytes = readFileSync(await download.path());
  assert.equal(bytes.length, info.size);
  assert.equal(download.suggestedFilename(), info.name);
  return bytes;
}

/** Another origin serving a 1 MiB image with range support; CORS on /cors.img only. */
async function otherOrigin() {
  const image = Buffer.alloc(1 << 20);
  image.write('BULKHEAD-CROSS-ORIGIN', 0);
  const server = createServer((req, res) => {
    const cors = req.url === '/cors.img';
    const h = cors ? { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': 'Range', 'Access-Control-Expose-Headers': 'Content-Range, Content-Length' } : {};
    if (req.method === 'OPTIONS') { res.writeHead(204, { ...h, 'Access-Control-Allow-Methods': 'GET, HEAD' }); return res.end(); }
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (!m) { res.writeHead(200, { ...h, 'Content-Length': image.length }); return res.end(req.method === 'HEAD' ? undefined : image); }
    const a = Number(m[1]), b = Math.min(Number(m[2]), image.length - 1);
    res.writeHead(206, { ...h, 'Content-Range': `bytes ${a}-${b}/${image.length}`, 'Content-Length': b - a + 1 });
    res.end(image.subarray(a, b + 1));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  // 'localhost' is a different origin from the page's 127.0.0.1.
  return { base: `http://localhost:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

export const tests = [
  {
    name: 'images: guest writes persist across a reload, are exported, and "Discard changes" drops them',
    timeoutMs: 2 * BOOT_TIMEOUT_MS + 240_000,
    async run({ page, base }) {
      const token = `hello-${Date.now().toString(36)}`;
      await open(page, base);
      try {
        // A clean overlay (other tests share the browser profile), then boot 1.
        await page.evaluate((d) => window.bulkhead.saveSettings({ ...window.bulkhead.settings(), image: d }), DISK);
        await page.evaluate(() => window.bulkhead.discardChanges());
        assert.equal((await page.evaluate(() => window.bulkhead.status())).state, 'off', 'discard powers the machine off');
        assert.equal((await page.evaluate(() => window.bulkhead.mediaInfo())).changedBlocks, 0);
        await page.evaluate(() => window.bulkhead.powerOn());
        let at = await waitForShell(page);
        await shell(page, at, 'dmesg -n 1; loadmods');
        const out = await shell(page, at, `for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/sda1 ] && break; sleep 1; done; mount -t vfat /dev/sda1 /mnt && echo ${token} > /mnt/x && sync && umount /mnt && echo "written=$?"`);
        if (!/written=0/.test(out)) {
          const diag = await shell(page, at, 'cat /proc/partitions; ls -l /dev/sd* /dev/hd* 2>&1; dmesg | grep -i -E "ata|scsi|sd[a-z]|ide" | tail -30');
          assert.fail(`the write failed:\n${out}\n--- diagnostics ---\n${diag}`);
        }
        const info = await page.evaluate(() => window.bulkhead.mediaInfo());
        assert.ok(info.changedBlocks > 0, `the overlay holds the guest's writes: ${JSON.stringify(info)}`);
        assert.match(info.id, /^builtin:linux\.img:[0-9a-f]{64}$/);
        console.log(`     overlay after the write: ${info.changedBlocks} blocks of ${info.blockSize} bytes`);

        // Reload: the page boots the same image with its IndexedDB overlay (boot 2).
        await page.evaluate(() => window.bulkhead.powerOff());
        await open(page, base);
        at = await waitForShell(page);
        await shell(page, at, 'dmesg -n 1; loadmods');
        const back = await shell(page, at, 'for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/sda1 ] && break; sleep 1; done; mount -t vfat -o ro /dev/sda1 /mnt && cat /mnt/x; umount /mnt');
        assert.ok(back.includes(token), `after the reload the file is still there: ${JSON.stringify(back)}`);

        // Export: the merged image carries the file (the base image does not).
        const exported = await exportDisk(page);
        assert.equal(exported.length, 32 << 20);
        assert.ok(exported.includes(Buffer.from(token)), 'the exported disk holds the guest\'s file');

        // Discard (through the button): the machine goes off, the overlay is empty, the export
        // is the pristine image again.
        await page.click('#img-discard');
        await page.waitForFunction(() => window.bulkhead.notice().includes('discarded'), null, { timeout: 30_000 });
        assert.equal((await page.evaluate(() => window.bulkhead.status())).state, 'off');
        assert.equal((await page.evaluate(() => window.bulkhead.mediaInfo())).changedBlocks, 0);
        const pristine = await exportDisk(page);
        assert.ok(!pristine.includes(Buffer.from(token)), 'after discarding, the file is gone from the disk');
        const original = readFileSync(new URL('../../public/images/linux.img', import.meta.url));
        assert.ok(pristine.equals(original), 'the discarded disk equals public/images/linux.img');
      } finally {
        await page.evaluate(async () => { await window.bulkhead.powerOff(); await window.bulkhead.saveRawSettings(undefined); });
      }
    },
  },
  {
    name: 'images: a 404 URL, an odd-sized served image and a truncated local file give clear messages',
    timeoutMs: 120_000,
    async run({ page, base }) {
      await page.route('**/odd.img', (route) => {
        const h = route.request().headers();
        const body = Buffer.alloc(1000, 1);
        if (h.range) route.fulfill({ status: 206, headers: { 'Content-Range': 'bytes 0-999/1000', 'Content-Length': '1000' }, body });
        else route.fulfill({ status: 200, body });
      });
      await page.route('**/gone.img', (route) => route.fulfill({ status: 404, body: 'gone' }));
      await open(page, base);
      await page.evaluate(() => window.bulkhead.saveSettings({ ...window.bulkhead.settings(), autostart: false }));
      try {
        const notice = () => page.evaluate(() => window.bulkhead.notice());

        // 404, typed into the URL field.
        await page.fill('#img-url', `${base}/images/no-such-disk.img`);
        await page.click('#img-open-url');
        await page.waitForFunction(() => /not found/.test(window.bulkhead.notice()), null, { timeout: 30_000 });
        assert.match(await notice(), /no-such-disk\.img: image not found/);
        assert.ok(await page.isVisible('#notice'));
        assert.equal((await page.evaluate(() => window.bulkhead.status())).state, 'failed');
        // (vite preview answers a missing file with its index page; a server's real 404:)
        await page.evaluate((u) => window.bulkhead.chooseImage({ source: 'url', url: u, kind: 'disk' }).catch(() => {}), `${base}/gone.img`);
        assert.match(await notice(), /gone\.img: image not found \(HTTP 404/);

        // A served image whose size is no whole number of sectors.
        await page.evaluate((u) => window.bulkhead.chooseImage({ source: 'url', url: u, kind: 'disk' }).catch(() => {}), `${base}/odd.img`);
        assert.match(await notice(), /odd\.img: size 1000 bytes is not a multiple of 512/);

        // Another origin: with CORS the page fetches the ranges for the worker (whose CSP allows
        // same-origin only); without CORS the message says so.
        const other = await otherOrigin();
        try {
          await page.evaluate((u) => window.bulkhead.chooseImage({ source: 'url', url: u, kind: 'disk' }), `${other.base}/cors.img`);
          const mi = await page.evaluate(() => window.bulkhead.mediaInfo());
          assert.equal(mi.size, 1 << 20);
          assert.equal(mi.id, `url:${other.base}/cors.img:${1 << 20}`);
          assert.match(await page.innerText('#img-progress'), /fetched in \d+ range request/);
          await page.evaluate(() => window.bulkhead.powerOff());
          await page.evaluate((u) => window.bulkhead.chooseImage({ source: 'url', url: u, kind: 'disk' }).catch(() => {}), `${other.base}/no-cors.img`);
          assert.match(await notice(), /no-cors\.img: could not fetch .*CORS/);
        } finally {
          await other.close();
        }

        // A truncated local file through the file picker.
        await page.setInputFiles('#img-file', { name: 'short.img', mimeType: 'application/octet-stream', buffer: Buffer.alloc(1000) });
        await page.waitForFunction(() => /short\.img/.test(window.bulkhead.notice()), null, { timeout: 30_000 });
        assert.match(await notice(), /short\.img: size 1000 bytes is not a multiple of 512 .*truncated/);

        // The recent list has them; the local file must be picked again after a reload.
        await open(page, base);
        const recent = await page.innerText('#img-recent');
        assert.match(recent, /short\.img \(local file, hard disk\) pick again/);
        assert.match(recent, /no-such-disk\.img/);
        assert.match(await page.innerText('#img-current'), /short\.img/);
        assert.equal((await page.evaluate(() => window.bulkhead.status())).state, 'off');
        const st = await page.evaluate(() => window.bulkhead.powerOn().then(() => 'started', (e) => String(e)));
        assert.match(st, /pick the local file short\.img again/);
      } finally {
        await page.evaluate(async () => { await window.bulkhead.powerOff(); await window.bulkhead.saveRawSettings(undefined); });
      }
    },
  },
];

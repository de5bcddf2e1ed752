// Browser tests of window.bulkhead.qmp (src/ui/main.ts → vm-runtime.ts → machine.qmp, docs/qmp.md):
// query-security, query-devices, an unknown command's error and a malformed command (answers,
// never exceptions), query-device-types answered exactly as the Node command line
// (`bulkhead --qmp stdio`, the same machine.qmp) answers it, the machine-off answer, and QMP
// events (TAINTED, RESUME, DEVICE_FAILED after an injected fault) reachable via qmpEvents().
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

async function open(page, base) {
  await page.goto(`${base}/`);
  await page.waitForFunction(() => window.bulkhead !== undefined, null, { timeout: 15_000 });
  await page.evaluate(() => window.bulkhead.appReady);
}

/** Run QMP commands through the Node command line; resolves to the parsed output lines. */
function cliQmp(root, commands) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(root, 'bin', 'bulkhead.mjs'), '--qmp', 'stdio', '--paused'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) reject(new Error(`bulkhead --qmp stdio exited ${code}: ${err}`));
      else resolve(out.trim().split('\n').map((l) => JSON.parse(l)));
    });
    p.stdin.end(commands.map((c) => JSON.stringify(c)).join('\n') + '\n');
  });
}

export const tests = [
  {
    name: 'qmp: window.bulkhead.qmp answers like machine.qmp, errors are answers, events are reachable',
    timeoutMs: 120_000,
    async run({ page, base, root }) {
      await open(page, base);
      await page.evaluate(async () => {
        await window.bulkhead.powerOff();
        await window.bulkhead.powerOn({ ramMiB: 128, placement: 'monolithic', failureResponse: 'stop', policy: 'none', nic: 'none', autostart: true });
      });
      const q = (cmd) => page.evaluate((c) => window.bulkhead.qmp(c), cmd);

      const sec = await q({ execute: 'query-security' });
      assert.ok(sec.return, JSON.stringify(sec));
      assert.equal(sec.return.policy, 'none');
      assert.equal(sec.return.tainted, true, 'the monolithic placement taints the machine');
      assert.ok(sec.return.reasons.some((r) => /monolithic/.test(r.message)), JSON.stringify(sec.return.reasons));

      const devs = await q({ execute: 'query-devices', id: 7 });
      assert.equal(devs.id, 7);
      const types = devs.return.map((d) => d.type);
      for (const t of ['piix3-ide', 'i8042', 'isa-serial', 'VGA']) assert.ok(types.includes(t), `query-devices lists ${t}: ${types}`);
      const ide = devs.return.find((d) => d.type === 'piix3-ide');
      assert.equal(ide.placement, 'monolithic');
      assert.equal(typeof ide.statistics.reads, 'number');

      const unknown = await q({ execute: 'no-such-command', id: 'x' });
      assert.deepEqual(unknown.error?.class, 'CommandNotFound', JSON.stringify(unknown));
      assert.equal(unknown.id, 'x');
      assert.match(unknown.error.desc, /no-such-command/);
      const malformed = await q('not an object');
      assert.equal(malformed.error?.class, 'GenericError', JSON.stringify(malformed));
      const badArgs = await q({ execute: 'query-status', arguments: 5 });
      assert.ok(badArgs.error, JSON.stringify(badArgs));

      // The same answer as Node's machine.qmp (through the command line).
      const page_ = await q({ execute: 'query-device-types' });
      const cli = await cliQmp(root, [{ execute: 'query-device-types' }, { execute: 'quit' }]);
      const node = cli.find((l) => Array.isArray(l.return));
      assert.ok(node, JSON.stringify(cli).slice(0, 500));
      assert.deepEqual(page_, node);

      // Events: the start-time taint and RESUME, then a fault injected through QMP itself.
      await page.waitForFunction(() => window.bulkhead.qmpEvents().some((e) => e.event === 'RESUME'), null, { timeout: 20_000 });
      const names = await page.evaluate(() => window.bulkhead.qmpEvents().map((e) => e.event));
      assert.ok(names.includes('TAINTED'), names.join());
      const ev0 = await page.evaluate(() => window.bulkhead.qmpEvents()[0]);
      assert.equal(typeof ev0.timestamp.seconds, 'number');
      const inj = await q({ execute: 'x-inject-fault', arguments: { id: 'com1', fault: 'crash' } });
      assert.deepEqual(inj, { return: {} });
      await page.waitForFunction(() => window.bulkhead.qmpEvents().some((e) => e.event === 'DEVICE_FAILED'), null, { timeout: 30_000 });
      const failed = await page.evaluate(() => window.bulkhead.qmpEvents().find((e) => e.event === 'DEVICE_FAILED'));
      assert.deepEqual(failed.data.devices, ['com1']);
      assert.equal(failed.data.response, 'stop');
      const status = await q({ execute: 'query-status' });
      assert.equal(status.return.running, false);

      // Machine off: an error answer, not an exception.
      await page.evaluate(() => window.bulkhead.powerOff());
      const off = await q({ execute: 'query-status' });
      assert.equal(off.error?.class, 'GenericError');
      assert.match(off.error.desc, /off/);
    },
  },
];

// Browser tests of the worker topology and its isolation (docs/isolation.md), through the
// page's test API `window.bulkhead` (src/ui/main.ts).
import assert from 'node:assert/strict';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const CLASSES = ['storage', 'display', 'console', 'input', 'network', 'sound'];

async function open(page, base) {
  await page.goto(`${base}/`);
  await page.waitForFunction(() => window.bulkhead !== undefined, null, { timeout: 15_000 });
  return page.evaluate(async () => {
    try { return { boot: await window.bulkhead.ready }; } catch (e) { return { error: String(e) }; }
  });
}

const probeOf = (page, cls) => page.evaluate((c) => window.bulkhead.probe(c), cls);
const find = (probe, name) => {
  const r = probe.find((x) => x.name === name);
  assert.ok(r, `probe has no result for ${name}`);
  return r;
};

export const tests = [
  {
    name: 'the page is cross-origin isolated and all seven workers answer',
    async run({ page, base, root, screenshot }) {
      const { boot, error } = await open(page, base);
      assert.equal(error, undefined, error);
      assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
      assert.equal(boot.crossOriginIsolated, true, 'the CPU worker is cross-origin isolated');
      assert.deepEqual([...boot.workers].sort(), [...CLASSES].sort());
      if (existsSync(join(root, 'build', 'core.wasm'))) assert.equal(boot.core.status, 'instantiated', boot.core.detail);
      const topo = await page.evaluate(() => window.bulkhead.topology());
      assert.deepEqual(topo.map((w) => w.name).sort(), ['console', 'cpu', 'display', 'input', 'network', 'sound', 'storage']);
      for (const w of topo) {
        assert.equal(w.answered, true, `${w.name} answered`);
        if (w.hello) {
          assert.equal(w.hello.runtime, 'browser');
          assert.deepEqual(w.hello.failed, [], `${w.name}: names the lockdown could not remove`);
        }
      }
      await page.waitForSelector('#workers:not([hidden])');
      await screenshot('topology');
    },
  },
  {
    name: 'CPU and DMA-class workers share the machine memory; console and input have none',
    async run({ page, base }) {
      const { error } = await open(page, base);
      assert.equal(error, undefined, error);
      const m = await page.evaluate(() => window.bulkhead.memoryCheck());
      const by = Object.fromEntries(m.results.map((r) => [r.cls, r]));
      for (const cls of ['storage', 'display', 'network', 'sound']) {
        assert.equal(by[cls].hasMemory, true, `${cls} holds the memory`);
        assert.equal(by[cls].sawCpuByte, true, `${cls} read the CPU worker's byte`);
        assert.equal(by[cls].cpuSawItsByte, true, `the CPU worker read ${cls}'s byte`);
      }
      for (const cls of ['console', 'input']) assert.equal(by[cls].hasMemory, false, `${cls} holds no memory`);
      assert.equal(m.storageToDisplay, true, 'a byte written by the storage worker is read by the display worker');
    },
  },
  {
    name: 'console and input workers: no fetch (CSP and removal), IndexedDB, WebSocket, importScripts, nested Worker',
    async run({ page, base }) {
      const { error } = await open(page, base);
      assert.equal(error, undefined, error);
      for (const cls of ['console', 'input']) {
        const p = await probeOf(page, cls);
        for (const name of ['fetch', 'XMLHttpRequest', 'WebSocket', 'EventSource', 'indexedDB', 'caches', 'importScripts', 'Worker', 'SharedWorker', 'BroadcastChannel']) {
          const r = find(p, name);
          assert.equal(r.ok, false, `${cls}: ${name} must be unavailable (${r.detail})`);
          assert.match(r.detail, /not defined/, `${cls}: ${name} removed from the global scope`);
        }
        for (const name of ['navigator.locks', 'navigator.storage']) assert.equal(find(p, name).ok, false, `${cls}: ${name}`);
        const csp = find(p, 'csp');
        assert.equal(csp.ok, true, `${cls}: the worker's CSP is enforced (${csp.detail})`);
        assert.equal(find(p, 'guest-memory').ok, false, `${cls}: no guest memory`);
      }
    },
  },
  {
    name: 'storage worker can open IndexedDB; network worker keeps only WebSocket',
    async run({ page, base }) {
      const { error } = await open(page, base);
      assert.equal(error, undefined, error);
      const s = await probeOf(page, 'storage');
      assert.deepEqual(find(s, 'indexedDB'), { name: 'indexedDB', ok: true, detail: 'opened' });
      assert.equal(find(s, 'WebSocket').ok, false);
      assert.equal(find(s, 'Worker').ok, false);
      assert.equal(find(s, 'guest-memory').ok, true);
      assert.equal(find(s, 'fetch').ok, true, `same-origin fetch is allowed to storage: ${find(s, 'fetch').detail}`);
      const n = await probeOf(page, 'network');
      assert.notEqual(find(n, 'WebSocket').detail, 'WebSocket is not defined');
      for (const name of ['fetch', 'XMLHttpRequest', 'indexedDB', 'importScripts', 'Worker']) assert.equal(find(n, name).ok, false, `network: ${name}`);
      assert.equal(find(n, 'csp').ok, true);
    },
  },
  {
    name: 'servers send the cross-origin isolation headers and a CSP per worker class',
    async run({ base, root }) {
      const page = await fetch(`${base}/`);
      assert.equal(page.headers.get('cross-origin-opener-policy'), 'same-origin');
      assert.equal(page.headers.get('cross-origin-embedder-policy'), 'require-corp');
      const files = readdirSync(join(root, 'dist', 'assets', 'workers')).filter((f) => /\.worker-[\w-]+\.js$/.test(f));
      const seen = new Set();
      for (const f of files) {
        const cls = f.split('.worker-')[0];
        const r = await fetch(`${base}/assets/workers/${f}`);
        assert.equal(r.status, 200, f);
        const csp = r.headers.get('content-security-policy') ?? '';
        assert.equal(r.headers.get('cross-origin-embedder-policy'), 'require-corp', `${f} COEP`);
        assert.match(csp, /default-src 'none'/, `${f}: ${csp}`);
        if (cls === 'cpu') {
          assert.match(csp, /worker-src 'self'/);
          assert.match(csp, /'wasm-unsafe-eval'/);
        } else {
          assert.match(csp, /worker-src 'none'/, `${f}: ${csp}`);
          if (['console', 'input', 'display', 'sound'].includes(cls)) assert.match(csp, /connect-src 'none'/, `${f}: ${csp}`);
          if (cls === 'storage') assert.match(csp, /connect-src 'self'/);
        }
        seen.add(cls);
      }
      assert.deepEqual([...seen].sort(), ['console', 'cpu', 'display', 'input', 'network', 'sound', 'storage']);
    },
  },
];

tests.push({
  name: 'a crashed device worker is contained: stop answers all-ones at once, restart brings it back',
  async run({ page, base }) {
    const { error } = await open(page, base);
    assert.equal(error, undefined, error);
    const stop = await page.evaluate(() => window.bulkhead.containment('stop'));
    assert.equal(stop.readAfterCrash, 0xff);
    assert.ok(stop.readMs < 2000, `the read after the crash took ${stop.readMs} ms`);
    assert.equal(stop.health, 'stopped');
    assert.equal(stop.events[0].kind, 'device-failed');
    assert.equal(stop.events[0].cause, 'crash');
    assert.equal(stop.events[0].worker, 'console');
    assert.deepEqual(stop.events[0].devices, ['com1']);
    const restart = await page.evaluate(() => window.bulkhead.containment('restart'));
    assert.deepEqual(restart.events.map((e) => e.kind), ['device-failed', 'device-restarted']);
    assert.equal(restart.health, 'running');
    assert.equal(restart.scratchAfterRestart, 0xa5);
  },
});

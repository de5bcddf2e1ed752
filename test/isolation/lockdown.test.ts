/**
 * Lockdown inside device workers (Node worker_threads). Node has no Content-Security-Policy,
 * no IndexedDB and (in Node 20) no global WebSocket, so what is tested here is the global-scope
 * layer: what each class's worker can still reach, and which workers hold the machine memory.
 * With fake-indexeddb loaded into the workers before their lockdown, a storage worker opens
 * IndexedDB and console/input workers have none.
 * The removal from the prototype chain is also tested on a synthetic global scope carrying every
 * name. The browser layers are tested in Chromium by e2e/.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { PlacedDevices } from '../../src/channel/placement.js';
import type { DeviceWorkerLink, ProbeResult, WorkerHello } from '../../src/channel/protocol.js';
import { nodeWorkerLauncher } from '../../src/node/worker-launcher.js';
import { DENYABLE_GLOBALS, LOCKDOWN_KEEP, lockdown } from '../../src/workers/lockdown.js';
import { makeHarness, place } from '../channel/harness.js';

describe('lockdown of a synthetic global scope', () => {
  function scope(): { proto: Record<string, unknown>; self: Record<string, unknown> } {
    const base: Record<string, unknown> = {};
    for (const n of DENYABLE_GLOBALS) base[n] = function original() { return n; };
    const proto = Object.create(base) as Record<string, unknown>;
    proto.fetch = () => 'proto fetch';
    const nav = Object.create({ sendBeacon: () => true, locks: {}, storage: {} });
    const self = Object.create(proto) as Record<string, unknown>;
    self.fetch = () => 'own fetch';
    self.navigator = nav;
    return { proto, self };
  }
  test.each(['console', 'input', 'sound', 'display'] as const)('%s loses every denyable name, along the whole prototype chain', (cls) => {
    const { self, proto } = scope();
    const r = lockdown(cls, self);
    expect(r.failed).toEqual([]);
    for (const n of DENYABLE_GLOBALS) {
      expect(n in self, n).toBe(false);
      expect(n in proto, n).toBe(false);
    }
    const nav = self.navigator as Record<string, unknown>;
    expect(nav.sendBeacon).toBeUndefined();
    expect(nav.locks).toBeUndefined();
    expect(nav.storage).toBeUndefined();
    expect(r.removed).toContain('fetch');
    expect(r.removed).toContain('indexedDB');
    expect(r.removed).toContain('importScripts');
  });
  test('storage keeps IndexedDB (and same-origin fetch), network keeps WebSocket only', () => {
    const s = scope();
    const r = lockdown('storage', s.self);
    expect(typeof s.self.indexedDB).toBe('function');
    expect(typeof s.self.fetch).toBe('function');
    expect(s.self.WebSocket).toBeUndefined();
    expect(s.self.Worker).toBeUndefined();
    expect(s.self.importScripts).toBeUndefined();
    expect(r.kept).toEqual(expect.arrayContaining(['indexedDB', 'fetch', 'navigator.storage']));
    const n = scope();
    lockdown('network', n.self);
    expect(typeof n.self.WebSocket).toBe('function');
    for (const name of ['fetch', 'XMLHttpRequest', 'indexedDB', 'importScripts', 'Worker', 'EventSource', 'BroadcastChannel']) {
      expect(n.self[name], name).toBeUndefined();
    }
    expect(LOCKDOWN_KEEP.console).toEqual([]);
    expect(LOCKDOWN_KEEP.input).toEqual([]);
  });
});

describe('lockdown inside Node device workers', () => {
  let placed: PlacedDevices;
  const hello = new Map<string, WorkerHello>();
  const probes = new Map<string, ProbeResult[]>();
  const memory = new Map<string, boolean>();
  beforeAll(async () => {
    const h = makeHarness();
    h.services.launchAllClasses = true;
    placed = await place([], 'isolated', h);
    for (const w of placed.workers()) {
      hello.set(w.cls, await w.hello());
      probes.set(w.cls, await w.probe());
      memory.set(w.cls, await w.hasMemory());
    }
  });
  afterAll(async () => { await placed?.shutdown(); });

  const result = (cls: string, name: string): ProbeResult => probes.get(cls)!.find((r) => r.name === name)!;

  test('all six device workers answer, each locked down for its class', () => {
    expect([...hello.keys()].sort()).toEqual(['console', 'display', 'input', 'network', 'sound', 'storage']);
    for (const [cls, h] of hello) {
      expect(h.cls).toBe(cls);
      expect(h.runtime).toBe('node');
      expect(h.failed).toEqual([]);
    }
  });

  test.each(['console', 'input', 'sound', 'display'])('%s worker: no fetch, IndexedDB, WebSocket, importScripts, nested Worker, BroadcastChannel', (cls) => {
    expect(hello.get(cls)!.removed).toContain('fetch'); // Node 20 has a global fetch to remove
    for (const name of ['fetch', 'indexedDB', 'WebSocket', 'importScripts', 'Worker', 'BroadcastChannel', 'XMLHttpRequest', 'EventSource']) {
      expect(result(cls, name), name).toMatchObject({ ok: false, detail: `${name} is not defined` });
    }
  });

  test('console and input workers hold no guest memory; DMA classes do', () => {
    expect(memory.get('console')).toBe(false);
    expect(memory.get('input')).toBe(false);
    expect(result('console', 'guest-memory').ok).toBe(false);
    for (const cls of ['storage', 'display', 'network', 'sound']) expect(memory.get(cls), cls).toBe(true);
  });

  test('the DMA-class workers and this thread see the same memory', async () => {
    const h = makeHarness();
    const ram = new Uint8Array(h.memory);
    const off = h.layout.ramOffset + 0x1234;
    const ws = placed.workers();
    ram[off] = 0x5a;
    for (const w of ws.filter((x) => ['storage', 'display', 'network', 'sound'].includes(x.cls))) {
      expect(await w.peek(off)).toBe(0x5a);
    }
    await ws.find((w) => w.cls === 'storage')!.poke(off, 0xa5);
    expect(ram[off]).toBe(0xa5);
    expect(await ws.find((w) => w.cls === 'display')!.peek(off)).toBe(0xa5);
    await expect(ws.find((w) => w.cls === 'console')!.peek(off)).rejects.toThrow(/no guest memory/);
  });

  test('storage worker keeps its storage capabilities (Node: no IndexedDB exists, fetch is kept)', () => {
    const h = hello.get('storage')!;
    expect(h.removed).not.toContain('fetch');
    expect(h.kept).toContain('fetch');
    // IndexedDB is not part of Node: the probe reports it absent rather than removed.
    expect(h.removed).not.toContain('indexedDB');
    expect(result('storage', 'indexedDB').detail).toBe('indexedDB is not defined');
    expect(result('storage', 'fetch').detail).not.toBe('fetch is not defined');
  });
});

describe('lockdown inside Node device workers, with an IndexedDB present (fake-indexeddb)', () => {
  // Node has no IndexedDB; `fake-indexeddb/auto`, loaded in each worker before its entry (and so
  // before its lockdown), puts one on the global scope as a browser worker has it. The lockdown
  // must keep it for storage (which really opens a database) and remove it for console and input.
  const links: DeviceWorkerLink[] = [];
  const launcher = nodeWorkerLauncher({ preload: ['fake-indexeddb/auto'] });
  afterAll(() => { for (const l of links) l.terminate(); });
  const probeOf = async (cls: 'storage' | 'console' | 'input') => {
    const link = await launcher.launch(cls);
    links.push(link);
    return { hello: await link.api.hello(), probe: await link.api.probe() };
  };

  test('a storage worker opens IndexedDB', async () => {
    const { hello: h, probe } = await probeOf('storage');
    expect(h.kept).toContain('indexedDB');
    expect(probe.find((r) => r.name === 'indexedDB')).toEqual({ name: 'indexedDB', ok: true, detail: 'opened' });
  });

  test.each(['console', 'input'] as const)('%s worker: indexedDB was removed before any device code ran', async (cls) => {
    const { hello: h, probe } = await probeOf(cls);
    expect(h.removed).toContain('indexedDB');
    expect(h.failed).toEqual([]);
    expect(probe.find((r) => r.name === 'indexedDB')).toMatchObject({ ok: false, detail: 'indexedDB is not defined' });
  });
});

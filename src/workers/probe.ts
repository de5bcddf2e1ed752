/**
 * Capability probe run inside a device worker: attempts each operation the lockdown and the
 * Content-Security-Policy are meant to deny (and the ones a class keeps), and reports what
 * happened. Used by the isolation tests (Vitest in Node, Playwright in Chromium) and available
 * to the security panel. Written against `globalThis` so it runs in browser and Node workers.
 */
import type { ProbeResult } from '../channel/protocol.js';

type Bag = Record<string, unknown>;
type Ctor = new (...args: unknown[]) => unknown;

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e); });
  });
}

/** Probe the current global scope. `sameOriginUrl` is a URL a fetch may try (browser: '/'). */
export async function probeCapabilities(sameOriginUrl: string, hasMemory: boolean): Promise<ProbeResult[]> {
  const g = globalThis as unknown as Bag;
  const out: ProbeResult[] = [];
  const absent = (name: string): boolean => {
    if (typeof g[name] === 'undefined') {
      out.push({ name, ok: false, detail: `${name} is not defined` });
      return true;
    }
    return false;
  };

  if (!absent('fetch')) {
    try {
      const r = (await withTimeout((g.fetch as (u: string) => Promise<{ status: number }>)(sameOriginUrl), 3000, 'fetch'));
      out.push({ name: 'fetch', ok: true, detail: `status ${r.status}` });
    } catch (e) {
      out.push({ name: 'fetch', ok: false, detail: `blocked: ${describe(e)}` });
    }
  }
  if (!absent('XMLHttpRequest')) out.push({ name: 'XMLHttpRequest', ok: true, detail: 'constructor present' });
  if (!absent('WebSocket')) {
    try {
      const ws = new (g.WebSocket as Ctor)('ws://127.0.0.1:9/') as { close(): void };
      ws.close();
      out.push({ name: 'WebSocket', ok: true, detail: 'constructed' });
    } catch (e) {
      out.push({ name: 'WebSocket', ok: false, detail: `blocked: ${describe(e)}` });
    }
  }
  if (!absent('indexedDB')) {
    try {
      const idb = g.indexedDB as { open(n: string): Bag };
      const name = await withTimeout(new Promise<string>((resolve, reject) => {
        const req = idb.open('bulkhead-probe');
        req.onsuccess = () => { (req.result as { close(): void }).close(); resolve('opened'); };
        req.onerror = () => reject(req.error);
      }), 3000, 'indexedDB.open');
      out.push({ name: 'indexedDB', ok: true, detail: name });
    } catch (e) {
      out.push({ name: 'indexedDB', ok: false, detail: `blocked: ${describe(e)}` });
    }
  }
  if (!absent('importScripts')) {
    try {
      (g.importScripts as (u: string) => void)('data:text/javascript,0');
      out.push({ name: 'importScripts', ok: true, detail: 'loaded' });
    } catch (e) {
      out.push({ name: 'importScripts', ok: false, detail: `blocked: ${describe(e)}` });
    }
  }
  if (!absent('Worker')) {
    try {
      const w = new (g.Worker as Ctor)(sameOriginUrl === '/' ? '/probe-nested-worker.js' : 'data:text/javascript,0') as { terminate(): void };
      w.terminate();
      out.push({ name: 'Worker', ok: true, detail: 'constructed' });
    } catch (e) {
      out.push({ name: 'Worker', ok: false, detail: `blocked: ${describe(e)}` });
    }
  }
  for (const name of ['SharedWorker', 'BroadcastChannel', 'EventSource', 'caches', 'WebTransport', 'RTCPeerConnection']) {
    if (!absent(name)) out.push({ name, ok: true, detail: 'present' });
  }
  const nav = g.navigator as Bag | undefined;
  for (const prop of ['sendBeacon', 'locks', 'storage']) {
    const present = nav !== undefined && nav[prop] !== undefined;
    out.push({ name: `navigator.${prop}`, ok: present, detail: present ? 'present' : 'not defined' });
  }
  out.push({ name: 'guest-memory', ok: hasMemory, detail: hasMemory ? 'holds the machine memory' : 'no machine memory' });
  return out;
}

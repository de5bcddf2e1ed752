/**
 * Global-scope lockdown of a device worker (layer 2 of docs/isolation.md): before any device
 * code loads, remove from the worker's global scope — from every object on its prototype
 * chain, not only the instance — the web platform capabilities its class does not need:
 * network (fetch, XMLHttpRequest, WebSocket, EventSource, WebTransport, WebRTC), storage
 * (IndexedDB, Cache Storage, the origin private file system), code loading and nested
 * contexts (importScripts, Worker, SharedWorker), cross-context channels (BroadcastChannel,
 * Web Locks) and device APIs (WebUSB, WebHID, Web Serial, Web Bluetooth).
 * Layer 1 — the class's Content-Security-Policy on the worker script — is enforced by the
 * browser (src/node/worker-csp.ts). In Node only this layer exists.
 *
 * Written against `globalThis` without DOM/WebWorker types so the same file runs in browser
 * workers and in Node worker_threads.
 */

export type LockdownClass = 'storage' | 'display' | 'console' | 'input' | 'network' | 'sound';

/** Global names a device worker may lose. */
export const DENYABLE_GLOBALS = [
  'fetch', 'XMLHttpRequest', 'WebSocket', 'WebSocketStream', 'EventSource', 'WebTransport',
  'RTCPeerConnection', 'webkitRTCPeerConnection', 'RTCDataChannel',
  'indexedDB', 'caches',
  'importScripts', 'Worker', 'SharedWorker', 'BroadcastChannel',
  'Notification',
] as const;

/** Properties of `navigator` a device worker may lose. */
export const DENYABLE_NAVIGATOR = ['sendBeacon', 'locks', 'storage', 'usb', 'hid', 'serial', 'bluetooth', 'serviceWorker'] as const;

export type DenyableName = (typeof DENYABLE_GLOBALS)[number] | `navigator.${(typeof DENYABLE_NAVIGATOR)[number]}`;

/**
 * What each class keeps. Everything else in DENYABLE_* is removed. The table is reproduced in
 * docs/isolation.md; change both together.
 */
export const LOCKDOWN_KEEP: Readonly<Record<LockdownClass, readonly DenyableName[]>> = {
  // Copy-on-write overlays in IndexedDB (idb-keyval); disk images from a URL by HTTP range
  // requests, same origin only (CSP connect-src 'self'); the origin private file system.
  storage: ['indexedDB', 'fetch', 'navigator.storage'],
  // The network relay (CSP connect-src names only the relay).
  network: ['WebSocket'],
  display: [],
  console: [],
  input: [],
  sound: [],
};

export interface LockdownReport {
  cls: LockdownClass;
  removed: string[];
  kept: string[];
  /** Names still reachable after the attempt (must be empty). */
  failed: string[];
}

type Bag = Record<string, unknown>;

/** Delete `name` from `obj` and every object on its prototype chain. True if none remains. */
function removeFromChain(obj: object, name: string): { present: boolean; gone: boolean } {
  let present = false;
  for (let o: object | null = obj; o !== null; o = Object.getPrototypeOf(o)) {
    if (!Object.prototype.hasOwnProperty.call(o, name)) continue;
    present = true;
    if (!Reflect.deleteProperty(o, name)) {
      try {
        Object.defineProperty(o, name, { value: undefined, writable: false, configurable: false, enumerable: false });
      } catch {
        // reported below as failed
      }
    }
  }
  const gone = !(name in obj) || (obj as Bag)[name] === undefined;
  return { present, gone };
}

/** Lock the calling worker's global scope down for `cls`. Idempotent. */
export function lockdown(cls: LockdownClass, scope: object = globalThis): LockdownReport {
  const keep = new Set<string>(LOCKDOWN_KEEP[cls]);
  const report: LockdownReport = { cls, removed: [], kept: [], failed: [] };
  for (const name of DENYABLE_GLOBALS) {
    if (keep.has(name)) { if (name in scope) report.kept.push(name); continue; }
    const r = removeFromChain(scope, name);
    if (r.present) report.removed.push(name);
    if (!r.gone) report.failed.push(name);
  }
  const nav = (scope as Bag).navigator;
  if (nav && typeof nav === 'object') {
    for (const prop of DENYABLE_NAVIGATOR) {
      const name = `navigator.${prop}`;
      if (keep.has(name)) { if (prop in nav) report.kept.push(name); continue; }
      const r = removeFromChain(nav, prop);
      if (r.present) report.removed.push(name);
      if (!r.gone) report.failed.push(name);
    }
  }
  return report;
}

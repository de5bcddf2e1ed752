/**
 * Entry of the CPU worker (browser): owns the shared machine memory and the CPU core, starts
 * the device workers (nested workers, one per class) and answers the page's control calls
 * over comlink. Served with the CPU worker's Content-Security-Policy (src/node/worker-csp.ts).
 */
/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import { browserWorkerLauncher } from './browser-launcher.js';
import { createCpuRuntime } from './cpu-runtime.js';

/** Host time comparable across threads (timeOrigin is a getter: read it once). */
const timeOrigin = performance.timeOrigin;

const coreUrl = new URL('../../build/core.wasm', import.meta.url);

const api = createCpuRuntime({
  runtime: 'browser',
  launcher: browserWorkerLauncher(),
  hostNowMs: () => timeOrigin + performance.now(),
  async loadCore() {
    const r = await fetch(coreUrl);
    if (!r.ok) return undefined;
    return new Uint8Array(await r.arrayBuffer());
  },
});

Comlink.expose(api);

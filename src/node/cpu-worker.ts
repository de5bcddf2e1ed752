/**
 * Entry of the CPU worker under Node worker_threads: the same runtime as the browser's
 * (src/workers/cpu-runtime.ts), with build/core.wasm read from disk and device workers started
 * as nested worker_threads (src/node/worker-launcher.ts).
 */
import { parentPort } from 'node:worker_threads';
import { readFile } from 'node:fs/promises';
import * as Comlink from 'comlink';
import { createCpuRuntime } from '../workers/cpu-runtime.js';
import { nodeEndpoint } from './comlink-node.js';
import { nodeWorkerLauncher } from './worker-launcher.js';

/** Host time comparable across threads (timeOrigin is a getter: read it once). */
const timeOrigin = performance.timeOrigin;

const api = createCpuRuntime({
  runtime: 'node',
  launcher: nodeWorkerLauncher(),
  hostNowMs: () => timeOrigin + performance.now(),
  async loadCore() {
    try {
      return new Uint8Array(await readFile(new URL('../../build/core.wasm', import.meta.url)));
    } catch {
      return undefined;
    }
  },
});

Comlink.expose(api, nodeEndpoint(parentPort!));

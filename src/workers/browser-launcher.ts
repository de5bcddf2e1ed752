/**
 * Starts device workers in the browser: one module worker per class, each from its own entry
 * (src/workers/<class>.worker.ts) so that the server can send each class its own
 * Content-Security-Policy (src/node/worker-csp.ts). The `new Worker(new URL(..., import.meta.url))`
 * form with literal paths is what lets Vite bundle each entry as a worker.
 */
/// <reference lib="webworker" />
import type { DeviceWorkerLauncher, DeviceWorkerLink, WorkerClass } from '../channel/protocol.js';
import { makeLink } from './link.js';
import { exportBackend } from './backend-bridge.js';

function spawn(cls: WorkerClass): Worker {
  switch (cls) {
    case 'storage': return new Worker(new URL('./storage.worker.ts', import.meta.url), { type: 'module', name: 'bulkhead-storage' });
    case 'display': return new Worker(new URL('./display.worker.ts', import.meta.url), { type: 'module', name: 'bulkhead-display' });
    case 'console': return new Worker(new URL('./console.worker.ts', import.meta.url), { type: 'module', name: 'bulkhead-console' });
    case 'input': return new Worker(new URL('./input.worker.ts', import.meta.url), { type: 'module', name: 'bulkhead-input' });
    case 'network': return new Worker(new URL('./network.worker.ts', import.meta.url), { type: 'module', name: 'bulkhead-network' });
    case 'sound': return new Worker(new URL('./sound.worker.ts', import.meta.url), { type: 'module', name: 'bulkhead-sound' });
  }
}

export function browserWorkerLauncher(): DeviceWorkerLauncher {
  return {
    exportBackend,
    async launch(cls: WorkerClass): Promise<DeviceWorkerLink> {
      const worker = spawn(cls);
      const link = makeLink({
        cls,
        endpoint: worker,
        terminate: () => worker.terminate(),
        watch(report) {
          worker.addEventListener('error', (ev) => report('crash', ev.message || 'worker error (script failed to load or threw)'));
          worker.addEventListener('messageerror', () => report('crash', 'message could not be deserialized'));
        },
      });
      // Loading failures (404, CSP refusal) surface as an error event before hello answers.
      const died = new Promise<never>((_, reject) => {
        worker.addEventListener('error', (ev) => reject(new Error(`${cls} worker failed to start: ${ev.message || 'error event'}`)));
      });
      died.catch(() => { /* only raced: later errors are the link's business */ });
      await Promise.race([link.api.hello(), died]);
      return link;
    },
  };
}

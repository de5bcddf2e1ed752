/**
 * Starts device workers as Node worker_threads running src/node/device-worker.ts through tsx
 * (registered inside the thread by src/node/ts-worker.mjs; works under Vitest and the CLI). Implements the
 * DeviceWorkerLauncher the isolated placement uses.
 */
import { Worker } from 'node:worker_threads';
import { nodeEndpoint } from './comlink-node.js';
import type { DeviceWorkerLauncher, DeviceWorkerLink, WorkerClass } from '../channel/protocol.js';
import { makeLink } from '../workers/link.js';
import { exportBackend } from '../workers/backend-bridge.js';

export interface NodeLauncherOptions {
  /** Synchronous wait window of the worker's channel loop (ms). */
  syncWaitMs?: number;
  /**
   * Modules each worker imports before its entry, i.e. before its lockdown (tests install a
   * global the browser has and Node lacks, e.g. `fake-indexeddb/auto`).
   */
  preload?: string[];
  /** Called with every worker started (tests keep them to check they end). */
  onWorker?(worker: Worker, cls: WorkerClass): void;
}

export function nodeWorkerLauncher(opts: NodeLauncherOptions = {}): DeviceWorkerLauncher {
  return {
    exportBackend,
    async launch(cls: WorkerClass): Promise<DeviceWorkerLink> {
      const worker = new Worker(new URL('./ts-worker.mjs', import.meta.url), {
        workerData: { entry: new URL('./device-worker.ts', import.meta.url).href, cls, syncWaitMs: opts.syncWaitMs, preload: opts.preload },
        name: `bulkhead-${cls}`,
      });
      opts.onWorker?.(worker, cls);
      const link = makeLink({
        cls,
        endpoint: nodeEndpoint(worker),
        terminate: () => void worker.terminate(),
        watch(report) {
          worker.on('error', (e) => report('crash', e instanceof Error ? `${e.name}: ${e.message}` : String(e)));
          worker.on('exit', (code) => report('exit', `worker exited with code ${code}`));
        },
      });
      // The worker answers once its lockdown and runtime are in place (or dies trying).
      const died = new Promise<never>((_, reject) => {
        worker.once('error', (e) => reject(new Error(`${cls} worker failed to start: ${String(e)}`)));
        worker.once('exit', (code) => reject(new Error(`${cls} worker exited with code ${code} while starting`)));
      });
      died.catch(() => { /* only raced: a later exit is the link's business */ });
      await Promise.race([link.api.hello(), died]);
      return link;
    },
  };
}

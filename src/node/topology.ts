/**
 * Node host of the worker topology (tests, CLI): starts the CPU worker as a worker_thread
 * (src/node/cpu-worker.ts through tsx), which owns the machine memory and the core and starts
 * one device worker per class. Returns its control API and a way to end it.
 */
import { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import type { CpuWorkerApi } from '../workers/cpu-runtime.js';
import { nodeEndpoint } from './comlink-node.js';

export interface NodeTopology {
  cpu: Comlink.Remote<CpuWorkerApi>;
  worker: Worker;
  close(): Promise<void>;
}

export function startNodeTopology(): NodeTopology {
  const worker = new Worker(new URL('./ts-worker.mjs', import.meta.url), {
    workerData: { entry: new URL('./cpu-worker.ts', import.meta.url).href },
    name: 'bulkhead-cpu',
  });
  const cpu = Comlink.wrap<CpuWorkerApi>(nodeEndpoint(worker));
  return {
    cpu,
    worker,
    async close() {
      try { await cpu.shutdown(); } catch { /* already gone */ }
      cpu[Comlink.releaseProxy]();
      await worker.terminate();
    },
  };
}

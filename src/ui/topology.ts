/**
 * Starts the worker topology from the page: the CPU worker (which owns the shared memory and
 * the core and starts one device worker per class) and its comlink control API.
 */
import * as Comlink from 'comlink';
import type { CpuWorkerApi } from '../workers/cpu-runtime.js';

export interface Topology {
  cpu: Comlink.Remote<CpuWorkerApi>;
  worker: Worker;
}

export function startTopology(): Topology {
  const worker = new Worker(new URL('../workers/cpu.worker.ts', import.meta.url), { type: 'module', name: 'bulkhead-cpu' });
  return { cpu: Comlink.wrap<CpuWorkerApi>(worker), worker };
}

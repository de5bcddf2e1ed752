/**
 * Entry of the CPU worker (browser): owns the shared machine memory and the CPU core, starts
 * the device workers (nested workers, one per class) and answers the page's control calls
 * over comlink: the topology checks (cpu-runtime.ts) and the VM itself (vm-runtime.ts, which
 * builds and runs the machine of src/machine/machine.ts). Served with the CPU worker's
 * Content-Security-Policy (src/node/worker-csp.ts).
 */
/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import { browserWorkerLauncher } from './browser-launcher.js';
import { createCpuRuntime } from './cpu-runtime.js';
import { loadCoreBytes } from './machine-host.js';
import { createVmRuntime } from './vm-runtime.js';

/** Host time comparable across threads (timeOrigin is a getter: read it once). */
const timeOrigin = performance.timeOrigin;
const hostNowMs = (): number => timeOrigin + performance.now();

const launcher = browserWorkerLauncher();

const topology = createCpuRuntime({
  runtime: 'browser',
  launcher,
  hostNowMs,
  async loadCore() {
    try {
      return await loadCoreBytes();
    } catch {
      return undefined;
    }
  },
});

const vm = createVmRuntime({ launcher, hostNowMs });

Comlink.expose({ ...topology, ...vm });

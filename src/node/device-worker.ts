/**
 * Entry of a device worker under Node worker_threads (tests, benchmarks, the CLI). Same
 * runtime and control API as the browser entries (src/workers/device-api.ts). It locks the
 * global scope down for its class FIRST and only then loads the device code (dynamic import).
 * Node has no Content-Security-Policy, and Node built-ins (process, import('node:fs')) stay
 * reachable: only the global-scope layer exists here (docs/isolation.md).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setImmediate } from 'node:timers';
import { lockdown, type LockdownClass } from '../workers/lockdown.js';

interface NodeDeviceWorkerData {
  cls: LockdownClass;
  syncWaitMs?: number;
}

const data = workerData as NodeDeviceWorkerData;
const report = lockdown(data.cls);

const Comlink = await import('comlink');
const { nodeEndpoint } = await import('./comlink-node.js');
const { createDeviceWorker } = await import('../workers/device-api.js');
if (data.cls === 'network') {
  // A NIC's backend: a MessagePort bridged to a switch port or relay (backend-bridge.ts), as
  // the browser's network.worker.ts registers it.
  const { registerBackendAdapter } = await import('../channel/worker-host.js');
  const { PACKET_PORT_KIND, packetPortFromDescription } = await import('../net/remote.js');
  registerBackendAdapter(PACKET_PORT_KIND, packetPortFromDescription);
}

/** Host time comparable across threads (timeOrigin is a getter: read it once). */
const timeOrigin = performance.timeOrigin;

const { api, runtime } = createDeviceWorker({
  report,
  runtime: 'node',
  probeUrl: 'http://127.0.0.1:9/',
  env: {
    hostNowMs: () => timeOrigin + performance.now(),
    setTimeout: (cb, ms) => setTimeout(cb, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    setInterval: (cb, ms) => setInterval(cb, ms),
    macrotask: (cb) => setImmediate(cb),
    exit: () => process.exit(1),
    throwUncaught: (e) => { setTimeout(() => { throw e; }, 0); },
    syncWaitMs: data.syncWaitMs,
  },
});

process.on('uncaughtException', (e) => {
  if (process.env.BULKHEAD_DEBUG) process.stderr.write(`device worker: ${String((e as Error)?.stack ?? e)}\n`);
  runtime.markFatal(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  process.exit(1);
});
process.on('unhandledRejection', (e) => {
  runtime.markFatal(`unhandled rejection: ${String(e)}`);
  process.exit(1);
});
process.on('exit', (code) => runtime.markFatal(`worker exited with code ${code}`));

Comlink.expose(api, nodeEndpoint(parentPort!));

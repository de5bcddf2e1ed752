/**
 * The control API of a device worker (DeviceWorkerApi in src/channel/protocol.ts), shared by
 * the browser entries (src/workers/*.worker.ts) and the Node entry (src/node/device-worker.ts).
 * Control only: hello, attach, probe, memory peek/poke for the topology tests, and screen access
 * of display devices (text, PNG, mode). Port I/O goes through the channel, never through this API.
 */
import type { DeviceWorkerApi, ProbeResult, Upcalls, AttachRequest, AttachResult } from '../channel/protocol.js';
import { DeviceWorkerRuntime, type WorkerRuntimeEnv } from '../channel/worker-runtime.js';
import type { LockdownReport } from './lockdown.js';
import { probeCapabilities } from './probe.js';
import { registerBackendAdapter } from '../channel/worker-host.js';
import { importBridged } from './backend-bridge.js';

// Backends exported by the CPU side (src/workers/backend-bridge.ts) arrive as { kind: 'bridged' }.
registerBackendAdapter('bridged', importBridged);

export interface DeviceWorkerSetup {
  report: LockdownReport;
  env: WorkerRuntimeEnv;
  runtime: 'browser' | 'node';
  /** URL a probing fetch tries (browser: '/'). */
  probeUrl: string;
  /** Extra, environment-specific probes (the browser checks that its CSP is enforced). */
  extraProbes?: () => Promise<ProbeResult[]>;
}

export function createDeviceWorker(setup: DeviceWorkerSetup): { api: DeviceWorkerApi; runtime: DeviceWorkerRuntime } {
  const runtime = new DeviceWorkerRuntime(setup.report.cls, setup.env);
  const api: DeviceWorkerApi = {
    hello: () => ({ cls: setup.report.cls, removed: setup.report.removed, kept: setup.report.kept, failed: setup.report.failed, runtime: setup.runtime }),
    attach: (req: AttachRequest, upcalls: Upcalls): Promise<AttachResult> => runtime.attach(req, upcalls),
    probe: async () => [...(await probeCapabilities(setup.probeUrl, runtime.hasMemory())), ...((await setup.extraProbes?.()) ?? [])],
    hasMemory: () => runtime.hasMemory(),
    peek: (offset: number) => runtime.peek(offset),
    poke: (offset: number, value: number) => runtime.poke(offset, value),
    screenText: (dev: number) => runtime.display(dev).screenText(),
    screenshotPng: (dev: number) => runtime.display(dev).screenshotPng(),
    displayMode: (dev: number) => runtime.display(dev).displayMode(),
  };
  return { api, runtime };
}

/**
 * Browser side of a device worker entry: wires the event loop, the clock and the fatal-error
 * hooks into the environment-independent runtime, and exposes the control API over comlink.
 * Called by each class entry after its lockdown module has run.
 */
/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import type { ProbeResult } from '../channel/protocol.js';
import type { WorkerRuntimeEnv } from '../channel/worker-runtime.js';
import { createDeviceWorker } from './device-api.js';
import { getReport } from './lockdown/report.js';

/** Host time comparable across threads (timeOrigin is a getter: read it once). */
const timeOrigin = performance.timeOrigin;

declare const self: DedicatedWorkerGlobalScope;

/** A macrotask without setTimeout's clamping: a MessageChannel round. */
function macrotaskQueue(): (cb: () => void) => void {
  const queue: (() => void)[] = [];
  const mc = new MessageChannel();
  mc.port1.onmessage = () => {
    const batch = queue.splice(0);
    for (const cb of batch) cb();
  };
  return (cb) => {
    queue.push(cb);
    if (queue.length === 1) mc.port2.postMessage(0);
  };
}

/** Check that the worker's CSP is enforced: a cross-origin import must be refused with a violation event. */
async function cspProbe(): Promise<ProbeResult[]> {
  let violation = '';
  const onViolation = (ev: Event): void => {
    const e = ev as SecurityPolicyViolationEvent;
    violation = `${e.effectiveDirective} blocked ${e.blockedURI}`;
  };
  self.addEventListener('securitypolicyviolation', onViolation);
  let imported = false;
  try {
    const foreign: string = 'https://bulkhead.invalid/probe.js';
    await import(/* @vite-ignore */ foreign);
    imported = true;
  } catch {
    // expected
  }
  await new Promise((r) => setTimeout(r, 50));
  self.removeEventListener('securitypolicyviolation', onViolation);
  return [{ name: 'csp', ok: violation !== '' && !imported, detail: violation || 'no CSP violation reported' }];
}

export function startBrowserDeviceWorker(): void {
  const report = getReport();
  const env: WorkerRuntimeEnv = {
    hostNowMs: () => timeOrigin + performance.now(),
    setTimeout: (cb, ms) => setTimeout(cb, ms),
    clearTimeout: (h) => clearTimeout(h as number),
    setInterval: (cb, ms) => setInterval(cb, ms),
    macrotask: macrotaskQueue(),
    exit: () => self.close(),
    throwUncaught: (e) => { setTimeout(() => { throw e; }, 0); },
  };
  const { api, runtime } = createDeviceWorker({ report, env, runtime: 'browser', probeUrl: '/', extraProbes: cspProbe });
  self.addEventListener('error', (ev) => {
    runtime.markFatal(ev.message || 'uncaught error');
    setTimeout(() => self.close(), 0);
  });
  self.addEventListener('unhandledrejection', (ev) => {
    runtime.markFatal(`unhandled rejection: ${String(ev.reason)}`);
    setTimeout(() => self.close(), 0);
  });
  Comlink.expose(api);
}

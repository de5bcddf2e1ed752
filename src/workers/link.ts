/**
 * Builds a DeviceWorkerLink (src/channel/protocol.ts) from a comlink endpoint: control RPC to
 * a device worker, with the upcalls object exposed back to it as a comlink proxy. Shared by
 * the browser launcher and the Node launcher; placement code never sees comlink.
 */
import * as Comlink from 'comlink';
import type { DeviceWorkerApi, DeviceWorkerLink, FailureCause, WorkerClass } from '../channel/protocol.js';

export interface LinkParts {
  cls: WorkerClass;
  endpoint: Comlink.Endpoint;
  terminate(): void;
  /** Register the environment's error/exit listeners; `report` may be called many times. */
  watch(report: (cause: FailureCause, detail: string) => void): void;
}

export function makeLink(parts: LinkParts): DeviceWorkerLink {
  const remote = Comlink.wrap<DeviceWorkerApi>(parts.endpoint);
  let terminated = false;
  let failureCb: ((cause: FailureCause, detail: string) => void) | undefined;
  let pending: [FailureCause, string] | undefined;
  let reported = false;
  parts.watch((cause, detail) => {
    if (terminated || reported) return;
    reported = true;
    if (failureCb) failureCb(cause, detail);
    else pending = [cause, detail];
  });
  return {
    cls: parts.cls,
    api: {
      hello: () => remote.hello(),
      probe: () => remote.probe(),
      hasMemory: () => remote.hasMemory(),
      peek: (o) => remote.peek(o),
      poke: (o, v) => remote.poke(o, v),
      screenText: (dev) => remote.screenText(dev),
      screenshotPng: (dev) => remote.screenshotPng(dev),
      displayMode: (dev) => remote.displayMode(dev),
    },
    attach: (req, upcalls, transfer = []) =>
      remote.attach(transfer.length ? Comlink.transfer(req, transfer as Parameters<typeof Comlink.transfer>[1]) : req, Comlink.proxy(upcalls)),
    onFailure(cb) {
      failureCb = cb;
      if (pending) { const [c, d] = pending; pending = undefined; cb(c, d); }
    },
    terminate() {
      if (terminated) return;
      terminated = true;
      remote[Comlink.releaseProxy]();
      parts.terminate();
    },
  };
}

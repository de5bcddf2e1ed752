/**
 * Shared set-up for the channel and isolation suites: placement services over a real-time
 * clock (virtual time = host time since start, timers on setTimeout), recording IRQ lines,
 * a small shared machine memory, and collected events and reports.
 */
import type { Clock, IrqLine, Timer } from '../../src/devices/api.js';
import { computeLayout, type MemoryLayout } from '../../src/machine/layout.js';
import { placeDevices, type DeviceSpec, type Placement, type PlacedDevices, type PlacementServices } from '../../src/channel/placement.js';
import type { FailureResponse, PlacementEvent } from '../../src/channel/protocol.js';
import { nodeWorkerLauncher } from '../../src/node/worker-launcher.js';
import { FakeIrq } from '../fakes.js';

export const TEST_TYPES = new URL('./devices/index.ts', import.meta.url).href;

const timeOrigin = performance.timeOrigin;
export const hostNowMs = (): number => timeOrigin + performance.now();

/** Virtual time that runs with the host clock; timers fire from setTimeout. */
export class RealClock implements Clock {
  private readonly t0 = hostNowMs();
  now(): number {
    return (hostNowMs() - this.t0) * 1e6;
  }
  createTimer(callback: () => void): Timer {
    const clock = this;
    let handle: ReturnType<typeof setTimeout> | undefined;
    return {
      setDeadline(ns: number) {
        if (handle) clearTimeout(handle);
        handle = setTimeout(() => { handle = undefined; callback(); }, Math.max(0, (ns - clock.now()) / 1e6));
      },
      cancel() { if (handle) clearTimeout(handle); handle = undefined; },
      get pending() { return handle !== undefined; },
    };
  }
}

/** An IRQ line that also records every level change with its time. */
export class RecordingIrq extends FakeIrq {
  pulseCount = 0;
  override pulse(): void { this.pulseCount++; super.pulse(); }
}

export interface Harness {
  services: PlacementServices;
  events: PlacementEvent[];
  irqs: Map<string, RecordingIrq>;
  guestErrors: string[];
  taints: string[];
  a20: boolean[];
  resets: string[];
  /** ISA DMA transfers seen: channel, direction, bytes (device->memory) . */
  isaDma: { channel: number; toMemory: boolean; bytes: number[] }[];
  layout: MemoryLayout;
  memory: SharedArrayBuffer;
}

let sharedMemory: { buffer: SharedArrayBuffer; layout: MemoryLayout } | undefined;
/** One machine memory for all tests in a file (16 MiB RAM, the smallest layout). */
export function machineMemory(): { buffer: SharedArrayBuffer; layout: MemoryLayout } {
  if (!sharedMemory) {
    const layout = computeLayout(16);
    sharedMemory = { buffer: new SharedArrayBuffer(layout.totalBytes), layout };
  }
  return sharedMemory;
}

export function makeHarness(opts: { response?: FailureResponse; deadlineMs?: number; heartbeatTimeoutMs?: number } = {}): Harness {
  const memory = machineMemory();
  const h: Harness = {
    events: [], irqs: new Map(), guestErrors: [], taints: [], a20: [], resets: [], isaDma: [],
    layout: memory.layout, memory: memory.buffer,
    services: undefined as unknown as PlacementServices,
  };
  h.services = {
    clock: new RealClock(),
    hostNowMs,
    irq: (id: string, n: number): IrqLine => {
      const key = `${id}:${n}`;
      let l = h.irqs.get(key);
      if (!l) { l = new RecordingIrq(); h.irqs.set(key, l); }
      return l;
    },
    memory,
    signals: { setA20: (e) => h.a20.push(e), requestReset: (r) => h.resets.push(r) },
    // A fake 8237: device->memory transfers are recorded, memory->device ones read 0x10 + i.
    isaDma: {
      transfer: async (channel, data, toMemory) => {
        if (!toMemory) for (let i = 0; i < data.length; i++) data[i] = 0x10 + i;
        h.isaDma.push({ channel, toMemory, bytes: toMemory ? [...data] : [] });
        return { moved: data.length, tc: true };
      },
    },
    taint: (id, r) => h.taints.push(`${id}: ${r}`),
    guestError: (id, m) => h.guestErrors.push(`${id}: ${m}`),
    log: () => { /* quiet */ },
    launcher: nodeWorkerLauncher(),
    failureResponse: opts.response ?? 'stop',
    deadlineMs: opts.deadlineMs ?? 5000,
    heartbeatMs: 100,
    heartbeatTimeoutMs: opts.heartbeatTimeoutMs ?? 5000,
    typeModules: [TEST_TYPES],
    onEvent: (e) => h.events.push(e),
  };
  return h;
}

export async function place(specs: DeviceSpec[], placement: Placement, h: Harness): Promise<PlacedDevices> {
  return placeDevices(specs, placement, h.services);
}

/** Poll `placed` (delivering IRQs etc.) until `cond` holds or `ms` pass; yields to the event loop. */
export async function until(placed: PlacedDevices, cond: () => boolean, ms = 3000): Promise<boolean> {
  const end = hostNowMs() + ms;
  while (hostNowMs() < end) {
    placed.poll();
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  placed.poll();
  return cond();
}

/**
 * The runtime of one device worker, independent of browser or Node: on attach it creates the
 * class's device models (the unchanged DeviceType.create from the registry) with worker-side
 * hosts, and serves their channel. The worker entry (src/workers/*.worker.ts in the browser,
 * src/node/device-worker.ts in Node) locks the global scope down FIRST, then creates this and
 * exposes it over comlink for control calls only.
 */
import type { DeviceClass, DeviceModel } from '../devices/api.js';
import { asDisplayDevice, type DisplayDevice } from '../devices/display/render/types.js';
import { loadDeviceTypes } from './device-types.js';
import type { MemoryLayout } from '../machine/layout.js';
import { SharedGuestMemory } from './guest-memory.js';
import { ChannelState, W } from './layout.js';
import type { AttachRequest, AttachResult, Upcalls } from './protocol.js';
import { ChannelServer, type ServerLoop } from './server.js';
import { WorkerClock, type HostTimers } from './worker-clock.js';
import { createWorkerHost, ReportBatcher } from './worker-host.js';

/** What the worker entry provides. */
export interface WorkerRuntimeEnv extends HostTimers, ServerLoop {
  setInterval(cb: () => void, ms: number): unknown;
  /** End this worker after a fatal error was recorded. */
  exit(): void;
  /** Fault injection: throw `error` as an uncaught exception from a macrotask. */
  throwUncaught(error: Error): void;
  /** Synchronous wait window of the server loop (ms). */
  syncWaitMs?: number;
  /** Longest poll for new work (µs) before the server loop sleeps (adaptive below it). */
  spinMaxUs?: number;
}

const METHODS = ['ioRead', 'ioWrite', 'ioReadString', 'ioWriteString', 'mmioRead', 'mmioWrite', 'pciConfigRead', 'pciConfigWrite', 'pciBarChanged', 'reset', 'saveState', 'loadState', 'destroy'] as const;

export class DeviceWorkerRuntime {
  private server?: ChannelServer;
  private channel?: SharedArrayBuffer;
  private memoryBuffer?: SharedArrayBuffer;
  private layout?: MemoryLayout;
  private fatal?: string;
  private models: (DeviceModel | undefined)[] = [];

  constructor(readonly cls: DeviceClass, private readonly env: WorkerRuntimeEnv) {}

  get attached(): boolean {
    return this.server !== undefined;
  }

  async attach(req: AttachRequest, upcalls: Upcalls): Promise<AttachResult> {
    if (this.server) throw new Error(`${this.cls} worker: already attached`);
    const types = await loadDeviceTypes(req.typeModules);
    const wake = new Int32Array(req.wake);
    const clock = new WorkerClock(req.channel, this.env, 100, (e) => this.die(e));
    const reports = new ReportBatcher(upcalls, this.env);
    if (req.memory && req.layout) {
      this.memoryBuffer = req.memory;
      this.layout = req.layout;
    }
    const memory = this.memoryBuffer && this.layout
      ? (onMove: (n: number) => void) => new SharedGuestMemory(this.memoryBuffer!, this.layout!, onMove)
      : undefined;
    const models: (DeviceModel | undefined)[] = [];
    const methods: string[][] = [];
    for (const d of req.devices) {
      const type = types.get(d.type);
      if (!type) throw new Error(`${this.cls} worker: unknown device type '${d.type}'`);
      if (type.class !== this.cls) throw new Error(`${this.cls} worker: '${d.type}' belongs to class ${type.class}`);
      const framebuffer = this.memoryBuffer && this.layout
        ? { vram: new Uint8Array(this.memoryBuffer, this.layout.vramOffset, this.layout.vramSize), cpuSideWindow: req.cpuSideWindow }
        : undefined;
      const host = createWorkerHost(d, type, { channel: req.channel, wake, clock, memory, framebuffer, upcalls, reports, shadow: req.shadow });
      const model = type.create(host, d.props);
      models[d.dev] = model;
      methods[d.dev] = METHODS.filter((m) => typeof model[m] === 'function');
    }
    this.models = models;
    this.channel = req.channel;
    const i32 = new Int32Array(req.channel);
    this.env.setInterval(() => Atomics.add(i32, W.HEARTBEAT, 1), req.heartbeatMs);
    Atomics.add(i32, W.HEARTBEAT, 1);
    this.server = new ChannelServer(
      req.channel, wake, models, this.env,
      { syncWaitMs: this.env.syncWaitMs ?? 0.05, maxBusyMs: 4, spinMaxUs: this.env.spinMaxUs ?? 50 },
      () => this.env.exit(),
      () => this.env.throwUncaught(new Error(`${this.cls} worker: injected crash`)),
    );
    this.server.start();
    return { methods };
  }

  /** Record a fatal error (uncaught exception in device code, timers, backends) and exit. */
  die(e: unknown): void {
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    this.markFatal(msg);
    this.env.exit();
  }

  /** Record a fatal error in the channel without exiting (called from global error hooks). */
  markFatal(message: string): void {
    if (this.fatal) return;
    this.fatal = message;
    if (this.server) this.server.markDead(message);
    else if (this.channel) Atomics.store(new Int32Array(this.channel), W.STATE, ChannelState.Dead);
  }

  /**
   * Display device `dev` for a screen-access control call (screenText, screenshotPng,
   * displayMode): the ring is drained first, so the picture reflects every register write the
   * CPU posted before the call. Rendering runs in this worker, as the canvas refresh does.
   */
  display(dev: number): DisplayDevice {
    if (this.fatal) throw new Error(`${this.cls} worker failed: ${this.fatal}`);
    const d = asDisplayDevice(this.models[dev]);
    if (!d) throw new Error(`${this.cls} worker: device ${dev} is not a display device`);
    this.server?.catchUp();
    return d;
  }

  hasMemory(): boolean {
    return this.memoryBuffer !== undefined;
  }
  peek(offset: number): number {
    if (!this.memoryBuffer) throw new Error(`${this.cls} worker holds no guest memory`);
    return Atomics.load(new Uint8Array(this.memoryBuffer), offset);
  }
  poke(offset: number, value: number): void {
    if (!this.memoryBuffer) throw new Error(`${this.cls} worker holds no guest memory`);
    Atomics.store(new Uint8Array(this.memoryBuffer), offset, value);
  }
}

/**
 * The DeviceHost a device model gets inside a device worker: interrupt lines and platform
 * signals set in the channel with Atomics (then the CPU's wake word is bumped), the worker's
 * virtual clock, guest memory only if the class was granted it, shadow-register publication,
 * ISA DMA and reports (taint, guest errors, logs) as asynchronous upcalls to the CPU side.
 * Guest errors and logs are batched and rate-limited so a hostile guest cannot flood the
 * control plane.
 */
import type { AccessSize, DeviceHost, DeviceType, FramebufferAccess, IrqLine, LogLevel } from '../devices/api.js';
import { IRQ_WORD, MAX_IRQS, SHADOW_WORD, STATS_BYTE, STATS_PER_DEVICE, MAX_DEVICES, W, wakeCpu } from './layout.js';
import type { AttachDevice, Upcalls } from './protocol.js';
import { shadowKey, type ShadowSlot } from './shadow.js';
import type { SharedGuestMemory } from './guest-memory.js';
import type { HostTimers, WorkerClock } from './worker-clock.js';
import { deviceSeed, xorshift } from './device-types.js';

/** Turns a structured-cloned backend description into the object a device expects. */
export type BackendAdapter = (description: Record<string, unknown>) => unknown;
const backendAdapters = new Map<string, BackendAdapter>();

/**
 * Register a worker-side backend adapter for descriptions `{ kind, ... }` (e.g. a block
 * backend reached through a MessagePort). Descriptions without a registered adapter are
 * passed to the device as they are.
 */
export function registerBackendAdapter(kind: string, adapter: BackendAdapter): void {
  backendAdapters.set(kind, adapter);
}

/**
 * The backend for a description: adapters apply until the value is no registered `{ kind }`
 * (a bridged record may hold a description of its own, e.g. `{ kind: 'canvas', canvas }`
 * inside `{ kind: 'bridged', value }`), at most 4 times.
 */
export function resolveBackend(raw: unknown): unknown {
  let v = raw;
  for (let depth = 0; depth < 4; depth++) {
    if (!v || typeof v !== 'object' || typeof (v as { kind?: unknown }).kind !== 'string') return v;
    const a = backendAdapters.get((v as { kind: string }).kind);
    if (!a) return v;
    v = a(v as Record<string, unknown>);
  }
  return v;
}

class SharedIrqLine implements IrqLine {
  private readonly w: number;
  constructor(private readonly i32: Int32Array, dev: number, n: number, private readonly wake: Int32Array, private readonly stats: Float64Array, private readonly statIndex: number) {
    this.w = IRQ_WORD + (dev * MAX_IRQS + n) * 2;
  }
  /**
   * The level word is (rises << 1) | level, written only by this worker: a fall and a rise
   * between two polls of the CPU still show as a new rise count, so the edge is not lost.
   */
  set(level: boolean): void {
    const old = Atomics.load(this.i32, this.w);
    if ((old & 1) === (level ? 1 : 0)) return;
    Atomics.store(this.i32, this.w, level ? ((((old >>> 1) + 1) << 1) | 1) : old & ~1);
    if (level) this.stats[this.statIndex]++;
    Atomics.add(this.i32, W.IRQ_SEQ, 1);
    wakeCpu(this.wake);
  }
  raise(): void { this.set(true); }
  lower(): void { this.set(false); }
  pulse(): void {
    Atomics.add(this.i32, this.w + 1, 1);
    this.stats[this.statIndex]++;
    Atomics.add(this.i32, W.IRQ_SEQ, 1);
    wakeCpu(this.wake);
  }
}

/**
 * Send a fire-and-forget upcall: a failure on the CPU side (or a CPU side that is gone) must
 * not become an unhandled rejection, which would count as a crash of this worker.
 */
function fire(result: unknown): void {
  if (result && typeof (result as Promise<unknown>).catch === 'function') (result as Promise<unknown>).catch(() => {});
}

/** Batches reports from all devices of a worker and sends them at most every `periodMs`. */
export class ReportBatcher {
  private errors = new Map<string, { dev: number; message: string; repeats: number }>();
  private logs: { dev: number; level: LogLevel; message: string }[] = [];
  private droppedLogs = 0;
  private scheduled = false;
  constructor(private readonly upcalls: Upcalls, private readonly timers: HostTimers, private readonly periodMs = 50, private readonly maxLogs = 200) {}
  guestError(dev: number, message: string): void {
    const key = `${dev}:${message}`;
    const e = this.errors.get(key);
    if (e) e.repeats++;
    else if (this.errors.size < this.maxLogs) this.errors.set(key, { dev, message, repeats: 1 });
    this.schedule();
  }
  log(dev: number, level: LogLevel, message: string): void {
    if (this.logs.length < this.maxLogs) this.logs.push({ dev, level, message });
    else this.droppedLogs++;
    this.schedule();
  }
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.timers.setTimeout(() => this.flush(), this.periodMs);
  }
  flush(): void {
    this.scheduled = false;
    const errors = [...this.errors.values()];
    const logs = this.logs;
    const dropped = this.droppedLogs;
    this.errors = new Map();
    this.logs = [];
    this.droppedLogs = 0;
    for (const e of errors) fire(this.upcalls.guestError(e.dev, e.message, e.repeats));
    for (const l of logs) fire(this.upcalls.log(l.dev, l.level, l.message));
    if (dropped > 0) fire(this.upcalls.log(0, 'warn', `${dropped} log messages dropped (rate limit)`));
  }
}

export interface WorkerHostDeps {
  channel: SharedArrayBuffer;
  wake: Int32Array;
  clock: WorkerClock;
  /** Guest memory for this worker, if granted; a factory so each device counts its own DMA. */
  memory?: (onMove: (n: number) => void) => SharedGuestMemory;
  /** VRAM (the machine memory at layout.vramOffset), if granted. */
  framebuffer?: FramebufferAccess;
  upcalls: Upcalls;
  reports: ReportBatcher;
  shadow: readonly ShadowSlot[];
}

/** Build the host of one device inside a worker. */
export function createWorkerHost(d: AttachDevice, type: DeviceType, deps: WorkerHostDeps): DeviceHost {
  const i32 = new Int32Array(deps.channel);
  const stats = new Float64Array(deps.channel, STATS_BYTE, MAX_DEVICES * STATS_PER_DEVICE);
  const dmaStat = d.dev * STATS_PER_DEVICE;
  const irqStat = d.dev * STATS_PER_DEVICE + 1;
  const lines: IrqLine[] = [];
  for (let n = 0; n < MAX_IRQS; n++) lines.push(new SharedIrqLine(i32, d.dev, n, deps.wake, stats, irqStat));
  const slots = new Map<number, number>();
  for (const s of deps.shadow) if (s.dev === d.dev) slots.set(shadowKey(s.region, s.offset), s.slot);
  const caps = new Set(type.capabilities);
  const host: DeviceHost = {
    irq: (n = 0) => {
      if (!Number.isInteger(n) || n < 0 || n >= MAX_IRQS) throw new RangeError(`${d.id}: no interrupt line ${n}`);
      return lines[n];
    },
    clock: deps.clock,
    log: { log: (level, message) => deps.reports.log(d.dev, level, message) },
    taint: (reason) => fire(deps.upcalls.taint(d.dev, reason)),
    guestError: (message) => deps.reports.guestError(d.dev, message),
    random: xorshift(deviceSeed(d.dev, d.id)),
    publishShadow: (region: number, offset: number, size: AccessSize, value: number) => {
      const slot = slots.get(shadowKey(region, offset));
      if (slot === undefined) return; // only declared shadow registers may be published
      const w = SHADOW_WORD + slot * 2;
      Atomics.store(i32, w, value | 0);
      Atomics.store(i32, w + 1, 0x100 | size);
    },
    withdrawShadow: (region: number, offset: number) => {
      const slot = slots.get(shadowKey(region, offset));
      if (slot !== undefined) Atomics.store(i32, SHADOW_WORD + slot * 2 + 1, 0);
    },
    backend: resolveBackend(d.backend),
  };
  if (deps.memory && caps.has('guest-memory')) {
    host.memory = deps.memory((n) => { stats[dmaStat] += n; });
  }
  if (deps.framebuffer && caps.has('framebuffer')) host.framebuffer = deps.framebuffer;
  if (caps.has('platform-signals')) {
    host.signals = {
      setA20: (enabled) => {
        Atomics.store(i32, W.A20, enabled ? 1 : 0);
        Atomics.add(i32, W.SIGNAL_SEQ, 1);
        wakeCpu(deps.wake);
      },
      requestReset: (reason) => {
        fire(deps.upcalls.requestReset(d.dev, reason));
        Atomics.add(i32, W.RESET_REQS, 1);
        Atomics.add(i32, W.SIGNAL_SEQ, 1);
        wakeCpu(deps.wake);
      },
    };
  }
  if (d.resources.dmaChannels && d.resources.dmaChannels.length > 0) {
    host.isaDma = {
      transfer: async (channel, data, toMemory) => {
        const r = await deps.upcalls.isaDma(d.dev, channel, toMemory ? data.slice() : new Uint8Array(data.length), toMemory);
        if (!toMemory) data.set(r.data.subarray(0, Math.min(r.moved, data.length)));
        stats[dmaStat] += r.moved;
        return { moved: r.moved, tc: r.tc };
      },
    };
  }
  return host;
}

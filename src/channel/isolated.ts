/**
 * The isolated placement: one device worker per class, each with its own channel buffer.
 * A WorkerSlot owns one worker: it starts it (launcher), attaches the class's devices (memory
 * only for DMA/framebuffer classes), delivers the channel's interrupt lines and signals to the
 * machine, watches the worker (error/exit events, dead state, read deadlines, heartbeat), and
 * applies the failure response: stop | pause | detach | restart.
 */
import type { DeviceType, IrqLine, Resources } from '../devices/api.js';
import { ChannelClient } from './client.js';
import { loadDeviceTypes } from './device-types.js';
import { MAX_DEVICES, MAX_IRQS, PostedOp, createChannelBuffer, createWakeBuffer, wakeCpu } from './layout.js';
import type { DeviceSpec, PlacedDevices, PlacedWorker, PlacementServices } from './placement.js';
import { PLACEMENT_DEFAULTS } from './placement.js';
import {
  CLASS_GETS_MEMORY, WORKER_CLASSES, emptyStats, type AttachRequest, type DeviceHealth, type DeviceStats,
  type DeviceWorkerLink, type FailureCause, type FailureResponse, type Upcalls, type WorkerClass,
} from './protocol.js';
import { ChannelDeviceProxy } from './proxy.js';
import { assignShadowSlots } from './shadow.js';

/** Atomics.waitAsync (ES2024; Chromium and Node >= 16), typed here because lib is ES2022. */
type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t?: number): WaitAsyncResult }).waitAsync;

/** Longest sleep in waitForEvent between two clock publications / health checks. */
const CLOCK_SLICE_MS = 50;
/** waitForEvent(Infinity) returns 'timeout' after this long. */
const MAX_UNBOUNDED_WAIT_MS = 1000;

interface SlotDevice {
  spec: DeviceSpec;
  type: DeviceType;
  dev: number;
  resources: Resources;
  lines: IrqLine[];
  proxy?: ChannelDeviceProxy;
  stats: DeviceStats;
  /** DMA bytes of earlier worker incarnations. */
  dmaBase: number;
}

class WorkerSlot {
  link?: DeviceWorkerLink;
  client?: ChannelClient;
  health: DeviceHealth = 'running';
  restarts = 0;
  restarting?: Promise<void>;
  /** Stop serving the backends exported to the current worker. */
  private disposers: (() => void)[] = [];
  private readonly gate: Set<number>;
  private readonly signalling: boolean;

  constructor(readonly cls: WorkerClass, readonly devices: SlotDevice[], private readonly ctx: IsolatedContext) {
    this.gate = new Set(devices.map((d) => d.dev));
    this.signalling = devices.some((d) => d.type.capabilities.includes('platform-signals'));
  }

  get deviceIds(): string[] {
    return this.devices.map((d) => d.spec.id);
  }

  disposeBackends(): void {
    for (const d of this.disposers.splice(0)) d();
  }

  /** Launch the worker and attach the devices. */
  async start(): Promise<void> {
    const s = this.ctx.services;
    const link = await s.launcher!.launch(this.cls);
    this.link = link;
    const channel = createChannelBuffer();
    const client = new ChannelClient(channel, {
      deadlineMs: this.ctx.deadlineMs,
      hostNowMs: s.hostNowMs,
      onFailure: (cause, detail) => { if (this.client === client) this.failed(cause, detail); },
    });
    // A worker that dies while attaching must not leave the attach call pending forever.
    let attachFailed: (e: Error) => void = () => {};
    const failedDuringAttach = new Promise<never>((_, reject) => { attachFailed = reject; });
    failedDuringAttach.catch(() => { /* only raced below */ });
    link.onFailure((cause, detail) => {
      const why = client.deathCause() || detail;
      client.fail(cause, why);
      attachFailed(new Error(`${this.cls} worker failed while attaching (${cause}): ${why}`));
    });
    const shadow = assignShadowSlots(this.devices.map((d) => ({ dev: d.dev, resources: d.resources })));
    const transfer: unknown[] = [];
    const backends = this.devices.map((d) => {
      const ex = s.launcher!.exportBackend?.(d.spec.backend);
      if (!ex) return d.spec.backend;
      transfer.push(...ex.transfer);
      this.disposers.push(() => ex.dispose());
      return ex.description;
    });
    const grant = CLASS_GETS_MEMORY[this.cls] && s.memory !== undefined;
    const req: AttachRequest = {
      channel,
      wake: this.ctx.wakeBuffer,
      memory: grant ? s.memory!.buffer : undefined,
      layout: grant ? s.memory!.layout : undefined,
      cpuSideWindow: s.framebufferCpuSideWindow ?? false,
      devices: this.devices.map((d, i) => ({
        dev: d.dev, id: d.spec.id, type: d.spec.type, props: d.spec.props ?? {}, resources: d.resources,
        backend: backends[i], irqCount: d.lines.length,
      })),
      shadow,
      heartbeatMs: this.ctx.heartbeatMs,
      typeModules: this.ctx.typeModules,
    };
    client.publishClock(s.clock.now(), s.hostNowMs(), this.ctx.running);
    let result;
    try {
      result = await Promise.race([link.attach(req, this.upcalls(), transfer), failedDuringAttach]);
    } catch (e) {
      link.terminate();
      this.disposeBackends();
      throw e;
    }
    for (const d of this.devices) {
      if (!d.proxy) {
        d.proxy = new ChannelDeviceProxy(this, d.dev, d.spec.id, d.stats, result.methods[d.dev] ?? []);
        for (const sl of shadow) if (sl.dev === d.dev) d.proxy.addShadow(sl.region, sl.offset, sl.slot);
      } else {
        // A restarted worker gets the PCI BAR programming the guest did before the failure.
        for (const [bar, b] of d.proxy.bars) client.post(PostedOp.PciBarChanged, d.dev, bar, b.base, 4, b.enabled ? 1 : 0);
      }
    }
    this.client = client;
    this.health = 'running';
  }

  private upcalls(): Upcalls {
    const s = this.ctx.services;
    const byDev = (dev: number): SlotDevice | undefined => this.devices.find((d) => d.dev === dev);
    return {
      taint: (dev, reason) => { const d = byDev(dev); if (d) s.taint(d.spec.id, String(reason)); },
      guestError: (dev, message, repeats) => {
        const d = byDev(dev);
        if (d) s.guestError(d.spec.id, repeats > 1 ? `${message} (x${repeats})` : String(message));
      },
      log: (dev, level, message) => { const d = byDev(dev); s.log(d ? d.spec.id : this.cls, level, String(message)); },
      requestReset: (dev, reason) => { const d = byDev(dev); s.log(d ? d.spec.id : this.cls, 'info', `reset requested: ${reason}`); },
      isaDma: async (dev, channel, data, toMemory) => {
        const d = byDev(dev);
        if (!d || !s.isaDma || !(d.resources.dmaChannels ?? []).includes(channel)) {
          return { moved: 0, tc: false, data: new Uint8Array(0) };
        }
        const r = await s.isaDma.transfer(channel, data, toMemory);
        return { moved: r.moved, tc: r.tc, data: toMemory ? new Uint8Array(0) : data };
      },
    };
  }

  /** Deliver IRQ and signal changes from this worker's channel. */
  deliver(): boolean {
    const c = this.client;
    if (!c || this.health !== 'running') return false;
    let any = c.pollIrqs(this.deliverIrq);
    if (this.signalling) {
      const sig = this.ctx.services.signals;
      any = c.pollSignals((on) => sig?.setA20(on), () => sig?.requestReset(`reset requested by ${this.cls} device`)) || any;
    }
    return any;
  }

  afterRequest(): void {
    this.deliver();
  }

  private deliverIrq = (dev: number, line: number, level: boolean, pulses: number): void => {
    if (!this.gate.has(dev)) return; // a line no device of this worker owns
    const d = this.devices.find((x) => x.dev === dev)!;
    const l = d.lines[line];
    if (!l) return;
    const was = this.ctx.levels.get(l) ?? false;
    if (level && !was) d.stats.irqRaises++;
    this.ctx.levels.set(l, level);
    l.set(level);
    for (let i = 0; i < Math.min(pulses, 16); i++) { l.pulse(); d.stats.irqRaises++; }
  };

  /** React to a failure of this worker (called once per worker incarnation). */
  failed(cause: FailureCause, detail: string): void {
    const response: FailureResponse = this.ctx.services.failureResponse ?? PLACEMENT_DEFAULTS.failureResponse;
    const client = this.client;
    this.client = undefined;
    client?.dropIrqs(this.deliverIrq);
    for (const d of this.devices) {
      d.stats.failures++;
      if (client) d.dmaBase += client.workerStats(d.dev).dmaBytes;
      d.stats.dmaBytes = d.dmaBase;
    }
    this.health = response === 'stop' ? 'stopped' : response === 'pause' ? 'paused' : response === 'detach' ? 'detached' : 'restarting';
    this.link?.terminate();
    this.disposeBackends();
    const s = this.ctx.services;
    s.onEvent?.({
      kind: 'device-failed', devices: this.deviceIds, worker: this.cls, cause, detail,
      virtualTimeNs: s.clock.now(), hostTimeMs: s.hostNowMs(), response,
    });
    if (response === 'restart') this.restart();
    else if (response === 'detach') s.onEvent?.({ kind: 'device-detached', devices: this.deviceIds, worker: this.cls });
  }

  restart(): Promise<void> {
    if (this.restarting) return this.restarting;
    this.health = 'restarting';
    this.client = undefined;
    this.link?.terminate();
    const s = this.ctx.services;
    this.disposeBackends();
    this.restarting = this.start().then(
      () => {
        this.restarts++;
        s.onEvent?.({ kind: 'device-restarted', devices: this.deviceIds, worker: this.cls, restarts: this.restarts });
      },
      (e: unknown) => {
        this.health = 'detached';
        s.onEvent?.({ kind: 'device-restart-failed', devices: this.deviceIds, worker: this.cls, detail: String(e) });
      },
    ).finally(() => { this.restarting = undefined; });
    return this.restarting;
  }

  detach(): void {
    this.client = undefined;
    this.link?.terminate();
    this.disposeBackends();
    this.health = 'detached';
    this.ctx.services.onEvent?.({ kind: 'device-detached', devices: this.deviceIds, worker: this.cls });
  }
}

interface IsolatedContext {
  services: PlacementServices;
  wakeBuffer: SharedArrayBuffer;
  deadlineMs: number;
  heartbeatMs: number;
  typeModules: string[];
  running: boolean;
  /** Last level delivered per machine line (for raise counting). */
  levels: Map<IrqLine, boolean>;
}

export async function placeIsolated(specs: readonly DeviceSpec[], services: PlacementServices): Promise<PlacedDevices> {
  if (!services.launcher) throw new Error('placeDevices: the isolated placement needs services.launcher');
  const types = await loadDeviceTypes(services.typeModules);
  const ctx: IsolatedContext = {
    services,
    wakeBuffer: createWakeBuffer(),
    deadlineMs: services.deadlineMs ?? PLACEMENT_DEFAULTS.deadlineMs,
    heartbeatMs: services.heartbeatMs ?? PLACEMENT_DEFAULTS.heartbeatMs,
    typeModules: services.typeModules ?? [],
    running: true,
    levels: new Map(),
  };
  const heartbeatTimeoutMs = services.heartbeatTimeoutMs ?? PLACEMENT_DEFAULTS.heartbeatTimeoutMs;
  const byClass = new Map<WorkerClass, SlotDevice[]>();
  for (const spec of specs) {
    const type = types.get(spec.type);
    if (!type) throw new Error(`placeDevices: unknown device type '${spec.type}' (${spec.id})`);
    if (type.class === 'chipset') throw new Error(`placeDevices: '${spec.type}' is a chipset device; it runs in the CPU worker`);
    const list = byClass.get(type.class) ?? [];
    if (list.length >= MAX_DEVICES) throw new Error(`placeDevices: more than ${MAX_DEVICES} ${type.class} devices`);
    const props = { ...defaultProps(type), ...(spec.props ?? {}) };
    const resources = type.resources(props);
    const irqCount = Math.min(MAX_IRQS, Math.max(resources.irqs.length, resources.pci ? 1 : 0));
    const lines = Array.from({ length: irqCount }, (_, n) => services.irq(spec.id, n));
    list.push({ spec: { ...spec, props }, type, dev: list.length, resources, lines, stats: emptyStats(), dmaBase: 0 });
    byClass.set(type.class, list);
  }
  const classes = services.launchAllClasses ? [...WORKER_CLASSES] : [...byClass.keys()];
  const slots = classes.map((cls) => new WorkerSlot(cls, byClass.get(cls) ?? [], ctx));
  const started = await Promise.allSettled(slots.map((s) => s.start()));
  const bad = started.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
  if (bad) {
    for (const s of slots) s.link?.terminate();
    throw bad.reason instanceof Error ? bad.reason : new Error(String(bad.reason));
  }

  const deviceSlot = new Map<string, { slot: WorkerSlot; d: SlotDevice }>();
  for (const slot of slots) for (const d of slot.devices) deviceSlot.set(d.spec.id, { slot, d });
  const models = new Map<string, ChannelDeviceProxy>();
  for (const [id, x] of deviceSlot) models.set(id, x.d.proxy!);
  const wake = new Int32Array(ctx.wakeBuffer);
  const find = (id: string) => {
    const x = deviceSlot.get(id);
    if (!x) throw new Error(`no device '${id}'`);
    return x;
  };

  const poll = (): boolean => {
    let any = false;
    const now = services.clock.now();
    const host = services.hostNowMs();
    for (const slot of slots) {
      const c = slot.client;
      if (!c || slot.health !== 'running') continue;
      c.publishClock(now, host, ctx.running);
      if (!c.checkHealth(heartbeatTimeoutMs)) { any = true; continue; }
      if (slot.deliver()) any = true;
    }
    return any;
  };

  /** Milliseconds left of a halted wait: to the machine-clock deadline, or MAX_UNBOUNDED_WAIT_MS of host time without one. */
  const waitBudget = (deadlineNs: number): (() => number) => {
    if (deadlineNs !== Infinity) return () => (deadlineNs - services.clock.now()) / 1e6;
    const end = services.hostNowMs() + MAX_UNBOUNDED_WAIT_MS;
    return () => end - services.hostNowMs();
  };

  const placed: PlacedDevices = {
    placement: 'isolated',
    models,
    wakeBuffer: ctx.wakeBuffer,
    poll,
    waitForEvent(deadlineNs: number): 'event' | 'timeout' {
      // Sleep in slices of at most CLOCK_SLICE_MS: each slice ends with a poll, which
      // republishes the clock (a worker's virtual time runs at most 100 ms ahead of the last
      // publication) and checks the heartbeats. Without a deadline, give the thread back
      // after MAX_UNBOUNDED_WAIT_MS so its event loop (control calls, restarts) can run.
      const remainingMs = waitBudget(deadlineNs);
      for (;;) {
        const w = Atomics.load(wake, 0);
        if (poll()) return 'event';
        const ms = remainingMs();
        if (ms <= 0) return 'timeout';
        if (Atomics.wait(wake, 0, w, Math.min(ms, CLOCK_SLICE_MS)) !== 'timed-out') {
          poll();
          return 'event';
        }
      }
    },
    async waitForEventAsync(deadlineNs: number): Promise<'event' | 'timeout'> {
      // As waitForEvent, slice by slice, but each slice awaits Atomics.waitAsync.
      const remainingMs = waitBudget(deadlineNs);
      for (;;) {
        const w = Atomics.load(wake, 0);
        if (poll()) return 'event';
        const ms = remainingMs();
        if (ms <= 0) return 'timeout';
        const r = waitAsync(wake, 0, w, Math.min(ms, CLOCK_SLICE_MS));
        if ((r.async ? await r.value : r.value) !== 'timed-out') {
          poll();
          return 'event';
        }
      }
    },
    wake: () => wakeCpu(wake),
    setRunning(running: boolean) {
      ctx.running = running;
      const now = services.clock.now();
      for (const slot of slots) slot.client?.publishClock(now, services.hostNowMs(), running);
    },
    flush() {
      for (const slot of slots) {
        const d = slot.devices[0];
        if (d?.proxy) d.proxy.barrier();
      }
    },
    health: (id) => find(id).slot.health,
    stats(id) {
      const { slot, d } = find(id);
      d.stats.dmaBytes = d.dmaBase + (slot.client ? slot.client.workerStats(d.dev).dmaBytes : 0);
      return { ...d.stats };
    },
    crash(id) {
      const { slot, d } = find(id);
      slot.client?.post(PostedOp.InjectCrash, d.dev, 0, 0, 1, 0);
    },
    hang(id) {
      const { slot, d } = find(id);
      slot.client?.post(PostedOp.InjectHang, d.dev, 0, 0, 1, 0);
    },
    async resolve(id, action) {
      const { slot } = find(id);
      if (slot.health === 'running') return;
      if (action === 'restart') await slot.restart();
      else slot.detach();
    },
    async settled() {
      for (const s of slots) if (s.restarting) await s.restarting;
    },
    workers: () => slots.map((slot): PlacedWorker => ({
      cls: slot.cls,
      devices: slot.deviceIds,
      health: slot.health,
      hello: () => slot.link!.api.hello(),
      probe: () => slot.link!.api.probe(),
      hasMemory: () => slot.link!.api.hasMemory(),
      peek: (o) => slot.link!.api.peek(o),
      poke: (o, v) => slot.link!.api.poke(o, v),
    })),
    display(id) {
      const { slot, d } = find(id);
      if (d.type.class !== 'display') return undefined;
      const api = () => {
        if (slot.health !== 'running' || !slot.link) return Promise.reject(new Error(`${id}: the display worker is ${slot.health}`));
        slot.client?.publish(); // batched posted writes must reach the worker before it renders
        return Promise.resolve(slot.link.api);
      };
      return {
        screenText: async () => (await api()).screenText(d.dev),
        screenshotPng: async () => (await api()).screenshotPng(d.dev),
        displayMode: async () => (await api()).displayMode(d.dev),
      };
    },
    async shutdown() {
      for (const slot of slots) {
        slot.health = 'detached';
        slot.client = undefined;
        slot.link?.terminate();
        slot.disposeBackends();
      }
    },
  };
  return placed;
}

function defaultProps(type: DeviceType): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const [k, p] of Object.entries(type.properties)) out[k] = p.default;
  return out;
}

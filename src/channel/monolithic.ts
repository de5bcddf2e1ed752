/**
 * The monolithic placement: every device is created in the calling (CPU) thread with
 * DeviceType.create, the way QEMU runs a device in-process. A guard around each model gives
 * the failure semantics of the isolated placement where a single thread can: an exception
 * escaping device code is a crash; a call that returns after the deadline is a (late) deadline
 * failure; the response (stop/pause/detach/restart) is applied the same way. What it cannot
 * contain is a device that never returns — that hangs the CPU thread, which is exactly what
 * the isolated placement exists for — so hang(id) is simulated here as an immediate deadline
 * failure on the device's next access (docs/channel.md).
 */
import type { AccessSize, DeviceHost, DeviceModel, DeviceState, DeviceType, IrqLine, Timer } from '../devices/api.js';
import { deviceSeed, loadDeviceTypes, xorshift } from './device-types.js';
import { SharedGuestMemory } from './guest-memory.js';
import { allOnes, createWakeBuffer, wakeCpu } from './layout.js';
import type { DeviceSpec, PlacedDevices, PlacementServices } from './placement.js';
import { PLACEMENT_DEFAULTS } from './placement.js';
import { emptyStats, type DeviceHealth, type DeviceStats, type FailureCause, type FailureResponse } from './protocol.js';
import { resolveBackend } from './worker-host.js';
import { asDisplayDevice, type DisplayDevice } from '../devices/display/render/types.js';

class GuardedDevice implements DeviceModel {
  model?: DeviceModel;
  health: DeviceHealth = 'running';
  hangInjected = false;
  readonly stats: DeviceStats = emptyStats();
  readonly bars = new Map<number, { base: number; enabled: boolean }>();
  restarts = 0;
  private timers = new Set<Timer>();

  constructor(readonly spec: DeviceSpec, readonly type: DeviceType, readonly dev: number, private readonly ctx: MonoContext) {}

  /** Create (or re-create, on restart) the model with a fresh host. */
  create(): void {
    const s = this.ctx.services;
    const id = this.spec.id;
    const caps = new Set(this.type.capabilities);
    const lines = new Map<number, IrqLine>();
    const stats = this.stats;
    const guard = this;
    const host: DeviceHost = {
      irq: (n = 0) => {
        let l = lines.get(n);
        if (!l) {
          const real = s.irq(id, n);
          let level = false;
          l = {
            set(v: boolean) { if (guard.health !== 'running') return; if (v && !level) stats.irqRaises++; level = v; real.set(v); },
            raise() { this.set(true); },
            lower() { this.set(false); },
            pulse() { if (guard.health !== 'running') return; stats.irqRaises++; real.pulse(); },
          };
          lines.set(n, l);
        }
        return l;
      },
      clock: {
        now: () => s.clock.now(),
        createTimer: (cb) => {
          const t = s.clock.createTimer(() => {
            if (guard.health !== 'running') return;
            try { cb(); } catch (e) { guard.fail('crash', `timer callback threw: ${describe(e)}`); }
          });
          this.timers.add(t);
          return t;
        },
      },
      log: { log: (level, message) => s.log(id, level, message) },
      taint: (reason) => s.taint(id, reason),
      guestError: (message) => s.guestError(id, message),
      random: xorshift(deviceSeed(this.dev, id)),
      publishShadow: () => { /* reads are direct calls here; nothing to shadow */ },
      withdrawShadow: () => { /* likewise */ },
      backend: resolveBackend(this.spec.backend),
    };
    if (s.memory && caps.has('guest-memory')) {
      host.memory = new SharedGuestMemory(s.memory.buffer, s.memory.layout, (n) => { stats.dmaBytes += n; });
    }
    if (s.memory && caps.has('framebuffer')) {
      const l = s.memory.layout;
      host.framebuffer = { vram: new Uint8Array(s.memory.buffer, l.vramOffset, l.vramSize), cpuSideWindow: s.framebufferCpuSideWindow ?? false };
    }
    if (caps.has('platform-signals') && s.signals) host.signals = s.signals;
    const dma = this.type.resources(this.spec.props ?? {}).dmaChannels;
    if (s.isaDma && dma && dma.length > 0) {
      const isa = s.isaDma;
      host.isaDma = {
        transfer: async (channel, data, toMemory) => {
          if (!dma.includes(channel)) return { moved: 0, tc: false };
          const r = await isa.transfer(channel, data, toMemory);
          stats.dmaBytes += r.moved;
          return r;
        },
      };
    }
    // The machine's lines exist from the start, as in the isolated placement.
    const res = this.type.resources(this.spec.props ?? {});
    for (let n = 0; n < Math.max(res.irqs.length, res.pci ? 1 : 0); n++) host.irq(n);
    this.model = this.type.create(host, this.spec.props ?? {});
    for (const [bar, b] of this.bars) this.model.pciBarChanged?.(bar, b.base, b.enabled);
    const self = this as unknown as Record<string, unknown>;
    if (!this.model.saveState) self.saveState = undefined;
    if (!this.model.loadState) self.loadState = undefined;
  }

  fail(cause: FailureCause, detail: string): void {
    if (this.health !== 'running') return;
    const s = this.ctx.services;
    const response: FailureResponse = s.failureResponse ?? PLACEMENT_DEFAULTS.failureResponse;
    this.stats.failures++;
    this.health = response === 'stop' ? 'stopped' : response === 'pause' ? 'paused' : response === 'detach' ? 'detached' : 'restarting';
    this.dropModel();
    s.onEvent?.({
      kind: 'device-failed', devices: [this.spec.id], worker: 'monolithic', cause, detail,
      virtualTimeNs: s.clock.now(), hostTimeMs: s.hostNowMs(), response,
    });
    if (response === 'restart') this.restart();
    else if (response === 'detach') s.onEvent?.({ kind: 'device-detached', devices: [this.spec.id], worker: 'monolithic' });
  }

  private dropModel(): void {
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    const m = this.model;
    this.model = undefined;
    try { m?.destroy?.(); } catch { /* a failed device's destroy may fail too */ }
  }

  restart(): void {
    const s = this.ctx.services;
    this.health = 'restarting';
    this.hangInjected = false;
    this.dropModel();
    try {
      this.create();
      this.health = 'running';
      this.restarts++;
      s.onEvent?.({ kind: 'device-restarted', devices: [this.spec.id], worker: 'monolithic', restarts: this.restarts });
    } catch (e) {
      this.health = 'detached';
      s.onEvent?.({ kind: 'device-restart-failed', devices: [this.spec.id], worker: 'monolithic', detail: describe(e) });
    }
  }

  /**
   * Run one call into the model under the guard; `fallback` when failed. Reads are timed (the
   * deadline, and the blocked-time statistic); writes are not, since two host-clock reads
   * (~130 ns each in Node) would cost more than most device writes.
   */
  private call<T>(fallback: T, read: boolean, fn: (m: DeviceModel) => T): T {
    const m = this.model;
    if (!m || this.health !== 'running') return fallback;
    if (this.hangInjected) {
      this.fail('deadline', 'injected hang (simulated in the monolithic placement: a real hang would stop the CPU thread)');
      return fallback;
    }
    if (!read || !this.ctx.timing) {
      try {
        return fn(m);
      } catch (e) {
        this.fail('crash', `device code threw: ${describe(e)}`);
        return fallback;
      }
    }
    const s = this.ctx.services;
    const t0 = s.hostNowMs();
    let v: T;
    try {
      v = fn(m);
    } catch (e) {
      this.fail('crash', `device code threw: ${describe(e)}`);
      return fallback;
    }
    const dt = s.hostNowMs() - t0;
    this.stats.blockedMs += dt;
    if (dt > this.ctx.deadlineMs) {
      this.fail('deadline', `a read took ${Math.round(dt)} ms (deadline ${this.ctx.deadlineMs} ms)`);
      return fallback;
    }
    return v;
  }

  /**
   * A screen-access call into the display model (placed.display): rejected unless running; an
   * exception from the model is a crash, as for any other call into device code.
   */
  async displayCall<T>(fn: (d: DisplayDevice) => T): Promise<T> {
    const d = asDisplayDevice(this.model);
    if (!d || this.health !== 'running') throw new Error(`${this.spec.id}: the display device is ${d ? this.health : 'not a display device'}`);
    try {
      return fn(d);
    } catch (e) {
      this.fail('crash', `device code threw: ${describe(e)}`);
      throw e;
    }
  }

  ioRead(region: number, offset: number, size: AccessSize): number {
    this.stats.reads++;
    return fit(this.call(allOnes(size), true, (m) => (m.ioRead ? m.ioRead(region, offset, size) : allOnes(size))), size);
  }
  ioWrite(region: number, offset: number, size: AccessSize, value: number): void {
    this.stats.postedWrites++;
    this.call(undefined, false, (m) => m.ioWrite?.(region, offset, size, value));
  }
  ioReadString(region: number, offset: number, size: AccessSize, into: Uint8Array): void {
    this.stats.bulkBytes += into.length;
    const ok = this.call(false, true, (m) => {
      if (m.ioReadString) m.ioReadString(region, offset, size, into);
      else for (let i = 0; i + size <= into.length; i += size) {
        const v = m.ioRead ? m.ioRead(region, offset, size) : allOnes(size);
        for (let b = 0; b < size; b++) into[i + b] = (v >>> (8 * b)) & 0xff;
      }
      return true;
    });
    if (!ok) into.fill(0xff);
  }
  ioWriteString(region: number, offset: number, size: AccessSize, from: Uint8Array): void {
    this.stats.bulkBytes += from.length;
    this.call(undefined, false, (m) => {
      if (m.ioWriteString) m.ioWriteString(region, offset, size, from);
      else for (let i = 0; i + size <= from.length; i += size) {
        let v = 0;
        for (let b = 0; b < size; b++) v |= from[i + b] << (8 * b);
        m.ioWrite?.(region, offset, size, v >>> 0);
      }
    });
  }
  mmioRead(region: number, offset: number, size: AccessSize): number {
    this.stats.reads++;
    return fit(this.call(allOnes(size), true, (m) => (m.mmioRead ? m.mmioRead(region, offset, size) : allOnes(size))), size);
  }
  mmioWrite(region: number, offset: number, size: AccessSize, value: number): void {
    this.stats.postedWrites++;
    this.call(undefined, false, (m) => m.mmioWrite?.(region, offset, size, value));
  }
  pciConfigRead(offset: number, size: AccessSize): number {
    this.stats.reads++;
    return fit(this.call(0, true, (m) => (m.pciConfigRead ? m.pciConfigRead(offset, size) : 0)), size);
  }
  pciConfigWrite(offset: number, size: AccessSize, value: number): void {
    this.stats.postedWrites++;
    this.call(undefined, false, (m) => m.pciConfigWrite?.(offset, size, value));
  }
  pciBarChanged(bar: number, base: number, enabled: boolean): void {
    this.bars.set(bar, { base, enabled });
    this.call(undefined, false, (m) => m.pciBarChanged?.(bar, base, enabled));
  }
  reset(): void {
    this.call(undefined, false, (m) => m.reset?.());
  }
  destroy(): void {
    this.call(undefined, false, (m) => m.destroy?.());
  }
  saveState(): DeviceState {
    const st = this.call<DeviceState | undefined>(undefined, false, (m) => m.saveState?.());
    if (!st) throw new Error(`${this.spec.id}: device is ${this.health}; no state`);
    return st;
  }
  loadState(state: DeviceState): void {
    this.call(undefined, false, (m) => m.loadState?.(state));
  }
}

/** A read value cut to its access size, as the channel delivers it in the isolated placement. */
function fit(v: number, size: AccessSize): number {
  return size === 4 ? v >>> 0 : v & (size === 1 ? 0xff : 0xffff);
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

interface MonoContext {
  services: PlacementServices;
  deadlineMs: number;
  timing: boolean;
}

export async function placeMonolithic(specs: readonly DeviceSpec[], services: PlacementServices): Promise<PlacedDevices> {
  const types = await loadDeviceTypes(services.typeModules);
  const ctx: MonoContext = { services, deadlineMs: services.deadlineMs ?? PLACEMENT_DEFAULTS.deadlineMs, timing: services.monolithicReadTiming ?? true };
  const devices = new Map<string, GuardedDevice>();
  const perClass = new Map<string, number>();
  for (const spec of specs) {
    const type = types.get(spec.type);
    if (!type) throw new Error(`placeDevices: unknown device type '${spec.type}' (${spec.id})`);
    const props: Record<string, number | string | boolean> = {};
    for (const [k, p] of Object.entries(type.properties)) props[k] = p.default;
    Object.assign(props, spec.props ?? {});
    const dev = perClass.get(type.class) ?? 0;
    perClass.set(type.class, dev + 1);
    const g = new GuardedDevice({ ...spec, props }, type, dev, ctx);
    g.create();
    devices.set(spec.id, g);
  }
  const wakeBuffer = createWakeBuffer();
  const wake = new Int32Array(wakeBuffer);
  const find = (id: string) => {
    const g = devices.get(id);
    if (!g) throw new Error(`no device '${id}'`);
    return g;
  };
  return {
    placement: 'monolithic',
    models: devices,
    wakeBuffer,
    poll: () => false, // devices drive the machine's lines directly
    waitForEvent(deadlineNs: number) {
      const w = Atomics.load(wake, 0);
      const timeoutMs = deadlineNs === Infinity ? 1000 : Math.max(0, (deadlineNs - services.clock.now()) / 1e6);
      return Atomics.wait(wake, 0, w, timeoutMs) === 'timed-out' ? 'timeout' : 'event';
    },
    wake: () => wakeCpu(wake),
    setRunning: () => { /* the machine clock is the devices' clock */ },
    flush: () => { /* writes are applied synchronously */ },
    health: (id) => find(id).health,
    stats: (id) => ({ ...find(id).stats }),
    crash(id) {
      find(id).fail('crash', 'injected crash');
    },
    hang(id) {
      find(id).hangInjected = true;
    },
    async resolve(id, action) {
      const g = find(id);
      if (g.health === 'running') return;
      if (action === 'restart') g.restart();
      else {
        g.health = 'detached';
        services.onEvent?.({ kind: 'device-detached', devices: [id], worker: 'monolithic' });
      }
    },
    settled: async () => { /* restarts are synchronous */ },
    workers: () => [],
    display(id) {
      const g = find(id);
      if (g.type.class !== 'display') return undefined;
      return {
        screenText: () => g.displayCall((d) => d.screenText()),
        screenshotPng: () => g.displayCall((d) => d.screenshotPng()),
        displayMode: () => g.displayCall((d) => d.displayMode()),
      };
    },
    async shutdown() {
      for (const g of devices.values()) {
        try { g.model?.destroy?.(); } catch { /* ignore */ }
        g.health = 'detached';
      }
    },
  };
}

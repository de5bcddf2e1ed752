/**
 * The Bulkhead PC: `createMachine(config, host)` builds an i440FX/PIIX3 machine (QEMU's `pc`
 * machine type is the reference) from a typed MachineConfig and the host's services, and
 * returns a Machine with start/pause/resume/reset/stop, typed events and test helpers.
 *
 * Build order: layout → router (the CpuHost) → memory and core (host.createCore) → memory map
 * and BIOS → clock and TSC → chipset devices (always local) → other devices (through the
 * placement seam) → bus tables → platform wiring (src/machine/platform.ts: PIC, PCI, PAM,
 * CMOS, fw_cfg) → page map → CPU reset. Resets (port 0x92, PIIX3 0xCF9, the i8042 pulse,
 * triple fault, user) all run the same sequence: every device's reset(), the core's reset(),
 * the page map rebuilt, A20 on.
 */
import type { AccessSize, DeviceHost, DeviceModel, DeviceProps, DeviceType, GuestMemory, Resources } from '../devices/api.js';
import { placeDevices, type PlacedDevices, type PlacementServices } from '../channel/placement.js';
import type { PlacementEvent } from '../channel/protocol.js';
import { deviceTypes } from '../devices/registry.js';
import { loadDeviceTypes } from '../channel/device-types.js';
import { VirtualClock, TSC_HZ } from './clock.js';
import type { MachineConfig, MachineHost, Placement } from './config.js';
import type { CpuCoreApi } from './cpu-api.js';
import { TypedEmitter } from './events.js';
import { RamGuestMemory } from './guest-memory.js';
import { IoRouter, type BusDevice, type UnhandledAccess } from './io-router.js';
import { IrqWiring } from './irq-wiring.js';
import { computeLayout, type MemoryLayout } from './layout.js';
import { MemoryMap } from './memory-map.js';
import { Platform } from './platform.js';
import { RunLoop, sleepWaiter, type Waiter } from './run-loop.js';
import { ConsoleWatch, type ConsoleMatch } from './console-watch.js';
import { ConsoleStream } from './console-stream.js';
import { SecurityState, type SecurityEvent } from '../security/taint-log.js';
import { parseSecurityPolicy, type TaintReason } from '../security/policy.js';
import { qmpTimestamp, type QmpAnswer, type QmpCommand, type QmpEvent } from '../qmp/protocol.js';
import { executeQmp } from '../qmp/dispatcher.js';
import { checkMachineStart, effectivePlacement } from './security.js';
import { MachineQmp } from './machine-qmp.js';
import { VgaWiring } from './vga-wiring.js';
import { wireNetdevs, type NetWiring } from './net-wiring.js';
import { screenshotPng, screenText } from './screen-access.js';
import { asDisplayDevice, type DisplayDevice } from '../devices/display/render/types.js';

export type MachineState = 'created' | 'running' | 'paused' | 'halted' | 'stopped';

export interface MachineEvents {
  state: { state: MachineState };
  /** Bytes on a console: 'debugcon', 'port:0x3f8', 'serial0', ... */
  console: { source: string; bytes: Uint8Array };
  reset: { reason: string };
  /**
   * The guest stopped for good: HLT with interrupts off, a triple fault (reset by default, or
   * the machine halts with onTripleFault 'stop'). A device failure with response 'stop' halts
   * the machine too (see the 'device' event).
   */
  stuck: { reason: 'halted-forever' | 'triple-fault'; registers: Record<string, number> };
  'guest-error': { device: string; message: string };
  /** First unclaimed access per port/page and kind (counts continue in the router). */
  unhandled: UnhandledAccess;
  taint: { device: string; reason: string };
  /** A placed device failed / restarted / was detached (src/channel/protocol.ts). */
  device: PlacementEvent;
  log: { level: 'debug' | 'info' | 'warn' | 'error'; source: string; message: string };
  /** Security state changes (src/security/taint-log.ts): TAINTED, POLICY_CHANGED, SECURITY_WARNING. */
  security: SecurityEvent;
  /** The guest was stopped because a taint arrived under the strict policy (docs/security.md). */
  'security-stop': { message: string; reason: TaintReason };
  /** Every QMP event, in order (also kept in Machine.qmpEvents). */
  qmp: QmpEvent;
}

/** One instantiated device. */
export interface MachineDevice {
  id: string;
  type: DeviceType;
  model: DeviceModel;
  bus: BusDevice;
  local: boolean;
  guestErrors: number;
}

export interface MachineReport {
  state: MachineState;
  virtualTimeNs: number;
  instructions: number;
  postCode: number | undefined;
  devices: { id: string; type: string; reads: number; writes: number; bulkBytes: number; guestErrors: number }[];
  unhandledPorts: { port: number; reads: number; writes: number }[];
  taints: { device: string; reason: string }[];
}

const MAX_EVENTS_PER_DEVICE = 50;

export class Machine {
  readonly events = new TypedEmitter<MachineEvents>();
  readonly devices: MachineDevice[] = [];
  readonly taints: { device: string; reason: string }[] = [];
  private stateValue: MachineState = 'created';
  private readonly loop: RunLoop;
  private readonly watch = new ConsoleWatch();
  private readonly unhandledSeen = new Set<string>();
  private lastPostCode: number | undefined;
  /** Set by the builder: the chipset wiring (PAM re-apply after reset, IRQ lines). */
  platform!: Platform;
  private placedDevices: PlacedDevices | undefined;
  private waiterCache: Waiter | undefined;
  /** @internal Consoles backed by device byte streams (DeviceConfig.console). */
  readonly consoleStreams = new Map<string, ConsoleStream>();
  /** Failures of placed devices, as reported by the placement. */
  readonly deviceEvents: PlacementEvent[] = [];
  /** Policy and sticky taint log (docs/security.md). */
  readonly security: SecurityState;
  /** Every QMP event emitted so far (the last 1000), for late listeners (the CLI's QMP stream). */
  readonly qmpEvents: QmpEvent[] = [];
  private qmpAdapter: MachineQmp | undefined;
  /** Hot-plugged devices, each placed on its own (device id → its placement). */
  private readonly hotPlaced = new Map<string, PlacedDevices>();
  /** @internal CPU-side VGA halves (src/machine/vga-wiring.ts), re-applied after page-map rebuilds. */
  readonly vgaWirings: VgaWiring[] = [];
  /** @internal Display devices' models as placed (before the CPU-side wrapping), by id. */
  readonly displayModels = new Map<string, DeviceModel>();
  /** @internal Set by createMachine: creates, places and plugs a PCI device at run time. */
  hotPlugger: ((type: DeviceType, id: string, props: DeviceProps) => Promise<MachineDevice>) | undefined;
  /** The NICs' network backends (config.netdevs; src/machine/net-wiring.ts). */
  network: NetWiring | undefined;

  constructor(
    readonly config: MachineConfig,
    readonly host: MachineHost,
    readonly layout: MemoryLayout,
    readonly core: CpuCoreApi,
    readonly router: IoRouter,
    readonly memoryMap: MemoryMap,
    readonly clock: VirtualClock,
    readonly irqs: IrqWiring,
    private readonly makeWaiter: () => Waiter,
  ) {
    // The waiter depends on the placement, which exists only after the devices are placed.
    const waiter: Waiter = { wait: (ms) => this.waiter.wait(ms), wake: () => this.waiter.wake() };
    clock.onEarlierDeadline = () => waiter.wake();
    this.loop = new RunLoop({
      core,
      clock,
      waiter,
      hostNowMs: () => host.nowNs() / 1e6,
      yieldToHost: host.yieldToHost ? () => host.yieldToHost!() : () => host.sleep(0),
      beforeSlice: () => {
        this.placedDevices?.poll();
        for (const p of this.hotPlaced.values()) p.poll();
      },
      onTripleFault: (registers) => {
        this.events.emit('stuck', { reason: 'triple-fault', registers });
        if ((config.onTripleFault ?? 'reset') === 'reset') this.performReset('triple fault');
        else this.halt('triple fault');
      },
      onHaltedForever: (registers) => {
        this.events.emit('stuck', { reason: 'halted-forever', registers });
        this.halt('HLT with interrupts disabled');
      },
    });
    this.events.on('console', ({ source, bytes }) => this.watch.feed(source, bytes, host.nowNs() / 1e6));
    this.security = new SecurityState(parseSecurityPolicy(config.policy ?? 'none'), () => Math.floor(this.wallClockMs()), (e) => this.securityEvent(e));
  }

  /** Wall-clock milliseconds since the epoch (taint times, QMP timestamps). */
  wallClockMs(): number {
    return this.host.hostNowMs ? this.host.hostNowMs() : Date.now();
  }

  /**
   * Execute one QMP command (src/qmp/dispatcher.ts): the same implementation the command line
   * (`--qmp stdio`) and the page use. Always resolves to a QMP answer, never throws.
   */
  qmp(cmd: QmpCommand): Promise<QmpAnswer> {
    return executeQmp((this.qmpAdapter ??= new MachineQmp(this)), cmd);
  }

  /** @internal Emit a QMP event (timestamped now) to listeners and the event history. */
  qmpEvent(event: string, data?: Record<string, unknown>): void {
    const e: QmpEvent = data === undefined
      ? { event, timestamp: qmpTimestamp(this.wallClockMs()) }
      : { event, data, timestamp: qmpTimestamp(this.wallClockMs()) };
    this.qmpEvents.push(e);
    if (this.qmpEvents.length > 1000) this.qmpEvents.shift();
    this.events.emit('qmp', e);
  }

  private securityEvent(e: SecurityEvent): void {
    this.events.emit('security', e);
    if (e.event === 'TAINTED') {
      const r = e.reason;
      this.qmpEvent('TAINTED', { kind: r.kind, source: r.source, ...(r.device === undefined ? {} : { device: r.device }), message: r.message, time: r.time });
    } else if (e.event === 'POLICY_CHANGED') {
      this.qmpEvent('POLICY_CHANGED', { from: e.from, to: e.to });
    } else {
      this.log('warn', 'security', e.message);
      this.qmpEvent('SECURITY_WARNING', { message: e.message });
    }
  }

  /**
   * @internal Record a taint reason that arises while the machine exists (runtime hint, detached
   * device, hot-added device). Under strict a running guest is stopped with a report.
   */
  recordTaint(reason: Omit<TaintReason, 'time'>): void {
    const before = this.security.reasons.length;
    const action = this.security.taint(reason);
    if (action !== 'stop' || this.security.reasons.length === before) return;
    if (this.stateValue === 'stopped' || this.stateValue === 'halted') return;
    const message = `security policy 'strict' stopped the guest: ${reason.message}`;
    this.log('error', 'security', message);
    this.events.emit('security-stop', { message, reason: this.security.reasons[this.security.reasons.length - 1] });
    this.halt(message);
  }

  get state(): MachineState {
    return this.stateValue;
  }

  /** The placed non-chipset devices (channel placement), if any. */
  get placed(): PlacedDevices | undefined {
    return this.placedDevices;
  }

  set placed(p: PlacedDevices | undefined) {
    this.placedDevices = p;
    this.waiterCache = undefined;
  }

  private get waiter(): Waiter {
    return (this.waiterCache ??= this.makeWaiter());
  }

  private setState(s: MachineState): void {
    if (this.stateValue === s) return;
    const from = this.stateValue;
    this.stateValue = s;
    this.events.emit('state', { state: s });
    // QMP's run-state events: RESUME when the guest starts running, STOP when it stops.
    if (s === 'running') this.qmpEvent('RESUME');
    else if (from === 'running' && (s === 'paused' || s === 'halted')) this.qmpEvent('STOP');

  }

  /** Run the guest (from 'created' or 'paused'). */
  start(): void {
    if (this.stateValue === 'running') return;
    if (this.stateValue === 'stopped' || this.stateValue === 'halted') throw new Error(`machine is ${this.stateValue}`);
    this.clock.start();
    this.placedDevices?.setRunning(true);
    for (const p of this.hotPlaced.values()) p.setRunning(true);
    this.setState('running');
    this.loop.start().catch((e: unknown) => {
      this.log('error', 'machine', `run loop failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      this.clock.freeze();
      this.setState('stopped');
      this.watch.failAll(`machine stopped: ${e instanceof Error ? e.message : String(e)}`);
    });
  }

  /** Pause: the CPU stops at the end of its slice and virtual time freezes. */
  async pause(): Promise<void> {
    if (this.stateValue !== 'running') return;
    await this.loop.stop();
    this.clock.freeze();
    this.placedDevices?.setRunning(false);
    for (const p of this.hotPlaced.values()) p.setRunning(false);
    this.setState('paused');
  }

  resume(): void {
    if (this.stateValue === 'paused') this.start();
  }

  /** Reset the whole machine (CPU and devices), as the reset button does. */
  reset(reason = 'user'): void {
    if (this.loop.isRunning) this.loop.defer(() => this.performReset(reason));
    else this.performReset(reason);
  }

  /** Stop for good: end the loop, cancel timers, release devices and workers. */
  async stop(reason = 'stopped'): Promise<void> {
    if (this.stateValue === 'stopped') return;
    await this.loop.stop();
    this.clock.freeze();
    this.clock.cancelAll();
    for (const d of this.devices) {
      // Placed devices are destroyed once, by their placement's shutdown below (a second
      // destroy would close their backends twice).
      if (this.placedDevices?.models.has(d.id) || this.hotPlaced.has(d.id)) continue;
      try {
        d.model.destroy?.();
      } catch (e) {
        this.log('warn', d.id, `destroy failed: ${String(e)}`);
      }
    }
    await this.placedDevices?.shutdown();
    for (const p of this.hotPlaced.values()) await p.shutdown();
    this.setState('stopped');
    this.qmpEvent('SHUTDOWN', { guest: false, reason });
    this.watch.failAll(`machine ${reason}`);
  }

  /**
   * Resolve when `text` appears on a console (any by default); reject after `timeoutMs` of host
   * time (running or not) or when the machine stops. Text that already appeared counts.
   */
  waitForText(text: string, opts: { timeoutMs?: number; sources?: string[] } = {}): Promise<ConsoleMatch> {
    if (this.stateValue === 'halted' || this.stateValue === 'stopped') {
      const all = opts.sources ?? this.watch.sources();
      const source = all.find((s) => this.watch.text(s).includes(text));
      if (source !== undefined) return Promise.resolve({ source, text });
      return Promise.reject(new Error(`machine is ${this.stateValue} (while waiting for ${JSON.stringify(text)})`));
    }
    const w = this.watch.watch(text, opts.sources);
    if (opts.timeoutMs !== undefined) {
      const ms = opts.timeoutMs;
      void this.host.sleep(ms).then(() => w.expire(`timed out after ${ms} ms waiting for ${JSON.stringify(text)}`));
    }
    return w.promise;
  }

  /** Start (if needed) and wait for `text` on a console: the machine tests' helper. */
  runUntilText(text: string, timeoutMs: number, sources?: string[]): Promise<ConsoleMatch> {
    const p = this.waitForText(text, { timeoutMs, sources });
    if (this.stateValue === 'created' || this.stateValue === 'paused') this.start();
    return p;
  }

  /** Send bytes to the guest on a console made with DeviceConfig.console (a serial port). */
  sendConsole(name: string, data: Uint8Array | string): void {
    const stream = this.consoleStreams.get(name);
    if (!stream) throw new Error(`no console '${name}'`);
    const bytes = typeof data === 'string' ? Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff) : data;
    stream.input(bytes);
  }

  /**
   * The first display device's model, called synchronously: the model itself or the one behind
   * the monolithic placement's guard. Undefined without a display device, or when the display
   * runs in a device worker — use the async screenText()/screenshotPng() (both placements).
   */
  display(): DisplayDevice | undefined {
    for (const d of this.devices) {
      if (d.type.class !== 'display') continue;
      const placed = this.displayModels.get(d.id) ?? d.model;
      const inner = (placed as { model?: unknown }).model;
      const disp = asDisplayDevice(inner) ?? asDisplayDevice(placed);
      if (disp) return disp;
    }
    return undefined;
  }

  /** The display's text screen (src/machine/screen-access.ts); '' in graphics modes or without a display. */
  screenText(): Promise<string> {
    return screenText(this);
  }

  /** The display's current picture as a PNG file; undefined without a display device. */
  screenshotPng(): Promise<Uint8Array | undefined> {
    return screenshotPng(this);
  }

  /** Everything a console has shown (the last 1 MiB). */
  consoleText(source: string): string {
    return this.watch.text(source);
  }

  report(): MachineReport {
    const unhandledPorts: MachineReport['unhandledPorts'] = [];
    for (let p = 0; p < 65536; p++) {
      const r = this.router.unhandledPortReads[p];
      const w = this.router.unhandledPortWrites[p];
      if (r || w) unhandledPorts.push({ port: p, reads: r, writes: w });
    }
    return {
      state: this.stateValue,
      virtualTimeNs: this.clock.now(),
      instructions: this.loop.stats.instructions,
      postCode: this.lastPostCode,
      devices: this.devices.map((d) => ({ id: d.id, type: d.type.name, ...d.bus.stats, guestErrors: d.guestErrors })),
      unhandledPorts,
      taints: [...this.taints],
    };
  }

  /** The placement that runs device `id` (undefined for the chipset, which is always local). */
  placementOf(id: string): PlacedDevices | undefined {
    const hot = this.hotPlaced.get(id);
    if (hot) return hot;
    const d = this.device(id);
    return d && d.type.class !== 'chipset' ? this.placedDevices : undefined;
  }

  /** Whether device `id` was hot-plugged (and so can be hot-unplugged). */
  isHotPlugged(id: string): boolean {
    return this.hotPlaced.has(id);
  }

  /**
   * PCI hot-plug (QMP device_add after the policy check): create the device in the machine's
   * placement, put it on the bus (BARs unmapped) and in the next free PCI slot. The guest
   * sees it after a bus rescan or a reset (no hot-plug controller: docs/qmp.md).
   */
  async hotPlug(type: DeviceType, id: string, props: DeviceProps): Promise<MachineDevice> {
    if (!this.hotPlugger) throw new Error('this machine cannot hot-plug devices');
    if (this.device(id)) throw new Error(`duplicate device id '${id}'`);
    return this.hotPlugger(type, id, props);
  }

  /** @internal */
  registerHotPlaced(id: string, p: PlacedDevices): void {
    this.hotPlaced.set(id, p);
    p.setRunning(this.stateValue === 'running');
  }

  /** PCI hot-unplug of a hot-plugged device: off the bus and the router, its placement shut down. */
  async hotUnplug(id: string): Promise<void> {
    const p = this.hotPlaced.get(id);
    const i = this.devices.findIndex((d) => d.id === id);
    if (!p || i < 0) throw new Error(`device '${id}' was not hot-plugged`);
    this.platform.hotRemovePci(id);
    this.router.removeDevice(id);
    this.devices.splice(i, 1);
    this.hotPlaced.delete(id);
    await p.shutdown();
  }

  /** The device with instance id `id`. */
  device(id: string): MachineDevice | undefined {
    return this.devices.find((d) => d.id === id);
  }

  /** Run-loop statistics (slices, waits). */
  get loopStats(): RunLoop['stats'] {
    return this.loop.stats;
  }

  // ---- internals used by the builder and the platform --------------------------------------

  /** @internal A console produced bytes. */
  consoleOutput(source: string, bytes: Uint8Array): void {
    this.events.emit('console', { source, bytes });
  }

  /** @internal */
  setPostCode(code: number): void {
    this.lastPostCode = code;
  }

  /** @internal A device (or the platform) asks for a reset: run it outside the core's run(). */
  requestReset(reason: string): void {
    this.reset(reason);
  }

  /** @internal Wake the loop from a halt (an interrupt was raised). */
  wake(): void {
    this.loop.wake();
  }

  /** @internal */
  log(level: MachineEvents['log']['level'], source: string, message: string): void {
    this.host.logger?.log(level, source, message);
    this.events.emit('log', { level, source, message });
  }

  /** @internal A runtime taint hint from a device: sticky, listed with its reason. */
  addTaint(device: string, reason: string): void {
    this.taints.push({ device, reason });
    this.events.emit('taint', { device, reason });
    this.recordTaint({ kind: 'runtime', source: device, device, message: `device '${device}' reported a risky code path: ${reason}` });
  }

  /** @internal A placed device failed, restarted or was detached. */
  placementEvent(e: PlacementEvent): void {
    this.deviceEvents.push(e);
    this.events.emit('device', e);
    if (e.kind === 'device-failed') {
      this.qmpEvent('DEVICE_FAILED', { devices: [...e.devices], worker: e.worker, cause: e.cause, detail: e.detail, response: e.response });
    } else {
      this.qmpEvent(e.kind === 'device-restarted' ? 'DEVICE_RESTARTED' : e.kind === 'device-detached' ? 'DEVICE_DETACHED' : 'DEVICE_RESTART_FAILED', { devices: [...e.devices], worker: e.worker });
    }
    if (e.kind === 'device-detached' || (e.kind === 'device-failed' && e.response === 'detach')) {
      for (const id of e.devices) {
        this.recordTaint({ kind: 'device-detached', source: 'machine', device: id, message: `device '${id}' failed and was detached; the guest runs on without it` });
      }
    }
    if (e.kind !== 'device-failed') {
      this.log('info', e.devices.join(','), e.kind);
      return;
    }
    this.log('error', e.devices.join(','), `device failed (${e.cause}): ${e.detail}; response: ${e.response}`);
    if (e.response === 'stop') this.halt(`device ${e.devices.join(', ')} failed (${e.cause}): ${e.detail}`);
    else if (e.response === 'pause') void this.pause();
  }

  /** @internal */
  guestError(dev: MachineDevice | undefined, id: string, message: string): void {
    if (dev) dev.guestErrors++;
    if (!dev || dev.guestErrors <= MAX_EVENTS_PER_DEVICE) this.events.emit('guest-error', { device: id, message });
  }

  /** @internal */
  unhandled(a: UnhandledAccess): void {
    const key = `${a.kind}:${a.kind.startsWith('port') ? a.addr : Math.floor(a.addr / 4096)}`;
    if (this.unhandledSeen.has(key)) return;
    this.unhandledSeen.add(key);
    this.events.emit('unhandled', a);
  }

  private performReset(reason: string): void {
    for (const d of this.devices) {
      try {
        d.model.reset?.();
      } catch (e) {
        this.log('error', d.id, `reset failed: ${String(e)}`);
      }
    }
    this.core.reset();
    this.memoryMap.mapAll();
    for (const v of this.vgaWirings) v.afterPageMap();
    this.memoryMap.setA20(true);
    this.platform.afterReset();
    this.events.emit('reset', { reason });
    this.qmpEvent('RESET', { guest: reason !== 'user' && reason !== 'qmp', reason });
    // A machine that had stopped for good can run again after a reset (start() or resume()).
    if (this.stateValue === 'halted') this.setState('paused');
  }

  private halt(reason: string): void {
    this.loop.halt();
    this.clock.freeze();
    this.setState('halted');
    this.watch.failAll(`guest stopped: ${reason}`);
  }
}

/** xorshift32 source for a device's host.random(). */
function randomSource(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** A type's property defaults overlaid with the given props (what resources() should see). */
function withDefaults(type: DeviceType, props: DeviceProps | undefined): DeviceProps {
  const out: DeviceProps = {};
  for (const [k, spec] of Object.entries(type.properties)) out[k] = spec.default;
  return { ...out, ...(props ?? {}) };
}

/**
 * Devices whose port accesses observe virtual time: an access ends the CPU slice so that the
 * core's TSC (refreshed from the clock at each slice start) is fresh when the guest starts a PIT
 * count and moves with time while it polls one.
 */
const TIME_SOURCES = new Set(['isa-pit', 'mc146818rtc']);

/**
 * Chipset types a configuration may add again beside the one always present: a second debug
 * port (`isa-debugcon` with `iobase: 0xe9`, the Bochs "port E9 hack").
 */
export const EXTRA_CHIPSET_TYPES: ReadonlySet<string> = new Set(['isa-debugcon']);

/** Longest a halted CPU blocks in the channel's Atomics wait before yielding to the host (ms). */
const MAX_BLOCKING_WAIT_MS = 20;

/** Build a machine. Nothing runs until start(). */
export async function createMachine(config: MachineConfig, host: MachineHost): Promise<Machine> {
  // The policy judges the configuration before anything is built: a strict refusal leaves
  // nothing running (no memory, no core, no workers). Throws SecurityRefusedError.
  const types = await loadDeviceTypes(config.typeModules);
  const decision = checkMachineStart(config, effectivePlacement(config, host.launcher !== undefined), (n) => types.get(n));
  const layout = computeLayout(config.ramMiB);
  let machine: Machine | undefined;
  let memoryMap: MemoryMap | undefined;
  const router = new IoRouter({
    ram: new Uint8Array(0),
    onUnhandled: (a) => machine?.unhandled(a),
    onConflict: (m) => machine?.log('warn', 'bus', m),
    onMmioLayoutChanged: () => remarkMmio(),
    onTimeAccess: () => machine?.core.requestExit(),
    mmioFallbackRead: (a, s: AccessSize) => memoryMap?.fallbackRead(a, s),
    mmioFallbackWrite: (a, s: AccessSize, v) => memoryMap?.fallbackWrite(a, s, v) ?? false,
  });
  const remarkMmio = (): void => {
    memoryMap?.setMmioRanges(router.mmioRanges());
    for (const v of machine?.vgaWirings ?? []) v.afterPageMap();
  };
  const { core, buffer } = await host.createCore(layout, router);
  const memory = new Uint8Array(buffer, 0, layout.totalBytes);
  memoryMap = new MemoryMap(core, layout, memory);
  router.setRam(memoryMap.ramView());
  memoryMap.loadBios(config.bios);
  const clock = new VirtualClock(() => host.nowNs());
  core.setTscSource(() => clock.now(), TSC_HZ);
  const irqs = new IrqWiring();
  const hostNowMs = host.hostNowMs ? () => host.hostNowMs!() : () => host.nowNs() / 1e6;

  // Device instances: every chipset type once (always local), then the configured devices.
  interface Instance { type: DeviceType; id: string; props: DeviceProps; backend: unknown; resources: Resources; console?: string }
  const counts = new Map<string, number>();
  const nextId = (name: string) => {
    const n = counts.get(name) ?? 0;
    counts.set(name, n + 1);
    return `${name}.${n}`;
  };
  const chipset: Instance[] = [];
  const others: Instance[] = [];
  const ids = new Set<string>();
  for (const t of deviceTypes) {
    if (t.class !== 'chipset') continue;
    const props = withDefaults(t, undefined);
    chipset.push({ type: t, id: nextId(t.name), props, backend: undefined, resources: t.resources(props) });
  }
  for (const cfg of config.devices ?? []) {
    const t = types.get(cfg.type);
    if (!t) throw new Error(`unknown device type '${cfg.type}'`);
    const props = withDefaults(t, cfg.props);
    if (t.class === 'chipset') {
      // A further debug port (e.g. `isa-debugcon` at 0xE9, as QEMU's -device isa-debugcon,iobase=0xe9)
      // is the one chipset type that may be added; it runs in this thread like the rest of the chipset.
      if (!EXTRA_CHIPSET_TYPES.has(t.name)) throw new Error(`'${cfg.type}' is part of the chipset and always present`);
      chipset.push({ type: t, id: cfg.id ?? nextId(t.name), props, backend: undefined, resources: t.resources(props) });
      continue;
    }
    others.push({ type: t, id: cfg.id ?? nextId(t.name), props, backend: cfg.backend, resources: t.resources(props), console: cfg.console });
  }
  for (const inst of [...chipset, ...others]) {
    if (ids.has(inst.id)) throw new Error(`duplicate device id '${inst.id}'`);
    ids.add(inst.id);
  }
  const byId = new Map([...chipset, ...others].map((i) => [i.id, i]));

  // Placement of the non-chipset devices (src/channel/placement.ts).
  let placement: Placement = config.placement ?? 'isolated';
  const fallback = placement === 'isolated' && !host.launcher;
  if (fallback) placement = 'monolithic';
  let placed: PlacedDevices | undefined;
  let onPlacementEvent: (e: PlacementEvent) => void = () => {};
  const waiterFor = (p: PlacedDevices | undefined): Waiter => {
    if (!p || placement === 'monolithic') return host.waiter ?? sleepWaiter((ms) => host.sleep(ms));
    return {
      wait: async (ms) => {
        if (p.waitForEventAsync) await p.waitForEventAsync(clock.now() + ms * 1e6);
        else p.waitForEvent(clock.now() + Math.min(ms, MAX_BLOCKING_WAIT_MS) * 1e6);
      },
      wake: () => p.wake(),
    };
  };

  // The machine object first (device hosts and the placement call back into it).
  let platformRef: Platform | undefined;
  const services: PlacementServices = {
    clock,
    hostNowMs,
    irq: (id, n) => platformRef!.irqLine(id, byId.get(id)!.type, byId.get(id)!.resources, n),
    memory: buffer instanceof SharedArrayBuffer ? { buffer, layout } : undefined,
    // The std VGA's window and BAR0 are served in this thread (vga-wiring.ts) when it shares VRAM.
    framebufferCpuSideWindow: buffer instanceof SharedArrayBuffer,
    signals: { setA20: (e) => machine!.memoryMap.setA20(e), requestReset: (r) => machine!.requestReset(r) },
    isaDma: undefined,
    taint: (id, reason) => machine!.addTaint(id, reason),
    guestError: (id, message) => machine!.guestError(machine!.device(id), id, message),
    log: (id, level, message) => machine!.log(level, id, message),
    launcher: host.launcher,
    failureResponse: config.onDeviceFailure ?? 'stop',
    typeModules: config.typeModules,
    deadlineMs: config.readDeadlineMs,
    onEvent: (e) => onPlacementEvent(e),
  };
  machine = new Machine(config, host, layout, core, router, memoryMap, clock, irqs, () => waiterFor(placed));
  const m = machine;
  // Start-time taint (sticky): TAINTED events (and SECURITY_WARNING under warn) go to the
  // machine's QMP event history, which late listeners read first.
  for (const r of decision.reasons) m.security.taint(r);
  const platform = new Platform(m);
  platformRef = platform;
  m.platform = platform;
  services.isaDma = platform.isaDma;
  onPlacementEvent = (e) => m.placementEvent(e);
  if (fallback) m.log('warn', 'machine', 'no device worker launcher: devices run monolithic (in the CPU thread)');

  // Chipset devices: created here, in the CPU thread, with hosts wired to the platform.
  const guestMemory: GuestMemory = new RamGuestMemory(memoryMap.ramView());
  let seed = config.randomSeed ?? 0x1234567;
  const models = new Map<string, DeviceModel>();
  for (const inst of chipset) {
    let dev: MachineDevice | undefined; // looked up once the device is registered
    const deviceHost: DeviceHost = {
      irq: (n = 0) => platform.irqLine(inst.id, inst.type, inst.resources, n),
      clock,
      log: { log: (level, message) => m.log(level, inst.id, message) },
      taint: (reason) => m.addTaint(inst.id, reason),
      guestError: (message) => m.guestError((dev ??= m.devices.find((d) => d.id === inst.id)), inst.id, message),
      random: randomSource((seed = (seed * 1103515245 + 12345) >>> 0)),
      memory: guestMemory,
      signals: platform.signals(inst.id),
      backend: platform.defaultBackend(inst.id, inst.type),
      isaDma: inst.resources.dmaChannels?.length ? platform.isaDma : undefined,
    };
    models.set(inst.id, inst.type.create(deviceHost, inst.props));
  }
  // NICs: their netdev's PacketPort as the backend; unplugged when the machine stops.
  const network = wireNetdevs(config.netdevs, others, {
    webSocket: host.webSocket,
    schedule: (cb, ms) => void host.sleep(ms).then(cb),
    nowMs: hostNowMs,
    log: (level, message) => m.log(level, 'network', message),
  });
  m.network = network;
  m.events.on('state', ({ state }) => { if (state === 'stopped') network.dispose(); });
  // Consoles on device byte streams.
  for (const i of others) {
    if (i.console === undefined) continue;
    // Isolated: the launcher exports the stream to the device worker (src/workers/backend-bridge.ts).
    if (m.consoleStreams.has(i.console)) throw new Error(`console '${i.console}' is used twice`);
    const name = i.console;
    const stream = new ConsoleStream((bytes) => m.consoleOutput(name, bytes));
    m.consoleStreams.set(name, stream);
    i.backend = stream;
  }
  // Everything else: through the placement (workers, or guarded in this thread).
  if (others.length > 0) {
    placed = await placeDevices(
      others.map((i) => ({ id: i.id, type: i.type.name, props: i.props, backend: i.backend })),
      placement,
      services,
    );
    for (const i of others) models.set(i.id, placed.models.get(i.id)!);
  }
  // The std VGA's CPU-side half: window and LFB accesses without a round trip to the device.
  for (const i of others) {
    if (i.type.class !== 'display') continue;
    m.displayModels.set(i.id, models.get(i.id)!);
    if (i.type.name !== 'VGA' || !services.framebufferCpuSideWindow) continue;
    const vramBytes = Number(i.props.vgamem_mb ?? 16) * 1024 * 1024;
    const vga = new VgaWiring(core, layout, memory, vramBytes, remarkMmio);
    models.set(i.id, vga.wrap(models.get(i.id)!));
    vga.tap(router);
    m.vgaWirings.push(vga);
  }
  m.placed = placed;
  // PCI hot-plug: BAR-only PCI devices, placed the same way as the configured ones.
  m.hotPlugger = async (type, id, props) => {
    const full = withDefaults(type, props);
    const resources = type.resources(full);
    if (!resources.pci || resources.ports.length > 0 || resources.mmio.length > 0 || resources.irqs.length > 0) {
      throw new Error(`device hot-plug is not supported for ${type.name} yet (only PCI devices without fixed ISA resources)`);
    }
    byId.set(id, { type, id, props: full, backend: undefined, resources });
    let p: PlacedDevices;
    try {
      p = await placeDevices([{ id, type: type.name, props: full }], placement, services);
    } catch (e) {
      byId.delete(id);
      throw e;
    }
    const model = p.models.get(id)!;
    const bus = router.addDevice(id, model, resources);
    const dev: MachineDevice = { id, type, model, bus, local: placement === 'monolithic', guestErrors: 0 };
    try {
      m.devices.push(dev);
      platform.hotAddPci(dev);
    } catch (e) {
      m.devices.splice(m.devices.indexOf(dev), 1);
      router.removeDevice(id);
      byId.delete(id);
      await p.shutdown();
      throw e;
    }
    m.registerHotPlaced(id, p);
    return dev;
  };
  for (const inst of [...chipset, ...others]) {
    const model = models.get(inst.id)!;
    const bus = router.addDevice(inst.id, model, inst.resources);
    bus.timeSource = TIME_SOURCES.has(inst.type.name);
    m.devices.push({ id: inst.id, type: inst.type, model, bus, local: inst.type.class === 'chipset' || placement === 'monolithic', guestErrors: 0 });
  }
  platform.addInternalDevices(router);
  router.build();
  platform.wire();
  memoryMap.mapAll();
  for (const v of m.vgaWirings) v.afterPageMap();
  platform.afterReset();
  core.reset();
  return m;
}

export type { ConsoleMatch };

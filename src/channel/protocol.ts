/**
 * Types shared by both ends of a device channel and by the placements: failure causes and
 * responses, placement events, per-device statistics, and the control RPC that the CPU side
 * calls on a device worker over comlink (control only — port I/O never goes through comlink).
 * Messages between threads are discriminated unions, not strings.
 */
import type { DeviceClass, DeviceProps, LogLevel, Resources } from '../devices/api.js';
import type { MemoryLayout } from '../machine/layout.js';
import type { ShadowSlot } from './shadow.js';
import type { DisplayModeInfo } from '../devices/display/render/types.js';

/** What went wrong with a device worker (or, monolithic, with a device). */
export type FailureCause =
  | 'crash' // the worker died: uncaught exception, device code threw, injected crash
  | 'exit' // the worker thread exited or was terminated
  | 'deadline' // a synchronous read was not answered within the deadline
  | 'heartbeat' // the worker stopped beating (its event loop is stuck)
  | 'error'; // the worker failed to start or attach

/** What the machine does when a device fails (a machine setting). */
export type FailureResponse = 'stop' | 'pause' | 'detach' | 'restart';

/** The state of one device as seen from the CPU side. */
export type DeviceHealth =
  | 'running'
  | 'stopped' // failed under `stop`: accesses read all-ones, the machine should halt
  | 'paused' // failed under `pause`: waiting for resolve(restart | detach)
  | 'detached' // reads all-ones, writes dropped, the guest runs on
  | 'restarting'; // a new worker is being started; accesses behave as detached meanwhile

export interface DeviceFailedEvent {
  kind: 'device-failed';
  /** Device instance ids that lost their model (every device of the worker). */
  devices: string[];
  /** The worker class (isolated) or 'monolithic'. */
  worker: DeviceClass | 'monolithic';
  cause: FailureCause;
  detail: string;
  /** Machine virtual time (ns) and host wall-clock time (ms since the epoch). */
  virtualTimeNs: number;
  hostTimeMs: number;
  response: FailureResponse;
}
export interface DeviceRestartedEvent {
  kind: 'device-restarted';
  devices: string[];
  worker: DeviceClass | 'monolithic';
  /** How many restarts this worker has had. */
  restarts: number;
}
export interface DeviceRestartFailedEvent {
  kind: 'device-restart-failed';
  devices: string[];
  worker: DeviceClass | 'monolithic';
  detail: string;
}
export interface DeviceDetachedEvent {
  kind: 'device-detached';
  devices: string[];
  worker: DeviceClass | 'monolithic';
}
export type PlacementEvent = DeviceFailedEvent | DeviceRestartedEvent | DeviceRestartFailedEvent | DeviceDetachedEvent;

/** Per-device counters (QEMU's "info qtree" meets vfio-user statistics). */
export interface DeviceStats {
  reads: number;
  postedWrites: number;
  /** Bytes moved by bulk string I/O. */
  bulkBytes: number;
  /** Rising edges and pulses of its interrupt lines. */
  irqRaises: number;
  /** Bytes the device read or wrote in guest memory. */
  dmaBytes: number;
  /** Reads answered from the shadow page without a round trip. */
  shadowReads: number;
  /** Host milliseconds the CPU spent blocked waiting for this device's answers. */
  blockedMs: number;
  failures: number;
}

export function emptyStats(): DeviceStats {
  return { reads: 0, postedWrites: 0, bulkBytes: 0, irqRaises: 0, dmaBytes: 0, shadowReads: 0, blockedMs: 0, failures: 0 };
}

/** One device to create inside a worker. */
export interface AttachDevice {
  /** Index of the device in the channel (0..MAX_DEVICES-1). */
  dev: number;
  id: string;
  type: string;
  props: DeviceProps;
  resources: Resources;
  /** Structured-cloneable backend description (see backend adapters in device-runtime.ts). */
  backend?: unknown;
  irqCount: number;
}

/** Everything a device worker receives when attached. */
export interface AttachRequest {
  channel: SharedArrayBuffer;
  wake: SharedArrayBuffer;
  /** The machine memory, only for classes granted guest-memory/framebuffer. */
  memory?: SharedArrayBuffer;
  layout?: MemoryLayout;
  /** FramebufferAccess.cpuSideWindow for devices granted the framebuffer. */
  cpuSideWindow: boolean;
  devices: AttachDevice[];
  shadow: ShadowSlot[];
  heartbeatMs: number;
  /** Extra module specifiers exporting `deviceTypes: DeviceType[]` (tests). */
  typeModules: string[];
}

export interface AttachResult {
  /** Per device: which optional DeviceModel methods the model implements. */
  methods: string[][];
}

/** What a device worker says about itself. */
export interface WorkerHello {
  cls: DeviceClass;
  /** Global names the lockdown removed, and names it kept on purpose. */
  removed: string[];
  kept: string[];
  /** Names that could not be removed (should be empty). */
  failed: string[];
  runtime: 'browser' | 'node';
}

/** Result of trying one denied (or allowed) operation inside a worker. */
export interface ProbeResult {
  name: string;
  ok: boolean;
  detail: string;
}

/** Calls from a device worker back to the CPU side (async, not ordered with port I/O). */
export interface Upcalls {
  taint(dev: number, reason: string): void;
  guestError(dev: number, message: string, repeats: number): void;
  log(dev: number, level: LogLevel, message: string): void;
  requestReset(dev: number, reason: string): void;
  isaDma(dev: number, channel: number, data: Uint8Array, toMemory: boolean): Promise<{ moved: number; tc: boolean; data: Uint8Array }>;
}

/** The control API a device worker exposes over comlink. */
export interface DeviceWorkerApi {
  hello(): WorkerHello;
  attach(req: AttachRequest, upcalls: Upcalls): Promise<AttachResult>;
  /** Try network, storage and worker creation from inside the worker (tests, the panel). */
  probe(): Promise<ProbeResult[]>;
  /** Whether the worker holds the machine memory. */
  hasMemory(): boolean;
  /** Read / write one byte of the machine memory at an absolute offset (tests). */
  peek(offset: number): number;
  poke(offset: number, value: number): void;
  /**
   * Screen access of display device `dev` (render/types.ts DisplayDevice), after the posted
   * writes queued so far were applied. Throws if the device is not a display device.
   */
  screenText(dev: number): string;
  screenshotPng(dev: number): Uint8Array;
  displayMode(dev: number): DisplayModeInfo;
}

/** The device classes that get a worker of their own in the isolated placement. */
export type WorkerClass = Exclude<DeviceClass, 'chipset'>;
export const WORKER_CLASSES: readonly WorkerClass[] = ['storage', 'display', 'console', 'input', 'network', 'sound'];

/**
 * Whether a class's worker receives the machine memory (DMA or framebuffer). Console and input
 * never see guest memory (docs/isolation.md).
 */
export const CLASS_GETS_MEMORY: Readonly<Record<WorkerClass, boolean>> = {
  storage: true,
  display: true,
  network: true,
  sound: true,
  console: false,
  input: false,
};

/** Promise-returning view of an API (what a comlink Remote looks like, without comlink). */
export type AsyncApi<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/**
 * A started device worker, as the CPU side sees it. Launchers (src/workers/browser-launcher.ts,
 * src/node/worker-launcher.ts) wrap the comlink plumbing so placement code stays comlink-free.
 */
export interface DeviceWorkerLink {
  readonly cls: WorkerClass;
  readonly api: Omit<AsyncApi<DeviceWorkerApi>, 'attach'>;
  /** attach, with the upcalls object exposed back to the worker; `transfer` lists ports etc. in req. */
  attach(req: AttachRequest, upcalls: Upcalls, transfer?: unknown[]): Promise<AttachResult>;
  /** Called at most once when the worker reports an error event or exits. */
  onFailure(cb: (cause: FailureCause, detail: string) => void): void;
  /** Kill the worker (hung or failed workers included). Idempotent. */
  terminate(): void;
}

export interface DeviceWorkerLauncher {
  launch(cls: WorkerClass): Promise<DeviceWorkerLink>;
  /**
   * Make a device backend (an object with methods: block image, serial stream, input source)
   * reachable from a device worker: returns a cloneable description plus what to transfer, or
   * undefined when the value can be sent as it is. Called at every (re)attach.
   */
  exportBackend?(backend: unknown): { description: unknown; transfer: unknown[]; dispose(): void } | undefined;
}

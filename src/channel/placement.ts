/**
 * Device placement: where the machine's non-chipset devices run. The machine builder calls
 *
 *   const placed = await placeDevices(specs, 'isolated' | 'monolithic', services);
 *   router.add(spec, placed.models.get(spec.id)!)   // a DeviceModel either way
 *   loop: cpu.run(n); placed.poll();                // IRQs, A20/reset, clock, health
 *   halted: placed.waitForEvent(nextTimerDeadlineNs) // sleeps until an IRQ or the deadline
 *
 * - 'isolated' (default): one worker per device class (src/workers, src/node); each device is
 *   reached through a channel proxy that implements DeviceModel (posted writes, synchronous
 *   reads with a deadline, shadow registers, bulk string I/O).
 * - 'monolithic': every device is created in the calling (CPU) thread with type.create; a guard
 *   gives the same failure semantics where it can (exceptions, over-deadline calls).
 *
 * Failures (worker error/exit, read deadline, missed heartbeat, device exceptions) are
 * answered by `services.failureResponse`: stop (default) | pause | detach | restart, and
 * reported through `services.onEvent` (synchronously, so the machine can stop the CPU at once).
 * Control: crash(id) / hang(id) inject faults; resolve(id, ...) ends a stop/pause; stats(id).
 */
import type { Clock, DeviceModel, DeviceProps, IrqLine, IsaDma, LogLevel, PlatformSignals } from '../devices/api.js';
import type { MemoryLayout } from '../machine/layout.js';
import type { DisplayModeInfo } from '../devices/display/render/types.js';
import type { DeviceHealth, DeviceStats, DeviceWorkerLauncher, FailureResponse, PlacementEvent, ProbeResult, WorkerClass, WorkerHello } from './protocol.js';
import { placeIsolated } from './isolated.js';
import { placeMonolithic } from './monolithic.js';

export type Placement = 'isolated' | 'monolithic';

/** One device instance to place. */
export interface DeviceSpec {
  /** Unique instance id (`ide0`, `serial0`, ...). */
  id: string;
  /** Registry type name (or one from services.typeModules). */
  type: string;
  props?: DeviceProps;
  /**
   * The backend. Monolithic: any object. Isolated: must be structured-cloneable (a
   * description `{ kind, ... }`, a MessagePort is transferred); a worker-side adapter
   * registered with registerBackendAdapter(kind) turns it into the device's backend.
   */
  backend?: unknown;
}

/** What the machine provides to the placed devices. */
export interface PlacementServices {
  /** The machine's virtual clock (CPU thread). */
  clock: Clock;
  /** Host wall clock in ms; must be comparable across threads (timeOrigin + now()). */
  hostNowMs(): number;
  /** The machine's interrupt line `n` of device `id` (wired to the PIC / PCI routing). */
  irq(id: string, n: number): IrqLine;
  /** The shared machine memory; granted to DMA/framebuffer classes only. */
  memory?: { buffer: SharedArrayBuffer; layout: MemoryLayout };
  signals?: PlatformSignals;
  isaDma?: IsaDma;
  /**
   * Whether the machine serves display devices' legacy memory window in the CPU thread
   * (FramebufferAccess.cpuSideWindow, src/devices/api.ts). Default false.
   */
  framebufferCpuSideWindow?: boolean;
  taint(id: string, reason: string): void;
  guestError(id: string, message: string): void;
  log(id: string, level: LogLevel, message: string): void;
  /** Starts device workers; required for 'isolated'. */
  launcher?: DeviceWorkerLauncher;
  /** Default 'stop'. */
  failureResponse?: FailureResponse;
  /** Read deadline, default 5000 ms. */
  deadlineMs?: number;
  /** Worker heartbeat period (default 250 ms) and the silence that counts as a hang (5000 ms). */
  heartbeatMs?: number;
  heartbeatTimeoutMs?: number;
  /** Extra modules exporting `deviceTypes` (tests), loaded by both placements. */
  typeModules?: string[];
  /**
   * Monolithic: time every read (deadline detection after the fact, blocked-time statistics).
   * Default true; costs two host-clock reads per device read (~0.3 µs), so benchmarks
   * comparing placements may turn it off.
   */
  monolithicReadTiming?: boolean;
  /** Isolated: start a worker for every class even if it has no device (topology checks). */
  launchAllClasses?: boolean;
  /** Failure and restart events (called synchronously where the failure is detected). */
  onEvent?(event: PlacementEvent): void;
}

/** A device worker as reported by workers() (isolated only). */
export interface PlacedWorker {
  cls: WorkerClass;
  devices: string[];
  health: DeviceHealth;
  hello(): Promise<WorkerHello>;
  probe(): Promise<ProbeResult[]>;
  hasMemory(): Promise<boolean>;
  peek(offset: number): Promise<number>;
  poke(offset: number, value: number): Promise<void>;
}

/**
 * Screen access of a placed display device (render/types.ts DisplayDevice), the same async shape
 * in both placements. Isolated: control calls (comlink) to the display worker, which renders
 * there after applying the posted writes queued so far; never the port-I/O path. Monolithic:
 * the guarded model, called directly. Rejects when the device is not running (failed, detached,
 * restarting). renderFrame is not offered: the display's own refresh (the canvas sink) is the
 * one consumer of its dirty rows, and a second one would take rows from it.
 */
export interface PlacedDisplay {
  screenText(): Promise<string>;
  screenshotPng(): Promise<Uint8Array>;
  displayMode(): Promise<DisplayModeInfo>;
}

export interface PlacedDevices {
  readonly placement: Placement;
  /** The device models by instance id, to register with the I/O router. */
  readonly models: ReadonlyMap<string, DeviceModel>;
  /** The wake word's buffer: bump word 0 and notify to end a waitForEvent early. */
  readonly wakeBuffer: SharedArrayBuffer;
  /**
   * Deliver interrupt-line changes and platform signals from the devices, publish the clock,
   * check worker health. Call once per run slice. Returns true if anything was delivered.
   */
  poll(): boolean;
  /**
   * For a halted CPU: sleep until a device raises a line / signals, wake() is called, or the
   * machine clock reaches `deadlineNs`. Delivers events before returning. With no deadline
   * (Infinity) it returns 'timeout' after 1 s so the caller's event loop can run.
   */
  waitForEvent(deadlineNs: number): 'event' | 'timeout';
  /**
   * waitForEvent without blocking the thread (Atomics.waitAsync): the thread's event loop keeps
   * running while the CPU is halted, so messages device workers send it — block-backend
   * requests, frames for the virtual switch — are served at once instead of after the wait.
   * Optional: a placement without it is waited for with waitForEvent.
   */
  waitForEventAsync?(deadlineNs: number): Promise<'event' | 'timeout'>;
  /** Wake a waitForEvent from any thread that has wakeBuffer (or this one). */
  wake(): void;
  /** Tell the devices whether virtual time runs (paused machines freeze worker clocks). */
  setRunning(running: boolean): void;
  /** Make every posted write take effect (e.g. before a snapshot). */
  flush(): void;
  health(id: string): DeviceHealth;
  stats(id: string): DeviceStats;
  /** Fault injection for demonstrations and tests. */
  crash(id: string): void;
  hang(id: string): void;
  /** End a stop/pause of the device's worker: start it afresh, or detach it. */
  resolve(id: string, action: 'restart' | 'detach'): Promise<void>;
  /** Resolves when no restart is in progress. */
  settled(): Promise<void>;
  workers(): PlacedWorker[];
  /** Screen access of display device `id`; undefined if `id` is not a display-class device. */
  display(id: string): PlacedDisplay | undefined;
  shutdown(): Promise<void>;
}

/** Place `specs` as `placement`. Rejects if a type is unknown or a worker fails to start. */
export function placeDevices(specs: readonly DeviceSpec[], placement: Placement, services: PlacementServices): Promise<PlacedDevices> {
  const ids = new Set<string>();
  for (const s of specs) {
    if (ids.has(s.id)) return Promise.reject(new Error(`placeDevices: duplicate device id '${s.id}'`));
    ids.add(s.id);
  }
  return placement === 'isolated' ? placeIsolated(specs, services) : placeMonolithic(specs, services);
}

/** Defaults of the tunables above. */
export const PLACEMENT_DEFAULTS = {
  failureResponse: 'stop' as FailureResponse,
  deadlineMs: 5000,
  heartbeatMs: 250,
  heartbeatTimeoutMs: 5000,
};

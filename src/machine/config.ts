/**
 * The typed machine configuration and the host services a machine needs. The configuration is
 * plain data (serialisable, what the settings UI and the CLI produce); the host services are
 * what this layer cannot do itself under lib ES2022 — create WebAssembly memory and the core,
 * read the host clock, sleep — and are injected by the browser worker or the Node host.
 */
import type { DeviceProps } from '../devices/api.js';
import type { DeviceWorkerLauncher } from '../channel/protocol.js';
import type { SecurityPolicy } from '../security/policy.js';
import type { CpuCoreApi, CpuHost } from './cpu-api.js';
import type { MemoryLayout } from './layout.js';
import type { Waiter } from './run-loop.js';
import type { NetdevConfig } from './net-wiring.js';
import type { WebSocketConstructor } from '../net/websocket.js';

/** Boot devices, in BIOS terms. */
export type BootDevice = 'floppy' | 'disk' | 'cdrom' | 'network';

/** QEMU's `-boot order=` letter of each boot device (the CMOS boot order uses them). */
export const BOOT_LETTER: Record<BootDevice, 'a' | 'c' | 'd' | 'n'> = { floppy: 'a', disk: 'c', cdrom: 'd', network: 'n' };

/** Where non-chipset devices run. */
export type Placement = 'isolated' | 'monolithic';

/** What happens when an isolated device fails (ARCHITECTURE.md §6). */
export type FailureResponse = 'stop' | 'pause' | 'detach' | 'restart';

/** One device of the machine, by registry name. */
export interface DeviceConfig {
  /** Registry type name (`isa-serial`, `piix3-ide`, ...). */
  type: string;
  /** Instance id; default `<type>.<n>`. */
  id?: string;
  props?: DeviceProps;
  /** Backend object for the device (block image, byte stream, ...), passed as host.backend. */
  backend?: unknown;
  /**
   * Connect the device's byte stream (a serial port) to the machine console of this name
   * (`serial0`): output becomes console events, Machine.sendConsole feeds input. In the
   * isolated placement the stream is bridged into the device worker. Replaces `backend`.
   */
  console?: string;
}

export interface MachineConfig {
  /** Guest RAM in MiB (layout.ts limits). */
  ramMiB: number;
  /** System BIOS image (SeaBIOS bios-256k.bin). */
  bios: Uint8Array;
  /** VGA BIOS image, offered to the firmware for the PCI display device (docs/machine.md). */
  vgaBios?: Uint8Array;
  /** Devices beyond the fixed chipset. */
  devices?: DeviceConfig[];
  /** Boot order; default disk, cdrom, floppy. */
  bootOrder?: BootDevice[];
  /** Default 'isolated' (monolithic when the host gives no worker launcher). */
  placement?: Placement;
  /** Default 'stop'. */
  onDeviceFailure?: FailureResponse;
  /** Deadline of one read from an isolated device, ms (default 5000). */
  readDeadlineMs?: number;
  /** Triple fault: reset the machine (default, as real hardware) or stop with a report. */
  onTripleFault?: 'reset' | 'stop';
  /** Ports whose written bytes are reported as console output (`--trace-port`). */
  tracePorts?: number[];
  /**
   * RTC time at machine start, ms since 1970 UTC. Default: the host's wall clock
   * (MachineHost.hostNowMs), else the RTC's own default (2000-01-01).
   */
  rtcStartEpochMs?: number;
  /** Seed of the devices' deterministic random sources. */
  randomSeed?: number;
  /**
   * Security policy (docs/security.md): 'none' (default, as QEMU's accept), 'warn' or 'strict'.
   * Under strict, createMachine refuses a tainting configuration with SecurityRefusedError.
   */
  policy?: SecurityPolicy;
  /**
   * Names of firmware images that are user-supplied rather than the image manifest's (the host
   * compares hashes; the machine only records the taint).
   */
  customFirmware?: string[];
  /**
   * Debug ports whose output the host exposes (the CLI's --debugcon): each is a taint reason.
   * Ids as the machine names devices (`isa-debugcon.0`).
   */
  debugPorts?: string[];
  /**
   * Extra module specifiers exporting `deviceTypes: DeviceType[]` (test-only device types),
   * looked up after the registry by the machine and by both placements.
   */
  typeModules?: string[];
  /**
   * Network backends (QEMU's -netdev); a NIC names one with its `netdev` property
   * (src/machine/net-wiring.ts, docs/network.md).
   */
  netdevs?: NetdevConfig[];
}

/** Where device log messages and guest errors go. */
export interface MachineLogger {
  log(level: 'debug' | 'info' | 'warn' | 'error', source: string, message: string): void;
}

/** What the host layer (browser worker or Node) provides. */
export interface MachineHost {
  /** Monotonic host time in nanoseconds (performance.now()*1e6, process.hrtime.bigint()). */
  nowNs(): number;
  /** Resolve after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
  /** Let the host event loop run (setImmediate / MessageChannel); default sleep(0). */
  yieldToHost?(): Promise<void>;
  /**
   * Create the shared WebAssembly.Memory of `layout.totalBytes` and the CPU core over it,
   * with `cpuHost` as its imports. Returns the core and the memory's buffer.
   */
  createCore(layout: MemoryLayout, cpuHost: CpuHost): Promise<{ core: CpuCoreApi; buffer: ArrayBufferLike }>;
  /**
   * Host wall-clock time in ms, comparable across threads (performance.timeOrigin + now()); the
   * device channel publishes the clock with it. Default: nowNs() / 1e6.
   */
  hostNowMs?(): number;
  /** Waiting while halted (monolithic placement); default: sleepWaiter(sleep). */
  waiter?: Waiter;
  /**
   * Starts device workers (src/node/worker-launcher.ts, the browser's equivalent). Required for
   * placement 'isolated'; without it the machine falls back to 'monolithic' and logs a warning.
   */
  launcher?: DeviceWorkerLauncher;
  logger?: MachineLogger;
  /** WebSocket constructor for 'websocket' netdevs (the browser's; Node ≥ 22's global). */
  webSocket?: WebSocketConstructor;
}

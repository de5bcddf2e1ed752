/**
 * The contract between the page (src/ui) and the VM in the CPU worker (src/workers/vm-runtime.ts):
 * the settings (re-exported from vm-settings.ts), the comlink control API, and the messages of the one stream
 * port (serial bytes, screen frames, events) that carries data outside comlink. Types only: the
 * page imports this file under the DOM lib, the worker under the WebWorker lib.
 */
import type { DeviceHealth, DeviceStats, PlacementEvent } from '../channel/protocol.js';

export type { VmPlacement, VmPolicy, VmSettings } from './vm-settings.js';
export { DEFAULT_SETTINGS, RAM_CHOICES } from './vm-settings.js';
import type { VmPlacement, VmPolicy, VmSettings } from './vm-settings.js';

/** A device type as the settings panel lists it. */
export interface CatalogEntry {
  name: string;
  class: string;
  description: string;
  /** Inside the security boundary (true), outside (false), unclassified (undefined). */
  secure: boolean | undefined;
  secureReason: string;
}

export type VmState = 'off' | 'starting' | 'created' | 'running' | 'paused' | 'halted' | 'stopped' | 'failed';

export interface VmStatus {
  state: VmState;
  instructions: number;
  /** Instructions per second over the last status interval. */
  ips: number;
  /** Host ms since power on. */
  uptimeMs: number;
  virtualTimeNs: number;
  placement?: VmPlacement;
  /** Why the machine runs monolithic although isolated was asked, or other notes. */
  notes: string[];
  error?: string;
}

export interface DeviceReport {
  id: string;
  type: string;
  class: string;
  /** Inside the security boundary (true), outside (false), unclassified (undefined). */
  secure: boolean | undefined;
  /** 'chipset' devices always run in the CPU worker. */
  where: string;
  health: DeviceHealth | 'chipset';
  /** Placement statistics (placed devices only). */
  stats?: DeviceStats;
  /** Bus counters (every device). */
  reads: number;
  writes: number;
  guestErrors: number;
  capabilities: string[];
}

export interface WorkerInfo {
  name: string;
  devices: string[];
  /** What the worker may reach. */
  capabilities: string[];
  health?: string;
}

export interface SecurityReport {
  policy: VmPolicy;
  placement?: VmPlacement;
  tainted: boolean;
  taints: { device: string; reason: string }[];
  workers: WorkerInfo[];
  devices: DeviceReport[];
  events: PlacementEvent[];
}

/** Worker → page messages on the stream port. */
export type VmStreamOut =
  | { t: 'serial'; data: Uint8Array }
  | { t: 'frame'; width: number; height: number; y0: number; y1: number; rgba: Uint8ClampedArray }
  | { t: 'state'; state: VmState; error?: string }
  | { t: 'log'; level: string; source: string; message: string }
  | { t: 'device'; event: PlacementEvent };

/** Page → worker messages on the stream port. */
export type VmStreamIn =
  | { t: 'serial-in'; data: Uint8Array }
  | { t: 'key'; code: string; down: boolean };

/** The VM's comlink API (merged into the CPU worker's API). */
export interface VmApi {
  /** Give the worker the stream port (once, before powerOn). */
  connect(port: MessagePort): void;
  catalog(): CatalogEntry[];
  powerOn(settings: VmSettings): Promise<VmStatus>;
  powerOff(): Promise<void>;
  reset(): void;
  pause(): Promise<void>;
  resume(): void;
  ctrlAltDel(): void;
  status(): VmStatus;
  security(): SecurityReport;
  screenshotPng(): Uint8Array | undefined;
  screenText(): string;
  /** Fault injection on a placed device (placement API). */
  crashDevice(id: string): void;
  hangDevice(id: string): void;
}

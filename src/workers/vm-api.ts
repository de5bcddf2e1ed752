/**
 * The contract between the page (src/ui) and the VM in the CPU worker (src/workers/vm-runtime.ts):
 * the settings (re-exported from vm-settings.ts), the comlink control API, and the messages of the one stream
 * port (serial bytes, events) that carries data outside comlink. Types only: the
 * page imports this file under the DOM lib, the worker under the WebWorker lib.
 */
import type { DeviceHealth, DeviceStats, PlacementEvent } from '../channel/protocol.js';
import type { DisplayModeInfo } from '../devices/display/render/types.js';

import type { QmpAnswer, QmpCommand, QmpEvent } from '../qmp/protocol.js';

export type { ImageChoice, MediumKind, VmPlacement, VmPolicy, VmSettings } from './vm-settings.js';
export { DEFAULT_IMAGE, DEFAULT_SETTINGS, MEDIUM_KINDS, RAM_CHOICES } from './vm-settings.js';
export type { QmpAnswer, QmpCommand, QmpEvent } from '../qmp/protocol.js';
import type { ImageChoice, VmPlacement, VmPolicy, VmSettings } from './vm-settings.js';

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
  | { t: 'state'; state: VmState; error?: string }
  | { t: 'log'; level: string; source: string; message: string }
  | { t: 'device'; event: PlacementEvent }
  | { t: 'qmp'; event: QmpEvent }
  /** Progress of the boot medium read from a URL (range requests). */
  | { t: 'media-progress'; url: string; size: number; bytesFetched: number; requests: number }
  /**
   * A cross-origin image request the page makes for the worker (the CPU worker's CSP allows
   * same-origin connections only); the page answers only for the URL the user chose.
   */
  | { t: 'fetch'; id: number; url: string; method: string; headers: Record<string, string> }
  /**
   * The display worker was restarted and needs a fresh canvas (the old one was transferred to
   * the dead worker): the page replaces its <canvas> and answers with `{ t: 'canvas', id }`.
   */
  | { t: 'need-canvas'; id: number };

/** Page → worker messages on the stream port. */
export type VmStreamIn =
  | { t: 'serial-in'; data: Uint8Array }
  | { t: 'key'; code: string; down: boolean }
  /** PS/2 mouse (InputSink conventions, src/devices/input/input-backend.ts): relative counts, MouseEvent.buttons mask. */
  | { t: 'mouse'; dx: number; dy: number; dz: number; buttons: number }
  | { t: 'fetch-result'; id: number; status?: number; statusText?: string; headers?: Record<string, string>; body?: ArrayBuffer; error?: string }
  /** The answer to `need-canvas`: a new canvas's OffscreenCanvas (transferred), or none. */
  | { t: 'canvas'; id: number; canvas?: OffscreenCanvas };

/** The boot medium as opened by the worker. */
export interface MediaInfo {
  choice: ImageChoice;
  /** The image identity (key of its overlay in IndexedDB). */
  id: string;
  size: number;
  /** Guest writes are kept (disk, floppy); CD-ROMs are read-only. */
  writable: boolean;
  /** Overlay blocks holding guest writes. */
  changedBlocks: number;
  blockSize: number;
}

/** The VM's comlink API (merged into the CPU worker's API). */
export interface VmApi {
  /** Give the worker the stream port (once, before powerOn). */
  connect(port: MessagePort): void;
  catalog(): CatalogEntry[];
  /** Build and start the machine; `file` is the local file when settings.image is a 'file' choice. */
  powerOn(settings: VmSettings, file?: File): Promise<VmStatus>;
  powerOff(): Promise<void>;
  reset(): void;
  pause(): Promise<void>;
  resume(): void;
  ctrlAltDel(): void;
  status(): VmStatus;
  security(): SecurityReport;
  /**
   * The page's canvas (transferControlToOffscreen, transferred) for the next power-on: the VGA
   * paints it from the CPU worker (monolithic) or the display worker (isolated). Once per canvas.
   */
  screenCanvas(canvas: OffscreenCanvas): void;
  /** The display's picture as PNG, rendered by the display device (its worker when isolated). */
  screenshotPng(): Promise<Uint8Array | undefined>;
  screenText(): Promise<string>;
  displayMode(): Promise<DisplayModeInfo | undefined>;
  /** Whether the display's picture (its PNG) has more than one colour. */
  screenNotBlank(): Promise<boolean>;
  /** Fault injection on a placed device (placement API). */
  crashDevice(id: string): void;
  hangDevice(id: string): void;
  /** One QMP command on the machine (machine.qmp); never throws; the machine off is an error answer. */
  qmp(cmd: QmpCommand): Promise<QmpAnswer>;
  /** The medium of the running machine, or of `choice` (opened to learn its identity). */
  mediaInfo(choice?: ImageChoice, file?: File): Promise<MediaInfo>;
  /** Drop the saved guest writes of the medium (powers the machine off first if it uses it). */
  discardChanges(choice: ImageChoice, file?: File): Promise<void>;
  /** Start an export of the merged disk (base + overlay); returns its size and a handle. */
  exportOpen(choice: ImageChoice, file?: File): Promise<{ handle: number; size: number; name: string }>;
  /** Bytes [offset, offset+length) of an open export (transferred). */
  exportRead(handle: number, offset: number, length: number): Promise<Uint8Array>;
  exportClose(handle: number): Promise<void>;
}

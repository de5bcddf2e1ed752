/**
 * The device model interface: what every Bulkhead device implements and what the machine
 * injects into it. Device code is plain TypeScript that knows nothing of threads, workers,
 * Atomics or the DOM (this file compiles with lib ES2022 only). The same model runs inside the
 * CPU worker ("monolithic") or in its class's device worker ("isolated").
 *
 * Follows the split of rust-vmm/vm-device (register access at an offset from the device's
 * base; the bus does decoding) and QEMU's DeviceClass/TypeInfo (one declarative registry entry
 * per type, with a `secure` status).
 */

/** Width of one register access, in bytes. */
export type AccessSize = 1 | 2 | 4;

/** The device classes; one device worker runs per class in the isolated placement. */
export type DeviceClass =
  | 'chipset' // always in the CPU worker: PIC, PIT, RTC, PCI host, DMA, fw_cfg, ...
  | 'storage'
  | 'display'
  | 'console'
  | 'input'
  | 'network'
  | 'sound';

/** The bus a device type plugs into. `ide` and `floppy` are children of a controller. */
export type BusKind = 'system' | 'isa' | 'pci' | 'ide' | 'floppy';

/**
 * Capabilities a device type needs from its host. The worker of a class receives the union of
 * its devices' capabilities and nothing else.
 */
export type Capability =
  | 'guest-memory' // read/write guest RAM (DMA)
  | 'framebuffer' // VRAM inside the machine memory
  | 'block' // a block backend (disk image)
  | 'terminal' // a byte-stream backend (serial)
  | 'canvas' // an OffscreenCanvas to paint
  | 'network' // a packet port
  | 'audio' // an audio output
  | 'platform-signals' // A20 gate and reset request (e.g. the i8042 output port)
  | 'timers'; // virtual-time timers

/** Security status of a device type (QEMU's per-type marking): true = inside the boundary. */
export type SecureStatus = true | false | undefined;

/** A raised/lowered interrupt line. Level semantics; edge devices call pulse(). */
export interface IrqLine {
  set(level: boolean): void;
  raise(): void;
  lower(): void;
  /** Raise then lower: an edge for edge-triggered inputs (ISA). */
  pulse(): void;
}

/** A one-shot virtual-time timer (QEMU's QEMUTimer). */
export interface Timer {
  /** Fire at the absolute virtual time `deadlineNs` (replaces any pending deadline). */
  setDeadline(deadlineNs: number): void;
  cancel(): void;
  readonly pending: boolean;
}

/** Virtual time. It advances with the host clock while the machine runs and freezes while paused. */
export interface Clock {
  /** Virtual nanoseconds since machine start. */
  now(): number;
  createTimer(callback: () => void): Timer;
}

/**
 * Guest physical memory, granted only to devices with the `guest-memory` capability.
 * Reads copy out of guest RAM: validate the copy, never re-read guest memory after checking
 * (the guest can change it concurrently). Accesses outside RAM read as zero / are dropped
 * and return false.
 */
export interface GuestMemory {
  readonly size: number;
  read(physAddr: number, into: Uint8Array): boolean;
  write(physAddr: number, from: Uint8Array): boolean;
  readU8(physAddr: number): number;
  readU16(physAddr: number): number;
  readU32(physAddr: number): number;
  writeU8(physAddr: number, value: number): void;
  writeU16(physAddr: number, value: number): void;
  writeU32(physAddr: number, value: number): void;
}

/** Signals from a device to the platform (i8042 output port, port 0x92 live in the chipset). */
export interface PlatformSignals {
  setA20(enabled: boolean): void;
  requestReset(reason: string): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export interface Logger {
  log(level: LogLevel, message: string): void;
}

/** Services the machine injects into a device model. Absent services were not granted. */
export interface DeviceHost {
  /** Interrupt line `n` of this device (index into the type's declared IRQs / PCI pins). */
  irq(n?: number): IrqLine;
  clock: Clock;
  log: Logger;
  /** Runtime taint hint: this code path is known to be risky. Sticky for the machine's life. */
  taint(reason: string): void;
  /** Report a guest error (unknown register, malformed request): counted, shown in the panel. */
  guestError(message: string): void;
  /** Deterministic random source for the device (never Math.random inside models). */
  random(): number;
  memory?: GuestMemory;
  signals?: PlatformSignals;
  /**
   * Publish a side-effect-free register value (e.g. a UART line status register) so the CPU
   * can read it without a round trip once posted writes are drained. Region/offset as in
   * ioRead; only registers declared `shadow` in the resources may be published.
   */
  publishShadow?(region: number, offset: number, size: AccessSize, value: number): void;
  /**
   * The register's read now has a side effect (e.g. LSR with an error bit that a read
   * clears): serve reads of it through the device again until the next publishShadow.
   */
  withdrawShadow?(region: number, offset: number): void;
  /** The backend object for this device (block image, byte stream, canvas, packet port). */
  backend?: unknown;
  /** ISA DMA through the platform's 8237 controllers (floppy, sound). */
  isaDma?: IsaDma;
  /** Video memory, granted to devices with the `framebuffer` capability (docs/display.md). */
  framebuffer?: FramebufferAccess;
}

/**
 * VRAM as a display device sees it: the [layout.vramOffset, +vramSize) part of the machine
 * memory (shared with the CPU worker, so direct-mapped guest writes land here).
 */
export interface FramebufferAccess {
  /** VRAM bytes (4-byte aligned, a multiple of 64 KiB). */
  vram: Uint8Array;
  /**
   * True when the machine serves the device's legacy memory window in the CPU worker with the
   * device's own window logic fed from the same port writes (VgaCpuSide,
   * src/devices/display/cpu-side.ts): the device must then leave VRAM side effects of register
   * writes (the VBE enable screen clear) to that twin, which runs in order with the CPU.
   */
  cpuSideWindow: boolean;
}

/**
 * ISA DMA as a device sees it: the device asserts DREQ on its channel and the 8237 moves bytes
 * between the device and guest memory using the channel's programmed address, count and mode.
 * Asynchronous because, when the device is isolated, the 8237 lives in the CPU worker.
 */
export interface IsaDma {
  /**
   * Move up to data.length bytes. toMemory = device→memory (an 8237 "write" transfer, e.g. a
   * floppy read); otherwise memory→device fills `data`. Resolves to the bytes moved, fewer than
   * requested when terminal count is reached or the channel is masked. `tc` tells whether
   * terminal count was reached.
   */
  transfer(channel: number, data: Uint8Array, toMemory: boolean): Promise<{ moved: number; tc: boolean }>;
}

/** One contiguous register window of a device. */
export interface PortRange {
  name: string;
  /** ISA base port; for PCI I/O BARs the base is assigned by the guest. */
  base: number;
  length: number;
  /** Offsets whose reads have no side effects and may be served from the shadow page. */
  shadow?: number[];
  /**
   * Access widths the device implements for this range (default: all of 1, 2, 4). The bus
   * splits wider accesses into narrower ones (little-endian, consecutive offsets) and serves
   * narrower reads from an aligned wider read; narrower writes are dropped and reported as a
   * guest error (see docs/machine.md, "Access sizes").
   */
  accessSizes?: AccessSize[];
}
export interface MmioRange {
  name: string;
  base: number;
  length: number;
  /** Access widths the device implements (default: all); same rules as PortRange. */
  accessSizes?: AccessSize[];
}
export interface PciBar {
  index: number;
  kind: 'io' | 'mem32' | 'mem32-prefetch';
  size: number;
  /**
   * A memory BAR that shows the device's VRAM linearly (a framebuffer): the machine may map it
   * as RAM pages onto layout.vramOffset instead of exiting to the device on every access.
   */
  vramBacked?: boolean;
}
export interface PciIdentity {
  vendorId: number;
  deviceId: number;
  classCode: number; // 24-bit class/subclass/prog-if
  revision?: number;
  subsystemVendorId?: number;
  subsystemId?: number;
  interruptPin?: 1 | 2 | 3 | 4 | 0;
  bars: PciBar[];
  /** Option ROM image name (from the image manifest), if any. */
  romFile?: string;
}

/**
 * Resources of one device instance: region indices used in ioRead/mmioRead are indices into
 * `ports` / `mmio`; for PCI devices the BARs follow as regions (I/O BARs appended to ports in
 * BAR order, memory BARs appended to mmio).
 */
export interface Resources {
  ports: PortRange[];
  mmio: MmioRange[];
  /** ISA IRQ numbers, in the order of host.irq(n). */
  irqs: number[];
  pci?: PciIdentity;
  /** DMA channels of the 8237 (floppy, sound). */
  dmaChannels?: number[];
}

/** The register interface a device model implements. Every method is optional. */
export interface DeviceModel {
  ioRead?(region: number, offset: number, size: AccessSize): number;
  ioWrite?(region: number, offset: number, size: AccessSize, value: number): void;
  /**
   * Bulk string I/O (`rep insw/insd`): read `count` items of `size` bytes from one port into
   * `into` (length count*size). Optional: the bus falls back to repeated ioRead.
   */
  ioReadString?(region: number, offset: number, size: AccessSize, into: Uint8Array): void;
  ioWriteString?(region: number, offset: number, size: AccessSize, from: Uint8Array): void;
  mmioRead?(region: number, offset: number, size: AccessSize): number;
  mmioWrite?(region: number, offset: number, size: AccessSize, value: number): void;
  /** Device-specific PCI configuration registers (offset ≥ 0x40); the header is generic. */
  pciConfigRead?(offset: number, size: AccessSize): number;
  pciConfigWrite?(offset: number, size: AccessSize, value: number): void;
  /** A BAR was (re)programmed or I/O / memory decoding toggled. */
  pciBarChanged?(bar: number, base: number, enabled: boolean): void;
  reset?(): void;
  saveState?(): DeviceState;
  loadState?(state: DeviceState): void;
  /** Release backends and timers. */
  destroy?(): void;
}

/** A typed, versioned device snapshot. */
export interface DeviceState {
  type: string;
  version: number;
  data: Record<string, unknown>;
}

/** A user-settable property of a device type, with its default. */
export interface PropertySpec {
  type: 'number' | 'string' | 'boolean';
  default: number | string | boolean;
  description: string;
  /** For enums: the allowed values. */
  choices?: (number | string)[];
}

export type DeviceProps = Record<string, number | string | boolean>;

/** One registry entry: everything the machine, the UI, the panel and the tests need. */
export interface DeviceType {
  /** QEMU's type name where one exists (`isa-serial`, `piix3-ide`, `ne2k_pci`, ...). */
  name: string;
  class: DeviceClass;
  bus: BusKind;
  description: string;
  /** true = inside the security boundary; false = known not to be; undefined = unknown. */
  secure: SecureStatus;
  /** Why it has that status (shown in the panel and docs/security.md). */
  secureReason: string;
  hotpluggable: boolean;
  capabilities: Capability[];
  properties: Record<string, PropertySpec>;
  /** The resources an instance with these (defaulted) properties claims. */
  resources(props: DeviceProps): Resources;
  /** Version of the saveState format. 0 = this type cannot save state. */
  stateVersion: number;
  create(host: DeviceHost, props: DeviceProps): DeviceModel;
}

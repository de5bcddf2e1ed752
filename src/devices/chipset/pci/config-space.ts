/**
 * One PCI function's 256-byte configuration space, built from a device's PciIdentity.
 *
 * Follows the PCI Local Bus Specification 2.3, chapter 6 (type 0 header): read-only IDs and
 * class code, command register (I/O, memory, bus master, parity, SERR, INTx disable), status
 * with write-one-to-clear error bits and the interrupt status bit, cache line size, latency
 * timer, base address registers with the sizing protocol (writing all ones reads back the size
 * mask), expansion ROM BAR, subsystem IDs, interrupt line and pin, capability pointer 0.
 * Registers at 0x40 and above belong to the device and are forwarded to its model.
 */
import type { AccessSize, DeviceModel, PciBar, PciIdentity } from '../../api.js';

/** QEMU's default subsystem IDs (Red Hat / QEMU virtual machine); SeaBIOS checks them at 00:00.0. */
export const QEMU_SUBSYSTEM_VENDOR = 0x1af4;
export const QEMU_SUBSYSTEM_ID = 0x1100;

export const PCI_COMMAND = 0x04;
export const PCI_STATUS = 0x06;
export const CMD_IO = 0x0001;
export const CMD_MEMORY = 0x0002;
export const CMD_MASTER = 0x0004;
export const CMD_INTX_DISABLE = 0x0400;
const CMD_WRITABLE = 0x0001 | 0x0002 | 0x0004 | 0x0040 | 0x0100 | CMD_INTX_DISABLE;
const STATUS_W1C = 0xf900; // parity error, SERR, master/target aborts, data parity
const STATUS_INTERRUPT = 0x0008;
/** Bar index used for the expansion ROM in mapping events. */
export const ROM_BAR = 6;

/** Optional header defaults a model may offer (the bus looks for this method). */
export interface PciHeaderDefaults {
  pciHeaderDefaults(): { command?: number; status?: number; multiFunction?: boolean };
}

/** Where a BAR currently decodes. */
export interface PciBarMapping {
  devfn: number;
  /** 0..5, or ROM_BAR (6) for the expansion ROM. */
  bar: number;
  kind: PciBar['kind'] | 'rom';
  base: number;
  size: number;
  enabled: boolean;
}

export interface PciFunctionOptions {
  /** Device number << 3 | function number. */
  devfn: number;
  identity: PciIdentity;
  /** The device model; pciConfigRead/Write receive registers ≥ 0x40. */
  model: DeviceModel;
  /** Size of the option ROM image (bytes), when identity.romFile is set. Default 64 KiB. */
  romSize?: number;
  name?: string;
}

interface BarSlot {
  kind: PciBar['kind'] | 'rom';
  size: number;
  mapped: { base: number; enabled: boolean };
}

function pow2AtLeast(v: number, min: number): number {
  let s = min;
  while (s < v && s < 0x80000000) s *= 2;
  return s;
}

export class PciFunction {
  readonly devfn: number;
  readonly name: string;
  readonly model: DeviceModel;
  readonly identity: PciIdentity;
  private cfg = new Uint8Array(64);
  private bars: (BarSlot | undefined)[] = [];
  private initialCommand = 0;
  private initialStatus = 0;
  private multiFunction = false;
  /** INTx input as driven by the device (before INTx disable). */
  intxLevel = false;

  constructor(opts: PciFunctionOptions) {
    this.devfn = opts.devfn & 0xff;
    this.model = opts.model;
    this.identity = opts.identity;
    this.name = opts.name ?? `${(opts.identity.vendorId & 0xffff).toString(16)}:${(opts.identity.deviceId & 0xffff).toString(16)}`;
    const defaults = (opts.model as Partial<PciHeaderDefaults>).pciHeaderDefaults?.();
    this.initialCommand = (defaults?.command ?? 0) & CMD_WRITABLE;
    this.initialStatus = (defaults?.status ?? 0) & 0xffff;
    this.multiFunction = defaults?.multiFunction ?? false;
    for (const b of opts.identity.bars) {
      if (b.index < 0 || b.index > 5 || !(b.size > 0)) continue;
      const size = pow2AtLeast(b.size, b.kind === 'io' ? 4 : 16);
      this.bars[b.index] = { kind: b.kind, size, mapped: { base: 0, enabled: false } };
    }
    if (opts.identity.romFile) {
      this.bars[ROM_BAR] = { kind: 'rom', size: pow2AtLeast(opts.romSize ?? 0x10000, 0x800), mapped: { base: 0, enabled: false } };
    }
    this.resetHeader();
  }

  /** Put the header in its power-on state (BARs 0, decoding off unless the model says so). */
  resetHeader(): void {
    const id = this.identity;
    const c = this.cfg;
    c.fill(0);
    this.set16(0x00, id.vendorId);
    this.set16(0x02, id.deviceId);
    this.set16(PCI_COMMAND, this.initialCommand);
    this.set16(PCI_STATUS, this.initialStatus);
    c[0x08] = (id.revision ?? 0) & 0xff;
    c[0x09] = id.classCode & 0xff;
    c[0x0a] = (id.classCode >> 8) & 0xff;
    c[0x0b] = (id.classCode >> 16) & 0xff;
    c[0x0e] = this.multiFunction ? 0x80 : 0x00;
    this.set16(0x2c, id.subsystemVendorId ?? QEMU_SUBSYSTEM_VENDOR);
    this.set16(0x2e, id.subsystemId ?? QEMU_SUBSYSTEM_ID);
    c[0x3d] = id.interruptPin ?? 0;
    for (let i = 0; i < 6; i++) {
      const b = this.bars[i];
      if (b) this.set32(0x10 + i * 4, this.barTypeBits(b));
    }
    this.intxLevel = false;
  }

  private set16(off: number, v: number): void {
    this.cfg[off] = v & 0xff;
    this.cfg[off + 1] = (v >> 8) & 0xff;
  }

  private set32(off: number, v: number): void {
    for (let i = 0; i < 4; i++) this.cfg[off + i] = (v >>> (8 * i)) & 0xff;
  }

  private get32(off: number): number {
    return (this.cfg[off] | (this.cfg[off + 1] << 8) | (this.cfg[off + 2] << 16) | (this.cfg[off + 3] << 24)) >>> 0;
  }

  get command(): number {
    return this.cfg[PCI_COMMAND] | (this.cfg[PCI_COMMAND + 1] << 8);
  }

  private barTypeBits(b: BarSlot): number {
    return b.kind === 'io' ? 0x1 : b.kind === 'mem32-prefetch' ? 0x8 : 0;
  }

  /** Write mask of a header byte (offset < 0x40). */
  private wmask(off: number): number {
    if (off === PCI_COMMAND) return CMD_WRITABLE & 0xff;
    if (off === PCI_COMMAND + 1) return CMD_WRITABLE >> 8;
    if (off === 0x0c || off === 0x0d || off === 0x3c) return 0xff; // cache line, latency, int line
    if (off >= 0x10 && off < 0x28) {
      const b = this.bars[(off - 0x10) >> 2];
      if (!b) return 0;
      const mask = (~(b.size - 1) & (b.kind === 'io' ? ~0x3 : ~0xf)) >>> 0;
      return (mask >>> (8 * (off & 3))) & 0xff;
    }
    if (off >= 0x30 && off < 0x34) {
      const b = this.bars[ROM_BAR];
      if (!b) return 0;
      const mask = ((~(b.size - 1) & 0xfffff800) | 1) >>> 0;
      return (mask >>> (8 * (off & 3))) & 0xff;
    }
    return 0;
  }

  /** Header byte as read (status interrupt bit is live). */
  private headerByte(off: number): number {
    if (off === PCI_STATUS) return this.cfg[off] | (this.intxLevel ? STATUS_INTERRUPT : 0);
    return this.cfg[off];
  }

  read(offset: number, size: AccessSize): number {
    if (offset >= 0x40) {
      if (this.model.pciConfigRead) return this.model.pciConfigRead(offset, size) >>> 0;
      return 0;
    }
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + (offset + i < 0x40 ? this.headerByte(offset + i) : 0);
    return v >>> 0;
  }

  /** Write; returns the BAR mappings that changed (the caller notifies the machine). */
  write(offset: number, size: AccessSize, value: number): PciBarMapping[] {
    if (offset >= 0x40) {
      this.model.pciConfigWrite?.(offset, size, value);
      return [];
    }
    let touched = false;
    for (let i = 0; i < size; i++) {
      const off = offset + i;
      if (off >= 0x40) break;
      const byte = (value >>> (8 * i)) & 0xff;
      if (off === PCI_STATUS || off === PCI_STATUS + 1) {
        const w1c = off === PCI_STATUS ? STATUS_W1C & 0xff : STATUS_W1C >> 8;
        this.cfg[off] &= ~(byte & w1c);
        continue;
      }
      const m = this.wmask(off);
      if (m === 0) continue;
      this.cfg[off] = (this.cfg[off] & ~m) | (byte & m);
      if (off === PCI_COMMAND || off === PCI_COMMAND + 1 || (off >= 0x10 && off < 0x28) || (off >= 0x30 && off < 0x34)) touched = true;
    }
    return touched ? this.remap() : [];
  }

  /** Current decode of BAR `i` (0..5, 6 = ROM). */
  barMapping(i: number): PciBarMapping | undefined {
    const b = this.bars[i];
    if (!b) return undefined;
    const cmd = this.command;
    let base: number;
    let enabled: boolean;
    if (b.kind === 'io') {
      base = (this.get32(0x10 + i * 4) & ~0x3 & ~(b.size - 1)) >>> 0;
      const last = base + b.size - 1;
      enabled = (cmd & CMD_IO) !== 0 && base !== 0 && last <= 0xffff;
    } else if (b.kind === 'rom') {
      const raw = this.get32(0x30);
      base = (raw & ~(b.size - 1) & 0xfffff800) >>> 0;
      enabled = (cmd & CMD_MEMORY) !== 0 && (raw & 1) !== 0 && base !== 0 && base + b.size - 1 < 0xffffffff;
    } else {
      base = (this.get32(0x10 + i * 4) & ~0xf & ~(b.size - 1)) >>> 0;
      enabled = (cmd & CMD_MEMORY) !== 0 && base !== 0 && base + b.size - 1 < 0xffffffff;
    }
    return { devfn: this.devfn, bar: i, kind: b.kind, base, size: b.size, enabled };
  }

  /** Recompute every BAR's decode; return those whose base or enable changed. */
  remap(): PciBarMapping[] {
    const changed: PciBarMapping[] = [];
    for (let i = 0; i <= ROM_BAR; i++) {
      const b = this.bars[i];
      const m = this.barMapping(i);
      if (!b || !m) continue;
      const eff = m.enabled ? m.base : 0;
      const old = b.mapped.enabled ? b.mapped.base : 0;
      if (m.enabled !== b.mapped.enabled || eff !== old) {
        b.mapped = { base: m.base, enabled: m.enabled };
        changed.push(m);
      }
    }
    return changed;
  }

  /** Effective INTx output: asserted and not disabled by the command register. */
  get intxAsserted(): boolean {
    return this.intxLevel && !(this.command & CMD_INTX_DISABLE) && (this.identity.interruptPin ?? 0) !== 0;
  }

  saveHeader(): number[] {
    return Array.from(this.cfg);
  }

  loadHeader(bytes: Uint8Array): PciBarMapping[] {
    this.cfg.set(bytes.subarray(0, 64));
    // IDs are not state: re-assert them.
    this.set16(0x00, this.identity.vendorId);
    this.set16(0x02, this.identity.deviceId);
    return this.remap();
  }
}

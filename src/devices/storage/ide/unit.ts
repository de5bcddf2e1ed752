/**
 * One device position (master or slave) on an IDE channel: its copy of the taskfile registers
 * (ATA/ATAPI-6 section 7: every device keeps its own registers and both see every write), its
 * status, and the PIO data engine that moves the data register through a transfer buffer.
 * A position may be empty (kind 'none'); it still answers register reads as QEMU's IDE does,
 * so Linux's and SeaBIOS's presence probes see the same thing as on a real PIIX3.
 *
 * Command sets live in ata-disk.ts (hard disk) and atapi.ts (CD/DVD-ROM); the bus-master
 * engine in bmdma.ts calls back into a unit through the DmaTarget interface.
 */
import { BlockError, type BlockBackend, type BlockErrorCode } from '../../../block/api.js';
import type { DeviceHost } from '../../api.js';
import { CMD, DH_DEV, DH_LBA, ER_ABRT, ST_BSY, ST_DRDY, ST_DRQ, ST_DSC, ST_ERR } from './defs.js';
import type { DriveStrings, TransferMode } from './identify.js';

export type UnitKind = 'none' | 'hd' | 'cd';

/** What runs when the host has moved the last byte of the current PIO buffer. */
export type PioEnd = 'none' | 'ata-read' | 'ata-write' | 'pio-in-done' | 'atapi-packet' | 'atapi-data';

/** The channel as a unit sees it. */
export interface UnitBus {
  readonly host: DeviceHost;
  /** Assert INTRQ (unless nIEN). */
  raiseIrq(): void;
  /** The unit has posted a DMA job; the bus master runs it once started. */
  dmaPosted(): void;
}

/** A DMA job posted by a unit and run by the bus master. */
export interface DmaJob {
  /** true: device → memory (a read command). */
  toMemory: boolean;
  /** Bytes the device wants to move. */
  bytes: number;
  /** Device→memory: fill `into` with job bytes starting at `offset`. */
  source(offset: number, into: Uint8Array): Promise<void>;
  /** Memory→device: store `from` as job bytes starting at `offset`. */
  sink(offset: number, from: Uint8Array): Promise<void>;
  /** The bus master finished: `moved` bytes went through; `error` if the device side failed. */
  complete(moved: number, error: BlockError | null): void;
}

/** Largest PIO chunk fetched from the backend in one request (bytes). */
export const PIO_CHUNK = 64 * 1024;

export function blockErrorCode(e: unknown): BlockErrorCode {
  return e instanceof BlockError ? e.code : 'io';
}
export function asBlockError(e: unknown): BlockError {
  return e instanceof BlockError ? e : new BlockError('io', String(e));
}

/** Configuration of the drive at a position. */
export interface DriveSetup {
  kind: 'hd' | 'cd';
  strings: DriveStrings;
  backend: BlockBackend | null;
  /** Hard disk geometry override (0 = guess from size). */
  cyls?: number;
  heads?: number;
  secs?: number;
}

/**
 * The CHS geometry IDENTIFY reports for a disk of `totalSectors`: the given one if valid
 * (heads 1-16, sectors 1-63), else the conventional 16 heads x 63 sectors with the cylinder
 * count capped at 16383 (QEMU's hd_geometry_guess for disks without a partition table hint).
 */
export function diskGeometry(totalSectors: number, c = 0, h = 0, s = 0): { cyls: number; heads: number; secs: number } {
  if (c > 0 && h > 0 && h <= 16 && s > 0 && s <= 63) return { cyls: Math.min(c, 65535), heads: h, secs: s };
  return { cyls: Math.max(1, Math.min(16383, Math.floor(totalSectors / (16 * 63)))), heads: 16, secs: 63 };
}

export class IdeUnit {
  // Taskfile (current and "previous" values for LBA48 high-order bytes).
  feature = 0;
  nsector = 0;
  sector = 0;
  lcyl = 0;
  hcyl = 0;
  hobFeature = 0;
  hobNsector = 0;
  hobSector = 0;
  hobLcyl = 0;
  hobHcyl = 0;
  select = 0xa0;
  status = 0;
  error = 0;

  kind: UnitKind = 'none';
  backend: BlockBackend | null = null;
  strings: DriveStrings = { model: '', serial: '', firmware: '' };
  mode: TransferMode = { mwdma: -1, udma: -1 };

  // Hard disk state.
  totalSectors = 0;
  cyls = 0;
  heads = 0;
  secs = 0;
  curCyls = 0;
  curHeads = 0;
  curSecs = 0;
  multCount = 0;
  writeCache = true;

  // CD state.
  senseKey = 0;
  asc = 0;
  ascq = 0;
  /** A medium was inserted since the last command: report UNIT ATTENTION once. */
  mediaChanged = false;
  /** GET EVENT STATUS NOTIFICATION events pending: 0 none, 2 new media, 3 media removal. */
  mediaEvent = 0;
  trayOpen = false;
  locked = false;
  packet = new Uint8Array(12);
  /** PACKET was issued with features bit 0: the data phase goes through the bus master. */
  atapiDma = false;

  // PIO engine.
  readonly buf = new Uint8Array(PIO_CHUNK);
  bufPos = 0;
  bufEnd = 0;
  pioEnd: PioEnd = 'none';

  // Progress of a multi-block command (hard disk: sectors; CD: blocks of 2048 bytes).
  xLba = 0;
  xRemaining = 0;
  xBlock = 0;
  xChunkEnd = 0; // end of valid data in buf
  xCmd = 0;
  /** CD PIO data-in: the byte count limit given with PACKET. */
  xLimit = 0;

  /** Bumped by every reset: completions of requests started before it are ignored. */
  gen = 0;
  dma: DmaJob | null = null;

  constructor(readonly bus: UnitBus, readonly index: 0 | 1) {}

  get host(): DeviceHost {
    return this.bus.host;
  }

  /** Install (or remove, with null) a drive at this position. */
  attach(setup: DriveSetup | null): void {
    if (!setup) {
      this.kind = 'none';
      this.backend = null;
    } else {
      this.kind = setup.kind;
      this.backend = setup.backend;
      this.strings = setup.strings;
      if (setup.kind === 'hd') this.setDiskGeometry(setup.cyls ?? 0, setup.heads ?? 0, setup.secs ?? 0);
    }
    this.powerOn();
  }

  private setDiskGeometry(c: number, h: number, s: number): void {
    const total = this.backend ? Math.floor(this.backend.size / 512) : 0;
    const g = diskGeometry(total, c, h, s);
    this.totalSectors = total;
    this.cyls = this.curCyls = g.cyls;
    this.heads = this.curHeads = g.heads;
    this.secs = this.curSecs = g.secs;
  }

  /** Power-on / hardware reset state of the device. */
  powerOn(): void {
    this.reset();
    this.multCount = 0;
    this.mode = { mwdma: -1, udma: -1 };
    this.writeCache = true;
    this.curCyls = this.cyls;
    this.curHeads = this.heads;
    this.curSecs = this.secs;
    this.select = 0xa0 | (this.index ? DH_DEV : 0);
    this.setSense(0, 0, 0);
    this.locked = false;
  }

  /** Device reset (SRST, DEVICE RESET): abandon any command, load the signature. */
  reset(): void {
    this.gen++;
    this.dma = null;
    this.pioEnd = 'none';
    this.bufPos = this.bufEnd = 0;
    this.feature = 0;
    this.hobFeature = this.hobNsector = this.hobSector = this.hobLcyl = this.hobHcyl = 0;
    this.error = 0x01; // diagnostic: no error
    this.status = this.kind === 'cd' ? 0 : this.kind === 'hd' ? ST_DRDY | ST_DSC : 0;
    this.setSignature();
  }

  /** ATA-6 9.12: the signature a device leaves in the taskfile after reset/diagnostics. */
  setSignature(): void {
    this.select &= 0xf0; // clear the head bits
    this.nsector = 1;
    this.sector = 1;
    if (this.kind === 'cd') {
      this.lcyl = 0x14;
      this.hcyl = 0xeb;
    } else if (this.kind === 'hd') {
      this.lcyl = 0;
      this.hcyl = 0;
    } else {
      this.lcyl = 0xff;
      this.hcyl = 0xff;
    }
  }

  setSense(key: number, asc: number, ascq: number): void {
    this.senseKey = key;
    this.asc = asc;
    this.ascq = ascq;
  }

  // ---- status helpers ----

  /** Finish a command successfully without data. */
  completeOk(): void {
    this.status = ST_DRDY | ST_DSC;
    this.pioEnd = 'none';
    this.bus.raiseIrq();
  }

  /** Finish a command with an error (ATA-6: ERR with the error register, INTRQ). */
  fail(errorBits: number): void {
    this.error = errorBits;
    this.status = ST_DRDY | ST_DSC | ST_ERR;
    this.pioEnd = 'none';
    this.dma = null;
    this.bufPos = this.bufEnd = 0;
    this.bus.raiseIrq();
  }

  abortCommand(): void {
    this.fail(ER_ABRT);
  }

  /** Start a PIO transfer of buf[start, end); the caller sets the status and interrupt. */
  startPio(start: number, end: number, then: PioEnd): void {
    this.bufPos = start;
    this.bufEnd = end;
    this.pioEnd = then;
  }

  /** Mark the device busy while a backend request or DMA is outstanding. */
  setBusy(): void {
    this.status = ST_BSY | ST_DRDY | ST_DSC;
    this.pioEnd = 'none';
  }

  get transferring(): boolean {
    return (this.status & ST_DRQ) !== 0 && this.bufPos < this.bufEnd;
  }

  // ---- data register ----

  readData(size: number): number {
    if (!(this.status & ST_DRQ) || this.bufPos >= this.bufEnd) return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    let v = 0;
    for (let i = 0; i < size; i++) v |= (this.bufPos + i < this.bufEnd ? this.buf[this.bufPos + i] : 0xff) << (8 * i);
    this.bufPos += size;
    if (this.bufPos >= this.bufEnd) this.endOfBuffer();
    return v >>> 0;
  }

  writeData(size: number, value: number): void {
    if (!(this.status & ST_DRQ) || this.bufPos >= this.bufEnd) return;
    for (let i = 0; i < size && this.bufPos + i < this.bufEnd; i++) this.buf[this.bufPos + i] = (value >>> (8 * i)) & 0xff;
    this.bufPos += size;
    if (this.bufPos >= this.bufEnd) this.endOfBuffer();
  }

  /** Bulk PIO in (rep insw/insd): moves across DRQ blocks while data is ready. */
  readDataString(into: Uint8Array): void {
    let done = 0;
    while (done < into.length && this.status & ST_DRQ && this.bufPos < this.bufEnd) {
      const n = Math.min(into.length - done, this.bufEnd - this.bufPos);
      into.set(this.buf.subarray(this.bufPos, this.bufPos + n), done);
      this.bufPos += n;
      done += n;
      if (this.bufPos >= this.bufEnd) this.endOfBuffer();
    }
    if (done < into.length) into.fill(0xff, done);
  }

  writeDataString(from: Uint8Array): void {
    let done = 0;
    while (done < from.length && this.status & ST_DRQ && this.bufPos < this.bufEnd) {
      const n = Math.min(from.length - done, this.bufEnd - this.bufPos);
      this.buf.set(from.subarray(done, done + n), this.bufPos);
      this.bufPos += n;
      done += n;
      if (this.bufPos >= this.bufEnd) this.endOfBuffer();
    }
  }

  private endOfBuffer(): void {
    const what = this.pioEnd;
    this.pioEnd = 'none';
    this.status &= ~ST_DRQ;
    this.hooks.pioDone(this, what);
  }

  /** Installed by the channel (channel.ts): where a finished PIO buffer goes next. */
  hooks: UnitHooks = noHooks;

  // ---- addressing ----

  get lba48Address(): number {
    return (
      this.hobHcyl * 2 ** 40 +
      this.hobLcyl * 2 ** 32 +
      this.hobSector * 2 ** 24 +
      ((this.hcyl << 16) | (this.lcyl << 8) | this.sector)
    );
  }

  /** The starting sector of a read/write, or -1 if the CHS address is invalid. */
  commandLba(lba48: boolean): number {
    if (lba48) return this.lba48Address;
    if (this.select & DH_LBA) return ((this.select & 0x0f) << 24) | (this.hcyl << 16) | (this.lcyl << 8) | this.sector;
    const cyl = (this.hcyl << 8) | this.lcyl;
    const head = this.select & 0x0f;
    const s = this.sector;
    if (s < 1 || s > this.curSecs || head >= this.curHeads || this.curSecs === 0) return -1;
    return (cyl * this.curHeads + head) * this.curSecs + (s - 1);
  }

  commandCount(lba48: boolean): number {
    if (lba48) return ((this.hobNsector << 8) | this.nsector) || 65536;
    return this.nsector || 256;
  }

  /** Leave `lba` in the taskfile in the addressing mode of the command (ATA-6 8.x outputs). */
  setAddress(lba: number, lba48: boolean): void {
    if (lba48) {
      this.sector = lba & 0xff;
      this.lcyl = (lba >>> 8) & 0xff;
      this.hcyl = (lba >>> 16) & 0xff;
      const hi = Math.floor(lba / 2 ** 24);
      this.hobSector = hi & 0xff;
      this.hobLcyl = (hi >>> 8) & 0xff;
      this.hobHcyl = (hi >>> 16) & 0xff;
    } else if (this.select & DH_LBA) {
      this.sector = lba & 0xff;
      this.lcyl = (lba >>> 8) & 0xff;
      this.hcyl = (lba >>> 16) & 0xff;
      this.select = (this.select & 0xf0) | ((lba >>> 24) & 0x0f);
    } else if (this.curHeads && this.curSecs) {
      const cyl = Math.floor(lba / (this.curHeads * this.curSecs));
      const r = lba % (this.curHeads * this.curSecs);
      this.lcyl = cyl & 0xff;
      this.hcyl = (cyl >>> 8) & 0xff;
      this.select = (this.select & 0xf0) | Math.floor(r / this.curSecs);
      this.sector = (r % this.curSecs) + 1;
    }
  }

  /** True for the LBA48 forms of the read/write commands. */
  static isLba48(cmd: number): boolean {
    return (
      cmd === CMD.READ_SECTORS_EXT ||
      cmd === CMD.READ_DMA_EXT ||
      cmd === CMD.READ_MULTIPLE_EXT ||
      cmd === CMD.WRITE_SECTORS_EXT ||
      cmd === CMD.WRITE_DMA_EXT ||
      cmd === CMD.WRITE_MULTIPLE_EXT ||
      cmd === CMD.READ_VERIFY_EXT
    );
  }
}

/** Callbacks from the unit into the command sets. */
export interface UnitHooks {
  pioDone(u: IdeUnit, what: PioEnd): void;
}
const noHooks: UnitHooks = { pioDone: () => {} };

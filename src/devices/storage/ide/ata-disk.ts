/**
 * The ATA command set of a hard disk (ide-hd), after ATA/ATAPI-6 section 8: PIO reads and
 * writes (single, MULTIPLE, LBA48 EXT), DMA reads and writes through the bus master, READ
 * VERIFY, SEEK, FLUSH CACHE, IDENTIFY DEVICE, SET FEATURES, SET MULTIPLE MODE, INITIALIZE
 * DEVICE PARAMETERS and the power-management no-ops. Backend requests are asynchronous: the
 * device shows BSY until they settle, then DRQ or completion with INTRQ, never blocking.
 */
import type { BlockError } from '../../../block/api.js';
import {
  CMD,
  ER_ABRT,
  ER_IDNF,
  ER_UNC,
  MAX_MULT_SECTORS,
  ST_DRDY,
  ST_DRQ,
  ST_DSC,
} from './defs.js';
import { identifyDisk } from './identify.js';
import { asBlockError, IdeUnit, PIO_CHUNK, type DmaJob } from './unit.js';

const SECTOR = 512;

/**
 * Error bits for a failed backend request: IDNF for an address past the image, ABRT for a
 * failed write or an aborted request, UNC for any other read failure (io, network, bad image).
 */
export function errorBitsFor(e: BlockError, write: boolean): number {
  if (e.code === 'out-of-range') return ER_IDNF | ER_ABRT;
  if (write || e.code === 'aborted') return ER_ABRT;
  return ER_UNC;
}

/** Validate the address of a read/write/verify; on failure report IDNF and return false. */
function checkRange(u: IdeUnit, lba: number, count: number): boolean {
  if (lba < 0 || lba + count > u.totalSectors || !u.backend) {
    if (lba >= 0) u.setAddress(Math.min(lba, Math.max(0, u.totalSectors - 1)), IdeUnit.isLba48(u.xCmd));
    u.fail(ER_IDNF | ER_ABRT);
    return false;
  }
  return true;
}

/** Execute an ATA command on a hard disk. */
export function diskCommand(u: IdeUnit, cmd: number): void {
  u.xCmd = cmd;
  const lba48 = IdeUnit.isLba48(cmd);
  switch (cmd) {
    case CMD.IDENTIFY: {
      u.buf.set(
        identifyDisk({
          strings: u.strings,
          cyls: u.cyls,
          heads: u.heads,
          secs: u.secs,
          curCyls: u.curCyls,
          curHeads: u.curHeads,
          curSecs: u.curSecs,
          totalSectors: u.totalSectors,
          multCount: u.multCount,
          writeCache: u.writeCache,
          mode: u.mode,
        }),
      );
      pioIn(u, SECTOR);
      return;
    }
    case CMD.READ_SECTORS:
    case CMD.READ_SECTORS_NR:
    case CMD.READ_SECTORS_EXT:
      startPioRead(u, lba48, 1);
      return;
    case CMD.READ_MULTIPLE:
    case CMD.READ_MULTIPLE_EXT:
      if (!u.multCount) return u.abortCommand();
      startPioRead(u, lba48, u.multCount);
      return;
    case CMD.WRITE_SECTORS:
    case CMD.WRITE_SECTORS_NR:
    case CMD.WRITE_SECTORS_EXT:
      startPioWrite(u, lba48, 1);
      return;
    case CMD.WRITE_MULTIPLE:
    case CMD.WRITE_MULTIPLE_EXT:
      if (!u.multCount) return u.abortCommand();
      startPioWrite(u, lba48, u.multCount);
      return;
    case CMD.READ_DMA:
    case CMD.READ_DMA_NR:
    case CMD.READ_DMA_EXT:
      startDma(u, lba48, false);
      return;
    case CMD.WRITE_DMA:
    case CMD.WRITE_DMA_NR:
    case CMD.WRITE_DMA_EXT:
      startDma(u, lba48, true);
      return;
    case CMD.READ_VERIFY:
    case CMD.READ_VERIFY_NR:
    case CMD.READ_VERIFY_EXT: {
      const lba = u.commandLba(lba48);
      const count = u.commandCount(lba48);
      if (lba < 0) return u.fail(ER_IDNF | ER_ABRT);
      if (!checkRange(u, lba, count)) return;
      u.setAddress(lba + count - 1, lba48);
      u.completeOk();
      return;
    }
    case CMD.SET_MULTIPLE: {
      const n = u.nsector;
      if (n > MAX_MULT_SECTORS || (n & (n - 1)) !== 0) return u.abortCommand();
      u.multCount = n;
      u.completeOk();
      return;
    }
    case CMD.INIT_DEV_PARAMS: {
      const secs = u.nsector;
      const heads = (u.select & 0x0f) + 1;
      if (secs === 0) return u.abortCommand();
      u.curSecs = secs;
      u.curHeads = heads;
      u.curCyls = Math.min(65535, Math.floor(u.totalSectors / (heads * secs)));
      u.completeOk();
      return;
    }
    case CMD.SET_FEATURES:
      setFeatures(u);
      return;
    case CMD.FLUSH_CACHE:
    case CMD.FLUSH_CACHE_EXT: {
      const backend = u.backend;
      if (!backend) return u.completeOk();
      const gen = u.gen;
      u.setBusy();
      backend.flush().then(
        () => {
          if (u.gen === gen) u.completeOk();
        },
        (e: unknown) => {
          if (u.gen === gen) u.fail(errorBitsFor(asBlockError(e), true));
        },
      );
      return;
    }
    case CMD.CHECK_POWER_MODE:
    case 0x98:
      u.nsector = 0xff; // active or idle
      u.completeOk();
      return;
    case CMD.STANDBY_IMMEDIATE:
    case CMD.IDLE_IMMEDIATE:
    case CMD.STANDBY:
    case CMD.IDLE:
    case CMD.SLEEP:
    case 0x94:
    case 0x95:
    case 0x96:
    case 0x97:
    case 0x99:
      u.completeOk();
      return;
    default:
      if ((cmd & 0xf0) === 0x10 || (cmd & 0xf0) === 0x70) {
        // RECALIBRATE (1xh) and SEEK (7xh): nothing moves in an image.
        u.completeOk();
        return;
      }
      u.abortCommand();
  }
}

/** SET FEATURES (ATA-6 8.37). */
export function setFeatures(u: IdeUnit): void {
  switch (u.feature) {
    case 0x02: // enable write cache
      u.writeCache = true;
      break;
    case 0x82:
      u.writeCache = false;
      break;
    case 0x03: {
      const mode = u.nsector;
      const kind = mode >> 3;
      const n = mode & 7;
      if (kind === 0 || kind === 1) {
        // PIO default / PIO flow control mode n: no DMA mode selected.
        if (kind === 1 && n > 4) return u.abortCommand();
        u.mode = { mwdma: -1, udma: -1 };
      } else if (kind === 4) {
        if (n > 2) return u.abortCommand();
        u.mode = { mwdma: n, udma: -1 };
      } else if (kind === 8) {
        if (n > 5) return u.abortCommand();
        u.mode = { mwdma: -1, udma: n };
      } else return u.abortCommand();
      break;
    }
    case 0x55: // disable read look-ahead
    case 0xaa: // enable read look-ahead
    case 0x66: // disable reverting to power-on defaults
    case 0xcc: // enable reverting to power-on defaults
    case 0x31: // disable media status notification (accepted, nothing to notify)
      break;
    default:
      return u.abortCommand();
  }
  u.completeOk();
}

/** Offer buf[0, len) to the host as one DRQ data-in block, then finish. */
export function pioIn(u: IdeUnit, len: number): void {
  u.startPio(0, len, 'pio-in-done');
  u.status = ST_DRDY | ST_DSC | ST_DRQ;
  u.bus.raiseIrq();
}

// ---- PIO read ----

function startPioRead(u: IdeUnit, lba48: boolean, block: number): void {
  const lba = u.commandLba(lba48);
  const count = u.commandCount(lba48);
  if (lba < 0) return u.fail(ER_IDNF | ER_ABRT);
  if (!checkRange(u, lba, count)) return;
  u.xLba = lba;
  u.xRemaining = count;
  u.xBlock = block;
  fetchReadChunk(u);
}

function fetchReadChunk(u: IdeUnit): void {
  const backend = u.backend!;
  const maxSectors = Math.floor(PIO_CHUNK / SECTOR / u.xBlock) * u.xBlock;
  const n = Math.min(u.xRemaining, maxSectors);
  const gen = u.gen;
  const lba = u.xLba;
  u.setBusy();
  u.xChunkEnd = 0;
  backend.read(lba * SECTOR, u.buf.subarray(0, n * SECTOR)).then(
    () => {
      if (u.gen !== gen) return;
      u.xChunkEnd = n * SECTOR;
      offerReadBlock(u, 0);
    },
    (e: unknown) => {
      if (u.gen !== gen) return;
      u.setAddress(lba, IdeUnit.isLba48(u.xCmd));
      u.fail(errorBitsFor(asBlockError(e), false));
    },
  );
}

function offerReadBlock(u: IdeUnit, start: number): void {
  const sectors = Math.min(u.xBlock, u.xRemaining, (u.xChunkEnd - start) / SECTOR);
  u.startPio(start, start + sectors * SECTOR, 'ata-read');
  u.status = ST_DRDY | ST_DSC | ST_DRQ;
  u.bus.raiseIrq();
}

/** The host has read one DRQ block of a PIO read. */
export function readBlockDone(u: IdeUnit): void {
  const start = u.bufEnd; // the next block follows the one just read
  const sectors = Math.min(u.xBlock, u.xRemaining);
  u.xLba += sectors;
  u.xRemaining -= sectors;
  u.setAddress(u.xLba - 1, IdeUnit.isLba48(u.xCmd));
  if (u.xRemaining === 0) {
    u.status = ST_DRDY | ST_DSC;
    return;
  }
  if (start < u.xChunkEnd) offerReadBlock(u, start);
  else fetchReadChunk(u);
}

// ---- PIO write ----

function startPioWrite(u: IdeUnit, lba48: boolean, block: number): void {
  const lba = u.commandLba(lba48);
  const count = u.commandCount(lba48);
  if (lba < 0) return u.fail(ER_IDNF | ER_ABRT);
  if (!checkRange(u, lba, count)) return;
  u.xLba = lba;
  u.xRemaining = count;
  u.xBlock = block;
  // The first block is requested without an interrupt (ATA-6 9.8, PIO data-out).
  u.startPio(0, Math.min(block, count) * SECTOR, 'ata-write');
  u.status = ST_DRDY | ST_DSC | ST_DRQ;
}

/** The host has written one DRQ block of a PIO write: store it, then ask for the next. */
export function writeBlockDone(u: IdeUnit): void {
  const backend = u.backend!;
  const sectors = Math.min(u.xBlock, u.xRemaining);
  const gen = u.gen;
  const lba = u.xLba;
  u.setBusy();
  backend.write(lba * SECTOR, u.buf.subarray(0, sectors * SECTOR)).then(
    () => {
      if (u.gen !== gen) return;
      u.xLba += sectors;
      u.xRemaining -= sectors;
      u.setAddress(u.xLba - 1, IdeUnit.isLba48(u.xCmd));
      if (u.xRemaining === 0) return u.completeOk();
      u.startPio(0, Math.min(u.xBlock, u.xRemaining) * SECTOR, 'ata-write');
      u.status = ST_DRDY | ST_DSC | ST_DRQ;
      u.bus.raiseIrq();
    },
    (e: unknown) => {
      if (u.gen !== gen) return;
      u.setAddress(lba, IdeUnit.isLba48(u.xCmd));
      u.fail(errorBitsFor(asBlockError(e), true));
    },
  );
}

// ---- DMA ----

function startDma(u: IdeUnit, lba48: boolean, write: boolean): void {
  const lba = u.commandLba(lba48);
  const count = u.commandCount(lba48);
  if (lba < 0) return u.fail(ER_IDNF | ER_ABRT);
  if (!checkRange(u, lba, count)) return;
  const backend = u.backend!;
  const gen = u.gen;
  const job: DmaJob = {
    toMemory: !write,
    bytes: count * SECTOR,
    source: (offset, into) => backend.read(lba * SECTOR + offset, into),
    sink: (offset, from) => backend.write(lba * SECTOR + offset, from),
    complete: (moved, error) => {
      if (u.gen !== gen || u.dma !== job) return;
      u.dma = null;
      const done = Math.floor(moved / SECTOR);
      if (error) {
        u.setAddress(lba + done, lba48);
        return u.fail(errorBitsFor(error, write));
      }
      if (moved < job.bytes) {
        // The PRD table ended before the transfer: the device stops without an interrupt
        // (what the PIIX does when the bus master runs out of descriptors).
        u.setAddress(lba + Math.max(0, done - 1), lba48);
        u.status = ST_DRDY | ST_DSC;
        return;
      }
      u.setAddress(lba + count - 1, lba48);
      u.completeOk();
    },
  };
  u.setBusy();
  u.dma = job;
  u.bus.dmaPosted();
}

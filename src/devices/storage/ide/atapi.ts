/**
 * An ATAPI CD/DVD-ROM drive (ide-cd): the ATA commands an ATAPI device answers (IDENTIFY
 * PACKET DEVICE, PACKET, DEVICE RESET, the signature-loading aborts of ATA-6 9.10), and the
 * packet protocol of SFF-8020i / ATA-6 9.10-9.11: the 12-byte command packet, the byte count
 * limit in LBA mid/high, the interrupt reason (CoD/IO) in the sector count register, PIO data-in
 * in chunks or DMA through the bus master. The MMC commands themselves are in mmc.ts.
 */
import {
  CMD,
  IR_COD,
  IR_IO,
  ST_DRDY,
  ST_DRQ,
  ST_DSC,
  ST_ERR,
} from './defs.js';
import { setFeatures } from './ata-disk.js';
import { identifyPacket } from './identify.js';
import { executePacket } from './mmc.js';
import { asBlockError, IdeUnit, PIO_CHUNK, type DmaJob } from './unit.js';

export const CD_SECTOR = 2048;

/** Execute an ATA command on an ATAPI device. */
export function cdCommand(u: IdeUnit, cmd: number): void {
  u.xCmd = cmd;
  switch (cmd) {
    case CMD.IDENTIFY_PACKET:
      u.buf.set(identifyPacket(u.strings, u.mode));
      u.startPio(0, 512, 'pio-in-done');
      u.status = ST_DRDY | ST_DSC | ST_DRQ;
      u.bus.raiseIrq();
      return;
    case CMD.PACKET:
      if (u.feature & 0x02) return u.abortCommand(); // overlapped commands are not supported
      u.atapiDma = (u.feature & 0x01) !== 0;
      u.xLimit = u.lcyl | (u.hcyl << 8);
      u.nsector = (u.nsector & ~7) | IR_COD;
      u.startPio(0, 12, 'atapi-packet');
      u.status = ST_DRDY | ST_DSC | ST_DRQ;
      return;
    case CMD.DEVICE_RESET:
      // Completes without an interrupt, with the signature loaded (ATA-6 8.7).
      u.reset();
      return;
    case CMD.EXEC_DIAGNOSTIC:
      u.reset();
      u.bus.raiseIrq();
      return;
    case CMD.IDENTIFY:
    case CMD.READ_SECTORS:
    case CMD.READ_SECTORS_NR:
      // ATA-6 9.10: an ATAPI device aborts these and leaves its signature for the host.
      u.setSignature();
      u.abortCommand();
      return;
    case CMD.SET_FEATURES:
      setFeatures(u);
      return;
    case CMD.CHECK_POWER_MODE:
      u.nsector = 0xff;
      u.completeOk();
      return;
    case CMD.IDLE_IMMEDIATE:
    case CMD.STANDBY_IMMEDIATE:
    case CMD.IDLE:
    case CMD.STANDBY:
    case CMD.SLEEP:
      u.completeOk();
      return;
    default:
      u.abortCommand();
  }
}

/** The 12-byte packet has arrived through the data register. */
export function packetReceived(u: IdeUnit): void {
  u.packet.set(u.buf.subarray(0, 12));
  executePacket(u);
}

/** Finish a packet command successfully (status phase: IO|CoD, INTRQ). */
export function atapiDone(u: IdeUnit): void {
  u.error = 0;
  u.status = ST_DRDY | ST_DSC;
  u.nsector = (u.nsector & ~7) | IR_IO | IR_COD;
  u.pioEnd = 'none';
  u.dma = null;
  u.bus.raiseIrq();
}

/** Finish a packet command with CHECK CONDITION: sense data kept, sense key in the error register. */
export function atapiError(u: IdeUnit, key: number, asc: number, ascq = 0): void {
  u.setSense(key, asc, ascq);
  u.error = key << 4;
  u.status = ST_DRDY | ST_ERR;
  u.nsector = (u.nsector & ~7) | IR_IO | IR_COD;
  u.pioEnd = 'none';
  u.dma = null;
  u.bufPos = u.bufEnd = 0;
  u.bus.raiseIrq();
}

/** Send buf[0, len) to the host (PIO or DMA), at most `alloc` bytes. */
export function atapiReply(u: IdeUnit, len: number, alloc: number): void {
  const n = Math.min(len, alloc);
  u.xRemaining = 0;
  if (n === 0) return atapiDone(u);
  u.xChunkEnd = n;
  if (u.atapiDma) {
    const gen = u.gen;
    const job: DmaJob = {
      toMemory: true,
      bytes: n,
      source: async (offset, into) => {
        into.set(u.buf.subarray(offset, offset + into.length));
      },
      sink: async () => {},
      complete: (_moved, error) => dmaFinished(u, job, gen, error),
    };
    u.setBusy();
    u.dma = job;
    u.bus.dmaPosted();
    return;
  }
  offerChunk(u, 0);
}

/** Start a read of `count` 2048-byte blocks at `lba` (READ(10)/(12)/CD). */
export function atapiRead(u: IdeUnit, lba: number, count: number): void {
  const backend = u.backend!;
  if (count === 0) return atapiDone(u);
  if (u.atapiDma) {
    const gen = u.gen;
    const job: DmaJob = {
      toMemory: true,
      bytes: count * CD_SECTOR,
      source: (offset, into) => backend.read(lba * CD_SECTOR + offset, into),
      sink: async () => {},
      complete: (_moved, error) => dmaFinished(u, job, gen, error),
    };
    u.setBusy();
    u.dma = job;
    u.bus.dmaPosted();
    return;
  }
  u.xLba = lba;
  u.xRemaining = count;
  fetchChunk(u);
}

function dmaFinished(u: IdeUnit, job: DmaJob, gen: number, error: ReturnType<typeof asBlockError> | null): void {
  if (u.gen !== gen || u.dma !== job) return;
  u.dma = null;
  if (error) return mediumError(u, error);
  atapiDone(u);
}

function mediumError(u: IdeUnit, e: ReturnType<typeof asBlockError>): void {
  if (e.code === 'out-of-range') atapiError(u, 0x5, 0x21); // LBA out of range
  else atapiError(u, 0x3, 0x11); // MEDIUM ERROR, unrecovered read error
}

function fetchChunk(u: IdeUnit): void {
  const backend = u.backend;
  if (!backend) return atapiError(u, 0x2, 0x3a);
  const n = Math.min(u.xRemaining, PIO_CHUNK / CD_SECTOR);
  const gen = u.gen;
  u.setBusy();
  backend.read(u.xLba * CD_SECTOR, u.buf.subarray(0, n * CD_SECTOR)).then(
    () => {
      if (u.gen !== gen) return;
      u.xLba += n;
      u.xRemaining -= n;
      u.xChunkEnd = n * CD_SECTOR;
      offerChunk(u, 0);
    },
    (e: unknown) => {
      if (u.gen === gen) mediumError(u, asBlockError(e));
    },
  );
}

/** Offer the next PIO chunk from buf[start, xChunkEnd), limited by the byte count limit. */
function offerChunk(u: IdeUnit, start: number): void {
  let limit = u.xLimit;
  if (limit === 0 || limit === 0xffff) limit = 0xfffe;
  let n = Math.min(limit, u.xChunkEnd - start);
  const more = start + n < u.xChunkEnd || u.xRemaining > 0;
  if (more && n & 1) n--; // all but the last chunk have an even length
  if (n === 0) n = Math.min(2, u.xChunkEnd - start); // limit of 1: still make progress
  u.startPio(start, start + n, 'atapi-data');
  u.lcyl = n & 0xff;
  u.hcyl = (n >>> 8) & 0xff;
  u.nsector = (u.nsector & ~7) | IR_IO;
  u.status = ST_DRDY | ST_DSC | ST_DRQ;
  u.bus.raiseIrq();
}

/** The host has read one PIO chunk. */
export function dataChunkDone(u: IdeUnit): void {
  const next = u.bufEnd;
  if (next < u.xChunkEnd) return offerChunk(u, next);
  if (u.xRemaining > 0) return fetchChunk(u);
  atapiDone(u);
}

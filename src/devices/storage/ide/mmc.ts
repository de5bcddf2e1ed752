/**
 * The MMC (SCSI multimedia) commands of the ide-cd drive, as carried in ATAPI packets: MMC-3 /
 * SPC-3 for TEST UNIT READY, REQUEST SENSE, INQUIRY, READ CAPACITY, READ(10)/(12), READ CD (user
 * data), READ TOC/PMA/ATIP formats 0, 1 and 2, MODE SENSE(6/10) pages 01h and 2Ah, GET
 * CONFIGURATION, GET EVENT STATUS NOTIFICATION (polled, media class), READ DISC INFORMATION,
 * PREVENT/ALLOW MEDIUM REMOVAL, START STOP UNIT, SEEK, SET CD SPEED and MECHANISM STATUS. Sense
 * data is kept per condition (NOT READY / medium not present, UNIT ATTENTION / medium changed,
 * ILLEGAL REQUEST / invalid opcode or field). Replies are built in the unit's buffer and cut to
 * the allocation length.
 */
import {
  ASC_INVALID_FIELD,
  ASC_INVALID_OPCODE,
  ASC_LBA_OUT_OF_RANGE,
  ASC_MEDIUM_CHANGED,
  ASC_MEDIUM_NOT_PRESENT,
  ASC_MEDIUM_REMOVAL_PREVENTED,
  ASC_SAVING_NOT_SUPPORTED,
  CD_MAX_SECTORS,
  PKT,
  SENSE_ILLEGAL_REQUEST,
  SENSE_NOT_READY,
  SENSE_UNIT_ATTENTION,
} from './defs.js';
import { atapiDone, atapiError, atapiRead, atapiReply, CD_SECTOR } from './atapi.js';
import type { IdeUnit } from './unit.js';

const be16 = (p: Uint8Array, i: number): number => (p[i] << 8) | p[i + 1];
const be32 = (p: Uint8Array, i: number): number => ((p[i] << 24) | (p[i + 1] << 16) | (p[i + 2] << 8) | p[i + 3]) >>> 0;
function put16(b: Uint8Array, i: number, v: number): void {
  b[i] = (v >>> 8) & 0xff;
  b[i + 1] = v & 0xff;
}
function put32(b: Uint8Array, i: number, v: number): void {
  b[i] = (v >>> 24) & 0xff;
  b[i + 1] = (v >>> 16) & 0xff;
  b[i + 2] = (v >>> 8) & 0xff;
  b[i + 3] = v & 0xff;
}
function putText(b: Uint8Array, i: number, len: number, text: string): void {
  for (let k = 0; k < len; k++) b[i + k] = k < text.length ? text.charCodeAt(k) & 0x7f : 0x20;
}

/** Whether a readable medium is in the drive. */
export function mediumPresent(u: IdeUnit): boolean {
  return u.backend !== null && !u.trayOpen;
}
/** Capacity in 2048-byte blocks. */
export function cdBlocks(u: IdeUnit): number {
  return u.backend ? Math.floor(u.backend.size / CD_SECTOR) : 0;
}
function isDvd(u: IdeUnit): boolean {
  return cdBlocks(u) > CD_MAX_SECTORS;
}

/** Put LBA as MSF (minute/second/frame with the 150-frame lead-in) at b[i..i+3]. */
function putMsf(b: Uint8Array, i: number, lba: number): void {
  const f = lba + 150;
  b[i] = 0;
  b[i + 1] = Math.floor(f / (75 * 60)) & 0xff;
  b[i + 2] = Math.floor(f / 75) % 60;
  b[i + 3] = f % 75;
}
function putAddress(b: Uint8Array, i: number, lba: number, msf: boolean): void {
  if (msf) putMsf(b, i, lba);
  else put32(b, i, lba);
}

/** Commands that run even while a UNIT ATTENTION is pending (SPC-3 5.9.6; MMC-3). */
const PASS_UNIT_ATTENTION = new Set<number>([PKT.INQUIRY, PKT.REQUEST_SENSE, PKT.GET_CONFIGURATION, PKT.GET_EVENT_STATUS]);
/** Commands that need a medium. */
const NEED_MEDIUM = new Set<number>([
  PKT.TEST_UNIT_READY,
  PKT.READ_CAPACITY,
  PKT.READ_10,
  PKT.READ_12,
  PKT.READ_CD,
  PKT.READ_TOC,
  PKT.READ_DISC_INFO,
  PKT.SEEK_10,
  PKT.READ_SUBCHANNEL,
]);

export function executePacket(u: IdeUnit): void {
  const p = u.packet;
  const op = p[0];
  if (u.mediaChanged && !PASS_UNIT_ATTENTION.has(op)) {
    u.mediaChanged = false;
    return atapiError(u, SENSE_UNIT_ATTENTION, ASC_MEDIUM_CHANGED);
  }
  if (NEED_MEDIUM.has(op) && !mediumPresent(u)) return atapiError(u, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
  const b = u.buf;
  switch (op) {
    case PKT.TEST_UNIT_READY:
      return atapiDone(u);
    case PKT.REQUEST_SENSE: {
      b.fill(0, 0, 18);
      b[0] = 0x70; // current error, fixed format
      if (u.mediaChanged) {
        u.mediaChanged = false;
        u.setSense(SENSE_UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0);
      }
      b[2] = u.senseKey;
      b[7] = 10; // additional sense length
      b[12] = u.asc;
      b[13] = u.ascq;
      u.setSense(0, 0, 0); // reported: the condition is cleared
      return atapiReply(u, 18, p[4]);
    }
    case PKT.INQUIRY: {
      if (p[1] & 0x01) return atapiError(u, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD); // no VPD pages
      b.fill(0, 0, 36);
      b[0] = 0x05; // CD/DVD device
      b[1] = 0x80; // removable
      b[2] = 0x00; // ATAPI: version field zero
      b[3] = 0x21; // ATAPI transport, response data format 1
      b[4] = 31; // additional length
      putText(b, 8, 8, 'BULKHEAD');
      putText(b, 16, 16, u.strings.model);
      putText(b, 32, 4, u.strings.firmware);
      return atapiReply(u, 36, be16(p, 3));
    }
    case PKT.READ_CAPACITY:
      put32(b, 0, cdBlocks(u) - 1);
      put32(b, 4, CD_SECTOR);
      return atapiReply(u, 8, 8);
    case PKT.READ_10:
      return read(u, be32(p, 2), be16(p, 7));
    case PKT.READ_12:
      return read(u, be32(p, 2), be32(p, 6));
    case PKT.READ_CD: {
      const count = (p[6] << 16) | (p[7] << 8) | p[8];
      const flags = p[9] & 0xf8;
      if (flags === 0) return atapiDone(u); // nothing selected to transfer
      if (flags !== 0x10) return atapiError(u, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD); // user data only
      return read(u, be32(p, 2), count);
    }
    case PKT.SEEK_10:
      if (be32(p, 2) >= cdBlocks(u)) return atapiError(u, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
      return atapiDone(u);
    case PKT.READ_TOC:
      return readToc(u);
    case PKT.MODE_SENSE_6:
    case PKT.MODE_SENSE_10:
      return modeSense(u, op === PKT.MODE_SENSE_10);
    case PKT.GET_CONFIGURATION:
      return getConfiguration(u);
    case PKT.GET_EVENT_STATUS:
      return getEventStatus(u);
    case PKT.READ_DISC_INFO: {
      if (p[1] & 0x07) return atapiError(u, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
      b.fill(0, 0, 34);
      put16(b, 0, 32);
      b[2] = 0x0e; // last session complete, disc finalized
      b[3] = 1; // first track on disc
      b[4] = 1; // sessions
      b[5] = 1; // first track in last session
      b[6] = 1; // last track in last session
      b[7] = 0x20; // unrestricted use
      b[8] = 0x00; // CD-DA or CD-ROM disc
      return atapiReply(u, 34, be16(p, 7));
    }
    case PKT.PREVENT_ALLOW:
      u.locked = (p[4] & 0x01) !== 0;
      return atapiDone(u);
    case PKT.START_STOP_UNIT: {
      const loej = (p[4] & 0x02) !== 0;
      const start = (p[4] & 0x01) !== 0;
      if (loej && !start) {
        if (u.locked) return atapiError(u, SENSE_ILLEGAL_REQUEST, ASC_MEDIUM_REMOVAL_PREVENTED, 0x02);
        if (!u.trayOpen) {
          u.trayOpen = true;
          if (u.backend) u.mediaEvent = 3;
        }
      } else if (loej && start && u.trayOpen) {
        u.trayOpen = false;
        if (u.backend) {
          u.mediaChanged = true;
          u.mediaEvent = 2;
        }
      }
      return atapiDone(u);
    }
    case PKT.SET_CD_SPEED:
      return atapiDone(u);
    case PKT.MECHANISM_STATUS:
      b.fill(0, 0, 8);
      b[1] = u.trayOpen ? 0x10 : 0; // door open
      b[5] = 1; // one slot
      return atapiReply(u, 8, be16(p, 8));
    default:
      return atapiError(u, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
  }
}

function read(u: IdeUnit, lba: number, count: number): void {
  if (lba + count > cdBlocks(u)) return atapiError(u, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
  atapiRead(u, lba, count);
}

/** READ TOC/PMA/ATIP (MMC-3 6.25) for a single-track data disc. */
function readToc(u: IdeUnit): void {
  const p = u.packet;
  const b = u.buf;
  const msf = (p[1] & 0x02) !== 0;
  let format = p[2] & 0x0f;
  if (format === 0 && p[9] >> 6) format = p[9] >> 6; // older drives: format in the control byte
  const startTrack = p[6];
  const alloc = be16(p, 7);
  const blocks = cdBlocks(u);
  switch (format) {
    case 0: {
      if (startTrack > 1 && startTrack !== 0xaa) return atapiError(u, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
      let i = 4;
      b[2] = 1; // first track
      b[3] = 1; // last track
      if (startTrack <= 1) {
        b.fill(0, i, i + 8);
        b[i + 1] = 0x14; // ADR 1, data track
        b[i + 2] = 1;
        putAddress(b, i + 4, 0, msf);
        i += 8;
      }
      b.fill(0, i, i + 8);
      b[i + 1] = 0x14;
      b[i + 2] = 0xaa; // lead-out
      putAddress(b, i + 4, blocks, msf);
      i += 8;
      put16(b, 0, i - 2);
      return atapiReply(u, i, alloc);
    }
    case 1: {
      b.fill(0, 0, 12);
      put16(b, 0, 10);
      b[2] = 1; // first session
      b[3] = 1; // last session
      b[5] = 0x14;
      b[6] = 1; // first track of the last session
      putAddress(b, 8, 0, msf);
      return atapiReply(u, 12, alloc);
    }
    case 2: {
      // Full TOC: points A0 (first track), A1 (last track), A2 (lead-out), then track 1.
      b[2] = 1;
      b[3] = 1;
      let i = 4;
      const entry = (point: number, pmin: number, psec: number, pframe: number): void => {
        b.fill(0, i, i + 11);
        b[i] = 1; // session
        b[i + 1] = 0x14;
        b[i + 3] = point;
        b[i + 8] = pmin;
        b[i + 9] = psec;
        b[i + 10] = pframe;
        i += 11;
      };
      const m = new Uint8Array(4);
      entry(0xa0, 1, 0, 0); // first track 1, disc type CD-ROM
      entry(0xa1, 1, 0, 0); // last track 1
      putMsf(m, 0, blocks);
      entry(0xa2, m[1], m[2], m[3]);
      putMsf(m, 0, 0);
      entry(1, m[1], m[2], m[3]);
      put16(b, 0, i - 2);
      return atapiReply(u, i, alloc);
    }
    default:
      return atapiError(u, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
  }
}

/** Write mode page `page` at b[i]; return its length, or 0 if the page is not supported. */
function modePage(u: IdeUnit, b: Uint8Array, i: number, page: number, changeable: boolean): number {
  if (page === 0x01) {
    // Read/write error recovery parameters.
    b.fill(0, i, i + 8);
    b[i] = 0x01;
    b[i + 1] = 6;
    if (!changeable) b[i + 3] = 5; // read retry count
    return 8;
  }
  if (page === 0x2a) {
    // CD/DVD capabilities and mechanical status (MMC-3 6.3.11).
    b.fill(0, i, i + 20);
    b[i] = 0x2a;
    b[i + 1] = 18;
    if (changeable) return 20;
    b[i + 2] = 0x3b; // reads CD-R, CD-RW, DVD-ROM, DVD-R, DVD-RAM
    b[i + 4] = 0x71; // audio play, mode 2 form 1/2, multisession
    b[i + 5] = 0x60; // composite, digital port
    b[i + 6] = 0x29 | (u.locked ? 0x02 : 0); // tray mechanism, eject, lock supported; lock state
    put16(b, i + 8, 704); // maximum read speed (4x, kB/s)
    put16(b, i + 10, 2); // volume levels
    put16(b, i + 12, 512); // buffer size (KiB)
    put16(b, i + 14, 704); // current read speed
    return 20;
  }
  return 0;
}

/** MODE SENSE(6) and (10) (SPC-3 6.9/6.10) with no block descriptors. */
function modeSense(u: IdeUnit, ten: boolean): void {
  const p = u.packet;
  const b = u.buf;
  const pc = p[2] >> 6;
  const page = p[2] & 0x3f;
  if (pc === 3) return atapiError(u, SENSE_ILLEGAL_REQUEST, ASC_SAVING_NOT_SUPPORTED);
  const header = ten ? 8 : 4;
  b.fill(0, 0, header);
  let i = header;
  if (page === 0x3f) {
    i += modePage(u, b, i, 0x01, pc === 1);
    i += modePage(u, b, i, 0x2a, pc === 1);
  } else {
    const n = modePage(u, b, i, page, pc === 1);
    if (n === 0) return atapiError(u, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
    i += n;
  }
  const medium = mediumPresent(u) ? (isDvd(u) ? 0x00 : 0x01) : 0x70; // 70h: no disc
  if (ten) {
    put16(b, 0, i - 2);
    b[2] = medium;
    return atapiReply(u, i, be16(p, 7));
  }
  b[0] = i - 1;
  b[1] = medium;
  return atapiReply(u, i, p[4]);
}

/** GET CONFIGURATION (MMC-3 6.6): profile list and the features Linux's cdrom layer asks for. */
function getConfiguration(u: IdeUnit): void {
  const p = u.packet;
  const b = u.buf;
  const rt = p[1] & 0x03;
  const first = be16(p, 2);
  if (rt === 3) return atapiError(u, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
  const present = mediumPresent(u);
  const profile = present ? (isDvd(u) ? 0x0010 : 0x0008) : 0;
  b.fill(0, 0, 8);
  put16(b, 6, profile);
  let i = 8;
  const feature = (code: number, current: boolean, version: number, body: number[]): void => {
    if (rt === 2 ? code !== first : code < first) return;
    if (rt === 1 && !current) return;
    put16(b, i, code);
    b[i + 2] = (version << 2) | 0x02 /* persistent */ | (current ? 1 : 0);
    b[i + 3] = body.length;
    b.set(body, i + 4);
    i += 4 + body.length;
  };
  // Profile list: DVD-ROM and CD-ROM, the current one flagged.
  feature(0x0000, true, 0, [0x00, 0x10, profile === 0x10 ? 1 : 0, 0, 0x00, 0x08, profile === 0x08 ? 1 : 0, 0]);
  feature(0x0001, true, 0, [0, 0, 0, 2 /* ATAPI */, 0, 0, 0, 0]); // core
  feature(0x0002, true, 0, [0, 0, 0, 0]); // morphing (no asynchronous events)
  feature(0x0003, true, 0, [0x29, 0, 0, 0]); // removable medium: tray, eject, lock
  feature(0x0010, present, 0, [0, 0, 0x08, 0x00, 0, 1, 0, 0]); // random readable, 2048-byte blocks
  feature(0x001e, present && profile === 0x08, 0, [0, 0, 0, 0]); // CD read
  feature(0x001f, present && profile === 0x10, 0, [0, 0, 0, 0]); // DVD read
  put32(b, 0, i - 4);
  atapiReply(u, i, be16(p, 7));
}

/** GET EVENT STATUS NOTIFICATION (MMC-3 6.7), polled only; the media class. */
function getEventStatus(u: IdeUnit): void {
  const p = u.packet;
  const b = u.buf;
  if (!(p[1] & 0x01)) return atapiError(u, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD); // asynchronous mode
  const classes = p[4];
  b.fill(0, 0, 8);
  b[3] = 1 << 4; // supported: media class
  if (classes & (1 << 4)) {
    put16(b, 0, 6);
    b[2] = 4; // media class
    b[4] = u.mediaEvent;
    b[5] = (mediumPresent(u) ? 0x02 : 0) | (u.trayOpen ? 0x01 : 0);
    u.mediaEvent = 0;
    return atapiReply(u, 8, be16(p, 7));
  }
  put16(b, 0, 2);
  b[2] = 0x80; // no event available for the requested classes
  atapiReply(u, 4, be16(p, 7));
}

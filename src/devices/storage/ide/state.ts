/**
 * Typed, versioned snapshots of an IDE channel (its two device positions and its bus master).
 * A backend request or DMA transfer in flight cannot be captured: a device that was busy at save
 * time is restored with its command aborted (ERR/ABRT, or ABORTED COMMAND sense for ATAPI) and
 * an interrupt, so the guest driver retries it, as after a real transient error.
 */
import { DC_SRST, ER_ABRT, SENSE_ABORTED_COMMAND, ST_BSY } from './defs.js';
import { atapiError } from './atapi.js';
import type { IdeChannel } from './channel.js';
import type { IdeUnit, PioEnd } from './unit.js';

const UNIT_NUMBERS = [
  'feature', 'nsector', 'sector', 'lcyl', 'hcyl', 'hobFeature', 'hobNsector', 'hobSector', 'hobLcyl', 'hobHcyl',
  'select', 'status', 'error', 'curCyls', 'curHeads', 'curSecs', 'multCount', 'senseKey', 'asc', 'ascq',
  'mediaEvent', 'bufPos', 'bufEnd', 'xLba', 'xRemaining', 'xBlock', 'xChunkEnd', 'xCmd', 'xLimit',
] as const;
type UnitNumber = (typeof UNIT_NUMBERS)[number];

export interface IdeUnitState {
  kind: string;
  numbers: Record<UnitNumber, number>;
  flags: { writeCache: boolean; mediaChanged: boolean; trayOpen: boolean; locked: boolean; atapiDma: boolean };
  mode: { mwdma: number; udma: number };
  pioEnd: PioEnd;
  /** Transfer buffer contents up to the end of valid data (only while a transfer is open). */
  buffer: Uint8Array | null;
  busy: boolean;
}

export interface IdeChannelState {
  devCtl: number;
  irqPending: boolean;
  bm: { cmd: number; status: number; prd: number };
  units: [IdeUnitState, IdeUnitState];
}

const PIO_ENDS: PioEnd[] = ['none', 'ata-read', 'ata-write', 'pio-in-done', 'atapi-packet', 'atapi-data'];

function saveUnit(u: IdeUnit, srst: boolean): IdeUnitState {
  const numbers = {} as Record<UnitNumber, number>;
  for (const k of UNIT_NUMBERS) numbers[k] = u[k];
  const open = u.pioEnd !== 'none';
  const end = Math.max(u.bufEnd, u.xChunkEnd);
  return {
    kind: u.kind,
    numbers,
    flags: { writeCache: u.writeCache, mediaChanged: u.mediaChanged, trayOpen: u.trayOpen, locked: u.locked, atapiDma: u.atapiDma },
    mode: { ...u.mode },
    pioEnd: u.pioEnd,
    buffer: open ? u.buf.slice(0, Math.min(end, u.buf.length)) : null,
    busy: (u.status & ST_BSY) !== 0 && !srst && u.kind !== 'none',
  };
}

function int(v: unknown, max: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.max(0, Math.min(max, Math.floor(v))) : 0;
}

function loadUnit(u: IdeUnit, s: IdeUnitState): void {
  if (s.kind !== u.kind) throw new Error(`ide state: position holds '${u.kind}', snapshot has '${s.kind}'`);
  u.reset();
  const n = s.numbers ?? ({} as Record<UnitNumber, number>);
  for (const k of UNIT_NUMBERS) {
    const max = k === 'xLba' || k === 'xRemaining' ? 2 ** 48 : k.startsWith('buf') || k.startsWith('x') ? u.buf.length : 0xffff;
    u[k] = int(n[k], max);
  }
  for (const k of ['feature', 'nsector', 'sector', 'lcyl', 'hcyl', 'select', 'status', 'error'] as const) u[k] &= 0xff;
  u.writeCache = !!s.flags?.writeCache;
  u.mediaChanged = !!s.flags?.mediaChanged;
  u.trayOpen = !!s.flags?.trayOpen;
  u.locked = !!s.flags?.locked;
  u.atapiDma = !!s.flags?.atapiDma;
  u.mode = { mwdma: int((s.mode?.mwdma ?? -1) + 1, 3) - 1, udma: int((s.mode?.udma ?? -1) + 1, 6) - 1 };
  u.pioEnd = PIO_ENDS.includes(s.pioEnd) ? s.pioEnd : 'none';
  u.buf.fill(0);
  if (s.buffer instanceof Uint8Array) u.buf.set(s.buffer.subarray(0, u.buf.length));
  if (u.bufPos > u.bufEnd) u.bufPos = u.bufEnd;
  if (s.busy) {
    // The request in flight was lost with the old session: abort it so the guest retries.
    if (u.kind === 'cd' && u.xCmd === 0xa0) atapiError(u, SENSE_ABORTED_COMMAND, 0, 0);
    else u.fail(ER_ABRT);
  }
}

export function saveChannel(ch: IdeChannel): IdeChannelState {
  const srst = (ch.devCtl & DC_SRST) !== 0;
  return {
    devCtl: ch.devCtl,
    irqPending: ch.irqPending,
    bm: { cmd: ch.bm.cmd, status: ch.bm.status, prd: ch.bm.prd },
    units: [saveUnit(ch.units[0], srst), saveUnit(ch.units[1], srst)],
  };
}

export function loadChannel(ch: IdeChannel, s: IdeChannelState): void {
  ch.bm.reset();
  ch.bm.cmd = int(s.bm?.cmd, 0xff) & 0x09;
  ch.bm.status = int(s.bm?.status, 0xff) & 0x66; // not active: no transfer survives a restore
  ch.bm.prd = (int(s.bm?.prd, 0xffffffff) & ~3) >>> 0;
  ch.devCtl = int(s.devCtl, 0xff) & 0x86;
  loadUnit(ch.units[0], s.units[0]);
  loadUnit(ch.units[1], s.units[1]);
  if (s.irqPending) ch.raiseIrq();
}

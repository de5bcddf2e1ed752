/**
 * The bus-master IDE function of one PIIX3 channel (Intel 82371SB datasheet 2.7: BMICx command,
 * BMISx status, BMIDTPx descriptor table pointer) and the engine that runs a device's DMA job
 * through a Physical Region Descriptor table in guest memory. Each PRD (8 bytes: base, byte count
 * with 0 = 64 KiB, bit 31 = end of table) is copied out of guest RAM before it is used, and the
 * walk is bounded (at most 8192 descriptors, the 64 KiB a table may span). Data moves in chunks of
 * at most 64 KiB between asynchronous backend requests; stopping the engine or resetting the
 * device abandons a transfer at the next chunk boundary.
 */
import { BlockError } from '../../../block/api.js';
import type { GuestMemory } from '../../api.js';
import { asBlockError, type DmaJob } from './unit.js';

export const BM_CMD_START = 0x01;
export const BM_CMD_WRITE_MEM = 0x08; // bus master writes memory (device → memory)
export const BM_ST_ACTIVE = 0x01;
export const BM_ST_ERROR = 0x02;
export const BM_ST_INTR = 0x04;
export const BM_ST_DRV0_DMA = 0x20;
export const BM_ST_DRV1_DMA = 0x40;

/** Bound on the PRD table walk: a table must fit in 64 KiB (PIIX3 datasheet 2.7.3). */
export const MAX_PRD_ENTRIES = 8192;
const CHUNK = 64 * 1024;

interface Segment {
  addr: number;
  len: number;
}

export class BusMaster {
  cmd = 0;
  status = 0;
  prd = 0;
  /** Bumped whenever the engine is stopped or reset; a running transfer checks it. */
  private token = 0;
  private running = false;
  private readonly chunk = new Uint8Array(CHUNK);

  constructor(
    private readonly memory: GuestMemory | undefined,
    private readonly guestError: (m: string) => void,
    /** The job to run, if a device has posted one. */
    private readonly pendingJob: () => DmaJob | null,
  ) {}

  reset(): void {
    this.token++;
    this.running = false;
    this.cmd = 0;
    this.status = 0;
    this.prd = 0;
  }

  /** Abandon a transfer in progress (the device is being reset). */
  cancel(): void {
    if (this.running) {
      this.token++;
      this.running = false;
      this.status &= ~BM_ST_ACTIVE;
    }
  }

  readByte(offset: number): number {
    switch (offset) {
      case 0:
        return this.cmd;
      case 2:
        return this.status;
      case 4:
      case 5:
      case 6:
      case 7:
        return (this.prd >>> (8 * (offset - 4))) & 0xff;
      default:
        return 0;
    }
  }

  writeByte(offset: number, v: number): void {
    switch (offset) {
      case 0: {
        const wasStarted = this.cmd & BM_CMD_START;
        // The direction bit cannot change while the engine is active.
        const dir = this.status & BM_ST_ACTIVE ? this.cmd & BM_CMD_WRITE_MEM : v & BM_CMD_WRITE_MEM;
        this.cmd = (v & BM_CMD_START) | dir;
        if (!(v & BM_CMD_START)) {
          if (wasStarted) {
            this.token++;
            this.running = false;
            this.status &= ~BM_ST_ACTIVE;
          }
        } else if (!wasStarted) {
          this.status |= BM_ST_ACTIVE;
          this.kick();
        }
        return;
      }
      case 2:
        // Bits 1 and 2 are write-one-to-clear; 5 and 6 are plain storage; 0 and 7 read-only.
        this.status = (this.status & ~(v & (BM_ST_ERROR | BM_ST_INTR)) & ~0x60) | (v & 0x60);
        return;
      case 4:
      case 5:
      case 6:
      case 7: {
        const shift = 8 * (offset - 4);
        this.prd = ((this.prd & ~(0xff << shift)) | ((v & 0xff) << shift)) >>> 0;
        this.prd &= ~3; // dword aligned
        this.prd >>>= 0;
        return;
      }
      default:
        return;
    }
  }

  /** Run the posted job if the engine is started and idle. */
  kick(): void {
    if (!(this.cmd & BM_CMD_START) || this.running) return;
    const job = this.pendingJob();
    if (!job) return;
    this.running = true;
    this.status |= BM_ST_ACTIVE;
    void this.run(job, this.token);
  }

  /** Copy the PRD table out of guest memory (bounded), up to `need` bytes. */
  private readTable(need: number): { segs: Segment[]; total: number; eot: boolean } {
    const segs: Segment[] = [];
    const entry = new Uint8Array(8);
    let total = 0;
    let eot = false;
    let addr = this.prd;
    for (let n = 0; n < MAX_PRD_ENTRIES && !eot && total < need; n++) {
      if (!this.memory || !this.memory.read(addr, entry)) {
        this.status |= BM_ST_ERROR;
        this.guestError(`bus master: PRD table at ${addr.toString(16)} outside guest memory`);
        break;
      }
      const base = ((entry[0] | (entry[1] << 8) | (entry[2] << 16) | (entry[3] << 24)) >>> 0) & ~1;
      const len = (entry[4] | (entry[5] << 8)) || 0x10000;
      eot = (entry[7] & 0x80) !== 0;
      segs.push({ addr: base >>> 0, len });
      total += len;
      addr = (addr + 8) >>> 0;
    }
    if (!eot && total < need) this.guestError('bus master: PRD table without end-of-table bit');
    return { segs, total, eot };
  }

  private async run(job: DmaJob, token: number): Promise<void> {
    const { segs, total, eot } = this.readTable(job.bytes);
    let xfer = Math.min(total, job.bytes);
    const short = total < job.bytes;
    if (short) xfer -= xfer % 512; // a device stops on a sector boundary
    let moved = 0;
    let error: BlockError | null = null;
    let seg = 0;
    let segOff = 0;
    // Move `data` to or from memory along the PRD segments, advancing the cursor.
    const walk = (data: Uint8Array, toMemory: boolean): void => {
      let done = 0;
      while (done < data.length && seg < segs.length) {
        const s = segs[seg];
        const n = Math.min(data.length - done, s.len - segOff);
        const part = data.subarray(done, done + n);
        const ok = toMemory ? this.memory!.write(s.addr + segOff, part) : this.memory!.read(s.addr + segOff, part);
        if (!ok) this.status |= BM_ST_ERROR;
        done += n;
        segOff += n;
        if (segOff >= s.len) {
          seg++;
          segOff = 0;
        }
      }
    };
    try {
      while (moved < xfer) {
        const n = Math.min(CHUNK, xfer - moved);
        const data = this.chunk.subarray(0, n);
        if (job.toMemory) {
          await job.source(moved, data);
          if (token !== this.token) return;
          walk(data, true);
        } else {
          walk(data, false);
          await job.sink(moved, data);
          if (token !== this.token) return;
        }
        moved += n;
      }
    } catch (e) {
      if (token !== this.token) return;
      error = asBlockError(e);
    }
    if (token !== this.token) return;
    this.running = false;
    if (error || short || total === job.bytes && eot) this.status &= ~BM_ST_ACTIVE;
    // The device completes (raising INTRQ, which sets the interrupt bit) unless the table ran short.
    job.complete(moved, error);
  }
}

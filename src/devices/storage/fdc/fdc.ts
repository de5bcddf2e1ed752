/**
 * Intel 82077AA floppy disk controller in PC-AT mode (datasheet 290166: registers in 2.0,
 * command set in 5.0, status registers ST0-ST3 in 5.2): DOR, MSR/DSR, data FIFO, DIR/CCR at 3F7h;
 * command, execution and result phases; READ DATA, WRITE DATA, READ ID, FORMAT TRACK, RECALIBRATE,
 * SEEK (absolute and relative), SENSE INTERRUPT STATUS, SENSE DRIVE STATUS, SPECIFY, CONFIGURE,
 * VERSION, PERPENDICULAR MODE, LOCK/UNLOCK and DUMPREG. Data moves over ISA DMA channel 2
 * (host.isaDma, asynchronous), or through the FIFO when SPECIFY selected non-DMA mode. Reads and
 * writes follow the physical head: the command's cylinder must match the cylinder the head is on
 * (SEEK first, or enable implied seeks with CONFIGURE EIS), as on the real part.
 */
import type { AccessSize, DeviceHost, DeviceModel, DeviceState, IrqLine } from '../../api.js';
import { FloppyDrive, SECTOR } from './floppy.js';
import {
  COMMANDS,
  DOR_DMAEN,
  DOR_NRESET,
  MSR_CB,
  MSR_DIO,
  MSR_NDMA,
  MSR_RQM,
  ST0_ABNORMAL,
  ST0_EC,
  ST0_INVALID,
  ST0_READY_CHANGE,
  ST0_SE,
  ST1_EN,
  ST1_MA,
  ST1_ND,
  ST1_NW,
  ST1_OR,
  ST2_BC,
  ST2_WC,
  type FdcState,
  type Phase,
} from './fdc-defs.js';


export class Fdc82077 implements DeviceModel {
  dor = DOR_NRESET | DOR_DMAEN;
  tdr = 0;
  rate = 0;
  dsrPower = 0;
  phase: Phase = 'command';
  command: number[] = [];
  result: number[] = [];
  resultPos = 0;
  intPending = false;
  /** SENSE INTERRUPT answers owed after a reset (one per drive, ready-line change). */
  resetSenses = 0;
  /** Per drive: ST0 of a finished seek/recalibrate not yet sensed, or -1. */
  seekStatus = [-1, -1, -1, -1];
  specify: [number, number] = [0, 0];
  config = 0x20; // EFIFO=1 (FIFO disabled), POLL enabled, threshold 0 (power-on default)
  pretrk = 0;
  lock = false;
  perpendicular = 0;
  eot = 0;
  /** Bumped by reset: execution-phase work started before it is dropped. */
  private gen = 0;
  private readonly irq: IrqLine;
  /** Non-DMA execution: the sector being moved through the FIFO. */
  private pio: { buf: Uint8Array; pos: number; toHost: boolean; done: (() => void) | null } | null = null;
  private readonly sectorBuf = new Uint8Array(SECTOR);

  constructor(
    private readonly host: DeviceHost,
    readonly drives: [FloppyDrive | null, FloppyDrive | null],
    private readonly dmaChannel = 2,
  ) {
    this.irq = host.irq(0);
  }

  // ---- interrupt ----

  private setInt(pending: boolean): void {
    this.intPending = pending;
    this.irq.set(pending && (this.dor & DOR_DMAEN) !== 0);
  }

  // ---- reset ----

  reset(): void {
    this.dor = DOR_NRESET | DOR_DMAEN;
    this.tdr = 0;
    this.rate = 0;
    this.lock = false;
    this.softReset(false);
  }

  /** Controller reset (DOR bit 2 low, or DSR bit 7); `interrupt` when leaving it. */
  private softReset(interrupt: boolean): void {
    this.gen++;
    this.pio = null;
    this.phase = 'command';
    this.command = [];
    this.result = [];
    this.resultPos = 0;
    this.seekStatus = [-1, -1, -1, -1];
    this.specify = [0, 0];
    this.perpendicular &= 0x3c; // the per-drive bits survive a software reset
    if (!this.lock) {
      this.config = 0x20;
      this.pretrk = 0;
    }
    this.resetSenses = interrupt ? 4 : 0;
    this.setInt(interrupt);
  }

  // ---- registers ----

  ioRead(region: number, offset: number, size: AccessSize): number {
    let v = this.readByte(region, offset);
    for (let i = 1; i < size; i++) v |= 0xff << (8 * i);
    return v >>> 0;
  }

  ioWrite(region: number, offset: number, _size: AccessSize, value: number): void {
    this.writeByte(region, offset, value & 0xff);
  }

  private readByte(region: number, offset: number): number {
    if (region === 1 && offset === 0) {
      // DIR: disk change line of the drive selected in the DOR.
      const d = this.drives[this.dor & 3];
      return d && d.changed ? 0x80 : 0x00;
    }
    if (region !== 0) {
      this.host.guestError(`isa-fdc: read of unknown register ${region}:${offset}`);
      return 0xff;
    }
    switch (offset) {
      case 0:
      case 1:
        return 0xff; // SRA/SRB exist only in PS/2 mode
      case 2:
        return this.dor;
      case 3:
        return this.tdr;
      case 4:
        return this.msr();
      case 5:
        return this.readFifo();
      default:
        this.host.guestError(`isa-fdc: read of unknown register ${offset}`);
        return 0xff;
    }
  }

  private writeByte(region: number, offset: number, v: number): void {
    if (region === 1 && offset === 0) {
      this.rate = v & 3; // CCR
      return;
    }
    if (region !== 0) {
      this.host.guestError(`isa-fdc: write of unknown register ${region}:${offset}`);
      return;
    }
    switch (offset) {
      case 2: {
        const was = this.dor;
        this.dor = v;
        if (!(v & DOR_NRESET)) {
          if (was & DOR_NRESET) this.softReset(false);
          this.setInt(false);
        } else if (!(was & DOR_NRESET)) {
          this.softReset(true);
        } else this.setInt(this.intPending);
        return;
      }
      case 3:
        this.tdr = v & 3;
        return;
      case 4:
        this.rate = v & 3;
        this.dsrPower = v & 0x7c;
        if (v & 0x80) this.softReset(true); // self-clearing software reset
        return;
      case 5:
        this.writeFifo(v);
        return;
      default:
        this.host.guestError(`isa-fdc: write of read-only or unknown register ${offset}`);
    }
  }

  private msr(): number {
    if (!(this.dor & DOR_NRESET)) return 0;
    switch (this.phase) {
      case 'command':
        return MSR_RQM | (this.command.length ? MSR_CB : 0);
      case 'result':
        return MSR_RQM | MSR_DIO | MSR_CB;
      default:
        if (this.pio && this.pio.pos < this.pio.buf.length) return MSR_RQM | MSR_NDMA | MSR_CB | (this.pio.toHost ? MSR_DIO : 0);
        return MSR_CB | (this.pio ? MSR_NDMA : 0);
    }
  }

  private readFifo(): number {
    if (this.phase === 'execution' && this.pio && this.pio.toHost && this.pio.pos < this.pio.buf.length) {
      const v = this.pio.buf[this.pio.pos++];
      this.setInt(false);
      if (this.pio.pos >= this.pio.buf.length) this.pio.done?.();
      return v;
    }
    if (this.phase !== 'result') return 0xff;
    if (this.resultPos === 0) this.setInt(false);
    const v = this.result[this.resultPos++] ?? 0xff;
    if (this.resultPos >= this.result.length) {
      this.phase = 'command';
      this.result = [];
      this.resultPos = 0;
    }
    return v;
  }

  private writeFifo(v: number): void {
    if (!(this.dor & DOR_NRESET)) return;
    if (this.phase === 'execution' && this.pio && !this.pio.toHost && this.pio.pos < this.pio.buf.length) {
      this.pio.buf[this.pio.pos++] = v;
      this.setInt(false);
      if (this.pio.pos >= this.pio.buf.length) this.pio.done?.();
      return;
    }
    if (this.phase !== 'command') {
      this.host.guestError('isa-fdc: FIFO write outside the command phase');
      return;
    }
    this.command.push(v);
    const spec = COMMANDS[this.command[0] & 0x1f];
    if (!spec || (this.command[0] & ~spec.allowed) !== 0) return this.invalid();
    if (this.command.length >= spec.len) {
      const cmd = this.command;
      this.command = [];
      this.execute(cmd);
    }
  }

  // ---- phases ----

  private toResult(bytes: number[], interrupt: boolean): void {
    this.pio = null;
    this.phase = 'result';
    this.result = bytes;
    this.resultPos = 0;
    if (interrupt) this.setInt(true);
  }

  private invalid(): void {
    this.command = [];
    this.toResult([ST0_INVALID], false);
  }

  private execute(c: number[]): void {
    const op = c[0] & 0x1f;
    switch (op) {
      case 0x03: // SPECIFY
        this.specify = [c[1], c[2]];
        return;
      case 0x04: {
        // SENSE DRIVE STATUS
        const d = this.drives[c[1] & 3];
        const head = (c[1] >> 2) & 1;
        let st3 = (c[1] & 3) | (head << 2) | 0x20 /* ready */ | 0x08 /* two-sided */;
        if (!d || d.writeProtected) st3 |= 0x40;
        if (!d || d.track === 0) st3 |= 0x10;
        return this.toResult([st3], false);
      }
      case 0x07: // RECALIBRATE
        return this.seek(c[1] & 3, 0, true);
      case 0x08:
        return this.senseInterrupt();
      case 0x0f: {
        // SEEK; bit 7 of the opcode selects a relative seek, bit 6 its direction (in = up).
        const unit = c[1] & 3;
        const d = this.drives[unit];
        let target = c[2];
        if (c[0] & 0x80) target = (d ? d.track : 0) + (c[0] & 0x40 ? c[2] : -c[2]);
        return this.seek(unit, Math.max(0, Math.min(255, target)), false, (c[1] >> 2) & 1);
      }
      case 0x10:
        return this.toResult([0x90], false); // VERSION: enhanced controller
      case 0x12:
        if (c[1] & 0x80) this.perpendicular = (this.perpendicular & 0x03) | (c[1] & 0x3c);
        this.perpendicular = (this.perpendicular & 0x3c) | (c[1] & 0x03);
        for (let i = 0; i < 2; i++) {
          const d = this.drives[i];
          if (d) d.perpendicular = (this.perpendicular & (0x04 << i)) !== 0 || (this.perpendicular & 3) === 3;
        }
        return;
      case 0x13: // CONFIGURE
        this.config = c[2];
        this.pretrk = c[3];
        return;
      case 0x14: // LOCK / UNLOCK
        this.lock = (c[0] & 0x80) !== 0;
        return this.toResult([this.lock ? 0x10 : 0x00], false);
      case 0x0e: {
        // DUMPREG
        const pcn = [0, 1, 2, 3].map((i) => this.drives[i]?.track ?? 0);
        return this.toResult(
          [...pcn, this.specify[0], this.specify[1], this.eot, (this.lock ? 0x80 : 0) | (this.perpendicular & 0x7f), this.config, this.pretrk],
          false,
        );
      }
      case 0x0a:
        return this.readId(c);
      case 0x06:
      case 0x0c:
        return this.transfer(c, false);
      case 0x05:
      case 0x09:
        return this.transfer(c, true);
      case 0x0d:
        return this.format(c);
      default:
        // READ TRACK is not implemented: answered as an invalid command, as a non-enhanced part would.
        this.host.guestError(`isa-fdc: command ${COMMANDS[op]?.name ?? op.toString(16)} not supported`);
        return this.invalid();
    }
  }

  private seek(unit: number, target: number, recal: boolean, head = 0): void {
    const d = this.drives[unit];
    if (!d) {
      // No drive: the track 0 signal never comes; the recalibrate ends with Equipment Check.
      this.seekStatus[unit] = ST0_ABNORMAL | ST0_SE | (recal ? ST0_EC : 0) | unit;
    } else {
      if (d.track !== target || recal) d.stepped();
      d.track = target;
      d.head = head;
      this.seekStatus[unit] = ST0_SE | (head << 2) | unit;
    }
    this.phase = 'command';
    this.setInt(true);
  }

  private senseInterrupt(): void {
    if (this.resetSenses > 0) {
      // The first SENSE INTERRUPT after a reset clears INT (as QEMU does; SeaBIOS issues only
      // one); the remaining ready-change answers stay available for drivers that ask (Linux).
      const unit = 4 - this.resetSenses;
      this.resetSenses--;
      this.setInt(false);
      return this.toResult([ST0_READY_CHANGE | unit, this.drives[unit]?.track ?? 0], false);
    }
    const unit = this.seekStatus.findIndex((s) => s >= 0);
    if (unit < 0) return this.toResult([ST0_INVALID], false);
    const st0 = this.seekStatus[unit];
    this.seekStatus[unit] = -1;
    if (this.seekStatus.every((s) => s < 0)) this.setInt(false);
    this.toResult([st0, this.drives[unit]?.track ?? 0], false);
  }

  /** Can the drive be accessed at the current data rate? Sets ST1 MA otherwise. */
  private mediumUsable(d: FloppyDrive | null): boolean {
    return !!d && d.hasMedium && d.rateMatches(this.rate);
  }

  private readId(c: number[]): void {
    const unit = c[1] & 3;
    const head = (c[1] >> 2) & 1;
    const d = this.drives[unit];
    const st0 = (head << 2) | unit;
    if (!d || !this.mediumUsable(d) || head >= d.geometry!.heads || d.track >= d.geometry!.tracks) {
      return this.toResult([st0 | ST0_ABNORMAL, ST1_MA, 0, d?.track ?? 0, head, 1, 2], true);
    }
    d.head = head;
    const r = d.idSector;
    d.idSector = (r % d.geometry!.sectors) + 1;
    this.toResult([st0, 0, 0, d.track, head, r, 2], true);
  }

  /** Enter the execution phase for a data command; `work` runs asynchronously. */
  private startExecution(work: (gen: number) => Promise<void>): void {
    this.phase = 'execution';
    const gen = this.gen;
    work(gen).catch((e: unknown) => {
      if (this.gen !== gen) return;
      this.host.log.log('error', `isa-fdc: ${String(e)}`);
      this.toResult([ST0_ABNORMAL, ST1_ND, 0, 0, 0, 0, 2], true);
    });
  }

  /** Move one sector between the host and buf: DMA, or FIFO in non-DMA mode. */
  private async moveSector(buf: Uint8Array, toHost: boolean, gen: number): Promise<{ ok: boolean; tc: boolean; gone: boolean }> {
    if (this.specify[1] & 1) {
      // Non-DMA mode: the host moves the bytes through the FIFO, one interrupt per byte burst.
      await new Promise<void>((resolve) => {
        this.pio = { buf, pos: 0, toHost, done: resolve };
        this.setInt(true);
      });
      const gone = this.gen !== gen;
      if (!gone) this.pio = null;
      return { ok: true, tc: false, gone };
    }
    const dma = this.host.isaDma;
    if (!dma || !(this.dor & DOR_DMAEN)) return { ok: false, tc: false, gone: false };
    const r = await dma.transfer(this.dmaChannel, buf, toHost);
    if (this.gen !== gen) return { ok: false, tc: r.tc, gone: true };
    if (!toHost && r.moved < buf.length) buf.fill(0, r.moved); // TC mid-sector: the rest is zeros
    return { ok: r.moved === buf.length || r.tc, tc: r.tc, gone: false };
  }

  /** READ DATA / WRITE DATA (and the deleted-data variants, treated alike). */
  private transfer(c: number[], write: boolean): void {
    const mt = (c[0] & 0x80) !== 0;
    const unit = c[1] & 3;
    let head = (c[1] >> 2) & 1;
    const [cyl, hd, sect, n, eot] = [c[2], c[3], c[4], c[5], c[6]];
    this.eot = eot;
    const d = this.drives[unit];
    const fail = (st1: number, st2: number, h = head, r = sect) =>
      this.toResult([ST0_ABNORMAL | (h << 2) | unit, st1, st2, cyl, h, r, n], true);
    if (!d || !this.mediumUsable(d)) return fail(ST1_MA, 0);
    if (this.config & 0x40 && d.track !== cyl) {
      // Implied seek (CONFIGURE EIS).
      if (d.track !== cyl) d.stepped();
      d.track = cyl;
    }
    if (write && d.writeProtected) return fail(ST1_NW, 0);
    if (d.track !== cyl) return fail(ST1_ND, ST2_WC | (cyl === 0xff ? ST2_BC : 0));
    if (hd !== head || n !== 2) return fail(ST1_ND, 0);
    d.head = head;
    const backend = d.backend!;
    this.startExecution(async (gen) => {
      let r = sect;
      let h = head;
      let c2 = cyl;
      for (;;) {
        const offset = d.offsetOf(d.track, h, r);
        if (offset < 0) return void (this.gen === gen && fail(ST1_ND, 0, h, r));
        const buf = this.sectorBuf;
        if (!write) {
          buf.fill(0);
          const avail = Math.max(0, Math.min(SECTOR, backend.size - offset));
          if (avail > 0) await backend.read(offset, buf.subarray(0, avail));
          if (this.gen !== gen) return;
        }
        const m = await this.moveSector(buf, !write, gen);
        if (m.gone) return;
        if (!m.ok) return fail(ST1_OR, 0, h, r);
        if (write) {
          const avail = Math.max(0, Math.min(SECTOR, backend.size - offset));
          if (avail > 0) await backend.write(offset, buf.subarray(0, avail));
          if (this.gen !== gen) return;
        }
        // Advance to the next sector (datasheet table 5-x, result phase C/H/R after the command).
        let endOfTrack = false;
        if (r < eot) r++;
        else if (mt && h === 0) {
          h = 1;
          r = 1;
          endOfTrack = !(d.geometry!.heads > 1);
        } else {
          r = 1;
          if (mt) h ^= 1;
          c2 = cyl + 1;
          endOfTrack = true;
        }
        const st0 = (h << 2) | unit; // the head address after the last sector, as QEMU reports it
        if (m.tc) return this.toResult([st0, 0, 0, c2, h, r, n], true);
        if (endOfTrack) return this.toResult([st0 | ST0_ABNORMAL, ST1_EN, 0, c2, h, r, n], true);
        head = h;
      }
    });
  }

  /** FORMAT TRACK: the host supplies C/H/R/N for each sector; sectors are filled with D. */
  private format(c: number[]): void {
    const unit = c[1] & 3;
    const head = (c[1] >> 2) & 1;
    const [n, sc, , fill] = [c[2], c[3], c[4], c[5]];
    const d = this.drives[unit];
    const st0 = (head << 2) | unit;
    if (!d || !this.mediumUsable(d)) return this.toResult([st0 | ST0_ABNORMAL, ST1_MA, 0, 0, head, 1, n], true);
    if (d.writeProtected) return this.toResult([st0 | ST0_ABNORMAL, ST1_NW, 0, d.track, head, 1, n], true);
    const backend = d.backend!;
    this.startExecution(async (gen) => {
      const id = new Uint8Array(4);
      const data = new Uint8Array(SECTOR).fill(fill);
      let last = [d.track, head, 1, n];
      for (let i = 0; i < sc; i++) {
        const m = await this.moveSector(id, false, gen);
        if (m.gone) return;
        if (!m.ok) return this.toResult([st0 | ST0_ABNORMAL, ST1_OR, 0, ...last], true);
        last = [id[0], id[1], id[2], id[3]];
        const offset = d.offsetOf(d.track, head, id[2]);
        const avail = offset < 0 ? 0 : Math.max(0, Math.min(SECTOR, backend.size - offset));
        if (avail > 0 && id[3] === 2) await backend.write(offset, data.subarray(0, avail));
        if (this.gen !== gen) return;
        if (m.tc && i < sc - 1) break;
      }
      this.toResult([st0, 0, 0, ...last], true);
    });
  }

  // ---- state ----

  saveState(): DeviceState {
    const data: FdcState = {
      dor: this.dor,
      tdr: this.tdr,
      rate: this.rate,
      dsrPower: this.dsrPower,
      phase: this.phase,
      command: [...this.command],
      result: [...this.result],
      resultPos: this.resultPos,
      intPending: this.intPending,
      resetSenses: this.resetSenses,
      seekStatus: [...this.seekStatus],
      specify: [...this.specify],
      config: this.config,
      pretrk: this.pretrk,
      lock: this.lock,
      perpendicular: this.perpendicular,
      eot: this.eot,
      busy: this.phase === 'execution',
      drives: this.drives.map((d) => ({ track: d?.track ?? 0, head: d?.head ?? 0, idSector: d?.idSector ?? 1, changed: d?.changed ?? false })),
    };
    return { type: 'isa-fdc', version: FDC_STATE_VERSION, data: data as unknown as Record<string, unknown> };
  }

  loadState(state: DeviceState): void {
    if (state.type !== 'isa-fdc' || state.version !== FDC_STATE_VERSION) throw new Error(`isa-fdc: cannot load state ${state.type} v${state.version}`);
    const s = state.data as unknown as FdcState;
    const byte = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v & 0xff : 0);
    const bytes = (v: unknown, max: number): number[] => (Array.isArray(v) ? v.slice(0, max).map(byte) : []);
    this.gen++;
    this.pio = null;
    this.dor = byte(s.dor);
    this.tdr = byte(s.tdr) & 3;
    this.rate = byte(s.rate) & 3;
    this.dsrPower = byte(s.dsrPower);
    this.command = bytes(s.command, 8);
    this.result = bytes(s.result, 10);
    this.resultPos = Math.min(byte(s.resultPos), this.result.length);
    this.phase = s.phase === 'result' && this.result.length ? 'result' : 'command';
    this.resetSenses = Math.min(4, byte(s.resetSenses));
    this.seekStatus = [0, 1, 2, 3].map((i) => (Array.isArray(s.seekStatus) && typeof s.seekStatus[i] === 'number' && s.seekStatus[i] >= 0 ? byte(s.seekStatus[i]) : -1));
    this.specify = [byte(s.specify?.[0]), byte(s.specify?.[1])];
    this.config = byte(s.config);
    this.pretrk = byte(s.pretrk);
    this.lock = !!s.lock;
    this.perpendicular = byte(s.perpendicular) & 0x3f;
    this.eot = byte(s.eot);
    for (let i = 0; i < 2; i++) {
      const d = this.drives[i];
      const ds = Array.isArray(s.drives) ? s.drives[i] : undefined;
      if (d && ds) {
        d.track = byte(ds.track);
        d.head = byte(ds.head) & 1;
        d.idSector = Math.max(1, byte(ds.idSector));
        d.changed = !!ds.changed;
      }
    }
    if (s.busy) {
      // The transfer in flight was lost: end it with an abnormal termination so the guest retries.
      this.toResult([ST0_ABNORMAL, ST1_OR, 0, 0, 0, 1, 2], true);
    } else this.setInt(!!s.intPending);
  }

  destroy(): void {
    this.gen++;
    for (const d of this.drives) void d?.backend?.close?.();
  }
}

export const FDC_STATE_VERSION = 1;

/**
 * One IDE channel of the PIIX3 (primary at 1F0h-1F7h + 3F6h, secondary at 170h-177h + 376h):
 * the command block and control block registers of ATA/ATAPI-6 section 7, the two device
 * positions, device selection, software reset (SRST) and nIEN, the HOB bit for LBA48 reads, the
 * channel's interrupt line, and its bus-master DMA function. Register reads follow what QEMU's
 * IDE does for empty positions (0 when no device is on the channel; the shared taskfile values
 * otherwise, status 0 for an empty slave) so probes behave as on QEMU's PIIX3.
 */
import type { DeviceHost, IrqLine } from '../../api.js';
import { diskCommand, readBlockDone, writeBlockDone } from './ata-disk.js';
import { cdCommand, dataChunkDone, packetReceived } from './atapi.js';
import { BM_ST_INTR, BusMaster } from './bmdma.js';
import { CMD, DC_HOB, DC_NIEN, DC_SRST, DH_DEV, ST_BSY, ST_DRDY, ST_DSC } from './defs.js';
import { IdeUnit, type DriveSetup, type PioEnd, type UnitBus, type UnitHooks } from './unit.js';

const hooks: UnitHooks = {
  pioDone(u: IdeUnit, what: PioEnd): void {
    switch (what) {
      case 'ata-read':
        return readBlockDone(u);
      case 'ata-write':
        return writeBlockDone(u);
      case 'pio-in-done':
        u.status = ST_DRDY | ST_DSC;
        return;
      case 'atapi-packet':
        return packetReceived(u);
      case 'atapi-data':
        return dataChunkDone(u);
      default:
        return;
    }
  },
};

export class IdeChannel implements UnitBus {
  readonly units: [IdeUnit, IdeUnit];
  readonly bm: BusMaster;
  devCtl = 0;
  /** INTRQ of the channel before the nIEN gate. */
  irqPending = false;

  constructor(
    readonly host: DeviceHost,
    private readonly irq: IrqLine,
  ) {
    this.units = [new IdeUnit(this, 0), new IdeUnit(this, 1)];
    for (const u of this.units) u.hooks = hooks;
    this.bm = new BusMaster(host.memory, (m) => host.guestError(m), () => this.units[0].dma ?? this.units[1].dma);
  }

  attach(index: 0 | 1, setup: DriveSetup | null): void {
    this.units[index].attach(setup);
  }

  /** Hardware reset: power-on state of both devices, the control register and the bus master. */
  reset(): void {
    this.bm.reset();
    this.devCtl = 0;
    for (const u of this.units) u.powerOn();
    this.setIrq(false);
  }

  get selected(): IdeUnit {
    return this.units[this.units[0].select & DH_DEV ? 1 : 0];
  }
  private get empty(): boolean {
    return this.units[0].kind === 'none' && this.units[1].kind === 'none';
  }

  // ---- UnitBus ----

  raiseIrq(): void {
    if (!(this.devCtl & DC_NIEN)) this.bm.status |= BM_ST_INTR;
    this.setIrq(true);
  }

  dmaPosted(): void {
    this.bm.kick();
  }

  private setIrq(pending: boolean): void {
    this.irqPending = pending;
    this.irq.set(pending && !(this.devCtl & DC_NIEN));
  }

  // ---- command block ----

  readCommandBlock(offset: number, size: number): number {
    if (offset === 0) return this.selected.readData(size);
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.readRegister(offset + i) << (8 * i);
    return v >>> 0;
  }

  private readRegister(reg: number): number {
    if (reg > 7) return 0xff;
    const s = this.selected;
    const hob = (this.devCtl & DC_HOB) !== 0;
    if (this.empty) return 0;
    switch (reg) {
      case 0:
        return s.readData(1);
      case 1:
        return hob ? s.hobFeature : s.error;
      case 2:
        return hob ? s.hobNsector : s.nsector;
      case 3:
        return hob ? s.hobSector : s.sector;
      case 4:
        return hob ? s.hobLcyl : s.lcyl;
      case 5:
        return hob ? s.hobHcyl : s.hcyl;
      case 6:
        return s.select | 0xa0;
      default: {
        const st = s.kind === 'none' && s.index === 1 ? 0 : s.status;
        this.setIrq(false);
        return st;
      }
    }
  }

  writeCommandBlock(offset: number, size: number, value: number): void {
    if (offset === 0) return this.selected.writeData(size, value);
    for (let i = 0; i < size; i++) this.writeRegister(offset + i, (value >>> (8 * i)) & 0xff);
  }

  private writeRegister(reg: number, v: number): void {
    const [u0, u1] = this.units;
    switch (reg) {
      case 0:
        return this.selected.writeData(1, v);
      case 1:
      case 2:
      case 3:
      case 4:
      case 5:
        this.devCtl &= ~DC_HOB; // a taskfile write clears HOB (ATA-6 7.8)
        for (const u of this.units) {
          switch (reg) {
            case 1:
              u.hobFeature = u.feature;
              u.feature = v;
              break;
            case 2:
              u.hobNsector = u.nsector;
              u.nsector = v;
              break;
            case 3:
              u.hobSector = u.sector;
              u.sector = v;
              break;
            case 4:
              u.hobLcyl = u.lcyl;
              u.lcyl = v;
              break;
            default:
              u.hobHcyl = u.hcyl;
              u.hcyl = v;
          }
        }
        return;
      case 6:
        u0.select = v | 0xa0;
        u1.select = v | 0xa0;
        return;
      case 7:
        this.command(v);
        return;
      default:
        return;
    }
  }

  private command(cmd: number): void {
    this.devCtl &= ~DC_HOB;
    const s = this.selected;
    if (s.kind === 'none') return; // no device answers
    if (s.status & ST_BSY && !(cmd === CMD.DEVICE_RESET && s.kind === 'cd')) {
      this.host.guestError(`ide: command ${cmd.toString(16)} while busy ignored`);
      return;
    }
    this.setIrq(false);
    if (cmd === CMD.EXEC_DIAGNOSTIC) {
      // Both devices run their diagnostics; device 0 reports (ATA-6 8.11).
      for (const u of this.units) if (u.kind !== 'none') u.reset();
      this.bm.cancel();
      this.raiseIrq();
      return;
    }
    if (cmd === CMD.DEVICE_RESET && s.kind === 'cd') this.bm.cancel();
    s.error = 0;
    if (s.kind === 'hd') diskCommand(s, cmd);
    else cdCommand(s, cmd);
  }

  // ---- control block ----

  readAltStatus(): number {
    const s = this.selected;
    if (this.empty || (s.kind === 'none' && s.index === 1)) return 0;
    return s.status;
  }

  writeDeviceControl(v: number): void {
    const was = this.devCtl;
    this.devCtl = v & (DC_HOB | DC_SRST | DC_NIEN);
    if (!(was & DC_SRST) && v & DC_SRST) {
      // SRST asserted: both devices stop and report busy.
      this.bm.cancel();
      for (const u of this.units) {
        u.reset();
        if (u.kind !== 'none') u.status = ST_BSY | ST_DSC;
      }
    } else if (was & DC_SRST && !(v & DC_SRST)) {
      // SRST released: devices come back with their signatures (ATAPI devices without DRDY)
      // and device 0 selected.
      for (const u of this.units) {
        u.reset();
        u.select = 0xa0;
      }
    }
    this.irq.set(this.irqPending && !(this.devCtl & DC_NIEN));
  }
}

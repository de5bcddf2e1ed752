/**
 * The PIIX3 IDE function (Intel 82371SB, PCI 8086:7010, class 01 01 80) in legacy
 * (compatibility) mode: primary channel at 1F0h-1F7h + 3F6h on IRQ 14, secondary at 170h-177h +
 * 376h on IRQ 15 — ISA interrupts although it is a PCI function, as the PIIX3 wires them — and
 * BAR4, the 16-byte bus-master IDE I/O window (per channel: command, status, PRD table pointer).
 * The IDE timing registers (40h-43h IDETIM, 44h SIDETIM, ...) are kept as plain storage: the
 * emulated drives have no timing. Drives are attached by position (hda..hdd) with a backend map.
 */
import type { BlockBackend } from '../../../block/api.js';
import type { AccessSize, DeviceHost, DeviceModel, DeviceProps, DeviceState, DeviceType, Resources } from '../../api.js';
import { IdeChannel } from './channel.js';
import { diskGeometry } from './unit.js';
import { driveSetup, IDE_POSITIONS, IdeDrive, type IdePosition } from './drives.js';
import { loadChannel, saveChannel, type IdeChannelState } from './state.js';

/** What a machine passes as `host.backend` of a piix3-ide: one backend per occupied position. */
export type IdeBackends = Partial<Record<IdePosition, BlockBackend | null>>;

export const PIIX3_IDE_STATE_VERSION = 1;

/** Region indices (ports in the order declared, then BAR4). */
const R_PRI_CMD = 0;
const R_PRI_CTL = 1;
const R_SEC_CMD = 2;
const R_SEC_CTL = 3;
const R_BMIDE = 4;

export interface Piix3IdeState {
  config: Uint8Array;
  channels: [IdeChannelState, IdeChannelState];
}

export class Piix3Ide implements DeviceModel {
  readonly channels: [IdeChannel, IdeChannel];
  /** PCI configuration space 40h-FFh (device-specific, plain storage). */
  private readonly config = new Uint8Array(0xc0);

  constructor(private readonly host: DeviceHost) {
    this.channels = [new IdeChannel(host, host.irq(0)), new IdeChannel(host, host.irq(1))];
  }

  /** Attach (or with null, remove) a drive at a position; the machine calls this before start. */
  attachDrive(position: IdePosition, drive: IdeDrive | null): void {
    const i = IDE_POSITIONS.indexOf(position);
    if (i < 0) throw new RangeError(`piix3-ide: no position '${position}'`);
    this.channels[i >> 1].attach((i & 1) as 0 | 1, drive ? drive.setup : null);
  }

  /**
   * Insert (backend) or eject (null) the medium of the CD drive at `position`. The guest sees a
   * UNIT ATTENTION (medium may have changed) and a media event after an insert.
   */
  changeMedium(position: IdePosition, backend: BlockBackend | null): void {
    const i = IDE_POSITIONS.indexOf(position);
    const u = this.channels[i >> 1]?.units[i & 1];
    if (!u || u.kind !== 'cd') throw new Error(`piix3-ide: no CD drive at '${position}'`);
    u.gen++; // a read of the old medium in flight is dropped
    u.backend = backend;
    u.trayOpen = false;
    if (backend) {
      u.mediaChanged = true;
      u.mediaEvent = 2;
    } else {
      u.mediaChanged = false;
      u.mediaEvent = 3;
      u.locked = false;
    }
  }

  /**
   * BIOS geometry of the hard disks at hda..hdd (undefined for CD drives and empty positions), in
   * the shape of the chipset's CMOS layout (PcCmosConfig.hardDisks): QEMU's pc_cmos_init_late
   * stores these at 12h/19h/1Bh.. and picks LBA translation for disks beyond 1024 cylinders.
   */
  cmosDiskGeometries(): (IdeCmosGeometry | undefined)[] {
    const out: (IdeCmosGeometry | undefined)[] = [];
    for (const ch of this.channels) {
      for (const u of ch.units) {
        out.push(u.kind === 'hd' ? { cylinders: u.cyls, heads: u.heads, sectors: u.secs, translation: u.cyls <= 1024 ? 'none' : 'lba' } : undefined);
      }
    }
    return out;
  }

  private channelOf(region: number): IdeChannel | null {
    if (region === R_PRI_CMD || region === R_PRI_CTL) return this.channels[0];
    if (region === R_SEC_CMD || region === R_SEC_CTL) return this.channels[1];
    return null;
  }

  ioRead(region: number, offset: number, size: AccessSize): number {
    const ch = this.channelOf(region);
    if (ch && (region === R_PRI_CMD || region === R_SEC_CMD) && offset < 8) return ch.readCommandBlock(offset, size);
    if (ch && offset === 0) {
      let v = ch.readAltStatus();
      for (let i = 1; i < size; i++) v |= 0xff << (8 * i);
      return v >>> 0;
    }
    if (region === R_BMIDE && offset < 16) {
      let v = 0;
      for (let i = 0; i < size && offset + i < 16; i++) {
        const o = offset + i;
        v |= this.channels[o >> 3].bm.readByte(o & 7) << (8 * i);
      }
      return v >>> 0;
    }
    this.host.guestError(`piix3-ide: read of unknown register ${region}:${offset}`);
    return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  }

  ioWrite(region: number, offset: number, size: AccessSize, value: number): void {
    const ch = this.channelOf(region);
    if (ch && (region === R_PRI_CMD || region === R_SEC_CMD) && offset < 8) return ch.writeCommandBlock(offset, size, value);
    if (ch && offset === 0) return ch.writeDeviceControl(value & 0xff);
    if (region === R_BMIDE && offset < 16) {
      for (let i = 0; i < size && offset + i < 16; i++) {
        const o = offset + i;
        this.channels[o >> 3].bm.writeByte(o & 7, (value >>> (8 * i)) & 0xff);
      }
      return;
    }
    this.host.guestError(`piix3-ide: write of unknown register ${region}:${offset}`);
  }

  ioReadString(region: number, offset: number, size: AccessSize, into: Uint8Array): void {
    const ch = this.channelOf(region);
    if (ch && (region === R_PRI_CMD || region === R_SEC_CMD) && offset === 0 && size !== 1) {
      ch.selected.readDataString(into);
      return;
    }
    for (let i = 0; i + size <= into.length; i += size) {
      const v = this.ioRead(region, offset, size);
      for (let k = 0; k < size; k++) into[i + k] = (v >>> (8 * k)) & 0xff;
    }
  }

  ioWriteString(region: number, offset: number, size: AccessSize, from: Uint8Array): void {
    const ch = this.channelOf(region);
    if (ch && (region === R_PRI_CMD || region === R_SEC_CMD) && offset === 0 && size !== 1) {
      ch.selected.writeDataString(from);
      return;
    }
    for (let i = 0; i + size <= from.length; i += size) {
      let v = 0;
      for (let k = 0; k < size; k++) v |= from[i + k] << (8 * k);
      this.ioWrite(region, offset, size, v >>> 0);
    }
  }

  pciConfigRead(offset: number, size: AccessSize): number {
    let v = 0;
    for (let i = 0; i < size; i++) {
      const o = offset + i - 0x40;
      v |= (o >= 0 && o < this.config.length ? this.config[o] : 0) << (8 * i);
    }
    return v >>> 0;
  }

  pciConfigWrite(offset: number, size: AccessSize, value: number): void {
    for (let i = 0; i < size; i++) {
      const o = offset + i - 0x40;
      if (o >= 0 && o < this.config.length) this.config[o] = (value >>> (8 * i)) & 0xff;
    }
  }

  reset(): void {
    this.config.fill(0);
    for (const ch of this.channels) ch.reset();
  }

  /** Release the drives' backends. */
  destroy(): void {
    for (const ch of this.channels) {
      for (const u of ch.units) {
        u.gen++;
        void u.backend?.close?.();
      }
    }
  }

  saveState(): DeviceState {
    const data: Piix3IdeState = {
      config: this.config.slice(),
      channels: [saveChannel(this.channels[0]), saveChannel(this.channels[1])],
    };
    return { type: 'piix3-ide', version: PIIX3_IDE_STATE_VERSION, data: data as unknown as Record<string, unknown> };
  }

  loadState(state: DeviceState): void {
    if (state.type !== 'piix3-ide' || state.version !== PIIX3_IDE_STATE_VERSION) {
      throw new Error(`piix3-ide: cannot load state ${state.type} v${state.version}`);
    }
    const d = state.data as unknown as Piix3IdeState;
    if (!(d.config instanceof Uint8Array) || !Array.isArray(d.channels) || d.channels.length !== 2) {
      throw new Error('piix3-ide: malformed state');
    }
    this.config.fill(0);
    this.config.set(d.config.subarray(0, this.config.length));
    loadChannel(this.channels[0], d.channels[0]);
    loadChannel(this.channels[1], d.channels[1]);
  }
}

/** A hard disk's BIOS geometry in the shape of the chipset's CMOS layout (PcCmosConfig.hardDisks). */
export interface IdeCmosGeometry {
  cylinders: number;
  heads: number;
  sectors: number;
  translation: 'none' | 'lba';
}

/**
 * The CMOS hard disk entries (hda..hdd) for a piix3-ide with these properties and backends,
 * computed without the device model, so a machine whose storage devices live in another worker
 * can fill the CMOS (as QEMU's pc_cmos_init_late does) before the firmware runs.
 */
export function ideCmosGeometries(props: DeviceProps, backends: IdeBackends | undefined): (IdeCmosGeometry | undefined)[] {
  return IDE_POSITIONS.map((p) => {
    const b = backends?.[p];
    if (props[p] !== 'ide-hd' || !isBackend(b)) return undefined;
    const g = diskGeometry(Math.floor(b.size / 512));
    return { cylinders: g.cyls, heads: g.heads, sectors: g.secs, translation: g.cyls <= 1024 ? 'none' : 'lba' };
  });
}

function isBackend(b: unknown): b is BlockBackend {
  return !!b && typeof b === 'object' && typeof (b as BlockBackend).read === 'function' && typeof (b as BlockBackend).size === 'number';
}

export const piix3IdeType: DeviceType = {
  name: 'piix3-ide',
  class: 'storage',
  bus: 'pci',
  description: 'Intel PIIX3 IDE controller (82371SB function 1): two legacy channels with bus-master DMA',
  secure: true,
  secureReason: "QEMU's i386 classification lists piix3-ide as security supported (virtualization use case)",
  hotpluggable: false,
  capabilities: ['guest-memory', 'block'],
  properties: Object.fromEntries(
    IDE_POSITIONS.map((p) => [
      p,
      {
        type: 'string',
        default: 'none',
        choices: ['none', 'ide-hd', 'ide-cd'],
        description: `Drive at ${p} (${p === 'hda' ? 'primary master' : p === 'hdb' ? 'primary slave' : p === 'hdc' ? 'secondary master' : 'secondary slave'}); its backend is host.backend.${p}`,
      },
    ]),
  ),
  resources(): Resources {
    return {
      ports: [
        { name: 'ide0 command block', base: 0x1f0, length: 8 },
        { name: 'ide0 control block', base: 0x3f6, length: 1 },
        { name: 'ide1 command block', base: 0x170, length: 8 },
        { name: 'ide1 control block', base: 0x376, length: 1 },
      ],
      mmio: [],
      irqs: [14, 15],
      pci: {
        vendorId: 0x8086,
        deviceId: 0x7010,
        classCode: 0x010180,
        revision: 0,
        interruptPin: 0,
        bars: [{ index: 4, kind: 'io', size: 16 }],
      },
    };
  },
  stateVersion: PIIX3_IDE_STATE_VERSION,
  create(host: DeviceHost, props: DeviceProps): DeviceModel {
    const ide = new Piix3Ide(host);
    const backends = (host.backend && typeof host.backend === 'object' ? host.backend : {}) as Record<string, unknown>;
    for (const p of IDE_POSITIONS) {
      const kind = props[p];
      if (kind !== 'ide-hd' && kind !== 'ide-cd') continue;
      const b = backends[p];
      const backend = isBackend(b) ? b : null;
      if (kind === 'ide-hd' && !backend) {
        host.log.log('warn', `piix3-ide: ${p} is an ide-hd without a backend; left empty`);
        continue;
      }
      ide.attachDrive(p, new IdeDrive(p, driveSetup(kind === 'ide-hd' ? 'hd' : 'cd', p, {}, backend)));
    }
    ide.reset();
    return ide;
  },
};

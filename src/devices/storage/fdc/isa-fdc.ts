/**
 * The `isa-fdc` registry entry (QEMU's name): an 82077AA at 3F0h-3F5h and 3F7h (3F6h belongs to
 * the IDE controller), IRQ 6, ISA DMA channel 2, with up to two drives (A: and B:). Drives come
 * from the `fda`/`fdb` properties (drive type or 'none') and a backend map in host.backend, or
 * from `floppy` handles via attachDrive. The machine reads cmosDriveTypes() for RTC register 10h.
 */
import type { BlockBackend } from '../../../block/api.js';
import type { DeviceHost, DeviceModel, DeviceProps, DeviceType, Resources } from '../../api.js';
import { Fdc82077, FDC_STATE_VERSION } from './fdc.js';
import { autoDriveType, DRIVE_TYPES, FloppyDrive, geometryForSize, type DriveType, type FloppyDriveHandle } from './floppy.js';

/** What a machine passes as `host.backend` of an isa-fdc: the medium of each drive. */
export type FdcBackends = { fda?: BlockBackend | null; fdb?: BlockBackend | null };

export class IsaFdc extends Fdc82077 {
  constructor(host: DeviceHost) {
    super(host, [null, null]);
  }

  /** Put a drive (or none) at unit 0 or 1. */
  attachDrive(unit: 0 | 1, drive: FloppyDrive | FloppyDriveHandle | null): void {
    this.drives[unit] = drive instanceof FloppyDrive ? drive : drive ? drive.drive : null;
  }

  /** Insert (backend) or eject (null) the disk in drive `unit`; the disk change line goes active. */
  changeDisk(unit: 0 | 1, backend: BlockBackend | null): void {
    const d = this.drives[unit];
    if (!d) throw new Error(`isa-fdc: no drive ${unit}`);
    d.insert(backend);
  }

  /** Drive types in the spelling of the chipset's CMOS layout (PcCmosConfig.floppies). */
  cmosFloppies(): CmosFloppyType[] {
    return [this.drives[0], this.drives[1]].map((d) => (d ? CMOS_NAMES[d.type] : 'none'));
  }

  /** RTC/CMOS register 10h: drive type of A: in the high nibble, B: in the low nibble. */
  cmosDriveTypes(): number {
    return ((this.drives[0]?.cmosType ?? 0) << 4) | (this.drives[1]?.cmosType ?? 0);
  }
}

const driveChoices = ['none', 'auto', ...DRIVE_TYPES];

export type CmosFloppyType = 'none' | '360K' | '1.2M' | '720K' | '1.44M' | '2.88M';
const CMOS_NAMES: Record<DriveType, CmosFloppyType> = { '144': '1.44M', '288': '2.88M', '120': '1.2M', '720': '720K' };

/**
 * The CMOS floppy drive types (A:, B:) for an isa-fdc with these properties and backends,
 * computed without the device model (for a machine whose storage devices live in a worker).
 */
export function fdcCmosFloppies(props: DeviceProps, backends: FdcBackends | undefined): CmosFloppyType[] {
  return (['fda', 'fdb'] as const).map((name, unit) => {
    const type = props[name] ?? (unit === 0 ? 'auto' : 'none');
    if (type === 'none' || typeof type !== 'string' || !driveChoices.includes(type)) return 'none';
    const b = backends?.[name];
    if (type !== 'auto') return CMOS_NAMES[type as DriveType];
    return CMOS_NAMES[autoDriveType(isBackend(b) ? geometryForSize(b.size) : null)];
  });
}

function isBackend(b: unknown): b is BlockBackend {
  return !!b && typeof b === 'object' && typeof (b as BlockBackend).read === 'function' && typeof (b as BlockBackend).size === 'number';
}

export const isaFdcType: DeviceType = {
  name: 'isa-fdc',
  class: 'storage',
  bus: 'isa',
  description: 'Intel 82077AA floppy disk controller (PC-AT mode) with up to two drives',
  secure: true,
  secureReason: "QEMU's i386 classification lists isa-fdc as security supported (virtualization use case)",
  hotpluggable: false,
  capabilities: ['block'],
  properties: {
    fda: { type: 'string', default: 'auto', choices: driveChoices, description: 'Drive A: type (auto = from the medium, 1.44M without one); medium is host.backend.fda' },
    fdb: { type: 'string', default: 'none', choices: driveChoices, description: 'Drive B: type; medium is host.backend.fdb' },
  },
  resources(): Resources {
    return {
      ports: [
        { name: 'fdc', base: 0x3f0, length: 6 },
        { name: 'fdc dir/ccr', base: 0x3f7, length: 1 },
      ],
      mmio: [],
      irqs: [6],
      dmaChannels: [2],
    };
  },
  stateVersion: FDC_STATE_VERSION,
  create(host: DeviceHost, props: DeviceProps): DeviceModel {
    const fdc = new IsaFdc(host);
    const backends = (host.backend && typeof host.backend === 'object' ? host.backend : {}) as Record<string, unknown>;
    (['fda', 'fdb'] as const).forEach((name, unit) => {
      const type = props[name] ?? (unit === 0 ? 'auto' : 'none');
      if (type === 'none' || typeof type !== 'string' || !driveChoices.includes(type)) return;
      const b = backends[name];
      fdc.attachDrive(unit as 0 | 1, new FloppyDrive(type as DriveType | 'auto', isBackend(b) ? b : null));
    });
    fdc.reset();
    return fdc;
  },
};

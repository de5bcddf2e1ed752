/**
 * The drives that plug into an IDE channel: `ide-hd` (ATA hard disk) and `ide-cd` (ATAPI
 * CD/DVD-ROM), as QEMU names them. A drive type's factory returns a handle that carries the
 * drive's configuration and backend; the controller (piix3-ide) owns the registers and the
 * state. The usual way to build drives is through the controller's `hda`..`hdd` properties and
 * a backend map (see piix3-ide.ts and docs/devices-storage.md); the handles exist so a machine
 * can also attach a drive it created from the registry with `Piix3Ide.attachDrive`.
 */
import type { BlockBackend } from '../../../block/api.js';
import type { DeviceModel, DeviceProps, DeviceType, PropertySpec } from '../../api.js';
import type { DriveSetup } from './unit.js';

/** The four positions of a two-channel controller, in the order hda, hdb, hdc, hdd. */
export const IDE_POSITIONS = ['hda', 'hdb', 'hdc', 'hdd'] as const;
export type IdePosition = (typeof IDE_POSITIONS)[number];

/** Default identification strings. */
export const DEFAULT_HD_MODEL = 'BULKHEAD HARDDISK';
export const DEFAULT_CD_MODEL = 'BULKHEAD DVD-ROM';
export const DEFAULT_FIRMWARE = '1.0';

/** A drive handle created from the `ide-hd` / `ide-cd` registry entries. */
export class IdeDrive implements DeviceModel {
  constructor(
    readonly position: IdePosition,
    readonly setup: DriveSetup,
  ) {}

  /** Release the backend (the controller holds the registers and the state). */
  destroy(): void {
    void this.setup.backend?.close?.();
  }
}

/** A serial number in the style of QEMU's QM0000n, unique per position (BH00001 for hda ..). */
export function defaultSerial(position: IdePosition): string {
  return `BH0000${IDE_POSITIONS.indexOf(position) + 1}`;
}

function str(props: DeviceProps, key: string, fallback: string): string {
  const v = props[key];
  return typeof v === 'string' && v !== '' ? v : fallback;
}
function num(props: DeviceProps, key: string): number {
  const v = props[key];
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : 0;
}

/** The drive setup for `kind` at `position` from drive properties and a backend. */
export function driveSetup(kind: 'hd' | 'cd', position: IdePosition, props: DeviceProps, backend: BlockBackend | null): DriveSetup {
  return {
    kind,
    backend,
    strings: {
      model: str(props, 'model', kind === 'hd' ? DEFAULT_HD_MODEL : DEFAULT_CD_MODEL).slice(0, 40),
      serial: str(props, 'serial', defaultSerial(position)).slice(0, 20),
      firmware: str(props, 'ver', DEFAULT_FIRMWARE).slice(0, 8),
    },
    cyls: kind === 'hd' ? num(props, 'cyls') : 0,
    heads: kind === 'hd' ? num(props, 'heads') : 0,
    secs: kind === 'hd' ? num(props, 'secs') : 0,
  };
}

const commonProps: Record<string, PropertySpec> = {
  position: { type: 'string', default: 'hda', description: 'Channel and unit: hda (primary master) .. hdd (secondary slave)', choices: [...IDE_POSITIONS] },
  model: { type: 'string', default: '', description: 'IDENTIFY model string (40 characters at most); empty = default' },
  serial: { type: 'string', default: '', description: 'IDENTIFY serial number (20 characters at most); empty = per position' },
  ver: { type: 'string', default: '', description: 'IDENTIFY firmware revision (8 characters at most); empty = default' },
};

function position(props: DeviceProps): IdePosition {
  const p = props.position;
  return typeof p === 'string' && (IDE_POSITIONS as readonly string[]).includes(p) ? (p as IdePosition) : 'hda';
}

function backendOf(b: unknown): BlockBackend | null {
  return b && typeof b === 'object' && 'read' in b && 'size' in b ? (b as BlockBackend) : null;
}

const noResources = () => ({ ports: [], mmio: [], irqs: [] });

export const ideHdType: DeviceType = {
  name: 'ide-hd',
  class: 'storage',
  bus: 'ide',
  description: 'ATA hard disk on an IDE channel (PIO, multiple, LBA48, DMA)',
  secure: true,
  secureReason: "QEMU's i386 classification lists ide-hd as security supported (virtualization use case)",
  hotpluggable: false,
  capabilities: ['block'],
  properties: {
    ...commonProps,
    cyls: { type: 'number', default: 0, description: 'Cylinders reported by IDENTIFY (0 = from the image size)' },
    heads: { type: 'number', default: 0, description: 'Heads, 1-16 (0 = 16)' },
    secs: { type: 'number', default: 0, description: 'Sectors per track, 1-63 (0 = 63)' },
  },
  resources: noResources,
  stateVersion: 0, // the controller saves the drive's state
  create(host, props) {
    return new IdeDrive(position(props), driveSetup('hd', position(props), props, backendOf(host.backend)));
  },
};

export const ideCdType: DeviceType = {
  name: 'ide-cd',
  class: 'storage',
  bus: 'ide',
  description: 'ATAPI CD/DVD-ROM drive on an IDE channel (2048-byte sectors, PIO and DMA)',
  secure: true,
  secureReason: "QEMU's i386 classification lists ide-cd as security supported (virtualization use case)",
  hotpluggable: false,
  capabilities: ['block'],
  properties: { ...commonProps, position: { ...commonProps.position, default: 'hdc' } },
  resources: noResources,
  stateVersion: 0, // the controller saves the drive's state
  create(host, props) {
    return new IdeDrive(position(props), driveSetup('cd', position(props), props, backendOf(host.backend)));
  },
};

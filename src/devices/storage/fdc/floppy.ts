/**
 * Floppy drives and media for the 82077AA controller: drive types (360K/1.2M 5.25", 720K,
 * 1.44M and 2.88M 3.5"), the media geometries recognised from a raw image's size, the data
 * rates each needs (82077AA datasheet, DSR/CCR data rate table: 500 kb/s for 1.2M/1.44M, 300 kb/s
 * for 360K in a 1.2M drive, 250 kb/s for 720K/360K, 1 Mb/s for 2.88M), the disk change line
 * and the `floppy` registry entry (QEMU's name).
 */
import type { BlockBackend } from '../../../block/api.js';
import type { DeviceModel, DeviceType } from '../../api.js';

/** Data rate codes as written to the DSR/CCR low bits. */
export const RATE_500K = 0;
export const RATE_300K = 1;
export const RATE_250K = 2;
export const RATE_1M = 3;

export interface Geometry {
  name: string;
  tracks: number;
  heads: number;
  sectors: number;
  /** Rates at which this medium can be read (first = native). */
  rates: number[];
}

/** Standard PC formats, smallest first. */
export const GEOMETRIES: Geometry[] = [
  { name: '160K', tracks: 40, heads: 1, sectors: 8, rates: [RATE_250K, RATE_300K] },
  { name: '180K', tracks: 40, heads: 1, sectors: 9, rates: [RATE_250K, RATE_300K] },
  { name: '320K', tracks: 40, heads: 2, sectors: 8, rates: [RATE_250K, RATE_300K] },
  { name: '360K', tracks: 40, heads: 2, sectors: 9, rates: [RATE_250K, RATE_300K] },
  { name: '720K', tracks: 80, heads: 2, sectors: 9, rates: [RATE_250K] },
  { name: '1.2M', tracks: 80, heads: 2, sectors: 15, rates: [RATE_500K] },
  { name: '1.44M', tracks: 80, heads: 2, sectors: 18, rates: [RATE_500K] },
  { name: '2.88M', tracks: 80, heads: 2, sectors: 36, rates: [RATE_1M] },
];

export type DriveType = '144' | '288' | '120' | '720';
export const DRIVE_TYPES: DriveType[] = ['144', '288', '120', '720'];

/** Media each drive type can read, and its CMOS type code (RTC register 10h). */
const DRIVE_INFO: Record<DriveType, { media: string[]; cmos: number }> = {
  '144': { media: ['720K', '1.44M'], cmos: 4 },
  '288': { media: ['720K', '1.44M', '2.88M'], cmos: 5 },
  '120': { media: ['160K', '180K', '320K', '360K', '1.2M'], cmos: 2 },
  '720': { media: ['720K'], cmos: 3 },
};

export const SECTOR = 512;

/** The smallest standard geometry that holds `bytes` (images shorter than it read as zeros). */
export function geometryForSize(bytes: number): Geometry | null {
  for (const g of GEOMETRIES) if (bytes <= g.tracks * g.heads * g.sectors * SECTOR) return g;
  return null;
}

/** The drive type an 'auto' drive gets for a medium. */
export function autoDriveType(g: Geometry | null): DriveType {
  if (!g) return '144';
  if (g.name === '2.88M') return '288';
  if (g.tracks === 40 || g.name === '1.2M') return '120';
  return '144';
}

/** One drive: the head position (physical cylinder), the medium and the disk change line. */
export class FloppyDrive {
  track = 0;
  head = 0;
  /** Next sector under the head for READ ID. */
  idSector = 1;
  /** Disk change line: set on power-on and medium change, cleared by a step with a disk in. */
  changed = true;
  perpendicular = false;
  backend: BlockBackend | null = null;
  geometry: Geometry | null = null;
  readonly type: DriveType;

  constructor(
    type: DriveType | 'auto',
    backend: BlockBackend | null,
    private readonly forceReadOnly = false,
  ) {
    const g = backend ? geometryForSize(backend.size) : null;
    this.type = type === 'auto' ? autoDriveType(g) : type;
    this.insert(backend);
  }

  /** Insert a medium (or remove it, with null): the change line goes active. */
  insert(backend: BlockBackend | null): void {
    this.backend = backend;
    this.geometry = backend ? geometryForSize(backend.size) : null;
    if (this.geometry && !DRIVE_INFO[this.type].media.includes(this.geometry.name)) this.geometry = null;
    this.changed = true;
  }

  get cmosType(): number {
    return DRIVE_INFO[this.type].cmos;
  }
  get hasMedium(): boolean {
    return this.backend !== null && this.geometry !== null;
  }
  get writeProtected(): boolean {
    return this.forceReadOnly || !this.backend || this.backend.readOnly;
  }
  /** Whether the medium can be read at data rate `rate`. */
  rateMatches(rate: number): boolean {
    return !!this.geometry && this.geometry.rates.includes(rate);
  }
  /** Byte offset of sector `r` (1-based) of track/head, or -1 if it is not on the medium. */
  offsetOf(track: number, head: number, r: number): number {
    const g = this.geometry;
    if (!g || track >= g.tracks || head >= g.heads || r < 1 || r > g.sectors) return -1;
    return ((track * g.heads + head) * g.sectors + (r - 1)) * SECTOR;
  }
  /** A step pulse with a medium present clears the change line (82077AA DIR bit 7). */
  stepped(): void {
    if (this.backend) this.changed = false;
  }
}

/** A handle from the `floppy` registry entry, attached with IsaFdc.attachDrive. */
export class FloppyDriveHandle implements DeviceModel {
  constructor(
    readonly unit: 0 | 1,
    readonly drive: FloppyDrive,
  ) {}
  destroy(): void {
    void this.drive.backend?.close?.();
  }
}

export const floppyType: DeviceType = {
  name: 'floppy',
  class: 'storage',
  bus: 'floppy',
  description: 'Floppy drive (360K/1.2M 5.25", 720K/1.44M/2.88M 3.5"); medium geometry from the image size',
  secure: true,
  secureReason: "QEMU's i386 classification lists floppy as security supported (virtualization use case)",
  hotpluggable: false,
  capabilities: ['block'],
  properties: {
    unit: { type: 'number', default: 0, description: 'Drive number on the controller (0 = A:, 1 = B:)', choices: [0, 1] },
    'drive-type': { type: 'string', default: 'auto', description: 'Drive type; auto = from the medium', choices: ['auto', ...DRIVE_TYPES] },
    readonly: { type: 'boolean', default: false, description: 'Write-protect the medium' },
  },
  resources: () => ({ ports: [], mmio: [], irqs: [] }),
  stateVersion: 0, // the controller saves the drive's state
  create(host, props) {
    const b = host.backend as BlockBackend | null | undefined;
    const type = DRIVE_TYPES.includes(props['drive-type'] as DriveType) ? (props['drive-type'] as DriveType) : 'auto';
    return new FloppyDriveHandle(props.unit === 1 ? 1 : 0, new FloppyDrive(type, b && typeof b.read === 'function' ? b : null, props.readonly === true));
  },
};

/**
 * The PC BIOS layout of the CMOS RAM, filled by the machine before the firmware runs: what
 * QEMU's hw/i386/pc.c (pc_cmos_init and helpers) stores and SeaBIOS reads (src/fw/paravirt.c
 * memory sizing from 0x30/0x31, 0x34/0x35, 0x5B-0x5D and the CPU count at 0x5F; src/hw/floppy.c
 * drive types at 0x10). Byte meanings follow the IBM PC/AT Technical Reference CMOS map.
 */
import type { CmosAccess } from './interfaces.js';

/** CMOS floppy drive type codes (0x10): QEMU's FLOPPY_DRIVE_TYPE order. */
export type FloppyDriveType = 'none' | '360K' | '1.2M' | '720K' | '1.44M' | '2.88M';
const FLOPPY_CODES: Record<FloppyDriveType, number> = { none: 0, '360K': 1, '1.2M': 2, '720K': 3, '1.44M': 4, '2.88M': 5 };

/** A hard disk's BIOS geometry (CHS as the BIOS would translate it). */
export interface CmosDiskGeometry {
  cylinders: number;
  heads: number;
  sectors: number;
  /** BIOS translation hint for 0x39: 'none' | 'lba' | 'large' (QEMU: lba when > 528 MB). */
  translation?: 'none' | 'lba' | 'large';
}

/** Boot device letters as in QEMU's `-boot order=`: a floppy, c hard disk, d CD-ROM, n network. */
export type BootDeviceLetter = 'a' | 'c' | 'd' | 'n';
const BOOT_CODES: Record<BootDeviceLetter, number> = { a: 1, c: 2, d: 3, n: 4 };

export interface PcCmosConfig {
  /** Guest RAM in bytes. */
  ramBytes: number;
  /** RAM above 4 GiB in bytes (0 for this machine). */
  ramAbove4gBytes?: number;
  /** Number of CPUs (0x5F holds count - 1). */
  cpus?: number;
  floppies?: [FloppyDriveType?, FloppyDriveType?];
  /** IDE primary master / slave, secondary master / slave; undefined = absent or CD. */
  hardDisks?: (CmosDiskGeometry | undefined)[];
  /** Up to three boot devices, first first (QEMU default "cad"). */
  bootOrder?: BootDeviceLetter[];
  /** QEMU's fd_bootchk: check the floppy boot signature (0x38 bit 0 clear). Default true. */
  floppyBootSignatureCheck?: boolean;
}

const CHECKSUM_FIRST = 0x10;
const CHECKSUM_LAST = 0x2d;

/** Fill the BIOS area of the CMOS as QEMU's PC machine does, then the checksum. */
export function fillPcCmos(cmos: CmosAccess, cfg: PcCmosConfig): void {
  const set = (i: number, v: number) => cmos.cmosWrite(i, v & 0xff);

  // Base memory in KiB: 640 unless the machine has less.
  const below4g = Math.min(cfg.ramBytes, 0x100000000);
  const base = Math.min(Math.floor(below4g / 1024), 640);
  set(0x15, base);
  set(0x16, base >> 8);

  // Extended memory in KiB above 1 MiB, capped at 65535 (0x17/0x18 and the POST copy 0x30/0x31).
  let ext = Math.floor(below4g / 1024) - 1024;
  ext = Math.max(0, Math.min(ext, 65535));
  set(0x17, ext);
  set(0x18, ext >> 8);
  set(0x30, ext);
  set(0x31, ext >> 8);

  // Memory above 16 MiB in 64 KiB units, capped at 65535.
  let hi = below4g > 16 * 1024 * 1024 ? Math.floor((below4g - 16 * 1024 * 1024) / 65536) : 0;
  hi = Math.min(hi, 65535);
  set(0x34, hi);
  set(0x35, hi >> 8);

  // Memory above 4 GiB in 64 KiB units, 24 bits.
  const above = Math.floor((cfg.ramAbove4gBytes ?? 0) / 65536);
  set(0x5b, above);
  set(0x5c, Math.floor(above / 256));
  set(0x5d, Math.floor(above / 65536));

  set(0x5f, Math.max(1, cfg.cpus ?? 1) - 1);

  // Boot order (as QEMU's set_boot_dev): 0x3D = 2nd<<4 | 1st, 0x38 = 3rd<<4 | !fd_bootchk.
  const order = (cfg.bootOrder ?? ['c', 'a', 'd']).slice(0, 3).map((l) => BOOT_CODES[l] ?? 0);
  set(0x3d, ((order[1] ?? 0) << 4) | (order[0] ?? 0));
  set(0x38, ((order[2] ?? 0) << 4) | (cfg.floppyBootSignatureCheck === false ? 1 : 0));

  // Floppies: 0x10 drive types, equipment byte 0x14.
  const fd = cfg.floppies ?? [];
  const t0 = FLOPPY_CODES[fd[0] ?? 'none'] ?? 0;
  const t1 = FLOPPY_CODES[fd[1] ?? 'none'] ?? 0;
  set(0x10, (t0 << 4) | t1);
  const nfd = (t0 ? 1 : 0) + (t1 ? 1 : 0);
  let equip = 0x02 | 0x04; // math coprocessor present, PS/2 mouse present
  if (nfd > 0) equip |= 0x01 | ((nfd - 1) << 6);
  set(0x14, equip);

  // Hard disks: 0x12 types (0xF = use extended type byte), 0x19/0x1A = 47 (user defined),
  // geometry at 0x1B (drive C) and 0x24 (drive D), translation bits at 0x39.
  const hd = cfg.hardDisks ?? [];
  const hd0 = hd[0], hd1 = hd[1];
  set(0x12, (hd0 ? 0xf0 : 0) | (hd1 ? 0x0f : 0));
  if (hd0) {
    set(0x19, 47);
    writeGeometry(set, 0x1b, hd0);
  }
  if (hd1) {
    set(0x1a, 47);
    writeGeometry(set, 0x24, hd1);
  }
  let trans = 0;
  for (let i = 0; i < 4; i++) {
    const g = hd[i];
    if (!g) continue;
    const t = g.translation ?? (g.cylinders * g.heads * g.sectors > 1032192 ? 'lba' : 'none');
    trans |= (t === 'lba' ? 1 : t === 'large' ? 2 : 0) << (i * 2);
  }
  set(0x39, trans);

  updateCmosChecksum(cmos);
}

function writeGeometry(set: (i: number, v: number) => void, at: number, g: CmosDiskGeometry): void {
  set(at + 0, g.cylinders);
  set(at + 1, g.cylinders >> 8);
  set(at + 2, g.heads);
  set(at + 3, 0xff); // write precompensation: none
  set(at + 4, 0xff);
  set(at + 5, 0xc0 | (g.heads > 8 ? 0x08 : 0)); // control byte
  set(at + 6, g.cylinders); // landing zone
  set(at + 7, g.cylinders >> 8);
  set(at + 8, g.sectors);
}

/** Standard checksum: 16-bit sum of 0x10-0x2D stored big-endian at 0x2E/0x2F. */
export function updateCmosChecksum(cmos: CmosAccess): void {
  let sum = 0;
  for (let i = CHECKSUM_FIRST; i <= CHECKSUM_LAST; i++) sum += cmos.cmosRead(i);
  cmos.cmosWrite(0x2e, (sum >> 8) & 0xff);
  cmos.cmosWrite(0x2f, sum & 0xff);
}

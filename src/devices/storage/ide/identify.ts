/**
 * IDENTIFY DEVICE and IDENTIFY PACKET DEVICE data (ATA/ATAPI-6 8.15 and 8.16): 256 little-endian
 * words. Strings are ATA strings: space padded, two characters per word with the first character
 * in the high byte. Word choices follow what Linux libata (ata_dev_configure, ata_piix) and SeaBIOS
 * (ata.c init_drive_ata/init_drive_atapi) read.
 */
import { MAX_MULT_SECTORS } from './defs.js';

/** Identification strings of one drive. */
export interface DriveStrings {
  model: string; // up to 40 characters
  serial: string; // up to 20 characters
  firmware: string; // up to 8 characters
}

/** Transfer mode selected with SET FEATURES subcommand 03h. */
export interface TransferMode {
  /** -1 = none selected, else the mode number. */
  mwdma: number;
  udma: number;
}

/** Geometry and capacity of a hard disk, for the words that describe them. */
export interface DiskIdentity {
  strings: DriveStrings;
  cyls: number;
  heads: number;
  secs: number;
  /** Current (INITIALIZE DEVICE PARAMETERS) translation. */
  curCyls: number;
  curHeads: number;
  curSecs: number;
  totalSectors: number;
  multCount: number;
  writeCache: boolean;
  mode: TransferMode;
}

function putWord(buf: Uint8Array, word: number, value: number): void {
  buf[word * 2] = value & 0xff;
  buf[word * 2 + 1] = (value >>> 8) & 0xff;
}

/** Write an ATA string of `words` words at word `first` (first character in the high byte). */
export function putAtaString(buf: Uint8Array, first: number, words: number, text: string): void {
  for (let i = 0; i < words * 2; i++) {
    const c = i < text.length ? text.charCodeAt(i) & 0x7f : 0x20;
    const printable = c >= 0x20 && c < 0x7f ? c : 0x20;
    buf[first * 2 + (i ^ 1)] = printable;
  }
}

function putStrings(buf: Uint8Array, s: DriveStrings): void {
  putAtaString(buf, 10, 10, s.serial);
  putAtaString(buf, 23, 4, s.firmware);
  putAtaString(buf, 27, 20, s.model);
}

function dmaModeWords(buf: Uint8Array, mode: TransferMode): void {
  putWord(buf, 62, 0x0007); // single-word DMA modes 0-2 supported (obsolete word)
  putWord(buf, 63, 0x0007 | (mode.mwdma >= 0 ? 0x100 << mode.mwdma : 0)); // MWDMA 0-2
  putWord(buf, 64, 0x0003); // PIO modes 3 and 4
  putWord(buf, 88, 0x003f | (mode.udma >= 0 ? 0x100 << mode.udma : 0)); // UDMA 0-5
}

/** IDENTIFY DEVICE for a hard disk. */
export function identifyDisk(d: DiskIdentity): Uint8Array {
  const b = new Uint8Array(512);
  putWord(b, 0, 0x0040); // fixed device, not removable
  putWord(b, 1, d.cyls);
  putWord(b, 3, d.heads);
  putWord(b, 4, 512 * d.secs); // obsolete: unformatted bytes per track
  putWord(b, 5, 512); // obsolete: bytes per sector
  putWord(b, 6, d.secs);
  putStrings(b, d.strings);
  putWord(b, 20, 3); // obsolete buffer type
  putWord(b, 21, 512); // obsolete buffer size
  putWord(b, 22, 4); // obsolete ECC bytes
  putWord(b, 47, 0x8000 | MAX_MULT_SECTORS);
  putWord(b, 48, 1); // 32-bit PIO (doubleword I/O) supported
  putWord(b, 49, (1 << 11) | (1 << 9) | (1 << 8)); // IORDY, LBA, DMA
  putWord(b, 50, 0x4000);
  putWord(b, 51, 0x0200); // PIO timing mode 2 (obsolete)
  putWord(b, 52, 0x0200); // DMA timing mode 2 (obsolete)
  putWord(b, 53, 0x0007); // words 54-58, 64-70 and 88 are valid
  const curCap = d.curCyls * d.curHeads * d.curSecs;
  putWord(b, 54, d.curCyls);
  putWord(b, 55, d.curHeads);
  putWord(b, 56, d.curSecs);
  putWord(b, 57, curCap & 0xffff);
  putWord(b, 58, (curCap >>> 16) & 0xffff);
  putWord(b, 59, d.multCount ? 0x100 | d.multCount : 0);
  const lba28 = Math.min(d.totalSectors, 0x0fffffff);
  putWord(b, 60, lba28 & 0xffff);
  putWord(b, 61, (lba28 >>> 16) & 0xffff);
  dmaModeWords(b, d.mode);
  putWord(b, 65, 120); // minimum MWDMA cycle time
  putWord(b, 66, 120); // recommended MWDMA cycle time
  putWord(b, 67, 120); // PIO cycle time without flow control
  putWord(b, 68, 120); // PIO cycle time with IORDY
  putWord(b, 80, 0x00f0); // ATA-4 to ATA-7
  putWord(b, 81, 0x0016);
  putWord(b, 82, (1 << 14) | (1 << 5)); // NOP, write cache
  putWord(b, 83, (1 << 14) | (1 << 13) | (1 << 12) | (1 << 10)); // FLUSH CACHE EXT, FLUSH CACHE, LBA48
  putWord(b, 84, 1 << 14);
  putWord(b, 85, (1 << 14) | (d.writeCache ? 1 << 5 : 0));
  putWord(b, 86, (1 << 13) | (1 << 12) | (1 << 10));
  putWord(b, 87, 1 << 14);
  putWord(b, 93, 0x6001); // hardware reset result, 80-conductor cable detected
  const t = d.totalSectors;
  putWord(b, 100, t % 0x10000);
  putWord(b, 101, Math.floor(t / 0x10000) % 0x10000);
  putWord(b, 102, Math.floor(t / 0x100000000) % 0x10000);
  putWord(b, 103, 0);
  return b;
}

/** IDENTIFY PACKET DEVICE for a CD/DVD-ROM drive. */
export function identifyPacket(strings: DriveStrings, mode: TransferMode): Uint8Array {
  const b = new Uint8Array(512);
  // ATAPI, CD-ROM device type, removable, DRQ within 50 us after PACKET, 12-byte packets.
  putWord(b, 0, (2 << 14) | (5 << 8) | (1 << 7) | (2 << 5));
  putStrings(b, strings);
  putWord(b, 20, 3);
  putWord(b, 21, 512);
  putWord(b, 22, 4);
  putWord(b, 48, 1);
  putWord(b, 49, (1 << 9) | (1 << 8)); // LBA, DMA
  putWord(b, 53, 0x0007);
  dmaModeWords(b, mode);
  putWord(b, 65, 0x00b4);
  putWord(b, 66, 0x00b4);
  putWord(b, 67, 0x012c);
  putWord(b, 68, 0x00b4);
  putWord(b, 71, 30); // typical time for release after PACKET
  putWord(b, 72, 30); // after SERVICE
  putWord(b, 80, 0x001e); // ATA/ATAPI-1 to -4
  putWord(b, 82, (1 << 14) | (1 << 4)); // NOP (obsolete bit) and the PACKET feature set
  putWord(b, 83, 1 << 14);
  putWord(b, 84, 1 << 14);
  putWord(b, 85, 1 << 4);
  putWord(b, 87, 1 << 14);
  putWord(b, 93, 0x6001);
  return b;
}

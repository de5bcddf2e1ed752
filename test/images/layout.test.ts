// test/images/layout.test.ts — checks the on-disk structures of the images byte by byte, the
// way a BIOS and a boot loader read them: the MBR partition table (with CHS fields that agree
// with the FAT boot sector's geometry), the FAT BIOS parameter blocks, the ISO 9660 El Torito
// boot catalog (El Torito spec 1.0, sections 2.0–2.3) and the 1.44 MB floppy layout.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { image } from './qemu.js';

const u16 = (b: Buffer, o: number) => b.readUInt16LE(o);
const u32 = (b: Buffer, o: number) => b.readUInt32LE(o);
const ascii = (b: Buffer, o: number, n: number) => b.toString('latin1', o, o + n);

/** Decodes the 3 CHS bytes of an MBR partition entry. */
function chs(b: Buffer, o: number): { c: number; h: number; s: number } {
  return { h: b[o], s: b[o + 1] & 63, c: b[o + 2] | ((b[o + 1] & 0xc0) << 2) };
}

describe('linux.img layout', () => {
  const disk = readFileSync(image('linux.img'));

  it('has an MBR with boot code and one active FAT16 partition from LBA 2048', () => {
    expect(disk.length % 512).toBe(0);
    expect(u16(disk, 510)).toBe(0xaa55);
    expect(ascii(disk, 0, 440)).toContain('Missing operating system.'); // SYSLINUX mbr.bin
    const p = 446;
    expect(disk[p]).toBe(0x80);
    expect([0x04, 0x06]).toContain(disk[p + 4]);
    expect(u32(disk, p + 8)).toBe(2048);
    const sectors = u32(disk, p + 12);
    expect(2048 + sectors).toBeLessThanOrEqual(disk.length / 512);
    expect(sectors * 512).toBeGreaterThanOrEqual(24 << 20);
    for (let e = 1; e < 4; e++) expect(disk.subarray(p + 16 * e, p + 16 * e + 16).every((x) => x === 0)).toBe(true);
  });

  it('has a FAT16 boot sector whose geometry matches the partition table CHS fields', () => {
    const p = 446;
    const start = u32(disk, p + 8);
    const bs = disk.subarray(start * 512, start * 512 + 512);
    expect(u16(bs, 510)).toBe(0xaa55);
    expect(ascii(bs, 3, 8)).toBe('SYSLINUX');
    expect(u16(bs, 11)).toBe(512);
    expect(ascii(bs, 54, 8)).toBe('FAT16   ');
    expect(u32(bs, 28)).toBe(start); // hidden sectors
    const spt = u16(bs, 24);
    const heads = u16(bs, 26);
    const lbaOf = ({ c, h, s }: { c: number; h: number; s: number }) => (c * heads + h) * spt + s - 1;
    expect(lbaOf(chs(disk, p + 1))).toBe(start);
    expect(lbaOf(chs(disk, p + 5))).toBe(start + u32(disk, p + 12) - 1);
    // The partition ends on a cylinder boundary, so the geometry can be inferred from it.
    expect(chs(disk, p + 5).h).toBe(heads - 1);
    expect(chs(disk, p + 5).s).toBe(spt);
  });
});

describe('linux.iso layout', () => {
  const iso = readFileSync(image('linux.iso'));
  const sector = (n: number) => iso.subarray(n * 2048, n * 2048 + 2048);

  it('has a primary volume descriptor and an El Torito no-emulation entry loading 4 sectors', () => {
    expect(iso.length % 2048).toBe(0);
    const pvd = sector(16);
    expect(pvd[0]).toBe(1);
    expect(ascii(pvd, 1, 5)).toBe('CD001');
    expect(ascii(pvd, 40, 8)).toBe('BULKHEAD');
    const brvd = sector(17);
    expect(brvd[0]).toBe(0);
    expect(ascii(brvd, 1, 5)).toBe('CD001');
    expect(ascii(brvd, 7, 23)).toBe('EL TORITO SPECIFICATION');
    const cat = sector(u32(brvd, 71));
    // Validation entry: header 1, platform 0 (x86), key bytes 55 AA, words summing to 0.
    expect(cat[0]).toBe(1);
    expect(cat[1]).toBe(0);
    expect(u16(cat, 30)).toBe(0xaa55);
    let sum = 0;
    for (let i = 0; i < 32; i += 2) sum = (sum + u16(cat, i)) & 0xffff;
    expect(sum).toBe(0);
    // Initial/default entry: bootable, no emulation, 4 virtual sectors.
    expect(cat[32]).toBe(0x88);
    expect(cat[33]).toBe(0);
    expect(u16(cat, 38)).toBe(4);
    const bootLba = u32(cat, 40);
    // ISOLINUX's boot info table (filled by -boot-info-table) at offset 8: PVD LBA 16, own LBA.
    const boot = sector(bootLba);
    expect(u32(boot, 8)).toBe(16);
    expect(u32(boot, 12)).toBe(bootLba);
  });

  it('is hybrid: an MBR (isohdpfx.bin) with a bootable partition covering the image', () => {
    expect(u16(iso, 510)).toBe(0xaa55);
    expect(iso[446]).toBe(0x80);
    expect(u32(iso, 446 + 8) + u32(iso, 446 + 12)).toBeLessThanOrEqual(iso.length / 512);
  });
});

describe('floppy.img layout', () => {
  const fd = readFileSync(image('floppy.img'));

  it('is a 1.44 MB FAT12 floppy with the standard 80/2/18 geometry and SYSLINUX', () => {
    expect(fd.length).toBe(1474560);
    expect(u16(fd, 510)).toBe(0xaa55);
    expect(ascii(fd, 3, 8)).toBe('SYSLINUX');
    expect(u16(fd, 11)).toBe(512);
    expect(u16(fd, 19)).toBe(2880);
    expect(fd[21]).toBe(0xf0);
    expect(u16(fd, 24)).toBe(18);
    expect(u16(fd, 26)).toBe(2);
    expect(u16(fd, 17)).toBe(224);
    expect(ascii(fd, 54, 8)).toBe('FAT12   ');
  });
});

describe('firmware', () => {
  it('has SeaBIOS at 256 KiB ending in a reset vector and VGA option ROMs with PCI IDs', () => {
    const bios = readFileSync(image('bios-256k.bin'));
    expect(bios.length).toBe(256 * 1024);
    expect(bios[bios.length - 16]).toBe(0xea); // jmp far at F000:FFF0
    const pciId = (rom: Buffer) => {
      expect(u16(rom, 0)).toBe(0xaa55);
      expect(rom[2] * 512).toBeLessThanOrEqual(rom.length);
      const pcir = u16(rom, 0x18);
      if (pcir === 0 || ascii(rom, pcir, 4) !== 'PCIR') return null;
      return `${u16(rom, pcir + 4).toString(16).padStart(4, '0')}:${u16(rom, pcir + 6).toString(16).padStart(4, '0')}`;
    };
    expect(pciId(readFileSync(image('vgabios-stdvga.bin')))).toBe('1234:1111');
    expect(pciId(readFileSync(image('vgabios-cirrus.bin')))).toBe('1013:00b8');
    expect(pciId(readFileSync(image('vgabios-isavga.bin')))).toBe(null);
  });
});

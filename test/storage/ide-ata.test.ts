/** ide-hd on piix3-ide through its registers: signatures, IDENTIFY, PIO, DMA, errors, reset. */
import { describe, expect, it } from 'vitest';
import { BlockError } from '../../src/block/api.js';
import { drain, MemBackend, patterned, SparseBackend } from './helpers.js';
import { IdeRig, REG } from './ide-harness.js';
import { ideCmosGeometries } from '../../src/devices/storage/ide/piix3-ide.js';

const MiB = 1024 * 1024;

function word(id: Uint8Array, w: number): number {
  return id[w * 2] | (id[w * 2 + 1] << 8);
}
function ataString(id: Uint8Array, first: number, words: number): string {
  let s = '';
  for (let i = 0; i < words; i++) s += String.fromCharCode(id[(first + i) * 2 + 1], id[(first + i) * 2]);
  return s;
}
async function identify(r: IdeRig): Promise<Uint8Array> {
  r.out(REG.CMD, 0xec);
  const st = await r.notBusy();
  expect(st & 0x08).toBe(0x08);
  return r.insw(512);
}

describe('ide-hd signature and reset', () => {
  it('shows the ATA signature, DRDY, and an empty slave reads status 0', () => {
    const r = new IdeRig({ hda: 'ide-hd' }, { hda: patterned(MiB) });
    expect(r.in(REG.NSECT)).toBe(1);
    expect(r.in(REG.LBAL)).toBe(1);
    expect(r.in(REG.LBAM)).toBe(0);
    expect(r.in(REG.LBAH)).toBe(0);
    expect(r.in(REG.STATUS)).toBe(0x50);
    r.select(1);
    expect(r.in(REG.STATUS)).toBe(0);
    // Empty secondary channel: everything reads 0.
    expect(r.ide.ioRead(2, 7, 1)).toBe(0);
  });

  it('SRST holds BSY, then restores the signature and selects device 0', () => {
    const r = new IdeRig({ hda: 'ide-hd' }, { hda: patterned(MiB) });
    r.lba28(0x20, 5, 1);
    r.out(REG.LBAL, 0x77);
    r.devCtl(0x04);
    expect(r.altStatus() & 0x80).toBe(0x80);
    r.devCtl(0x00);
    expect(r.altStatus()).toBe(0x50);
    expect([r.in(REG.NSECT), r.in(REG.LBAL), r.in(REG.LBAM), r.in(REG.LBAH)]).toEqual([1, 1, 0, 0]);
    expect(r.in(REG.ERROR)).toBe(0x01);
    expect(r.in(REG.DEV) & 0x10).toBe(0);
  });

  it('EXECUTE DEVICE DIAGNOSTIC reports no error and interrupts', () => {
    const r = new IdeRig({ hda: 'ide-hd' }, { hda: patterned(MiB) });
    r.out(REG.CMD, 0x90);
    expect(r.irq.level).toBe(true);
    expect(r.in(REG.ERROR)).toBe(0x01);
    expect(r.in(REG.STATUS)).toBe(0x50);
    expect(r.irq.level).toBe(false);
  });
});

describe('IDENTIFY DEVICE', () => {
  it('has byte-swapped strings, CHS, LBA28/LBA48 capacity, multiple and DMA words', async () => {
    const sectors = 20 * 16 * 63 + 5;
    const r = new IdeRig({ hda: 'ide-hd' }, { hda: new MemBackend(sectors * 512) });
    const id = await identify(r);
    expect(ataString(id, 27, 20).trim()).toBe('BULKHEAD HARDDISK');
    expect(ataString(id, 10, 10).trim()).toBe('BH00001');
    expect(ataString(id, 23, 4).trim()).toBe('1.0');
    expect(word(id, 0)).toBe(0x0040);
    expect([word(id, 1), word(id, 3), word(id, 6)]).toEqual([20, 16, 63]);
    expect(word(id, 60) | (word(id, 61) << 16)).toBe(sectors);
    expect(word(id, 100) + word(id, 101) * 65536).toBe(sectors);
    expect(word(id, 47)).toBe(0x8010);
    expect(word(id, 49) & 0x0300).toBe(0x0300); // LBA and DMA
    expect(word(id, 83) & 0x0400).toBe(0x0400); // LBA48
    expect(word(id, 63) & 0xff).toBe(0x07);
    expect(word(id, 88) & 0xff).toBe(0x3f);
    expect(r.altStatus()).toBe(0x50);
  });

  it('records SET FEATURES transfer mode and SET MULTIPLE MODE in IDENTIFY', async () => {
    const r = new IdeRig({ hda: 'ide-hd' }, { hda: new MemBackend(MiB) });
    r.out(REG.FEATURE, 0x03);
    r.out(REG.NSECT, 0x22); // MWDMA2
    r.out(REG.CMD, 0xef);
    expect(r.in(REG.STATUS)).toBe(0x50);
    r.out(REG.NSECT, 8);
    r.out(REG.CMD, 0xc6);
    expect(r.in(REG.STATUS)).toBe(0x50);
    const id = await identify(r);
    expect(word(id, 63)).toBe(0x0407);
    expect(word(id, 88) >> 8).toBe(0);
    expect(word(id, 59)).toBe(0x0108);
    r.out(REG.NSECT, 3); // not a power of two
    r.out(REG.CMD, 0xc6);
    expect(r.in(REG.STATUS) & 0x01).toBe(1);
    expect(r.in(REG.ERROR)).toBe(0x04);
  });

  it('gives a huge disk an LBA28 capacity of 0FFFFFFFh and the full LBA48 one', async () => {
    const sectors = 2 ** 33;
    const r = new IdeRig({ hda: 'ide-hd' }, { hda: new SparseBackend(sectors * 512) });
    const id = await identify(r);
    expect((word(id, 60) | (word(id, 61) << 16)) >>> 0).toBe(0x0fffffff);
    expect(word(id, 100) + word(id, 101) * 2 ** 16 + word(id, 102) * 2 ** 32).toBe(sectors);
    expect(word(id, 1)).toBe(16383);
    expect(r.ide.cmosDiskGeometries()).toEqual([{ cylinders: 16383, heads: 16, sectors: 63, translation: 'lba' }, undefined, undefined, undefined]);
    const small = new MemBackend(65 * 16 * 63 * 512);
    expect(ideCmosGeometries({ hda: 'ide-hd', hdc: 'ide-cd', hdd: 'ide-hd' }, { hda: small, hdc: null, hdd: small })).toEqual([
      { cylinders: 65, heads: 16, sectors: 63, translation: 'none' }, undefined, undefined, { cylinders: 65, heads: 16, sectors: 63, translation: 'none' },
    ]);
  });
});

describe('PIO reads and writes', () => {
  it('reads one sector (LBA28) with an interrupt and DRQ, leaving the address', async () => {
    const disk = patterned(MiB);
    const r = new IdeRig({ hda: 'ide-hd' }, { hda: disk });
    r.lba28(0x20, 100, 1);
    expect(r.altStatus() & 0x80).toBe(0x80); // busy while the backend works
    expect(await r.notBusy()).toBe(0x58);
    expect(r.irq.level).toBe(true);
    expect(r.in(REG.STATUS)).toBe(0x58);
    expect(r.irq.level).toBe(false);
    const data = r.insw(512);
    expect(Array.from(data)).toEqual(Array.from(disk.bytes.subarray(100 * 512, 101 * 512)));
    expect(r.altStatus()).toBe(0x50);
    expect(r.in(REG.LBAL)).toBe(100);
  });

  it('reads several sectors word by word and with rep insw across blocks, and READ SECTORS without retry', async () => {
    const disk = patterned(MiB);
    const r = new IdeRig({ hda: 'ide-hd' }, { hda: disk });
    r.lba28(0x21, 3, 3);
    await r.notBusy();
    const words: number[] = [];
    for (let i = 0; i < 256; i++) words.push(r.inw());
    expect(words[0]).toBe(3); // sector number pattern
    expect(r.altStatus()).toBe(0x58); // next block ready
    const rest = r.insw(1024); // two more blocks in one call
    expect(new DataView(rest.buffer).getUint32(0, true)).toBe(4);
    expect(new DataView(rest.buffer).getUint32(512, true)).toBe(5);
    expect(r.altStatus()).toBe(0x50);
  });

  it('addresses by CHS through the IDENTIFY geometry', async () => {
    const disk = patterned(4 * MiB);
    const r = new IdeRig({ hda: 'ide-hd' }, { hda: disk });
    // C=1 H=2 S=3 → (1*16+2)*63+2 = 1136
    r.out(REG.NSECT, 1);
    r.out(REG.LBAL, 3);
    r.out(REG.LBAM, 1);
    r.out(REG.LBAH, 0);
    r.out(REG.DEV, 0xa0 | 2);
    r.out(REG.CMD, 0x20);
    await r.notBusy();
    expect(new DataView(r.insw(512).buffer).getUint32(0, true)).toBe(1136);
    expect([r.in(REG.LBAM), r.in(REG.DEV) & 0x0f, r.in(REG.LBAL)]).toEqual([1, 2, 3]);
    // Sector 0 is not a valid CHS sector.
    r.out(REG.LBAL, 0);
    r.out(REG.CMD, 0x20);
    expect(r.in(REG.STATUS) & 0x01).toBe(1);
    expect(r.in(REG.ERROR) & 0x10).toBe(0x10);
  });

  it('reads beyond 2^32 sectors with READ SECTORS EXT and reports HOB registers', async () => {
    const r = new IdeRig({ hda: 'ide-hd' }, { hda: new SparseBackend(2 ** 34 * 512) });
    const lba = 2 ** 32 + 7;
    r.lba48(0x24, lba, 2);
    await r.notBusy();
    const d = r.insw(1024);
    expect(d[0]).toBe(SparseBackend.byteAt(lba * 512));
    expect(d[600]).toBe(SparseBackend.byteAt((lba + 1) * 512 + 88));
    expect(r.in(REG.LBAL)).toBe(8); // last sector read
    r.devCtl(0x80); // HOB
    expect(r.in(REG.LBAL)).toBe(0x00); // bits 24-31 of 2^32+8
    expect(r.in(REG.LBAM)).toBe(0x01); // bits 32-39
    r.devCtl(0x00);
  });

  it('writes one sector and several with WRITE MULTIPLE (and EXT)', async () => {
    const disk = new MemBackend(MiB);
    const r = new IdeRig({ hda: 'ide-hd' }, { hda: disk });
    const data = new Uint8Array(512).map((_, i) => (i * 3) & 0xff);
    r.lba28(0x30, 9, 1);
    expect(r.altStatus()).toBe(0x58); // DRQ, no interrupt for the first block
    expect(r.irq.level).toBe(false);
    r.outsw(data);
    expect(await r.notBusy()).toBe(0x50);
    expect(r.irq.level).toBe(true);
    expect(Array.from(disk.bytes.subarray(9 * 512, 10 * 512))).toEqual(Array.from(data));

    r.out(REG.NSECT, 4);
    r.out(REG.CMD, 0xc6);
    r.in(REG.STATUS);
    const big = new Uint8Array(8 * 512).map((_, i) => (i * 5 + 1) & 0xff);
    r.lba28(0xc5, 20, 8);
    r.outsw(big.subarray(0, 2048));
    await r.notBusy();
    expect(r.in(REG.STATUS)).toBe(0x58); // second block requested with an interrupt
    r.outsw(big.subarray(2048));
    expect(await r.notBusy()).toBe(0x50);
    expect(Array.from(disk.bytes.subarray(20 * 512, 28 * 512))).toEqual(Array.from(big));

    r.lba48(0x39, 40, 4);
    r.outsw(big.subarray(0, 2048));
    expect(await r.notBusy()).toBe(0x50);
    expect(disk.bytes[40 * 512 + 100]).toBe(big[100]);
    expect(r.in(REG.LBAL)).toBe(43);
  });

  it('READ MULTIPLE without SET MULTIPLE aborts; with it the blocks are multi-sector', async () => {
    const r = new IdeRig({ hda: 'ide-hd' }, { hda: patterned(MiB) });
    r.lba28(0xc4, 0, 4);
    expect(r.in(REG.STATUS)).toBe(0x51);
    expect(r.in(REG.ERROR)).toBe(0x04);
    r.out(REG.NSECT, 2);
    r.out(REG.CMD, 0xc6);
    r.lba28(0xc4, 0, 4);
    await r.notBusy();
    r.in(REG.STATUS);
    r.insw(1024);
    expect(r.irq.level).toBe(true); // second block's interrupt
    expect(new DataView(r.insw(1024).buffer).getUint32(0, true)).toBe(2);
    expect(r.altStatus()).toBe(0x50);
  });
});

describe('errors', () => {
  it('reports IDNF for a read past the end and for READ VERIFY out of range', async () => {
    const r = new IdeRig({ hda: 'ide-hd' }, { hda: new MemBackend(64 * 512) });
    r.lba28(0x20, 63, 2);
    expect(r.in(REG.STATUS)).toBe(0x51);
    expect(r.in(REG.ERROR) & 0x10).toBe(0x10);
    r.lba28(0x40, 10, 4);
    expect(r.in(REG.STATUS)).toBe(0x50);
    expect(r.in(REG.LBAL)).toBe(13);
    r.lba28(0x40, 64, 1);
    expect(r.in(REG.STATUS) & 1).toBe(1);
  });

  it('turns a failing backend read into ERR/UNC and a failing write into ERR/ABRT', async () => {
    const disk = new MemBackend(MiB);
    const r = new IdeRig({ hda: 'ide-hd' }, { hda: disk });
    disk.failReads = new BlockError('io', 'range request failed');
    r.lba28(0x20, 1, 1);
    expect(await r.notBusy()).toBe(0x51);
    expect(r.in(REG.ERROR)).toBe(0x40);
    expect(r.irq.level).toBe(true);
    disk.failWrites = new BlockError('io', 'disk full');
    r.lba28(0x30, 1, 1);
    r.outsw(new Uint8Array(512));
    expect(await r.notBusy()).toBe(0x51);
    expect(r.in(REG.ERROR)).toBe(0x04);
  });

  it('aborts unknown commands, IDENTIFY PACKET and PACKET on a disk', () => {
    const r = new IdeRig({ hda: 'ide-hd' }, { hda: new MemBackend(MiB) });
    for (const cmd of [0x00, 0xa1, 0xa0, 0x5c, 0xff]) {
      r.out(REG.CMD, cmd);
      expect(r.in(REG.STATUS)).toBe(0x51);
      expect(r.in(REG.ERROR)).toBe(0x04);
    }
  });

  it('nIEN keeps INTRQ low; FLUSH CACHE, power and seek commands complete', async () => {
    const disk = new MemBackend(MiB);
    const r = new IdeRig({ hda: 'ide-hd' }, { hda: disk });
    r.devCtl(0x02);
    r.out(REG.CMD, 0xe7);
    expect(await r.notBusy()).toBe(0x50);
    expect(r.irq.level).toBe(false);
    expect(disk.flushes).toBe(1);
    r.devCtl(0x00);
    expect(r.irq.level).toBe(true); // pending interrupt shows once enabled
    for (const cmd of [0xea, 0xe0, 0xe1, 0xe5, 0x10, 0x70, 0x91]) {
      r.out(REG.NSECT, 63);
      r.out(REG.CMD, cmd);
      expect(await r.notBusy()).toBe(0x50);
    }
  });
});

describe('PCI configuration', () => {
  it('keeps the IDE timing registers as plain storage, cleared by reset', () => {
    const r = new IdeRig({ hda: 'ide-hd' }, { hda: new MemBackend(MiB) });
    r.ide.pciConfigWrite(0x40, 2, 0x8000); // IDETIM primary: decode enable, as SeaBIOS writes
    r.ide.pciConfigWrite(0x42, 2, 0x8000);
    expect(r.ide.pciConfigRead(0x40, 4)).toBe(0x80008000);
    expect(r.ide.pciConfigRead(0x43, 1)).toBe(0x80);
    r.ide.reset();
    expect(r.ide.pciConfigRead(0x40, 4)).toBe(0);
  });
});

describe('state', () => {
  it('restores a device that was busy with its command aborted, so the guest retries', async () => {
    const r = new IdeRig({ hda: 'ide-hd' }, { hda: patterned(MiB) });
    r.lba28(0x20, 3, 1);
    expect(r.altStatus() & 0x80).toBe(0x80);
    const saved = r.ide.saveState();
    const r2 = new IdeRig({ hda: 'ide-hd' }, { hda: patterned(MiB) });
    r2.ide.loadState(saved);
    expect(r2.altStatus()).toBe(0x51);
    expect(r2.in(REG.ERROR)).toBe(0x04);
    expect(r2.irq.level).toBe(true);
    r2.lba28(0x20, 3, 1);
    await r2.notBusy();
    expect(new DataView(r2.insw(512).buffer).getUint32(0, true)).toBe(3);
  });
});

describe('bus-master DMA', () => {
  async function dmaRig() {
    const disk = patterned(MiB);
    const r = new IdeRig({ hda: 'ide-hd' }, { hda: disk });
    return { disk, r };
  }

  it('reads through a two-entry PRD table into guest memory', async () => {
    const { disk, r } = await dmaRig();
    r.prd(0x1000, [
      [0x10000, 1024],
      [0x20000, 1024],
    ]);
    r.bmWrite(4, 4, 0x1000);
    r.bmWrite(0, 1, 0x08); // direction: to memory
    r.lba28(0xc8, 50, 4);
    expect(r.altStatus() & 0x80).toBe(0x80);
    r.bmWrite(0, 1, 0x09); // start
    await drain();
    expect(r.bmRead(2) & 0x07).toBe(0x04); // interrupt, not active, no error
    expect(r.irq.level).toBe(true);
    expect(r.in(REG.STATUS)).toBe(0x50);
    expect(Array.from(r.mem.bytes.subarray(0x10000, 0x10400))).toEqual(Array.from(disk.bytes.subarray(50 * 512, 52 * 512)));
    expect(Array.from(r.mem.bytes.subarray(0x20000, 0x20400))).toEqual(Array.from(disk.bytes.subarray(52 * 512, 54 * 512)));
    r.bmWrite(2, 1, 0x04); // clear the interrupt bit
    expect(r.bmRead(2) & 0x04).toBe(0);
  });

  it('writes from guest memory with WRITE DMA EXT', async () => {
    const { disk, r } = await dmaRig();
    r.mem.bytes.fill(0xab, 0x30000, 0x30000 + 1536);
    r.prd(0x2000, [[0x30000, 1536]]);
    r.bmWrite(4, 4, 0x2000);
    r.bmWrite(0, 1, 0x01); // start first, then the command (either order works)
    r.lba48(0x35, 10, 3);
    await drain();
    expect(r.in(REG.STATUS)).toBe(0x50);
    expect(disk.bytes.subarray(10 * 512, 13 * 512).every((b) => b === 0xab)).toBe(true);
    expect(disk.bytes[13 * 512]).not.toBe(0xab);
  });

  it('leaves ACTIVE set when the PRD table is larger than the transfer', async () => {
    const { r } = await dmaRig();
    r.prd(0x1000, [[0x10000, 4096]]);
    r.bmWrite(4, 4, 0x1000);
    r.lba28(0xc8, 0, 1);
    r.bmWrite(0, 1, 0x09);
    await drain();
    expect(r.bmRead(2) & 0x05).toBe(0x05);
    expect(r.in(REG.STATUS)).toBe(0x50);
  });

  it('survives malformed PRD tables: no end bit, tiny entries, table outside memory', async () => {
    const { r } = await dmaRig();
    // 8192+ two-byte entries without an end bit: the walk stops at the bound, the transfer is short.
    for (let i = 0; i < 9000; i++) {
      r.mem.writeU32(0x100000 + i * 8, 0x200000);
      r.mem.writeU32(0x100000 + i * 8 + 4, 2);
    }
    r.bmWrite(4, 4, 0x100000);
    r.lba28(0xc8, 0, 128); // 64 KiB wanted, 16 KiB described
    r.bmWrite(0, 1, 0x09);
    await drain();
    expect(r.bmRead(2) & 0x05).toBe(0x00); // not active, no interrupt: the PRDs ran out
    expect(r.altStatus() & 0x88).toBe(0);
    expect(r.host.guestErrors.some((e) => e.includes('end-of-table'))).toBe(true);
    r.bmWrite(0, 1, 0x00);
    // A table pointer beyond guest memory.
    r.bmWrite(4, 4, 0xfffff000);
    r.lba28(0xc8, 0, 1);
    r.bmWrite(0, 1, 0x09);
    await drain();
    expect(r.bmRead(2) & 0x02).toBe(0x02); // error bit
    expect(r.altStatus() & 0x80).toBe(0);
  });

  it('reports a backend failure during DMA as ERR with the interrupt bit', async () => {
    const { disk, r } = await dmaRig();
    disk.failReads = new BlockError('io', 'gone');
    r.prd(0x1000, [[0x10000, 512]]);
    r.bmWrite(4, 4, 0x1000);
    r.lba28(0xc8, 0, 1);
    r.bmWrite(0, 1, 0x09);
    await drain();
    expect(r.in(REG.STATUS)).toBe(0x51);
    expect(r.in(REG.ERROR)).toBe(0x40);
    expect(r.bmRead(2) & 0x05).toBe(0x04);
  });

  it('an SRST during a pending DMA abandons it', async () => {
    const { r } = await dmaRig();
    r.lba28(0xc8, 0, 1);
    r.devCtl(0x04);
    r.devCtl(0x00);
    r.prd(0x1000, [[0x10000, 512]]);
    r.bmWrite(4, 4, 0x1000);
    r.bmWrite(0, 1, 0x09);
    await drain();
    expect(r.altStatus()).toBe(0x50);
    expect(r.mem.bytes[0x10000]).toBe(0);
  });
});

/** isa-fdc (82077AA) through its registers, with a fake ISA DMA channel and in-memory floppies. */
import { describe, expect, it } from 'vitest';
import type { BlockBackend } from '../../src/block/api.js';
import { fdcCmosFloppies, IsaFdc, isaFdcType } from '../../src/devices/storage/fdc/isa-fdc.js';
import { fakeHost, type FakeHost } from '../fakes.js';
import { drain, FakeIsaDma, MemBackend } from './helpers.js';

const K = 1024;
const DOR = 2;
const MSR = 4;
const FIFO = 5;

function image(size: number, readOnly = false): MemBackend {
  const b = new MemBackend(size, readOnly, 'floppy');
  for (let i = 0; i < size; i++) b.bytes[i] = (i * 13 + (i >> 9)) & 0xff;
  for (let s = 0; s * 512 < size; s++) new DataView(b.bytes.buffer).setUint32(s * 512, 0xf1000000 + s, true);
  return b;
}

class FdcRig {
  host: FakeHost;
  fdc: IsaFdc;
  dma = new FakeIsaDma();
  constructor(fda: BlockBackend | null, props: Record<string, string> = {}, fdb: BlockBackend | null = null) {
    this.host = fakeHost({ irqCount: 1, backend: { fda, fdb } });
    this.host.isaDma = this.dma;
    this.fdc = isaFdcType.create(this.host, props) as IsaFdc;
  }
  get irq() {
    return this.host.irqs[0];
  }
  out(off: number, v: number): void {
    this.fdc.ioWrite(0, off, 1, v);
  }
  in(off: number): number {
    return this.fdc.ioRead(0, off, 1);
  }
  dir(): number {
    return this.fdc.ioRead(1, 0, 1);
  }
  ccr(rate: number): void {
    this.fdc.ioWrite(1, 0, 1, rate);
  }
  cmd(...bytes: number[]): void {
    for (const b of bytes) {
      expect(this.in(MSR) & 0xc0).toBe(0x80);
      this.out(FIFO, b);
    }
  }
  result(): number[] {
    const r: number[] = [];
    while ((this.in(MSR) & 0xc0) === 0xc0) r.push(this.in(FIFO));
    return r;
  }
  async waitResult(): Promise<number[]> {
    for (let i = 0; i < 40 && (this.in(MSR) & 0xc0) !== 0xc0; i++) await drain(1);
    return this.result();
  }
  senseInt(): number[] {
    this.cmd(0x08);
    return this.result();
  }
  /** The SeaBIOS/Linux bring-up: reset through the DOR, the reset interrupt, four SENSE INTERRUPTs. */
  resetController(): number[][] {
    this.out(DOR, 0x00);
    this.out(DOR, 0x0c);
    expect(this.irq.level).toBe(true);
    return [this.senseInt(), this.senseInt(), this.senseInt(), this.senseInt()];
  }
  seek(cyl: number, head = 0): number[] {
    this.cmd(0x0f, head << 2, cyl);
    expect(this.irq.level).toBe(true);
    return this.senseInt();
  }
}

describe('isa-fdc', () => {
  it('resets through DOR with an interrupt and four ready-change SENSE INTERRUPTs', () => {
    const r = new FdcRig(image(1440 * K));
    r.out(DOR, 0x00);
    r.out(DOR, 0x0c);
    expect(r.irq.level).toBe(true);
    expect(r.senseInt()).toEqual([0xc0, 0]);
    expect(r.irq.level).toBe(false); // one SENSE INTERRUPT clears INT (SeaBIOS sends one)
    const senses = [r.senseInt(), r.senseInt(), r.senseInt()];
    expect(senses.map((s) => s[0])).toEqual([0xc1, 0xc2, 0xc3]);
    expect(r.irq.level).toBe(false);
    expect(r.senseInt()).toEqual([0x80]); // nothing pending: invalid
    expect(r.in(MSR)).toBe(0x80);
  });

  it('holds MSR at 0 while in reset and resets by DSR bit 7 as well', () => {
    const r = new FdcRig(image(1440 * K));
    r.out(DOR, 0x08);
    expect(r.in(MSR)).toBe(0);
    r.out(DOR, 0x0c);
    r.resetController();
    r.out(4, 0x80);
    expect(r.irq.level).toBe(true);
    expect(r.senseInt()[0]).toBe(0xc0);
  });

  it('answers VERSION, SPECIFY/DUMPREG, CONFIGURE and LOCK (which survives a reset)', () => {
    const r = new FdcRig(image(1440 * K));
    r.cmd(0x10);
    expect(r.result()).toEqual([0x90]);
    r.cmd(0x03, 0xaf, 0x02);
    r.cmd(0x13, 0x00, 0x57, 0x05);
    r.cmd(0x94);
    expect(r.result()).toEqual([0x10]);
    r.cmd(0x0e);
    const dump = r.result();
    expect(dump.length).toBe(10);
    expect(dump.slice(4, 6)).toEqual([0xaf, 0x02]);
    expect(dump[7] & 0x80).toBe(0x80);
    expect(dump.slice(8)).toEqual([0x57, 0x05]);
    r.resetController();
    r.cmd(0x0e);
    expect(r.result().slice(8)).toEqual([0x57, 0x05]);
    r.cmd(0x14);
    expect(r.result()).toEqual([0x00]);
    r.cmd(0x18); // PART ID does not exist on the 82077AA
    expect(r.result()).toEqual([0x80]);
  });

  it('recalibrates and seeks with SENSE INTERRUPT status, clearing the disk change line', () => {
    const r = new FdcRig(image(1440 * K));
    r.resetController();
    expect(r.dir() & 0x80).toBe(0x80);
    expect(r.seek(5)).toEqual([0x20, 5]);
    expect(r.dir() & 0x80).toBe(0);
    r.cmd(0x07, 0x00);
    expect(r.senseInt()).toEqual([0x20, 0]);
    r.cmd(0x04, 0x00);
    expect(r.result()[0] & 0x10).toBe(0x10); // track 0
    r.cmd(0xcf, 0x04, 3); // relative seek in, head 1
    expect(r.senseInt()).toEqual([0x24, 3]);
    r.fdc.changeDisk(0, image(1440 * K));
    expect(r.dir() & 0x80).toBe(0x80);
  });

  it('ends a recalibrate of a missing drive with equipment check', () => {
    const r = new FdcRig(image(1440 * K));
    r.resetController();
    r.cmd(0x07, 0x01);
    expect(r.senseInt()).toEqual([0x71, 0]);
  });

  it('READ DATA moves a sector over DMA channel 2 and reports the next sector', async () => {
    const img = image(1440 * K);
    const r = new FdcRig(img);
    r.resetController();
    r.seek(2);
    r.dma.program(0x100, 512);
    r.cmd(0xe6, 0x04, 2, 1, 5, 2, 18, 0x1b, 0xff); // MT MFM SK READ, head 1, C2 H1 R5
    expect(r.in(MSR) & 0x10).toBe(0x10);
    const res = await r.waitResult();
    expect(res).toEqual([0x04, 0, 0, 2, 1, 6, 2]);
    const lba = (2 * 2 + 1) * 18 + 4;
    expect(Array.from(r.dma.mem.subarray(0x100, 0x300))).toEqual(Array.from(img.bytes.subarray(lba * 512, lba * 512 + 512)));
  });

  it('continues onto head 1 with multi-track, and reports end of cylinder without TC', async () => {
    const img = image(1440 * K);
    const r = new FdcRig(img);
    r.resetController();
    r.dma.program(0, 2048);
    r.cmd(0xe6, 0x00, 0, 0, 17, 2, 18, 0x1b, 0xff);
    expect(await r.waitResult()).toEqual([0x04, 0, 0, 0, 1, 3, 2]);
    expect(new DataView(r.dma.mem.buffer).getUint32(1024, true)).toBe(0xf1000000 + 18); // head 1 sector 1
    r.dma.program(0, 4096);
    r.cmd(0x46, 0x00, 0, 0, 17, 2, 18, 0x1b, 0xff); // no MT: stops at EOT
    expect(await r.waitResult()).toEqual([0x40, 0x80, 0, 1, 0, 1, 2]);
  });

  it('fails reads on the wrong cylinder, a wrong data rate, or with no disk', async () => {
    const r = new FdcRig(image(1440 * K));
    r.resetController();
    r.dma.program(0, 512);
    r.cmd(0x66, 0x00, 3, 0, 1, 2, 18, 0x1b, 0xff);
    expect(await r.waitResult()).toEqual([0x40, 0x04, 0x10, 3, 0, 1, 2]);
    r.ccr(2); // 250 kb/s: a 1.44M disk cannot be read
    r.cmd(0x4a, 0x00);
    expect((await r.waitResult()).slice(0, 2)).toEqual([0x40, 0x01]);
    r.ccr(0);
    r.fdc.changeDisk(0, null);
    r.cmd(0x4a, 0x00);
    expect((await r.waitResult()).slice(0, 2)).toEqual([0x40, 0x01]);
  });

  it('WRITE DATA stores a sector; a write-protected disk refuses with NW', async () => {
    const img = image(1440 * K);
    const r = new FdcRig(img);
    r.resetController();
    r.dma.mem.fill(0x5a, 0x800, 0xa00);
    r.dma.program(0x800, 512);
    r.cmd(0xc5, 0x00, 0, 0, 3, 2, 18, 0x1b, 0xff);
    expect(await r.waitResult()).toEqual([0x00, 0, 0, 0, 0, 4, 2]);
    expect(img.bytes.subarray(2 * 512, 3 * 512).every((b) => b === 0x5a)).toBe(true);
    r.fdc.changeDisk(0, image(1440 * K, true));
    r.cmd(0x04, 0x00);
    expect(r.result()[0] & 0x40).toBe(0x40);
    r.cmd(0xc5, 0x00, 0, 0, 3, 2, 18, 0x1b, 0xff);
    expect((await r.waitResult()).slice(0, 2)).toEqual([0x40, 0x02]);
  });

  it('READ ID returns the IDs under the head; FORMAT TRACK fills sectors', async () => {
    const img = image(1440 * K);
    const r = new FdcRig(img);
    r.resetController();
    r.seek(1);
    r.cmd(0x4a, 0x04);
    expect(await r.waitResult()).toEqual([0x04, 0, 0, 1, 1, 1, 2]);
    r.cmd(0x4a, 0x04);
    expect((await r.waitResult())[5]).toBe(2);
    // Format cylinder 1 head 0 with 2 sectors of 0xE5.
    r.dma.mem.set([1, 0, 1, 2, 1, 0, 2, 2], 0x400);
    r.dma.program(0x400, 8);
    r.cmd(0x4d, 0x00, 2, 2, 0x54, 0xe5);
    expect(await r.waitResult()).toEqual([0x00, 0, 0, 1, 0, 2, 2]);
    const at = 18 * 2 * 512;
    expect(img.bytes.subarray(at, at + 1024).every((b) => b === 0xe5)).toBe(true);
    expect(img.bytes[at + 1024]).not.toBe(0xe5);
  });

  it('recognises a 2.88M disk (36 sectors at 1 Mb/s) and reports CMOS types', async () => {
    const img = image(2880 * K);
    const r = new FdcRig(img, { fda: 'auto', fdb: '144' });
    expect(r.fdc.cmosDriveTypes()).toBe(0x54);
    expect(r.fdc.cmosFloppies()).toEqual(['2.88M', '1.44M']);
    expect(fdcCmosFloppies({ fda: 'auto', fdb: '144' }, { fda: img })).toEqual(['2.88M', '1.44M']);
    expect(fdcCmosFloppies({}, { fda: image(720 * K) })).toEqual(['1.44M', 'none']);
    expect(fdcCmosFloppies({ fda: 'auto' }, { fda: image(1200 * K) })).toEqual(['1.2M', 'none']);
    r.resetController();
    r.ccr(3);
    r.dma.program(0, 512);
    r.cmd(0xe6, 0x00, 0, 0, 36, 2, 36, 0x1b, 0xff);
    expect((await r.waitResult()).slice(0, 3)).toEqual([0x04, 0, 0]);
    expect(new DataView(r.dma.mem.buffer).getUint32(0, true)).toBe(0xf1000000 + 35);
    r.ccr(0);
    r.cmd(0x4a, 0x00);
    expect((await r.waitResult())[1]).toBe(0x01);
  });

  it('reads through the FIFO in non-DMA mode', async () => {
    const img = image(720 * K);
    const r = new FdcRig(img);
    r.resetController();
    r.ccr(2);
    r.cmd(0x03, 0xdf, 0x03); // ND
    r.cmd(0x46, 0x00, 0, 0, 9, 2, 9, 0x1b, 0xff);
    await drain();
    expect(r.in(MSR) & 0xe0).toBe(0xe0);
    const bytes: number[] = [];
    for (let i = 0; i < 512; i++) bytes.push(r.in(FIFO));
    expect(new DataView(new Uint8Array(bytes).buffer).getUint32(0, true)).toBe(0xf1000000 + 8);
    expect(await r.waitResult()).toEqual([0x40, 0x80, 0, 1, 0, 1, 2]);
  });

  it('seeks implicitly when CONFIGURE enables EIS', async () => {
    const img = image(1440 * K);
    const r = new FdcRig(img);
    r.resetController();
    r.cmd(0x13, 0x00, 0x40, 0x00); // EIS
    r.dma.program(0, 512);
    r.cmd(0xe6, 0x00, 7, 0, 1, 2, 18, 0x1b, 0xff);
    expect(await r.waitResult()).toEqual([0x00, 0, 0, 7, 0, 2, 2]);
    expect(new DataView(r.dma.mem.buffer).getUint32(0, true)).toBe(0xf1000000 + 7 * 36);
    r.cmd(0x04, 0x00);
    expect(r.result()[0] & 0x10).toBe(0); // no longer on track 0
  });

  it('a reset during a transfer drops it', async () => {
    const r = new FdcRig(image(1440 * K));
    r.resetController();
    r.dma.program(0, 512);
    r.cmd(0xe6, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
    r.resetController();
    await drain();
    expect(r.in(MSR)).toBe(0x80);
  });
});

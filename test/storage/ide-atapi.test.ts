/** ide-cd through the piix3-ide registers: signature, IDENTIFY PACKET, the packet protocol, MMC commands. */
import { describe, expect, it } from 'vitest';
import { drain, MemBackend } from './helpers.js';
import { IdeRig, REG } from './ide-harness.js';

const SECT = 2048;

function iso(blocks: number): MemBackend {
  const b = new MemBackend(blocks * SECT, true, 'iso');
  for (let i = 0; i < b.size; i++) b.bytes[i] = (i * 11 + (i >> 11)) & 0xff;
  for (let s = 0; s < blocks; s++) new DataView(b.bytes.buffer).setUint32(s * SECT, 0xcd000000 + s, true);
  return b;
}

/** A CD at hdc (secondary master). */
function cdRig(medium: MemBackend | null = iso(100)): IdeRig {
  return new IdeRig({ hdc: 'ide-cd' }, { hdc: medium }, 1);
}

interface Reply {
  status: number;
  error: number;
  data: Uint8Array;
  chunks: number[];
}

/** Send a packet by PIO and collect the data-in phase, chunk by chunk. */
async function packet(r: IdeRig, cdb: number[], limit = 0xfffe, dma = false): Promise<Reply> {
  r.out(REG.FEATURE, dma ? 1 : 0);
  r.out(REG.LBAM, limit & 0xff);
  r.out(REG.LBAH, limit >> 8);
  r.out(REG.DEV, 0xa0);
  r.out(REG.CMD, 0xa0);
  expect(r.altStatus() & 0x88).toBe(0x08);
  expect(r.in(REG.NSECT) & 3).toBe(1); // CoD: waiting for the packet
  const p = new Uint8Array(12);
  p.set(cdb);
  r.outsw(p);
  const parts: Uint8Array[] = [];
  const chunks: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const st = await r.notBusy();
    if (!(st & 0x08)) break;
    expect(r.in(REG.NSECT) & 3).toBe(2); // IO: data to host
    const n = r.in(REG.LBAM) | (r.in(REG.LBAH) << 8);
    chunks.push(n);
    parts.push(r.insw(n));
  }
  const status = r.in(REG.STATUS);
  expect(r.in(REG.NSECT) & 3).toBe(3); // status phase
  const data = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const part of parts) {
    data.set(part, o);
    o += part.length;
  }
  return { status, error: r.in(REG.ERROR), data, chunks };
}

async function sense(r: IdeRig): Promise<[number, number, number]> {
  const s = await packet(r, [0x03, 0, 0, 0, 18, 0]);
  return [s.data[2] & 0x0f, s.data[12], s.data[13]];
}

describe('ide-cd basics', () => {
  it('has the ATAPI signature and no DRDY after reset', () => {
    const r = cdRig();
    expect([r.in(REG.NSECT), r.in(REG.LBAL), r.in(REG.LBAM), r.in(REG.LBAH)]).toEqual([1, 1, 0x14, 0xeb]);
    expect(r.in(REG.STATUS)).toBe(0x00);
  });

  it('aborts IDENTIFY DEVICE leaving the signature, answers IDENTIFY PACKET DEVICE', async () => {
    const r = cdRig();
    r.out(REG.CMD, 0xec);
    expect(r.in(REG.STATUS) & 0x01).toBe(1);
    expect(r.in(REG.ERROR)).toBe(0x04);
    expect([r.in(REG.LBAM), r.in(REG.LBAH)]).toEqual([0x14, 0xeb]);
    r.out(REG.CMD, 0xa1);
    expect(r.in(REG.STATUS)).toBe(0x58);
    const id = r.insw(512);
    expect(id[0] | (id[1] << 8)).toBe(0x85c0);
    let model = '';
    for (let i = 27; i < 47; i++) model += String.fromCharCode(id[i * 2 + 1], id[i * 2]);
    expect(model.trim()).toBe('BULKHEAD DVD-ROM');
    expect((id[98] | (id[99] << 8)) & 0x0300).toBe(0x0300);
  });

  it('answers INQUIRY and READ CAPACITY', async () => {
    const r = cdRig(iso(1234));
    const inq = await packet(r, [0x12, 0, 0, 0, 96, 0]);
    expect(inq.status).toBe(0x50);
    expect(inq.data.length).toBe(36);
    expect(inq.data[0]).toBe(0x05);
    expect(inq.data[1]).toBe(0x80);
    expect(new TextDecoder().decode(inq.data.subarray(8, 16))).toBe('BULKHEAD');
    const cap = await packet(r, [0x25]);
    const v = new DataView(cap.data.buffer);
    expect([v.getUint32(0), v.getUint32(4)]).toEqual([1233, 2048]);
    const short = await packet(r, [0x12, 0, 0, 0, 5, 0]);
    expect(short.data.length).toBe(5);
  });

  it('READ(10) moves 2048-byte sectors through the data port in byte-count-limited chunks', async () => {
    const disc = iso(100);
    const r = cdRig(disc);
    const one = await packet(r, [0x28, 0, 0, 0, 0, 16, 0, 0, 1, 0], 2048);
    expect(one.status).toBe(0x50);
    expect(Array.from(one.data)).toEqual(Array.from(disc.bytes.subarray(16 * SECT, 17 * SECT)));
    const three = await packet(r, [0x28, 0, 0, 0, 0, 20, 0, 0, 3, 0], 2048);
    expect(three.chunks).toEqual([2048, 2048, 2048]);
    expect(Array.from(three.data)).toEqual(Array.from(disc.bytes.subarray(20 * SECT, 23 * SECT)));
    const big = await packet(r, [0xa8, 0, 0, 0, 0, 0, 0, 0, 0, 40, 0, 0], 0xffff);
    expect(big.data.length).toBe(40 * SECT);
    expect(new DataView(big.data.buffer).getUint32(39 * SECT, true)).toBe(0xcd000027);
    const odd = await packet(r, [0x28, 0, 0, 0, 0, 1, 0, 0, 1, 0], 1001);
    expect(odd.chunks).toEqual([1000, 1000, 48]);
    const past = await packet(r, [0x28, 0, 0, 0, 0, 99, 0, 0, 2, 0]);
    expect(past.status & 0x01).toBe(1);
    expect(await sense(r)).toEqual([5, 0x21, 0]);
  });

  it('READ TOC formats 0 and 1 in LBA and MSF', async () => {
    const r = cdRig(iso(1000));
    const toc = await packet(r, [0x43, 0, 0, 0, 0, 0, 0, 0, 100, 0]);
    expect(toc.data.length).toBe(20);
    expect(Array.from(toc.data.subarray(0, 4))).toEqual([0, 18, 1, 1]);
    expect(toc.data[6]).toBe(1);
    expect(toc.data[14]).toBe(0xaa);
    expect(new DataView(toc.data.buffer).getUint32(16)).toBe(1000);
    const msf = await packet(r, [0x43, 0x02, 0, 0, 0, 0, 0, 0, 100, 0]);
    expect(Array.from(msf.data.subarray(8, 12))).toEqual([0, 0, 2, 0]);
    // 1000 + 150 frames = 0 min 15 s 25 f
    expect(Array.from(msf.data.subarray(16, 20))).toEqual([0, 0, 15, 25]);
    const ses = await packet(r, [0x43, 0, 1, 0, 0, 0, 0, 0, 12, 0]);
    expect(Array.from(ses.data.subarray(0, 4))).toEqual([0, 10, 1, 1]);
    expect(ses.data[6]).toBe(1);
    const bad = await packet(r, [0x43, 0, 0, 0, 0, 0, 5, 0, 100, 0]);
    expect(bad.status & 1).toBe(1);
  });

  it('MODE SENSE returns the capabilities page; GET CONFIGURATION the CD-ROM profile', async () => {
    const r = cdRig();
    const ms = await packet(r, [0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 128, 0]);
    expect(ms.data.length).toBe(28);
    expect(ms.data[8]).toBe(0x2a);
    expect(ms.data[9]).toBe(18);
    const ms6 = await packet(r, [0x1a, 0, 0x3f, 0, 255, 0]);
    expect(ms6.data[0]).toBe(ms6.data.length - 1);
    expect(ms6.data[4]).toBe(0x01);
    const cfg = await packet(r, [0x46, 0, 0, 0, 0, 0, 0, 2, 0, 0]);
    expect((cfg.data[6] << 8) | cfg.data[7]).toBe(0x0008);
    const len = new DataView(cfg.data.buffer).getUint32(0);
    expect(len + 4).toBe(cfg.data.length);
    const one = await packet(r, [0x46, 2, 0, 0x10, 0, 0, 0, 0, 64, 0]);
    expect(one.data.length).toBe(8 + 12);
    expect((one.data[8] << 8) | one.data[9]).toBe(0x0010);
    const bad = await packet(r, [0x5a, 0, 0x55, 0, 0, 0, 0, 0, 128, 0]);
    expect(bad.status & 1).toBe(1);
    expect(await sense(r)).toEqual([5, 0x24, 0]);
  });

  it('unknown packet opcodes fail with ILLEGAL REQUEST / invalid opcode', async () => {
    const r = cdRig();
    const x = await packet(r, [0xee]);
    expect(x.status).toBe(0x41);
    expect(x.error >> 4).toBe(5);
    expect(await sense(r)).toEqual([5, 0x20, 0]);
    expect(await sense(r)).toEqual([0, 0, 0]); // reported once
  });
});

describe('ide-cd media', () => {
  it('reports NOT READY / medium not present without a disc', async () => {
    const r = cdRig(null);
    const tur = await packet(r, [0x00]);
    expect(tur.status & 1).toBe(1);
    expect(tur.error >> 4).toBe(2);
    expect(await sense(r)).toEqual([2, 0x3a, 0]);
    const cfg = await packet(r, [0x46, 0, 0, 0, 0, 0, 0, 0, 8, 0]);
    expect((cfg.data[6] << 8) | cfg.data[7]).toBe(0);
  });

  it('after an insert: UNIT ATTENTION once, a media event, then ready', async () => {
    const r = cdRig(null);
    r.ide.changeMedium('hdc', iso(10));
    const ev = await packet(r, [0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8, 0]);
    expect(ev.data[2]).toBe(4);
    expect(ev.data[4]).toBe(2); // new media
    expect(ev.data[5] & 2).toBe(2);
    const tur = await packet(r, [0x00]);
    expect(tur.error >> 4).toBe(6);
    expect(await sense(r)).toEqual([6, 0x28, 0]);
    expect((await packet(r, [0x00])).status).toBe(0x50);
    const ev2 = await packet(r, [0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8, 0]);
    expect(ev2.data[4]).toBe(0);
  });

  it('REQUEST SENSE reports a pending UNIT ATTENTION itself', async () => {
    const r = cdRig(iso(5));
    r.ide.changeMedium('hdc', iso(6));
    expect(await sense(r)).toEqual([6, 0x28, 0]);
    expect((await packet(r, [0x00])).status).toBe(0x50);
  });

  it('PREVENT blocks START STOP UNIT eject; ALLOW lets it eject', async () => {
    const r = cdRig(iso(5));
    await packet(r, [0x1e, 0, 0, 0, 1, 0]);
    const ej = await packet(r, [0x1b, 0, 0, 0, 2, 0]);
    expect(ej.status & 1).toBe(1);
    expect(await sense(r)).toEqual([5, 0x53, 2]);
    await packet(r, [0x1e, 0, 0, 0, 0, 0]);
    expect((await packet(r, [0x1b, 0, 0, 0, 2, 0])).status).toBe(0x50);
    expect((await packet(r, [0x00])).error >> 4).toBe(2);
    const mech = await packet(r, [0xbd, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0]);
    expect(mech.data[1] & 0x10).toBe(0x10);
    await packet(r, [0x1b, 0, 0, 0, 3, 0]); // load
    expect((await packet(r, [0x00])).error >> 4).toBe(6);
    expect((await packet(r, [0x00])).status).toBe(0x50);
  });

  it('READ DISC INFORMATION, SET CD SPEED, SEEK', async () => {
    const r = cdRig(iso(50));
    const di = await packet(r, [0x51, 0, 0, 0, 0, 0, 0, 0, 34, 0]);
    expect(di.data[2]).toBe(0x0e);
    expect((await packet(r, [0xbb, 0, 0xff, 0xff])).status).toBe(0x50);
    expect((await packet(r, [0x2b, 0, 0, 0, 0, 10])).status).toBe(0x50);
    expect((await packet(r, [0x2b, 0, 0, 0, 0, 60])).status & 1).toBe(1);
  });
});

describe('ide-cd DMA', () => {
  it('reads through the bus master when the PACKET feature bit 0 is set', async () => {
    const disc = iso(10);
    const r = cdRig(disc);
    r.prd(0x1000, [[0x40000, 2 * SECT]]);
    r.bmWrite(4, 4, 0x1000);
    r.bmWrite(0, 1, 0x09);
    r.out(REG.FEATURE, 1);
    r.out(REG.DEV, 0xa0);
    r.out(REG.CMD, 0xa0);
    const p = new Uint8Array(12);
    p.set([0x28, 0, 0, 0, 0, 3, 0, 0, 2, 0]);
    r.outsw(p);
    await drain();
    expect(r.in(REG.STATUS)).toBe(0x50);
    expect(r.in(REG.NSECT) & 3).toBe(3);
    expect(r.bmRead(2) & 0x05).toBe(0x04);
    expect(Array.from(r.mem.bytes.subarray(0x40000, 0x40000 + 2 * SECT))).toEqual(Array.from(disc.bytes.subarray(3 * SECT, 5 * SECT)));
  });
});

/**
 * Shared helpers for the network tests: a programmable packet port that records what the NIC
 * sends, frame builders, Linux's ether_crc() written independently of the device code, and
 * NE2000 driver steps as drivers/net/ethernet/8390/8390.c and ne.c perform them.
 */
import type { DeviceModel } from '../../src/devices/api.js';
import { ProgrammablePort } from '../../src/net/packet-port.js';

export class RecordingPort extends ProgrammablePort {
  sent: Uint8Array[] = [];
  constructor(linkUp = true) {
    super((f) => this.sent.push(f), linkUp);
  }
}

export const MAC_A = Uint8Array.from([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
export const MAC_B = Uint8Array.from([0x52, 0x54, 0x00, 0xab, 0xcd, 0xef]);

/** An Ethernet frame to `dst` from `src` with EtherType 0x88b5 (local experimental) and a counting payload. */
export function testFrame(dst: Uint8Array, src: Uint8Array, payloadLen: number, seed = 0): Uint8Array {
  const f = new Uint8Array(14 + payloadLen);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = 0x88;
  f[13] = 0xb5;
  for (let i = 0; i < payloadLen; i++) f[14 + i] = (i * 7 + seed) & 0xff;
  return f;
}

/** Linux lib/crc32.c crc32_le(~0, p, len) then bitrev32: ether_crc() of include/linux/crc32.h. */
export function linuxEtherCrc(p: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of p) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  let r = 0;
  for (let i = 0; i < 32; i++) r |= ((crc >>> i) & 1) << (31 - i);
  return r >>> 0;
}

// ---- NE2000 (8390.h names) ----
export const E8390_CMD = 0x00, EN0_STARTPG = 0x01, EN0_STOPPG = 0x02, EN0_BOUNDARY = 0x03, EN0_TPSR = 0x04, EN0_TSR = 0x04;
export const EN0_TCNTLO = 0x05, EN0_TCNTHI = 0x06, EN0_ISR = 0x07, EN0_RSARLO = 0x08, EN0_RSARHI = 0x09;
export const EN0_RCNTLO = 0x0a, EN0_RCNTHI = 0x0b, EN0_RXCR = 0x0c, EN0_TXCR = 0x0d, EN0_DCFG = 0x0e, EN0_IMR = 0x0f;
export const EN0_COUNTER0 = 0x0d, EN0_COUNTER2 = 0x0f, EN1_PHYS = 0x01, EN1_CURPAG = 0x07, EN1_MULT = 0x08;
export const NE_DATAPORT = 0x10, NE_RESET = 0x1f;
export const E8390_STOP = 0x01, E8390_START = 0x02, E8390_TRANS = 0x04, E8390_RREAD = 0x08, E8390_RWRITE = 0x10, E8390_NODMA = 0x20;
export const E8390_PAGE0 = 0x00, E8390_PAGE1 = 0x40;
export const ENISR_RX = 0x01, ENISR_TX = 0x02, ENISR_OVER = 0x10, ENISR_COUNTERS = 0x20, ENISR_RDC = 0x40, ENISR_RESET = 0x80;
export const ENISR_ALL = 0x3f;

export const out = (d: DeviceModel, reg: number, v: number) => d.ioWrite!(0, reg, 1, v);
export const inb = (d: DeviceModel, reg: number) => d.ioRead!(0, reg, 1);

/** NS8390_init(dev, startp=1) with NE2000 16-bit settings: ring 0x46..0x80, TX at 0x40. */
export function ns8390Init(d: DeviceModel, mac: Uint8Array, opts: { start?: number; stop?: number; rxcr?: number } = {}): { start: number; stop: number } {
  const start = opts.start ?? 0x46;
  const stop = opts.stop ?? 0x80;
  out(d, E8390_CMD, E8390_NODMA + E8390_PAGE0 + E8390_STOP);
  out(d, EN0_DCFG, 0x49); // word-wide, FIFO threshold 8
  out(d, EN0_RCNTLO, 0);
  out(d, EN0_RCNTHI, 0);
  out(d, EN0_RXCR, 0x20); // monitor while setting up
  out(d, EN0_TXCR, 0x02); // loopback (tx off)
  out(d, EN0_TPSR, 0x40);
  out(d, EN0_STARTPG, start);
  out(d, EN0_BOUNDARY, stop - 1);
  out(d, EN0_STOPPG, stop);
  out(d, EN0_ISR, 0xff);
  out(d, EN0_IMR, 0);
  out(d, E8390_CMD, E8390_NODMA + E8390_PAGE1 + E8390_STOP);
  for (let i = 0; i < 6; i++) out(d, EN1_PHYS + i, mac[i]);
  out(d, EN1_CURPAG, start + 1);
  out(d, E8390_CMD, E8390_NODMA + E8390_PAGE0 + E8390_STOP);
  // ei_open → NS8390_init(dev, 1) continues:
  out(d, EN0_BOUNDARY, start);
  out(d, EN0_ISR, 0xff);
  out(d, EN0_IMR, ENISR_ALL);
  out(d, E8390_CMD, E8390_NODMA + E8390_PAGE0 + E8390_START);
  out(d, EN0_TXCR, 0x00);
  out(d, EN0_RXCR, opts.rxcr ?? 0x04); // accept broadcast
  return { start, stop };
}

/** Remote DMA read of `count` bytes at `addr` in word mode through insw (ne2k_pci_block_input). */
export function remoteRead(d: DeviceModel, addr: number, count: number): Uint8Array {
  out(d, EN0_RCNTLO, count & 0xff);
  out(d, EN0_RCNTHI, count >> 8);
  out(d, EN0_RSARLO, addr & 0xff);
  out(d, EN0_RSARHI, addr >> 8);
  out(d, E8390_CMD, E8390_RREAD + E8390_START);
  const buf = new Uint8Array((count + 1) & ~1);
  d.ioReadString!(0, NE_DATAPORT, 2, buf);
  out(d, EN0_ISR, ENISR_RDC);
  return buf.subarray(0, count);
}

/** Remote DMA write (ne_block_output, word mode, outsw), waiting for RDC as the driver does. */
export function remoteWrite(d: DeviceModel, addr: number, data: Uint8Array): boolean {
  const count = (data.length + 1) & ~1;
  out(d, EN0_ISR, ENISR_RDC);
  out(d, EN0_RCNTLO, count & 0xff);
  out(d, EN0_RCNTHI, count >> 8);
  out(d, EN0_RSARLO, addr & 0xff);
  out(d, EN0_RSARHI, addr >> 8);
  out(d, E8390_CMD, E8390_RWRITE + E8390_START);
  const buf = new Uint8Array(count);
  buf.set(data);
  d.ioWriteString!(0, NE_DATAPORT, 2, buf);
  const done = (inb(d, EN0_ISR) & ENISR_RDC) !== 0;
  out(d, EN0_ISR, ENISR_RDC);
  return done;
}

/** ei_start_xmit + NS8390_trigger_send: copy to the TX page and send. */
export function ne2kSend(d: DeviceModel, frame: Uint8Array): void {
  const len = Math.max(frame.length, 60);
  const padded = new Uint8Array(len);
  padded.set(frame);
  remoteWrite(d, 0x4000, padded);
  out(d, E8390_CMD, E8390_NODMA + E8390_PAGE0);
  out(d, EN0_TCNTLO, len & 0xff);
  out(d, EN0_TCNTHI, len >> 8);
  out(d, EN0_TPSR, 0x40);
  out(d, E8390_CMD, E8390_NODMA + E8390_TRANS + E8390_START);
}

/** ei_receive(): read every frame between BNRY+1 and CURR, with the driver's header checks. */
export function ne2kReceiveAll(d: DeviceModel, ring: { start: number; stop: number }): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (let guard = 0; guard < 256; guard++) {
    out(d, E8390_CMD, E8390_NODMA + E8390_PAGE1);
    const rxing = inb(d, EN1_CURPAG);
    out(d, E8390_CMD, E8390_NODMA + E8390_PAGE0);
    let thisFrame = inb(d, EN0_BOUNDARY) + 1;
    if (thisFrame >= ring.stop) thisFrame = ring.start;
    if (thisFrame === rxing) break;
    const hdr = remoteRead(d, thisFrame << 8, 4);
    const count = hdr[2] | (hdr[3] << 8);
    const pktLen = count - 4;
    const nextFrame = thisFrame + 1 + ((pktLen + 4) >> 8);
    const ringPages = ring.stop - ring.start;
    if (hdr[1] !== nextFrame && hdr[1] !== nextFrame + 1 && hdr[1] !== nextFrame - ringPages && hdr[1] !== nextFrame + 1 - ringPages) {
      throw new Error(`bogus header next ${hdr[1]} vs ${nextFrame}`);
    }
    if (pktLen < 60 || pktLen > 1518 || (hdr[0] & 0x0f) !== 0x01) throw new Error(`bad packet len ${pktLen} status ${hdr[0]}`);
    frames.push(remoteRead(d, (thisFrame << 8) + 4, pktLen).slice());
    const next = hdr[1];
    out(d, EN0_BOUNDARY, next - 1); // as 8390.c: may be PSTART-1 after a wrap
  }
  out(d, EN0_ISR, ENISR_RX);
  return frames;
}

/** e1000 (82540EM) through its registers only, DMA into a FlatMemory, frames through a fake port. */
import { describe, expect, it } from 'vitest';
import { REG, STAT } from '../../src/devices/network/e1000-regs.js';
import { AUTONEG_NS } from '../../src/devices/network/e1000.js';
import { e1000Type } from '../../src/devices/network/index.js';
import { FlatMemory, fakeHost } from '../fakes.js';
import { getU16, getU32, internetChecksum, pseudoHeaderSum, putU16, udpFrame, writeIpv4Header, ethernetFrame, ETHERTYPE_IPV4, IPPROTO_TCP } from '../../src/net/frame.js';
import { MAC_A, MAC_B, RecordingPort, testFrame } from './helpers.js';
import { RX_BUFS, RX_RING, TX_BUFS, TX_RING, fcs, putTxContext, putTxData, putTxLegacy, rig, rxDesc, setupRx, setupTx, type Rig } from './e1000-helpers.js';

const EECD_SK = 1, EECD_CS = 2, EECD_DI = 4, EECD_DO = 8, EECD_REQ = 0x40, EECD_GNT = 0x80;
const RCTL_EN = 2, RCTL_BAM = 1 << 15, RCTL_SECRC = 1 << 26, RCTL_UPE = 1 << 3;
const ICR_TXDW = 1, ICR_TXQE = 2, ICR_LSC = 4, ICR_RXDMT0 = 0x10, ICR_RXO = 0x40, ICR_RXT0 = 0x80;

/** Linux e1000_read_eeprom() for a Microwire part: acquire, per word opcode+address+16 bits, standby, release. */
function bitBangRead(t: Rig, words: number): number[] {
  let eecd = t.r(REG.EECD);
  t.w(REG.EECD, eecd | EECD_REQ);
  expect(t.r(REG.EECD) & EECD_GNT).toBe(EECD_GNT);
  eecd = t.r(REG.EECD);
  eecd &= ~(EECD_DI | EECD_SK);
  t.w(REG.EECD, eecd);
  eecd |= EECD_CS;
  t.w(REG.EECD, eecd);
  const shiftOut = (data: number, count: number) => {
    let e = t.r(REG.EECD) & ~EECD_DO;
    for (let mask = 1 << (count - 1); mask; mask >>= 1) {
      e &= ~EECD_DI;
      if (data & mask) e |= EECD_DI;
      t.w(REG.EECD, e);
      t.w(REG.EECD, (e |= EECD_SK));
      t.w(REG.EECD, (e &= ~EECD_SK));
    }
    t.w(REG.EECD, e & ~EECD_DI);
  };
  const shiftIn = () => {
    let e = t.r(REG.EECD) & ~(EECD_DO | EECD_DI);
    let data = 0;
    for (let i = 0; i < 16; i++) {
      data <<= 1;
      t.w(REG.EECD, (e |= EECD_SK));
      e = t.r(REG.EECD) & ~EECD_DI;
      if (e & EECD_DO) data |= 1;
      t.w(REG.EECD, (e &= ~EECD_SK));
    }
    return data;
  };
  const out: number[] = [];
  for (let i = 0; i < words; i++) {
    shiftOut(0x6, 3);
    shiftOut(i, 6);
    out.push(shiftIn());
    // e1000_standby_eeprom
    let e = t.r(REG.EECD);
    t.w(REG.EECD, (e &= ~(EECD_CS | EECD_SK)));
    t.w(REG.EECD, (e |= EECD_SK));
    t.w(REG.EECD, (e |= EECD_CS));
    t.w(REG.EECD, (e &= ~EECD_SK));
  }
  eecd = t.r(REG.EECD) & ~(EECD_CS | EECD_DI);
  t.w(REG.EECD, eecd);
  t.w(REG.EECD, eecd | EECD_SK);
  t.w(REG.EECD, eecd & ~EECD_SK & ~EECD_REQ);
  return out;
}

function eerd(t: Rig, addr: number): number {
  t.w(REG.EERD, (addr << 8) | 1);
  const v = t.r(REG.EERD);
  expect(v & 0x10).toBe(0x10);
  return v >>> 16;
}

function mdicRead(t: Rig, reg: number, phy = 1): { data: number; error: boolean } {
  t.w(REG.MDIC, (reg << 16) | (phy << 21) | (2 << 26));
  const v = t.r(REG.MDIC);
  expect(v & (1 << 28)).not.toBe(0);
  return { data: v & 0xffff, error: (v & (1 << 30)) !== 0 };
}

describe('e1000 EEPROM and PHY', () => {
  it('EERD reads a 64-word image with the MAC, IDs and a checksum summing to 0xBABA', () => {
    const t = rig();
    const words = Array.from({ length: 64 }, (_, i) => eerd(t, i));
    expect(words.reduce((a, b) => (a + b) & 0xffff, 0)).toBe(0xbaba);
    expect(words.slice(0, 3)).toEqual([0x5452, 0x1200, 0x5634]);
    expect(words[0x0d]).toBe(0x100e);
    expect(words[0x0e]).toBe(0x8086);
  });

  it('the bit-banged Microwire read (Linux e1000_read_eeprom) returns the same words', () => {
    const t = rig({ mac: '02:11:22:33:44:55' });
    const viaEerd = Array.from({ length: 64 }, (_, i) => eerd(t, i));
    expect(bitBangRead(t, 64)).toEqual(viaEerd);
    expect(viaEerd[0]).toBe(0x1102);
  });

  it('MDIC reaches an M88E1011 PHY at address 1 with link and autonegotiation complete', () => {
    const t = rig();
    expect(mdicRead(t, 2).data).toBe(0x0141);
    expect(mdicRead(t, 3).data).toBe(0x0c20);
    const bmsr = mdicRead(t, 1).data;
    expect(bmsr & 0x0024).toBe(0x0024);
    expect(mdicRead(t, 1, 2).error).toBe(true);
    expect(mdicRead(t, 0x1a).error).toBe(true); // unimplemented register
    expect(t.r(REG.STATUS) & 0x2).toBe(0x2); // LU
  });

  it('restarting autonegotiation drops the link until it completes, with LSC both ways', () => {
    const t = rig();
    t.w(REG.IMS, ICR_LSC);
    t.w(REG.MDIC, (0 << 16) | (1 << 21) | (1 << 26) | 0x1340); // BMCR: AN enable + restart
    expect(t.r(REG.STATUS) & 2).toBe(0);
    expect(mdicRead(t, 0).data & 0x0200).toBe(0); // restart bit self-clears
    expect(t.r(REG.ICR) & ICR_LSC).toBe(ICR_LSC);
    t.host.clock.advance(AUTONEG_NS - 1);
    expect(t.r(REG.STATUS) & 2).toBe(0);
    t.host.clock.advance(1);
    expect(t.r(REG.STATUS) & 2).toBe(2);
    expect(t.host.irqs[0].level).toBe(true);
    expect(t.r(REG.ICR) & ICR_LSC).toBe(ICR_LSC);
    expect(mdicRead(t, 1).data & 0x24).toBe(0x24);
  });
});

describe('e1000 interrupts', () => {
  it('ICR is read-to-clear and the line follows ICR & IMS', () => {
    const t = rig();
    t.w(REG.ICS, ICR_LSC);
    expect(t.host.irqs[0].level).toBe(false);
    t.w(REG.IMS, ICR_LSC);
    expect(t.host.irqs[0].level).toBe(true);
    expect(t.r(REG.ICR)).toBe(ICR_LSC);
    expect(t.host.irqs[0].level).toBe(false);
    expect(t.r(REG.ICR)).toBe(0);
    t.w(REG.ICS, ICR_LSC);
    t.w(REG.IMC, ICR_LSC);
    expect(t.host.irqs[0].level).toBe(false);
    expect(t.r(REG.IMS)).toBe(0);
  });

  it('ITR holds a new assertion until ITR × 256 ns after the previous one', () => {
    const t = rig();
    t.w(REG.ITR, 1000); // 256 µs
    t.w(REG.IMS, ICR_LSC);
    t.w(REG.ICS, ICR_LSC);
    expect(t.host.irqs[0].raises).toBe(1);
    t.r(REG.ICR);
    t.w(REG.ICS, ICR_LSC);
    expect(t.host.irqs[0].level).toBe(false);
    t.host.clock.advance(255_999);
    expect(t.host.irqs[0].level).toBe(false);
    t.host.clock.advance(1);
    expect(t.host.irqs[0].level).toBe(true);
    expect(t.host.irqs[0].raises).toBe(2);
  });

  it('link down and up at the backend: STATUS.LU and LSC', () => {
    const t = rig();
    t.w(REG.IMS, ICR_LSC);
    t.port.setLink(false);
    expect(t.r(REG.STATUS) & 2).toBe(0);
    expect(mdicRead(t, 1).data & 4).toBe(0);
    expect(t.r(REG.ICR) & ICR_LSC).toBe(ICR_LSC);
    t.port.setLink(true);
    expect(t.r(REG.STATUS) & 2).toBe(2);
    expect(t.r(REG.ICR) & ICR_LSC).toBe(ICR_LSC);
  });

  it('no backend, or a backend whose link is down: STATUS.LU clear, frames dropped', () => {
    const host = fakeHost({ memory: new FlatMemory(0x100000) });
    const dev = e1000Type.create(host, {});
    expect(dev.mmioRead!(0, REG.STATUS, 4) & 2).toBe(0);
    const t = rig({ port: new RecordingPort(false) });
    expect(t.r(REG.STATUS) & 2).toBe(0);
    setupTx(t);
    const f = testFrame(MAC_B, MAC_A, 100);
    t.mem.write(TX_BUFS, f);
    putTxLegacy(t.mem, 0, TX_BUFS, f.length, 0x0b);
    t.w(REG.TDT, 1);
    expect(t.port.sent.length).toBe(0);
    expect(t.r(REG.TDH)).toBe(1);
  });
});

describe('e1000 transmit', () => {
  it('sends a legacy descriptor, writes DD back, advances TDH and raises TXDW', () => {
    const t = rig();
    setupTx(t);
    t.w(REG.IMS, ICR_TXDW);
    const f = testFrame(MAC_B, MAC_A, 100);
    t.mem.write(TX_BUFS, f);
    putTxLegacy(t.mem, 0, TX_BUFS, f.length, 0x01 | 0x02 | 0x08);
    t.w(REG.TDT, 1);
    expect(t.port.sent.map((x) => Array.from(x))).toEqual([Array.from(f)]);
    expect(t.mem.bytes[TX_RING + 12] & 1).toBe(1);
    expect(t.r(REG.TDH)).toBe(1);
    expect(t.host.irqs[0].level).toBe(true);
    expect(t.r(REG.ICR) & (ICR_TXDW | ICR_TXQE)).toBe(ICR_TXDW | ICR_TXQE);
    expect(t.r(STAT.GPTC)).toBe(1);
    expect(t.r(STAT.GPTC)).toBe(0); // read to clear
    expect(t.r(STAT.TOTL)).toBe(118);
    expect(t.r(STAT.TOTH)).toBe(0);
    expect(t.r(STAT.TOTL)).toBe(0); // the high read cleared the pair
  });

  it('gathers a packet over several descriptors and delays TXDW by TIDV when IDE is set', () => {
    const t = rig();
    setupTx(t);
    t.w(REG.TIDV, 8);
    const f = testFrame(MAC_B, MAC_A, 300);
    t.mem.write(TX_BUFS, f.subarray(0, 100));
    t.mem.write(TX_BUFS + 0x1000, f.subarray(100));
    putTxLegacy(t.mem, 0, TX_BUFS, 100, 0x02);
    putTxLegacy(t.mem, 1, TX_BUFS + 0x1000, f.length - 100, 0x01 | 0x02 | 0x08 | 0x80);
    t.w(REG.TDT, 2);
    expect(Array.from(t.port.sent[0])).toEqual(Array.from(f));
    expect(t.r(REG.ICR) & ICR_TXDW).toBe(0);
    t.host.clock.advance(8 * 1024);
    expect(t.r(REG.ICR) & ICR_TXDW).toBe(ICR_TXDW);
  });

  it('context + data descriptors: IP and UDP checksums inserted (Linux CHECKSUM_PARTIAL)', () => {
    const t = rig();
    setupTx(t);
    const src = 0x0a00020f, dst = 0x0a000202;
    const data = Uint8Array.from({ length: 333 }, (_, i) => i & 0xff);
    const f = udpFrame(MAC_B, MAC_A, src, dst, 1234, 5678, data);
    const udpLen = 8 + data.length;
    putU16(f, 24, 0); // IP checksum left to the NIC (IXSM)
    putU16(f, 40, pseudoHeaderSum(src, dst, 17, udpLen)); // seeded pseudo header
    t.mem.write(TX_BUFS, f);
    putTxContext(t.mem, 0, { ipcss: 14, ipcso: 24, ipcse: 33, tucss: 34, tucso: 40, tucse: 0, paylen: 0, tucmd: 0x02, hdrLen: 0, mss: 0 });
    putTxData(t.mem, 1, TX_BUFS, f.length, 0x01 | 0x02 | 0x08, 0x03);
    t.w(REG.TDT, 2);
    expect(t.port.sent.length).toBe(1);
    const s = t.port.sent[0];
    expect(internetChecksum(s, 14, 34)).toBe(0);
    expect(internetChecksum(s, 34, s.length, pseudoHeaderSum(src, dst, 17, udpLen))).toBe(0);
    expect(Array.from(s.subarray(42))).toEqual(Array.from(data));
    expect(t.mem.bytes[TX_RING + 16 + 12] & 1).toBe(1);
    expect(t.mem.bytes[TX_RING + 12] & 1).toBe(0); // the context descriptor had no RS
  });

  it('TSO splits a TCP packet into MSS segments with fixed-up headers and checksums', () => {
    const t = rig();
    setupTx(t);
    const src = 0x0a00020f, dst = 0x0a000202;
    const payload = Uint8Array.from({ length: 2500 }, (_, i) => (i * 3) & 0xff);
    const hdr = ethernetFrame(MAC_B, MAC_A, ETHERTYPE_IPV4, 40);
    writeIpv4Header(hdr, IPPROTO_TCP, src, dst, 20, 0x1234);
    putU16(hdr, 16, 0); // e1000_tso(): tot_len = 0, check = 0
    putU16(hdr, 24, 0);
    const tcp = 34;
    putU16(hdr, tcp, 40000);
    putU16(hdr, tcp + 2, 80);
    hdr[tcp + 4] = 0; hdr[tcp + 5] = 0; hdr[tcp + 6] = 0x03; hdr[tcp + 7] = 0xe8; // seq 1000
    hdr[tcp + 12] = 5 << 4;
    hdr[tcp + 13] = 0x18; // PSH | ACK
    putU16(hdr, tcp + 14, 65535);
    putU16(hdr, tcp + 16, pseudoHeaderSum(src, dst, IPPROTO_TCP, 0)); // ~csum_tcpudp_magic(.., 0, ..)
    const whole = new Uint8Array(54 + payload.length);
    whole.set(hdr);
    whole.set(payload, 54);
    t.mem.write(TX_BUFS, whole);
    putTxContext(t.mem, 0, { ipcss: 14, ipcso: 24, ipcse: 33, tucss: 34, tucso: 50, tucse: 0, paylen: 2500, tucmd: 0x01 | 0x02 | 0x04, hdrLen: 54, mss: 1000 });
    putTxData(t.mem, 1, TX_BUFS, 854, 0x04 | 0x02, 0x03);
    putTxData(t.mem, 2, TX_BUFS + 854, whole.length - 854, 0x04 | 0x02 | 0x01 | 0x08, 0);
    t.w(REG.TDT, 3);
    const segs = t.port.sent;
    expect(segs.map((s) => s.length)).toEqual([1054, 1054, 554]);
    const got: number[] = [];
    segs.forEach((s, i) => {
      expect(getU16(s, 16)).toBe(s.length - 14);
      expect(getU16(s, 18)).toBe(0x1234 + i);
      expect(internetChecksum(s, 14, 34)).toBe(0);
      expect(getU32(s, 38)).toBe(1000 + 1000 * i);
      expect(s[47] & 0x08).toBe(i === 2 ? 0x08 : 0);
      expect(internetChecksum(s, 34, s.length, pseudoHeaderSum(src, dst, IPPROTO_TCP, s.length - 34))).toBe(0);
      got.push(...s.subarray(54));
    });
    expect(got).toEqual(Array.from(payload));
    expect(t.r(STAT.TSCTC)).toBe(1);
    expect(t.r(STAT.GPTC)).toBe(3);
  });

  it('MAC loopback (RCTL.LBM) returns transmitted frames to the receiver only', () => {
    const t = rig();
    setupTx(t);
    setupRx(t, RCTL_EN | RCTL_BAM | RCTL_SECRC | (1 << 6));
    const f = testFrame(MAC_A, MAC_A, 100);
    t.mem.write(TX_BUFS, f);
    putTxLegacy(t.mem, 0, TX_BUFS, f.length, 0x0b);
    t.w(REG.TDT, 1);
    expect(t.port.sent.length).toBe(0);
    expect(rxDesc(t.mem, 0).length).toBe(f.length);
  });
});

describe('e1000 receive', () => {
  it('writes the frame and FCS into a buffer with DD/EOP and raises RXT0', () => {
    const t = rig();
    setupRx(t, RCTL_EN | RCTL_BAM);
    t.w(REG.IMS, ICR_RXT0);
    const f = testFrame(MAC_A, MAC_B, 200);
    t.port.deliver(f);
    const d = rxDesc(t.mem, 0);
    expect(d.length).toBe(f.length + 4);
    expect(d.status & 0x03).toBe(0x03);
    expect(d.status & 0x04).toBe(0x04); // IXSM: no checksum offload enabled
    expect(Array.from(t.mem.bytes.subarray(RX_BUFS, RX_BUFS + f.length))).toEqual(Array.from(f));
    expect(t.mem.readU32(RX_BUFS + f.length)).toBe(fcs(f));
    expect(t.r(REG.RDH)).toBe(1);
    expect(t.host.irqs[0].level).toBe(true);
    expect(t.r(REG.ICR) & ICR_RXT0).toBe(ICR_RXT0);
    expect(t.host.irqs[0].level).toBe(false);
    expect(t.r(STAT.GPRC)).toBe(1);
    expect(t.r(STAT.TORL)).toBe(f.length + 4);
  });

  it('filters: own RA, broadcast with BAM, MTA hash for multicast, UPE', () => {
    const t = rig();
    setupRx(t, RCTL_EN | RCTL_SECRC);
    const mc = Uint8Array.from([0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb]);
    t.port.deliver(testFrame(MAC_B, MAC_A, 60));
    t.port.deliver(testFrame(new Uint8Array(6).fill(0xff), MAC_B, 60));
    t.port.deliver(testFrame(mc, MAC_B, 60));
    expect(t.r(REG.RDH)).toBe(0);
    // e1000_hash_mc_addr, filter type 0: bits 47:36 of the address.
    const hash = ((mc[4] >> 4) | (mc[5] << 4)) & 0xfff;
    t.w(REG.MTA + 4 * (hash >> 5), 1 << (hash & 31));
    t.port.deliver(testFrame(mc, MAC_B, 60));
    t.port.deliver(testFrame(MAC_A, MAC_B, 60));
    expect(t.r(REG.RDH)).toBe(2);
    t.w(REG.RCTL, RCTL_EN | RCTL_SECRC | RCTL_BAM | RCTL_UPE);
    t.port.deliver(testFrame(new Uint8Array(6).fill(0xff), MAC_B, 60));
    t.port.deliver(testFrame(MAC_B, MAC_A, 60));
    expect(t.r(REG.RDH)).toBe(4);
    // A second receive address.
    t.w(REG.RCTL, RCTL_EN | RCTL_SECRC);
    t.w(REG.RA + 8, 0x00ab0052 | (0x54 << 8) | 0);
    t.w(REG.RA + 8, MAC_B[0] | (MAC_B[1] << 8) | (MAC_B[2] << 16) | (MAC_B[3] << 24));
    t.w(REG.RA + 12, MAC_B[4] | (MAC_B[5] << 8) | 0x80000000);
    t.port.deliver(testFrame(MAC_B, MAC_A, 60));
    expect(t.r(REG.RDH)).toBe(5);
  });

  it('splits a frame over small buffers with EOP on the last and RXDMT0 at the threshold', () => {
    const t = rig();
    setupRx(t, RCTL_EN | RCTL_SECRC | (3 << 16), 8, 256); // BSIZE 256
    t.w(REG.IMS, ICR_RXDMT0);
    const f = testFrame(MAC_A, MAC_B, 586);
    t.port.deliver(f);
    const ds = [0, 1, 2].map((i) => rxDesc(t.mem, i));
    expect(ds.map((d) => d.length)).toEqual([256, 256, 88]);
    expect(ds.map((d) => d.status & 3)).toEqual([1, 1, 3]);
    expect(Array.from(t.mem.bytes.subarray(RX_BUFS, RX_BUFS + 600))).toEqual(Array.from(f));
    // 7 given, 3 used: 4 left = 64 bytes of a 128-byte ring → at the 1/2 threshold.
    expect(t.r(REG.ICR) & ICR_RXDMT0).toBe(ICR_RXDMT0);
  });

  it('reports IPv4/TCP checksum status when RXCSUM offloads are on', () => {
    const t = rig();
    setupRx(t, RCTL_EN | RCTL_SECRC);
    t.w(REG.RXCSUM, (1 << 8) | (1 << 9));
    const good = udpFrame(MAC_A, MAC_B, 0x0a000202, 0x0a00020f, 53, 1000, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19));
    t.port.deliver(good);
    const bad = good.slice();
    bad[bad.length - 1] ^= 0xff;
    t.port.deliver(bad);
    const d0 = rxDesc(t.mem, 0), d1 = rxDesc(t.mem, 1);
    expect(d0.status & 0x64).toBe(0x60); // IPCS | TCPCS, no IXSM
    expect(d0.errors).toBe(0);
    expect(d1.errors & 0x20).toBe(0x20); // TCPE
  });

  it('holds frames in the packet buffer while no descriptors are free, then overruns with RXO', () => {
    const t = rig();
    setupRx(t, RCTL_EN | RCTL_SECRC | RCTL_BAM, 8);
    t.w(REG.RDT, 0); // no descriptors for the NIC
    t.w(REG.IMS, ICR_RXO);
    const f = testFrame(MAC_A, MAC_B, 1400);
    t.port.deliver(f);
    expect(t.r(REG.RDH)).toBe(0);
    t.w(REG.RDT, 7);
    expect(t.r(REG.RDH)).toBe(1);
    t.w(REG.RDT, 1);
    for (let i = 0; i < 40; i++) t.port.deliver(testFrame(MAC_A, MAC_B, 1400, i));
    expect(t.r(REG.ICR) & ICR_RXO).toBe(ICR_RXO);
    expect(t.r(STAT.MPC)).toBeGreaterThan(0);
    expect(t.r(STAT.RNBC)).toBeGreaterThan(0);
    t.w(REG.RDT, 0);
    expect(t.r(REG.RDH)).toBe(0); // drained into the 7 free descriptors, wrapping
  });

  it('RDTR delays RXT0 (packet timer) and RADV bounds the delay', () => {
    const t = rig();
    setupRx(t, RCTL_EN | RCTL_SECRC);
    t.w(REG.RDTR, 100);
    t.w(REG.RADV, 150);
    t.port.deliver(testFrame(MAC_A, MAC_B, 60));
    expect(t.r(REG.ICR) & ICR_RXT0).toBe(0);
    t.host.clock.advance(90 * 1024);
    t.port.deliver(testFrame(MAC_A, MAC_B, 60)); // restarts the packet timer
    t.host.clock.advance(50 * 1024);
    expect(t.r(REG.ICR) & ICR_RXT0).toBe(0);
    t.host.clock.advance(10 * 1024 + 1); // RADV (150) since the first frame
    expect(t.r(REG.ICR) & ICR_RXT0).toBe(ICR_RXT0);
  });

  it('IOADDR/IODATA reach the same registers as BAR0', () => {
    const t = rig();
    t.dev.ioWrite!(0, 0, 4, REG.STATUS);
    expect(t.dev.ioRead!(0, 4, 4)).toBe(t.r(REG.STATUS));
    t.dev.ioWrite!(0, 0, 4, REG.IMS);
    t.dev.ioWrite!(0, 4, 4, ICR_LSC);
    expect(t.r(REG.IMS)).toBe(ICR_LSC);
  });

  it('CTRL.RST returns registers to their defaults and reloads RAL0/RAH0', () => {
    const t = rig();
    setupRx(t, RCTL_EN);
    t.w(REG.RA, 0);
    t.w(REG.CTRL, t.r(REG.CTRL) | (1 << 26));
    expect(t.r(REG.CTRL) & (1 << 26)).toBe(0);
    expect(t.r(REG.RCTL)).toBe(0);
    expect(t.r(REG.RA)).toBe(0x12005452);
    expect(t.r(REG.RA + 4) >>> 0).toBe(0x80005634);
  });
});

describe('e1000 hostile rings', () => {
  it('a ring asking for huge amounts of TSO segments is worked off in bounded slices over virtual time', () => {
    const t = rig();
    setupTx(t, 16);
    const hdr = new Uint8Array(54 + 1024);
    hdr.set(MAC_B, 0);
    hdr.set(MAC_A, 6);
    hdr[12] = 0x08;
    hdr[14] = 0x45;
    t.mem.write(TX_BUFS, hdr);
    putTxContext(t.mem, 0, { ipcss: 14, ipcso: 24, ipcse: 33, tucss: 34, tucso: 50, tucse: 0, paylen: 1024, tucmd: 0x07, hdrLen: 54, mss: 1 });
    for (let i = 1; i < 16; i++) putTxData(t.mem, i, TX_BUFS, hdr.length, 0x04 | 0x01 | 0x08, 0x03);
    let frames = 0;
    t.port.setTransmit(() => frames++);
    t.w(REG.TDT, 0); // TDT == TDH: nothing
    t.w(REG.TDT, 16 - 1);
    const firstHead = t.r(REG.TDH);
    expect(firstHead).toBeLessThan(15);
    expect(frames).toBeLessThanOrEqual(4096 + 1024);
    for (let i = 0; i < 100 && t.r(REG.TDH) !== 15; i++) t.host.clock.advance(10_000);
    expect(t.r(REG.TDH)).toBe(15);
    expect(frames).toBe(14 * 1024);
  });

  it('bad ring geometry, descriptors and buffers outside RAM, huge lengths: no throw, no hang', () => {
    const t = rig({ memSize: 0x100000 });
    const errorsAfter = (fn: () => void) => {
      const n = t.host.guestErrors.length;
      expect(fn).not.toThrow();
      return t.host.guestErrors.length - n;
    };
    setupTx(t);
    // TDLEN 0 with a doorbell.
    t.w(REG.TDLEN, 0);
    expect(errorsAfter(() => t.w(REG.TDT, 5))).toBeGreaterThan(0);
    // Huge TDLEN is masked to the register's 20 bits: at most one ring's worth per doorbell.
    t.w(REG.TDLEN, 0xffffffff);
    expect(t.r(REG.TDLEN)).toBe(0xfff80);
    t.w(REG.TDH, 0);
    t.w(REG.TDBAL, 0);
    t.w(REG.TDT, 65000);
    expect(t.r(REG.TDH)).toBe(65000);
    // Head outside the ring.
    t.w(REG.TDLEN, 128);
    t.w(REG.TDH, 100);
    expect(errorsAfter(() => t.w(REG.TDT, 3))).toBeGreaterThan(0);
    // Descriptor ring outside RAM.
    t.w(REG.TDH, 0);
    t.w(REG.TDT, 0);
    t.w(REG.TDBAL, 0xfffff000);
    expect(errorsAfter(() => t.w(REG.TDT, 2))).toBeGreaterThan(0);
    t.w(REG.TDBAH, 0x12345678);
    expect(() => t.w(REG.TDT, 3)).not.toThrow();
    // Buffer outside RAM and a 0xFFFF length.
    t.w(REG.TDBAH, 0);
    t.w(REG.TDBAL, TX_RING);
    t.w(REG.TDH, 0);
    t.w(REG.TDT, 0);
    putTxLegacy(t.mem, 0, 0xf0000000, 100, 0x0b);
    putTxLegacy(t.mem, 1, 0, 0xffff, 0x0b);
    putTxContext(t.mem, 2, { ipcss: 200, ipcso: 250, ipcse: 0xffff, tucss: 255, tucso: 255, tucse: 0xffff, paylen: 0xfffff, tucmd: 0x07, hdrLen: 0, mss: 0 });
    putTxData(t.mem, 3, 0, 0xfffff, 0x04 | 0x01 | 0x08, 0x03);
    putTxContext(t.mem, 4, { ipcss: 14, ipcso: 24, ipcse: 33, tucss: 34, tucso: 50, tucse: 0, paylen: 0xfffff, tucmd: 0x07, hdrLen: 54, mss: 1 });
    putTxData(t.mem, 5, 0, 0xfffff, 0x04 | 0x01 | 0x08, 0x03);
    expect(errorsAfter(() => t.w(REG.TDT, 6))).toBeGreaterThan(0);
    expect(t.r(REG.TDH)).toBe(6);
    // Receive: ring indices outside, zero length, descriptors outside RAM.
    setupRx(t, RCTL_EN | RCTL_UPE);
    t.w(REG.RDH, 500);
    expect(() => t.port.deliver(testFrame(MAC_A, MAC_B, 100))).not.toThrow();
    t.w(REG.RDLEN, 0);
    expect(() => t.port.deliver(testFrame(MAC_A, MAC_B, 100))).not.toThrow();
    t.w(REG.RDLEN, 0xfff80);
    t.w(REG.RDH, 0);
    t.w(REG.RDBAL, 0xffff0000);
    t.w(REG.RDT, 60000);
    expect(() => t.port.deliver(testFrame(MAC_A, MAC_B, 100))).not.toThrow();
    t.w(REG.RDBAL, RX_RING);
    t.mem.writeU32(RX_RING, 0xfffff000); // buffer outside RAM
    t.w(REG.RDH, 0);
    expect(() => t.port.deliver(testFrame(MAC_A, MAC_B, 100))).not.toThrow();
    expect(t.r(REG.RDH)).toBe(1);
    void RX_BUFS;
  });
});

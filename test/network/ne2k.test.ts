/** NE2000 (DP8390 core) through its registers only: ne2k_isa and ne2k_pci with fake host and port. */
import { describe, expect, it } from 'vitest';
import type { DeviceModel } from '../../src/devices/api.js';
import { ne2kIsaType, ne2kPciType } from '../../src/devices/network/index.js';
import { fakeHost, type FakeHost } from '../fakes.js';
import {
  E8390_CMD, E8390_NODMA, E8390_PAGE0, E8390_PAGE1, E8390_RREAD, E8390_START, E8390_STOP, E8390_TRANS, EN0_BOUNDARY, EN0_COUNTER0,
  EN0_COUNTER2, EN0_DCFG, EN0_IMR, EN0_ISR, EN0_RCNTHI, EN0_RCNTLO, EN0_RSARHI, EN0_RSARLO, EN0_RXCR, EN0_TCNTHI,
  EN0_TCNTLO, EN0_TPSR, EN0_TSR, EN0_TXCR, EN1_CURPAG, EN1_MULT, ENISR_OVER, ENISR_RDC, ENISR_RESET, ENISR_RX, ENISR_TX,
  MAC_A, MAC_B, NE_DATAPORT, NE_RESET, RecordingPort, inb, linuxEtherCrc, ne2kReceiveAll, ne2kSend, ns8390Init, out,
  remoteRead, remoteWrite, testFrame,
} from './helpers.js';

const MAC_TEXT = '52:54:00:12:34:56';

function make(type = ne2kPciType, port = new RecordingPort()): { dev: DeviceModel; host: FakeHost; port: RecordingPort } {
  const host = fakeHost({ backend: port });
  const dev = type.create(host, { mac: MAC_TEXT });
  return { dev, host, port };
}

describe('NE2000 probe and station address PROM', () => {
  it('resets through the reset port and passes the ne.c probe checks', () => {
    const { dev } = make(ne2kIsaType);
    expect(inb(dev, E8390_CMD)).not.toBe(0xff);
    dev.ioWrite!(0, NE_RESET, 1, dev.ioRead!(0, NE_RESET, 1));
    expect(inb(dev, EN0_ISR) & ENISR_RESET).toBe(ENISR_RESET);
    // Writing 1 to RST does not clear it; Start does.
    out(dev, EN0_ISR, ENISR_RESET);
    expect(inb(dev, EN0_ISR) & ENISR_RESET).toBe(ENISR_RESET);
    // 8390 check: MAR5 on page 1 written, page-0 counter 0 clears on read.
    out(dev, E8390_CMD, E8390_NODMA + E8390_PAGE1 + E8390_STOP);
    out(dev, 0x0d, 0xff);
    out(dev, E8390_CMD, E8390_NODMA + E8390_PAGE0);
    inb(dev, EN0_COUNTER0);
    expect(inb(dev, EN0_COUNTER0)).toBe(0);
  });

  it('reads the PROM in byte mode (ne.c): doubled MAC and the 0x57 0x57 signature', () => {
    const { dev } = make(ne2kIsaType);
    out(dev, E8390_CMD, E8390_NODMA + E8390_PAGE0 + E8390_STOP);
    out(dev, EN0_DCFG, 0x48);
    out(dev, EN0_RCNTLO, 32);
    out(dev, EN0_RCNTHI, 0);
    out(dev, EN0_RSARLO, 0);
    out(dev, EN0_RSARHI, 0);
    out(dev, E8390_CMD, E8390_RREAD + E8390_START);
    const prom = Array.from({ length: 32 }, () => inb(dev, NE_DATAPORT));
    let wordlength = 2;
    for (let i = 0; i < 32; i += 2) if (prom[i] !== prom[i + 1]) wordlength = 1;
    expect(wordlength).toBe(2);
    const sa = Array.from({ length: 16 }, (_, i) => prom[2 * i]);
    expect(sa.slice(0, 6)).toEqual([...MAC_A]);
    expect(sa[14]).toBe(0x57);
    expect(sa[15]).toBe(0x57);
    expect(inb(dev, EN0_ISR) & ENISR_RDC).toBe(ENISR_RDC);
  });

  it('reads the PROM in word mode with inb (ne2k-pci.c) and with insl', () => {
    const { dev } = make(ne2kPciType);
    out(dev, E8390_CMD, E8390_NODMA + E8390_PAGE0 + E8390_STOP);
    out(dev, EN0_DCFG, 0x49);
    out(dev, EN0_RCNTLO, 32);
    out(dev, EN0_RCNTHI, 0);
    out(dev, EN0_RSARLO, 0);
    out(dev, EN0_RSARHI, 0);
    out(dev, E8390_CMD, E8390_RREAD + E8390_START);
    const sa = Array.from({ length: 32 }, () => inb(dev, NE_DATAPORT));
    expect(sa.slice(0, 6)).toEqual([...MAC_A]);
    expect(sa[14]).toBe(0x57);
    const words = remoteRead(dev, 0, 32);
    expect(Array.from(words.subarray(0, 12))).toEqual([...MAC_A].flatMap((b) => [b, b]));
    // 32-bit string reads (insl) see the same bytes.
    out(dev, EN0_RCNTLO, 32);
    out(dev, EN0_RSARLO, 0);
    out(dev, EN0_RSARHI, 0);
    out(dev, E8390_CMD, E8390_RREAD + E8390_START);
    const dw = new Uint8Array(32);
    dev.ioReadString!(0, NE_DATAPORT, 4, dw);
    expect(Array.from(dw)).toEqual(Array.from(words));
  });

  it('ne2k_pci identifies as an RTL8029 on page 0 0x0A/0x0B', () => {
    const { dev } = make(ne2kPciType);
    out(dev, E8390_CMD, E8390_NODMA + E8390_PAGE0);
    expect([inb(dev, 0x0a), inb(dev, 0x0b)]).toEqual([0x50, 0x43]);
  });
});

describe('NE2000 remote DMA, transmit and receive', () => {
  it('remote DMA write then read returns the data and signals RDC', () => {
    const { dev } = make();
    ns8390Init(dev, MAC_A);
    const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 13) & 0xff);
    expect(remoteWrite(dev, 0x5000, data)).toBe(true);
    expect(Array.from(remoteRead(dev, 0x5000, 300))).toEqual(Array.from(data));
    // Byte mode too.
    out(dev, EN0_DCFG, 0x48);
    out(dev, EN0_RCNTLO, 3);
    out(dev, EN0_RCNTHI, 0);
    out(dev, EN0_RSARLO, 0x01);
    out(dev, EN0_RSARHI, 0x50);
    out(dev, E8390_CMD, E8390_RREAD + E8390_START);
    expect([inb(dev, NE_DATAPORT), inb(dev, NE_DATAPORT), inb(dev, NE_DATAPORT)]).toEqual([13, 26, 39]);
    expect(inb(dev, EN0_ISR) & ENISR_RDC).toBe(ENISR_RDC);
  });

  it('a zero-length remote DMA completes at once (ne.c IRQ autoprobe)', () => {
    const { dev, host } = make(ne2kIsaType);
    out(dev, EN0_IMR, 0x50);
    out(dev, EN0_RCNTLO, 0);
    out(dev, EN0_RCNTHI, 0);
    out(dev, E8390_CMD, E8390_RREAD + E8390_START);
    expect(host.irqs[0].level).toBe(true);
    out(dev, EN0_IMR, 0);
    expect(host.irqs[0].level).toBe(false);
  });

  it('transmits a frame to the port with PTX and an interrupt', () => {
    const { dev, host, port } = make();
    ns8390Init(dev, MAC_A);
    const f = testFrame(MAC_B, MAC_A, 100);
    ne2kSend(dev, f);
    expect(port.sent.length).toBe(1);
    expect(Array.from(port.sent[0])).toEqual(Array.from(f));
    expect(inb(dev, EN0_ISR) & ENISR_TX).toBe(ENISR_TX);
    expect(inb(dev, EN0_TSR) & 1).toBe(1);
    expect(inb(dev, E8390_CMD) & 0x04).toBe(0); // TXP cleared
    expect(host.irqs[0].level).toBe(true);
    out(dev, EN0_ISR, ENISR_TX);
    expect(host.irqs[0].level).toBe(false);
  });

  it('a transmit outside packet memory aborts with TXE instead of sending', () => {
    const { dev, host, port } = make();
    ns8390Init(dev, MAC_A);
    out(dev, EN0_TCNTLO, 0xff);
    out(dev, EN0_TCNTHI, 0xff);
    out(dev, EN0_TPSR, 0xb0);
    out(dev, E8390_CMD, E8390_NODMA + E8390_START + 0x04);
    expect(port.sent.length).toBe(0);
    expect(inb(dev, EN0_ISR) & 0x08).toBe(0x08);
    expect(host.guestErrors.length).toBe(1);
  });

  it('receives into the ring with the 4-byte header and advances CURR; the driver reads it back', () => {
    const { dev, host, port } = make();
    const ring = ns8390Init(dev, MAC_A);
    const f = testFrame(MAC_A, MAC_B, 100);
    port.deliver(f);
    expect(inb(dev, EN0_ISR) & ENISR_RX).toBe(ENISR_RX);
    expect(host.irqs[0].level).toBe(true);
    const hdr = remoteRead(dev, 0x4700, 4);
    expect(hdr[0]).toBe(0x01); // PRX
    expect(hdr[1]).toBe(0x48); // next page
    expect(hdr[2] | (hdr[3] << 8)).toBe(f.length + 4);
    out(dev, E8390_CMD, E8390_NODMA + E8390_PAGE1);
    expect(inb(dev, EN1_CURPAG)).toBe(0x48);
    out(dev, E8390_CMD, E8390_NODMA + E8390_PAGE0);
    const got = ne2kReceiveAll(dev, ring);
    expect(got.length).toBe(1);
    expect(Array.from(got[0])).toEqual(Array.from(f));
    expect(inb(dev, EN0_BOUNDARY)).toBe(0x47);
  });

  it('pads short frames from the wire to 60 bytes', () => {
    const { dev, port } = make();
    const ring = ns8390Init(dev, MAC_A);
    port.deliver(testFrame(MAC_A, MAC_B, 20));
    const [f] = ne2kReceiveAll(dev, ring);
    expect(f.length).toBe(60);
  });

  it('wraps frames around PSTOP and the remote DMA read follows the wrap', () => {
    const { dev, port } = make();
    const ring = ns8390Init(dev, MAC_A, { start: 0x46, stop: 0x4c });
    const frames = [0, 1, 2, 3].map((i) => testFrame(MAC_A, MAC_B, 586, i)); // 600 + 8 bytes → 3 pages each
    const got: Uint8Array[] = [];
    for (const f of frames) {
      port.deliver(f);
      got.push(...ne2kReceiveAll(dev, ring));
    }
    expect(got.map((g) => Array.from(g))).toEqual(frames.map((f) => Array.from(f)));
  });

  it('overflow: frames that do not fit are dropped with OVW and counted as missed', () => {
    const { dev, host, port } = make();
    const ring = ns8390Init(dev, MAC_A, { start: 0x46, stop: 0x50 }); // 10 pages
    const f = testFrame(MAC_A, MAC_B, 586); // 3 pages
    for (let i = 0; i < 5; i++) port.deliver(testFrame(MAC_A, MAC_B, 586, i));
    expect(inb(dev, EN0_ISR) & ENISR_OVER).toBe(ENISR_OVER);
    expect(host.irqs[0].level).toBe(true);
    const missed = inb(dev, EN0_COUNTER2);
    // BNRY 0x46, CURR 0x47: 9 free pages; two 3-page frames fit, a third would leave CURR == BNRY.
    expect(missed).toBe(3);
    const got = ne2kReceiveAll(dev, ring);
    expect(got.length).toBe(2);
    expect(Array.from(got[0].subarray(0, 14))).toEqual(Array.from(f.subarray(0, 14)));
    expect(inb(dev, EN0_COUNTER2)).toBe(0); // cleared by the read
    out(dev, EN0_ISR, ENISR_OVER);
    port.deliver(testFrame(MAC_A, MAC_B, 100));
    expect(ne2kReceiveAll(dev, ring).length).toBe(1);
  });

  it('address filter: unicast to others, broadcast only with AB, multicast through the CRC hash, promiscuous', () => {
    const { dev, port } = make();
    const ring = ns8390Init(dev, MAC_A, { rxcr: 0x00 });
    const mcast = Uint8Array.from([0x01, 0x00, 0x5e, 0x00, 0x00, 0x01]);
    const other = Uint8Array.from([0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa]);
    const bcast = new Uint8Array(6).fill(0xff);
    port.deliver(testFrame(MAC_B, MAC_A, 60));
    port.deliver(testFrame(bcast, MAC_B, 60));
    port.deliver(testFrame(mcast, MAC_B, 60));
    expect(ne2kReceiveAll(dev, ring).length).toBe(0);
    // 8390.c make_mc_bits(): bits[crc >> 29] |= 1 << ((crc >> 26) & 7).
    const crc = linuxEtherCrc(mcast);
    const crcOther = linuxEtherCrc(other);
    expect(crc >>> 26).not.toBe(crcOther >>> 26);
    out(dev, E8390_CMD, E8390_NODMA + E8390_PAGE1);
    out(dev, EN1_MULT + (crc >>> 29), 1 << ((crc >>> 26) & 7));
    out(dev, E8390_CMD, E8390_NODMA + E8390_PAGE0);
    out(dev, EN0_RXCR, 0x0c); // AB | AM
    port.deliver(testFrame(mcast, MAC_B, 60, 1));
    port.deliver(testFrame(other, MAC_B, 60, 2));
    port.deliver(testFrame(bcast, MAC_B, 60, 3));
    let got = ne2kReceiveAll(dev, ring);
    expect(got.map((g) => g[0])).toEqual([0x01, 0xff]);
    out(dev, EN0_RXCR, 0x10); // promiscuous
    port.deliver(testFrame(MAC_B, MAC_A, 60));
    port.deliver(testFrame(other, MAC_B, 60));
    got = ne2kReceiveAll(dev, ring);
    expect(got.length).toBe(2);
  });

  it('loopback: a runt comes back only with RCR.AR, nothing reaches the wire', () => {
    const { dev, port } = make();
    const ring = ns8390Init(dev, MAC_A);
    out(dev, EN0_TXCR, 0x02);
    const runt = testFrame(MAC_A, MAC_A, 30);
    remoteWrite(dev, 0x4000, runt);
    const send = () => {
      out(dev, EN0_TCNTLO, runt.length);
      out(dev, EN0_TCNTHI, 0);
      out(dev, EN0_TPSR, 0x40);
      out(dev, E8390_CMD, E8390_NODMA + E8390_TRANS + E8390_START);
    };
    send();
    expect(port.sent.length).toBe(0);
    out(dev, E8390_CMD, E8390_NODMA + E8390_PAGE1);
    expect(inb(dev, EN1_CURPAG)).toBe(0x47);
    out(dev, E8390_CMD, E8390_NODMA + E8390_PAGE0);
    out(dev, EN0_RXCR, 0x06); // AR | AB
    send();
    out(dev, E8390_CMD, E8390_NODMA + E8390_PAGE1);
    expect(inb(dev, EN1_CURPAG)).toBe(0x48);
    out(dev, E8390_CMD, E8390_NODMA + E8390_PAGE0);
    const hdr = remoteRead(dev, 0x4700, 4);
    expect(hdr[2]).toBe(runt.length + 4);
    void ring;
  });

  it('ISR/IMR drive the IRQ line; a stopped NIC receives nothing', () => {
    const { dev, host, port } = make(ne2kIsaType);
    ns8390Init(dev, MAC_A);
    out(dev, EN0_IMR, 0);
    port.deliver(testFrame(MAC_A, MAC_B, 60));
    expect(host.irqs[0].level).toBe(false);
    out(dev, EN0_IMR, ENISR_RX);
    expect(host.irqs[0].level).toBe(true);
    out(dev, EN0_ISR, ENISR_RX);
    expect(host.irqs[0].level).toBe(false);
    out(dev, E8390_CMD, E8390_NODMA + E8390_PAGE0 + E8390_STOP);
    port.deliver(testFrame(MAC_A, MAC_B, 60));
    expect(inb(dev, EN0_ISR) & ENISR_RX).toBe(0);
  });

  it('a command without STA/STP keeps the running state; Send Packet reads the frame at BNRY', () => {
    const { dev, port } = make();
    ns8390Init(dev, MAC_A);
    out(dev, E8390_CMD, E8390_NODMA + E8390_PAGE1);
    expect(inb(dev, E8390_CMD)).toBe(E8390_NODMA + E8390_PAGE1 + E8390_START);
    out(dev, E8390_CMD, E8390_NODMA + E8390_PAGE0);
    const f = testFrame(MAC_A, MAC_B, 100);
    port.deliver(f);
    out(dev, EN0_BOUNDARY, 0x47); // the frame's page, as a Send Packet driver keeps it
    out(dev, E8390_CMD, 0x18 + E8390_START);
    const n = (f.length + 4 + 1) >> 1;
    const buf = new Uint8Array(n * 2);
    dev.ioReadString!(0, NE_DATAPORT, 2, buf);
    expect(buf[0]).toBe(0x01);
    expect(Array.from(buf.subarray(4, 4 + f.length))).toEqual(Array.from(f));
    expect(inb(dev, EN0_ISR) & ENISR_RDC).toBe(ENISR_RDC);
  });

  it('state round-trips: a received frame survives save/load into a new instance', () => {
    const { dev, port } = make();
    const ring = ns8390Init(dev, MAC_A);
    const f = testFrame(MAC_A, MAC_B, 200);
    port.deliver(f);
    const s = JSON.parse(JSON.stringify(dev.saveState!()));
    const { dev: copy } = make();
    copy.loadState!(s);
    expect(Array.from(ne2kReceiveAll(copy, ring)[0])).toEqual(Array.from(f));
  });
});

void [EN0_TCNTHI, EN0_TCNTLO, EN0_TPSR, EN0_RSARHI, EN0_RSARLO, EN0_RCNTHI, EN0_RCNTLO];

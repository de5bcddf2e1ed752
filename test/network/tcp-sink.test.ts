/**
 * The gateway's TCP discard service, and through it the e1000's TSO end to end: a handshake,
 * a 64 KiB TSO send split by the NIC, every segment's checksum verified by the sink.
 */
import { describe, expect, it } from 'vitest';
import { VirtualSwitch } from '../../src/net/switch.js';
import { NetworkServices } from '../../src/net/services.js';
import { ETHERTYPE_IPV4, IPPROTO_TCP, ethernetFrame, getU16, getU32, internetChecksum, parseIpv4, pseudoHeaderSum, putU16, putU32, writeIpv4Header } from '../../src/net/frame.js';
import { REG, STAT } from '../../src/devices/network/e1000-regs.js';
import { e1000Type } from '../../src/devices/network/index.js';
import { FlatMemory, fakeHost } from '../fakes.js';
import { TX_BUFS, putTxContext, putTxData, setupTx, type Rig } from './e1000-helpers.js';
import { MAC_A } from './helpers.js';

const GW = 0x0a000202, ME = 0x0a00020f;

function tcp(dstMac: Uint8Array, seq: number, ack: number, flags: number, data: Uint8Array = new Uint8Array(0), dport = 9, sport = 40000): Uint8Array {
  const f = ethernetFrame(dstMac, MAC_A, ETHERTYPE_IPV4, 40 + data.length);
  writeIpv4Header(f, IPPROTO_TCP, ME, GW, 20 + data.length, 1);
  const t = 34;
  putU16(f, t, sport);
  putU16(f, t + 2, dport);
  putU32(f, t + 4, seq);
  putU32(f, t + 8, ack);
  f[t + 12] = 0x50;
  f[t + 13] = flags;
  putU16(f, t + 14, 65535);
  f.set(data, 54);
  putU16(f, t + 16, internetChecksum(f, t, f.length, pseudoHeaderSum(ME, GW, IPPROTO_TCP, 20 + data.length)));
  return f;
}

function seg(f: Uint8Array) {
  const ip = parseIpv4(f)!;
  expect(internetChecksum(f, ip.payload, ip.end, pseudoHeaderSum(ip.src, ip.dst, IPPROTO_TCP, ip.end - ip.payload))).toBe(0);
  return { seq: getU32(f, 38), ack: getU32(f, 42), flags: f[47], sport: getU16(f, 34), dport: getU16(f, 36) };
}

describe('TCP discard service', () => {
  it('handshake, in-order data acknowledged, bad checksums and gaps not, close with FIN-ACK', () => {
    const sw = new VirtualSwitch();
    const svc = new NetworkServices(sw.connect());
    const guest = sw.connect();
    const rx: Uint8Array[] = [];
    guest.onReceive((f) => rx.push(f.slice()));
    guest.send(tcp(svc.mac, 1000, 0, 0x02));
    const synAck = seg(rx[0]);
    expect(synAck.flags).toBe(0x12);
    expect(synAck.ack).toBe(1001);
    const iss = synAck.seq;
    guest.send(tcp(svc.mac, 1001, iss + 1, 0x10));
    guest.send(tcp(svc.mac, 1001, iss + 1, 0x18, new Uint8Array(100)));
    expect(seg(rx[1]).ack).toBe(1101);
    const bad = tcp(svc.mac, 1101, iss + 1, 0x18, new Uint8Array(50));
    bad[60] ^= 1;
    guest.send(bad);
    expect(rx.length).toBe(2);
    expect(svc.tcp.stats.badChecksums).toBe(1);
    guest.send(tcp(svc.mac, 1201, iss + 1, 0x18, new Uint8Array(50))); // a gap: duplicate ACK
    expect(seg(rx[2]).ack).toBe(1101);
    guest.send(tcp(svc.mac, 1101, iss + 1, 0x11)); // FIN
    const fin = seg(rx[3]);
    expect(fin.flags).toBe(0x11);
    expect(fin.ack).toBe(1102);
    guest.send(tcp(svc.mac, 1102, fin.seq + 1, 0x10));
    expect(svc.tcp.stats.bytes).toBe(100);
    // Other ports are refused with RST.
    guest.send(tcp(svc.mac, 5000, 0, 0x02, new Uint8Array(0), 80));
    expect(seg(rx[4]).flags & 0x04).toBe(0x04);
  });

  it('an e1000 TSO send arrives as checksummed MSS segments the sink accepts in full', () => {
    const sw = new VirtualSwitch();
    const svc = new NetworkServices(sw.connect('gw'));
    const mem = new FlatMemory(0x200000);
    const host = fakeHost({ memory: mem, backend: sw.connect('nic') });
    const dev = e1000Type.create(host, { mac: '52:54:00:12:34:56' });
    const t: Rig = { dev, host, mem, port: undefined as never, w: (o, v) => dev.mmioWrite!(0, o, 4, v >>> 0), r: (o) => dev.mmioRead!(0, o, 4) >>> 0 };
    setupTx(t, 16);
    // The guest side of the handshake goes out of a plain switch port with the NIC's MAC.
    const side = sw.connect('handshake');
    const rx: Uint8Array[] = [];
    side.onReceive((f) => rx.push(f.slice()));
    const syn = tcp(svc.mac, 7000, 0, 0x02);
    syn.set([0x52, 0x54, 0x00, 0x12, 0x34, 0x56], 6);
    side.send(syn);
    const synAck = seg(rx[0]);
    // A 60000-byte TSO send as Linux's e1000_tso() prepares it.
    const payload = Uint8Array.from({ length: 60000 }, (_, i) => (i * 31) & 0xff);
    const hdr = tcp(svc.mac, 7001, synAck.seq + 1, 0x18);
    hdr.set([0x52, 0x54, 0x00, 0x12, 0x34, 0x56], 6);
    putU16(hdr, 16, 0);
    putU16(hdr, 24, 0);
    putU16(hdr, 50, pseudoHeaderSum(ME, GW, IPPROTO_TCP, 0));
    const whole = new Uint8Array(54 + payload.length);
    whole.set(hdr.subarray(0, 54));
    whole.set(payload, 54);
    mem.write(TX_BUFS, whole);
    putTxContext(mem, 0, { ipcss: 14, ipcso: 24, ipcse: 33, tucss: 34, tucso: 50, tucse: 0, paylen: payload.length, tucmd: 0x07, hdrLen: 54, mss: 1448 });
    putTxData(mem, 1, TX_BUFS, 4096, 0x04 | 0x02, 0x03);
    putTxData(mem, 2, TX_BUFS + 4096, whole.length - 4096, 0x04 | 0x02 | 0x01 | 0x08, 0);
    t.w(REG.TDT, 3);
    expect(svc.tcp.stats.badChecksums).toBe(0);
    expect(svc.tcp.stats.bytes).toBe(60000);
    expect(svc.tcp.stats.largestSegment).toBe(1448);
    expect(t.r(STAT.TSCTC)).toBe(1);
    expect(t.r(STAT.GPTC)).toBe(Math.ceil(60000 / 1448));
  });
});

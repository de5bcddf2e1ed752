/**
 * A TCP discard service (RFC 863, port 9) for the gateway address: enough of TCP (RFC 9293)
 * to accept a connection, acknowledge in-order data and close, so a guest can push a stream
 * through its NIC (`nc 10.0.2.2 9 < file`) and the test sees every segment's checksum checked
 * — the end-to-end check of a NIC's checksum offload and TCP segmentation offload.
 *
 * Deliberately minimal: no retransmission from this side (it only sends SYN-ACK, ACKs and
 * FIN-ACK, and answers a retransmitted SYN or FIN again), a fixed 64 KiB window without
 * window scaling, MSS option 1460, out-of-order data dropped with a duplicate ACK, no urgent
 * data, no options beyond MSS. Connections are bounded in number.
 */
import { ETH_HEADER, ETHERTYPE_IPV4, IPPROTO_TCP, ethernetFrame, getU16, getU32, internetChecksum, pseudoHeaderSum, putU16, putU32, writeIpv4Header, type Ipv4View } from './frame.js';

export const TCP_DISCARD_PORT = 9;
const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;
const MAX_CONNECTIONS = 64;
const WINDOW = 0xffff;

export interface TcpSinkStats {
  connections: number;
  segments: number;
  /** In-order payload bytes accepted (and discarded). */
  bytes: number;
  badChecksums: number;
  /** Largest payload seen in one segment (a sign of the sender's MSS). */
  largestSegment: number;
}

interface Conn {
  peerMac: Uint8Array;
  rcvNxt: number;
  sndNxt: number;
  finSent: boolean;
}

export class TcpSink {
  readonly stats: TcpSinkStats = { connections: 0, segments: 0, bytes: 0, badChecksums: 0, largestSegment: 0 };
  private readonly conns = new Map<string, Conn>();
  private isn = 0x1000_0000;
  private ipId = 0;

  constructor(private readonly ip: number, private readonly mac: Uint8Array, private readonly send: (frame: Uint8Array) => void) {}

  /** A TCP segment addressed to the gateway (ip.protocol === TCP, ip.dst === gateway). */
  handle(f: Uint8Array, ip: Ipv4View): void {
    const t = ip.payload;
    const len = ip.end - t;
    if (len < 20 || ip.fragment) return;
    const dataOff = (f[t + 12] >> 4) * 4;
    if (dataOff < 20 || dataOff > len) return;
    if (internetChecksum(f, t, ip.end, pseudoHeaderSum(ip.src, ip.dst, IPPROTO_TCP, len)) !== 0) {
      this.stats.badChecksums++;
      return;
    }
    const sport = getU16(f, t), dport = getU16(f, t + 2);
    const seq = getU32(f, t + 4);
    const flags = f[t + 13];
    const payload = len - dataOff;
    const key = `${ip.src}:${sport}`;
    const peerMac = f.slice(6, 12);
    if (dport !== TCP_DISCARD_PORT) {
      if (!(flags & RST)) this.reset(peerMac, ip.src, sport, dport, seq, payload, flags, getU32(f, t + 8));
      return;
    }
    let c = this.conns.get(key);
    if (flags & RST) {
      this.conns.delete(key);
      return;
    }
    if (flags & SYN) {
      if (!c) {
        if (this.conns.size >= MAX_CONNECTIONS) return;
        // Our SYN takes sequence number `isn`; sndNxt is the one after it.
        c = { peerMac, rcvNxt: (seq + 1) >>> 0, sndNxt: (this.isn + 1) >>> 0, finSent: false };
        this.isn = (this.isn + 0x10000) >>> 0;
        this.conns.set(key, c);
        this.stats.connections++;
      }
      // SYN-ACK (again, for a retransmitted SYN).
      this.segment(c, ip.src, sport, (c.sndNxt - 1) >>> 0, SYN | ACK, true);
      return;
    }
    if (!c) {
      this.reset(peerMac, ip.src, sport, dport, seq, payload, flags, getU32(f, t + 8));
      return;
    }
    this.stats.segments++;
    if (payload > 0) {
      if (seq === c.rcvNxt) {
        c.rcvNxt = (c.rcvNxt + payload) >>> 0;
        this.stats.bytes += payload;
        this.stats.largestSegment = Math.max(this.stats.largestSegment, payload);
      }
      // In order or not: acknowledge what we have (a duplicate ACK asks for the gap).
    }
    const finSeq = (seq + payload) >>> 0;
    if (flags & FIN) {
      if (!c.finSent && finSeq === c.rcvNxt) {
        // Their FIN, in order: acknowledge it and close our side at once (FIN-ACK).
        c.rcvNxt = (c.rcvNxt + 1) >>> 0;
        this.segment(c, ip.src, sport, c.sndNxt, FIN | ACK, false);
        c.sndNxt = (c.sndNxt + 1) >>> 0;
        c.finSent = true;
      } else if (c.finSent && ((finSeq + 1) >>> 0) === c.rcvNxt) {
        this.segment(c, ip.src, sport, (c.sndNxt - 1) >>> 0, FIN | ACK, false); // their FIN again
      } else {
        this.segment(c, ip.src, sport, c.sndNxt, ACK, false);
      }
      return;
    }
    if (c.finSent && flags & ACK && payload === 0 && getU32(f, t + 8) === c.sndNxt) {
      this.conns.delete(key); // the last ACK of the close
      return;
    }
    if (payload > 0 || flags & (FIN | PSH)) this.segment(c, ip.src, sport, c.sndNxt, ACK, false);
  }

  private segment(c: Conn, dst: number, dport: number, seq: number, flags: number, mssOption: boolean): void {
    this.emit(c.peerMac, dst, TCP_DISCARD_PORT, dport, seq, c.rcvNxt, flags, mssOption);
  }

  private reset(peerMac: Uint8Array, dst: number, dport: number, sport: number, seq: number, payload: number, flags: number, ack: number): void {
    if (flags & ACK) this.emit(peerMac, dst, sport, dport, ack, 0, RST, false);
    else this.emit(peerMac, dst, sport, dport, 0, (seq + payload + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0)) >>> 0, RST | ACK, false);
  }

  private emit(peerMac: Uint8Array, dst: number, sport: number, dport: number, seq: number, ack: number, flags: number, mss: boolean): void {
    const hl = mss ? 24 : 20;
    const fr = ethernetFrame(peerMac, this.mac, ETHERTYPE_IPV4, 20 + hl);
    writeIpv4Header(fr, IPPROTO_TCP, this.ip, dst, hl, this.ipId++ & 0xffff);
    const t = ETH_HEADER + 20;
    putU16(fr, t, sport);
    putU16(fr, t + 2, dport);
    putU32(fr, t + 4, seq);
    putU32(fr, t + 8, ack);
    fr[t + 12] = (hl / 4) << 4;
    fr[t + 13] = flags;
    putU16(fr, t + 14, WINDOW);
    if (mss) {
      fr[t + 20] = 2;
      fr[t + 21] = 4;
      putU16(fr, t + 22, 1460);
    }
    putU16(fr, t + 16, internetChecksum(fr, t, t + hl, pseudoHeaderSum(this.ip, dst, IPPROTO_TCP, hl)));
    this.send(fr);
  }
}

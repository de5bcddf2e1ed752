/**
 * The built-in services of a virtual network, attached to a switch port like any other host:
 * the gateway address answers ARP (RFC 826), ICMP echo (RFC 792, so `ping 10.0.2.2` works) and
 * the UDP echo service (RFC 862, port 7: datagrams with a correct checksum come back, which
 * lets a guest check its NIC's checksum offload), TCP discard (RFC 863, port 9, tcp-sink.ts:
 * a stream pushed through a NIC with TSO gets every segment checked), and a DHCP server (src/net/dhcp.ts) hands out
 * addresses. There is no routing beyond the
 * subnet: the gateway is a reachable address, not a NAT (see docs/network.md).
 */
import type { PacketPort } from './packet-port.js';
import {
  BROADCAST_MAC, ETH_HEADER, ETHERTYPE_ARP, ETHERTYPE_IPV4, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP,
  ethernetFrame, getU16, getU32, internetChecksum, parseIp, parseIpv4, parseMac,
  pseudoHeaderSum, putU16, putU32, udpFrame, writeIpv4Header,
} from './frame.js';

/** RFC 862 echo service port. */
export const UDP_ECHO_PORT = 7;
import { DHCP_CLIENT_PORT, DHCP_SERVER_PORT, DhcpServer, encodeDhcp, parseDhcp } from './dhcp.js';
import { TcpSink } from './tcp-sink.js';

export interface NetworkServicesOptions {
  /** Gateway (and DHCP server) address; default 10.0.2.2. */
  gateway?: string;
  /** Default 255.255.255.0. */
  netmask?: string;
  /** First address of the DHCP pool; default 10.0.2.15. */
  poolStart?: string;
  /** Addresses in the pool; default 64. */
  poolSize?: number;
  /** Default 86400 s. */
  leaseSeconds?: number;
  /** The gateway's MAC; default 52:55:0a:00:02:02 (as QEMU's user network). */
  mac?: string;
  /** Offered as the DNS server option if given (no DNS server runs here). */
  dns?: string;
}

/** Counters for tests and the UI. */
export interface ServiceStats {
  arpReplies: number;
  echoReplies: number;
  dhcpReplies: number;
  udpEchoes: number;
  /** UDP datagrams to the gateway dropped for a wrong checksum. */
  udpBadChecksums: number;
}

export class NetworkServices {
  readonly mac: Uint8Array;
  readonly ip: number;
  readonly netmask: number;
  readonly dhcp: DhcpServer;
  /** TCP discard (port 9) on the gateway address. */
  readonly tcp: TcpSink;
  readonly stats: ServiceStats = { arpReplies: 0, echoReplies: 0, dhcpReplies: 0, udpEchoes: 0, udpBadChecksums: 0 };
  private readonly unsubscribe: () => void;
  private ipId = 0;

  constructor(private readonly port: PacketPort, opts: NetworkServicesOptions = {}) {
    const ip = parseIp(opts.gateway ?? '10.0.2.2');
    const mask = parseIp(opts.netmask ?? '255.255.255.0');
    const first = parseIp(opts.poolStart ?? '10.0.2.15');
    const mac = parseMac(opts.mac ?? '52:55:0a:00:02:02');
    if (ip === undefined || mask === undefined || first === undefined || !mac) throw new Error('network services: bad address option');
    const dns = opts.dns !== undefined ? parseIp(opts.dns) : undefined;
    this.ip = ip;
    this.netmask = mask;
    this.mac = mac;
    this.dhcp = new DhcpServer({
      serverIp: ip,
      netmask: mask,
      router: ip,
      first,
      size: Math.max(1, Math.min(opts.poolSize ?? 64, 4096)),
      leaseSeconds: opts.leaseSeconds ?? 86400,
      dns,
    });
    this.tcp = new TcpSink(ip, mac, (f) => port.send(f));
    this.unsubscribe = port.onReceive((f) => this.receive(f));
  }

  destroy(): void {
    this.unsubscribe();
  }

  private receive(f: Uint8Array): void {
    if (f.length < ETH_HEADER) return;
    const type = getU16(f, 12);
    if (type === ETHERTYPE_ARP) this.arp(f);
    else if (type === ETHERTYPE_IPV4) this.ipv4(f);
  }

  /** Answer "who has <gateway>?" (Ethernet/IPv4 ARP requests only). */
  private arp(f: Uint8Array): void {
    const a = ETH_HEADER;
    if (f.length < a + 28) return;
    if (getU16(f, a) !== 1 || getU16(f, a + 2) !== ETHERTYPE_IPV4 || f[a + 4] !== 6 || f[a + 5] !== 4) return;
    if (getU16(f, a + 6) !== 1) return; // request
    if (getU32(f, a + 24) !== this.ip) return;
    const senderMac = f.slice(a + 8, a + 14);
    const senderIp = getU32(f, a + 14);
    const r = ethernetFrame(senderMac, this.mac, ETHERTYPE_ARP, 28);
    putU16(r, a, 1);
    putU16(r, a + 2, ETHERTYPE_IPV4);
    r[a + 4] = 6;
    r[a + 5] = 4;
    putU16(r, a + 6, 2); // reply
    r.set(this.mac, a + 8);
    putU32(r, a + 14, this.ip);
    r.set(senderMac, a + 18);
    putU32(r, a + 24, senderIp);
    this.stats.arpReplies++;
    this.port.send(r);
  }

  private ipv4(f: Uint8Array): void {
    const ip = parseIpv4(f);
    if (!ip || internetChecksum(f, ip.ip, ip.payload) !== 0) return;
    if (ip.protocol === IPPROTO_UDP && ip.payload + 8 <= ip.end) {
      const dport = getU16(f, ip.payload + 2);
      if (dport === DHCP_SERVER_PORT) this.dhcpRequest(f, ip.payload, ip.end);
      else if (dport === UDP_ECHO_PORT && ip.dst === this.ip && !ip.fragment) this.udpEcho(f, ip.src, ip.payload, ip.end);
      return;
    }
    if (ip.protocol === IPPROTO_ICMP && ip.dst === this.ip && !ip.fragment) this.icmp(f, ip.src, ip.payload, ip.end);
    else if (ip.protocol === IPPROTO_TCP && ip.dst === this.ip) this.tcp.handle(f, ip);
  }

  /** ICMP echo request → echo reply with the same identifier, sequence and data. */
  private icmp(f: Uint8Array, src: number, start: number, end: number): void {
    if (end - start < 8 || f[start] !== 8 || f[start + 1] !== 0) return;
    if (internetChecksum(f, start, end) !== 0) return;
    const len = end - start;
    const r = ethernetFrame(f.subarray(6, 12), this.mac, ETHERTYPE_IPV4, 20 + len);
    writeIpv4Header(r, IPPROTO_ICMP, this.ip, src, len, this.ipId++ & 0xffff);
    const o = ETH_HEADER + 20;
    r.set(f.subarray(start, end), o);
    r[o] = 0; // echo reply
    putU16(r, o + 2, 0);
    putU16(r, o + 2, internetChecksum(r, o, o + len));
    this.stats.echoReplies++;
    this.port.send(r);
  }

  /** RFC 862 UDP echo: the payload goes back to the sender's port, if the checksum is right. */
  private udpEcho(f: Uint8Array, src: number, udp: number, end: number): void {
    const len = getU16(f, udp + 4);
    if (len < 8 || udp + len > end) return;
    if (getU16(f, udp + 6) !== 0 && internetChecksum(f, udp, udp + len, pseudoHeaderSum(src, this.ip, IPPROTO_UDP, len)) !== 0) {
      this.stats.udpBadChecksums++;
      return;
    }
    const sport = getU16(f, udp);
    this.stats.udpEchoes++;
    this.port.send(udpFrame(f.slice(6, 12), this.mac, this.ip, src, UDP_ECHO_PORT, sport, f.slice(udp + 8, udp + len)));
  }

  private dhcpRequest(f: Uint8Array, udp: number, end: number): void {
    const udpLen = getU16(f, udp + 4);
    if (udpLen < 8 || udp + udpLen > end) return;
    const msg = parseDhcp(f.subarray(udp + 8, udp + udpLen));
    if (!msg) return;
    const reply = this.dhcp.handle(msg);
    if (!reply) return;
    const payload = encodeDhcp(reply);
    // RFC 2131 4.1: no relay; broadcast if the client asked for it, the reply is a NAK, or
    // the client has no address yet and cannot take unicast; else unicast to the client.
    const isNak = reply.options.get(53)?.[0] === 6;
    let dstIp: number;
    let dstMac: Uint8Array;
    if (msg.ciaddr !== 0 && !isNak) {
      dstIp = msg.ciaddr;
      dstMac = f.slice(6, 12);
    } else if ((msg.flags & 0x8000) !== 0 || isNak || reply.yiaddr === 0) {
      dstIp = 0xffffffff;
      dstMac = BROADCAST_MAC;
    } else {
      dstIp = reply.yiaddr;
      dstMac = msg.chaddr;
    }
    this.stats.dhcpReplies++;
    this.port.send(udpFrame(dstMac, this.mac, this.ip, dstIp, DHCP_SERVER_PORT, DHCP_CLIENT_PORT, payload));
  }
}

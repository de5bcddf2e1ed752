/**
 * Ethernet, ARP (RFC 826), IPv4 (RFC 791), ICMP (RFC 792) and UDP (RFC 768) frame helpers for
 * the built-in network services and the tests: MAC address text form, the Internet checksum
 * (RFC 1071) and builders/parsers that bound every offset by the frame length.
 */

export const ETH_HEADER = 14;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export const BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** Parse "52:54:00:12:34:56" (or with '-') into 6 bytes; undefined if malformed. */
export function parseMac(text: string): Uint8Array | undefined {
  const parts = text.trim().split(/[:-]/);
  if (parts.length !== 6) return undefined;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    if (!/^[0-9a-fA-F]{1,2}$/.test(parts[i])) return undefined;
    out[i] = parseInt(parts[i], 16);
  }
  return out;
}

export function formatMac(mac: Uint8Array): string {
  return Array.from(mac.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

export function macKey(frame: Uint8Array, offset: number): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += (frame[offset + i] ?? 0).toString(16).padStart(2, '0');
  return s;
}

export function isMulticastMac(frame: Uint8Array, offset = 0): boolean {
  return (frame[offset] & 1) !== 0;
}

export function isBroadcastMac(frame: Uint8Array, offset = 0): boolean {
  for (let i = 0; i < 6; i++) if (frame[offset + i] !== 0xff) return false;
  return true;
}

export function ipToString(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
}

export function parseIp(text: string): number | undefined {
  const p = text.trim().split('.');
  if (p.length !== 4 || !p.every((x) => /^\d{1,3}$/.test(x) && Number(x) <= 255)) return undefined;
  return ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
}

export function getU16(b: Uint8Array, o: number): number {
  return ((b[o] << 8) | b[o + 1]) >>> 0;
}
export function getU32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
export function putU16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}
export function putU32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Ones'-complement sum of 16-bit big-endian words (RFC 1071), not complemented, folded. */
export function onesSum(b: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (i < end) sum += b[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The Internet checksum of b[start, end): the complement of the ones'-complement sum. */
export function internetChecksum(b: Uint8Array, start: number, end: number, initial = 0): number {
  return ~onesSum(b, start, end, initial) & 0xffff;
}

/** Ones'-complement sum of the IPv4 pseudo header for a transport segment of `length` bytes. */
export function pseudoHeaderSum(src: number, dst: number, proto: number, length: number): number {
  let s = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + length;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** Start an Ethernet frame of `payload` bytes after the header. */
export function ethernetFrame(dst: Uint8Array, src: Uint8Array, type: number, payload: number): Uint8Array {
  const f = new Uint8Array(ETH_HEADER + payload);
  f.set(dst.subarray(0, 6), 0);
  f.set(src.subarray(0, 6), 6);
  putU16(f, 12, type);
  return f;
}

/** A parsed IPv4 header (offsets into the frame). */
export interface Ipv4View {
  /** Offset of the IP header in the frame. */
  ip: number;
  headerLength: number;
  totalLength: number;
  protocol: number;
  src: number;
  dst: number;
  /** Offset of the payload (transport header). */
  payload: number;
  /** End of the IP datagram inside the frame. */
  end: number;
  fragment: boolean;
  ttl: number;
}

/** Parse the IPv4 header of an Ethernet frame; undefined unless it is a well-formed, unfragmented-or-not IPv4 datagram. */
export function parseIpv4(f: Uint8Array): Ipv4View | undefined {
  if (f.length < ETH_HEADER + 20 || getU16(f, 12) !== ETHERTYPE_IPV4) return undefined;
  const ip = ETH_HEADER;
  if (f[ip] >> 4 !== 4) return undefined;
  const headerLength = (f[ip] & 15) * 4;
  const totalLength = getU16(f, ip + 2);
  if (headerLength < 20 || totalLength < headerLength || ip + totalLength > f.length) return undefined;
  const flagsFrag = getU16(f, ip + 6);
  return {
    ip,
    headerLength,
    totalLength,
    protocol: f[ip + 9],
    src: getU32(f, ip + 12),
    dst: getU32(f, ip + 16),
    payload: ip + headerLength,
    end: ip + totalLength,
    fragment: (flagsFrag & 0x3fff) !== 0,
    ttl: f[ip + 8],
  };
}

/** Write a 20-byte IPv4 header at ETH_HEADER (checksum filled in). */
export function writeIpv4Header(f: Uint8Array, proto: number, src: number, dst: number, payloadLength: number, id = 0): void {
  const ip = ETH_HEADER;
  f[ip] = 0x45;
  f[ip + 1] = 0;
  putU16(f, ip + 2, 20 + payloadLength);
  putU16(f, ip + 4, id);
  putU16(f, ip + 6, 0x4000); // don't fragment
  f[ip + 8] = 64;
  f[ip + 9] = proto;
  putU16(f, ip + 10, 0);
  putU32(f, ip + 12, src);
  putU32(f, ip + 16, dst);
  putU16(f, ip + 10, internetChecksum(f, ip, ip + 20));
}

/** Build a complete Ethernet+IPv4+UDP frame around `data` (UDP checksum computed). */
export function udpFrame(dstMac: Uint8Array, srcMac: Uint8Array, src: number, dst: number, sport: number, dport: number, data: Uint8Array): Uint8Array {
  const udpLen = 8 + data.length;
  const f = ethernetFrame(dstMac, srcMac, ETHERTYPE_IPV4, 20 + udpLen);
  writeIpv4Header(f, IPPROTO_UDP, src, dst, udpLen);
  const u = ETH_HEADER + 20;
  putU16(f, u, sport);
  putU16(f, u + 2, dport);
  putU16(f, u + 4, udpLen);
  f.set(data, u + 8);
  const sum = internetChecksum(f, u, u + udpLen, pseudoHeaderSum(src, dst, IPPROTO_UDP, udpLen));
  putU16(f, u + 6, sum === 0 ? 0xffff : sum);
  return f;
}

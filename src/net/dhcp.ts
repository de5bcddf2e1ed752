/**
 * A DHCP server (RFC 2131, options from RFC 2132) for the virtual switch's subnet: DISCOVER →
 * OFFER, REQUEST → ACK/NAK, RELEASE, DECLINE and INFORM, one address per client MAC from a
 * pool starting at e.g. 10.0.2.15 (QEMU's user-mode network plan), with subnet mask, router,
 * lease time and server identifier options. Written to what busybox `udhcpc` sends and accepts
 * (networking/udhcp/dhcpc.c: it listens on a raw socket, so both broadcast and unicast replies
 * reach it; it requires option 53 and the server identifier in OFFERs).
 */
import { getU16, getU32, putU16, putU32 } from './frame.js';

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
export const DHCP_MAGIC = 0x63825363;

export const DHCP = {
  DISCOVER: 1,
  OFFER: 2,
  REQUEST: 3,
  DECLINE: 4,
  ACK: 5,
  NAK: 6,
  RELEASE: 7,
  INFORM: 8,
} as const;

export const OPT = {
  PAD: 0,
  SUBNET_MASK: 1,
  ROUTER: 3,
  DNS: 6,
  BROADCAST: 28,
  REQUESTED_IP: 50,
  LEASE_TIME: 51,
  MESSAGE_TYPE: 53,
  SERVER_ID: 54,
  RENEWAL_T1: 58,
  REBINDING_T2: 59,
  END: 255,
} as const;

/** The fixed BOOTP part of a DHCP message (RFC 2131 figure 1) plus its options. */
export interface DhcpMessage {
  op: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: number;
  yiaddr: number;
  siaddr: number;
  giaddr: number;
  chaddr: Uint8Array;
  options: Map<number, Uint8Array>;
}

const FIXED = 236;

/** Parse a DHCP message from a UDP payload; undefined if malformed. */
export function parseDhcp(b: Uint8Array): DhcpMessage | undefined {
  if (b.length < FIXED + 4 || getU32(b, FIXED) !== DHCP_MAGIC) return undefined;
  if (b[1] !== 1 || b[2] !== 6) return undefined; // Ethernet, 6-byte hardware addresses only
  const options = new Map<number, Uint8Array>();
  let i = FIXED + 4;
  while (i < b.length) {
    const code = b[i++];
    if (code === OPT.PAD) continue;
    if (code === OPT.END) break;
    if (i >= b.length) return undefined;
    const len = b[i++];
    if (i + len > b.length) return undefined;
    // RFC 3396: repeated options are concatenated.
    const prev = options.get(code);
    const val = b.slice(i, i + len);
    if (prev) {
      const joined = new Uint8Array(prev.length + val.length);
      joined.set(prev);
      joined.set(val, prev.length);
      options.set(code, joined);
    } else options.set(code, val);
    i += len;
  }
  return {
    op: b[0],
    xid: getU32(b, 4),
    secs: getU16(b, 8),
    flags: getU16(b, 10),
    ciaddr: getU32(b, 12),
    yiaddr: getU32(b, 16),
    siaddr: getU32(b, 20),
    giaddr: getU32(b, 24),
    chaddr: b.slice(28, 34),
    options,
  };
}

/** Encode a DHCP message (options in insertion order, then END, padded to the BOOTP minimum of 300 bytes). */
export function encodeDhcp(m: DhcpMessage): Uint8Array {
  let optLen = 0;
  for (const v of m.options.values()) optLen += 2 + v.length;
  const b = new Uint8Array(Math.max(300, FIXED + 4 + optLen + 1));
  b[0] = m.op;
  b[1] = 1;
  b[2] = 6;
  putU32(b, 4, m.xid);
  putU16(b, 8, m.secs);
  putU16(b, 10, m.flags);
  putU32(b, 12, m.ciaddr);
  putU32(b, 16, m.yiaddr);
  putU32(b, 20, m.siaddr);
  putU32(b, 24, m.giaddr);
  b.set(m.chaddr.subarray(0, 6), 28);
  putU32(b, FIXED, DHCP_MAGIC);
  let i = FIXED + 4;
  for (const [code, v] of m.options) {
    b[i++] = code;
    b[i++] = v.length;
    b.set(v, i);
    i += v.length;
  }
  b[i] = OPT.END;
  return b;
}

export function u32Option(v: number): Uint8Array {
  const b = new Uint8Array(4);
  putU32(b, 0, v);
  return b;
}

export interface DhcpPoolOptions {
  serverIp: number;
  netmask: number;
  router: number;
  /** First address handed out. */
  first: number;
  /** Number of addresses in the pool. */
  size: number;
  leaseSeconds: number;
  dns?: number;
}

interface Lease {
  ip: number;
  mac: string;
  bound: boolean;
}

/**
 * The address-assignment logic of the server, independent of framing: takes a parsed client
 * message, returns the reply message (or undefined when RFC 2131 says stay silent).
 */
export class DhcpServer {
  private readonly byMac = new Map<string, Lease>();
  private readonly byIp = new Map<number, Lease>();
  private readonly declined = new Set<number>();

  constructor(readonly opts: DhcpPoolOptions) {}

  /** The address leased (offered or bound) to `mac` (12 hex digits), if any. */
  leaseOf(mac: string): number | undefined {
    return this.byMac.get(mac)?.ip;
  }

  handle(req: DhcpMessage): DhcpMessage | undefined {
    if (req.op !== 1) return undefined;
    const type = req.options.get(OPT.MESSAGE_TYPE)?.[0];
    const mac = Array.from(req.chaddr, (x) => x.toString(16).padStart(2, '0')).join('');
    const serverId = optU32(req, OPT.SERVER_ID);
    switch (type) {
      case DHCP.DISCOVER: {
        const lease = this.allocate(mac, optU32(req, OPT.REQUESTED_IP));
        if (!lease) return undefined; // pool exhausted: no offer (RFC 2131 4.3.1)
        return this.reply(req, DHCP.OFFER, lease.ip);
      }
      case DHCP.REQUEST: {
        if (serverId !== undefined && serverId !== this.opts.serverIp) {
          // The client chose another server: drop any offer we made.
          const l = this.byMac.get(mac);
          if (l && !l.bound) this.free(l);
          return undefined;
        }
        const wanted = optU32(req, OPT.REQUESTED_IP) ?? req.ciaddr;
        const lease = this.byMac.get(mac) ?? (wanted ? this.allocate(mac, wanted) : undefined);
        if (!lease || !wanted || lease.ip !== wanted) return this.reply(req, DHCP.NAK, 0);
        lease.bound = true;
        return this.reply(req, DHCP.ACK, lease.ip);
      }
      case DHCP.DECLINE: {
        const l = this.byMac.get(mac);
        if (l) {
          this.declined.add(l.ip);
          this.free(l);
        }
        return undefined;
      }
      case DHCP.RELEASE: {
        const l = this.byMac.get(mac);
        if (l && l.ip === req.ciaddr) this.free(l);
        return undefined;
      }
      case DHCP.INFORM:
        return this.reply(req, DHCP.ACK, 0);
      default:
        return undefined;
    }
  }

  private allocate(mac: string, requested: number | undefined): Lease | undefined {
    const have = this.byMac.get(mac);
    if (have) return have;
    const { first, size } = this.opts;
    const inPool = (ip: number) => ip >= first && ip < first + size;
    let ip: number | undefined;
    if (requested !== undefined && inPool(requested) && !this.byIp.has(requested) && !this.declined.has(requested)) ip = requested;
    for (let i = 0; ip === undefined && i < size; i++) {
      const c = (first + i) >>> 0;
      if (!this.byIp.has(c) && !this.declined.has(c)) ip = c;
    }
    if (ip === undefined) return undefined;
    const lease: Lease = { ip, mac, bound: false };
    this.byMac.set(mac, lease);
    this.byIp.set(ip, lease);
    return lease;
  }

  private free(l: Lease): void {
    this.byMac.delete(l.mac);
    this.byIp.delete(l.ip);
  }

  private reply(req: DhcpMessage, type: number, yiaddr: number): DhcpMessage {
    const o = this.opts;
    const options = new Map<number, Uint8Array>();
    options.set(OPT.MESSAGE_TYPE, Uint8Array.of(type));
    options.set(OPT.SERVER_ID, u32Option(o.serverIp));
    if (type !== DHCP.NAK) {
      if (type !== DHCP.ACK || yiaddr !== 0) {
        options.set(OPT.LEASE_TIME, u32Option(o.leaseSeconds));
        options.set(OPT.RENEWAL_T1, u32Option(Math.floor(o.leaseSeconds / 2)));
        options.set(OPT.REBINDING_T2, u32Option(Math.floor((o.leaseSeconds * 7) / 8)));
      }
      options.set(OPT.SUBNET_MASK, u32Option(o.netmask));
      options.set(OPT.ROUTER, u32Option(o.router));
      options.set(OPT.BROADCAST, u32Option((o.serverIp & o.netmask) | (~o.netmask >>> 0)));
      if (o.dns !== undefined) options.set(OPT.DNS, u32Option(o.dns));
    }
    return {
      op: 2,
      xid: req.xid,
      secs: 0,
      flags: req.flags,
      ciaddr: type === DHCP.ACK && yiaddr === 0 ? req.ciaddr : 0,
      yiaddr,
      siaddr: 0,
      giaddr: req.giaddr,
      chaddr: req.chaddr,
      options,
    };
  }
}

function optU32(m: DhcpMessage, code: number): number | undefined {
  const v = m.options.get(code);
  return v && v.length >= 4 ? getU32(v, 0) : undefined;
}

/** The virtual switch, the gateway services (ARP, ICMP, DHCP), message-channel bridges and the WebSocket port. */
import { describe, expect, it } from 'vitest';
import { VirtualSwitch } from '../../src/net/switch.js';
import { NetworkServices } from '../../src/net/services.js';
import { DHCP, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, OPT, encodeDhcp, parseDhcp, u32Option, type DhcpMessage } from '../../src/net/dhcp.js';
import { BROADCAST_MAC, ETHERTYPE_ARP, ETHERTYPE_IPV4, IPPROTO_ICMP, ethernetFrame, getU16, getU32, internetChecksum, parseIpv4, putU16, putU32, udpFrame, writeIpv4Header } from '../../src/net/frame.js';
import { RemotePacketPort, bridgePort, packetPortFromDescription, PACKET_PORT_KIND, type MessageEndpoint } from '../../src/net/remote.js';
import { MessageChannel as NodeMessageChannel } from 'node:worker_threads';
import { WebSocketPort, type WebSocketLike } from '../../src/net/websocket.js';
import { MAC_A, MAC_B, testFrame } from './helpers.js';

const MAC_C = Uint8Array.from([0x52, 0x54, 0x00, 0x00, 0x00, 0x0c]);

function listen(p: { onReceive(cb: (f: Uint8Array) => void): () => void }): Uint8Array[] {
  const got: Uint8Array[] = [];
  p.onReceive((f) => got.push(f.slice()));
  return got;
}

describe('virtual switch', () => {
  it('floods unknown unicast and broadcast, then forwards learned unicast to one port', () => {
    const sw = new VirtualSwitch();
    const a = sw.connect('a'), b = sw.connect('b'), c = sw.connect('c');
    const ra = listen(a), rb = listen(b), rc = listen(c);
    a.send(testFrame(MAC_B, MAC_A, 50));
    expect([ra.length, rb.length, rc.length]).toEqual([0, 1, 1]);
    b.send(testFrame(MAC_A, MAC_B, 50)); // A is known: only to a
    expect([ra.length, rb.length, rc.length]).toEqual([1, 1, 1]);
    a.send(testFrame(MAC_B, MAC_A, 50)); // B learned now
    expect([ra.length, rb.length, rc.length]).toEqual([1, 2, 1]);
    c.send(testFrame(BROADCAST_MAC, MAC_C, 50));
    expect([ra.length, rb.length, rc.length]).toEqual([2, 3, 1]);
    expect(sw.lookup('52:54:00:12:34:56')).toBe(a);
  });

  it('ports with link down neither send nor receive, and see the change', () => {
    const sw = new VirtualSwitch();
    const a = sw.connect(), b = sw.connect();
    const rb = listen(b);
    const changes: boolean[] = [];
    b.onLinkChange((up) => changes.push(up));
    b.setLink(false);
    a.send(testFrame(BROADCAST_MAC, MAC_A, 50));
    b.send(testFrame(BROADCAST_MAC, MAC_B, 50));
    expect(rb.length).toBe(0);
    expect(a.stats.rxFrames).toBe(0);
    b.setLink(true);
    b.disconnect();
    expect(changes).toEqual([false, true, false]);
    expect(sw.portCount).toBe(1);
  });

  it('answers from inside a receive callback are queued, not recursed', () => {
    const sw = new VirtualSwitch();
    const a = sw.connect(), b = sw.connect();
    let depth = 0;
    let maxDepth = 0;
    const order: string[] = [];
    // b echoes everything back; a counts. Bounded by the queue, never recursive.
    b.onReceive((f) => { depth++; maxDepth = Math.max(maxDepth, depth); order.push('b'); if (order.length < 50) b.send(f); depth--; });
    a.onReceive((f) => { order.push('a'); if (order.length < 50) a.send(f); });
    a.send(testFrame(MAC_B, MAC_A, 50));
    expect(maxDepth).toBe(1);
    expect(order.length).toBe(50);
  });
});

function dhcpFrame(mac: Uint8Array, type: number, xid: number, extra: [number, Uint8Array][] = [], flags = 0x8000, ciaddr = 0): Uint8Array {
  const options = new Map<number, Uint8Array>([[OPT.MESSAGE_TYPE, Uint8Array.of(type)], ...extra]);
  const msg: DhcpMessage = { op: 1, xid, secs: 0, flags, ciaddr, yiaddr: 0, siaddr: 0, giaddr: 0, chaddr: mac, options };
  return udpFrame(BROADCAST_MAC, mac, ciaddr, 0xffffffff, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, encodeDhcp(msg));
}

function parseReply(f: Uint8Array): { msg: DhcpMessage; dstIp: number; dstMac: Uint8Array } {
  const ip = parseIpv4(f)!;
  expect(ip).toBeDefined();
  expect(internetChecksum(f, ip.ip, ip.payload)).toBe(0);
  expect(getU16(f, ip.payload)).toBe(DHCP_SERVER_PORT);
  expect(getU16(f, ip.payload + 2)).toBe(DHCP_CLIENT_PORT);
  const msg = parseDhcp(f.subarray(ip.payload + 8, ip.end))!;
  expect(msg).toBeDefined();
  return { msg, dstIp: ip.dst, dstMac: f.slice(0, 6) };
}

const ip = (s: string) => s.split('.').reduce((a, b) => ((a << 8) | Number(b)) >>> 0, 0);

describe('gateway services', () => {
  it('DHCP: DISCOVER → OFFER, REQUEST → ACK with mask, router, lease and server id; one address per MAC', () => {
    const sw = new VirtualSwitch();
    const svc = new NetworkServices(sw.connect('services'));
    const client = sw.connect('guest');
    const rx = listen(client);
    client.send(dhcpFrame(MAC_A, DHCP.DISCOVER, 0x1111));
    expect(rx.length).toBe(1);
    const offer = parseReply(rx[0]);
    expect(offer.dstIp).toBe(0xffffffff); // broadcast flag set
    expect(offer.msg.op).toBe(2);
    expect(offer.msg.xid).toBe(0x1111);
    expect(offer.msg.yiaddr).toBe(ip('10.0.2.15'));
    const o = offer.msg.options;
    expect(o.get(OPT.MESSAGE_TYPE)![0]).toBe(DHCP.OFFER);
    expect(getU32(o.get(OPT.SERVER_ID)!, 0)).toBe(ip('10.0.2.2'));
    expect(getU32(o.get(OPT.SUBNET_MASK)!, 0)).toBe(ip('255.255.255.0'));
    expect(getU32(o.get(OPT.ROUTER)!, 0)).toBe(ip('10.0.2.2'));
    expect(getU32(o.get(OPT.LEASE_TIME)!, 0)).toBe(86400);
    client.send(dhcpFrame(MAC_A, DHCP.REQUEST, 0x1112, [[OPT.REQUESTED_IP, u32Option(ip('10.0.2.15'))], [OPT.SERVER_ID, u32Option(ip('10.0.2.2'))]]));
    const ack = parseReply(rx[1]);
    expect(ack.msg.options.get(OPT.MESSAGE_TYPE)![0]).toBe(DHCP.ACK);
    expect(ack.msg.yiaddr).toBe(ip('10.0.2.15'));
    // A second client gets the next address; the first keeps its own.
    client.send(dhcpFrame(MAC_B, DHCP.DISCOVER, 0x2222, [], 0));
    const offerB = parseReply(rx[2]);
    expect(offerB.msg.yiaddr).toBe(ip('10.0.2.16'));
    expect(offerB.dstIp).toBe(ip('10.0.2.16')); // unicast: no broadcast flag
    expect(Array.from(offerB.dstMac)).toEqual(Array.from(MAC_B));
    client.send(dhcpFrame(MAC_A, DHCP.DISCOVER, 0x3333));
    expect(parseReply(rx[3]).msg.yiaddr).toBe(ip('10.0.2.15'));
    // A request for someone else's address is refused.
    client.send(dhcpFrame(MAC_B, DHCP.REQUEST, 0x4444, [[OPT.REQUESTED_IP, u32Option(ip('10.0.2.15'))]]));
    expect(parseReply(rx[4]).msg.options.get(OPT.MESSAGE_TYPE)![0]).toBe(DHCP.NAK);
    // A request naming another server is ignored.
    client.send(dhcpFrame(MAC_B, DHCP.REQUEST, 0x5555, [[OPT.SERVER_ID, u32Option(ip('10.0.2.99'))]]));
    expect(rx.length).toBe(5);
    expect(svc.stats.dhcpReplies).toBe(5);
  });

  it('ARP for the gateway is answered; ping of the gateway gets an echo reply', () => {
    const sw = new VirtualSwitch();
    const svc = new NetworkServices(sw.connect());
    const guest = sw.connect();
    const rx = listen(guest);
    const arp = ethernetFrame(BROADCAST_MAC, MAC_A, ETHERTYPE_ARP, 28);
    putU16(arp, 14, 1); putU16(arp, 16, 0x0800); arp[18] = 6; arp[19] = 4; putU16(arp, 20, 1);
    arp.set(MAC_A, 22); putU32(arp, 28, ip('10.0.2.15')); putU32(arp, 38, ip('10.0.2.2'));
    guest.send(arp);
    expect(rx.length).toBe(1);
    expect(getU16(rx[0], 12)).toBe(ETHERTYPE_ARP);
    expect(getU16(rx[0], 20)).toBe(2);
    expect(Array.from(rx[0].subarray(22, 28))).toEqual(Array.from(svc.mac));
    expect(getU32(rx[0], 28)).toBe(ip('10.0.2.2'));
    expect(Array.from(rx[0].subarray(0, 6))).toEqual(Array.from(MAC_A));
    // ICMP echo request.
    const data = Uint8Array.from({ length: 56 }, (_, i) => i);
    const ping = ethernetFrame(svc.mac, MAC_A, ETHERTYPE_IPV4, 20 + 8 + data.length);
    writeIpv4Header(ping, IPPROTO_ICMP, ip('10.0.2.15'), ip('10.0.2.2'), 8 + data.length, 7);
    ping[34] = 8; putU16(ping, 38, 0x4242); putU16(ping, 40, 1); ping.set(data, 42);
    putU16(ping, 36, internetChecksum(ping, 34, ping.length));
    guest.send(ping);
    expect(rx.length).toBe(2);
    const r = rx[1];
    const v = parseIpv4(r)!;
    expect(v.src).toBe(ip('10.0.2.2'));
    expect(v.dst).toBe(ip('10.0.2.15'));
    expect(r[34]).toBe(0);
    expect(getU16(r, 38)).toBe(0x4242);
    expect(internetChecksum(r, 34, v.end)).toBe(0);
    expect(Array.from(r.subarray(42, v.end))).toEqual(Array.from(data));
    // Pings to other addresses and corrupted pings are ignored.
    putU16(ping, 36, 0);
    guest.send(ping);
    expect(rx.length).toBe(2);
  });
});

describe('UDP echo', () => {
  it('echoes datagrams with a good checksum (or none) and drops bad ones', () => {
    const sw = new VirtualSwitch();
    const svc = new NetworkServices(sw.connect());
    const guest = sw.connect();
    const rx = listen(guest);
    const data = new TextEncoder().encode('offload check');
    const f = udpFrame(svc.mac, MAC_A, ip('10.0.2.15'), ip('10.0.2.2'), 40000, 7, data);
    guest.send(f);
    expect(rx.length).toBe(1);
    const r = parseIpv4(rx[0])!;
    expect(r.dst).toBe(ip('10.0.2.15'));
    expect(getU16(rx[0], r.payload)).toBe(7);
    expect(getU16(rx[0], r.payload + 2)).toBe(40000);
    expect(new TextDecoder().decode(rx[0].subarray(r.payload + 8, r.end))).toBe('offload check');
    const bad = f.slice();
    bad[bad.length - 1] ^= 1;
    guest.send(bad);
    expect(rx.length).toBe(1);
    expect(svc.stats.udpBadChecksums).toBe(1);
    const none = f.slice();
    putU16(none, 40, 0);
    guest.send(none);
    expect(rx.length).toBe(2);
  });
});

/** Two endpoints that deliver each other's messages synchronously. */
function endpointPair(): [MessageEndpoint, MessageEndpoint] {
  const make = () => {
    const listeners = new Set<(ev: { data: unknown }) => void>();
    let peer: { emit(d: unknown): void };
    const ep = {
      postMessage: (m: unknown) => peer.emit(structuredClone(m)),
      addEventListener: (_t: 'message', l: (ev: { data: unknown }) => void) => listeners.add(l),
      removeEventListener: (_t: 'message', l: (ev: { data: unknown }) => void) => listeners.delete(l),
      emit: (d: unknown) => { for (const l of [...listeners]) l({ data: d }); },
      setPeer: (p: { emit(d: unknown): void }) => (peer = p),
    };
    return ep;
  };
  const a = make(), b = make();
  a.setPeer(b);
  b.setPeer(a);
  return [a, b];
}

describe('remote ports', () => {
  it('a RemotePacketPort behind bridgePort behaves like the switch port it stands for', () => {
    const sw = new VirtualSwitch();
    const local = sw.connect('local');
    const portForWorker = sw.connect('worker');
    const [main, worker] = endpointPair();
    const stop = bridgePort(portForWorker, main);
    const remote = new RemotePacketPort(worker);
    expect(remote.linkUp).toBe(true);
    const rl = listen(local), rr = listen(remote);
    remote.send(testFrame(MAC_B, MAC_A, 80));
    local.send(testFrame(MAC_A, MAC_B, 80));
    expect(rl.length).toBe(1);
    expect(rr.length).toBe(1);
    const links: boolean[] = [];
    remote.onLinkChange((u) => links.push(u));
    portForWorker.setLink(false);
    expect(remote.linkUp).toBe(false);
    expect(links).toEqual([false]);
    stop();
    worker.postMessage({ t: 'frame', data: new Uint8Array(3) }); // malformed: ignored
    worker.postMessage('junk');
  });

  it('works over a real MessageChannel, through the worker backend adapter', async () => {
    const sw = new VirtualSwitch();
    const local = sw.connect('local');
    const ch = new NodeMessageChannel();
    bridgePort(sw.connect('nic'), ch.port1 as unknown as MessageEndpoint);
    const remote = packetPortFromDescription({ kind: PACKET_PORT_KIND, port: ch.port2 })!;
    expect(packetPortFromDescription({ kind: PACKET_PORT_KIND, port: 42 })).toBeUndefined();
    const got: Uint8Array[] = [];
    remote.onReceive((f) => got.push(f.slice()));
    for (let i = 0; i < 50 && !remote.linkUp; i++) await new Promise((r) => setTimeout(r, 5));
    expect(remote.linkUp).toBe(true);
    local.send(testFrame(BROADCAST_MAC, MAC_B, 64));
    const rl = listen(local);
    remote.send(testFrame(MAC_B, MAC_A, 64));
    for (let i = 0; i < 50 && (got.length === 0 || rl.length === 0); i++) await new Promise((r) => setTimeout(r, 5));
    expect(got.length).toBe(1);
    expect(rl.length).toBe(1);
    ch.port1.close();
  });

  it('two switches joined over a broadcast medium exchange frames (tabs over BroadcastChannel)', async () => {
    const sw1 = new VirtualSwitch(), sw2 = new VirtualSwitch();
    const bc1 = new BroadcastChannel('bulkhead-test-net'), bc2 = new BroadcastChannel('bulkhead-test-net');
    const stop1 = bridgePort(sw1.connect('trunk'), bc1 as unknown as MessageEndpoint);
    const stop2 = bridgePort(sw2.connect('trunk'), bc2 as unknown as MessageEndpoint);
    const a = sw1.connect(), b = sw2.connect();
    const rb = listen(b);
    a.send(testFrame(BROADCAST_MAC, MAC_A, 64));
    for (let i = 0; i < 50 && rb.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(rb.length).toBe(1);
    expect(Array.from(rb[0].subarray(6, 12))).toEqual(Array.from(MAC_A));
    stop1(); stop2(); bc1.close(); bc2.close();
  });
});

class FakeSocket implements WebSocketLike {
  static last: FakeSocket;
  binaryType = 'blob';
  readyState = 0;
  sent: Uint8Array[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  constructor(readonly url: string) { FakeSocket.last = this; }
  send(d: ArrayBuffer | Uint8Array) { this.sent.push(new Uint8Array(d as ArrayBuffer)); }
  close() { this.readyState = 3; this.onclose?.({}); }
  open() { this.readyState = 1; this.onopen?.({}); }
}

describe('WebSocket port', () => {
  it('link follows the socket; one frame per binary message; reconnects with backoff', () => {
    const delays: number[] = [];
    const pendingCbs: (() => void)[] = [];
    const p = new WebSocketPort(FakeSocket, 'wss://relay.example/', { schedule: (cb, ms) => { delays.push(ms); pendingCbs.push(cb); } });
    const ws = FakeSocket.last;
    expect(ws.binaryType).toBe('arraybuffer');
    expect(p.linkUp).toBe(false);
    p.send(testFrame(MAC_B, MAC_A, 50));
    expect(p.dropped).toBe(1);
    const links: boolean[] = [];
    p.onLinkChange((u) => links.push(u));
    ws.open();
    expect(p.linkUp).toBe(true);
    const f = testFrame(MAC_B, MAC_A, 50);
    p.send(f);
    expect(Array.from(ws.sent[0])).toEqual(Array.from(f));
    const rx = listen(p);
    ws.onmessage!({ data: testFrame(MAC_A, MAC_B, 70).buffer });
    ws.onmessage!({ data: 'hello' });
    ws.onmessage!({ data: new ArrayBuffer(5) });
    expect(rx.length).toBe(1);
    expect(p.rejected).toBe(2);
    ws.close();
    expect(p.linkUp).toBe(false);
    expect(delays).toEqual([1000]);
    pendingCbs.shift()!();
    expect(FakeSocket.last).not.toBe(ws);
    FakeSocket.last.close();
    expect(delays).toEqual([1000, 2000]);
    expect(links).toEqual([true, false]);
    p.close();
    expect(() => new WebSocketPort(FakeSocket, 'http://x')).toThrow();
  });
});

/**
 * NICs on one virtual switch, driven through their registers like their Linux drivers: an
 * e1000 and an ne2k_pci exchange frames both ways; an NE2000 guest runs a DHCP exchange with
 * the gateway services and pings the gateway.
 */
import { describe, expect, it } from 'vitest';
import { e1000Type, ne2kPciType } from '../../src/devices/network/index.js';
import { REG } from '../../src/devices/network/e1000-regs.js';
import { VirtualSwitch } from '../../src/net/switch.js';
import { NetworkServices } from '../../src/net/services.js';
import { DHCP, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, OPT, encodeDhcp, parseDhcp, u32Option } from '../../src/net/dhcp.js';
import { BROADCAST_MAC, ETHERTYPE_IPV4, IPPROTO_ICMP, ethernetFrame, getU16, getU32, internetChecksum, parseIpv4, putU16, udpFrame, writeIpv4Header } from '../../src/net/frame.js';
import { FlatMemory, fakeHost } from '../fakes.js';
import { TX_BUFS, putTxLegacy, rxDesc, setupRx, setupTx, RX_BUFS, type Rig } from './e1000-helpers.js';
import { ENISR_RX, EN0_ISR, inb, ne2kReceiveAll, ne2kSend, ns8390Init, testFrame } from './helpers.js';

const MAC_E = Uint8Array.from([0x52, 0x54, 0x00, 0x00, 0x10, 0x00]);
const MAC_N = Uint8Array.from([0x52, 0x54, 0x00, 0x00, 0x20, 0x00]);

describe('two NICs on one switch', () => {
  it('e1000 → ne2k_pci and back, through the switch', () => {
    const sw = new VirtualSwitch();
    const mem = new FlatMemory(0x100000);
    const eHost = fakeHost({ memory: mem, backend: sw.connect('e1000') });
    const e = e1000Type.create(eHost, { mac: '52:54:00:00:10:00' });
    const t: Rig = { dev: e, host: eHost, mem, port: undefined as never, w: (o, v) => e.mmioWrite!(0, o, 4, v >>> 0), r: (o) => e.mmioRead!(0, o, 4) >>> 0 };
    const nHost = fakeHost({ backend: sw.connect('ne2k') });
    const n = ne2kPciType.create(nHost, { mac: '52:54:00:00:20:00' });
    const ring = ns8390Init(n, MAC_N);
    setupTx(t);
    setupRx(t, 2 | (1 << 15)); // EN | BAM, CRC kept (Linux strips 4 bytes)
    t.w(REG.IMS, 0x80);

    const hello = testFrame(MAC_N, MAC_E, 200, 5);
    mem.write(TX_BUFS, hello);
    putTxLegacy(mem, 0, TX_BUFS, hello.length, 0x0b);
    t.w(REG.TDT, 1);
    expect(nHost.irqs[0].level).toBe(true);
    expect(inb(n, EN0_ISR) & ENISR_RX).toBe(ENISR_RX);
    const got = ne2kReceiveAll(n, ring);
    expect(got.map((g) => Array.from(g))).toEqual([Array.from(hello)]);

    const reply = testFrame(MAC_E, MAC_N, 100, 9);
    ne2kSend(n, reply);
    expect(eHost.irqs[0].level).toBe(true);
    const d = rxDesc(mem, 0);
    expect(d.status & 3).toBe(3);
    expect(d.length - 4).toBe(reply.length);
    expect(Array.from(mem.bytes.subarray(RX_BUFS, RX_BUFS + reply.length))).toEqual(Array.from(reply));
    // The switch learned both.
    expect(sw.lookup('52:54:00:00:10:00')?.name).toBe('e1000');
    expect(sw.lookup('52:54:00:00:20:00')?.name).toBe('ne2k');
  });

  it('an NE2000 guest gets a lease by DHCP and pings the gateway', () => {
    const sw = new VirtualSwitch();
    const svc = new NetworkServices(sw.connect('services'));
    const host = fakeHost({ backend: sw.connect('guest') });
    const n = ne2kPciType.create(host, { mac: '52:54:00:00:20:00' });
    const ring = ns8390Init(n, MAC_N);
    const dhcp = (type: number, extra: [number, Uint8Array][]) => {
      const options = new Map<number, Uint8Array>([[OPT.MESSAGE_TYPE, Uint8Array.of(type)], ...extra]);
      const payload = encodeDhcp({ op: 1, xid: 0xabcd, secs: 0, flags: 0, ciaddr: 0, yiaddr: 0, siaddr: 0, giaddr: 0, chaddr: MAC_N, options });
      return udpFrame(BROADCAST_MAC, MAC_N, 0, 0xffffffff, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, payload);
    };
    const readDhcp = () => {
      const [f] = ne2kReceiveAll(n, ring);
      const ip = parseIpv4(f)!;
      return parseDhcp(f.subarray(ip.payload + 8, ip.end))!;
    };
    ne2kSend(n, dhcp(DHCP.DISCOVER, []));
    const offer = readDhcp();
    expect(offer.options.get(OPT.MESSAGE_TYPE)![0]).toBe(DHCP.OFFER);
    ne2kSend(n, dhcp(DHCP.REQUEST, [[OPT.REQUESTED_IP, u32Option(offer.yiaddr)], [OPT.SERVER_ID, offer.options.get(OPT.SERVER_ID)!]]));
    const ack = readDhcp();
    expect(ack.options.get(OPT.MESSAGE_TYPE)![0]).toBe(DHCP.ACK);
    expect(ack.yiaddr).toBe(0x0a00020f);
    // ping 10.0.2.2 (the gateway's MAC would come from ARP; the services answer it too).
    const ping = ethernetFrame(svc.mac, MAC_N, ETHERTYPE_IPV4, 28 + 32);
    writeIpv4Header(ping, IPPROTO_ICMP, ack.yiaddr, getU32(ack.options.get(OPT.ROUTER)!, 0), 40, 1);
    ping[34] = 8;
    putU16(ping, 38, 77);
    putU16(ping, 36, internetChecksum(ping, 34, ping.length));
    ne2kSend(n, ping);
    const [echo] = ne2kReceiveAll(n, ring);
    expect(echo[34]).toBe(0);
    expect(getU16(echo, 38)).toBe(77);
    expect(svc.stats.echoReplies).toBe(1);
  });
});

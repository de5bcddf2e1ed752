/**
 * Helpers shared by the NIC models: the `mac` property (parsed, or a deterministic default
 * from the instance's seeded random source in QEMU's 52:54:00 locally administered range),
 * the backend check, and the big-endian CRC-32 both the DP8390 and the 8254x multicast
 * filters hash with.
 */
import type { DeviceHost, DeviceProps, PropertySpec } from '../api.js';
import { isPacketPort, type PacketPort } from '../../net/packet-port.js';

export const MAC_PROPERTY: PropertySpec = {
  type: 'string',
  default: '',
  description: 'MAC address "52:54:00:xx:xx:xx"; empty = 52:54:00 plus three bytes from the instance\'s seeded random source (the machine should pass defaultMacFor(id) for a placement-independent address)',
};

export const NETDEV_PROPERTY: PropertySpec = {
  type: 'string',
  default: '',
  description: 'Id of the machine netdev this NIC plugs into (a virtual switch or a WebSocket relay, QEMU\'s -netdev); empty = no medium (link down) unless the machine config gives a backend',
};

/** The MAC for this instance: from props.mac, else 52:54:00 + three bytes from host.random(). */
export function macFromProps(host: DeviceHost, props: DeviceProps, device: string): Uint8Array {
  const text = typeof props.mac === 'string' ? props.mac.trim() : '';
  if (text) {
    const parts = text.split(/[:-]/);
    if (parts.length === 6 && parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) {
      const mac = Uint8Array.from(parts, (p) => parseInt(p, 16));
      if (mac[0] & 1) throw new RangeError(`${device}: mac ${text} is a multicast address`);
      return mac;
    }
    throw new RangeError(`${device}: bad mac '${text}'`);
  }
  const mac = new Uint8Array([0x52, 0x54, 0x00, 0, 0, 0]);
  for (let i = 3; i < 6; i++) mac[i] = Math.floor(host.random() * 256) & 0xff;
  return mac;
}

/**
 * A placement-independent MAC for a device instance id (52:54:00 + 24 bits of an FNV-1a hash
 * of the id): what the machine should put into props.mac when the user gave none, because
 * host.random() is seeded differently in the isolated and monolithic placements.
 */
export function defaultMacFor(id: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return ['52', '54', '00', (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff].map((x) => (typeof x === 'string' ? x : x.toString(16).padStart(2, '0'))).join(':');
}

/** host.backend as a PacketPort, or undefined (then the NIC has no medium: link down). */
export function packetPortOf(host: DeviceHost, device: string): PacketPort | undefined {
  if (host.backend === undefined || host.backend === null) return undefined;
  if (isPacketPort(host.backend)) return host.backend;
  host.log.log('warn', `${device}: backend is not a packet port; running unplugged`);
  return undefined;
}

/**
 * CRC-32 (polynomial 0x04C11DB7) over `len` bytes, each byte fed least significant bit first,
 * register preset to all ones, not inverted: the Ethernet FCS register as the DP8390 and the
 * 8254x multicast hash see it after the destination address (QEMU net_crc32, Linux ether_crc).
 */
export function etherCrcBE(data: Uint8Array, offset: number, len: number): number {
  let crc = 0xffffffff;
  for (let i = 0; i < len; i++) {
    let b = data[offset + i];
    for (let bit = 0; bit < 8; bit++) {
      const carry = ((crc >>> 31) ^ (b & 1)) & 1;
      crc = (crc << 1) >>> 0;
      b >>= 1;
      if (carry) crc = ((crc ^ 0x04c11db7) | carry) >>> 0;
    }
  }
  return crc >>> 0;
}

/** Minimum Ethernet frame without FCS; the sending MAC pads shorter frames to this. */
export const ETH_ZLEN = 60;

/** Pad a frame from the wire to the Ethernet minimum (copy). */
export function padFrame(frame: Uint8Array): Uint8Array {
  if (frame.length >= ETH_ZLEN) return frame;
  const f = new Uint8Array(ETH_ZLEN);
  f.set(frame);
  return f;
}

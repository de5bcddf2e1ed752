/**
 * Device types of the 'network' class, collected for the registry (src/devices/registry.ts):
 * `ne2k_isa` and `ne2k_pci` (the DP8390 core in dp8390.ts) and `e1000` (e1000.ts). Names,
 * IDs and default resources as QEMU's hw/net/ne2000-isa.c, ne2000-pci.c and e1000.c.
 * host.backend is the NIC's PacketPort (src/net/packet-port.ts); without one the NIC runs
 * unplugged (e1000: link down; NE2000: transmits report carrier lost).
 */
import type { DeviceHost, DeviceProps, DeviceType, Resources } from '../api.js';
import { DP8390_STATE_VERSION, Dp8390, NE_IO_SIZE } from './dp8390.js';
import { E1000, E1000_DEVICE_ID, E1000_STATE_VERSION, E1000_SUBSYSTEM_ID } from './e1000.js';
import { E1000_IO_SIZE, E1000_MMIO_SIZE } from './e1000-regs.js';
import { MAC_PROPERTY, NETDEV_PROPERTY, macFromProps, packetPortOf } from './nic-common.js';

const NE2K_SECURE_REASON =
  'Not security supported: the i386 device classification posted to qemu-devel in 2021 puts ne2000 ' +
  '(ISA and PCI) among the legacy devices kept for old guests, outside the virtualization security boundary; ' +
  'the guest programs its ring pointers and remote DMA freely, and the model was never reviewed as a security ' +
  'boundary. Use e1000 where a guest is untrusted.';

function isaResources(props: DeviceProps): Resources {
  const iobase = Number(props.iobase ?? 0x300);
  const irq = Number(props.irq ?? 9);
  if (!Number.isInteger(iobase) || iobase < 0 || iobase > 0xffe0 || iobase % 0x20 !== 0) throw new RangeError(`ne2k_isa: bad iobase ${String(props.iobase)}`);
  if (!Number.isInteger(irq) || irq < 0 || irq > 15) throw new RangeError(`ne2k_isa: bad irq ${String(props.irq)}`);
  return { ports: [{ name: 'NE2000', base: iobase, length: NE_IO_SIZE }], mmio: [], irqs: [irq] };
}

export const ne2kIsaType: DeviceType = {
  name: 'ne2k_isa',
  class: 'network',
  bus: 'isa',
  description: 'NE2000-compatible ISA Ethernet adapter (National Semiconductor DP8390)',
  secure: false,
  secureReason: NE2K_SECURE_REASON,
  hotpluggable: false,
  capabilities: ['network'],
  properties: {
    iobase: { type: 'number', default: 0x300, description: 'I/O base (32 ports)', choices: [0x280, 0x300, 0x320, 0x340, 0x360] },
    irq: { type: 'number', default: 9, description: 'ISA IRQ', choices: [3, 4, 5, 7, 9, 10, 11, 12, 15] },
    mac: MAC_PROPERTY,
    netdev: NETDEV_PROPERTY,
  },
  resources: isaResources,
  stateVersion: DP8390_STATE_VERSION,
  create(host: DeviceHost, props: DeviceProps) {
    return new Dp8390(host, macFromProps(host, props, 'ne2k_isa'), { name: 'ne2k_isa', rtl8029: false }, packetPortOf(host, 'ne2k_isa'));
  },
};

export const ne2kPciType: DeviceType = {
  name: 'ne2k_pci',
  class: 'network',
  bus: 'pci',
  description: 'Realtek RTL8029AS PCI Ethernet adapter (NE2000-compatible DP8390 core)',
  secure: false,
  secureReason: NE2K_SECURE_REASON,
  // PCI devices can be hot-plugged in QEMU; Bulkhead's machine does not implement PCI hotplug
  // yet, so this only records that the device itself would allow it.
  hotpluggable: true,
  capabilities: ['network'],
  properties: { mac: MAC_PROPERTY, netdev: NETDEV_PROPERTY },
  resources(): Resources {
    return {
      ports: [],
      mmio: [],
      irqs: [],
      pci: {
        vendorId: 0x10ec,
        deviceId: 0x8029,
        classCode: 0x020000,
        revision: 0,
        subsystemVendorId: 0x10ec,
        subsystemId: 0x8029,
        interruptPin: 1,
        bars: [{ index: 0, kind: 'io', size: NE_IO_SIZE }],
      },
    };
  },
  stateVersion: DP8390_STATE_VERSION,
  create(host: DeviceHost, props: DeviceProps) {
    return new Dp8390(host, macFromProps(host, props, 'ne2k_pci'), { name: 'ne2k_pci', rtl8029: true }, packetPortOf(host, 'ne2k_pci'));
  },
};

export const e1000Type: DeviceType = {
  name: 'e1000',
  class: 'network',
  bus: 'pci',
  description: 'Intel 82540EM Gigabit Ethernet controller (PRO/1000 MT Desktop)',
  secure: true,
  secureReason:
    "Security supported: the i386 classification posted to qemu-devel in 2021 keeps e1000 in the virtualization " +
    'use case (the default NIC of QEMU PC machines, maintained for untrusted guests). Here every descriptor is ' +
    'copied out of guest RAM before use and ring lengths, indices and buffer sizes are bounded.',
  hotpluggable: true, // see ne2k_pci: the machine has no PCI hotplug yet
  capabilities: ['network', 'guest-memory', 'timers'],
  properties: { mac: MAC_PROPERTY, netdev: NETDEV_PROPERTY },
  resources(): Resources {
    return {
      // BAR0 becomes mmio region 0 and BAR1 port region 0 (api.ts Resources).
      ports: [],
      mmio: [],
      irqs: [],
      pci: {
        vendorId: 0x8086,
        deviceId: E1000_DEVICE_ID,
        classCode: 0x020000,
        revision: 3,
        subsystemVendorId: 0x8086,
        subsystemId: E1000_SUBSYSTEM_ID,
        interruptPin: 1,
        bars: [
          { index: 0, kind: 'mem32', size: E1000_MMIO_SIZE },
          { index: 1, kind: 'io', size: E1000_IO_SIZE },
        ],
      },
    };
  },
  stateVersion: E1000_STATE_VERSION,
  create(host: DeviceHost, props: DeviceProps) {
    if (!host.memory) host.log.log('warn', 'e1000: no guest-memory access granted; DMA is disabled');
    return new E1000(host, macFromProps(host, props, 'e1000'), packetPortOf(host, 'e1000'));
  },
};

export const networkDeviceTypes: DeviceType[] = [ne2kIsaType, ne2kPciType, e1000Type];
export { defaultMacFor, macFromProps } from './nic-common.js';

/**
 * Intel 82371SB PIIX3 PCI-to-ISA bridge, function 0 (`PIIX3`, PCI 00:01.0, 8086:7000): the
 * device-specific configuration registers, including PIRQ route control (0x60-0x63) that maps
 * PCI INTA#-INTD# onto ISA IRQs.
 *
 * Follows the Intel 82371FB/82371SB datasheet (order no. 290550) register list and QEMU's
 * hw/isa/piix.c reset values (IORT 0x4D, XBCS 0x03, PIRQRC 0x80, TOM 0x02, MBIRQ0 0x80, MBDMA
 * 0x0C, PCSC 0x02, SMICNTL 0x08, FTMR 0x0F). As in QEMU, the other device-specific bytes are
 * plain read/write storage. The ELCR lives with the PIC (pic.ts) and the reset control register
 * at 0xCF9 with the host bridge's port range (i440fx.ts).
 *
 * No I/O regions: everything is reached through PCI configuration space.
 */
import type { AccessSize, DeviceHost, DeviceModel, DeviceState, DeviceType, PciIdentity } from '../../api.js';
import { checkState, stBytes } from '../util.js';
import type { PirqRouter } from './bus.js';
import type { PciHeaderDefaults } from './config-space.js';

const TYPE = 'PIIX3';
const STATE_VERSION = 1;
export const PIRQ_FIRST = 0x60;
/** ISA IRQs a PIRQ may be routed to (PIIX3 datasheet, PIRQRC bits 3:0). */
const ROUTABLE = new Set([3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15]);

export const PIIX3_IDENTITY: PciIdentity = {
  vendorId: 0x8086,
  deviceId: 0x7000,
  classCode: 0x060100,
  revision: 0,
  bars: [],
};

/** The devfn QEMU and SeaBIOS expect the PIIX3 at (00:01.0). */
export const PIIX3_DEVFN = 0x08;

const RESET_VALUES: [number, number][] = [
  [0x4c, 0x4d], [0x4e, 0x03], [0x60, 0x80], [0x61, 0x80], [0x62, 0x80], [0x63, 0x80], [0x69, 0x02],
  [0x70, 0x80], [0x76, 0x0c], [0x77, 0x0c], [0x78, 0x02], [0xa0, 0x08], [0xa8, 0x0f],
];

export class Piix3 implements DeviceModel, PirqRouter, PciHeaderDefaults {
  private ext = new Uint8Array(256);
  private routingListener: (() => void) | undefined;

  constructor(private host: DeviceHost) {
    this.resetExt();
  }

  private resetExt(): void {
    this.ext.fill(0);
    for (const [off, v] of RESET_VALUES) this.ext[off] = v;
  }

  pciHeaderDefaults(): { command: number; status: number; multiFunction: boolean } {
    // Bus master, memory and I/O enabled; DEVSEL medium; multi-function (IDE is function 1).
    return { command: 0x0007, status: 0x0200, multiFunction: true };
  }

  pirqToIrq(pirq: number): number {
    const v = this.ext[PIRQ_FIRST + (pirq & 3)];
    if (v & 0x80) return -1;
    const irq = v & 0x0f;
    return ROUTABLE.has(irq) ? irq : -1;
  }

  setRoutingListener(listener: () => void): void {
    this.routingListener = listener;
  }

  pciConfigRead(offset: number, size: AccessSize): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + this.ext[(offset + i) & 0xff];
    return v >>> 0;
  }

  pciConfigWrite(offset: number, size: AccessSize, value: number): void {
    let routing = false;
    for (let i = 0; i < size; i++) {
      const off = (offset + i) & 0xff;
      if (off < 0x40) continue;
      const b = (value >>> (8 * i)) & 0xff;
      if (off >= PIRQ_FIRST && off < PIRQ_FIRST + 4) {
        const v = b & 0x8f; // bits 6:4 reserved
        if (!(v & 0x80) && !ROUTABLE.has(v & 0x0f)) {
          this.host.guestError(`PIIX3: PIRQ${'ABCD'[off - PIRQ_FIRST]} routed to reserved IRQ ${v & 0x0f}`);
        }
        routing ||= this.ext[off] !== v;
        this.ext[off] = v;
        continue;
      }
      this.ext[off] = b;
    }
    if (routing) this.routingListener?.();
  }

  reset(): void {
    this.resetExt();
    this.routingListener?.();
  }

  saveState(): DeviceState {
    return { type: TYPE, version: STATE_VERSION, data: { ext: Array.from(this.ext) } };
  }

  loadState(state: DeviceState): void {
    this.ext = stBytes(checkState(state, TYPE, STATE_VERSION), 'ext', 256);
    this.routingListener?.();
  }
}

export const piix3Type: DeviceType = {
  name: TYPE,
  class: 'chipset',
  bus: 'pci',
  description: 'Intel PIIX3 PCI-to-ISA bridge (PCI 00:01.0) with PIRQ routing',
  secure: true,
  secureReason: 'Chipset core emulated in the CPU worker; part of the trusted platform like in QEMU',
  hotpluggable: false,
  capabilities: [],
  properties: {},
  resources: () => ({ ports: [], mmio: [], irqs: [], pci: PIIX3_IDENTITY }),
  stateVersion: STATE_VERSION,
  create: (host) => new Piix3(host),
};

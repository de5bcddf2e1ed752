/**
 * System control port A (`port92`, port 0x92): fast A20 gate (bit 1) and fast reset (bit 0),
 * as in the IBM PS/2 and the PIIX3 (Intel 82371SB datasheet, "Port 92h"). A 0→1 transition of
 * bit 0 requests a CPU reset; bit 1 drives A20 through the platform signals. Other bits are
 * stored and read back, as QEMU's hw/i386/port92.c does.
 *
 * Regions: 0 = port 0x92.
 */
import type { AccessSize, DeviceHost, DeviceModel, DeviceState, DeviceType } from '../api.js';
import { checkState, stNum } from './util.js';

const TYPE = 'port92';
const STATE_VERSION = 1;

export class Port92 implements DeviceModel {
  private value = 0;

  constructor(private host: DeviceHost) {}

  ioRead(region: number, offset: number, size: AccessSize): number {
    if (region !== 0 || offset !== 0 || size !== 1) {
      this.host.guestError(`port92: ${size}-byte read of unknown register region ${region} offset ${offset}`);
      return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    }
    return this.value;
  }

  ioWrite(region: number, offset: number, size: AccessSize, value: number): void {
    if (region !== 0 || offset !== 0 || size !== 1) {
      this.host.guestError(`port92: ${size}-byte write of unknown register region ${region} offset ${offset}`);
      return;
    }
    const v = value & 0xff;
    const old = this.value;
    this.value = v;
    this.host.signals?.setA20((v & 0x02) !== 0);
    if (v & 0x01 && !(old & 0x01)) this.host.signals?.requestReset('port 0x92 fast reset');
  }

  /** Reset: the reset bit self-clears; A20 state is the platform's (QEMU keeps bit 1). */
  reset(): void {
    this.value &= ~0x01;
  }

  saveState(): DeviceState {
    return { type: TYPE, version: STATE_VERSION, data: { value: this.value } };
  }

  loadState(state: DeviceState): void {
    this.value = stNum(checkState(state, TYPE, STATE_VERSION), 'value', 0, 255);
  }
}

export const port92Type: DeviceType = {
  name: TYPE,
  class: 'chipset',
  bus: 'isa',
  description: 'System control port A (0x92): fast A20 gate and fast reset',
  secure: true,
  secureReason: 'Chipset core emulated in the CPU worker; part of the trusted platform like in QEMU',
  hotpluggable: false,
  capabilities: ['platform-signals'],
  properties: {},
  resources: () => ({ ports: [{ name: 'port92', base: 0x92, length: 1, accessSizes: [1] }], mmio: [], irqs: [] }),
  stateVersion: STATE_VERSION,
  create: (host) => new Port92(host),
};

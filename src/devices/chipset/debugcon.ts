/**
 * The Bochs/QEMU debug console (`isa-debugcon`): one I/O port (0x402 for SeaBIOS's log by
 * default, 0xE9 for the Bochs "port E9 hack") whose written bytes go to a byte sink, and whose
 * reads return a fixed value (0xE9 by default) so guests can detect it, as QEMU's
 * hw/char/debugcon.c does.
 *
 * Regions: 0 = the port.
 */
import type { AccessSize, DeviceHost, DeviceModel, DeviceState, DeviceType, PropertySpec } from '../api.js';
import type { ByteSink } from './interfaces.js';
import { checkState, numProp } from './util.js';

const TYPE = 'isa-debugcon';

const properties: Record<string, PropertySpec> = {
  iobase: { type: 'number', default: 0x402, description: 'I/O port (0x402 SeaBIOS debug log, 0xE9 Bochs hack)', choices: [0x402, 0xe9] },
  readback: { type: 'number', default: 0xe9, description: 'Value returned by reads of the port' },
};

export class DebugCon implements DeviceModel {
  private sink: ByteSink | undefined;
  private one = new Uint8Array(1);

  constructor(private host: DeviceHost, private readback: number) {
    const b = host.backend as Partial<ByteSink> | undefined;
    this.sink = b && typeof b.write === 'function' ? (b as ByteSink) : undefined;
  }

  ioRead(region: number, offset: number, size: AccessSize): number {
    if (region !== 0 || offset !== 0) {
      this.host.guestError(`isa-debugcon: read of unknown register region ${region} offset ${offset}`);
      return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    }
    return this.readback & 0xff;
  }

  ioWrite(region: number, offset: number, size: AccessSize, value: number): void {
    if (region !== 0 || offset !== 0) {
      this.host.guestError(`isa-debugcon: write of unknown register region ${region} offset ${offset}`);
      return;
    }
    // Wider writes emit their low byte only, as QEMU's 1-byte-wide region does.
    if (size !== 1) this.host.guestError(`isa-debugcon: ${size}-byte write, low byte kept`);
    this.one[0] = value & 0xff;
    this.sink?.write(this.one.slice());
  }

  ioWriteString(region: number, offset: number, size: AccessSize, from: Uint8Array): void {
    if (region !== 0 || offset !== 0 || size !== 1) {
      for (let i = 0; i + size <= from.length; i += size) this.ioWrite(region, offset, size, from[i]);
      return;
    }
    this.sink?.write(from.slice());
  }

  reset(): void {}

  saveState(): DeviceState {
    return { type: TYPE, version: 1, data: {} };
  }

  loadState(state: DeviceState): void {
    checkState(state, TYPE, 1); // stateless: only the snapshot's identity is checked
  }
}

export const debugconType: DeviceType = {
  name: TYPE,
  class: 'chipset',
  bus: 'isa',
  description: 'Debug console port (0x402 / 0xE9): firmware and guest debug output to a byte sink',
  secure: true,
  secureReason: 'A write-only byte sink with no guest-controlled state; runs in the CPU worker',
  hotpluggable: false,
  capabilities: ['terminal'],
  properties,
  resources: (props) => ({
    ports: [{ name: 'debugcon', base: numProp(props, properties, 'iobase'), length: 1, accessSizes: [1] }],
    mmio: [],
    irqs: [],
  }),
  stateVersion: 1,
  create: (host, props) => new DebugCon(host, numProp(props, properties, 'readback')),
};

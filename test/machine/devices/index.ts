/**
 * Test-only device types for the security tests, loaded through MachineConfig.typeModules by
 * the machine and both placements:
 * - `test-taint-hint` (console class, secure): a one-port ISA device (0x2E0) whose device code
 *   calls host.taint(reason) on every write — a runtime taint hint from a "risky code path",
 *   through the real DeviceHost of either placement. Reads return 0xff.
 * - `test-unknown` (sound class, security status absent): present only to be judged; it has
 *   one port (0x2E8) and does nothing.
 */
import type { AccessSize, DeviceHost, DeviceModel, DeviceType, Resources } from '../../../src/devices/api.js';

class TaintHint implements DeviceModel {
  constructor(private readonly host: DeviceHost) {}
  ioRead(): number {
    return 0xff;
  }
  ioWrite(_region: number, _offset: number, _size: AccessSize, value: number): void {
    this.host.taint(`guest wrote 0x${value.toString(16)} to the risky test port`);
  }
}

const onePort = (name: string, base: number): Resources => ({ ports: [{ name, base, length: 1, accessSizes: [1] }], mmio: [], irqs: [] });

export const taintHintType: DeviceType = {
  name: 'test-taint-hint',
  class: 'console',
  bus: 'isa',
  description: 'test device: taints the machine from device code on every write',
  secure: true,
  secureReason: 'test device',
  hotpluggable: false,
  capabilities: [],
  properties: {},
  resources: () => onePort('taint-hint', 0x2e0),
  stateVersion: 0,
  create: (host) => new TaintHint(host),
};

export const unknownType: DeviceType = {
  name: 'test-unknown',
  class: 'sound',
  bus: 'isa',
  description: 'test device with no security information',
  secure: undefined,
  secureReason: 'no information',
  hotpluggable: false,
  capabilities: [],
  properties: {},
  resources: () => onePort('unknown', 0x2e8),
  stateVersion: 0,
  create: () => ({ ioRead: () => 0xff, ioWrite: () => {} }),
};

export const deviceTypes: DeviceType[] = [taintHintType, unknownType];

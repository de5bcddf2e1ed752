/**
 * Device types of the 'input' class, collected for the registry (src/devices/registry.ts).
 * i8042: QEMU's name for the PC/AT keyboard controller with PS/2 keyboard and mouse
 * (hw/input/pckbd.c), at ports 0x60/0x64 with IRQ 1 (keyboard) and IRQ 12 (mouse).
 */
import type { DeviceType } from '../api.js';
import { I8042, I8042_STATE_VERSION } from './i8042.js';

export const i8042Type: DeviceType = {
  name: 'i8042',
  class: 'input',
  bus: 'isa',
  description: 'PS/2 keyboard controller (8042) with PS/2 keyboard and IntelliMouse',
  secure: true,
  secureReason:
    "Listed as supported (inside the security boundary) in QEMU's i386 device classification; " +
    'byte-wide registers, bounded queues, no guest-memory access. It can request a system ' +
    'reset and drive the A20 gate, which it does through the granted platform signals only.',
  hotpluggable: false,
  capabilities: ['platform-signals', 'timers'],
  properties: {},
  resources: () => ({
    ports: [
      { name: 'data', base: 0x60, length: 1, accessSizes: [1] },
      { name: 'status/command', base: 0x64, length: 1, shadow: [0], accessSizes: [1] },
    ],
    mmio: [],
    irqs: [1, 12],
  }),
  stateVersion: I8042_STATE_VERSION,
  create: (host) => new I8042(host),
};

export const inputDeviceTypes: DeviceType[] = [i8042Type];

/**
 * Device types of the 'console' class, collected for the registry (src/devices/registry.ts).
 * isa-serial: QEMU's name for the ISA 16550A UART (hw/char/serial-isa.c), with its standard
 * COM1..COM4 bases and IRQs chosen by `index`.
 */
import type { DeviceProps, DeviceType, Resources } from '../api.js';
import { UART_STATE_VERSION, Uart16550 } from './uart16550.js';

/** COM1..COM4 as on IBM PCs (QEMU's isa_serial_io / isa_serial_irq). */
export const COM_PORTS: readonly { base: number; irq: number }[] = [
  { base: 0x3f8, irq: 4 },
  { base: 0x2f8, irq: 3 },
  { base: 0x3e8, irq: 4 },
  { base: 0x2e8, irq: 3 },
];

function serialResources(props: DeviceProps): Resources {
  const index = Number(props.index ?? 0);
  if (!Number.isInteger(index) || index < 0 || index > 3) {
    throw new RangeError(`isa-serial: index must be 0..3, got ${String(props.index)}`);
  }
  const std = COM_PORTS[index];
  const iobase = Number(props.iobase ?? -1);
  const irq = Number(props.irq ?? -1);
  const base = iobase >= 0 ? iobase : std.base;
  const line = irq >= 0 ? irq : std.irq;
  if (!Number.isInteger(base) || base < 0 || base > 0xfff8) throw new RangeError(`isa-serial: bad iobase ${iobase}`);
  if (!Number.isInteger(line) || line < 0 || line > 15) throw new RangeError(`isa-serial: bad irq ${irq}`);
  return {
    ports: [{ name: `COM${index + 1}`, base, length: 8, shadow: [5], accessSizes: [1] }],
    mmio: [],
    irqs: [line],
  };
}

export const isaSerialType: DeviceType = {
  name: 'isa-serial',
  class: 'console',
  bus: 'isa',
  description: '16550A UART (COM port) with 16-byte FIFOs',
  secure: true,
  secureReason:
    "Listed as supported (inside the security boundary) in QEMU's i386 device classification; " +
    'a small register set with bounded FIFOs and no guest-memory access.',
  hotpluggable: false,
  capabilities: ['terminal', 'timers'],
  properties: {
    index: { type: 'number', default: 0, description: 'COM port number 0..3 (COM1..COM4): picks the standard base and IRQ', choices: [0, 1, 2, 3] },
    iobase: { type: 'number', default: -1, description: 'I/O base override (-1 = standard for index)' },
    irq: { type: 'number', default: -1, description: 'ISA IRQ override (-1 = standard for index)' },
  },
  resources: serialResources,
  stateVersion: UART_STATE_VERSION,
  create: (host) => new Uart16550(host),
};

export const consoleDeviceTypes: DeviceType[] = [isaSerialType];

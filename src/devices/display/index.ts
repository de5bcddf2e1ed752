/**
 * Device types of the 'display' class, collected for the registry (src/devices/registry.ts).
 * VGA: QEMU's standard VGA (hw/display/vga-pci.c, `-device VGA`): PCI 1234:1111, class
 * 0x030000, BAR0 = the linear framebuffer (prefetchable, VRAM size), legacy VGA ports and the
 * 0xA0000 window, Bochs VBE DISPI at 0x1CE/0x1CF; its option ROM is SeaVGABIOS
 * (vgabios-stdvga.bin).
 */
import type { DeviceProps, DeviceType, Resources } from '../api.js';
import {
  DISPI_PORT_BASE, DISPI_PORT_COUNT, STDVGA_CLASS, STDVGA_DEVICE, STDVGA_ROM, STDVGA_VENDOR, VGA_PORT_BASE,
  VGA_PORT_COUNT,
} from './vga-constants.js';
import { StdVga, VGA_STATE_VERSION } from './vga.js';

/** Allowed VRAM sizes in MiB (QEMU's vgamem_mb is rounded to a power of two, 1..256). */
const VGAMEM_CHOICES = [1, 2, 4, 8, 16, 32, 64];

function vgamemMb(props: DeviceProps): number {
  const mb = Number(props.vgamem_mb ?? 16);
  if (!VGAMEM_CHOICES.includes(mb)) throw new RangeError(`VGA: vgamem_mb must be one of ${VGAMEM_CHOICES.join(', ')}, got ${String(props.vgamem_mb)}`);
  return mb;
}

function vgaResources(props: DeviceProps): Resources {
  const mb = vgamemMb(props);
  return {
    ports: [
      { name: 'vga', base: VGA_PORT_BASE, length: VGA_PORT_COUNT, accessSizes: [1, 2] },
      { name: 'vbe-dispi', base: DISPI_PORT_BASE, length: DISPI_PORT_COUNT, accessSizes: [1, 2] },
    ],
    mmio: [{ name: 'vga-window', base: 0xa0000, length: 0x20000 }],
    irqs: [],
    pci: {
      vendorId: STDVGA_VENDOR,
      deviceId: STDVGA_DEVICE,
      classCode: STDVGA_CLASS,
      revision: 2,
      subsystemVendorId: 0x1af4,
      subsystemId: 0x1100,
      interruptPin: 0,
      bars: [{ index: 0, kind: 'mem32-prefetch', size: mb * 1024 * 1024, vramBacked: true }],
      romFile: STDVGA_ROM,
    },
  };
}

export const stdVgaType: DeviceType = {
  name: 'VGA',
  class: 'display',
  bus: 'pci',
  description: 'Standard VGA with Bochs VBE extensions and a linear framebuffer (QEMU std VGA)',
  secure: true,
  secureReason:
    "Listed as supported (inside the security boundary) in QEMU's i386 device classification; " +
    'the register model bounds every VRAM index, and its worker sees only the machine memory it renders.',
  hotpluggable: false,
  capabilities: ['framebuffer', 'canvas', 'timers'],
  properties: {
    vgamem_mb: { type: 'number', default: 16, description: 'Video memory in MiB (also the size of BAR0)', choices: VGAMEM_CHOICES },
  },
  resources: vgaResources,
  stateVersion: VGA_STATE_VERSION,
  create: (host, props) => new StdVga(host, { vgamemMb: vgamemMb(props) }),
};

export const displayDeviceTypes: DeviceType[] = [stdVgaType];

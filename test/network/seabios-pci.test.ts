/**
 * The NICs' registry entries under real firmware: SeaBIOS (public/images/bios-256k.bin) on the
 * real CPU core finds e1000 and ne2k_pci on the PCI bus and maps their BARs with the sizes the
 * registry declares; an ne2k_isa sits beside them. Monolithic placement (the backends here are
 * in-process switch ports). Skipped when the core or the firmware is not built.
 */
import { afterEach, expect, it, describe } from 'vitest';
import { createMachine, type Machine } from '../../src/machine/machine.js';
import { nodeMachineHost } from '../../src/cli/node-host.js';
import { missingForBoot, readFirmware } from '../machine/firmware.js';
import { VirtualSwitch } from '../../src/net/switch.js';
import { defaultMacFor } from '../../src/devices/network/index.js';

const missing = missingForBoot();
const machines: Machine[] = [];
afterEach(async () => {
  for (const m of machines.splice(0)) await m.stop();
});

describe.skipIf(missing !== undefined)(`NICs under SeaBIOS${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('enumerates e1000 and ne2k_pci and maps their BARs', async () => {
    const sw = new VirtualSwitch();
    const m = await createMachine(
      {
        ramMiB: 64,
        bios: readFirmware('bios-256k.bin'),
        placement: 'monolithic',
        devices: [
          { type: 'e1000', id: 'nic0', props: { mac: defaultMacFor('nic0') }, backend: sw.connect('nic0') },
          { type: 'ne2k_pci', id: 'nic1', backend: sw.connect('nic1') },
          { type: 'ne2k_isa', id: 'nic2', backend: sw.connect('nic2') },
        ],
      },
      nodeMachineHost(),
    );
    machines.push(m);
    await m.runUntilText('No bootable device.', 60_000, ['debugcon']);
    const log = m.consoleText('debugcon');
    const bdf = (id: string) => log.match(new RegExp(`PCI: init bdf=(\\S+) id=${id}`))?.[1];
    const e1000 = bdf('8086:100e');
    const ne2k = bdf('10ec:8029');
    expect(e1000).toBeDefined();
    expect(ne2k).toBeDefined();
    expect(log).toMatch(new RegExp(`map device bdf=${e1000}\\s+bar 0, addr [0-9a-f]+, size 00020000 \\[mem\\]`));
    expect(log).toMatch(new RegExp(`map device bdf=${e1000}\\s+bar 1, addr [0-9a-f]+, size 00000040 \\[io\\]`));
    expect(log).toMatch(new RegExp(`map device bdf=${ne2k}\\s+bar 0, addr [0-9a-f]+, size 00000020 \\[io\\]`));
    // The ISA NE2000 answers at 0x300 with the DP8390's reset value of CR.
    const isa = m.devices.find((d) => d.id === 'nic2')!;
    expect(isa.model.ioRead!(0, 0, 1)).toBe(0x21);
  });
});

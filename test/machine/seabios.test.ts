// SeaBIOS POST on the real CPU core and chipset, with no disks: its debug log (port 0x402)
// shows fw_cfg, the e820 map from fw_cfg, the PCI devices it found and ends at
// "No bootable device.". Also checks the POST-time reset path (SeaBIOS resets through 0xCF9 /
// port 0x92 only on reboot, so a user reset is used) runs POST again.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { FileBlock } from '../../src/node/file-block.js';
import { createMachine, type Machine } from '../../src/machine/machine.js';
import { nodeMachineHost } from '../../src/cli/node-host.js';
import { nodeWorkerLauncher } from '../../src/node/worker-launcher.js';
import { firmwarePath, missingForBoot, readFirmware } from './firmware.js';

const missing = missingForBoot();
const machines: Machine[] = [];
afterEach(async () => {
  for (const m of machines.splice(0)) await m.stop();
});

describe.skipIf(missing !== undefined)(`SeaBIOS POST${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('runs POST to "No bootable device." and logs the PCI devices it found', async () => {
    const m = await createMachine({ ramMiB: 128, bios: readFirmware('bios-256k.bin') }, nodeMachineHost());
    machines.push(m);
    const t0 = performance.now();
    await m.runUntilText('No bootable device.', 60_000, ['debugcon']);
    const hostMs = performance.now() - t0;
    const log = m.consoleText('debugcon');
    expect(log).toMatch(/^SeaBIOS \(version [^)]+\)\n/);
    expect(log).toContain('Running on QEMU (i440fx)');
    expect(log).toContain('Found QEMU fw_cfg');
    expect(log).toContain('qemu/e820: addr 0x0000000000000000 len 0x0000000008000000 [RAM]');
    expect(log).toMatch(/Found 2 PCI devices \(max PCI bus is 00\)/);
    expect(log).toContain('PCI: init bdf=00:00.0 id=8086:1237');
    expect(log).toContain('PCI: init bdf=00:01.0 id=8086:7000');
    expect(log).toMatch(/3: 0000000000100000 - 0000000008000000 = 1 RAM/);
    // The boot attempt: boot order (CMOS) floppy and hard disk, both empty, then the end.
    expect(log).toMatch(/Booting from Floppy\.\.\.\nBoot failed: could not read the boot disk/);
    expect(log).toMatch(/Booting from Hard Disk\.\.\.\nBoot failed: could not read the boot disk/);
    expect(log.trimEnd().split('\n').at(-1)).toBe('No bootable device.');
    // SeaBIOS calibrated the TSC (1 GHz of virtual time) against PIT channel 2: about 1000, more
    // when the host deschedules this thread during the 1.7 ms window (time is host time); the
    // bug this guards against gave 0..2 (the TSC stood still inside a CPU slice).
    const mhz = Number(/CPU Mhz=(\d+)/.exec(log)?.[1]);
    expect(mhz).toBeGreaterThan(300);
    // Shadowing happened: SeaBIOS runs from RAM at 0xF0000 and locked it read-only at the end.
    expect(m.memoryMap.pam(0) & 0x30).toBe(0x10);
    expect(m.report().taints).toEqual([]);
    console.log(`SeaBIOS POST: ${(hostMs / 1000).toFixed(2)} s host, ${(m.clock.now() / 1e9).toFixed(2)} s virtual, ${m.report().instructions} instructions`);
  });

  it('runs POST again after a machine reset', async () => {
    const m = await createMachine({ ramMiB: 32, bios: readFirmware('bios-256k.bin') }, nodeMachineHost());
    machines.push(m);
    await m.runUntilText('No bootable device.', 60_000);
    const resets: string[] = [];
    m.events.on('reset', (e) => resets.push(e.reason));
    const before = m.consoleText('debugcon').length;
    m.reset('test');
    await new Promise<void>((resolve, reject) => {
      const off = m.events.on('console', () => {
        const again = m.consoleText('debugcon').slice(before);
        if (again.includes('No bootable device.')) {
          off();
          resolve();
        }
      });
      setTimeout(() => reject(new Error(`no second POST; log after reset: ${m.consoleText('debugcon').slice(before, before + 400)}`)), 60_000);
    });
    expect(resets).toEqual(['test']);
    expect(m.consoleText('debugcon').slice(before)).toMatch(/^SeaBIOS \(version/);
  });

  for (const placement of ['monolithic', 'isolated'] as const) {
    it.skipIf(!firmwarePath('vgabios-stdvga.bin'))(`POST with VGA, i8042, isa-serial and piix3-ide, ${placement}`, async () => {
      const host = nodeMachineHost({ launcher: placement === 'isolated' ? nodeWorkerLauncher() : undefined });
      const m = await createMachine({
        ramMiB: 64,
        bios: readFirmware('bios-256k.bin'),
        vgaBios: readFirmware('vgabios-stdvga.bin'),
        devices: [{ type: 'VGA' }, { type: 'i8042' }, { type: 'isa-serial' }, { type: 'piix3-ide' }],
        placement,
      }, host);
      machines.push(m);
      expect(m.placed?.placement).toBe(placement);
      await m.runUntilText('No bootable device.', 60_000, ['debugcon']);
      const log = m.consoleText('debugcon');
      expect(log).toContain('PCI: init bdf=00:01.1 id=8086:7010');
      expect(log).toContain('PCI: init bdf=00:02.0 id=1234:1111');
      expect(log).toMatch(/PCI: map device bdf=00:02.0  bar 0, addr [0-9a-f]{8}, size 01000000 \[prefmem\]/);
      // The VGA BIOS came through fw_cfg ("pci1234,1111.rom") and ran from 0xC0000.
      expect(log).toContain('Running option rom at c000:0003');
      expect(log).toContain('Start SeaVGABIOS');
      expect(log).toContain('ATA controller 1 at 1f0/3f4/0 (irq 14 dev 9)');
      expect(log).toContain('Found 1 serial ports');
      expect(log).toContain('PS2 keyboard initialized');
      // The boot attempt: boot order (CMOS) floppy and hard disk, both empty, then the end.
    expect(log).toMatch(/Booting from Floppy\.\.\.\nBoot failed: could not read the boot disk/);
    expect(log).toMatch(/Booting from Hard Disk\.\.\.\nBoot failed: could not read the boot disk/);
    expect(log.trimEnd().split('\n').at(-1)).toBe('No bootable device.');
      expect(m.deviceEvents).toEqual([]);
    });
  }

  it.skipIf(!existsSync('public/images/floppy.img'))('boots SYSLINUX from the floppy image (isa-fdc, ISA DMA, IRQ 6) with a serial console', async () => {
    const fd = await FileBlock.open('public/images/floppy.img');
    const m = await createMachine({
      ramMiB: 64,
      bios: readFirmware('bios-256k.bin'),
      devices: [{ type: 'isa-fdc', props: { fda: 'auto' }, backend: { fda: fd } }, { type: 'isa-serial', console: 'serial0' }],
      bootOrder: ['floppy'],
      placement: 'monolithic',
    }, nodeMachineHost());
    machines.push(m);
    await m.runUntilText('Loading /memtest', 90_000, ['serial0']);
    expect(m.consoleText('serial0')).toMatch(/SYSLINUX \d/);
    const log = m.consoleText('debugcon');
    expect(log).toContain('Booting from Floppy...');
    expect(log).not.toContain('Timeout at floppy_wait_irq');
  });
});

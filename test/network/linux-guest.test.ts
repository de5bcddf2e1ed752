/**
 * The NICs under their real Linux drivers: boots the Debian 686 guest (public/images/linux.img)
 * with an e1000 and an ne2k_pci on one virtual switch with the gateway services, loads the
 * e1000 and ne2k-pci modules, gets a lease on each with busybox udhcpc, pings the gateway, and
 * pushes a 300 kB TCP stream through the e1000 to the gateway's discard service (TSO).
 *
 * Slow (a full Linux boot on the interpreter, several minutes of host time), so it runs only
 * with BULKHEAD_SLOW_TESTS=1 and when build/core.wasm and the images exist:
 *   BULKHEAD_SLOW_TESTS=1 npx vitest run test/network/linux-guest.test.ts
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { createMachine, type Machine } from '../../src/machine/machine.js';
import type { DeviceConfig } from '../../src/machine/config.js';
import { nodeMachineHost } from '../../src/cli/node-host.js';
import { missingForBoot, readFirmware } from '../machine/firmware.js';
import { VirtualSwitch } from '../../src/net/switch.js';
import { NetworkServices } from '../../src/net/services.js';
import { FileBlock } from '../../src/node/file-block.js';
import type { E1000 } from '../../src/devices/network/e1000.js';

const DISK = 'public/images/linux.img';
const why = process.env.BULKHEAD_SLOW_TESTS !== '1'
  ? 'set BULKHEAD_SLOW_TESTS=1'
  : (missingForBoot() ?? (existsSync(DISK) ? undefined : `${DISK} is missing (run \`npm run images\`)`));

const machines: Machine[] = [];
afterEach(async () => {
  for (const m of machines.splice(0)) await m.stop();
});

describe.skipIf(why !== undefined)(`Linux drives the NICs${why ? ` (skipped: ${why})` : ''}`, () => {
  it('e1000 and ne2k-pci: probe, link, DHCP lease, ping the gateway', async () => {
    const sw = new VirtualSwitch();
    const svc = new NetworkServices(sw.connect('services'));
    const disk = await FileBlock.open(DISK);
    const devices: DeviceConfig[] = [
      { type: 'piix3-ide', props: { hda: 'ide-hd' }, backend: { hda: disk } },
      { type: 'isa-serial', console: 'serial0' } as DeviceConfig,
      { type: 'e1000', props: { mac: '52:54:00:12:34:56' }, backend: sw.connect('e1000') },
      { type: 'ne2k_pci', props: { mac: '52:54:00:12:34:57' }, backend: sw.connect('ne2k') },
    ];
    const m = await createMachine({ ramMiB: 128, bios: readFirmware('bios-256k.bin'), placement: 'monolithic', devices }, nodeMachineHost());
    machines.push(m);
    await m.runUntilText('BULKHEAD-GUEST-READY', 1_500_000, ['serial0']);
    await m.waitForText('bulkhead:~#', { timeoutMs: 300_000, sources: ['serial0'] });
    // The markers are split in the command line (MARK''A) so the echo does not match them.
    const steps = [
      String.raw`modprobe e1000; modprobe ne2k-pci; ip link; echo MARK''A`,
      String.raw`printf '#!/bin/sh\n[ "$1" = bound ] && ifconfig $interface $ip netmask $subnet\nexit 0\n' > /tmp/dh; chmod +x /tmp/dh; ip link set eth0 up; sleep 3; udhcpc -i eth0 -n -q -t 5 -s /tmp/dh; ping -c 2 10.0.2.2; echo MARK''B`,
      String.raw`ip link set eth1 up; udhcpc -i eth1 -n -q -t 5 -s /tmp/dh; ping -c 2 -I eth1 10.0.2.2; echo MARK''C`,
      // A TCP stream out of eth0 (the first route): checksum offload and TSO under Linux. `nc -e
      // cat` lets cat write the socket in large chunks (nc's own stdin loop writes 1 KiB at a
      // time, which never makes a segment bigger than one MSS, so TSO would not be used).
      String.raw`head -c 300000 /bin/busybox > /tmp/blob; ip link set eth1 down; nc 10.0.2.2 9 -e cat /tmp/blob; echo MARK''D`,
    ];
    for (const [i, cmd] of steps.entries()) {
      m.sendConsole('serial0', cmd + '\n');
      try {
        await m.waitForText(`MARK${'ABCD'[i]}`, { timeoutMs: 900_000, sources: ['serial0'] });
      } catch (e) {
        throw new Error(`${String(e)}; serial tail:\n${m.consoleText('serial0').slice(-3000)}`);
      }
    }
    const log = m.consoleText('serial0');
    expect(log).toMatch(/e1000 0000:00:\S+ eth0: \(PCI:33MHz:32-bit\) 52:54:00:12:34:56/);
    expect(log).toMatch(/eth1: RealTek RTL-8029\(AS\) found at 0x[0-9a-f]+, IRQ \d+, 52:54:00:12:34:57/);
    expect(log).toContain('eth0 NIC Link is Up 1000 Mbps Full Duplex');
    expect(log).toContain('udhcpc: lease of 10.0.2.15 obtained from 10.0.2.2');
    expect(log).toContain('udhcpc: lease of 10.0.2.16 obtained from 10.0.2.2');
    expect(log.match(/2 packets transmitted, 2 packets received, 0% packet loss/g)?.length).toBe(2);
    expect(svc.stats.echoReplies).toBe(4);
    expect(svc.tcp.stats.bytes).toBe(300000);
    expect(svc.tcp.stats.badChecksums).toBe(0);
    // Linux did use TSO. Its watchdog reads (and so clears) TSCTC, so ask the model's own
    // diagnostic counter; in the monolithic placement the machine's device entry is a guard
    // that holds the model.
    const entry = m.devices.find((d) => d.type.name === 'e1000')!.model as unknown as { counters?: E1000['counters']; model?: E1000 };
    const counters = entry.counters ?? entry.model?.counters;
    expect(counters).toBeDefined();
    expect(counters!.tsoPackets).toBeGreaterThan(0);
    expect(svc.tcp.stats.largestSegment).toBe(1460);
    const nics = m.report().devices.filter((d) => d.type === 'e1000' || d.type === 'ne2k_pci');
    expect(nics.every((d) => d.guestErrors === 0)).toBe(true);
  }, 3_600_000);
});

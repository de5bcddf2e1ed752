/**
 * Two Linux guests (public/images/linux.img, each on its own copy-on-write overlay of the
 * read-only image) on one VirtualSwitch with the gateway services: the harness of the
 * two-machine network test and of bench/network.ts. Each guest gets a NIC on netdev 'lan'
 * (src/machine/net-wiring.ts), its serial console on 'serial0', and is driven through its busybox
 * shell (prompt `bulkhead:~# `, Enter = CR) like test/machine/guest-session.ts does.
 */
import { existsSync } from 'node:fs';
import { createMachine, type Machine } from '../../src/machine/machine.js';
import type { Placement } from '../../src/machine/config.js';
import { nodeMachineHost } from '../../src/cli/node-host.js';
import { nodeWorkerLauncher } from '../../src/node/worker-launcher.js';
import { FileBlock } from '../../src/node/file-block.js';
import { OverlayBlock } from '../../src/block/overlay.js';
import { VirtualSwitch } from '../../src/net/switch.js';
import { NetworkServices } from '../../src/net/services.js';
import { missingForBoot, readFirmware } from '../machine/firmware.js';
import { stripAnsi } from '../terminal.js';

export const LINUX_IMG = 'public/images/linux.img';

export function missingForPair(): string | undefined {
  return missingForBoot() ?? (existsSync(LINUX_IMG) ? undefined : `${LINUX_IMG} is missing (run \`npm run images\`)`);
}

export interface GuestSpec {
  name: string;
  nic: 'e1000' | 'ne2k_pci' | 'ne2k_isa';
  module: string;
  mac: string;
  placement: Placement;
}

/** One guest on the switch, driven through its serial shell. */
export class NetGuest {
  private cursor = 0;
  readonly started = performance.now();
  ip = '';
  /** The driver's probe lines (dmesg | grep eth0 after modprobe). */
  probe = '';
  constructor(readonly spec: GuestSpec, readonly machine: Machine) {}

  text(): string {
    return stripAnsi(this.machine.consoleText('serial0'));
  }

  /** Wait for `re` after the cursor (moves the cursor past it); fails with the serial tail. */
  async expect(re: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const text = this.text();
      const m = re.exec(text.slice(this.cursor));
      if (m) {
        this.cursor += m.index + m[0].length;
        return m;
      }
      const state = this.machine.state;
      const why = /Kernel panic - not syncing[^\n]*/.exec(text)?.[0]
        ?? (state === 'halted' || state === 'stopped' ? `machine ${state}` : performance.now() >= deadline ? `timed out after ${timeoutMs} ms` : undefined);
      if (why) throw new Error(`${this.spec.name}: waiting for ${re}: ${why}\n--- serial output (tail) ---\n${text.slice(-2500)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Type like a person: 8 bytes at a time, each chunk after the shell echoed the previous one
   * (the 16550's receive FIFO overruns when a long line arrives while a loaded guest is slow).
   */
  async type(line: string): Promise<void> {
    for (let i = 0; i < line.length; i += 8) {
      const before = this.machine.consoleText('serial0').length;
      const chunk = line.slice(i, i + 8);
      this.machine.sendConsole('serial0', chunk);
      const until = performance.now() + 10_000;
      while (this.machine.consoleText('serial0').length < before + chunk.length && performance.now() < until) {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  /** Run a shell command; resolves to its output (up to the next prompt). */
  async shell(command: string, timeoutMs = 300_000): Promise<string> {
    await this.type(`${command}\r`);
    const m = await this.expect(/\n([\s\S]*?)bulkhead:[^\n]*# /, timeoutMs);
    return m[1];
  }

  /** Boot to the shell, load the NIC driver, bring eth0 up and get a DHCP lease. */
  async bootAndConfigure(bootMs: number): Promise<void> {
    await this.expect(/BULKHEAD-GUEST-READY[^\n]*\n/, bootMs);
    await this.expect(/bulkhead:[^\n]*# /, 120_000);
    await this.shell('dmesg -n 1');
    const mod = await this.shell(`modprobe ${this.spec.module}; echo "modprobe=$?"; dmesg | grep eth0`);
    if (!/modprobe=0/.test(mod)) throw new Error(`${this.spec.name}: modprobe ${this.spec.module} failed:\n${mod}`);
    this.probe = mod;
    // udhcpc's default script is not in the image: a minimal one that configures the address.
    await this.shell(String.raw`printf '#!/bin/sh\n[ "$1" = bound ] && ifconfig $interface $ip netmask $subnet\nexit 0\n' > /tmp/dh; chmod +x /tmp/dh`);
    const lease = await this.shell('ip link set eth0 up; sleep 2; udhcpc -i eth0 -n -q -t 10 -T 2 -s /tmp/dh 2>&1; echo "udhcpc=$?"');
    const m = /lease of (\d+\.\d+\.\d+\.\d+) obtained/.exec(lease);
    if (!m || !/udhcpc=0/.test(lease)) throw new Error(`${this.spec.name}: no DHCP lease:\n${lease}`);
    this.ip = m[1];
  }
}

export interface GuestPair {
  sw: VirtualSwitch;
  services: NetworkServices;
  guests: NetGuest[];
  stop(): Promise<void>;
}

/** Build (not start) the guests of `specs` on one switch with the gateway services. */
export async function createPair(specs: GuestSpec[], ramMiB = 128): Promise<GuestPair> {
  const sw = new VirtualSwitch();
  const services = new NetworkServices(sw.connect('services'));
  const guests: NetGuest[] = [];
  for (const spec of specs) {
    const disk = await OverlayBlock.open(await FileBlock.open(LINUX_IMG, { readOnly: true, kind: 'disk' }));
    const m = await createMachine({
      ramMiB,
      bios: readFirmware('bios-256k.bin'),
      placement: spec.placement,
      netdevs: [{ id: 'lan', kind: 'switch', switch: sw }],
      devices: [
        { type: 'piix3-ide', props: { hda: 'ide-hd' }, backend: { hda: disk } },
        { type: 'isa-serial', props: { index: 0 }, console: 'serial0' },
        { type: spec.nic, props: { mac: spec.mac, netdev: 'lan' } },
      ],
    }, nodeMachineHost({ launcher: spec.placement === 'isolated' ? nodeWorkerLauncher() : undefined }));
    guests.push(new NetGuest(spec, m));
  }
  return {
    sw,
    services,
    guests,
    stop: async () => {
      for (const g of guests) await g.machine.stop();
      services.destroy();
    },
  };
}

/** Start every guest and bring each onto the network (boots in parallel). */
export async function bootPair(pair: GuestPair, bootMs: number): Promise<void> {
  for (const g of pair.guests) g.machine.start();
  await Promise.all(pair.guests.map((g) => g.bootAndConfigure(bootMs)));
}

/** `ping -c N` from a guest; the packet counts and the round-trip average (ms) it reports. */
export async function ping(from: NetGuest, to: string, count: number): Promise<{ sent: number; received: number; avgMs: number; output: string }> {
  const out = await from.shell(`ping -c ${count} ${to}`);
  const c = /(\d+) packets transmitted, (\d+) packets received/.exec(out);
  const rtt = /round-trip min\/avg\/max = [\d.]+\/([\d.]+)\/[\d.]+ ms/.exec(out);
  return { sent: c ? Number(c[1]) : 0, received: c ? Number(c[2]) : 0, avgMs: rtt ? Number(rtt[1]) : NaN, output: out };
}

/**
 * The peer of the network benchmark (bench/network.ts): two v86 instances in this Node process,
 * each booting public/images/linux.img with the same SeaBIOS, VGA BIOS and RAM as
 * bench/v86-peer.ts, their NE2000 (PCI, RTL8029) NICs joined back to back: a frame instance A's
 * NIC transmits (v86 bus event `net0-send`) is copied and delivered to instance B's NIC
 * (`net0-receive` on B's bus) on the next turn of the event loop, and the other way round — a
 * two-port "wire", no switch and no relay (no `network_relay_url`, so v86 creates the NE2000 with
 * no network adapter behind it). There is no DHCP server on this wire, so the guests get static
 * addresses (10.0.86.1 and 10.0.86.2/24) with `ifconfig`.
 *
 * Then the same transfer as bench/network.ts, with the same tools in the same guest: A serves
 * a file of --mib MiB of zeros with busybox httpd; B fetches it with `wget -q -O /dev/null`,
 * timed on the host from typing the command to its end sentinel minus an empty command's round
 * trip (MB/s, 1 MB = 1e6 bytes); then `ping -c 5` B → A, average RTT as the guest reports it.
 *
 *   tsx bench/v86-net.ts [--mib 4] [--runs 3] [--timeout S] [--jit on|off] [-v]
 *
 * Prints one line per measurement and a final `BENCH-NET [{json}]` line (the format of
 * bench/network.ts, read by bench/all.ts).
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { DEFAULT_BOOT, parseBootArgs, type BootOptions } from './boot-common.js';
import { ConsoleRecorder, runCommand, type SerialLink } from './guest-session.js';
import { loadV86, v86MachineOptions, v86Version, type V86Emulator } from './v86-peer.js';

interface V86Guest {
  name: string;
  ip: string;
  emulator: V86Emulator;
  recorder: ConsoleRecorder;
  link: SerialLink;
  /** Frames this guest's NIC transmitted / received over the wire. */
  sent: number;
  received: number;
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

async function createGuests(o: BootOptions, jit: boolean): Promise<{ guests: [V86Guest, V86Guest]; t0: number }> {
  const { V86, wasmPath } = await loadV86();
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  const make = (name: string, ip: string): V86Guest => {
    const emulator = new V86({
      ...v86MachineOptions(o, wasmPath),
      net_device: { type: 'ne2k' },
      autostart: true,
      disable_jit: !jit,
      disable_keyboard: true,
      disable_mouse: true,
      disable_speaker: true,
    });
    const recorder = new ConsoleRecorder();
    emulator.add_listener('serial0-output-byte', (b) => {
      const c = String.fromCharCode(b as number);
      if (o.verbose) process.stderr.write(c);
      recorder.feed('serial', c, now());
    });
    const link: SerialLink = { recorder, send: (t) => emulator.serial0_send(t), now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
    return { name, ip, emulator, recorder, link, sent: 0, received: 0 };
  };
  const a = make('A', '10.0.86.1');
  const b = make('B', '10.0.86.2');
  // The wire: v86's NE2000 hands out a view of its own buffer memory, so copy each frame.
  const wire = (from: V86Guest, to: V86Guest): void => {
    from.emulator.add_listener('net0-send', (frame) => {
      const copy = new Uint8Array(frame as Uint8Array);
      from.sent++;
      setImmediate(() => {
        to.received++;
        to.emulator.bus?.send('net0-receive', copy);
      });
    });
  };
  wire(a, b);
  wire(b, a);
  return { guests: [a, b], t0 };
}

async function waitShell(g: V86Guest, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (g.recorder.times.shell === undefined) {
    if (performance.now() > deadline) throw new Error(`v86 guest ${g.name}: no shell prompt within ${timeoutMs / 1000} s; last serial line: "${g.recorder.lastSerialLine()}"`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Run a command that must succeed; fails with its output. */
async function must(g: V86Guest, cmd: string, timeoutMs = 300_000): Promise<string> {
  const r = await runCommand(g.link, cmd, timeoutMs);
  if (r.status !== 0) throw new Error(`v86 guest ${g.name}: \`${cmd}\` exited ${r.status}: ${r.output.trim().split('\n').slice(-4).join(' / ')}`);
  return r.output;
}

async function configure(g: V86Guest): Promise<string> {
  await runCommand(g.link, 'dmesg -n 1', 60_000);
  const probe = await must(g, 'modprobe ne2k-pci && dmesg | grep eth0');
  await must(g, `ip link set eth0 up && ifconfig eth0 ${g.ip} netmask 255.255.255.0 up`);
  return probe.trim();
}

async function ping(g: V86Guest, to: string, count: number): Promise<{ received: number; avgMs: number; output: string }> {
  const r = await runCommand(g.link, `ping -c ${count} ${to}`, 120_000);
  const c = /(\d+) packets transmitted, (\d+) packets received/.exec(r.output);
  const rtt = /round-trip min\/avg\/max = [\d.]+\/([\d.]+)\/[\d.]+ ms/.exec(r.output);
  return { received: c ? Number(c[2]) : 0, avgMs: rtt ? Number(rtt[1]) : NaN, output: r.output };
}

async function measure(o: BootOptions, jit: boolean, mib: number, runs: number): Promise<Record<string, unknown>> {
  const { guests, t0 } = await createGuests(o, jit);
  const [a, b] = guests;
  try {
    await Promise.all(guests.map((g) => waitShell(g, o.timeoutS * 1000)));
    const probes = await Promise.all(guests.map(configure));
    const bootS = (performance.now() - t0) / 1000;
    console.log(`v86: both guests on the wire after ${bootS.toFixed(1)} s (A ${a.ip}, B ${b.ip}); ${probes[0].split('\n').at(-1) ?? ''}`);
    await must(a, `mkdir -p /tmp/www && dd if=/dev/zero of=/tmp/www/blob bs=1048576 count=${mib} 2>/dev/null && httpd -p 8080 -h /tmp/www`);
    const warm = await ping(b, a.ip, 1); // ARP warm-up
    if (warm.received !== 1) throw new Error(`v86 guest B: no reply from A (ARP/ping warm-up): ${warm.output.trim()}; frames A→B ${a.sent}, B→A ${b.sent}`);
    const mbps: number[] = [];
    const rtts: number[] = [];
    for (let r = 0; r < runs; r++) {
      const base = await runCommand(b.link, 'true', 60_000);
      const w = await runCommand(b.link, `wget -q -O /dev/null http://${a.ip}:8080/blob`, 1_800_000);
      if (w.status !== 0) throw new Error(`v86 guest B: wget failed (exit ${w.status}): ${w.output.trim()}`);
      const s = Math.max(1e-3, (w.hostMs - base.hostMs) / 1000);
      mbps.push((mib * 1048576) / 1e6 / s);
      const p = await ping(b, a.ip, 5);
      if (p.received !== 5) throw new Error(`v86 guest B: ping lost packets: ${p.output.trim()}`);
      rtts.push(p.avgMs);
      console.log(`v86 run ${r + 1}: TCP ${mbps[r].toFixed(3)} MB/s (${mib} MiB in ${s.toFixed(2)} s), ping avg ${p.avgMs} ms`);
    }
    return {
      placement: 'v86', emulator: 'v86', variant: jit ? 'jit' : 'interpreter', version: v86Version() ?? 'unknown',
      nics: ['ne2k (v86)', 'ne2k (v86)'], mib, bootS: Number(bootS.toFixed(1)),
      tcpMBps: Number(median(mbps).toFixed(3)), pingMs: median(rtts), runs: { mbps, rtts },
    };
  } finally {
    for (const g of guests) await g.emulator.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const o = parseBootArgs(process.argv.slice(2), { ...DEFAULT_BOOT, timeoutS: 900 });
  const jit = (o.rest.jit ?? 'on') !== 'off';
  const mib = Number(o.rest.mib ?? 4);
  const runs = Math.max(1, Number(o.rest.runs ?? 3));
  let result: Record<string, unknown>;
  try {
    result = await measure(o, jit, mib, runs);
    console.log(`v86        TCP ${String(result.tcpMBps)} MB/s  ping ${String(result.pingMs)} ms  (median of ${runs}; ne2k ↔ ne2k)`);
  } catch (e) {
    result = { placement: 'v86', emulator: 'v86', failure: e instanceof Error ? e.message : String(e) };
    console.log(`v86: failed: ${String(result.failure)}`);
  }
  console.log(`BENCH-NET ${JSON.stringify([result])}`);
  process.exit(0);
}

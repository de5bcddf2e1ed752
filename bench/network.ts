/**
 * Network benchmark (issue 9): two Linux guests (public/images/linux.img) on one virtual switch,
 * booted once per placement, then measured three times each (median reported):
 *   - guest-to-guest TCP throughput: guest B fetches a file from guest A's busybox httpd with
 *     wget into /dev/null; host wall-clock time from the command to the prompt, minus the round
 *     trip of an empty command, gives MB/s (1 MB = 1e6 bytes) as the emulator delivers it;
 *   - ping RTT: busybox `ping -c 5` average from B to A, as the guest measures it (virtual time).
 *
 *   npm run bench:net -- [--placement isolated|monolithic|both] [--nics e1000,e1000] [--mib 4]
 *
 * Prints one line per measurement and a final `BENCH-NET [{json}, ...]` line, one element per
 * placement (with `failure` instead of figures when that placement failed); bench/all.ts (part
 * `net`) runs it once per placement and reads that line (bench/net-sections.ts).
 */
import { bootPair, createPair, missingForPair, ping, type NetGuest } from '../test/network/guest-pair.js';
import type { Placement } from '../src/machine/config.js';

interface Args { placements: Placement[]; nics: ['e1000' | 'ne2k_pci', 'e1000' | 'ne2k_pci']; mib: number; runs: number }

function parse(argv: string[]): Args {
  const a: Args = { placements: ['isolated', 'monolithic'], nics: ['e1000', 'e1000'], mib: 4, runs: 3 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === '--placement') { a.placements = v === 'both' ? ['isolated', 'monolithic'] : [v as Placement]; i++; }
    else if (argv[i] === '--nics') { a.nics = v.split(',') as Args['nics']; i++; }
    else if (argv[i] === '--mib') { a.mib = Number(v); i++; }
    else if (argv[i] === '--runs') { a.runs = Number(v); i++; }
    else throw new Error(`bench/network: unknown argument ${argv[i]}`);
  }
  for (const p of a.placements) if (p !== 'isolated' && p !== 'monolithic') throw new Error(`bad placement ${String(p)}`);
  return a;
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

async function timed(g: NetGuest, cmd: string): Promise<{ s: number; out: string }> {
  const t = performance.now();
  const out = await g.shell(cmd, 1_800_000);
  return { s: (performance.now() - t) / 1000, out };
}

async function measure(placement: Placement, args: Args): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const pair = await createPair([
    { name: 'A', nic: args.nics[0], module: args.nics[0] === 'e1000' ? 'e1000' : 'ne2k-pci', mac: '52:54:00:12:34:56', placement },
    { name: 'B', nic: args.nics[1], module: args.nics[1] === 'e1000' ? 'e1000' : 'ne2k-pci', mac: '52:54:00:12:34:57', placement },
  ]);
  try {
    await bootPair(pair, 1_800_000);
    const bootS = (performance.now() - t0) / 1000;
    const [a, b] = pair.guests;
    console.log(`${placement}: both guests on the network after ${bootS.toFixed(1)} s (A ${a.ip}, B ${b.ip})`);
    const made = await a.shell(`mkdir -p /tmp/www && dd if=/dev/zero of=/tmp/www/blob bs=1048576 count=${args.mib} 2>/dev/null; httpd -p 8080 -h /tmp/www; echo "httpd=$?"`);
    if (!/httpd=0/.test(made)) throw new Error(`httpd did not start: ${made}`);
    await ping(b, a.ip, 1); // ARP warm-up
    const mbps: number[] = [];
    const rtts: number[] = [];
    for (let r = 0; r < args.runs; r++) {
      const base = await timed(b, 'true');
      const w = await timed(b, `wget -q -O /dev/null http://${a.ip}:8080/blob; echo "wget=$?"`);
      if (!/wget=0/.test(w.out)) throw new Error(`wget failed: ${w.out}`);
      const s = Math.max(1e-3, w.s - base.s);
      mbps.push((args.mib * 1048576) / 1e6 / s);
      const p = await ping(b, a.ip, 5);
      if (p.received !== 5) throw new Error(`ping lost packets: ${p.output}`);
      rtts.push(p.avgMs);
      console.log(`${placement} run ${r + 1}: TCP ${mbps[r].toFixed(3)} MB/s (${args.mib} MiB in ${s.toFixed(2)} s), ping avg ${p.avgMs} ms`);
    }
    return { placement, nics: args.nics, mib: args.mib, bootS: Number(bootS.toFixed(1)), tcpMBps: Number(median(mbps).toFixed(3)), pingMs: median(rtts), runs: { mbps, rtts } };
  } finally {
    await pair.stop();
  }
}

const missing = missingForPair();
if (missing) {
  console.log(`bench/network: skipped (${missing})`);
} else {
  const args = parse(process.argv.slice(2));
  const results: Record<string, unknown>[] = [];
  for (const p of args.placements) {
    try {
      results.push(await measure(p, args));
    } catch (e) {
      // Keep going with the other placement; bench/all.ts reports the failure in its table.
      results.push({ placement: p, nics: args.nics, mib: args.mib, failure: e instanceof Error ? e.message.split('\n')[0] : String(e) });
      console.log(`${p}: failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  for (const r of results) {
    if (r.failure) console.log(`${String(r.placement).padEnd(10)} failed: ${String(r.failure)}`);
    else console.log(`${String(r.placement).padEnd(10)} TCP ${r.tcpMBps} MB/s  ping ${r.pingMs} ms  (median of ${args.runs}; ${(r.nics as string[]).join(' ↔ ')})`);
  }
  console.log(`BENCH-NET ${JSON.stringify(results)}`);
}
process.exit(0);

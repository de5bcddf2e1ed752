/**
 * The network section of `npm run bench` (bench/all.ts, part `net`): guest-to-guest TCP
 * throughput, ping RTT and the time until both guests are on the network, for two Bulkhead
 * guests on a virtual switch (bench/network.ts, isolated and monolithic) and two v86 guests on a
 * back-to-back wire (bench/v86-net.ts). Each child prints `BENCH-NET [{...}]`; this module reads
 * that line and builds the table (medians of the transfers of one pair boot, ratios Bulkhead ÷
 * v86 and isolated ÷ monolithic). Pure: tested with sample output in test/bench/.
 */
import { naCell, ratioCell, textCell, valueCell, type Cell, type Section } from './report.js';

export interface NetTarget {
  key: 'iso' | 'mono' | 'v86';
  title: string;
  /** Bulkhead placement, or the v86 engine ("jit"). */
  variant: string;
}

/** One element of a `BENCH-NET` line (bench/network.ts, bench/v86-net.ts). */
export interface NetResult {
  placement: string;
  nics?: string[];
  mib?: number;
  bootS?: number;
  tcpMBps?: number;
  pingMs?: number;
  runs?: { mbps: number[]; rtts: number[] };
  failure?: string;
}

export interface NetRun {
  target: NetTarget;
  result?: NetResult;
  /** Why there is no result (the child failed, timed out, or was not run). */
  failure?: string;
  /** Host seconds the child took (boots, configuration, transfers). */
  seconds: number;
}

export const NET_PREFIX = 'BENCH-NET ';

/** The first result of the `BENCH-NET` line of a child's stdout, or why there is none. */
export function parseNetOutput(stdout: string): { result?: NetResult; failure?: string } {
  const line = stdout.split('\n').find((l) => l.startsWith(NET_PREFIX));
  const skipped = /^bench\/network: skipped \((.*)\)$/m.exec(stdout);
  if (skipped) return { failure: `skipped: ${skipped[1]}` };
  if (!line) return { failure: 'no BENCH-NET line in its output' };
  try {
    const results = JSON.parse(line.slice(NET_PREFIX.length)) as NetResult[];
    const r = results[0];
    if (!r) return { failure: 'empty BENCH-NET line' };
    if (r.failure) return { result: r, failure: r.failure };
    return { result: r };
  } catch (e) {
    return { failure: `unreadable BENCH-NET line: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function cellOf(run: NetRun, pick: (r: NetResult) => number[] | undefined, unit: string, digits?: number): Cell {
  const xs = run.result && !run.failure ? pick(run.result) : undefined;
  if (xs && xs.length) return valueCell(xs, unit, digits, `${run.target.title}: no successful transfer`);
  return naCell(`${run.target.title}: ${run.failure ?? 'not measured'}`);
}

export function netSection(all: NetRun[], o: { mib: number; bulkheadNic: string; notes?: string[] }): Section {
  const iso = all.find((r) => r.target.key === 'iso');
  const mono = all.find((r) => r.target.key === 'mono');
  const v86 = all.find((r) => r.target.key === 'v86');
  const columns = all.map((r) => r.target.title);
  const ratioColumns: { title: string; a: NetRun; b: NetRun }[] = [];
  if (iso && mono) ratioColumns.push({ title: 'isolated ÷ monolithic', a: iso, b: mono });
  if (v86) for (const b of [iso, mono]) if (b) ratioColumns.push({ title: `${b.target.variant} ÷ v86`, a: b, b: v86 });
  columns.push(...ratioColumns.map((c) => c.title));
  const row = (label: string, cell: (r: NetRun) => Cell, noRatio = false): { label: string; cells: Cell[] } => {
    const cells = all.map(cell);
    for (const c of ratioColumns) cells.push(noRatio ? textCell('—') : ratioCell(cells[all.indexOf(c.a)], cells[all.indexOf(c.b)]));
    return { label, cells };
  };
  const rows = [
    row(`guest-to-guest TCP, wget of ${o.mib} MiB (host-timed)`, (r) => cellOf(r, (x) => x.runs?.mbps ?? (x.tcpMBps !== undefined ? [x.tcpMBps] : undefined), 'MB/s')),
    row('ping RTT B → A, busybox ping -c 5 average (guest clock)', (r) => cellOf(r, (x) => x.runs?.rtts ?? (x.pingMs !== undefined ? [x.pingMs] : undefined), 'ms')),
    row('seconds until both guests are on the network', (r) => cellOf(r, (x) => (x.bootS !== undefined ? [x.bootS] : undefined), 's', 1)),
  ];
  const nicOf = (r: NetRun | undefined): string => r?.result?.nics?.join(' ↔ ') ?? '';
  return {
    title: 'Network: guest to guest (two linux.img guests, 128 MiB each)',
    columns,
    rows,
    notes: [
      `Two guests booted together in one Node process (one pair boot per emulator), then: guest A serves ${o.mib} MiB of zeros with busybox httpd, guest B fetches it with \`wget -q -O /dev/null\`, timed on the host from typing the command to the shell being back, minus the round trip of an empty command (MB/s = 10^6 bytes/s); then \`ping -c 5\` from B to A (average RTT by the guest's clock). The transfers are repeated on the same pair (medians; the run count in brackets).`,
      `Bulkhead (bench/network.ts): ${nicOf(iso) || nicOf(mono) || o.bulkheadNic} on Bulkhead's virtual switch with its gateway services; the guests get their addresses by DHCP. v86 (bench/v86-net.ts): its NE2000 (PCI, RTL8029, the only NIC besides virtio), the two NICs joined back to back through v86's \`net0-send\` / \`net0-receive\` bus events; static addresses. ${o.bulkheadNic === 'ne2k_pci' ? 'All guests load ne2k-pci from the image\'s initramfs: the same guest driver on both emulators.' : `Bulkhead runs ${o.bulkheadNic} here (--net-nic), v86 its NE2000: different guest drivers, so the Bulkhead ÷ v86 ratios compare NICs as well as emulators.`}`,
      'Ratios are Bulkhead ÷ v86 (and isolated ÷ monolithic): above 1 means Bulkhead is faster for the throughput, slower for the RTT and the seconds. "Seconds until both guests are on the network" is host time from the start of the pair to both guests configured: Bulkhead\'s includes the DHCP exchange (and a 2 s link settle), v86\'s static addresses do not.',
      ...(o.notes ?? []),
    ],
  };
}

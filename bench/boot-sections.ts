/**
 * Report sections made from the boot runs (bench/all.ts → bench/boot.ts, bench/v86-peer.ts):
 * boot milestones and effective MIPS, memory beyond guest RAM, in-guest storage throughput; the
 * network section comes from bench/net-sections.ts (a placeholder when that part did not run). Medians over the runs that reached each figure; ratios
 * Bulkhead ÷ v86 and isolated ÷ monolithic. Pure: tested with fake runs in test/bench/.
 */
import type { BootResult } from './boot-common.js';
import { MILESTONES } from './guest-session.js';
import { naCell, ratioCell, textCell, valueCell, type Cell, type Row, type Section } from './report.js';

export interface BootTarget {
  key: 'iso' | 'mono' | 'v86' | 'v86i';
  emulator: 'bulkhead' | 'v86';
  variant: string;
  title: string;
}

export interface TargetRuns {
  target: BootTarget;
  runs: BootResult[];
  notes: string[];
}

const MiB = 1024 * 1024;

/** Why a target has no figure for a milestone: the honest story of its best run. */
function missingReason(tr: TargetRuns, what: string, timeoutS: number): string {
  if (tr.runs.length === 0) return `${tr.target.title}: not run`;
  const best = [...tr.runs].sort((a, b) => Object.keys(b.milestones).length - Object.keys(a.milestones).length)[0];
  const why = best.failure ?? `runs stopped before ${what} (the first run did not get further; timeout ${timeoutS} s)`;
  return `${tr.target.title}: ${why}; last serial line: "${best.lastSerialLine || '(nothing on serial)'}"`;
}

/** Runs that aimed at the full goal (not shortened to an earlier milestone). */
function fullRuns(tr: TargetRuns): BootResult[] {
  const full = tr.runs.filter((r) => r.goal === undefined || r.goal === 'shell' || r.goal === 'marker');
  return full.length ? full : tr.runs;
}

function byKey(all: TargetRuns[], key: BootTarget['key']): TargetRuns | undefined {
  return all.find((t) => t.target.key === key);
}

/** Columns: each target, then isolated ÷ monolithic and each Bulkhead placement ÷ v86 (JIT). */
function columnsAndRow(all: TargetRuns[], label: string, cellOf: (tr: TargetRuns) => Cell, noRatio = false): { columns: string[]; row: Row } {
  const columns = all.map((t) => t.target.title);
  const cells = all.map(cellOf);
  const none = textCell('—');
  const iso = byKey(all, 'iso');
  const mono = byKey(all, 'mono');
  const v86 = byKey(all, 'v86');
  const cell = (t: TargetRuns | undefined): Cell => (t ? cells[all.indexOf(t)] : naCell('not run'));
  if (iso && mono) {
    columns.push('isolated ÷ monolithic');
    cells.push(noRatio ? none : ratioCell(cell(iso), cell(mono)));
  }
  if (v86) {
    for (const b of [iso, mono]) {
      if (!b) continue;
      columns.push(`${b.target.variant} ÷ v86`);
      cells.push(noRatio ? none : ratioCell(cell(b), cell(v86)));
    }
  }
  return { columns, row: { label, cells } };
}

function buildSection(title: string, all: TargetRuns[], rows: { label: string; cell: (tr: TargetRuns) => Cell; noRatio?: boolean }[], notes: string[]): Section {
  let columns: string[] = [];
  const out: Row[] = [];
  for (const r of rows) {
    const c = columnsAndRow(all, r.label, r.cell, r.noRatio);
    columns = c.columns;
    out.push(c.row);
  }
  return { title, columns, rows: out, notes };
}

const NOISE_PERCENT = 10;

/**
 * The net random-read rate N ÷ (disk loop − /dev/zero loop) means nothing when the two loops
 * differ by less than NOISE_PERCENT: net ÷ raw = disk ÷ (disk − zero) is then above 100/10.
 */
function netWithinNoise(r: BootResult): boolean {
  const raw = r.storage?.randReadsPerS;
  const net = r.storage?.randReadsPerSNet;
  if (raw === undefined || raw <= 0) return false;
  return net === undefined ? r.storage?.seqMBps !== undefined : net / raw > 100 / NOISE_PERCENT;
}

/**
 * The boot, memory and storage sections, then the network section: `network` when the `net`
 * part ran (bench/net-sections.ts), else a placeholder saying it was not measured.
 */
export function bootSections(all: TargetRuns[], timeoutS: number, network?: Section): Section[] {
  const milestoneRows = MILESTONES.filter((m) => m.id !== 'shell').map((m) => ({
    label: `seconds to ${m.label}`,
    cell: (tr: TargetRuns): Cell => valueCell(tr.runs.map((r) => r.milestones[m.id] ?? NaN), 's', undefined, missingReason(tr, m.label, timeoutS)),
  }));
  const bootNotes = [
    'Host seconds from the start of the emulator (firmware already in memory, disk image opened) to the first appearance of each text: SeaBIOS\'s on its debug port 0x402 (or serial), the others on COM1. Each boot runs in its own Node process; the emulators take turns, round-robin.',
    'A run that misses its goal ends at the timeout (or when the guest stops for good); later runs of that emulator then stop at the last milestone the first run reached, so the earlier milestones still get several runs. "effective MIPS" = guest instructions ÷ host seconds from the start to the end of a full run (the shell, the timeout or the stop; shortened runs are left out); v86 counts instructions of JIT-compiled code too. CPU seconds are the process\'s user + system time (all threads), a guard against a busy machine.',
    'Ratios are Bulkhead ÷ v86 (and isolated ÷ monolithic): above 1 means Bulkhead takes longer for times and is faster for rates.',
    ...all.flatMap((t) => t.notes.map((n) => `${t.target.title}: ${n}`)),
  ];
  const boot = buildSection('Boot of public/images/linux.img (128 MiB RAM)', all, [
    ...milestoneRows,
    {
      label: 'effective MIPS during the run',
      cell: (tr) => valueCell(fullRuns(tr).filter((r) => r.instructions && r.hostSeconds > 0).map((r) => r.instructions! / r.hostSeconds / 1e6), 'MIPS', 1, `${tr.target.title}: no instruction count`),
    },
    {
      label: 'CPU seconds per host second',
      cell: (tr) => valueCell(fullRuns(tr).filter((r) => r.hostSeconds > 0).map((r) => r.cpuSeconds / r.hostSeconds), '', 2, `${tr.target.title}: not measured`),
      noRatio: true,
    },
  ], bootNotes);

  const memory = buildSection('Memory (process of one machine, after boot)', all, [
    { label: 'peak RSS', cell: (tr) => valueCell(fullRuns(tr).filter((r) => r.memory.peakRss > 0).map((r) => r.memory.peakRss / MiB), 'MiB', 0, `${tr.target.title}: not measured`) },
    {
      label: 'peak RSS beyond guest RAM',
      cell: (tr) => valueCell(fullRuns(tr).filter((r) => r.memory.peakRss > 0).map((r) => (r.memory.peakRss - r.memory.guestRam) / MiB), 'MiB', 0, `${tr.target.title}: not measured`),
    },
    {
      label: 'peak RSS added by the machine (peak − before)',
      cell: (tr) => valueCell(fullRuns(tr).filter((r) => r.memory.peakRss > 0).map((r) => (r.memory.peakRss - r.memory.baselineRss) / MiB), 'MiB', 0, `${tr.target.title}: not measured`),
    },
    { label: 'RSS before the machine (Node + code)', cell: (tr) => valueCell(fullRuns(tr).filter((r) => r.memory.baselineRss > 0).map((r) => r.memory.baselineRss / MiB), 'MiB', 0, `${tr.target.title}: not measured`), noRatio: true },
    { label: 'peak JS heap used', cell: (tr) => valueCell(fullRuns(tr).filter((r) => r.memory.peakHeapUsed > 0).map((r) => r.memory.peakHeapUsed / MiB), 'MiB', 0, `${tr.target.title}: not measured`) },
  ], [
    'Measured in the boot process: process.memoryUsage().rss sampled every 250 ms and the kernel\'s maxRSS (process.resourceUsage()) at the end, over the whole run (boot and workloads), all worker threads included. "Beyond guest RAM" subtracts the configured 128 MiB; guest pages the guest never touched are not resident, so this understates the overhead of a guest that uses all its RAM and can even be negative (no ratio is given then). Only full runs count (not those shortened to an earlier milestone); a run that stopped early has touched less of its RAM, so compare targets that reached the same milestone. Isolated: the device workers (one Node worker_threads isolate per class, each loading its code through tsx) are in the same process and counted.',
  ]);

  const storageValue = (tr: TargetRuns, pick: (r: BootResult) => number | undefined, unit: string): Cell => {
    const got = tr.runs.map((r) => (r.storage ? pick(r) : undefined)).filter((x): x is number => x !== undefined);
    if (got.length) return valueCell(got, unit);
    const withShell = tr.runs.find((r) => r.milestones.shell !== undefined);
    if (!withShell) return naCell(`${tr.target.title}: not available (guest does not reach a shell yet)`);
    const err = tr.runs.find((r) => r.storage?.error)?.storage?.error;
    return naCell(`${tr.target.title}: ${err ?? 'workload did not run'}`);
  };
  const storage = buildSection('Storage inside the guest (IDE disk, linux.img)', all, [
    { label: 'sequential read, dd bs=1M count=16 (host-timed)', cell: (tr) => storageValue(tr, (r) => r.storage?.seqMBps, 'MB/s') },
    { label: 'random 4 KiB reads (dd per read, incl. fork/exec)', cell: (tr) => storageValue(tr, (r) => r.storage?.randReadsPerS, 'reads/s') },
    {
      label: 'random 4 KiB reads, net of the /dev/zero loop',
      cell: (tr) => {
        const c = storageValue(tr, (r) => netWithinNoise(r) ? undefined : r.storage?.randReadsPerSNet, 'reads/s');
        if (c.kind === 'na' && tr.runs.some(netWithinNoise)) {
          return naCell(`${tr.target.title}: the disk loop took less than ${NOISE_PERCENT}% longer than the /dev/zero loop (within noise: the reads cost less than the fork/exec around them)`);
        }
        return c;
      },
    },
  ], [
    'After `loadmods` (ata_piix, sd_mod) and `echo 3 > /proc/sys/vm/drop_caches`: `dd if=/dev/sda of=/dev/null bs=1M count=16`, timed on the host from typing the command to its end sentinel minus an empty command\'s round trip. Random reads: 100 iterations of `dd bs=4096 count=1 skip=$((RANDOM % blocks))` with RANDOM seeded alike on both emulators; "net" subtracts the same loop reading /dev/zero.',
  ]);

  const placeholder: Section = {
    title: 'Network',
    columns: all.map((t) => t.target.title),
    rows: [{
      label: 'guest-to-guest throughput',
      cells: all.map(() => naCell('not measured in this run: the `net` part did not run (--quick leaves it out; add it with `--only ...,net`)')),
    }],
    notes: [],
  };
  return [boot, memory, storage, network ?? placeholder];
}

/**
 * `npm run bench`: how fast Bulkhead is, with a peer emulator (v86) measured in the same run on
 * the same machine, so that ratios hold even when absolute figures move with the machine's load.
 *
 *   npm run bench [-- --quick] [-- --runs N] [-- --timeout S] [-- --budget-min M]
 *                 [-- --only cpu,channel,boot,net] [-- --v86-interpreter] [-- --from-json FILE]
 *                 [-- --net-mib N] [-- --net-nic ne2k_pci|e1000]
 *
 * Parts: bench:cpu and bench:channel (run as child processes, their tables parsed:
 * bench/parse-children.ts); boot runs (bench/boot.ts for Bulkhead isolated and monolithic,
 * bench/v86-peer.ts for v86), each in its own process, taken round-robin so that load drift
 * hits every emulator alike; storage workloads in the guest when it reaches its shell; memory
 * from the boot processes; the network part (`net`: two guests per emulator, bench/network.ts
 * for Bulkhead, bench/v86-net.ts for v86, one child process per pair; bench/net-sections.ts).
 * The full run includes `net`; --quick leaves it out unless --only names it. Output: a markdown report on stdout and in
 * bench/results/latest.md, JSON in bench/results/latest.json, dated copies beside them.
 * docs/performance.md explains each figure.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { RESULT_PREFIX, type BootResult } from './boot-common.js';
import { bootSections, type BootTarget, type TargetRuns } from './boot-sections.js';
import { netSection, parseNetOutput, type NetRun, type NetTarget } from './net-sections.js';
import { parseChannelOutput, parseCpuOutput } from './parse-children.js';
import { datedName, naCell, reportJson, reportMarkdown, type BenchMeta, type BenchReport, type MachineInfo, type Section } from './report.js';
import type { MilestoneId } from './guest-session.js';
import { MILESTONES } from './guest-session.js';
import { v86Version } from './v86-peer.js';

const require = createRequire(import.meta.url);
const RESULTS_DIR = 'bench/results';

interface Args {
  quick: boolean;
  runs: number;
  timeoutS: number;
  budgetMin: number;
  only: Set<string>;
  v86Interpreter: boolean;
  /** Re-render the report of an earlier JSON (its raw part) instead of measuring. */
  fromJson: string | undefined;
  /** Size of the file each guest-to-guest transfer fetches (part `net`). */
  netMib: number;
  /** Bulkhead's NIC in the network part (v86's is an NE2000, hence the default). */
  netNic: 'ne2k_pci' | 'e1000';
  /** --only was given (else the default parts, which depend on --quick). */
  onlyGiven: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    quick: false, runs: 3, timeoutS: 300, budgetMin: 15, only: new Set(['cpu', 'channel', 'boot', 'net']), v86Interpreter: false, fromJson: undefined,
    netMib: 4, netNic: 'ne2k_pci', onlyGiven: false,
  };
  let runsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = (): string => {
      if (i + 1 >= argv.length) throw new Error(`${k} needs a value`);
      return argv[++i];
    };
    if (k === '--quick') a.quick = true;
    else if (k === '--runs') { a.runs = Math.max(1, parseInt(v(), 10)); runsGiven = true; }
    else if (k === '--timeout') a.timeoutS = Number(v());
    else if (k === '--budget-min') a.budgetMin = Number(v());
    else if (k === '--only') { a.only = new Set(v().split(',')); a.onlyGiven = true; }
    else if (k === '--net-mib') a.netMib = Number(v());
    else if (k === '--net-nic') {
      const n = v();
      if (n !== 'ne2k_pci' && n !== 'e1000') throw new Error('--net-nic: ne2k_pci or e1000');
      a.netNic = n;
    }
    else if (k === '--v86-interpreter') a.v86Interpreter = true;
    else if (k === '--from-json') a.fromJson = v();
    else throw new Error(`unknown option ${k} (see the header of bench/all.ts)`);
  }
  if (a.quick && !runsGiven) a.runs = 1;
  // Three two-guest boots take 10-20 minutes on a loaded machine: too long for --quick.
  if (a.quick && !a.onlyGiven) a.only.delete('net');
  for (const p of a.only) if (!['cpu', 'channel', 'boot', 'net'].includes(p)) throw new Error(`--only: unknown part ${p} (cpu, channel, boot, net)`);
  return a;
}

interface ChildResult { code: number | null; stdout: string; stderr: string; timedOut: boolean; seconds: number }

/** Run `tsx script args` in a child process with a time limit; never throws. */
function runTsx(script: string, args: string[], timeoutMs: number, echo = false): Promise<ChildResult> {
  const tsxCli = require.resolve('tsx/cli');
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [tsxCli, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (echo) process.stderr.write(d);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const finish = (code: number | null): void => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut, seconds: (performance.now() - t0) / 1000 });
    };
    child.on('error', (e) => { stderr += String(e); finish(-1); });
    child.on('close', (code) => finish(code));
  });
}

function childFailure(what: string, r: ChildResult): string {
  const tail = (r.stderr || r.stdout).trim().split('\n').filter((l) => !/^npm warn/.test(l)).slice(-3).join(' / ');
  if (r.timedOut) return `${what} did not finish within its time limit${tail ? `: ${tail}` : ''}`;
  return `${what} failed (exit ${r.code})${tail ? `: ${tail}` : ''}`;
}

function unavailableSection(title: string, reason: string): Section {
  return { title, columns: ['result'], rows: [{ label: title, cells: [naCell(reason)] }], notes: [] };
}

async function cpuSection(): Promise<{ section: Section; raw: unknown }> {
  if (!existsSync('bench/cpu.ts')) return { section: unavailableSection('CPU core (bench:cpu)', 'not available: bench/cpu.ts is missing'), raw: null };
  const r = await runTsx('bench/cpu.ts', [], 15 * 60_000);
  const section = parseCpuOutput(r.stdout);
  if (r.code !== 0 || section.rows.length === 0) {
    section.rows.push({ label: 'bench:cpu', cells: [naCell(`not available: ${childFailure('bench:cpu', r)}`), naCell('see left')] });
  }
  section.notes.push(`Peer: v86 is not run on these bare-core loops (they need Bulkhead's test harness); the same-guest comparison is "effective MIPS" in the boot section. bench:cpu took ${r.seconds.toFixed(0)} s.`);
  return { section, raw: { stdout: r.stdout, exit: r.code } };
}

async function channelSection(quick: boolean): Promise<{ section: Section; raw: unknown }> {
  if (!existsSync('bench/channel.ts')) return { section: unavailableSection('Device channel (bench:channel)', 'not available: bench/channel.ts is missing'), raw: null };
  const r = await runTsx('bench/channel.ts', quick ? ['--node-only'] : [], 10 * 60_000);
  const section = parseChannelOutput(r.stdout);
  if (r.code !== 0 || section.rows.length === 0) {
    section.rows.push({ label: 'bench:channel', cells: [naCell(`not available: ${childFailure('bench:channel', r)}`), naCell('see left'), naCell('see left')] });
  }
  if (quick) section.notes.push('Quick mode: the Chromium part was skipped (--node-only).');
  section.notes.push(`The channel is Bulkhead's own mechanism; v86 has no counterpart. bench:channel took ${r.seconds.toFixed(0)} s.`);
  return { section, raw: { stdout: r.stdout, exit: r.code } };
}

/** Run one boot of a target in its own process. */
async function bootOnce(t: BootTarget, timeoutS: number, stopAt: MilestoneId | undefined, workloads: boolean): Promise<BootResult & { wallSeconds: number }> {
  const args = ['--timeout', String(timeoutS)];
  if (stopAt) args.push('--stop-at', stopAt);
  if (!workloads) args.push('--no-workloads');
  const script = t.emulator === 'v86' ? 'bench/v86-peer.ts' : 'bench/boot.ts';
  if (t.emulator === 'v86') args.push('--jit', t.variant === 'jit' ? 'on' : 'off');
  else args.push('--placement', t.variant);
  // Time limit of the child: the boot, the workloads, start-up and shutdown.
  const r = await runTsx(script, args, (timeoutS * 3 + 120) * 1000);
  const line = r.stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
  if (line) return { ...(JSON.parse(line.slice(RESULT_PREFIX.length)) as BootResult), wallSeconds: r.seconds };
  return {
    wallSeconds: r.seconds,
    emulator: t.emulator, variant: t.variant, ok: false, milestones: {}, lastSerialLine: '', failure: childFailure(script, r),
    hostSeconds: r.seconds, cpuSeconds: 0, memory: { baselineRss: 0, peakRss: 0, peakHeapUsed: 0, peakExternal: 0, guestRam: 0 }, info: {},
  };
}

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

async function bootRuns(a: Args, started: number): Promise<TargetRuns[]> {
  const targets: BootTarget[] = [
    { key: 'iso', emulator: 'bulkhead', variant: 'isolated', title: 'Bulkhead isolated' },
    { key: 'mono', emulator: 'bulkhead', variant: 'monolithic', title: 'Bulkhead monolithic' },
    { key: 'v86', emulator: 'v86', variant: 'jit', title: 'v86 (JIT)' },
  ];
  if (a.v86Interpreter) targets.push({ key: 'v86i', emulator: 'v86', variant: 'interpreter', title: 'v86 (no JIT)' });
  const out: TargetRuns[] = targets.map((target) => ({ target, runs: [], notes: [] }));
  const budgetS = a.budgetMin * 60;
  for (let i = 0; i < a.runs; i++) {
    // Rotate the order each round so no emulator always runs first (or last) in a round.
    const order = out.map((_, j) => out[(i + j) % out.length]);
    for (const tr of order) {
      const first = tr.runs[0];
      let stopAt: MilestoneId | undefined;
      let workloads = true;
      if (first && !first.ok) {
        // The first run missed its goal: later runs stop at the last milestone it did reach,
        // so that milestone's median still comes from several runs without paying the timeout.
        stopAt = first.info.lastMilestone as MilestoneId | undefined;
        if (!stopAt || stopAt === ('none' as MilestoneId)) continue;
        workloads = false;
      }
      const elapsed = (performance.now() - started) / 1000;
      // Expected length: the longest earlier run of this target, start-up and workloads included.
      let expected = first ? Math.max(...tr.runs.map((r) => (r as BootResult & { wallSeconds?: number }).wallSeconds ?? r.hostSeconds + 20)) : 0;
      if (first && stopAt) expected = (first.milestones[stopAt] ?? first.hostSeconds) + 30;
      if (i > 0 && elapsed + expected > budgetS) {
        tr.notes.push(`run ${i + 1} of ${a.runs} skipped: it would pass the ${a.budgetMin}-minute budget (--budget-min)`);
        continue;
      }
      log(`boot ${tr.target.title}, run ${i + 1}/${a.runs}${stopAt ? ` (to ${stopAt})` : ''}...`);
      const r = await bootOnce(tr.target, a.timeoutS, stopAt, workloads);
      tr.runs.push(r);
      const ms = MILESTONES.filter((m) => r.milestones[m.id] !== undefined).map((m) => `${m.id} ${r.milestones[m.id]!.toFixed(1)} s`).join(', ');
      log(`  ${r.ok ? 'ok' : `not ok: ${r.failure}`}; ${ms || 'no milestone'}${r.ok ? '' : `; last serial line: ${r.lastSerialLine}`}`);
    }
  }
  return out;
}

/**
 * The network part: one pair of guests per emulator, each pair in its own child process
 * (bench/network.ts for a Bulkhead placement, bench/v86-net.ts for v86), a.runs transfers on
 * each pair (the boot of a pair costs minutes; the transfers are the repeated measurement).
 */
async function netRuns(a: Args): Promise<NetRun[]> {
  const targets: NetTarget[] = [
    { key: 'iso', title: 'Bulkhead isolated', variant: 'isolated' },
    { key: 'mono', title: 'Bulkhead monolithic', variant: 'monolithic' },
    { key: 'v86', title: 'v86 (JIT)', variant: 'jit' },
  ];
  const out: NetRun[] = [];
  // Two guests boot at once on the same cores: allow three single-boot timeouts for the pair.
  const pairTimeoutS = a.timeoutS * 3;
  for (const target of targets) {
    log(`network: ${target.title}, two guests, ${a.runs} transfer(s) of ${a.netMib} MiB...`);
    const common = ['--mib', String(a.netMib), '--runs', String(a.runs)];
    const r = target.key === 'v86'
      ? await runTsx('bench/v86-net.ts', [...common, '--timeout', String(pairTimeoutS)], (pairTimeoutS * 2 + 600) * 1000)
      : await runTsx('bench/network.ts', [...common, '--placement', target.variant, '--nics', `${a.netNic},${a.netNic}`], (pairTimeoutS * 2 + 600) * 1000);
    const parsed = parseNetOutput(r.stdout);
    // A child that died without its BENCH-NET line: say how (exit code, timeout, last lines).
    const failure = !parsed.result && (r.code !== 0 || r.timedOut) ? childFailure(target.key === 'v86' ? 'bench/v86-net.ts' : 'bench/network.ts', r) : parsed.failure;
    const run: NetRun = { target, result: parsed.result, failure, seconds: r.seconds };
    out.push(run);
    log(`  ${run.failure ? `not ok: ${run.failure}` : `ok: ${run.result?.tcpMBps} MB/s, ping ${run.result?.pingMs} ms`} (${r.seconds.toFixed(0)} s)`);
  }
  return out;
}

function netNotes(a: { quick: boolean }): string[] {
  return a.quick ? ['Quick mode with `net` named in --only.'] : [];
}

function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1].trim();
  } catch {
    // not Linux: keep os.cpus()
  }
  return {
    cpuModel,
    cores: os.cpus().length,
    memoryGiB: os.totalmem() / 2 ** 30,
    loadAverage: os.loadavg(),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

function packageVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  try {
    out.bulkhead = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
  } catch {
    out.bulkhead = 'unknown';
  }
  for (const name of ['assemblyscript', 'typescript', 'tsx']) {
    try {
      out[name] = (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
    } catch {
      out[name] = 'not installed';
    }
  }
  out.v86 = v86Version() ?? 'not installed';
  return out;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** Sections from the raw part of a report (what --from-json re-renders with today's code). */
function sectionsFromRaw(raw: Record<string, unknown>, meta: BenchMeta): Section[] {
  const sections: Section[] = [];
  const cpu = raw.cpu as { stdout: string } | null | undefined;
  if (cpu) sections.push(parseCpuOutput(cpu.stdout));
  const channel = raw.channel as { stdout: string } | null | undefined;
  if (channel) sections.push(parseChannelOutput(channel.stdout));
  const net = raw.net as { mib: number; nic: string; runs: NetRun[] } | undefined;
  const netSec = net ? netSection(net.runs, { mib: net.mib, bulkheadNic: net.nic }) : undefined;
  const boot = raw.boot as TargetRuns[] | undefined;
  if (boot) sections.push(...bootSections(boot, meta.bootTimeoutS, netSec));
  else if (netSec) sections.push(netSec);
  return sections;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (a.fromJson) {
    const old = JSON.parse(readFileSync(a.fromJson, 'utf8')) as BenchReport;
    const md = reportMarkdown({ ...old, sections: sectionsFromRaw(old.raw, old.meta) });
    process.stdout.write(md);
    return;
  }
  const started = performance.now();
  const date = new Date().toISOString();
  const machine = machineInfo();
  const sections: Section[] = [];
  const raw: Record<string, unknown> = {};
  log(`${machine.cpuModel}, ${machine.cores} cores, load ${machine.loadAverage.map((x) => x.toFixed(1)).join(' ')}; ${a.quick ? 'quick' : 'full'} mode, ${a.runs} run(s), boot timeout ${a.timeoutS} s`);
  if (a.only.has('cpu')) {
    log('bench:cpu...');
    const c = await cpuSection();
    sections.push(c.section);
    raw.cpu = c.raw;
  }
  if (a.only.has('channel')) {
    log('bench:channel...');
    const c = await channelSection(a.quick);
    sections.push(c.section);
    raw.channel = c.raw;
  }
  let bootRunsDone: TargetRuns[] | undefined;
  if (a.only.has('boot')) {
    bootRunsDone = await bootRuns(a, started);
    raw.boot = bootRunsDone.map((r) => ({ target: r.target, runs: r.runs, notes: r.notes }));
  }
  let netSec: Section | undefined;
  if (a.only.has('net')) {
    const runs = await netRuns(a);
    netSec = netSection(runs, { mib: a.netMib, bulkheadNic: a.netNic, notes: netNotes(a) });
    raw.net = { mib: a.netMib, nic: a.netNic, runs };
  } else if (a.quick) {
    log('network: left out in quick mode (add it with --only cpu,channel,boot,net)');
  }
  // The network table comes after the boot tables (bootSections puts a placeholder there when
  // the net part did not run).
  if (bootRunsDone) sections.push(...bootSections(bootRunsDone, a.timeoutS, netSec));
  else if (netSec) sections.push(netSec);
  const meta: BenchMeta = {
    date,
    gitCommit: git(['rev-parse', 'HEAD']) || 'unknown',
    gitDirty: git(['status', '--porcelain']).length > 0,
    machine,
    packages: packageVersions(),
    mode: a.quick ? 'quick' : 'full',
    runs: a.runs,
    bootTimeoutS: a.timeoutS,
    elapsedS: (performance.now() - started) / 1000,
  };
  const report: BenchReport = { meta, sections, raw };
  const md = reportMarkdown(report);
  const json = reportJson(report);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, 'latest.md'), md);
  writeFileSync(join(RESULTS_DIR, 'latest.json'), json);
  writeFileSync(join(RESULTS_DIR, datedName(date, 'md')), md);
  writeFileSync(join(RESULTS_DIR, datedName(date, 'json')), json);
  process.stdout.write(md);
  log(`written ${RESULTS_DIR}/latest.md and latest.json (and dated copies)`);
}

await main();
process.exit(0);

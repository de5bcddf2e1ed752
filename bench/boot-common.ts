/**
 * Shared by the two boot benchmarks (bench/boot.ts for Bulkhead, bench/v86-peer.ts for v86):
 * the options and result of one boot run, the process memory sampler, and the one-line JSON
 * protocol a child process uses to hand its result to bench/all.ts (`BENCH-RESULT {...}` on
 * stdout). Each boot runs in its own Node process so that memory figures are of one machine.
 */
import type { MilestoneId } from './guest-session.js';
import type { StorageResult } from './guest-workloads.js';

export interface BootOptions {
  image: string;
  bios: string;
  vgaBios: string;
  ramMiB: number;
  /** Give up after this many seconds of host time. */
  timeoutS: number;
  /** Stop as soon as this milestone is reached (default: the shell, or the marker). */
  stopAt?: MilestoneId;
  /** Run the in-guest storage workloads when the shell is reached. */
  workloads: boolean;
  /** Echo the serial console to stderr. */
  verbose: boolean;
}

export interface MemoryFigures {
  /** RSS of the process before the machine was created (Node + loaded code), bytes. */
  baselineRss: number;
  /** Highest RSS seen (sampled every 250 ms, and the kernel's maxRSS at the end), bytes. */
  peakRss: number;
  /** Highest V8 heap used, bytes. */
  peakHeapUsed: number;
  /** ArrayBuffers and external memory at the peak sample (includes wasm memories), bytes. */
  peakExternal: number;
  /** Guest RAM configured, bytes. */
  guestRam: number;
}

export interface BootResult {
  emulator: 'bulkhead' | 'v86';
  /** Bulkhead placement, or the v86 engine variant ("jit"). */
  variant: string;
  ok: boolean;
  /** The milestone the run aimed at (the shell for a full run; earlier for a shortened one). */
  goal?: MilestoneId;
  /** Host seconds from start to each milestone reached. */
  milestones: Partial<Record<MilestoneId, number>>;
  lastSerialLine: string;
  /** Why the run ended without reaching its goal (timeout, stuck guest, error). */
  failure?: string;
  /** Guest instructions executed and host seconds, to the last milestone or the end. */
  instructions?: number;
  hostSeconds: number;
  /** CPU seconds (user + system) the whole process used, all threads. */
  cpuSeconds: number;
  memory: MemoryFigures;
  storage?: StorageResult;
  /** Versions / notes about the emulator. */
  info: Record<string, string>;
}

export const RESULT_PREFIX = 'BENCH-RESULT ';

/** Samples process memory until stop(). */
export class MemorySampler {
  private readonly timer: ReturnType<typeof setInterval>;
  readonly figures: MemoryFigures;

  constructor(guestRamBytes: number) {
    const m = process.memoryUsage();
    this.figures = { baselineRss: m.rss, peakRss: m.rss, peakHeapUsed: m.heapUsed, peakExternal: m.external + m.arrayBuffers, guestRam: guestRamBytes };
    this.timer = setInterval(() => this.sample(), 250);
    this.timer.unref();
  }

  sample(): void {
    const m = process.memoryUsage();
    const f = this.figures;
    if (m.rss > f.peakRss) {
      f.peakRss = m.rss;
      f.peakExternal = m.external + m.arrayBuffers;
    }
    f.peakHeapUsed = Math.max(f.peakHeapUsed, m.heapUsed);
  }

  stop(): MemoryFigures {
    this.sample();
    clearInterval(this.timer);
    // maxRSS is in KiB and covers the whole process, every worker thread included.
    this.figures.peakRss = Math.max(this.figures.peakRss, process.resourceUsage().maxRSS * 1024);
    return this.figures;
  }
}

/** Parse a child's argv (`--image P --timeout S --stop-at M --ram MiB --no-workloads -v`). */
export function parseBootArgs(argv: readonly string[], defaults: BootOptions): BootOptions & { rest: Record<string, string> } {
  const o = { ...defaults, rest: {} as Record<string, string> };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--image') o.image = next();
    else if (a === '--bios') o.bios = next();
    else if (a === '--vga-bios') o.vgaBios = next();
    else if (a === '--ram') o.ramMiB = Number(next());
    else if (a === '--timeout') o.timeoutS = Number(next());
    else if (a === '--stop-at') o.stopAt = next() as MilestoneId;
    else if (a === '--no-workloads') o.workloads = false;
    else if (a === '-v' || a === '--verbose') o.verbose = true;
    else if (a.startsWith('--')) o.rest[a.slice(2)] = next();
    else throw new Error(`unexpected argument ${a}`);
  }
  return o;
}

export const DEFAULT_BOOT: BootOptions = {
  image: 'public/images/linux.img',
  bios: 'public/images/bios-256k.bin',
  vgaBios: 'public/images/vgabios-stdvga.bin',
  ramMiB: 128,
  timeoutS: 300,
  workloads: true,
  verbose: false,
};

/** Seconds, rounded to ms, of a ms milestone table. */
export function toSeconds(times: Partial<Record<MilestoneId, number>>): Partial<Record<MilestoneId, number>> {
  const out: Partial<Record<MilestoneId, number>> = {};
  for (const [k, v] of Object.entries(times)) out[k as MilestoneId] = Math.round(v) / 1000;
  return out;
}

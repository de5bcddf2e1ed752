/**
 * In-guest workloads, typed into the busybox shell of public/images/linux.img over the serial
 * console, identically on Bulkhead and on the peer emulator:
 *
 * - loadmods: the image's /bin/loadmods (ata_piix, sd_mod, ...), so /dev/sda exists.
 * - sequential read: `dd if=/dev/sda of=/dev/null bs=1M count=16` after dropping the page cache
 *   (`echo 3 > /proc/sys/vm/drop_caches`), timed on the host from typing the command to its end
 *   sentinel, minus the round trip of an empty command; busybox dd's own figure (guest clock)
 *   is kept too.
 * - random 4 KiB reads: a busybox sh loop of N `dd bs=4096 count=1 skip=$((RANDOM % blocks))`
 *   with a fixed RANDOM seed (the same offsets on both emulators), after dropping the cache;
 *   reported as reads per second, raw and net of the same loop reading /dev/zero (which costs
 *   the same fork/exec per iteration but no disk I/O).
 */
import { runCommand, type SerialLink } from './guest-session.js';

export interface StorageResult {
  loadmods: { ok: boolean; output: string; hostMs: number };
  /** MB/s (10^6 bytes per second) measured on the host. */
  seqMBps?: number;
  /** busybox dd's own report, MB/s by the guest clock. */
  seqGuestMBps?: number;
  /** Random 4 KiB reads per second (loop total, including the fork/exec of each dd). */
  randReadsPerS?: number;
  /** Same, net of the /dev/zero loop's cost per iteration. */
  randReadsPerSNet?: number;
  error?: string;
  /** The last lines each workload command printed (for the JSON report). */
  outputs: Record<string, string>;
}

export const SEQ_BYTES = 16 * 1024 * 1024;
export const RANDOM_READS = 100;
const RANDOM_SEED = 4242;

/** Parse busybox/coreutils dd's summary line into MB/s (decimal). */
export function parseDdRate(output: string): number | undefined {
  // busybox: "16777216 bytes (16.0MB) copied, 0.190374 seconds, 84.0MB/s"
  // coreutils: "16777216 bytes (17 MB, 16 MiB) copied, 0.05 s, 335 MB/s"
  const m = /(\d+) bytes .*copied, ([\d.]+) s(?:econds)?,/.exec(output);
  if (!m) return undefined;
  const bytes = Number(m[1]);
  const s = Number(m[2]);
  return s > 0 ? bytes / s / 1e6 : undefined;
}

/** The shell loop of `count` single-block reads at seeded random offsets of `blocks` blocks. */
export function randomReadLoop(device: string, blocks: number, count: number, seed = RANDOM_SEED): string {
  return `RANDOM=${seed}; i=0; while [ $i -lt ${count} ]; do dd if=${device} of=/dev/null bs=4096 count=1 skip=$((RANDOM % ${blocks})) 2>/dev/null; i=$((i+1)); done`;
}

const DROP = 'sync; echo 3 > /proc/sys/vm/drop_caches';

/** Run the storage workloads; the guest must be at its shell prompt. */
export async function runStorageWorkloads(link: SerialLink, timeoutMs: number): Promise<StorageResult> {
  const lm = await runCommand(link, 'loadmods', timeoutMs);
  const result: StorageResult = { loadmods: { ok: lm.status === 0, output: lm.output.trim().split('\n').at(-1) ?? '', hostMs: lm.hostMs }, outputs: {} };
  const keep = (name: string, text: string): void => {
    result.outputs[name] = text.trim().split('\n').slice(-4).join('\n');
  };
  try {
    const dev = await runCommand(link, 'test -b /dev/sda', 10_000);
    if (dev.status !== 0) throw new Error(`no /dev/sda after loadmods (${result.loadmods.output})`);
    const sizeOut = await runCommand(link, 'cat /sys/block/sda/size', 10_000);
    const sectors = parseInt(sizeOut.output.trim().split('\n').at(-1) ?? '', 10);
    const blocks = Number.isFinite(sectors) && sectors > 8 ? Math.floor(sectors / 8) : 8192;
    // Round trip of an empty command: the fixed cost of typing and echoing over the serial line.
    const empties: number[] = [];
    for (let i = 0; i < 3; i++) empties.push((await runCommand(link, 'true', 30_000)).hostMs);
    const empty = Math.min(...empties);

    await runCommand(link, DROP, timeoutMs);
    const seq = await runCommand(link, `dd if=/dev/sda of=/dev/null bs=1M count=${SEQ_BYTES >> 20}`, timeoutMs);
    keep('sequential', seq.output);
    if (seq.status !== 0) throw new Error(`dd failed: ${seq.output.trim()}`);
    result.seqMBps = SEQ_BYTES / 1e6 / (Math.max(1, seq.hostMs - empty) / 1000);
    result.seqGuestMBps = parseDdRate(seq.output);

    await runCommand(link, DROP, timeoutMs);
    const rnd = await runCommand(link, randomReadLoop('/dev/sda', blocks, RANDOM_READS), timeoutMs);
    if (rnd.status !== 0) throw new Error(`random read loop failed: ${rnd.output.trim()}`);
    const zero = await runCommand(link, randomReadLoop('/dev/zero', blocks, RANDOM_READS), timeoutMs);
    keep('random', `${rnd.hostMs.toFixed(0)} ms for ${RANDOM_READS} reads of /dev/sda, ${zero.hostMs.toFixed(0)} ms for /dev/zero, empty command ${empty.toFixed(0)} ms`);
    const rndMs = Math.max(1, rnd.hostMs - empty);
    const zeroMs = Math.max(1, zero.hostMs - empty);
    result.randReadsPerS = RANDOM_READS / (rndMs / 1000);
    if (rndMs > zeroMs) result.randReadsPerSNet = RANDOM_READS / ((rndMs - zeroMs) / 1000);
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
  }
  return result;
}

/**
 * Device channel benchmark (`npm run bench:channel`), Node: synchronous read round trip
 * (median µs), posted writes per second, shadow-register read (ns) against a local read of the
 * same register, and bulk string I/O (MB/s) — isolated (worker_threads) and monolithic (the
 * same device in this thread) side by side, using the channel test device
 * (test/channel/devices/test-echo.ts). Then the same in Chromium: it builds the page
 * (`vite build`) and runs e2e/bench-channel.mjs, which measures from the CPU worker against
 * isa-serial in the console worker (skip with --node-only).
 * Goals (docs/channel.md): sync read ≤ 10 µs in Chromium, posted ≥ 5 M/s, shadow ≤ 2× local.
 */
import { existsSync } from 'node:fs';
import type { DeviceModel } from '../src/devices/api.js';
import type { Placement } from '../src/channel/placement.js';
import { makeHarness, place } from '../test/channel/harness.js';

const now = (): number => performance.now();

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function measure(placement: Placement): Promise<Record<string, number>> {
  const h = makeHarness();
  h.services.monolithicReadTiming = false; // compare the placements, not the guard's clock reads
  const placed = await place([{ id: 'echo0', type: 'test-echo' }], placement, h);
  const m: DeviceModel = placed.models.get('echo0')!;
  try {
    // Warm up both ends.
    for (let i = 0; i < 20_000; i++) m.ioRead!(0, 0, 4);

    // Sync read round trip: the hash register is not shadowed, so every read waits.
    const lat: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const t0 = now();
      m.ioRead!(0, 0, 4);
      lat.push(now() - t0);
    }
    const readUs = median(lat) * 1000;

    // Posted writes: 2 M writes, then one read to make sure all were applied.
    const N = 2_000_000;
    let t0 = now();
    for (let i = 0; i < N; i++) m.ioWrite!(0, 0, 1, i & 0xff);
    m.ioRead!(0, 0, 4);
    const postedPerS = N / ((now() - t0) / 1000);

    // Shadow read (the write counter) against the round-trip read; both per op, in batches.
    const R = 2_000_000;
    t0 = now();
    let sink = 0;
    for (let i = 0; i < R; i++) sink ^= m.ioRead!(0, 4, 4);
    const shadowNs = ((now() - t0) * 1e6) / R;

    // Bulk: 32 MiB through the FIFO port, written then read back in 64 KiB strings.
    const chunk = new Uint8Array(64 * 1024).map((_, i) => i & 0xff);
    const back = new Uint8Array(chunk.length);
    const rounds = 256;
    t0 = now();
    for (let i = 0; i < rounds; i++) {
      m.ioWriteString!(0, 8, 4, chunk);
      m.ioReadString!(0, 8, 4, back);
    }
    const mbPerS = (2 * rounds * chunk.length) / 1e6 / ((now() - t0) / 1000);
    if (back[1] !== 1 || sink === -1) throw new Error('bulk data corrupted');
    return { readUs, postedPerS, shadowNs, mbPerS };
  } finally {
    await placed.shutdown();
  }
}

/** The same register read straight from the model in this thread, with no placement around it. */
async function rawLocalReadNs(): Promise<number> {
  const { testEchoType } = await import('../test/channel/devices/test-echo.js');
  const { fakeHost } = await import('../test/fakes.js');
  const m = testEchoType.create(fakeHost(), {});
  const R = 5_000_000;
  let sink = 0;
  for (let i = 0; i < R; i++) sink ^= m.ioRead!(0, 4, 4);
  const t0 = now();
  for (let i = 0; i < R; i++) sink ^= m.ioRead!(0, 4, 4);
  const ns = ((now() - t0) * 1e6) / R;
  return sink === -1 ? 0 : ns;
}

const iso = await measure('isolated');
const raw = await rawLocalReadNs();
const mono = await measure('monolithic');
const fmt = (n: number, d = 2): string => n.toFixed(d);
console.log('device channel benchmark (Node', process.version + ')');
console.log('                         isolated      monolithic');
console.log(`sync read (median µs)    ${fmt(iso.readUs).padStart(10)}    ${fmt(mono.readUs, 3).padStart(10)}`);
console.log(`posted writes (M/s)      ${fmt(iso.postedPerS / 1e6).padStart(10)}    ${fmt(mono.postedPerS / 1e6).padStart(10)}`);
console.log(`shadow read (ns)         ${fmt(iso.shadowNs, 1).padStart(10)}    ${fmt(mono.shadowNs, 1).padStart(10)}   (monolithic: a local call of the same register)`);
console.log(`bulk string I/O (MB/s)   ${fmt(iso.mbPerS, 0).padStart(10)}    ${fmt(mono.mbPerS, 0).padStart(10)}`);
console.log(`local read, raw (ns)     ${fmt(raw, 1).padStart(10)}   (the model called directly, no guard)`);
console.log(`shadow / guarded local   ${fmt(iso.shadowNs / mono.shadowNs)}   shadow / raw local ${fmt(iso.shadowNs / raw)}  (goal ≤ 2)`);

if (!process.argv.includes('--node-only') && existsSync('/usr/bin/chromium')) {
  const { execFileSync } = await import('node:child_process');
  try {
    execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'error'], { stdio: 'inherit' });
    const out = execFileSync(process.execPath, ['e2e/bench-channel.mjs'], { encoding: 'utf8' }).trim().split('\n').pop()!;
    const c = JSON.parse(out) as { syncReadUs: number; postedPerS: number; shadowReadNs: number; localReadNs: number; rawReadNs: number; bulkMBps: number };
    console.log('\nChromium (CPU worker -> console worker, isa-serial)');
    console.log(`sync read (median µs)    ${fmt(c.syncReadUs).padStart(10)}   (goal ≤ 10)`);
    console.log(`posted writes (M/s)      ${fmt(c.postedPerS / 1e6).padStart(10)}   (goal ≥ 5)`);
    console.log(`shadow read (ns)         ${fmt(c.shadowReadNs, 1).padStart(10)}   local guarded ${fmt(c.localReadNs, 1)} ns, raw ${fmt(c.rawReadNs, 1)} ns`);
    console.log(`bulk string I/O (MB/s)   ${fmt(c.bulkMBps, 0).padStart(10)}`);
  } catch (e) {
    console.log(`\nChromium part failed: ${String(e)}`);
  }
}
process.exit(0);

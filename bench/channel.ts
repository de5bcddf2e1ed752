/**
 * Device channel benchmark (`npm run bench:channel`), Node: synchronous read round trip
 * (median µs), posted writes per second, shadow-register read (ns) against a local read of the
 * same register (guarded and raw; each at its own call site and through a megamorphic one, as
 * the I/O router calls models), and bulk string I/O (MB/s) — isolated (worker_threads) and
 * monolithic (the same device in this thread) side by side, using the channel test device
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

/**
 * ns per read of register 0:4 (the write counter: the shadow register in the isolated
 * placement), timed in synchronous code so the loop runs optimized: 200 000 reads of warm-up,
 * then the median of 5 batches of 1 M. `loop` is either a fresh copy of the loop (its own
 * call-site feedback: the model's method is inlined, the best case) or the shared megamorphic
 * loop below (a call through a site that has seen many model classes, as in the I/O router).
 */
type ReadLoop = (m: DeviceModel, n: number) => number;
const LOOP_SRC = 'let s = 0; for (let i = 0; i < n; i++) s ^= m.ioRead(0, 4, 4); return s;';
const freshLoop = (): ReadLoop => new Function('m', 'n', LOOP_SRC) as ReadLoop;
const routerLoop = freshLoop();
{
  // Teach routerLoop's call site 8 model classes, so it stays megamorphic like the router's.
  for (let k = 0; k < 8; k++) {
    const cls = new Function(`return class Dev${k} { constructor() { this.v = ${k}; } ioRead() { return this.v; } }`)() as new () => DeviceModel;
    routerLoop(new cls(), 20_000);
  }
}
function registerReadNs(m: DeviceModel, loop: ReadLoop): number {
  loop(m, 200_000);
  const batches: number[] = [];
  for (let b = 0; b < 5; b++) {
    const t0 = now();
    loop(m, 1_000_000);
    batches.push(((now() - t0) * 1e6) / 1_000_000);
  }
  return median(batches);
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

    // Shadow read of the write counter (monolithic: a guarded local call of the same register).
    const shadowNs = registerReadNs(m, freshLoop());
    const shadowRouterNs = registerReadNs(m, routerLoop);

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
    if (back[1] !== 1) throw new Error('bulk data corrupted');
    return { readUs, postedPerS, shadowNs, shadowRouterNs, mbPerS };
  } finally {
    await placed.shutdown();
  }
}

/** The same register read straight from the model in this thread, with no placement around it. */
async function rawLocalReadNs(): Promise<{ ns: number; routerNs: number }> {
  const { testEchoType } = await import('../test/channel/devices/test-echo.js');
  const { fakeHost } = await import('../test/fakes.js');
  const m = testEchoType.create(fakeHost(), {});
  return { ns: registerReadNs(m, freshLoop()), routerNs: registerReadNs(m, routerLoop) };
}

const iso = await measure('isolated');
const raw = await rawLocalReadNs();
const mono = await measure('monolithic');
const fmt = (n: number, d = 2): string => n.toFixed(d);
console.log('device channel benchmark (Node', process.version + ')');
console.log('                         isolated      monolithic');
console.log(`sync read (median µs)    ${fmt(iso.readUs).padStart(10)}    ${fmt(mono.readUs, 3).padStart(10)}`);
console.log(`posted writes (M/s)      ${fmt(iso.postedPerS / 1e6).padStart(10)}    ${fmt(mono.postedPerS / 1e6).padStart(10)}`);
console.log(`shadow read (ns)         ${fmt(iso.shadowNs, 1).padStart(10)}    ${fmt(mono.shadowNs, 1).padStart(10)}   (monolithic: a guarded local call of the same register; own call site)`);
console.log(`shadow read, router-like (ns) ${fmt(iso.shadowRouterNs, 1).padStart(5)}    ${fmt(mono.shadowRouterNs, 1).padStart(10)}   (through a megamorphic call site, as from the I/O router)`);
console.log(`bulk string I/O (MB/s)   ${fmt(iso.mbPerS, 0).padStart(10)}    ${fmt(mono.mbPerS, 0).padStart(10)}`);
console.log(`local read, raw (ns)     ${fmt(raw.ns, 1).padStart(10)}   (the model called directly, no guard; own call site)`);
console.log(`local read, raw, router-like (ns) ${fmt(raw.routerNs, 1).padStart(1)}   (the same through the megamorphic call site)`);
console.log(`shadow / guarded local   ${fmt(iso.shadowNs / mono.shadowNs)}   shadow / raw local ${fmt(iso.shadowNs / raw.ns)}   router-like: ${fmt(iso.shadowRouterNs / mono.shadowRouterNs)}, ${fmt(iso.shadowRouterNs / raw.routerNs)}  (goal ≤ 2)`);

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

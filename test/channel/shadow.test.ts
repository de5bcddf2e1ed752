/**
 * Shadow-register reads on the CPU side of the channel (src/channel/client.ts shadowRead and
 * the proxy's per-region slot tables, docs/channel.md "Shadow registers"): when a read is
 * served from the shadow page and when it must take the round trip. The worker side is played
 * by the test on the channel words, so every interleaving is exact; the last test runs the
 * ordering rule against a real device worker.
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { PlacedDevices } from '../../src/channel/placement.js';
import { ChannelClient } from '../../src/channel/client.js';
import { ChannelDeviceProxy } from '../../src/channel/proxy.js';
import { createChannelBuffer, PostedOp, SHADOW_WORD, W } from '../../src/channel/layout.js';
import { emptyStats, type DeviceStats } from '../../src/channel/protocol.js';
import { hostNowMs, makeHarness, place } from './harness.js';

/** A client whose round trips are recorded and answered with a marker instead of waiting. */
class RecordingClient extends ChannelClient {
  readonly requests: { op: number; region: number; offset: number; size: number }[] = [];
  override request(op: number, _dev: number, region: number, offset: number, size: number): number {
    this.requests.push({ op, region, offset, size });
    return 0x5a;
  }
}

function setup(): { sab: SharedArrayBuffer; i32: Int32Array; client: RecordingClient; proxy: ChannelDeviceProxy; stats: DeviceStats; failures: string[] } {
  const sab = createChannelBuffer();
  const i32 = new Int32Array(sab);
  const failures: string[] = [];
  const client = new RecordingClient(sab, { deadlineMs: 1000, hostNowMs, onFailure: (c, d) => failures.push(`${c}: ${d}`) });
  const stats = emptyStats();
  const link = { client: client as ChannelClient | undefined, health: 'running' as const, afterRequest: () => {} };
  const proxy = new ChannelDeviceProxy(link, 2, 'dev2', stats, []);
  return { sab, i32, client, proxy, stats, failures };
}

/** What the worker's DeviceHost.publishShadow does (src/channel/worker-host.ts). */
function publish(i32: Int32Array, slot: number, size: number, value: number): void {
  Atomics.store(i32, SHADOW_WORD + slot * 2, value | 0);
  Atomics.store(i32, SHADOW_WORD + slot * 2 + 1, 0x100 | size);
}
function withdraw(i32: Int32Array, slot: number): void {
  Atomics.store(i32, SHADOW_WORD + slot * 2 + 1, 0);
}
/** The worker applying every published entry: it stores the tail after the entries' effects. */
function workerDrains(i32: Int32Array): void {
  Atomics.store(i32, W.TAIL, Atomics.load(i32, W.HEAD));
}

describe('shadow registers (CPU side)', () => {
  test('a drained ring serves published slots from the page, masked to the access size', () => {
    const { i32, client, proxy, stats } = setup();
    proxy.addShadow(0, 5, 0);
    proxy.addShadow(1, 2, 7);
    proxy.addShadow(0, 300, 9); // grows region 0's table past its first length
    publish(i32, 0, 1, 0x1234_5660);
    publish(i32, 7, 4, -2); // 0xfffffffe: served unsigned
    publish(i32, 9, 2, 0x7_beef);
    expect(proxy.ioRead(0, 5, 1)).toBe(0x60);
    expect(proxy.ioRead(1, 2, 4)).toBe(0xfffffffe);
    expect(proxy.ioRead(0, 300, 2)).toBe(0xbeef);
    expect(client.requests).toEqual([]);
    expect(stats.shadowReads).toBe(3);
    expect(stats.reads).toBe(0);
    // A value the device publishes on its own (no CPU write involved) is seen by the next read.
    publish(i32, 0, 1, 0x61);
    expect(proxy.ioRead(0, 5, 1)).toBe(0x61);
  });

  test('unshadowed registers, other sizes, unpublished and withdrawn slots take the round trip', () => {
    const { i32, client, proxy, stats } = setup();
    proxy.addShadow(0, 5, 3);
    expect(proxy.ioRead(0, 5, 1)).toBe(0x5a); // slot never published
    publish(i32, 3, 1, 0x42);
    expect(proxy.ioRead(0, 5, 2)).toBe(0x5a); // published as a byte, read as a word
    expect(proxy.ioRead(0, 4, 1)).toBe(0x5a); // same region, not shadowed
    expect(proxy.ioRead(0, 6, 1)).toBe(0x5a); // beyond region 0's table
    expect(proxy.ioRead(1, 5, 1)).toBe(0x5a); // region without a table
    expect(proxy.ioRead(0, 5, 1)).toBe(0x42);
    withdraw(i32, 3);
    expect(proxy.ioRead(0, 5, 1)).toBe(0x5a);
    expect(client.requests.map((r) => `${r.region}:${r.offset}/${r.size}`)).toEqual(['0:5/1', '0:5/2', '0:4/1', '0:6/1', '1:5/1', '0:5/1']);
    expect(stats.shadowReads).toBe(1);
    expect(stats.reads).toBe(6);
  });

  test('a shadow read after posted writes publishes them and waits for the worker to apply them', () => {
    const { i32, client, proxy } = setup();
    proxy.addShadow(0, 4, 1);
    publish(i32, 1, 4, 10);
    expect(proxy.ioRead(0, 4, 4)).toBe(10);
    // Two port writes: batched, so not yet visible to the worker.
    proxy.ioWrite(0, 0, 1, 1);
    proxy.ioWrite(0, 0, 1, 2);
    expect(Atomics.load(i32, W.HEAD)).toBe(0);
    // The shadow read flushes them and, as they are not applied, goes to the device (queued
    // behind the writes) instead of answering the stale 10.
    expect(proxy.ioRead(0, 4, 4)).toBe(0x5a);
    expect(Atomics.load(i32, W.HEAD)).toBe(2);
    expect(client.requests).toHaveLength(1);
    // The worker applies one of the two: still not drained.
    Atomics.store(i32, W.TAIL, 1);
    expect(proxy.ioRead(0, 4, 4)).toBe(0x5a);
    expect(client.requests).toHaveLength(2);
    // It applies the second (republishing the register) and stores the tail: served locally.
    publish(i32, 1, 4, 12);
    workerDrains(i32);
    expect(proxy.ioRead(0, 4, 4)).toBe(12);
    expect(client.requests).toHaveLength(2);
    // A non-batched posted op (reset) is published at once; the read waits for it too.
    proxy.reset();
    expect(Atomics.load(i32, W.HEAD)).toBe(3);
    expect(proxy.ioRead(0, 4, 4)).toBe(0x5a);
    publish(i32, 1, 4, 0);
    workerDrains(i32);
    expect(proxy.ioRead(0, 4, 4)).toBe(0);
    expect(client.drained()).toBe(true);
  });

  test('a failed or dropped channel serves nothing from the page', () => {
    const { i32, client, proxy, stats, failures } = setup();
    proxy.addShadow(0, 4, 0);
    publish(i32, 0, 4, 77);
    expect(proxy.ioRead(0, 4, 4)).toBe(77);
    client.fail('crash', 'test');
    expect(failures).toEqual(['crash: test']);
    expect(client.shadowRead(SHADOW_WORD, 4)).toBe(-1);
    expect(proxy.ioRead(0, 4, 4)).toBe(0xffffffff); // all-ones without a round trip
    expect(stats.shadowReads).toBe(1);
    expect(client.post(PostedOp.IoWrite, 2, 0, 0, 1, 1)).toBe(false);
  });
});

describe('shadow registers against a device worker', () => {
  let placed: PlacedDevices | undefined;
  afterEach(async () => { await placed?.shutdown(); placed = undefined; });

  test('every read of the write counter sees all earlier writes, shadowed or not', async () => {
    const h = makeHarness();
    placed = await place([{ id: 'echo0', type: 'test-echo' }], 'isolated', h);
    const echo = placed.models.get('echo0')!;
    let writes = 0;
    const seen: number[] = [];
    for (let round = 0; round < 2000; round++) {
      const n = round % 7; // 0..6 writes, then several reads of the counter
      for (let i = 0; i < n; i++) { echo.ioWrite!(0, 0, 1, i); writes++; }
      for (let r = 0; r < 3; r++) {
        const v = echo.ioRead!(0, 4, 4);
        if (v !== writes) seen.push(round, v, writes);
      }
    }
    expect(seen).toEqual([]);
    const st = placed.stats('echo0');
    // Reads right after writes wait for the worker; the repeated ones are served locally.
    expect(st.shadowReads).toBeGreaterThanOrEqual(2000);
    expect(st.postedWrites).toBe(writes);
  });
});

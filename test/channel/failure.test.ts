/**
 * Failure detection and response, over both placements: a crashed device under each response
 * (stop, pause, detach, restart) does what it promises and the CPU side never hangs; a read
 * deadline triggers the configured response; restart re-attaches a working, reset device.
 * Isolated only: a hung worker is caught by the heartbeat, and a worker that exits is noticed.
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { Worker } from 'node:worker_threads';
import type { PlacedDevices, Placement } from '../../src/channel/placement.js';
import type { DeviceFailedEvent, FailureResponse } from '../../src/channel/protocol.js';
import { nodeWorkerLauncher } from '../../src/node/worker-launcher.js';
import { hostNowMs, makeHarness, place, until, type Harness } from './harness.js';

const ECHO = [{ id: 'echo0', type: 'test-echo' }];

describe.each(['isolated', 'monolithic'] as Placement[])('failure (%s)', (placement) => {
  let placed: PlacedDevices | undefined;
  afterEach(async () => { await placed?.shutdown(); placed = undefined; });

  async function setup(response: FailureResponse, deadlineMs = 5000): Promise<Harness> {
    const h = makeHarness({ response, deadlineMs });
    placed = await place(ECHO, placement, h);
    return h;
  }

  function failed(h: Harness): DeviceFailedEvent | undefined {
    return h.events.find((e): e is DeviceFailedEvent => e.kind === 'device-failed');
  }

  test.each(['stop', 'pause', 'detach', 'restart'] as FailureResponse[])('injected crash under %s', async (response) => {
    const h = await setup(response);
    const p = placed!;
    const echo = p.models.get('echo0')!;
    echo.ioWrite!(0, 0, 1, 9);
    expect(echo.ioRead!(0, 4, 4)).toBe(1);
    p.crash('echo0');
    const t0 = hostNowMs();
    const v = echo.ioRead!(0, 0, 4); // must not hang: answered as all-ones once the crash is seen
    expect(hostNowMs() - t0).toBeLessThan(3000);
    // Monolithic restarts synchronously: the read already reaches the fresh device.
    expect(v).toBe(placement === 'monolithic' && response === 'restart' ? 0 : 0xffffffff);
    const ev = failed(h)!;
    expect(ev).toMatchObject({ devices: ['echo0'], cause: 'crash', response, worker: placement === 'isolated' ? 'console' : 'monolithic' });
    expect(ev.detail).toMatch(/crash/);
    expect(ev.hostTimeMs).toBeGreaterThan(0);
    expect(p.stats('echo0').failures).toBe(1);
    if (response === 'restart') {
      await p.settled();
      expect(p.health('echo0')).toBe('running');
      expect(h.events.map((e) => e.kind)).toEqual(['device-failed', 'device-restarted']);
      // A fresh (reset) device, working again.
      expect(echo.ioRead!(0, 4, 4)).toBe(0);
      echo.ioWrite!(0, 0, 1, 9);
      expect(echo.ioRead!(0, 0, 4)).toBe(10);
      return;
    }
    expect(p.health('echo0')).toBe(response === 'stop' ? 'stopped' : response === 'pause' ? 'paused' : 'detached');
    // Reads stay all-ones without waiting, writes are dropped.
    echo.ioWrite!(0, 0, 1, 1);
    const t1 = hostNowMs();
    expect(echo.ioRead!(0, 0, 2)).toBe(0xffff);
    expect(hostNowMs() - t1).toBeLessThan(500); // no waiting (the deadline is 5 s)
    if (response === 'detach') expect(h.events.map((e) => e.kind)).toEqual(['device-failed', 'device-detached']);
    if (response === 'pause') {
      // The user resolves the pause: a new worker (or model), reset and attached.
      await p.resolve('echo0', 'restart');
      expect(p.health('echo0')).toBe('running');
      echo.ioWrite!(0, 0, 1, 9);
      expect(echo.ioRead!(0, 0, 4)).toBe(10);
    }
  });

  test('a device whose creation fails makes placement fail with its error (no hang)', async () => {
    const h = makeHarness();
    await expect(place([{ id: 'bad0', type: 'test-echo', props: { failCreate: true } }], placement, h)).rejects.toThrow(/refuses to be created/);
  });

  test('device code that throws is contained (stop)', async () => {
    const h = await setup('stop');
    const echo = placed!.models.get('echo0')!;
    echo.ioWrite!(0, 11, 1, 1); // the device throws while handling this write
    expect(echo.ioRead!(0, 4, 4)).toBe(0xffffffff);
    expect(await until(placed!, () => failed(h) !== undefined)).toBe(true);
    expect(failed(h)).toMatchObject({ cause: 'crash', response: 'stop' });
    expect(failed(h)!.detail).toMatch(/crash requested by the guest/);
  });

  test('a read past its deadline triggers the configured response (detach)', async () => {
    const h = await setup('detach', 300);
    const echo = placed!.models.get('echo0')!;
    echo.ioWrite!(0, 10, 4, 1000); // the device spends 1 s in this write, then 1 s in the read
    const t0 = hostNowMs();
    const v = echo.ioRead!(0, 10, 4);
    expect(v).toBe(0xffffffff);
    // Isolated: the read is abandoned at the deadline. Monolithic: it returns after 1 s and is
    // then reported (a single thread cannot abandon a call).
    expect(hostNowMs() - t0).toBeLessThan(placement === 'isolated' ? 1000 : 1500);
    expect(failed(h)).toMatchObject({ cause: 'deadline', response: 'detach' });
    expect(placed!.health('echo0')).toBe('detached');
  });

  test('hang(id) is detected and answered by restart', async () => {
    const h = await setup('restart', 1000);
    const echo = placed!.models.get('echo0')!;
    placed!.hang('echo0');
    expect(echo.ioRead!(0, 0, 4)).toBe(0xffffffff);
    expect(failed(h)).toMatchObject({ cause: 'deadline', response: 'restart' });
    await placed!.settled();
    expect(placed!.health('echo0')).toBe('running');
    echo.ioWrite!(0, 0, 1, 9);
    expect(echo.ioRead!(0, 0, 4)).toBe(10);
  });
});

describe('failure (isolated only)', () => {
  let placed: PlacedDevices | undefined;
  afterEach(async () => { await placed?.shutdown(); placed = undefined; });

  test('a hung worker is caught by the heartbeat without any read', async () => {
    const h = makeHarness({ response: 'stop', heartbeatTimeoutMs: 600 });
    placed = await place(ECHO, 'isolated', h);
    placed.hang('echo0');
    expect(await until(placed, () => h.events.length > 0, 5000)).toBe(true);
    expect(h.events[0]).toMatchObject({ kind: 'device-failed', cause: 'heartbeat', worker: 'console' });
  });

  test('a worker that exits is noticed', async () => {
    const h = makeHarness({ response: 'stop' });
    const workers: Worker[] = [];
    h.services.launcher = nodeWorkerLauncher({ onWorker: (w) => workers.push(w) });
    placed = await place(ECHO, 'isolated', h);
    await workers[0].terminate();
    const t0 = hostNowMs();
    expect(placed.models.get('echo0')!.ioRead!(0, 0, 4)).toBe(0xffffffff);
    expect(hostNowMs() - t0).toBeLessThan(2000);
    expect(h.events[0]).toMatchObject({ kind: 'device-failed', worker: 'console' });
    expect(['exit', 'crash']).toContain((h.events[0] as DeviceFailedEvent).cause);
  });
});

/**
 * Backends across the worker boundary (src/workers/backend-bridge.ts): a device in the
 * storage worker reads and writes a block backend, talks to a serial backend and receives input
 * events, all living in this (CPU) thread — in both placements, and again after a restart.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { BlockError, type BlockBackend } from '../../src/block/api.js';
import type { SerialBackend } from '../../src/devices/console/serial-backend.js';
import { InputEventHub } from '../../src/devices/input/input-backend.js';
import type { PlacedDevices, Placement } from '../../src/channel/placement.js';
import { makeHarness, place, until } from './harness.js';

class MemoryDisk implements BlockBackend {
  readonly readOnly = false;
  readonly id = 'mem-disk';
  constructor(readonly bytes: Uint8Array) {}
  get size(): number { return this.bytes.length; }
  async read(offset: number, into: Uint8Array): Promise<void> {
    if (offset + into.length > this.bytes.length) throw new BlockError('out-of-range', 'past the end');
    into.set(this.bytes.subarray(offset, offset + into.length));
  }
  async write(offset: number, from: Uint8Array): Promise<void> { this.bytes.set(from, offset); }
  async flush(): Promise<void> {}
}

class LoopSerial implements SerialBackend {
  written: number[] = [];
  private receivers = new Set<(b: Uint8Array) => void>();
  write(bytes: Uint8Array): void { this.written.push(...bytes); }
  onData(receive: (b: Uint8Array) => void): () => void { this.receivers.add(receive); return () => this.receivers.delete(receive); }
  send(bytes: number[]): void { for (const r of this.receivers) r(Uint8Array.from(bytes)); }
}

describe.each(['isolated', 'monolithic'] as Placement[])('backends (%s)', (placement) => {
  let placed: PlacedDevices | undefined;
  afterEach(async () => { await placed?.shutdown(); placed = undefined; });

  test('block, serial and input backends reach the device, also after a restart', async () => {
    const h = makeHarness({ response: 'restart' });
    const disk = new MemoryDisk(Uint8Array.from({ length: 8192 }, (_, i) => (i * 7) & 0xff));
    const serial = new LoopSerial();
    const input = new InputEventHub();
    placed = await place([{ id: 'tb0', type: 'test-backend', backend: { disk, serial, input } }], placement, h);
    const p = placed;
    const m = p.models.get('tb0')!;
    const irq = h.irqs.get('tb0:0')!;

    const expectSum = (off: number, n: number): number => { let s = 0; for (let i = 0; i < n; i++) s += disk.bytes[off + i]; return s; };
    m.ioWrite!(0, 4, 4, 1000);
    m.ioWrite!(0, 0, 4, 512);
    expect(await until(p, () => irq.pulseCount === 1)).toBe(true);
    expect(m.ioRead!(0, 0, 4)).toBe(expectSum(1000, 512));
    m.ioWrite!(0, 4, 4, 8000);
    m.ioWrite!(0, 0, 4, 512); // past the end: the BlockError crosses the bridge
    expect(await until(p, () => irq.pulseCount === 2)).toBe(true);
    expect(m.ioRead!(0, 0, 4)).toBe(0xffffffff);
    m.ioWrite!(0, 4, 4, 16);
    m.ioWrite!(0, 20, 4, 0x04030201);
    expect(await until(p, () => irq.pulseCount === 3)).toBe(true);
    expect([...disk.bytes.subarray(16, 20)]).toEqual([1, 2, 3, 4]);

    m.ioWrite!(0, 8, 1, 0x41);
    m.ioWrite!(0, 8, 1, 0x42);
    expect(await until(p, () => serial.written.length === 2)).toBe(true);
    expect(serial.written).toEqual([0x41, 0x42]);
    serial.send([1, 2, 3]);
    expect(await until(p, () => m.ioRead!(0, 12, 4) === 3)).toBe(true);
    input.key('KeyA', true);
    input.key('KeyA', false);
    expect(await until(p, () => m.ioRead!(0, 16, 4) === 1)).toBe(true);

    // A restart gives the new device fresh bridges to the same backends.
    p.crash('tb0');
    m.ioRead!(0, 0, 4);
    await p.settled();
    expect(p.health('tb0')).toBe('running');
    serial.send([9]);
    expect(await until(p, () => m.ioRead!(0, 12, 4) === 1)).toBe(true);
    m.ioWrite!(0, 4, 4, 0);
    m.ioWrite!(0, 0, 4, 100);
    expect(await until(p, () => m.ioRead!(0, 0, 4) === expectSum(0, 100))).toBe(true);
  });
});

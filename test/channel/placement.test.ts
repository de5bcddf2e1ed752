/**
 * The channel suite, run over BOTH placements with the test devices in test/channel/devices:
 * ordering of posted writes before reads, shadow registers, bulk string I/O integrity, IRQ
 * lines and wake-ups, DMA, platform signals, device state, and statistics.
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { DeviceModel } from '../../src/devices/api.js';
import type { PlacedDevices, Placement } from '../../src/channel/placement.js';
import { hostNowMs, makeHarness, place, until, type Harness } from './harness.js';

function xorshift(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return s >>> 0; };
}

describe.each(['isolated', 'monolithic'] as Placement[])('channel (%s)', (placement) => {
  let placed: PlacedDevices | undefined;
  let h: Harness;
  afterEach(async () => { await placed?.shutdown(); placed = undefined; });

  async function setup(): Promise<{ echo: DeviceModel; dma: DeviceModel }> {
    h = makeHarness();
    placed = await place([{ id: 'echo0', type: 'test-echo' }, { id: 'dma0', type: 'test-dma' }], placement, h);
    return { echo: placed.models.get('echo0')!, dma: placed.models.get('dma0')! };
  }

  test('posted writes are applied in order before a later read; shadow register; bulk I/O; IRQs; DMA; signals; state', async () => {
    const { echo, dma } = await setup();
    const p = placed!;

    // Ordering: 10 000 writes of mixed sizes, then one read of the order-sensitive hash.
    const rnd = xorshift(42);
    let expected = 0;
    for (let i = 0; i < 10_000; i++) {
      const size = ([1, 2, 4] as const)[i % 3];
      const v = rnd() & (size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff);
      echo.ioWrite!(0, 0, size, v);
      expected = (Math.imul(expected, 31) + v + size) >>> 0;
    }
    expect(echo.ioRead!(0, 0, 4)).toBe(expected);
    // The count register is a shadow register: once the ring is drained it is served locally.
    expect(echo.ioRead!(0, 4, 4)).toBe(10_000);
    echo.ioWrite!(0, 0, 1, 1);
    expected = (Math.imul(expected, 31) + 1 + 1) >>> 0;
    expect(echo.ioRead!(0, 4, 4)).toBe(10_001);
    const st = p.stats('echo0');
    expect(st.postedWrites).toBe(10_001);
    if (placement === 'isolated') expect(st.shadowReads).toBeGreaterThanOrEqual(1);
    // A withdrawn shadow register is read through the device again.
    echo.ioWrite!(0, 13, 1, 0);
    const before = p.stats('echo0');
    expect(echo.ioRead!(0, 4, 4)).toBe(10_001);
    expect(p.stats('echo0').shadowReads).toBe(before.shadowReads);
    expect(p.stats('echo0').reads).toBe(before.reads + 1);
    echo.ioWrite!(0, 13, 1, 1);
    echo.ioRead!(0, 0, 4); // drain
    expect(echo.ioRead!(0, 4, 4)).toBe(10_001);
    if (placement === 'isolated') expect(p.stats('echo0').shadowReads).toBe(before.shadowReads + 1);

    // Bulk: 300 000 random bytes through the FIFO port with byte, word and dword string I/O.
    for (const size of [1, 2, 4] as const) {
      const data = new Uint8Array(300_000);
      for (let i = 0; i < data.length; i++) data[i] = rnd() & 0xff;
      echo.ioWriteString!(0, 8, size, data);
      const back = new Uint8Array(data.length);
      echo.ioReadString!(0, 8, size, back);
      expect(Buffer.compare(Buffer.from(back), Buffer.from(data))).toBe(0);
    }
    expect(echo.ioRead!(0, 8, 1)).toBe(0xff); // FIFO drained exactly
    expect(p.stats('echo0').bulkBytes).toBe(2 * 3 * 300_000);

    // IRQ line: raise, lower, pulse — delivered by poll (isolated) or directly (monolithic).
    const irq = h.irqs.get('echo0:0')!;
    echo.ioWrite!(0, 9, 1, 1);
    expect(await until(p, () => irq.level)).toBe(true);
    echo.ioWrite!(0, 9, 1, 0);
    expect(await until(p, () => !irq.level)).toBe(true);
    echo.ioWrite!(0, 9, 1, 2);
    expect(await until(p, () => irq.pulseCount === 1)).toBe(true);
    expect(p.stats('echo0').irqRaises).toBe(2);

    // DMA: the device fills guest memory; we see it in the shared memory; it checksums it back.
    const ram = new Uint8Array(h.memory, h.layout.ramOffset, h.layout.ramSize);
    dma.ioWrite!(0, 0, 4, 0x10000);
    dma.ioWrite!(0, 4, 4, 4096);
    dma.ioWrite!(0, 12, 4, 7);
    dma.ioWrite!(0, 8, 1, 1);
    dma.ioWrite!(0, 8, 1, 2);
    let sum = 0;
    for (let i = 0; i < 4096; i++) sum += (7 + i) & 0xff;
    expect(dma.ioRead!(0, 12, 4)).toBe(sum);
    for (let i = 0; i < 4096; i++) expect(ram[0x10000 + i]).toBe((7 + i) & 0xff);
    expect(await until(p, () => h.irqs.get('dma0:0')!.pulseCount === 1)).toBe(true);
    expect(p.stats('dma0').dmaBytes).toBe(8192);

    // ISA DMA goes through the machine's 8237 (asynchronous request to the CPU side).
    dma.ioWrite!(0, 12, 4, 0x20);
    dma.ioWrite!(0, 8, 1, 3);
    expect(await until(p, () => h.irqs.get('dma0:0')!.pulseCount === 2)).toBe(true);
    expect(h.isaDma[0]).toEqual({ channel: 3, toMemory: true, bytes: Array.from({ length: 16 }, (_, i) => 0x20 + i) });
    dma.ioWrite!(0, 8, 1, 4);
    expect(await until(p, () => h.irqs.get('dma0:0')!.pulseCount === 3)).toBe(true);
    let isaSum = 0;
    for (let i = 0; i < 16; i++) isaSum += 0x10 + i;
    expect(dma.ioRead!(0, 12, 4)).toBe(isaSum);
    expect(p.stats('dma0').dmaBytes).toBe(8192 + 32);

    // Platform signals (A20, reset request) reach the machine.
    echo.ioWrite!(0, 12, 1, 1);
    echo.ioWrite!(0, 12, 1, 2);
    expect(await until(p, () => h.a20.length === 1 && h.resets.length === 1)).toBe(true);
    expect(h.a20).toEqual([true]);

    // Unknown registers: all-ones and a guest error, no failure.
    expect(echo.ioRead!(0, 15, 2)).toBe(0xffff);
    expect(await until(p, () => h.guestErrors.some((e) => e.includes('unknown register')))).toBe(true);

    // State round trip through the placement.
    echo.ioWrite!(0, 8, 1, 0xab);
    const saved = echo.saveState!();
    echo.reset!();
    expect(echo.ioRead!(0, 0, 4)).toBe(0);
    echo.loadState!(saved);
    expect(echo.ioRead!(0, 0, 4)).toBe(expected);
    expect(echo.ioRead!(0, 8, 1)).toBe(0xab);
    expect(dma.saveState).toBeUndefined();
    expect(h.events).toEqual([]);
  });

  test('an interrupt raised by a device wakes a halted waiter', async () => {
    const { echo } = await setup();
    const p = placed!;
    const irq = h.irqs.get('echo0:0')!;
    echo.ioWrite!(0, 9, 1, 3); // raise after 20 ms of virtual time
    const t0 = hostNowMs();
    if (placement === 'isolated') {
      // The worker's timer raises the line in shared memory and bumps the wake word: the
      // blocked Atomics.wait ends long before its 2 s deadline.
      const r = p.waitForEvent(h.services.clock.now() + 2e9);
      expect(r).toBe('event');
      expect(irq.level).toBe(true);
    } else {
      // In-thread devices use the machine's timers: the waiter sleeps to the timer deadline.
      while (!irq.level && hostNowMs() - t0 < 2000) {
        p.waitForEvent(h.services.clock.now() + 5e6);
        await new Promise((r) => setTimeout(r, 0));
      }
      expect(irq.level).toBe(true);
    }
    expect(hostNowMs() - t0).toBeLessThan(1500);
    if (placement === 'isolated') {
      // A device timer further ahead than the worker may extrapolate its clock (100 ms) still
      // fires during one long wait: the waiter republishes the clock while it sleeps.
      echo.ioWrite!(0, 9, 1, 0);
      echo.ioRead!(0, 0, 4); // the read drains the write and delivers the lowered line
      expect(irq.level).toBe(false);
      echo.ioWrite!(0, 9, 1, 4);
      const t2 = hostNowMs();
      expect(p.waitForEvent(h.services.clock.now() + 3e9)).toBe('event');
      expect(irq.level).toBe(true);
      expect(hostNowMs() - t2).toBeGreaterThanOrEqual(250);
      expect(hostNowMs() - t2).toBeLessThan(2000);
    }
    // With nothing pending, the waiter sleeps until its deadline.
    const t1 = hostNowMs();
    expect(p.waitForEvent(h.services.clock.now() + 50e6)).toBe('timeout');
    expect(hostNowMs() - t1).toBeGreaterThanOrEqual(40);
  });

  test.runIf(placement === 'isolated')('the async waiter keeps the thread\'s event loop running while the CPU is halted', async () => {
    const { echo } = await setup();
    const p = placed!;
    const irq = h.irqs.get('echo0:0')!;
    // Messages and timers of this thread (block-backend requests, frames for the switch) are
    // served during the wait, not after it: a 0 ms timer runs long before the IRQ (20 ms).
    let timerAt = -1;
    const t0 = hostNowMs();
    setTimeout(() => { timerAt = hostNowMs() - t0; }, 0);
    echo.ioWrite!(0, 9, 1, 3); // raise after 20 ms of virtual time
    expect(await p.waitForEventAsync!(h.services.clock.now() + 2e9)).toBe('event');
    expect(irq.level).toBe(true);
    const woke = hostNowMs() - t0;
    expect(timerAt).toBeGreaterThanOrEqual(0);
    expect(timerAt).toBeLessThan(woke);
    expect(woke).toBeLessThan(1500);
    // Nothing pending: it sleeps to the deadline, and the event loop still runs meanwhile.
    let ticks = 0;
    const iv = setInterval(() => ticks++, 5);
    const t1 = hostNowMs();
    expect(await p.waitForEventAsync!(h.services.clock.now() + 60e6)).toBe('timeout');
    clearInterval(iv);
    expect(hostNowMs() - t1).toBeGreaterThanOrEqual(50);
    expect(ticks).toBeGreaterThanOrEqual(3);
  });
});

// Interrupt lines across the device channel (src/channel/worker-host.ts SharedIrqLine, the
// writer; src/channel/client.ts pollIrqs, the reader): the CPU samples the lines when it polls,
// so a device that lowers and raises a line between two polls (the i8042 answering the next
// byte before the CPU has looked again) must still give the edge-triggered PIC a new edge.
// Without the rise count in the level word, Linux's psmouse lost bytes in the isolated
// placement and fell back to a bare PS/2 mouse.
import { describe, expect, it } from 'vitest';
import { ChannelClient } from '../../src/channel/client.js';
import { createChannelBuffer, createWakeBuffer } from '../../src/channel/layout.js';
import { createWorkerHost, ReportBatcher } from '../../src/channel/worker-host.js';
import type { Upcalls } from '../../src/channel/protocol.js';
import type { DeviceType } from '../../src/devices/api.js';
import type { WorkerClock } from '../../src/channel/worker-clock.js';

function rig(): { line: (n: number) => { set(level: boolean): void }; poll: () => string[] } {
  const channel = createChannelBuffer();
  const wake = new Int32Array(createWakeBuffer());
  const upcalls = {} as Upcalls;
  const timers = { setTimeout: () => 0, clearTimeout: () => {} } as unknown as ConstructorParameters<typeof ReportBatcher>[1];
  const host = createWorkerHost(
    { dev: 2, id: 'dev', type: 'test', props: {}, resources: { ports: [], mmio: [], irqs: [5, 6] }, irqCount: 2 },
    { capabilities: [] } as unknown as DeviceType,
    { channel, wake, clock: {} as WorkerClock, upcalls, reports: new ReportBatcher(upcalls, timers), shadow: [] },
  );
  const client = new ChannelClient(channel, { deadlineMs: 5000, hostNowMs: () => performance.now(), onFailure: () => {} });
  const poll = (): string[] => {
    const seen: string[] = [];
    client.pollIrqs((dev, n, level, pulses) => seen.push(`${dev}.${n}:${level ? 1 : 0}${pulses ? `+${pulses}` : ''}`));
    return seen;
  };
  return { line: (n) => host.irq(n), poll };
}

describe('interrupt lines across the channel', () => {
  it('delivers plain level changes once each', () => {
    const r = rig();
    r.line(0).set(true);
    expect(r.poll()).toEqual(['2.0:1']);
    expect(r.poll()).toEqual([]);
    r.line(0).set(true); // no change: nothing to deliver
    expect(r.poll()).toEqual([]);
    r.line(0).set(false);
    expect(r.poll()).toEqual(['2.0:0']);
  });

  it('a fall and a rise between two polls still reach the CPU as an edge', () => {
    const r = rig();
    r.line(1).set(true);
    expect(r.poll()).toEqual(['2.1:1']);
    r.line(1).set(false);
    r.line(1).set(true);
    expect(r.poll()).toEqual(['2.1:0', '2.1:1']);
  });

  it('a rise and a fall between two polls reach the CPU as a pulse', () => {
    const r = rig();
    r.line(0).set(true);
    r.line(0).set(false);
    expect(r.poll()).toEqual(['2.0:1', '2.0:0']);
    r.line(0).set(true);
    r.line(0).set(false);
    r.line(0).set(true);
    r.line(0).set(false);
    expect(r.poll()).toEqual(['2.0:1', '2.0:0']); // edges coalesce, as in the PIC's IRR
  });

  it('keeps pulses (edge-only lines) separate from the level', () => {
    const r = rig();
    r.line(0).set(true);
    r.poll();
    (r.line(0) as unknown as { pulse(): void }).pulse();
    expect(r.poll()).toEqual(['2.0:1+1']);
  });
});

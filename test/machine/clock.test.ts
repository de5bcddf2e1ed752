// Virtual clock: advances with the injected host clock while running, frozen while paused;
// timers fire in deadline order, can re-arm themselves, and report earlier deadlines.
import { describe, expect, it } from 'vitest';
import { VirtualClock, TSC_HZ } from '../../src/machine/clock.js';

function hostClock(start = 5e9) {
  const h = { t: start, now: () => h.t };
  return h;
}

describe('VirtualClock', () => {
  it('starts at 0 and follows host time only while running', () => {
    const host = hostClock();
    const c = new VirtualClock(host.now);
    expect(c.now()).toBe(0);
    host.t += 1e6;
    expect(c.now()).toBe(0); // not started
    c.start();
    host.t += 2e6;
    expect(c.now()).toBe(2e6);
    c.freeze();
    host.t += 50e6; // paused: no virtual time passes
    expect(c.now()).toBe(2e6);
    c.start();
    host.t += 1e6;
    expect(c.now()).toBe(3e6);
    c.freeze();
    c.advanceFrozen(1e6);
    expect(c.now()).toBe(4e6);
    c.start();
    expect(() => c.advanceFrozen(1)).toThrow();
  });

  it('fires due timers in deadline order, never early, and lets callbacks re-arm', () => {
    const host = hostClock();
    const c = new VirtualClock(host.now);
    const fired: string[] = [];
    const a = c.createTimer(() => fired.push('a'));
    let periods = 0;
    const periodic = c.createTimer(() => {
      fired.push('p');
      if (++periods < 3) periodic.setDeadline(c.now() + 1000);
    });
    const b = c.createTimer(() => fired.push('b'));
    a.setDeadline(3000);
    b.setDeadline(1000);
    periodic.setDeadline(2000);
    expect(c.nextDeadline()).toBe(1000);
    expect(c.runDue()).toBe(0);
    c.advanceFrozen(2500);
    expect(c.runDue()).toBe(2);
    expect(fired).toEqual(['b', 'p']);
    expect(a.pending).toBe(true);
    expect(b.pending).toBe(false);
    c.advanceFrozen(5000);
    c.runDue();
    // periodic re-armed at now+1000 each time: fires once more per runDue once due
    expect(fired).toEqual(['b', 'p', 'a', 'p']);
    a.setDeadline(100_000);
    a.cancel();
    expect(a.pending).toBe(false);
  });

  it('bounds a timer that keeps re-arming in the past', () => {
    const c = new VirtualClock(hostClock().now);
    let n = 0;
    const t = c.createTimer(() => { n++; t.setDeadline(0); });
    t.setDeadline(0);
    expect(c.runDue(50)).toBe(50);
    expect(n).toBe(50);
  });

  it('reports a timer armed earlier than the next deadline (wakes a sleeping loop)', () => {
    const c = new VirtualClock(hostClock().now);
    let wakes = 0;
    c.onEarlierDeadline = () => wakes++;
    const t1 = c.createTimer(() => {});
    const t2 = c.createTimer(() => {});
    t1.setDeadline(10_000);
    expect(wakes).toBe(1);
    t2.setDeadline(20_000);
    expect(wakes).toBe(1);
    t2.setDeadline(5_000);
    expect(wakes).toBe(2);
    t2.cancel();
    expect(c.nextDeadline()).toBe(10_000);
    c.cancelAll();
    expect(c.nextDeadline()).toBe(Infinity);
    expect(t1.pending).toBe(false);
  });

  it('derives the TSC from virtual time', () => {
    expect(VirtualClock.tscAt(1e9)).toBe(TSC_HZ);
    expect(VirtualClock.tscAt(1500, 2e9)).toBe(3000);
  });
});

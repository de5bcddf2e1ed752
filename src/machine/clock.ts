/**
 * Virtual time for the machine: nanoseconds since machine start that advance with the host
 * clock while the machine runs and stand still while it is paused (QEMU's QEMU_CLOCK_VIRTUAL
 * without icount). The host time source is injected (performance.now() in a browser worker,
 * process.hrtime in Node) because this layer has no timers or host APIs of its own.
 *
 * Implements the device-facing Clock (src/devices/api.ts): one-shot timers with absolute
 * deadlines, fired by the run loop between CPU slices in deadline order. The PIT, the RTC
 * and the CPU's TSC all read this one clock, so they agree.
 */
import type { Clock, Timer } from '../devices/api.js';

/** The host's monotonic time, in nanoseconds (any origin). */
export type HostTimeNs = () => number;

/** TSC frequency reported to the core (ticks per second of virtual time). */
export const TSC_HZ = 1_000_000_000;

class VirtualTimer implements Timer {
  deadline = Infinity;
  armed = false;
  constructor(private readonly clock: VirtualClock, readonly callback: () => void) {}
  get pending(): boolean {
    return this.armed;
  }
  setDeadline(deadlineNs: number): void {
    if (!Number.isFinite(deadlineNs)) {
      this.cancel();
      return;
    }
    this.clock.arm(this, deadlineNs);
  }
  cancel(): void {
    if (!this.armed) return;
    this.armed = false;
    this.deadline = Infinity;
    this.clock.disarm(this);
  }
}

export class VirtualClock implements Clock {
  /** Virtual time when the clock was last frozen (or started). */
  private frozenAt = 0;
  /** Host time at which the clock last started running; undefined while frozen. */
  private runningSince: number | undefined;
  private readonly armed = new Set<VirtualTimer>();
  private nextCache = Infinity;
  private nextValid = true;
  /** Called when a timer is armed earlier than the current next deadline (wakes a sleeping loop). */
  onEarlierDeadline: (() => void) | undefined;

  constructor(private readonly hostNs: HostTimeNs) {}

  now(): number {
    if (this.runningSince === undefined) return this.frozenAt;
    return this.frozenAt + (this.hostNs() - this.runningSince);
  }

  get running(): boolean {
    return this.runningSince !== undefined;
  }

  /** Let virtual time advance with the host clock. */
  start(): void {
    if (this.runningSince !== undefined) return;
    this.runningSince = this.hostNs();
  }

  /** Freeze virtual time (pause). */
  freeze(): void {
    if (this.runningSince === undefined) return;
    this.frozenAt = this.now();
    this.runningSince = undefined;
  }

  /**
   * Move frozen virtual time forward by `ns` (for tests and deterministic stepping). Timers are
   * not fired here; the run loop fires them.
   */
  advanceFrozen(ns: number): void {
    if (this.runningSince !== undefined) throw new Error('clock: advanceFrozen while running');
    if (ns < 0) throw new RangeError('clock: time does not go backwards');
    this.frozenAt += ns;
  }

  createTimer(callback: () => void): Timer {
    return new VirtualTimer(this, callback);
  }

  /** @internal */
  arm(t: VirtualTimer, deadlineNs: number): void {
    const before = this.nextDeadline();
    t.deadline = deadlineNs;
    t.armed = true;
    this.armed.add(t);
    this.nextValid = false;
    if (deadlineNs < before) this.onEarlierDeadline?.();
  }

  /** @internal */
  disarm(t: VirtualTimer): void {
    this.armed.delete(t);
    this.nextValid = false;
  }

  /** The earliest pending deadline, or Infinity. */
  nextDeadline(): number {
    if (!this.nextValid) {
      let n = Infinity;
      for (const t of this.armed) if (t.deadline < n) n = t.deadline;
      this.nextCache = n;
      this.nextValid = true;
    }
    return this.nextCache;
  }

  /**
   * Fire every timer whose deadline is at or before `now()`, earliest first. A callback may
   * re-arm its timer (periodic devices do); a re-armed timer fires again in the same call only
   * if its new deadline is also due, up to a bound that stops a zero-period timer from
   * livelocking the machine. Returns the number of callbacks run.
   */
  runDue(limit = 10_000): number {
    let fired = 0;
    while (fired < limit) {
      const next = this.nextDeadline();
      if (next === Infinity || next > this.now()) break;
      let due: VirtualTimer | undefined;
      for (const t of this.armed) if (t.deadline === next) { due = t; break; }
      if (!due) break;
      due.armed = false;
      due.deadline = Infinity;
      this.armed.delete(due);
      this.nextValid = false;
      fired++;
      due.callback();
    }
    return fired;
  }

  /** Drop every pending timer (machine stop). */
  cancelAll(): void {
    for (const t of this.armed) {
      t.armed = false;
      t.deadline = Infinity;
    }
    this.armed.clear();
    this.nextValid = false;
  }

  /** TSC value for virtual time `ns` at TSC_HZ. */
  static tscAt(ns: number, hz = TSC_HZ): number {
    return Math.floor((ns * hz) / 1e9);
  }
}

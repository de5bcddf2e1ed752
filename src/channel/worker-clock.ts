/**
 * Virtual time inside a device worker. The CPU side publishes (virtual ns, host ms, running)
 * in the channel's clock area under a seqlock whenever it polls; the worker extrapolates from
 * the last publication with its own host clock, at most `maxExtrapolateMs` ahead (so a paused
 * or stalled machine does not run the worker's time away), and never goes backwards.
 * Timers fire from host timeouts and re-check the virtual deadline before calling back.
 */
import type { Clock, Timer } from '../devices/api.js';
import { CLOCK_BYTE, W } from './layout.js';

/** Host timer services injected by the worker entry. */
export interface HostTimers {
  hostNowMs(): number;
  setTimeout(cb: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export class WorkerClock implements Clock {
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private last = 0;
  private readonly timers = new Set<WorkerTimer>();

  constructor(channel: SharedArrayBuffer, readonly host: HostTimers, private readonly maxExtrapolateMs = 100, private readonly onError: (e: unknown) => void = (e) => { throw e; }) {
    this.i32 = new Int32Array(channel);
    this.f64 = new Float64Array(channel, CLOCK_BYTE, 3);
  }

  now(): number {
    let vt = 0, hostMs = 0, running = 0;
    for (let tries = 0; tries < 100; tries++) {
      const s1 = Atomics.load(this.i32, W.CLOCK_SEQ);
      if (s1 & 1) continue;
      vt = this.f64[0]; hostMs = this.f64[1]; running = this.f64[2];
      if (Atomics.load(this.i32, W.CLOCK_SEQ) === s1) break;
    }
    let t = vt;
    if (running && hostMs > 0) {
      const ahead = Math.min(Math.max(this.host.hostNowMs() - hostMs, 0), this.maxExtrapolateMs);
      t = vt + ahead * 1e6;
    }
    if (t > this.last) this.last = t;
    return this.last;
  }

  createTimer(callback: () => void): Timer {
    return new WorkerTimer(this, callback, this.timers);
  }

  /** Called by the server after it sees a fresh clock publication: re-arm waiting timers. */
  recheck(): void {
    for (const t of this.timers) t.arm();
  }

  cancelAll(): void {
    for (const t of [...this.timers]) t.cancel();
  }

  fire(cb: () => void): void {
    try { cb(); } catch (e) { this.onError(e); }
  }
}

class WorkerTimer implements Timer {
  private deadline = Infinity;
  private handle: unknown = undefined;
  constructor(private readonly clock: WorkerClock, private readonly callback: () => void, private readonly set: Set<WorkerTimer>) {}
  get pending(): boolean { return this.set.has(this); }
  setDeadline(deadlineNs: number): void {
    this.deadline = deadlineNs;
    this.set.add(this);
    this.arm();
  }
  cancel(): void {
    this.set.delete(this);
    this.deadline = Infinity;
    if (this.handle !== undefined) this.clock.host.clearTimeout(this.handle);
    this.handle = undefined;
  }
  arm(): void {
    if (this.handle !== undefined) this.clock.host.clearTimeout(this.handle);
    const delayMs = Math.max(0, (this.deadline - this.clock.now()) / 1e6);
    this.handle = this.clock.host.setTimeout(() => this.check(), Math.min(delayMs, 1000));
  }
  private check(): void {
    this.handle = undefined;
    if (!this.set.has(this)) return;
    if (this.clock.now() >= this.deadline) {
      this.set.delete(this);
      this.deadline = Infinity;
      this.clock.fire(this.callback);
    } else {
      this.arm();
    }
  }
}

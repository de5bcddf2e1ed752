/**
 * The machine's run loop: runs the CPU core in bounded slices (`run(n)`), fires due virtual-time
 * timers between slices, and when the guest halts sleeps until the next timer deadline or an
 * interrupt. It hands control back to the host's event loop regularly (so asynchronous
 * backends, worker messages and the UI get their turn).
 *
 * The only host services it uses are injected (this layer has no timers): a host clock and a
 * `Waiter` — by default built on an injected `sleep(ms)`; the device channel provides one
 * built on Atomics.wait/waitAsync on its wake word, so a device in another worker raising its
 * IRQ line wakes a halted CPU.
 */
import { RunExit, type CpuCoreApi } from './cpu-api.js';
import type { VirtualClock } from './clock.js';

/**
 * Waiting for something to happen: the seam between the loop and the host. `wait` resolves
 * after at most `timeoutMs` (Infinity = until woken), or earlier when `wake()` is called from
 * this thread (an in-thread IRQ edge, a timer armed earlier) or — for the channel's
 * implementation — when another worker notifies the wake word. Spurious early returns are fine.
 */
export interface Waiter {
  wait(timeoutMs: number): Promise<void>;
  wake(): void;
}

/** A Waiter built on a plain `sleep(ms)`: the sleep races a promise that wake() resolves. */
export function sleepWaiter(sleep: (ms: number) => Promise<void>): Waiter {
  let wakeUp: (() => void) | undefined;
  let woken = false;
  return {
    wait(timeoutMs: number): Promise<void> {
      if (woken) {
        woken = false;
        return Promise.resolve();
      }
      const woke = new Promise<void>((resolve) => (wakeUp = resolve));
      const slept = Number.isFinite(timeoutMs) ? sleep(Math.max(0, timeoutMs)) : new Promise<void>(() => {});
      return Promise.race([woke, slept]).then(() => {
        wakeUp = undefined;
        woken = false;
      });
    },
    wake(): void {
      if (wakeUp) wakeUp();
      else woken = true;
    },
  };
}

/** Why the loop stopped running the CPU for good (until reset). */
export type LoopStop =
  | { kind: 'halted-forever'; registers: Record<string, number> }
  | { kind: 'triple-fault'; registers: Record<string, number> };

export interface RunLoopOptions {
  core: CpuCoreApi;
  clock: VirtualClock;
  waiter: Waiter;
  /** Host monotonic time in ms (for slicing and host-time deadlines). */
  hostNowMs: () => number;
  /** Give the host event loop a turn. */
  yieldToHost: () => Promise<void>;
  /** Called before every slice (e.g. the channel drains IRQ levels from device workers). */
  beforeSlice?: () => void;
  /** Called after every slice and wait with the host time (console watchers, deadlines). */
  afterSlice?: (hostNowMs: number) => void;
  /** Reset requests and guest-stops come back through these (run outside the core's run()). */
  onTripleFault: (registers: Record<string, number>) => void;
  onHaltedForever: (registers: Record<string, number>) => void;
  /** Earliest host time (ms) a watcher wants the loop to look again while the guest is halted. */
  nextHostDeadlineMs?: () => number;
}

/** How long (host ms) to run before yielding to the host event loop. */
const YIELD_EVERY_MS = 8;
/** Target length of one slice (host ms) — bounds timer latency. */
const SLICE_MS = 0.5;
const MIN_BUDGET = 1_000;
const MAX_BUDGET = 2_000_000;

export class RunLoop {
  private running = false;
  private loopPromise: Promise<void> | undefined;
  /** Set from callbacks inside run(): act on it when run() returns. */
  private pendingAction: (() => void) | undefined;
  /**
   * Budget (in the core's run() units) that takes about SLICE_MS of host time, adapted from
   * measured slices — independent of how the core counts its budget.
   */
  private sliceBudget = 10_000;
  private halted = false;
  /** Totals for reports and benchmarks. */
  readonly stats = { slices: 0, instructions: 0, waits: 0, waitedMs: 0, runMs: 0, budgetExits: 0 };

  constructor(private readonly o: RunLoopOptions) {}

  get isRunning(): boolean {
    return this.running;
  }

  /** Whether the CPU is halted waiting for an interrupt. */
  get isHalted(): boolean {
    return this.halted;
  }

  /** Start running (the clock must be started by the caller). Resolves when the loop ends. */
  start(): Promise<void> {
    if (this.loopPromise) return this.loopPromise;
    this.running = true;
    this.loopPromise = this.loop().finally(() => {
      this.loopPromise = undefined;
    });
    return this.loopPromise;
  }

  /** Stop after the current slice; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.running = false;
    this.o.core.requestExit();
    this.o.waiter.wake();
    await this.loopPromise;
  }

  /** Stop running without waiting (from a callback of the loop itself, e.g. a stuck guest). */
  halt(): void {
    this.running = false;
    this.o.core.requestExit();
  }

  /**
   * Run `action` at the next instruction boundary, outside the core's run() (resets requested
   * by devices during an I/O access land here).
   */
  defer(action: () => void): void {
    const prev = this.pendingAction;
    this.pendingAction = prev ? () => { prev(); action(); } : action;
    this.o.core.requestExit();
    this.o.waiter.wake();
  }

  /** An interrupt or event arrived: leave a halt wait early. */
  wake(): void {
    this.o.waiter.wake();
  }

  private runPending(): void {
    const a = this.pendingAction;
    this.pendingAction = undefined;
    a?.();
  }

  private budgetFor(hostMs: number): number {
    return Math.max(MIN_BUDGET, Math.min(MAX_BUDGET, Math.floor((this.sliceBudget * hostMs) / SLICE_MS)));
  }

  private async loop(): Promise<void> {
    const { core, clock } = this.o;
    while (this.running) {
      const yieldAt = this.o.hostNowMs() + YIELD_EVERY_MS;
      while (this.running) {
        this.runPending();
        if (!this.running) break;
        clock.runDue();
        this.o.beforeSlice?.();
        // Slice length: SLICE_MS, shorter when a timer is due sooner.
        const untilTimerMs = (clock.nextDeadline() - clock.now()) / 1e6;
        const sliceMs = Math.max(0.02, Math.min(SLICE_MS, untilTimerMs));
        const budget = this.budgetFor(sliceMs);
        const before = core.instructionCount;
        const t0 = this.o.hostNowMs();
        const exit = core.run(budget);
        const t1 = this.o.hostNowMs();
        const done = core.instructionCount - before;
        this.stats.slices++;
        this.stats.instructions += done;
        this.stats.runMs += t1 - t0;
        if (exit === RunExit.Budget) this.stats.budgetExits++;
        if (exit === RunExit.Budget && t1 > t0 && done > 0) {
          // Scale toward the budget that would have taken SLICE_MS (smoothed, bounded steps).
          const ideal = (budget * sliceMs) / (t1 - t0) * (SLICE_MS / sliceMs);
          const next = this.sliceBudget * 0.7 + Math.min(ideal, this.sliceBudget * 4) * 0.3;
          this.sliceBudget = Math.max(MIN_BUDGET, Math.min(MAX_BUDGET, next));
        }
        this.halted = exit === RunExit.Halted;
        if (exit === RunExit.HaltedForever) {
          this.running = false;
          this.o.onHaltedForever(core.registers());
          break;
        }
        if (exit === RunExit.TripleFault) {
          this.o.onTripleFault(core.registers());
          if (t1 >= yieldAt) break;
          continue;
        }
        this.o.afterSlice?.(t1);
        if (exit === RunExit.Halted && !this.pendingAction) {
          await this.waitWhileHalted();
          break; // yielded to the host while waiting
        }
        if (t1 >= yieldAt) break;
      }
      if (this.running) await this.o.yieldToHost();
    }
    this.runPending();
  }

  private async waitWhileHalted(): Promise<void> {
    const { clock } = this.o;
    clock.runDue();
    const timerMs = (clock.nextDeadline() - clock.now()) / 1e6;
    if (timerMs <= 0) return;
    const watchMs = (this.o.nextHostDeadlineMs?.() ?? Infinity) - this.o.hostNowMs();
    const ms = Math.max(0, Math.min(timerMs, watchMs, 1000));
    const t0 = this.o.hostNowMs();
    this.stats.waits++;
    await this.o.waiter.wait(ms);
    const t1 = this.o.hostNowMs();
    this.stats.waitedMs += t1 - t0;
    this.o.afterSlice?.(t1);
  }
}

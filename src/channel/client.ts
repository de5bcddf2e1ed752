/**
 * CPU side of a device channel. Posted writes go into a single-producer ring and the CPU goes
 * on (PCI posted-write semantics; order preserved). Port and MMIO writes are published to the
 * worker in batches (one Atomics.store of the head and at most one doorbell per POST_BATCH
 * writes), and always before a read, a shadow read, a drain check, a clock publication (every
 * CPU slice) and any other posted op, so a write is never held longer than one slice. Reads are queued behind the writes through
 * a one-entry request slot and the CPU waits with Atomics.wait until the worker answers or the
 * deadline passes (vfio-user's message timeout). Also: shadow-register reads, bulk transfers
 * through the data area, and polling of the interrupt lines and platform signals the worker
 * sets in the channel. Failures are reported once through `onFailure`; after that every read
 * answers all-ones without waiting and writes are dropped.
 */
import {
  ChannelState, CLOCK_BYTE, DATA_BYTE, DATA_BYTES, IRQ_WORD, MAX_DEVICES, MAX_IRQS, PostedOp, RequestOp,
  RespStatus, RING_ENTRIES, RING_ENTRY_WORDS, RING_MASK, RING_WORD, SHADOW_WORD, STATS_BYTE, STATS_PER_DEVICE,
  TEXT_BYTE, W, allOnes, packHead,
} from './layout.js';
import type { FailureCause } from './protocol.js';
import { utf8Decode } from './utf8.js';

/** Port/MMIO writes queued before the head is published to the worker. */
const POST_BATCH = 32;

export interface ChannelClientOptions {
  /** Read deadline in ms (default 5000). */
  deadlineMs: number;
  /** Host clock in ms (performance.timeOrigin + performance.now()). */
  hostNowMs: () => number;
  /** Called once, on the first failure seen. */
  onFailure: (cause: FailureCause, detail: string) => void;
  /**
   * Most polls of the answer word before sleeping in Atomics.wait (default 4000, a few µs):
   * an answer that arrives while spinning avoids the futex sleep and wake-up. The budget halves
   * each time spinning fails (a loaded machine, a slow device) and doubles when it succeeds.
   */
  spinIterations?: number;
}

export class ChannelClient {
  readonly i32: Int32Array;
  readonly data: Uint8Array;
  private readonly f64Clock: Float64Array;
  private readonly f64Stats: Float64Array;
  private head = 0;
  /** The head as last stored in W.HEAD (the worker sees entries up to here). */
  private publishedHead = 0;
  private cachedTail = 0;
  private reqSeq = 0;
  private lastIrqSeq = 0;
  private lastSignalSeq = 0;
  private lastResetReqs = 0;
  private lastA20 = -1;
  private readonly levels = new Int32Array(MAX_DEVICES * MAX_IRQS);
  private readonly pulses = new Int32Array(MAX_DEVICES * MAX_IRQS);
  private lastBeat = 0;
  private lastBeatAt = 0;
  private dead = false;
  /** Host ms spent blocked in the last request (for statistics). */
  lastBlockedMs = 0;
  /** Current spin budget: adapts between 32 and spinMax to how often spinning pays off. */
  private spin: number;
  private readonly spinMax: number;

  constructor(readonly buffer: SharedArrayBuffer, private readonly opts: ChannelClientOptions) {
    this.i32 = new Int32Array(buffer);
    this.data = new Uint8Array(buffer, DATA_BYTE, DATA_BYTES);
    this.f64Clock = new Float64Array(buffer, CLOCK_BYTE, 3);
    this.f64Stats = new Float64Array(buffer, STATS_BYTE, MAX_DEVICES * STATS_PER_DEVICE);
    this.head = Atomics.load(this.i32, W.HEAD);
    this.publishedHead = this.head;
    this.cachedTail = Atomics.load(this.i32, W.TAIL);
    this.reqSeq = Atomics.load(this.i32, W.REQ_SEQ);
    this.lastBeatAt = opts.hostNowMs();
    this.spinMax = opts.spinIterations ?? 4000;
    this.spin = this.spinMax;
  }

  get failed(): boolean {
    return this.dead;
  }

  /** The worker's own account of why it died, if it wrote one. */
  deathCause(): string {
    const n = Math.min(Atomics.load(this.i32, W.TEXT_LEN), 1024);
    if (n <= 0) return '';
    return utf8Decode(new Uint8Array(this.buffer, TEXT_BYTE, n).slice());
  }

  /** Declare the channel failed (from the supervisor: worker error or exit events). */
  fail(cause: FailureCause, detail: string): void {
    if (this.dead) return;
    this.dead = true;
    this.opts.onFailure(cause, detail);
  }

  private ring(): void {
    if (Atomics.load(this.i32, W.SLEEPING) !== 0) {
      Atomics.add(this.i32, W.DOORBELL, 1);
      Atomics.notify(this.i32, W.DOORBELL);
    }
  }

  private checkDead(): boolean {
    if (this.dead) return true;
    if (Atomics.load(this.i32, W.STATE) === ChannelState.Dead) {
      const why = this.deathCause();
      this.fail('crash', why || 'the device worker died');
      return true;
    }
    return false;
  }

  /** Append a posted write. Returns false (write dropped) if the channel failed. */
  post(op: PostedOp, dev: number, region: number, offset: number, size: number, value: number): boolean {
    if (this.dead) return false;
    if (((this.head - this.cachedTail) | 0) >= RING_ENTRIES) {
      if (!this.waitForSpace()) return false;
    }
    const i32 = this.i32;
    const base = RING_WORD + (this.head & RING_MASK) * RING_ENTRY_WORDS;
    i32[base] = packHead(op, dev, region, size);
    i32[base + 1] = offset | 0;
    i32[base + 2] = value | 0;
    this.head = (this.head + 1) | 0;
    if ((op === PostedOp.IoWrite || op === PostedOp.MmioWrite) && ((this.head - this.publishedHead) | 0) < POST_BATCH) return true;
    this.publish();
    return true;
  }

  /** Make every queued posted write visible to the worker (and wake it if it sleeps). */
  publish(): void {
    if (this.storeHead()) this.ring();
  }

  /** Store the head for the worker if writes were queued since; true if it stored. */
  private storeHead(): boolean {
    if (this.head === this.publishedHead) return false;
    this.publishedHead = this.head;
    Atomics.store(this.i32, W.HEAD, this.head);
    return true;
  }

  private waitForSpace(): boolean {
    this.publish();
    const i32 = this.i32;
    const start = this.opts.hostNowMs();
    const deadline = start + this.opts.deadlineMs;
    for (;;) {
      this.cachedTail = Atomics.load(i32, W.TAIL);
      if (((this.head - this.cachedTail) | 0) < RING_ENTRIES) break;
      if (this.checkDead()) return false;
      const now = this.opts.hostNowMs();
      if (now >= deadline) {
        this.fail('deadline', `posted-write ring stayed full for ${this.opts.deadlineMs} ms`);
        return false;
      }
      Atomics.store(i32, W.SPACE_WAIT, 1);
      Atomics.add(i32, W.DOORBELL, 1);
      Atomics.notify(i32, W.DOORBELL);
      Atomics.wait(i32, W.TAIL, this.cachedTail, Math.min(deadline - now, 50));
    }
    this.lastBlockedMs += this.opts.hostNowMs() - start;
    return true;
  }

  /** True when every posted write has been applied by the worker. */
  drained(): boolean {
    return this.refreshTail();
  }

  /**
   * A synchronous request: returns the answer, or all-ones of `size` (and reports the failure)
   * when the worker is dead or misses the deadline.
   */
  request(op: RequestOp, dev: number, region: number, offset: number, size: number, arg: number): number {
    this.lastBlockedMs = 0;
    if (this.checkDead()) return allOnes(size);
    const i32 = this.i32;
    const seq = (this.reqSeq + 1) | 0;
    this.reqSeq = seq;
    i32[W.REQ_OP] = op;
    i32[W.REQ_DEV] = dev;
    i32[W.REQ_REGION] = region;
    i32[W.REQ_OFFSET] = offset | 0;
    i32[W.REQ_SIZE] = size;
    i32[W.REQ_ARG] = arg | 0;
    this.storeHead(); // the one doorbell below covers the queued writes too
    Atomics.store(i32, W.REQ_SEQ, seq);
    this.ring();
    // Fast path: a short spin catches answers that arrive within a few microseconds.
    for (let spin = this.spin; spin > 0; spin--) {
      if (Atomics.load(i32, W.RESP_SEQ) === seq) {
        if (this.spin < this.spinMax) this.spin = Math.min(this.spinMax, this.spin * 2);
        return this.answer(size);
      }
    }
    if (this.spin > 32) this.spin >>= 1;
    const start = this.opts.hostNowMs();
    const deadline = start + this.opts.deadlineMs;
    for (;;) {
      const r = Atomics.load(i32, W.RESP_SEQ);
      if (r === seq) break;
      if (this.checkDead()) {
        this.lastBlockedMs = this.opts.hostNowMs() - start;
        return allOnes(size);
      }
      const now = this.opts.hostNowMs();
      if (now >= deadline) {
        this.lastBlockedMs = now - start;
        this.fail('deadline', `request op ${op} to device ${dev} (region ${region}, offset 0x${offset.toString(16)}) unanswered after ${this.opts.deadlineMs} ms`);
        return allOnes(size);
      }
      Atomics.wait(i32, W.RESP_SEQ, r, deadline - now);
    }
    this.lastBlockedMs = this.opts.hostNowMs() - start;
    return this.answer(size);
  }

  private answer(size: number): number {
    if (Atomics.load(this.i32, W.RESP_STATUS) !== RespStatus.Ok) return allOnes(size);
    const v = this.i32[W.RESP_VALUE];
    return size === 4 ? v >>> 0 : v & (size === 1 ? 0xff : 0xffff);
  }

  /** Raw RESP_VALUE / RESP_STATUS of the last request (state transfer). */
  lastResponse(): { value: number; ok: boolean } {
    return { value: this.i32[W.RESP_VALUE], ok: Atomics.load(this.i32, W.RESP_STATUS) === RespStatus.Ok };
  }

  /**
   * Serve a read from the shadow page: the value of the slot whose value word is `word`
   * (SHADOW_WORD + slot * 2), or -1 when it cannot be served locally (channel failed, posted
   * writes not yet applied, slot withdrawn or published with another size) and the caller must
   * take the round trip.
   *
   * Ordering (a shadow read sees every earlier posted write): `cachedTail` is a lower bound of
   * the worker's tail; when it equals `head` the ring was seen drained and nothing was posted
   * since, so the common path is one integer compare and two plain loads. Otherwise queued
   * writes are published and the tail is loaded with Atomics; the worker applies an entry
   * (which republishes the shadow value with Atomics.store) before it stores the tail, so that
   * Atomics.load synchronizes with it and the plain loads that follow in program order see the
   * post-write value or a newer one. Plain loads of aligned Int32 elements cannot tear; a value
   * the device publishes on its own (a timer, backend input) is not ordered with any CPU
   * access, exactly like a hardware status bit changing between two reads.
   */
  shadowRead(word: number, size: number): number {
    if (this.dead || (this.cachedTail !== this.head && !this.refreshTail())) return -1;
    const i32 = this.i32;
    if ((i32[word + 1] & 0x1ff) !== (0x100 | size)) return -1;
    const v = i32[word];
    return size === 4 ? v >>> 0 : v & (size === 1 ? 0xff : 0xffff);
  }

  /** Publish queued writes and reload the tail; true when the ring is drained. */
  private refreshTail(): boolean {
    if (this.head !== this.publishedHead) this.publish();
    this.cachedTail = Atomics.load(this.i32, W.TAIL);
    return this.cachedTail === this.head;
  }

  /**
   * Deliver interrupt line changes: calls `deliver(dev, line, level, newPulses)` for every line
   * whose level or pulse count changed since the last poll. Returns true if any changed.
   */
  pollIrqs(deliver: (dev: number, line: number, level: boolean, pulses: number) => void): boolean {
    const i32 = this.i32;
    const seq = Atomics.load(i32, W.IRQ_SEQ);
    if (seq === this.lastIrqSeq) return false;
    this.lastIrqSeq = seq;
    let changed = false;
    for (let i = 0; i < MAX_DEVICES * MAX_IRQS; i++) {
      // level word: (rises << 1) | level (SharedIrqLine in worker-host.ts)
      const word = Atomics.load(i32, IRQ_WORD + i * 2);
      const pulses = Atomics.load(i32, IRQ_WORD + i * 2 + 1);
      const prev = this.levels[i];
      if (word !== prev || pulses !== this.pulses[i]) {
        const newPulses = (pulses - this.pulses[i]) | 0;
        this.levels[i] = word;
        this.pulses[i] = pulses;
        const dev = (i / MAX_IRQS) | 0, line = i % MAX_IRQS;
        const wasHigh = (prev & 1) !== 0, isHigh = (word & 1) !== 0;
        // Rises this poll did not see as a level change: the line fell and rose again since
        // the last poll (a device that answers faster than the CPU samples). Replay one edge;
        // an edge-triggered PIC would otherwise never latch the second interrupt.
        const unseen = (((word >>> 1) - (prev >>> 1)) | 0) - (!wasHigh && isHigh ? 1 : 0);
        if (unseen > 0) {
          if (wasHigh) deliver(dev, line, false, 0);
          if (!isHigh) deliver(dev, line, true, 0);
        }
        deliver(dev, line, isHigh, newPulses);
        changed = true;
      }
    }
    return changed;
  }

  /** Lower every line this channel had raised (the device is gone). */
  dropIrqs(deliver: (dev: number, line: number, level: boolean, pulses: number) => void): void {
    for (let i = 0; i < MAX_DEVICES * MAX_IRQS; i++) {
      if ((this.levels[i] & 1) !== 0) {
        this.levels[i] &= ~1;
        deliver((i / MAX_IRQS) | 0, i % MAX_IRQS, false, 0);
      }
    }
  }

  /** Deliver A20 changes and reset requests. Returns true if any. */
  pollSignals(a20: (enabled: boolean) => void, reset: () => void): boolean {
    const i32 = this.i32;
    const seq = Atomics.load(i32, W.SIGNAL_SEQ);
    if (seq === this.lastSignalSeq) return false;
    this.lastSignalSeq = seq;
    const level = Atomics.load(i32, W.A20);
    if (level !== this.lastA20 && level >= 0) {
      this.lastA20 = level;
      a20(level !== 0);
    }
    const resets = Atomics.load(i32, W.RESET_REQS);
    while (this.lastResetReqs !== resets) {
      this.lastResetReqs = (this.lastResetReqs + 1) | 0;
      reset();
    }
    return true;
  }

  /** Check the heartbeat; reports a failure if it has not moved for `timeoutMs`. */
  checkHealth(timeoutMs: number): boolean {
    if (this.checkDead()) return false;
    const now = this.opts.hostNowMs();
    const beat = Atomics.load(this.i32, W.HEARTBEAT);
    if (beat !== this.lastBeat) {
      this.lastBeat = beat;
      this.lastBeatAt = now;
    } else if (now - this.lastBeatAt > timeoutMs) {
      this.fail('heartbeat', `no heartbeat for ${Math.round(now - this.lastBeatAt)} ms`);
      return false;
    }
    return true;
  }

  /** Publish the machine's virtual clock for the worker to extrapolate (seqlock). */
  publishClock(virtualNs: number, hostMs: number, running: boolean): void {
    const i32 = this.i32;
    Atomics.add(i32, W.CLOCK_SEQ, 1);
    this.f64Clock[0] = virtualNs;
    this.f64Clock[1] = hostMs;
    this.f64Clock[2] = running ? 1 : 0;
    Atomics.add(i32, W.CLOCK_SEQ, 1);
    this.publish();
  }

  /** Worker-kept counters of device `dev`: DMA bytes and IRQ raises. */
  workerStats(dev: number): { dmaBytes: number; irqRaises: number } {
    return {
      dmaBytes: this.f64Stats[dev * STATS_PER_DEVICE],
      irqRaises: this.f64Stats[dev * STATS_PER_DEVICE + 1],
    };
  }
}

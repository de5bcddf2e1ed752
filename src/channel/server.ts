/**
 * Worker side of a device channel: drains the posted-write ring in order, then answers the
 * synchronous request (so a read always sees every earlier write), polls for more work for a
 * bounded, adaptive time (tens of µs while requests keep arriving, a few µs when idle), then
 * sleeps on the doorbell with Atomics.waitAsync (optionally after a short synchronous
 * Atomics.wait window, which catches back-to-back reads without a trip through the event loop). It yields to the event
 * loop regularly so timers, backends and control RPC keep running while the CPU is busy.
 *
 * Any exception escaping device code is fatal for the worker: the device state is unknown, so
 * the server marks the channel dead (with the cause in the text area), wakes the CPU and
 * lets the worker end. That is the containment boundary.
 */
import type { AccessSize, DeviceModel } from '../devices/api.js';
import {
  ChannelState, DATA_BYTE, DATA_BYTES, PostedOp, RequestOp, RespStatus, RING_ENTRY_WORDS, RING_MASK, RING_WORD,
  TEXT_BYTE, TEXT_BYTES, W, allOnes, wakeCpu,
} from './layout.js';
import { utf8Decode, utf8Encode } from './utf8.js';

/** Posted entries applied between two publications of the ring tail. */
const TAIL_BATCH = 64;

/** Event-loop services the worker entry injects. */
export interface ServerLoop {
  /** Run `cb` as a macrotask (setTimeout 0 / setImmediate / MessageChannel). */
  macrotask(cb: () => void): void;
  hostNowMs(): number;
}

export interface ChannelServerOptions {
  /** Synchronous wait window after each batch before going async (ms, 0 = none). */
  syncWaitMs: number;
  /** Longest stretch of back-to-back work before yielding to the event loop (ms). */
  maxBusyMs: number;
  /**
   * Longest time (µs) the loop polls for new work after serving before it sleeps (0 = sleep at
   * once). The budget adapts: it halves each time a spin ends with no work, and doubles back
   * towards this maximum each time work arrives while spinning or soon after a sleep, so an idle
   * worker sleeps and a burst of reads is served without futex wake-ups on either side.
   */
  spinMaxUs: number;
}

/** Floor of the adaptive spin budget (µs): cheap enough to keep, long enough to catch a burst. */
const SPIN_MIN_US = 2;
/** A wake-up this soon (ms) after going to sleep means requests keep coming: spin longer. */
const BUSY_WAKE_MS = 1;

/** Atomics.waitAsync (ES2024; in Chromium and Node ≥ 16), typed here because lib is ES2022. */
type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t?: number): WaitAsyncResult }).waitAsync;

export class ChannelServer {
  private readonly i32: Int32Array;
  private readonly data: Uint8Array;
  private tail: number;
  private publishedTail: number;
  private stopped = false;
  private hangRequested = false;
  /** Current spin budget in µs (adaptive, between SPIN_MIN_US and opts.spinMaxUs). */
  private spinUs: number;
  private sleptAt = 0;

  constructor(
    readonly buffer: SharedArrayBuffer,
    private readonly wake: Int32Array,
    private readonly models: (DeviceModel | undefined)[],
    private readonly loop: ServerLoop,
    private readonly opts: ChannelServerOptions,
    /** Called after a fatal error has been recorded in the channel; should end the worker. */
    private readonly onFatal: (message: string) => void,
    /** Fault injection: throw this error from a macrotask (a real uncaught exception). */
    private readonly injectCrash: () => void,
  ) {
    this.i32 = new Int32Array(buffer);
    this.data = new Uint8Array(buffer, DATA_BYTE, DATA_BYTES);
    this.tail = Atomics.load(this.i32, W.TAIL);
    this.publishedTail = this.tail;
    this.spinUs = opts.spinMaxUs;
  }

  /** Mark the channel ready and start serving. */
  start(): void {
    Atomics.store(this.i32, W.STATE, ChannelState.Ready);
    this.run();
  }

  stop(): void {
    this.stopped = true;
  }

  /**
   * Record a fatal error in the channel: state Dead, cause in the text area, and wake both a
   * CPU waiting for an answer and a CPU sleeping in waitForEvent. Safe to call more than once.
   */
  markDead(message: string): void {
    if (Atomics.load(this.i32, W.STATE) === ChannelState.Dead) return;
    const bytes = utf8Encode(message).subarray(0, TEXT_BYTES);
    new Uint8Array(this.buffer, TEXT_BYTE, TEXT_BYTES).set(bytes);
    Atomics.store(this.i32, W.TEXT_LEN, bytes.length);
    Atomics.store(this.i32, W.STATE, ChannelState.Dead);
    this.stopped = true;
    Atomics.notify(this.i32, W.RESP_SEQ);
    Atomics.notify(this.i32, W.TAIL);
    wakeCpu(this.wake);
  }

  /**
   * Apply the posted writes queued so far (and answer a pending read) from outside the loop: a
   * control call that renders the screen then sees every register write the guest made before
   * it. Device exceptions are fatal here as in the loop.
   */
  catchUp(): void {
    if (this.stopped || this.hangRequested) return;
    const err = this.serveOrDie();
    if (err !== undefined) throw err;
  }

  /** serve(); a device exception marks the device dead, reports it and is returned. */
  private serveOrDie(): unknown {
    try {
      this.serve();
      return undefined;
    } catch (e) {
      const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      this.markDead(`device code threw: ${msg}`);
      this.onFatal(msg);
      return e ?? new Error('device code threw');
    }
  }

  private pending(): boolean {
    const i32 = this.i32;
    return Atomics.load(i32, W.HEAD) !== this.tail || Atomics.load(i32, W.REQ_SEQ) !== Atomics.load(i32, W.RESP_SEQ);
  }

  /** Poll for work for up to `us` µs (the clock is read every 64 polls). True if work came. */
  private spinFor(us: number): boolean {
    if (us <= 0) return false;
    const end = this.loop.hostNowMs() + us / 1000;
    for (;;) {
      for (let i = 0; i < 64; i++) if (this.pending()) return true;
      if (this.loop.hostNowMs() >= end) return this.pending();
    }
  }

  /** Work woke the worker: if it slept only briefly, requests keep coming, so spin longer. */
  private wokeUp(): void {
    if (this.loop.hostNowMs() - this.sleptAt < BUSY_WAKE_MS) this.spinUs = Math.min(this.opts.spinMaxUs, this.spinUs * 4);
  }

  private run = (): void => {
    const i32 = this.i32;
    const start = this.loop.hostNowMs();
    for (;;) {
      if (this.stopped) return;
      if (this.serveOrDie() !== undefined) return;
      if (this.hangRequested) {
        // Fault injection: spin forever; only the heartbeat and read deadlines notice.
        for (;;) { /* hang */ }
      }
      // Spin for a bounded time before sleeping: back-to-back reads then find the worker
      // awake, and neither side pays for a futex wake-up (a CPU that slept waiting for the
      // answer needs longer to wake than a short spin lasts, so a budget shorter than that
      // would never pay off). The CPU does not ring while SLEEPING is 0.
      if (this.spinFor(this.spinUs)) {
        this.spinUs = Math.min(this.opts.spinMaxUs, this.spinUs * 2);
        if (this.loop.hostNowMs() - start > this.opts.maxBusyMs) {
          this.loop.macrotask(this.run);
          return;
        }
        continue;
      }
      this.spinUs = Math.max(Math.min(SPIN_MIN_US, this.opts.spinMaxUs), this.spinUs / 2);
      const d = Atomics.load(i32, W.DOORBELL);
      Atomics.store(i32, W.SLEEPING, 1);
      if (this.pending()) {
        Atomics.store(i32, W.SLEEPING, 0);
      } else if (this.opts.syncWaitMs > 0) {
        this.sleptAt = this.loop.hostNowMs();
        const r = Atomics.wait(i32, W.DOORBELL, d, this.opts.syncWaitMs);
        Atomics.store(i32, W.SLEEPING, 0);
        if (r === 'timed-out' && !this.pending()) {
          this.sleepAsync();
          return;
        }
        this.wokeUp();
      } else {
        this.sleepAsync();
        return;
      }
      if (this.loop.hostNowMs() - start > this.opts.maxBusyMs) {
        this.loop.macrotask(this.run);
        return;
      }
    }
  };

  private sleepAsync(): void {
    const i32 = this.i32;
    const d = Atomics.load(i32, W.DOORBELL);
    Atomics.store(i32, W.SLEEPING, 1);
    if (this.pending()) {
      Atomics.store(i32, W.SLEEPING, 0);
      this.loop.macrotask(this.run);
      return;
    }
    this.sleptAt = this.loop.hostNowMs();
    const r = waitAsync(i32, W.DOORBELL, d);
    const resume = (): void => {
      Atomics.store(i32, W.SLEEPING, 0);
      this.wokeUp();
      this.run();
    };
    if (r.async) r.value.then(resume);
    else this.loop.macrotask(resume);
  }

  /** Drain the ring, then answer a pending request; repeat until neither has work. */
  private serve(): void {
    const i32 = this.i32;
    for (;;) {
      const head = Atomics.load(i32, W.HEAD);
      while (this.tail !== head) {
        const base = RING_WORD + (this.tail & RING_MASK) * RING_ENTRY_WORDS;
        const h = i32[base];
        this.posted(h & 0xff, (h >>> 8) & 0xff, (h >>> 16) & 0xff, ((h >>> 24) & 0xff) as AccessSize, i32[base + 1], i32[base + 2]);
        this.tail = (this.tail + 1) | 0;
        // The tail is published every TAIL_BATCH entries and at the end of each batch (so the
        // CPU sees the ring drained exactly when it is), not after every entry.
        if ((this.tail & (TAIL_BATCH - 1)) === 0) this.publishTail();
        if (this.hangRequested || this.stopped) { this.publishTail(); return; }
      }
      this.publishTail();
      const seq = Atomics.load(i32, W.REQ_SEQ);
      if (seq !== Atomics.load(i32, W.RESP_SEQ)) {
        if (Atomics.load(i32, W.HEAD) !== this.tail) continue; // writes queued before the read
        this.request();
        Atomics.store(i32, W.RESP_SEQ, seq);
        Atomics.notify(i32, W.RESP_SEQ);
        continue;
      }
      return;
    }
  }

  private publishTail(): void {
    const i32 = this.i32;
    if (this.publishedTail === this.tail) return;
    this.publishedTail = this.tail;
    Atomics.store(i32, W.TAIL, this.tail);
    if (Atomics.load(i32, W.SPACE_WAIT) !== 0) {
      Atomics.store(i32, W.SPACE_WAIT, 0);
      Atomics.notify(i32, W.TAIL);
    }
  }

  private posted(op: number, dev: number, region: number, size: AccessSize, offset: number, value: number): void {
    const m = this.models[dev];
    switch (op) {
      case PostedOp.IoWrite: m?.ioWrite?.(region, offset >>> 0, size, value >>> 0); break;
      case PostedOp.MmioWrite: m?.mmioWrite?.(region, offset >>> 0, size, value >>> 0); break;
      case PostedOp.PciConfigWrite: m?.pciConfigWrite?.(offset >>> 0, size, value >>> 0); break;
      case PostedOp.PciBarChanged: m?.pciBarChanged?.(region, offset >>> 0, value !== 0); break;
      case PostedOp.Reset: m?.reset?.(); break;
      case PostedOp.Destroy: m?.destroy?.(); this.models[dev] = undefined; break;
      case PostedOp.InjectCrash: this.stopped = true; this.injectCrash(); break;
      case PostedOp.InjectHang: this.hangRequested = true; break;
      default: break; // an unknown op from the CPU side is ignored
    }
  }

  private request(): void {
    const i32 = this.i32;
    const op = i32[W.REQ_OP];
    const m = this.models[i32[W.REQ_DEV] & 0xff];
    const region = i32[W.REQ_REGION];
    const offset = i32[W.REQ_OFFSET] >>> 0;
    const size = i32[W.REQ_SIZE] as AccessSize;
    const arg = i32[W.REQ_ARG];
    let value = 0;
    let status = RespStatus.Ok;
    if (!m) {
      status = RespStatus.Rejected;
    } else {
      switch (op) {
        case RequestOp.IoRead: value = m.ioRead ? m.ioRead(region, offset, size) : allOnes(size); break;
        case RequestOp.MmioRead: value = m.mmioRead ? m.mmioRead(region, offset, size) : allOnes(size); break;
        case RequestOp.PciConfigRead: value = m.pciConfigRead ? m.pciConfigRead(offset, size) : 0; break;
        case RequestOp.IoReadString: status = this.readString(m, region, offset, size, arg); break;
        case RequestOp.IoWriteString: status = this.writeString(m, region, offset, size, arg); break;
        case RequestOp.SaveState: {
          const st = m.saveState ? m.saveState() : undefined;
          const bytes = utf8Encode(st === undefined ? 'null' : JSON.stringify(st));
          if (bytes.length > DATA_BYTES) { status = RespStatus.Rejected; value = bytes.length; }
          else { this.data.set(bytes); value = bytes.length; }
          break;
        }
        case RequestOp.LoadState: {
          if (arg < 0 || arg > DATA_BYTES || !m.loadState) { status = RespStatus.Rejected; break; }
          m.loadState(JSON.parse(utf8Decode(this.data.slice(0, arg))));
          break;
        }
        case RequestOp.Barrier: break;
        default: status = RespStatus.Rejected;
      }
    }
    i32[W.RESP_VALUE] = value | 0;
    Atomics.store(i32, W.RESP_STATUS, status);
  }

  private readString(m: DeviceModel, region: number, offset: number, size: AccessSize, count: number): RespStatus {
    const n = count * size;
    if (count < 0 || n > DATA_BYTES) return RespStatus.Rejected;
    const into = this.data.subarray(0, n);
    if (m.ioReadString) {
      m.ioReadString(region, offset, size, into);
    } else {
      for (let i = 0; i < count; i++) {
        const v = m.ioRead ? m.ioRead(region, offset, size) : allOnes(size);
        for (let b = 0; b < size; b++) into[i * size + b] = (v >>> (8 * b)) & 0xff;
      }
    }
    return RespStatus.Ok;
  }

  private writeString(m: DeviceModel, region: number, offset: number, size: AccessSize, count: number): RespStatus {
    const n = count * size;
    if (count < 0 || n > DATA_BYTES) return RespStatus.Rejected;
    const from = this.data.slice(0, n);
    if (m.ioWriteString) {
      m.ioWriteString(region, offset, size, from);
    } else if (m.ioWrite) {
      for (let i = 0; i < count; i++) {
        let v = 0;
        for (let b = 0; b < size; b++) v |= from[i * size + b] << (8 * b);
        m.ioWrite(region, offset, size, v >>> 0);
      }
    }
    return RespStatus.Ok;
  }
}

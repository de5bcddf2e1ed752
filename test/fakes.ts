/**
 * Fakes for device tests: an IRQ line that records its level and edges, a manual clock whose
 * timers fire when the test advances time, a flat guest memory, and a host that collects
 * guest errors and taint reasons.
 */
import type { Clock, DeviceHost, GuestMemory, IrqLine, Logger, PlatformSignals, Timer } from '../src/devices/api.js';

export class FakeIrq implements IrqLine {
  level = false;
  raises = 0;
  pulses = 0;
  set(level: boolean): void {
    if (level && !this.level) this.raises++;
    this.level = level;
  }
  raise(): void { this.set(true); }
  lower(): void { this.set(false); }
  pulse(): void { this.pulses++; this.raise(); this.lower(); }
}

export class ManualClock implements Clock {
  private t = 0;
  private timers = new Set<FakeTimer>();
  now(): number { return this.t; }
  createTimer(callback: () => void): Timer {
    const timer = new FakeTimer(callback, this.timers);
    return timer;
  }
  /** Advance virtual time by `ns`, firing due timers in deadline order. */
  advance(ns: number): void {
    const end = this.t + ns;
    for (;;) {
      let next: FakeTimer | undefined;
      for (const tm of this.timers) if (tm.deadline <= end && (!next || tm.deadline < next.deadline)) next = tm;
      if (!next) break;
      this.t = Math.max(this.t, next.deadline);
      this.timers.delete(next);
      next.fire();
    }
    this.t = end;
  }
}

class FakeTimer implements Timer {
  deadline = Infinity;
  constructor(private callback: () => void, private set: Set<FakeTimer>) {}
  get pending(): boolean { return this.set.has(this); }
  setDeadline(deadlineNs: number): void { this.deadline = deadlineNs; this.set.add(this); }
  cancel(): void { this.set.delete(this); this.deadline = Infinity; }
  fire(): void { this.deadline = Infinity; this.callback(); }
}

export class FlatMemory implements GuestMemory {
  readonly bytes: Uint8Array;
  private view: DataView;
  constructor(readonly size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  private ok(a: number, n: number): boolean { return a >= 0 && a + n <= this.size; }
  read(a: number, into: Uint8Array): boolean {
    if (!this.ok(a, into.length)) { into.fill(0); return false; }
    into.set(this.bytes.subarray(a, a + into.length)); return true;
  }
  write(a: number, from: Uint8Array): boolean {
    if (!this.ok(a, from.length)) return false;
    this.bytes.set(from, a); return true;
  }
  readU8(a: number): number { return this.ok(a, 1) ? this.bytes[a] : 0; }
  readU16(a: number): number { return this.ok(a, 2) ? this.view.getUint16(a, true) : 0; }
  readU32(a: number): number { return this.ok(a, 4) ? this.view.getUint32(a, true) : 0; }
  writeU8(a: number, v: number): void { if (this.ok(a, 1)) this.bytes[a] = v; }
  writeU16(a: number, v: number): void { if (this.ok(a, 2)) this.view.setUint16(a, v, true); }
  writeU32(a: number, v: number): void { if (this.ok(a, 4)) this.view.setUint32(a, v >>> 0, true); }
}

export interface FakeHost extends DeviceHost {
  irqs: FakeIrq[];
  clock: ManualClock;
  guestErrors: string[];
  taints: string[];
  logs: string[];
  a20: boolean[];
  resets: string[];
}

/** A host with `irqCount` fake lines, a manual clock and optional guest memory and backend. */
export function fakeHost(opts: { irqCount?: number; memory?: GuestMemory; backend?: unknown; seed?: number } = {}): FakeHost {
  const irqs = Array.from({ length: opts.irqCount ?? 4 }, () => new FakeIrq());
  let seed = opts.seed ?? 0x12345678;
  const a20: boolean[] = [];
  const resets: string[] = [];
  const signals: PlatformSignals = { setA20: (e) => a20.push(e), requestReset: (r) => resets.push(r) };
  const logs: string[] = [];
  const log: Logger = { log: (level, m) => logs.push(`${level}: ${m}`) };
  const host: FakeHost = {
    irqs,
    irq: (n = 0) => irqs[n],
    clock: new ManualClock(),
    log,
    guestErrors: [],
    taints: [],
    logs,
    a20,
    resets,
    taint(reason) { host.taints.push(reason); },
    guestError(m) { host.guestErrors.push(m); },
    random() {
      seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
      return (seed >>> 0) / 4294967296;
    },
    memory: opts.memory,
    signals,
    backend: opts.backend,
  };
  return host;
}

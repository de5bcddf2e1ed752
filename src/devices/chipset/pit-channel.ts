/**
 * One counter of the Intel 8254 programmable interval timer, computed from virtual time.
 *
 * Follows the Intel 82C54 datasheet (order no. 231244): six modes (0 interrupt on terminal
 * count, 1 hardware retriggerable one-shot, 2 rate generator, 3 square wave, 4 software
 * triggered strobe, 5 hardware triggered strobe), binary or BCD counting, LSB/MSB/both access,
 * counter latch, status byte with OUT and NULL COUNT, GATE effects per mode.
 *
 * The counter is not ticked: its value and OUT are derived from the number of 1.193182 MHz
 * input clocks since it was loaded, so reads are exact at any virtual time and the only timer
 * needed is one for the next OUT transition of channel 0 (IRQ 0).
 */

/** Input clock of the PC's 8254 (14.31818 MHz / 12). */
export const PIT_HZ = 1193182;
const NS_PER_S = 1e9;

/** Whole input clocks in `ns` nanoseconds (exact integer arithmetic; ns ≥ 0). */
export function ticksIn(ns: number): number {
  if (ns <= 0) return 0;
  const s = Math.floor(ns / NS_PER_S);
  const rem = ns - s * NS_PER_S;
  return s * PIT_HZ + Math.floor((rem * PIT_HZ) / NS_PER_S);
}

/** The smallest ns such that ticksIn(ns) ≥ ticks. */
export function nsForTicks(ticks: number): number {
  const s = Math.floor(ticks / PIT_HZ);
  const rem = ticks - s * PIT_HZ;
  return s * NS_PER_S + Math.ceil((rem * NS_PER_S) / PIT_HZ);
}

export interface PitChannelSnapshot {
  mode: number; bcd: boolean; rw: number; count: number; ceCount: number; writeLsbNext: boolean;
  writeLsb: number; readLsbNext: boolean; latchedCount: number; latchedBytes: number;
  latchedStatus: number; nullCount: boolean; gate: boolean; loaded: boolean; running: boolean;
  baseTicks: number; startNs: number; switchAt: number; lastSwitchNs: number; lastSwitchRose: boolean;
}

export class PitChannel {
  mode = 3;
  bcd = false;
  /** Access mode: 1 = LSB, 2 = MSB, 3 = LSB then MSB. */
  rw = 3;
  /** The count register as written (0 means the maximum, 0x10000 or 10000 in BCD). */
  count = 0;
  /** The count the counting element is working with (differs from `count` while a reload waits). */
  private ceCount = 0;
  private writeLsbNext = true;
  private writeLsb = 0;
  private readLsbNext = true;
  /** Latched count value and how many bytes of it remain to be read (0 = none latched). */
  private latchedCount = 0;
  private latchedBytes = 0;
  /** Latched status byte, or -1. */
  private latchedStatus = -1;
  private nullCount = true;
  gate: boolean;
  /** A count has been transferred to the counting element (modes 1/5: triggered). */
  private loaded = false;
  private running = false;
  /**
   * Clocks counted before startNs, and the virtual time counting (re)started. After a waiting
   * reload, baseTicks is re-based (possibly negative) so the segment's count stays exact.
   */
  private baseTicks = 0;
  private startNs = 0;
  /**
   * Modes 2 and 3: a count written while counting is loaded at the end of the current period
   * (mode 3: half-period); this is that point in the current segment's clocks, or -1.
   */
  private switchAt = -1;
  /** When the last such reload happened (-1: never), and whether OUT rose there. */
  private lastSwitchNs = -1;
  private lastSwitchRose = false;

  constructor(readonly index: number, private readonly now: () => number) {
    this.gate = index !== 2;
  }

  /** Power-on state as QEMU models it: mode 3, count 0x10000 loaded (channel 2 gated off). */
  reset(): void {
    this.mode = 3;
    this.bcd = false;
    this.rw = 3;
    this.count = 0;
    this.writeLsbNext = this.readLsbNext = true;
    this.writeLsb = 0;
    this.latchedCount = this.latchedBytes = 0;
    this.latchedStatus = -1;
    this.gate = this.index !== 2;
    this.lastSwitchNs = -1;
    this.lastSwitchRose = false;
    this.load();
  }

  private periodOf(raw: number): number {
    if (raw === 0) return this.bcd ? 10000 : 0x10000;
    if (!this.bcd) return raw;
    let v = 0;
    for (let shift = 12; shift >= 0; shift -= 4) v = v * 10 + Math.min(9, (raw >> shift) & 0xf);
    return v === 0 ? 10000 : v;
  }

  /** The effective reload value N of the counting element. */
  get period(): number {
    return this.periodOf(this.ceCount);
  }

  private rawTicks(nowNs: number): number {
    return this.running ? this.baseTicks + ticksIn(nowNs - this.startNs) : this.baseTicks;
  }

  /** Apply a waiting mode 2/3 reload whose switch point has been reached. */
  private settle(nowNs: number): void {
    if (this.switchAt < 0 || !this.running || this.rawTicks(nowNs) < this.switchAt) return;
    const at = this.startNs + nsForTicks(this.switchAt - this.baseTicks);
    // Mode 3 half-period boundary: the new count starts with the low half.
    const intoLow = this.mode === 3 && this.switchAt % this.period !== 0;
    this.ceCount = this.count;
    this.nullCount = false;
    // Re-base the clock count on the same time origin (clock edges stay exact): the new
    // segment is at 0 (or at its half-period) at the switch.
    this.baseTicks += (intoLow ? (this.period + 1) >> 1 : 0) - this.switchAt;
    this.switchAt = -1;
    this.lastSwitchNs = at;
    this.lastSwitchRose = !intoLow;
  }

  /** Clocks counted in the current segment (since load, trigger or reload). */
  elapsed(nowNs = this.now()): number {
    this.settle(nowNs);
    return this.rawTicks(nowNs);
  }

  /** Level of OUT at `nowNs`. */
  out(nowNs = this.now()): boolean {
    const d = this.elapsed(nowNs);
    if (!this.loaded) return this.mode !== 0; // mode 0 starts low, all others high
    const n = this.period;
    switch (this.mode) {
      case 0:
      case 1:
        return d >= n;
      case 2:
        if (!this.gate || n === 1) return true;
        return d % n !== n - 1;
      case 3:
        if (!this.gate) return true;
        return d % n < (n + 1) >> 1;
      default: // 4, 5
        return d !== n;
    }
  }

  /** Whether OUT made a low→high transition in (fromNs, toNs]. */
  roseBetween(fromNs: number, toNs: number): boolean {
    if (toNs <= fromNs) return false;
    const toTicks = this.elapsed(toNs);
    let fromTicks: number;
    if (this.lastSwitchNs > fromNs && this.lastSwitchNs <= toNs) {
      // A waiting reload happened inside the interval: count from the new segment's start.
      if (this.lastSwitchRose) return true;
      fromTicks = (this.period + 1) >> 1;
    } else {
      fromTicks = this.rawTicks(fromNs);
    }
    if (!this.loaded) return false;
    if (toTicks <= fromTicks) return false;
    const n = this.period;
    switch (this.mode) {
      case 0:
      case 1:
        return fromTicks < n && n <= toTicks;
      case 2:
      case 3:
        if (!this.gate || n === 1) return false;
        return Math.floor(toTicks / n) > Math.floor(fromTicks / n);
      default:
        return fromTicks < n + 1 && n + 1 <= toTicks;
    }
  }

  /** Virtual time of the next OUT transition after `nowNs`, or undefined. */
  nextTransitionNs(nowNs: number): number | undefined {
    const d = this.elapsed(nowNs);
    if (!this.loaded || !this.running) return undefined;
    const n = this.period;
    let next: number | undefined;
    switch (this.mode) {
      case 0:
      case 1:
        next = d < n ? n : undefined;
        break;
      case 2: {
        if (n === 1) return undefined;
        const base = d - (d % n);
        next = d % n < n - 1 ? base + n - 1 : base + n;
        break;
      }
      case 3: {
        if (n === 1) return undefined;
        const half = (n + 1) >> 1;
        const base = d - (d % n);
        next = d % n < half ? base + half : base + n;
        break;
      }
      default:
        next = d < n ? n : d === n ? n + 1 : undefined;
    }
    if (next === undefined) return undefined;
    return this.startNs + nsForTicks(next - this.baseTicks);
  }

  /** The counting element's current value, as the chip would present it. */
  private currentValue(): number {
    const d = this.elapsed();
    if (!this.loaded) return this.count;
    const n = this.period;
    const modulus = this.bcd ? 10000 : 0x10000;
    let v: number;
    switch (this.mode) {
      case 2:
        v = n - (d % n);
        break;
      case 3:
        v = n - ((2 * d) % n);
        break;
      default:
        v = (((n - d) % modulus) + modulus) % modulus;
    }
    v %= modulus;
    if (!this.bcd) return v;
    return ((Math.floor(v / 1000) % 10) << 12) | ((Math.floor(v / 100) % 10) << 8) | ((Math.floor(v / 10) % 10) << 4) | (v % 10);
  }

  private status(): number {
    return (this.out() ? 0x80 : 0) | (this.nullCount ? 0x40 : 0) | (this.rw << 4) | (this.mode << 1) | (this.bcd ? 1 : 0);
  }

  /** Control word for this counter (RW ≠ 0): all control logic resets, OUT to its initial level. */
  control(rw: number, mode: number, bcd: boolean): void {
    this.rw = rw;
    this.mode = mode > 5 ? mode - 4 : mode; // modes 6 and 7 are 2 and 3
    this.bcd = bcd;
    this.writeLsbNext = this.readLsbNext = true;
    this.latchedBytes = 0;
    this.latchedStatus = -1;
    this.loaded = false;
    this.running = false;
    this.baseTicks = 0;
    this.switchAt = -1;
    this.nullCount = true;
  }

  latchCount(): void {
    if (this.latchedBytes !== 0) return; // a second latch before reading is ignored
    this.latchedCount = this.currentValue();
    this.latchedBytes = this.rw === 3 ? 2 : 1;
  }

  latchStatus(): void {
    if (this.latchedStatus < 0) this.latchedStatus = this.status();
  }

  readPort(): number {
    if (this.latchedStatus >= 0) {
      const s = this.latchedStatus;
      this.latchedStatus = -1;
      return s;
    }
    if (this.latchedBytes > 0) {
      let b: number;
      if (this.rw === 1) b = this.latchedCount & 0xff;
      else if (this.rw === 2) b = this.latchedCount >> 8;
      else b = this.latchedBytes === 2 ? this.latchedCount & 0xff : this.latchedCount >> 8;
      this.latchedBytes--;
      return b;
    }
    const v = this.currentValue();
    if (this.rw === 1) return v & 0xff;
    if (this.rw === 2) return (v >> 8) & 0xff;
    const lsb = this.readLsbNext;
    this.readLsbNext = !lsb;
    return lsb ? v & 0xff : (v >> 8) & 0xff;
  }

  writePort(b: number): void {
    if (this.rw === 1) return this.setCount(b);
    if (this.rw === 2) return this.setCount(b << 8);
    if (this.writeLsbNext) {
      this.writeLsb = b;
      this.writeLsbNext = false;
      if (this.mode === 0) {
        // Mode 0: writing the first byte stops counting and drives OUT low.
        this.loaded = false;
        this.running = false;
      }
      return;
    }
    this.writeLsbNext = true;
    this.setCount(this.writeLsb | (b << 8));
  }

  private setCount(v: number): void {
    const now = this.now();
    this.settle(now);
    this.count = v & 0xffff;
    this.nullCount = true;
    if (this.mode === 1 || this.mode === 5) return; // transferred on the next gate trigger
    if ((this.mode === 2 || this.mode === 3) && this.loaded && this.running) {
      // Counting: the new count waits for the end of the current period (mode 3: half-period).
      const d = this.rawTicks(now);
      const n = this.period;
      const base = d - (d % n);
      const half = (n + 1) >> 1;
      this.switchAt = this.mode === 2 || d % n >= half ? base + n : base + half;
      return;
    }
    this.load();
  }

  /** Transfer the count register into the counting element and start counting (if gated). */
  private load(): void {
    this.ceCount = this.count;
    this.loaded = true;
    this.nullCount = false;
    this.baseTicks = 0;
    this.startNs = this.now();
    this.running = this.gate;
    this.switchAt = -1;
  }

  setGate(level: boolean): void {
    if (level === this.gate) return;
    const now = this.now();
    if (level) {
      this.gate = true;
      if (this.mode === 1 || this.mode === 5) {
        this.load(); // rising edge triggers (and retriggers) the one-shot
      } else if (this.mode === 2 || this.mode === 3) {
        if (this.loaded) this.load(); // rising edge reloads
      } else if (this.loaded) {
        this.startNs = now;
        this.running = true;
      }
    } else {
      if (this.mode !== 1 && this.mode !== 5 && this.running) {
        this.baseTicks = this.elapsed(now);
        this.running = false;
      }
      this.gate = false;
    }
  }

  /** True while counting in mode 2 or 3 (square wave / rate), for the speaker. */
  get oscillating(): boolean {
    return this.loaded && this.running && (this.mode === 2 || this.mode === 3);
  }

  save(): PitChannelSnapshot {
    return {
      mode: this.mode, bcd: this.bcd, rw: this.rw, count: this.count, ceCount: this.ceCount,
      writeLsbNext: this.writeLsbNext, writeLsb: this.writeLsb, readLsbNext: this.readLsbNext,
      latchedCount: this.latchedCount, latchedBytes: this.latchedBytes, latchedStatus: this.latchedStatus,
      nullCount: this.nullCount, gate: this.gate, loaded: this.loaded, running: this.running,
      baseTicks: this.baseTicks, startNs: this.startNs, switchAt: this.switchAt,
      lastSwitchNs: this.lastSwitchNs, lastSwitchRose: this.lastSwitchRose,
    };
  }

  /** Restore a snapshot (validated by the caller). */
  restore(s: PitChannelSnapshot): void {
    Object.assign(this, s);
  }
}

/**
 * Motorola MC146818A real-time clock with 128 bytes of CMOS RAM (`mc146818rtc`, ports
 * 0x70/0x71, IRQ 8), as on the PC/AT.
 *
 * Follows the MC146818A datasheet: time, calendar and alarm registers 0x00-0x09 in BCD or
 * binary, 12- or 24-hour format; register A (UIP, divider DV2-0, rate RS3-0), B (SET, PIE, AIE,
 * UIE, SQWE, DM, 24/12, DSE), C (IRQF, PF, AF, UF; read clears), D (VRT). Port 0x70 bit 7 is the
 * PC's NMI mask. Time starts from a host-provided epoch time and advances with virtual time;
 * the registers are computed on read, not ticked. Interrupt flags are derived from virtual time
 * for the interval since the last check, and a timer is armed only for enabled interrupts.
 *
 * Regions: 0 = index/data (0x70-0x71).
 */
import type { AccessSize, DeviceHost, DeviceModel, DeviceState, DeviceType, PropertySpec, Timer } from '../api.js';
import type { CmosAccess } from './interfaces.js';
import { breakDown, compose } from './rtc-time.js';
import { checkState, fromBcd, numProp, stBool, stBytes, stNum, toBcd } from './util.js';

const TYPE = 'mc146818rtc';
const STATE_VERSION = 1;
const NS = 1e9;
/** Update-in-progress lead time before each update cycle (datasheet t_BUC). */
const UIP_LEAD_NS = 244_000;

export const REG_A = 0x0a;
export const REG_B = 0x0b;
export const REG_C = 0x0c;
export const REG_D = 0x0d;
export const CMOS_CENTURY = 0x32;

const B_SET = 0x80, B_PIE = 0x40, B_AIE = 0x20, B_UIE = 0x10, B_DM = 0x04, B_24H = 0x02;
const C_IRQF = 0x80, C_PF = 0x40, C_AF = 0x20, C_UF = 0x10;

/** A source of the wall-clock start time, given as the device's backend. */
export interface RtcTimeSource {
  /** Milliseconds since 1970-01-01 UTC at virtual time 0 (the guest's RTC base). */
  epochMs(): number;
}

const properties: Record<string, PropertySpec> = {
  startEpochMs: {
    type: 'number',
    default: 946684800000,
    description: 'RTC time at machine start, ms since 1970 UTC (overridden by an RtcTimeSource backend)',
  },
};

export class Rtc implements DeviceModel, CmosAccess {
  private cmos = new Uint8Array(128);
  private index = 0;
  private nmi = false;
  /** Epoch second that began at virtual time baseNs (valid while the clock runs). */
  private baseSec = 0;
  private baseNs = 0;
  /** Events have been accounted for up to this virtual time. */
  private syncedNs = 0;
  /** Origin of the divider chain (periodic interrupt phase). */
  private dividerNs = 0;
  private irqLevel = false;
  private timer: Timer;

  constructor(private host: DeviceHost, startEpochMs: number) {
    this.timer = host.clock.createTimer(() => this.onTimer());
    const now = host.clock.now();
    const ms = Number.isFinite(startEpochMs) ? startEpochMs : 0;
    this.baseSec = Math.floor(ms / 1000);
    // Keep the sub-second phase of the start time.
    this.baseNs = now - (ms - this.baseSec * 1000) * 1e6;
    this.syncedNs = now;
    this.dividerNs = now;
    this.cmos[REG_A] = 0x26;
    this.cmos[REG_B] = B_24H;
    this.cmos[REG_D] = 0x80;
    this.storeTime(this.baseSec);
  }

  get nmiMasked(): boolean {
    return this.nmi;
  }

  cmosRead(index: number): number {
    return this.cmos[index & 0x7f];
  }

  cmosWrite(index: number, value: number): void {
    this.cmos[index & 0x7f] = value & 0xff;
  }

  /** The clock is counting: SET clear and divider in a normal time-base setting. */
  private timeRunning(): boolean {
    return !(this.cmos[REG_B] & B_SET) && this.dividerRunning();
  }

  private dividerRunning(): boolean {
    return (this.cmos[REG_A] & 0x70) <= 0x20;
  }

  private binary(): boolean {
    return (this.cmos[REG_B] & B_DM) !== 0;
  }

  private enc(v: number): number {
    return this.binary() ? v : toBcd(v);
  }

  private dec(v: number): number {
    return this.binary() ? v : fromBcd(v);
  }

  private encHour(h: number): number {
    if (this.cmos[REG_B] & B_24H) return this.enc(h);
    return this.enc(h % 12 === 0 ? 12 : h % 12) | (h >= 12 ? 0x80 : 0);
  }

  private decHour(v: number): number {
    if (this.cmos[REG_B] & B_24H) return this.dec(v);
    const h = this.dec(v & 0x7f) % 12;
    return v & 0x80 ? h + 12 : h;
  }

  /** Current epoch second. */
  private currentSec(now: number): number {
    return this.baseSec + Math.floor((now - this.baseNs) / NS);
  }

  /** Write epoch second `sec` into the time/date registers and the century byte. */
  private storeTime(sec: number): void {
    const t = breakDown(sec);
    const c = this.cmos;
    c[0] = this.enc(t.second);
    c[2] = this.enc(t.minute);
    c[4] = this.encHour(t.hour);
    c[6] = this.enc(t.weekday);
    c[7] = this.enc(t.day);
    c[8] = this.enc(t.month);
    c[9] = this.enc(((t.year % 100) + 100) % 100);
    c[CMOS_CENTURY] = this.enc(Math.floor(t.year / 100) % 100);
  }

  /** Epoch second described by the time/date registers. */
  private parseTime(): number {
    const c = this.cmos;
    let century = this.dec(c[CMOS_CENTURY]);
    if (century < 19 || century > 99) century = 20;
    return compose({
      year: century * 100 + this.dec(c[9]),
      month: this.dec(c[8]),
      day: this.dec(c[7]),
      hour: this.decHour(c[4]),
      minute: this.dec(c[2]),
      second: this.dec(c[0]),
    });
  }

  /** Alarm field (register value) as a number, or -1 for "don't care". */
  private alarmField(reg: number, hour: boolean): number {
    const v = this.cmos[reg];
    if ((v & 0xc0) === 0xc0) return -1;
    return hour ? this.decHour(v) : this.dec(v);
  }

  /** The first epoch second after `sec` whose time matches the alarm, or undefined. */
  private nextAlarm(sec: number): number | undefined {
    const as = this.alarmField(1, false), am = this.alarmField(3, false), ah = this.alarmField(5, true);
    if (as > 59 || am > 59 || ah > 23) return undefined;
    const day0 = Math.floor(sec / 86400) * 86400;
    for (let day = day0; day <= day0 + 86400; day += 86400) {
      for (let h = ah < 0 ? 0 : ah; h <= (ah < 0 ? 23 : ah); h++) {
        if (day + h * 3600 + 3599 <= sec) continue;
        for (let m = am < 0 ? 0 : am; m <= (am < 0 ? 59 : am); m++) {
          if (day + h * 3600 + m * 60 + 59 <= sec) continue;
          for (let s = as < 0 ? 0 : as; s <= (as < 0 ? 59 : as); s++) {
            const t = day + h * 3600 + m * 60 + s;
            if (t > sec) return t;
          }
        }
      }
    }
    return undefined;
  }

  /** Periodic interrupt period in ns, or 0 if off. */
  private periodNs(): number {
    let rs = this.cmos[REG_A] & 0x0f;
    if (rs === 0 || !this.dividerRunning()) return 0;
    if (rs <= 2) rs += 7;
    return ((1 << (rs - 1)) * NS) / 32768;
  }

  /** Account for update, alarm and periodic events in (syncedNs, now]. */
  private sync(now: number): void {
    const from = this.syncedNs;
    if (now <= from) return;
    let flags = 0;
    if (this.timeRunning()) {
      const k0 = Math.floor((from - this.baseNs) / NS);
      const k1 = Math.floor((now - this.baseNs) / NS);
      if (k1 > k0) {
        flags |= C_UF;
        const a = this.nextAlarm(this.baseSec + k0);
        if (a !== undefined && a <= this.baseSec + k1) flags |= C_AF;
      }
    }
    const p = this.periodNs();
    if (p > 0 && Math.floor((now - this.dividerNs) / p) > Math.floor((from - this.dividerNs) / p)) flags |= C_PF;
    this.syncedNs = now;
    this.cmos[REG_C] |= flags;
    this.updateIrq();
  }

  private updateIrq(): void {
    const c = this.cmos[REG_C] & 0x70;
    const enabled = c & this.cmos[REG_B] & (B_PIE | B_AIE | B_UIE); // C and B bits line up
    if (enabled) this.cmos[REG_C] |= C_IRQF;
    const level = (this.cmos[REG_C] & C_IRQF) !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.host.irq(0).set(level);
    }
  }

  /** Arm the timer for the next enabled event whose flag is not yet set. */
  private schedule(): void {
    const now = this.host.clock.now();
    const b = this.cmos[REG_B], c = this.cmos[REG_C];
    let next = Infinity;
    if (this.timeRunning()) {
      const k = Math.floor((now - this.baseNs) / NS);
      if (b & B_UIE && !(c & C_UF)) next = Math.min(next, this.baseNs + (k + 1) * NS);
      if (b & B_AIE && !(c & C_AF)) {
        const a = this.nextAlarm(this.baseSec + k);
        if (a !== undefined) next = Math.min(next, this.baseNs + (a - this.baseSec) * NS);
      }
    }
    const p = this.periodNs();
    if (p > 0 && b & B_PIE && !(c & C_PF)) {
      next = Math.min(next, this.dividerNs + (Math.floor((now - this.dividerNs) / p) + 1) * p);
    }
    if (next === Infinity) this.timer.cancel();
    else this.timer.setDeadline(Math.max(next, now));
  }

  private onTimer(): void {
    this.sync(this.host.clock.now());
    this.schedule();
  }

  ioRead(region: number, offset: number, size: AccessSize): number {
    if (region !== 0 || offset > 1 || size !== 1) {
      this.host.guestError(`mc146818rtc: ${size}-byte read of unknown register region ${region} offset ${offset}`);
      return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    }
    if (offset === 0) return 0xff; // the index register is write-only
    return this.readData();
  }

  private readData(): number {
    const i = this.index;
    const now = this.host.clock.now();
    if (i <= 9 || i === CMOS_CENTURY) {
      if (this.timeRunning()) this.storeTime(this.currentSec(now));
      return this.cmos[i];
    }
    switch (i) {
      case REG_A: {
        const frac = now - this.baseNs - Math.floor((now - this.baseNs) / NS) * NS;
        const uip = this.timeRunning() && frac >= NS - UIP_LEAD_NS;
        return (this.cmos[REG_A] & 0x7f) | (uip ? 0x80 : 0);
      }
      case REG_C: {
        this.sync(now);
        const v = this.cmos[REG_C];
        this.cmos[REG_C] = 0;
        this.updateIrq();
        this.schedule();
        return v;
      }
      case REG_D:
        return 0x80; // valid RAM and time
      default:
        return this.cmos[i];
    }
  }

  ioWrite(region: number, offset: number, size: AccessSize, value: number): void {
    if (region !== 0 || offset > 1 || size !== 1) {
      this.host.guestError(`mc146818rtc: ${size}-byte write of unknown register region ${region} offset ${offset}`);
      return;
    }
    const v = value & 0xff;
    if (offset === 0) {
      this.index = v & 0x7f;
      this.nmi = (v & 0x80) !== 0;
      return;
    }
    this.writeData(v);
  }

  private writeData(v: number): void {
    const i = this.index;
    const now = this.host.clock.now();
    this.sync(now);
    const wasRunning = this.timeRunning();
    const wasDividerReset = (this.cmos[REG_A] & 0x60) === 0x60;
    if (wasRunning) this.storeTime(this.currentSec(now));
    const fracNs = now - this.baseNs - Math.floor((now - this.baseNs) / NS) * NS;
    switch (i) {
      case REG_A: {
        const oldDivider = this.dividerRunning();
        this.cmos[REG_A] = v & 0x7f;
        if (!oldDivider && this.dividerRunning()) this.dividerNs = now;
        break;
      }
      case REG_B:
        // Setting SET aborts updates and clears UIE; DM and 24/12 do not convert stored values.
        this.cmos[REG_B] = v & B_SET ? v & ~B_UIE : v;
        break;
      case REG_C:
      case REG_D:
        return; // read-only
      default:
        this.cmos[i] = v;
    }
    const running = this.timeRunning();
    if (running && (!wasRunning || i <= 9 || i === CMOS_CENTURY)) {
      this.baseSec = this.parseTime();
      if (!wasRunning && wasDividerReset && i === REG_A) this.baseNs = now - NS / 2; // first update after 500 ms
      else if (!wasRunning) this.baseNs = now;
      else this.baseNs = now - fracNs;
    }
    this.syncedNs = now;
    this.updateIrq();
    this.schedule();
  }

  reset(): void {
    // Power-on reset pin: clears PIE, AIE, UIE, SQWE and the flags; time and RAM are kept.
    this.sync(this.host.clock.now());
    this.cmos[REG_B] &= ~(B_PIE | B_AIE | B_UIE | 0x08);
    this.cmos[REG_C] = 0;
    this.updateIrq();
    this.schedule();
  }

  saveState(): DeviceState {
    const now = this.host.clock.now();
    this.sync(now);
    if (this.timeRunning()) this.storeTime(this.currentSec(now));
    return {
      type: TYPE,
      version: STATE_VERSION,
      data: {
        cmos: Array.from(this.cmos), index: this.index, nmi: this.nmi, baseSec: this.baseSec,
        baseNs: this.baseNs, syncedNs: this.syncedNs, dividerNs: this.dividerNs, irqLevel: this.irqLevel,
      },
    };
  }

  loadState(state: DeviceState): void {
    const d = checkState(state, TYPE, STATE_VERSION);
    const big = Number.MAX_SAFE_INTEGER;
    this.cmos = stBytes(d, 'cmos', 128);
    this.index = stNum(d, 'index', 0, 127);
    this.nmi = stBool(d, 'nmi');
    this.baseSec = stNum(d, 'baseSec', -big, big);
    this.baseNs = stNum(d, 'baseNs', -big, big);
    this.syncedNs = stNum(d, 'syncedNs', -big, big);
    this.dividerNs = stNum(d, 'dividerNs', -big, big);
    this.irqLevel = stBool(d, 'irqLevel');
    this.host.irq(0).set(this.irqLevel);
    this.schedule();
  }

  destroy(): void {
    this.timer.cancel();
  }
}

export const rtcType: DeviceType = {
  name: TYPE,
  class: 'chipset',
  bus: 'isa',
  description: 'Motorola MC146818A real-time clock and 128-byte CMOS RAM (IRQ 8, NMI mask)',
  secure: true,
  secureReason: 'Chipset core emulated in the CPU worker; part of the trusted platform like in QEMU',
  hotpluggable: false,
  capabilities: ['timers'],
  properties,
  resources: () => ({ ports: [{ name: 'rtc', base: 0x70, length: 2, accessSizes: [1] }], mmio: [], irqs: [8] }),
  stateVersion: STATE_VERSION,
  create: (host, props) => {
    const src = host.backend as Partial<RtcTimeSource> | undefined;
    const start = src && typeof src.epochMs === 'function' ? src.epochMs() : numProp(props, properties, 'startEpochMs');
    return new Rtc(host, start);
  },
};

/**
 * Intel 8254 PIT (`isa-pit`, ports 0x40-0x43, IRQ 0) with the PC/AT system control port B
 * (port 0x61), which gates PIT channel 2 and reads back its OUT for the speaker and for
 * firmware delay loops.
 *
 * Follows the Intel 82C54 datasheet (control word, counter latch, read-back command) and the
 * IBM PC/AT Technical Reference for port 0x61 (bit 0 timer 2 gate, bit 1 speaker data,
 * bits 2-3 parity/channel check enables, bit 4 refresh request toggle, bit 5 timer 2 OUT).
 * Channel 0 drives IRQ 0 through host.irq(0); its OUT transitions are scheduled with a
 * virtual-time timer, never polled.
 *
 * Regions: 0 = counters and control word (0x40-0x43), 1 = port B (0x61).
 */
import type { AccessSize, DeviceHost, DeviceModel, DeviceState, DeviceType, Timer } from '../api.js';
import type { SpeakerState } from './interfaces.js';
import { PIT_HZ, PitChannel, type PitChannelSnapshot } from './pit-channel.js';
import { checkState, DeviceStateError, stBool, stNum } from './util.js';

const TYPE = 'isa-pit';
const STATE_VERSION = 1;
/** DRAM refresh request period on the AT: 15.085 µs, seen as a toggle of port 0x61 bit 4. */
const REFRESH_NS = 15085;

export class Pit implements DeviceModel {
  readonly channels: PitChannel[];
  private portB = 0; // bits 0-3 as written
  private timer: Timer;
  private irqLevel = false;
  /** Virtual time up to which channel 0's OUT edges have been delivered. */
  private lastNs = 0;

  constructor(private host: DeviceHost) {
    const now = () => host.clock.now();
    this.channels = [0, 1, 2].map((i) => new PitChannel(i, now));
    this.timer = host.clock.createTimer(() => this.onTimer());
    this.reset();
  }

  reset(): void {
    for (const c of this.channels) c.reset();
    this.portB = 0;
    this.irqLevel = false;
    this.host.irq(0).set(false);
    this.restartIrq();
  }

  /** After any change to channel 0: drive IRQ 0 to OUT0 and schedule the next transition. */
  private restartIrq(): void {
    this.lastNs = this.host.clock.now();
    this.driveIrq(this.channels[0].out());
    this.schedule();
  }

  private driveIrq(level: boolean): void {
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.host.irq(0).set(level);
    }
  }

  private schedule(): void {
    const now = this.host.clock.now();
    const next = this.channels[0].nextTransitionNs(now);
    if (next === undefined) this.timer.cancel();
    else this.timer.setDeadline(Math.max(next, now));
  }

  private onTimer(): void {
    const ch = this.channels[0];
    const now = this.host.clock.now();
    // A late timer may have skipped a short low phase: still present one rising edge.
    if (ch.roseBetween(this.lastNs, now)) {
      if (this.irqLevel) this.driveIrq(false);
      this.driveIrq(true);
    }
    this.lastNs = now;
    this.driveIrq(ch.out(now));
    this.schedule();
  }

  ioRead(region: number, offset: number, size: AccessSize): number {
    if (size !== 1) {
      this.host.guestError(`isa-pit: ${size}-byte read at region ${region} offset ${offset}`);
      return size === 2 ? 0xffff : 0xffffffff;
    }
    if (region === 0 && offset < 3) return this.channels[offset].readPort();
    if (region === 0 && offset === 3) return 0xff; // the control word register is write-only
    if (region === 1 && offset === 0) return this.readPortB();
    this.host.guestError(`isa-pit: read of unknown register region ${region} offset ${offset}`);
    return 0xff;
  }

  ioWrite(region: number, offset: number, size: AccessSize, value: number): void {
    if (size !== 1) {
      this.host.guestError(`isa-pit: ${size}-byte write at region ${region} offset ${offset}`);
      return;
    }
    const v = value & 0xff;
    if (region === 0 && offset < 3) {
      this.channels[offset].writePort(v);
      if (offset === 0) this.restartIrq();
    } else if (region === 0 && offset === 3) {
      this.controlWord(v);
    } else if (region === 1 && offset === 0) {
      this.portB = v & 0x0f;
      this.channels[2].setGate((v & 1) !== 0);
    } else {
      this.host.guestError(`isa-pit: write of unknown register region ${region} offset ${offset}`);
    }
  }

  private controlWord(v: number): void {
    const sc = v >> 6;
    if (sc === 3) {
      // Read-back: bit 5 = !COUNT, bit 4 = !STATUS, bits 3..1 select counters 2..0.
      for (let i = 0; i < 3; i++) {
        if (!(v & (2 << i))) continue;
        if (!(v & 0x10)) this.channels[i].latchStatus();
        if (!(v & 0x20)) this.channels[i].latchCount();
      }
      return;
    }
    const rw = (v >> 4) & 3;
    const ch = this.channels[sc];
    if (rw === 0) {
      ch.latchCount();
      return;
    }
    ch.control(rw, (v >> 1) & 7, (v & 1) !== 0);
    if (sc === 0) this.restartIrq();
  }

  private readPortB(): number {
    const refresh = Math.floor(this.host.clock.now() / REFRESH_NS) & 1;
    return this.portB | (refresh << 4) | (this.channels[2].out() ? 0x20 : 0);
  }

  /** Speaker state for an audio backend (PC speaker = channel 2 OUT ANDed with bit 1). */
  speaker(): SpeakerState {
    const c = this.channels[2];
    return {
      gate: (this.portB & 1) !== 0,
      data: (this.portB & 2) !== 0,
      mode: c.mode,
      frequencyHz: c.oscillating ? PIT_HZ / c.period : 0,
    };
  }

  saveState(): DeviceState {
    return {
      type: TYPE,
      version: STATE_VERSION,
      data: { portB: this.portB, channels: this.channels.map((c) => c.save()), irqLevel: this.irqLevel, lastNs: this.lastNs },
    };
  }

  loadState(state: DeviceState): void {
    const d = checkState(state, TYPE, STATE_VERSION);
    const chans = d.channels;
    if (!Array.isArray(chans) || chans.length !== 3) throw new DeviceStateError('isa-pit: need 3 channels');
    chans.forEach((c: Record<string, unknown>) => {
      stNum(c, 'mode', 0, 5);
      stNum(c, 'rw', 1, 3);
      stNum(c, 'count', 0, 0xffff);
      stNum(c, 'ceCount', 0, 0xffff);
      stNum(c, 'switchAt', -1, Number.MAX_SAFE_INTEGER);
      stNum(c, 'lastSwitchNs', -1, Number.MAX_SAFE_INTEGER);
      stNum(c, 'latchedCount', 0, 0xffff);
      stNum(c, 'writeLsb', 0, 0xff);
      for (const k of ['bcd', 'writeLsbNext', 'readLsbNext', 'nullCount', 'gate', 'loaded', 'running', 'lastSwitchRose']) stBool(c, k);
      stNum(c, 'latchedBytes', 0, 2);
      stNum(c, 'latchedStatus', -1, 255);
      stNum(c, 'baseTicks', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
      stNum(c, 'startNs', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    });
    this.portB = stNum(d, 'portB', 0, 15);
    chans.forEach((c, i) => this.channels[i].restore(c as PitChannelSnapshot));
    this.irqLevel = !!d.irqLevel;
    this.host.irq(0).set(this.irqLevel);
    this.lastNs = stNum(d, 'lastNs', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    this.schedule();
  }

  destroy(): void {
    this.timer.cancel();
  }
}

export const pitType: DeviceType = {
  name: TYPE,
  class: 'chipset',
  bus: 'isa',
  description: 'Intel 8254 programmable interval timer (IRQ 0) with system control port B (0x61)',
  secure: true,
  secureReason: 'Chipset core emulated in the CPU worker; part of the trusted platform like in QEMU',
  hotpluggable: false,
  capabilities: ['timers'],
  properties: {},
  resources: () => ({
    ports: [
      { name: 'pit', base: 0x40, length: 4, accessSizes: [1] },
      { name: 'port61', base: 0x61, length: 1, accessSizes: [1] },
    ],
    mmio: [],
    irqs: [0],
  }),
  stateVersion: STATE_VERSION,
  create: (host) => new Pit(host),
};

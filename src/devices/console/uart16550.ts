/**
 * isa-serial: a National Semiconductor PC16550D ("16550A") UART as wired on a PC.
 *
 * Follows the PC16550D datasheet (register set, FIFO and interrupt rules, Table IV interrupt
 * priorities, loopback) and what Linux's 8250 driver (drivers/tty/serial/8250/8250_port.c:
 * autoconfig(), autoconfig_16550a(), size_fifo(), serial8250_startup()) checks:
 *   - IER bits 4-7 and IIR bits 4-5 read as zero, MCR bits 5-7 read as zero (no EFR, no
 *     64-byte FIFO, no UUE), so autoconfig settles on PORT_16550A with a 16-byte FIFO;
 *   - THRE interrupt: set when THR becomes empty or when ETBEI is enabled while THR is empty,
 *     cleared by reading IIR while it is the reported source, or by writing THR;
 *   - the IRQ pin reaches the ISA bus only while MCR.OUT2 is set and loopback is off (the PC's
 *     tri-state buffer on OUT2; in loopback the OUT pins are forced inactive).
 *
 * Transmit: a THR write hands the byte to the backend at once (no wire delay), so THRE and
 * TEMT are set again immediately and a THRE interrupt is re-armed after every write, exactly
 * like a UART whose line runs infinitely fast. Receive: bytes from the backend are queued
 * host-side and moved into the receive FIFO one per character time (from the divisor and LCR),
 * so the FIFO fills like on a wire; host input is flow-controlled (held while the FIFO is full,
 * as QEMU's chardev does), so LSR.OE (counted) arises only from loopback traffic. The character-timeout indication fires after 4 character times
 * without FIFO activity (host.clock timers).
 *
 * LSR is published as a shadow register (offset 5) whenever it changes, except while OE is set:
 * then the read has a side effect (it clears OE), so the shadow is withdrawn and the read goes
 * to the device.
 */
import type { DeviceHost, DeviceModel, DeviceState, IrqLine, Timer } from '../api.js';
import type { ModemInputs, SerialBackend } from './serial-backend.js';

/** The UART's input clock on a PC: 1.8432 MHz; baud = 115200 / divisor. */
export const UART_CLOCK_HZ = 1_843_200;
const FIFO_SIZE = 16;
/** Host-side receive queue cap; bytes beyond it are dropped and counted (hostDropped). */
const HOST_QUEUE_MAX = 1 << 20;
const TRIGGER_LEVELS = [1, 4, 8, 14];

// Register offsets.
const RBR_THR_DLL = 0, IER_DLM = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;
// LSR bits.
const LSR_DR = 0x01, LSR_OE = 0x02, LSR_THRE = 0x20, LSR_TEMT = 0x40;
// IER bits.
const IER_RDA = 0x01, IER_THRE = 0x02, IER_RLS = 0x04, IER_MS = 0x08;
// MCR bits.
const MCR_DTR = 0x01, MCR_RTS = 0x02, MCR_OUT1 = 0x04, MCR_OUT2 = 0x08, MCR_LOOP = 0x10;

export const UART_STATE_VERSION = 1;

export class Uart16550 implements DeviceModel {
  private readonly irqLine: IrqLine;
  private readonly backend: SerialBackend | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly rxTimer: Timer;
  private readonly timeoutTimer: Timer;

  // Programmer-visible registers.
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scr = 0;
  private dll = 12;
  private dlm = 0;
  private fifoEnabled = false;
  private triggerLevel = 1;
  private dmaMode = false;

  // Receive side.
  private rx: number[] = [];
  private lastRbr = 0;
  private overrunFlag = false;
  private timeoutPending = false;
  /** Bytes from the backend waiting for the wire. */
  private hostQueue: number[] = [];
  private hostHead = 0;

  // Transmit / interrupt state.
  private thrIntPending = false;
  private msrDelta = 0;
  private inputs: ModemInputs = { cts: true, dsr: true, ri: false, dcd: true };
  /** Modem status lines as last seen by MSR (bits 4-7). */
  private msrLines = 0;
  private irqLevel = false;
  private publishedLsr = -1;

  /** Characters lost because the receive FIFO (or RBR) was full: LSR.OE occurrences. */
  overruns = 0;
  /** Host bytes dropped because the host-side queue was full. */
  hostDropped = 0;

  constructor(private readonly host: DeviceHost) {
    this.irqLine = host.irq(0);
    this.backend = host.backend as SerialBackend | undefined;
    this.rxTimer = host.clock.createTimer(() => this.deliverOne());
    this.timeoutTimer = host.clock.createTimer(() => this.characterTimeout());
    if (this.backend) {
      this.unsubscribe.push(this.backend.onData((bytes) => this.receiveFromHost(bytes)));
      if (this.backend.onModemInputs) {
        this.unsubscribe.push(this.backend.onModemInputs((lines) => this.setModemInputs(lines)));
      }
    }
    this.msrLines = this.currentModemLines();
    this.update();
  }

  // ---- register interface ----

  ioRead(region: number, offset: number): number {
    if (region !== 0) {
      this.host.guestError(`isa-serial: read of unknown region ${region}`);
      return 0xff;
    }
    let value: number;
    switch (offset) {
      case RBR_THR_DLL:
        value = this.dlab ? this.dll : this.readRbr();
        break;
      case IER_DLM:
        value = this.dlab ? this.dlm : this.ier;
        break;
      case IIR_FCR:
        value = this.readIir();
        break;
      case LCR:
        value = this.lcr;
        break;
      case MCR:
        value = this.mcr;
        break;
      case LSR:
        value = this.lsr();
        this.overrunFlag = false; // reading LSR clears OE (and PE/FE/BI, never set here)
        break;
      case MSR:
        this.refreshModemLines();
        value = this.msrLines | this.msrDelta;
        this.msrDelta = 0;
        break;
      case SCR:
        value = this.scr;
        break;
      default:
        this.host.guestError(`isa-serial: read of unknown offset ${offset}`);
        return 0xff;
    }
    this.update();
    return value;
  }

  ioWrite(region: number, offset: number, _size: number, value: number): void {
    if (region !== 0) {
      this.host.guestError(`isa-serial: write of unknown region ${region}`);
      return;
    }
    value &= 0xff;
    switch (offset) {
      case RBR_THR_DLL:
        if (this.dlab) this.setDivisor(value, this.dlm);
        else this.writeThr(value);
        break;
      case IER_DLM:
        if (this.dlab) this.setDivisor(this.dll, value);
        else this.writeIer(value);
        break;
      case IIR_FCR:
        this.writeFcr(value);
        break;
      case LCR: {
        const oldBreak = this.lcr & 0x40;
        this.lcr = value;
        if ((value & 0x40) !== oldBreak && !(this.mcr & MCR_LOOP)) this.backend?.setBreak?.((value & 0x40) !== 0);
        this.rescheduleTimers();
        break;
      }
      case MCR:
        this.writeMcr(value & 0x1f);
        break;
      case LSR:
        // LSR is read-only on the 16550 (a factory test write); ignore.
        break;
      case MSR:
        break;
      case SCR:
        this.scr = value;
        break;
      default:
        this.host.guestError(`isa-serial: write of unknown offset ${offset}`);
        return;
    }
    this.update();
  }

  reset(): void {
    this.ier = 0;
    this.lcr = 0;
    this.mcr = 0;
    this.scr = 0;
    this.dll = 12;
    this.dlm = 0;
    this.fifoEnabled = false;
    this.triggerLevel = 1;
    this.dmaMode = false;
    this.rx = [];
    this.lastRbr = 0;
    this.overrunFlag = false;
    this.timeoutPending = false;
    this.hostQueue = [];
    this.hostHead = 0;
    this.thrIntPending = false;
    this.msrDelta = 0;
    this.msrLines = this.currentModemLines();
    this.overruns = 0;
    this.hostDropped = 0;
    this.rxTimer.cancel();
    this.timeoutTimer.cancel();
    this.update();
  }

  destroy(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe.length = 0;
    this.rxTimer.cancel();
    this.timeoutTimer.cancel();
  }

  saveState(): DeviceState {
    return {
      type: 'isa-serial',
      version: UART_STATE_VERSION,
      data: {
        ier: this.ier, lcr: this.lcr, mcr: this.mcr, scr: this.scr, dll: this.dll, dlm: this.dlm,
        fifoEnabled: this.fifoEnabled, triggerLevel: this.triggerLevel, dmaMode: this.dmaMode,
        rx: [...this.rx], lastRbr: this.lastRbr, overrunFlag: this.overrunFlag,
        timeoutPending: this.timeoutPending, hostQueue: this.hostQueue.slice(this.hostHead),
        thrIntPending: this.thrIntPending, msrDelta: this.msrDelta, msrLines: this.msrLines,
        inputs: { ...this.inputs }, overruns: this.overruns, hostDropped: this.hostDropped,
        timeoutArmed: this.timeoutTimer.pending,
      },
    };
  }

  loadState(state: DeviceState): void {
    if (state.type !== 'isa-serial' || state.version !== UART_STATE_VERSION) {
      throw new Error(`isa-serial: cannot load state ${state.type} v${state.version}`);
    }
    const d = state.data;
    const byte = (k: string): number => {
      const v = d[k];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xff) throw new Error(`isa-serial: bad state field ${k}`);
      return v;
    };
    const bytes = (k: string, max: number): number[] => {
      const v = d[k];
      if (!Array.isArray(v) || v.length > max || !v.every((x) => typeof x === 'number' && x >= 0 && x <= 0xff)) {
        throw new Error(`isa-serial: bad state field ${k}`);
      }
      return v as number[];
    };
    const bool = (k: string): boolean => d[k] === true;
    this.ier = byte('ier') & 0x0f;
    this.lcr = byte('lcr');
    this.mcr = byte('mcr') & 0x1f;
    this.scr = byte('scr');
    this.dll = byte('dll');
    this.dlm = byte('dlm');
    this.fifoEnabled = bool('fifoEnabled');
    const trig = d.triggerLevel;
    this.triggerLevel = TRIGGER_LEVELS.includes(trig as number) ? (trig as number) : 1;
    this.dmaMode = bool('dmaMode');
    this.rx = [...bytes('rx', FIFO_SIZE)];
    this.lastRbr = byte('lastRbr');
    this.overrunFlag = bool('overrunFlag');
    this.timeoutPending = bool('timeoutPending');
    this.hostQueue = [...bytes('hostQueue', HOST_QUEUE_MAX)];
    this.hostHead = 0;
    this.thrIntPending = bool('thrIntPending');
    this.msrDelta = byte('msrDelta') & 0x0f;
    this.msrLines = byte('msrLines') & 0xf0;
    const inp = d.inputs as Partial<ModemInputs> | undefined;
    if (inp && typeof inp === 'object') {
      this.inputs = { cts: inp.cts === true, dsr: inp.dsr === true, ri: inp.ri === true, dcd: inp.dcd === true };
    }
    this.overruns = typeof d.overruns === 'number' ? d.overruns : 0;
    this.hostDropped = typeof d.hostDropped === 'number' ? d.hostDropped : 0;
    this.rxTimer.cancel();
    this.timeoutTimer.cancel();
    this.scheduleDelivery(); // the next host byte arrives one character time after restore
    if (d.timeoutArmed === true) this.armTimeout();
    this.update();
  }

  // ---- host side ----

  /** Bytes from the backend for the guest: queued, then fed to the FIFO at the line rate. */
  receiveFromHost(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (this.hostQueue.length - this.hostHead >= HOST_QUEUE_MAX) {
        this.hostDropped++;
        continue;
      }
      this.hostQueue.push(b);
    }
    this.scheduleDelivery();
  }

  /** The far end's modem lines changed. */
  setModemInputs(lines: ModemInputs): void {
    this.inputs = { ...lines };
    this.refreshModemLines();
    this.update();
  }

  // ---- internals ----

  private get dlab(): boolean {
    return (this.lcr & 0x80) !== 0;
  }

  private get loopback(): boolean {
    return (this.mcr & MCR_LOOP) !== 0;
  }

  private get divisor(): number {
    const d = (this.dlm << 8) | this.dll;
    return d === 0 ? 0x10000 : d;
  }

  /** Duration of one character on the wire (start + data + parity + stop bits), in ns. */
  characterTimeNs(): number {
    const dataBits = 5 + (this.lcr & 3);
    const parity = this.lcr & 0x08 ? 1 : 0;
    const stop = this.lcr & 0x04 ? (dataBits === 5 ? 1.5 : 2) : 1;
    const bits = 1 + dataBits + parity + stop;
    return (bits * this.divisor * 16 * 1e9) / UART_CLOCK_HZ;
  }

  private setDivisor(dll: number, dlm: number): void {
    this.dll = dll;
    this.dlm = dlm;
    this.rescheduleTimers();
  }

  private lsr(): number {
    let v = LSR_THRE | LSR_TEMT; // transmission is immediate: THR and shifter are always empty
    if (this.rx.length > 0) v |= LSR_DR;
    if (this.overrunFlag) v |= LSR_OE;
    return v;
  }

  private readRbr(): number {
    if (this.rx.length > 0) {
      this.lastRbr = this.rx.shift()!;
      // A read clears an occurred timeout and restarts the timer.
      this.timeoutPending = false;
      this.armTimeout();
      // Room in the FIFO again: make sure waiting host bytes keep flowing.
      this.scheduleDelivery();
    }
    return this.lastRbr;
  }

  private writeThr(value: number): void {
    this.thrIntPending = false;
    this.update(); // THR full for an instant: the THRE source drops (an edge for the PIC later)
    if (this.loopback) {
      this.receiveByte(value); // TX shift register looped into RX; SOUT held marking
    } else {
      this.backend?.write(Uint8Array.of(value));
    }
    // The byte left THR and the shifter at once: THR empty again → THRE interrupt re-armed.
    this.thrIntPending = true;
    this.update();
  }

  private writeIer(value: number): void {
    const old = this.ier;
    this.ier = value & 0x0f;
    if (this.ier & IER_THRE) {
      // Enabling ETBEI while THR is empty generates the THRE interrupt.
      if (!(old & IER_THRE)) this.thrIntPending = true;
    } else {
      this.thrIntPending = false;
    }
  }

  private writeFcr(value: number): void {
    const enable = (value & 0x01) !== 0;
    if (enable !== this.fifoEnabled) {
      // Changing the FIFO enable clears both FIFOs.
      this.fifoEnabled = enable;
      this.clearRx();
    }
    if (!enable) return; // other bits are only programmed with bit 0 set
    if (value & 0x02) this.clearRx();
    // bit 2 (XMIT FIFO reset): the transmit FIFO is always empty here.
    this.dmaMode = (value & 0x08) !== 0;
    this.triggerLevel = TRIGGER_LEVELS[(value >> 6) & 3];
  }

  private clearRx(): void {
    this.rx = [];
    this.timeoutPending = false;
    this.timeoutTimer.cancel();
    this.scheduleDelivery();
  }

  private writeMcr(value: number): void {
    const old = this.mcr;
    this.mcr = value;
    if ((old ^ value) & MCR_LOOP) {
      if (!(value & MCR_LOOP)) this.scheduleDelivery(); // wire reconnected: resume host input
      else this.rxTimer.cancel();
    }
    if (!(value & MCR_LOOP) && ((old ^ value) & (MCR_DTR | MCR_RTS | MCR_LOOP))) {
      this.backend?.setModemOutputs?.({ dtr: (value & MCR_DTR) !== 0, rts: (value & MCR_RTS) !== 0 });
    }
    this.refreshModemLines();
  }

  /** Modem status bits 4-7 as the MSR would show them now. */
  private currentModemLines(): number {
    if (this.mcr & MCR_LOOP) {
      // Loopback: RTS→CTS, DTR→DSR, OUT1→RI, OUT2→DCD.
      return (
        (this.mcr & MCR_RTS ? 0x10 : 0) |
        (this.mcr & MCR_DTR ? 0x20 : 0) |
        (this.mcr & MCR_OUT1 ? 0x40 : 0) |
        (this.mcr & MCR_OUT2 ? 0x80 : 0)
      );
    }
    const i = this.inputs;
    return (i.cts ? 0x10 : 0) | (i.dsr ? 0x20 : 0) | (i.ri ? 0x40 : 0) | (i.dcd ? 0x80 : 0);
  }

  /** Recompute MSR lines and latch the delta bits (DCTS, DDSR, TERI, DDCD). */
  private refreshModemLines(): void {
    const now = this.currentModemLines();
    const changed = now ^ this.msrLines;
    if (changed & 0x10) this.msrDelta |= 0x01;
    if (changed & 0x20) this.msrDelta |= 0x02;
    if (changed & 0x40 && !(now & 0x40)) this.msrDelta |= 0x04; // trailing edge of RI
    if (changed & 0x80) this.msrDelta |= 0x08;
    this.msrLines = now;
  }

  /** A character completed in the receive shift register. */
  private receiveByte(b: number): void {
    const capacity = this.fifoEnabled ? FIFO_SIZE : 1;
    if (this.rx.length >= capacity) {
      // Overrun: the character in the shift register is lost; the FIFO/RBR is kept.
      this.overrunFlag = true;
      this.overruns++;
    } else {
      this.rx.push(b);
    }
    if (this.fifoEnabled && !this.timeoutPending) this.armTimeout();
    this.update();
  }

  private armTimeout(): void {
    if (this.fifoEnabled && this.rx.length > 0) {
      this.timeoutTimer.setDeadline(this.host.clock.now() + 4 * this.characterTimeNs());
    } else {
      this.timeoutTimer.cancel();
    }
  }

  private characterTimeout(): void {
    if (this.fifoEnabled && this.rx.length > 0) {
      this.timeoutPending = true;
      this.update();
    }
  }

  private scheduleDelivery(): void {
    if (this.hostHead >= this.hostQueue.length || this.loopback || this.rxTimer.pending) return;
    this.rxTimer.setDeadline(this.host.clock.now() + this.characterTimeNs());
  }

  private rescheduleTimers(): void {
    if (this.rxTimer.pending) {
      this.rxTimer.cancel();
      this.scheduleDelivery();
    }
    if (this.timeoutTimer.pending) this.armTimeout();
  }

  /** The wire delivered the next host byte. */
  private deliverOne(): void {
    if (this.loopback || this.hostHead >= this.hostQueue.length) return;
    // Host input is flow-controlled (QEMU's serial_can_receive): while the FIFO (or RBR) is
    // full the far end holds the next character and offers it again one character time later,
    // so typed input is never lost when the guest is slow to drain (a stalled host thread makes
    // virtual time jump and would otherwise land a burst of characters at once).
    if (this.rx.length >= (this.fifoEnabled ? FIFO_SIZE : 1)) {
      this.rxTimer.setDeadline(this.host.clock.now() + this.characterTimeNs());
      return;
    }
    const b = this.hostQueue[this.hostHead++];
    if (this.hostHead > 4096 && this.hostHead * 2 > this.hostQueue.length) {
      this.hostQueue = this.hostQueue.slice(this.hostHead);
      this.hostHead = 0;
    }
    this.receiveByte(b);
    this.scheduleDelivery();
  }

  /** The highest-priority pending interrupt as an IIR identification (bits 0-3), 1 = none. */
  private interruptId(): number {
    if (this.ier & IER_RLS && this.overrunFlag) return 0x06;
    if (this.ier & IER_RDA) {
      if (this.fifoEnabled ? this.rx.length >= this.triggerLevel : this.rx.length > 0) return 0x04;
      if (this.fifoEnabled && this.timeoutPending && this.rx.length > 0) return 0x0c;
    }
    if (this.ier & IER_THRE && this.thrIntPending) return 0x02;
    if (this.ier & IER_MS && this.msrDelta) return 0x00;
    return 0x01;
  }

  private readIir(): number {
    const id = this.interruptId();
    if (id === 0x02) this.thrIntPending = false; // reading IIR clears a reported THRE interrupt
    return id | (this.fifoEnabled ? 0xc0 : 0);
  }

  /**
   * Publish LSR if it changed, then recompute the IRQ pin: in the isolated placement LSR is a
   * shadow register, and a handler woken by the IRQ must not read the LSR of before it.
   */
  private update(): void {
    this.publishLsr();
    const pending = this.interruptId() !== 0x01;
    // On a PC the INTR pin drives the ISA line through a buffer enabled by OUT2; in loopback
    // the OUT pins are forced inactive, which disconnects the interrupt.
    const level = pending && (this.mcr & MCR_OUT2) !== 0 && !(this.mcr & MCR_LOOP);
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irqLine.set(level);
    }
  }

  private publishLsr(): void {
    const lsr = this.lsr();
    if (lsr !== this.publishedLsr) {
      this.publishedLsr = lsr;
      if (lsr & LSR_OE) {
        // Reading LSR clears OE: that read must reach the device, not the shadow page.
        this.host.withdrawShadow?.(0, LSR);
      } else {
        this.host.publishShadow?.(0, LSR, 1, lsr);
      }
    }
  }
}

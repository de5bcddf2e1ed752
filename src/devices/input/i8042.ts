/**
 * i8042: the PS/2 keyboard controller of a PC/AT (Intel 8042 / 8242 firmware as in the IBM PS/2
 * technical reference), with a PS/2 keyboard on its first port and a PS/2 mouse on its aux port.
 *
 * Region 0 is the data port 0x60, region 1 the status/command port 0x64. Follows the command
 * set Linux (drivers/input/serio/i8042.c) and SeaBIOS (src/hw/ps2port.c) use: 0x20/0x60 read and
 * write the command byte (and 0x21-0x3F/0x61-0x7F the rest of the internal RAM), 0xA7/0xA8 and
 * 0xAD/0xAE disable/enable the ports, 0xA9/0xAB interface tests → 00, 0xAA self-test → 55,
 * 0xC0 input port, 0xD0/0xD1 output port (bit 0 = system reset, bit 1 = A20 gate), 0xD2/0xD3
 * write the keyboard/aux output buffer, 0xD4 send to the aux device, 0xDD/0xDF A20 off/on,
 * 0xF0-0xFF pulse output port bits (0xFE = reset).
 *
 * One output buffer is shared by the controller, the keyboard and the mouse; status bit 5
 * (AUXB) tells which port the byte came from. The IRQ outputs follow OBF: IRQ 1 for keyboard
 * data when command byte bit 0 is set, IRQ 12 for aux data when bit 1 is set. After the guest
 * reads the output buffer, the next device byte is latched after a short wire delay
 * (REFILL_DELAY_NS), so the IRQ line visibly drops between bytes (an edge per byte for the PIC)
 * and polling code sees the buffer empty, as on hardware. With XLAT (command byte bit 6) the
 * controller translates keyboard bytes from set 2 to set 1.
 */
import type { DeviceHost, DeviceModel, DeviceState, IrqLine, Timer } from '../api.js';
import type { InputBackend, InputSink } from './input-backend.js';
import { Ps2Keyboard, sanitizeBytes, type Ps2KeyboardState } from './ps2-keyboard.js';
import { Ps2Mouse, type Ps2MouseState } from './ps2-mouse.js';
import { SET2_TO_SET1 } from './scancodes.js';

export const I8042_STATE_VERSION = 1;
/** Time for the next byte to arrive over the PS/2 wire after the buffer was read (~1 byte). */
export const REFILL_DELAY_NS = 50_000;

// Status register bits.
const ST_OBF = 0x01, ST_SYS = 0x04, ST_CMD = 0x08, ST_UNLOCKED = 0x10, ST_AUXB = 0x20;
// Command byte bits.
const CB_KBDINT = 0x01, CB_AUXINT = 0x02, CB_SYS = 0x04, CB_KBDDIS = 0x10, CB_AUXDIS = 0x20, CB_XLAT = 0x40;

interface OutByte {
  value: number;
  aux: boolean;
}

export class I8042 implements DeviceModel, InputSink {
  readonly keyboard: Ps2Keyboard;
  readonly mouse: Ps2Mouse;
  private readonly irq1: IrqLine;
  private readonly irq12: IrqLine;
  private readonly refillTimer: Timer;
  private readonly detach: (() => void) | undefined;

  private ram = new Uint8Array(32); // ram[0] is the command byte
  private obf = false;
  private outValue = 0;
  private outAux = false;
  private lastWasCommand = true;
  private sysFlag = false;
  /** Controller command awaiting its data byte on port 0x60 (0 = none). */
  private pendingCommand = 0;
  /** Bytes produced by the controller itself, ahead of device data. */
  private ctrlQueue: OutByte[] = [];
  private xlatRelease = false;
  /** Output port bits 0-3 (bit 0 reset line, bit 1 A20). */
  private outputPort = 0x0f;
  private irq1Level = false;
  private irq12Level = false;
  private publishedStatus = -1;

  constructor(private readonly host: DeviceHost) {
    this.irq1 = host.irq(0);
    this.irq12 = host.irq(1);
    this.refillTimer = host.clock.createTimer(() => this.fill());
    const backend = host.backend as InputBackend | undefined;
    this.keyboard = new Ps2Keyboard(() => this.deviceData(), (leds) => backend?.setLeds?.(leds));
    this.mouse = new Ps2Mouse(() => this.deviceData());
    this.ram[0] = CB_KBDINT | CB_AUXINT;
    this.detach = backend?.attach(this);
    this.update();
  }

  private get cb(): number {
    return this.ram[0];
  }

  // ---- InputSink (host events) ----

  key(code: string, down: boolean): void {
    this.keyboard.key(code, down);
  }
  mouseMove(dx: number, dy: number, dz: number): void {
    this.mouse.move(dx, dy, dz);
  }
  mouseButtons(mask: number): void {
    this.mouse.setButtons(mask);
  }

  // ---- registers ----

  ioRead(region: number, offset: number): number {
    if (offset !== 0 || (region !== 0 && region !== 1)) {
      this.host.guestError(`i8042: read of unknown register ${region}:${offset}`);
      return 0xff;
    }
    if (region === 1) return this.status();
    const v = this.outValue;
    if (this.obf) {
      this.obf = false;
      this.update();
      // The next byte: controller responses at once, device data after the wire delay.
      if (this.ctrlQueue.length) this.fill();
      else this.scheduleRefill();
    }
    return v;
  }

  ioWrite(region: number, offset: number, _size: number, value: number): void {
    value &= 0xff;
    if (offset !== 0 || (region !== 0 && region !== 1)) {
      this.host.guestError(`i8042: write of unknown register ${region}:${offset}`);
      return;
    }
    if (region === 1) {
      this.lastWasCommand = true;
      this.pendingCommand = 0;
      this.command(value);
    } else {
      this.lastWasCommand = false;
      this.data(value);
    }
    this.fill();
    this.update();
  }

  private status(): number {
    return (
      (this.obf ? ST_OBF : 0) |
      (this.sysFlag ? ST_SYS : 0) |
      (this.lastWasCommand ? ST_CMD : 0) |
      ST_UNLOCKED |
      (this.obf && this.outAux ? ST_AUXB : 0)
    );
  }

  private command(cmd: number): void {
    if (cmd >= 0x20 && cmd <= 0x3f) {
      this.queueCtrl(this.ram[cmd & 0x1f]);
      return;
    }
    if (cmd >= 0x60 && cmd <= 0x7f) {
      this.pendingCommand = cmd;
      return;
    }
    if (cmd >= 0xf0) {
      // Pulse output port bits whose command bit is 0 (low for ~6 µs).
      if (!(cmd & 1)) this.systemReset(`i8042 pulse command 0x${cmd.toString(16)}`);
      return;
    }
    switch (cmd) {
      case 0xa4: this.queueCtrl(0xf1); break; // no password installed
      case 0xa7: this.ram[0] |= CB_AUXDIS; break;
      case 0xa8: this.ram[0] &= ~CB_AUXDIS; break;
      case 0xa9: this.queueCtrl(0x00); break; // aux interface test: OK
      case 0xaa: // controller self-test
        this.sysFlag = true;
        this.queueCtrl(0x55);
        break;
      case 0xab: this.queueCtrl(0x00); break; // keyboard interface test: OK
      case 0xad: this.ram[0] |= CB_KBDDIS; break;
      case 0xae: this.ram[0] &= ~CB_KBDDIS; break;
      case 0xc0: this.queueCtrl(0x80); break; // input port: keyboard not inhibited
      case 0xd0: this.queueCtrl(this.outputPortValue()); break;
      case 0xd1: case 0xd2: case 0xd3: case 0xd4:
        this.pendingCommand = cmd;
        break;
      case 0xdd: this.setOutputPort(this.outputPort & ~0x02); break;
      case 0xdf: this.setOutputPort(this.outputPort | 0x02); break;
      case 0xe0: this.queueCtrl(0x00); break; // test inputs
      default:
        this.host.guestError(`i8042: unknown controller command 0x${cmd.toString(16)}`);
    }
  }

  private data(value: number): void {
    const cmd = this.pendingCommand;
    this.pendingCommand = 0;
    if (cmd >= 0x60 && cmd <= 0x7f) {
      this.ram[cmd & 0x1f] = value;
      if (cmd === 0x60) {
        this.ram[0] = value & 0x7f;
        this.sysFlag = (value & CB_SYS) !== 0;
        if (!(value & CB_XLAT)) this.xlatRelease = false;
      }
      return;
    }
    switch (cmd) {
      case 0xd1: this.setOutputPort(value); return;
      case 0xd2: this.ctrlQueue.push({ value, aux: false }); return;
      case 0xd3: this.ctrlQueue.push({ value, aux: true }); return;
      case 0xd4:
        this.ram[0] &= ~CB_AUXDIS; // talking to the device enables its interface
        this.mouse.write(value);
        return;
    }
    this.ram[0] &= ~CB_KBDDIS;
    this.keyboard.write(value);
  }

  private outputPortValue(): number {
    return (this.outputPort & 0x0f) | (this.irq1Level ? 0x10 : 0) | (this.irq12Level ? 0x20 : 0) | 0xc0;
  }

  private setOutputPort(value: number): void {
    const oldA20 = (this.outputPort & 0x02) !== 0;
    const a20 = (value & 0x02) !== 0;
    this.outputPort = (value & 0x0f) | 0x01;
    if (a20 !== oldA20) {
      if (this.host.signals) this.host.signals.setA20(a20);
      else this.host.guestError('i8042: A20 change without platform signals');
    }
    if (!(value & 0x01)) this.systemReset('i8042 output port bit 0 cleared');
  }

  private systemReset(reason: string): void {
    if (this.host.signals) this.host.signals.requestReset(reason);
    else this.host.guestError(`i8042: reset request without platform signals (${reason})`);
  }

  private queueCtrl(value: number): void {
    this.ctrlQueue.push({ value, aux: false });
  }

  /** A device queued bytes: latch one if the output buffer is free and no wire delay runs. */
  private deviceData(): void {
    if (!this.obf && !this.refillTimer.pending) {
      this.fill();
      this.update();
    }
  }

  private scheduleRefill(): void {
    this.refillTimer.setDeadline(this.host.clock.now() + REFILL_DELAY_NS);
  }

  /** Load the output buffer: controller bytes first, then keyboard, then mouse. */
  private fill(): void {
    if (this.obf) return;
    const c = this.ctrlQueue.shift();
    if (c) {
      this.load(c.value, c.aux);
    } else if (!(this.cb & CB_KBDDIS) && this.keyboard.hasData()) {
      let b = this.keyboard.take();
      if (this.cb & CB_XLAT) {
        while (b === 0xf0) {
          this.xlatRelease = true;
          if (!this.keyboard.hasData()) {
            this.update();
            return;
          }
          b = this.keyboard.take();
        }
        b = SET2_TO_SET1[b] | (this.xlatRelease ? 0x80 : 0);
        this.xlatRelease = false;
      }
      this.load(b, false);
    } else if (!(this.cb & CB_AUXDIS) && this.mouse.hasData()) {
      this.load(this.mouse.take(), true);
    }
    this.update();
  }

  private load(value: number, aux: boolean): void {
    this.obf = true;
    this.outValue = value;
    this.outAux = aux;
  }

  /**
   * Publish the status register, then drive IRQ 1 / IRQ 12 from OBF. The order matters when the
   * status is a shadow register read in another thread: the guest's handler reads it as soon as
   * it sees the interrupt, and a stale status (OBF clear) makes it drop the byte and the edge.
   */
  private update(): void {
    const st = this.status();
    if (st !== this.publishedStatus) {
      this.publishedStatus = st;
      this.host.publishShadow?.(1, 0, 1, st);
    }
    const l1 = this.obf && !this.outAux && (this.cb & CB_KBDINT) !== 0;
    const l12 = this.obf && this.outAux && (this.cb & CB_AUXINT) !== 0;
    if (l1 !== this.irq1Level) {
      this.irq1Level = l1;
      this.irq1.set(l1);
    }
    if (l12 !== this.irq12Level) {
      this.irq12Level = l12;
      this.irq12.set(l12);
    }
  }

  reset(): void {
    this.ram = new Uint8Array(32);
    this.ram[0] = CB_KBDINT | CB_AUXINT;
    this.obf = false;
    this.outValue = 0;
    this.outAux = false;
    this.lastWasCommand = true;
    this.sysFlag = false;
    this.pendingCommand = 0;
    this.ctrlQueue = [];
    this.xlatRelease = false;
    this.outputPort = 0x0f;
    this.refillTimer.cancel();
    this.keyboard.reset();
    this.mouse.reset();
    this.update();
  }

  destroy(): void {
    this.detach?.();
    this.refillTimer.cancel();
  }

  saveState(): DeviceState {
    return {
      type: 'i8042',
      version: I8042_STATE_VERSION,
      data: {
        ram: [...this.ram], obf: this.obf, outValue: this.outValue, outAux: this.outAux,
        lastWasCommand: this.lastWasCommand, sysFlag: this.sysFlag, pendingCommand: this.pendingCommand,
        ctrlQueue: this.ctrlQueue.map((c) => ({ ...c })), xlatRelease: this.xlatRelease,
        outputPort: this.outputPort, refillPending: this.refillTimer.pending,
        keyboard: this.keyboard.saveState(), mouse: this.mouse.saveState(),
      },
    };
  }

  loadState(state: DeviceState): void {
    if (state.type !== 'i8042' || state.version !== I8042_STATE_VERSION) {
      throw new Error(`i8042: cannot load state ${state.type} v${state.version}`);
    }
    const d = state.data;
    const ram = sanitizeBytes(d.ram, 32);
    if (ram.length !== 32) throw new Error('i8042: bad state field ram');
    this.ram = Uint8Array.from(ram);
    this.obf = d.obf === true;
    this.outValue = typeof d.outValue === 'number' ? d.outValue & 0xff : 0;
    this.outAux = d.outAux === true;
    this.lastWasCommand = d.lastWasCommand !== false;
    this.sysFlag = d.sysFlag === true;
    const pc = d.pendingCommand;
    this.pendingCommand = typeof pc === 'number' && ((pc >= 0x60 && pc <= 0x7f) || (pc >= 0xd1 && pc <= 0xd4)) ? pc : 0;
    const cq = Array.isArray(d.ctrlQueue) ? (d.ctrlQueue as unknown[]).slice(0, 64) : [];
    this.ctrlQueue = cq.map((c) => {
      const o = c as Partial<OutByte>;
      return { value: typeof o.value === 'number' ? o.value & 0xff : 0, aux: o.aux === true };
    });
    this.xlatRelease = d.xlatRelease === true;
    this.outputPort = typeof d.outputPort === 'number' ? (d.outputPort & 0x0f) | 1 : 0x0f;
    this.keyboard.loadState((d.keyboard ?? {}) as Ps2KeyboardState);
    this.mouse.loadState((d.mouse ?? {}) as Ps2MouseState);
    this.refillTimer.cancel();
    if (d.refillPending === true) this.scheduleRefill();
    else this.fill();
    this.update();
  }
}

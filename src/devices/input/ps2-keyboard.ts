/**
 * A PS/2 (MF2) keyboard as seen from the 8042's keyboard port.
 *
 * Follows the IBM PS/2 Keyboard and Auxiliary Device Controller technical reference (command
 * set ED..FF, BAT 0xAA, ID AB 83) and Microsoft's Keyboard Scan Code Specification for the
 * make/break sequences. It speaks scan code set 2 (the controller translates to set 1 when the
 * command byte's XLAT bit is set) and can be switched to set 1 natively; set 3 is refused with
 * 0xFE. Its buffer holds 16 bytes like a real keyboard; a key that does not fit is dropped and
 * the overrun code (00 in set 2, FF in set 1) is queued once after the bytes that fitted.
 * Typematic repeat comes from the host's repeated key-down events; the typematic rate/delay
 * byte is stored (and saved in state) but generates nothing by itself.
 */
import { set2Sequence, translateSet2ToSet1 } from './scancodes.js';
import type { KeyboardLeds } from './input-backend.js';

const BUFFER_SIZE = 16;
const ACK = 0xfa, RESEND = 0xfe, BAT_OK = 0xaa, ECHO = 0xee;

export interface Ps2KeyboardState {
  queue: number[];
  scanSet: number;
  scanning: boolean;
  leds: number;
  typematic: number;
  expecting: number;
  lastSent: number;
}

export class Ps2Keyboard {
  private queue: number[] = [];
  private scanSet = 2;
  private scanning = true;
  private leds = 0;
  private typematic = 0x2b; // 10.9 cps, 500 ms: the power-on default
  /** The command whose parameter byte is awaited (0 = none). */
  private expecting = 0;
  private lastSent = 0;

  /**
   * @param notify called when bytes become available for the controller
   * @param onLeds called when the guest sets the LEDs
   */
  constructor(
    private readonly notify: () => void,
    private readonly onLeds?: (leds: KeyboardLeds) => void,
  ) {}

  reset(): void {
    this.queue = [];
    this.scanSet = 2;
    this.scanning = true;
    this.leds = 0;
    this.typematic = 0x2b;
    this.expecting = 0;
    this.lastSent = 0;
  }

  /** Bytes are waiting for the controller. */
  hasData(): boolean {
    return this.queue.length > 0;
  }

  /** The controller takes the next byte. */
  take(): number {
    const b = this.queue.shift();
    if (b === undefined) return this.lastSent;
    this.lastSent = b;
    return b;
  }

  /** A host key event. */
  key(code: string, down: boolean): boolean {
    if (!this.scanning) return false;
    const seq2 = set2Sequence(code, down);
    if (!seq2 || seq2.length === 0) return false;
    const seq = this.scanSet === 1 ? translateSet2ToSet1(seq2) : seq2;
    if (this.queue.length + seq.length <= BUFFER_SIZE) {
      this.queue.push(...seq);
    } else {
      // The overrun code goes after the last byte that fitted (a 17th position), once.
      const overrun = this.scanSet === 1 ? 0xff : 0x00;
      if (this.queue[this.queue.length - 1] !== overrun) this.queue.push(overrun);
    }
    this.notify();
    return true;
  }

  /** A byte from the controller (a command or a command's parameter). */
  write(value: number): void {
    value &= 0xff;
    const awaited = this.expecting;
    if (awaited === 0xfb && value < 0xed) {
      this.respond(ACK); // set 3 per-key type lists: acknowledged, keep listening
    } else if (awaited !== 0 && awaited !== 0xfb && value < 0xed) {
      this.expecting = 0;
      this.parameter(awaited, value);
    } else {
      // A command byte (also when a parameter was awaited: the keyboard takes it as a command).
      this.expecting = 0;
      this.command(value);
    }
    this.notify();
  }

  private parameter(cmd: number, value: number): void {
    switch (cmd) {
      case 0xed: // set LEDs
        this.leds = value & 7;
        this.respond(ACK);
        this.onLeds?.({ scrollLock: (value & 1) !== 0, numLock: (value & 2) !== 0, capsLock: (value & 4) !== 0 });
        break;
      case 0xf3: // typematic rate/delay
        this.typematic = value & 0x7f;
        this.respond(ACK);
        break;
      case 0xf0: // get/set scan code set
        if (value === 0) {
          this.respond(ACK);
          this.respond(this.scanSet);
        } else if (value === 1 || value === 2) {
          this.scanSet = value;
          this.respond(ACK);
        } else {
          this.respond(RESEND); // set 3 and others not supported
        }
        break;
    }
  }

  private command(value: number): void {
    switch (value) {
      case 0xed:
      case 0xf3:
      case 0xf0:
        this.respond(ACK);
        this.expecting = value;
        break;
      case 0xee:
        this.respond(ECHO);
        break;
      case 0xf2:
        this.respond(ACK);
        this.respond(0xab);
        this.respond(0x83);
        break;
      case 0xf4:
        this.scanning = true;
        this.respond(ACK);
        break;
      case 0xf5:
        this.defaults();
        this.scanning = false;
        this.respond(ACK);
        break;
      case 0xf6:
        this.defaults();
        this.respond(ACK);
        break;
      case 0xf7: case 0xf8: case 0xf9: case 0xfa: // set 3 "all keys" modes
        this.respond(ACK);
        break;
      case 0xfb: case 0xfc: case 0xfd: // set 3 per-key modes: key list follows
        this.respond(ACK);
        this.expecting = 0xfb;
        break;
      case 0xfe:
        this.queue.unshift(this.lastSent);
        break;
      case 0xff:
        this.reset();
        this.respond(ACK);
        this.respond(BAT_OK);
        break;
      default:
        this.respond(RESEND);
    }
  }

  private defaults(): void {
    this.queue = [];
    this.typematic = 0x2b;
  }

  private respond(b: number): void {
    if (this.queue.length >= BUFFER_SIZE) this.queue.shift(); // responses always get through
    this.queue.push(b);
  }

  saveState(): Ps2KeyboardState {
    return {
      queue: [...this.queue], scanSet: this.scanSet, scanning: this.scanning, leds: this.leds,
      typematic: this.typematic, expecting: this.expecting, lastSent: this.lastSent,
    };
  }

  loadState(s: Ps2KeyboardState): void {
    this.queue = sanitizeBytes(s.queue, BUFFER_SIZE + 1);
    this.scanSet = s.scanSet === 1 ? 1 : 2;
    this.scanning = s.scanning !== false;
    this.leds = (s.leds ?? 0) & 7;
    this.typematic = (s.typematic ?? 0x2b) & 0x7f;
    this.expecting = [0, 0xed, 0xf3, 0xf0, 0xfb].includes(s.expecting) ? s.expecting : 0;
    this.lastSent = (s.lastSent ?? 0) & 0xff;
  }
}

/** Bytes 0..255 from untrusted state, at most `max`. */
export function sanitizeBytes(v: unknown, max: number): number[] {
  if (!Array.isArray(v)) return [];
  return v.slice(0, max).map((x) => (typeof x === 'number' ? x & 0xff : 0));
}

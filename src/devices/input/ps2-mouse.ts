/**
 * A PS/2 mouse on the 8042's auxiliary port, with the Microsoft IntelliMouse extensions.
 *
 * Follows the IBM PS/2 mouse command set (E6..FF: scaling, resolution, status request, stream
 * and remote mode, read data, wrap mode, sample rate, device ID, enable/disable, defaults,
 * resend, reset → FA AA 00) and Microsoft's IntelliMouse protocol: the sample-rate "knock"
 * 200, 100, 80 switches the ID to 3 (wheel, 4-byte packets); then 200, 200, 80 to ID 4
 * (wheel + buttons 4 and 5). Movement packets carry the X/Y sign bits and the overflow bits of
 * the 9-bit counters: host movement accumulates in the counters; a packet takes what fits and
 * sets the overflow bit when a counter went past -256..255 (the excess is lost, as on a mouse).
 * Packets are only produced when the whole packet fits in the 32-byte buffer, so they never
 * tear; movement that arrives while the buffer is full stays in the counters.
 */
import { sanitizeBytes } from './ps2-keyboard.js';

const BUFFER_SIZE = 32;
const ACK = 0xfa, RESEND = 0xfe;

export interface Ps2MouseState {
  queue: number[];
  sampleRate: number;
  resolution: number;
  scaling21: boolean;
  remote: boolean;
  wrap: boolean;
  reporting: boolean;
  id: number;
  buttons: number;
  dx: number;
  dy: number;
  dz: number;
  knock: number[];
  expecting: number;
  lastSent: number;
}

export class Ps2Mouse {
  private queue: number[] = [];
  private sampleRate = 100;
  private resolution = 2;
  private scaling21 = false;
  private remote = false;
  private wrap = false;
  private reporting = false;
  private id = 0;
  private buttons = 0;
  /** Movement counters (PS/2 directions: +y is up). */
  private dx = 0;
  private dy = 0;
  private dz = 0;
  /** Last three sample rates set (for the IntelliMouse knock). */
  private knock: number[] = [];
  private expecting = 0;
  private lastSent = 0;
  /** A button change is waiting to be reported. */
  private buttonsDirty = false;

  constructor(private readonly notify: () => void) {}

  reset(): void {
    this.queue = [];
    this.id = 0;
    this.wrap = false;
    this.remote = false;
    this.defaults();
    this.expecting = 0;
    this.lastSent = 0;
    this.knock = [];
  }

  private defaults(): void {
    this.sampleRate = 100;
    this.resolution = 2;
    this.scaling21 = false;
    this.reporting = false;
    this.clearCounters();
  }

  private clearCounters(): void {
    this.dx = this.dy = this.dz = 0;
    this.buttonsDirty = false;
  }

  get deviceId(): number {
    return this.id;
  }

  hasData(): boolean {
    if (this.queue.length === 0) this.generate();
    return this.queue.length > 0;
  }

  take(): number {
    const b = this.queue.shift();
    if (b === undefined) return this.lastSent;
    this.lastSent = b;
    if (this.queue.length === 0) this.generate();
    return b;
  }

  /** Host movement: dx right, dy down (screen), dz towards the user. */
  move(dx: number, dy: number, dz: number): void {
    if (!Number.isFinite(dx) || !Number.isFinite(dy) || !Number.isFinite(dz)) return;
    const sat = (v: number): number => Math.max(-4096, Math.min(4096, Math.trunc(v)));
    this.dx = sat(this.dx + dx);
    this.dy = sat(this.dy - dy);
    this.dz = sat(this.dz + dz);
    this.generate();
  }

  setButtons(mask: number): void {
    mask &= 0x1f;
    if (mask === this.buttons) return;
    this.buttons = mask;
    this.buttonsDirty = true;
    this.generate();
  }

  private get packetSize(): number {
    return this.id === 3 || this.id === 4 ? 4 : 3;
  }

  /** Stream mode: turn counters into packets while they fit. */
  private generate(): void {
    if (!this.reporting || this.remote || this.wrap) return;
    let produced = false;
    while ((this.dx || this.dy || this.dz || this.buttonsDirty) && this.queue.length + this.packetSize <= BUFFER_SIZE) {
      this.queue.push(...this.packet(true));
      produced = true;
    }
    if (produced) this.notify();
  }

  /** Build one packet from the counters and consume them. */
  private packet(stream: boolean): number[] {
    let x = this.dx, y = this.dy;
    if (stream && this.scaling21) {
      x = scale21(x);
      y = scale21(y);
    }
    const xo = x < -256 || x > 255, yo = y < -256 || y > 255;
    x = Math.max(-256, Math.min(255, x));
    y = Math.max(-256, Math.min(255, y));
    const z = Math.max(-8, Math.min(7, this.dz));
    const b0 = (this.buttons & 7) | 0x08 | (x < 0 ? 0x10 : 0) | (y < 0 ? 0x20 : 0) | (xo ? 0x40 : 0) | (yo ? 0x80 : 0);
    const out = [b0, x & 0xff, y & 0xff];
    if (this.id === 3) out.push(z & 0xff);
    else if (this.id === 4) out.push((z & 0x0f) | (this.buttons & 0x08 ? 0x10 : 0) | (this.buttons & 0x10 ? 0x20 : 0));
    // Overflowed counters lose the excess; the wheel keeps its remainder.
    this.dx = 0;
    this.dy = 0;
    this.dz = this.id === 3 || this.id === 4 ? this.dz - z : 0;
    this.buttonsDirty = false;
    return out;
  }

  /** A byte from the controller (0xD4 prefix). */
  write(value: number): void {
    value &= 0xff;
    if (this.wrap && value !== 0xec && value !== 0xff) {
      this.respond(value); // wrap (echo) mode
      this.notify();
      return;
    }
    const awaited = this.expecting;
    this.expecting = 0;
    if (awaited === 0xf3) {
      this.sampleRate = value;
      this.knock = [...this.knock, value].slice(-3);
      const k = this.knock.join(',');
      if (k === '200,100,80' && this.id === 0) this.id = 3;
      else if (k === '200,200,80' && this.id === 3) this.id = 4;
      this.respond(ACK);
    } else if (awaited === 0xe8) {
      this.resolution = value & 3;
      this.respond(ACK);
    } else {
      this.command(value);
    }
    this.notify();
  }

  private command(value: number): void {
    switch (value) {
      case 0xe6: this.scaling21 = false; this.respond(ACK); break;
      case 0xe7: this.scaling21 = true; this.respond(ACK); break;
      case 0xe8: this.respond(ACK); this.expecting = 0xe8; break;
      case 0xe9: // status request
        this.respond(ACK);
        this.respond(
          (this.remote ? 0x40 : 0) | (this.reporting ? 0x20 : 0) | (this.scaling21 ? 0x10 : 0) |
            (this.buttons & 1 ? 0x04 : 0) | (this.buttons & 4 ? 0x02 : 0) | (this.buttons & 2 ? 0x01 : 0),
        );
        this.respond(this.resolution);
        this.respond(this.sampleRate);
        break;
      case 0xea: this.remote = false; this.clearCounters(); this.respond(ACK); break;
      case 0xeb: // read data (a packet now, whatever the mode)
        this.respond(ACK);
        for (const b of this.packet(false)) this.respond(b);
        break;
      case 0xec: this.wrap = false; this.respond(ACK); break;
      case 0xee: this.wrap = true; this.clearCounters(); this.respond(ACK); break;
      case 0xf0: this.remote = true; this.clearCounters(); this.respond(ACK); break;
      case 0xf2: this.respond(ACK); this.respond(this.id); break;
      case 0xf3: this.respond(ACK); this.expecting = 0xf3; break;
      case 0xf4: this.reporting = true; this.clearCounters(); this.respond(ACK); break;
      case 0xf5: this.reporting = false; this.clearCounters(); this.respond(ACK); break;
      case 0xf6: this.defaults(); this.respond(ACK); break;
      case 0xfe: this.queue.unshift(this.lastSent); break;
      case 0xff:
        this.reset();
        this.respond(ACK);
        this.respond(0xaa);
        this.respond(0x00);
        break;
      default:
        this.respond(RESEND);
    }
  }

  private respond(b: number): void {
    if (this.queue.length >= BUFFER_SIZE) this.queue.shift();
    this.queue.push(b);
  }

  saveState(): Ps2MouseState {
    return {
      queue: [...this.queue], sampleRate: this.sampleRate, resolution: this.resolution,
      scaling21: this.scaling21, remote: this.remote, wrap: this.wrap, reporting: this.reporting,
      id: this.id, buttons: this.buttons, dx: this.dx, dy: this.dy, dz: this.dz,
      knock: [...this.knock], expecting: this.expecting, lastSent: this.lastSent,
    };
  }

  loadState(s: Ps2MouseState): void {
    const int = (v: unknown, lo: number, hi: number, dflt: number): number =>
      typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi ? v : dflt;
    this.queue = sanitizeBytes(s.queue, BUFFER_SIZE);
    this.sampleRate = int(s.sampleRate, 0, 255, 100);
    this.resolution = int(s.resolution, 0, 3, 2);
    this.scaling21 = s.scaling21 === true;
    this.remote = s.remote === true;
    this.wrap = s.wrap === true;
    this.reporting = s.reporting === true;
    this.id = [0, 3, 4].includes(s.id) ? s.id : 0;
    this.buttons = int(s.buttons, 0, 31, 0);
    this.dx = int(s.dx, -4096, 4096, 0);
    this.dy = int(s.dy, -4096, 4096, 0);
    this.dz = int(s.dz, -4096, 4096, 0);
    this.knock = sanitizeBytes(s.knock, 3);
    this.expecting = s.expecting === 0xf3 || s.expecting === 0xe8 ? s.expecting : 0;
    this.lastSent = int(s.lastSent, 0, 255, 0);
    this.buttonsDirty = false;
  }
}

/** 2:1 scaling (PS/2 mouse reference): 1→1, 2→1, 3→3, 4→6, 5→9, n≥6 → 2n. */
function scale21(v: number): number {
  const a = Math.abs(v);
  const s = a <= 1 ? a : a === 2 ? 1 : a === 3 ? 3 : a === 4 ? 6 : a === 5 ? 9 : 2 * a;
  return v < 0 ? -s : s;
}

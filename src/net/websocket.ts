/**
 * A packet port over a WebSocket relay: one raw Ethernet frame per binary message in both
 * directions (the framing of the websockproxy relays used by JSLinux and v86). The WebSocket
 * constructor is injected (structural type below), so this compiles as pure ES2022; only the
 * network worker / main thread that owns the socket passes the real `WebSocket`.
 *
 * Link is up while the socket is open. With an injected `schedule` the port reconnects after
 * a close with exponential backoff (1 s doubling to 30 s); without one it stays down.
 */
import { Listeners, MAX_FRAME, MIN_FRAME, type PacketPort } from './packet-port.js';

/** The part of the WHATWG WebSocket used here. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: ArrayBuffer | Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

const OPEN = 1;

export interface WebSocketPortOptions {
  /** Run `cb` after `ms` (a timer from the owning thread); enables reconnecting. */
  schedule?: (cb: () => void, ms: number) => void;
  /** Frames queued while connecting are dropped (a NIC with link down does not send). */
  log?: (message: string) => void;
}

export class WebSocketPort implements PacketPort {
  private readonly rx = new Listeners<Uint8Array>();
  private readonly link = new Listeners<boolean>();
  private socket?: WebSocketLike;
  private up = false;
  private closed = false;
  private backoffMs = 1000;
  /** Messages that were not a valid binary frame (text, wrong size): dropped. */
  rejected = 0;
  /** Frames sent while the link was down: dropped. */
  dropped = 0;

  constructor(private readonly Ctor: WebSocketConstructor, readonly url: string, private readonly opts: WebSocketPortOptions = {}) {
    if (!/^wss?:\/\//i.test(url)) throw new Error(`websocket backend: relay URL must start with ws:// or wss://, got '${url}'`);
    this.open();
  }

  get linkUp(): boolean {
    return this.up;
  }

  send(frame: Uint8Array): void {
    if (frame.length < MIN_FRAME || frame.length > MAX_FRAME) return;
    if (!this.up || !this.socket || this.socket.readyState !== OPEN) {
      this.dropped++;
      return;
    }
    this.socket.send(frame.slice());
  }
  onReceive(cb: (frame: Uint8Array) => void): () => void {
    return this.rx.add(cb);
  }
  onLinkChange(cb: (up: boolean) => void): () => void {
    return this.link.add(cb);
  }

  /** Close for good (no reconnect). */
  close(): void {
    this.closed = true;
    this.socket?.close(1000, 'closed');
    this.setUp(false);
  }

  private open(): void {
    let ws: WebSocketLike;
    try {
      ws = new this.Ctor(this.url);
    } catch (e) {
      this.opts.log?.(`websocket backend: ${String(e)}`);
      this.retry();
      return;
    }
    this.socket = ws;
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      if (this.socket !== ws) return;
      this.backoffMs = 1000;
      this.setUp(true);
    };
    ws.onmessage = (ev) => {
      if (this.socket !== ws) return;
      const d = ev.data;
      const bytes = d instanceof ArrayBuffer ? new Uint8Array(d) : d instanceof Uint8Array ? d : undefined;
      if (!bytes || bytes.length < MIN_FRAME || bytes.length > MAX_FRAME) {
        this.rejected++;
        return;
      }
      this.rx.emit(bytes);
    };
    ws.onerror = () => {
      /* followed by close */
    };
    ws.onclose = () => {
      if (this.socket !== ws) return;
      this.socket = undefined;
      this.setUp(false);
      this.retry();
    };
  }

  private retry(): void {
    if (this.closed || !this.opts.schedule) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
    this.opts.schedule(() => {
      if (!this.closed && !this.socket) this.open();
    }, delay);
  }

  private setUp(up: boolean): void {
    if (up === this.up) return;
    this.up = up;
    this.link.emit(up);
  }
}
